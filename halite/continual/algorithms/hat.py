"""Hard Attention to the Task: learned per-task unit masks that freeze what earlier tasks use."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from halite.continual.algorithms.base import ContinualAlgorithm
from halite.continual.backbones import MLPBackbone
from halite.continual.data import Samples
from halite.continual.learner import Learner

#: modules allowed between two Linear layers of a masked MLP: they act on every unit alone
_ELEMENTWISE = (nn.Dropout, nn.AlphaDropout, nn.Identity)


class HAT(ContinualAlgorithm):
    """HAT (Serra, Suris, Miron and Karatzoglou, ICML 2018, arXiv:1801.01423).

    Every ``nn.Linear`` layer ``l`` of the backbone (an ``MLPBackbone``) has per task ``t`` an
    embedding ``e^t_l`` ``(units,)`` (initialised ``N(0, 1)``); its units' outputs (after the
    activation and dropout, eq. 1's ``h_l * a^t_l``) are multiplied by the mask

        ``a^t_l = sigmoid(s e^t_l)``.

    While training task ``t`` the scale is annealed over the batches ``b = 1..B`` of every epoch,
    ``s = 1/s_max + (s_max - 1/s_max) (b - 1) / (B - 1)`` (eq. 3); at test time task ``i`` uses
    ``s = s_max`` (the quasi-binary mask) with its own embedding. After each task the cumulative
    mask is ``a^{<=t}_l = max(a^t_l, a^{<=t-1}_l)`` (with ``s = s_max``). The hooks:

    - ``regularizer``: ``c * sum_l sum_i a^t_l,i (1 - a^{<t}_l,i) / sum_l sum_i (1 - a^{<t}_l,i)``
      (eq. 5; with no earlier task, ``a^{<t} = 0``).
    - ``after_backward``: the weight ``W_l,ij`` (unit ``i`` of layer ``l``, input ``j``) gradient is
      multiplied by ``1 - min(a^{<t}_l,i, a^{<t}_{l-1},j)`` (eq. 2; the first layer's inputs count
      as ``a = 1``), the bias ``b_l,i`` gradient by ``1 - a^{<t}_l,i``; the embedding gradient by
      ``s_max [cosh(s e) + 1] / (s [cosh(e) + 1])`` (eq. 4's compensation, ``s e`` clipped to
      ``+-thres_cosh`` as in the authors' code).
    - ``after_step``: the current embedding is clamped to ``+-thres_emb`` (the authors' code).
    - ``learner_for(learner, i)``: a view of the learner that evaluates with task ``i``'s mask.

    The heads are not masked (task-incremental, one head per task): HAT needs the ``til``
    paradigm. The embeddings are registered on the learner as ``learner.hat_embeddings``
    (a ``ModuleDict`` by task id), so that the loop's optimiser trains the current one; a
    learner restored from a checkpoint needs ``attach(learner)`` after ``load_state_dict``
    and before loading the learner's own state dict. Outside ``before_task`` .. ``after_task``
    and ``learner_for`` the learner runs unmasked. Weight decay moves frozen weights (the
    optimiser adds it after these hooks): train HAT without it. Units at ``a = 1`` (in float32,
    almost every unit at ``s_max``) get a zero gradient and stay frozen with SGD or Adam; the
    partial factors ``0 < 1 - a < 1`` of the others are undone by Adam's per-parameter scaling
    (the paper trains with SGD).

    Parameters
    ----------
    s_max
        Largest scale ``s_max`` of the masks (the paper: 400).
    c
        Strength ``c`` of the sparsity regulariser (the paper: 0.75).
    thres_cosh
        Clip of ``s e`` inside ``cosh`` in the embedding compensation (the authors' code: 50).
    thres_emb
        Clamp of the embeddings after each step (the authors' code: 6).
    """

    def __init__(
        self, s_max: float = 400.0, c: float = 0.75, thres_cosh: float = 50.0, thres_emb: float = 6.0
    ) -> None:
        if s_max < 1:
            msg = f"HAT.s_max must be >= 1 (s is annealed from 1/s_max to s_max), got {s_max}."
            raise ValueError(msg)
        if c < 0:
            msg = f"HAT.c must be >= 0, got {c}. Use c = 0 to switch the sparsity regulariser off."
            raise ValueError(msg)
        if thres_cosh <= 0 or thres_emb <= 0:
            msg = f"HAT needs thres_cosh > 0 and thres_emb > 0; got {thres_cosh}, {thres_emb}."
            raise ValueError(msg)
        self.s_max = s_max
        self.c = c
        self.thres_cosh = thres_cosh
        self.thres_emb = thres_emb
        #: per task id (as a string key): one embedding ``(units,)`` per masked layer
        self.embeddings = nn.ModuleDict()
        #: cumulative mask ``a^{<=t}`` of the tasks finished so far, per masked layer (None: no task yet)
        self.cumulative: list[Tensor] | None = None
        self.layers: list[nn.Linear] = []
        self._learner: Learner | None = None
        self._handles: list[RemovableHandle] = []
        self._active: tuple[int, float] | None = None
        self._n_train = 0
        self._seen = 0
        self._batch = 0

    # -- masks -----------------------------------------------------------------------------------

    def attach(self, learner: Learner) -> None:
        """Find the masked layers of ``learner``'s ``MLPBackbone``, hook them and register the embeddings."""
        if self._learner is learner:
            return
        if learner.paradigm != "til":
            msg = (
                f"HAT masks the backbone per task and needs the task id at test time: use the 'til' paradigm, "
                f"not '{learner.paradigm}'."
            )
            raise ValueError(msg)
        backbone = learner.backbone
        if not isinstance(backbone, MLPBackbone) or backbone.net is None:
            msg = (
                f"HAT supports a built halite.continual.MLPBackbone, got {type(backbone).__name__}. "
                f"Set continual.backbone to halite.continual.MLPBackbone."
            )
            raise ValueError(msg)
        seq = list(backbone.net.net)
        starts = [k for k, m in enumerate(seq) if isinstance(m, nn.Linear)]
        others = [type(m).__name__ for m in seq if not isinstance(m, nn.Linear)]
        for k, m in enumerate(seq):
            if k not in starts and not _is_elementwise(m):
                msg = f"HAT masks units of an MLP of Linear layers, activations and dropout; got a {type(m).__name__} ({others})."
                raise ValueError(msg)
        for h in self._handles:
            h.remove()
        self.layers = [m for m in seq if isinstance(m, nn.Linear)]
        ends = [*(k - 1 for k in starts[1:]), len(seq) - 1]
        self._handles = [seq[end].register_forward_hook(self._hook(layer)) for layer, end in enumerate(ends)]
        for key in self.embeddings:
            have = [len(e) for e in self._embedding(int(key))]
            if have != self.widths:
                msg = f"HAT embeddings of task {key} have widths {have}, the backbone {self.widths}."
                raise ValueError(msg)
        device = next(backbone.parameters()).device
        self.embeddings.to(device)
        if self.cumulative is not None:
            self.cumulative = [a.to(device) for a in self.cumulative]
        learner.add_module("hat_embeddings", self.embeddings)
        self._learner = learner

    @property
    def widths(self) -> list[int]:
        """Units of every masked layer."""
        return [int(layer.out_features) for layer in self.layers]

    def _hook(self, layer: int) -> Any:
        def hook(module: nn.Module, inputs: Any, out: Tensor) -> Tensor | None:
            if self._active is None:
                return None
            task_id, s = self._active
            return out * torch.sigmoid(s * self._embedding(task_id)[layer])

        return hook

    def _embedding(self, task_id: int) -> nn.ParameterList:
        key = str(task_id)
        if key not in self.embeddings:
            msg = f"HAT has no embedding for task {task_id}; it has tasks {list(self.embeddings)}."
            raise ValueError(msg)
        embs = self.embeddings[key]
        assert isinstance(embs, nn.ParameterList)
        return embs

    def mask(self, task_id: int, s: float) -> list[Tensor]:
        """``a^t_l = sigmoid(s e^t_l)`` ``(units,)`` per masked layer (with gradients to ``e``)."""
        return [torch.sigmoid(s * e) for e in self._embedding(task_id)]

    @contextmanager
    def masking(self, task_id: int, s: float) -> Iterator[None]:
        """Within the block the backbone's units are masked with ``mask(task_id, s)``."""
        previous, self._active = self._active, (task_id, s)
        try:
            yield
        finally:
            self._active = previous

    def scale(self, batch: int, batches: int) -> float:
        """Eq. 3: ``s`` at batch ``batch`` (1..B) of an epoch of ``batches`` batches."""
        if batches <= 1:
            return self.s_max
        return 1.0 / self.s_max + (self.s_max - 1.0 / self.s_max) * (batch - 1) / (batches - 1)

    def sparsity(self, task_id: int, s: float) -> Tensor:
        """Eq. 5: ``sum a^t (1 - a^{<t}) / sum (1 - a^{<t})`` over all masked units."""
        masks = self.mask(task_id, s)
        prev = self.cumulative or [torch.zeros_like(a) for a in masks]
        num = sum((a * (1 - p)).sum() for a, p in zip(masks, prev))
        den = sum((1 - p).sum() for p in prev)
        return num / torch.clamp(torch.as_tensor(den, dtype=masks[0].dtype), min=1e-12)  # type: ignore[no-any-return]

    # -- hooks -----------------------------------------------------------------------------------

    def before_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        self.attach(learner)
        key = str(task_id)
        if key not in self.embeddings:
            device = next(learner.backbone.parameters()).device
            self.embeddings[key] = nn.ParameterList(
                [nn.Parameter(torch.randn(w, device=device)) for w in self.widths]
            )
        self._active = (task_id, 1.0 / self.s_max)
        self._n_train, self._seen, self._batch = len(train), 0, 0

    def augment(self, learner: Learner, batch: Samples) -> Samples:
        if self._active is not None:
            if self._seen == 0 or self._seen + len(batch) > self._n_train:  # a new epoch
                self._seen, self._batch = 0, len(batch)
            batches = max(math.ceil(self._n_train / max(self._batch, 1)), 1)
            b = self._seen // max(self._batch, 1) + 1
            self._active = (self._active[0], self.scale(b, batches))
            self._seen += len(batch)
            if self._seen >= self._n_train:
                self._seen = 0
        return batch

    def regularizer(self, learner: Learner, batch: Samples, feats: Tensor, task_id: int) -> Tensor:
        if self._active is None or self.c == 0:
            return feats.new_zeros(())
        return self.c * self.sparsity(*self._active)

    def after_backward(self, learner: Learner, task_id: int) -> None:
        if self._active is None:
            return
        if self.cumulative is not None:
            prev_in: Tensor | None = None
            for layer, a_out in zip(self.layers, self.cumulative):
                if layer.weight.grad is not None:
                    if prev_in is None:
                        factor = (1 - a_out)[:, None].expand_as(layer.weight)
                    else:
                        factor = 1 - torch.minimum(a_out[:, None], prev_in[None, :])
                    layer.weight.grad.mul_(factor)
                if layer.bias is not None and layer.bias.grad is not None:
                    layer.bias.grad.mul_(1 - a_out)
                prev_in = a_out
        t, s = self._active
        for e in self._embedding(t):
            if e.grad is not None:
                e.grad.mul_(self.embedding_compensation(e.detach(), s))

    def embedding_compensation(self, e: Tensor, s: float) -> Tensor:
        """``s_max [cosh(s e) + 1] / (s [cosh(e) + 1])``, ``s e`` clipped to ``+-thres_cosh``."""
        num = torch.cosh(torch.clamp(s * e, -self.thres_cosh, self.thres_cosh)) + 1
        return self.s_max / s * num / (torch.cosh(e) + 1)

    def after_step(self, learner: Learner, task_id: int) -> None:
        if self._active is None:
            return
        with torch.no_grad():
            for e in self._embedding(self._active[0]):
                e.clamp_(-self.thres_emb, self.thres_emb)

    def after_task(self, learner: Learner, task_id: int, train: Samples) -> None:
        with torch.no_grad():
            masks = [a.detach().clone() for a in self.mask(task_id, self.s_max)]
        if self.cumulative is None:
            self.cumulative = masks
        else:
            self.cumulative = [torch.maximum(p, a) for p, a in zip(self.cumulative, masks)]
        self._active = None

    def learner_for(self, learner: Learner, task_id: int) -> Learner:
        self.mask(task_id, self.s_max)  # a clear error for a task without an embedding
        return TaskMaskedLearner(learner, self, task_id)

    # -- state -----------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The embeddings per task id and the cumulative mask."""
        return {
            "embeddings": {
                int(k): [e.detach().clone() for e in self._embedding(int(k))] for k in self.embeddings
            },
            "cumulative": None if self.cumulative is None else [a.clone() for a in self.cumulative],
            # where the annealing of s stands in the current epoch (a checkpoint written mid-epoch)
            "progress": {"n_train": self._n_train, "seen": self._seen, "batch": self._batch},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not {"embeddings", "cumulative"} <= set(state) <= {"embeddings", "cumulative", "progress"}:
            msg = f"HAT state needs the keys ['cumulative', 'embeddings'] (and 'progress'), got {sorted(state)}."
            raise ValueError(msg)
        progress = state.get("progress")
        if progress is not None:
            self._n_train, self._seen, self._batch = (int(progress[k]) for k in ("n_train", "seen", "batch"))
        for key in list(self.embeddings):
            del self.embeddings[key]
        for t, embs in state["embeddings"].items():
            self.embeddings[str(t)] = nn.ParameterList([nn.Parameter(e.clone()) for e in embs])
        cum = state["cumulative"]
        self.cumulative = None if cum is None else [a.clone() for a in cum]
        self._learner = None  # re-check the widths at the next attach


def _is_elementwise(module: nn.Module) -> bool:
    """Activations (``torch.nn.modules.activation`` and halite's), dropout, identity."""
    if isinstance(module, _ELEMENTWISE):
        return True
    return (
        type(module).__module__.startswith("torch.nn.modules.activation")
        or "activation" in type(module).__module__
    )


class TaskMaskedLearner(Learner):
    """The learner's backbone and heads (shared, not copied) evaluated with HAT's mask of one task.

    Parameters
    ----------
    learner
        The trained learner.
    hat
        The HAT holding the embeddings.
    task_id
        The task whose mask (``s = s_max``) every forward uses.
    """

    def __init__(self, learner: Learner, hat: HAT, task_id: int) -> None:
        nn.Module.__init__(self)  # shares learner's modules instead of building new heads
        self.backbone = learner.backbone
        self.heads = learner.heads
        self.paradigm = learner.paradigm
        self.hat = hat
        self.task_id = task_id

    def features(self, samples: Samples) -> Tensor:
        with self.hat.masking(self.task_id, self.hat.s_max):
            return super().features(samples)
