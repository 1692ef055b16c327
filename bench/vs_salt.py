"""halite vs salt 0.13 on salt's own GN2 config file: training and test jets/s, peak RSS, the model.

Usage: python bench/vs_salt.py [--reps 3] [--threads 2] [--num-train 6000] [--num-test 5000]
       python bench/vs_salt.py --install-only

Both frameworks run the same file, salt 0.13's ``GN2/GN2.yaml`` as shipped in umami-hep/salt (kept in
``tests/compat/configs/GN2.yaml``: identical apart from a header comment and placeholder data paths),
through their own command lines with the same overrides (``shared_args``: data files, norm and class
dicts, ``num_train`` / ``num_val``, batch size, ``max_epochs=1``, ``accelerator=cpu``, 32-bit precision,
the offline logger salt's tests pass): ``salt fit`` / ``salt test`` (``salt.main.main``) and
``halite fit`` / ``halite test`` (``halite.commands.main``, which translates the salt config itself).
Each rep runs one framework's fit then test in a fresh process, salt and halite alternately, on one
dataset in salt's layout (``halite synth``'s generator, a tenth of the light jets relabelled as taus
for GN2's fourth class). A timing callback, added to every Trainer, measures training and test jets/s
after a warm-up batch, the loss of the sanity-check validation batch (same jets on both sides, before
any update), and the parameters. Prints medians and the ratios halite/salt.

``bench/.venv-salt`` holds ``salt-ml==0.13.0`` (``--no-deps``) and the packages its CLI imports, on the
project's CPU torch (``torch==2.13.0+cpu``, kept by a constraints file; no torchvision). The earlier
"halite twin" mode (halite's ``configs/GN2.yaml`` against a hand-built salt model) is gone: one config
file on both sides measures what a salt user would get. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SALT_VENV = ROOT / "bench" / ".venv-salt"
SALT_PY = SALT_VENV / "bin" / "python"
DATA = ROOT / "bench" / "data"
#: salt 0.13's GN2/GN2.yaml (umami-hep/salt), as the compat tests keep it
SALT_CONFIG = ROOT / "tests" / "compat" / "configs" / "GN2.yaml"
TRACK_VARS = [
    "d0", "z0SinTheta", "dphi", "deta", "qOverP", "IP3D_signed_d0_significance",
    "IP3D_signed_z0_significance", "phiUncertainty", "thetaUncertainty", "qOverPUncertainty",
    "numberOfPixelHits", "numberOfSCTHits", "numberOfInnermostPixelLayerHits",
    "numberOfNextToInnermostPixelLayerHits", "numberOfInnermostPixelLayerSharedHits",
    "numberOfInnermostPixelLayerSplitHits", "numberOfPixelSharedHits", "numberOfPixelSplitHits",
    "numberOfSCTSharedHits", "leptonID",
]  # fmt: skip
#: the norm dict's variables: salt GN2's and halite configs/GN2.yaml's (which adds leptonID)
VARIABLES = {"jets": ["pt_btagJes", "eta_btagJes"], "tracks": TRACK_VARS}
#: class labels the GN2 tasks read (their class dict entries)
CLASS_LABELS = {"jets": ["flavour_label"], "tracks": ["ftagTruthOriginLabel"]}
SALT_VERSION = "0.13.0"
#: the project's torch, the local CPU wheel (``+cpu``: never a CUDA build, never torchvision)
TORCH_PIN = "torch==2.13.0+cpu"
#: what salt 0.13 imports for its CLI, datasets, models, callbacks and the Lightning wrapper, with their
#: own dependencies (salt's pins on torch 2.12, puma-hep, umami-preprocessing and onnx are for
#: features not benchmarked here, so salt itself and atlas-ftag-tools install with ``--no-deps``);
#: comet_ml: salt's ``main`` imports it and its ``base.yaml`` logger is an (offline) CometLogger
SALT_DEPS = [
    "lightning==2.6.1",
    "torchmetrics==1.8.2",
    "jsonargparse[signatures]>=4.32.0",
    "h5py",
    "hdf5plugin",
    "numpy",
    "pyyaml",
    "scipy",
    "pandas",
    "rich",
    "tqdm",
    "filelock",
    "lion-pytorch",
    "comet_ml",
]


def salt_check_command(cuda: bool = False) -> list[str]:
    """The command that proves the salt venv works: salt's CLI imports, torch is the CPU build (no
    torchvision), or with ``cuda`` the machine's own torch and it sees a GPU."""
    code = "import importlib.util, torch, salt.main, salt.modelwrapper, salt.data, salt.models; "
    if cuda:
        code += "assert torch.cuda.is_available(), 'torch sees no CUDA device'"
    else:
        code += (
            "assert torch.__version__.endswith('+cpu'), torch.__version__; "
            "assert importlib.util.find_spec('torchvision') is None, 'torchvision is installed'"
        )
    return [str(SALT_PY), "-c", code]


def ensure_salt(cuda: bool = False, wheels: Path | None = None) -> float:
    """Create ``bench/.venv-salt`` with salt 0.13 unless it already works.

    Default: on the project's CPU torch. ``cuda``: a venv that also sees this interpreter's packages
    (a ``.pth`` file naming its site-packages: the machine's CUDA torch and Lightning, also when this
    Python is itself a venv), salt and what is missing added.
    ``wheels``: a folder of wheels to install from, without a package index (a machine offline).
    Returns the seconds the installation took (0 when the venv was already there).
    """
    if SALT_PY.exists() and subprocess.run(salt_check_command(cuda), capture_output=True).returncode == 0:
        return 0.0
    t0 = time.perf_counter()
    print(f"installing salt-ml=={SALT_VERSION} into {SALT_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SALT_VENV)], check=True)
    if cuda:
        site = subprocess.run(
            [str(SALT_PY), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        parent = [p for p in sys.path if p.rstrip("/").endswith(("site-packages", "dist-packages"))]
        (Path(site) / "_bench_parent_site.pth").write_text("\n".join(parent) + "\n")
    pip = [str(SALT_PY), "-m", "pip", "install", "-q"]
    if wheels is not None:
        pip += ["--no-index", "--find-links", str(wheels)]
    if cuda:  # the machine's torch and Lightning stay; only what is missing is added
        deps = [d.split("==")[0] for d in SALT_DEPS]
    else:
        pins = SALT_VENV / "bench-constraints.txt"  # every later install keeps this torch
        pins.write_text(TORCH_PIN + "\n")
        pip += ["-c", str(pins)]
        subprocess.run([*pip, TORCH_PIN], check=True)
        deps = SALT_DEPS
    subprocess.run([*pip, "--no-deps", f"salt-ml=={SALT_VERSION}", "atlas-ftag-tools==0.3.3"], check=True)
    subprocess.run([*pip, *deps], check=True)
    res = subprocess.run(salt_check_command(cuda), capture_output=True, text=True)
    if res.returncode:
        msg = f"salt does not import in {SALT_VENV} (delete the folder to reinstall):\n{res.stderr[-2000:]}"
        raise RuntimeError(msg)
    seconds = time.perf_counter() - t0
    print(f"installed salt in {seconds:.0f} s", flush=True)
    return seconds


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- data
def make_data(num_jets: int, num_test: int, taus: bool = False, folder: Path = DATA) -> dict[str, Path]:
    """Train/test files in salt's layout plus norm and class dicts (reused when present).

    The norm dict covers ``VARIABLES`` (every variable salt's GN2 and halite's ``configs/GN2.yaml``
    read). ``taus``: a tenth of the light jets become taus (``flavour_label`` 3, class names ``bjets,
    cjets, ujets, taus`` in the file's attribute, where salt reads them) for salt GN2's four-class head;
    without it the files are the three-class ones ``bench/limits.py`` and ``bench/memory.py`` use.
    ``folder``: where the files go (default ``bench/data``).
    """
    sys.path.insert(0, str(ROOT))
    import h5py
    import numpy as np
    import yaml

    from halite.data.prep import compute_class_dict, compute_norm_dict
    from halite.data.synthetic import FLAVOUR_NAMES, write_file
    from halite.io import atomic_path

    tag = "_taus" if taus else ""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "train": folder / f"vs_salt_train_{num_jets}{tag}.h5",
        "test": folder / f"vs_salt_test_{num_test}{tag}.h5",
        "norm_dict": folder / f"vs_salt_norm_{num_jets}{tag}.yaml",
        "class_dict": folder / f"vs_salt_class_{num_jets}{tag}.yaml",
    }
    for key, num, seed in (("train", num_jets, 11), ("test", num_test, 12)):
        if paths[key].exists():
            continue
        with atomic_path(paths[key]) as tmp:
            write_file(tmp, num, seed=seed)
            if not taus:
                continue
            with h5py.File(tmp, "r+") as f:
                jets = f["jets"][:]
                rng = np.random.default_rng([seed, 15])  # not the generator's own stream (seed)
                light = jets["flavour_label"] == FLAVOUR_NAMES.index("ujets")
                jets["flavour_label"][light & (rng.random(len(jets)) < 0.1)] = len(FLAVOUR_NAMES)
                f["jets"][...] = jets
                f["jets"].attrs["flavour_label"] = [*FLAVOUR_NAMES, "taus"]
    if not paths["class_dict"].exists():
        with atomic_path(paths["norm_dict"]) as tmp:
            tmp.write_text(yaml.safe_dump(compute_norm_dict(paths["train"], VARIABLES)))
        with atomic_path(paths["class_dict"]) as tmp:
            tmp.write_text(yaml.safe_dump(compute_class_dict(paths["train"], CLASS_LABELS)))
    return paths


def gn2_config() -> Path:
    """halite's ``configs/GN2.yaml`` with the jet-flavour and track-origin tasks (``bench/limits.py``'s model).

    Not used here any more (both sides run salt's own GN2 file); kept for ``bench/limits.py``.
    """
    import yaml

    cfg = yaml.safe_load((ROOT / "configs" / "GN2.yaml").read_text())
    tasks = cfg["model"]["model"]["init_args"]["tasks"]
    cfg["model"]["model"]["init_args"]["tasks"] = [
        t for t in tasks if t["init_args"]["name"] in ("jets_classification", "track_origin")
    ]
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "GN2_jets_tracks.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


# ----------------------------------------------------------------------------- command lines
def shared_args(
    config: str | os.PathLike[str],
    paths: Mapping[str, str | os.PathLike[str]],
    root_dir: str | os.PathLike[str],
    *,
    num_train: int,
    num_val: int,
    batch_size: int,
    workers: int,
    precision: str = "32",
    extra: Sequence[str] = (),
) -> list[str]:
    """``fit`` arguments, the same for ``salt`` and ``halite``: salt's test_pipeline overrides, sized.

    ``extra`` are further ``KEY=VALUE`` overrides (``--set``), passed to both as ``--KEY=VALUE``.
    """
    args = [
        "fit",
        f"--config={config}",
        f"--data.train_file={paths['train']}",
        f"--data.val_file={paths['train']}",
        f"--data.norm_dict={paths['norm_dict']}",
        f"--data.class_dict={paths['class_dict']}",
        f"--data.num_train={num_train}",
        f"--data.num_val={num_val}",
        f"--data.batch_size={batch_size}",
        f"--data.num_workers={workers}",
        "--trainer.max_epochs=1",
        "--trainer.accelerator=cpu",
        "--trainer.devices=1",
        f"--trainer.precision={precision}",
        f"--trainer.default_root_dir={root_dir}",
        "--trainer.logger.init_args.online=False",
    ]
    for item in extra:
        if "=" not in item or item.startswith("-"):
            msg = f"--set {item!r}: expected KEY=VALUE without dashes, e.g. data.num_workers=2."
            raise ValueError(msg)
        args.append(f"--{item}")
    return args


# ----------------------------------------------------------------------------- driver
def run_worker(framework: str, cfg: dict, log: Path) -> dict:
    """Run ``worker`` in a fresh process of the framework's Python; its output goes to ``log``."""
    py = str(SALT_PY) if framework == "salt" else sys.executable
    cmd = [py, str(Path(__file__).resolve().parent / "vs_salt_worker.py"), framework, json.dumps(cfg)]
    env = {**os.environ, "OMP_NUM_THREADS": str(cfg["threads"])}
    if framework == "salt":
        env.pop("PYTHONPATH", None)  # salt's venv: nothing of halite's
        # salt's CLI refuses to train from a git tree with uncommitted changes (ftag.git_check); its
        # package lies inside this repository only because bench/.venv-salt does: git stops above it
        env["GIT_CEILING_DIRECTORIES"] = str(SALT_VENV)
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cfg["root_dir"])
    log.write_text(res.stdout + "\n----- stderr\n" + res.stderr)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode or not lines:
        msg = f"{framework} worker failed (exit {res.returncode}), log {log}:\n{res.stderr[-3000:]}"
        raise RuntimeError(msg)
    return json.loads(lines[-1][len("RESULT ") :])


#: (row label, result key, format) of the table
ROWS = [
    ("training      [jets/s]", "train", "{:10.1f}"),
    ("test          [jets/s]", "test", "{:10.1f}"),
    ("training      [jets/CPU-s]", "train_cpu", "{:10.1f}"),
    ("test          [jets/CPU-s]", "test_cpu", "{:10.1f}"),
    ("fit command   [s]", "fit_wall", "{:10.1f}"),
    ("test command  [s]", "test_wall", "{:10.1f}"),
    ("peak RSS fit  [MiB]", "rss_fit", "{:10.0f}"),
    ("peak RSS      [MiB]", "rss", "{:10.0f}"),
]


def medians(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Median of each numeric result over reps; other values from the first rep."""
    first = results[0]
    return {
        k: statistics.median(r[k] for r in results) if isinstance(v, int | float) else v
        for k, v in first.items()
    }


def format_table(salt: Mapping[str, Any], halite: Mapping[str, Any]) -> str:
    """The comparison table: speed, memory, parameters and losses of both, with halite/salt ratios."""
    lines = [f"{'median':28s} {'salt':>10s} {'halite':>10s} {'halite/salt':>12s}"]
    for label, key, fmt in ROWS:
        s, h = float(salt[key]), float(halite[key])
        ratio = f"{h / s:11.2f}x" if s else f"{'-':>12s}"
        lines.append(f"{label:28s} {fmt.format(s)} {fmt.format(h)} {ratio}")
    ps, ph = salt["params"], halite["params"]
    lines.append(
        f"{'parameters':28s} {ps['total']:10,d} {ph['total']:10,d} {ph['total'] - ps['total']:+11,d}"
    )
    lines.append(f"{'  in norm layers':28s} {ps['norm layers']:10,d} {ph['norm layers']:10,d}")

    def row(label: str, s: float, h: float) -> None:
        lines.append(f"{label:28s} {s:10.4f} {h:10.4f} {h / s:11.2f}x")

    nan = float("nan")
    row("loss, sanity val batch 0", salt.get("init_loss", nan), halite.get("init_loss", nan))
    ts, th = salt.get("init_task_losses") or {}, halite.get("init_task_losses") or {}
    for task in sorted({*ts, *th}):  # each task's term of the total, its task weight applied
        row(f"  {task}", ts.get(task, nan), th.get(task, nan))
    row("loss, first train batch", salt.get("first_train_loss", nan), halite.get("first_train_loss", nan))
    same = salt.get("init_batch") == halite.get("init_batch")
    lines.append(
        f"sanity val batch 0: salt {salt.get('init_batch')}, halite {halite.get('init_batch')} "
        f"({'the same jets' if same else 'DIFFERENT jets: the losses are not comparable'})"
    )
    lines.append(f"salt attention modules' attn_type: {', '.join(salt.get('attn_types') or ['-'])}")
    for name, counts in (("salt", ps), ("halite", ph)):
        parts = ", ".join(f"{k[len('model.') :]} {v:,d}" for k, v in counts.items() if k.startswith("model."))
        lines.append(f"{name} parameters by block: {parts}")
    return "\n".join(lines)


def salt_versions() -> dict[str, str]:
    """salt-ml, torch and lightning versions in ``bench/.venv-salt``."""
    code = (
        "import importlib.metadata as m, json, torch; "
        "print(json.dumps({'salt': m.version('salt-ml'), 'torch': torch.__version__, 'lightning': m.version('lightning')}))"
    )
    return json.loads(
        subprocess.run([str(SALT_PY), "-c", code], capture_output=True, text=True, check=True).stdout
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="alternating runs per framework (medians)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--config", type=Path, default=SALT_CONFIG, help="the salt config both run")
    ap.add_argument("--num-train", type=int, default=6_000, help="jets in the training file and pass")
    ap.add_argument("--num-val", type=int, default=2_000, help="jets validated after the epoch")
    ap.add_argument("--num-test", type=int, default=5_000, help="jets in the test file")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=0, help="loader worker processes (both)")
    ap.add_argument(
        "--precision", default="32", help="trainer.precision for both (GN2.yaml: 16-mixed, a GPU setting)"
    )
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="another override for both"
    )
    ap.add_argument("--install-only", action="store_true", help="set up bench/.venv-salt and exit")
    args = ap.parse_args()
    install_s = ensure_salt()
    if args.install_only:
        return
    config = args.config.resolve()
    paths = make_data(args.num_train, args.num_test, taus=True)
    versions = salt_versions()
    import torch

    print(f"config: {config} (sha256 {file_sha256(config)})")
    print(
        f"salt {versions['salt']} (torch {versions['torch']}, lightning {versions['lightning']}) vs halite "
        f"(torch {torch.__version__}) | {args.threads} torch threads, batch {args.batch_size}, "
        f"{args.workers} loader workers, precision {args.precision}, fit: 1 epoch of {args.num_train} jets "
        f"(timed after the first batch) + {args.num_val} validated, test: {args.num_test} jets, "
        f"{args.reps} alternating reps" + (f", salt installed in {install_s:.0f} s" if install_s else ""),
        flush=True,
    )
    results: dict[str, list[dict]] = {"salt": [], "halite": []}
    for rep in range(args.reps):
        for fw in ["salt", "halite"] if rep % 2 == 0 else ["halite", "salt"]:
            root = DATA / "runs" / f"{fw}_{rep}_{time.strftime('%Y%m%d-%H%M%S')}"
            root.mkdir(parents=True)
            cfg = {
                "threads": args.threads,
                "root_dir": str(root),
                "fit_args": shared_args(
                    config, paths, root, num_train=args.num_train, num_val=args.num_val,
                    batch_size=args.batch_size, workers=args.workers, precision=args.precision, extra=args.set,
                ),
                "test_file": str(paths["test"]),
                "test_kwargs": {"num_test": args.num_test, "batch_size": args.batch_size, "workers": args.workers},
            }  # fmt: skip
            r = run_worker(fw, cfg, root / "worker.log")
            results[fw].append(r)
            print(
                f"  rep {rep} {fw:6s}: train {r['train']:7.1f}  test {r['test']:7.1f} jets/s  "
                f"fit {r['fit_wall']:5.1f} s  test {r['test_wall']:5.1f} s  rss {r['rss']:6.0f} MiB  ({root})",
                flush=True,
            )
    print()
    print(format_table(medians(results["salt"]), medians(results["halite"])))
    print("jets/s: wall clock, from the end of the first batch to the end of the last; jets/CPU-s: per")
    print("second of process CPU time (all threads), less sensitive to other load. test: Trainer.test with")
    print("each framework's prediction writer. fit / test command: the whole call, start-up included.")


if __name__ == "__main__":
    main()
