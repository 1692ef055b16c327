"""Train the GN2-style demo, the columnar DNN and the LBN on the same synthetic jets; print rejections.

Same training jets, validation jets, test jets and epochs for every model. Prints
light- and c-jet rejection at 70% b-jet efficiency (f_c = 0.2) and the wall time of
each fit. Usage::

    python bench/block_models_vs_demo.py --num-train 20000 --epochs 3 --out /tmp/cmp
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("demo.yaml", "columnar_dnn.yaml", "lbn.yaml", "lumin.yaml")


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "halite", *args], cwd=ROOT, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/halite_block_cmp"))
    parser.add_argument("--num-train", type=int, default=20000)
    parser.add_argument("--num-val", type=int, default=5000)
    parser.add_argument("--num-test", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    args = parser.parse_args()
    data = args.out / "data"  # reused when present (the first N jets of each file are used)
    if not (data / "test.h5").is_file():
        cli(
            "synth",
            "--out-dir",
            str(data),
            "--num-train",
            str(args.num_train),
            "--num-val",
            str(args.num_val),
            "--num-test",
            str(args.num_test),
        )
    rows = []
    for name in args.configs:
        cfg = yaml.safe_load((ROOT / "configs" / name).read_text())
        stem = name.removesuffix(".yaml")
        for key in ("train_file", "val_file", "test_file"):
            cfg["data"][key] = str(data / Path(cfg["data"][key]).name)
        cfg["data"]["norm_dict"] = str(data / f"{stem}_norm.yaml")
        cfg["data"]["class_dict"] = str(data / f"{stem}_class.yaml")
        cfg["data"].update(
            {
                "num_workers": 1,
                "num_train": args.num_train,
                "num_val": args.num_val,
                "num_test": args.num_test,
            }
        )
        cfg["trainer"].update(
            {
                "max_epochs": args.epochs,
                "default_root_dir": str(args.out / "logs" / stem),
                "enable_progress_bar": False,
            }
        )
        path = args.out / name
        path.write_text(yaml.safe_dump(cfg))
        cli("prep", "--config", str(path))
        t0 = time.perf_counter()
        cli("fit", "--config", str(path))
        fit_s = time.perf_counter() - t0
        run_dir = sorted((args.out / "logs" / stem).glob("*_*"))[-1]
        cli("test", "--config", str(run_dir / "config.yaml"))
        (summary,) = (run_dir / "predictions").glob("*.summary.json")
        wp = json.loads(summary.read_text())["working_points"]["70"]
        rows.append(
            (
                stem,
                wp["light_rejection"],
                wp["light_rejection_err"],
                wp["c_rejection"],
                wp["c_rejection_err"],
                fit_s,
            )
        )
        print(f"{stem}: done ({fit_s:.0f} s fit)", flush=True)
    print(
        f"\n{args.num_train} training jets, {args.epochs} epochs, {args.num_test} test jets; 70% b-jet efficiency"
    )
    print(f"{'model':>14} {'light rejection':>18} {'c rejection':>15} {'fit [s]':>8}")
    for stem, u, ue, c, ce, s in rows:
        print(f"{stem:>14} {u:>10.1f} ± {ue:<5.1f} {c:>8.2f} ± {ce:<4.2f} {s:>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
