"""The CIFAR-10 stand-ins by name (:data:`STANDINS`, what ``load(..., standin=...)`` draws), and
Problem 3's own, :func:`tiled_shapes`.

``objects`` (the default CIFAR-10 stand-in) and ``grey_digits`` (an earlier Problem 3 stand-in)
are drawn by :mod:`helpers.data.synthetic`; ``tiled_shapes``, on which the ``demo`` profile
trains SimSiam, is drawn here from the same ten shapes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .synthetic import grey_digits, objects, pixel_grid, shape_coverage, to_uint8

__all__ = ["STANDINS", "tiled_shapes"]


def _uniform(g: torch.Generator, n: int, low: float, high: float) -> Tensor:
    return low + (high - low) * torch.rand(n, generator=g)


_LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def _tinted(g: torch.Generator, n: int, luminance: tuple[float, float], chroma: float) -> Tensor:
    """(n, 3, 1, 1) colours: a luminance drawn in ``luminance`` plus a random chroma (a colour
    of zero luminance) of strength ``chroma``."""
    c = torch.rand(n, 3, 1, 1, generator=g)
    c = c - (c * _LUMA).sum(1, keepdim=True)
    return _uniform(g, n, *luminance).view(n, 1, 1, 1) + chroma * c


def tiled_shapes(
    n: int,
    seed: int = 0,
    *,
    spacing: tuple[float, float] = (8.0, 12.0),
    rotation: float = 15.0,
    fill: float = 0.42,
    shape_luminance: tuple[float, float] = (0.6, 0.9),
    background_luminance: tuple[float, float] = (0.1, 0.4),
    chroma: float = 0.5,
) -> tuple[Tensor, Tensor]:
    """Problem 3's stand-in for CIFAR-10: the class's shape (one of ``synthetic.OBJECT_CLASSES``)
    repeated over the whole image on a square lattice, so that every crop shows it.

    Per image: lattice spacing in ``spacing`` (pixels), random offset, the lattice and its shapes
    rotated by up to +-``rotation`` degrees, shape radius ``fill`` x spacing; one colour for the
    shapes (luminance in ``shape_luminance``) and one for the background (in
    ``background_luminance``), each with a random chroma of strength ``chroma``; light noise.
    What two views of one image share is the shape; what differs between images of one class
    (scale, phase, colour, brightness) is what SimSiam's crops and colour jitter vary, and what
    raw-pixel distances are dominated by.

    Returns:
        images (n, 3, 32, 32) uint8 and labels (n,) int64 in 0..9.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    yy, xx = pixel_grid(32)
    images = []
    for i in range(0, n, 500):
        lab = labels[i : i + 500]
        m = lab.numel()
        step = _uniform(g, m, *spacing)[:, None, None]
        x = xx - _uniform(g, m, 0.0, 1.0)[:, None, None] * step
        y = yy - _uniform(g, m, 0.0, 1.0)[:, None, None] * step
        angle = torch.deg2rad(_uniform(g, m, -rotation, rotation))[:, None, None]
        radius = fill * step
        # Coordinates centred on the nearest lattice point, in units of the shape's radius.
        u = torch.remainder(torch.cos(angle) * x + torch.sin(angle) * y, step) - step / 2
        v = torch.remainder(-torch.sin(angle) * x + torch.cos(angle) * y, step) - step / 2
        mask = shape_coverage(lab, u / radius, v / radius, radius)
        background = _tinted(g, m, background_luminance, chroma)
        shape = _tinted(g, m, shape_luminance, chroma)
        img = background * (1 - mask) + shape * mask
        images.append(to_uint8(img + 0.03 * torch.randn(img.shape, generator=g)))
    return torch.cat(images), labels


# The CIFAR-10 stand-ins by name (``helpers.data.load(..., standin=...)``).
STANDINS: dict[str, Callable[[int, int], tuple[Tensor, Tensor]]] = {
    "objects": objects,
    "grey_digits": grey_digits,
    "tiled_shapes": tiled_shapes,
}
