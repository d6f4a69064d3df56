"""One entry point for every dataset of the workbook: :func:`load`.

``load(name, split)`` returns ``(images, labels)``: uint8 images (N, C, H, W) and int64 labels
(N,), or ``None`` for a dataset without labels (binarized MNIST). The source is the real dataset
(``"real"``) or its offline stand-in from :mod:`helpers.synthetic` (``"synthetic"``).

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
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import socket
import tempfile
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import torch
from torch import Tensor

from . import synthetic
from .fileio import atomic_path, repo_root, save_npz
from .profiles import Profile, get_profile, resolve_data_source

__all__ = [
    "DATASETS",
    "CorruptDatasetError",
    "DatasetNotAvailableError",
    "DatasetSpec",
    "data_dir",
    "load",
]

Array = np.ndarray


class DatasetNotAvailableError(FileNotFoundError):
    """The dataset's files are missing and cannot be downloaded."""


class CorruptDatasetError(ValueError):
    """A dataset file exists but does not hold what its format promises."""


@dataclass(frozen=True)
class DatasetSpec:
    """What one dataset is: its splits and their sizes, image shape, labels and files."""

    name: str
    title: str
    shape: tuple[int, int, int]  # C, H, W
    sizes: dict[str, int]  # split -> number of images in the real dataset
    labelled: bool
    binary: bool
    source_url: str

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.sizes)


DATASETS: dict[str, DatasetSpec] = {
    "binarized_mnist": DatasetSpec(
        name="binarized_mnist",
        title="Binarized MNIST (Larochelle)",
        shape=(1, 28, 28),
        sizes={"train": 50_000, "valid": 10_000, "test": 10_000},
        labelled=False,
        binary=True,
        source_url="http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/",
    ),
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST",
        shape=(1, 28, 28),
        sizes={"train": 60_000, "test": 10_000},
        labelled=True,
        binary=False,
        source_url="https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
    "svhn": DatasetSpec(
        name="svhn",
        title="SVHN (cropped digits)",
        shape=(3, 32, 32),
        sizes={"train": 73_257, "test": 26_032},
        labelled=True,
        binary=False,
        source_url="http://ufldl.stanford.edu/housenumbers/",
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        title="CIFAR-10",
        shape=(3, 32, 32),
        sizes={"train": 50_000, "test": 10_000},
        labelled=True,
        binary=False,
        source_url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    ),
}


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
            (:data:`helpers.synthetic.STANDINS`; default ``objects``). Ignored for real data.

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
        if spec.name != "cifar10" or standin not in synthetic.STANDINS:
            raise ValueError(
                f"unknown stand-in {standin!r} for {spec.name}; cifar10 has "
                f"{', '.join(synthetic.STANDINS)}"
            )
        return synthetic.STANDINS[standin](n, stream)
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


@dataclass(frozen=True)
class _Layout:
    """Where a split's files live, how to parse them and how to fetch them."""

    files: Callable[[Path, str], list[Path]]  # the files one split needs
    parse: Callable[[list[Path], DatasetSpec, str], tuple[Array, Array | None]]
    fetch: Callable[[Path, str], None]
    urls: Callable[[str], list[str]]


def _parse_raw(
    spec: DatasetSpec, split: str, root: Path, download: bool
) -> tuple[Array, Array | None]:
    layout = _LAYOUTS[spec.name]
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
    urls = "\n".join(f"    {u}" for u in _LAYOUTS[spec.name].urls(split))
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


def _download(url: str, dest: Path) -> None:
    """Fetch ``url`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out)


def _size_error(
    path: Path, what: str, got: int, spec: DatasetSpec, split: str
) -> CorruptDatasetError:
    return CorruptDatasetError(
        f"{path}: holds {got} {what}, expected {spec.sizes[split]} for the {split!r} split of "
        f"{spec.name} (a truncated download? delete the file and load again)"
    )


# ---- binarized MNIST: Larochelle's .amat text, one image per line, 784 values 0/1


def _bmnist_files(root: Path, split: str) -> list[Path]:
    return [root / "binarized_mnist" / f"binarized_mnist_{split}.amat"]


def _bmnist_urls(split: str) -> list[str]:
    return [DATASETS["binarized_mnist"].source_url + f"binarized_mnist_{split}.amat"]


def _bmnist_fetch(root: Path, split: str) -> None:
    (url,) = _bmnist_urls(split)
    _download(url, _bmnist_files(root, split)[0])


def parse_amat(path: Path, expected_lines: int | None = None) -> Array:
    """Parse a binarized MNIST ``.amat`` file into (N, 28, 28, 1) uint8 of 0/1."""
    raw = path.read_bytes().replace(b"\r", b"")
    lines = raw.strip(b"\n").split(b"\n") if raw.strip() else []
    if expected_lines is not None and len(lines) != expected_lines:
        raise CorruptDatasetError(
            f"{path}: holds {len(lines)} lines, expected {expected_lines} (a truncated download? "
            "delete the file and load again)"
        )
    lines = [line.strip() for line in lines]
    width = 784 * 2 - 1
    if all(len(line) == width for line in lines):  # the standard layout: "0 1 0 ... 1"
        chars = np.frombuffer(b"".join(lines), dtype=np.uint8).reshape(len(lines), width)
        values, gaps = chars[:, ::2], chars[:, 1::2]
        if np.all(gaps == ord(" ")) and np.all((values == ord("0")) | (values == ord("1"))):
            return (values - ord("0")).astype(np.uint8).reshape(-1, 28, 28, 1)
    out = np.empty((len(lines), 784), dtype=np.uint8)  # any other spacing: check line by line
    for i, line in enumerate(lines):
        try:
            row = np.array(line.split(), dtype=np.float64)
        except ValueError:
            raise CorruptDatasetError(
                f"{path}: line {i + 1} holds a value that is not a number"
            ) from None
        if row.size != 784:
            raise CorruptDatasetError(f"{path}: line {i + 1} holds {row.size} values, expected 784")
        if not np.all((row == 0) | (row == 1)):
            raise CorruptDatasetError(f"{path}: line {i + 1} holds values other than 0 and 1")
        out[i] = row
    return out.reshape(-1, 28, 28, 1)


def _bmnist_parse(files: list[Path], spec: DatasetSpec, split: str) -> tuple[Array, None]:
    return parse_amat(files[0], spec.sizes[split]), None


# ---- MNIST: LeCun's idx files, torchvision's layout


_MNIST_STEMS = {"train": "train", "test": "t10k"}


def _mnist_files(root: Path, split: str) -> list[Path]:
    raw = root / "MNIST" / "raw"
    stem = _MNIST_STEMS[split]
    files = []
    for kind in ("images-idx3", "labels-idx1"):
        plain = raw / f"{stem}-{kind}-ubyte"
        gz = plain.with_name(plain.name + ".gz")
        files.append(gz if gz.exists() and not plain.exists() else plain)
    return files


def _mnist_urls(split: str) -> list[str]:
    stem = _MNIST_STEMS[split]
    base = DATASETS["mnist"].source_url
    return [f"{base}{stem}-{kind}-ubyte.gz" for kind in ("images-idx3", "labels-idx1")]


def _mnist_fetch(root: Path, split: str) -> None:
    for url, dest in zip(_mnist_urls(split), _mnist_files(root, split), strict=True):
        gz = dest.with_name(dest.name.removesuffix(".gz") + ".gz")
        _download(url, gz)


def parse_idx(path: Path) -> Array:
    """Parse one idx file (``.gz`` or plain) into an array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as err:
        raise CorruptDatasetError(f"{path}: cannot be read ({err})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise CorruptDatasetError(f"{path}: not an idx file of unsigned bytes (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise CorruptDatasetError(
            f"{path}: holds {len(data)} bytes, its header promises {expected} for shape {dims} "
            "(a truncated download? delete the file and load again)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _mnist_parse(files: list[Path], spec: DatasetSpec, split: str) -> tuple[Array, Array]:
    images, labels = parse_idx(files[0]), parse_idx(files[1])
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise CorruptDatasetError(
            f"{files[0]}: images of shape {images.shape[1:]}, expected (28, 28)"
        )
    if images.shape[0] != spec.sizes[split]:
        raise _size_error(files[0], "images", images.shape[0], spec, split)
    if labels.shape != (images.shape[0],) or labels.max(initial=0) > 9:
        raise CorruptDatasetError(
            f"{files[1]}: {labels.shape} labels in 0..{labels.max(initial=0)} do not match "
            f"{images.shape[0]} images with labels 0..9"
        )
    return images[..., None].copy(), labels.astype(np.int64)


# ---- SVHN: cropped digits .mat files (MATLAB v5), torchvision's layout


def _svhn_files(root: Path, split: str) -> list[Path]:
    name = f"{split}_32x32.mat"
    for folder in (root / "svhn", root):
        if (folder / name).exists():
            return [folder / name]
    return [root / "svhn" / name]


def _svhn_urls(split: str) -> list[str]:
    return [DATASETS["svhn"].source_url + f"{split}_32x32.mat"]


def _svhn_fetch(root: Path, split: str) -> None:
    (url,) = _svhn_urls(split)
    _download(url, root / "svhn" / f"{split}_32x32.mat")


def _svhn_parse(files: list[Path], spec: DatasetSpec, split: str) -> tuple[Array, Array]:
    import scipy.io

    path = files[0]
    try:
        mat = scipy.io.loadmat(path)
    except Exception as err:
        raise CorruptDatasetError(f"{path}: not a readable .mat file ({err})") from None
    if "X" not in mat or "y" not in mat:
        raise CorruptDatasetError(f"{path}: has no 'X' and 'y' arrays (keys: {sorted(mat)})")
    x, y = mat["X"], mat["y"].reshape(-1)
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[:3] != (32, 32, 3):
        raise CorruptDatasetError(
            f"{path}: X has dtype {x.dtype} and shape {x.shape}; expected uint8 (32, 32, 3, N)"
        )
    if x.shape[3] != spec.sizes[split]:
        raise _size_error(path, "images", x.shape[3], spec, split)
    if y.shape != (x.shape[3],) or y.min(initial=1) < 1 or y.max(initial=1) > 10:
        raise CorruptDatasetError(f"{path}: y does not hold one label in 1..10 per image")
    y = y.astype(np.int64) % 10  # SVHN writes the digit 0 as label 10
    return np.ascontiguousarray(x.transpose(3, 0, 1, 2)), y


# ---- CIFAR-10: python pickle batches, torchvision's layout


_CIFAR_FOLDER = "cifar-10-batches-py"


def _cifar_files(root: Path, split: str) -> list[Path]:
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    return [root / _CIFAR_FOLDER / name for name in names]


def _cifar_urls(split: str) -> list[str]:
    return [DATASETS["cifar10"].source_url]


def _cifar_fetch(root: Path, split: str) -> None:
    import tarfile

    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        archive = Path(tmp) / "cifar-10-python.tar.gz"
        _download(_cifar_urls(split)[0], archive)
        with tarfile.open(archive) as tar:
            try:
                tar.extractall(tmp, filter="data")  # refuses links and paths outside tmp
            except TypeError:  # Python without extraction filters (< 3.10.12 / 3.11.4)
                tar.extractall(tmp)
        target = root / _CIFAR_FOLDER
        if target.exists():
            shutil.rmtree(target)
        os.replace(Path(tmp) / _CIFAR_FOLDER, target)


def _cifar_parse(files: list[Path], spec: DatasetSpec, split: str) -> tuple[Array, Array]:
    xs, ys = [], []
    for path in files:
        try:
            with open(path, "rb") as handle:
                batch = pickle.load(handle, encoding="bytes")  # the dataset's own format
        except Exception as err:
            raise CorruptDatasetError(f"{path}: not a readable CIFAR-10 batch ({err})") from None
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
        data = np.asarray(batch.get("data"))
        labels = np.asarray(batch.get("labels"))
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise CorruptDatasetError(
                f"{path}: data has shape {data.shape}, expected (N, 3072) uint8"
            )
        if labels.shape != (data.shape[0],):
            raise CorruptDatasetError(
                f"{path}: {labels.shape[0]} labels for {data.shape[0]} images"
            )
        xs.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        ys.append(labels.astype(np.int64))
    x, y = np.concatenate(xs), np.concatenate(ys)
    if x.shape[0] != spec.sizes[split]:
        raise _size_error(files[0].parent, "images", x.shape[0], spec, split)
    return np.ascontiguousarray(x), y


_LAYOUTS: dict[str, _Layout] = {
    "binarized_mnist": _Layout(_bmnist_files, _bmnist_parse, _bmnist_fetch, _bmnist_urls),
    "mnist": _Layout(_mnist_files, _mnist_parse, _mnist_fetch, _mnist_urls),
    "svhn": _Layout(_svhn_files, _svhn_parse, _svhn_fetch, _svhn_urls),
    "cifar10": _Layout(_cifar_files, _cifar_parse, _cifar_fetch, _cifar_urls),
}
