"""GlobalBackbone: the global object's inputs -> one init net, no encoder and no pooling (DL1)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from halite.data.parameters import PARAMETERS, ParameterConfig, check_parameters
from halite.data.specs import GLOBAL
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.layers.norm import InputNorm
from halite.nn.sets.init_nets import InitNet, InitNetConfig
from halite.typing import Masks, Tensors


class GlobalBackbone(Backbone):
    """The backbone of a jet-level ``halite.models.Model``: no constituents, no encoder, no pooling.

    salt's "global object only" ``SaltModel`` (DL1, ATL-PHYS-PUB-2017-013): the global object's
    normalised variables (the ``PARAMETERS`` concatenated, when there are any) go through its
    one init net, whose output is the representation every task reads; the features of a
    ``GLOBAL`` entry of ``variables`` are concatenated to it, as for the pooled vector of
    ``EncoderBackbone``. Submodules (``Model`` registers them at its top level): ``norms``,
    ``init_nets`` (one entry, the global object).

    Parameters
    ----------
    init_nets
        Exactly one init net, on the global object, with ``attach_global: false`` (its input
        already is the global object) and ``dense_config.output_size`` (the representation width,
        ``D``: there is no encoder to give it).
    parameters
        As for ``halite.models.Model``.

    Raises
    ------
    ValueError
        If the init nets are not one on the global object with those settings.
    """

    per_constituent = False
    #: nothing to pack (no constituents); settable like ``EncoderBackbone.packed``
    packed = False

    def __init__(
        self, init_nets: list[InitNetConfig], parameters: dict[str, ParameterConfig] | None = None
    ) -> None:
        super().__init__()
        self.init_net_configs = list(init_nets)
        self.parameters_config = parameters

    def build(self, info: InputInfo) -> int:
        """Create the norms and the init net; return the representation width (``out_features``)."""
        if info.global_object is None or info.norm is None:
            msg = "GlobalBackbone needs a global object and a norm dict (data.global_object, data.norm_dict)."
            raise ValueError(msg)
        glob = info.global_object
        self.global_object = glob
        self.variables = {k: list(v) for k, v in info.variables.items()}
        names = [c.input_name for c in self.init_net_configs]
        if names != [glob]:
            msg = (
                f"A Model without encoder and pool_net is a jet-level network: it needs exactly one init net, "
                f"on the global object '{glob}'; got init nets for {names}. Add an encoder and a pool_net to "
                f"read constituent streams."
            )
            raise ValueError(msg)
        (cfg,) = self.init_net_configs
        if cfg.attach_global:
            msg = (
                f"The init net on the global object '{glob}' has attach_global: true, which would attach "
                f"'{glob}' to itself; set attach_global: false."
            )
            raise ValueError(msg)
        width = cfg.dense_config.output_size
        if width is None:
            msg = (
                f"The init net on '{glob}' needs dense_config.output_size in a Model without encoder: it is "
                f"the width of the representation the tasks read."
            )
            raise ValueError(msg)
        if not self.variables.get(glob):
            msg = f"The init net on '{glob}' needs its variables: data.variables.{glob} is empty."
            raise ValueError(msg)
        norm = dict(info.norm)
        params = self.variables.get(PARAMETERS, [])
        if params:
            norm[PARAMETERS] = dict(
                zip(params, (c.norm() for c in check_parameters(params, self.parameters_config)))
            )
        self.norms = nn.ModuleDict({s: InputNorm(v, norm[s]) for s, v in self.variables.items()})
        self.init_nets = nn.ModuleDict(
            {glob: InitNet(cfg, len(self.variables[glob]) + len(params), 0, int(width))}
        )
        self.out_features = int(width) + len(self.variables.get(GLOBAL, []))
        return self.out_features

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw inputs (``(B, F)`` for the global object) -> ``(B, out_features)``; ``pad_masks`` unused."""
        x = self.norms[self.global_object](inputs[self.global_object])
        if PARAMETERS in self.norms:
            x = torch.cat([x, self.norms[PARAMETERS](inputs[PARAMETERS])], dim=-1)
        x = self.init_nets[self.global_object](x, None)
        if GLOBAL in self.norms:
            x = torch.cat([x, self.norms[GLOBAL](inputs[GLOBAL])], dim=-1)
        return x  # type: ignore[no-any-return]
