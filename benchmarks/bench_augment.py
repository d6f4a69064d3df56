"""SimSiam's two-view augmentation: batched on the device against the course's torchvision
pipeline.

    .venv/bin/python benchmarks/bench_augment.py [--device cuda] [--n 10000]

Course: PIL images through RandomResizedCrop(32, scale=(0.08, 1)), RandomHorizontalFlip,
RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), RandomGrayscale(0.2), ToTensor, Normalize,
twice per image (TwoCropsTransform), behind a DataLoader with 2 workers, batch 512. Workbook:
:class:`helpers.data.SimSiamAugment` on uint8 batches already on the device. Prints images
(two views each) per second and the ratio, measured in this one process; also
kornia.augmentation's equivalent pipeline when kornia is installed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from helpers.data import CIFAR_MEAN, CIFAR_STD, DeviceBatches, SimSiamAugment, synthetic
from helpers.notebook import pick_device


class TwoCrops(Dataset):
    def __init__(self, images: np.ndarray) -> None:  # (N, 32, 32, 3) uint8, as CIFAR10 holds them
        self.images = images
        self.transform = transforms.Compose([
            transforms.RandomResizedCrop(32, scale=(0.08, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            transforms.RandomGrayscale(p=0.2),
            transforms.ToTensor(),
            transforms.Normalize(CIFAR_MEAN, CIFAR_STD),
        ])  # fmt: skip

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        image = Image.fromarray(self.images[i])
        return self.transform(image), self.transform(image)


def course(images: np.ndarray, device: torch.device, workers: int) -> float:
    loader = DataLoader(TwoCrops(images), batch_size=512, shuffle=True, num_workers=workers,
                        drop_last=True, pin_memory=device.type == "cuda")  # fmt: skip
    began, seen = time.perf_counter(), 0
    for x1, x2 in loader:
        x1, x2 = x1.to(device, non_blocking=True), x2.to(device, non_blocking=True)
        seen += x1.shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - began)


def workbook(images: torch.Tensor, device: torch.device) -> float:
    batches = DeviceBatches(images, None, 512, device=device)
    aug = SimSiamAugment()
    aug(batches.batch_at(0)[0])  # warm-up
    began, seen = time.perf_counter(), 0
    for x, _ in batches.epoch(0):
        views = aug(x)
        seen += views[0].shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - began)


def kornia_pipeline(images: torch.Tensor, device: torch.device) -> float | None:
    """The same augmentations with kornia.augmentation (per-example parameters, batched), if
    kornia is installed (it is not a dependency: ``pip install kornia`` to compare)."""
    try:
        import kornia.augmentation as K
    except ImportError:
        return None
    pipeline = torch.nn.Sequential(
        K.RandomResizedCrop((32, 32), scale=(0.08, 1.0)),
        K.RandomHorizontalFlip(),
        K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=0.8),
        K.RandomGrayscale(p=0.2),
        K.Normalize(torch.tensor(CIFAR_MEAN), torch.tensor(CIFAR_STD)),
    ).to(device)
    batches = DeviceBatches(images, None, 512, device=device)
    pipeline(batches.batch_at(0)[0])  # warm-up
    began, seen = time.perf_counter(), 0
    for x, _ in batches.epoch(0):
        views = pipeline(x), pipeline(x)
        seen += views[0].shape[0]
    if device.type == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    device = pick_device(args.device)
    images, _ = synthetic.objects(args.n, 0)
    slow = course(images.permute(0, 2, 3, 1).contiguous().numpy(), device, args.workers)
    fast = workbook(images, device)
    other = kornia_pipeline(images, device)
    print(f"two-view SimSiam augmentation, 32x32, batch 512, device {device}:")
    label = f"torchvision PIL pipeline, DataLoader with {args.workers} workers:"
    print(f"  {label} {slow:10,.0f} images/s")
    print(f"  batched on the device (helpers.data.augment):              {fast:10,.0f} images/s")
    if other is not None:
        print(f"  kornia.augmentation, batched on the device:          {other:10,.0f} images/s")
    print(f"  ratio: {fast / slow:.1f}x the torchvision pipeline", end="")
    print(f", {fast / other:.1f}x kornia" if other is not None else " (kornia not installed)")


if __name__ == "__main__":
    main()
