"""ONNX export of a trained model and the onnxruntime-vs-PyTorch parity check."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from halite.data.parameters import PARAMETERS
from halite.data.specs import GLOBAL
from halite.errors import ConfigError, did_you_mean
from halite.io import atomic_path
from halite.models.protocol import HaliteModel, check_model
from halite.nn.layers.norm import InputNorm
from halite.training.module import LitModel


def input_name(stream: str) -> str:
    """Salt's input naming: ``tracks`` -> ``track_features``, ``jets`` -> ``jet_features``."""
    return f"{stream[:-1] if stream.endswith('s') else stream}_features"


class OnnxWrapper(nn.Module):
    """Raw features per stream -> named outputs of the selected tasks.

    Every constituent given to the exported graph is valid: a jet is fed with exactly its
    own constituents (``N`` may be 0), as the experiments' C++ inference does.

    Parameters
    ----------
    lit
        The trained ``LitModel``; its model is any ``HaliteModel`` (``Model``, ``BlockModel``,
        ``PointCloudModel``), whose ``input_streams`` are the inputs of the graph.
    tasks
        Task names to export; default: the tasks on the global object.
    """

    def __init__(self, lit: LitModel, tasks: list[str] | None = None) -> None:
        super().__init__()
        model = check_model(lit.model)
        self.model: HaliteModel = model
        self.name = lit.name
        self.global_object = model.global_object
        self.streams = list(model.input_streams)
        #: streams fed as ``(B, F)`` (no constituent axis): the global object, GLOBAL, PARAMETERS
        self.flat = {s for s in self.streams if s in (model.global_object, GLOBAL, PARAMETERS)}
        available = {t.name: t for t in model.task_heads()}
        if tasks is None:
            tasks = [t.name for t in model.task_heads() if t.input_name == model.global_object]
        unknown = [t for t in tasks if t not in available]
        if unknown:
            hints = "".join(did_you_mean(t, available) for t in unknown)
            msg = f"Unknown task(s) {unknown} for export; the model has {sorted(available)}.{hints}"
            raise ConfigError(msg)
        self.task_names = tasks

    def forward(self, *features: Tensor) -> tuple[Tensor, ...]:
        inputs = dict(zip(self.streams, features))
        ref = features[0]
        pad_masks = {
            s: torch.zeros(x.shape[:2], dtype=torch.bool, device=ref.device)
            for s, x in inputs.items()
            if s not in self.flat
        }
        outputs, _ = self.model(inputs, pad_masks)
        cols: list[Tensor] = []
        for task in self.model.task_heads():
            if task.name in self.task_names:
                cols.extend(task.predictions(outputs[task.name], self.name).values())
        return tuple(cols)

    def output_names(self, example: tuple[Tensor, ...]) -> list[str]:
        names: list[str] = []
        with torch.no_grad():
            inputs = dict(zip(self.streams, example))
            masks = {
                s: torch.zeros(x.shape[:2], dtype=torch.bool) for s, x in inputs.items() if s not in self.flat
            }
            outputs, _ = self.model(inputs, masks)
        for task in self.model.task_heads():
            if task.name in self.task_names:
                names.extend(task.predictions(outputs[task.name], self.name).keys())
        return names

    def example(self, batch: int = 2, slots: int = 5) -> tuple[Tensor, ...]:
        return tuple(
            torch.randn(batch, len(self.model.variables[s]))
            if s in self.flat
            else torch.randn(batch, slots, len(self.model.variables[s]))
            for s in self.streams
        )


def _sinh(g: Any, x: Any) -> Any:
    """``aten::sinh`` -> ONNX ``Sinh`` (opset >= 9), which the TorchScript exporter does not map."""
    return g.op("Sinh", x)


def _cosh(g: Any, x: Any) -> Any:
    """``aten::cosh`` -> ONNX ``Cosh`` (opset >= 9), which the TorchScript exporter does not map."""
    return g.op("Cosh", x)


def export_onnx(wrapper: OnnxWrapper, path: Path, opset: int = 18) -> tuple[list[str], list[str]]:
    """Export ``wrapper`` to ``path`` (atomically) with dynamic jet and constituent counts."""
    torch.onnx.register_custom_op_symbolic("aten::sinh", _sinh, opset)  # pairwise features (ParT)
    torch.onnx.register_custom_op_symbolic("aten::cosh", _cosh, opset)  # pairwise features (PET2)
    wrapper.eval()
    example = wrapper.example()
    in_names = [input_name(s) for s in wrapper.streams]
    out_names = wrapper.output_names(example)
    dynamic_axes = {n: {0: "jets"} for n in in_names}
    for s, n in zip(wrapper.streams, in_names):
        if s not in wrapper.flat:
            dynamic_axes[n][1] = f"n_{s}"
    with atomic_path(path) as tmp, torch.no_grad(), warnings.catch_warnings():
        # tracing warns about Python-level shape logic; the parity check verifies the graph
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper,
            example,
            str(tmp),
            input_names=in_names,
            output_names=out_names,
            dynamic_axes={**dynamic_axes, **{o: {0: "jets"} for o in out_names}},
            opset_version=opset,
            dynamo=False,
        )
    return in_names, out_names


class ParityError(ValueError):
    """The exported graph disagrees with PyTorch (or gives non-finite outputs)."""


@dataclass
class ParityResult:
    """Outcome of a parity check."""

    max_abs_diff: dict[str, float]
    num_real_jets: int
    num_random_jets: int
    seconds: float

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values()) if self.max_abs_diff else 0.0

    @property
    def worst_output(self) -> str | None:
        """Name of the output with the largest difference."""
        return max(self.max_abs_diff, key=self.max_abs_diff.__getitem__) if self.max_abs_diff else None


def _compare(
    session: Any,
    wrapper: OnnxWrapper,
    in_names: list[str],
    out_names: list[str],
    feats: tuple[np.ndarray, ...],
    diffs: dict[str, float],
) -> None:
    ort_out = session.run(out_names, dict(zip(in_names, feats)))
    with torch.no_grad():
        torch_out = wrapper(*(torch.from_numpy(f) for f in feats))
    for name, a, b in zip(out_names, ort_out, torch_out):
        if not np.isfinite(a).all():
            msg = f"ONNX output '{name}' is not finite for inputs of shapes {[f.shape for f in feats]}."
            raise ParityError(msg)
        ref = b.numpy()
        # absolute difference for probabilities (|x| <= 1), relative for outputs in physical units
        d = float(np.max(np.abs(a - ref) / np.maximum(1.0, np.abs(ref)))) if a.size else 0.0
        diffs[name] = max(diffs.get(name, 0.0), d)


def parity_check(
    path: Path,
    wrapper: OnnxWrapper,
    in_names: list[str],
    out_names: list[str],
    real_batches: list[Any],
    max_slots: int,
    num_random: int = 3,
    seed: int = 0,
) -> ParityResult:
    """Compare onnxruntime with PyTorch on real jets and on random jets with 0..max_slots constituents.

    Real jets are grouped by their constituent counts so each group runs unpadded.
    """
    import onnxruntime as ort

    t0 = time.perf_counter()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    diffs: dict[str, float] = {}
    n_real = 0
    for batch in real_batches:
        constituents = [s for s in wrapper.streams if s not in wrapper.flat]
        num = len(batch.inputs[wrapper.global_object])
        counts = (
            np.stack([(~batch.pad_masks[s]).sum(1).numpy() for s in constituents], 1)
            if constituents
            else np.zeros((num, 0), dtype=np.int64)
        )  # (jets, streams)
        for key in np.unique(counts, axis=0):
            rows = np.where((counts == key).all(1))[0]
            feats = []
            ci = 0
            for s in wrapper.streams:
                x = batch.inputs[s][rows].numpy()
                if s not in wrapper.flat:
                    x = np.ascontiguousarray(x[:, : int(key[ci])])
                    ci += 1
                feats.append(x.astype(np.float32))
            _compare(session, wrapper, in_names, out_names, tuple(feats), diffs)
            n_real += len(rows)
    rng = np.random.default_rng(seed)
    n_rand = 0
    norms = {s: cast(InputNorm, n) for s, n in wrapper.model.norms.items()}
    for n in range(max_slots + 1):
        random_feats = []
        for s in wrapper.streams:
            shape = (
                (num_random, len(norms[s].variables))
                if s in wrapper.flat
                else (num_random, n, len(norms[s].variables))
            )
            # random jets in normalised space, mapped back to raw units
            z = rng.normal(size=shape)
            random_feats.append((norms[s].mean.numpy() + z / norms[s].inv_std.numpy()).astype(np.float32))
        _compare(session, wrapper, in_names, out_names, tuple(random_feats), diffs)
        n_rand += num_random
    return ParityResult(diffs, n_real, n_rand, time.perf_counter() - t0)
