"""The one pre-norm transformer block (set encoders and point-cloud backbones) and its class-attention form.

``X' = X + MHSA(LN(X); mask, bias)``, ``Y = X' + MLP(LN(X'))`` (Xiong et al., arXiv:2002.04745); the
block's ``norm_type`` also gives salt's ``post`` and ``hybrid`` placements of the norms. The
attention logit bias carries pairwise features (edges, ParT interactions, Qu et al., arXiv:2202.03772);
the mask is either boolean (``key_mask_for_attention``) or additive (``additive_mask``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import torch
from torch import Tensor, nn

from halite.nn.layers.activations import Activation
from halite.nn.layers.attention import ScaledDotProductAttention
from halite.nn.layers.dense import Dense
from halite.nn.layers.glu import GLU
from halite.nn.layers.packing import Packing
from halite.nn.layers.rmsnorm import RMSNorm

NEG = -1e9  # additive mask value: finite so that fully masked rows stay finite

#: Builds an attention module for a given ``embed_dim``; in YAML a ``class_path`` with ``init_args``
#: (without ``embed_dim``), e.g. ``halite.nn.GATv2Attention``.
AttentionFactory = Callable[[int], nn.Module]

#: the blocks' normalisation: ``LayerNorm`` or ``RMSNorm`` (Zhang & Sennrich, arXiv:1910.07467)
NormType = Literal["LayerNorm", "RMSNorm"]

#: where a block's norms sit (salt's ``norm_type``): ``pre`` ``x + f(N(x))``; ``post`` ``N(x + f(x))``;
#: ``hybrid`` (salt's ``EncoderLayer``): per-head RMSNorm of q / k / v, the first block (``depth`` 0)
#: pre-norm, later blocks ``x + MHA(x)`` then ``y + MLP(y)`` with ``y = N(x)``
NormPlacement = Literal["pre", "post", "hybrid"]


def make_norm(norm: NormType, width: int, affine: bool = True) -> nn.Module:
    """A ``LayerNorm`` or ``RMSNorm`` (eps 1e-5, learned scale) of ``width`` features.

    ``affine=False``: a ``LayerNorm`` without learned scale and bias (salt's ``LayerNorm``);
    ``RMSNorm`` keeps its learned scale (as salt's does).
    """
    if norm == "LayerNorm":
        return nn.LayerNorm(width, elementwise_affine=affine)
    if norm == "RMSNorm":
        return RMSNorm(width, eps=1e-5)
    msg = f"Unknown norm '{norm}'; choose LayerNorm or RMSNorm."
    raise ValueError(msg)


def additive_mask(pad_mask: Tensor, bias: Tensor | None = None) -> Tensor:
    """Float SDPA mask ``(B, H|1, N, N)``: ``bias`` (or 0) plus ``NEG`` on padded keys."""
    mask = pad_mask[:, None, None, :].to(torch.float32) * NEG
    return mask if bias is None else mask + bias


def build_attention(
    factory: AttentionFactory | None, embed_dim: int, num_heads: int, dropout: float, owner: str
) -> nn.Module:
    """Build one attention module and check that its heads agree with the owner's ``num_heads``."""
    if factory is None:
        return ScaledDotProductAttention(embed_dim, num_heads, dropout)
    attention = factory(embed_dim)
    heads = getattr(attention, "num_heads", None)
    if heads != num_heads:
        msg = (
            f"{owner}: the attention {type(attention).__name__} has num_heads={heads} but the {owner} has "
            f"num_heads={num_heads}. Set the same num_heads in the attention init_args (e.g. the "
            f"config fragment) and in the {owner}."
        )
        raise ValueError(msg)
    return attention


class PreNormBlock(nn.Module):
    """One pre-norm block ``x + MHA(LN(x))`` then ``x + MLP(LN(x))``.

    Parameters
    ----------
    embed_dim
        Width ``D``.
    num_heads
        Attention heads.
    hidden_dim_scale
        MLP hidden width as a multiple of ``embed_dim`` (``int(D * scale)``).
    activation
        MLP activation.
    dropout
        Dropout on the MLP hidden layer (and on the attention weights unless ``attn_dropout``).
    attention
        Attention builder (default: ``ScaledDotProductAttention``).
    attn_dropout
        Dropout on the attention weights (default: ``dropout``).
    residual_dropout
        Dropout on both residual branches.
    normformer
        Extra LayerNorms after the attention and after the MLP activation (NormFormer, as in ParT).
    names
        State-dict names of the attention and the MLP: ``("attention", "dense")`` (set encoders) or
        ``("attn", "mlp")`` (point backbones, see ``PreNormBlock.point``); checkpoints keep loading.
    fixed_slots
        MLP with fixed ``Sequential`` slots ``Linear, act, norm|Identity, Dropout, Linear`` (point backbones).
    norm
        The two block norms: ``LayerNorm`` or ``RMSNorm``.
    norm_affine
        ``False``: the ``LayerNorm``s have no learned scale and bias (salt's ``LayerNorm``).
    gated
        Gated feed-forward (``GLU``, hidden width ``int(D * hidden_dim_scale)`` per half) instead of the MLP.
    norm_type
        Where the norms sit: ``pre`` (halite's default), ``post`` or ``hybrid`` (see ``NormPlacement``).
    depth
        Index of the block in its stack (``hybrid``: block 0 is pre-norm).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int = 8,
        hidden_dim_scale: float = 2,
        activation: Activation = "SiLU",
        dropout: float = 0.0,
        attention: AttentionFactory | None = None,
        attn_dropout: float | None = None,
        residual_dropout: float = 0.0,
        normformer: bool = False,
        names: tuple[str, str] = ("attention", "dense"),
        fixed_slots: bool = False,
        norm: NormType = "LayerNorm",
        gated: bool = False,
        norm_type: NormPlacement = "pre",
        depth: int = 0,
        norm_affine: bool = True,
    ) -> None:
        super().__init__()
        if gated and (normformer or fixed_slots):
            msg = "PreNormBlock: a gated (GLU) feed-forward has no normformer norm or fixed slots; drop one."
            raise ValueError(msg)
        if norm_type not in ("pre", "post", "hybrid"):
            msg = f"PreNormBlock norm_type={norm_type!r}: choose pre, post or hybrid."
            raise ValueError(msg)
        if norm_type == "hybrid" and attention is not None:
            msg = (
                "PreNormBlock norm_type=hybrid normalises the queries, keys and values of halite's "
                "ScaledDotProductAttention; remove the custom attention or use norm_type pre."
            )
            raise ValueError(msg)
        self.norm_type = norm_type
        #: hybrid blocks after the first: no norm before the attention, ``y + MLP(y)`` with ``y = N(x)``
        self._hybrid_late = norm_type == "hybrid" and depth > 0
        self._names = names
        attn_p = dropout if attn_dropout is None else attn_dropout
        self.norm1 = nn.Identity() if self._hybrid_late else make_norm(norm, embed_dim, norm_affine)
        # registered by name (not add_module: the ``attention`` / ``mlp`` properties below shadow the names)
        self._modules[names[0]] = (
            ScaledDotProductAttention(embed_dim, num_heads, attn_p, qkv_norm=True)
            if norm_type == "hybrid"
            else build_attention(attention, embed_dim, num_heads, attn_p, "encoder")
        )
        self.post_attn_norm = nn.LayerNorm(embed_dim) if normformer else nn.Identity()
        self.norm2 = make_norm(norm, embed_dim, norm_affine)
        hidden = int(embed_dim * hidden_dim_scale)
        mlp: nn.Module = (
            GLU(embed_dim, hidden, activation, dropout)
            if gated
            else Dense(
                embed_dim,
                embed_dim,
                [hidden],
                activation=activation,
                dropout=dropout,
                norm_layer="LayerNorm" if normformer else None,
                norm_at="activation",
                fixed_slots=fixed_slots,
            )
        )
        self._modules[names[1]] = mlp
        self.drop = nn.Dropout(residual_dropout) if residual_dropout > 0 or fixed_slots else nn.Identity()

    @classmethod
    def point(
        cls,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attn_dropout: float = 0.0,
        normformer: bool = False,
    ) -> PreNormBlock:
        """The point-backbone form: GELU MLP of width ``mlp_ratio * dim``, residual dropout, keys ``attn``/``mlp``."""
        return cls(
            dim,
            num_heads,
            mlp_ratio,
            "GELU",
            dropout,
            attn_dropout=attn_dropout,
            residual_dropout=dropout,
            normformer=normformer,
            names=("attn", "mlp"),
            fixed_slots=True,
        )

    @property
    def attention(self) -> nn.Module:
        """The attention module (whatever its state-dict name)."""
        return self._modules[self._names[0]]  # type: ignore[return-value]

    @property
    def mlp(self) -> nn.Module:
        """The MLP (a ``Dense``, or a ``GLU`` when gated; whatever its state-dict name)."""
        return self._modules[self._names[1]]  # type: ignore[return-value]

    def forward(
        self,
        x: Tensor,
        attn_mask: Tensor | None,
        attn_bias: Tensor | None = None,
        packing: Packing | None = None,
        kv: Tensor | None = None,
    ) -> Tensor:
        """Update ``x`` ``(B, N, D)``; ``attn_mask`` boolean (True = attend) or additive; optional logit bias.

        With ``packing``, ``x`` is the packed valid constituents ``(T, D)`` (masks unused). With ``kv``
        ``(B, Nk, D)`` the block cross-attends to it (normalised by the same ``norm1``).
        """
        post = self.norm_type == "post"
        h = x if post else self.norm1(x)
        if packing is not None:
            update = cast(ScaledDotProductAttention, self.attention).forward_packed(
                h, packing
            )  # supports_packing
        elif kv is not None:
            update = self.attention(h, self.norm1(kv), attn_mask=attn_mask)
        else:
            update = self.attention(h, attn_mask=attn_mask, attn_bias=attn_bias)
        x = x + self.drop(self.post_attn_norm(update))
        if post:
            x = self.norm1(x)
            return self.norm2(x + self.drop(self.mlp(x)))
        if self._hybrid_late:
            x = self.norm2(x)
            return x + self.drop(self.mlp(x))
        return x + self.drop(self.mlp(self.norm2(x)))


class ClassAttentionBlock(PreNormBlock):
    """Class token attends to ``[cls; tokens]`` (Touvron et al., CaiT, arXiv:2103.17239).

    Parameters
    ----------
    dim
        Token width ``D``.
    num_heads
        Attention heads.
    mlp_ratio
        MLP hidden width / ``D``.
    dropout
        Dropout on the MLP hidden layer.
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, dropout: float = 0.0) -> None:
        super().__init__(
            dim,
            num_heads,
            mlp_ratio,
            "GELU",
            dropout,
            attn_dropout=0.0,
            names=("attn", "mlp"),
            fixed_slots=True,
        )
        self.drop = nn.Identity()

    def forward(self, cls: Tensor, x: Tensor, pad_mask: Tensor) -> Tensor:  # type: ignore[override]
        """``cls`` ``(B, 1, D)``, ``x`` ``(B, N, D)``, ``pad_mask`` ``(B, N)`` -> ``(B, 1, D)``."""
        kv = torch.cat([cls, x], dim=1)
        keys_pad = torch.cat([torch.zeros_like(cls[..., 0], dtype=torch.bool), pad_mask], dim=1)  # N may be 0
        return super().forward(cls, additive_mask(keys_pad), kv=kv)
