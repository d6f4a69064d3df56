"""The data layer on small fixture files written in the real on-disk formats."""

from __future__ import annotations

import dataclasses
import gzip
import io
import pickle
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch

from helpers.data import CorruptDatasetError, DatasetNotAvailableError, load
from helpers.data import formats as data_formats
from helpers.data import loaders as data

RNG = np.random.default_rng(0)


@pytest.fixture
def sizes(monkeypatch):
    """Shrink the expected split sizes so that small fixture files count as complete."""

    def set_sizes(name: str, **split_sizes: int) -> None:
        spec = data.DATASETS[name]
        monkeypatch.setitem(
            data.DATASETS, name, dataclasses.replace(spec, sizes={**spec.sizes, **split_sizes})
        )

    return set_sizes


def write_amat(path: Path, images: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [" ".join(str(int(v)) for v in img.reshape(-1)) for img in images]
    path.write_text("\n".join(lines) + "\n")


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def write_cifar(root: Path, images: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> None:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for name, x in images.items():  # x: (N, 32, 32, 3) HWC
        rows = x.transpose(0, 3, 1, 2).reshape(len(x), -1)
        batch = {b"batch_label": b"x", b"data": rows, b"labels": labels[name].tolist()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)


# ---- binarized MNIST


def test_amat_round_trip_and_cache(tmp_path, sizes):
    sizes("binarized_mnist", valid=5)
    images = RNG.integers(0, 2, (5, 28, 28), dtype=np.uint8)
    write_amat(tmp_path / "binarized_mnist" / "binarized_mnist_valid.amat", images)

    x, y = load("binarized_mnist", "valid", source="real", root=tmp_path)
    assert y is None
    assert x.dtype == torch.uint8 and x.shape == (5, 1, 28, 28)
    assert np.array_equal(x[:, 0].numpy(), images)

    cache = tmp_path / "binarized_mnist.npz"
    with np.load(cache) as npz:
        assert set(npz.files) == {"x_valid"}
        assert npz["x_valid"].shape == (5, 28, 28, 1)
    # The cache is used as it is: the text file is no longer needed.
    (tmp_path / "binarized_mnist" / "binarized_mnist_valid.amat").unlink()
    x2, _ = load("binarized_mnist", "valid", source="real", root=tmp_path)
    assert torch.equal(x, x2)


def test_amat_other_spacing_is_parsed(tmp_path, sizes):
    sizes("binarized_mnist", test=2)
    images = RNG.integers(0, 2, (2, 28, 28), dtype=np.uint8)
    path = tmp_path / "binarized_mnist" / "binarized_mnist_test.amat"
    path.parent.mkdir(parents=True)
    path.write_text("".join("  ".join(f"{v}.0" for v in im.reshape(-1)) + " \r\n" for im in images))
    x, _ = load("binarized_mnist", "test", source="real", root=tmp_path)
    assert np.array_equal(x[:, 0].numpy(), images)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda lines: lines[:-1], "holds 3 lines, expected 4"),
        (lambda lines: [lines[0].replace("0", "2", 1), *lines[1:]], "values other than 0 and 1"),
        (lambda lines: [lines[0][:-2], *lines[1:]], "783 values, expected 784"),
        (lambda lines: [lines[0].replace("1", "x", 1), *lines[1:]], "not a number"),
    ],
)
def test_amat_corrupt(tmp_path, sizes, mutate, message):
    sizes("binarized_mnist", train=4)
    images = (np.arange(4 * 784).reshape(4, 28, 28) % 2).astype(np.uint8)
    path = tmp_path / "binarized_mnist" / "binarized_mnist_train.amat"
    write_amat(path, images)
    path.write_text("\n".join(mutate(path.read_text().splitlines())) + "\n")
    with pytest.raises(CorruptDatasetError, match=message) as err:
        load("binarized_mnist", "train", source="real", root=tmp_path)
    assert str(path) in str(err.value)
    assert not (tmp_path / "binarized_mnist.npz").exists()


# ---- MNIST


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_idx(tmp_path, sizes, compress):
    sizes("mnist", test=6)
    images = RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1, 0, 4, 1], dtype=np.uint8)
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw / "t10k-images-idx3-ubyte", images, compress)
    write_idx(raw / "t10k-labels-idx1-ubyte", labels, compress)
    x, y = load("mnist", "test", source="real", root=tmp_path)
    assert x.shape == (6, 1, 28, 28) and x.dtype == torch.uint8
    assert np.array_equal(x[:, 0].numpy(), images)
    assert y.dtype == torch.int64 and y.tolist() == [7, 2, 1, 0, 4, 1]


def test_mnist_truncated_and_bad_magic(tmp_path, sizes):
    sizes("mnist", train=3)
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw / "train-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CorruptDatasetError, match="header promises") as err:
        load("mnist", "train", source="real", root=tmp_path)
    assert str(path) in str(err.value)
    path.write_bytes(b"\x12\x34" + path.read_bytes()[2:])
    with pytest.raises(CorruptDatasetError, match="bad magic"):
        load("mnist", "train", source="real", root=tmp_path)


def test_mnist_wrong_count(tmp_path, sizes):
    sizes("mnist", train=4)
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw / "train-images-idx3-ubyte", np.zeros((3, 28, 28), np.uint8))
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(CorruptDatasetError, match="holds 3 images, expected 4"):
        load("mnist", "train", source="real", root=tmp_path)


# ---- CIFAR-10


def test_cifar_batches(tmp_path, sizes):
    sizes("cifar10", train=10, test=3)
    xs = {
        f"data_batch_{i}": RNG.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8) for i in range(1, 6)
    }
    xs["test_batch"] = RNG.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    ys = {k: RNG.integers(0, 10, len(v)) for k, v in xs.items()}
    write_cifar(tmp_path, xs, ys)

    x, y = load("cifar10", "train", source="real", root=tmp_path)
    expected = np.concatenate([xs[f"data_batch_{i}"] for i in range(1, 6)])
    assert x.shape == (10, 3, 32, 32)
    assert np.array_equal(x.permute(0, 2, 3, 1).numpy(), expected)
    assert y.tolist() == np.concatenate([ys[f"data_batch_{i}"] for i in range(1, 6)]).tolist()
    # A pixel checked by hand: the row layout is the red plane, then green, then blue.
    row = xs["data_batch_1"].transpose(0, 3, 1, 2).reshape(2, -1)[1]
    assert x[1, 2, 5, 7].item() == row[2 * 1024 + 5 * 32 + 7]
    xt, yt = load("cifar10", "test", source="real", root=tmp_path)
    assert xt.shape == (3, 3, 32, 32) and yt.tolist() == ys["test_batch"].tolist()
    with np.load(tmp_path / "cifar10.npz") as npz:
        assert set(npz.files) == {"x_train", "y_train", "x_test", "y_test"}


def test_cifar_corrupt_batch(tmp_path, sizes):
    sizes("cifar10", test=2)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(CorruptDatasetError, match=r"test_batch: data has shape \(2, 100\)"):
        load("cifar10", "test", source="real", root=tmp_path)


def test_dropped_in_cache_is_used_as_it_is(tmp_path):
    x = RNG.integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    y = RNG.integers(0, 10, 7)
    np.savez(tmp_path / "cifar10.npz", x_train=x, y_train=y)
    images, labels = load("cifar10", "train", source="real", root=tmp_path)
    assert images.shape == (7, 3, 32, 32)  # not the 50000 of the real split: used as it is
    assert np.array_equal(images.permute(0, 2, 3, 1).numpy(), x)
    assert labels.tolist() == y.tolist()


def test_bad_cache_names_the_file(tmp_path):
    np.savez(tmp_path / "svhn.npz", x_train=np.zeros((2, 32, 32, 3), np.float32), y_train=[0, 1])
    with pytest.raises(CorruptDatasetError, match=r"svhn.npz: x_train has dtype float32"):
        load("svhn", "train", source="real", root=tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    with pytest.raises(CorruptDatasetError, match=r"mnist.npz"):
        load("mnist", "train", source="real", root=tmp_path)


# ---- SVHN


def test_svhn_mat(tmp_path, sizes):
    sizes("svhn", test=4)
    x = RNG.integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    labels = np.array([[10], [1], [9], [10]], dtype=np.uint8)  # SVHN writes 0 as 10
    (tmp_path / "svhn").mkdir()
    scipy.io.savemat(tmp_path / "svhn" / "test_32x32.mat", {"X": x, "y": labels})
    images, y = load("svhn", "test", source="real", root=tmp_path)
    assert images.shape == (4, 3, 32, 32)
    assert np.array_equal(images[2].permute(1, 2, 0).numpy(), x[..., 2])
    assert y.tolist() == [0, 1, 9, 0]


def test_svhn_in_torchvision_root_layout(tmp_path, sizes):
    sizes("svhn", train=2)
    x = RNG.integers(0, 256, (32, 32, 3, 2), dtype=np.uint8)
    scipy.io.savemat(tmp_path / "train_32x32.mat", {"X": x, "y": np.array([[3], [4]])})
    _, y = load("svhn", "train", source="real", root=tmp_path)
    assert y.tolist() == [3, 4]


def test_svhn_wrong_shape(tmp_path, sizes):
    sizes("svhn", test=2)
    (tmp_path / "svhn").mkdir()
    path = tmp_path / "svhn" / "test_32x32.mat"
    scipy.io.savemat(path, {"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.array([[1], [2]])})
    with pytest.raises(CorruptDatasetError, match=r"expected uint8 \(32, 32, 3, N\)") as err:
        load("svhn", "test", source="real", root=tmp_path)
    assert str(path) in str(err.value)


# ---- bad names, missing files, downloads


def assert_no_chained_traceback(error: BaseException) -> None:
    """Python prints no 'During handling of the above exception...' part."""
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_unknown_name_and_split():
    with pytest.raises(ValueError, match="valid names: binarized_mnist, mnist, svhn, cifar10"):
        load("fashion", "train")
    with pytest.raises(ValueError, match="valid splits: train, test"):
        load("cifar10", "valid")
    with pytest.raises(ValueError, match="choose one of synthetic, real"):
        load("mnist", "train", source="imagenet")


@pytest.mark.parametrize("name, split", [("svhn", "train"), ("binarized_mnist", "valid")])
def test_missing_files_offline_error(tmp_path, monkeypatch, name, split):
    monkeypatch.setenv("WORKBOOK_OFFLINE", "1")
    with pytest.raises(DatasetNotAvailableError) as err:
        load(name, split, source="real", root=tmp_path)
    message = str(err.value)
    for part in (repr(name), str(tmp_path), "WORKBOOK_DATA_DIR", "WORKBOOK_DATA=synthetic", "http"):
        assert part in message
    assert_no_chained_traceback(err.value)


def test_download_failure_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_OFFLINE", "")
    monkeypatch.setattr(data, "_why_no_download", lambda urls, download: None)

    def refuse(url, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(data_formats.urllib.request, "urlopen", refuse)
    with pytest.raises(DatasetNotAvailableError, match="the download failed: URLError") as err:
        load("binarized_mnist", "test", source="real", root=tmp_path)
    assert_no_chained_traceback(err.value)
    assert list(tmp_path.rglob("*")) == [tmp_path / "binarized_mnist"]  # no partial file


def test_interrupted_download_leaves_no_file(tmp_path, monkeypatch, sizes):
    sizes("binarized_mnist", test=2)
    monkeypatch.setenv("WORKBOOK_OFFLINE", "")
    monkeypatch.setattr(data, "_why_no_download", lambda urls, download: None)

    class Broken(io.BytesIO):
        def read(self, *args):
            if self.tell() > 100:
                raise ConnectionResetError("connection lost")
            return super().read(200)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(
        data_formats.urllib.request, "urlopen", lambda url, timeout: Broken(b"0 " * 2000)
    )
    with pytest.raises(DatasetNotAvailableError, match="connection lost"):
        load("binarized_mnist", "test", source="real", root=tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_download_writes_then_parses(tmp_path, monkeypatch, sizes):
    sizes("binarized_mnist", train=3)
    monkeypatch.setenv("WORKBOOK_OFFLINE", "")
    monkeypatch.setattr(data, "_why_no_download", lambda urls, download: None)
    images = RNG.integers(0, 2, (3, 28, 28), dtype=np.uint8)
    text = "".join(" ".join(map(str, im.reshape(-1))) + "\n" for im in images).encode()
    seen = []

    def serve(url, timeout):
        seen.append(url)
        return io.BytesIO(text)

    monkeypatch.setattr(data_formats.urllib.request, "urlopen", serve)
    x, _ = load("binarized_mnist", "train", source="real", root=tmp_path)
    assert seen == [
        "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_train.amat"
    ]
    assert np.array_equal(x[:, 0].numpy(), images)


def test_data_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("WORKBOOK_DATA_DIR")
    assert data.data_dir() == Path(data.__file__).resolve().parents[2] / "data"


def test_cifar_download_and_extract(tmp_path, monkeypatch, sizes):
    """The archive is fetched, extracted in a temporary folder, then moved into place."""
    import tarfile

    sizes("cifar10", train=5, test=1)
    source = tmp_path / "source"
    xs = {
        f"data_batch_{i}": RNG.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8) for i in range(1, 6)
    }
    xs["test_batch"] = RNG.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    write_cifar(source, xs, {k: np.array([3]) for k in xs})
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setenv("WORKBOOK_OFFLINE", "")
    monkeypatch.setattr(data, "_why_no_download", lambda urls, download: None)
    monkeypatch.setattr(
        data_formats.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(archive.getvalue())
    )
    root = tmp_path / "data"
    x, y = load("cifar10", "test", source="real", root=root)
    assert np.array_equal(x.permute(0, 2, 3, 1).numpy(), xs["test_batch"]) and y.tolist() == [3]
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-batches-py", "cifar10.npz"]
