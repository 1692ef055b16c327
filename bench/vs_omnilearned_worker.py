"""OmniLearned 0.2.0's side of ``bench/vs_omnilearned.py``: its PET2 on seeded weights and jets.

``python bench/vs_omnilearned_worker.py OUT.pt [--presets small,medium,large] [--outputs small,medium]
[--batch 16] [--slots 64] [--reps 3] [--threads 1]`` runs with OmniLearned's environment's Python
(``bench/.venv-omnilearned``, halite not on the path). Per preset it counts the parameters of
``omnilearned.network.PET2`` in classifier mode (on the meta device: nothing allocated), plain
(``input_dim`` 4, no options) and with the fixture's options (``tests/unit/nn/pet2/seeded.py``:
interaction bias, local physics features, conditioning, ids, extra features); for the ``--outputs``
presets it builds the model, loads seeded weights, and saves its state dict, the seeded jets, the
logits and the median forward time per jet.

``python bench/vs_omnilearned_worker.py --pin tests/unit/nn/pet2/omnilearned_small.py`` writes the
unit tests' pinned constants: the small fixture's state-dict keys and shapes in OmniLearned's order,
its parameter counts per preset, and its logits on the seeded weights and jets.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]


def _seeded() -> Any:
    """tests/unit/nn/pet2/seeded.py (torch only), loaded by path."""
    spec = importlib.util.spec_from_file_location(
        "pet2_seeded", ROOT / "tests" / "unit" / "nn" / "pet2" / "seeded.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


seeded = _seeded()


def omnilearned_pet2(preset: str, plain: bool = False, device: str = "cpu") -> torch.nn.Module:
    """OmniLearned's PET2 (classifier mode) of a preset, plain or with the fixture's options."""
    from omnilearned.network import PET2
    from omnilearned.utils import get_model_parameters

    args = {"input_dim": 4, "mode": "classifier", "num_classes": 2} if plain else dict(seeded.FIXTURE_ARGS)
    args["use_int"], args["local_int"] = (False, False) if plain else (True, True)
    with torch.device(device):
        return PET2(**args, **get_model_parameters(preset))


def count(preset: str, plain: bool) -> int:
    return sum(p.numel() for p in omnilearned_pet2(preset, plain, "meta").parameters())


def logits(model: torch.nn.Module, jets: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        out = model(jets["x"], None, jets["cond"], jets["pid"], jets["add_info"])
    return out["y_pred"]


def forward_time(model: torch.nn.Module, jets: dict[str, torch.Tensor], reps: int) -> float:
    """Median seconds per jet of a forward pass of the batch."""
    logits(model, jets)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        logits(model, jets)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / jets["x"].shape[0]


def bench_jets(batch: int, slots: int) -> dict[str, torch.Tensor]:
    """Jets of the timing batch: lengths spread over [K + 1, slots]."""
    g = torch.Generator().manual_seed(3)
    lengths = torch.randint(11, slots + 1, (batch,), generator=g).tolist()
    return seeded.seeded_jets(batch, slots, lengths, seed=5)


def run(args: argparse.Namespace) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    results: dict[str, Any] = {"torch": str(torch.__version__)}
    for preset in args.presets.split(","):
        row: dict[str, Any] = {"count_plain": count(preset, True), "count_fixture": count(preset, False)}
        if preset in args.outputs.split(","):
            model = omnilearned_pet2(preset).eval()
            model.load_state_dict(seeded.seeded_state(seeded.shapes_of(model.state_dict())), strict=True)
            jets = bench_jets(args.batch, args.slots)
            row.update(
                state=model.state_dict(), jets=jets, logits=logits(model, jets),
                time_per_jet=forward_time(model, jets, args.reps),
            )  # fmt: skip
        results[preset] = row
    return results


def omnilearned_variant() -> torch.nn.Module:
    """OmniLearned's PET2 with ``seeded.VARIANT_ARGS`` (norm and activation names -> torch classes)."""
    from omnilearned.network import PET2

    args = dict(seeded.VARIANT_ARGS)
    args["norm_layer"] = getattr(torch.nn, args["norm_layer"])
    args["act_layer"] = getattr(torch.nn, args["act_layer"])
    return PET2(**args, mode="classifier")


def pin(path: Path) -> None:
    """Write the unit tests' pinned constants, measured on OmniLearned's own PET2."""
    model = omnilearned_pet2("small").eval()
    shapes = seeded.shapes_of(model.state_dict())
    model.load_state_dict(seeded.seeded_state(shapes), strict=True)
    out = logits(model, seeded.seeded_jets())
    variant = omnilearned_variant().eval()
    variant_shapes = seeded.shapes_of(variant.state_dict())
    variant.load_state_dict(seeded.seeded_state(variant_shapes), strict=True)
    jets = seeded.seeded_jets()
    with torch.no_grad():
        variant_out = variant(seeded.variant_x(jets), None)["y_pred"]
    counts = {p: {"plain": count(p, True), "fixture": count(p, False)} for p in ("small", "medium", "large")}
    lines = [
        '"""Pinned from OmniLearned 0.2.0 (``python bench/vs_omnilearned_worker.py --pin THIS_FILE``; do not edit).',
        "",
        "``KEYS``: ``omnilearned.network.PET2(**seeded.FIXTURE_ARGS, **get_model_parameters('small'))``'s",
        "state-dict keys and shapes, in order. ``COUNTS``: parameters per preset in classifier mode, plain",
        "(``input_dim=4``, no options) and with the fixture's options. ``LOGITS``: its outputs on",
        "``seeded.seeded_state(KEYS)`` and ``seeded.seeded_jets()``.",
        '"""',
        "",
        "KEYS = [",
        *[f"    ({k!r}, {tuple(s)!r})," for k, s in shapes],
        "]",
        f"COUNTS = {counts!r}",
        f"LOGITS = {[[float(f'{v:.7g}') for v in row] for row in out.tolist()]!r}",
        "#: the same for ``seeded.VARIANT_ARGS`` (inputs ``seeded.variant_x(seeded.seeded_jets())``)",
        "VARIANT_KEYS = [",
        *[f"    ({k!r}, {tuple(s)!r})," for k, s in variant_shapes],
        "]",
        f"VARIANT_LOGITS = {[[float(f'{v:.7g}') for v in row] for row in variant_out.tolist()]!r}",
        "",
    ]
    path.write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", type=Path, help="results file (.pt)")
    ap.add_argument("--pin", type=Path, help="write the unit tests' pinned constants to this file instead")
    ap.add_argument("--presets", default="small,medium,large")
    ap.add_argument("--outputs", default="small,medium", help="presets whose outputs and times are measured")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.pin:
        pin(args.pin)
        return
    if args.out is None:
        ap.error("give OUT.pt or --pin FILE")
    torch.save(run(args), args.out)


if __name__ == "__main__":
    main()
