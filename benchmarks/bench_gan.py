"""WGAN-LP training speed: the workbook's trainer against a course-style loop.

    .venv/bin/python benchmarks/bench_gan.py [--device cuda] [--width 64] [--iterations 50]

Course-style: a torchvision-style SVHN dataset (PIL image per item, ToTensor, Normalize) behind a
DataLoader with workers, and separate critic passes for real and fake images. Workbook:
:func:`helpers.gan.train_gan` (uint8 images on the device, index batches, one critic pass over
real and fake). Same models, seed, batch 64, 5 critic updates, lambda 10, on the same machine, in
this one process. Prints generator iterations per second and the ratio. SVHN-sized stand-in
data (73257 images) unless --n says otherwise.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from helpers.data import synthetic
from helpers.gan import Critic, Generator, lp_reg, train_gan
from helpers.notebook import pick_device


class SVHNLike(Dataset):
    """What torchvision.datasets.SVHN does per item: a PIL image, then the transform."""

    def __init__(self, images: np.ndarray) -> None:  # (N, 3, 32, 32) uint8, as SVHN stores it
        self.images = images
        self.transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(np.transpose(self.images[i], (1, 2, 0)))), 0


def course_loop(images, iterations, width, device, workers) -> float:
    torch.manual_seed(0)
    gen, critic = Generator(width=width).to(device), Critic(width=width).to(device)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
    loader = DataLoader(SVHNLike(images), batch_size=64, shuffle=True, num_workers=workers,
                        drop_last=True, pin_memory=device.type == "cuda")  # fmt: skip
    data = iter(loader)

    def next_batch():
        nonlocal data
        try:
            return next(data)[0]
        except StopIteration:
            data = iter(loader)
            return next(data)[0]

    next_batch()  # worker start-up is not counted
    began = time.perf_counter()
    for _ in range(iterations):
        for _ in range(5):
            real = next_batch().to(device, non_blocking=True)
            fake = gen(torch.randn(64, 100, device=device)).detach()
            loss = -(critic(real).mean() - critic(fake).mean()) + 10 * lp_reg(real, fake, critic)
            opt_c.zero_grad()
            loss.backward()
            opt_c.step()
        g_loss = -critic(gen(torch.randn(64, 100, device=device))).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return iterations / (time.perf_counter() - began)


def workbook_loop(images, iterations, width, device) -> float:
    torch.manual_seed(0)
    gen, critic = Generator(width=width), Critic(width=width)
    x = torch.from_numpy(images)
    train_gan("bench", gen, critic, x, iterations=2, device=device, progress=False)  # warm-up
    began = time.perf_counter()
    train_gan("bench", gen, critic, x, iterations=iterations, device=device, progress=False,
              log_every=iterations)  # fmt: skip
    if device.type == "cuda":
        torch.cuda.synchronize()
    return iterations / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n", type=int, default=73_257)
    args = parser.parse_args()
    device = pick_device(args.device)
    images = synthetic.house_numbers(args.n, 0)[0].numpy()
    course = course_loop(images, args.iterations, args.width, device, args.workers)
    ours = workbook_loop(images, args.iterations, args.width, device)
    print(f"WGAN-LP, width {args.width}, batch 64, 5 critic updates, device {device}:")
    print(f"  course-style loop ({args.workers} workers, PIL + Normalize): {course:8.2f} it/s")
    print(f"  workbook trainer (device-resident uint8 batches):      {ours:8.2f} it/s")
    print(f"  ratio: {ours / course:.2f}x")
    if device.type == "cuda":
        print(f"  50000 iterations at this speed: {50_000 / ours / 60:.1f} min")


if __name__ == "__main__":
    main()
