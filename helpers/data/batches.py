"""Device-resident batches: the whole uint8 split moves to the device once.

Batches are index slices of that tensor, shuffled each epoch on the device, and converted to
float there. No DataLoader and no worker processes: on a GPU this removes the CPU (Colab has 2
cores) from the training loop. The order of epoch ``e`` depends only on ``(seed, e)``, so a
resumed run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import torch
from torch import Tensor

Scale = Literal["unit", "symmetric", "raw"]

__all__ = ["DeviceBatches", "to_float"]


def to_float(images: Tensor, scale: Scale = "unit", binary: bool = False) -> Tensor:
    """Convert uint8 images to float32.

    Args:
        images: (..., C, H, W) uint8.
        scale: ``unit`` maps to [0, 1], ``symmetric`` to [-1, 1], ``raw`` keeps the values.
        binary: the values are already 0/1 (binarized MNIST): ``unit`` keeps them as they are.

    Returns:
        float32 tensor of the same shape, on the same device.
    """
    x = images.float()
    if scale == "raw":
        return x
    if not binary:
        x = x / 255.0
    return x * 2 - 1 if scale == "symmetric" else x


class DeviceBatches:
    """Shuffled mini-batches of a uint8 dataset held on the device.

    Args:
        images: (N, C, H, W) uint8, on any device; moved to ``device`` once.
        labels: (N,) int64 or ``None``.
        batch_size: images per batch.
        device: where the data lives and batches are made.
        seed: the permutation of epoch ``e`` is drawn from ``(seed, e)``.
        scale: float conversion, see :func:`to_float`.
        binary: the images hold 0/1 (binarized MNIST).
        drop_last: skip the last incomplete batch of an epoch (keeps every step's shape).
        channels_last: return batches in channels-last memory format (faster convolutions on GPU).
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor | None,
        batch_size: int,
        *,
        device: torch.device | str = "cpu",
        seed: int = 0,
        scale: Scale = "unit",
        binary: bool = False,
        drop_last: bool = True,
        channels_last: bool = False,
    ) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(
                f"images must be (N, C, H, W) uint8, got {tuple(images.shape)} {images.dtype}"
            )
        if labels is not None and labels.shape != images.shape[:1]:
            raise ValueError(
                f"labels of shape {tuple(labels.shape)} do not match {images.shape[0]} images"
            )
        if not 0 < batch_size <= images.shape[0]:
            raise ValueError(f"batch_size must be in 1..{images.shape[0]}, got {batch_size}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        self.labels = labels.to(self.device) if labels is not None else None
        self.batch_size = batch_size
        self.seed = seed
        self.scale: Scale = scale
        self.binary = binary
        self.drop_last = drop_last
        self.channels_last = channels_last
        self._epoch = -1
        self._perm: Tensor | None = None

    def __len__(self) -> int:
        """Batches per epoch."""
        n = self.images.shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    @property
    def steps_per_epoch(self) -> int:
        return len(self)

    def permutation(self, epoch: int) -> Tensor:
        """The order of epoch ``epoch``: (N,) int64 on the device."""
        if epoch != self._epoch or self._perm is None:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm = torch.randperm(self.images.shape[0], generator=g).to(self.device)
            self._epoch = epoch
        return self._perm

    def take(self, index: Tensor) -> tuple[Tensor, Tensor | None]:
        """The images (float, (B, C, H, W)) and labels ((B,) or None) at ``index`` ((B,) int64
        on the device): a gather and a conversion on the device, nothing read on the host (a
        CUDA graph can record it)."""
        x = to_float(self.images[index], self.scale, self.binary)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = self.labels[index] if self.labels is not None else None
        return x, y

    def index_at(self, step: int) -> Tensor:
        """The indices (B,) of batch number ``step`` counted from the start of training."""
        epoch, i = divmod(step, len(self))
        return self.permutation(epoch)[i * self.batch_size : (i + 1) * self.batch_size]

    def batch_at(self, step: int) -> tuple[Tensor, Tensor | None]:
        """Batch number ``step`` counted from the start of training (epoch ``step // len``)."""
        return self.take(self.index_at(step))

    def epoch(self, epoch: int) -> Iterator[tuple[Tensor, Tensor | None]]:
        """All batches of epoch ``epoch``, shuffled: (x float (B, C, H, W), y (B,) or None)."""
        for i in range(len(self)):
            yield self.batch_at(epoch * len(self) + i)

    def ordered(self, batch_size: int | None = None) -> Iterator[tuple[Tensor, Tensor | None]]:
        """Every image once, in order, the last batch possibly smaller (for evaluation)."""
        size = batch_size or self.batch_size
        for start in range(0, self.images.shape[0], size):
            end = min(start + size, self.images.shape[0])
            yield self.take(torch.arange(start, end, device=self.device))

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor | None]]:
        return self.epoch(0)
