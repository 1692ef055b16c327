"""One training run of ``bench/vs_weaver.py``: a ParticleTransformer (weaver-core's or halite's) on Pythia jets.

Usage: python bench/vs_weaver_worker.py --side weaver|halite --data DIR --out OUT.npz [options]

The same file runs on both sides, so the data, loop, optimiser, schedule and timing are one code:
``--side weaver`` in ``bench/.venv-weaver`` (weaver-core, no halite on the path), ``--side halite``
in halite's environment. Inputs per constituent are the ParT paper's 17 features computed here from
the raw fields of ``halite synth-pythia`` files (standardised with the training sample's mean and
std), and the four-momenta for the pair features. Each batch is cut to its longest jet (both sides).
The optimiser is RAdam (betas 0.95, 0.999, eps 1e-5) wrapped in Lookahead (k 6, alpha 0.5), weaver's
``ranger``, with weaver's ``flat+decay`` schedule (flat, then the last 30% of the epochs decay to
1% of the rate), or ``--optimizer adamw`` (halite's default, one-cycle). The epoch with the best
validation loss is evaluated on the test file. Writes the test scores and labels, the training
time, jets seen, peak RSS and the parameter count to ``OUT.npz``. Imports only torch, numpy, h5py
(and the side's ParticleTransformer).
"""

from __future__ import annotations

import argparse
import copy
import math
import resource
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch import nn

#: the ParT paper's per-particle inputs (impact parameters as significances)
FEATURES = [
    "deta", "dphi", "log_pt", "log_energy", "log_pt_rel", "log_energy_rel", "dR", "charge",
    "is_charged_hadron", "is_neutral_hadron", "is_photon", "is_electron", "is_muon",
    "d0_tanh", "d0_significance", "z0_tanh", "z0_significance",
]  # fmt: skip
LABELS = {"top_qcd": "is_top", "quark_gluon": "is_quark"}


def load(path: Path, label: str, num_constituents: int, max_jets: int | None) -> dict[str, np.ndarray]:
    """Features ``(J, N, 17)``, four-momenta ``(J, N, 4)`` (px, py, pz, E), ``pt, eta, phi, E``, mask, labels."""
    with h5py.File(path, "r") as f:
        n = f["jets"].shape[0] if max_jets is None else min(max_jets, f["jets"].shape[0])
        jets, parts = f["jets"][:n], f["particles"][:n, :num_constituents]
    valid = parts["valid"].astype(bool)
    pt, e = np.maximum(parts["pt"], 1e-6), np.maximum(parts["energy"], 1e-6)
    cols = {
        "deta": parts["deta"], "dphi": parts["dphi"], "log_pt": np.log(pt), "log_energy": np.log(e),
        "log_pt_rel": np.log(pt / jets["pt"][:, None]), "log_energy_rel": np.log(e / jets["energy"][:, None]),
        "dR": np.hypot(parts["deta"], parts["dphi"]), "charge": parts["charge"],
        "d0_tanh": np.tanh(parts["d0"]), "z0_tanh": np.tanh(parts["z0"]),
        "d0_significance": parts["d0_significance"], "z0_significance": parts["z0_significance"],
    }  # fmt: skip
    x = np.stack([cols[c] if c in cols else parts[c] for c in FEATURES], -1).astype(np.float32)
    p4 = np.stack([parts["px"], parts["py"], parts["pz"], parts["energy"]], -1).astype(np.float32)
    ptetaphie = np.stack([parts["pt"], parts["eta"], parts["phi"], parts["energy"]], -1).astype(np.float32)
    for a in (x, p4, ptetaphie):
        a[~valid] = 0.0
    return {"x": x, "p4": p4, "kin": ptetaphie, "mask": valid, "y": jets[label].astype(np.int64)}


def standardise(splits: dict[str, dict[str, np.ndarray]]) -> None:
    """Scale every split's features by the training sample's mean and std (valid constituents), zero at padding."""
    tr = splits["train"]
    vals = tr["x"][tr["mask"]]
    mean, std = vals.mean(0), vals.std(0)
    std[std < 1e-6] = 1.0
    for s in splits.values():
        s["x"] = np.where(s["mask"][..., None], (s["x"] - mean) / std, 0.0).astype(np.float32)


class Lookahead(torch.optim.Optimizer):
    """Lookahead (Zhang et al., arXiv:1907.08610) around an inner optimiser: every ``k`` steps the slow
    weights move ``alpha`` of the way to the fast ones and the fast weights restart from them."""

    def __init__(self, inner: torch.optim.Optimizer, k: int = 6, alpha: float = 0.5) -> None:
        self.inner, self.k, self.alpha, self.count = inner, k, alpha, 0
        self.param_groups = inner.param_groups  # the schedulers scale these
        self.defaults = inner.defaults
        self.state = inner.state
        self.slow = [[p.detach().clone() for p in g["params"]] for g in inner.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        self.inner.step()
        self.count += 1
        if self.count % self.k:
            return
        for group, slow in zip(self.inner.param_groups, self.slow, strict=True):
            for p, q in zip(group["params"], slow, strict=True):
                q.add_(p - q, alpha=self.alpha)
                p.copy_(q)


def make_optimiser(model: nn.Module, name: str, lr: float, epochs: int, steps: int) -> tuple[Any, Any, str]:
    """``(optimiser, scheduler, 'epoch'|'step')``: weaver's ranger + flat+decay, or AdamW + one-cycle."""
    if name == "ranger":
        opt = Lookahead(torch.optim.RAdam(model.parameters(), lr=lr, betas=(0.95, 0.999), eps=1e-5), 6, 0.5)
        n_decay = max(1, int(epochs * 0.3))
        milestones = list(range(epochs - n_decay, epochs))
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=0.01 ** (1.0 / n_decay))  # type: ignore[arg-type]
        return opt, sched, "epoch"
    if name == "adamw":
        opt2 = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-5)
        sched2 = torch.optim.lr_scheduler.OneCycleLR(
            opt2, max_lr=lr, total_steps=epochs * steps, pct_start=0.1
        )
        return opt2, sched2, "step"
    msg = f"--optimizer {name!r}: choose ranger or adamw"
    raise ValueError(msg)


class WeaverNet(nn.Module):
    """weaver-core's ParticleTransformer with its classifier head, fed weaver's layout."""

    def __init__(self, num_features: int, a: argparse.Namespace) -> None:
        super().__init__()
        from weaver.nn.model.ParticleTransformer import ParticleTransformer

        self.net = ParticleTransformer(
            num_features, num_classes=2, embed_dims=a.embed_dims, pair_embed_dims=a.pair_embed_dims,
            num_heads=a.num_heads, num_layers=a.num_layers, num_cls_layers=a.num_cls_layers, fc_params=[],
        )  # fmt: skip

    def forward(
        self, x: torch.Tensor, p4: torch.Tensor, kin: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        m = mask.unsqueeze(1).float()
        return self.net(x.transpose(1, 2), p4.transpose(1, 2), m)  # type: ignore[no-any-return]


class HaliteNet(nn.Module):
    """halite's ParticleTransformer backbone (raw features + ``pt, eta, phi, energy``) and a linear head."""

    def __init__(self, num_features: int, a: argparse.Namespace) -> None:
        super().__init__()
        from halite.nn.backbone import InputInfo
        from halite.nn.point.part import ParticleTransformer

        opts = VARIANTS[a.variant]
        self.net = ParticleTransformer(
            "particles", embed_dims=a.embed_dims, pair_embed_dims=a.pair_embed_dims, num_heads=a.num_heads,
            num_layers=a.num_layers, num_cls_layers=a.num_cls_layers, **opts,
        )  # fmt: skip
        names = [*FEATURES[:num_features], "pt", "eta", "phi", "energy"]
        norm = {n: {"mean": 0.0, "std": 1.0} for n in names}  # features come standardised; kinematics raw
        info = InputInfo(
            {"particles": names, "jets": ["pt"]},
            {"particles": norm, "jets": {"pt": {"mean": 0.0, "std": 1.0}}},
            "jets",
            ("particles",),
        )
        self.net.build(info)
        self.head = nn.Linear(self.net.out_features, 2)

    def forward(
        self, x: torch.Tensor, p4: torch.Tensor, kin: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        inputs = {"particles": torch.cat([x, kin], -1), "jets": torch.zeros(x.shape[0], 1)}
        return self.head(self.net(inputs, {"particles": ~mask}))  # type: ignore[no-any-return]


#: halite ParticleTransformer options per ``--variant`` (``weaver``: its defaults, weaver's network)
VARIANTS: dict[str, dict[str, bool]] = {
    "weaver": {},
    "no-input-bn": {"input_batch_norm": False},
    "no-pair-bn": {"pair_batch_norm": False},
    "embed-kinematics": {"embed_kinematics": True},
    "halite-v1": {"input_batch_norm": False, "pair_batch_norm": False, "embed_kinematics": True},
}


def batches(data: dict[str, np.ndarray], idx: np.ndarray, size: int) -> Any:
    """Tensors per batch of ``idx``, cut to the batch's longest jet."""
    for s in range(0, len(idx), size):
        b = idx[s : s + size]
        n = max(1, int(data["mask"][b].sum(1).max()))
        yield (
            tuple(
                torch.from_numpy(np.ascontiguousarray(data[k][b][:, :n])) for k in ("x", "p4", "kin", "mask")
            ),
            (torch.from_numpy(data["y"][b])),
        )


@torch.no_grad()
def predict(model: nn.Module, data: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, float]:
    """Top/quark probability per jet and the mean cross-entropy."""
    model.eval()
    scores, loss, n = [], 0.0, 0
    for inputs, y in batches(data, np.arange(len(data["y"])), size):
        logits = model(*inputs)
        loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
        n += len(y)
        scores.append(torch.softmax(logits, -1)[:, 1].numpy())
    return np.concatenate(scores), loss / max(n, 1)


def rss_mb() -> float:
    """Peak resident memory of this process so far, MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    """Resident memory of this process now, MB (``/proc/self/statm``; the peak where it is missing)."""
    try:
        resident = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return rss_mb()
    return resident * resource.getpagesize() / 2**20


#: the points of a run where its memory is recorded (``rss_stages``: now and peak so far, MB)
STAGES = ("imports", "data", "model", "train_epoch1", "val_epoch1", "train", "test")


class Memory:
    """Resident memory now and peak so far at the named stages of a run."""

    def __init__(self) -> None:
        self.now: dict[str, float] = {}
        self.peak: dict[str, float] = {}

    def mark(self, stage: str) -> None:
        self.now[stage], self.peak[stage] = rss_now_mb(), rss_mb()

    def arrays(self) -> dict[str, np.ndarray]:
        names = [s for s in STAGES if s in self.now]
        return {
            "rss_stages": np.array(names),
            "rss_stage_now": np.array([self.now[s] for s in names]),
            "rss_stage_peak": np.array([self.peak[s] for s in names]),
        }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--side", choices=["weaver", "halite"], required=True)
    p.add_argument("--data", type=Path, required=True, help="folder with train.h5, val.h5, test.h5")
    p.add_argument("--sample", choices=sorted(LABELS), required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--optimizer", default="ranger")
    p.add_argument("--num-constituents", type=int, default=64)
    p.add_argument("--max-train", type=int, default=None)
    p.add_argument("--max-eval", type=int, default=None)
    p.add_argument("--embed-dims", type=lambda s: [int(v) for v in s.split(",")], default=[64, 64, 64])
    p.add_argument("--pair-embed-dims", type=lambda s: [int(v) for v in s.split(",")], default=[64, 64, 64])
    p.add_argument("--num-heads", type=int, default=4)
    p.add_argument("--num-layers", type=int, default=4)
    p.add_argument("--num-cls-layers", type=int, default=2)
    p.add_argument("--variant", choices=sorted(VARIANTS), default="weaver")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--malloc",
        default="system",
        help="halite side: the allocator policy of `halite fit --malloc` (same default)",
    )
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    mem = Memory()
    if a.side == "weaver":  # the side's network module, imported before anything is measured
        import weaver.nn.model.ParticleTransformer  # noqa: F401
    else:
        import halite.nn.point.part  # noqa: F401
        from halite.training.malloc import set_malloc_policy

        set_malloc_policy(a.malloc)  # as HaliteCLI does before it builds anything
    mem.mark("imports")
    label = LABELS[a.sample]
    splits = {
        s: load(a.data / f"{s}.h5", label, a.num_constituents, a.max_train if s == "train" else a.max_eval)
        for s in ("train", "val", "test")
    }
    standardise(splits)
    rss_data = rss_mb()
    mem.mark("data")
    torch.manual_seed(a.seed)
    model = (WeaverNet if a.side == "weaver" else HaliteNet)(len(FEATURES), a)
    params = sum(q.numel() for q in model.parameters())
    mem.mark("model")
    tr = splits["train"]
    steps = math.ceil(len(tr["y"]) / a.batch_size)
    opt, sched, every = make_optimiser(model, a.optimizer, a.lr, a.epochs, steps)
    rng = np.random.default_rng(a.seed)
    best, best_loss, train_time, train_cpu, seen = None, math.inf, 0.0, 0.0, 0
    for epoch in range(a.epochs):
        model.train()
        t0, c0 = time.perf_counter(), time.process_time()
        for inputs, y in batches(tr, rng.permutation(len(tr["y"])), a.batch_size):
            loss = nn.functional.cross_entropy(model(*inputs), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if every == "step":
                sched.step()
            seen += len(y)
        if every == "epoch":
            sched.step()
        train_time += time.perf_counter() - t0
        train_cpu += time.process_time() - c0
        if epoch == 0:
            mem.mark("train_epoch1")
        _, val_loss = predict(model, splits["val"], 512)
        if epoch == 0:
            mem.mark("val_epoch1")
        if val_loss < best_loss:
            best_loss, best = val_loss, copy.deepcopy(model.state_dict())
    mem.mark("train")
    if best is not None:
        model.load_state_dict(best)
    t0, c0 = time.perf_counter(), time.process_time()
    scores, _ = predict(model, splits["test"], 512)
    test_time, test_cpu = time.perf_counter() - t0, time.process_time() - c0
    mem.mark("test")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_suffix(".tmp.npz")
    np.savez(
        tmp, scores=scores, labels=splits["test"]["y"], train_time=train_time, train_cpu=train_cpu, seen=seen,
        test_time=test_time, test_cpu=test_cpu, params=params,
        rss_peak=rss_mb(), rss_data=rss_data, val_loss=best_loss, **mem.arrays(),
    )  # fmt: skip
    tmp.replace(a.out)


if __name__ == "__main__":
    main()
