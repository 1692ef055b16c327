"""OmniLearned checkpoints (``best_model_*.pt``, as loaded) into halite's PET2, strictly.

OmniLearned's trainer (``omnilearned.utils.save_checkpoint``) saves a dict with the body's state
dict under ``body`` (and ``ema_body``), the classifier head's under ``classifier_head``, the
generator head's under ``generator_head``, plus optimizer, scheduler, epoch and loss. A whole
``PET2.state_dict()`` (keys ``body.*``, ``classifier.*``) is read too, bare or under ``model``, with
the ``module.`` prefix of DistributedDataParallel removed. Files are read by
``halite.training.checkpoint_io.read_omnilearned`` (``weights_only``, allow-listed), or
``halite.training.pretrained.load_omnilearned_file``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

log = logging.getLogger(__name__)

#: keys of OmniLearned's generator / pretrain modes that a classifier does not have: its
#: diffusion-time embedding in the body, and the output layer that fine-tuning replaces
FINE_TUNE_DROPPED = ("body.time_embed.", "body.MPFourier.", "classifier.out.")


def is_omnilearned_layout(obj: Any) -> bool:
    """Whether a loaded checkpoint has OmniLearned's trainer layout (a ``body`` state dict)."""
    return isinstance(obj, Mapping) and isinstance(obj.get("body"), Mapping)


def omnilearned_state_dict(
    obj: Mapping[str, Any], ema: bool = False, where: str = "the checkpoint"
) -> dict[str, Tensor]:
    """The flat ``PET2`` state dict (``body.*``, ``classifier.*``) of a loaded OmniLearned checkpoint.

    Parameters
    ----------
    obj
        What ``torch.load`` gave: the trainer's dict, or a state dict (bare or under ``model``).
    ema
        Take the body's exponential moving average (``ema_body``) instead of ``body``.
    where
        The file, for messages.
    """
    if not isinstance(obj, Mapping):
        msg = f"{where} holds a {type(obj).__name__}, not an OmniLearned checkpoint dict."
        raise ValueError(msg)
    if isinstance(obj.get("model"), Mapping):
        obj = obj["model"]
    if "body" in obj and isinstance(obj["body"], Mapping):  # the trainer's layout
        body_key = "ema_body" if ema else "body"
        if body_key not in obj:
            msg = f"{where} has no '{body_key}' (it has {sorted(obj)})."
            raise ValueError(msg)
        state = {f"body.{k}": v for k, v in obj[body_key].items()}
        state.update({f"classifier.{k}": v for k, v in obj.get("classifier_head", {}).items()})
        unused = sorted(set(obj) - {body_key, "classifier_head"})
        log.info("%s: read %s and classifier_head; not read: %s", where, body_key, unused)
        return state
    state = {}
    for key, value in obj.items():
        while key.startswith("module."):
            key = key[len("module.") :]
        state[key] = value
    if not all(isinstance(v, Tensor) for v in state.values()):
        msg = f"{where} is neither OmniLearned's checkpoint layout (body, classifier_head) nor a state dict."
        raise ValueError(msg)
    return state


def load_omnilearned(
    model: nn.Module,
    source: Mapping[str, Any],
    ema: bool = False,
    fine_tune: bool = False,
    where: str = "the checkpoint",
) -> nn.Module:
    """Load an OmniLearned checkpoint into ``model`` (a ``PET2``) strictly; return ``model``.

    Parameters
    ----------
    model
        The PET2 whose sizes and options match the checkpoint's.
    source
        The loaded checkpoint or state dict (see ``omnilearned_state_dict``).
    ema
        Load the body's moving average.
    where
        The file, for messages.
    fine_tune
        As OmniLearned's fine-tuning: drop the output layer (``classifier.out``) and a pretrain-mode
        body's time embedding; ``model`` keeps its own output layer. Every other key must match.

    Raises
    ------
    ValueError
        Naming the missing and unexpected keys and the shape mismatches, if there are any.
    """
    state = omnilearned_state_dict(source, ema, where)
    if fine_tune:
        dropped = [k for k in state if k.startswith(FINE_TUNE_DROPPED)]
        state = {k: v for k, v in state.items() if k not in dropped}
        log.info("fine-tuning: not loaded %s", dropped)
    own = model.state_dict()
    allowed_missing = {k for k in own if fine_tune and k.startswith("classifier.out.")}
    missing = sorted(set(own) - set(state) - allowed_missing)
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:

        def listed(items: list[str]) -> str:
            return ", ".join(items[:12]) + (f" ... ({len(items)} in all)" if len(items) > 12 else "")

        parts = [f"missing keys: {listed(missing)}" if missing else "",
                 f"unexpected keys: {listed(unexpected)}" if unexpected else "",
                 f"shape mismatches: {listed(shapes)}" if shapes else ""]  # fmt: skip
        msg = (
            f"{where} does not fit this PET2 ({'; '.join(p for p in parts if p)}). Build PET2 with the "
            "checkpoint's preset and options (input_dim, conditional, pid, use_int, local_int, ...)."
        )
        raise ValueError(msg)
    model.load_state_dict(state, strict=not allowed_missing)
    return model
