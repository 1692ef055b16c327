"""Every tensor of a batch is a view of one buffer: a loader worker sends it as one shared-memory segment."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import torch

from halite.data.batching import arena, copy_columns
from halite.data.dataset import JetDataset
from halite.data.specs import InputSpec, LabelSpec

SPECS = [
    InputSpec("jets", "jets", ("pt_btagJes",), is_global=True, labels=(LabelSpec("flavour_label", "class"),)),
    InputSpec("tracks", "tracks", ("d0", "numberOfPixelHits"), labels=(LabelSpec("ptfrac", "value"),)),
]


def tensors(batch: object) -> list[torch.Tensor]:
    b = batch
    return [*b.inputs.values(), *b.pad_masks.values(), *(t for d in b.labels.values() for t in d.values())]  # type: ignore[attr-defined]


def test_batch_tensors_share_one_storage(tiny_data: dict[str, Path]) -> None:
    batch = next(iter(JetDataset([tiny_data["train"]], SPECS, batch_size=64, shuffle=True, bucket=True)))
    all_tensors = tensors(batch)
    assert len(all_tensors) == 5
    assert len({t.untyped_storage().data_ptr() for t in all_tensors}) == 1
    assert all(t.is_contiguous() for t in all_tensors)
    # disjoint, 8-byte aligned parts
    spans = sorted((t.data_ptr(), t.data_ptr() + t.numel() * t.element_size()) for t in all_tensors)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert all(start % 8 == 0 for start, _ in spans)


def test_arena_shapes_and_dtypes() -> None:
    parts = {
        ("a",): (np.dtype(bool), (3, 5)),
        ("b",): (np.dtype(np.float32), (3, 5, 2)),
        ("c",): (np.dtype(np.int64), (0,)),
    }
    out = arena(parts)
    assert out[("a",)].dtype == torch.bool and out[("a",)].shape == (3, 5)
    assert out[("b",)].dtype == torch.float32 and out[("b",)].shape == (3, 5, 2)
    assert out[("c",)].dtype == torch.int64 and out[("c",)].numel() == 0
    out[("b",)].fill_(1.5)
    out[("a",)].fill_(True)
    assert bool(out[("a",)].all()) and float(out[("b",)].sum()) == 45.0


def test_copy_columns_equals_a_slice_copy() -> None:
    rng = np.random.default_rng(0)
    src = rng.normal(size=(7, 5, 6)).astype(np.float32)
    src[0, 0, 0] = np.nan
    for k in (0, 1, 4, 6):
        dst = np.empty((7, 5, k), np.float32)
        copy_columns(dst, src)
        assert dst.view(np.uint32).tolist() == np.ascontiguousarray(src[..., :k]).view(np.uint32).tolist()
    strided = src[:, ::2]  # not contiguous: the plain copy
    dst = np.empty((7, 3, 2), np.float32)
    copy_columns(dst, strided)
    np.testing.assert_array_equal(dst, strided[..., :2])


def test_shared_arena_is_in_shared_memory() -> None:
    """A loader worker's batch buffer is allocated in shared memory (no copy when it is handed over)."""
    parts = {("x",): (np.dtype(np.float32), (4, 3)), ("m",): (np.dtype(bool), (4,))}
    shared, plain = arena(parts, shared=True), arena(parts)
    assert all(t.is_shared() for t in shared.values()) and not any(t.is_shared() for t in plain.values())
    assert {k: (t.dtype, t.shape) for k, t in shared.items()} == {
        k: (t.dtype, t.shape) for k, t in plain.items()
    }
