"""``CatEmbHead``: continuous features plus categorical embeddings (lumin's ``blocks.head.CatEmbHead``)."""

from __future__ import annotations

import logging
import os
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.head_base import AbsHead
from halite.nn.lumin.helpers import CatEmbedder
from halite.nn.lumin.initialisations import lookup_normal_init

__all__ = ["CatEmbHead"]

log = logging.getLogger(__name__)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it on success and removed on failure.

    The same protocol as ``halite.io.atomic_path``, which ``halite.nn`` may not import (import-linter).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class CatEmbHead(AbsHead):
    """Flat head: the continuous inputs, then one learned embedding per categorical input.

    Input ``(B, n_cont_in + n_cat_in)``: the ``cont_feats`` columns first, then the integer codes of the
    categorical features in ``cat_embedder`` order. Output ``(B, n_cont_in + sum(emb_szs))``: the continuous
    inputs (after dropout ``do_cont``), then the embeddings (after dropout ``do_cat``). lumin 0.9.1's docstring
    also speaks of a dense layer up to the body's width and of batch norm; its code has neither (and no argument
    for them), and neither has this head: the body takes ``get_out_size()`` inputs.

    Parameters
    ----------
    cont_feats
        Names of the continuous input features, in column order.
    do_cont
        Dropout rate on the continuous inputs (0: none).
    do_cat
        Dropout rate on the concatenated embeddings (0: none).
    cat_embedder
        The categorical features and embedding widths; None: no categorical inputs. With an
        ``emb_load_path`` the embeddings are loaded from ``{emb_load_path}/{cat_name}.h5`` on construction.
    lookup_init
        Kept as an attribute for lumin compatibility; the embeddings keep torch's ``N(0, 1)`` init, as in lumin.
    freeze
        Start with every parameter untrainable.
    lumin_cat_dropout
        lumin 0.9.1 applies the ``do_cat`` dropout to the input tensor instead of the embeddings (so the
        embeddings are never dropped and the continuous inputs are dropped at rate ``do_cat`` before the
        ``do_cont`` dropout); here the embeddings are dropped (default). True reproduces lumin (train mode only;
        eval outputs are the same either way).

    Notes
    -----
    Further lumin 0.9.1 faults fixed here: ``_load_embeds`` keys the files by ``str.index`` of the file name
    (always 0), so it loads one file only (the last ``glob`` returns) and into the first embedding (a shape error,
    or silently the wrong feature's weights); here each ``{cat_name}.h5`` goes to its feature. ``save_embeds``
    needs a ``Path`` (a ``str`` raises ``TypeError``), here a ``str`` works too. ``plot_embeds`` saves every
    feature's plot under the same name (only the last survives), here with several features each is saved as
    ``{savename}_{cat_name}``; figures are drawn with matplotlib alone (lumin uses seaborn's heatmap) and shown
    only in interactive mode. ``get_out_size`` returns an ``int`` (lumin: ``numpy.int64``).
    """

    def __init__(
        self,
        cont_feats: list[str],
        do_cont: float = 0,
        do_cat: float = 0,
        cat_embedder: CatEmbedder | None = None,
        lookup_init: LookupInit = lookup_normal_init,
        freeze: bool = False,
        lumin_cat_dropout: bool = False,
    ) -> None:
        super().__init__(
            cont_feats=cont_feats, cat_embedder=cat_embedder, lookup_init=lookup_init, freeze=freeze
        )
        self.do_cont, self.do_cat, self.lumin_cat_dropout = do_cont, do_cat, lumin_cat_dropout
        self.cat_embedder: CatEmbedder = CatEmbedder([], []) if cat_embedder is None else cat_embedder
        if self.cat_embedder.n_cat_in > 0:
            self.embeds = nn.ModuleList([nn.Embedding(ni, no) for _, ni, no in self.cat_embedder])
            if self.cat_embedder.emb_load_path is not None:
                self._load_embeds()
            if self.do_cat > 0:
                self.emb_do = nn.Dropout(self.do_cat)
        self.n_out = self.n_cont_in + sum(self.cat_embedder.emb_szs)
        if self.do_cont > 0:
            self.cont_in_do = nn.Dropout(self.do_cont)
        if self.freeze:
            self.freeze_layers()
        self._map_outputs()

    def _map_outputs(self) -> None:
        """``feat_map``: each continuous feature -> its output column, each categorical -> its embedding columns."""
        self.feat_map: dict[str, list[int]] = {f: [i] for i, f in enumerate(self.cont_feats)}
        offset = self.n_cont_in
        for f, _, sz in self.cat_embedder:
            self.feat_map[f] = list(range(offset, offset + sz))
            offset += sz

    def forward(self, x: Tensor) -> Tensor:
        """``(B, n_cont_in + n_cat_in)`` -> ``(B, get_out_size())``."""
        x_out = x
        if self.cat_embedder.n_cat_in > 0:
            x_cat = x[:, self.n_cont_in :].long()
            x_out = torch.cat([emb(x_cat[:, i]) for i, emb in enumerate(self.embeds)], dim=1)
            if self.do_cat > 0:
                if self.lumin_cat_dropout:
                    x = self.emb_do(x)
                else:
                    x_out = self.emb_do(x_out)
        if self.n_cont_in > 0:
            x_cont = x[:, : self.n_cont_in]
            if self.do_cont > 0:
                x_cont = self.cont_in_do(x_cont)
            x_out = torch.cat((x_cont, x_out), dim=1) if self.cat_embedder.n_cat_in > 0 else x_cont
        return x_out

    def _load_embeds(self, path: Path | str | None = None) -> None:
        """Load ``{path}/{cat_name}.h5`` (state dicts) into the matching embeddings; path: ``emb_load_path``."""
        folder = Path(self.cat_embedder.emb_load_path if path is None else path)  # type: ignore[arg-type]
        avail = {
            self.cat_embedder.cat_names.index(p.stem): p
            for p in sorted(folder.glob("*.h5"))
            if p.stem in self.cat_embedder.cat_names
        }
        log.info("Loading embeddings: %s", {self.cat_embedder.cat_names[i]: str(p) for i, p in avail.items()})
        for i, p in avail.items():
            self.embeds[i].load_state_dict(torch.load(p, map_location="cpu", weights_only=True))

    def save_embeds(self, path: Path | str) -> None:
        """Save each embedding's state dict as ``{path}/{cat_name}.h5`` (a torch file, lumin's naming)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(self.cat_embedder.cat_names):
            with atomic_path(folder / f"{name}.h5") as tmp:
                torch.save(self.embeds[i].state_dict(), tmp)

    def get_embeds(self) -> dict[str, OrderedDict[str, Tensor]]:
        """Categorical feature name -> the state dict of its ``nn.Embedding`` (``weight: (cat_sz, emb_sz)``)."""
        return {
            n: cast("OrderedDict[str, Tensor]", self.embeds[i].state_dict())  # an OrderedDict at run time
            for i, n in enumerate(self.cat_embedder.cat_names)
        }

    def get_out_size(self) -> int:
        """Output width ``n_cont_in + sum(emb_szs)``."""
        return self.n_out

    def plot_embeds(self, savename: str | None = None, settings: Any = None) -> None:
        """Heat map of each categorical feature's embedding matrix (codes x embedding dimensions).

        Parameters
        ----------
        savename
            If given, save each figure as ``settings.savepath / f"{savename}{settings.format}"`` (one feature) or
            ``f"{savename}_{cat_name}{settings.format}"`` (several).
        settings
            lumin's ``PlotSettings`` or any object with some of its attributes (``w_small``, ``h_small``,
            ``div_palette``, ``leg_sz``, ``lbl_sz``, ``lbl_col``, ``tk_sz``, ``tk_col``, ``title``, ``title_sz``,
            ``title_col``, ``title_loc``, ``savepath``, ``format``); missing ones take lumin's defaults.
        """
        import matplotlib.pyplot as plt

        s = _PlotDefaults(settings)
        names = self.cat_embedder.cat_names
        for i, name in enumerate(names):
            weight = cast(nn.Embedding, self.embeds[i]).weight.detach().cpu().numpy()
            fig, ax = plt.subplots(figsize=(s.w_small, s.h_small))
            image = ax.imshow(weight, cmap=s.div_palette, aspect="auto")
            fig.colorbar(image, ax=ax)
            for r in range(weight.shape[0]):
                for c in range(weight.shape[1]):
                    ax.text(c, r, f"{weight[r, c]:.1f}", ha="center", va="center", fontsize=s.leg_sz)
            ax.set_xlabel("Embedding", fontsize=s.lbl_sz, color=s.lbl_col)
            ax.set_ylabel(name, fontsize=s.lbl_sz, color=s.lbl_col)
            ax.tick_params(labelsize=s.tk_sz, colors=s.tk_col)
            ax.set_title(s.title, fontsize=s.title_sz, color=s.title_col, loc=s.title_loc)
            if savename is not None:
                stem = savename if len(names) == 1 else f"{savename}_{name}"
                with atomic_path(Path(s.savepath) / f"{stem}{s.format}") as tmp:
                    fig.savefig(tmp, format=s.format.lstrip("."), bbox_inches="tight")
            if plt.isinteractive():
                plt.show()
            else:
                plt.close(fig)


class _PlotDefaults:
    """lumin's ``PlotSettings`` defaults for what ``plot_embeds`` reads, overridden by ``settings``' attributes."""

    def __init__(self, settings: Any) -> None:
        h_small = getattr(settings, "h_small", 4)
        self.h_small = h_small
        self.w_small = getattr(settings, "w_small", getattr(settings, "aspect", 16 / 9) * h_small)
        self.div_palette = getattr(settings, "div_palette", "RdBu_r")
        self.leg_sz = getattr(settings, "leg_sz", 16)
        self.lbl_sz = getattr(settings, "lbl_sz", 24)
        self.lbl_col = getattr(settings, "lbl_col", "black")
        self.tk_sz = getattr(settings, "tk_sz", 16)
        self.tk_col = getattr(settings, "tk_col", "black")
        self.title = getattr(settings, "title", "")
        self.title_sz = getattr(settings, "title_sz", 26)
        self.title_col = getattr(settings, "title_col", "black")
        self.title_loc: Any = getattr(settings, "title_loc", "left")
        self.savepath = Path(getattr(settings, "savepath", "."))
        fmt = str(getattr(settings, "format", ".pdf"))
        self.format = fmt if "." in fmt else f".{fmt}"
