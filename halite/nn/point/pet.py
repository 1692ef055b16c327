"""PET2, OmniLearned's point-edge transformer (Mikuni & Nachman, arXiv:2502.14652), module for module.

``PET2`` has OmniLearned 0.2.0's submodules (``body``: embedding, local kNN block with its own
transformer blocks and physics features, pairwise interaction bias, ``num_tokens`` class tokens,
transformer blocks, DynamicTanh norms; ``classifier``: class-attention blocks, MLP, output layer),
its argument names and presets, and its state-dict keys and shapes: an OmniLearned state dict loads
with ``load_state_dict(strict=True)`` and gives the same outputs (``classify``); checkpoint files load
with ``halite.training.pretrained.load_omnilearned_file`` (loaded dicts: ``load_omnilearned``). As a halite point backbone it reads one particle stream (raw values, in
OmniLearned's layout: ``Δη, Δφ, ln pT`` first), optional particle ids and jet-level features, and
returns the head's representation before its output layer (``num_tokens * base_dim``).
"""

from __future__ import annotations

import warnings
from typing import Literal

import torch
from torch import Tensor, nn

from halite.nn.point.base import PointBackbone, column
from halite.nn.point.pet_checkpoint import load_omnilearned
from halite.nn.point.pet_layers import InteractionType, NormName
from halite.nn.point.pet_net import PETBody, PETClassifier
from halite.typing import Masks, Tensors

__all__ = ["PET2", "PET2_PRESETS", "load_omnilearned"]

Preset = Literal["small", "medium", "large"]
Mode = Literal["classifier", "regression"]
#: OmniLearned's ``get_model_parameters``: preset -> sizes
PET2_PRESETS: dict[str, dict[str, int]] = {
    "small": {"num_transformers": 8, "num_transformers_head": 2, "num_tokens": 4, "num_heads": 8,
              "base_dim": 128, "mlp_ratio": 2},
    "medium": {"num_transformers": 12, "num_transformers_head": 2, "num_tokens": 4, "num_heads": 16,
               "base_dim": 512, "mlp_ratio": 2},
    "large": {"num_transformers": 28, "num_transformers_head": 4, "num_tokens": 4, "num_heads": 32,
              "base_dim": 1024, "mlp_ratio": 2},
}  # fmt: skip
#: halite's earlier PET2 argument -> OmniLearned's
EARLIER_NAMES = {"k": "K", "num_blocks": "num_transformers", "num_pid": "pid_dim", "use_global": "conditional",
                 "dropout": "mlp_drop and attn_drop"}  # fmt: skip
#: OmniLearned's ``PET2`` defaults of the sizes (``preset: null``)
PET2_DEFAULT_SIZES = {
    "num_transformers": 2, "num_transformers_head": 2, "num_tokens": 4, "num_heads": 4, "base_dim": 128, "mlp_ratio": 2,
}  # fmt: skip


class PET2(PointBackbone):
    """OmniLearned's PET2 (classifier or regression mode) as a halite point backbone.

    Parameters are OmniLearned's (``omnilearned.network.PET2``) except the halite plumbing
    (``stream``, ``preset``, ``inputs``, ``pid`` as a variable name, ``pid_idx``, ``pid_shift``,
    ``normalise_inputs``). To start from an OmniLearned checkpoint file, pass it as
    ``--model.pretrained`` (``halite.training.pretrained``) or use ``load_omnilearned_file``.
    Explicit sizes override the preset's.

    Parameters
    ----------
    stream
        Particle stream.
    preset
        ``small`` (128 wide, 8 heads, 8 + 2 blocks), ``medium`` (512, 16, 12 + 2), ``large``
        (1024, 32, 28 + 4), all with 4 class tokens; ``None``: OmniLearned's class defaults.
    input_dim
        Particle features; default: from the data (then the layers are made by ``build``).
        Given, the network is made at once (OmniLearned's way, e.g. to load its state dicts).
    use_int, local_int, int_type
        Pairwise physics bias in the attention; physics features of the kNN pairs; their kind.
    conditional, cond_dim
        A conditioning token from the jet-level (global) features; their number (default: data).
    pid, pid_dim
        Particle ids, embedded (``pid_dim`` ids, 0 = padding): a variable name, or ``True`` for the
        stream's column ``pid_idx`` (OmniLearned's data layout).
    pid_idx
        Column of the ids when ``pid`` is ``True``.
    pid_shift
        Added to the data's ids (OmniLearned reserves id 0 for padding: ``1`` for ids from 0).
    add_info, add_dim
        The last ``add_dim`` particle features go through a separate embedding.
    mode
        ``classifier`` or ``regression`` (the same network; ``num_classes`` outputs).
    num_classes
        Outputs of the head's output layer ``classifier.out`` (used by ``classify``; halite's task
        heads read the representation before it, so as a backbone it is frozen).
    base_dim, num_transformers, num_transformers_head, num_tokens, num_heads, mlp_ratio
        Sizes: width, body blocks, head (and local) blocks, class tokens, heads, MLP ratio.
    norm_layer, act_layer
        ``DynamicTanh`` or ``LayerNorm``; a ``torch.nn`` activation name.
    mlp_drop, attn_drop, feature_drop
        Dropout in MLPs, of attention weights, of whole id / extra-feature embeddings.
    K
        Neighbours in the local block.
    skip
        U-shaped body: ``num_transformers // 2`` blocks, then as many with long skip connections.
    num_coord
        Leading particle features spanning the kNN distance.
    inputs
        The stream's variables fed as particle features, in order; default: all but the ids.
    normalise_inputs
        Feed the norm dict's normalised values instead of the raw ones (for inputs that are not
        OmniLearned's preprocessed features; best with ``use_int`` and ``local_int`` off).
    k, num_blocks, num_pid, use_global, dropout
        halite's earlier names (a ``FutureWarning``) of ``K``, ``num_transformers``, ``pid_dim``,
        ``conditional`` and ``mlp_drop`` = ``attn_drop``.
    """

    persistent_norms = False  # the state dict is OmniLearned's: norms are rebuilt from the norm dict

    def __init__(
        self,
        stream: str = "particles",
        preset: Preset | None = "small",
        input_dim: int | None = None,
        use_int: bool = True,
        local_int: bool = True,
        int_type: InteractionType = "lhc",
        conditional: bool = False,
        cond_dim: int | None = None,
        pid: bool | str = False,
        pid_dim: int = 9,
        pid_idx: int = 4,
        pid_shift: int = 0,
        add_info: bool = False,
        add_dim: int = 4,
        mode: Mode = "classifier",
        num_classes: int = 2,
        base_dim: int | None = None,
        num_transformers: int | None = None,
        num_transformers_head: int | None = None,
        num_tokens: int | None = None,
        num_heads: int | None = None,
        mlp_ratio: float | None = None,
        norm_layer: NormName = "DynamicTanh",
        act_layer: str = "GELU",
        mlp_drop: float = 0.0,
        attn_drop: float = 0.0,
        feature_drop: float = 0.0,
        K: int = 15,
        skip: bool = False,
        num_coord: int = 3,
        inputs: list[str] | None = None,
        normalise_inputs: bool = False,
        k: int | None = None,
        num_blocks: int | None = None,
        num_pid: int | None = None,
        use_global: bool | None = None,
        dropout: float | None = None,
    ) -> None:
        super().__init__()
        earlier = {
            "k": k,
            "num_blocks": num_blocks,
            "num_pid": num_pid,
            "use_global": use_global,
            "dropout": dropout,
        }
        used = [f"{n} -> {EARLIER_NAMES[n]}" for n, v in earlier.items() if v is not None]
        if used:
            msg = f"PET2: halite's earlier argument names; use OmniLearned's ({', '.join(used)})."
            warnings.warn(msg, FutureWarning, stacklevel=2)
        K = K if k is None else k
        num_transformers = num_transformers if num_blocks is None else num_blocks
        pid_dim = pid_dim if num_pid is None else num_pid
        conditional = conditional if use_global is None else use_global
        if dropout is not None:
            mlp_drop = attn_drop = dropout
        if mode not in ("classifier", "regression"):
            msg = f"PET2 mode '{mode}' is not supported; choose classifier or regression."
            raise ValueError(msg)
        if preset is not None and preset not in PET2_PRESETS:
            msg = f"PET2 preset '{preset}' is not known; choose from {sorted(PET2_PRESETS)} or null."
            raise ValueError(msg)
        sizes: dict[str, float] = dict(PET2_PRESETS[preset] if preset else PET2_DEFAULT_SIZES)
        given = {
            "base_dim": base_dim, "num_transformers": num_transformers, "num_transformers_head": num_transformers_head,
            "num_tokens": num_tokens, "num_heads": num_heads, "mlp_ratio": mlp_ratio,
        }  # fmt: skip
        sizes.update({k: v for k, v in given.items() if v is not None})
        self.sizes = sizes
        self.base_dim, self.num_tokens = int(sizes["base_dim"]), int(sizes["num_tokens"])
        self.out_features = self.base_dim * self.num_tokens
        self.stream, self.mode, self.num_classes = stream, mode, num_classes
        self.use_int, self.local_int, self.int_type = use_int, local_int, int_type
        self.conditional, self.cond_dim = conditional, cond_dim
        self.pid, self.pid_dim, self.pid_idx, self.pid_shift = pid, pid_dim, pid_idx, pid_shift
        self.add_info, self.add_dim = add_info, add_dim
        self.norm_layer, self.act_layer = norm_layer, act_layer
        self.mlp_drop, self.attn_drop, self.feature_drop = mlp_drop, attn_drop, feature_drop
        self.K, self.skip, self.num_coord = K, skip, num_coord
        self.inputs, self.normalise_inputs = inputs, normalise_inputs
        self.input_dim = input_dim
        if input_dim is not None and (cond_dim is not None or not conditional):
            self.make_network(input_dim, cond_dim or 0)

    def make_network(self, input_dim: int, cond_dim: int) -> None:
        """Create ``body`` and ``classifier`` (OmniLearned's ``PET2.__init__``, with its weight init)."""
        s = self.sizes
        base, heads, ratio = int(s["base_dim"]), int(s["num_heads"]), float(s["mlp_ratio"])
        self.input_dim, self.cond_dim = input_dim, cond_dim
        self.body = PETBody(
            input_dim, base, int(s["num_transformers"]), int(s["num_transformers_head"]), heads, ratio,
            self.norm_layer, self.act_layer, self.mlp_drop, self.attn_drop, self.feature_drop, self.num_tokens,
            self.K, self.use_int, self.local_int, self.int_type, self.conditional, cond_dim, bool(self.pid),
            self.pid_dim, self.add_info, self.add_dim, self.skip, self.num_coord,
        )  # fmt: skip
        self.classifier = PETClassifier(
            base, int(s["num_transformers_head"]), heads, ratio, self.norm_layer, self.act_layer,
            self.mlp_drop, self.attn_drop, self.num_tokens, self.num_classes,
        )  # fmt: skip
        for m in self.modules():  # OmniLearned: Xavier-uniform linear weights, zero biases
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def build_points(self, variables: dict[str, list[str]], global_object: str) -> None:
        what = "PET2"
        if self.stream not in variables:
            msg = f"{what} reads stream '{self.stream}', which is not in data.variables {sorted(variables)}."
            raise ValueError(msg)
        names = list(variables[self.stream])
        if isinstance(self.pid, str):
            self.pid_col: int | None = column(variables, self.stream, self.pid, what)
        elif self.pid:
            if not 0 <= self.pid_idx < len(names):
                msg = f"PET2 pid_idx {self.pid_idx} is outside the {len(names)} variables of '{self.stream}'."
                raise ValueError(msg)
            self.pid_col = self.pid_idx
        else:
            self.pid_col = None
        feats = self.inputs or [v for i, v in enumerate(names) if i != self.pid_col]
        cols = [column(variables, self.stream, v, what) for v in feats]
        if self.add_info:
            if len(cols) <= self.add_dim:
                msg = f"PET2 add_info takes the last add_dim={self.add_dim} of {feats}: too few inputs."
                raise ValueError(msg)
            cols, self.add_cols = cols[: -self.add_dim], cols[-self.add_dim :]
        self.feat_cols = cols
        self.global_object = global_object
        n_cond = len(variables.get(global_object, []))
        if self.conditional and not n_cond:
            msg = f"PET2 conditional=True needs variables of the global object '{global_object}'."
            raise ValueError(msg)
        if self.input_dim is not None and self.input_dim != len(cols):
            msg = f"PET2 input_dim={self.input_dim}, but data.variables.{self.stream} give {len(cols)}: {feats}."
            raise ValueError(msg)
        if self.conditional and self.cond_dim is not None and self.cond_dim != n_cond:
            msg = f"PET2 cond_dim={self.cond_dim}, but data.variables.{global_object} give {n_cond}."
            raise ValueError(msg)
        if not hasattr(self, "body"):
            self.make_network(len(cols), n_cond if self.conditional else 0)
        self.classifier.out.requires_grad_(False)  # halite's task heads replace the output layer
        streams = [global_object, self.stream] if self.conditional else [self.stream]
        self.input_streams = streams

    def encode(self, normed: Tensors, raw: Tensors, pad_masks: Masks) -> Tensor:
        src = normed if self.normalise_inputs else raw
        x_all, valid = src[self.stream], ~pad_masks[self.stream]
        pid = None
        if self.pid_col is not None:  # OmniLearned's ids: 0 is padding, so ``pid_shift`` moves the data's
            ids = raw[self.stream][..., self.pid_col] + self.pid_shift
            pid = ids.round().long().clamp(0, self.pid_dim - 1)
        add = x_all[..., self.add_cols] if self.add_info else None
        cond = normed[self.global_object] if self.conditional else None
        h, all_valid = self.body(x_all[..., self.feat_cols], valid, cond, pid, add)
        return self.classifier.features(h, all_valid)

    def classify(
        self,
        x: Tensor,
        cond: Tensor | None = None,
        pid: Tensor | None = None,
        add_info: Tensor | None = None,
        mask: Tensor | None = None,
    ) -> Tensor:
        """OmniLearned's ``forward(...)["y_pred"]``: logits ``(B, num_classes)`` from its inputs.

        Parameters
        ----------
        x
            Particle features ``(B, N, input_dim)``.
        cond, pid, add_info
            Jet-level features ``(B, cond_dim)``, integer ids ``(B, N)``, extra features ``(B, N, add_dim)``.
        mask
            Valid particles ``(B, N)``; default OmniLearned's ``x[..., 2] != 0``.
        """
        valid = x[..., 2] != 0 if mask is None else mask.bool()
        h, all_valid = self.body(x, valid, cond, pid, add_info)
        return self.classifier(h, all_valid)


def parameter_count(preset: Preset, **kwargs: object) -> int:
    """Parameters of a PET2 preset (``input_dim`` 4 unless given), counted on the meta device (no memory)."""
    kwargs.setdefault("input_dim", 4)
    with torch.device("meta"):
        net = PET2(preset=preset, **kwargs)  # type: ignore[arg-type]
    return sum(p.numel() for p in net.parameters())
