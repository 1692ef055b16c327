"""Load pretrained backbone weights from a local checkpoint, with a report of what was used."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from halite.errors import CheckpointError
from halite.nn.point.pet_checkpoint import is_omnilearned_layout, load_omnilearned, omnilearned_state_dict
from halite.training.checkpoint_io import safe_load

HEAD_PREFIXES = ("tasks.",)
#: fewer of the model's backbone tensors than this fraction loaded is an error (wrong checkpoint)
MIN_LOADED_FRACTION = 0.5


@dataclass
class LoadReport:
    """What ``load_backbone`` did with each checkpoint entry."""

    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # heads, or keys the model does not have
    mismatched: list[str] = field(default_factory=list)  # same key, different shape
    missing: list[str] = field(default_factory=list)  # model backbone keys absent from the checkpoint

    def summary(self) -> str:
        lines = [
            f"Pretrained weights: {len(self.loaded)} tensors loaded, {len(self.skipped)} skipped, "
            f"{len(self.mismatched)} shape-mismatched, {len(self.missing)} left at their initial values."
        ]
        for name, keys in (("mismatched", self.mismatched), ("missing", self.missing)):
            if keys:
                lines.append(f"  {name}: {', '.join(keys[:8])}{' ...' if len(keys) > 8 else ''}")
        return "\n".join(lines)


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Model weights of a halite checkpoint (``model.`` prefix removed), loaded safely.

    An OmniLearned checkpoint (``best_model_*.pt``: ``body``, ``classifier_head``) gives its PET2
    weights under ``backbone.`` (``backbone.body.*``, ``backbone.classifier.*``), the keys of a
    ``PointCloudModel`` with a PET2 backbone.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"Pretrained checkpoint not found: {p}. Pass a local .ckpt file (nothing is downloaded)."
        raise FileNotFoundError(msg)
    ckpt = safe_load(p, lightning=False)
    if is_omnilearned_layout(ckpt):
        return {f"backbone.{k}": v for k, v in omnilearned_state_dict(ckpt, where=str(p)).items()}
    weights = ckpt.get("state_dict", ckpt)
    return {k[len("model.") :] if k.startswith("model.") else k: v for k, v in weights.items()}


def load_omnilearned_file(
    model: nn.Module, path: str | Path, ema: bool = False, fine_tune: bool = False
) -> nn.Module:
    """Load an OmniLearned checkpoint file into a PET2 strictly (``halite.nn.point.pet_checkpoint.load_omnilearned``).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the missing and
    unexpected keys and the shape mismatches.
    """
    p = Path(path)
    if not p.is_file():
        msg = f"OmniLearned checkpoint not found: {p}."
        raise FileNotFoundError(msg)
    return load_omnilearned(model, safe_load(p, lightning=False), ema, fine_tune, str(p))


def load_backbone(
    model: nn.Module, path: str | Path, include_heads: bool = False, min_fraction: float = MIN_LOADED_FRACTION
) -> LoadReport:
    """Copy matching backbone tensors of the checkpoint at ``path`` into ``model``.

    Keys are matched by name and shape; task heads (``tasks.*``) are replaced for the
    new task unless ``include_heads``. A halite checkpoint (``halite fit``, ``halite pretrain``'s
    ``backbone.ckpt``) and an OmniLearned file (``best_model_*.pt``, its keys mapped to
    ``backbone.body.*`` / ``backbone.classifier.*``) are read.

    Raises
    ------
    CheckpointError
        When no tensor, or fewer than ``min_fraction`` of the model's backbone tensors, load: the
        message names the file and examples of the mismatched, unmatched and missing keys.
    """
    weights = read_state_dict(path)
    own = model.state_dict()
    report = LoadReport()
    usable = {}
    for key, value in weights.items():
        if (not include_heads and key.startswith(HEAD_PREFIXES)) or key not in own:
            report.skipped.append(key)
        elif own[key].shape != value.shape:
            report.mismatched.append(f"{key} {tuple(value.shape)}->{tuple(own[key].shape)}")
        else:
            usable[key] = value
            report.loaded.append(key)
    report.missing = [k for k in own if k not in usable and not k.startswith(HEAD_PREFIXES)]
    wanted = [k for k in own if include_heads or not k.startswith(HEAD_PREFIXES)]
    if wanted and (not usable or len(usable) < min_fraction * len(wanted)):
        raise CheckpointError(_too_few(path, report, len(wanted)))
    model.load_state_dict(usable, strict=False)
    return report


def _too_few(path: str | Path, report: LoadReport, wanted: int) -> str:
    def some(keys: list[str]) -> str:
        return (
            ", ".join(keys[:3]) + (f" ... ({len(keys)} in all)" if len(keys) > 3 else "") if keys else "none"
        )

    unmatched = [k for k in report.skipped if not k.startswith(HEAD_PREFIXES)]
    return (
        f"Pretrained checkpoint {path}: only {len(report.loaded)} of the model's {wanted} backbone tensors "
        f"load (by name and shape), so it is not a checkpoint of this backbone. Shape-mismatched: "
        f"{some(report.mismatched)}; checkpoint keys the model lacks: {some(unmatched)}; model keys "
        f"missing from it: {some(report.missing)}. Pretrain the same backbone (preset, sizes, inputs) with "
        "halite pretrain, or pass the matching checkpoint."
    )


def backbone_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Named parameters outside the task heads."""
    return [(n, p) for n, p in model.named_parameters() if not n.startswith(HEAD_PREFIXES)]
