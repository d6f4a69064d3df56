"""Device-resident batches."""

from __future__ import annotations

import pytest
import torch

from helpers.data import DeviceBatches, to_float


def make(n=10, batch=3, **kw):
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 2, 2).contiguous()
    labels = torch.arange(n)
    return DeviceBatches(images, labels, batch, **kw)


def test_epoch_is_a_permutation_and_deterministic():
    b = make(drop_last=False, scale="raw")
    seen = torch.cat([y for _, y in b.epoch(0)])
    assert sorted(seen.tolist()) == list(range(10))
    again = torch.cat([y for _, y in make(drop_last=False).epoch(0)])
    assert torch.equal(seen, again)
    other = torch.cat([y for _, y in b.epoch(1)])
    assert not torch.equal(seen, other)
    other_seed = torch.cat([y for _, y in make(drop_last=False, seed=5).epoch(0)])
    assert not torch.equal(seen, other_seed)


def test_batch_at_matches_epochs_and_labels_follow_images():
    b = make(scale="raw")
    assert len(b) == 3  # drop_last
    flat = [y for e in range(3) for _, y in b.epoch(e)]
    for step, y in enumerate(flat):
        x, y_step = b.batch_at(step)
        assert torch.equal(y, y_step)
        assert torch.equal(x[:, 0, 0, 0].long(), y_step)  # image i holds the value i


def test_scales():
    x = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)
    assert to_float(x, "unit").flatten().tolist() == [0.0, 1.0]
    assert to_float(x, "symmetric").flatten().tolist() == [-1.0, 1.0]
    binary = torch.tensor([0, 1], dtype=torch.uint8).view(2, 1, 1, 1)
    assert to_float(binary, "unit", binary=True).flatten().tolist() == [0.0, 1.0]
    b = DeviceBatches(binary.expand(2, 1, 2, 2), None, 2, binary=True)
    x, y = b.batch_at(0)
    assert y is None and x.dtype == torch.float32 and set(x.unique().tolist()) == {0.0, 1.0}


def test_ordered_covers_every_image_once():
    b = make(batch=4)
    ys = [y for _, y in b.ordered()]
    assert [len(y) for y in ys] == [4, 4, 2]
    assert torch.cat(ys).tolist() == list(range(10))


def test_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        DeviceBatches(torch.zeros(4, 1, 2, 2), None, 2)
    with pytest.raises(ValueError, match="labels of shape"):
        DeviceBatches(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.zeros(3), 2)
    with pytest.raises(ValueError, match=r"batch_size must be in 1..4"):
        DeviceBatches(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), None, 5)
