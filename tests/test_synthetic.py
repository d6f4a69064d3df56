"""The offline stand-ins: shapes, determinism, and enough structure to learn from."""

from __future__ import annotations

import pytest
import torch

from helpers import data
from helpers.data import load, synthetic


@pytest.mark.parametrize("name", list(data.DATASETS))
def test_standins_match_the_real_specs(name):
    spec = data.DATASETS[name]
    for split in spec.splits:
        x, y = load(name, split, source="synthetic", n=100)
        assert x.shape == (100, *spec.shape) and x.dtype == torch.uint8
        if spec.binary:
            assert set(x.unique().tolist()) == {0, 1}
        else:
            assert x.max() > 200 and x.min() < 50
        if spec.labelled:
            assert y.dtype == torch.int64 and y.shape == (100,)
            assert set(y.unique().tolist()) == set(range(10))
        else:
            assert y is None


def test_deterministic_per_seed_and_split():
    a, _ = load("svhn", "train", source="synthetic", n=20, seed=1)
    b, _ = load("svhn", "train", source="synthetic", n=20, seed=1)
    c, _ = load("svhn", "train", source="synthetic", n=20, seed=2)
    d, _ = load("svhn", "test", source="synthetic", n=20, seed=1)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, d)


def test_profile_sizes_the_standins(monkeypatch):
    x, _ = load("mnist", "train", source="synthetic", profile="smoke")
    assert x.shape[0] == 512
    x, _ = load("binarized_mnist", "valid", source="synthetic", profile="smoke")
    assert x.shape[0] == 256


def test_binarized_digits_have_mnist_like_ink():
    x, _ = synthetic.digits(500, 0, binarized=True)
    assert 0.08 < x.float().mean() < 0.2  # real binarized MNIST: 0.13


def _nearest_mean_accuracy(
    x: torch.Tensor, y: torch.Tensor, xt: torch.Tensor, yt: torch.Tensor
) -> float:
    f, ft = x.flatten(1).float(), xt.flatten(1).float()
    means = torch.stack([f[y == k].mean(0) for k in range(10)])
    return (torch.cdist(ft, means).argmin(1) == yt).float().mean().item()


def test_digit_classes_are_learnable():
    """Glyphs carry their class: a nearest-class-mean classifier on pixels is far above chance."""
    x, y = synthetic.digits(2000, 0)
    xt, yt = synthetic.digits(500, 1)
    assert _nearest_mean_accuracy(x, y, xt, yt) > 0.5


def test_object_classes_are_hard_for_raw_pixels():
    """Colour, pose and background dominate the pixels of the CIFAR stand-in: raw pixels separate
    its classes much worse than the digits' (what Problem 3 needs from it)."""
    x, y = synthetic.objects(2000, 0)
    xt, yt = synthetic.objects(500, 1)
    assert _nearest_mean_accuracy(x, y, xt, yt) < 0.3


def test_grey_digits_stand_in_and_its_loader():
    from helpers import data

    x, y = synthetic.grey_digits(200, seed=3)
    assert x.shape == (200, 3, 32, 32) and x.dtype == torch.uint8 and y.shape == (200,)
    assert set(y.tolist()) == set(range(10))
    assert (x[:, 0].float() - x[:, 1].float()).mean().abs() < 1  # grey, up to per-pixel noise
    levels = x.float().mean((1, 2, 3))
    assert levels.std() < 6  # one pair of grey levels in every image, unlike ``objects``
    loaded, labels = data.load("cifar10", "train", source="synthetic", n=50, standin="grey_digits",
                               profile="smoke")  # fmt: skip
    assert loaded.shape == (50, 3, 32, 32) and labels.shape == (50,)
    with pytest.raises(ValueError, match="stand-in"):
        data.load("mnist", "train", source="synthetic", n=5, standin="grey_digits")


def test_tiled_shapes_show_the_class_in_every_crop_and_vary_colour_per_image():
    """Problem 3's stand-in: one shape class repeated over the image, so a quarter of the image
    holds as much of it as the whole; colour and brightness drawn per image, so raw pixels
    separate the classes poorly."""
    from helpers import data

    x, y = data.tiled_shapes(1000, seed=3)
    assert x.shape == (1000, 3, 32, 32) and x.dtype == torch.uint8 and y.shape == (1000,)
    assert set(y.tolist()) == set(range(10))
    f = x.float() / 255
    quarters = [f[..., :16, :16], f[..., 16:, 16:]]
    spread = [(q.amax((2, 3)) - q.amin((2, 3))).mean((1,)) for q in quarters]
    assert all((s > 0.25).float().mean() > 0.95 for s in spread)  # shapes in every corner
    levels = f.mean((1, 2, 3))
    assert levels.std() > 0.05  # brightness varies per image, unlike ``grey_digits``
    chroma = (f - f.mean(1, keepdim=True)).abs().mean((1, 2, 3))
    assert chroma.mean() > 0.03  # colour, not grey
    xt, yt = data.tiled_shapes(500, seed=4)
    assert _nearest_mean_accuracy(x, y, xt, yt) < 0.3
    assert not torch.equal(x[:5], xt[:5])
    again, _ = data.tiled_shapes(1000, seed=3)
    assert torch.equal(x, again)
    loaded, labels = data.load("cifar10", "train", source="synthetic", n=50, standin="tiled_shapes",
                               profile="smoke")  # fmt: skip
    assert loaded.shape == (50, 3, 32, 32) and labels.shape == (50,)
