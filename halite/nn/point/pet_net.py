"""PET2's body (embedding, local block, interaction bias, transformer) and its class-attention head.

Module for module OmniLearned 0.2.0's ``PET_body`` and ``PET_classifier`` in classifier/regression
mode (no diffusion-time token): same submodules, parameter names and shapes, same computation.
Masks are explicit (``valid``, one per particle) where OmniLearned reads them off the features
(``x[..., 2] != 0``); on zero-padded inputs both agree.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.nn.point.pet_blocks import AttBlock, TokenAttBlock, key_mask, pair_mask
from halite.nn.point.pet_layers import (
    MLP,
    InputBlock,
    InteractionBlock,
    InteractionType,
    NormName,
    NoScaleDropout,
    make_norm,
)
from halite.nn.point.pet_local import SHIFT, LocalEmbeddingBlock


class PETBody(nn.Module):
    """Particles ``(B, N, input_dim)`` -> normalised tokens ``(B, T + A + N, base_dim)``.

    ``T = num_tokens`` class tokens come first, then ``A`` (0 or 1) conditioning token, then the
    particles. See ``halite.nn.point.pet.PET2`` for the parameters (OmniLearned's names).
    """

    def __init__(
        self,
        input_dim: int,
        base_dim: int,
        num_transformers: int,
        num_transf_local: int,
        num_heads: int,
        mlp_ratio: float,
        norm_layer: NormName,
        act_layer: str,
        mlp_drop: float,
        attn_drop: float,
        feature_drop: float,
        num_tokens: int,
        K: int,
        use_int: bool,
        local_int: bool,
        int_type: InteractionType,
        conditional: bool,
        cond_dim: int,
        pid: bool,
        pid_dim: int,
        add_info: bool,
        add_dim: int,
        skip: bool,
        num_coord: int,
    ) -> None:
        super().__init__()
        if not 1 <= num_coord <= input_dim or ((use_int or local_int) and input_dim < 3):
            msg = (
                f"PET2 needs num_coord in [1, input_dim={input_dim}] (got {num_coord}) and, with use_int or "
                "local_int, at least 3 particle features (Δη, Δφ, ln pT first)."
            )
            raise ValueError(msg)
        self.use_int, self.conditional, self.pid, self.add_info = use_int, conditional, pid, add_info
        self.skip, self.num_coord, self.num_tokens = skip, num_coord, num_tokens
        self.embed = InputBlock(input_dim, int(mlp_ratio * base_dim), base_dim, act_layer, norm_layer)
        if use_int:
            self.interaction = InteractionBlock(base_dim, num_heads, act_layer, int_type)
        self.local_physics = LocalEmbeddingBlock(
            input_dim,
            int(mlp_ratio * base_dim),
            base_dim,
            act_layer,
            norm_layer,
            mlp_drop,
            attn_drop,
            K,
            num_heads,
            local_int,
            int_type,
            num_transf_local,
        )
        self.num_add = int(conditional)
        if conditional:
            self.cond_embed = nn.Sequential(
                MLP(cond_dim, base_dim, base_dim, act_layer, norm_layer=norm_layer)
            )
        if add_info:
            add = MLP(
                add_dim, int(mlp_ratio * base_dim), base_dim, act_layer, norm_layer=norm_layer, bias=False
            )
            self.add_embed = nn.Sequential(add, NoScaleDropout(feature_drop))
        if pid:
            self.pid_embed = nn.Sequential(
                nn.Embedding(pid_dim, base_dim, padding_idx=0), NoScaleDropout(feature_drop)
            )
        self.token = nn.Parameter(torch.empty(1, num_tokens, base_dim))
        nn.init.trunc_normal_(self.token, mean=0.0, std=0.02, a=-2.0, b=2.0)
        n_first = num_transformers // 2 if skip else num_transformers
        ctx = num_tokens + self.num_add

        def blocks(n: int, skip_linear: bool) -> nn.ModuleList:
            args = (base_dim, num_heads, mlp_ratio, attn_drop, mlp_drop, act_layer, norm_layer, skip_linear)
            return nn.ModuleList([AttBlock(*args) for _ in range(n)])

        self.in_blocks = blocks(n_first, False)
        if skip:
            self.out_blocks = blocks(num_transformers // 2, True)
        self.norm = make_norm(norm_layer, base_dim)
        self.context = ctx

    def forward(
        self,
        x: Tensor,
        valid: Tensor,
        cond: Tensor | None = None,
        pid: Tensor | None = None,
        add_info: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Particles ``(B, N, F)`` and their validity ``(B, N)`` -> tokens and the validity of every token.

        ``cond`` ``(B, cond_dim)``, ``pid`` ``(B, N)`` integers, ``add_info`` ``(B, N, add_dim)`` when
        the body was built with them (``conditional``, ``pid``, ``add_info``).
        """
        b = x.shape[0]
        m = valid.to(x.dtype).unsqueeze(-1)
        x = x.masked_fill(~valid.unsqueeze(-1), 0.0)  # padding is zero, whatever the slots held
        h = self.embed(x, m)
        coords = SHIFT * (1.0 - m) + x[..., : self.num_coord]
        h = h + self.local_physics(coords, x, m)
        if self.pid:
            if pid is None:
                raise ValueError("PET2 was built with pid: pass the particle ids.")
            h = h + self.pid_embed(pid * valid.long()) * m
        if self.add_info:
            if add_info is None:
                raise ValueError("PET2 was built with add_info: pass the additional particle features.")
            h = h + self.add_embed(add_info.masked_fill(~valid.unsqueeze(-1), 0.0)) * m
        front = [self.token.expand(b, -1, -1)]
        if self.conditional:
            if cond is None:
                raise ValueError("PET2 was built with conditional=True: pass the jet-level features (cond).")
            front.append(self.cond_embed(cond).unsqueeze(1))
        h = torch.cat([*front, h], 1)
        ones = valid.new_ones(b, self.context).to(x.dtype)
        all_valid = torch.cat([ones, m[..., 0]], 1)
        mask = all_valid.unsqueeze(-1)
        attn = pair_mask(all_valid)  # (B, 1, M, M)
        if self.use_int:  # the physics bias on particle pairs: (B, H, M, M)
            attn = attn + nn.functional.pad(self.interaction(x, m), (self.context, 0, self.context, 0))
        skips = []
        for block in self.in_blocks:
            h = block(h, mask, attn)
            skips.append(h)
        if self.skip:
            for block in self.out_blocks:
                h = block(h, mask, attn, skip=skips.pop())
        return self.norm(h) * mask, all_valid


class PETClassifier(nn.Module):
    """Class-attention head: the class tokens attend to the rest, then an MLP of the concatenated tokens.

    ``features`` is the representation (``num_tokens * base_dim``) before the output layer ``out``.
    """

    def __init__(
        self,
        base_dim: int,
        num_transformers: int,
        num_heads: int,
        mlp_ratio: float,
        norm_layer: NormName,
        act_layer: str,
        mlp_drop: float,
        attn_drop: float,
        num_tokens: int,
        num_classes: int,
    ) -> None:
        super().__init__()
        self.num_tokens = num_tokens
        self.in_blocks = nn.ModuleList(
            [
                TokenAttBlock(
                    base_dim, num_heads, mlp_ratio, attn_drop, mlp_drop, act_layer, norm_layer, num_tokens
                )
                for _ in range(num_transformers)
            ]
        )
        width = base_dim * num_tokens
        self.fc = MLP(width, int(mlp_ratio * width), width, act_layer, mlp_drop, norm_layer)
        self.out = nn.Linear(width, num_classes)

    def features(self, h: Tensor, valid: Tensor) -> Tensor:
        """Body tokens ``(B, T + S, D)``, validity ``(B, T + S)`` -> ``(B, T * D)``."""
        keys = key_mask(valid[:, self.num_tokens :])
        for block in self.in_blocks:
            h = block(h, keys)
        return self.fc(h[:, : self.num_tokens].flatten(1))

    def forward(self, h: Tensor, valid: Tensor) -> Tensor:
        """Logits (or regression outputs) ``(B, num_classes)``."""
        return self.out(self.features(h, valid))
