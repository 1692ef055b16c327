"""ROOT-read vs HDF5-read jets/s on the same data.

Writes a one-jet-per-entry ROOT TTree (weaver / JetClass-like: jet scalars plus jagged
constituent branches), converts it with ``halite convert`` to salt-layout HDF5, and
times one epoch of the JetDataset over each (same specs, batch size, shuffling and
bucketing, no loader workers). Also times the event-layout reader on the real PFNano
file when it is present.

    PYTHONPATH=. python bench/columnar_read.py [--jets 100000] [--batch-size 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np
import uproot

from halite.data.block_reader import reader_factory
from halite.data.columnar.config import columnar_config
from halite.data.convert import convert, load_columnar
from halite.data.dataset import JetDataset
from halite.data.specs import InputSpec, LabelSpec

TRACK_VARS = ["part_logpt", "part_rel", "part_deta", "part_dphi", "part_d0", "part_dz", "part_charge"]
CONFIG = {
    "layout": "jet",
    "tree": "tree",
    "selection": "jet_pt > 20",
    "new_variables": {
        "part_logpt": "log(part_pt)",
        "part_rel": "part_pt / jet_pt",
        "part_deta": "part_eta - jet_eta",
        "part_dphi": "arctan2(sin(part_phi - jet_phi), cos(part_phi - jet_phi))",
    },
    "labels": {"flavour_label": {"one_hot": ["label_b", "label_c", "label_l"]}},
    "streams": {
        "jets": {"branches": ["jet_pt", "jet_eta"]},
        "tracks": {"branches": TRACK_VARS, "max_length": 64, "sort_by": "part_pt"},
    },
}


def write_root(path: Path, num: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(30, num)
    total = int(counts.sum())
    flav = rng.integers(0, 3, num)

    def jag(x: np.ndarray) -> ak.Array:
        return ak.unflatten(x.astype(np.float32), counts)

    arrays = {
        "jet_pt": rng.uniform(20, 500, num).astype(np.float32) + (rng.uniform(size=num) < 0.05) * -10,
        "jet_eta": rng.uniform(-2.5, 2.5, num).astype(np.float32),
        "jet_phi": rng.uniform(-np.pi, np.pi, num).astype(np.float32),
        "label_b": flav == 0,
        "label_c": flav == 1,
        "label_l": flav == 2,
        "part_pt": jag(rng.exponential(5, total) + 0.5),
        "part_eta": jag(rng.normal(0, 1, total)),
        "part_phi": jag(rng.uniform(-np.pi, np.pi, total)),
        "part_d0": jag(rng.normal(0, 0.1, total)),
        "part_dz": jag(rng.normal(0, 0.1, total)),
        "part_charge": ak.unflatten(rng.integers(-1, 2, total).astype(np.int32), counts),
    }
    with uproot.recreate(path) as f:
        f.mktree("tree", {k: v.type if isinstance(v, ak.Array) else v.dtype for k, v in arrays.items()})
        step = 20_000
        for s in range(0, num, step):
            f["tree"].extend({k: v[s : s + step] for k, v in arrays.items()})


def specs(track_vars: list[str], jet_vars: list[str], label: str = "flavour_label") -> list[InputSpec]:
    return [
        InputSpec("jets", "jets", tuple(jet_vars), is_global=True, labels=(LabelSpec(label, num_classes=3),)),
        InputSpec("tracks", "tracks", tuple(track_vars)),
    ]


def epoch_rate(
    files: list[Path], spec: list[InputSpec], config, batch_size: int, repeats: int
) -> tuple[float, list[tuple[float, float]]]:
    """(dataset setup seconds, (wall, CPU) jets/s of each of ``repeats`` epochs).

    The first epoch reads cold; later ones may hit uproot's in-memory basket cache (ROOT) or the
    OS page cache (both). CPU-time rates are less sensitive to other processes on a shared machine.
    """
    t0 = time.perf_counter()
    readers = reader_factory(files, spec, config, "jets")
    ds = JetDataset(files, spec, batch_size=batch_size, shuffle=True, bucket=True, readers=readers)
    setup = time.perf_counter() - t0
    rates = []
    for epoch in range(repeats):
        ds.set_epoch(epoch)
        t0, c0 = time.perf_counter(), time.process_time()
        n = sum(len(b.inputs["jets"]) for b in ds)
        rates.append((n / (time.perf_counter() - t0), n / max(time.process_time() - c0, 1e-9)))
    return setup, rates


def report(name: str, setup: float, rates: list[tuple[float, float]]) -> None:
    epochs = ", ".join(f"{w:,.0f} ({c:,.0f} CPU)" for w, c in rates)
    print(f"  {name:4s} read, jets/s per epoch: {epochs}; dataset setup {setup:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jets", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    config = columnar_config(CONFIG)
    with tempfile.TemporaryDirectory() as tmp:
        root, h5 = Path(tmp) / "jets.root", Path(tmp) / "jets.h5"
        write_root(root, args.jets)
        t0 = time.perf_counter()
        n = convert([root], h5, config, "jets", progress=False)
        conv = time.perf_counter() - t0
        print(
            f"per-jet layout: {args.jets} entries, {n} selected jets, 64 slots x {len(TRACK_VARS)} track vars"
        )
        print(f"  halite convert ROOT -> HDF5: {n / conv:,.0f} jets/s ({conv:.1f} s)")
        spec = specs(TRACK_VARS, ["jet_pt", "jet_eta"])
        for name, path in (("ROOT", root), ("HDF5", h5)):
            report(name, *epoch_rate([path], spec, config, args.batch_size, args.repeats))
    pfnano = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pfnano.root"
    pfnano = pfnano if pfnano.is_file() else Path("/work/shared/data/pfnano.root")
    cfg_path = Path(__file__).resolve().parents[1] / "configs" / "pfnano.yaml"
    if pfnano.is_file():
        pf_config, _ = load_columnar(cfg_path)
        spec = specs(["log_pt", "rel_pt", "deta", "dphi", "PFCands_d0", "PFCands_dz"], ["Jet_pt", "Jet_eta"])
        with tempfile.TemporaryDirectory() as tmp:
            h5 = Path(tmp) / "pfnano.h5"
            convert([pfnano], h5, pf_config, "jets", progress=False)
            print("event layout (real PFNano, 10 events, 52 selected jets; overhead-dominated):")
            for name, path in (("ROOT", pfnano), ("HDF5", h5)):
                report(name, *epoch_rate([path], spec, pf_config, 64, max(args.repeats, 3)))


if __name__ == "__main__":
    main()
