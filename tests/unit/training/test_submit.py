"""`halite submit`: the generated SLURM and HTCondor jobs request the right resources and run fit."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from halite.commands import main
from tests.conftest import tiny_config


def fake_tool(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_slurm_script(
    tiny_data: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    out = tmp_path / "job.sbatch"
    args = ["submit", "--config", cfg.name, "--nodes", "3", "--gpus", "4", "--workdir", str(tmp_path)]
    assert main([*args, "--partition", "gpu", "--out", str(out), "--", "--trainer.max_epochs=7"]) == 0
    text = out.read_text()
    for line in (
        "#SBATCH --nodes=3",
        "#SBATCH --ntasks-per-node=4",
        "#SBATCH --gpus-per-node=4",
        "#SBATCH --partition=gpu",
    ):
        assert line in text.splitlines()
    # run the script with a stand-in srun that records the command it was given
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_tool(bin_dir, "srun", f'printf "%s\\n" "$@" > {tmp_path}/srun_args; env > {tmp_path}/srun_env')
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SLURM_JOB_ID": "4242",
        "SLURM_CPUS_PER_TASK": "8",
    }
    subprocess.run(["bash", str(out)], check=True, env=env)
    cmd = (tmp_path / "srun_args").read_text().splitlines()
    assert cmd[1:4] == ["-m", "halite", "fit"]
    assert "--trainer.num_nodes=3" in cmd and "--trainer.devices=4" in cmd and "--trainer.strategy=ddp" in cmd
    assert cmd[-1] == "--trainer.max_epochs=7"
    assert "HALITE_RUN_STAMP=job4242" in (tmp_path / "srun_env").read_text().splitlines()
    # the command is a valid halite fit command line
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main([*cmd[3:], "--print_config"])
    assert exc.value.code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["trainer"]["num_nodes"] == 3 and printed["trainer"]["max_epochs"] == 7


@pytest.mark.parametrize("proc", ["0", "1"])
def test_htcondor_multi_node(tiny_data: dict[str, Path], tmp_path: Path, proc: str) -> None:
    cfg = tiny_config("demo.yaml", tiny_data, tmp_path)
    out = tmp_path / "job.sub"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_tool(bin_dir, "python-fake", f'printf "%s\\n" "$@" > {tmp_path}/py_args')
    fake_tool(bin_dir, "condor_chirp", 'if [ "$1" = get_job_attr ]; then echo \'"node0.example"\'; fi')
    args = ["submit", "--scheduler", "htcondor", "--config", str(cfg), "--nodes", "2", "--gpus", "2"]
    assert (
        main([*args, "--python", str(bin_dir / "python-fake"), "--out", str(out), "--workdir", str(tmp_path)])
        == 0
    )
    submit = dict(
        line.split(" = ", 1)
        for line in out.read_text().splitlines()
        if " = " in line and not line.startswith("#")
    )
    assert (
        submit["universe"] == "parallel" and submit["machine_count"] == "2" and submit["request_gpus"] == "2"
    )
    wrapper = Path(submit["executable"])
    assert os.access(wrapper, os.X_OK)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "_CONDOR_PROCNO": proc,
        "HALITE_CLUSTER_ID": "9",
    }
    subprocess.run(["bash", str(wrapper)], check=True, env=env)
    cmd = (tmp_path / "py_args").read_text().splitlines()
    assert cmd[:4] == ["-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=2"]
    assert f"--node-rank={proc}" in cmd
    if proc == "1":
        assert "--master-addr=node0.example" in cmd
    assert cmd[cmd.index("halite") + 1] == "fit" and "--trainer.num_nodes=2" in cmd


def test_submit_bad_input(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="config nope.yaml not found"):
        main(["submit", "--config", "nope.yaml", "--workdir", str(tmp_path)])
    (tmp_path / "c.yaml").write_text("{}")
    with pytest.raises(ValueError, match="--nodes and --gpus must be >= 1"):
        main(["submit", "--config", "c.yaml", "--workdir", str(tmp_path), "--nodes", "0"])
    with pytest.raises(ValueError, match="--time must be HH:MM:SS"):
        main(["submit", "--config", "c.yaml", "--workdir", str(tmp_path), "--time", "3h"])
