"""The LightningDataModule users configure under ``data:``."""

from __future__ import annotations

import os
import warnings
from typing import Literal

import lightning as L
from torch.utils.data import DataLoader

from halite.data.block_reader import reader_factory
from halite.data.columnar.config import ColumnarConfig
from halite.data.config_s3 import ConfigS3, activate, fetch, merge
from halite.data.dataset import JetDataset
from halite.data.derived import compile_new_variables
from halite.data.loader import ResumableLoader
from halite.data.multi_target import MultiTarget, read_specs
from halite.data.parameters import PARAMETERS as PARAMETERS_STREAM
from halite.data.parameters import ParameterConfig, check_parameters
from halite.data.readers import expand_files, read_label_names
from halite.data.remote import download, is_remote
from halite.data.specs import GLOBAL, InputSpec, LabelSpec
from halite.errors import DataError


def default_num_workers() -> int:
    """Loader workers suiting the machine: leave a core for the training process."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


class JetDataModule(L.LightningDataModule):
    """Salt-format HDF5 data: a global object plus constituent streams.

    Parameters
    ----------
    train_file, val_file, test_file
        A path, a glob, or a list of them.
    variables
        Input variables per stream, e.g. ``{"jets": [...], "tracks": [...]}``. Two special
        entries read from the global object's dataset (unless ``input_map`` says otherwise):
        ``GLOBAL`` (features concatenated to the pooled representation) and ``PARAMETERS``
        (parameterised networks, configured by ``PARAMETERS``).
    norm_dict
        Salt norm dict (``{stream: {var: {mean, std}}}``), e.g. from ``halite prep``.
    class_dict
        Salt class dict, used by tasks with ``use_class_dict``.
    input_map
        Internal stream name -> HDF5 dataset name (default: the same name).
    global_object
        The stream holding one row per jet (``jets``).
    num_inputs
        Truncation of constituent streams, e.g. ``{"tracks": 40}``.
    num_train, num_val, num_test
        Jets to use from each split (-1 = all).
    batch_size
        Jets per batch.
    num_workers
        Loader processes (default: cores - 1, at most 4).
    length_buckets
        Group training jets of similar constituent count to trim padding. ``None`` (default):
        on, except for a model that runs its constituents packed (``halite.models.Model``
        with a packing encoder, ``use_packed_model``): packing already skips the padding,
        and batches of long jets only raise the peak memory (by about a fifth for GN2).
    pin_memory
        Pin batches for faster host-to-GPU copies (default: when CUDA is available).
    non_finite
        ``error``: stop on NaN/inf inputs; ``zero``: replace them with 0; ``replace``: replace
        them with ``non_finite_value``. Replacements are logged with counts per variable.
    non_finite_value
        Replacement value for ``non_finite: replace``.
    seed
        Shuffling seed.
    columnar
        How jets are built from ROOT / parquet files (``.root`` / ``.parquet``): streams from
        branches, layout (one jet or one event per entry), selection, new variables, labels.
    new_variables
        Derived inputs of HDF5 files, stream -> name -> expression (``halite.data.derived``), e.g.
        ``{"particles": {"log_pt_rel": "log(pt / jets_pt)"}}``: bare names are the stream's fields,
        ``<global_object>_<field>`` the jet's. Use the new names in ``variables``. ROOT / parquet
        inputs take theirs in ``columnar.new_variables``.
    PARAMETERS
        Per parameter of ``variables.PARAMETERS``: ``train`` values, ``test`` value, optional
        ``prob`` (see ``halite.data.parameters``).
    download_s3
        Copy remote (``s3://``) data files to ``download_path`` before reading instead of
        streaming them (a file of the same size already there is reused).
    download_path
        Local cache folder of ``download_s3``.
    config_s3
        salt's S3 block (``use_S3, download_S3, pubKey, secKey, url, bucket, download_path,
        download_files``, see ``halite.data.config_s3``): its credentials serve every ``s3://``
        path of the run, and with ``download_S3`` the listed files (data, norm and class dicts)
        are copied to ``download_path`` and read from there.
    config_S3
        The same block as spelled before salt 0.11.1.
    bucket
        salt's S3 bucket (the ``bucket`` of ``config_s3``). A boolean is the old spelling of
        ``length_buckets`` (deprecated; kept so that old run configs load).
    multi_target
        salt's conditional targets: labels taken from one field or another per entry
        (``halite.data.multi_target``), e.g. a custom regression target.
    """

    def __init__(
        self,
        train_file: str | list[str],
        val_file: str | list[str],
        variables: dict[str, list[str]],
        norm_dict: str,
        test_file: str | list[str] | None = None,
        class_dict: str | None = None,
        input_map: dict[str, str] | None = None,
        global_object: str = "jets",
        num_inputs: dict[str, int] | None = None,
        num_train: int = -1,
        num_val: int = -1,
        num_test: int = -1,
        batch_size: int = 1000,
        num_workers: int | None = None,
        length_buckets: bool | None = None,
        pin_memory: bool | None = None,
        non_finite: Literal["error", "zero", "replace"] = "error",
        seed: int = 42,
        non_finite_value: float = 0.0,
        columnar: ColumnarConfig | None = None,
        PARAMETERS: dict[str, ParameterConfig] | None = None,
        download_s3: bool = False,
        download_path: str = "s3_cache",
        config_s3: ConfigS3 | None = None,
        config_S3: ConfigS3 | None = None,
        bucket: bool | str | None = None,
        multi_target: list[MultiTarget] | None = None,
        new_variables: dict[str, dict[str, str]] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(bucket, bool):
            warnings.warn(
                f"data.bucket: {str(bucket).lower()} is the old name of data.length_buckets (data.bucket is "
                f"now salt's S3 bucket); write data.length_buckets: {str(bucket).lower()}.",
                FutureWarning,
                stacklevel=2,
            )
            length_buckets, bucket = bucket, None
        self.PARAMETERS = PARAMETERS
        has_params = PARAMETERS_STREAM in variables
        self.parameter_configs = (
            check_parameters(list(variables[PARAMETERS_STREAM]), PARAMETERS) if has_params else None
        )
        if PARAMETERS and not has_params:
            msg = "data.PARAMETERS is set but data.variables has no PARAMETERS entry; list the parameters there."
            raise DataError(msg)
        if global_object not in variables:
            msg = (
                f"data.global_object '{global_object}' has no entry in data.variables "
                f"(streams: {sorted(variables)}). Add its variables (may be an empty list)."
            )
            raise DataError(msg)
        unknown = set(input_map or {}) - set(variables)
        if unknown:
            msg = f"data.input_map names streams {sorted(unknown)} that are not in data.variables {sorted(variables)}."
            raise DataError(msg)
        self.train_file = train_file
        self.val_file = val_file
        self.test_file = test_file
        self.variables = variables
        self.norm_dict = norm_dict
        self.class_dict = class_dict
        self.input_map = dict(input_map or {})
        self.global_object = global_object
        self.num_inputs = dict(num_inputs or {})
        self.num_train, self.num_val, self.num_test = num_train, num_val, num_test
        self.batch_size = batch_size
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.length_buckets = length_buckets
        self.model_packed = False  # set by use_packed_model
        self.pin_memory = pin_memory
        self.non_finite = non_finite
        self.non_finite_value = non_finite_value
        self.seed = seed
        self.columnar = columnar
        if columnar is not None:
            columnar.check(global_object)
        self.new_variables = {k: dict(v) for k, v in (new_variables or {}).items()}
        if self.new_variables and columnar is not None:
            msg = "data.new_variables is for HDF5 inputs; with data.columnar write them in data.columnar.new_variables."
            raise DataError(msg)
        compile_new_variables(self.new_variables, variables)  # a bad expression fails at parse time
        self.download_s3 = download_s3
        self.download_path = download_path
        self.config_s3 = merge(config_s3, config_S3, bucket)
        if self.config_s3 is not None:
            activate(self.config_s3)
            if self.config_s3.download_S3:  # before the model reads the norm / class dicts
                for key, value in fetch(
                    self.config_s3, {k: getattr(self, k) for k in self.config_s3.download_files}
                ).items():
                    setattr(self, key, value)
        self.multi_target = list(multi_target or [])
        self.labels: dict[str, list[LabelSpec]] = {}
        self.train_dataset: JetDataset | None = None

    def use_packed_model(self, packed: bool) -> None:
        """Tell the data whether the model packs its constituents (``length_buckets: None`` follows it)."""
        self.model_packed = packed

    @property
    def bucketing(self) -> bool:
        """Whether training batches are length-bucketed: ``length_buckets``, or when ``None``, unless
        the model packs its constituents."""
        return self.length_buckets if self.length_buckets is not None else not self.model_packed

    def require_labels(self, labels: dict[str, list[LabelSpec]]) -> None:
        """Labels to read, per stream (called by the model before loaders are built)."""
        unknown = set(labels) - set(self.variables)
        if unknown:
            msg = f"Tasks need labels from streams {sorted(unknown)} that are not in data.variables."
            raise DataError(msg)
        self.labels = read_specs(labels, self.multi_target)

    @property
    def label_names(self) -> dict[str, dict[str, list[str]]]:
        """Class names stored as dataset attributes, ``{stream: {label: [names]}}``.

        Read from the first file of the training split (else validation, else test)
        that exists; salt's dumps store e.g. ``f["jets"].attrs["flavour_label"]``.
        Attributes that are not lists of strings are skipped; ROOT / parquet inputs
        (``columnar``) carry none.
        """
        if self.columnar is not None:
            return {}
        for files in (self.train_file, self.val_file, self.test_file):
            if files is None:
                continue
            try:
                path = expand_files(files)[0]
            except (FileNotFoundError, IndexError):
                continue
            glob = self.input_map.get(self.global_object, self.global_object)
            special = {GLOBAL: glob, PARAMETERS_STREAM: glob}
            datasets = {s: special.get(s, self.input_map.get(s, s)) for s in self.variables}
            return read_label_names(path, datasets)
        return {}

    def input_specs(self) -> list[InputSpec]:
        """The streams to read, with their labels."""
        glob = self.input_map.get(self.global_object, self.global_object)
        special = {GLOBAL: glob, PARAMETERS_STREAM: glob}
        return [
            InputSpec(
                name=name,
                dataset=self.input_map.get(name, special.get(name, name)),
                variables=tuple(vars_),
                is_global=name == self.global_object or name in special,
                max_length=self.num_inputs.get(name),
                labels=tuple(self.labels.get(name, [])),
                new_variables=tuple(self.new_variables.get(name, {}).items()),
                global_ref=(self.global_object, glob),
            )
            for name, vars_ in self.variables.items()
        ]

    def dataset(self, split: Literal["train", "val", "test"]) -> JetDataset:
        """Build the dataset of one split."""
        files = {"train": self.train_file, "val": self.val_file, "test": self.test_file}[split]
        if files is None:
            msg = f"data.{split}_file is not set; pass --data.{split}_file PATH."
            raise DataError(msg)
        num = {"train": self.num_train, "val": self.num_val, "test": self.num_test}[split]
        paths = expand_files(files)
        if self.download_s3:
            paths = [download(str(p), self.download_path) if is_remote(p) else p for p in paths]
        specs = self.input_specs()
        return JetDataset(
            paths,
            specs,
            readers=reader_factory(paths, specs, self.columnar, self.global_object),
            batch_size=self.batch_size,
            num_jets=num,
            shuffle=split == "train",
            bucket=self.bucketing,
            seed=self.seed,
            non_finite=self.non_finite,
            non_finite_value=self.non_finite_value,
            parameters=self.parameter_configs,
            parameter_stage="test" if split == "test" else "train",
            multi_target=self.multi_target,
        )

    def loader(self, dataset: JetDataset, resumable: bool = False) -> DataLoader:
        """A DataLoader passing whole batches through (resumable mid-epoch for training)."""
        pin = self.pin_memory
        if pin is None:
            import torch

            pin = torch.cuda.is_available()
        cls = ResumableLoader if resumable else DataLoader
        return cls(
            dataset,
            batch_size=None,
            num_workers=self.num_workers,
            pin_memory=pin,
            persistent_workers=self.num_workers > 0,
            prefetch_factor=4 if self.num_workers > 0 else None,
        )

    def train_dataloader(self) -> DataLoader:
        self.train_dataset = self.dataset("train")
        return self.loader(self.train_dataset, resumable=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader(self.dataset("val"))

    def test_dataloader(self) -> DataLoader:
        return self.loader(self.dataset("test"))

    def predict_dataloader(self) -> DataLoader:
        return self.test_dataloader()
