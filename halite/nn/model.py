"""Model: init nets -> encoder -> pooling -> tasks (wiring only)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor, nn

from halite.data.specs import LabelSpec, check_norm_dict
from halite.io import read_yaml
from halite.nn.init_nets import InitNet, InitNetConfig
from halite.nn.layers.norm import InputNorm
from halite.nn.layers.packing import Packing, packing_enabled, tokenwise
from halite.nn.pooling import Pooling
from halite.tasks.base import TaskBase
from halite.tasks.classification import ClassificationTask, resolve_class_weights
from halite.typing import Labels, Masks, Tensors


class Model(nn.Module):
    """A multi-task model over a global object and constituent streams.

    Parameters
    ----------
    init_nets
        One embedding network per constituent stream.
    encoder
        Module mapping ``(B, N, D)`` + pad mask to ``(B, N, D_out)``; exposes
        ``embed_dim`` and ``out_features``.
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
        Name of the global stream (linked from ``data.global_object``).
    packed
        Run the init nets and per-constituent task heads on valid constituents only
        (numerically the same as over every slot; see ``halite.nn.layers.packing``).
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
        packed: bool = True,
    ) -> None:
        super().__init__()
        if not variables:
            msg = "Model needs the input variables per stream (normally linked from data.variables)."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in variables.items()}
        self.global_object = global_object
        self.packed = packed
        norm = self._load_norm(norm_dict)
        self.norms = nn.ModuleDict({s: InputNorm(v, norm[s]) for s, v in self.variables.items()})
        global_size = len(self.variables.get(global_object, []))
        embed_dim = int(encoder.embed_dim)
        self.init_nets = nn.ModuleDict()
        for cfg in init_nets:
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
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            msg = f"Task names must be unique, got {names}."
            raise ValueError(msg)
        self.tasks = nn.ModuleList(tasks)
        class_weights = read_yaml(class_dict) if class_dict else None
        for task in tasks:
            if task.input_name == global_object:
                task.build(pool_net.out_features)
            elif task.input_name in self.init_nets:
                task.build(enc_out, context_size=pool_net.out_features)
            else:
                msg = (
                    f"Task '{task.name}' reads stream '{task.input_name}', which is neither the global "
                    f"object '{global_object}' nor an encoded stream {sorted(self.init_nets)}."
                )
                raise ValueError(msg)
            if isinstance(task, ClassificationTask) and task.use_class_dict:
                if class_weights is None:
                    msg = f"Task '{task.name}' has use_class_dict=true but data.class_dict is not set."
                    raise ValueError(msg)
                resolve_class_weights(task, class_weights)

    def _load_norm(self, norm_dict: str | Mapping | None) -> Mapping:
        if norm_dict is None:
            msg = "Model needs a norm dict (data.norm_dict); create one with `halite prep`."
            raise ValueError(msg)
        source = str(norm_dict) if isinstance(norm_dict, (str, Path)) else "<dict>"
        norm = read_yaml(norm_dict) if isinstance(norm_dict, (str, Path)) else norm_dict
        check_norm_dict(norm, self.variables, source)
        return norm

    def required_labels(self) -> dict[str, list[LabelSpec]]:
        """Labels needed by the tasks, per stream (deduplicated by name)."""
        out: dict[str, dict[str, LabelSpec]] = {}
        for task in self.tasks:
            assert isinstance(task, TaskBase)
            for spec in task.required_labels():
                have = out.setdefault(task.input_name, {}).get(spec.name)
                if have is not None and have != spec:
                    msg = f"Label '{spec.name}' of '{task.input_name}' is requested with two different settings."
                    raise ValueError(msg)
                out[task.input_name][spec.name] = spec
        return {s: list(d.values()) for s, d in out.items()}

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
        (first, packing), *more = packings.items()
        if not more and packing is not None and hasattr(self.encoder, "forward_packed"):
            # one stream: stay packed from the init net through the encoder
            x = self.norms[first](packing.pack(inputs[first]))
            x = self.init_nets[first](x, packing.per_constituent(glob) if glob is not None else None)
            mask = pad_masks[first]
            x = packing.unpack(self.encoder.forward_packed(x, packing))
            pooled = self.pool_net(x, mask)
            return {first: x}, pooled, glob
        embs, masks = [], []
        for name, net in self.init_nets.items():
            mask = pad_masks[name]
            x = self.norms[name](inputs[name]).masked_fill(mask.unsqueeze(-1), 0.0)
            embs.append(tokenwise(net, x, packings[name], glob))
            masks.append(mask)
        x = torch.cat(embs, dim=1) if len(embs) > 1 else embs[0]
        mask = torch.cat(masks, dim=1) if len(masks) > 1 else masks[0]
        x = self.encoder(x, mask)
        pooled = self.pool_net(x, mask)
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
                packing = packings[task.input_name] if task.tokenwise else None
                out = tokenwise(task, per_stream[task.input_name], packing, pooled)
                mask = pad_masks[task.input_name]
            outputs[task.name] = out
            if labels is not None:
                losses[task.name] = task.loss(out, labels, mask)
        return outputs, losses

    def total_loss(self, losses: dict[str, Tensor]) -> Tensor:
        """Weighted sum of per-task losses."""
        weights = {t.name: t.weight for t in self.tasks}  # type: ignore[union-attr]
        return sum((weights[k] * v for k, v in losses.items()), torch.zeros(()))
