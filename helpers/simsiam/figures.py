"""The runs, figures and answers of ``03_simsiam``, so that its cells read as the story.

:func:`train_runs` trains runs (a)-(d) of :data:`helpers.simsiam.RUNS` (and (a) again with the
workbook's recipe where it differs); :func:`plot_loss`, :func:`plot_knn_accuracy` and
:func:`plot_output_std` draw their histories; :func:`answers` writes the report's answers from
the recorded metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from torch import Tensor

from ..notebook import plots
from ..notebook.previews import dataset_title
from ..profiles import SimSiamBudget, SimSiamRecipe, get_profile
from ..train.loop import TrainResult
from . import course, findings, training

__all__ = [
    "RUN_LABELS",
    "WORKBOOK_RUN",
    "answers",
    "dataset_name",
    "plot_knn_accuracy",
    "plot_loss",
    "plot_output_std",
    "run_labels",
    "series",
    "setup_text",
    "train_runs",
    "workbook_recipe_answer",
]

WORKBOOK_RUN = "stop_gradient_workbook"  # run (a) again, with the workbook's recipe

# What each run is, in words, for legends and tables (the run names are code names).
RUN_LABELS = {
    "stop_gradient": "(a) stop-gradient, trained predictor",
    "no_stop_gradient": "(b) no stop-gradient",
    "no_pred_mlp": "(c) identity predictor",
    "fixed_random_init": "(d) frozen random predictor",
    WORKBOOK_RUN: "(a) with the workbook's recipe",
}


def dataset_name(data: str, standin: str | None = None) -> str:
    """How titles name the data of Problem 3: "CIFAR-10" on real data, else the stand-in
    (``standin``: the budget's, None for the shapes), e.g. "CIFAR-10 stand-in (grey digits)"."""
    return dataset_title("cifar10", data, standin)


def setup_text(
    budget: SimSiamBudget,
    course: SimSiamRecipe,
    ours: SimSiamRecipe,
    recipe_name: str,
    profile: str,
    data: str,
    x_train: Tensor,
    x_test: Tensor,
) -> str:
    """The settings this run uses, in a few lines (printed by the set-up cell): data, network,
    the recipe of runs (a)-(d) and, where it differs, (a)'s second recipe; outside the full
    profile also the course's recipe, for comparison.

    ``x_train``, ``x_test``: the uint8 images (N, 3, H, W) of the two splits.
    """
    source = f"stand-in {budget.standin or 'objects'}" if data == "synthetic" else "real"
    blocks = "-".join(map(str, budget.blocks))
    crop = f"crops {course.crop_scale[0]:.0%}-{course.crop_scale[1]:.0%}"
    lines = [
        f"data: CIFAR-10 ({source}), {len(x_train)} train / {len(x_test)} test images "
        f"{tuple(x_train.shape[1:])}",
        f"network: ResNet (width {budget.width}, blocks {blocks}, stem stride "
        f"{budget.stem_stride}), projector dim {budget.dim}, predictor hidden {budget.pred_dim}",
        f"runs (a)-(d): {budget.epochs} epochs, batch {course.batch_size}, base lr "
        f"{course.base_lr:g} (lr {course.base_lr * course.batch_size / 256:g}), weight decay "
        f"{course.weight_decay:g}, {crop}, grayscale p {course.p_gray:g}",
    ]
    if ours != course:
        lines.append(
            f"(a) again with the {recipe_name} recipe: batch {ours.batch_size}, base lr "
            f"{ours.base_lr:g}, warm-up {ours.warmup_epochs} epochs"
        )
    if profile != "full":
        full = get_profile("full").simsiam
        lines.append(
            f"(the course's, the full profile's: {full.epochs} epochs, batch "
            f"{full.recipe('course').batch_size}, base lr {full.recipe('course').base_lr:g}, "
            "ResNet-18)"
        )
    return "\n".join(lines)


def train_runs(
    budget: SimSiamBudget,
    course: SimSiamRecipe,
    ours: SimSiamRecipe,
    data: tuple[Tensor, Tensor, Tensor, Tensor],
    *,
    model_class: type[course.SimSiam] | None = None,
    course_backbone: bool = False,
    recipe_name: str = "workbook",
    **common: Any,
) -> tuple[dict[str, TrainResult], dict[str, course.SimSiam]]:
    """Train every run of :data:`helpers.simsiam.RUNS` with the ``course`` recipe, then run (a)
    again with ``ours`` where it differs (as :data:`WORKBOOK_RUN`), in that order.

    Args:
        data: ``(x_train, y_train, x_test, y_test)``: uint8 images (N, 3, H, W), labels (N,).
        model_class: the :class:`~helpers.simsiam.SimSiam` (sub)class to build.
        common: passed to :func:`helpers.simsiam.train_run` as they are (epochs, knn_k, device,
            seed, checkpoint_dir, force); ``seed`` also seeds each model.

    Returns:
        ``(results, models)``, both keyed by run name, in training order.
    """
    results: dict[str, TrainResult] = {}
    models: dict[str, course.SimSiam] = {}
    plan = [(name, name, course, what) for name, (_, _, what) in training.RUNS.items()]
    if ours != course:
        plan.append(
            (WORKBOOK_RUN, "stop_gradient", ours, f"(a) again, with the {recipe_name} recipe")
        )
    for key, run, recipe, what in plan:
        print(what)
        model = training.make_run(
            run, budget, course_backbone=course_backbone, seed=common.get("seed", 0),
            model_class=model_class,
        )  # fmt: skip
        results[key] = training.train_run(key, model, recipe, *data, **common)
        models[key] = model
    return results, models


def run_labels(names: list[str] | Mapping[str, Any]) -> dict[str, str]:
    """The legend label of each run name, in words (:data:`RUN_LABELS`)."""
    return {name: RUN_LABELS.get(name, name.replace("_", " ")) for name in names}


def series(
    key: str, runs: Mapping[str, TrainResult], labels: Mapping[str, str], scale: float = 1.0
) -> dict[str, tuple[list[float], list[float]]]:
    """``{label: (epochs, values x scale)}`` of history ``key`` for each run."""
    out = {}
    for name, result in runs.items():
        epochs, values = result.history.series(key, x="epoch")
        out[labels[name]] = (epochs, [v * scale for v in values])
    return out


def _course_runs(results: Mapping[str, TrainResult]) -> dict[str, TrainResult]:
    return {n: r for n, r in results.items() if n in training.RUNS}


def _plot_course_runs(
    key: str,
    results: Mapping[str, TrainResult],
    labels: Mapping[str, str],
    ylabel: str,
    title: str,
    scale: float = 1.0,
) -> Figure:
    """History ``key`` (x ``scale``) of runs (a)-(d) against the epoch, the legend below."""
    return plots.plot_curves(
        series(key, _course_runs(results), labels, scale),
        xlabel="epoch",
        ylabel=ylabel,
        title=title,
        legend="below",
    )


def plot_loss(
    results: Mapping[str, TrainResult], labels: Mapping[str, str], dataset: str = "CIFAR-10"
) -> Figure:
    """The training loss of runs (a)-(d) against the epoch, on ``dataset`` (for the title)."""
    fig = _plot_course_runs(
        "loss", results, labels, "loss (-1: views agree perfectly)", f"Training loss, {dataset}"
    )
    plots.epoch_axis(fig.axes[0])
    return fig


def plot_knn_accuracy(
    results: Mapping[str, TrainResult],
    labels: Mapping[str, str],
    raw_knn: float,
    dataset: str = "CIFAR-10",
    untrained_knn: float | None = None,
) -> Figure:
    """Two panels: the kNN accuracy of the backbone's features and of the projector's output z
    of every run, against the epoch, with the baselines (raw pixels, the untrained network's
    backbone when ``untrained_knn`` is given) and chance as lines; one legend below both.
    6.4 in wide: within a report page (6.5 in), so its fonts print at their size."""
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 4.2), sharey=True, layout="constrained")
    plots.plot_curves(
        series("knn_accuracy", results, labels),
        ax=axes[0],
        xlabel="epoch",
        ylabel="kNN accuracy (%)",
        title="backbone features",
        legend=None,
    )
    plots.plot_curves(
        series("knn_accuracy_z", results, labels),
        ax=axes[1],
        xlabel="epoch",
        title="projector output z",
        legend=None,
    )
    for ax in axes:
        ax.axhline(raw_knn, color="grey", ls="--", lw=1, label=f"raw pixels ({raw_knn:.0f}%)")
        if untrained_knn is not None:
            ax.axhline(untrained_knn, color="black", ls="-.", lw=1,
                       label=f"untrained network ({untrained_knn:.0f}%)")  # fmt: skip
        ax.axhline(10, color="grey", ls=":", lw=1, label="chance (10%)")
        plots.epoch_axis(ax)
    plots.legend_below(fig, axes[1], ncols=2)
    fig.suptitle(f"kNN accuracy, {dataset}")
    return fig


def plot_output_std(
    results: Mapping[str, TrainResult],
    labels: Mapping[str, str],
    dim: int,
    dataset: str = "CIFAR-10",
) -> Figure:
    """The std of the normalised projector output x sqrt(dim) of runs (a)-(d), per epoch, with
    the collapse criterion (:data:`helpers.simsiam.findings.SIMSIAM_COLLAPSED`) as a line."""
    fig = _plot_course_runs(
        "output_std",
        results,
        labels,
        "std of normalised z x sqrt(d)",
        f"Output std (1: spread, 0: collapsed), {dataset}",
        scale=math.sqrt(dim),
    )
    fig.axes[0].set_ylim(0, 1.1)
    limit = findings.SIMSIAM_COLLAPSED
    ax = fig.axes[0]
    ax.axhline(limit, color="grey", ls="--", lw=1)
    ax.text(0.01, limit + 0.02, f"collapsed: {limit} or less", color="grey", fontsize=8,
            transform=ax.get_yaxis_transform())  # fmt: skip
    plots.epoch_axis(fig.axes[0])
    return fig


def answers(
    metrics: Mapping[str, Any],
    raw_knn: float,
    profile: str,
    data: str,
    untrained_knn: float | None = None,
) -> str:
    """The report's answers (markdown) from the metrics of runs (a)-(d), collapse judged by
    :data:`helpers.simsiam.findings.SIMSIAM_COLLAPSED` (``untrained_knn``: the untrained network's
    backbone kNN accuracy, a baseline beside raw pixels; None: not measured)."""
    a, b, c, d = (metrics[n] for n in training.RUNS)
    limit = findings.SIMSIAM_COLLAPSED

    def state(m: Mapping[str, Any]) -> str:
        std = m["output_std_x_sqrt_dim"]
        return f"std x sqrt(d) {std:.2f}, {'collapsed' if std <= limit else 'not collapsed'}"

    baselines = f"{raw_knn:.1f}% on raw pixels"
    if untrained_knn is not None:
        baselines += f" and {untrained_knn:.1f}% for the untrained network"
    return f"""
Collapsed means output std x sqrt(d) <= {limit} (Chen & He's Fig. 2: about 1 when the outputs
spread over the sphere, 0 when they are one point).

- **Does SimSiam collapse without stop-gradient?** Run (b) ends with loss {b["final_loss"]:.3f}
  and {state(b)}, against loss {a["final_loss"]:.3f} and {state(a)} for (a); its backbone's kNN
  accuracy is {b["final_knn_accuracy"]:.1f}%.
- **Without the predictor?** Run (c): loss {c["final_loss"]:.3f}, {state(c)}, kNN
  {c["final_knn_accuracy"]:.1f}%.
- **With a fixed random predictor?** Run (d): loss {d["final_loss"]:.3f}, {state(d)}, kNN
  {d["final_knn_accuracy"]:.1f}%.
- **Does (a) learn useful features?** kNN accuracy {a["final_knn_accuracy"]:.1f}% on the
  backbone features and {a["final_knn_accuracy_z"]:.1f}% on z, against {baselines}, after
  {a["epochs"]} epochs ({profile} profile, {data} data).
"""


def workbook_recipe_answer(metrics: Mapping[str, Any], ours: SimSiamRecipe) -> str:
    """One markdown line: run (a) with the workbook's recipe against the course's."""
    a, w = metrics["stop_gradient"], metrics[WORKBOOK_RUN]
    return (
        f"- **The workbook's recipe for (a)** ({ours}): kNN {w['final_knn_accuracy']:.1f}% on the "
        f"backbone after {w['epochs']} epochs, against {a['final_knn_accuracy']:.1f}% with the "
        "course's recipe. The workbook's target is 80% after 100 epochs on real CIFAR-10."
    )
