"""``bench/vs_lumin.py``'s examples against halite and its table code (no lumin needed).

Every example of ``bench/lumin_examples.py`` must build against ``halite.nn.lumin`` and give lumin
0.9.1's numbers, pinned below; an example whose class is not in ``halite.nn.lumin`` yet is skipped,
naming the class. The table code runs on results made here in place of the lumin worker's.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from bench import vs_lumin

EX = vs_lumin.lumin_examples  # the module vs_lumin and its worker load (bench/ on the path)
worker = sys.modules["vs_lumin_worker"]
DATA = sys.modules["lumin_example_data"]  # the examples' fixed data
ROOT = Path(__file__).resolve().parents[2]

#: lumin 0.9.1, each example (bench/lumin_examples.py, its data), torch.manual_seed(0) then the worker's
#: set_weights, eval mode on the example's input: get_out_size() (None: the block has none), output shape
#: past the batch, parameters, state-dict entries, sum and sum of |.| of the output, and sum of |.| of the
#: train-mode output (None where dropout acts); taken with bench/vs_lumin_worker.py --fixed-weights
LUMIN = {
    "FullyConnected[1]": (100, [100], 33600, 8, 1727.11178, 1727.11178, 1727.11178),
    "FullyConnected[2]": (380, [380], 264360, 8, 19749.3699, 19749.3699, 19749.3699),
    "FullyConnected[3]": (100, [100], 44100, 20, 16.2516025, 693.544808, None),
    "FullyConnected[4]": (112, [112], 89776, 12, 1971.6141, 3434.0024, 3434.0024),
    "FullyConnected[5]": (50, [50], 15006, 48, 280.576674, 3410.63166, 164.178812),
    "MultiBlock[1]": (132, [132], 79404, 14, 4327.24446, 4418.0988, 4418.0988),
    "MultiBlock[2]": (132, [132], 79899, 18, 6208.73177, 6293.85382, 6293.85382),
    "MultiBlock[3]": (132, [132], 79899, 18, 6273.27408, 6357.7347, 6357.7347),
    "Conv1DBlock[1]": (None, [16, 10], 160, 2, 356.791158, 356.791158, 356.791158),
    "Conv1DBlock[2]": (None, [32, 5], 1568, 2, 536.280336, 536.280336, 536.280336),
    "Conv1DBlock[3]": (None, [16, 10], 192, 7, 30.8036954, 444.523525, 519.764863),
    "Res1DBlock[1]": (None, [16, 10], 1568, 4, -149.307535, 2597.52622, 2597.52622),
    "Res1DBlock[2]": (None, [32, 5], 5216, 6, 23.3664639, 2980.98615, 2980.98615),
    "Res1DBlock[3]": (None, [16, 10], 1632, 14, 56.7518607, 881.736431, 930.534342),
    "ResNeXt1DBlock[1]": (None, [32, 10], 1280, 6, 24.4903953, 1967.24256, 1967.24256),
    "ResNeXt1DBlock[2]": (None, [32, 5], 2336, 8, 58.8036468, 700.060355, 700.060355),
    "ResNeXt1DBlock[3]": (None, [32, 10], 1408, 21, 61.5033971, 2051.47671, 2061.47113),
    "CatEmbHead[1]": (6, [6], 0, 0, 3.6850206, 30.3450655, 30.3450655),
    "CatEmbHead[2]": (11, [11], 21, 2, 9.220914, 42.6130756, 42.6130756),
    "CatEmbHead[3]": (11, [11], 21, 2, 9.220914, 42.6130756, None),
    "CatEmbHead[4]": (11, [11], 21, 2, 9.220914, 42.6130756, 42.6130756),
    "MultiHead[1]": (31, [31], 136, 10, 46.0221744, 113.15175, 113.15175),
    "InteractionNet[1]": (20, [20], 115, 8, 118.349855, 118.349855, 118.349855),
    "InteractionNet[2]": (8, [8], 169, 8, 150.392918, 150.392918, 150.392918),
    "InteractionNet[3]": (20, [20], 215, 42, 62.8498499, 62.8498499, None),
    "RecurrentHead[1]": (20, [20], 520, 4, 11.8533742, 129.327919, 129.327919),
    "RecurrentHead[2]": (20, [20], 960, 16, 1407.17781, 1407.17781, 1407.17781),
    "RecurrentHead[3]": (10, [10], 640, 4, 0.803911382, 16.6529092, 16.6529092),
    "RecurrentHead[4]": (20, [20], 4800, 24, -6.66370726, 61.3965926, 61.3965926),
    "AbsConv1dHead[1] MyCNN": (32, [32], 5616, 8, 480.478906, 480.478906, 480.478906),
    "AbsConv1dHead[2] MyResNet": (32, [32], 13152, 16, 202.872314, 7910.924, 7910.924),
    "AbsConv1dHead[3] MyResNeXt": (32, [32], 5216, 22, 11.1185817, 1733.75074, 1733.75074),
    "LorentzBoostNet[1]": (39, [39], 138, 7, -11.106264, 179.21769, 131.167993),
    "LorentzBoostNet[2]": (6, [6], 72, 7, -41.4927162, 74.4026097, 19.5726362),
    "AutoExtractLorentzBoostNet[1]": (48, [48], 523, 19, 96.2786741, 166.965569, 72.3093857),
    "ClassRegMulti[1]": (1, [1], 101, 2, 4.47413915, 4.47413915, 4.47413915),
    "ClassRegMulti[2]": (5, [5], 505, 2, -75.4719695, 75.4719695, 75.4719695),
    "ClassRegMulti[3]": (1, [1], 101, 2, 47.5083761, 47.5083761, 47.5083761),
    "ClassRegMulti[4]": (6, [6], 606, 2, 152.88723, 212.49129, 212.49129),
    "AbsEndcap (subclass)": (None, [1], 44, 2, 8.00000143, 8.00000143, 8.00000143),
}


def halite_ns() -> Any:
    return vs_lumin.halite_namespace()


def build(name: str) -> dict[str, Any]:
    """The example built against halite with set_weights, as the bench runs it; skipped if a class is missing."""
    L = halite_ns()
    try:
        torch.manual_seed(0)
        EX.EXAMPLES[name](L)
    except worker.MissingName as e:
        pytest.skip(str(e))
    res = worker.run_example(EX.EXAMPLES[name], L, fixed_weights=True, reps=1)
    assert "error" not in res, res["error"]
    return res


def test_every_example_is_pinned() -> None:
    assert list(LUMIN) == list(EX.EXAMPLES)
    assert len(EX.EXAMPLES) == 40
    assert {v[0] for v in EX.DOCUMENTED.values()} <= set(EX.EXAMPLES)


@pytest.mark.parametrize("name", list(LUMIN))
def test_example_builds_in_halite_with_lumins_sizes_and_outputs(name: str) -> None:
    size, shape, params, n_state, total, abs_total, train_abs = LUMIN[name]
    res = build(name)
    assert res["out_size"] == size
    assert res["shape"] == shape
    assert res["params"] == params
    assert len(res["state_dict"]) == n_state
    y = res["eval"].double()
    assert float(y.sum()) == pytest.approx(total, rel=1e-4, abs=1e-4)
    assert float(y.abs().sum()) == pytest.approx(abs_total, rel=1e-4, abs=1e-4)
    assert res["dropout"] == (train_abs is None)
    if train_abs is not None:
        assert float(res["train"].double().abs().sum()) == pytest.approx(train_abs, rel=1e-4, abs=1e-4)


def test_example_data() -> None:
    mat = DATA.matrix_input()
    assert mat.shape == (DATA.BATCH, len(DATA.matrix_feats)) == (DATA.BATCH, 19)
    assert "l1_pz" not in DATA.matrix_feats  # a missing matrix element
    mom = DATA.four_momenta(DATA.BATCH, len(DATA.vecs))
    assert (mom[..., 3] ** 2 - (mom[..., :3] ** 2).sum(-1)).sub(1.0).abs().max() < 1e-4  # mass 1: physical
    e_col = DATA.matrix_feats.index("j1_E")
    assert torch.equal(mat[:, e_col], mom[:, 1, 3])
    cats = DATA.cat_columns()
    for k, sz in enumerate(DATA.CAT_FEATS.values()):
        assert cats[:, k].min() >= 0 and cats[:, k].max() < sz
    fy = DATA.train_fy
    assert fy.get_use_cat_feats() == ["n_jets", "channel"] and len(fy) == 2
    maxima = [fy.get_df(n_folds=1, fold_idx=i, inc_inputs=True).max().to_numpy() for i in range(len(fy))]
    assert [int(m) + 1 for m in maxima[0]] != list(DATA.CAT_FEATS.values())  # one fold alone is not enough
    assert [int(max(a, b)) + 1 for a, b in zip(*maxima, strict=True)] == list(DATA.CAT_FEATS.values())
    assert DATA.head.feat_map["PRI_f0"] == [12] and len(DATA.head.feat_map) == 32


def test_cat_embedder_from_fy_reads_every_fold() -> None:
    CatEmbedder = getattr(halite_ns()._module, "CatEmbedder", None)
    if CatEmbedder is None:
        pytest.skip("halite.nn.lumin has no 'CatEmbedder' yet")
    emb = CatEmbedder.from_fy(DATA.train_fy)
    assert (list(emb.cat_names), [int(s) for s in emb.cat_szs]) == (["n_jets", "channel"], [5, 3])


def test_namespace_reports_a_missing_name() -> None:
    ns = worker.Namespace(torch.nn, "torch.nn")
    assert ns.Linear is nn.Linear and ns.nn is nn
    with pytest.raises(worker.MissingName, match="torch.nn has no 'FullyConnected'"):
        ns.FullyConnected  # noqa: B018


# ----------------------------------------------------------------------------- the table on fake results
def toy(L: Any) -> tuple[nn.Module, torch.Tensor]:
    return L.Block(), DATA.fixed_input(4, 3)


class Block(nn.Module):  # "lumin": two layers
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 5), nn.Linear(5, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.tanh(self.a(x)))

    def get_out_size(self) -> int:
        return 2


class Reordered(Block):  # same keys, registered in another order
    def __init__(self) -> None:
        nn.Module.__init__(self)
        self.b, self.a = nn.Linear(5, 2), nn.Linear(3, 5)


class Wider(Block):  # another layout
    def __init__(self) -> None:
        nn.Module.__init__(self)
        self.a, self.b = nn.Linear(3, 6), nn.Linear(6, 2)


class Broken(Block):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom")


def ns(block: type) -> Any:
    return type("NS", (), {"Block": block})


def rows_for(*blocks: type) -> list[dict[str, Any]]:
    lumin = worker.run_example(toy, ns(Block), reps=2)
    out = []
    for i, b in enumerate(blocks):
        halite = worker.run_example(toy, ns(b), state_dict=lumin["state_dict"], x=lumin["input"], reps=2)
        out.append(vs_lumin.compare(f"toy[{i}]", lumin, halite))
    return out


def test_compare_passes_the_same_block_and_names_each_failure() -> None:
    same, order, wider, broken = rows_for(Block, Reordered, Wider, Broken)
    assert same["ok"] and same["load"] == "ok" and same["diff"] == 0.0 and same["problems"] == []
    assert (same["lumin_size"], same["halite_size"], same["lumin_params"]) == (2, 2, 32)
    assert not order["ok"] and order["load"] == "order" and order["diff"] == 0.0
    assert not wider["ok"] and wider["load"] == "FAIL" and wider["halite_params"] == 38
    assert any("strict load" in p and "size mismatch" in p for p in wider["problems"])
    assert any("parameters differs" in p for p in wider["problems"])
    assert not broken["ok"] and broken["diff"] is None
    assert broken["problems"] == ["halite: RuntimeError: boom"]


def test_compare_a_lumin_failure_fails_the_row() -> None:
    lumin = worker.run_example(toy, ns(Broken), reps=1)
    halite = worker.run_example(toy, ns(Block), reps=1)
    row = vs_lumin.compare("toy", lumin, halite)
    assert not row["ok"] and row["load"] == "-" and row["problems"] == ["lumin: RuntimeError: boom"]


def test_format_table_shows_every_row_its_problems_and_the_count() -> None:
    rows = rows_for(Block, Wider, Broken)
    table = vs_lumin.format_table(rows)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["example", "lumin", "size"]
    first = next(ln for ln in lines if ln.startswith("toy[0]")).split()
    assert first[1:7] == ["2", "2", "32", "32", "0.00e+00", "0.00e+00"] and first[-1] == "yes"
    assert next(ln for ln in lines if ln.startswith("toy[1]")).split()[-1] == "NO"
    assert "  toy[2]: halite: RuntimeError: boom" in lines
    assert lines[-1].startswith("1/3 examples pass")


def test_halite_side_runs_every_example_on_lumins_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EX, "EXAMPLES", {"toy": toy, "missing": toy})
    lumin = {"examples": {"toy": worker.run_example(toy, ns(Block), fixed_weights=True, reps=1)}}
    rows = vs_lumin.halite_side(lumin, ns(Block), reps=1)
    assert [r["example"] for r in rows] == ["toy", "missing"]
    assert rows[0]["ok"] and rows[0]["diff"] == 0.0
    assert not rows[1]["ok"] and rows[1]["problems"] == ["lumin: not run in lumin"]


def test_format_documented_lists_both_sides() -> None:
    key = "MultiBlock[2] as documented"
    text = vs_lumin.format_documented({key: "TypeError: bottleneck"}, {key: None})
    assert "MultiBlock[2]: bottleneck=True" in text
    assert "lumin : TypeError: bottleneck" in text and "halite: builds and runs" in text
    assert "not run" in text  # the other documented calls, absent from these results


def test_max_diff() -> None:
    a = torch.zeros(2, 3)
    assert vs_lumin.max_diff(a, a + 0.5) == 0.5
    assert vs_lumin.max_diff(a, torch.zeros(3, 2)) is None
    assert vs_lumin.max_diff(None, a) is None


def test_worker_helpers() -> None:
    drop = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))
    assert worker.has_dropout(drop) and not worker.has_dropout(nn.Sequential(nn.Dropout(0.0)))
    assert worker.has_dropout(nn.GRU(2, 3, num_layers=2, dropout=0.2)) and not worker.has_dropout(
        nn.GRU(2, 3)
    )
    bn = nn.BatchNorm1d(3)
    worker.set_weights(bn)
    assert (
        bn.running_var is not None
        and bool((bn.running_var >= 1).all())
        and float(bn.weight[1]) == pytest.approx(0.5 * math.sin(0.7))
    )


def test_check_lumin_reports_a_missing_python(tmp_path: Path) -> None:
    assert "does not exist" in (vs_lumin.check_lumin(tmp_path / "python") or "")
    cmd = vs_lumin.lumin_check_command("/x/python")
    assert cmd[0] == "/x/python" and "'0.9.1'" in cmd[2] and "'2.13.0'" in cmd[2]
    assert "PYTHONPATH" not in vs_lumin.lumin_env()


def test_help() -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "vs_lumin.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr
    assert "usage:" in res.stdout.lower() and "make test" in res.stdout
