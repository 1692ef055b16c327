"""Model: init nets -> encoder -> pooling -> tasks (wiring only)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from halite.data.dicts import load_norm_dict
from halite.data.parameters import PARAMETERS, ParameterConfig, check_parameters
from halite.data.specs import GLOBAL
from halite.models.multitask import MultiTask
from halite.nn.layers.edges import EdgeFeatures, EdgeFeaturesConfig
from halite.nn.layers.featurewise import FeaturewiseConfig, FeaturewiseTransformation
from halite.nn.layers.norm import InputNorm
from halite.nn.layers.packing import Packing, packing_enabled, tokenwise
from halite.nn.sets.init_nets import InitNet, InitNetConfig
from halite.nn.sets.pooling import Pooling
from halite.tasks.base import TaskBase
from halite.typing import Labels, Masks, Tensors


class Model(MultiTask):
    """A multi-task model over a global object and constituent streams.

    Parameters
    ----------
    init_nets
        One embedding network per constituent stream.
    encoder
        Module mapping ``(B, N, D)`` + pad mask to ``(B, N, D_out)``; exposes
        ``embed_dim`` and ``out_features``. Several streams are concatenated along ``N``
        unless the encoder has ``input_names`` (then it gets and returns dicts per stream).
    pool_net
        Pooling over all constituents -> ``(B, D_out)``.
    tasks
        Prediction heads with their losses.
    variables
        Input variables per stream (linked from ``data.variables``).
    norm_dict
        Path of a salt norm dict, or the dict itself (linked from ``data.norm_dict``).
    class_dict
        Path of a salt class dict (linked from ``data.class_dict``), used by tasks
        with ``use_class_dict``.
    global_object
        Name of the global stream (linked from ``data.global_object``). Its variables are
        concatenated to every constituent in the init nets; those of a ``GLOBAL`` entry of
        ``variables`` are concatenated to the pooled representation instead.
    edge_features
        Pairwise edge features of one stream, passed to the encoder (``EdgeTransformerEncoder``).
    featurewise_nets
        FiLM transformations conditioned on the ``PARAMETERS`` inputs; without them the
        parameters are concatenated to the init-net inputs like global features.
    parameters
        ``train``/``test`` values of the ``PARAMETERS`` inputs (linked from ``data.PARAMETERS``);
        their ``train`` values set the parameters' normalisation.
    label_names
        Class names stored as dataset attributes of the training file,
        ``{stream: {label: [names]}}`` (linked from ``data.label_names``); default
        class names of classification tasks.
    packed
        Run the init nets, the encoder (when it supports it) and per-constituent task heads
        on valid constituents only; numerically the same as over every slot (see
        ``halite.nn.layers.packing``).
    """

    def __init__(
        self,
        init_nets: list[InitNetConfig],
        encoder: nn.Module,
        pool_net: Pooling,
        tasks: list[TaskBase],
        variables: dict[str, list[str]] | None = None,
        norm_dict: str | dict | None = None,
        class_dict: str | None = None,
        global_object: str = "jets",
        edge_features: EdgeFeaturesConfig | None = None,
        featurewise_nets: list[FeaturewiseConfig] | None = None,
        parameters: dict[str, ParameterConfig] | None = None,
        label_names: dict[str, dict[str, list[str]]] | None = None,
        packed: bool = True,
    ) -> None:
        super().__init__()
        if not variables:
            msg = "Model needs the input variables per stream (normally linked from data.variables)."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in variables.items()}
        self.global_object = global_object
        self.packed = packed
        norm = dict(self._load_norm(norm_dict))
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
                    f"(has {sorted(self.variables)}). Add its variables or remove the init net."
                )
                raise ValueError(msg)
            self.init_nets[cfg.input_name] = InitNet(
                cfg, len(self.variables[cfg.input_name]), global_size, embed_dim
            )
        if not self.init_nets:
            msg = "Model needs at least one init net for a constituent stream."
            raise ValueError(msg)
        self.encoder = encoder
        self.pool_net = pool_net
        enc_out = int(encoder.out_features)
        pool_net.build(enc_out)
        self._check_multi_stream_encoder(encoder)
        self.edge_features = self._build_edges(edge_features, encoder)
        self.featurewise = nn.ModuleDict()
        for i, fw in enumerate(featurewise_nets or []):
            if fw.layer == "input":
                for name in self.init_nets:
                    size = len(self.variables[name])
                    where = f"featurewise_nets[{i}] (layer=input, stream '{name}')"
                    self.featurewise[f"{i}_input_{name}"] = FeaturewiseTransformation(
                        fw, num_params, size, where
                    )
            else:
                size = enc_out if fw.layer == "encoder" else pool_net.out_features
                where = f"featurewise_nets[{i}] (layer={fw.layer})"
                self.featurewise[f"{i}_{fw.layer}"] = FeaturewiseTransformation(fw, num_params, size, where)
        # features of a GLOBAL entry are concatenated to the pooled representation
        self.pooled_size = pool_net.out_features + len(self.variables.get(GLOBAL, []))

        def sizes(task: TaskBase) -> tuple[int, int]:
            if task.input_name == global_object:
                return self.pooled_size, 0
            if task.input_name in self.init_nets:
                return enc_out, self.pooled_size
            msg = (
                f"Task '{task.name}' reads stream '{task.input_name}', which is neither the global "
                f"object '{global_object}' nor an encoded stream {sorted(self.init_nets)}."
            )
            raise ValueError(msg)

        self.build_tasks(tasks, sizes, class_dict, label_names)

    def _check_multi_stream_encoder(self, encoder: nn.Module) -> None:
        names = getattr(encoder, "input_names", None)
        if names is None:
            return
        if set(names) != set(self.init_nets):
            msg = (
                f"The encoder's input_names {list(names)} must be exactly the streams with init nets "
                f"{list(self.init_nets)}; change one of them."
            )
            raise ValueError(msg)

    def _build_edges(self, config: EdgeFeaturesConfig | None, encoder: nn.Module) -> EdgeFeatures | None:
        if config is None:
            return None
        if config.input_name not in self.init_nets or len(self.init_nets) != 1:
            msg = (
                f"edge_features.input_name='{config.input_name}' must be the only encoded stream "
                f"(init nets: {list(self.init_nets)})."
            )
            raise ValueError(msg)
        if not hasattr(encoder, "build_edges"):
            msg = (
                f"edge_features are set but the encoder {type(encoder).__name__} does not use edges; use "
                f"halite.nn.sets.edge_transformer.EdgeTransformerEncoder."
            )
            raise ValueError(msg)
        edges = EdgeFeatures(config, self.variables[config.input_name])
        encoder.build_edges(edges.out_features)  # type: ignore[operator]
        return edges

    def _film(self, key: str, x: Tensor, condition: Tensor | None) -> Tensor:
        for name, net in self.featurewise.items():
            if name.split("_", 1)[1] == key:
                assert condition is not None
                x = net(x, condition)
        return x

    def _load_norm(self, norm_dict: str | Mapping | None) -> Mapping:
        if norm_dict is None:
            msg = "Model needs a norm dict (data.norm_dict); create one with `halite prep`."
            raise ValueError(msg)
        checked = {k: v for k, v in self.variables.items() if k != PARAMETERS}
        return load_norm_dict(norm_dict, checked, self.global_object)  # GLOBAL reads the global object

    def packings(self, pad_masks: Masks) -> dict[str, Packing | None]:
        """Per encoded stream, its packing of valid constituents (None when not packing)."""
        on = packing_enabled(self.packed)
        return {name: Packing.from_mask(pad_masks[name]) if on else None for name in self.init_nets}

    def embed(
        self, inputs: Tensors, pad_masks: Masks, packings: dict[str, Packing | None] | None = None
    ) -> tuple[dict[str, Tensor], Tensor, Tensor | None]:
        """Normalise, embed and encode; return per-stream embeddings, pooled vector and global input."""
        packings = self.packings(pad_masks) if packings is None else packings
        glob = inputs.get(self.global_object)
        glob = self.norms[self.global_object](glob) if glob is not None else None
        params = self.norms[PARAMETERS](inputs[PARAMETERS]) if PARAMETERS in self.norms else None
        context = glob
        if params is not None and not self.film:
            context = params if glob is None else torch.cat([glob, params], dim=-1)
        (first, packing), *more = packings.items()
        packed_encoder = getattr(self.encoder, "packed", False) and hasattr(self.encoder, "forward_packed")
        if (
            not more
            and packing is not None
            and packed_encoder
            and not self.film
            and self.edge_features is None
        ):
            # one stream: stay packed from the init net through the encoder
            x = self.norms[first](packing.pack(inputs[first]))
            x = self.init_nets[first](x, packing.per_constituent(context) if context is not None else None)
            x = packing.unpack(self.encoder.forward_packed(x, packing))
            mask, masks = pad_masks[first], [pad_masks[first]]
        else:
            embs, masks = [], []
            for name, net in self.init_nets.items():
                mask = pad_masks[name]
                x = self.norms[name](inputs[name]).masked_fill(mask.unsqueeze(-1), 0.0)
                if self.film:
                    x = self._film(f"input_{name}", x, params).masked_fill(mask.unsqueeze(-1), 0.0)
                embs.append(tokenwise(net, x, packings[name], context))
                masks.append(mask)
            mask = torch.cat(masks, dim=1) if len(masks) > 1 else masks[0]
            if hasattr(self.encoder, "input_names"):
                encoded = self.encoder(
                    dict(zip(self.init_nets.keys(), embs)), dict(zip(self.init_nets.keys(), masks))
                )
                x = torch.cat([encoded[name] for name in self.init_nets], dim=1)
            else:
                x = torch.cat(embs, dim=1) if len(embs) > 1 else embs[0]
                if self.edge_features is not None:
                    name = self.edge_features.input_name
                    edges = self.edge_features(inputs[name], pad_masks[name])
                    x = self.encoder(x, mask, edge_x=edges)
                else:
                    x = self.encoder(x, mask)
        if self.film:
            x = self._film("encoder", x, params)
        pooled = self.pool_net(x, mask)
        if self.film:
            pooled = self._film("global", pooled, params)
        if GLOBAL in self.norms:
            pooled = torch.cat([pooled, self.norms[GLOBAL](inputs[GLOBAL])], dim=-1)
        sizes = [m.shape[1] for m in masks]
        per_stream = dict(zip(self.init_nets.keys(), torch.split(x, sizes, dim=1)))
        return per_stream, pooled, glob

    def forward(
        self, inputs: Tensors, pad_masks: Masks, labels: Labels | None = None
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """Run every task.

        Parameters
        ----------
        inputs
            Raw inputs: ``(B, F)`` for the global object, ``(B, N, F)`` per stream.
        pad_masks
            ``(B, N)`` per constituent stream, True = padding.
        labels
            If given, per-task losses are computed.

        Returns
        -------
        outputs
            Task name -> raw head output ``(B, C)`` or ``(B, N, C)``.
        losses
            Task name -> unweighted scalar loss (empty without labels).
        """
        packings = self.packings(pad_masks)
        per_stream, pooled, _ = self.embed(inputs, pad_masks, packings)
        outputs: dict[str, Tensor] = {}
        losses: dict[str, Tensor] = {}
        for task in self.tasks:
            assert isinstance(task, TaskBase)
            if task.input_name == self.global_object:
                out = task(pooled)
                mask = None
            else:
                mask = pad_masks[task.input_name]
                packing = packings.get(task.input_name) if task.tokenwise else None
                if packing is None:
                    out = task(per_stream[task.input_name], context=pooled, pad_mask=mask)
                    if task.tokenwise and out.dim() == mask.dim() + 1:  # zeros at padding, as when packed
                        out = out.masked_fill(mask.unsqueeze(-1), 0.0)
                else:
                    out = tokenwise(task, per_stream[task.input_name], packing, pooled)
            outputs[task.name] = out
            if labels is not None:
                losses[task.name] = task.loss(out, labels, mask)
        return outputs, losses
