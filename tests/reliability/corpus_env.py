"""What the error-corpus cases build their command lines from: ``Env`` and the helpers of ``corpus_cases.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.reliability import test_bad_configs as bad_configs


@dataclass
class Env:
    """What the cases build their command lines from."""

    data: dict[str, Path]
    cfg: Path  # a tiny demo config
    run_cfg: Path  # config.yaml of a trained run
    ckpt: Path  # its last.ckpt
    tmp: Path  # a folder of the case's own

    def edited(self, change: Callable[[dict], None], name: str = "bad.yaml") -> str:
        return str(bad_configs.edit_config(_copy(self.cfg, self.tmp), change, name))

    def write(self, name: str, data: object) -> str:
        path = self.tmp / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
        return str(path)


def _copy(cfg: Path, tmp: Path) -> Path:
    out = tmp / cfg.name
    out.write_text(cfg.read_text())
    return out


FIT0 = ["--trainer.max_epochs", "0"]  # build everything, train nothing
#: a fit that reads the training file once (data errors surface on reading)
FIT1 = ["--trainer.max_steps", "1", "--trainer.limit_val_batches", "0", "--trainer.logger", "false"]
FIT1 += ["--trainer.enable_checkpointing", "false", "--data.num_train", "-1"]


def fit(env: Env, change: Callable[[dict], None] | None = None, *extra: str) -> list[str]:
    cfg = env.edited(change) if change is not None else str(_copy(env.cfg, env.tmp))
    return ["fit", "--config", cfg, *extra]


def _model(c: dict) -> dict:
    return bad_configs.model_args(c)


def _norm(env: Env) -> dict:
    return yaml.safe_load(env.data["norm_dict"].read_text())


def _data_file(build: Callable[[Path, Path], list[Path]]) -> Callable[[Env], Path]:
    return lambda env: build(env.data["test"], env.tmp)[0]


def _file_fit(build: Callable[[Path, Path], list[Path]]) -> Callable[[Env], list[str]]:
    """``halite fit`` reading a broken training file."""
    return lambda env: fit(env, None, *FIT1, "--data.train_file", str(_data_file(build)(env)))


def _file_test(build: Callable[[Path, Path], list[Path]]) -> Callable[[Env], list[str]]:
    """``halite test`` of a trained run on a broken test file."""
    return lambda env: [
        "test", "--config", str(env.run_cfg), "--ckpt_path", str(env.ckpt),
        "--data.test_file", str(_data_file(build)(env)), "--data.num_test", "-1",
    ]  # fmt: skip


def _label_map_task(c: dict) -> None:
    task = _model(c)["tasks"][0]["init_args"]
    task.update(label="HadronConeExclTruthLabelID", label_map={5: 0, 0: 1}, class_names=["b", "light"])
    task["use_class_dict"] = False
    task["dense_config"]["output_size"] = 2
    c["data"]["num_train"] = -1


def _ckpt_case(make: Callable[[Path, Path], Path], change: Callable[[dict], None] | None = None):
    def build(env: Env) -> list[str]:
        cfg = str(env.run_cfg)
        if change is not None:
            cfg = str(bad_configs.edit_config(_copy(env.run_cfg, env.tmp), change, "other.yaml"))
        return ["test", "--config", cfg, "--ckpt_path", str(make(env.ckpt, env.tmp))]

    return build


def _bad_new_variable(c: dict) -> None:
    c["data"]["new_variables"] = {"tracks": {"d0_rel": "d0 / jets_ptt"}}
    c["data"]["variables"]["tracks"].append("d0_rel")


def _salt(env: Env) -> str:
    return env.write("salt.yaml", {"data": {"train_file": "x.h5"}, "model": {"model": {
        "class_path": "salt.models.SaltModel", "init_args": {"bogus_key": 1}}}})  # fmt: skip


def _other_backbone(env: Env) -> str:
    """A checkpoint of another network: none of its tensors fits the demo model's backbone."""
    import torch

    path = env.tmp / "other_backbone.ckpt"
    torch.save({"state_dict": {"model.backbone.body.token": torch.zeros(1, 4, 8)}}, path)
    return str(path)
