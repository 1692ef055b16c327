"""``AutoExtractLorentzBoostNet``: lumin 0.9.1's Lorentz Boost Network with learned feature extractors."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import torch
from torch import Tensor, nn

from halite.nn.lumin.abs_block import LookupInit
from halite.nn.lumin.activations import hard_identity
from halite.nn.lumin.activations import lookup_act as default_lookup_act
from halite.nn.lumin.batchnorms import LCBatchNorm1d
from halite.nn.lumin.four_momenta import MomentumFormat
from halite.nn.lumin.initialisations import lookup_normal_init
from halite.nn.lumin.lorentz import LBNNumerics, LorentzBoostNet

__all__ = ["AutoExtractLorentzBoostNet"]


class AutoExtractLorentzBoostNet(LorentzBoostNet):
    """``LorentzBoostNet`` whose features are learned (lumin 0.9.1's ``AutoExtractLorentzBoostNet``).

    The boosted 4-momenta ``(B, n_particles, 4)`` go through a batch norm over the ``4 n_particles``
    values (``pre_bn``, always), then a network ``single_nn`` (4 -> ``n_singles``) is broadcast over the
    particles and a network ``pair_nn`` (8 -> ``n_pairs``, the two 4-momenta of a pair concatenated) over
    the pairs ``comb``: ``n_singles n_particles + n_pairs n_particles (n_particles - 1) / 2`` features.
    Each network has ``depth`` linear layers (``width`` wide, the last ``n_out``), each followed by the
    activation (none for ``"linear"``), a batch norm over the features if ``bn`` and dropout ``do``
    (alpha dropout for ``"selu"``). The weights, combinations and boost are ``LorentzBoostNet``'s.

    Differences from lumin 0.9.1 (same state dict, same outputs):

    - lumin 0.9.1 with ``freeze=True`` freezes only ``part_wgts`` / ``rf_wgts`` (the networks and
      ``pre_bn`` are built after the freeze and stay trainable); here every parameter is frozen.
    - lumin 0.9.1 builds the networks' batch norms with ``nn.BatchNorm1d`` whatever ``bn_class`` says;
      here ``bn_class`` (default ``nn.BatchNorm1d``, so the default is lumin's).
    - lumin 0.9.1 fails with an obscure error when ``n_singles`` and ``n_pairs`` are both 0; here that
      raises ``ValueError``.
    - ``numerics`` as for ``LorentzBoostNet`` (only the boost applies: there is no cosine).

    Parameters
    ----------
    cont_feats, vecs, feats_per_vec, n_particles
        As for ``LorentzBoostNet`` (``feats_per_vec`` in the order ``(px, py, pz, E)``).
    depth
        Number of linear layers of each network.
    width
        Width of their hidden layers.
    n_singles
        Features learned per particle (0: no ``single_nn``).
    n_pairs
        Features learned per pair of particles (0: no ``pair_nn``).
    act
        Activation name for ``lookup_act``.
    do
        Dropout rate in the networks (0: none).
    bn
        Batch norm inside the networks (the input batch norm ``pre_bn`` is always there).
    lookup_init, lookup_act
        Weight-init and activation lookups of the networks.
    freeze
        Start with every parameter untrainable.
    bn_class
        Batch-norm class (``pre_bn`` and the networks' batch norms).
    numerics
        ``"safe"`` (default) or ``"lumin"``; see ``LorentzBoostNet``.
    momentum_format, mass, scale, precision
        halite extras: the input conversion and boost precision of ``LorentzBoostNet`` (default: lumin's
        ``(px, py, pz, E)`` in the input's dtype).

    Examples
    --------
    >>> aelbn = AutoExtractLorentzBoostNet(cont_feats=cont_feats, vecs=vecs, feats_per_vec=["px", "py", "pz", "E"],
    ...                                    n_particles=6, depth=3, width=10, n_singles=3, n_pairs=2)
    >>> aelbn.get_out_size()  # 6 * 3 + 15 * 2
    48
    """

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        n_particles: int,
        depth: int,
        width: int,
        n_singles: int = 0,
        n_pairs: int = 0,
        act: str = "swish",
        do: float = 0,
        bn: bool = False,
        lookup_init: LookupInit = lookup_normal_init,
        lookup_act: Callable[[str], Any] = default_lookup_act,
        freeze: bool = False,
        bn_class: Callable[[int], nn.Module] = nn.BatchNorm1d,
        *,
        numerics: LBNNumerics = "safe",
        momentum_format: MomentumFormat = "px_py_pz_e",
        mass: float = 0.0,
        scale: float = 1.0,
        precision: Literal["float32", "float64"] = "float32",
        **kargs: Any,
    ) -> None:
        if n_singles <= 0 and n_pairs <= 0:
            msg = (
                f"AutoExtractLorentzBoostNet: no features to learn (n_singles={n_singles}, n_pairs={n_pairs}); "
                "set n_singles and/or n_pairs > 0."
            )
            raise ValueError(msg)
        self.n_singles, self.n_pairs = n_singles, n_pairs
        n_comb = n_particles * (n_particles - 1) // 2
        # stand-ins until the networks exist, so that check_out_sz can run (lumin's order of RNG use)
        self.single_nn: Any = partial(self._mock_nn, n=n_singles * n_particles)
        self.pair_nn: Any = partial(self._mock_nn, n=n_pairs * n_comb)
        self.pre_bn: Any = hard_identity
        super().__init__(
            cont_feats=cont_feats,
            vecs=vecs,
            feats_per_vec=feats_per_vec,
            n_particles=n_particles,
            bn=False,
            lookup_init=lookup_init,
            lookup_act=lookup_act,
            freeze=False,
            bn_class=bn_class,
            numerics=numerics,
            momentum_format=momentum_format,
            mass=mass,
            scale=scale,
            precision=precision,
        )
        self.freeze = freeze
        net = partial(
            self._get_nn,
            depth=depth,
            width=width,
            act=act,
            do=do,
            bn=bn,
            lookup_init=lookup_init,
            lookup_act=lookup_act,
        )
        if n_singles > 0:
            self.single_nn = net(n_in=4, n_out=n_singles)
        if n_pairs > 0:
            self.pair_nn = net(n_in=8, n_out=n_pairs)
        self.pre_bn = self.bn_class(4 * self.n_particles)
        if self.freeze:
            self.freeze_layers()

    @staticmethod
    def _mock_nn(x: Tensor, n: int) -> Tensor:
        """Zeros ``(B, n)``: the output shape of a network before it is built."""
        return torch.zeros((x.size(0), n), device=x.device)

    def _get_nn(
        self,
        n_in: int,
        depth: int,
        width: int,
        n_out: int,
        act: str,
        do: float,
        bn: bool,
        lookup_init: LookupInit,
        lookup_act: Callable[[str], Any],
    ) -> nn.Sequential:
        """``depth`` layers ``n_in -> width -> ... -> n_out`` (``_get_layer`` each)."""
        sizes = [n_in] + [width] * (depth - 1) + [n_out]
        return nn.Sequential(
            *[
                self._get_layer(sizes[i], sizes[i + 1], act, do, bn, lookup_init, lookup_act)
                for i in range(depth)
            ]
        )

    def _get_layer(
        self,
        n_in: int,
        n_out: int,
        act: str,
        do: float,
        bn: bool,
        lookup_init: LookupInit,
        lookup_act: Callable[[str], Any],
    ) -> nn.Sequential:
        """Linear (init by ``lookup_init``, zero bias), activation unless linear, batch norm, dropout."""
        linear = nn.Linear(n_in, n_out)
        lookup_init(act, n_in, n_out)(linear.weight)
        nn.init.zeros_(linear.bias)
        layers: list[nn.Module] = [linear]
        if act != "linear":
            layers.append(lookup_act(act))
        if bn:
            layers.append(LCBatchNorm1d(self.bn_class(n_out)))
        if do:
            layers.append(nn.AlphaDropout(do) if act == "selu" else nn.Dropout(do))
        return nn.Sequential(*layers)

    def feat_extractor(self, x: Tensor) -> Tensor:
        """Learned features of the boosted particles ``(B, n_particles, 4)`` -> ``(B, out_sz)``.

        ``pre_bn`` over the flattened 4-momenta, then ``single_nn`` per particle and ``pair_nn`` per pair
        (particle-major, then pair-major), concatenated.
        """
        bs = x.size(0)
        x = self.pre_bn(x.reshape(bs, -1)).reshape(bs, -1, 4)
        out = []
        if self.n_singles > 0:
            out.append(self.single_nn(x).reshape(bs, -1))
        if self.n_pairs > 0:
            out.append(self.pair_nn(x[:, self.comb].reshape(bs, len(self.comb), 8)).reshape(bs, -1))
        return out[0] if len(out) == 1 else torch.cat(out, -1)
