"""Model: its backbone (init nets -> encoder -> pooling, ``EncoderBackbone``; or a jet-level
init net, ``GlobalBackbone``) plus tasks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from torch import Tensor, nn

from halite.data.dicts import load_norm_dict
from halite.data.parameters import PARAMETERS, ParameterConfig
from halite.data.specs import GLOBAL
from halite.errors import ConfigError, did_you_mean
from halite.models.assembled import AssembledModel
from halite.models.encoder_backbone import EncoderBackbone
from halite.models.global_backbone import GlobalBackbone
from halite.nn.backbone import InputInfo
from halite.nn.layers.edges import EdgeFeaturesConfig
from halite.nn.layers.featurewise import FeaturewiseConfig
from halite.nn.layers.packing import tokenwise
from halite.nn.sets.base import SetEncoder
from halite.nn.sets.init_nets import InitNetConfig
from halite.nn.sets.pooling import Pooling
from halite.tasks.base import TaskBase
from halite.typing import Labels, Masks, Tensors


class Model(AssembledModel):
    """A multi-task model over a global object and constituent streams.

    The backbone is an ``EncoderBackbone`` attached flat: its submodules are the model's
    ``norms``, ``init_nets``, ``encoder``, ``pool_net``, ``edge_features`` and ``featurewise``.
    Tasks on the global object read the pooled vector; tasks on an encoded stream read its
    per-constituent representation, with the pooled vector as context.

    Without ``encoder`` and ``pool_net`` the model is a jet-level network (salt's DL1): one init
    net on the global object (``attach_global: false``, ``dense_config.output_size`` set) is the
    backbone (``GlobalBackbone``; submodules ``norms``, ``init_nets``) and every task reads its
    output.

    Parameters
    ----------
    init_nets
        One embedding network per constituent stream (or, without encoder and pooling, one
        on the global object).
    encoder
        A ``halite.nn.SetEncoder`` mapping ``(B, N, D)`` + pad mask to ``(B, N, D_out)``.
        Several streams are concatenated along ``N`` unless the encoder is ``multi_stream``
        (then it gets and returns dicts per stream). ``None`` (with ``pool_net`` None): a
        jet-level network.
    pool_net
        Pooling over all constituents -> ``(B, D_out)``; ``None`` with ``encoder`` None.
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

    init_nets: nn.ModuleDict  # the backbone's, registered on the model (flat state-dict layout)

    def __init__(
        self,
        init_nets: list[InitNetConfig],
        encoder: SetEncoder | None = None,
        pool_net: Pooling | None = None,
        tasks: list[TaskBase] | None = None,
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
        norm = dict(self._load_norm(norm_dict))
        backbone = self._backbone_for(
            init_nets, encoder, pool_net, edge_features, featurewise_nets, parameters, packed
        )
        streams = [s for s in self.variables if s not in (global_object, GLOBAL, PARAMETERS)]
        self.pooled_size = self.attach_backbone(
            backbone, InputInfo(self.variables, norm, global_object, streams), flat=True
        )
        enc_out = backbone.encoded_size if isinstance(backbone, EncoderBackbone) else 0

        def sizes(task: TaskBase) -> tuple[int, int]:
            if task.input_name == global_object:
                return self.pooled_size, 0
            encoded = sorted(s for s in self.init_nets if s != global_object)
            if task.input_name in encoded:
                return enc_out, self.pooled_size
            msg = (
                f"Task '{task.name}' reads stream '{task.input_name}', which is neither the global "
                f"object '{global_object}' nor an encoded stream {encoded}."
                f"{did_you_mean(task.input_name, [global_object, *encoded])}"
            )
            raise ConfigError(msg)

        self.build_tasks(tasks or [], sizes, class_dict, label_names)

    @staticmethod
    def _backbone_for(
        init_nets: list[InitNetConfig],
        encoder: SetEncoder | None,
        pool_net: Pooling | None,
        edge_features: EdgeFeaturesConfig | None,
        featurewise_nets: list[FeaturewiseConfig] | None,
        parameters: dict[str, ParameterConfig] | None,
        packed: bool,
    ) -> EncoderBackbone | GlobalBackbone:
        """``EncoderBackbone`` with an encoder and a pooling, ``GlobalBackbone`` with neither."""
        if encoder is not None and pool_net is not None:
            return EncoderBackbone(
                init_nets, encoder, pool_net, edge_features, featurewise_nets, parameters, packed
            )
        if encoder is not None or pool_net is not None:
            given, missing = ("encoder", "pool_net") if encoder is not None else ("pool_net", "encoder")
            msg = (
                f"Model has a {given} but no {missing}: give both (a set model) or neither (a jet-level "
                f"network, one init net on the global object)."
            )
            raise ValueError(msg)
        for key, value in (("edge_features", edge_features), ("featurewise_nets", featurewise_nets)):
            if value:
                msg = (
                    f"{key} need constituents; a Model without encoder and pool_net (a jet-level network) "
                    f"takes none. Remove {key}, or add an encoder and a pool_net."
                )
                raise ValueError(msg)
        return GlobalBackbone(init_nets, parameters)

    def _load_norm(self, norm_dict: str | Mapping | None) -> Mapping:
        if norm_dict is None:
            msg = "Model needs a norm dict (data.norm_dict); create one with `halite prep`."
            raise ValueError(msg)
        checked = {k: v for k, v in self.variables.items() if k != PARAMETERS}
        return load_norm_dict(norm_dict, checked, self.global_object)  # GLOBAL reads the global object

    @property
    def backbone(self) -> EncoderBackbone | GlobalBackbone:
        """The ``EncoderBackbone`` (or, for a jet-level network, the ``GlobalBackbone``)."""
        return cast(
            EncoderBackbone | GlobalBackbone, super().backbone
        )  # no isinstance: torch.compile traces this

    @property
    def packed(self) -> bool:
        """Run on valid constituents only (see ``halite.nn.layers.packing``)."""
        return self.backbone.packed

    @packed.setter
    def packed(self, value: bool) -> None:
        self.backbone.packed = value

    @property
    def input_streams(self) -> list[str]:
        """The global object, the encoded streams and GLOBAL / PARAMETERS inputs, in ``variables`` order."""
        flat = (self.global_object, GLOBAL, PARAMETERS)
        # a stream without variables (e.g. jets: [] with GLOBAL) is not an input of the graph
        return [s for s in self.variables if (s in flat or s in self.init_nets) and self.variables[s]]

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
        if not self.backbone.per_constituent:  # a jet-level network: every task reads its output
            return super().forward(inputs, pad_masks, labels)
        backbone = cast(EncoderBackbone, self.backbone)
        packings = backbone.packings(pad_masks)
        per_stream, pooled = backbone.forward_constituents(inputs, pad_masks, packings)
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
