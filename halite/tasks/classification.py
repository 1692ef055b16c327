"""Classification of the global object or of each constituent."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from halite.data.specs import KNOWN_CLASS_NAMES, LabelSpec
from halite.nn.layers.dense import DenseConfig
from halite.tasks.base import TaskBase
from halite.typing import Labels


def short_class_name(name: str) -> str:
    """Salt's output naming: ``bjets`` -> ``b``, ``ujets`` -> ``u``, others unchanged."""
    return name[: -len("jets")] if name.endswith("jets") and len(name) > 4 else name


class ClassificationTask(TaskBase):
    """Multi-class classification with a cross-entropy style loss.

    Padded constituents and labels equal to ``-1`` are ignored.

    Parameters
    ----------
    label
        Label field in the ``input_name`` stream.
    class_names
        Class names in label order; default from the table of known labels.
    label_map
        Raw label value -> class index (requires ``class_names``).
    sample_weight
        Name of a per-sample weight field in the ``input_name`` stream.
    use_class_dict
        Weight classes with the class dict's weights.
    loss
        Defaults to ``CrossEntropyLoss(reduction="none")``; a given loss must use
        ``reduction="none"``.
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
        if getattr(loss, "reduction", "none") != "none":
            msg = (
                f"Task '{name}': the loss must have reduction='none' (got '{loss.reduction}'); halite "
                f"masks padding and applies weights itself. Set `reduction: none` in the loss init_args."
            )
            raise ValueError(msg)
        if label_map is not None and class_names is None:
            msg = f"Task '{name}': specify class_names when using label_map."
            raise ValueError(msg)
        if class_names is None:
            if label not in KNOWN_CLASS_NAMES:
                msg = (
                    f"Task '{name}': no class_names given and '{label}' is not a known label "
                    f"({sorted(KNOWN_CLASS_NAMES)}). Add class_names to the task."
                )
                raise ValueError(msg)
            class_names = KNOWN_CLASS_NAMES[label]
        if label_map is not None and sorted(set(label_map.values())) != list(range(len(class_names))):
            msg = (
                f"Task '{name}': label_map values {sorted(set(label_map.values()))} must be exactly the "
                f"class indices 0..{len(class_names) - 1} of class_names {class_names}."
            )
            raise ValueError(msg)
        self.label = label
        self.class_names = list(class_names)
        self.label_map = label_map
        self.sample_weight = sample_weight
        self.use_class_dict = use_class_dict
        self.register_buffer("class_weights", None)

    @property
    def output_size(self) -> int:
        return len(self.class_names)

    def set_class_weights(self, weights: list[float]) -> None:
        """Use ``weights`` (one per class, from the class dict) in the loss."""
        if len(weights) != self.output_size:
            msg = (
                f"Task '{self.name}': class dict has {len(weights)} weights for label '{self.label}' but "
                f"the task has {self.output_size} classes {self.class_names}. Re-run `halite prep`."
            )
            raise ValueError(msg)
        self.class_weights = torch.tensor(weights, dtype=torch.float32)

    def required_labels(self) -> list[LabelSpec]:
        specs = [LabelSpec(self.label, "class", self.label_map, self.output_size)]
        if self.sample_weight:
            specs.append(LabelSpec(self.sample_weight, "value"))
        return specs

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        target = labels[self.input_name][self.label]
        if pad_mask is not None:
            target = target.masked_fill(pad_mask, -1)
        valid = target >= 0
        safe_target = target.clamp(min=0)
        if isinstance(self.loss_fn, nn.CrossEntropyLoss):
            per = nn.functional.cross_entropy(
                output.reshape(-1, output.shape[-1]),
                safe_target.reshape(-1),
                reduction="none",
                label_smoothing=self.loss_fn.label_smoothing,
            ).view(target.shape)
        else:
            assert self.loss_fn is not None
            per = self.loss_fn(output.reshape(-1, output.shape[-1]), safe_target.reshape(-1)).view(
                target.shape
            )
        w = valid.to(per.dtype)
        if self.class_weights is not None:
            w = w * self.class_weights[safe_target]
        if self.sample_weight:
            sw = labels[self.input_name][self.sample_weight]
            w = w * (sw if sw.dim() == per.dim() else sw.unsqueeze(-1))
        # weighted mean over non-ignored entries (as CrossEntropyLoss(weight=...) does)
        return (per * w).sum() / w.sum().clamp(min=1e-12)

    def predictions(self, output: Tensor, model_name: str) -> dict[str, Tensor]:
        probs = torch.softmax(output.float(), dim=-1)
        return {f"{model_name}_p{short_class_name(c)}": probs[..., i] for i, c in enumerate(self.class_names)}


def resolve_class_weights(task: ClassificationTask, class_dict: Mapping) -> None:
    """Attach class-dict weights to ``task`` when it asks for them."""
    if not task.use_class_dict:
        return
    stream = class_dict.get(task.input_name, {})
    if task.label not in stream:
        msg = (
            f"Task '{task.name}' has use_class_dict=true but the class dict has no entry "
            f"'{task.input_name}.{task.label}'. Re-run `halite prep` with this label."
        )
        raise ValueError(msg)
    task.set_class_weights([float(w) for w in stream[task.label]])
