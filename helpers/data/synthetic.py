"""Offline stand-ins for the workbook's datasets, drawn procedurally and deterministically.

Each generator returns ``(images, labels)``: uint8 images (N, C, H, W) and int64 labels (N,) in
10 classes, with the shapes and value ranges of the real dataset it replaces:

- :func:`digits`: handwriting-like digit glyphs, 1x28x28, greyscale 0..255 (MNIST) or
  binarized to 0/1 by Bernoulli sampling of the grey level (Larochelle's binarized MNIST).
- :func:`house_numbers`: coloured digits on coloured backgrounds with neighbouring digits cut
  by the frame, 3x32x32 (SVHN).
- :func:`objects`: 10 shape classes of random colour, texture, pose, position and background,
  3x32x32 (CIFAR-10). Raw pixels separate the classes poorly (colour and position dominate
  pixel distances), while an encoder that learns invariance to crops and colour can.

Glyphs are polylines rendered with anti-aliasing after a random affine map and a random jitter
of their control points, so no two images are alike. 10000 images take a few seconds on a CPU.
"""

from __future__ import annotations

import math
import zlib

import torch
from torch import Tensor

__all__ = [
    "chunked",
    "digits",
    "glyph_coverage",
    "grey_digits",
    "house_numbers",
    "objects",
    "pixel_grid",
    "seed_for",
    "shape_coverage",
    "shape_mask",
    "to_uint8",
]


def seed_for(*parts: object) -> int:
    """A stable 31-bit seed from ``parts`` (the same on every machine and Python run)."""
    return zlib.crc32(repr(parts).encode()) & 0x7FFFFFFF


# --------------------------------------------------------------------------------------------
# Digit glyphs: polylines in a box of [-0.5, 0.5] x [-0.8, 0.8], y pointing down.


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 10):
    """Points on an elliptic arc from angle a0 to a1 (degrees; 90 points down)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in (a0 + (a1 - a0) * i / n for i in range(n + 1))
    ]


_STROKES: list[list[list[tuple[float, float]]]] = [
    [_arc(0, 0, 0.48, 0.8, 0, 360, 16)],  # 0
    [[(-0.25, -0.5), (0.05, -0.8), (0.05, 0.8)]],  # 1
    [[*_arc(0, -0.35, 0.45, 0.45, 200, 390), (-0.5, 0.8), (0.5, 0.8)]],  # 2
    [_arc(0, -0.4, 0.4, 0.4, 200, 450), _arc(0, 0.4, 0.45, 0.4, 270, 520)],  # 3
    [[(0.2, 0.8), (0.2, -0.8), (-0.5, 0.3), (0.5, 0.3)]],  # 4
    [[(0.45, -0.8), (-0.35, -0.8), (-0.38, -0.05), *_arc(0, 0.3, 0.45, 0.45, 245, 490)]],  # 5
    [[(0.35, -0.8), (-0.1, -0.6), (-0.4, -0.1), *_arc(0, 0.4, 0.45, 0.4, 180, 540, 14)]],  # 6
    [[(-0.5, -0.8), (0.5, -0.8), (-0.1, 0.8)]],  # 7
    [_arc(0, -0.42, 0.36, 0.38, 0, 360, 12), _arc(0, 0.4, 0.45, 0.4, 0, 360, 14)],  # 8
    [_arc(0, -0.35, 0.42, 0.42, 0, 360, 14), [(0.42, -0.35), (0.3, 0.8)]],  # 9
]


def _glyph_tables() -> tuple[Tensor, Tensor]:
    """Padded control points (10, P, 2) and segment index pairs (10, S, 2)."""
    points, segments = [], []
    for strokes in _STROKES:
        pts: list[tuple[float, float]] = []
        segs: list[tuple[int, int]] = []
        for stroke in strokes:
            start = len(pts)
            pts.extend(stroke)
            segs.extend((start + i, start + i + 1) for i in range(len(stroke) - 1))
        points.append(pts)
        segments.append(segs)
    p_max = max(map(len, points))
    s_max = max(map(len, segments))
    pts_t = torch.zeros(10, p_max, 2)
    seg_t = torch.zeros(10, s_max, 2, dtype=torch.long)
    for k in range(10):
        pts_t[k, : len(points[k])] = torch.tensor(points[k])
        segs = segments[k] + [segments[k][-1]] * (s_max - len(segments[k]))  # repeats are harmless
        seg_t[k] = torch.tensor(segs)
    return pts_t, seg_t


_POINTS, _SEGMENTS = _glyph_tables()
_NUM_SEGMENTS = [sum(len(stroke) - 1 for stroke in strokes) for strokes in _STROKES]


def _uniform(g: torch.Generator, n: int, low: float, high: float) -> Tensor:
    return low + (high - low) * torch.rand(n, generator=g)


def glyph_coverage(
    labels: Tensor,
    size: int,
    g: torch.Generator,
    *,
    height: tuple[float, float],
    thickness: tuple[float, float],
    shift: tuple[float, float] | Tensor,
    rotation: float = 15.0,
    shear: float = 0.25,
    jitter: float = 0.05,
) -> Tensor:
    """Anti-aliased coverage in [0, 1] of one glyph per image, shape (N, size, size).

    ``height``: glyph height range in pixels; ``thickness``: half stroke width range in pixels;
    ``shift``: range of the centre's offset in pixels, or an (N, 2) tensor of offsets.
    """
    n = labels.numel()
    pts = _POINTS[labels] + jitter * torch.randn(n, _POINTS.shape[1], 2, generator=g)
    scale = _uniform(g, n, *height) / 1.6
    aspect = _uniform(g, n, 0.8, 1.2)
    angle = torch.deg2rad(_uniform(g, n, -rotation, rotation))
    sh = _uniform(g, n, -shear, shear)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # A = R(angle) @ Shear(sh) @ diag(scale * aspect, scale)
    a = torch.stack(
        [
            torch.stack([cos * scale * aspect, (cos * sh - sin) * scale], -1),
            torch.stack([sin * scale * aspect, (sin * sh + cos) * scale], -1),
        ],
        -2,
    )  # (N, 2, 2)
    if isinstance(shift, Tensor):
        offset = shift
    else:
        offset = torch.stack([_uniform(g, n, *shift), _uniform(g, n, *shift)], -1)
    centre = (size - 1) / 2 + offset  # (N, 2)
    pix = torch.einsum("nij,npj->npi", a, pts) + centre[:, None, :]  # (N, P, 2) in pixels
    half_width = _uniform(g, n, *thickness)
    coords = torch.arange(size, dtype=torch.float32)
    grid = torch.stack(torch.meshgrid(coords, coords, indexing="xy"), -1).reshape(-1, 2)  # (HW, 2)
    dist2 = torch.empty(n, size * size)
    for k in range(10):  # per class, so that no padded segment is computed
        idx = (labels == k).nonzero().flatten()
        if idx.numel() == 0:
            continue
        seg = _SEGMENTS[k, : _NUM_SEGMENTS[k]]
        p0, p1 = pix[idx][:, seg[:, 0]], pix[idx][:, seg[:, 1]]  # (M, S, 2)
        d = p1 - p0
        dd = (d * d).sum(-1).clamp_min(1e-6)[:, None, :]  # (M, 1, S)
        # rel = grid - p0; everything below is (M, HW, S), expanded into matrix products.
        rd = torch.einsum("pk,msk->mps", grid, d) - (p0 * d).sum(-1)[:, None, :]
        rel2 = (
            (grid * grid).sum(-1)[None, :, None]
            - 2 * torch.einsum("pk,msk->mps", grid, p0)
            + (p0 * p0).sum(-1)[:, None, :]
        )
        t = (rd / dd).clamp(0, 1)
        dist2[idx] = (rel2 - t * (2 * rd - t * dd)).amin(-1)
    dist = dist2.clamp_min(0).sqrt()
    cover = (half_width[:, None] - dist + 0.5).clamp(0, 1)
    return cover.reshape(n, size, size)


def chunked(fn, labels: Tensor, g: torch.Generator, chunk: int = 500, **kwargs) -> Tensor:
    return torch.cat([fn(labels[i : i + chunk], g, **kwargs) for i in range(0, len(labels), chunk)])


def digits(n: int, seed: int = 0, *, binarized: bool = False) -> tuple[Tensor, Tensor]:
    """Digit-like glyphs (MNIST stand-in).

    Returns images (n, 1, 28, 28) uint8, grey levels 0..255, or 0/1 when ``binarized`` (each
    pixel drawn once from Bernoulli(grey level), as in the stochastic binarization of MNIST),
    and labels (n,) int64 in 0..9.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)

    def render(lab: Tensor, g: torch.Generator) -> Tensor:
        return glyph_coverage(lab, 28, g, height=(15.0, 20.0), thickness=(0.9, 1.7), shift=(-2, 2))

    cover = chunked(render, labels, g)
    if binarized:
        images = torch.bernoulli(cover, generator=g).to(torch.uint8)
    else:
        images = (cover * 255).round().to(torch.uint8)
    return images[:, None], labels


def grey_digits(n: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Digit glyphs in CIFAR's format, the demo's stand-in for SimSiam: one glyph per image
    (height 12-20 px, shift +-6 px), grey 0.8 on 0.2 in every image, light noise.

    Every image has the same grey levels, so what two augmented views share is the digit's
    shape, which a short CPU run of SimSiam learns; raw pixels still separate the classes well
    (``benchmarks/simsiam_standins.py`` has the trials behind the choice).

    Returns:
        images (n, 3, 32, 32) uint8 and labels (n,) int64 in 0..9.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)

    def render(lab: Tensor, g: torch.Generator) -> Tensor:
        return glyph_coverage(lab, 32, g, height=(12.0, 20.0), thickness=(1.2, 2.2), shift=(-6, 6))

    cover = chunked(render, labels, g)[:, None]
    torch.rand(2, n, generator=g)  # kept: the recorded trials drew (and ignored) two grey levels
    img = (0.2 * (1 - cover) + 0.8 * cover).expand(n, 3, 32, 32)
    return to_uint8(img + 0.03 * torch.randn(n, 3, 32, 32, generator=g)), labels


def _random_colours(g: torch.Generator, n: int) -> Tensor:
    return torch.rand(n, 3, generator=g)


def _contrasting(g: torch.Generator, background: Tensor, min_gap: float) -> Tensor:
    """Colours whose luminance differs from ``background``'s by at least ``min_gap``."""
    n = background.shape[0]
    weights = torch.tensor([0.299, 0.587, 0.114])
    lum = background @ weights
    colour = _random_colours(g, n)
    target = torch.where(
        lum > 0.5, lum - _uniform(g, n, min_gap, 0.8), lum + _uniform(g, n, min_gap, 0.8)
    ).clamp(0.02, 0.98)
    colour = colour + (target - colour @ weights)[:, None]
    return colour.clamp(0, 1)


def _smooth_noise(g: torch.Generator, n: int, channels: int, size: int, cells: int) -> Tensor:
    """Low-frequency noise in [-1, 1]: a random (cells x cells) grid upsampled bicubically."""
    coarse = torch.rand(n, channels, cells, cells, generator=g) * 2 - 1
    up = torch.nn.functional.interpolate(
        coarse, size=(size, size), mode="bicubic", align_corners=True
    )
    return up.clamp(-1, 1)


def to_uint8(images: Tensor) -> Tensor:
    return (images.clamp(0, 1) * 255).round().to(torch.uint8)


def house_numbers(n: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """House-number-like digits (SVHN stand-in): images (n, 3, 32, 32) uint8, labels (n,) 0..9.

    A centred coloured digit, often with neighbours cut off by the frame, on a shaded
    background of another colour, with sensor noise.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    glyph = dict(height=(17.0, 25.0), thickness=(1.3, 2.6), rotation=8.0, shear=0.2)
    images = []
    for i in range(0, n, 500):
        lab = labels[i : i + 500]
        m = lab.numel()
        centre = glyph_coverage(lab, 32, g, shift=(-1.5, 1.5), **glyph)
        cover = centre
        for side in (-1.0, 1.0):  # neighbouring digits, present with probability 0.6 each
            other = torch.randint(0, 10, (m,), generator=g)
            offset = torch.stack([side * _uniform(g, m, 14.0, 18.0), _uniform(g, m, -1.5, 1.5)], -1)
            present = (torch.rand(m, generator=g) < 0.6).float()[:, None, None]
            neighbour = glyph_coverage(other, 32, g, shift=offset, **glyph)
            cover = torch.maximum(cover, present * neighbour)
        background = _random_colours(g, m)
        foreground = _contrasting(g, background, 0.25)
        shade = 0.15 * _smooth_noise(g, m, 1, 32, 3)
        bg = (background[:, :, None, None] + shade).clamp(0, 1)
        img = bg * (1 - cover[:, None]) + foreground[:, :, None, None] * cover[:, None]
        img = img + 0.03 * torch.randn(img.shape, generator=g)
        images.append(to_uint8(img))
    return torch.cat(images), labels


# --------------------------------------------------------------------------------------------
# Objects: 10 shape classes defined on coordinates (u, v) centred on the object, radius ~1.

OBJECT_CLASSES = (
    "disk", "square", "triangle", "ring", "cross", "star", "crescent", "pair", "bar", "chevron",
)  # fmt: skip


def shape_mask(label: int, u: Tensor, v: Tensor) -> Tensor:
    """Soft mask (before anti-aliasing) as a signed distance-like value: > 0 inside."""
    r = torch.sqrt(u * u + v * v)
    if label == 0:  # disk
        return 1 - r
    if label == 1:  # square
        return 0.85 - torch.maximum(u.abs(), v.abs())
    if label == 2:  # equilateral triangle, edge normals 120 degrees apart, inradius 0.5
        return torch.minimum(
            0.5 - v, torch.minimum(0.5 - (0.866 * u - 0.5 * v), 0.5 - (-0.866 * u - 0.5 * v))
        )
    if label == 3:  # ring
        return 0.3 - (r - 0.7).abs()
    if label == 4:  # cross
        return torch.maximum(
            torch.minimum(0.3 - u.abs(), 0.95 - v.abs()),
            torch.minimum(0.3 - v.abs(), 0.95 - u.abs()),
        )
    if label == 5:  # five-pointed star
        theta = torch.atan2(v, u)
        radius = 0.45 + 0.55 * (0.5 + 0.5 * torch.cos(5 * theta)) ** 2
        return radius - r
    if label == 6:  # crescent
        return torch.minimum(1 - r, torch.sqrt((u - 0.45) ** 2 + (v + 0.2) ** 2) - 0.75)
    if label == 7:  # pair of small disks
        d1 = torch.sqrt((u - 0.5) ** 2 + v**2)
        d2 = torch.sqrt((u + 0.5) ** 2 + v**2)
        return 0.42 - torch.minimum(d1, d2)
    if label == 8:  # long bar
        return torch.minimum(0.25 - v.abs(), 1.0 - u.abs())
    # chevron
    return torch.minimum(0.22 - (v - 0.8 * u.abs() + 0.3).abs(), 0.9 - u.abs())


def pixel_grid(size: int) -> tuple[Tensor, Tensor]:
    """The row and column coordinates ``(yy, xx)`` of a ``size`` x ``size`` image's pixels,
    each (size, size) float32."""
    coords = torch.arange(size, dtype=torch.float32)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    return yy, xx


def shape_coverage(labels: Tensor, u: Tensor, v: Tensor, radius: Tensor) -> Tensor:
    """How much of each pixel (m, 1, H, W), 0..1, the class shape of each image covers, given
    its coordinates ``u``, ``v`` (m, H, W) in units of the shape's radius (see
    :func:`shape_mask`) and that radius in pixels (``radius``, broadcast to (m, H, W)): the
    shape's edge anti-aliased over one pixel."""
    inside = torch.empty(u.shape)
    for k in range(10):
        idx = (labels == k).nonzero().flatten()
        if idx.numel():
            inside[idx] = shape_mask(k, u[idx], v[idx])
    return (inside * radius + 0.5).clamp(0, 1)[:, None]


def objects(n: int, seed: int = 0) -> tuple[Tensor, Tensor]:
    """CIFAR-like objects (CIFAR-10 stand-in): images (n, 3, 32, 32) uint8, labels (n,) 0..9.

    The class is the object's shape (:data:`OBJECT_CLASSES`); colour, texture, rotation, size,
    position, background and clutter are random and shared by all classes.
    """
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    size = 32
    yy, xx = pixel_grid(size)
    images = []
    for i in range(0, n, 500):
        lab = labels[i : i + 500]
        m = lab.numel()
        cx = _uniform(g, m, 9.0, 22.0)[:, None, None]
        cy = _uniform(g, m, 9.0, 22.0)[:, None, None]
        radius = _uniform(g, m, 6.0, 10.0)[:, None, None]
        angle = (_uniform(g, m, -math.pi, math.pi))[:, None, None]
        x, y = (xx - cx) / radius, (yy - cy) / radius
        u = torch.cos(angle) * x + torch.sin(angle) * y
        v = -torch.sin(angle) * x + torch.cos(angle) * y
        mask = shape_coverage(lab, u, v, radius)

        background = _random_colours(g, m)
        colour_a = _contrasting(g, background, 0.2)
        colour_b = _random_colours(g, m)
        # Texture: stripes of random frequency, direction and strength inside the object.
        freq = _uniform(g, m, 0.3, 1.2)[:, None, None]
        phi = _uniform(g, m, 0, math.pi)[:, None, None]
        strength = (torch.rand(m, generator=g) < 0.5).float()[:, None, None] * 0.6
        stripes = 0.5 + 0.5 * torch.sin(freq * (xx * torch.cos(phi) + yy * torch.sin(phi)) * 3)
        blend = (strength * stripes)[:, None]
        fg = colour_a[:, :, None, None] * (1 - blend) + colour_b[:, :, None, None] * blend
        bg = background[:, :, None, None] + 0.35 * _smooth_noise(g, m, 3, size, 4)
        # Clutter: a blob of random colour somewhere else, behind the object.
        bx = _uniform(g, m, 0, size)[:, None, None]
        by = _uniform(g, m, 0, size)[:, None, None]
        br = _uniform(g, m, 2.0, 6.0)[:, None, None]
        blob = ((br - torch.sqrt((xx - bx) ** 2 + (yy - by) ** 2)) + 0.5).clamp(0, 1)[:, None]
        blob = blob * (torch.rand(m, generator=g) < 0.7).float()[:, None, None, None]
        bg = bg * (1 - blob) + _random_colours(g, m)[:, :, None, None] * blob
        img = bg * (1 - mask) + fg * mask
        img = img + 0.03 * torch.randn(img.shape, generator=g)
        images.append(to_uint8(img))
    return torch.cat(images), labels
