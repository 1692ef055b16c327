"""Compare the model variants on one synthetic dataset: rejections, parameter count, training jets/s.

Usage:
    halite synth --out-dir DATA --num-train 200000 --num-val 20000 --num-test 50000 \
        --electrons --soft-muons --parameters
    halite prep --file DATA/train.h5 --variables VARS.yaml   # union of the configs' variables
    python bench/variants.py --data-dir DATA --num-train 20000 --num-test 20000 [--width 64]

For every config: fit ``--epochs`` epochs on the first ``--num-train`` jets, test on the first
``--num-test`` test jets, and print the light- and c-jet rejection at 70% b-efficiency
(f_c = 0.2), the trainable parameter count (of the model as trained and of the config as
shipped) and the training throughput (jets/s over the training batches, loading included,
validation excluded). ``--width`` shrinks every model to that width and 2 encoder layers
(for CPU runs); leave it out to train the configs as shipped. Never part of `make test`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import lightning as L
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from halite.cli import HaliteCLI, RunDirSaveConfig  # noqa: E402
from halite.commands import main  # noqa: E402
from halite.data.datamodule import JetDataModule  # noqa: E402
from halite.evaluate.summary import flavour_summary  # noqa: E402
from halite.training.module import LitModel  # noqa: E402

DEFAULT_CONFIGS = [
    ["GN1.yaml"],
    ["GN1.yaml", "GATv2.yaml"],
    ["GN2.yaml"],
    ["GN2_cross_attention_pooling.yaml"],
    ["GN2emu.yaml"],
    ["GN2_edges.yaml"],
    ["GN2_param.yaml"],
    ["GN2_featurewise.yaml"],
]


class TrainTimer(L.Callback):
    """Jets and seconds over training batches (from the end of the previous batch), after warm-up."""

    def __init__(self, warmup: int = 3) -> None:
        self.warmup = warmup
        self.jets = 0
        self.seconds = 0.0
        self._last: float | None = None
        self._seen = 0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._last = time.perf_counter()

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        now = time.perf_counter()
        batch = args[1]
        self._seen += 1
        if self._seen > self.warmup and self._last is not None:
            self.jets += batch.batch_size
            self.seconds += now - self._last
        self._last = now


def shrink(cfg: dict[str, Any], width: int) -> None:
    """Set every model width to ``width`` and the encoder depth to 2 (heads kept)."""
    args = cfg["model"]["model"]["init_args"]
    for net in args["init_nets"]:
        net["dense_config"] = {**net["dense_config"], "hidden_layers": [width]}
    enc = args["encoder"]["init_args"]
    enc.update({"embed_dim": width, "num_layers": 2})
    if enc.get("out_dim"):
        enc["out_dim"] = width
    for task in args["tasks"]:
        task["init_args"]["dense_config"]["hidden_layers"] = [width, width // 2]


def config_for(names: list[str], args: argparse.Namespace, out: Path) -> list[str]:
    cfg = yaml.safe_load((ROOT / "configs" / names[0]).read_text())
    data = args.data_dir
    cfg["data"].update(
        {
            "train_file": str(data / "train.h5"),
            "val_file": str(data / "val.h5"),
            "test_file": str(data / "test.h5"),
            "norm_dict": str(data / "norm_dict.yaml"),
            "class_dict": str(data / "class_dict.yaml"),
            "num_train": args.num_train,
            "num_val": args.num_val,
            "num_test": args.num_test,
            "batch_size": args.batch_size,
            "num_workers": args.workers,
        }
    )
    if args.width:
        shrink(cfg, args.width)
    cfg["trainer"].update(
        {
            "max_epochs": args.epochs,
            "default_root_dir": str(out),
            "enable_progress_bar": False,
            "accelerator": "cpu",
        }
    )
    path = out / ("_".join(n.removesuffix(".yaml") for n in names) + ".yaml")
    path.write_text(yaml.safe_dump(cfg))
    return [str(path), *(str(ROOT / "configs" / n) for n in names[1:])]


def shipped_parameters(names: list[str], args: argparse.Namespace, out: Path) -> int:
    """Trainable parameters of the config as shipped (only the data paths changed)."""
    width, args.width = args.width, None
    files = config_for(names, args, out / "shipped")
    args.width = width
    cli_args = ["--config=" + f for f in files]
    cli = HaliteCLI(LitModel, JetDataModule, args=cli_args, run=False, parser_kwargs={"parser_mode": "yaml"})
    return sum(p.numel() for p in cli.model.parameters() if p.requires_grad)


def run(names: list[str], args: argparse.Namespace, out: Path) -> dict[str, Any]:
    files = config_for(names, args, out)
    timer = TrainTimer()
    cli_args = ["fit", *("--config=" + f for f in files)]
    cli = HaliteCLI(
        LitModel,
        JetDataModule,
        args=cli_args,
        save_config_callback=RunDirSaveConfig,
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"parser_mode": "yaml"},
        auto_configure_optimizers=False,
        trainer_defaults={"callbacks": [timer]},
    )
    params = sum(p.numel() for p in cli.model.parameters() if p.requires_grad)
    run_dir = Path(cli.trainer.log_dir or ".")
    main(["test", "--config", str(run_dir / "config.yaml")])
    (pred,) = sorted((run_dir / "predictions").glob("*.h5"))
    with h5py.File(pred) as f:
        jets = f["jets"][:]
    summary = flavour_summary(jets, cli.config.fit.name)["working_points"]["70"]
    return {
        "config": " + ".join(names),
        "light_rej_70": summary["light_rejection"],
        "c_rej_70": summary["c_rejection"],
        "params": params,
        "params_shipped": shipped_parameters(names, args, out),
        "train_jets_per_s": timer.jets / max(timer.seconds, 1e-9),
    }


def main_bench(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out-dir", type=Path, default=Path("bench_runs"))
    parser.add_argument("--configs", nargs="*", help="e.g. GN1.yaml+GATv2.yaml GN2_edges.yaml (default: all)")
    parser.add_argument("--num-train", type=int, default=20_000)
    parser.add_argument("--num-val", type=int, default=2_000)
    parser.add_argument("--num-test", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--width", type=int, default=None, help="shrink every model to this width")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: %(default)s)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    configs = [c.split("+") for c in args.configs] if args.configs else DEFAULT_CONFIGS
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "shipped").mkdir(exist_ok=True)
    header = f"{'config':<36} {'light rej@70':>12} {'c rej@70':>9} {'params':>9} {'shipped':>9} {'jets/s':>8}"
    print(header)
    for names in configs:
        r = run(names, args, args.out_dir)
        line = (
            f"{r['config']:<36} {r['light_rej_70']:>12.1f} {r['c_rej_70']:>9.2f} {r['params']:>9d} "
            f"{r['params_shipped']:>9d} {r['train_jets_per_s']:>8.0f}"
        )
        print(line, flush=True)
        with (args.out_dir / "results.txt").open("a") as f:
            f.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main_bench())
