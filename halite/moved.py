"""Old module paths that still import, with a warning, so configs and checkpoints saved before a move load.

A run directory's ``config.yaml`` (and a checkpoint's hyper-parameters) name classes by their full
path, e.g. ``halite.nn.model.Model``. When a module moves, its old path is listed in ``MOVED``; importing
it returns the new module and warns once with the new path to put in the config.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

#: old module path -> new module path
MOVED: dict[str, str] = {
    "halite.nn.model": "halite.models.model",
    "halite.nn.block_model": "halite.models.block_model",
    "halite.nn.point_model": "halite.models.point_model",
    "halite.nn.multitask": "halite.models.multitask",
    "halite.data.prep_cli": "halite.commands.prep",
    # issue 15: nn/ sorted by family (layers, sets, point, lumin)
    "halite.nn.blocks": "halite.nn.lumin",
    "halite.nn.blocks.activations": "halite.nn.layers.activations",
    "halite.nn.blocks.base": "halite.nn.lumin.abs_block",
    "halite.nn.blocks.body": "halite.nn.lumin.body",
    "halite.nn.blocks.endcap": "halite.nn.lumin.endcap",
    "halite.nn.blocks.heads": "halite.nn.lumin.cat_emb_head",
    "halite.nn.blocks.matrix": "halite.models.lumin_inputs",
    "halite.nn.blocks.tail": "halite.nn.lumin.tail",
    "halite.nn.encoders": "halite.nn.sets",
    "halite.nn.encoders.cond_mlp": "halite.nn.point.cond_mlp",
    "halite.nn.encoders.conv": "halite.nn.lumin.conv_blocks",
    "halite.nn.encoders.cross_attention": "halite.nn.sets.cross_attention",
    "halite.nn.encoders.edge_transformer": "halite.nn.sets.edge_transformer",
    "halite.nn.encoders.interaction": "halite.nn.lumin.interaction",
    "halite.nn.encoders.lorentz": "halite.nn.lumin.lorentz",
    "halite.nn.encoders.part": "halite.nn.point.part",
    "halite.nn.encoders.pet": "halite.nn.point.pet",
    "halite.nn.encoders.point_base": "halite.nn.point.base",
    "halite.nn.encoders.transformer": "halite.nn.sets.transformer",
    "halite.nn.encoders.vit": "halite.nn.point.vit",
    "halite.nn.init_nets": "halite.nn.sets.init_nets",
    "halite.nn.layers.blocks": "halite.nn.layers.prenorm",
    "halite.nn.pooling": "halite.nn.sets.pooling",
}


class MovedPathWarning(FutureWarning):
    """A config or checkpoint names a module by the path it had before it moved."""


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"'{spec.name}' moved to '{self.new}'; replace the old path in your config "
            f"(class_path: {self.new}.<Class>, or the short form halite.<package>.<Class>).",
            MovedPathWarning,
            stacklevel=2,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the new module is already executed."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(new))


def install() -> None:
    """Put the finder for moved modules on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        # first: an old package path (halite.nn.encoders) must not find its new package's files
        # under the old name (two copies of one module)
        sys.meta_path.insert(0, _MovedFinder())
