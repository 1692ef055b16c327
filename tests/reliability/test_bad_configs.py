"""Bad-input corpus, configuration side: typos, wrong types, inconsistent sizes, broken norm / class
dicts and checkpoints, all through `halite fit` / `halite test`; each error must name the key or file
and say what to change."""

from __future__ import annotations

import ast
import pathlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from halite.commands import main
from tests.conftest import tiny_config
from tests.reliability.runs import small_config, the_run


def edit_config(cfg: Path, change: Callable[[dict], None], name: str = "bad.yaml") -> Path:
    data = yaml.safe_load(cfg.read_text())
    change(data)
    out = cfg.parent / name
    out.write_text(yaml.safe_dump(data))
    return out


def model_args(cfg: dict) -> dict:
    return cfg["model"]["model"]["init_args"]


def parse_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI expecting a parse error (exit status 2); return what it printed."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    return capsys.readouterr().err


# ---- parse-time errors: (id, change to the config or extra args, expected message) -------------------

PARSE_CASES: list[tuple[str, Callable[[dict], None] | None, list[str], str]] = [
    (
        "typo in a data key",
        lambda c: c["data"].update(batchsize=c["data"].pop("batch_size")),
        [],
        r"Unknown key 'data.batchsize': did you mean 'data.batch_size'\?",
    ),
    (
        "typo on the command line",
        None,
        ["--data.num_workrs", "0"],
        r"Unknown key 'data.num_workrs': did you mean 'data.num_workers'\?",
    ),
    (
        "typo in a section name",
        lambda c: c.update(trainr=c.pop("trainer")),
        [],
        r"Unknown key 'trainr\.\w+': did you mean 'trainer\.\w+'\?",
    ),
    (
        "typo in a task argument",
        lambda c: model_args(c)["tasks"][0]["init_args"].update(nme="x"),
        [],
        r"Unknown key 'nme' of halite.tasks.ClassificationTask: did you mean 'name'\?",
    ),
    (
        "typo in a class_path",
        lambda c: model_args(c)["encoder"].update(class_path="halite.nn.sets.transformer.TransformerEncodr"),
        [],
        r"did you mean 'halite.nn.sets.transformer.TransformerEncoder'\?",
    ),
    (
        "wrong type",
        lambda c: c["data"].update(batch_size="many"),
        [],
        r"data.batch_size.*\n.*Expected a <class 'int'>. Got value: many",
    ),
    (
        "value outside a closed set",
        lambda c: c["data"].update(non_finite="drop"),
        [],
        r"data.non_finite.*\n.*Literal\['error', 'zero', 'replace'\]. Got value: drop",
    ),
]


@pytest.mark.parametrize(("case", "change", "extra", "match"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_bad_config_parse(
    case: str,
    change: Callable[[dict], None] | None,
    extra: list[str],
    match: str,
    tiny_data: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    if change is not None:
        cfg = edit_config(cfg, change)
    err = parse_error(["fit", "--config", str(cfg), *extra, "--trainer.max_epochs", "0"], capsys)
    assert re.search(match, err), err


def test_config_file_missing_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"Config file not found: .*nope\.yaml"):
        main(["fit", "--config", str(tmp_path / "nope.yaml")])
    (tmp_path / "broken.yaml").write_text("data:\n  batch_size: [1\n")
    with pytest.raises(ValueError, match=r"(?s)broken\.yaml is not valid YAML .*line 2, column 15"):
        main(["fit", "--config", str(tmp_path / "broken.yaml")])


# ---- instantiation-time errors: sizes, norm and class dicts ---------------------------------------


def _write(path: Path, data: Any) -> str:
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(path)


def _norm(tiny: dict[str, Path]) -> dict:
    return yaml.safe_load(tiny["norm_dict"].read_text())


INSTANTIATE_CASES: list[tuple[str, Callable[[dict, dict[str, Path], Path], None], type[Exception], str]] = [
    (
        "heads do not divide width",
        lambda c, d, t: model_args(c)["encoder"]["init_args"].update(num_heads=5),
        ValueError,
        r"embed_dim=64 is not divisible by num_heads=5",
    ),
    (
        "init net for an unknown stream",
        lambda c, d, t: model_args(c)["init_nets"][0].update(input_name="muons"),
        ValueError,
        r"Init net for 'muons' but data.variables has no such stream",
    ),
    (
        "task on an unknown stream",
        lambda c, d, t: model_args(c)["tasks"][1]["init_args"].update(input_name="muons"),
        ValueError,
        r"Task 'track_origin' reads stream 'muons'",
    ),
    (
        "global object without variables",
        lambda c, d, t: c["data"].update(global_object="event"),
        ValueError,
        r"(data\.global_object 'event' has no entry in data\.variables|which is neither the global object 'event')",
    ),
    (
        "invalid option group value",
        lambda c, d, t: c["model"]["lrs_config"].update(pct_start=2.0),
        ValueError,
        r"lrs_config.pct_start must be in \(0, 1\), got 2.0",
    ),
    (
        "norm dict file missing",
        lambda c, d, t: c["data"].update(norm_dict=str(t / "none.yaml")),
        FileNotFoundError,
        r"YAML file not found: .*none\.yaml",
    ),
    (
        "norm dict not YAML",
        lambda c, d, t: c["data"].update(norm_dict=_write(t / "n.yaml", "tracks: {d0: [")),
        ValueError,
        r"n\.yaml is not valid YAML",
    ),
    (
        "norm dict not a mapping",
        lambda c, d, t: c["data"].update(norm_dict=_write(t / "n.yaml", [1, 2])),
        ValueError,
        r"Norm dict .*n\.yaml must map stream",
    ),
    (
        "norm dict missing a stream",
        lambda c, d, t: c["data"].update(norm_dict=_write(t / "n.yaml", {"jets": _norm(d)["jets"]})),
        ValueError,
        r"n\.yaml has no entry for stream 'tracks'",
    ),
    (
        "norm dict missing a variable",
        lambda c, d, t: c["data"].update(
            norm_dict=_write(
                t / "n.yaml",
                {**_norm(d), "tracks": {k: v for k, v in _norm(d)["tracks"].items() if k != "d0"}},
            )
        ),
        ValueError,
        r"n\.yaml has no mean/std for variable 'd0' of stream 'tracks'",
    ),
    (
        "norm dict zero std",
        lambda c, d, t: c["data"].update(
            norm_dict=_write(
                t / "n.yaml",
                {**_norm(d), "jets": {**_norm(d)["jets"], "eta_btagJes": {"mean": 0.0, "std": 0.0}}},
            )
        ),
        ValueError,
        r"n\.yaml: variable 'eta_btagJes' of stream 'jets' has std=0.0",
    ),
    (
        "class dict of the wrong length",
        lambda c, d, t: c["data"].update(
            class_dict=_write(t / "c.yaml", {"jets": {"flavour_label": [1.0, 2.0]}})
        ),
        ValueError,
        r"Class dict .*c\.yaml: .*class dict has 2 weights for label 'flavour_label' but the task has 3 classes",
    ),
    (
        "class dict missing the label",
        lambda c, d, t: c["data"].update(class_dict=_write(t / "c.yaml", {"tracks": {}})),
        ValueError,
        r"Class dict .*c\.yaml: .*class dict has no entry 'jets.flavour_label'",
    ),
]


@pytest.mark.parametrize(
    ("case", "change", "exc", "match"), INSTANTIATE_CASES, ids=[c[0] for c in INSTANTIATE_CASES]
)
def test_bad_config_instantiate(
    case: str,
    change: Callable[[dict, dict[str, Path], Path], None],
    exc: type[Exception],
    match: str,
    tiny_data: dict[str, Path],
    tmp_path: Path,
) -> None:
    cfg = edit_config(tiny_config("demo.yaml", tiny_data, tmp_path), lambda c: change(c, tiny_data, tmp_path))
    with pytest.raises(exc, match=match):
        main(["fit", "--config", str(cfg), "--trainer.max_epochs", "0"])


# ---- checkpoints -----------------------------------------------------------------------------------


class Payload:
    """Unpickling this runs ``Path.touch`` on the marker: what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (pathlib.Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def trained(tiny_data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config, checkpoint) of a one-epoch tiny run."""
    out = tmp_path_factory.mktemp("trained")
    cfg = small_config(tiny_data, out, ckpt_every_n_steps=0)
    cfg = edit_config(cfg, lambda c: c["trainer"].update(max_epochs=1), "one_epoch.yaml")
    main(["fit", "--config", str(cfg)])
    return cfg, the_run(out / "logs") / "ckpts" / "last.ckpt"


def _truncated(ckpt: Path, tmp: Path) -> Path:
    raw = ckpt.read_bytes()
    (tmp / "cut.ckpt").write_bytes(raw[: len(raw) // 2])
    return tmp / "cut.ckpt"


def _malicious(ckpt: Path, tmp: Path) -> Path:
    state = torch.load(ckpt, weights_only=True)
    state["extra"] = Payload(tmp / "pwned")
    torch.save(state, tmp / "evil.ckpt")
    return tmp / "evil.ckpt"


def _plain(ckpt: Path, tmp: Path) -> Path:
    torch.save({"weights": torch.zeros(3)}, tmp / "plain.ckpt")
    return tmp / "plain.ckpt"


CKPT_CASES: list[
    tuple[str, Callable[[Path, Path], Path], Callable[[dict], None] | None, type[Exception], str]
] = [
    ("checkpoint missing", lambda c, t: t / "gone.ckpt", None, FileNotFoundError, r"gone\.ckpt"),
    (
        "checkpoint truncated",
        _truncated,
        None,
        ValueError,
        r"Cannot read checkpoint .*cut\.ckpt: the file is truncated or corrupted",
    ),
    (
        "checkpoint with code in it",
        _malicious,
        None,
        ValueError,
        r"Refusing to load .*evil\.ckpt: it contains Python objects outside halite's allow-list",
    ),
    ("not a Lightning checkpoint", _plain, None, ValueError, r"plain\.ckpt is not a Lightning checkpoint"),
    (
        "checkpoint of another model width",
        lambda c, t: c,
        lambda c: model_args(c)["encoder"]["init_args"].update(embed_dim=32, out_dim=32),
        ValueError,
        r"last\.ckpt was written by a model with a different configuration: .*shape mismatches",
    ),
    (
        "checkpoint of other variables",
        lambda c, t: c,
        lambda c: (
            c["data"]["variables"]["tracks"].__setitem__(0, "z0SinTheta")
            or c["data"]["variables"]["tracks"].__setitem__(1, "d0")
        ),
        ValueError,
        r"different configuration: variables: checkpoint has .*'d0', 'z0SinTheta'",
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "change", "exc", "match"), CKPT_CASES, ids=[c[0] for c in CKPT_CASES]
)
def test_bad_checkpoint(
    case: str,
    make: Callable[[Path, Path], Path],
    change: Callable[[dict], None] | None,
    exc: type[Exception],
    match: str,
    trained: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    cfg, ckpt = trained
    bad = make(ckpt, tmp_path)
    if change is not None:
        cfg = edit_config(cfg, change, "other.yaml")
    with pytest.raises(exc, match=match):
        main(["test", "--config", str(cfg), "--ckpt_path", str(bad)])
    assert not (tmp_path / "pwned").exists()


def test_resume_last_without_a_run(tiny_data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"--ckpt_path last: no checkpoint to resume .*without --ckpt_path"
    ):
        main(["fit", "--config", str(cfg), "--ckpt_path", "last"])


def test_unsafe_loading_refused(trained: tuple[Path, Path]) -> None:
    cfg, ckpt = trained
    with pytest.raises(ValueError, match=r"weights_only=True only"):
        main(["test", "--config", str(cfg), "--ckpt_path", str(ckpt), "--weights_only", "false"])


def unsafe_calls(source: str) -> list[str]:
    """Calls that could run code from data: eval/exec, non-safe YAML loaders, pickle, torch.load
    without ``weights_only=True``."""
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("eval", "exec"):
            bad.append(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            name = f"{func.value.id}.{func.attr}"
            if name in ("yaml.load", "yaml.unsafe_load", "yaml.full_load", "pickle.load", "pickle.loads"):
                bad.append(name)
            weights_only = [k for k in node.keywords if k.arg == "weights_only"]
            safe = (
                weights_only
                and isinstance(weights_only[0].value, ast.Constant)
                and weights_only[0].value.value is True
            )
            if name == "torch.load" and not safe:
                bad.append("torch.load without weights_only=True")
    return bad


def test_no_unsafe_loading_in_halite() -> None:
    """Config values are data: no eval/exec, YAML only through safe_load, torch.load only weights_only."""
    assert unsafe_calls("yaml.load(f)\neval(s)\ntorch.load(p)\nmodel.eval()") == [
        "yaml.load",
        "eval",
        "torch.load without weights_only=True",
    ]
    root = Path(__file__).resolve().parents[2] / "halite"
    found = {str(p.relative_to(root)): unsafe_calls(p.read_text()) for p in root.rglob("*.py")}
    assert {k: v for k, v in found.items() if v} == {}
