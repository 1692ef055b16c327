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
from numpy.lib import recfunctions as rfn

from halite.data.readers import open_h5
from halite.data.remote import copy_file, is_remote, join
from halite.evaluate.summary import flavour_summary, format_summary
from halite.io import atomic_path
from halite.training.module import LitModel


class PredictionWriter(L.Callback):
    """Collect ``halite test`` outputs and write ``<run>/predictions/<ckpt>__test_<file>.h5``.

    The ``jets`` dataset holds every field of the test file's global object plus the
    model's output columns (``<name>_pb`` ...). With ``write_tracks`` each constituent
    stream with per-constituent outputs gets a dataset ``(jets, slots)`` with the
    outputs and a ``valid`` flag.

    Parameters
    ----------
    write_tracks
        Also write per-constituent outputs.
    output_path
        Explicit output file; default next to the checkpoint's run directory.
    """

    def __init__(self, write_tracks: bool = False, output_path: str | None = None) -> None:
        super().__init__()
        self.write_tracks = write_tracks
        self.output_path = output_path
        self.written: Path | None = None
        self._chunks: list[dict[str, Any]] = []

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
        if ckpt and is_remote(ckpt):  # s3://bucket/<run>/ckpts/<name>.ckpt
            run_url, _, name = str(ckpt).rsplit("/", 2)
            return join(run_url, "predictions", f"{Path(name).stem}__test_{test_stem}.h5")
        if ckpt:
            run_dir = Path(ckpt).parent.parent
            stem = Path(ckpt).stem
        else:
            run_dir = Path(trainer.default_root_dir)
            stem = "untrained"
        return run_dir / "predictions" / f"{stem}__test_{test_stem}.h5"

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
        widths = {}
        columnar = hasattr(dataset.readers, "global_records")  # ROOT / parquet inputs
        if columnar:
            widths = dataset.readers.slot_widths()
        else:
            with open_h5(dataset.files[0]) as f:
                for spec in dataset.specs:
                    if not spec.is_global:
                        slots = f[spec.dataset].shape[1]
                        widths[spec.name] = min(slots, spec.max_length or slots)
        stream_cols = self.collect(global_name, widths)
        num = dataset.num_jets
        target = self.target_path(trainer, dataset.files[0])
        # remote targets (s3://) are written to a local staging folder, then uploaded
        path = Path(tempfile.mkdtemp()) / Path(str(target)).name if is_remote(target) else Path(target)
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as out:
            if columnar:
                jets = dataset.readers.global_records(dataset.files, num)
            else:
                jets = self.read_global(dataset.files, dm.input_map.get(global_name, global_name), num)
            cols = stream_cols.pop(global_name, {})
            extra = [(k, np.asarray(v, dtype=np.float32)) for k, v in cols.items()]
            if extra:
                jets = rfn.append_fields(jets, [k for k, _ in extra], [v for _, v in extra], usemask=False)
            out.create_dataset(global_name, data=jets)
            if self.write_tracks:
                for stream, scols in stream_cols.items():
                    out.create_dataset(stream, data=self.pack_stream(scols))
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

    def collect(self, global_name: str, widths: dict[str, int]) -> dict[str, dict[str, np.ndarray]]:
        """Concatenate the per-batch outputs; constituent outputs padded to a common width."""
        result: dict[str, dict[str, np.ndarray]] = {}
        streams = self._chunks[0]["predictions"].keys()
        for stream in streams:
            cols = self._chunks[0]["predictions"][stream].keys()
            result[stream] = {}
            if stream == global_name:
                for c in cols:
                    result[stream][c] = torch.cat(
                        [ch["predictions"][stream][c] for ch in self._chunks]
                    ).numpy()
                continue
            width = max([widths.get(stream, 0)] + [ch["pad_masks"][stream].shape[1] for ch in self._chunks])
            for c in cols:
                parts = [
                    torch.nn.functional.pad(
                        ch["predictions"][stream][c], (0, width - ch["pad_masks"][stream].shape[1])
                    )
                    for ch in self._chunks
                ]
                result[stream][c] = torch.cat(parts).numpy()
            masks = [
                torch.nn.functional.pad(
                    ch["pad_masks"][stream], (0, width - ch["pad_masks"][stream].shape[1]), value=True
                )
                for ch in self._chunks
            ]
            result[stream]["valid"] = ~torch.cat(masks).cpu().numpy()
        return result

    @staticmethod
    def read_global(files: list[Path | str], dataset: str, num: int) -> np.ndarray:
        """All fields of the global object for the first ``num`` jets over ``files``."""
        parts, left = [], num
        for path in files:
            if left <= 0:
                break
            with open_h5(path) as f:
                arr = f[dataset][: min(left, len(f[dataset]))]
            parts.append(arr)
            left -= len(arr)
        return np.concatenate(parts)

    @staticmethod
    def pack_stream(cols: dict[str, np.ndarray]) -> np.ndarray:
        """Structured ``(jets, slots)`` array of per-constituent outputs.

        Float outputs are ``f4`` (0 in padding); integer outputs such as
        ``<model>_VertexIndex`` are ``i4`` (-1 in padding).
        """
        valid = cols.pop("valid")
        is_int = {k: np.issubdtype(v.dtype, np.integer) for k, v in cols.items()}
        dtype = [("valid", "?")] + [(k, "i4" if is_int[k] else "f4") for k in cols]
        arr = np.zeros(valid.shape, dtype=dtype)
        arr["valid"] = valid
        for k, v in cols.items():
            arr[k] = np.where(valid, v, -1 if is_int[k] else 0.0)
        return arr
