"""Find the run directory and checkpoint that ``halite fit --ckpt_path ...`` continues."""

from __future__ import annotations

from pathlib import Path


def find_resume(
    ckpt_path: str | None, config_files: list[str], root: Path, name: str
) -> tuple[Path, Path] | None:
    """The ``(run_dir, checkpoint)`` to resume, or ``None`` to start a new run.

    Parameters
    ----------
    ckpt_path
        ``--ckpt_path``: ``None``, ``"last"`` or a checkpoint file. A file inside
        ``<run>/ckpts/`` resumes that run in place; ``"last"`` takes ``ckpts/last.ckpt`` of
        the run whose ``config.yaml`` was passed with ``--config``, else of the newest run
        ``<root>/<name>_*`` that has one.
    config_files
        The ``--config`` files, in order.
    root
        ``trainer.default_root_dir`` (where run directories are created).
    name
        The run name (``--name``).
    """
    if ckpt_path is None:
        return None
    if ckpt_path != "last":
        ckpt = Path(ckpt_path)
        if not ckpt.is_file():
            msg = f"--ckpt_path {ckpt} does not exist. Pass a .ckpt file, or 'last' to resume the newest run."
            raise FileNotFoundError(msg)
        if ckpt.parent.name == "ckpts" and (ckpt.parent.parent / "config.yaml").is_file():
            return ckpt.parent.parent, ckpt
        return None
    looked = []
    for cfg in reversed(config_files):
        run_dir = Path(cfg).parent
        looked.append(str(run_dir / "ckpts" / "last.ckpt"))
        if (run_dir / "ckpts" / "last.ckpt").is_file():
            return run_dir, run_dir / "ckpts" / "last.ckpt"
    runs = sorted(
        (d for d in root.glob(f"{name}_*") if (d / "ckpts" / "last.ckpt").is_file()),
        key=lambda d: (d / "ckpts" / "last.ckpt").stat().st_mtime,
    )
    looked.append(str(root / f"{name}_*" / "ckpts" / "last.ckpt"))
    if not runs:
        msg = (
            f"--ckpt_path last: no checkpoint to resume (looked for {', '.join(looked)}). Start a new run "
            f"without --ckpt_path, or pass --config <run>/config.yaml of the run to continue."
        )
        raise FileNotFoundError(msg)
    return runs[-1], runs[-1] / "ckpts" / "last.ckpt"
