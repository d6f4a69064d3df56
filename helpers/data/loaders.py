"""One entry point for every dataset of the workbook: :func:`load`.

``load(name, split)`` returns ``(images, labels)``: uint8 images (N, C, H, W) and int64 labels
(N,), or ``None`` for a dataset without labels (binarized MNIST). The source is the real dataset
(``"real"``) or its offline stand-in from :mod:`helpers.data.synthetic` (``"synthetic"``).

Real data lives under ``WORKBOOK_DATA_DIR`` (default: ``data/`` in the repository, or in the
working folder when the package is installed elsewhere), in the on-disk layouts of the
original files and of torchvision's datasets::

    <data_dir>/binarized_mnist/binarized_mnist_{train,valid,test}.amat
    <data_dir>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
    <data_dir>/svhn/{train,test}_32x32.mat        (or <data_dir>/{train,test}_32x32.mat)
    <data_dir>/cifar-10-batches-py/{data_batch_1..5,test_batch}

Each dataset is parsed once into ``<data_dir>/<name>.npz`` with keys ``x_<split>`` (uint8,
N x H x W x C) and ``y_<split>`` (int64). When that file exists it is used as it is, so
pre-extracted arrays can be dropped there. Missing files are downloaded when the network is up;
every write is atomic.

This module loads, checks and caches; :mod:`helpers.data.formats` knows each dataset's files
(:data:`DATASETS`, and how each format is fetched and parsed).
"""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
from torch import Tensor

from ..profiles import Profile, get_profile, resolve_data_source
from ..train.fileio import repo_root, save_npz
from . import standins, synthetic
from .formats import (
    DATASETS,
    LAYOUTS,
    Array,
    CorruptDatasetError,
    DatasetNotAvailableError,
    DatasetSpec,
)

__all__ = [
    "data_dir",
    "load",
]


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``path``, else ``WORKBOOK_DATA_DIR``, else ``data/`` of the checkout
    (or of the working folder when the package is installed from elsewhere)."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("WORKBOOK_DATA_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    root = repo_root()
    return (root if root is not None else Path.cwd()) / "data"


def _spec(name: str, split: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    spec = DATASETS[name]
    if split not in spec.splits:
        raise ValueError(
            f"unknown split {split!r} for dataset {name!r}; valid splits: {', '.join(spec.splits)}"
        )
    return spec


# --------------------------------------------------------------------------------------------
# Public entry point


def load(
    name: str,
    split: str,
    *,
    source: str | None = None,
    root: str | os.PathLike[str] | None = None,
    n: int | None = None,
    seed: int = 0,
    download: bool = True,
    profile: Profile | str | None = None,
    standin: str | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Load one split of a dataset as uint8 images and int64 labels.

    Args:
        name: ``binarized_mnist``, ``mnist``, ``svhn`` or ``cifar10``.
        split: ``train`` or ``test`` (and ``valid`` for ``binarized_mnist``).
        source: ``real`` or ``synthetic``; default ``WORKBOOK_DATA``, else the profile's.
        root: the data folder for real data (default :func:`data_dir`).
        n: stand-in images to generate (default: the profile's size); ignored for real data.
        seed: seed of the stand-in (each split gets its own stream).
        download: fetch missing real files when the network is up.
        profile: the profile (or its name) that sizes the stand-ins; default the active one.
        standin: for ``cifar10`` from the ``synthetic`` source, which stand-in
            (:data:`helpers.data.STANDINS`; default ``objects``). Ignored for real data.

    Returns:
        images: (N, C, H, W) uint8; values 0/1 for ``binarized_mnist``, else 0..255.
        labels: (N,) int64 in 0..9, or ``None`` for ``binarized_mnist``.

    Raises:
        ValueError: unknown name, split or source (the message lists the valid ones).
        DatasetNotAvailableError: real files missing and not downloadable (says how to fix it).
        CorruptDatasetError: a file that is truncated or malformed (names the file).
    """
    spec = _spec(name, split)
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    source = resolve_data_source(source, prof)
    if source == "synthetic":
        size = n if n is not None else prof.synthetic_size(split, spec.sizes[split])
        return _synthetic(spec, split, size, seed, standin)
    x, y = _load_real(spec, split, data_dir(root), download)
    images = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(y.astype(np.int64)) if y is not None else None
    return images, labels


def _synthetic(
    spec: DatasetSpec, split: str, n: int, seed: int, standin: str | None = None
) -> tuple[Tensor, Tensor | None]:
    stream = synthetic.seed_for(seed, spec.name, split)
    if standin is not None:
        if spec.name != "cifar10" or standin not in standins.STANDINS:
            raise ValueError(
                f"unknown stand-in {standin!r} for {spec.name}; cifar10 has "
                f"{', '.join(standins.STANDINS)}"
            )
        return standins.STANDINS[standin](n, stream)
    if spec.name == "binarized_mnist":
        return synthetic.digits(n, stream, binarized=True)[0], None
    if spec.name == "mnist":
        return synthetic.digits(n, stream)
    if spec.name == "svhn":
        return synthetic.house_numbers(n, stream)
    return synthetic.objects(n, stream)


# --------------------------------------------------------------------------------------------
# Real data: cache file, raw files, downloads


def cache_path(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """``<data_dir>/<name>.npz``."""
    return data_dir(root) / f"{name}.npz"


def _load_real(
    spec: DatasetSpec, split: str, root: Path, download: bool
) -> tuple[Array, Array | None]:
    cache = root / f"{spec.name}.npz"
    arrays: dict[str, Array] = {}
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except Exception as err:  # zip or header damage
            raise CorruptDatasetError(
                f"cannot read the cache file {cache}: {err}. Delete it; it is rebuilt from the "
                "original files."
            ) from None
        if f"x_{split}" in arrays:
            return _checked(spec, split, arrays, str(cache))
    x, y = _parse_raw(spec, split, root, download)
    arrays[f"x_{split}"] = x
    if y is not None:
        arrays[f"y_{split}"] = y
    _write_cache(cache, arrays)
    return x, y


def _write_cache(cache: Path, arrays: dict[str, Array]) -> None:
    try:
        save_npz(cache, arrays)
    except OSError as err:  # a read-only data folder: fine, only slower next time
        warnings.warn(
            f"could not write the cache file {cache} ({err}); parsing each time", stacklevel=3
        )


def _checked(
    spec: DatasetSpec, split: str, arrays: dict[str, Array], where: str
) -> tuple[Array, Array | None]:
    """Check a cached split against the spec; return (x NHWC uint8, y int64 or None)."""
    x = arrays[f"x_{split}"]
    c, h, w = spec.shape
    if x.ndim == 3 and c == 1:
        x = x[..., None]
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (h, w, c):
        raise CorruptDatasetError(
            f"{where}: x_{split} has dtype {x.dtype} and shape {x.shape}; expected uint8 "
            f"(N, {h}, {w}, {c}) for {spec.name}"
        )
    if spec.binary and x.size and x.max() > 1:
        raise CorruptDatasetError(f"{where}: x_{split} holds values other than 0 and 1")
    y = arrays.get(f"y_{split}")
    if spec.labelled:
        if y is None:
            raise CorruptDatasetError(f"{where}: has x_{split} but no y_{split}")
        if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise CorruptDatasetError(
                f"{where}: y_{split} has dtype {y.dtype} and shape {y.shape}; expected integer "
                f"labels of shape ({x.shape[0]},)"
            )
        if y.size and (y.min() < 0 or y.max() > 9):
            raise CorruptDatasetError(f"{where}: y_{split} holds labels outside 0..9")
        y = y.astype(np.int64)
    return x, (y if spec.labelled else None)


def _parse_raw(
    spec: DatasetSpec, split: str, root: Path, download: bool
) -> tuple[Array, Array | None]:
    layout = LAYOUTS[spec.name]
    files = layout.files(root, split)
    if not all(f.exists() for f in files):
        problem = _why_no_download(layout.urls(split), download)
        if problem is None:
            try:
                layout.fetch(root, split)
            except Exception as err:  # any network or archive failure: one clear message
                problem = f"the download failed: {type(err).__name__}: {err}"
            files = layout.files(root, split)
        if problem is not None or not all(f.exists() for f in files):
            raise DatasetNotAvailableError(_missing_message(spec, split, root, files, problem))
    x, y = layout.parse(files, spec, split)
    return x, y


def _why_no_download(urls: list[str], download: bool) -> str | None:
    if not download:
        return "downloads are switched off (download=False)"
    if os.environ.get("WORKBOOK_OFFLINE", "").strip() not in ("", "0"):
        return "downloads are switched off (WORKBOOK_OFFLINE is set)"
    host = urlparse(urls[0]).hostname or ""
    port = 443 if urls[0].startswith("https") else 80
    try:
        with socket.create_connection((host, port), timeout=5):
            return None
    except OSError as err:
        return f"no network: cannot reach {host} ({err.__class__.__name__}: {err})"


def _missing_message(
    spec: DatasetSpec, split: str, root: Path, files: list[Path], problem: str | None
) -> str:
    c, h, w = spec.shape
    expected = "\n".join(f"    {f}" for f in files)
    urls = "\n".join(f"    {u}" for u in LAYOUTS[spec.name].urls(split))
    labels = f" and y_{split} (N,) int64" if spec.labelled else ""
    return (
        f"dataset {spec.name!r} (split {split!r}) is not on disk and could not be downloaded: "
        f"{problem}.\n"
        f"  expected:\n{expected}\n"
        f"  searched the data folder {root} (set by WORKBOOK_DATA_DIR)\n"
        f"  fixes:\n"
        f"  - download into that folder, in the layout above:\n{urls}\n"
        f"  - or point WORKBOOK_DATA_DIR at a folder that holds the files\n"
        f"  - or put a cache file {root / (spec.name + '.npz')} with x_{split} "
        f"(N, {h}, {w}, {c}) uint8{labels}\n"
        f"  - or use the offline stand-in: WORKBOOK_DATA=synthetic "
        f'(DATA = "synthetic" in the notebook\'s configuration cell)'
    )
