"""Notebook 01's measurements and figures: test scores, the log p(x) estimators, samples over
training and latent sizes, each one call from a short cell of ``notebooks/01_vae.ipynb``.

The training itself lives in :mod:`helpers.vae`; this module evaluates and draws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from ..notebook import plots
from ..train.loop import History, Snapshots, TrainResult
from . import objectives

__all__ = [
    "MODEL_LABELS",
    "compare_estimators",
    "manifold_coordinates",
    "model_label",
    "plot_estimators",
    "plot_latent_manifold",
    "plot_latent_sizes",
    "plot_samples_over_training",
    "samples_over_training_rows",
    "score_row",
    "score_table",
    "summary",
    "test_metrics",
]

Functions = Mapping[str, Callable[..., Tensor]]

MODEL_LABELS = {
    "course_mlp": "course MLP VAE",
    "course_mlp_mc_kl": "course MLP VAE, Monte-Carlo KL",
    "conv": "convolutional VAE",
    "course_mlp_latent2": "course MLP VAE, L = 2",
    "course_mlp_latent20": "course MLP VAE, L = 20",
}
"""The words a figure uses for each of :func:`helpers.vae.problem1_runs`' models."""


def model_label(name: str) -> str:
    """A model's name in words for figures (``"conv"`` -> ``"convolutional VAE"``)."""
    return MODEL_LABELS.get(name, name.replace("_", " "))


def summary(result: TrainResult) -> dict[str, Any]:
    """The numbers :mod:`helpers.common.wording` reads of one training run: the last validation
    ELBO (nats), the epochs and the training seconds."""
    return {
        "valid_elbo": result.history.last("valid_elbo"),
        "epochs": int(result.history.last("epoch")),
        "train_seconds": result.seconds,
    }


def test_metrics(
    result: TrainResult,
    model: nn.Module,
    x_eval: Tensor,
    samples: int,
    *,
    seed: int,
    functions: Functions | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Test ELBO and log p(x) (importance sampling, ``samples`` draws) of a trained model.

    Args:
        result: the model's training run (its history and seconds).
        model: the trained VAE. x_eval: (N, 1, 28, 28) binary test images, float, on the
            model's device.
        samples: K of the importance-sampled estimate.
        seed: torch's global generator is seeded with it before the estimate.

    Returns:
        The entry of ``metrics.json``: ``valid_elbo``, ``test_elbo``, ``test_log_likelihood``
        (mean over the N images, nats), ``epochs``, ``train_seconds``, ``is_samples`` (K) and
        ``test_images`` (N).
    """
    torch.manual_seed(seed)
    log_px = (
        objectives.importance_sampled_log_likelihood(
            model, x_eval, samples, progress=progress, functions=functions
        )
        .mean()
        .item()
    )
    chunks = [(x_eval[i : i + 1000], None) for i in range(0, x_eval.shape[0], 1000)]
    test_elbo = objectives.evaluate_elbo(model, chunks, functions)["elbo"]
    return {
        "valid_elbo": result.history.last("valid_elbo"),
        "test_elbo": test_elbo,
        "test_log_likelihood": log_px,
        "epochs": int(result.history.last("epoch")),
        "train_seconds": round(result.seconds, 1),
        "is_samples": samples,
        "test_images": x_eval.shape[0],
    }


def score_row(name: str, metrics: Mapping[str, Any]) -> str:
    """One Markdown table row of :func:`score_table`: name, test ELBO, log p(x), their gap."""
    elbo, log_px = metrics["test_elbo"], metrics["test_log_likelihood"]
    return f"| {name} | {elbo:.2f} | {log_px:.2f} | {log_px - elbo:.2f} |"


def score_table(rows: Sequence[str], samples: int, images: int | None = None) -> str:
    """A Markdown table of :func:`score_row` rows under its header (K = ``samples``, over
    ``images`` test images when given)."""
    over = f", {images} test images" if images else ""
    header = (
        f"| model | test ELBO | test log p(x), K = {samples}{over} | gap |\n|---|---|---|---|\n"
    )
    return header + "\n".join(rows)


def compare_estimators(
    model: nn.Module,
    x: Tensor,
    ks: Sequence[int],
    repeats: int,
    *,
    seed: int,
    functions: Functions | None = None,
) -> dict[str, dict[int, list[float]]]:
    """Mean log p(x) over the images ``x`` (N, 1, 28, 28), estimated ``repeats`` times for each
    K in ``ks`` with z drawn from the prior and by importance sampling.

    The prior's draws come from a generator seeded with ``seed``, the importance sampler's from
    torch's global generator, also seeded with ``seed``.

    Returns:
        ``{"prior": {K: [repeats floats]}, "importance": {K: [repeats floats]}}`` (nats).
    """
    estimates: dict[str, dict[int, list[float]]] = {"prior": {}, "importance": {}}
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    for k in ks:
        estimates["prior"][k] = [
            objectives.naive_log_likelihood(model, x, k, generator=g, functions=functions)
            .mean()
            .item()
            for _ in range(repeats)
        ]
        estimates["importance"][k] = [
            objectives.importance_sampled_log_likelihood(model, x, k, functions=functions)
            .mean()
            .item()
            for _ in range(repeats)
        ]
    return estimates


_ESTIMATOR_LABELS = {
    "prior": "z from the prior",
    "importance": "importance sampling, z from q(z|x)",
}


def plot_estimators(estimates: Mapping[str, Mapping[int, Sequence[float]]]) -> Figure:
    """Mean and spread of each estimator's repeats against K (log axis), from
    :func:`compare_estimators`."""
    fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
    for label, values in estimates.items():
        ks = sorted(values)
        table = torch.tensor([list(values[k]) for k in ks])
        ax.errorbar(
            ks,
            table.mean(1),
            yerr=table.std(1),
            marker="o",
            ms=4,
            capsize=3,
            label=_ESTIMATOR_LABELS.get(label, label),
        )
    ax.set(
        xscale="log",
        xlabel="samples K",
        ylabel="mean log p(x) estimate (nats)",
        title="Estimating log p(x): prior vs importance sampling",
    )
    plots.place_legend(ax, "right")
    return fig


def _what(step: int, means: Tensor) -> str:
    """``"means"``; at step 0 "untrained means" and their range (``means`` uint8 0..255)."""
    if step != 0:
        return "means"
    low, high = means.min().item() / 255, means.max().item() / 255
    return f"untrained means, {low:.3f} to {high:.3f}"


def samples_over_training_rows(
    snapshots: Mapping[str, Snapshots],
    *,
    generator: torch.Generator | None = None,
    n: int = 12,
    steps: int = 4,
) -> dict[str, Tensor]:
    """Rows of :func:`plot_samples_over_training`: for each model, the decoder means of the
    first ``n`` fixed codes at ``steps`` points of training, then one Bernoulli sample of the
    last means.

    Step 0 is the untrained decoder, before any update: its means are what the initialisation
    gives (the course MLP's logits start at -5, so every mean is sigmoid(-5) = 0.007, black).

    Args:
        snapshots: model name -> its snapshots, (B, 1, 28, 28) uint8 decoder means (0..255).
        generator: draws the Bernoulli samples.

    Returns:
        Row label (the model in words and the step, over what the row shows: two lines, to
        be readable at report size) -> (n, 1, 28, 28) images (uint8 means, float 0/1
        samples).
    """
    rows: dict[str, Tensor] = {}
    for name, snaps in snapshots.items():
        label = model_label(name)
        for step, images in snaps.spread(steps):
            rows[f"{label}, step {step}\n{_what(step, images[:n])}"] = images[:n]
        rows[f"{label}, step {step}\nx ~ p(x|z)"] = torch.bernoulli(
            images[:n].float() / 255, generator=generator
        )
    return rows


def plot_samples_over_training(rows: Mapping[str, Tensor]) -> Figure:
    """The rows of :func:`samples_over_training_rows`, one labelled row each."""
    return plots.show_images(
        rows, title="Fixed z over training: decoder means, then Bernoulli samples"
    )


_SPLITS = {"train": "training", "valid": "validation"}


def plot_latent_sizes(histories: Mapping[int, History]) -> Figure:
    """Training and validation ELBO against epochs for each latent size L (``{L: history}``),
    side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(plots.PAGE_WIDTH, 3.0), layout="constrained")
    for ax, split in zip(axes, ("train", "valid"), strict=True):
        curves = {
            f"L = {size}": history.series(f"{split}_elbo", x="epoch")
            for size, history in histories.items()
        }
        plots.plot_curves(
            curves,
            xlabel="epoch",
            ylabel=f"{_SPLITS[split]} ELBO (nats)",
            title=f"{_SPLITS[split]} ELBO",
            ax=ax,
            legend="right" if split == "valid" else None,
        )
    return fig


def manifold_coordinates(n: int) -> Tensor:
    """(n,) increasing latent coordinates of :func:`helpers.vae.latent_manifold`'s grid: the
    standard Gaussian's quantiles Phi^-1((i + 1/2) / n), i = 0 .. n - 1."""
    q = torch.linspace(0.5 / n, 1 - 0.5 / n, n)
    return torch.distributions.Normal(0.0, 1.0).icdf(q)


def plot_latent_manifold(
    manifold: Tensor, n: int, *, title: str | None = None, ticks: int = 5
) -> Figure:
    """The decoder means of :func:`helpers.vae.latent_manifold` ((n * n, 1, H, W), row-major,
    z1 increasing across, z2 decreasing down). The cells sit at the prior's quantiles
    (:func:`manifold_coordinates`); ``ticks`` of them per axis, spread evenly, are labelled with
    their latent value z."""
    h, w = manifold.shape[-2:]
    pad = 2  # make_grid's padding
    size = (6.2, 6.6)
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    ax.imshow(plots.make_grid(manifold, nrow=n, padding=pad).numpy())
    values = manifold_coordinates(n)
    shown = sorted({round(i * (n - 1) / (ticks - 1)) for i in range(ticks)}) if n > 1 else [0]
    ax.set_xticks(
        [pad + i * (w + pad) + (w - 1) / 2 for i in shown],
        [f"{values[i].item():.2f}" for i in shown],
        fontsize=plots.readable_pt(8, *size),
    )
    ax.set_yticks(
        [pad + i * (h + pad) + (h - 1) / 2 for i in shown],
        [f"{values.flip(0)[i].item():.2f}" for i in shown],
        fontsize=plots.readable_pt(8, *size),
    )
    ax.tick_params(length=2)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    where = "cells at equal steps of prior probability"
    ax.set_xlabel(f"z1 ({where})", fontsize=plots.readable_pt(10, *size))
    ax.set_ylabel(f"z2 ({where})", fontsize=plots.readable_pt(10, *size))
    if title:
        ax.set_title(title, fontsize=plots.readable_pt(11, *size))
    return fig
