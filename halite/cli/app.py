"""HaliteCLI: LightningCLI with halite's links, run directories and checkpoint selection."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonargparse import ActionYesNo
from lightning.pytorch import Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_info

from halite.cli.parser import HaliteArgumentParser
from halite.data.dicts import RUN_DICTS, run_copy
from halite.data.remote import S3Config, configure_s3, copy_file, is_remote, join
from halite.io import atomic_path, remote_writer
from halite.training.callbacks.prediction_writer import PredictionWriter
from halite.training.callbacks.preemption import PreemptionCheckpoint
from halite.training.callbacks.resume_state import ResumeState
from halite.training.checkpoint_io import AtomicCheckpointIO, safe_load
from halite.training.malloc import MallocPolicy, set_malloc_policy
from halite.training.resume import find_resume

#: environment variable naming the run directory suffix shared by all ranks of one run
RUN_STAMP_ENV = "HALITE_RUN_STAMP"
_exported_stamp: str | None = None


def run_stamp() -> str:
    """Suffix of the run directory, the same on every rank of a distributed run.

    Rank 0 exports its time stamp in ``HALITE_RUN_STAMP``; the ranks Lightning's DDP launcher
    starts inherit it. A batch job sets it itself (``halite submit`` uses the job id) so that
    ranks started independently on several nodes agree.
    """
    global _exported_stamp
    env = os.environ.get(RUN_STAMP_ENV)
    if env and env != _exported_stamp:
        return env
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    export_run_stamp(stamp)
    return stamp


def export_run_stamp(stamp: str) -> None:
    """Make ``stamp`` the run stamp that the ranks started from this process inherit."""
    global _exported_stamp
    os.environ[RUN_STAMP_ENV] = _exported_stamp = stamp


class RunDirSaveConfig(SaveConfigCallback):
    """Save the resolved config (atomically) into the run directory at fit time, plus the norm/class dicts.

    The saved config has no ``ckpt_path``, so ``halite test --config <run>/config.yaml`` picks the
    best checkpoint and ``halite fit --config <run>/config.yaml --ckpt_path last`` resumes the run.
    """

    def setup(self, trainer: Trainer, pl_module: Any, stage: str) -> None:
        if stage != "fit":
            return
        self._log_dir = trainer.log_dir  # a collective under DDP: every rank must ask
        super().setup(trainer, pl_module, stage)

    def save_config(self, trainer: Trainer, pl_module: Any, stage: str) -> None:
        log_dir = getattr(self, "_log_dir", None)
        if not log_dir:
            return
        config = self.config.clone()
        if "ckpt_path" in config:
            config.ckpt_path = None
        text = self.parser.dump(config, skip_none=False)
        if is_remote(log_dir):
            with remote_writer(str(join(log_dir, self.config_filename))) as f:
                f.write(text.encode())
        else:
            with atomic_path(Path(log_dir) / self.config_filename) as tmp:
                tmp.write_text(text)
        dm = trainer.datamodule  # type: ignore[attr-defined]
        for name in RUN_DICTS:
            src = getattr(dm, name, None)
            if src and (is_remote(src) or Path(src).is_file()):
                copy_file(src, run_copy(log_dir, name))  # local targets are written atomically


def best_checkpoint(run_dir: Path) -> Path:
    """The checkpoint with the lowest validation loss in ``run_dir/ckpts``."""
    ckpts = sorted((run_dir / "ckpts").glob("epoch=*.ckpt"))
    if not ckpts:
        msg = f"No checkpoints found in {run_dir / 'ckpts'}; pass --ckpt_path explicitly."
        raise FileNotFoundError(msg)

    def val_loss(p: Path) -> float:
        try:
            return float(p.stem.split("val_loss=")[1])
        except (IndexError, ValueError):
            return float("inf")

    return min(ckpts, key=val_loss)


class HaliteCLI(LightningCLI):
    """LightningCLI with halite's links, run directories and checkpoint selection.

    ``only_subcommand`` (``"test"``, ...) builds the parser of that subcommand alone instead of all
    four (``halite <tool>`` runs one; each subcommand parser holds the whole schema of the Trainer,
    model and data module): the command line must then name it.
    """

    def __init__(self, *args: Any, only_subcommand: str | None = None, **kwargs: Any) -> None:
        if only_subcommand is not None:
            chosen = {only_subcommand: LightningCLI.subcommands()[only_subcommand]}
            # this instance's subcommands (LightningCLI calls self.subcommands(); the class keeps all four)
            self.subcommands = lambda: chosen  # type: ignore[method-assign]
        super().__init__(*args, **kwargs)

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        self.parser_class = HaliteArgumentParser
        return super().init_parser(**kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument("--name", type=str, default="halite", help="Run and model name (output columns).")
        parser.add_argument(
            "--ckpt_every_n_steps",
            type=int,
            default=500,
            help="fit: also write <run>/ckpts/last.ckpt every N optimiser steps (0 = per epoch only).",
        )
        parser.add_argument(
            "--write_tracks",
            type=bool,
            default=False,
            help="test: also write per-track outputs (also of a PredictionWriter in trainer.callbacks, which "
            "replaces the default writer: half_precision, extra_vars, object_classes, output_path).",
        )
        parser.add_argument(
            "--compile", action=ActionYesNo, default=False, help="Compile the model with torch.compile."
        )
        parser.add_argument(
            "--malloc",
            type=MallocPolicy,
            default="system",
            help="How freed memory goes back (glibc): system (glibc's own adaptive rule), reuse (keep it "
            "for the next step: no page faults, more memory), release (return large blocks at once: least "
            "memory, slower). MALLOC_* / GLIBC_TUNABLES settings win.",
        )
        parser.add_argument(
            "--s3",
            type=S3Config | None,
            default=None,
            help="S3 endpoint and credentials (default: the AWS environment); secrets are never saved.",
        )
        parser.link_arguments("name", "model.name")
        parser.link_arguments("compile", "model.compile")
        parser.link_arguments("data.variables", "model.model.init_args.variables")
        # on instantiate: the data module may first download them (data.config_s3.download_S3)
        parser.link_arguments("data.norm_dict", "model.model.init_args.norm_dict", apply_on="instantiate")
        parser.link_arguments("data.class_dict", "model.model.init_args.class_dict", apply_on="instantiate")
        parser.link_arguments("data.global_object", "model.model.init_args.global_object")
        parser.link_arguments("data.label_names", "model.model.init_args.label_names", apply_on="instantiate")
        parser.link_arguments("data.PARAMETERS", "model.model.init_args.parameters")

    def before_instantiate_classes(self) -> None:
        sub = self.subcommand
        cfg = self.config[sub] if sub else self.config
        set_malloc_policy(cfg.get("malloc") or "system")
        s3 = cfg.get("s3")
        if s3 is not None:  # the model reads its norm dict while being instantiated
            configure_s3(S3Config(**{k: getattr(s3, k) for k in vars(s3)}))

    def _instantiate_trainer(self, config: dict[str, Any], callbacks: list[Any]) -> Trainer:
        sub = self.subcommand
        cfg = self.config[sub] if sub else self.config
        if sub == "fit" and config.get("logger") in (None, True):
            stamp = run_stamp()
            root = config.get("default_root_dir") or "logs"
            run_dir = join(root, f"{cfg.name}_{stamp}")  # s3://... roots stay URLs
            resume = None
            if not is_remote(root):
                resume = find_resume(
                    cfg.get("ckpt_path"), [str(c) for c in cfg.get("config") or []], Path(root), cfg.name
                )
            if resume is not None:
                run_dir, self.resume_ckpt = resume
                if (run_dir / "metrics.csv").is_file():  # CSVLogger would delete it
                    now = datetime.now().strftime("%Y%m%d-%H%M%S-%f")  # one file per resume
                    (run_dir / "metrics.csv").rename(run_dir / f"metrics.before-{now}.csv")
                rank_zero_info(f"Resuming {run_dir} from {self.resume_ckpt}")
            config["logger"] = [CSVLogger(run_dir, name="", version="")]
            if not is_remote(run_dir):
                config["logger"].append(
                    TensorBoardLogger(run_dir, name="", version="", default_hp_metric=False)
                )
            callbacks.append(
                ModelCheckpoint(
                    dirpath=join(run_dir, "ckpts"),
                    filename="epoch={epoch:03d}-val_loss={val_loss:.5f}",
                    auto_insert_metric_name=False,
                    monitor="val_loss",
                    save_top_k=-1,
                    save_last=True,
                    enable_version_counter=False,  # both checkpoint callbacks write last.ckpt
                )
            )
            if cfg.ckpt_every_n_steps > 0:
                callbacks.append(
                    ModelCheckpoint(
                        dirpath=join(run_dir, "ckpts"),
                        every_n_train_steps=cfg.ckpt_every_n_steps,
                        save_top_k=0,
                        save_last=True,
                        enable_version_counter=False,
                    )
                )
            callbacks.append(ResumeState())
            if not is_remote(run_dir):
                callbacks.append(PreemptionCheckpoint(join(run_dir, "ckpts")))
        elif sub in ("test", "validate", "predict") and config.get("logger") in (None, True):
            config["logger"] = False
        if sub == "test":
            configured = config.get("callbacks") or []
            configured = configured if isinstance(configured, list) else [configured]
            writers = [c for c in configured if isinstance(c, PredictionWriter)]
            for writer in writers:  # trainer.callbacks' writer (salt's spelling); --write_tracks adds tracks
                writer.write_tracks = writer.write_tracks or cfg.write_tracks
            if not writers:
                callbacks.append(PredictionWriter(write_tracks=cfg.write_tracks))
        config.setdefault("plugins", None)
        if not config["plugins"]:
            config["plugins"] = [AtomicCheckpointIO()]
        return super()._instantiate_trainer(config, callbacks)

    def _parse_ckpt_path(self) -> None:
        """Read hyper-parameters from ``--ckpt_path`` with the safe loader (Lightning uses plain torch.load)."""
        sub = self.config.get("subcommand")
        ckpt_path = self.config[sub].get("ckpt_path") if sub else None
        if not ckpt_path or ckpt_path in ("last", "best") or not Path(ckpt_path).is_file():
            return
        hparams = safe_load(ckpt_path).get("hyper_parameters", {})
        hparams.pop("_instantiator", None)
        if not hparams:
            return
        if "_class_path" in hparams:
            hparams = {"class_path": hparams.pop("_class_path"), "dict_kwargs": hparams}
        self.config = self.parser.parse_object({sub: {"model": hparams}}, self.config)

    def _prepare_subcommand_kwargs(self, subcommand: str) -> dict[str, Any]:
        kwargs = super()._prepare_subcommand_kwargs(subcommand)
        if subcommand == "fit" and getattr(self, "resume_ckpt", None) is not None:
            kwargs["ckpt_path"] = str(self.resume_ckpt)
        if subcommand in ("test", "validate", "predict") and not kwargs.get("ckpt_path"):
            configs = self.config[subcommand].get("config") or []
            if configs:
                run_dir = Path(str(configs[-1])).parent
                if (run_dir / "ckpts").is_dir():
                    kwargs["ckpt_path"] = str(best_checkpoint(run_dir))
                    rank_zero_info(f"Using checkpoint {kwargs['ckpt_path']}")
        return kwargs
