"""Endcaps: a fixed function applied to a trained model's outputs (lumin's ``AbsEndcap``)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.typing import Masks, Tensors


class AbsEndcap(nn.Module):
    """Wrap a trained halite model and apply ``func`` to its outputs.

    Subclasses implement ``func``; the model's parameters are not trained further.

    Parameters
    ----------
    model
        A halite model: ``model(inputs, pad_masks) -> (outputs, losses)``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def func(self, outputs: dict[str, Tensor]) -> Tensor:
        """Map the model's task outputs to the endcap's output."""
        raise NotImplementedError

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """``func`` of the model outputs for raw ``inputs``."""
        outputs, _ = self.model(inputs, pad_masks)
        return self.func(outputs)

    @torch.no_grad()
    def predict(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Evaluation-mode output without gradients."""
        was_training = self.training
        self.eval()
        try:
            return self.forward(inputs, pad_masks)
        finally:
            self.train(was_training)


class BTagDiscriminantEndcap(AbsEndcap):
    """``D_b = log(p_b / (f_c p_c + (1 - f_c) p_u))`` from a b/c/light classification task.

    Parameters
    ----------
    model
        The trained model.
    task
        Name of the flavour task with logits ordered b, c, light.
    fc
        Charm fraction in the denominator.
    """

    def __init__(self, model: nn.Module, task: str = "jets_classification", fc: float = 0.2) -> None:
        super().__init__(model)
        self.task, self.fc = task, fc

    def func(self, outputs: dict[str, Tensor]) -> Tensor:
        if self.task not in outputs:
            msg = f"BTagDiscriminantEndcap: the model has no task '{self.task}' (has {sorted(outputs)})."
            raise ValueError(msg)
        p = torch.softmax(outputs[self.task].float(), dim=-1)
        eps = 1e-10
        return torch.log((p[..., 0] + eps) / (self.fc * p[..., 1] + (1 - self.fc) * p[..., 2] + eps))
