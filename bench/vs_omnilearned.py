"""halite's PET2 vs OmniLearned 0.2.0's: parameters per preset, outputs on the same weights, time per jet.

Usage: python bench/vs_omnilearned.py [--omnilearned-python PY] [--presets small,medium,large]
       [--outputs small,medium] [--batch 16] [--slots 64] [--reps 3] [--threads 1] [--no-fail]
       python bench/vs_omnilearned.py --install-only

``bench/vs_omnilearned_worker.py`` runs in OmniLearned's own environment (``bench/.venv-omnilearned``,
halite not on its path): per preset it counts the parameters of ``omnilearned.network.PET2`` in
classifier mode, plain (4 particle features, no options) and with the unit tests' fixture options
(interaction bias, local physics features, a jet-level conditioning token, particle ids, extra
features; ``tests/unit/nn/pet2/seeded.py``); for the ``--outputs`` presets it loads seeded weights,
runs a batch of seeded jets (``--slots`` slots, 11 to ``--slots`` particles each) and times the
forward pass. This script then builds halite's PET2 with the same arguments, loads OmniLearned's
state dict with ``strict=True``, runs the same jets and prints one row per preset: parameters on
both sides, the max |logit difference| and the median forward time per jet of each (eval mode, no
gradients, ``--threads`` CPU threads). A preset passes with equal counts and differences below
1e-5; exit status 1 otherwise (unless ``--no-fail``).

``bench/.venv-omnilearned`` is created when missing: ``torch==2.13.0`` (the project's, kept by a
constraints file), ``omnilearned==0.2.0`` with ``--no-deps``, and what its model modules
(``network``, ``layers``, ``diffusion``, ``utils``) import. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # appended: bench/memory.py and the like shadow nothing

from peer_venv import TORCH_PIN, ensure_peer, peer_env  # noqa: E402

VENV = ROOT / "bench" / ".venv-omnilearned"
VERSION = "0.2.0"
#: what omnilearned 0.2.0's network / layers / diffusion / utils modules import
DEPS = ["einops", "torchdiffeq", "numpy", "scikit-learn", "requests"]
TOL = 1e-5


def check(python: Path) -> str | None:
    """None when ``python`` imports OmniLearned 0.2.0's PET2 on torch 2.13.0, else why not."""
    if not python.exists():
        return f"{python} does not exist"
    code = (
        "import importlib.metadata as m, torch; import omnilearned.network, omnilearned.utils; "
        f"assert m.version('omnilearned') == {VERSION!r}; "
        f"assert torch.__version__.split('+')[0] == {TORCH_PIN.split('==')[1]!r}, torch.__version__"
    )
    res = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=peer_env(), cwd="/")
    return None if res.returncode == 0 else res.stderr[-2000:]


def ensure_env(venv: Path = VENV) -> Path:
    """``venv``'s Python, creating the environment with omnilearned 0.2.0 unless it already works."""
    return ensure_peer(venv, [f"omnilearned=={VERSION}"], DEPS, check, "omnilearned")


def run_worker(python: Path, args: argparse.Namespace) -> dict[str, Any]:
    import torch

    with tempfile.TemporaryDirectory(prefix="vs_omnilearned_") as tmp:
        out = Path(tmp) / "omnilearned.pt"
        cmd = [str(python), str(ROOT / "bench" / "vs_omnilearned_worker.py"), str(out)]
        for flag in ("presets", "outputs", "batch", "slots", "reps", "threads"):
            cmd += [f"--{flag}", str(getattr(args, flag))]
        res = subprocess.run(cmd, capture_output=True, text=True, env=peer_env(), cwd=tmp)
        if res.returncode or not out.exists():
            msg = f"the OmniLearned worker failed (exit {res.returncode}):\n{res.stderr[-3000:]}"
            raise RuntimeError(msg)
        return torch.load(out, weights_only=True)


def seeded_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "pet2_seeded", ROOT / "tests" / "unit" / "nn" / "pet2" / "seeded.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def halite_row(preset: str, peer: dict[str, Any], reps: int) -> dict[str, Any]:
    """halite's side of one preset: counts, and with the peer's outputs, the difference and times."""
    import torch

    from halite.nn.point.pet import PET2, parameter_count

    seeded = seeded_module()
    row: dict[str, Any] = {
        "preset": preset,
        "ol_plain": peer["count_plain"],
        "ol_fixture": peer["count_fixture"],
        "hl_plain": parameter_count(preset, use_int=False, local_int=False),  # type: ignore[arg-type]
        "hl_fixture": parameter_count(preset, **seeded.FIXTURE_ARGS),  # type: ignore[arg-type]
    }
    if "state" not in peer:
        return row
    net = PET2(preset=preset, **seeded.FIXTURE_ARGS).eval()  # type: ignore[arg-type]
    net.load_state_dict(peer["state"], strict=True)
    jets = peer["jets"]

    def forward() -> torch.Tensor:
        with torch.no_grad():
            return net.classify(jets["x"], jets["cond"], jets["pid"], jets["add_info"])

    out = forward()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        forward()
        times.append(time.perf_counter() - t0)
    row.update(
        max_diff=float((out - peer["logits"]).abs().max()),
        ol_ms=1e3 * peer["time_per_jet"],
        hl_ms=1e3 * statistics.median(times) / jets["x"].shape[0],
    )
    return row


def passes(row: dict[str, Any]) -> bool:
    counts = row["ol_plain"] == row["hl_plain"] and row["ol_fixture"] == row["hl_fixture"]
    return counts and row.get("max_diff", 0.0) < TOL


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    head = ("| preset | params OmniLearned (plain / options) | params halite (plain / options) "
            "| max abs logit diff | OmniLearned ms/jet | halite ms/jet | ok |")  # fmt: skip
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        diff = f"{r['max_diff']:.1e}" if "max_diff" in r else "-"
        ol = f"{r['ol_ms']:.2f}" if "ol_ms" in r else "-"
        hl = f"{r['hl_ms']:.2f}" if "hl_ms" in r else "-"
        lines.append(
            f"| {r['preset']} | {r['ol_plain']:,} / {r['ol_fixture']:,} | {r['hl_plain']:,} / {r['hl_fixture']:,} "
            f"| {diff} | {ol} | {hl} | {'yes' if passes(r) else 'NO'} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--omnilearned-python", type=Path, help="an omnilearned 0.2.0 environment's Python")
    ap.add_argument("--install-only", action="store_true", help="create bench/.venv-omnilearned and stop")
    ap.add_argument("--presets", default="small,medium,large")
    ap.add_argument("--outputs", default="small,medium", help="presets whose outputs and times are compared")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-fail", action="store_true", help="exit 0 even if a preset differs")
    args = ap.parse_args(argv)
    python = args.omnilearned_python or ensure_env()
    if args.install_only:
        return 0
    import torch

    torch.set_num_threads(args.threads)
    peer = run_worker(Path(python), args)
    rows = [halite_row(p, peer[p], args.reps) for p in args.presets.split(",")]
    print(f"PET2: OmniLearned {VERSION} vs halite (torch {torch.__version__}, {args.threads} thread(s), "
          f"{args.batch} jets x {args.slots} slots)")  # fmt: skip
    print(format_table(rows))
    return 0 if args.no_fail or all(passes(r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
