"""Jet tasks arriving in sequence: flavour classes or simulated detector conditions.

Each task reads its own, disjoint slice of salt-format HDF5 files (e.g. written by
``halite synth``) through halite's block reader, keeps the jets of its flavour classes and
applies its detector condition to the raw track inputs. With new classes per task this is
class-incremental (e.g. b vs light first, charm later); with the same classes and changing
conditions it is domain-incremental (e.g. a degraded impact-parameter resolution, dead
innermost-layer pixels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from halite.continual.data import Benchmark, InputInfo, Samples, TaskData
from halite.data.dicts import load_norm_dict
from halite.data.prep import DEFAULT_VARIABLES
from halite.data.readers import H5Reader, expand_files
from halite.data.specs import KNOWN_CLASS_NAMES, InputSpec, LabelSpec
from halite.data.transforms import check_finite, trim_length

#: impact-parameter track variables scaled by ``DetectorCondition.ip_scale``
IP_VARIABLES = ("d0", "z0SinTheta", "IP3D_signed_d0_significance", "IP3D_signed_z0_significance")
#: track variable zeroed by ``DetectorCondition.innermost_hit_loss``
INNERMOST_HITS = "numberOfInnermostPixelLayerHits"


@dataclass
class DetectorCondition:
    """A simulated detector condition, applied to raw track inputs.

    Parameters
    ----------
    ip_scale
        Factor on the impact parameters and their significances (``IP_VARIABLES``): a
        worse (> 1) or better (< 1) impact-parameter resolution.
    innermost_hit_loss
        Fraction of tracks that lose their innermost pixel-layer hit (dead modules).
    """

    ip_scale: float = 1.0
    innermost_hit_loss: float = 0.0

    def __post_init__(self) -> None:
        if self.ip_scale <= 0:
            msg = f"DetectorCondition.ip_scale must be > 0, got {self.ip_scale}."
            raise ValueError(msg)
        if not 0.0 <= self.innermost_hit_loss <= 1.0:
            msg = f"DetectorCondition.innermost_hit_loss must be in [0, 1], got {self.innermost_hit_loss}."
            raise ValueError(msg)

    def apply(self, tracks: np.ndarray, variables: list[str], rng: np.random.Generator) -> None:
        """Modify raw ``tracks`` ``(n, N, F)`` in place (padding stays untouched by masking later)."""
        for var in IP_VARIABLES:
            if var in variables and self.ip_scale != 1.0:
                tracks[..., variables.index(var)] *= self.ip_scale
        if self.innermost_hit_loss > 0 and INNERMOST_HITS in variables:
            lost = rng.random(tracks.shape[:2]) < self.innermost_hit_loss
            tracks[..., variables.index(INNERMOST_HITS)][lost] = 0.0


@dataclass
class JetTask:
    """One task of a jet sequence.

    Parameters
    ----------
    name
        Task name.
    classes
        Flavour class names of this task, in label order (a subset of the label's classes).
    condition
        Detector condition applied to this task's tracks.
    train_file, test_file
        This task's own files (e.g. another simulation campaign); the task then reads their
        first ``num_train`` / ``num_test`` jets. Default: its slice of the benchmark's files.
    """

    name: str
    classes: list[str] = field(default_factory=lambda: list(KNOWN_CLASS_NAMES["flavour_label"]))
    condition: DetectorCondition = field(default_factory=DetectorCondition)
    train_file: str | None = None
    test_file: str | None = None


class JetSequence(Benchmark):
    """A sequence of jet-flavour tasks read from salt-format HDF5 files.

    Task ``k`` reads jets ``[k * num_train, (k + 1) * num_train)`` of ``train_file`` and
    ``[k * num_test, (k + 1) * num_test)`` of ``test_file``, so tasks never share jets;
    a task with its own files reads their first jets instead.

    Parameters
    ----------
    train_file, test_file
        HDF5 files with the global object and the track stream (``halite synth`` writes them).
    norm_dict
        Salt norm dict of the inputs (``halite prep``), used by the backbone.
    tasks
        The tasks in order.
    variables
        Input variables per stream (default: the GN2 inputs of ``halite prep``).
    global_object
        The stream with one row per jet.
    label
        Class label of the global object.
    label_classes
        Class names of the label values ``0..C-1`` (default: halite's known names).
    num_train, num_test
        Jets read per task from each file (before selecting the task's classes).
    num_tracks
        Track slots kept per jet.
    seed
        Seed of the detector-condition randomness.
    """

    def __init__(
        self,
        train_file: str,
        test_file: str,
        norm_dict: str,
        tasks: list[JetTask],
        variables: dict[str, list[str]] | None = None,
        global_object: str = "jets",
        label: str = "flavour_label",
        label_classes: list[str] | None = None,
        num_train: int = 2000,
        num_test: int = 1000,
        num_tracks: int = 40,
        seed: int = 0,
    ) -> None:
        if not tasks:
            msg = "JetSequence needs at least one task (continual.benchmark.init_args.tasks)."
            raise ValueError(msg)
        self.variables = {k: list(v) for k, v in (variables or DEFAULT_VARIABLES).items()}
        if global_object not in self.variables:
            msg = f"JetSequence: global_object '{global_object}' has no entry in variables {sorted(self.variables)}."
            raise ValueError(msg)
        names = label_classes or KNOWN_CLASS_NAMES.get(label)
        if not names:
            msg = f"JetSequence: no class names known for label '{label}'; set label_classes."
            raise ValueError(msg)
        self.label_classes = list(names)
        for task in tasks:
            unknown = [c for c in task.classes if c not in self.label_classes]
            if unknown or not task.classes:
                msg = f"JetSequence task '{task.name}': classes {unknown or task.classes} are not among {self.label_classes}."
                raise ValueError(msg)
        self.train_file, self.test_file, self.norm_dict = train_file, test_file, norm_dict
        self.task_specs = list(tasks)
        self.global_object, self.label = global_object, label
        self.num_train, self.num_test, self.num_tracks = num_train, num_test, num_tracks
        self.seed = seed

    def input_info(self) -> InputInfo:
        return InputInfo(
            variables=self.variables,
            norm=load_norm_dict(self.norm_dict),
            global_object=self.global_object,
            constituent_streams=[s for s in self.variables if s != self.global_object],
        )

    def _specs(self) -> list[InputSpec]:
        return [
            InputSpec(
                name=s,
                dataset=s,
                variables=tuple(v),
                is_global=s == self.global_object,
                max_length=None if s == self.global_object else self.num_tracks,
                labels=(LabelSpec(self.label),) if s == self.global_object else (),
            )
            for s, v in self.variables.items()
        ]

    def _read(
        self, path: Path | str, slot: int, num: int, task: JetTask, split: str, task_id: int
    ) -> Samples:
        reader = H5Reader(path, self._specs())
        try:
            start, stop = slot * num, (slot + 1) * num
            if stop > reader.num_jets:
                msg = (
                    f"{path}: task {task_id} ('{task.name}') needs jets {start}:{stop} but the file holds "
                    f"{reader.num_jets}. Lower num_{split} or write a larger file (`halite synth`)."
                )
                raise ValueError(msg)
            block = reader.read(start, stop)
        finally:
            reader.close()
        glob = block.values[self.global_object]
        nvar = len(self.variables[self.global_object])
        raw = glob[:, nvar].astype(np.int64)
        wanted = [self.label_classes.index(c) for c in task.classes]
        keep = np.isin(raw, wanted)
        lut = np.full(len(self.label_classes), -1, dtype=np.int64)
        lut[wanted] = np.arange(len(wanted))
        rng = np.random.default_rng([self.seed, task_id, 0 if split == "train" else 1])
        inputs, masks = {}, {}
        for s, vars_ in self.variables.items():
            x = np.ascontiguousarray(block.values[s][keep][..., : len(vars_)])
            check_finite(x, tuple(vars_), s, path, "error")
            if s != self.global_object:
                valid = block.valid[s][keep]
                n = trim_length(valid)
                x, valid = np.ascontiguousarray(x[:, :n]), valid[:, :n]
                task.condition.apply(x, vars_, rng)
                x[~valid] = 0.0
                masks[s] = torch.from_numpy(~valid)
            inputs[s] = torch.from_numpy(x)
        y = lut[raw[keep]]
        return Samples(inputs, masks, torch.from_numpy(y), torch.full((len(y),), task_id, dtype=torch.int64))

    def tasks(self) -> list[TaskData]:
        out = []
        for t, task in enumerate(self.task_specs):
            splits = {}
            for split, own, shared, num in (
                ("train", task.train_file, self.train_file, self.num_train),
                ("test", task.test_file, self.test_file, self.num_test),
            ):
                path = _one_file(own or shared, f"{split}_file")
                splits[split] = self._read(path, 0 if own else t, num, task, split, t + 1)
            out.append(TaskData(task.name, list(task.classes), splits["train"], splits["test"]))
        return out


def _one_file(pattern: str, key: str) -> Path | str:
    files = expand_files(pattern)
    if len(files) != 1:
        msg = f"JetSequence.{key} '{pattern}' matches {len(files)} files; give exactly one file."
        raise ValueError(msg)
    return files[0]
