"""``bench/vs_weaver.py``: its metrics and table, and the worker's halite side on a tiny file (no weaver needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from bench import vs_weaver, vs_weaver_worker
from halite.data.pythia_jets import PARTICLE_DTYPE

ROOT = Path(__file__).resolve().parents[2]


def test_help_starts_without_weaver() -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "vs_weaver.py"), "--help"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert res.returncode == 0, res.stderr
    assert "--variant" in res.stdout and "--smoke" in res.stdout


def test_metrics_against_sklearn_and_by_hand() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500) * 0.6 + 0.4 * y, 2)  # ties on purpose
    assert vs_weaver.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    # 10 signal at 0.6..0.9 and 4 background: the 50% signal cut (median, 0.75) keeps 0.76 and 0.82,
    # the 30% cut (70% quantile, 0.815) keeps 0.82
    y2 = np.array([1] * 10 + [0] * 4)
    s2 = np.array([0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.8, 0.85, 0.88, 0.9, 0.1, 0.2, 0.76, 0.82])
    m = vs_weaver.metrics(y2, s2)
    assert m["rej50"] == pytest.approx(2.0)
    assert m["rej30"] == pytest.approx(4.0)
    assert m["acc"] == pytest.approx(12 / 14)  # every signal above 0.5, two background too
    assert vs_weaver.rejection(np.array([1, 1, 0]), np.array([0.9, 0.8, 0.1]), 0.5) == float("inf")


def test_table_rows_and_ratios() -> None:
    run = {
        "auc": 0.9,
        "acc": 0.8,
        "rej30": 40.0,
        "rej50": 10.0,
        "jets_s": 100.0,
        "rss": 500.0,
        "params": 1234.0,
    }
    faster = {**run, "auc": 0.91, "jets_s": 150.0, "rss": 400.0}
    table = vs_weaver.format_table("top_qcd", {"weaver": [run, run], "halite (weaver)": [faster, run]})
    lines = table.splitlines()
    assert lines[2].startswith("| weaver | 1,234 | 2 | 0.9000 ± 0.0000 |")
    assert "| 0.9050 ± 0.0071 |" in lines[3]  # mean and sample std of 0.91, 0.90
    ratio = dict(zip(lines[0].strip("| ").split(" | "), lines[4].strip("| ").split(" | "), strict=True))
    assert ratio["top_qcd"] == "halite (weaver) / weaver" and ratio["AUC"] == "1.006"
    assert ratio["train jets/s"] == "1.250" and ratio["peak RSS MB"] == "0.900"
    assert ratio["train jets/CPU-s"] == "-"  # runs without CPU times (older results) show a dash


def tiny_sample(folder: Path, n: int = 24, slots: int = 8) -> None:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test"):
        parts = np.zeros((n, slots), PARTICLE_DTYPE)
        counts = rng.integers(1, slots + 1, n)
        valid = np.arange(slots)[None] < counts[:, None]
        pt = rng.uniform(1, 50, (n, slots))
        eta, phi = rng.normal(0, 0.3, (n, slots)), rng.normal(0, 0.3, (n, slots))
        for k, v in {"pt": pt, "eta": eta, "phi": phi, "deta": eta, "dphi": phi, "energy": pt * np.cosh(eta),
                     "px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta),
                     "charge": rng.integers(-1, 2, (n, slots))}.items():  # fmt: skip
            parts[k] = np.where(valid, v, 0)
        parts["valid"] = valid
        jets = np.zeros(n, [("pt", "f4"), ("energy", "f4"), ("is_top", "i4"), ("is_quark", "i4")])
        jets["pt"], jets["energy"], jets["is_top"] = 300.0, 400.0, np.arange(n) % 2
        with h5py.File(folder / f"{split}.h5", "w") as f:
            f["jets"], f["particles"] = jets, parts


def test_worker_halite_side_trains_and_writes(tmp_path: Path) -> None:
    tiny_sample(tmp_path / "d")
    out = tmp_path / "r.npz"
    args = ["--side", "halite", "--data", str(tmp_path / "d"), "--sample", "top_qcd", "--out", str(out),
            "--epochs", "2", "--batch-size", "8", "--embed-dims", "8,8", "--pair-embed-dims", "4",
            "--num-layers", "1", "--num-cls-layers", "1", "--num-heads", "2", "--num-constituents", "8"]  # fmt: skip
    vs_weaver_worker.main(args)
    with np.load(out) as f:
        rec = {k: f[k] for k in f.files}
    assert rec["scores"].shape == (24,) and np.isfinite(rec["scores"]).all()
    assert int(rec["seen"]) == 48 and float(rec["train_time"]) > 0 and float(rec["rss_peak"]) > 0
    m = vs_weaver.run_metrics(rec)
    assert 0 <= m["auc"] <= 1 and m["params"] == float(rec["params"])
    # memory at each stage: peaks never fall, the last is the run's peak, and the table shows them
    assert list(rec["rss_stages"]) == list(vs_weaver_worker.STAGES)
    assert (np.diff(rec["rss_stage_peak"]) >= 0).all() and (rec["rss_stage_now"] > 0).all()
    assert rec["rss_stage_peak"][-1] <= float(rec["rss_peak"])
    mem = vs_weaver.format_memory("top_qcd", {"halite (weaver)": [rec, rec]}).splitlines()
    assert mem[0].split(" | ")[1:3] == ["imports", "data"] and mem[2].startswith("| halite (weaver) | ")
    vs_weaver_worker.main([*args, "--variant", "halite-v1", "--optimizer", "adamw"])  # the other options run


def test_lookahead_pulls_slow_weights_every_k_steps() -> None:
    w = torch.nn.Parameter(torch.zeros(1))
    opt = vs_weaver_worker.Lookahead(torch.optim.SGD([w], lr=1.0), k=2, alpha=0.5)
    for _ in range(2):
        opt.zero_grad()
        (-w).sum().backward()  # gradient -1: SGD adds 1 per step
        opt.step()
    assert float(w) == pytest.approx(1.0)  # fast reached 2, slow 0 -> halfway
    assert opt.param_groups[0]["lr"] == 1.0  # schedulers see the inner groups
