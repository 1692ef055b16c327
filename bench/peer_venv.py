"""One way to make a peer's benchmark environment: a venv under ``bench/`` with the project's torch.

``ensure_peer`` creates ``venv`` (unless its check passes already): torch pinned first (a
constraints file keeps it for every later install), then the peer ``--no-deps``, then what its
modules import. The peer's processes run with ``peer_env()``: nothing of halite's on the path.
Used by ``vs_lumin.py``, ``vs_omnilearned.py`` and ``vs_weaver.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: the project's torch
TORCH_PIN = "torch==2.13.0"


def peer_env() -> dict[str, str]:
    """The environment of a peer's processes: this one without ``PYTHONPATH``."""
    env = {**os.environ}
    env.pop("PYTHONPATH", None)
    return env


def ensure_peer(
    venv: Path, peer: list[str], deps: list[str], check: Callable[[Path], str | None], name: str
) -> Path:
    """``venv``'s Python, installing ``peer`` (``--no-deps``) and ``deps`` on the pinned torch unless ``check`` passes.

    ``check(python)`` returns None when the environment works, else why not.
    """
    python = venv / "bin" / "python"
    if check(python) is None:
        return python
    t0 = time.perf_counter()
    print(f"installing {' '.join(peer)} into {venv} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = venv / "bench-constraints.txt"  # every later install keeps this torch
    pins.write_text(TORCH_PIN + "\n")
    pip = [str(python), "-m", "pip", "install", "-q", "-c", str(pins)]
    subprocess.run([*pip, TORCH_PIN], check=True, env=peer_env())
    subprocess.run([*pip, "--no-deps", *peer], check=True, env=peer_env())
    subprocess.run([*pip, *deps], check=True, env=peer_env())
    why = check(python)
    if why is not None:
        msg = f"{name} does not import in {venv} (delete the folder to reinstall):\n{why}"
        raise RuntimeError(msg)
    print(f"installed {name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return python
