"""SLURM batch scripts and HTCondor submit files for ``halite fit`` on N nodes x M GPUs (``halite submit``).

The job launches ``halite fit --config X.yaml`` the way Lightning expects: under SLURM one
``srun`` task per GPU (Lightning's ``SLURMEnvironment`` reads the ranks from ``SLURM_*``); under
HTCondor one ``torchrun`` per node (``TorchElasticEnvironment``), the parallel universe
when the job spans several nodes. All ranks share one run directory through
``HALITE_RUN_STAMP`` set to the job id.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from halite.io import atomic_path


@dataclass
class JobSpec:
    """Resources and command of a training job.

    Parameters
    ----------
    config
        The ``halite fit`` config.
    nodes, gpus_per_node
        Number of nodes and GPUs (= processes) per node.
    cpus_per_task
        CPU cores per process (data-loader workers + 1).
    mem
        Memory per node (SLURM syntax, e.g. ``64G``).
    time
        Wall-clock limit ``HH:MM:SS``.
    job_name
        Scheduler job name.
    partition, account
        SLURM partition and account (optional).
    python
        Python interpreter of the environment with halite installed.
    workdir
        Folder the job starts in (relative config paths are read from here).
    fit_args
        Further ``halite fit`` arguments (``--trainer.max_epochs=10`` ...).
    """

    config: str
    nodes: int = 1
    gpus_per_node: int = 1
    cpus_per_task: int = 8
    mem: str = "64G"
    time: str = "24:00:00"
    job_name: str = "halite"
    partition: str | None = None
    account: str | None = None
    python: str = "python"
    workdir: str = "."
    fit_args: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.gpus_per_node < 1:
            msg = f"--nodes and --gpus must be >= 1, got nodes={self.nodes}, gpus={self.gpus_per_node}."
            raise ValueError(msg)
        if self.cpus_per_task < 1:
            msg = f"--cpus-per-task must be >= 1, got {self.cpus_per_task}."
            raise ValueError(msg)

    def fit_command(self) -> list[str]:
        """Arguments of ``halite fit`` after the module name."""
        return [
            "fit",
            f"--config={self.config}",
            "--trainer.accelerator=gpu",
            f"--trainer.devices={self.gpus_per_node}",
            f"--trainer.num_nodes={self.nodes}",
            "--trainer.strategy=ddp",
            f"--data.num_workers={max(0, self.cpus_per_task - 1)}",
            *self.fit_args,
        ]


def slurm_script(job: JobSpec) -> str:
    """A ``sbatch`` script: one task per GPU, launched by ``srun``."""
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={job.job_name}",
        f"#SBATCH --nodes={job.nodes}",
        f"#SBATCH --ntasks-per-node={job.gpus_per_node}",
        f"#SBATCH --gpus-per-node={job.gpus_per_node}",
        f"#SBATCH --cpus-per-task={job.cpus_per_task}",
        f"#SBATCH --mem={job.mem}",
        f"#SBATCH --time={job.time}",
        "#SBATCH --output=slurm-%x-%j.out",
    ]
    if job.partition:
        lines.append(f"#SBATCH --partition={job.partition}")
    if job.account:
        lines.append(f"#SBATCH --account={job.account}")
    cmd = shlex.join([job.python, "-m", "halite", *job.fit_command()])
    lines += [
        "",
        "set -euo pipefail",
        f"cd {shlex.quote(job.workdir)}",
        'export HALITE_RUN_STAMP="job${SLURM_JOB_ID}"  # one run directory for all ranks',
        "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK}",
        f"srun {cmd}",
        "",
    ]
    return "\n".join(lines)


def condor_files(job: JobSpec, executable: str) -> tuple[str, str]:
    """An HTCondor submit file and its wrapper script (one ``torchrun`` per node).

    On several nodes the job runs in the parallel universe; node 0 publishes its host name
    with ``condor_chirp`` and the other nodes read it as the rendezvous address.
    ``executable`` is the path the wrapper script is written to.
    """
    torchrun = [
        job.python,
        "-m",
        "torch.distributed.run",
        f"--nnodes={job.nodes}",
        f"--nproc-per-node={job.gpus_per_node}",
    ]
    fit = shlex.join(["-m", "halite", *job.fit_command()])
    wrapper = [
        "#!/bin/bash",
        "set -euo pipefail",
        f"cd {shlex.quote(job.workdir)}",
        'export HALITE_RUN_STAMP="job${HALITE_CLUSTER_ID}"  # one run directory for all ranks',
    ]
    if job.nodes == 1:
        wrapper.append(f"{shlex.join(torchrun)} --standalone {fit}")
    else:
        wrapper += [
            'NODE_RANK="${_CONDOR_PROCNO}"',
            'if [ "${NODE_RANK}" = "0" ]; then',
            '  MASTER_ADDR="$(hostname -f)"',
            '  condor_chirp set_job_attr HaliteMasterAddr "\\"${MASTER_ADDR}\\""',
            "else",
            '  MASTER_ADDR=""',
            '  while [ -z "${MASTER_ADDR}" ] || [ "${MASTER_ADDR}" = "undefined" ]; do',
            "    sleep 5",
            '    MASTER_ADDR="$(condor_chirp get_job_attr HaliteMasterAddr | tr -d \'"\')"',
            "  done",
            "fi",
            f'{shlex.join(torchrun)} --node-rank="${{NODE_RANK}}" --master-addr="${{MASTER_ADDR}}" '
            f"--master-port=29500 {fit}",
        ]
    universe = "parallel" if job.nodes > 1 else "vanilla"
    submit = [
        f"# halite fit on {job.nodes} node(s) x {job.gpus_per_node} GPU(s)",
        f"universe = {universe}",
        f"executable = {executable}",
        f"initialdir = {job.workdir}",
        "getenv = True",
        'environment = "HALITE_CLUSTER_ID=$(Cluster)"',
        f"request_gpus = {job.gpus_per_node}",
        f"request_cpus = {job.gpus_per_node * job.cpus_per_task}",
        f"request_memory = {job.mem}",
        f"+MaxRuntime = {wall_seconds(job.time)}",
        f"log = {job.job_name}-$(Cluster).log",
        f"output = {job.job_name}-$(Cluster).$(Node).out",
        f"error = {job.job_name}-$(Cluster).$(Node).err",
    ]
    if job.nodes > 1:
        submit.append(f"machine_count = {job.nodes}")
    submit.append("queue")
    return "\n".join(submit) + "\n", "\n".join(wrapper) + "\n"


def wall_seconds(hms: str) -> int:
    """Seconds of a wall-clock limit ``HH:MM:SS`` (ValueError for another format)."""
    parts = hms.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        msg = f"--time must be HH:MM:SS, got '{hms}'."
        raise ValueError(msg)
    h, m, s = (int(p) for p in parts)
    return 3600 * h + 60 * m + s


def write_slurm(job: JobSpec, out: Path) -> Path:
    """Write the ``sbatch`` script of ``job`` to ``out``; return ``out``."""
    with atomic_path(out) as tmp:
        tmp.write_text(slurm_script(job))
    return out


def write_condor(job: JobSpec, out: Path) -> tuple[Path, Path]:
    """Write the HTCondor submit file ``out`` and its executable wrapper ``<job_name>.sh`` next to it.

    Returns
    -------
    tuple[Path, Path]
        The submit file and the (absolute) wrapper script path.
    """
    wrapper_path = (out.parent / f"{job.job_name}.sh").resolve()
    submit, wrapper = condor_files(job, str(wrapper_path))
    with atomic_path(wrapper_path) as tmp:
        tmp.write_text(wrapper)
    wrapper_path.chmod(0o755)
    with atomic_path(out) as tmp:
        tmp.write_text(submit)
    return out, wrapper_path
