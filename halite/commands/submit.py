"""``halite submit``: write a SLURM / HTCondor job for N nodes x M GPUs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="halite submit",
        description="Write a SLURM batch script or HTCondor submit file running `halite fit` on N nodes x M GPUs. "
        "Arguments after `--` are passed to `halite fit`.",
    )
    p.add_argument("--config", required=True, help="halite fit config")
    p.add_argument("--nodes", type=int, default=1)
    p.add_argument("--gpus", type=int, default=1, help="GPUs (processes) per node")
    p.add_argument("--scheduler", choices=["slurm", "htcondor"], default="slurm")
    p.add_argument("--cpus-per-task", type=int, default=8)
    p.add_argument("--mem", default="64G", help="memory per node")
    p.add_argument("--time", default="24:00:00", help="HH:MM:SS")
    p.add_argument("--job-name", default="halite")
    p.add_argument("--partition", default=None)
    p.add_argument("--account", default=None)
    p.add_argument("--python", default=sys.executable, help="interpreter with halite installed")
    p.add_argument("--workdir", default=str(Path.cwd()))
    p.add_argument("--out", default=None, help="output file (default: <job-name>.sbatch / .sub)")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``halite submit``; prints the files written and how to submit them."""
    from halite.commands._overrides import split_overrides
    from halite.training.submit import JobSpec, wall_seconds, write_condor, write_slurm

    args_list, fit_args = split_overrides(argv)
    args = parser().parse_args(args_list)
    wall_seconds(args.time)
    if not Path(args.workdir, args.config).is_file() and "://" not in args.config:
        msg = f"halite submit: config {args.config} not found (relative to --workdir {args.workdir})."
        raise FileNotFoundError(msg)
    job = JobSpec(
        config=args.config,
        nodes=args.nodes,
        gpus_per_node=args.gpus,
        cpus_per_task=args.cpus_per_task,
        mem=args.mem,
        time=args.time,
        job_name=args.job_name,
        partition=args.partition,
        account=args.account,
        python=args.python,
        workdir=args.workdir,
        fit_args=fit_args,
    )
    if args.scheduler == "slurm":
        out = write_slurm(job, Path(args.out or f"{args.job_name}.sbatch"))
        print(f"wrote {out}; submit with: sbatch {out}")
    else:
        out, wrapper = write_condor(job, Path(args.out or f"{args.job_name}.sub"))
        print(f"wrote {out} and {wrapper}; submit with: condor_submit {out}")
    return 0
