"""A task whose output stage is lumin's ``ClassRegMulti`` tail."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.data.specs import KNOWN_CLASS_NAMES, LabelSpec
from halite.nn.layers.dense import Dense, DenseConfig
from halite.nn.lumin_legacy.tail import ClassRegMulti, Objective
from halite.tasks.base import TaskBase
from halite.tasks.classification import short_class_name
from halite.typing import Labels


class ClassRegMultiTask(TaskBase):
    """Classification, multi-class classification or regression through a ``ClassRegMulti`` tail.

    The head is ``dense_config.hidden_layers`` (with its activation after every layer,
    may be empty) followed by ``ClassRegMulti``. Losses match the tail's output:
    binary cross-entropy on sigmoid outputs, negative log-likelihood on log-softmax
    outputs, mean squared error for regression. Labels equal to ``-1`` (classes) or
    NaN (regression targets) are ignored.

    Parameters
    ----------
    label
        Label field (class index, or regression target) in the ``input_name`` stream.
    objective
        ``classification`` (0/1 label, one sigmoid output), ``multiclass`` or ``regression``.
    class_names
        Class names for ``multiclass`` (default: the known names of ``label``).
    y_range, y_mean, y_std, bias_init
        Output rescaling and bias of the tail (see ``ClassRegMulti``).
    sample_weight
        Name of a per-sample weight field.
    use_class_dict
        ``multiclass`` only: weight classes with the class dict's weights.
    """

    def __init__(
        self,
        name: str,
        input_name: str,
        label: str,
        objective: Objective = "multiclass",
        class_names: list[str] | None = None,
        y_range: tuple[float, float] | None = None,
        y_mean: float | None = None,
        y_std: float | None = None,
        bias_init: float | None = None,
        sample_weight: str | None = None,
        use_class_dict: bool = False,
        dense_config: DenseConfig | None = None,
        weight: float = 1.0,
    ) -> None:
        super().__init__(name, input_name, dense_config, None, weight)
        if objective == "multiclass" and class_names is None:
            if label not in KNOWN_CLASS_NAMES:
                msg = f"Task '{name}': multiclass needs class_names ('{label}' is not a known label)."
                raise ValueError(msg)
            class_names = KNOWN_CLASS_NAMES[label]
        if use_class_dict and objective != "multiclass":
            msg = f"Task '{name}': use_class_dict is only supported for objective 'multiclass'."
            raise ValueError(msg)
        if self.dense_config.output_size is not None:
            msg = (
                f"Task '{name}': leave dense_config.output_size out; the ClassRegMulti tail sets the outputs."
            )
            raise ValueError(msg)
        self.label, self.objective = label, objective
        self.class_names = list(class_names) if class_names else []
        self.sample_weight, self.use_class_dict = sample_weight, use_class_dict
        n_out = len(self.class_names) if objective == "multiclass" else 1
        self.tail = ClassRegMulti(n_out, None, objective, y_range, bias_init, y_mean, y_std)
        self.register_buffer("class_weights", None)

    @property
    def output_size(self) -> int:
        return self.tail.n_out

    def build(self, input_size: int, context_size: int = 0) -> None:
        hidden = list(self.dense_config.hidden_layers)
        if hidden:
            self.net = Dense(
                input_size,
                hidden[-1],
                hidden[:-1],
                self.dense_config.activation,
                final_activation=self.dense_config.activation,
                dropout=self.dense_config.dropout,
                norm_layer=self.dense_config.norm_layer,
                context_size=context_size,
            )
            self.tail.build(hidden[-1])
        else:
            self.net = None
            self.context_size = context_size
            self.tail.build(input_size + context_size)

    def forward(self, x: Tensor, context: Tensor | None = None, pad_mask: Tensor | None = None) -> Tensor:
        if not self.tail.built:
            msg = f"Task '{self.name}' was used before the model built it."
            raise RuntimeError(msg)
        if self.net is not None:
            x = self.net(x, context)
        elif getattr(self, "context_size", 0):
            assert context is not None
            if context.dim() < x.dim():
                context = context.unsqueeze(1).expand(*x.shape[:-1], context.shape[-1])
            x = torch.cat([x, context], dim=-1)
        return self.tail(x)  # type: ignore[no-any-return]

    def set_class_weights(self, weights: list[float]) -> None:
        """Class-dict weights (one per class)."""
        if len(weights) != self.output_size:
            msg = (
                f"Task '{self.name}': class dict has {len(weights)} weights for '{self.label}' but the "
                f"task has {self.output_size} classes. Re-run `halite prep`."
            )
            raise ValueError(msg)
        self.class_weights = torch.tensor(weights, dtype=torch.float32)

    def required_labels(self) -> list[LabelSpec]:
        if self.objective == "regression":
            specs = [LabelSpec(self.label, "value")]
        else:
            n = self.output_size if self.objective == "multiclass" else 2
            specs = [LabelSpec(self.label, "class", None, n)]
        if self.sample_weight:
            specs.append(LabelSpec(self.sample_weight, "value"))
        return specs

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        target = labels[self.input_name][self.label]
        if self.objective == "regression":
            valid = torch.isfinite(target)
            safe = torch.where(valid, target, torch.zeros_like(target)).to(output.dtype)
            per = (output[..., 0] - safe) ** 2
        else:
            valid = target >= 0
            safe_t = target.clamp(min=0)
            if self.objective == "multiclass":
                per = nn.functional.nll_loss(
                    output.reshape(-1, output.shape[-1]), safe_t.reshape(-1), reduction="none"
                )
                per = per.view(target.shape)
            else:
                per = nn.functional.binary_cross_entropy(
                    output[..., 0].clamp(1e-7, 1 - 1e-7), safe_t.to(output.dtype), reduction="none"
                )
        if pad_mask is not None:
            valid = valid & ~pad_mask
        w = valid.to(per.dtype)
        if self.class_weights is not None:
            w = w * self.class_weights[target.clamp(min=0)]
        if self.sample_weight:
            w = w * labels[self.input_name][self.sample_weight]
        return (per * w).sum() / w.sum().clamp(min=1e-12)

    def predictions(
        self,
        output: Tensor,
        model_name: str,
        labels: Labels | None = None,
        pad_mask: Tensor | None = None,
    ) -> dict[str, Tensor]:
        out = output.float()
        cols = self.output_columns(model_name)
        if self.objective == "multiclass":
            probs = out.exp()
            return {c: probs[..., i] for i, c in enumerate(cols)}
        return {cols[0]: out[..., 0]}

    def output_columns(self, model_name: str) -> list[str]:
        if self.objective == "multiclass":
            return [f"{model_name}_p{short_class_name(c)}" for c in self.class_names]
        if self.objective == "classification":
            return [f"{model_name}_{self.name}"]
        return [f"{model_name}_{self.label}"]
