"""Building and running one example of ``bench/lumin_examples.py``: the part of ``bench/vs_lumin.py`` both sides run.

``python bench/vs_lumin_worker.py OUT.pt [--reps N] [--threads N] [--fixed-weights]``, run with the
lumin environment's Python (``bench/.venv-lumin``, without halite on the path), builds every example
against lumin 0.9.1's own modules and saves, per example, the state dict, the input, the eval-mode and
train-mode outputs, ``get_out_size()``, the parameter count, the forward time and any error, plus
what each documented call (``lumin_examples.DOCUMENTED``) does. ``vs_lumin.py`` imports
``run_example`` to do the same on halite's side with lumin's state dict loaded. Imports only the
standard library and torch at module level.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))  # last: bench/memory.py etc. shadow nothing

import lumin_examples  # noqa: E402  (bench/ is not a package in lumin's environment)


def _load_weights_module() -> Any:
    """tests/unit/nn/lumin/weights.py (torch only), loaded by path: the same weights as the unit tests."""
    import importlib.util

    path = BENCH.parent / "tests" / "unit" / "nn" / "lumin" / "weights.py"
    spec = importlib.util.spec_from_file_location("lumin_test_weights", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


set_weights = _load_weights_module().set_weights

#: the names ``lumin_examples`` reads from its namespace, and lumin 0.9.1's module holding each
LUMIN_NAMES = {
    "FullyConnected": "lumin.nn.models.blocks.body",
    "MultiBlock": "lumin.nn.models.blocks.body",
    "Conv1DBlock": "lumin.nn.models.blocks.conv_blocks",
    "Res1DBlock": "lumin.nn.models.blocks.conv_blocks",
    "ResNeXt1DBlock": "lumin.nn.models.blocks.conv_blocks",
    "CatEmbHead": "lumin.nn.models.blocks.head",
    "MultiHead": "lumin.nn.models.blocks.head",
    "InteractionNet": "lumin.nn.models.blocks.head",
    "RecurrentHead": "lumin.nn.models.blocks.head",
    "AbsConv1dHead": "lumin.nn.models.blocks.head",
    "LorentzBoostNet": "lumin.nn.models.blocks.head",
    "AutoExtractLorentzBoostNet": "lumin.nn.models.blocks.head",
    "ClassRegMulti": "lumin.nn.models.blocks.tail",
    "AbsEndcap": "lumin.nn.models.blocks.endcap",
    "CatEmbedder": "lumin.nn.models.helpers",
    "lookup_normal_init": "lumin.nn.models.initialisations",
    "lookup_uniform_init": "lumin.nn.models.initialisations",
    "lookup_act": "lumin.nn.models.layers.activations",
}
#: documented names lumin 0.9.1 keeps under another name in the documented module
LUMIN_RENAMED = {"InteractionNet": "OldInteractionNet"}


class MissingName(AttributeError):
    """A name an example needs that the namespace (e.g. ``halite.nn.lumin``) does not have."""


class Namespace:
    """The names of ``module`` (e.g. ``halite.nn.lumin``) plus ``nn`` (torch.nn); a missing one raises ``MissingName``."""

    def __init__(self, module: Any, label: str) -> None:
        self._module, self._label = module, label

    def __getattr__(self, name: str) -> Any:
        if name == "nn":
            return torch.nn
        try:
            return getattr(self._module, name)
        except AttributeError:
            msg = f"{self._label} has no {name!r} (needed by this example)."
            raise MissingName(msg) from None


def lumin_namespace() -> tuple[SimpleNamespace, list[str]]:
    """lumin 0.9.1's blocks under the documented names, and notes on where a name is not as documented."""
    import importlib

    names: dict[str, Any] = {"nn": torch.nn}
    notes = []
    for name, module in LUMIN_NAMES.items():
        mod = importlib.import_module(module)
        if not hasattr(mod, name) and name in LUMIN_RENAMED:
            names[name] = getattr(mod, LUMIN_RENAMED[name])
            notes.append(
                f"{module}.{name}: not in lumin 0.9.1 (from {module} import {name} raises ImportError); "
                f"the documented signature is {module}.{LUMIN_RENAMED[name]}'s, used here"
            )
        else:
            names[name] = getattr(mod, name)
    return SimpleNamespace(**names), notes


def has_dropout(module: torch.nn.Module) -> bool:
    """Whether any dropout acts in train mode (dropout layers with p > 0, or an RNN's inter-layer dropout)."""
    for m in module.modules():
        if isinstance(m, torch.nn.modules.dropout._DropoutNd) and m.p > 0:
            return True
        if isinstance(m, torch.nn.RNNBase) and m.dropout > 0:
            return True
    return False


def out_size(block: Any) -> Any:
    """``block.get_out_size()`` (a tuple as a list), or None when the block has none."""
    if not hasattr(block, "get_out_size"):
        return None
    size = block.get_out_size()
    return [int(s) for s in size] if isinstance(size, tuple | list) else int(size)


def forward_time(block: Any, x: Any, reps: int) -> float:
    """Median seconds of an eval-mode, no-grad forward over ``reps`` calls (after one warm-up)."""
    times = []
    with torch.no_grad():
        block(x)
        for _ in range(reps):
            t0 = time.perf_counter()
            block(x)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_example(
    example: Any,
    L: Any,
    *,
    state_dict: Mapping[str, torch.Tensor] | None = None,
    x: Any = None,
    fixed_weights: bool = False,
    reps: int = 20,
) -> dict[str, Any]:
    """Build ``example(L)`` (torch seeded with 0) and run it; never raises.

    ``state_dict``: load it strictly into the block (halite's side, lumin's weights); otherwise, with
    ``fixed_weights``, ``set_weights`` replaces the initialisation. ``x``: the input to use instead of the
    example's own. Returns ``state_dict``, ``input``, ``eval`` / ``train`` outputs, ``out_size``,
    ``shape``, ``params``, ``dropout``, ``time`` and, where a step failed, ``error`` (building or
    running) or ``load_error`` (the strict load; the outputs are then those of the block's own weights).
    """
    res: dict[str, Any] = {}
    try:
        torch.manual_seed(0)
        block, own_x = example(L)
        res["input"] = own_x if x is None else x
        res["own_input_equal"] = bool(
            x is None
            or (isinstance(own_x, torch.Tensor) and own_x.shape == x.shape and torch.equal(own_x, x))
        )
        if state_dict is not None:
            try:
                block.load_state_dict(state_dict, strict=True)
                res["same_key_order"] = list(block.state_dict()) == list(state_dict)
            except Exception as e:  # a wrong layout: reported per example, the table goes on
                res["load_error"] = f"{type(e).__name__}: {e}"
        elif fixed_weights:
            set_weights(block)
        res["state_dict"] = {k: v.detach().clone() for k, v in block.state_dict().items()}
        res["params"] = sum(p.numel() for p in block.parameters())
        res["out_size"] = out_size(block)
        res["dropout"] = has_dropout(block)
        train_block = copy.deepcopy(block)  # train mode updates batch-norm statistics: a copy
        block.eval()
        with torch.no_grad():
            y = block(res["input"])
        res["eval"], res["shape"] = y.detach().clone(), list(y.shape[1:])
        res["time"] = forward_time(block, res["input"], reps)
        train_block.train()
        torch.manual_seed(1)
        with torch.no_grad():
            res["train"] = train_block(res["input"]).detach().clone()
    except Exception as e:
        res["error"] = f"{type(e).__name__}: {e}"
    return res


def try_documented(example: Any, L: Any) -> str | None:
    """None when the documented call builds and runs a forward, else its error."""
    try:
        torch.manual_seed(0)
        block, x = example(L)
        block.eval()
        with torch.no_grad():
            block(x)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help=".pt file to write")
    ap.add_argument("--reps", type=int, default=20, help="forward calls timed per example (median)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument(
        "--fixed-weights", action="store_true", help="set_weights instead of lumin's initialisation"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import warnings

    warnings.filterwarnings("ignore")  # lumin 0.9.1's imports warn (distutils, pandas)
    L, notes = lumin_namespace()
    import importlib.metadata

    out = {
        "versions": {"lumin": importlib.metadata.version("lumin"), "torch": str(torch.__version__)},
        "notes": notes,
        "examples": {
            name: run_example(ex, L, fixed_weights=args.fixed_weights, reps=args.reps)
            for name, ex in lumin_examples.EXAMPLES.items()
        },
        "documented": {name: try_documented(ex, L) for name, (_, _, ex) in lumin_examples.DOCUMENTED.items()},
    }
    torch.save(out, args.out)  # the caller's temporary file (vs_lumin.py reads it, then it goes)
    print(f"RESULT {args.out}")


if __name__ == "__main__":
    main()
