"""The runs, figures and tables of ``04_autoencoders``, so that its cells read as the story.

:class:`~helpers.autoencoders.runs.AERuns` trains the models;
:func:`plot_beta_0_vs_10`, :func:`plot_beta_sweep`, :func:`plot_tuned_curves` and
:func:`plot_interpolation` draw the notebook's figures; :func:`results_table` its table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from .. import vae
from ..common import frechet
from ..notebook import interactive, plots
from ..notebook.previews import dataset_title
from ..train.loop import TrainResult

__all__ = [
    "IMAGE_SCALE",
    "dataset_name",
    "interpolation_pairs",
    "interpolation_rows",
    "latent_path",
    "midpoint_confidence",
    "model_labels",
    "plot_beta_0_vs_10",
    "plot_beta_sweep",
    "plot_interpolation",
    "plot_tuned_curves",
    "results_table",
]


# Inches per image in the rows of images (plots.show_images' scale): 12 images and their row
# labels then fit in a report page's width (under 7 in).
IMAGE_SCALE = 0.42


def dataset_name(data: str) -> str:
    """How titles name the notebook's data: "MNIST" on real data, else "MNIST stand-in"."""
    return dataset_title("mnist", data)


def model_labels(best_beta: float) -> dict[str, str]:
    """Each run's name in words, for figures and tables; the tuned VAE shows its beta."""
    return {
        "autoencoder": "autoencoder",
        "vae_beta_0": "VAE, beta = 0",
        "vae_beta_10": "VAE, beta = 10",
        "vae_beta_tuned": f"VAE, beta = {best_beta:g} (tuned)",
    }


def plot_beta_0_vs_10(results: Mapping[str, TrainResult], dataset: str = "MNIST") -> Figure:
    """Validation reconstruction term and KL per epoch of ``vae_beta_0`` and ``vae_beta_10``,
    trained on ``dataset`` (for the title)."""
    fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.3), layout="constrained")
    panels = (  # (history key, y label, title, log y axis), one per panel
        ("valid_recon", "E_q log p(x|z) (nats)", "reconstruction term (validation)", False),
        ("valid_kl", "KL (nats)", "KL term (validation)", True),
    )
    for name in ("vae_beta_0", "vae_beta_10"):
        h = results[name].history
        for ax, (key, ylabel, title, logy) in zip(axes, panels, strict=True):
            plots.plot_curves(
                {name: h.series(key, x="epoch")},
                ax=ax,
                xlabel="epoch",
                ylabel=ylabel,
                title=title,
                logy=logy,
                legend=None,
            )
    for ax in axes:
        ax.get_lines()[0].set_label("VAE, beta = 0")
        ax.get_lines()[1].set_label("VAE, beta = 10")
        plots.epoch_axis(ax)
    plots.legend_below(fig, axes[1], ncols=2)
    fig.suptitle(f"The two terms of the objective, {dataset}")
    return fig


def plot_beta_sweep(
    sweep: Mapping[float, Mapping[str, float]], best_beta: float, dataset: str = "MNIST"
) -> Figure:
    """Validation FD of prior samples and reconstruction error against beta (log axis)."""
    fig, axes = plt.subplots(1, 2, figsize=(6.5, 3.0), layout="constrained")
    betas = list(sweep)
    plots.plot_curves(
        {"validation FD of prior samples": (betas, [sweep[b]["fd"] for b in betas])},
        ax=axes[0],
        xlabel="beta",
        ylabel="Frechet distance",
        title=f"prior samples (best beta = {best_beta:g})",
    )
    plots.plot_curves(
        {"validation reconstruction error": (betas, [sweep[b]["recon"] for b in betas])},
        ax=axes[1],
        xlabel="beta",
        ylabel="sum of squared errors",
        title="reconstruction error",
    )
    for ax in axes:
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(betas, [f"{b:g}" for b in betas])
    fig.suptitle(f"Tuning beta on the validation split, {dataset}")
    return fig


def plot_tuned_curves(
    results: Mapping[str, TrainResult], best_beta: float, dataset: str = "MNIST"
) -> Figure:
    """Validation ELBO, reconstruction term and KL per epoch of beta = 0, 10 and the tuned beta
    (``vae_beta_tuned``), one legend below the three panels."""
    fig, axes = plt.subplots(1, 3, figsize=(6.8, 3.2), layout="constrained")
    labels = model_labels(best_beta)
    runs = ["vae_beta_0", "vae_beta_10", "vae_beta_tuned"]
    for key, ax, title in [
        ("valid_elbo", axes[0], "ELBO (beta = 1)"),
        ("valid_recon", axes[1], "E_q log p(x|z)"),
        ("valid_kl", axes[2], "KL(q(z|x) || p(z))"),
    ]:
        plots.plot_curves(
            {labels[n]: results[n].history.series(key, x="epoch") for n in runs},
            ax=ax,
            xlabel="epoch",
            ylabel="nats" if ax is axes[0] else "",
            title=title,
            logy=key == "valid_kl",
            legend=None,
        )
        plots.epoch_axis(ax)
    plots.legend_below(fig, axes[2], ncols=3)
    fig.suptitle(f"Validation curves of three VAEs, {dataset}")
    return fig


def _cell(entry: Mapping[str, Any], key: str) -> str:
    return f"{entry[key]:.2f}" if key in entry else "–"  # the AE: no KL, no ELBO


def results_table(
    metrics: Mapping[str, Mapping[str, Any]],
    names: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> str:
    """A markdown table of the test metrics of runs ``names``, each named by ``labels`` (the
    AE's KL and ELBO: a dash)."""
    labels = labels or {}
    rows = [
        f"| {labels.get(n, n)} | {metrics[n]['reconstruction_error']:.2f} | "
        f"{_cell(metrics[n], 'kl')} | {_cell(metrics[n], 'test_elbo')} | "
        f"{metrics[n]['frechet_distance']:.2f} |"
        for n in names
    ]
    return (
        '| model | reconstruction error (sum of squared errors) | KL (nats) | Bernoulli "ELBO" | '
        "FD of prior samples |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows)
    )


def interpolation_pairs(labels: Tensor, n: int = 3, among: int = 40) -> list[tuple[int, int]]:
    """``n`` disjoint pairs of indices among the first ``among`` labels (N,) whose two labels
    differ, in order (``among`` is cut to the number of labels)."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    among = min(among, len(labels))
    for i in range(among):
        for j in range(i + 1, among):
            if len(pairs) < n and labels[i] != labels[j] and not {i, j} & used:
                pairs.append((i, j))
                used |= {i, j}
    return pairs


def latent_path(model: nn.Module, x_pair: Tensor, alphas: Sequence[float] | Tensor) -> Tensor:
    """Decoder means along alpha z0 + (1 - alpha) z1 (the handout's convention: alpha = 1 is
    z0) between the codes z0, z1 (posterior means) of the two images ``x_pair``
    (2, 1, 28, 28): (A, 1, 28, 28) for A alphas."""
    with torch.no_grad():
        z = model.encode(x_pair)[0]
    return interactive.interpolate_latent(lambda c: vae.decoder_means(model, c), z[0], z[1], alphas)


def interpolation_rows(
    models: Mapping[str, nn.Module],
    x: Tensor,
    labels: Tensor,
    pairs: Sequence[tuple[int, int]],
    alphas: Sequence[float] | Tensor,
) -> dict[str, Tensor]:
    """For each pair ``(i, j)`` of images of ``x`` (N, 1, 28, 28) (z0 the code of image i, z1
    that of image j) and each labelled model, the path between them (:func:`latent_path`), as
    ``{"<model> <digit of j>-><digit of i>": (A, 1, 28, 28)}``: the digits as the row shows them
    for alphas from 0 (z1) to 1 (z0), left to right."""
    rows = {}
    for pair in pairs:
        for label, model in models.items():
            key = f"{label} {int(labels[pair[1]])}->{int(labels[pair[0]])}"
            rows[key] = latent_path(model, x[list(pair)], alphas)
    return rows


def plot_interpolation(
    rows: Mapping[str, Tensor], alphas: Sequence[float] | Tensor, title: str = "AE vs VAE"
) -> Figure:
    """One row of images (A, 1, 28, 28) per path, the columns labelled by alpha."""
    return plots.show_images(
        rows,
        column_labels=[f"{a:.1f}" for a in alphas],
        column_title=interactive.alpha_title(),
        title=f"Interpolation: {title}",
        scale=IMAGE_SCALE,
    )


def midpoint_confidence(
    models: Mapping[str, nn.Module],
    x: Tensor,
    pairs: Sequence[tuple[int, int]],
    classifier: frechet.FeatureClassifier,
) -> dict[str, float]:
    """For each labelled model, the classifier's mean confidence on the midpoints (alpha = 0.5)
    of the paths between ``pairs`` of images of ``x`` (N, 1, 28, 28) in [0, 1]."""
    middles = {
        label: torch.stack([latent_path(model, x[list(pair)], [0.5])[0] for pair in pairs])
        for label, model in models.items()
    }
    return {k: frechet.classify(classifier, v * 2 - 1)[1].mean().item() for k, v in middles.items()}
