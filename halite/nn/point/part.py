"""Particle Transformer (Qu, Li & Qian, arXiv:2202.03772)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from halite.nn.layers.dense import mlp
from halite.nn.layers.pairwise import pair_features, pair_features_between
from halite.nn.layers.prenorm import NEG, ClassAttentionBlock, PreNormBlock, additive_mask
from halite.nn.point.base import Kinematics, PointBackbone, column
from halite.typing import Masks, Tensors


def _mlp(sizes: list[int], norm_first: bool) -> nn.Sequential:
    """``[LN] Linear GELU`` per layer (the paper's embeddings), from the one MLP builder."""
    return mlp(sizes, "GELU", act_last=True, norm="LayerNorm" if norm_first else None, norm_at="input")


class LastDimBatchNorm(_BatchNorm):
    """Batch normalisation of the last dimension of a tensor of any shape ``(..., C)``.

    The statistics run over every leading position, padded ones included, as weaver's
    ``BatchNorm1d`` on ``(B, C, P)`` and ``(B, C, P*P)`` tensors does; same state dict as
    ``BatchNorm1d``.
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            msg = f"LastDimBatchNorm expects (..., {self.num_features}), got shape {tuple(input.shape)}"
            raise ValueError(msg)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        if torch.onnx.is_in_onnx_export():  # a reshape to rows bakes the traced shape into the graph
            last = x.dim() - 1  # a non-negative dim: ONNX rejects a negative transpose index
            return super().forward(x.movedim(last, 1)).movedim(1, last)
        # (M, C) rows: batch norm's fast channels-last case, no transposed copies
        return super().forward(x.reshape(-1, x.shape[-1])).view(x.shape)


class Pointwise(nn.Conv1d):
    """weaver's 1x1 ``Conv1d`` (its state dict) as a matrix product.

    Rows ``(M, C_in)`` -> ``(M, C_out)`` (a ``Linear``: how the pair embedding runs), or channels
    first ``(B, C_in, M)`` / ``(B, C_in, N, N)`` -> ``(B, C_out, ...)`` as the convolution does.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        w = self.weight.squeeze(-1)
        if x.dim() == 2:
            return nn.functional.linear(x, w, self.bias)
        if x.dim() == 3:
            out = torch.matmul(w, x)
            return out if self.bias is None else out + self.bias.unsqueeze(-1)
        last = x.dim() - 1  # (B, C, N, N) in an ONNX export: channels last for the product, and back
        return nn.functional.linear(x.movedim(1, last), w, self.bias).movedim(last, 1)


class ChannelBatchNorm(_BatchNorm):
    """``BatchNorm`` of dimension 1 of a ``(M, C)`` or ``(B, C, ...)`` tensor (``BatchNorm1d``'s state dict)."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            msg = f"ChannelBatchNorm expects (B, {self.num_features}, ...), got shape {tuple(input.shape)}"
            raise ValueError(msg)


def _pair_embed(dims: list[int], num_heads: int, batch_norm: bool) -> nn.Sequential:
    """Pair features ``(M, 4)`` -> one bias per head ``(M, H)``: weaver's ``PairEmbed`` or a plain MLP.

    With ``batch_norm``: ``BN`` of the 4 inputs, ``Pointwise BN GELU`` per width (weaver's 1x1
    convolutions, their state dict), then ``Pointwise BN`` to the heads (weaver's
    ``use_pre_activation_pair``). Without: ``Linear GELU`` per width, then ``Linear`` to the heads.
    Both run on rows of pairs (channels last), the fast layout for the products and batch norms.
    """
    if not batch_norm:
        return nn.Sequential(_mlp([4, *dims], norm_first=False), nn.Linear(dims[-1], num_heads))
    layers: list[nn.Module] = [ChannelBatchNorm(4)]
    for a, b in zip([4, *dims], dims, strict=False):
        layers += [Pointwise(a, b), ChannelBatchNorm(b), nn.GELU()]
    layers += [Pointwise(dims[-1], num_heads), ChannelBatchNorm(num_heads)]
    return nn.Sequential(*layers)


class ParticleTransformer(PointBackbone):
    """Particle attention blocks with pairwise interaction bias, then class-attention blocks.

    Defaults are the paper's: particle embedding ``[128, 512, 128]``, pair embedding
    ``[64, 64, 64]`` of ``(ln Δ, ln kT, ln z, ln m²)`` to one bias per head, 8 particle
    attention blocks (width 128, 8 heads, MLP ratio 4, NormFormer-style extra norms),
    2 class-attention blocks. The pair embedding uses linear layers on each pair
    (equivalent to the paper's 1x1 convolutions). By default the particle inputs are batch
    normalised before the embedding, the pair features and every pair-embedding layer are batch
    normalised, and the four-momentum columns only feed the pair features, not the particle
    embedding: weaver-core's ``ParticleTransformer``. ``input_batch_norm=False``,
    ``pair_batch_norm=False`` and ``embed_kinematics=True`` give halite's earlier network.

    Parameters
    ----------
    stream
        Particle stream.
    kinematics
        Variables holding the four-momentum.
    embed_dims, pair_embed_dims
        Widths of the particle and pair embeddings.
    num_heads, num_layers, num_cls_layers, mlp_ratio, dropout
        Transformer sizes.
    use_global
        Add the global object's features to the class token.
    input_batch_norm
        ``BatchNorm`` of the particle inputs before the embedding (weaver's ``Embed``).
    pair_batch_norm
        ``BatchNorm`` of the pair features and after each pair-embedding layer (weaver's ``PairEmbed``).
    embed_kinematics
        Also feed the four-momentum variables (``kinematics``) to the particle embedding; weaver
        feeds them to the pair features only.
    """

    embed_cols: Tensor  # the embedded columns of the stream (a buffer set by ``build_points``)

    def __init__(
        self,
        stream: str = "particles",
        kinematics: Kinematics | None = None,
        embed_dims: list[int] | None = None,
        pair_embed_dims: list[int] | None = None,
        num_heads: int = 8,
        num_layers: int = 8,
        num_cls_layers: int = 2,
        mlp_ratio: float = 4.0,
        dropout: float = 0.1,
        use_global: bool = False,
        input_batch_norm: bool = True,
        pair_batch_norm: bool = True,
        embed_kinematics: bool = False,
    ) -> None:
        super().__init__()
        self.stream, self.use_global = stream, use_global
        self.input_batch_norm, self.embed_kinematics = input_batch_norm, embed_kinematics
        self.kin = kinematics or Kinematics()
        self.embed_dims = embed_dims or [128, 512, 128]
        pair_dims = pair_embed_dims or [64, 64, 64]
        d = self.embed_dims[-1]
        self.out_features = d
        self.num_heads = num_heads
        self.pair_embed = _pair_embed(pair_dims, num_heads, pair_batch_norm)
        self.blocks = nn.ModuleList(
            [
                PreNormBlock.point(d, num_heads, mlp_ratio, dropout, dropout, normformer=True)
                for _ in range(num_layers)
            ]
        )
        self.cls_blocks = nn.ModuleList(
            [ClassAttentionBlock(d, num_heads, mlp_ratio, 0.0) for _ in range(num_cls_layers)]
        )
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.norm = nn.LayerNorm(d)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        k = self.kin
        self.kin_idx = tuple(
            column(variables, self.stream, v, "ParticleTransformer") for v in (k.pt, k.eta, k.phi, k.energy)
        )
        names = variables[self.stream]
        kin = set(self.kin_idx)
        cols = (
            list(range(len(names)))
            if self.embed_kinematics
            else [i for i in range(len(names)) if i not in kin]
        )
        if not cols:
            msg = (
                f"ParticleTransformer: data.variables.{self.stream} {names} holds only the four-momentum, "
                "which embed_kinematics=False keeps out of the particle embedding; add other variables "
                "or set embed_kinematics: true."
            )
            raise ValueError(msg)
        self.register_buffer("embed_cols", torch.tensor(cols, dtype=torch.long), persistent=False)
        self.embed_all = len(cols) == len(names)
        embed = _mlp([len(cols), *self.embed_dims], norm_first=True)
        self.embed = nn.Sequential(LastDimBatchNorm(len(cols)), *embed) if self.input_batch_norm else embed
        self.global_object = global_object
        n_glob = len(variables.get(global_object, []))
        self.cond = nn.Linear(n_glob, self.out_features) if self.use_global and n_glob else None
        self.input_streams = [global_object, self.stream] if self.cond is not None else [self.stream]

    def pair_bias(self, pt: Tensor, eta: Tensor, phi: Tensor, e: Tensor, pad_mask: Tensor) -> Tensor:
        """Attention mask ``(B, H, N, N)``: pair embeddings of the valid pairs plus ``NEG`` at padded keys.

        The four pair features are symmetric, so (as weaver does) only the valid unordered pairs
        ``a <= b`` are embedded, once each, and mirrored by one gather: a pair with a padded
        constituent is never embedded (its bias is 0, or ``NEG`` where the key is padded), so the
        pair batch norm's statistics are those of the real pairs (weaver's sparse ``PairEmbed``) and
        the output does not depend on the values in padded slots. An ONNX export embeds all pairs
        (the same output in eval mode).
        """
        b, n = pt.shape
        if torch.onnx.is_in_onnx_export():  # no nonzero in a fixed graph: embed all pairs (weaver's for_onnx)
            return additive_mask(pad_mask, self.embed_pairs(pair_features(pt, eta, phi, e)))
        valid = ~pad_mask
        upper = torch.ones(n, n, dtype=torch.bool, device=pt.device).triu()
        jet, i, j = (valid.unsqueeze(-1) & valid.unsqueeze(-2) & upper).nonzero(as_tuple=True)
        kin = torch.stack([pt, eta, phi, e], -1).reshape(b * n, 4)
        first, second = jet * n + i, jet * n + j
        ka, kb = kin.index_select(0, first), kin.index_select(0, second)
        feats = pair_features_between(ka.unbind(-1), kb.unbind(-1))  # type: ignore[arg-type]
        emb = self.pair_embed(feats) if len(feats) else feats.new_zeros(0, self.num_heads)  # (T, H)
        # rows of the table: the T pairs, a zero row (padded query) and a NEG row (padded key)
        t = emb.shape[0]
        table = torch.cat([emb, emb.new_zeros(1, self.num_heads), emb.new_full((1, self.num_heads), NEG)])
        where = torch.where(pad_mask, t + 1, t).unsqueeze(1).expand(b, n, n).reshape(-1)  # by key
        pair = torch.arange(t, device=pt.device)
        where = where.index_put((first * n + j,), pair).index_put((second * n + i,), pair)
        return table.index_select(0, where).view(b, n, n, self.num_heads).permute(0, 3, 1, 2)

    def embed_pairs(self, feats: Tensor) -> Tensor:
        """Pair features ``(B, ..., 4)`` -> biases ``(B, H, ...)`` (every pair embedded)."""
        # no reshape to rows: it would bake the traced shape into an ONNX graph. Non-negative dims: ONNX
        # rejects a negative transpose index.
        last = feats.dim() - 1
        if isinstance(self.pair_embed[0], ChannelBatchNorm):  # channels first, as weaver's for_onnx
            return self.pair_embed(feats.movedim(last, 1))  # type: ignore[no-any-return]
        return self.pair_embed(feats).movedim(last, 1)  # type: ignore[no-any-return]

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        x, mask = normed[self.stream], pad_masks[self.stream]
        if not self.embed_all:
            x = x.index_select(-1, self.embed_cols)
        h = self.embed(x).masked_fill(mask.unsqueeze(-1), 0.0)
        pt, eta, phi, e = self.kinematics(raw[self.stream], self.kin_idx, self.kin.angular_scale)
        attn = self.pair_bias(pt, eta, phi, e, mask)
        for block in self.blocks:
            h = block(h, attn)
        cls = self.cls.expand(h.shape[0], -1, -1)
        if self.cond is not None:
            cls = cls + self.cond(normed[self.global_object]).unsqueeze(1)
        for block in self.cls_blocks:
            cls = block(cls, h, mask)
        return self.norm(cls[:, 0])
