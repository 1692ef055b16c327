"""LitModel: training / validation / test steps, loss aggregation, optimiser and LR schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from halite.models.multitask import LossMode, check_gls_weights, check_output_columns, geometric_loss
from halite.models.protocol import HaliteModel, check_model
from halite.training.compat import META_KEY, check_compatible, model_meta
from halite.training.mup import MupConfig, check_flags
from halite.training.mup import apply as apply_mup
from halite.training.mup_widths import resolve as resolve_mup
from halite.training.pretrained import backbone_parameters, load_backbone
from halite.training.schedule import one_cycle
from halite.typing import Batch, Labels, Masks


@dataclass
class LRSConfig:
    """The optimiser's one-cycle learning-rate schedule and weight decay (salt's ``lrs_config``).

    Parameters
    ----------
    initial
        Learning rate at the start of the warm-up.
    max
        Peak learning rate.
    end
        Final learning rate.
    pct_start
        Fraction of the steps spent warming up. Runs too short for a warm-up of at least one step
        (``pct_start x steps < 2``) start at ``max`` and anneal to ``end`` (``halite.training.schedule``).
    weight_decay
        Weight decay of the optimiser (AdamW, or Lion's decoupled ``lr * weight_decay`` shrink).
    """

    initial: float = 1e-7
    max: float = 5e-4
    end: float = 1e-5
    pct_start: float = 0.01
    weight_decay: float = 1e-5

    def __post_init__(self) -> None:
        if not (0 < self.initial <= self.max and 0 < self.end <= self.max):
            msg = (
                f"lrs_config needs 0 < initial <= max and 0 < end <= max; got initial={self.initial}, "
                f"max={self.max}, end={self.end}."
            )
            raise ValueError(msg)
        if not 0 < self.pct_start < 1:
            msg = f"lrs_config.pct_start must be in (0, 1), got {self.pct_start}."
            raise ValueError(msg)


@dataclass
class CompileConfig:
    """Options passed to ``torch.compile`` when the run is started with ``--compile``.

    Parameters
    ----------
    backend
        ``inductor`` generates fused kernels (C++ on CPU, Triton on GPU); ``aot_eager`` and
        ``eager`` only trace (fast to compile, for debugging).
    mode
        Inductor mode (``reduce-overhead`` uses CUDA graphs on GPU).
    dynamic
        Compile for dynamic shapes from the start (batches are trimmed to their longest set, so
        ``N`` changes from batch to batch); ``None`` lets torch decide after the first recompile.
    fullgraph
        Fail instead of falling back to eager on graph breaks.
    """

    backend: Literal["inductor", "aot_eager", "eager"] = "inductor"
    mode: Literal["default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"] = "default"
    dynamic: bool | None = True
    fullgraph: bool = False


class LitModel(L.LightningModule):
    """Train a halite ``Model``.

    Parameters
    ----------
    model
        The network with its tasks.
    lrs_config
        Optimiser and learning-rate schedule.
    name
        Model name used in output columns (``<name>_pb``); linked from the top-level ``name``.
    compile
        Compile the network with ``torch.compile`` (linked from the top-level ``--compile``).
        ``nn.Module.compile`` compiles in place, so parameter names, checkpoints and exports
        are those of the eager model.
    compile_config
        ``torch.compile`` options.
    mup
        muP set-up (see ``halite.training.mup``): muP init and attention, ``MuAdamW``.
    mup_config, muP_config
        The same set-up as salt spells it (salt 0.13 / before 0.11.1; see
        ``halite.training.mup_widths``).
    pretrained
        Local checkpoint whose backbone weights (matching names and shapes) initialise the
        model; task heads are new. A report of loaded / skipped / mismatched tensors is printed.
    freeze_backbone
        Train only the task heads.
    backbone_lr_scale
        Learning-rate multiplier of the backbone relative to the heads (layer-wise fine-tuning).
    optimizer
        ``AdamW`` (halite's default) or ``lion`` (Lion, Chen et al., arXiv:2302.06675, from the
        ``lion-pytorch`` package, as salt's ``optimizer: lion``); both follow ``lrs_config``.
    loss_mode
        How the task losses combine (salt's ``loss_mode``): ``wsum`` the sum weighted by each
        task's ``weight``; ``GLS`` their geometric mean (every task weight must be 1).
    fused
        AdamW's implementation (``torch.optim.AdamW(fused=...)``): ``None`` torch's default (the
        ``foreach`` kernels), ``true`` one fused kernel per step for all parameters (CUDA and CPU),
        ``false`` the per-parameter loop. Not for ``lion``.
    """

    def __init__(
        self,
        model: nn.Module,
        lrs_config: LRSConfig | None = None,
        name: str = "halite",
        compile: bool = False,
        compile_config: CompileConfig | None = None,
        mup: MupConfig | None = None,
        mup_config: dict[str, Any] | None = None,
        muP_config: dict[str, Any] | None = None,
        pretrained: str | None = None,
        freeze_backbone: bool = False,
        backbone_lr_scale: float = 1.0,
        optimizer: Literal["AdamW", "lion"] = "AdamW",
        loss_mode: LossMode = "wsum",
        fused: bool | None = None,
    ) -> None:
        super().__init__()
        self.model: HaliteModel = check_model(model)
        if optimizer not in ("AdamW", "lion"):
            msg = f"LitModel optimizer={optimizer!r}: choose AdamW or lion."
            raise ValueError(msg)
        if loss_mode not in ("wsum", "GLS"):
            msg = f"LitModel loss_mode={loss_mode!r}: choose wsum (weighted sum) or GLS (geometric mean)."
            raise ValueError(msg)
        if loss_mode == "GLS":
            check_gls_weights(self.model.task_heads())
        if fused is not None and optimizer == "lion":
            msg = f"LitModel fused={fused} is an AdamW option; remove it for optimizer lion."
            raise ValueError(msg)
        self.fused = fused
        self.optimizer_name = optimizer
        self.loss_mode = loss_mode
        self.lrs_config = lrs_config or LRSConfig()
        self.name = name
        check_output_columns(self.model.task_heads(), name)  # columns as written, with the real prefix
        self.compile_model = compile
        self.compile_config = compile_config or CompileConfig()
        self.mup = mup = resolve_mup(mup, mup_config, muP_config)
        if optimizer == "lion" and mup is not None:
            msg = "LitModel optimizer=lion with a muP set-up: muP trains with MuAdamW; use optimizer AdamW."
            raise ValueError(msg)
        check_flags(model, mup)
        if mup is not None:
            apply_mup(model, mup)
        self.backbone_lr_scale = backbone_lr_scale
        if pretrained:
            report = load_backbone(model, pretrained)
            rank_zero_info(report.summary())
            self.pretrained_report = report
        if freeze_backbone:
            for _, p in backbone_parameters(model):
                p.requires_grad_(False)

    def configure_model(self) -> None:
        module = self.module
        if self.compile_model and getattr(module, "_compiled_call_impl", None) is None:
            cfg = self.compile_config
            module.compile(
                backend=cfg.backend,
                mode=None if cfg.backend != "inductor" else cfg.mode,
                dynamic=cfg.dynamic,
                fullgraph=cfg.fullgraph,
            )

    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is not None and hasattr(dm, "require_labels"):
            dm.require_labels(self.model.required_labels())
        if dm is not None and hasattr(dm, "use_packed_model"):
            dm.use_packed_model(runs_packed(self.module))

    @property
    def module(self) -> nn.Module:
        """The model as the ``nn.Module`` it is (for torch's own calls)."""
        assert isinstance(self.model, nn.Module)
        return self.model

    def _meta(self) -> dict[str, Any]:
        tasks = [t.name for t in self.model.task_heads()]
        return model_meta(self.model.variables, tasks)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[META_KEY] = self._meta()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        source = str(getattr(self._trainer, "ckpt_path", None) or "<checkpoint>")
        check_compatible(checkpoint, self.state_dict(), self._meta(), source)

    def on_train_epoch_start(self) -> None:
        dm = getattr(self.trainer, "datamodule", None)
        dataset = getattr(dm, "train_dataset", None)
        if dataset is not None:
            dataset.set_epoch(self.current_epoch)

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        if isinstance(batch, Batch):
            return batch.to(device, non_blocking=True)
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def forward(self, batch: Batch) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        return self.model(batch.inputs, batch.pad_masks, batch.labels)

    def shared_step(self, batch: Batch, stage: str) -> torch.Tensor:
        _, losses = self(batch)
        loss = self.total_loss(losses)
        bs = batch.batch_size
        on_step = stage == "train"
        self.log(
            f"{stage}_loss",
            loss,
            batch_size=bs,
            prog_bar=True,
            on_step=on_step,
            on_epoch=True,
            sync_dist=not on_step,
        )
        for name, value in losses.items():
            self.log(
                f"{stage}/{name}_loss",
                value,
                batch_size=bs,
                on_step=on_step,
                on_epoch=True,
                sync_dist=not on_step,
            )
        return loss

    def total_loss(self, losses: dict[str, torch.Tensor]) -> torch.Tensor:
        """The task losses combined by ``loss_mode`` (``wsum``: the model's weighted sum)."""
        return geometric_loss(losses) if self.loss_mode == "GLS" else self.model.total_loss(losses)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self.shared_step(batch, "train")

    def validation_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        return self.shared_step(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> dict[str, Any]:
        outputs, losses = self(batch)
        loss = self.total_loss(losses)
        self.log("test_loss", loss, batch_size=batch.batch_size, sync_dist=True)
        preds = self.predictions(outputs, batch.labels, batch.pad_masks)
        for stream, labels in batch.labels.items():  # constituent truth for per-track evaluation
            if stream in batch.pad_masks and stream in preds:
                preds[stream].update({k: v.cpu() for k, v in labels.items() if k not in preds[stream]})
        return {"predictions": preds, "pad_masks": batch.pad_masks}

    def predict_step(self, batch: Batch, batch_idx: int, dataloader_idx: int = 0) -> dict[str, Any]:
        outputs, _ = self.model(batch.inputs, batch.pad_masks)
        return {
            "predictions": self.predictions(outputs, batch.labels, batch.pad_masks),
            "pad_masks": batch.pad_masks,
        }

    def predictions(
        self,
        outputs: dict[str, torch.Tensor],
        labels: Labels | None = None,
        pad_masks: Masks | None = None,
    ) -> dict[str, dict[str, torch.Tensor]]:
        """Per stream, the output columns of every task (``labels`` give ratio denominators)."""
        out: dict[str, dict[str, torch.Tensor]] = {}
        for task in self.model.task_heads():
            mask = (pad_masks or {}).get(task.input_name)
            cols = task.predictions(outputs[task.name], self.name, labels=labels, pad_mask=mask)
            stream = out.setdefault(task.input_name, {})
            clash = sorted(set(cols) & set(stream))
            if clash:
                msg = (
                    f"Task '{task.name}' writes prediction columns {clash} that an earlier task already wrote. "
                    f"Set custom_output_names (regression) or a different label/class names."
                )
                raise ValueError(msg)
            stream.update({k: v.detach().cpu() for k, v in cols.items()})
        return out

    def task_metadata(self) -> list[dict[str, Any]]:
        """Name, kind, stream and label/target information of every task (stored with predictions)."""
        meta = []
        for task in self.model.task_heads():
            entry: dict[str, Any] = {
                "name": task.name,
                "type": type(task).__name__,
                "input_name": task.input_name,
            }
            for key in ("label", "class_names", "targets"):
                if hasattr(task, key):
                    entry[key] = getattr(task, key)
            meta.append(entry)
        return meta

    def configure_optimizers(self) -> Any:
        cfg = self.lrs_config
        backbone = {id(p) for _, p in backbone_parameters(self.module)}
        groups = [
            {
                "params": [p for p in self.parameters() if p.requires_grad and id(p) in backbone],
                "lr_scale": self.backbone_lr_scale,
            },
            {
                "params": [p for p in self.parameters() if p.requires_grad and id(p) not in backbone],
                "lr_scale": 1.0,
            },
        ]
        groups = [g for g in groups if g["params"]]
        if self.mup is not None:
            from mup import MuAdamW

            opt = MuAdamW(
                groups, lr=cfg.max, weight_decay=cfg.weight_decay, fused=self.fused
            )  # lr / width_mult
        elif self.optimizer_name == "lion":
            from lion_pytorch import Lion

            opt = Lion(groups, lr=cfg.max, weight_decay=cfg.weight_decay)
        else:
            opt = torch.optim.AdamW(groups, lr=cfg.max, weight_decay=cfg.weight_decay, fused=self.fused)
        sched = one_cycle(
            opt,
            int(self.trainer.estimated_stepping_batches),
            [g["lr"] * g["lr_scale"] for g in opt.param_groups],
            initial=cfg.initial,
            end=cfg.end,
            pct_start=cfg.pct_start,
            peak=cfg.max,
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def runs_packed(model: nn.Module) -> bool:
    """Whether ``model`` runs its constituent encoder on packed valid constituents (halite's
    ``Model`` with ``packed`` and a packing encoder), where padding costs nothing."""
    encoder = getattr(model, "encoder", None)
    return bool(getattr(model, "packed", False)) and bool(getattr(encoder, "packed", False))
