"""halite vs lumin 0.9.1 on every documented example of lumin's model blocks: sizes, parameters, outputs.

Usage: python bench/vs_lumin.py [--lumin-python PY] [--reps 20] [--threads 1] [--fixed-weights] [--no-fail]
       python bench/vs_lumin.py --install-only

The examples are ``bench/lumin_examples.py``'s: the ``Examples::`` of lumin 0.9.1's documentation of
``lumin.nn.models.blocks``, written once as functions of a namespace, so the same source builds each
block in lumin and in halite (``halite.nn.lumin``). ``bench/vs_lumin_worker.py`` runs in lumin's own
environment (``bench/.venv-lumin``, halite not on its path): per example it seeds torch, builds the
block and saves its state dict, input, eval-mode and train-mode outputs, ``get_out_size()``,
parameter count and forward time. This script then builds the same examples in halite, loads lumin's
state dict with ``strict=True``, runs lumin's input and prints per example: output size and parameters
on both sides, the max |output difference| (eval mode; train mode too, not counted where dropout
acts), whether the strict load worked with the keys in lumin's order, and the median forward time of
each. An example passes with equal output sizes and parameter counts, a strict load in lumin's key
order and differences below 1e-5; a failure on either side is reported in its row, never ends the
table. Exit status 1 if any example fails (unless ``--no-fail``). It also reports what each
documented call that does not build in lumin 0.9.1 as written (``lumin_examples.DOCUMENTED``) does
on both sides.

``bench/.venv-lumin`` is created when missing: ``torch==2.13.0`` (the project's, kept by a
constraints file), ``lumin==0.9.1`` and ``pdpbox`` with ``--no-deps``, and the packages lumin's block
modules import. ``--lumin-python`` uses another environment's Python as it is (nothing installed).
Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# lumin_examples and vs_lumin_worker; appended, so that bench/memory.py and the like shadow nothing
sys.path.append(str(ROOT / "bench"))

import lumin_examples  # noqa: E402
from peer_venv import TORCH_PIN, ensure_peer, peer_env  # noqa: E402
from vs_lumin_worker import Namespace, run_example, try_documented  # noqa: E402

LUMIN_VENV = ROOT / "bench" / ".venv-lumin"
LUMIN_VERSION = "0.9.1"
#: what lumin 0.9.1's block modules (and the lumin modules they import) need, in versions lumin's code runs on
LUMIN_DEPS = [
    "numpy<2", "pandas<2.1", "fastcore<=1.3.5", "fastprogress==0.1.21", "matplotlib", "seaborn",
    "scikit-learn", "scipy", "sympy", "h5py", "prettytable", "tqdm", "statsmodels", "setuptools", "psutil",
    "plotly", "pqdm", "torch_geometric",
]  # fmt: skip
#: an example passes with output differences below this
TOL = 1e-5


def lumin_check_command(python: str | os.PathLike[str]) -> list[str]:
    """The command that proves a lumin environment works: lumin 0.9.1's block modules import, on torch 2.13.0."""
    code = (
        "import importlib.metadata as m, torch; "
        "import lumin.nn.models.blocks.body, lumin.nn.models.blocks.head, lumin.nn.models.blocks.tail, "
        "lumin.nn.models.blocks.endcap, lumin.nn.models.blocks.conv_blocks, lumin.nn.models.helpers; "
        f"assert m.version('lumin') == {LUMIN_VERSION!r}, m.version('lumin'); "
        f"assert torch.__version__.split('+')[0] == {TORCH_PIN.split('==')[1]!r}, torch.__version__"
    )
    return [str(python), "-c", code]


def lumin_env() -> dict[str, str]:
    """The environment of lumin's processes: nothing of halite's on the path."""
    return peer_env()


def check_lumin(python: str | os.PathLike[str]) -> str | None:
    """None when ``python`` runs lumin 0.9.1's blocks, else why not."""
    if not Path(python).exists():
        return f"{python} does not exist"
    res = subprocess.run(
        lumin_check_command(python), capture_output=True, text=True, env=lumin_env(), cwd="/"
    )
    return None if res.returncode == 0 else res.stderr[-2000:]


def ensure_lumin(venv: Path = LUMIN_VENV) -> Path:
    """``venv``'s Python, creating the environment with lumin 0.9.1 unless it already works."""
    return ensure_peer(venv, [f"lumin=={LUMIN_VERSION}", "pdpbox"], LUMIN_DEPS, check_lumin, "lumin")


def run_lumin(
    python: str | os.PathLike[str], *, reps: int, threads: int, fixed_weights: bool
) -> dict[str, Any]:
    """Every example built and run in lumin (``vs_lumin_worker.py`` in ``python``'s environment)."""
    import torch

    with tempfile.TemporaryDirectory(prefix="vs_lumin_") as tmp:
        out = Path(tmp) / "lumin.pt"
        cmd = [str(python), str(ROOT / "bench" / "vs_lumin_worker.py"), str(out), "--reps", str(reps)]
        cmd += ["--threads", str(threads), *(["--fixed-weights"] if fixed_weights else [])]
        res = subprocess.run(cmd, capture_output=True, text=True, env=lumin_env(), cwd=tmp)
        if res.returncode or not out.exists():
            msg = f"the lumin worker failed (exit {res.returncode}):\n{res.stderr[-3000:]}"
            raise RuntimeError(msg)
        return torch.load(out)


def halite_namespace() -> Namespace:
    """``halite.nn.lumin`` (plus ``nn``), as the examples read it."""
    return Namespace(importlib.import_module("halite.nn.lumin"), "halite.nn.lumin")


def max_diff(a: Any, b: Any) -> float | None:
    """Max |a - b| over the elements (NaN where either is NaN), None when the shapes differ."""
    if a is None or b is None or a.shape != b.shape:
        return None
    if a.numel() == 0:
        return 0.0
    return float((a.double() - b.double()).abs().max())


def compare(name: str, lumin: Mapping[str, Any], halite: Mapping[str, Any]) -> dict[str, Any]:
    """One table row: both sides' sizes, parameters and times, the output differences, the load, pass or not."""
    row: dict[str, Any] = {"example": name, "problems": []}
    for side, rec in (("lumin", lumin), ("halite", halite)):
        row[f"{side}_size"] = rec.get("out_size") if rec.get("out_size") is not None else rec.get("shape")
        row[f"{side}_params"] = rec.get("params")
        row[f"{side}_time"] = rec.get("time")
        if "error" in rec:
            row["problems"].append(f"{side}: {rec['error']}")
    row["diff"] = max_diff(lumin.get("eval"), halite.get("eval"))
    row["train_diff"] = max_diff(lumin.get("train"), halite.get("train"))
    row["dropout"] = bool(lumin.get("dropout") or halite.get("dropout"))
    if "load_error" in halite:
        row["load"] = "FAIL"
        row["problems"].append(f"halite: strict load of lumin's state dict: {halite['load_error']}")
    elif "error" in lumin or "same_key_order" not in halite:
        row["load"] = "-"
    elif not halite["same_key_order"]:
        row["load"] = "order"
        row["problems"].append("halite: loads lumin's state dict strictly, its keys in another order")
    else:
        row["load"] = "ok"
    if "error" not in halite and not halite.get("own_input_equal", True):
        row["problems"].append("halite: the example's own input differs from lumin's")
    checks = {
        "output size": row["lumin_size"] is not None and row["lumin_size"] == row["halite_size"],
        "output shape": lumin.get("shape") is not None and lumin.get("shape") == halite.get("shape"),
        "parameters": row["lumin_params"] is not None and row["lumin_params"] == row["halite_params"],
        "eval output": row["diff"] is not None and row["diff"] < TOL,
        "train output": row["dropout"] or (row["train_diff"] is not None and row["train_diff"] < TOL),
    }
    if "error" not in lumin and "error" not in halite:
        row["problems"] += [f"{k} differs" for k, ok in checks.items() if not ok]
    row["ok"] = row["load"] == "ok" and all(checks.values()) and not row["problems"]
    return row


def halite_side(lumin: Mapping[str, Any], L: Any, *, reps: int) -> list[dict[str, Any]]:
    """Every example built in halite with lumin's state dict and input; a row per example."""
    rows = []
    for name, example in lumin_examples.EXAMPLES.items():
        rec = lumin["examples"].get(name, {"error": "not run in lumin"})
        if "error" in rec:
            halite = run_example(example, L, reps=reps)
        else:
            halite = run_example(example, L, state_dict=rec["state_dict"], x=rec["input"], reps=reps)
        rows.append(compare(name, rec, halite))
    return rows


def _size(size: Any) -> str:
    if size is None:
        return "-"
    return "x".join(str(s) for s in size) if isinstance(size, list | tuple) else str(size)


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The comparison table, its problems listed under it, and the count of examples that pass."""
    head = (
        f"{'example':30s} {'lumin size':>10s} {'halite size':>11s} {'lumin par':>10s} {'halite par':>10s} "
        f"{'max|diff|':>9s} {'train diff':>10s} {'load':>5s} {'lumin us':>9s} {'halite us':>9s}  ok"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        train = _num(r["train_diff"], "{:10.2e}") + ("*" if r["dropout"] else " ")
        lines.append(
            f"{r['example']:30s} {_size(r['lumin_size']):>10s} {_size(r['halite_size']):>11s} "
            f"{_num(r['lumin_params'], '{:10,d}'):>10s} {_num(r['halite_params'], '{:10,d}'):>10s} "
            f"{_num(r['diff'], '{:9.2e}'):>9s} {train:>11s}{r['load']:>5s} "
            f"{_num(r['lumin_time'] and 1e6 * r['lumin_time'], '{:9.1f}'):>9s} "
            f"{_num(r['halite_time'] and 1e6 * r['halite_time'], '{:9.1f}'):>9s}  {'yes' if r['ok'] else 'NO'}"
        )
    problems = [f"  {r['example']}: {p}" for r in rows for p in r["problems"]]
    if problems:
        lines += ["", "problems:", *problems]
    n_ok = sum(r["ok"] for r in rows)
    lines += [
        "",
        "size: get_out_size(), or the output's shape past the batch where the block has none; par: parameters;",
        "max|diff|: eval mode; train diff: train mode (* dropout acts: not counted); load: lumin's state dict into",
        "halite's block with strict=True (ok: in lumin's key order); us: median eval forward, microseconds.",
        f"{n_ok}/{len(rows)} examples pass (equal output size and parameters, strict load, max |output diff| < {TOL:g})",
    ]
    return "\n".join(lines)


def format_documented(lumin: Mapping[str, str | None], halite: Mapping[str, str | None]) -> str:
    """What each documented call that the examples had to change does in lumin 0.9.1 and in halite."""
    lines = [
        "documented calls that lumin 0.9.1 does not build as written (the examples above use another form):"
    ]
    for key, (example, call, _) in lumin_examples.DOCUMENTED.items():
        lines.append(f"  {example}: {call}")
        for side, res in (("lumin", lumin), ("halite", halite)):
            err = res.get(key, "not run")
            lines.append(f"    {side:6s}: {'builds and runs' if err is None else err[:160]}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--lumin-python", type=Path, help="a lumin 0.9.1 environment's Python (default: bench/.venv-lumin)"
    )
    ap.add_argument("--install-only", action="store_true", help="create bench/.venv-lumin and stop")
    ap.add_argument("--reps", type=int, default=20, help="forward calls timed per example (median)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads on both sides")
    ap.add_argument(
        "--fixed-weights", action="store_true", help="lumin's blocks get set_weights, not their init"
    )
    ap.add_argument("--no-fail", action="store_true", help="exit 0 even when examples fail")
    args = ap.parse_args(argv)
    if args.lumin_python is not None:
        args.lumin_python = os.path.abspath(
            args.lumin_python
        )  # the worker runs elsewhere; no symlink resolving
        why = check_lumin(args.lumin_python)
        if why is not None:
            msg = f"--lumin-python {args.lumin_python} does not run lumin {LUMIN_VERSION}'s blocks:\n{why}"
            raise SystemExit(msg)
        python = args.lumin_python
    else:
        python = ensure_lumin()
    if args.install_only:
        return 0
    import torch

    torch.set_num_threads(args.threads)
    lumin = run_lumin(python, reps=args.reps, threads=args.threads, fixed_weights=args.fixed_weights)
    L = halite_namespace()
    rows = halite_side(lumin, L, reps=args.reps)
    versions = ", ".join(f"{k} {v}" for k, v in lumin["versions"].items())
    print(
        f"lumin side: {versions} ({python}); halite side: torch {torch.__version__}; {args.threads} thread(s)"
    )
    for note in lumin["notes"]:
        print(f"note: {note}")
    print()
    print(format_table(rows))
    print()
    halite_doc = {key: try_documented(ex, L) for key, (_, _, ex) in lumin_examples.DOCUMENTED.items()}
    print(format_documented(lumin["documented"], halite_doc))
    failed = sum(not r["ok"] for r in rows)
    return 1 if failed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
