"""SimSiam's augmentations, batched on the device with per-example random parameters.

The course's torchvision pipeline, per image: RandomResizedCrop(32, scale=(0.08, 1)),
RandomHorizontalFlip, ColorJitter(0.4, 0.4, 0.4, 0.1) with p = 0.8, RandomGrayscale(p = 0.2),
then Normalize. Here one call transforms a whole (B, 3, H, W) batch on its device: crop and flip
are one affine resampling per image (``affine_grid`` + ``grid_sample``), and the colour
operations are tensor arithmetic, each image with its own random draw. One difference from
torchvision: the order of the four jitter operations is drawn once per batch, not per image.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["CIFAR_MEAN", "CIFAR_STD", "SimSiamAugment", "hsv_to_rgb", "rgb_to_hsv"]

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
_GRAY = (0.299, 0.587, 0.114)


def _uniform(shape: tuple[int, ...], low: float, high: float, like: Tensor, g) -> Tensor:
    return low + (high - low) * torch.rand(shape, device=like.device, generator=g)


@functools.cache
def _constant(values: tuple[float, ...], device: torch.device, dtype: torch.dtype) -> Tensor:
    """``values`` as a (1, C, 1, 1) tensor on ``device``, made once: ``torch.tensor`` on a GPU
    copies from the host and waits for the device to finish its queued work."""
    return torch.tensor(values, device=device, dtype=dtype).view(1, -1, 1, 1)


def _gray(x: Tensor) -> Tensor:
    return (x * _constant(_GRAY, x.device, x.dtype)).sum(1, keepdim=True)


def rgb_to_hsv(x: Tensor) -> Tensor:
    """(B, 3, H, W) RGB in [0, 1] -> HSV in [0, 1] (hue as a fraction of a turn)."""
    r, g, b = x.unbind(1)
    maxc, _ = x.max(1)
    minc, _ = x.min(1)
    delta = maxc - minc
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = torch.where(maxc == r, bc - gc, torch.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = torch.where(delta > 0, (h / 6.0) % 1.0, torch.zeros_like(h))
    s = torch.where(
        maxc > 0, delta / torch.where(maxc > 0, maxc, torch.ones_like(maxc)), torch.zeros_like(maxc)
    )
    return torch.stack([h, s, maxc], 1)


def hsv_to_rgb(x: Tensor) -> Tensor:
    """(B, 3, H, W) HSV in [0, 1] -> RGB in [0, 1]."""
    h, s, v = x.unbind(1)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = torch.zeros_like(x)
    for k, (rr, gg, bb) in enumerate(choices):
        mask = (i == k).unsqueeze(1)
        out = torch.where(mask, torch.stack([rr, gg, bb], 1), out)
    return out


class SimSiamAugment:
    """Two-view augmentation for SimSiam: ``aug(x) -> (view1, view2)``.

    Args:
        size: output size (32 for CIFAR-10).
        scale: RandomResizedCrop's range of the crop's area, as a fraction of the image.
        ratio: RandomResizedCrop's range of the crop's aspect ratio.
        jitter: ColorJitter's (brightness, contrast, saturation, hue).
        p_jitter, p_gray, p_flip: probabilities of colour jitter, grayscale and flip.
        mean, std: the normalisation applied last (``None`` skips it).
    """

    def __init__(
        self,
        size: int = 32,
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3 / 4, 4 / 3),
        jitter: tuple[float, float, float, float] = (0.4, 0.4, 0.4, 0.1),
        p_jitter: float = 0.8,
        p_gray: float = 0.2,
        p_flip: float = 0.5,
        mean: tuple[float, ...] | None = CIFAR_MEAN,
        std: tuple[float, ...] | None = CIFAR_STD,
    ) -> None:
        self.size, self.scale, self.ratio, self.jitter = size, scale, ratio, jitter
        self.p_jitter, self.p_gray, self.p_flip = p_jitter, p_gray, p_flip
        self.mean, self.std = mean, std

    def crop_flip(self, x: Tensor, g: torch.Generator | None = None) -> Tensor:
        """RandomResizedCrop and RandomHorizontalFlip, one affine resampling per image."""
        b = x.shape[0]
        area = _uniform((b,), *self.scale, x, g)
        log_ratio = _uniform((b,), math.log(self.ratio[0]), math.log(self.ratio[1]), x, g)
        ratio = torch.exp(log_ratio)
        w = torch.sqrt(area * ratio).clamp(max=1.0)  # fractions of the image's width and height
        h = torch.sqrt(area / ratio).clamp(max=1.0)
        cx = (1 - w) * torch.rand(b, device=x.device, generator=g) + w / 2  # crop inside
        cy = (1 - h) * torch.rand(b, device=x.device, generator=g) + h / 2
        flip = torch.where(torch.rand(b, device=x.device, generator=g) < self.p_flip, -1.0, 1.0)
        theta = torch.zeros(b, 2, 3, device=x.device, dtype=x.dtype)
        theta[:, 0, 0] = w * flip
        theta[:, 0, 2] = 2 * cx - 1
        theta[:, 1, 1] = h
        theta[:, 1, 2] = 2 * cy - 1
        grid = F.affine_grid(theta, [b, x.shape[1], self.size, self.size], align_corners=False)
        return F.grid_sample(
            x, grid, mode="bilinear", padding_mode="reflection", align_corners=False
        )

    def color(self, x: Tensor, g: torch.Generator | None = None) -> Tensor:
        """ColorJitter with probability ``p_jitter``, then RandomGrayscale, per image."""
        b = x.shape[0]
        bri, con, sat, hue = self.jitter
        apply = (torch.rand(b, device=x.device, generator=g) < self.p_jitter).view(b, 1, 1, 1)
        y = x
        # The order of the four ops is drawn on the CPU (the CPU RNG, or g): drawing it on the GPU
        # and reading it back with .tolist() would stall the GPU twice per training step.
        order = torch.randperm(4, generator=g, device="cpu" if g is None else g.device).tolist()
        for op in order:
            if op == 0 and bri > 0:
                f = _uniform((b, 1, 1, 1), 1 - bri, 1 + bri, x, g)
                y = (y * f).clamp(0, 1)
            elif op == 1 and con > 0:
                f = _uniform((b, 1, 1, 1), 1 - con, 1 + con, x, g)
                m = _gray(y).mean((2, 3), keepdim=True)
                y = ((y - m) * f + m).clamp(0, 1)
            elif op == 2 and sat > 0:
                f = _uniform((b, 1, 1, 1), 1 - sat, 1 + sat, x, g)
                gray = _gray(y)
                y = ((y - gray) * f + gray).clamp(0, 1)
            elif op == 3 and hue > 0:
                shift = _uniform((b, 1, 1), -hue, hue, x, g)
                hsv = rgb_to_hsv(y)
                hsv = torch.stack([(hsv[:, 0] + shift) % 1.0, hsv[:, 1], hsv[:, 2]], 1)
                y = hsv_to_rgb(hsv).clamp(0, 1)
        x = torch.where(apply, y, x)
        gray = (torch.rand(b, device=x.device, generator=g) < self.p_gray).view(b, 1, 1, 1)
        return torch.where(gray, _gray(x).expand_as(x), x)

    def normalize(self, x: Tensor) -> Tensor:
        if self.mean is None or self.std is None:
            return x
        mean = _constant(tuple(self.mean), x.device, x.dtype)
        return (x - mean) / _constant(tuple(self.std), x.device, x.dtype)

    def view(self, x: Tensor, g: torch.Generator | None = None) -> Tensor:
        """One augmented view of float images (B, 3, H, W) in [0, 1]."""
        return self.normalize(self.color(self.crop_flip(x, g), g))

    def __call__(self, x: Tensor, g: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Two independent views of x (B, 3, H, W) in [0, 1]: (B, 3, size, size) each."""
        return self.view(x, g), self.view(x, g)
