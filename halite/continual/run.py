"""A continual-learning run: the ``continual`` section of a config (``halite continual``, ``halite fit``).

A config has a top-level ``name``, ``seed_everything`` and a ``continual`` section: the
paradigm, the benchmark (the task sequence), the backbone, the algorithm and the
training options. Outputs go to ``<continual.output_dir>/<name>_<time>/``: the resolved
``config.yaml``, the metrics (CSV + PNG, see ``halite.continual.metrics``), the final
model's ``model.pt`` state dict (``model_task<i>.pt`` per task for ``stl``) and, on the
Lightning engine, ``metrics.csv``, TensorBoard events and ``ckpts/`` (see
``halite.continual.sequence``). With
``objective: regression`` (options in ``continual.regression``, see
``halite.continual.objective.RegressionConfig``) the learner is a ``RegressionLearner`` (til or
dil) and the metric files hold the relative resolution (``resolution_matrix.csv``, ...,
lower is better) instead of the accuracy. Tasks are numbered
from 1 (CLArena's convention): ``tasks[k]`` of the benchmark is task ``k + 1`` in the heads
(``heads.<id>.*`` keys), the logs and the file names.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
from pathlib import Path
from typing import cast

import numpy as np
import torch
import yaml

from halite.continual.algorithms import ContinualAlgorithm, Finetuning
from halite.continual.backbones import Backbone
from halite.continual.data import Benchmark, TaskData
from halite.continual.evaluation import random_init_scores
from halite.continual.learner import Learner, Paradigm
from halite.continual.loop import TrainingConfig, run_multitask, run_sequence, run_single_tasks
from halite.continual.metrics import summarise, write_continual_metrics, write_task_accuracy
from halite.continual.objective import SCORE, Objective, RegressionConfig, check_objective, check_targets
from halite.continual.regression import RegressionLearner
from halite.io import atomic_path

log = logging.getLogger(__name__)


class ContinualRun:
    """The ``continual`` section of a config.

    Parameters
    ----------
    paradigm
        ``til`` / ``cil`` / ``dil`` (tasks in sequence), ``mtl`` (all tasks jointly) or
        ``stl`` (one model per task).
    benchmark
        The tasks in order, e.g. ``halite.continual.digits.SplitDigits``.
    backbone
        Feature extractor shared by the heads, e.g. ``halite.continual.backbones.MLPBackbone``.
    algorithm
        Continual-learning algorithm (default: ``Finetuning``); ``mtl``/``stl`` take only
        ``Finetuning``.
    training
        Optimisation of every task.
    output_dir
        Parent folder of the run directory.
    objective
        ``classification`` (a ``Learner``, accuracy; default) or ``regression`` (a
        ``RegressionLearner`` on the benchmark's float targets, relative resolution; ``til`` or
        ``dil``, and no algorithm built on class logits: LwF, DER, DER++, HAT).
    regression
        Options of the regression learner (target transform, resolution statistic); only with
        ``objective: regression`` (default: ``RegressionConfig()``).
    """

    def __init__(
        self,
        paradigm: Paradigm,
        benchmark: Benchmark,
        backbone: Backbone,
        algorithm: ContinualAlgorithm | None = None,
        training: TrainingConfig | None = None,
        output_dir: str = "logs",
        objective: Objective = "classification",
        regression: RegressionConfig | None = None,
    ) -> None:
        self.paradigm = paradigm
        self.benchmark = benchmark
        self.backbone = backbone
        self.algorithm = algorithm or Finetuning()
        self.training = training or TrainingConfig()
        self.output_dir = output_dir
        if paradigm in ("mtl", "stl") and type(self.algorithm) is not Finetuning:
            msg = (
                f"continual.algorithm {type(self.algorithm).__name__} needs a task sequence; the '{paradigm}' "
                f"paradigm trains without one. Remove continual.algorithm or use til, cil or dil."
            )
            raise ValueError(msg)
        check_objective(objective, paradigm, self.algorithm, regression)
        self.objective = objective
        self.regression = (
            regression if regression is not None or objective != "regression" else RegressionConfig()
        )

    @property
    def score(self) -> str:
        """The score of the metric files: ``accuracy`` or ``resolution``."""
        return SCORE[self.objective]

    def make_learner(self, tasks: list[TaskData] | None = None) -> Learner | RegressionLearner:
        """A fresh learner: a copy of the (unbuilt) backbone, built for the benchmark's inputs.

        A regression learner takes its output offset and scale from ``tasks[0]``'s training targets.
        """
        backbone = copy.deepcopy(self.backbone)
        backbone.build(self.benchmark.input_info())
        if self.regression is None:
            return Learner(backbone, self.paradigm)
        if tasks is None:
            msg = "ContinualRun.make_learner needs the tasks for continual.objective: regression (the target scale)."
            raise ValueError(msg)
        return self.regression.learner(backbone, self.paradigm, tasks)

    def run(self, run_dir: Path, resume: bool = False) -> dict[str, float]:
        """Train, evaluate and write the metrics into ``run_dir``; return the final summary.

        ``resume``: continue the run in ``run_dir`` where it stopped (``til`` / ``cil`` / ``dil``
        on the Lightning engine, see ``halite.continual.sequence``). Under DDP every rank runs
        this and rank 0 writes the files.
        """
        tasks = self.benchmark.tasks()
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            msg = f"Task names must be unique, got {names}. Set a distinct name per task."
            raise ValueError(msg)
        if self.paradigm == "dil" and len({t.num_classes for t in tasks}) > 1:
            msg = (
                f"The dil paradigm needs the same classes in every task; got {[t.class_names for t in tasks]}. "
                f"Use cil for new classes."
            )
            raise ValueError(msg)
        check_targets(self.objective, tasks, self.regression)
        sequence = self.paradigm in ("til", "cil", "dil")
        if resume and not (sequence and self.training.engine == "lightning"):
            msg = (
                f"Resuming needs a task sequence (til, cil, dil) on continual.training.engine: lightning; this run "
                f"is '{self.paradigm}' on '{self.training.engine}'. Start it again without --ckpt_path."
            )
            raise ValueError(msg)
        if not sequence and self.training.engine == "lightning" and not self.training.single_process:
            msg = (
                f"The '{self.paradigm}' paradigm trains in one process; remove continual.training.devices / "
                f"strategy / num_nodes."
            )
            raise ValueError(msg)
        log.info(f"continual {self.paradigm} / {type(self.algorithm).__name__}: {len(tasks)} tasks {names}")
        if self.paradigm == "stl":
            accuracy, learners = run_single_tasks(self._classifier, tasks, self.training)
            write_task_accuracy(run_dir, accuracy, names)
            for i, single in enumerate(learners, start=1):
                with atomic_path(run_dir / f"model_task{i}.pt") as tmp:
                    torch.save(single.state_dict(), tmp)
            return {"average_accuracy": float(np.mean(accuracy))}
        learner = self.make_learner(tasks)
        if self.paradigm == "mtl":
            accuracy = run_multitask(cast(Learner, learner), tasks, self.training)
            write_task_accuracy(run_dir, accuracy, names)
            summary = {"average_accuracy": float(np.mean(accuracy))}
        else:
            initial: np.ndarray | None = None
            if not resume:
                initial = random_init_scores(
                    learner, tasks, self.training.eval_batch_size, self.training.device
                )
            if self.training.engine == "lightning":
                from halite.continual.sequence import run_sequence_lightning

                acc, initial = run_sequence_lightning(
                    learner, self.algorithm, tasks, self.training, run_dir, initial, resume
                )
            else:  # the loop and the algorithms call only what both learners offer (setup_task, features, loss)
                acc = run_sequence(cast(Learner, learner), self.algorithm, tasks, self.training)
            summary = summarise(acc, initial, self.score)
            if is_rank_zero():
                write_continual_metrics(run_dir, acc, names, initial, self.score)
        if is_rank_zero():
            with atomic_path(run_dir / "model.pt") as tmp:
                torch.save(learner.state_dict(), tmp)
        return summary

    def _classifier(self) -> Learner:
        """A fresh classification learner (mtl / stl, which take no regression)."""
        return cast(Learner, self.make_learner())


def is_rank_zero() -> bool:
    """Whether this process is rank 0 of a distributed run (or the only process): the one that writes files."""
    for var in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"):
        if os.environ.get(var, "0") not in ("", "0"):
            return False
    return True


def config_is_continual(argv: list[str]) -> bool:
    """Whether any ``--config`` file in ``argv`` has a top-level ``continual`` section."""
    paths = [b for a, b in itertools.pairwise(argv) if a == "--config"]
    paths += [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    for path in paths:
        p = Path(path)
        if p.is_file():
            try:
                data = yaml.safe_load(p.read_text())
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and "continual" in data:
                return True
    return False
