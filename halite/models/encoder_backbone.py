"""EncoderBackbone: input norm -> init nets -> encoder -> pooling, per jet and per constituent."""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from halite.data.parameters import PARAMETERS, ParameterConfig, check_parameters
from halite.data.specs import GLOBAL
from halite.errors import ConfigError, did_you_mean
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.layers.edges import EdgeFeatures, EdgeFeaturesConfig
from halite.nn.layers.featurewise import FeaturewiseConfig, FeaturewiseTransformation
from halite.nn.layers.norm import InputNorm
from halite.nn.layers.packing import Packing, packing_enabled, tokenwise
from halite.nn.sets.base import LayerHook, SetEncoder
from halite.nn.sets.init_nets import InitNet, InitNetConfig
from halite.nn.sets.pooling import Pooling
from halite.typing import Masks, Tensors


class EncoderBackbone(Backbone):
    """The backbone of ``halite.models.Model`` (GN2 and its relatives).

    Normalise every stream, embed each constituent stream with its init net (the global
    object's variables, and the parameters without FiLM, concatenated to every
    constituent), encode all constituents together and pool them to one vector per jet
    (the features of a ``GLOBAL`` entry of ``variables`` concatenated). Per constituent
    stream, the encoder output is the per-constituent representation.

    The submodules are created in ``build``, in the order ``norms``, ``init_nets``,
    ``encoder``, ``pool_net``, ``edge_features``, ``featurewise`` (the state-dict layout of
    ``Model``, which registers them at its top level).

    The encoder is a ``halite.nn.SetEncoder``; its declared capabilities choose the path:
    ``multi_stream`` encoders get and return dicts per stream, ``uses_edges`` encoders get the
    edge features, and ``supports_packing`` encoders (while ``packed``) stay packed from the
    init net through the encoder when there is one stream, no FiLM and no edges. FiLM at
    ``encoder_layers`` goes to the encoder as its ``layer_hook`` (``supports_layer_hook``
    encoders). An encoder with ``output_registers`` returns its register tokens after the
    constituents: FiLM at ``encoder`` transforms them too, the pooling reads
    [constituents, registers] (the registers valid in every jet) and the per-constituent
    representation holds the constituents only.

    Parameters
    ----------
    init_nets, encoder, pool_net, edge_features, featurewise_nets, parameters, packed
        As for ``halite.models.Model``.

    Raises
    ------
    TypeError
        If ``encoder`` is not a ``SetEncoder``.
    """

    per_constituent = True

    def __init__(
        self,
        init_nets: list[InitNetConfig],
        encoder: SetEncoder,
        pool_net: Pooling,
        edge_features: EdgeFeaturesConfig | None = None,
        featurewise_nets: list[FeaturewiseConfig] | None = None,
        parameters: dict[str, ParameterConfig] | None = None,
        packed: bool = True,
    ) -> None:
        super().__init__()
        check_set_encoder(encoder)
        self.init_net_configs = list(init_nets)
        self.edge_config = edge_features
        self.featurewise_configs = list(featurewise_nets or [])
        self.parameters_config = parameters
        self.packed = packed
        self._parts = (encoder, pool_net)  # a tuple: registered in build, in the layout order

    def build(self, info: InputInfo) -> int:
        """Create the submodules for ``info``; return the pooled width (``out_features``)."""
        if info.global_object is None or info.norm is None:
            msg = (
                "EncoderBackbone needs a global object and a norm dict (data.global_object, data.norm_dict)."
            )
            raise ValueError(msg)
        encoder, pool_net = self._parts
        init_nets, edge_features = self.init_net_configs, self.edge_config
        featurewise_nets, parameters = self.featurewise_configs, self.parameters_config
        global_object = info.global_object
        self.variables = {k: list(v) for k, v in info.variables.items()}
        self.global_object = global_object
        norm = dict(info.norm)
        if PARAMETERS in self.variables:
            names = self.variables[PARAMETERS]
            norm[PARAMETERS] = dict(zip(names, (c.norm() for c in check_parameters(names, parameters))))
        self.norms = nn.ModuleDict({s: InputNorm(v, norm[s]) for s, v in self.variables.items()})
        num_params = len(self.variables.get(PARAMETERS, []))
        self.film = bool(featurewise_nets)
        if self.film and not num_params:
            msg = "featurewise_nets need parameters to condition on: add data.variables.PARAMETERS."
            raise ValueError(msg)
        # parameters without FiLM are concatenated to the init-net inputs, like global features
        global_size = len(self.variables.get(global_object, [])) + (0 if self.film else num_params)
        embed_dim = int(encoder.embed_dim)
        self.init_nets = nn.ModuleDict()
        for cfg in init_nets:
            if cfg.input_name in (global_object, GLOBAL, PARAMETERS):
                msg = f"Init net for '{cfg.input_name}': init nets are for constituent streams, not global inputs."
                raise ValueError(msg)
            if cfg.input_name not in self.variables:
                msg = (
                    f"Init net for '{cfg.input_name}' but data.variables has no such stream "
                    f"(has {sorted(self.variables)}).{did_you_mean(cfg.input_name, self.variables)} Add its "
                    "variables or remove the init net."
                )
                raise ConfigError(msg)
            self.init_nets[cfg.input_name] = InitNet(
                cfg, len(self.variables[cfg.input_name]), global_size, embed_dim
            )
        if not self.init_nets:
            msg = "Model needs at least one init net for a constituent stream."
            raise ValueError(msg)
        self.encoder = encoder
        self.pool_net = pool_net
        enc_out = self.encoded_size = int(encoder.out_features)
        pool_net.build(enc_out)
        self._check_multi_stream_encoder(encoder)
        self.edge_features = self._build_edges(edge_features, encoder)
        self.featurewise = self._build_featurewise(featurewise_nets, num_params, encoder, pool_net)
        if encoder.output_registers and encoder.multi_stream:
            msg = (
                f"The encoder {type(encoder).__name__} is multi_stream and outputs "
                f"{encoder.output_registers} register tokens; only single-stream encoders may keep "
                f"their registers (set drop_registers: true)."
            )
            raise ValueError(msg)
        # features of a GLOBAL entry are concatenated to the pooled representation
        self.pooled_size = pool_net.out_features + len(self.variables.get(GLOBAL, []))
        self.out_features = self.pooled_size
        del self._parts
        return self.out_features

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Raw inputs ``(B, F)`` / ``(B, N, F)`` per stream, pad masks ``(B, N)`` -> ``(B, out_features)``."""
        return self.forward_constituents(inputs, pad_masks)[1]

    def packings(self, pad_masks: Masks) -> dict[str, Packing | None]:
        """Per encoded stream, its packing of valid constituents (None when not packing)."""
        on = packing_enabled(self.packed)
        return {name: Packing.from_mask(pad_masks[name]) if on else None for name in self.init_nets}

    def forward_constituents(
        self, inputs: Tensors, pad_masks: Masks, packings: dict[str, Packing | None] | None = None
    ) -> tuple[dict[str, Tensor], Tensor]:
        """Normalise, embed, encode and pool.

        Parameters
        ----------
        inputs
            Raw inputs: ``(B, F)`` for the global object, ``(B, N, F)`` per stream.
        pad_masks
            ``(B, N)`` per constituent stream, True = padding.
        packings
            Per encoded stream, its packing (default: ``packings(pad_masks)``).

        Returns
        -------
        per_stream
            Encoded stream -> ``(B, N, encoded_size)``.
        pooled
            ``(B, out_features)``.
        """
        packings = self.packings(pad_masks) if packings is None else packings
        glob = inputs.get(self.global_object)
        glob = self.norms[self.global_object](glob) if glob is not None else None
        params = self.norms[PARAMETERS](inputs[PARAMETERS]) if PARAMETERS in self.norms else None
        context = glob
        if params is not None and not self.film:
            context = params if glob is None else torch.cat([glob, params], dim=-1)
        (first, packing), *more = packings.items()
        encoder = self.encoder
        registers = int(encoder.output_registers)
        if (
            not more
            and packing is not None
            and encoder.supports_packing
            and encoder.packed
            and not self.film
            and self.edge_features is None
        ):
            # one stream: stay packed from the init net through the encoder
            x = self.norms[first](packing.pack(inputs[first]))
            x = self.init_nets[first](x, packing.per_constituent(context) if context is not None else None)
            if registers:  # the encoder appends the registers to the padded output
                x = encoder(packing.unpack(x), pad_masks[first])
            else:
                x = packing.unpack(encoder.forward_packed(x, packing))
            mask, masks = pad_masks[first], [pad_masks[first]]
        else:
            embs, masks = [], []
            for name, net in self.init_nets.items():
                mask = pad_masks[name]
                x = self.norms[name](inputs[name]).masked_fill(mask.unsqueeze(-1), 0.0)
                if self.film:
                    x = self._film(f"input_{name}", x, params).masked_fill(mask.unsqueeze(-1), 0.0)
                embs.append(self._embed(name, cast(InitNet, net), x, mask, packings[name], context, params))
                masks.append(mask)
            mask = torch.cat(masks, dim=1) if len(masks) > 1 else masks[0]
            if encoder.multi_stream:
                encoded = encoder(
                    dict(zip(self.init_nets.keys(), embs)), dict(zip(self.init_nets.keys(), masks))
                )
                x = torch.cat([encoded[name] for name in self.init_nets], dim=1)
            else:
                x = torch.cat(embs, dim=1) if len(embs) > 1 else embs[0]
                if self.edge_features is not None:
                    name = self.edge_features.input_name
                    edges = self.edge_features(inputs[name], pad_masks[name])
                    x = encoder(x, mask, edge_x=edges)
                elif self._layer_films():
                    x = encoder(x, mask, layer_hook=self._layer_hook(params))
                else:
                    x = encoder(x, mask)
        if self.film:
            x = self._film("encoder", x, params)  # registers included, as salt's layer global
        if registers:  # the registers are valid tokens of every jet: pooled, never per-constituent
            pool_mask = torch.cat([mask, mask.new_zeros((mask.shape[0], registers))], dim=1)
            pooled = self.pool_net(x, pool_mask)
            x = x[:, : mask.shape[1]]
        else:
            pooled = self.pool_net(x, mask)
        if self.film:
            pooled = self._film("global", pooled, params)
        if GLOBAL in self.norms:
            pooled = torch.cat([pooled, self.norms[GLOBAL](inputs[GLOBAL])], dim=-1)
        sizes = [m.shape[1] for m in masks]
        per_stream = dict(zip(self.init_nets.keys(), torch.split(x, sizes, dim=1)))
        return per_stream, pooled

    def _embed(
        self,
        name: str,
        net: InitNet,
        x: Tensor,
        mask: Tensor,
        packing: Packing | None,
        context: Tensor | None,
        params: Tensor | None,
    ) -> Tensor:
        """Init net of stream ``name`` on its normalised inputs ``x`` ``(B, N, F)`` -> ``(B, N, D)``.

        With a ``layer: input_with_global`` FiLM, the global features are attached first and
        the whole init-net input is transformed (salt's ``layer: input``).
        """
        films = [k for k in self.featurewise if k.split("_", 1)[1] == f"inputglobal_{name}"]
        if not films:
            return tokenwise(net, x, packing, context)
        size = x.shape[-1]
        if net.global_size and context is not None:  # attach_global: (B, N, F + F_global)
            x = torch.cat([x, context.unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)
        for key in films:
            x = self.featurewise[key](x, params).masked_fill(mask.unsqueeze(-1), 0.0)
        # the init net concatenates [inputs, global] itself: give it the transformed parts
        return tokenwise(lambda t, _: net(t[..., :size], t[..., size:]), x, packing)

    def _layer_films(self) -> list[nn.ModuleList]:
        """The per-block transformations (``layer: encoder_layers``), in config order."""
        return [m for k, m in self.featurewise.items() if k.split("_", 1)[1] == "layers"]  # type: ignore[misc]

    def _layer_hook(self, params: Tensor | None) -> LayerHook:
        """The encoder's per-block conditioning: every ``encoder_layers`` FiLM of block ``i``."""
        films = self._layer_films()
        assert params is not None

        def hook(i: int, x: Tensor, packing: Packing | None) -> Tensor:
            for blocks in films:
                x = blocks[i](x, params, packing)
            return x

        return hook

    def _build_featurewise(
        self,
        featurewise_nets: list[FeaturewiseConfig],
        num_params: int,
        encoder: SetEncoder,
        pool_net: Pooling,
    ) -> nn.ModuleDict:
        """One transformation per configured layer, keyed ``{i}_{layer}[_{stream}]``: per stream for
        ``input`` / ``input_with_global`` (``inputglobal``), one per block for ``encoder_layers``
        (``layers``, an ``nn.ModuleList``)."""
        featurewise = nn.ModuleDict()
        for i, fw in enumerate(featurewise_nets):
            where = f"featurewise_nets[{i}] (layer={fw.layer}"
            if fw.layer in ("input", "input_with_global"):
                for name, net in self.init_nets.items():
                    assert isinstance(net, InitNet)
                    size = len(self.variables[name]) + (net.global_size if fw.layer != "input" else 0)
                    key = f"{i}_{'input' if fw.layer == 'input' else 'inputglobal'}_{name}"
                    featurewise[key] = FeaturewiseTransformation(
                        fw, num_params, size, f"{where}, stream '{name}')"
                    )
            elif fw.layer == "encoder_layers":
                if not encoder.supports_layer_hook:
                    msg = (
                        f"{where}): the encoder {type(encoder).__name__} does not take a per-layer "
                        f"conditioning (supports_layer_hook = False); use halite.nn.TransformerEncoder "
                        f"or layer encoder (the encoder output)."
                    )
                    raise ValueError(msg)
                featurewise[f"{i}_layers"] = nn.ModuleList(
                    FeaturewiseTransformation(fw, num_params, int(encoder.embed_dim), f"{where}, block {j})")
                    for j in range(encoder.num_layers)
                )
            else:
                size = self.encoded_size if fw.layer == "encoder" else pool_net.out_features
                featurewise[f"{i}_{fw.layer}"] = FeaturewiseTransformation(fw, num_params, size, f"{where})")
        return featurewise

    def _check_multi_stream_encoder(self, encoder: SetEncoder) -> None:
        if not encoder.multi_stream:
            return
        names = encoder.input_names
        if names is None:
            msg = (
                f"The encoder {type(encoder).__name__} declares multi_stream = True but its input_names "
                f"is None; set input_names to the streams with init nets {list(self.init_nets)}."
            )
            raise ValueError(msg)
        if set(names) != set(self.init_nets):
            msg = (
                f"The encoder's input_names {list(names)} must be exactly the streams with init nets "
                f"{list(self.init_nets)}; change one of them."
            )
            raise ValueError(msg)

    def _build_edges(self, config: EdgeFeaturesConfig | None, encoder: SetEncoder) -> EdgeFeatures | None:
        if config is None:
            if encoder.uses_edges:
                msg = (
                    f"The encoder {type(encoder).__name__} uses edge features (uses_edges = True): add "
                    f"`edge_features` (input_name, features) to the model's init_args."
                )
                raise ValueError(msg)
            return None
        if config.input_name not in self.init_nets or len(self.init_nets) != 1:
            msg = (
                f"edge_features.input_name='{config.input_name}' must be the only encoded stream "
                f"(init nets: {list(self.init_nets)})."
            )
            raise ValueError(msg)
        if not encoder.uses_edges:
            msg = (
                f"edge_features are set but the encoder {type(encoder).__name__} does not use edges; use "
                f"halite.nn.EdgeTransformerEncoder."
            )
            raise ValueError(msg)
        edges = EdgeFeatures(config, self.variables[config.input_name])
        encoder.build_edges(edges.out_features)
        return edges

    def _film(self, key: str, x: Tensor, condition: Tensor | None) -> Tensor:
        for name, net in self.featurewise.items():
            if name.split("_", 1)[1] == key:
                assert condition is not None
                x = net(x, condition)
        return x


def check_set_encoder(encoder: object) -> None:
    """Raise a ``TypeError`` unless ``encoder`` follows the set-encoder contract (``SetEncoder``)."""
    if not isinstance(encoder, SetEncoder):
        cls = type(encoder)
        msg = (
            f"The encoder {cls.__module__}.{cls.__qualname__} is not a set encoder. Use one of "
            f"halite.nn.TransformerEncoder, EdgeTransformerEncoder, TransformerCrossAttentionEncoder, or "
            f"subclass halite.nn.SetEncoder: set embed_dim and out_features and declare its capabilities "
            f"(supports_packing, multi_stream, uses_edges)."
        )
        raise TypeError(msg)
