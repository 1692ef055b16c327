"""Flat heads: continuous features plus categorical embeddings, and flat + matrix multi-heads."""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
import torch
from torch import Tensor, nn

from halite.nn.backbone import InputInfo
from halite.nn.layers.norm import InputNorm
from halite.nn.lumin_legacy.base import Freezable, HeadBase
from halite.typing import Masks, Tensors


def embedding_size(cardinality: int, rule: Literal["half", "fastai"], max_emb_sz: int) -> int:
    """Default embedding width: ``(1 + cardinality) // 2`` (lumin) or ``1.6 * n^0.56`` (fastai), capped."""
    size = (1 + cardinality) // 2 if rule == "half" else round(1.6 * cardinality**0.56)
    return int(max(1, min(max_emb_sz, size)))


class CatEmbedder(Freezable):
    """Entity embeddings of categorical features (Guo & Berkhahn, arXiv:1604.06737).

    Values are integer codes ``0 .. cardinality-1``; codes outside are clamped into
    that range (the last code acts as an overflow bucket).

    Parameters
    ----------
    cardinalities
        Categorical feature name -> number of codes, in input order
        (``from_data`` computes them from arrays of the training data).
    emb_sizes
        Explicit embedding width per feature, overriding the rule.
    max_emb_sz
        Cap on the rule's widths.
    emb_rule
        ``half``: ``(1 + n) // 2`` (lumin); ``fastai``: ``round(1.6 n^0.56)``.
    """

    max_code: Tensor

    def __init__(
        self,
        cardinalities: dict[str, int],
        emb_sizes: dict[str, int] | None = None,
        max_emb_sz: int = 50,
        emb_rule: Literal["half", "fastai"] = "half",
    ) -> None:
        super().__init__()
        if not cardinalities:
            msg = "CatEmbedder needs at least one categorical feature in `cardinalities`."
            raise ValueError(msg)
        bad = {k: v for k, v in cardinalities.items() if int(v) < 1}
        if bad:
            msg = f"CatEmbedder cardinalities must be >= 1, got {bad}."
            raise ValueError(msg)
        unknown = set(emb_sizes or {}) - set(cardinalities)
        if unknown:
            msg = f"CatEmbedder emb_sizes names {sorted(unknown)} that are not in cardinalities {list(cardinalities)}."
            raise ValueError(msg)
        self.cat_names = list(cardinalities)
        self.cardinalities = {k: int(v) for k, v in cardinalities.items()}
        sizes = dict(emb_sizes or {})
        self.emb_sizes = {
            k: int(sizes.get(k, embedding_size(n, emb_rule, max_emb_sz)))
            for k, n in self.cardinalities.items()
        }
        self.embeds = nn.ModuleDict(
            {k: nn.Embedding(n, self.emb_sizes[k]) for k, n in self.cardinalities.items()}
        )
        self.register_buffer("max_code", torch.tensor([n - 1 for n in self.cardinalities.values()]))
        self.out_features = sum(self.emb_sizes.values())

    @classmethod
    def from_data(cls, columns: dict[str, np.ndarray], **kwargs: object) -> CatEmbedder:
        """Build with cardinalities ``max + 1`` of integer-coded training columns."""
        cards = {}
        for name, col in columns.items():
            arr = np.asarray(col)
            if arr.size == 0 or arr.min() < 0 or not np.all(np.equal(np.mod(arr, 1), 0)):
                msg = f"Categorical column '{name}' must hold non-negative integer codes."
                raise ValueError(msg)
            cards[name] = int(arr.max()) + 1
        return cls(cards, **kwargs)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        """Codes ``(B, n_cat)`` (any dtype) -> ``(B, out_features)``."""
        codes = torch.minimum(x.round().long().clamp(min=0), self.max_code)
        return torch.cat([emb(codes[:, i]) for i, emb in enumerate(self.embeds.values())], dim=-1)

    def get_embeds(self) -> dict[str, Tensor]:
        """Feature name -> embedding matrix ``(cardinality, emb_size)``."""
        return {k: cast(nn.Embedding, e).weight.detach().cpu().clone() for k, e in self.embeds.items()}


class CatEmbHead(HeadBase):
    """Flat head: normalised continuous features plus categorical embeddings (lumin's ``CatEmbHead``).

    Output columns: the continuous features (in ``cont_feats`` order), then the
    embeddings (in ``cat_embedder`` order).

    Parameters
    ----------
    input_name
        The global-object stream holding the features.
    cat_embedder
        Embeddings of the categorical features (``None``: continuous features only).
    cont_feats
        Continuous features; default every variable of the stream that is not categorical.
    do_cont, do_cat
        Dropout on the continuous features and on the embeddings.
    """

    cont_idx: Tensor
    cat_idx: Tensor
    norm: InputNorm

    def __init__(
        self,
        input_name: str = "jets",
        cat_embedder: CatEmbedder | None = None,
        cont_feats: list[str] | None = None,
        do_cont: float = 0.0,
        do_cat: float = 0.0,
        freeze: bool = False,
    ) -> None:
        super().__init__(freeze)
        self.input_name = input_name
        self.cat_embedder = cat_embedder
        self.cont_feats_arg = cont_feats
        self.do_cont = nn.Dropout(do_cont) if do_cont > 0 else nn.Identity()
        self.do_cat = nn.Dropout(do_cat) if do_cat > 0 else nn.Identity()

    def build(self, info: InputInfo) -> int:
        if self.input_name != info.global_object:
            msg = (
                f"CatEmbHead reads flat features of the global object '{info.global_object}', not "
                f"'{self.input_name}'. Use a matrix head (e.g. InteractionNet) for constituent streams."
            )
            raise ValueError(msg)
        have = list(info.variables[self.input_name])
        cats = self.cat_embedder.cat_names if self.cat_embedder is not None else []
        conts = (
            list(self.cont_feats_arg)
            if self.cont_feats_arg is not None
            else [v for v in have if v not in cats]
        )
        missing = [v for v in [*cats, *conts] if v not in have]
        if missing:
            msg = f"CatEmbHead features {missing} are not in data.variables.{self.input_name} ({have})."
            raise ValueError(msg)
        if not cats and not conts:
            msg = f"CatEmbHead has no features: data.variables.{self.input_name} is empty."
            raise ValueError(msg)
        self.cont_feats, self.cat_feats = conts, cats
        self.register_buffer("cont_idx", torch.tensor([have.index(v) for v in conts], dtype=torch.long))
        self.register_buffer("cat_idx", torch.tensor([have.index(v) for v in cats], dtype=torch.long))
        self.norm = InputNorm(conts, info.stream_norm(self.input_name, "CatEmbHead"))
        self.feat_map = {v: [i] for i, v in enumerate(conts)}
        start = len(conts)
        if self.cat_embedder is not None:
            for name in cats:
                size = self.cat_embedder.emb_sizes[name]
                self.feat_map[name] = list(range(start, start + size))
                start += size
        return self._finish_build(start)

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw global features ``(B, F)`` -> ``(B, n_cont + sum of embedding sizes)``."""
        raw = inputs[self.input_name]
        parts = []
        if len(self.cont_feats):
            parts.append(self.do_cont(self.norm(raw.index_select(-1, self.cont_idx))))
        if self.cat_embedder is not None:
            parts.append(self.do_cat(self.cat_embedder(raw.index_select(-1, self.cat_idx))))
        return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]

    def get_embeds(self) -> dict[str, Tensor]:
        """Categorical feature -> embedding matrix (empty without embedder)."""
        return self.cat_embedder.get_embeds() if self.cat_embedder is not None else {}


class MultiHead(HeadBase):
    """A flat head and a matrix head side by side; outputs concatenated (flat first).

    Parameters
    ----------
    flat_head
        Head over flat features (e.g. ``CatEmbHead``).
    matrix_head
        Head over objects / constituents (``InteractionNet``, ``LorentzBoostNet``, ``ConvHead``).
    """

    def __init__(self, flat_head: HeadBase, matrix_head: HeadBase, freeze: bool = False) -> None:
        super().__init__(freeze)
        self.flat_head = flat_head
        self.matrix_head = matrix_head

    def build(self, info: InputInfo) -> int:
        self.flat_head.build(info)
        self.matrix_head.build(info)
        n_flat = self.flat_head.get_out_size()
        self.feat_map = dict(self.flat_head.feat_map)
        for name, cols in self.matrix_head.feat_map.items():
            if name in self.feat_map:
                msg = f"MultiHead: feature name '{name}' is used by both heads."
                raise ValueError(msg)
            self.feat_map[name] = [c + n_flat for c in cols]
        return self._finish_build(n_flat + self.matrix_head.get_out_size())

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """``(B, flat out + matrix out)``."""
        return torch.cat([self.flat_head(inputs, pad_masks), self.matrix_head(inputs, pad_masks)], dim=-1)
