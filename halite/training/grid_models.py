"""The grid's model ids (the seed's OLS, OLS_RW, OLM ...), its flags, and its pretrained backbones.

Ids (the seed's ``src/jobs/submit_train_jobs.py``): ``OLS`` is PET2 small fine-tuned from the
``pretrain_s`` backbone, ``OLS_RW`` PET2 small from random weights, ``OLM`` PET2 medium from
``pretrain_m`` (and, by the same pattern, ``OLM_RW``, ``OLL`` from ``pretrain_l``, ``OLL_RW``); ``vit``,
``part`` and ``cond-only`` are the other backbones. The former ids stay as aliases (:data:`ALIASES`).

The seed's ``train.py`` flags define one more entry each (:func:`entries_from_flags`):
``--use-omnilearned P`` is PET2 preset P from random weights (``OLS_RW`` for small);
``--use-omnilearned P --use-pretrained NAME|PATH`` (or ``--use-pretrained`` alone, the preset
from the name: ``pretrain_s`` small, ``pretrain_m`` medium, ``pretrain_l`` large, else small) is the
pretrained entry of P (``OLS``) with that backbone; ``--cond_only`` is ``cond-only``.

A backbone name resolves to ``<pretrained-dir>/<name>/backbone.ckpt`` (written by ``halite pretrain``);
a path is used as it is (a halite ``.ckpt`` or an OmniLearned ``best_model_*.pt``).
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from halite.errors import ConfigError
from halite.io import atomic_path


@dataclass(frozen=True)
class ModelSpec:
    """A grid entry: its config and the backbone it fine-tunes from (``None``: random weights)."""

    config: str
    pretrained: str | None = None


PRESET_NAMES = {"small": "pretrain_s", "medium": "pretrain_m", "large": "pretrain_l"}
PRESET_IDS = {"small": "OLS", "medium": "OLM", "large": "OLL"}
MODELS: dict[str, ModelSpec] = {
    "OLS": ModelSpec("pet2_small.yaml", "pretrain_s"),
    "OLS_RW": ModelSpec("pet2_small.yaml"),
    "OLM": ModelSpec("pet2_medium.yaml", "pretrain_m"),
    "OLM_RW": ModelSpec("pet2_medium.yaml"),
    "OLL": ModelSpec("pet2_large.yaml", "pretrain_l"),
    "OLL_RW": ModelSpec("pet2_large.yaml"),
    "vit": ModelSpec("vit.yaml"),
    "part": ModelSpec("part.yaml"),
    "cond-only": ModelSpec("cond_only.yaml"),
}
#: former ids -> the seed's (pet2-small was fine-tuned from a backbone, pet2-medium/-large were not)
ALIASES = {
    "pet2-small": "OLS",
    "pet2-small-scratch": "OLS_RW",
    "pet2-medium": "OLM_RW",
    "pet2-large": "OLL_RW",
}
DEFAULT_MODELS = "vit,OLS,OLS_RW,OLM,part,cond-only"


def canonical(model_id: str) -> str:
    """The seed's id of ``model_id`` (aliases resolved); ConfigError for an unknown one."""
    mid = ALIASES.get(model_id, model_id)
    if mid not in MODELS:
        msg = f"Unknown model '{model_id}' in --models; choose from {sorted(MODELS)} (aliases {sorted(ALIASES)})."
        raise ConfigError(msg)
    return mid


def preset_of(pretrained: str) -> str:
    """The PET2 preset a backbone name implies (``pretrain_m`` -> medium; small otherwise)."""
    for preset, name in PRESET_NAMES.items():
        if Path(pretrained).name == name or Path(pretrained).parent.name == name:
            return preset
    return "small"


def entries_from_flags(
    use_omnilearned: str | None, use_pretrained: str | None, cond_only: bool
) -> tuple[list[str], dict[str, str]]:
    """The grid entries the seed's flags define, and the backbone of the pretrained one.

    Returns
    -------
    tuple[list[str], dict[str, str]]
        Model ids, and id -> backbone name or path (only where ``--use-pretrained`` gave one).
    """
    ids: list[str] = []
    backbones: dict[str, str] = {}
    if use_omnilearned is not None or use_pretrained is not None:
        preset = use_omnilearned or preset_of(str(use_pretrained))
        if preset not in PRESET_IDS:
            msg = f"--use-omnilearned '{preset}' is not a PET2 preset; choose from {sorted(PRESET_IDS)}."
            raise ConfigError(msg)
        if use_pretrained is None:
            ids.append(f"{PRESET_IDS[preset]}_RW")
        else:
            ids.append(PRESET_IDS[preset])
            backbones[PRESET_IDS[preset]] = use_pretrained
    if cond_only:
        ids.append("cond-only")
    return ids, backbones


def resolve_backbone(source: str, pretrained_dir: Path) -> tuple[Path, str | None]:
    """``(checkpoint path, name)`` of a backbone given as a name (``pretrain_s``) or a path (name None)."""
    p = Path(source)
    if p.suffix in (".ckpt", ".pt", ".pth") or p.is_file() or len(p.parts) > 1:
        if not p.is_file():
            msg = f"--use-pretrained {source}: no such checkpoint file (a halite .ckpt or an OmniLearned best_model_*.pt)."
            raise ConfigError(msg)
        return p.resolve(), None
    return (pretrained_dir / source / "backbone.ckpt").resolve(), source


def pretrain_command(name: str, preset: str, out: Path, data_dir: Path, epochs: int, num_train: int,
                     extra: str = "") -> list[str]:  # fmt: skip
    """The ``halite pretrain`` command that makes backbone ``name`` in ``out``."""
    return [sys.executable, "-m", "halite", "pretrain", "--preset", preset, "--out", str(out),
            "--data-dir", str(data_dir), "--epochs", str(epochs), "--num-train", str(num_train),
            "--num-val", str(max(1, num_train // 10)), *shlex.split(extra)]  # fmt: skip


def on_gpu(command: list[str]) -> list[str]:
    """``command`` with ``--accelerator gpu`` unless it sets an accelerator (the templates say cpu)."""
    return command if "--accelerator" in command else [*command, "--accelerator", "gpu"]


PRETRAIN_SLURM = """#!/bin/bash
#SBATCH --job-name=halite-{name}
#SBATCH --nodes=1
#SBATCH --gpus-per-node=1
#SBATCH --time={hours}:00:00
#SBATCH --output={out}/slurm-%j.out
set -euo pipefail
cd {root}
srun {command}
"""


def write_pretrain_job(path: Path, name: str, command: list[str], root: Path, hours: int = 24) -> Path:
    """A SLURM script running ``halite pretrain`` (``command``) for backbone ``name``."""
    out = Path(command[command.index("--out") + 1])
    out.mkdir(parents=True, exist_ok=True)  # sbatch does not create the --output folder
    text = PRETRAIN_SLURM.format(name=name, hours=hours, out=out, root=root, command=shlex.join(command))
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def write_submit_script(
    path: Path, pretrain_jobs: dict[str, Path], jobs: dict[str, tuple[Path, str | None]]
) -> Path:
    """``submit.sh``: sbatch the pretraining jobs, then each fine-tuning job after its backbone's job.

    ``jobs`` maps a model id to its job script and the backbone name it waits for (``None``: none).
    """
    lines = ["#!/bin/bash", "# written by halite grid --submit slurm", "set -euo pipefail"]
    var = {name: f"pre_{name}" for name in pretrain_jobs}
    for name, job in pretrain_jobs.items():
        lines.append(f"{var[name]}=$(sbatch --parsable {shlex.quote(str(job))})")
        lines.append(f'echo "{name}: job ${var[name]}"')
    for mid, (job, needs) in jobs.items():
        dep = f"--dependency=afterok:${var[needs]} " if needs in var else ""
        lines.append(f"sbatch {dep}{shlex.quote(str(job))}  # {mid}")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    path.chmod(0o755)
    return path
