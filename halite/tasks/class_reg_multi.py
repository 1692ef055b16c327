"""A task whose output stage is lumin's ``ClassRegMulti`` tail (``halite.nn.lumin``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from halite.data.specs import KNOWN_CLASS_NAMES, LabelSpec
from halite.nn.layers.dense import Dense, DenseConfig
from halite.nn.lumin.endcap import AbsEndcap
from halite.nn.lumin.tail import ClassRegMulti
from halite.tasks.base import TaskBase
from halite.tasks.classification import short_class_name
from halite.typing import Labels

Objective = Literal["classification", "multiclass", "regression"]
OBJECTIVES = ("classification", "multiclass", "regression")


class ClassRegMultiTask(TaskBase):
    """Classification, multi-class classification or regression through lumin's ``ClassRegMulti`` tail.

    The head is ``dense_config.hidden_layers`` (with its activation after every layer,
    may be empty) followed by ``ClassRegMulti`` (``halite.nn.lumin``), built when the model
    gives the task its input width. Losses match the tail's output: binary cross-entropy on
    sigmoid outputs, negative log-likelihood on log-softmax outputs, mean squared error for
    regression. Labels equal to ``-1`` (classes) or NaN (regression targets) are ignored.

    Several outputs (``n_out``): ``regression`` with a list of target fields is a
    multi-target regression (one linear or ``y_range`` output per field); ``classification``
    with a list of 0/1 label fields is a multi-label classification (a sigmoid per label).
    ``multiclass`` has one output per class.

    Parameters
    ----------
    label
        Label field (class index, 0/1 label, or regression target) in the ``input_name`` stream,
        or a list of fields (``classification`` and ``regression``).
    objective
        ``classification`` (0/1 labels, a sigmoid output each), ``multiclass`` or ``regression``.
    class_names
        Class names for ``multiclass`` (default: the known names of ``label``, or ``class0``,
        ``class1``, ... with ``n_out``).
    n_out
        Number of outputs; defaults to the number of ``label`` fields (or classes) and, when
        given, must agree with them.
    y_range
        ``(min, max)`` of bounded regression targets, or one ``(min, max)`` per target.
    y_mean, y_std, bias_init
        Output rescaling and bias of the tail (one value, or one per target; see ``ClassRegMulti``).
    sample_weight
        Name of a per-sample weight field.
    use_class_dict
        ``multiclass`` only: weight classes with the class dict's weights.
    endcap
        A lumin ``AbsEndcap`` (given without its ``model``, e.g. ``BTagDiscriminantEndcap``) applied to this
        task's output; its values are one more prediction column, ``<model>_<endcap_name>``, also in
        exported graphs.
    endcap_name
        Name of the endcap's column.
    """

    endcap: AbsEndcap | None

    def __init__(
        self,
        name: str,
        input_name: str,
        label: str | list[str],
        objective: Objective = "multiclass",
        class_names: list[str] | None = None,
        y_range: tuple[float, float] | list[tuple[float, float]] | None = None,
        y_mean: float | list[float] | None = None,
        y_std: float | list[float] | None = None,
        bias_init: float | None = None,
        sample_weight: str | None = None,
        use_class_dict: bool = False,
        dense_config: DenseConfig | None = None,
        weight: float = 1.0,
        n_out: int | None = None,
        endcap: Callable[[nn.Module], AbsEndcap] | None = None,
        endcap_name: str = "endcap",
    ) -> None:
        super().__init__(name, input_name, dense_config, None, weight)
        if objective not in OBJECTIVES:
            msg = f"Task '{name}': objective '{objective}' unknown; use one of {list(OBJECTIVES)}."
            raise ValueError(msg)
        labels = [label] if isinstance(label, str) else list(label)
        if not labels or (objective == "multiclass" and len(labels) != 1):
            msg = (
                f"Task '{name}': label={label!r}; multiclass reads one class-index field, classification and "
                "regression one field or a list of fields (one per output)."
            )
            raise ValueError(msg)
        if objective == "multiclass" and class_names is None:
            if labels[0] in KNOWN_CLASS_NAMES:
                class_names = KNOWN_CLASS_NAMES[labels[0]]
            elif n_out is not None:
                class_names = [f"class{i}" for i in range(n_out)]
            else:
                msg = f"Task '{name}': multiclass needs class_names or n_out ('{labels[0]}' is not a known label)."
                raise ValueError(msg)
        if use_class_dict and objective != "multiclass":
            msg = f"Task '{name}': use_class_dict is only supported for objective 'multiclass'."
            raise ValueError(msg)
        if self.dense_config.output_size is not None:
            msg = (
                f"Task '{name}': leave dense_config.output_size out; the ClassRegMulti tail sets the outputs."
            )
            raise ValueError(msg)
        self.label = labels[0] if len(labels) == 1 else labels
        self.labels, self.objective = labels, objective
        self.class_names = list(class_names) if class_names else []
        self.sample_weight, self.use_class_dict = sample_weight, use_class_dict
        implied = len(self.class_names) if objective == "multiclass" else len(labels)
        if n_out is not None and n_out != implied:
            what = (
                f"{len(self.class_names)} classes"
                if objective == "multiclass"
                else f"{len(labels)} label fields"
            )
            msg = f"Task '{name}': n_out={n_out} but the task has {what}; drop n_out or set it to {implied}."
            raise ValueError(msg)
        if objective == "multiclass" and implied < 2:
            msg = f"Task '{name}': multiclass needs at least 2 classes, got {self.class_names}; use classification."
            raise ValueError(msg)
        if objective != "regression" and (y_range is not None or y_mean is not None or y_std is not None):
            msg = f"Task '{name}': y_range / y_mean / y_std only apply to regression, not '{objective}'."
            raise ValueError(msg)
        if y_range is not None:
            rows = np.asarray(y_range, dtype=np.float64).reshape(-1, 2)
            if not (rows[:, 0] < rows[:, 1]).all():
                msg = f"Task '{name}': y_range must be (min, max) with min < max (per target), got {y_range}."
                raise ValueError(msg)
        self.n_out = implied
        self.tail_kwargs: dict[str, Any] = {
            "y_range": y_range,
            "bias_init": bias_init,
            "y_mean": y_mean,
            "y_std": y_std,
        }
        self.tail: ClassRegMulti | None = None
        self.register_buffer("class_weights", None)
        self.register_load_state_dict_pre_hook(_drop_legacy_tail_buffers)
        self.endcap_name = endcap_name
        # the endcap holds the task as its `model`: kept outside the module tree (no cycle, no state-dict keys)
        object.__setattr__(self, "endcap", endcap(self) if endcap is not None else None)

    @property
    def output_size(self) -> int:
        return self.n_out

    def _make_tail(self, n_in: int) -> ClassRegMulti:
        return ClassRegMulti(n_in, self.n_out, self.objective, **self.tail_kwargs)

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
            self.tail = self._make_tail(hidden[-1])
        else:
            self.net = None
            self.context_size = context_size
            self.tail = self._make_tail(input_size + context_size)

    def forward(self, x: Tensor, context: Tensor | None = None, pad_mask: Tensor | None = None) -> Tensor:
        if self.tail is None:
            msg = f"Task '{self.name}' was used before the model built it."
            raise RuntimeError(msg)
        if self.net is not None:
            x = self.net(x, context)
        elif getattr(self, "context_size", 0):
            assert context is not None
            if context.dim() < x.dim():
                context = context.unsqueeze(1).expand(*x.shape[:-1], context.shape[-1])
            x = torch.cat([x, context], dim=-1)
        lead = x.shape[:-1]
        return self.tail(x.reshape(-1, x.shape[-1])).reshape(*lead, self.n_out)  # type: ignore[no-any-return]

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
            specs = [LabelSpec(label, "value") for label in self.labels]
        elif self.objective == "multiclass":
            specs = [LabelSpec(self.labels[0], "class", None, self.output_size)]
        else:
            specs = [LabelSpec(label, "class", None, 2) for label in self.labels]
        if self.sample_weight:
            specs.append(LabelSpec(self.sample_weight, "value"))
        return specs

    def loss(self, output: Tensor, labels: Labels, pad_mask: Tensor | None) -> Tensor:
        stream = labels[self.input_name]
        if self.objective == "multiclass":
            target = stream[self.labels[0]]
            valid = target >= 0
            per = nn.functional.nll_loss(
                output.reshape(-1, output.shape[-1]), target.clamp(min=0).reshape(-1), reduction="none"
            ).view(target.shape)
            if pad_mask is not None:
                valid = valid & ~pad_mask
            w = valid.to(per.dtype)
            if self.class_weights is not None:
                w = w * self.class_weights[target.clamp(min=0)]
            if self.sample_weight:
                w = w * stream[self.sample_weight]
            return (per * w).sum() / w.sum().clamp(min=1e-12)
        targets = torch.stack([stream[label] for label in self.labels], dim=-1)  # (..., n_out)
        if self.objective == "regression":
            valid = torch.isfinite(targets)
            safe = torch.where(valid, targets, torch.zeros_like(targets)).to(output.dtype)
            per = (output - safe) ** 2
        else:
            valid = targets >= 0
            per = nn.functional.binary_cross_entropy(
                output.clamp(1e-7, 1 - 1e-7), targets.clamp(min=0).to(output.dtype), reduction="none"
            )
        if pad_mask is not None:
            valid = valid & ~pad_mask.unsqueeze(-1)
        w = valid.to(per.dtype)
        if self.sample_weight:
            w = w * stream[self.sample_weight].unsqueeze(-1)
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
        if self.endcap is not None:
            *cols, end_col = cols
        probs = out.exp() if self.objective == "multiclass" else out
        preds = {c: probs[..., i] for i, c in enumerate(cols)}
        if self.endcap is not None:
            preds[end_col] = self.endcap(out).float()
        return preds

    def output_columns(self, model_name: str) -> list[str]:
        end = [f"{model_name}_{self.endcap_name}"] if self.endcap is not None else []
        return self._tail_columns(model_name) + end

    def _tail_columns(self, model_name: str) -> list[str]:
        if self.objective == "multiclass":
            return [f"{model_name}_p{short_class_name(c)}" for c in self.class_names]
        if self.objective == "classification":
            if self.n_out == 1:
                return [f"{model_name}_{self.name}"]
            return [f"{model_name}_{self.name}_{label}" for label in self.labels]
        return [f"{model_name}_{label}" for label in self.labels]


def _drop_legacy_tail_buffers(module: nn.Module, state_dict: dict[str, Any], prefix: str, *_: Any) -> None:
    """Checkpoints of the old tail (before lumin 0.9.1's ``ClassRegMulti``) hold ``y_mean``/``y_std`` buffers; the
    rescaling now comes from the task's arguments, so they are dropped on load."""
    for name in ("y_mean", "y_std"):
        state_dict.pop(f"{prefix}tail.{name}", None)
