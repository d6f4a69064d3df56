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
from . import course, training

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
    """What this run trains on and with which recipes (printed by the set-up cell).

    ``x_train``, ``x_test``: the uint8 images (N, 3, H, W) of the two splits.
    """
    lines = [
        str(budget),
        f"train {tuple(x_train.shape)} {x_train.dtype}, test {tuple(x_test.shape)}",
        f"recipe of runs (a)-(d) in the {profile} profile: {course}",
        f"{recipe_name} recipe: {ours}",
    ]
    if profile != "full":
        full = get_profile("full").simsiam.recipe("course")
        lines.append(
            f"(the course's recipe, the full profile's: batch {full.batch_size}, "
            f"base_lr {full.base_lr})"
        )
    if data == "synthetic":
        lines.append(f"stand-in: {budget.standin or 'objects'} (helpers.data.synthetic)")
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


def plot_loss(
    results: Mapping[str, TrainResult], labels: Mapping[str, str], dataset: str = "CIFAR-10"
) -> Figure:
    """The training loss of runs (a)-(d) against the epoch, on ``dataset`` (for the title)."""
    fig = plots.plot_curves(
        series("loss", _course_runs(results), labels),
        xlabel="epoch",
        ylabel="loss (-1: views agree perfectly)",
        title=f"Training loss, {dataset}",
        legend="below",
    )
    plots.epoch_axis(fig.axes[0])
    return fig


def plot_knn_accuracy(
    results: Mapping[str, TrainResult],
    labels: Mapping[str, str],
    raw_knn: float,
    dataset: str = "CIFAR-10",
) -> Figure:
    """Two panels: the kNN accuracy of the backbone's features and of the projector's output z
    of every run, against the epoch, with raw pixels' accuracy and chance as lines; one legend
    below both. 6.4 in wide: within a report page (6.5 in), so its fonts print at their size."""
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
    """The std of the normalised projector output x sqrt(dim) of runs (a)-(d), per epoch."""
    fig = plots.plot_curves(
        series("output_std", _course_runs(results), labels, math.sqrt(dim)),
        xlabel="epoch",
        ylabel="std of normalised z x sqrt(d)",
        title=f"Output std (1: spread, 0: collapsed), {dataset}",
        legend="below",
    )
    fig.axes[0].set_ylim(0, 1.1)
    plots.epoch_axis(fig.axes[0])
    return fig


def answers(metrics: Mapping[str, Any], raw_knn: float, profile: str, data: str) -> str:
    """The report's answers (markdown) from the metrics of runs (a)-(d)."""
    a, b, c, d = (metrics[n] for n in training.RUNS)
    return f"""
- **Does SimSiam collapse without stop-gradient?** Run (b) ends with loss {b["final_loss"]:.3f}
  and output std x sqrt(d) {b["output_std_x_sqrt_dim"]:.2f}, against {a["final_loss"]:.3f} and
  {a["output_std_x_sqrt_dim"]:.2f} for (a); its kNN accuracy is {b["final_knn_accuracy"]:.1f}%
  (chance: 10%).
- **Without the predictor?** Run (c): loss {c["final_loss"]:.3f}, std x sqrt(d)
  {c["output_std_x_sqrt_dim"]:.2f}, kNN {c["final_knn_accuracy"]:.1f}%.
- **With a fixed random predictor?** Run (d): loss {d["final_loss"]:.3f},
  std x sqrt(d) {d["output_std_x_sqrt_dim"]:.2f}, kNN {d["final_knn_accuracy"]:.1f}%.
- **Does (a) learn useful features?** kNN accuracy {a["final_knn_accuracy"]:.1f}% on the
  backbone features and {a["final_knn_accuracy_z"]:.1f}% on z, against {raw_knn:.1f}% on raw
  pixels, after {a["epochs"]} epochs ({profile} profile, {data} data).
"""


def workbook_recipe_answer(metrics: Mapping[str, Any], ours: SimSiamRecipe) -> str:
    """One markdown line: run (a) with the workbook's recipe against the course's."""
    a, w = metrics["stop_gradient"], metrics[WORKBOOK_RUN]
    return (
        f"- **The workbook's recipe for (a)** ({ours}): kNN {w['final_knn_accuracy']:.1f}% on the "
        f"backbone after {w['epochs']} epochs, against {a['final_knn_accuracy']:.1f}% with the "
        "course's recipe. The workbook's target is 80% after 100 epochs on real CIFAR-10."
    )
