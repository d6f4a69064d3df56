"""The data path: stand-in generation, and device batches against a course-style DataLoader.

    .venv/bin/python benchmarks/bench_data.py [--device cuda] [--workers 2]

Prints images per second of both loaders over the same uint8 images (3x32x32, batch 256, one
epoch, shuffled, converted to float) and their ratio, measured in this one process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from helpers.data import DeviceBatches, synthetic
from helpers.notebook import pick_device


class NumpyImages(Dataset):
    """How course code usually feeds images: per-item conversion from a numpy array."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        x = torch.from_numpy(self.images[i]).permute(2, 0, 1).float().div(255)  # like ToTensor
        return x, int(self.labels[i])


def epoch_dataloader(images, labels, batch, workers, device) -> float:
    loader = DataLoader(
        NumpyImages(images, labels),
        batch_size=batch,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
        persistent_workers=False,
    )
    began = time.perf_counter()
    seen = 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        seen += x.shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - began)


def epoch_device(images, labels, batch, device) -> float:
    batches = DeviceBatches(images, labels, batch, device=device)
    began = time.perf_counter()
    seen = 0
    for epoch in range(3):  # several epochs: the one-off move to the device is included once
        for x, _y in batches.epoch(epoch):
            seen += x.shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    device = pick_device(args.device)

    print(f"stand-in generation, {args.n} images each:")
    for name, fn in [
        ("digits", synthetic.digits),
        ("house_numbers", synthetic.house_numbers),
        ("objects", synthetic.objects),
    ]:
        began = time.perf_counter()
        fn(args.n, 0)
        print(f"  {name:14s} {time.perf_counter() - began:6.2f} s")

    images, labels = synthetic.objects(args.n, 1)
    nhwc = images.permute(0, 2, 3, 1).contiguous().numpy()
    fast = epoch_device(images, labels, 256, device)
    slow = epoch_dataloader(nhwc, labels.numpy(), 256, args.workers, device)
    print(f"\none epoch, batch 256, 3x32x32, device {device}:")
    print(f"  DataLoader ({args.workers} workers, per-image conversion): {slow:12,.0f} images/s")
    print(f"  DeviceBatches (uint8 on device, index slices):     {fast:12,.0f} images/s")
    print(f"  ratio: {fast / slow:.1f}x")


if __name__ == "__main__":
    main()
