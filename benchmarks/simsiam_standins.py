"""Not speed: the stand-in trials behind the README's Problem 3 paragraph.

    .venv/bin/python benchmarks/simsiam_standins.py grey_digits [--epochs 20]

Trains run (a), SimSiam with stop-gradient (``--run`` picks another run of Problem 3), with the
demo profile's network (a ResNet-10 of width 16, stride-2 stem, dim 256, pred_dim 64) at batch
128 and lr 0.15 (``--lr 0.3``) on 5000 images of a candidate stand-in, and prints the kNN
accuracy of the backbone features every epoch next to kNN on raw pixels (2000 test images).
What it showed: within a CPU budget SimSiam learns the class only when images are alike in
everything but the class and what the crops undo; a per-image colour or grey level survives the
course's augmentations and is learned first, and digits spread over the whole frame are learned
far more slowly. Exactly the changes that defeat raw pixels defeat the short run too.

Candidates:
    grey_digits      digit glyphs, shift +-6 px, grey 0.8 on 0.2 in every image
    wide_grey_digits grey_digits, shift +-12 px and height 10-22 px
    noisy_digits     grey_digits, half of them mirrored, under grey noise of std 0.5
    random_grey      digit glyphs, shift +-12 px, a random grey level per image for ink and paper
    random_colour    as random_grey, with a random colour per image
    scattered_digits two copies of one digit at random places, grey 0.8 on 0.2
    scattered_grey   three copies of one `objects` shape at random places, grey levels near fixed
    scattered_colour the same, the paper and each copy in a random colour

The README's numbers: grey_digits, wide_grey_digits, the random_* candidates and
scattered_digits with ``--epochs 20`` (780 steps; scattered_digits also with ``--lr 0.6``), the
other scattered_* ones with ``--epochs 14`` (546 steps), noisy_digits with ``--epochs 16``
(624 steps); the identity-predictor figure with ``--run no_pred_mlp``.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import Tensor

from helpers import simsiam
from helpers.data import chunked, glyph_coverage, shape_mask, to_uint8
from helpers.profiles import SimSiamBudget

_LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def _glyphs(
    labels: Tensor, g: torch.Generator, height: tuple[float, float],
    thickness: tuple[float, float], shift: float,
) -> Tensor:  # fmt: skip
    """Anti-aliased coverage (n, 1, 32, 32) of one digit glyph per label."""

    def render(lab: Tensor, g: torch.Generator) -> Tensor:
        return glyph_coverage(lab, 32, g, height=height, thickness=thickness, shift=(-shift, shift))

    return chunked(render, labels, g)[:, None]


def _colour(g: torch.Generator, n: int, lum: tuple[float, float], sat: float) -> Tensor:
    """(n, 3, 1, 1) colours: a luminance drawn in ``lum`` plus a random chroma of strength
    ``sat`` (drawn even when ``sat`` is 0, so that every candidate's RNG stream is its trial's)."""
    c = torch.rand(n, 3, 1, 1, generator=g)
    c = c - (c * _LUMA).sum(1, keepdim=True)
    return lum[0] + (lum[1] - lum[0]) * torch.rand(n, 1, 1, 1, generator=g) + sat * c


def fixed_grey_digits(
    n: int, seed: int, shift: float = 6, height: tuple[float, float] = (12.0, 20.0),
    copies: int = 1,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """``copies`` of one digit glyph (shift +-``shift`` px) in grey 0.8 on 0.2:
    (n, 3, 32, 32) uint8 and (n,) labels. With the defaults, :func:`helpers.data.grey_digits`
    (the demo's stand-in) draws the same images."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    cover = torch.zeros(n, 1, 32, 32)
    for _ in range(copies):
        cover = torch.maximum(cover, _glyphs(labels, g, height, (1.2, 2.2), shift))
    torch.rand(2, n, generator=g)  # the trials drew (and ignored) a grey level for ink and paper
    img = (0.2 * (1 - cover) + 0.8 * cover).expand(n, 3, 32, 32)
    return to_uint8(img + 0.03 * torch.randn(n, 3, 32, 32, generator=g)), labels


def noisy_digits(n: int, seed: int) -> tuple[Tensor, Tensor]:
    """Digit glyphs (shift +-6 px) in grey 0.8 on 0.2, half of them mirrored, under grey noise of
    std 0.5 (clipped to [0, 1])."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    cover = _glyphs(labels, g, (12.0, 20.0), (1.2, 2.2), 6)
    mirrored = torch.rand(n, generator=g) < 0.5
    cover[mirrored] = cover[mirrored].flip(-1)
    img = (0.2 * (1 - cover) + 0.8 * cover).expand(n, 3, 32, 32)
    img = img + 0.5 * torch.randn(n, 1, 32, 32, generator=g).expand(n, 3, 32, 32)
    return to_uint8(img), labels


def random_digits(n: int, seed: int, sat: float) -> tuple[Tensor, Tensor]:
    """Digit glyphs (shift +-12 px), ink and paper of a random grey level per image, plus a
    random chroma of strength ``sat``."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    cover = _glyphs(labels, g, (10.0, 22.0), (1.2, 2.4), 12)
    bg, fg = _colour(g, n, (0.1, 0.35), sat), _colour(g, n, (0.65, 0.9), sat)
    img = bg * (1 - cover) + fg * cover
    return to_uint8(img + 0.03 * torch.randn(n, 3, 32, 32, generator=g)), labels


def scattered(n: int, seed: int, sat: float, bg_sat: float) -> tuple[Tensor, Tensor]:
    """Three copies of one `objects` shape (radius 4.5-7 px, rotation +-15 degrees) at random
    places; paper and each copy of a random colour (chroma ``bg_sat`` and ``sat``)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=g)
    coords = torch.arange(32, dtype=torch.float32)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")

    def uniform(m: int, low: float, high: float) -> Tensor:
        return (low + (high - low) * torch.rand(m, generator=g))[:, None, None]

    out = []
    for i in range(0, n, 500):
        lab = labels[i : i + 500]
        m = lab.numel()
        img = _colour(g, m, (0.2, 0.3), bg_sat).expand(m, 3, 32, 32).clone()
        for _ in range(3):
            cx, cy, r = uniform(m, 3.0, 28.0), uniform(m, 3.0, 28.0), uniform(m, 4.5, 7.0)
            angle = torch.deg2rad(uniform(m, -15.0, 15.0))
            x, y = (xx - cx) / r, (yy - cy) / r
            u = torch.cos(angle) * x + torch.sin(angle) * y
            v = -torch.sin(angle) * x + torch.cos(angle) * y
            inside = torch.empty(m, 32, 32)
            for k in range(10):
                idx = (lab == k).nonzero().flatten()
                if idx.numel():
                    inside[idx] = shape_mask(k, u[idx], v[idx])
            mask = (inside * r + 0.5).clamp(0, 1)[:, None]
            img = img * (1 - mask) + _colour(g, m, (0.7, 0.8), sat) * mask
        out.append(to_uint8(img + 0.03 * torch.randn(img.shape, generator=g)))
    return torch.cat(out), labels


CANDIDATES = {
    "grey_digits": fixed_grey_digits,
    "wide_grey_digits": lambda n, s: fixed_grey_digits(n, s, shift=12, height=(10.0, 22.0)),
    "noisy_digits": noisy_digits,
    "random_grey": lambda n, s: random_digits(n, s, sat=0.0),
    "random_colour": lambda n, s: random_digits(n, s, sat=0.5),
    "scattered_digits": lambda n, s: fixed_grey_digits(
        n, s, shift=12, height=(11.0, 16.0), copies=2
    ),
    "scattered_grey": lambda n, s: scattered(n, s, sat=0.0, bg_sat=0.0),
    "scattered_colour": lambda n, s: scattered(n, s, sat=0.3, bg_sat=0.2),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("candidate", choices=sorted(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--train", type=int, default=5000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=0.3, help="base lr; lr = base x batch / 256")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--run", default="stop_gradient", choices=list(simsiam.RUNS))
    args = parser.parse_args()
    make = CANDIDATES[args.candidate]
    x, y = make(args.train, 1)
    xt, yt = make(args.test, 2)
    print(f"{args.candidate}: kNN on raw pixels {simsiam.pixel_knn_accuracy(x, y, xt, yt):.1f}%")
    budget = SimSiamBudget(epochs=args.epochs, batch_size=args.batch, base_lr=args.lr, dim=256,
                           pred_dim=64, width=16, blocks=(1, 1, 1, 1), stem_stride=2)  # fmt: skip
    model = simsiam.make_run(args.run, budget)
    began = time.time()
    result = simsiam.train_simsiam(
        "trial", model, x, y, xt, yt, epochs=args.epochs, batch_size=args.batch, base_lr=args.lr,
        progress=False,
    )  # fmt: skip
    h = result.history
    epochs, losses = h.series("loss", x="epoch")
    knn = h.series("knn_accuracy", x="epoch")[1]
    std = h.series("output_std", x="epoch")[1]
    for e, loss, acc, s in zip(epochs, losses, knn, std, strict=True):
        print(f"  epoch {e:3.0f}  loss {loss:6.3f}  kNN {acc:5.1f}%  std x sqrt(d) {s * 16:.2f}")
    steps = int(epochs[-1]) * (args.train // args.batch) if epochs else 0
    print(f"  {steps} steps in {time.time() - began:.0f} s")


if __name__ == "__main__":
    main()
