"""Classification of the global object or of each constituent."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from halite.data.specs import KNOWN_CLASS_NAMES, LabelSpec
from halite.nn.layers.dense import DenseConfig
from halite.tasks.base import TaskBase, require_unreduced, sample_count
from halite.typing import Labels

#: ftag's probability names (``Flavours[name].px``, atlas-ftag-tools 0.3) of its flavours whose
#: names end in ``jets``; salt writes ``<model>_<px>`` for them and ``<model>_p<name>`` otherwise.
FTAG_JET_PX: dict[str, str] = {
    **{f: f"p{f[: -len('jets')]}" for f in (
        "bjets", "cjets", "ujets", "taujets", "bcjets", "bbjets", "ccjets", "upjets", "downjets",
        "strangejets", "gluonjets", "lquarkjets", "hadrbjets", "lepbjets", "npxbjets", "npxcjets",
        "npxujets",
    )},
    "singlebjets": "pb", "singlecjets": "pc", "ghostbjets": "pb", "ghostcjets": "pc", "ghostsjets": "ps",
    "ghostudjets": "pud", "ghostgjets": "pg", "ghosttaujets": "ptau", "ghostsinglebjets": "pb",
    "ghostbcjets": "pbc", "ghostbbjets": "pbb", "ghostsinglecjets": "pc", "ghostccjets": "pcc",
}  # fmt: skip


def short_class_name(name: str) -> str:
    """Salt's probability naming after the ``p``: ``bjets`` -> ``b``, ``Pileup`` -> ``Pileup``.

    ftag flavours (``FTAG_JET_PX``) use their ``px`` (``singlebjets`` -> ``b``); every other
    class name is kept as it is, also when it ends in ``jets`` (salt writes ``pXjets`` then).
    """
    return FTAG_JET_PX[name][1:] if name in FTAG_JET_PX else name


class ClassificationTask(TaskBase):
    """Multi-class (or binary) classification of jets or of each constituent.

    Padded constituents and labels equal to ``-1`` are ignored, not trained on.
    Without ``sample_weight`` the loss is the (class-weighted) mean over the remaining
    entries, as salt's ``CrossEntropyLoss(weight=...)`` with its default ``reduction='mean'``.

    Parameters
    ----------
    label
        Label field in the ``input_name`` stream.
    class_names
        Class names in label order. Default: the training file's attribute named
        like the label (``f["jets"].attrs["flavour_label"]``, resolved when the model
        is built), else the table of known labels (``KNOWN_CLASS_NAMES``).
    label_map
        Raw label value -> class index, e.g. ``{0: 0, 4: 1, 5: 2}`` on
        ``HadronConeExclTruthLabelID`` (requires ``class_names``).
    sample_weight
        Name of a per-sample weight field in the ``input_name`` stream. As in salt, the
        loss is then ``sum(w_i * l_i) / n`` over all ``n`` jets (ignored labels count in
        ``n`` with ``l_i = 0``), not divided by the weight sum (see ``sample_count``).
    use_class_dict
        Weight classes with the class dict's weights (``data.class_dict``). With a
        ``label_map`` the dict may hold one weight per raw label value, as ``halite prep``
        writes it; the weights are then merged onto the classes (``merge_class_weights``).
    loss
        Defaults to ``CrossEntropyLoss(reduction="none")``. A given loss must use
        ``reduction="none"``; a loss with ``ignore_index`` gets ``-1``.
        ``BCEWithLogitsLoss`` makes a binary task with a single output: give one
        class name (the positive class) or two (negative, positive).
    """

    def __init__(
        self,
        name: str,
        input_name: str,
        label: str,
        class_names: list[str] | None = None,
        label_map: dict[int, int] | None = None,
        sample_weight: str | None = None,
        use_class_dict: bool = False,
        dense_config: DenseConfig | None = None,
        loss: nn.Module | None = None,
        weight: float = 1.0,
    ) -> None:
        loss = loss if loss is not None else nn.CrossEntropyLoss(reduction="none")
        super().__init__(name, input_name, dense_config, loss, weight)
        require_unreduced(name, loss)
        if hasattr(loss, "ignore_index"):
            setattr(loss, "ignore_index", -1)  # noqa: B010 (not every loss declares the attribute)
        if label_map is not None and class_names is None:
            msg = (
                f"Task '{name}': specify class_names when using label_map (label_map {label_map} "
                f"maps '{label}' to class indices; class_names names them)."
            )
            raise ValueError(msg)
        self.label = label
        self.label_map = label_map
        self.sample_weight = sample_weight
        self.use_class_dict = use_class_dict
        self.explicit_class_names = class_names is not None
        self.class_names: list[str] | None = None
        self.register_buffer("class_weights", None)
        if class_names is not None:
            self.set_class_names(list(class_names))
        elif label in KNOWN_CLASS_NAMES:
            self.set_class_names(list(KNOWN_CLASS_NAMES[label]))
        # otherwise resolved from the training file by ``resolve_class_names`` before ``build``

    @property
    def binary(self) -> bool:
        """True for a single-output task trained with ``BCEWithLogitsLoss``."""
        return isinstance(self.loss_fn, nn.BCEWithLogitsLoss)

    def set_class_names(self, class_names: list[str]) -> None:
        """Set and check the class names (count against the loss and the label map)."""
        if not class_names:
            msg = f"Task '{self.name}': class_names is empty; give one name per class of '{self.label}'."
            raise ValueError(msg)
        if self.binary and len(class_names) > 2:
            msg = (
                f"Task '{self.name}': BCEWithLogitsLoss trains one output (binary), but {len(class_names)} "
                f"class names were given {class_names}. Use CrossEntropyLoss for more than two classes."
            )
            raise ValueError(msg)
        num_classes = 2 if self.binary else len(class_names)
        if self.label_map is not None and sorted(set(self.label_map.values())) != list(range(num_classes)):
            msg = (
                f"Task '{self.name}': label_map values {sorted(set(self.label_map.values()))} must be exactly "
                f"the class indices 0..{num_classes - 1} of class_names {class_names}."
            )
            raise ValueError(msg)
        self.class_names = list(class_names)

    def resolve_class_names(self, file_names: Mapping[str, list[str]]) -> None:
        """Take default class names from the training file's attributes of ``input_name``.

        ``file_names`` maps label names to class names (the dataset attributes). Names
        given in the config are kept; the file wins over the built-in table.
        """
        if self.explicit_class_names:
            return
        if self.label in file_names:
            self.set_class_names(list(file_names[self.label]))
        if self.class_names is None:
            msg = (
                f"Task '{self.name}': no class_names given, '{self.label}' is not a known label "
                f"{sorted(KNOWN_CLASS_NAMES)} and the training file has no attribute '{self.label}' on "
                f"its '{self.input_name}' dataset. Add class_names to the task."
            )
            raise ValueError(msg)

    @property
    def num_classes(self) -> int:
        """Number of classes the labels may take."""
        if self.class_names is None:
            self.resolve_class_names({})  # raises the error explaining how to name the classes
        assert self.class_names is not None
        return 2 if self.binary else len(self.class_names)

    @property
    def output_size(self) -> int:
        return 1 if self.binary else self.num_classes

    def describe_outputs(self) -> str:
        if self.binary:
            return f"1 output (binary BCEWithLogitsLoss) for classes {self.class_names}"
        return f"{self.output_size} outputs, one per class {self.class_names}"

    def set_class_weights(self, weights: list[float]) -> None:
        """Use ``weights`` (one per class, from the class dict) in the loss."""
        if len(weights) != self.num_classes:
            msg = (
                f"Task '{self.name}': class dict has {len(weights)} weights for label '{self.label}' but "
                f"the task has {self.num_classes} classes {self.class_names}. Re-run `halite prep`."
            )
            raise ValueError(msg)
        self.class_weights = torch.tensor(weights, dtype=torch.float32)

    def required_labels(self) -> list[LabelSpec]:
        specs = [LabelSpec(self.label, "class", self.label_map, self.num_classes)]
        if self.sample_weight:
            specs.append(LabelSpec(self.sample_weight, "value"))
        return specs

    def per_entry_loss(self, output: Tensor, target: Tensor) -> Tensor:
        """Unreduced loss ``(B,)`` or ``(B, N)``; ``target`` holds ``-1`` where ignored."""
        safe = target.clamp(min=0)
        flat_out = output.reshape(-1, output.shape[-1])
        if isinstance(self.loss_fn, nn.BCEWithLogitsLoss):
            per = self.loss_fn(flat_out.squeeze(-1), safe.reshape(-1).to(flat_out.dtype))
        elif isinstance(self.loss_fn, nn.CrossEntropyLoss) and self.loss_fn.weight is None:
            per = nn.functional.cross_entropy(
                flat_out, safe.reshape(-1), reduction="none", label_smoothing=self.loss_fn.label_smoothing
            )
        else:
            assert self.loss_fn is not None
            given = target if hasattr(self.loss_fn, "ignore_index") else safe
            per = self.loss_fn(flat_out, given.reshape(-1))
        return per.view(target.shape)

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        target = labels[self.input_name][self.label]
        if pad_mask is not None:
            target = target.masked_fill(pad_mask, -1)
        valid = target >= 0
        per = self.per_entry_loss(output, target)
        w = valid.to(per.dtype)
        if self.class_weights is not None:
            w = w * self.class_weights[target.clamp(min=0)]
        weighted = per.masked_fill(~valid, 0.0) * w
        if self.sample_weight:
            sw = labels[self.input_name][self.sample_weight]
            weighted = weighted * (sw if sw.dim() == per.dim() else sw.unsqueeze(-1))
            return weighted.sum() / sample_count(per, pad_mask)
        # weighted mean over non-ignored entries (as CrossEntropyLoss(weight=...) does)
        return weighted.sum() / w.sum().clamp(min=1e-12)

    def probabilities(self, output: Tensor) -> Tensor:
        """Class probabilities ``(..., num_classes)`` from the head output."""
        if self.binary:
            p = torch.sigmoid(output.float())
            return torch.cat([1.0 - p, p], dim=-1)
        return torch.softmax(output.float(), dim=-1)

    def output_columns(self, model_name: str) -> list[str]:
        assert self.class_names is not None
        return [f"{model_name}_p{short_class_name(c)}" for c in self.class_names]

    def predictions(
        self,
        output: Tensor,
        model_name: str,
        labels: Labels | None = None,
        pad_mask: Tensor | None = None,
    ) -> dict[str, Tensor]:
        probs = self.probabilities(output)
        if pad_mask is not None:
            probs = probs.masked_fill(pad_mask.unsqueeze(-1), 0.0)  # salt's masked softmax: 0 in padding
        assert self.class_names is not None
        # a binary task with one name writes only the positive class
        first = probs.shape[-1] - len(self.class_names)
        return {col: probs[..., first + i] for i, col in enumerate(self.output_columns(model_name))}


def merge_class_weights(weights: list[float], label_map: Mapping[int, int], num_classes: int) -> list[float]:
    """Class weights of mapped classes from per-raw-value weights (``halite prep`` / UPP form).

    A raw value's weight is ``N / n_v`` up to a common factor, so its count is
    ``n_v ~ 1 / w_v``; class ``k`` counts ``n_k = sum(n_v for v -> k)`` and gets
    ``w_k = 1 / n_k``, normalised so the smallest weight is 1 (as ``halite prep`` does).
    A raw value ``halite prep`` never saw carries the largest weight, i.e. it is counted
    as rare as the rarest value seen.

    Parameters
    ----------
    weights
        One weight per raw label value ``0..V-1``.
    label_map
        Raw value -> class index (every value below ``V``).
    num_classes
        Number of classes.

    Returns
    -------
    list[float]
        One weight per class.
    """
    counts = [0.0] * num_classes
    for raw, cls in label_map.items():
        counts[int(cls)] += 1.0 / float(weights[int(raw)])
    merged = [1.0 / c if c > 0 else 0.0 for c in counts]
    low = min(w for w in merged if w > 0)
    return [w / low if w > 0 else max(merged) / low for w in merged]


def resolve_class_weights(task: ClassificationTask, class_dict: Mapping) -> None:
    """Attach class-dict weights to ``task`` when it asks for them.

    With a ``label_map`` and one weight per raw label value (``halite prep`` counts the
    raw labels of the file) the weights are merged onto the task's classes.
    """
    if not task.use_class_dict:
        return
    stream = class_dict.get(task.input_name, {})
    if task.label not in stream:
        msg = (
            f"Task '{task.name}' has use_class_dict=true but the class dict has no entry "
            f"'{task.input_name}.{task.label}'. Re-run `halite prep` with this label."
        )
        raise ValueError(msg)
    weights = [float(w) for w in stream[task.label]]
    label_map = task.label_map
    if label_map is not None and len(weights) != task.num_classes:
        top = max(int(k) for k in label_map)
        if len(weights) <= top or min(int(k) for k in label_map) < 0:
            msg = (
                f"Task '{task.name}': class dict has {len(weights)} weights for '{task.label}', neither one "
                f"per class {task.class_names} nor one per raw value 0..{top} of label_map {dict(label_map)}. "
                f"Re-run `halite prep` on the training file."
            )
            raise ValueError(msg)
        weights = merge_class_weights(weights, label_map, task.num_classes)
    task.set_class_weights(weights)
