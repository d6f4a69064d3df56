"""What each dataset of the workbook is, and its files: where they live, how to fetch them and
how to parse them.

:data:`DATASETS` describes each dataset (splits and sizes, image shape, labels, source);
:data:`LAYOUTS` gives, per dataset, its :class:`Layout`: the files one split needs (in the
on-disk layout of the original files and of torchvision's datasets), how to download them
(atomically) and how to parse them into ``x`` (N, H, W, C) uint8 and ``y`` (N,) integer labels
or ``None``. :mod:`helpers.data` loads, checks and caches what these parsers return.
"""

from __future__ import annotations

import gzip
import os
import pickle
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..train.fileio import atomic_path

__all__ = [
    "DATASETS",
    "LAYOUTS",
    "Array",
    "CorruptDatasetError",
    "DatasetNotAvailableError",
    "DatasetSpec",
    "Layout",
    "parse_amat",
    "parse_idx",
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


@dataclass(frozen=True)
class Layout:
    """Where a split's files live, how to parse them and how to fetch them."""

    files: Callable[[Path, str], list[Path]]  # the files one split needs
    parse: Callable[[list[Path], DatasetSpec, str], tuple[Array, Array | None]]
    fetch: Callable[[Path, str], None]
    urls: Callable[[str], list[str]]


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


LAYOUTS: dict[str, Layout] = {
    "binarized_mnist": Layout(_bmnist_files, _bmnist_parse, _bmnist_fetch, _bmnist_urls),
    "mnist": Layout(_mnist_files, _mnist_parse, _mnist_fetch, _mnist_urls),
    "svhn": Layout(_svhn_files, _svhn_parse, _svhn_fetch, _svhn_urls),
    "cifar10": Layout(_cifar_files, _cifar_parse, _cifar_fetch, _cifar_urls),
}
