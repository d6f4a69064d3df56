"""Notebook 02's training-with-Frechet-distance and figures: samples over training, the
discriminator's outputs, the WGAN curves and the interpolation rows, each one call from a short
cell of ``notebooks/02_gans.ipynb``.

The models and the trainer live in :mod:`helpers.gan`; this module runs and draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from ..common import frechet
from ..common.frechet import FrechetScorer
from ..data.batches import to_float
from ..notebook import interactive, plots
from ..notebook.workbook import seed_everything
from ..train.loop import History, Snapshots, TrainResult
from . import training

__all__ = [
    "classifier_accuracy",
    "interpolation_midpoints",
    "interpolation_rows",
    "nearest_distances",
    "plot_discriminator",
    "plot_latent_interpolation",
    "plot_samples_over_training",
    "plot_wgan_curves",
    "row_changes",
    "sample_statistics",
    "sharpness",
    "snapshot_label",
    "train_with_frechet",
]


def train_with_frechet(
    name: str,
    generator: nn.Module,
    critic: nn.Module,
    images: Tensor,
    scorer: FrechetScorer,
    *,
    fd_samples: int,
    seed: int,
    device: torch.device | str,
    **train_options: Any,
) -> tuple[float, TrainResult, Snapshots]:
    """The Frechet distance of the untrained generator, then :func:`helpers.gan.train_gan`
    with the distance evaluated during training.

    Args:
        generator: maps z (B, latent_dim) to images (B, C, H, W) in [-1, 1].
        images: (N, C, H, W) uint8 real training images.
        scorer: the distance to the test images (``fd_samples`` generated images per call).
        seed: seeds every generator before the first distance, and the training.
        train_options: the other keyword arguments of :func:`helpers.gan.train_gan`.

    Returns:
        ``(fd_init, result, snapshots)``: the distance at initialisation and what
        :func:`helpers.gan.train_gan` returns (its history holds ``frechet_distance``).
    """

    def sample(n: int) -> Tensor:
        return generator(torch.randn(n, generator.latent_dim, device=device))

    def frechet(step: int) -> dict[str, float]:
        return {"frechet_distance": scorer.of_generator(sample, fd_samples)}

    seed_everything(seed)
    fd_init = frechet(0)["frechet_distance"]
    result, snapshots = training.train_gan(
        name, generator, critic, images, eval_fn=frechet, device=device, seed=seed,
        **train_options,
    )  # fmt: skip
    return fd_init, result, snapshots


def snapshot_label(step: int, images: Tensor) -> str:
    """A row label for snapshot images (uint8, 0..255 for [-1, 1]) taken at ``step``.

    At step 0 the generator is untrained and in evaluation mode, its BatchNorm layers still
    holding their initial statistics (mean 0, variance 1): its outputs lie close to 0, which
    shows as a nearly flat grey. The label says so and gives the range of the values shown, on
    the generator's [-1, 1] scale.
    """
    if step != 0:
        return f"iteration {step}"
    values = images.float() / 255 * 2 - 1
    return f"iteration 0, untrained\n(values {values.min():+.2f} to {values.max():+.2f})"


def plot_samples_over_training(
    snapshots: Snapshots, title: str, n: int = 16, columns: int = 5
) -> Figure:
    """The first ``n`` snapshot images (uint8, (B, C, H, W), 0..255 for [-1, 1]) at up to
    ``columns`` points of training, one row per iteration (see :func:`snapshot_label`)."""
    rows = {snapshot_label(step, images): images[:n] for step, images in snapshots.spread(columns)}
    return plots.show_images(rows, title=title, scale=0.5)


def plot_discriminator(history: History) -> Figure:
    """The vanilla GAN's mean D(x) on real and D(G(z)) on generated batches against the
    generator iteration, with the optimum 1/2 marked."""
    steps, d_real = history.series("d_real")
    _, d_fake = history.series("d_fake")
    fig = plots.plot_curves(
        {"D(x), real images": (steps, d_real), "D(G(z)), generated": (steps, d_fake)},
        xlabel="generator iteration",
        ylabel="mean discriminator output",
        title="Vanilla GAN: the discriminator's outputs",
    )
    ax = fig.axes[0]
    # the optimum as a legend entry, not a text over the curves (they cross 1/2)
    ax.axhline(0.5, color="grey", ls=":", lw=1, label="1/2, the optimum of both")
    plots.place_legend(ax, "right")
    return fig


def plot_wgan_curves(
    history: History, fd_init: float, floor: float, *, title: str | None = None
) -> Figure:
    """Three panels against the generator iteration, on one x range from 0: on top, the
    critic's Wasserstein estimate (left) and the Lipschitz penalty (right, log axis, without the
    factor lambda); below them, across, the Frechet distance (from ``fd_init`` at iteration 0)
    with the ``floor`` of two real splits."""
    fig, axes = plt.subplot_mosaic(
        [["w", "lp"], ["fd", "fd"]], figsize=(plots.PAGE_WIDTH, 4.4), layout="constrained"
    )
    top = (  # (panel, history key, curve label, y label, title, log y axis)
        ("w", "wasserstein", "W estimate", "mean f(real) - mean f(fake)",
         "critic's Wasserstein estimate", False),
        ("lp", "lp", "LP", "E[max(0, |grad f| - 1)^2]", "Lipschitz penalty (without lambda)",
         True),
    )  # fmt: skip
    for panel, key, label, ylabel, panel_title, logy in top:
        plots.plot_curves(
            {label: history.series(key)},
            ax=axes[panel],
            xlabel="generator iteration",
            ylabel=ylabel,
            title=panel_title,
            logy=logy,
        )
    steps, fds = history.series("frechet_distance")
    plots.plot_curves(
        {
            "generator": ([0, *steps], [fd_init, *fds]),
            "real floor": ([0, steps[-1]], [floor, floor]),
        },
        ax=axes["fd"],
        xlabel="generator iteration",
        ylabel="Frechet distance",
        title="Frechet distance to test images",
        logy=True,
        legend="right",
    )
    last = max(steps[-1], *history.series("wasserstein")[0])
    for ax in axes.values():  # the same x range (from 0) in every panel
        ax.set_xlim(-0.03 * last, 1.03 * last)
    if title:
        fig.suptitle(title)
    return fig


def plot_latent_interpolation(
    generator: nn.Module,
    codes: Sequence[tuple[Tensor, Tensor]],
    alphas: Tensor,
    *,
    title: str,
    value_range: tuple[float, float] = (-1, 1),
) -> Figure:
    """One row per pair ``(z0, z1)`` of ``codes``: g(alpha z0 + (1 - alpha) z1) for each alpha
    of ``alphas`` (A,), the weight of z0 as in the handout, in the columns from left to right
    (alpha = 1 is g(z0))."""
    rows = {
        f"pair {i + 1}": interactive.interpolate_latent(generator, z0, z1, alphas)
        for i, (z0, z1) in enumerate(codes)
    }
    return plots.show_images(
        rows,
        value_range=value_range,
        column_labels=[f"{a:.2f}" for a in alphas.tolist()],
        column_title=interactive.alpha_title(),
        title=title,
    )


def interpolation_rows(
    generator: nn.Module, alphas: Tensor, pairs: int = 3, *, device: torch.device | str = "cpu"
) -> tuple[dict[str, Tensor], dict[str, list[Tensor]], tuple[Tensor, Tensor]]:
    """Latent, spherical and data interpolation between ``pairs`` pairs of prior draws (drawn
    from torch's global generator, in order).

    Args:
        generator: maps z (B, latent_dim) to images (B, C, H, W).
        alphas: (A,) weights of z0 (the handout's convention: alpha = 1 is g(z0)).

    Returns:
        ``(rows, middles, (z0, z1))``: rows ``"latent i"``, ``"slerp i"``, ``"data i"`` of
        (A, C, H, W) images; the middle image (index A // 2) of every latent and data row; and
        the first pair's codes.
    """
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    rows: dict[str, Tensor] = {}
    middles: dict[str, list[Tensor]] = {"latent": [], "data": []}
    first: tuple[Tensor, Tensor] | None = None
    for pair in range(pairs):
        z0, z1 = torch.randn(2, generator.latent_dim, device=device)
        first = first or (z0, z1)
        rows[f"latent {pair + 1}"] = interactive.interpolate_latent(generator, z0, z1, alphas)
        rows[f"slerp {pair + 1}"] = interactive.interpolate_spherical(generator, z0, z1, alphas)
        rows[f"data {pair + 1}"] = interactive.interpolate_data(generator, z0, z1, alphas)
        middles["latent"].append(rows[f"latent {pair + 1}"][len(alphas) // 2])
        middles["data"].append(rows[f"data {pair + 1}"][len(alphas) // 2])
    return rows, middles, first  # type: ignore[return-value]


def interpolation_midpoints(
    generator: nn.Module,
    classifier: nn.Module,
    pairs: int = 50,
    *,
    device: torch.device | str = "cpu",
) -> tuple[dict[str, float], dict[str, float]]:
    """Score the midpoints (alpha = 0.5) of ``pairs`` latent and data paths between prior draws
    (drawn from torch's global generator).

    Returns:
        ``(confidence, contrast)``: the classifier's mean confidence at the midpoints,
        ``{"latent", "data"}``; and the mean pixel contrast (the standard deviation of an
        image's pixel values), ``{"latent", "data", "ends"}``, ``ends`` over the end images
        g(z0), g(z1). A cross-fade of two images lowers the contrast; a sample keeps it.
    """
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    z0, z1 = torch.randn(2, pairs, generator.latent_dim, device=device)
    with torch.no_grad():
        x0, x1 = generator(z0), generator(z1)
        middles = {"latent": generator((z0 + z1) / 2), "data": (x0 + x1) / 2}
    confidence = {
        path: frechet.classify(classifier, images)[1].mean().item()
        for path, images in middles.items()
    }

    def contrast(images: Tensor) -> float:
        return images.float().flatten(1).std(1).mean().item()

    spread = {path: contrast(images) for path, images in middles.items()}
    spread["ends"] = contrast(torch.cat([x0, x1]))
    return confidence, spread


def row_changes(
    grid: Tensor,
    dims: Sequence[int],
    classify: Any,
    channels: Sequence[str] = ("red", "green", "blue"),
) -> list[dict[str, Any]]:
    """What changes along each row of :func:`helpers.notebook.latent_perturbations`' grid
    (D, E, C, H, W) in [-1, 1], eps from -e to +e with eps = 0 in the middle column: per row,
    ``dim``, ``labels`` (the classifier's label at the left end, the middle and the right end),
    ``channel`` (the colour channel whose mean moves most from the left to the right end),
    ``shift`` (that move, signed, on the [-1, 1] scale) and ``brightness`` (the move of the
    mean over all channels)."""
    d, e = grid.shape[:2]
    with torch.no_grad():
        labels, _ = classify(grid[:, [0, e // 2, -1]].flatten(0, 1))
    labels = labels.view(d, 3).cpu()
    means = grid[:, [0, -1]].float().mean((-1, -2)).cpu()  # (D, 2, C)
    move = means[:, 1] - means[:, 0]  # (D, C)
    out = []
    for i, dim in enumerate(dims):
        c = int(move[i].abs().argmax())
        name = channels[c] if move.shape[1] == len(channels) else f"channel {c}"
        out.append({
            "dim": int(dim),
            "labels": [int(v) for v in labels[i]],
            "channel": name if move.shape[1] > 1 else "grey level",
            "shift": round(float(move[i, c]), 4),
            "brightness": round(float(move[i].mean()), 4),
        })  # fmt: skip
    return out


def classifier_accuracy(model: nn.Module, images: Tensor, labels: Tensor) -> float:
    """The share of ``images`` (N, C, H, W) uint8 that the Frechet classifier labels correctly
    (``labels`` (N,)): how far its confidence can be read as "looks like a digit"."""
    predicted, _ = frechet.classify(model, to_float(images, "symmetric"))
    return (predicted.cpu() == labels.cpu()).float().mean().item()


def sharpness(images: Tensor) -> Tensor:
    """Per-image sharpness: the mean magnitude of the grey level's gradient (finite
    differences between neighbouring pixels), (N,) for float images (N, C, H, W). Blur lowers it;
    pixel noise and checkerboard artefacts raise it."""
    grey = images.float().mean(1)
    dx = grey[:, :-1, 1:] - grey[:, :-1, :-1]
    dy = grey[:, 1:, :-1] - grey[:, :-1, :-1]
    return (dx**2 + dy**2).sqrt().flatten(1).mean(1)


def nearest_distances(images: Tensor, others: Tensor | None = None) -> Tensor:
    """For each of ``images`` (N, ...), the root-mean-square pixel distance to its nearest
    neighbour among ``others`` (M, ...), or among the other ``images`` when ``others`` is None:
    (N,)."""
    a = images.float().flatten(1)
    b = a if others is None else others.float().flatten(1).to(a.device)
    d = torch.cdist(a, b) / a.shape[1] ** 0.5
    if others is None:
        d.fill_diagonal_(float("inf"))
    return d.min(1).values


def sample_statistics(
    samples: Tensor, real: Tensor, train: Tensor, model: nn.Module, classes: int = 10
) -> dict[str, float]:
    """Measured support for "blurriness" and "diversity" of generated images (Problem 2, Q2).

    Args:
        samples: (N, C, H, W) generated images, floats in [-1, 1].
        real: (N, C, H, W) real test images, floats in [-1, 1] (the same number, the reference).
        train: (M, C, H, W) real training images, floats in [-1, 1] (for copies of them).
        model: the Frechet classifier (its labels give the spread over classes).

    Returns:
        ``sharpness_samples`` and ``sharpness_real`` (mean of :func:`sharpness`);
        ``nn_samples`` and ``nn_real`` (mean distance of each image to its nearest other image
        of the same set: near-duplicates bring it down); ``nn_train_samples`` and
        ``nn_train_real`` (mean distance to the nearest training image: copies bring it down);
        ``classes_samples`` and ``classes_real`` (classes holding at least 2% of the labels),
        ``top_class_samples`` and ``top_class_real`` (the largest class's share),
        ``confidence_samples`` and ``confidence_real`` (mean confidence); ``images``: N.
    """
    out: dict[str, float] = {"images": samples.shape[0]}
    for name, images in (("samples", samples), ("real", real)):
        labels, confidence = frechet.classify(model, images)
        share = torch.bincount(labels.cpu(), minlength=classes).float() / labels.numel()
        out[f"sharpness_{name}"] = sharpness(images).mean().item()
        out[f"nn_{name}"] = nearest_distances(images).mean().item()
        out[f"nn_train_{name}"] = nearest_distances(images, train).mean().item()
        out[f"classes_{name}"] = int((share >= 0.02).sum())
        out[f"top_class_{name}"] = share.max().item()
        out[f"confidence_{name}"] = confidence.float().mean().item()
    return out
