"""muP (Yang et al., "Tensor Programs V", arXiv:2203.03466) through the ``mup`` package.

With a ``mup:`` section in the model config the width ``parameter_name`` of the block
``apply_to`` (e.g. the encoder's ``embed_dim``) is the width that muP scales: the block's
output projection becomes a ``MuReadout``, attention uses ``1/head_dim`` scaling, weights
are re-initialised with muP's width-aware init, and fit uses ``MuAdamW``, so that
hyperparameters tuned at a small width transfer to large ones.

The command ``halite mup-setup --config X.yaml`` (``halite.commands.mup_setup``) builds the base and delta models (widths
``parameter_base`` and ``parameter_delta``) and writes the base-shapes file
``shape_path``; ``--check`` runs the coordinate check: a few MuAdamW steps at several widths,
plotting each block's mean |activation| against width (flat lines = muP works).

salt's spelling, ``model.mup_config`` (``muP_config`` before salt 0.11.1) with list-valued
``apply_to`` / ``parameter_name`` and ``halite setup-mup -c X.yaml``, is translated into the same
``MupConfig`` (``halite.training.mup_widths``). The scaled width may be ``num_heads``: the base and
delta models then differ in their head count at a fixed head width.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from halite.io import atomic_path
from halite.models.model import Model
from halite.nn.layers.attention import ScaledDotProductAttention


@dataclass
class MupConfig:
    """The ``mup`` section of the model config.

    Parameters
    ----------
    shape_path
        Base-shapes file written by ``halite mup-setup``.
    apply_to
        Submodule(s) of the model whose width muP scales (``encoder``; salt: ``[init_nets,
        encoder]``). The ``encoder`` (else the last block listed) ends in the muP readout.
    parameter_name
        Per block of ``apply_to``, the config key giving the width (``embed_dim``; salt:
        ``[output_size, embed_dim]``), or ``num_heads`` to scale the head count at a fixed head
        width (the blocks' ``embed_dim`` follows).
    parameter_base, parameter_delta
        Widths of the base and delta models; two different values, both divisible by the
        number of attention heads when they are embedding widths.
    """

    shape_path: str
    parameter_base: int
    parameter_delta: int
    apply_to: str | list[str] = "encoder"
    parameter_name: str | list[str] = "embed_dim"

    def __post_init__(self) -> None:
        blocks = [self.apply_to] if isinstance(self.apply_to, str) else list(self.apply_to)
        names = [self.parameter_name] if isinstance(self.parameter_name, str) else list(self.parameter_name)
        if not blocks or len(blocks) != len(names):
            msg = (
                f"mup.apply_to {blocks} and mup.parameter_name {names} need one parameter name per block "
                f"(e.g. apply_to: [init_nets, encoder], parameter_name: [output_size, embed_dim])."
            )
            raise ValueError(msg)
        if self.parameter_base == self.parameter_delta or min(self.parameter_base, self.parameter_delta) < 1:
            msg = (
                f"mup.parameter_base ({self.parameter_base}) and mup.parameter_delta ({self.parameter_delta}) "
                f"must be two different positive widths."
            )
            raise ValueError(msg)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """``(block, parameter name)`` per scaled block."""
        blocks = [self.apply_to] if isinstance(self.apply_to, str) else list(self.apply_to)
        names = [self.parameter_name] if isinstance(self.parameter_name, str) else list(self.parameter_name)
        return list(zip(blocks, names))

    @property
    def readout_block(self) -> str:
        """The block ending in the muP readout: ``encoder`` when scaled, else the last block."""
        blocks = [b for b, _ in self.pairs]
        return "encoder" if "encoder" in blocks else blocks[-1]

    @property
    def scales_heads(self) -> bool:
        """Whether the scaled width is the number of attention heads."""
        return any(name == "num_heads" for _, name in self.pairs)


#: set while the muP set-up builds its plain (not yet muP) networks
_BUILDING_PLAIN: ContextVar[bool] = ContextVar("halite_mup_building_plain", default=False)


@contextlib.contextmanager
def building_plain() -> Iterator[None]:
    """Build networks without their muP set-up although salt's ``mup: True`` flags are set (set-up tools)."""
    token = _BUILDING_PLAIN.set(True)
    try:
        yield
    finally:
        _BUILDING_PLAIN.reset(token)


def check_flags(model: nn.Module, config: MupConfig | None) -> None:
    """salt's ``mup: True`` block flags need a muP set-up (in salt the readout fails without one)."""
    flagged = [n for n, m in model.named_modules() if getattr(m, "mup", None) is True]
    if flagged and config is None and not _BUILDING_PLAIN.get():
        msg = (
            f"{flagged} set salt's muP flag (mup: True) but the model has no muP set-up; add "
            f"model.mup_config (then `halite setup-mup -c CONFIG`) or drop the flags."
        )
        raise ValueError(msg)


def prepare(model: nn.Module, config: MupConfig) -> None:
    """Make the structural muP changes: ``MuReadout`` output projection and ``1/d`` attention."""
    from mup import MuReadout

    for name, _ in config.pairs:
        if not isinstance(getattr(model, name, None), nn.Module):
            msg = f"mup.apply_to names '{name}', which is not a submodule of the model; use e.g. 'encoder'."
            raise ValueError(msg)
    block = getattr(model, config.readout_block)
    proj = getattr(block, "out_proj", None)
    if not isinstance(proj, nn.Linear):
        msg = (
            f"muP needs a fixed output width after the scaled block: set `out_dim` in "
            f"model.model.init_args.{config.readout_block}.init_args (the muP readout)."
        )
        raise ValueError(msg)
    for name, _ in config.pairs:
        for module in getattr(model, name).modules():
            if isinstance(module, ScaledDotProductAttention):
                module.scale = 1.0 / module.head_dim
    if not isinstance(proj, MuReadout):
        block.out_proj = MuReadout(proj.in_features, proj.out_features, readout_zero_init=True)


def check_heads(model: nn.Module, config: MupConfig) -> None:
    """Base and delta embedding widths must be divisible by every attention block's number of heads."""
    if config.scales_heads:  # the widths are head counts
        return
    heads = {m.num_heads for m in model.modules() if isinstance(m, ScaledDotProductAttention)}
    for name, width in (
        ("parameter_base", config.parameter_base),
        ("parameter_delta", config.parameter_delta),
    ):
        bad = sorted(h for h in heads if width % h)
        if bad:
            msg = f"mup.{name}={width} is not divisible by num_heads={bad[0]}; choose a multiple of {bad[0]}."
            raise ValueError(msg)


def apply(model: nn.Module, config: MupConfig) -> None:
    """Prepare ``model``, attach the base shapes of ``config.shape_path`` and re-initialise it."""
    from mup import MuReadout, set_base_shapes
    from mup.init import kaiming_uniform_

    prepare(model, config)
    if not Path(config.shape_path).is_file():
        msg = (
            f"muP base-shapes file {config.shape_path} not found (mup.shape_path). "
            f"Create it with `halite mup-setup --config <your config>`."
        )
        raise FileNotFoundError(msg)
    set_base_shapes(model, config.shape_path)
    for module in model.modules():
        if isinstance(module, MuReadout):
            module.reset_parameters()
        elif isinstance(module, nn.Linear) and module.weight.infshape.ninf() > 0:  # type: ignore[attr-defined]
            kaiming_uniform_(module.weight, a=math.sqrt(5))


def _recorder(values: list[float]) -> Any:
    def hook(module: nn.Module, inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor):
            values.append(float(output.detach().abs().mean()))

    return hook


def coord_check(
    build: Callable[[int], Model],
    batch: Any,
    cfg: MupConfig,
    out_dir: Path,
    widths: list[int],
    steps: int = 3,
) -> dict:
    """Mean |activation| of each block after each of ``steps`` MuAdamW steps, per width.

    ``build(width)`` returns the network at that width (muP not yet applied); ``batch`` is one
    validation batch with labels.
    """
    from mup import MuAdamW

    result: dict[str, Any] = {"widths": widths, "steps": steps, "l1": {}}
    for width in widths:
        torch.manual_seed(0)
        model = build(width)
        apply(model, cfg)
        model.train()
        opt = MuAdamW(model.parameters(), lr=1e-3)
        blocks = {
            n: m
            for n, m in model.named_modules()
            if n.count(".") <= 2 and n and not isinstance(m, nn.ModuleList)
        }
        stats: dict[str, list[float]] = {n: [] for n in blocks}
        hooks = [
            m.register_forward_hook(_recorder(stats[n]))
            for n, m in blocks.items()
            if not isinstance(m, nn.ModuleDict)
        ]
        for _ in range(steps):
            _, losses = model(batch.inputs, batch.pad_masks, batch.labels)
            opt.zero_grad()
            model.total_loss(losses).backward()
            opt.step()
        for h in hooks:
            h.remove()
        result["l1"][str(width)] = {n: v for n, v in stats.items() if v}
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "coord_check.json") as tmp:
        tmp.write_text(json.dumps(result, indent=1))
    plot_coord_check(result, out_dir / "coord_check.png")
    return result


def plot_coord_check(result: dict, path: Path) -> None:
    """One panel per step: mean |activation| of every block against width (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    widths = result["widths"]
    modules = sorted(result["l1"][str(widths[0])])
    fig, axes = plt.subplots(1, result["steps"], figsize=(4 * result["steps"], 3.5), sharey=True)
    for step, ax in enumerate(axes if result["steps"] > 1 else [axes]):
        for name in modules:
            ys = [result["l1"][str(w)][name][step] for w in widths]
            ax.plot(widths, ys, marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("width")
        ax.set_title(f"step {step + 1}")
    axes_list = axes if result["steps"] > 1 else [axes]
    axes_list[0].set_ylabel("mean |activation|")
    axes_list[-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("muP coordinate check (flat lines: activations do not grow with width)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def write_base_shapes(base: Model, delta: Model, cfg: MupConfig) -> Path:
    """Write the base-shapes file ``cfg.shape_path`` from the base and delta models."""
    from mup import make_base_shapes

    for model in (base, delta):
        prepare(model, cfg)
    shape_path = Path(cfg.shape_path)
    with atomic_path(shape_path) as tmp:
        make_base_shapes(base, delta, savefile=str(tmp))
    return shape_path
