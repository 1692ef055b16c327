"""Jets whose detector response drifts from task to task, for a flavour tagger or a jet-energy regression.

Every task draws its own jets from halite's synthetic generator (``halite.data.synthetic``)
and applies its ``DriftCondition`` to the reconstructed quantities: a jet-energy scale (with a
pt dependence) and extra jet-energy smearing on the calorimeter jet, an extra impact-parameter
smearing the reconstruction does not know about (the significances are computed with the
nominal uncertainties), and a track-momentum scale. The truth (``pt_truth``, the flavour) never
changes, so the tasks are domain-incremental: the same question under new conditions.

The inputs are one flat stream ``jet`` (``FEATURES``): jet kinematics, track multiplicity and
momentum sum, and the impact parameters, hits and angles of the ``num_tracks`` tracks with
the largest ``|d0 significance|``. They are standardised with the statistics of the first
task's training jets (a calibration fixed at the start, as a detector's is), so the drift
shows in the inputs of later tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from halite.continual.data import Benchmark, InputInfo, Samples, TaskData
from halite.data.synthetic import FLAVOUR_NAMES, generate_jets

GEV = 1000.0
JET_FEATURES = ("log_pt", "eta", "log_mass", "log_energy", "n_tracks", "log_track_pt_sum")
TRACK_FEATURES = (
    "d0_significance",
    "z0_significance",
    "d0",
    "z0SinTheta",
    "log_ptfrac",
    "innermost_hits",
    "deta",
    "dphi",
)


@dataclass
class DriftCondition:
    """The detector response of one task.

    Parameters
    ----------
    jes
        Jet-energy scale on the reconstructed jet pt, mass and energy.
    jes_slope
        pt dependence of the scale: the factor is ``jes * (pt / 50 GeV) ** jes_slope``.
    jer
        Extra relative Gaussian smearing of the jet energy (added to the generator's resolution).
    ip_scale
        Factor on ``d0``, ``z0 sin(theta)`` and their significances (a miscalibrated
        impact-parameter scale, as ``halite.continual.jets.DetectorCondition.ip_scale``).
    ip_smear
        Extra Gaussian smearing (mm) of the track ``d0`` and ``z0 sin(theta)``; the
        significances move by the same amount over the nominal uncertainty.
    track_pt_scale
        Scale of the track momenta (their ``pt`` and ``pt`` fraction).
    """

    jes: float = 1.0
    jes_slope: float = 0.0
    jer: float = 0.0
    ip_scale: float = 1.0
    ip_smear: float = 0.0
    track_pt_scale: float = 1.0

    def __post_init__(self) -> None:
        if min(self.jes, self.track_pt_scale, self.ip_scale) <= 0 or self.jer < 0 or self.ip_smear < 0:
            msg = (
                f"DriftCondition needs jes, track_pt_scale, ip_scale > 0 and jer, ip_smear >= 0; got jes={self.jes}, "
                f"track_pt_scale={self.track_pt_scale}, ip_scale={self.ip_scale}, jer={self.jer}, "
                f"ip_smear={self.ip_smear}."
            )
            raise ValueError(msg)

    def apply(self, jets: np.ndarray, tracks: np.ndarray, rng: np.random.Generator) -> None:
        """Modify the generator's structured ``jets`` ``(n,)`` and ``tracks`` ``(n, N)`` in place."""
        scale = self.jes * (jets["pt"] / (50.0 * GEV)) ** self.jes_slope
        if self.jer > 0:
            scale = scale * np.clip(1.0 + self.jer * rng.standard_normal(len(jets)), 0.1, None)
        for name in ("pt", "mass", "energy", "pt_btagJes"):
            jets[name] = jets[name] * scale
        valid = tracks["valid"]
        if self.ip_smear > 0:
            for ip, sig in (
                ("d0", "IP3D_signed_d0_significance"),
                ("z0SinTheta", "IP3D_signed_z0_significance"),
            ):
                x, s = tracks[ip].astype(np.float64), tracks[sig].astype(np.float64)
                sigma = np.abs(x) / np.maximum(np.abs(s), 1e-6)  # the nominal uncertainty
                noise = self.ip_smear * rng.standard_normal(x.shape)
                lifetime = np.where(x * s < 0, -1.0, 1.0)  # signed significance vs geometric sign
                tracks[ip] = np.where(valid, x + noise, 0.0)
                tracks[sig] = np.where(valid & (sigma > 0), s + lifetime * noise / np.maximum(sigma, 1e-6), s)
        if self.ip_scale != 1.0:
            for name in ("d0", "z0SinTheta", "IP3D_signed_d0_significance", "IP3D_signed_z0_significance"):
                tracks[name] = tracks[name] * self.ip_scale
        tracks["pt"] = tracks["pt"] * self.track_pt_scale
        tracks["ptfrac"] = np.where(valid, tracks["pt"] / np.maximum(jets["pt"][:, None], 1.0), 0.0)


@dataclass
class DriftTask:
    """A task: a name and its detector condition."""

    name: str
    condition: DriftCondition = field(default_factory=DriftCondition)


def default_drift() -> list[DriftTask]:
    """Four periods: nominal, a low jet-energy scale, a degraded tracker, a high jet-energy smearing."""
    return [
        DriftTask("nominal"),
        DriftTask("low_jes", DriftCondition(jes=0.9, jes_slope=-0.04, jer=0.05, ip_smear=0.01)),
        DriftTask(
            "degraded_tracker", DriftCondition(jes=1.05, ip_scale=1.8, ip_smear=0.04, track_pt_scale=0.9)
        ),
        DriftTask(
            "high_jer", DriftCondition(jes=0.97, jes_slope=0.05, jer=0.15, ip_scale=0.7, ip_smear=0.02)
        ),
    ]


def jet_features(jets: np.ndarray, tracks: np.ndarray, num_tracks: int) -> np.ndarray:
    """``(n, 6 + 8 * num_tracks)`` float32 features (``feature_names``) of reconstructed jets."""
    valid = tracks["valid"]
    trk_pt_sum = np.where(valid, tracks["pt"], 0.0).sum(axis=1)
    cols = [
        np.log(np.maximum(jets["pt"], 1.0) / GEV),
        jets["eta"],
        np.log(np.maximum(jets["mass"], 1.0) / GEV),
        np.log(np.maximum(jets["energy"], 1.0) / GEV),
        valid.sum(axis=1),
        np.log1p(trk_pt_sum / GEV),
    ]
    sd0 = np.where(valid, np.abs(tracks["IP3D_signed_d0_significance"]), -np.inf)
    order = np.argsort(-sd0, axis=1, kind="stable")[:, :num_tracks]
    top = np.take_along_axis(tracks, order, axis=1)
    ok = top["valid"]
    per_track = {
        "d0_significance": top["IP3D_signed_d0_significance"],
        "z0_significance": top["IP3D_signed_z0_significance"],
        "d0": top["d0"],
        "z0SinTheta": top["z0SinTheta"],
        "log_ptfrac": np.log(np.maximum(top["ptfrac"], 1e-4)),
        "innermost_hits": top["numberOfInnermostPixelLayerHits"],
        "deta": top["deta"],
        "dphi": top["dphi"],
    }
    for k in range(order.shape[1]):
        cols += [np.where(ok[:, k], per_track[name][:, k], 0.0) for name in TRACK_FEATURES]
    for _ in range(num_tracks - order.shape[1]):
        cols += [np.zeros(len(jets)) for _ in TRACK_FEATURES]
    return np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1).astype(np.float32)


def feature_names(num_tracks: int) -> list[str]:
    """Names of the ``jet_features`` columns."""
    return [*JET_FEATURES, *(f"track{k}_{v}" for k in range(num_tracks) for v in TRACK_FEATURES)]


class DriftingJets(Benchmark):
    """A sequence of synthetic-jet tasks under drifting detector conditions.

    Parameters
    ----------
    target
        ``flavour``: labels b / c / light (``FLAVOUR_NAMES``); ``pt``: the float target
        ``log(pt_truth / GeV)`` (class name ``pt_truth``), for ``RegressionLearner(target="log")``.
    tasks
        The tasks in order (default: ``default_drift()``).
    num_train, num_test
        Jets per task and split.
    num_tracks
        Tracks per jet in the features.
    seed
        Seed of the jets and of the drift randomness (every task and split draws its own).
    """

    def __init__(
        self,
        target: Literal["flavour", "pt"] = "flavour",
        tasks: list[DriftTask] | None = None,
        num_train: int = 2000,
        num_test: int = 1000,
        num_tracks: int = 4,
        seed: int = 0,
    ) -> None:
        if target not in ("flavour", "pt"):
            msg = f"DriftingJets target must be 'flavour' or 'pt', got '{target}'."
            raise ValueError(msg)
        if num_train < 1 or num_test < 1 or num_tracks < 1:
            msg = f"DriftingJets needs num_train, num_test, num_tracks >= 1; got {num_train}, {num_test}, {num_tracks}."
            raise ValueError(msg)
        self.target = target
        self.task_specs = list(tasks) if tasks is not None else default_drift()
        if not self.task_specs:
            msg = "DriftingJets needs at least one task."
            raise ValueError(msg)
        self.num_train, self.num_test, self.num_tracks, self.seed = num_train, num_test, num_tracks, seed

    def input_info(self) -> InputInfo:
        return InputInfo(variables={"jet": feature_names(self.num_tracks)}, norm=None)

    def _draw(self, task_id: int, split: int, num: int) -> tuple[np.ndarray, np.ndarray]:
        data_seed = int(np.random.SeedSequence([self.seed, task_id, split]).generate_state(1)[0])
        data = generate_jets(num, data_seed, num_tracks=25)
        jets, tracks = data["jets"], data["tracks"]
        self.task_specs[task_id].condition.apply(
            jets, tracks, np.random.default_rng([self.seed, task_id, split, 1])
        )
        x = jet_features(jets, tracks, self.num_tracks)
        if self.target == "pt":
            return x, np.log(jets["pt_truth"] / GEV).astype(np.float32)
        return x, jets["flavour_label"].astype(np.int64)

    def tasks(self) -> list[TaskData]:
        names = ["pt_truth"] if self.target == "pt" else list(FLAVOUR_NAMES)
        drawn = [
            (self._draw(t, 0, self.num_train), self._draw(t, 1, self.num_test))
            for t in range(len(self.task_specs))
        ]
        ref = drawn[0][0][0]
        mean, std = ref.mean(axis=0), ref.std(axis=0)
        std = np.where(std > 0, std, 1.0)

        def samples(x: np.ndarray, y: np.ndarray, t: int) -> Samples:
            z = torch.from_numpy(((x - mean) / std).astype(np.float32))
            return Samples({"jet": z}, {}, torch.from_numpy(y), torch.full((len(y),), t, dtype=torch.int64))

        return [
            TaskData(spec.name, names, samples(*train, t), samples(*test, t))
            for t, (spec, (train, test)) in enumerate(zip(self.task_specs, drawn), start=1)  # ids from 1
        ]
