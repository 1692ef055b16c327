"""What the Lightning tools import before they do anything (start-up cost, checked by module sets, not timed).

``bench/startup.py`` prints the times; this test keeps the two properties those times rest on:

- the config-file checks and the salt translation run before torch and Lightning are imported,
  so a missing or unreadable ``--config`` fails in a fraction of a second;
- building the parser (``halite fit --help``) imports no heavy library beyond what Lightning
  itself imports: awkward / pyarrow / uproot are imported when a ROOT or parquet file is read,
  plotting, ONNX and table libraries when a tool uses them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: libraries that no parse-time code path of ``halite fit`` needs
HEAVY = (
    "awkward",
    "pyarrow",
    "uproot",
    "matplotlib",
    "onnx",
    "onnxruntime",
    "pandas",
    "scipy",
    "puma",
    "sklearn",
)

_PROBE = """
import contextlib, io, json, sys

from halite.commands import _lightning  # noqa: F401  (the runner of fit / test / validate / predict)
from halite.cli import checks  # noqa: F401
from halite import compat  # noqa: F401

before_lightning = sorted({m.split(".")[0] for m in sys.modules})

import lightning  # noqa: F401

with_lightning = set(sys.modules)
from halite.commands import main

with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["fit", "--help"])
    except SystemExit:
        pass
added = sorted({m.split(".")[0] for m in set(sys.modules) - with_lightning})
print(json.dumps({"before_lightning": before_lightning, "added": added, "help": out.getvalue()}))
"""


def test_fit_parse_path_imports(tmp_path: Path) -> None:
    env = {**os.environ, "HALITE_CACHE_DIR": str(tmp_path)}  # no kept help text: the parser is built
    res = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    seen = json.loads(res.stdout.strip().splitlines()[-1])
    early = set(seen["before_lightning"]) & {"torch", "lightning", "jsonargparse", *HEAVY}
    assert not early, f"imported before the config checks ran: {sorted(early)}"
    heavy = set(seen["added"]) & set(HEAVY)
    assert not heavy, f"`halite fit --help` imports {sorted(heavy)} beyond what Lightning imports"
    assert "--model.model" in seen["help"]  # the help is complete: the parser was built
    assert "--trainer.max_epochs" in seen["help"]
