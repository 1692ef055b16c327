"""Vertexing: which constituents of a jet come from the same vertex."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from halite.data.specs import LabelSpec
from halite.nn.layers.dense import DenseConfig
from halite.tasks.base import TaskBase, require_unreduced
from halite.typing import Labels

#: head output of pairs that are not scored (padding, self pairs)
NO_PAIR_LOGIT = -1.0e4


def pair_mask(pad_mask: Tensor) -> Tensor:
    """Ordered pairs ``(B, N, N)`` of two different valid constituents."""
    valid = ~pad_mask
    n = pad_mask.shape[1]
    eye = torch.eye(n, dtype=torch.bool, device=pad_mask.device)
    return valid.unsqueeze(-1) & valid.unsqueeze(-2) & ~eye


def vertex_assignment(same: Tensor, pad_mask: Tensor) -> Tensor:
    """Per-constituent vertex index from pair decisions (connected components).

    Gives the same partition as a union-find over the pairs in ``same``: two
    constituents share an index when a chain of selected pairs joins them. Computed
    for the whole batch at once by minimum-label propagation with pointer jumping
    (each step halves the remaining path length in practice; at most ``N`` steps).

    Parameters
    ----------
    same
        ``(B, N, N)`` bool, True where a pair is selected (made symmetric here).
    pad_mask
        ``(B, N)`` True for padding.

    Returns
    -------
    Tensor
        ``(B, N)`` int64: indices ``0, 1, ...`` per jet in order of each vertex's first
        constituent; ``-1`` for padding.
    """
    b, n = pad_mask.shape
    adj = (same | same.transpose(1, 2)) & pair_mask(pad_mask)
    idx = torch.arange(n, device=pad_mask.device).expand(b, n)
    labels = idx.clone()
    # the (B, N, N) step on 2-byte labels: a quarter of the memory traffic of int64
    small = torch.int16 if n < 2**15 else torch.int64
    for _ in range(max(n, 1)):
        neighbour = torch.where(adj, labels.to(small).unsqueeze(1), n).amin(dim=-1)
        new = torch.minimum(labels, neighbour.long())
        new = new.gather(1, new)  # pointer jumping: adopt the label of the current label
        if torch.equal(new, labels):
            break
        labels = new
    roots = (labels == idx) & ~pad_mask
    rank = torch.cumsum(roots.long(), dim=1) - 1
    return rank.gather(1, labels).masked_fill(pad_mask, -1)


class VertexingTask(TaskBase):
    """Classify every ordered pair of constituents of a jet as same-vertex or not.

    The pair head is a dense network on ``[x_i, x_j, context]`` (constituent
    embeddings and the pooled jet representation), as in GN1/GN2 (ATL-PHYS-PUB-2022-027).
    Its first layer is linear, so it is evaluated as ``W_i x_i + W_j x_j + W_c c``
    from per-constituent projections, and only valid pairs go through the rest of
    the network; memory is ``O(pairs x hidden)`` rather than ``O(pairs x 2D)``.

    Training targets: a pair is positive when both constituents carry the same
    non-negative ``label`` (e.g. ``ftagTruthVertexIndex``); ``-1`` (no truth vertex:
    pileup, fakes) pairs with nothing. Padded constituents and self pairs are ignored.
    At inference the pair probabilities are symmetrised, pairs above ``threshold``
    are joined and each constituent gets ``VertexIndex`` (salt's name; see
    ``vertex_assignment``).

    Parameters
    ----------
    label
        Per-constituent truth vertex index in the ``input_name`` stream.
    threshold
        Pair probability above which two constituents are put in the same vertex.
    loss
        Defaults to ``BCEWithLogitsLoss(reduction="none")``; must be unreduced.
    loss_weighting
        ``"mean"`` (halite's default): the mean of the pair losses over all scored pairs.
        ``"salt"``: salt's vertexing loss. Each pair loss is weighted by ``1 + (o_i & o_j)``
        (bitwise and) with ``o = 1`` for heavy-flavour constituents (origin 3, 4, 5: from B,
        BC, C), ``-1`` for fakes (origin 1) and ``0`` otherwise. Pairs of two heavy-flavour
        constituents, or of one heavy-flavour constituent and one fake, count twice.
        Fake-fake pairs count zero. The sum is divided by the number of same-vertex pairs;
        halite counts at least one, where salt would divide by zero. The salt
        translation sets this.
    origin_label
        The per-constituent origin label read for ``loss_weighting="salt"``. The default
        is salt's: ``label`` with ``VertexIndex`` replaced by ``OriginLabel``.
    """

    tokenwise = False  # pairs of constituents: never run on packed constituents
    pad_value = -1.0  # vertex index of padded constituents

    def __init__(
        self,
        name: str,
        input_name: str,
        label: str,
        threshold: float = 0.5,
        dense_config: DenseConfig | None = None,
        loss: nn.Module | None = None,
        weight: float = 1.0,
        loss_weighting: Literal["mean", "salt"] = "mean",
        origin_label: str | None = None,
    ) -> None:
        loss = loss if loss is not None else nn.BCEWithLogitsLoss(reduction="none")
        super().__init__(name, input_name, dense_config, loss, weight)
        require_unreduced(name, loss)
        if not 0.0 < threshold < 1.0:
            msg = f"Task '{name}': threshold must be a probability in (0, 1), got {threshold}."
            raise ValueError(msg)
        if loss_weighting not in ("mean", "salt"):
            msg = f"Task '{name}': loss_weighting must be 'mean' or 'salt', got {loss_weighting!r}."
            raise ValueError(msg)
        self.label = label
        self.threshold = threshold
        self.loss_weighting = loss_weighting
        self.origin_label = origin_label or label.replace("VertexIndex", "OriginLabel")
        if loss_weighting == "salt" and self.origin_label == label:
            msg = (
                f"Task '{name}': loss_weighting='salt' weights pairs by the constituents' origin label; "
                f"'{label}' has no 'VertexIndex' to derive it from. Set origin_label (e.g. ftagTruthOriginLabel)."
            )
            raise ValueError(msg)
        self.embed_size = 0

    @property
    def output_size(self) -> int:
        return 1

    def describe_outputs(self) -> str:
        return "1 output (the same-vertex logit of a pair)"

    def build(self, input_size: int, context_size: int = 0) -> None:
        super().build(2 * input_size, context_size)
        assert self.net is not None
        if not isinstance(self.net.net[0], nn.Linear):
            msg = f"Task '{self.name}': the pair network must start with a linear layer."
            raise ValueError(msg)
        self.embed_size = input_size

    def required_labels(self) -> list[LabelSpec]:
        specs = [LabelSpec(self.label, "class")]
        if self.loss_weighting == "salt":
            specs.append(LabelSpec(self.origin_label, "class"))
        return specs

    def forward(self, x: Tensor, context: Tensor | None = None, pad_mask: Tensor | None = None) -> Tensor:
        """Same-vertex logits ``(B, N, N)`` for ``x`` ``(B, N, D)``; unscored pairs get ``NO_PAIR_LOGIT``.

        ``context`` ``(B, C)`` is the pooled jet representation.
        """
        if self.net is None:
            msg = f"Task '{self.name}' was used before the model built it."
            raise RuntimeError(msg)
        if x.dim() != 3:
            msg = f"Task '{self.name}': vertexing needs constituents (B, N, D), got shape {tuple(x.shape)}."
            raise ValueError(msg)
        b, n, d = x.shape
        if pad_mask is None:
            pad_mask = torch.zeros(b, n, dtype=torch.bool, device=x.device)
        first = self.net.net[0]
        assert isinstance(first, nn.Linear)
        w = first.weight
        if self.net.context_size and context is None:
            msg = f"Task '{self.name}' was built with a context input but got none."
            raise ValueError(msg)
        # the first layer as projections of the valid constituents only (one matmul for both
        # sides; bias and jet context folded into the first), then two row gathers and one add per pair
        valid = ~pad_mask.reshape(-1)
        slots = valid.nonzero().squeeze(1)  # b * n + i of the valid constituents
        row_of = torch.cumsum(valid, 0) - 1  # slot -> row of the projections (valid slots only)
        proj = x.reshape(b * n, d).index_select(0, slots) @ torch.cat([w[:, :d], w[:, d : 2 * d]]).T
        hid = w.shape[0]
        left = proj[:, :hid] + first.bias
        if self.net.context_size:
            assert context is not None
            left = left + (context @ w[:, 2 * d :].T).index_select(0, slots // n)
        flat = pair_mask(pad_mask).reshape(-1).nonzero().squeeze(1)  # (b * n + i) * n + j
        rows_i = row_of.index_select(0, flat // n)  # rows of (b, i) and (b, j)
        rows_j = row_of.index_select(0, (flat // (n * n)) * n + flat % n)
        hidden = left.index_select(0, rows_i) + proj[:, hid:].index_select(0, rows_j)
        logits = self.net.net[1:](hidden).squeeze(-1)
        out = x.new_full((b * n * n,), NO_PAIR_LOGIT)
        return out.index_copy(0, flat, logits.to(out.dtype)).view(b, n, n)

    def pair_targets(self, labels: Labels, pad_mask: Tensor) -> tuple[Tensor, Tensor]:
        """Same-vertex truth ``(B, N, N)`` float and the mask of scored pairs."""
        vertex = labels[self.input_name][self.label].masked_fill(pad_mask, -1)
        same = (vertex.unsqueeze(-1) == vertex.unsqueeze(-2)) & (vertex >= 0).unsqueeze(-1)
        return same.float(), pair_mask(pad_mask)

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        if pad_mask is None:
            pad_mask = torch.zeros(output.shape[:2], dtype=torch.bool, device=output.device)
        target, mask = self.pair_targets(labels, pad_mask)
        assert self.loss_fn is not None
        per = self.loss_fn(output[mask], target[mask])
        if self.loss_weighting == "mean":
            return per.sum() / mask.sum().clamp(min=1)
        origin = labels[self.input_name][self.origin_label].masked_fill(pad_mask, 0)
        flag = (origin >= 3) & (origin <= 5)
        o = flag.long() - (origin == 1).long()
        pair_weight = 1 + (o.unsqueeze(-1) & o.unsqueeze(-2))
        return (per * pair_weight[mask]).sum() / target[mask].sum().clamp(min=1)

    def predictions(
        self,
        output: Tensor,
        model_name: str,
        labels: Labels | None = None,
        pad_mask: Tensor | None = None,
    ) -> dict[str, Tensor]:
        if pad_mask is None:
            pad_mask = torch.zeros(output.shape[:2], dtype=torch.bool, device=output.device)
        prob = torch.sigmoid(output.float())
        same = 0.5 * (prob + prob.transpose(1, 2)) > self.threshold
        return {self.output_columns(model_name)[0]: vertex_assignment(same, pad_mask)}

    def output_columns(self, model_name: str) -> list[str]:
        """Salt writes the vertex index as ``VertexIndex``, without a model prefix."""
        return ["VertexIndex"]
