"""Endcaps: a fixed function of a trained model's outputs (lumin 0.9.1's ``lumin.nn.models.blocks.endcap``)."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from halite.typing import Masks

__all__ = ["AbsEndcap", "BTagDiscriminantEndcap"]

ModelOutput = Tensor | Mapping[str, Tensor]


class AbsEndcap(nn.Module, metaclass=ABCMeta):
    """Wrap a trained model; ``func`` maps its outputs to the endcap's output.

    As in lumin, ``forward`` takes the model OUTPUTS (it does not call the model) and ``predict`` runs the
    model on inputs and applies ``func``.

    Parameters
    ----------
    model
        The trained model: a lumin-style model with ``predict(inputs, as_np=False)``, or a halite model
        ``model(inputs, pad_masks) -> (outputs, losses)``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    @abstractmethod
    def func(self, x: Any) -> Tensor:
        """The function of the model outputs ``x``."""

    def forward(self, x: Any) -> Tensor:
        """``func(x)`` for model outputs ``x``."""
        return self.func(x)

    def predict(self, inputs: Any, as_np: bool = True, pad_masks: Masks | None = None) -> np.ndarray | Tensor:
        """``func`` of the model's predictions for ``inputs``, as a numpy array (default) or tensor.

        Parameters
        ----------
        inputs
            What the model's ``predict`` takes; for a halite model a dict stream -> tensor (or array).
        as_np
            Return a numpy array (else a tensor).
        pad_masks
            Pad masks of a halite model's constituent streams (not used with a ``predict`` model).
        """
        predict = getattr(self.model, "predict", None)
        if callable(predict):
            x = predict(inputs, as_np=False)
        else:
            x = self._halite_outputs(inputs, pad_masks or {})
        with torch.no_grad():
            out = self.func(x)
        return out.detach().cpu().numpy() if as_np else out

    @torch.no_grad()
    def _halite_outputs(self, inputs: Any, pad_masks: Masks) -> Any:
        if isinstance(inputs, Mapping):
            inputs = {k: torch.as_tensor(v) for k, v in inputs.items()}
        was_training = self.model.training
        self.model.eval()
        try:
            outputs, _ = self.model(inputs, pad_masks)
        finally:
            self.model.train(was_training)
        return outputs


class BTagDiscriminantEndcap(AbsEndcap):
    """``D_b = log(p_b / (fc p_c + (1 - fc) p_u))`` from a b / c / light classifier: ``(B, 3) -> (B,)``.

    The class scores (logits or log-probabilities, ordered b, c, light) are the model output itself or, for
    a halite model's dict of task outputs, the output of ``task``.

    Parameters
    ----------
    model
        The trained model.
    task
        Task whose outputs are the flavour scores (dict outputs only).
    fc
        Charm fraction in the denominator.
    """

    def __init__(self, model: nn.Module, task: str = "jets_classification", fc: float = 0.2) -> None:
        super().__init__(model)
        self.task, self.fc = task, fc

    def func(self, x: ModelOutput) -> Tensor:
        """``(B, 3)`` scores (or a dict holding them under ``task``) -> ``(B,)`` discriminant."""
        if isinstance(x, Mapping):
            if self.task not in x:
                msg = f"BTagDiscriminantEndcap: the model has no task '{self.task}' (has {sorted(x)}); set task."
                raise ValueError(msg)
            x = x[self.task]
        p = torch.softmax(x.float(), dim=-1)
        eps = 1e-10
        return torch.log((p[..., 0] + eps) / (self.fc * p[..., 1] + (1 - self.fc) * p[..., 2] + eps))
