"""Write test predictions to an HDF5 file that plain h5py opens."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import h5py
import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info

from halite.data.readers import open_h5
from halite.data.remote import copy_file, is_remote, join
from halite.evaluate.summary import flavour_summary, format_summary
from halite.io import atomic_path
from halite.tasks.classification import short_class_name
from halite.training.module import LitModel


class PredictionWriter(L.Callback):
    """Collect ``halite test`` outputs and write ``<run>/predictions/<ckpt>__test_<file>.h5``.

    The layout is salt's (``salt.callbacks.PredictionWriter``), so plotting code written for
    salt's files (h5py, puma) reads it unchanged:

    - ``jets``: every field of the test file's global object (or ``extra_vars[<global>]``),
      then the task outputs in task order: ``<model>_p<class>`` (ftag's ``px`` names, e.g.
      ``GN2_pb``), regression ``<model>_<target>`` (or ``custom_output_names``), Gaussian
      regression ``<task>_<target>`` and ``<task>_<target>_stddev``.
    - per constituent stream with per-constituent outputs (with ``write_tracks``; streams whose
      name has no ``tracks`` in it are always written, as in salt): a dataset named like the
      stream's dataset in the test file, ``(jets, slots)`` at the file's width, holding the
      stream's fields, the outputs (``<model>_p<class>``, ``VertexIndex``, regressions) and
      ``mask`` (True for padding). Padded slots hold 0 (probabilities), NaN (regression) and
      -1 (vertex index; salt leaves an undefined integer there).

    Floats are written as ``float32`` (``float16`` with ``half_precision``), input fields included;
    integers and booleans keep their type (``VertexIndex`` is ``int64``).

    ``halite test`` adds one with the top-level ``write_tracks``; a writer configured in
    ``trainer.callbacks`` (salt's place for it; a translated salt config puts it there) is used
    instead, ``--write_tracks=true`` switching its tracks on too.

    Parameters
    ----------
    write_tracks
        Also write the outputs of tasks on streams named ``*tracks*``.
    output_path
        Explicit output file; default ``<run>/predictions/<ckpt>__test_<file>.h5``.
    beside_checkpoint
        Write ``<run>/ckpts/<ckpt>__test_<file>.h5`` instead, next to the checkpoint, where
        salt's writer puts it (the salt translation sets this, so salt users' scripts find it).
    half_precision
        Write floats as ``float16`` (salt's option).
    extra_vars
        Stream -> fields of the test file to copy (default: all fields), as in salt.
    object_classes
        Class names for the output columns of the task ``<global>_classification`` (salt's
        option), e.g. ``[bjets, cjets, ujets]``.
    write_objects
        Salt's MaskFormer object outputs; halite has no object decoder, so ``true`` is an error.
    """

    def __init__(
        self,
        write_tracks: bool = False,
        output_path: str | None = None,
        half_precision: bool = False,
        extra_vars: dict[str, list[str]] | None = None,
        object_classes: list[str] | None = None,
        write_objects: bool = False,
        beside_checkpoint: bool = False,
    ) -> None:
        super().__init__()
        if write_objects:
            msg = (
                "PredictionWriter: write_objects=true writes salt's MaskFormer object outputs, but halite "
                "has no mask decoder. Remove write_objects (or set it to false)."
            )
            raise ValueError(msg)
        self.write_tracks = write_tracks
        self.output_path = output_path
        self.beside_checkpoint = beside_checkpoint
        self.half_precision = half_precision
        self.extra_vars = {k: list(v) for k, v in (extra_vars or {}).items()}
        self.object_classes = list(object_classes) if object_classes else None
        self.written: Path | None = None
        self._chunks: list[dict[str, Any]] = []

    @property
    def float_type(self) -> str:
        """Float dtype of the written fields (salt: ``f2`` with half precision, else ``f4``)."""
        return "f2" if self.half_precision else "f4"

    def on_test_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._chunks = []

    def on_test_batch_end(
        self,
        trainer: L.Trainer,
        pl_module: L.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._chunks.append(outputs)

    def target_path(self, trainer: L.Trainer, test_file: Path | str) -> Path | str:
        if self.output_path:
            return self.output_path if is_remote(self.output_path) else Path(self.output_path)
        ckpt = trainer.ckpt_path
        test_stem = Path(str(test_file)).stem
        folder = "ckpts" if self.beside_checkpoint else "predictions"
        if ckpt and is_remote(ckpt):  # s3://bucket/<run>/ckpts/<name>.ckpt
            run_url, _, name = str(ckpt).rsplit("/", 2)
            return join(run_url, folder, f"{Path(name).stem}__test_{test_stem}.h5")
        if ckpt:
            run_dir = Path(ckpt).parent.parent
            stem = Path(ckpt).stem
        else:
            run_dir = Path(trainer.default_root_dir)
            stem = "untrained"
        return run_dir / folder / f"{stem}__test_{test_stem}.h5"

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or not self._chunks:
            return
        if not isinstance(pl_module, LitModel):
            msg = f"PredictionWriter writes the predictions of a halite LitModel, got {type(pl_module).__name__}."
            raise TypeError(msg)
        lit: LitModel = pl_module
        dm = trainer.datamodule  # type: ignore[attr-defined]
        dataset = dm.dataset("test")
        global_name = dm.global_object
        tasks = lit.model.task_heads()
        renames = self.class_renames(tasks, global_name, lit.name)
        pad_values = {
            (t.input_name, renames.get(c, c)): t.pad_value for t in tasks for c in t.output_columns(lit.name)
        }
        columnar = hasattr(dataset.readers, "global_records")  # ROOT / parquet inputs
        widths = dataset.readers.slot_widths() if columnar else {}
        datasets = {spec.name: spec.dataset for spec in dataset.specs}
        if not columnar:
            with open_h5(dataset.files[0]) as f:
                for spec in dataset.specs:
                    if not spec.is_global:
                        widths[spec.name] = f[spec.dataset].shape[1]  # the file's width, as salt writes
        stream_cols = self.collect(global_name, widths, pad_values, renames)
        num = dataset.num_jets
        target = self.target_path(trainer, dataset.files[0])
        # remote targets (s3://) are written to a local staging folder, then uploaded
        path = Path(tempfile.mkdtemp()) / Path(str(target)).name if is_remote(target) else Path(target)
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as out:
            if columnar:
                jets = dataset.readers.global_records(dataset.files, num)
                if global_name in self.extra_vars:
                    jets = jets[self.extra_vars[global_name]]
            else:
                ds_name = dm.input_map.get(global_name, global_name)
                jets = self.read_fields(dataset.files, ds_name, num, self.extra_vars.get(global_name))
            cols = stream_cols.pop(global_name, {})
            jets = self.join(jets, cols)
            out.create_dataset(global_name, data=jets)
            for stream, scols in stream_cols.items():
                if "tracks" in stream and not self.write_tracks:
                    continue
                fields = None
                if not columnar and stream in datasets:
                    fields = self.read_fields(
                        dataset.files, datasets[stream], num, self.extra_vars.get(stream)
                    )
                    # truth labels LitModel.test_step adds for columnar inputs: the file holds them raw
                    labels = set(fields.dtype.names or ()) - {c for s, c in pad_values if s == stream}
                    scols = {k: v for k, v in scols.items() if k not in labels}
                out.create_dataset(datasets.get(stream, stream), data=self.pack_stream(scols, fields))
            out.attrs["halite_model"] = lit.name
            out.attrs["checkpoint"] = str(trainer.ckpt_path or "")
            out.attrs["tasks"] = json.dumps(lit.task_metadata())
        self.written = path if not is_remote(target) else None
        if is_remote(target):
            copy_file(path, target)
        run_dir = str(target).rsplit("/", 2)[0] if is_remote(target) else path.parent.parent
        rank_zero_info(f"Predictions written to {target}\nRun directory: {run_dir}")
        summary = flavour_summary(jets, lit.name)
        if summary:
            rank_zero_info(format_summary(summary, lit.name))
            with atomic_path(path.with_suffix(".summary.json")) as tmp:
                tmp.write_text(json.dumps(summary, indent=2))
            if is_remote(target):
                copy_file(path.with_suffix(".summary.json"), str(target)[: -len(".h5")] + ".summary.json")

    def class_renames(self, tasks: list[Any], global_name: str, model_name: str) -> dict[str, str]:
        """Column renames of ``object_classes`` (salt renames the task ``<global>_classification``)."""
        if self.object_classes is None:
            return {}
        name = f"{global_name}_classification"
        task = next((t for t in tasks if t.name == name), None)
        old = task.output_columns(model_name) if task is not None else []
        if task is None or len(old) != len(self.object_classes):
            msg = (
                f"PredictionWriter: object_classes {self.object_classes} rename the outputs of the task "
                f"'{name}', but "
                + (f"it has {len(old)} classes {old}." if task else "there is no such task.")
            )
            raise ValueError(msg)
        return dict(
            zip(old, [f"{model_name}_p{short_class_name(c)}" for c in self.object_classes], strict=True)
        )

    def collect(
        self,
        global_name: str,
        widths: dict[str, int],
        pad_values: dict[tuple[str, str], float] | None = None,
        renames: dict[str, str] | None = None,
    ) -> dict[str, dict[str, np.ndarray]]:
        """Concatenate the per-batch outputs; constituent outputs padded to a common width.

        Slots past a batch's width get the column's ``pad_value`` (0 by default); every
        constituent stream gets ``mask`` ``(jets, width)``, True for padding.
        """
        pad_values, renames = pad_values or {}, renames or {}
        result: dict[str, dict[str, np.ndarray]] = {}
        streams = self._chunks[0]["predictions"].keys()
        for stream in streams:
            cols = self._chunks[0]["predictions"][stream].keys()
            result[stream] = {}
            if stream == global_name:
                for c in cols:
                    result[stream][renames.get(c, c)] = torch.cat(
                        [ch["predictions"][stream][c] for ch in self._chunks]
                    ).numpy()
                continue
            width = max([widths.get(stream, 0)] + [ch["pad_masks"][stream].shape[1] for ch in self._chunks])
            for c in cols:
                name = renames.get(c, c)
                parts = [
                    torch.nn.functional.pad(
                        ch["predictions"][stream][c],
                        (0, width - ch["pad_masks"][stream].shape[1]),
                        value=pad_values.get((stream, name), 0.0),
                    )
                    for ch in self._chunks
                ]
                result[stream][name] = torch.cat(parts).numpy()
            masks = [
                torch.nn.functional.pad(
                    ch["pad_masks"][stream], (0, width - ch["pad_masks"][stream].shape[1]), value=True
                )
                for ch in self._chunks
            ]
            result[stream]["mask"] = torch.cat(masks).cpu().numpy()
        return result

    @staticmethod
    def read_fields(
        files: list[Path | str], dataset: str, num: int, fields: list[str] | None = None
    ) -> np.ndarray:
        """Fields (default: all) of ``dataset`` for the first ``num`` jets over ``files``."""
        parts, left = [], num
        for path in files:
            if left <= 0:
                break
            with open_h5(path) as f:
                ds = f[dataset]
                missing = sorted(set(fields or []) - set(ds.dtype.names or ()))
                if missing:
                    msg = (
                        f"PredictionWriter: extra_vars {missing} are not fields of '{dataset}' in {path}; "
                        f"it has {list(ds.dtype.names or ())}."
                    )
                    raise ValueError(msg)
                n = min(left, len(ds))
                arr = ds.fields(list(fields))[:n] if fields else ds[:n]
            parts.append(arr)
            left -= len(arr)
        return np.concatenate(parts)

    def float_kind(self, values: np.ndarray) -> np.dtype:
        """``float_type``, or float32 where half precision would overflow (salt writes ``inf``)."""
        if self.half_precision:
            finite = values[np.isfinite(values)]
            if finite.size and np.abs(finite).max() > np.finfo(np.float16).max:
                return np.dtype("f4")
        return np.dtype(self.float_type)

    def column_type(self, values: np.ndarray) -> np.dtype:
        """Written dtype of a column: floats as ``float_kind``, integers as int64 for outputs."""
        if np.issubdtype(values.dtype, np.floating):
            return self.float_kind(values)
        return values.dtype

    def join(self, fields: np.ndarray, cols: dict[str, np.ndarray]) -> np.ndarray:
        """``fields`` followed by the output columns, floats as ``float_type`` (salt's ``H5Writer``).

        Input fields keep their integer / boolean types; integer outputs (``VertexIndex``) are
        ``int64``, boolean ones (``mask``) stay boolean. With ``half_precision`` a column whose
        finite values exceed the float16 range (a pt in MeV) stays float32, with a note, where
        salt would write ``inf``.
        """
        clash = sorted(set(cols) & set(fields.dtype.names or ()))
        if clash:
            msg = (
                f"PredictionWriter: output columns {clash} are also fields of the test file. Rename the "
                f"model (top-level `name`) or the tasks' outputs, or leave the fields out with extra_vars."
            )
            raise ValueError(msg)
        names = list(fields.dtype.names or ())
        types = [(n, self.column_type(fields[n]), fields.dtype[n].shape) for n in names]
        for k, v in cols.items():
            kind = np.dtype("i8") if np.issubdtype(v.dtype, np.integer) else self.column_type(v)
            types.append((k, kind, ()))
        kept = [n for n, kind, _ in types if self.half_precision and kind == np.float32]
        if kept:
            rank_zero_info(f"PredictionWriter: {kept} exceed the float16 range; written as float32.")
        arr = np.empty(fields.shape, dtype=np.dtype(types))
        for n in names:
            arr[n] = fields[n]
        for k, v in cols.items():
            arr[k] = v
        return arr

    def pack_stream(self, cols: dict[str, np.ndarray], fields: np.ndarray | None = None) -> np.ndarray:
        """Structured ``(jets, slots)`` array of a constituent stream in salt's layout.

        The stream's ``fields`` (from the test file) come first, then the outputs, then ``mask``.
        """
        cols = dict(cols)
        mask = cols.pop("mask")
        cols["mask"] = mask
        if fields is None:
            fields = np.zeros(mask.shape, dtype=[])
        elif fields.shape != mask.shape:
            msg = f"PredictionWriter: stream fields {fields.shape} and outputs {mask.shape} differ in shape."
            raise ValueError(msg)
        return self.join(fields, cols)
