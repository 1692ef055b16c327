"""BlockModel: a lumin-style head and body (``BlockBackbone``) plus task tails."""

from __future__ import annotations

from torch import Tensor, nn

from halite.models.assembled import AssembledModel
from halite.models.model import Model
from halite.models.multitask import global_only
from halite.nn.backbone import Backbone, InputInfo
from halite.nn.layers.norm import InputNorm
from halite.nn.lumin_legacy.base import BodyBase, HeadBase
from halite.tasks.base import TaskBase
from halite.typing import Masks, Tensors


class BlockBackbone(Backbone):
    """A lumin head then a body: raw inputs -> ``(B, body.out_features)``.

    Parameters
    ----------
    head
        Inputs -> one flat vector per jet.
    body
        Transforms the head output.
    """

    def __init__(self, head: HeadBase, body: BodyBase) -> None:
        super().__init__()
        self.head = head
        self.body = body

    def build(self, info: InputInfo) -> int:
        self.body.build(self.head.build(info), self.head.feat_map)
        self.out_features = self.body.get_out_size()
        return self.out_features

    def forward(self, inputs: Tensors, pad_masks: Masks) -> Tensor:
        """Head then body: raw inputs -> ``(B, out_features)``."""
        return self.body(self.head(inputs, pad_masks))  # type: ignore[no-any-return]


class BlockModel(AssembledModel):
    """A model for columnar and small-set data: ``head -> body -> tasks``.

    The head maps the raw inputs to one flat vector per jet (``CatEmbHead``,
    ``MultiHead``, ``InteractionNet``, ``LorentzBoostNet``, ``ConvHead``), the body
    (``FullyConnected``, ``MultiBlock``) transforms it, and every task's output stage
    (the tail, e.g. ``ClassRegMultiTask``) reads the body output. Head and body are
    built from the data: widths are never repeated in YAML. Its backbone is a
    ``BlockBackbone`` attached flat (parameters under ``head.`` and ``body.``).

    Blocks with batch norm need ``data.length_buckets: false`` when a head reads a
    constituent stream: bucketed training batches group jets of similar
    multiplicity, so their batch statistics differ from the running ones.

    Parameters
    ----------
    head
        The head block.
    body
        The body block.
    tasks
        Tasks on the global object.
    variables, norm_dict, class_dict, global_object
        Linked from the data section (as for ``Model``).
    """

    def __init__(
        self,
        head: HeadBase,
        body: BodyBase,
        tasks: list[TaskBase],
        variables: dict[str, list[str]] | None = None,
        norm_dict: str | dict | None = None,
        class_dict: str | None = None,
        global_object: str = "jets",
    ) -> None:
        super().__init__()
        if not variables:
            msg = "BlockModel needs the input variables per stream (normally linked from data.variables)."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in variables.items()}
        self.global_object = global_object
        norm = self._load_norm(norm_dict)  # type: ignore[misc]
        self.norm_dict = {s: dict(norm[s]) for s in self.variables}
        streams = [s for s in self.variables if s != global_object]
        out = self.attach_backbone(
            BlockBackbone(head, body), InputInfo(self.variables, norm, global_object, streams), flat=True
        )
        self.build_tasks(tasks, global_only(type(self).__name__, global_object, out), class_dict)

    _load_norm = Model._load_norm  # the same norm-dict loading and checks as Model

    @property
    def norms(self) -> nn.ModuleDict:
        """Normalisation per stream from the norm dict (the heads hold their own copies)."""
        return nn.ModuleDict({s: InputNorm(v, self.norm_dict[s]) for s, v in self.variables.items()})
