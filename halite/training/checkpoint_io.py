"""Checkpoint I/O: atomic writes (temporary name, then rename) and safe loading.

Loading uses ``torch.load(weights_only=True)``: only tensors, plain Python types and
the classes in ``SAFE_GLOBALS`` can be unpickled, so a checkpoint cannot run code.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import fsspec
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from halite.data.remote import is_remote
from halite.errors import CheckpointError, CheckpointNotFound
from halite.io import atomic_path

#: Classes (besides tensors and builtins) that may appear in a halite checkpoint.
#: Lightning stores the ``hparams`` of loggers/modules as ``AttributeDict``; optimiser
#: states and loop progress are plain dicts.
SAFE_GLOBALS: list[Any] = [collections.OrderedDict, collections.defaultdict]
try:  # Lightning's AttributeDict (a dict subclass) appears in hyper_parameters
    from lightning.fabric.utilities.data import AttributeDict

    SAFE_GLOBALS.append(AttributeDict)
except ImportError:  # pragma: no cover - depends on the Lightning version
    pass


def safe_load(path: str | Path, map_location: Any = "cpu", lightning: bool = True) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` and the ``SAFE_GLOBALS`` allow-list.

    Every checkpoint halite reads goes through here (local paths or fsspec URLs).

    Parameters
    ----------
    path
        The checkpoint.
    map_location
        Where tensors are loaded (``torch.load``'s ``map_location``).
    lightning
        Require a Lightning checkpoint (a dict with a ``state_dict`` entry); with ``False``
        any dict is returned, e.g. a bare ``state_dict`` (see :func:`safe_load_weights`).

    Raises ``FileNotFoundError`` / ``ValueError`` naming the file and what to do.
    """
    p: Any = str(path) if is_remote(path) else Path(path)
    if is_remote(p):
        fs, fs_path = fsspec.core.url_to_fs(p)
        if not fs.isfile(fs_path):
            msg = f"Checkpoint not found: {p}. Check --ckpt_path (runs keep theirs in <run>/ckpts/)."
            raise CheckpointNotFound(msg)
    elif not p.is_file():
        msg = f"Checkpoint not found: {p}. Check --ckpt_path (runs keep theirs in <run>/ckpts/)."
        raise CheckpointNotFound(msg)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            if is_remote(p):
                with fsspec.open(p, "rb") as f:
                    ckpt = torch.load(io.BytesIO(f.read()), map_location=map_location, weights_only=True)
            else:
                ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        msg = (
            f"Refusing to load {p}: it contains Python objects outside halite's allow-list of safe "
            f"types ({first}). Checkpoints are loaded with torch.load(weights_only=True) so that a file "
            f"cannot run code. Use a checkpoint written by halite, or re-save only its state_dict."
        )
        raise CheckpointError(msg) from err
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as err:
        msg = (
            f"Cannot read checkpoint {p}: the file is truncated or corrupted ({type(err).__name__}: "
            f"{str(err).strip()[:200]}). Use an earlier checkpoint from the same folder."
        )
        raise CheckpointError(msg) from err
    if lightning and (not isinstance(ckpt, dict) or "state_dict" not in ckpt):
        msg = f"{p} is not a Lightning checkpoint (no 'state_dict' entry). Pass a .ckpt written by `halite fit`."
        raise CheckpointError(msg)
    if not isinstance(ckpt, dict):
        msg = (
            f"{p} holds a {type(ckpt).__name__}, not a checkpoint dict. Pass a .ckpt written by `halite fit`."
        )
        raise CheckpointError(msg)
    return ckpt


def safe_load_weights(path: str | Path, strip_prefix: str = "") -> dict[str, torch.Tensor]:
    """The weights of a checkpoint: its ``state_dict`` entry, or the file itself for a bare state dict.

    Loaded by :func:`safe_load`; ``strip_prefix`` (e.g. ``"model."``) is removed from the keys
    that start with it.
    """
    ckpt = safe_load(path, lightning=False)
    weights = ckpt.get("state_dict", ckpt)
    if not strip_prefix:
        return dict(weights)
    return {k[len(strip_prefix) :] if k.startswith(strip_prefix) else k: v for k, v in weights.items()}


def read_omnilearned(path: str | Path, ema: bool = False) -> dict[str, torch.Tensor]:
    """The flat PET2 state dict (``body.*``, ``classifier.*``) of an OmniLearned checkpoint file.

    Loaded by :func:`safe_load`; the layouts are those of
    ``halite.nn.point.pet_checkpoint.omnilearned_state_dict`` (``ema``: the body's moving average).
    """
    from halite.nn.point.pet_checkpoint import omnilearned_state_dict

    return omnilearned_state_dict(safe_load(path, lightning=False), ema, str(path))


class AtomicCheckpointIO(TorchCheckpointIO):
    """Save checkpoints to a temporary file and rename; load them with the safe unpickler."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if is_remote(path):  # an object store publishes an object only once it is complete
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)

    def load_checkpoint(
        self, path: Any, map_location: Any | None = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        if weights_only is False:
            msg = (
                "halite loads checkpoints with weights_only=True only (unpickling arbitrary objects can run "
                "code); remove --weights_only false."
            )
            raise CheckpointError(msg)
        return safe_load(path, map_location=map_location if map_location is not None else "cpu")
