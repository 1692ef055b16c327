"""Run ``halite`` command lines as forked children of a process that imported the CLI once.

A Lightning tool spends ~7 CPU-seconds importing torch, Lightning and jsonargparse before it reads
its arguments; the error corpus runs dozens of them. A *zygote* (one ``python`` subprocess) imports
what ``python -m halite`` imports for those tools, then forks one child per command line. The child
is the console entry point as a person runs it: ``sys.argv = ["halite", ...]``, the environment and
working directory of the case, stdout and stderr to a file, ``halite.commands.main()`` with no
argument, an uncaught exception printed as Python prints it (status 1), and its exit status the
process's. Only the interpreter start-up and the imports are shared. The zygote has run no torch
operation (no thread pools) before it forks.

``Zygote.run(args, ...) -> (status, output)`` is blocking; use one zygote per worker thread.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_ZYGOTE = r"""
import json, os, resource, sys, traceback
import halite.commands, halite.cli, halite.cli.app  # what the Lightning tools import first
import halite.data.datamodule, halite.training.module, lightning.pytorch, jsonargparse
print("ready", flush=True)
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fd = os.open(req["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.chdir(req["cwd"])
            os.environ.clear()
            os.environ.update(req["env"])
            if req["file_size_limit"]:
                limit = req["file_size_limit"]
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            sys.argv = ["halite", *req["args"]]
            try:
                code = halite.commands.main()
            except SystemExit as exit_:
                if exit_.code is None or isinstance(exit_.code, int):
                    code = exit_.code or 0
                else:
                    print(exit_.code, file=sys.stderr)
                    code = 1
            except BaseException:
                traceback.print_exc()
                code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Zygote:
    """One zygote subprocess; ``run`` forks a child per command line (one at a time)."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env=env,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().strip()
        if ready != "ready":
            msg = f"the fork server did not start (got {ready!r}, status {self.proc.poll()})"
            raise RuntimeError(msg)

    def run(
        self, args: list[str], env: dict[str, str], file_size_limit: int = 0, cwd: Path | None = None
    ) -> tuple[int, str]:
        """``halite <args>`` in a forked child: (exit status, stdout + stderr)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with tempfile.NamedTemporaryFile("r", suffix=".out", delete=False) as out:
            request: dict[str, Any] = {
                "args": args,
                "out": out.name,
                "env": env,
                "cwd": str(cwd or self.root),
                "file_size_limit": file_size_limit,
            }
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline()
            if not reply:
                msg = f"the fork server died (status {self.proc.poll()}) running halite {' '.join(args)}"
                raise RuntimeError(msg)
            output = Path(out.name).read_text()
        Path(out.name).unlink()
        return int(json.loads(reply)["status"]), output

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
