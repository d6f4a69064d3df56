"""The runs, figures and answers of 03_simsiam (helpers.simsiam.figures)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest

from helpers import simsiam
from helpers.data import synthetic
from helpers.profiles import SimSiamBudget, SimSiamRecipe
from helpers.simsiam import figures as simsiam_figures
from helpers.train import History, TrainResult


def fake_results(epochs: int = 4, names=None) -> dict[str, TrainResult]:
    """A history per run: loss, kNN accuracies and output std over ``epochs`` epochs."""
    names = names or [*simsiam.RUNS, simsiam_figures.WORKBOOK_RUN]
    out = {}
    for k, name in enumerate(names):
        h = History()
        for e in range(1, epochs + 1):
            values = dict(
                loss=-0.1 * e - 0.01 * k,
                knn_accuracy=10.0 + e + k,
                knn_accuracy_z=10.0 + e,
                output_std=0.05 / e,
            )
            h.add(10 * e, values, epoch=e)
        out[name] = TrainResult(history=h, steps=10 * epochs, seconds=1.0)
    return out


def fake_metrics(results) -> dict:
    return {n: simsiam.run_summary(r, 256) for n, r in results.items()}


def test_series_reads_each_run_by_label_and_scales():
    results = fake_results(3, ["stop_gradient"])
    curves = simsiam_figures.series("output_std", results, {"stop_gradient": "a"}, scale=2.0)
    assert curves == {"a": ([1, 2, 3], [0.1, 0.05, pytest.approx(0.1 / 3)])}


def test_loss_and_std_show_the_four_course_runs_and_knn_all_five():
    results = fake_results()
    labels = simsiam_figures.run_labels(results)
    assert set(labels) == set(results) and len(set(labels.values())) == len(results)
    loss = simsiam_figures.plot_loss(results, labels)
    assert len(loss.axes[0].get_lines()) == 4
    std = simsiam_figures.plot_output_std(results, labels, dim=256)
    ys = std.axes[0].get_lines()[0].get_ydata()
    assert ys[0] == pytest.approx(0.05 * math.sqrt(256))
    limit = [line for line in std.axes[0].get_lines() if list(line.get_ydata()) == [0.15, 0.15]]
    assert len(limit) == 1  # the collapse criterion, drawn once
    knn = simsiam_figures.plot_knn_accuracy(results, labels, raw_knn=42.0)
    assert len(knn.axes) == 2
    for ax in knn.axes:  # five runs, raw pixels and chance
        assert len(ax.get_lines()) == 7
        assert any(list(line.get_ydata()) == [42.0, 42.0] for line in ax.get_lines())
    both = simsiam_figures.plot_knn_accuracy(results, labels, 42.0, untrained_knn=19.0)
    for ax in both.axes:  # and the untrained network
        assert len(ax.get_lines()) == 8
        assert any(list(line.get_ydata()) == [19.0, 19.0] for line in ax.get_lines())
    plt.close("all")


def test_answers_quote_the_metrics_of_each_run():
    metrics = fake_metrics(fake_results())
    text = simsiam_figures.answers(metrics, 33.3, "demo", "synthetic")
    b = metrics["no_stop_gradient"]
    assert f"Run (b) ends with loss {b['final_loss']:.3f}" in text
    assert "against 33.3% on raw" in text and "(demo profile, synthetic data)" in text
    assert "std x sqrt(d) 0.20, not collapsed" in text and "Collapsed means output std" in text
    assert "untrained" not in text
    metrics["no_stop_gradient"]["output_std_x_sqrt_dim"] = 0.1
    both = simsiam_figures.answers(metrics, 33.3, "demo", "synthetic", untrained_knn=18.5)
    assert "std x sqrt(d) 0.10, collapsed" in both
    assert "33.3% on raw pixels and 18.5% for the untrained network" in both
    line = simsiam_figures.workbook_recipe_answer(metrics, SimSiamRecipe(base_lr=0.06))
    w = metrics[simsiam_figures.WORKBOOK_RUN]["final_knn_accuracy"]
    assert f"kNN {w:.1f}% on the backbone" in line


def test_setup_text_names_the_stand_in_only_on_synthetic_data():
    budget = SimSiamBudget(epochs=1, standin="grey_digits")
    course = budget.recipe("course")
    x, _ = synthetic.grey_digits(4)
    text = simsiam_figures.setup_text(budget, course, course, "workbook", "demo", "synthetic", x, x)
    assert "(stand-in grey_digits)" in text and "the full profile's" in text
    assert "16 epochs" not in text and "1 epochs, batch 512, base lr 0.03" in text
    real = simsiam_figures.setup_text(budget, course, course, "workbook", "full", "real", x, x)
    assert "stand-in" not in real and "the full profile's" not in real


def test_train_runs_trains_the_four_runs_then_a_with_the_workbook_recipe(tmp_path):
    budget = SimSiamBudget(
        epochs=1, batch_size=16, dim=8, pred_dim=4, width=4, blocks=(1, 1, 1, 1), stem_stride=2
    )
    x, y = synthetic.grey_digits(32, 0)
    xt, yt = synthetic.grey_digits(16, 1)
    course, ours = budget.recipe("course"), SimSiamRecipe(batch_size=16, base_lr=0.06)
    results, models = simsiam_figures.train_runs(
        budget, course, ours, (x, y, xt, yt), epochs=1, knn_k=5, seed=0,
        checkpoint_dir=str(tmp_path), progress=False,
    )  # fmt: skip
    assert list(results) == [*simsiam.RUNS, simsiam_figures.WORKBOOK_RUN] == list(models)
    assert models[simsiam_figures.WORKBOOK_RUN].stop_gradient
    assert models["no_pred_mlp"].MLP_mode == "no_pred_mlp"
    same, _ = simsiam_figures.train_runs(
        budget, course, course, (x, y, xt, yt), epochs=1, knn_k=5, seed=0,
        checkpoint_dir=str(tmp_path), progress=False,
    )  # fmt: skip
    assert list(same) == list(simsiam.RUNS)
    assert all(r.loaded for r in same.values())  # resumed from the checkpoints


def integer_ticks(ax) -> bool:
    """Whether every x tick shown in ``ax``'s view is an integer (the figure drawn first)."""
    ax.figure.canvas.draw()
    low, high = sorted(ax.get_xlim())
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    return len(ticks) > 1 and all(float(t).is_integer() for t in ticks)


def saved_width(fig, tmp_path, name: str) -> int:
    """The width in pixels of ``fig`` saved as the workbook saves figures (200 dpi)."""
    from PIL import Image

    from helpers.notebook import plots

    plots.save_figure(fig, name, directory=tmp_path)
    with Image.open(tmp_path / f"{name}.png") as image:
        return image.size[0]


def test_labels_are_words_not_code_names():
    labels = simsiam_figures.run_labels(fake_results())
    assert all("_" not in label for label in labels.values()), labels
    assert labels["no_pred_mlp"] == "(c) identity predictor"


@pytest.mark.parametrize("epochs", [4, 16])
def test_epoch_axes_have_integer_ticks(epochs):
    results = fake_results(epochs)
    labels = simsiam_figures.run_labels(results)
    figures = [
        simsiam_figures.plot_loss(results, labels),
        simsiam_figures.plot_output_std(results, labels, 256),
        simsiam_figures.plot_knn_accuracy(results, labels, 40.0),
    ]
    for fig in figures:
        for ax in fig.axes:
            assert integer_ticks(ax), (fig.axes[0].get_title(), ax.get_xticks())
    plt.close("all")


def test_figures_fit_a_report_page_and_the_knn_fonts_stay_readable(tmp_path):
    results = fake_results(16)
    labels = simsiam_figures.run_labels(results)
    knn = simsiam_figures.plot_knn_accuracy(results, labels, 40.0)
    # printed 6.5 in wide (a report page), every font keeps its size only if the figure is
    # no wider than that; the smallest font is the legend's 8 pt
    fonts = [t.get_fontsize() for t in knn.findobj(lambda a: hasattr(a, "get_fontsize"))]
    assert min(fonts) >= 8
    assert saved_width(knn, tmp_path, "knn") <= 6.6 * 200
    for name, fig in [
        ("loss", simsiam_figures.plot_loss(results, labels)),
        ("std", simsiam_figures.plot_output_std(results, labels, 256)),
    ]:
        assert saved_width(fig, tmp_path, name) <= 1500, name
    plt.close("all")


def test_titles_name_the_stand_in_on_synthetic_data_and_cifar_on_real():
    results = fake_results()
    labels = simsiam_figures.run_labels(results)
    standin = simsiam_figures.dataset_name("synthetic", "grey_digits")
    assert standin == "CIFAR-10 stand-in (grey digits)"
    assert simsiam_figures.dataset_name("real", "grey_digits") == "CIFAR-10"
    loss = simsiam_figures.plot_loss(results, labels, standin)
    knn = simsiam_figures.plot_knn_accuracy(results, labels, 40.0, standin)
    std = simsiam_figures.plot_output_std(results, labels, 256, standin)
    titles = [loss.axes[0].get_title(), knn.get_suptitle(), std.axes[0].get_title()]
    assert all("CIFAR-10 stand-in (grey digits)" in t for t in titles), titles
    plt.close("all")


def test_committed_demo_figures_fit_a_report_page():
    from pathlib import Path

    from PIL import Image

    folder = Path(__file__).resolve().parent.parent / "figures" / "demo" / "03_simsiam"
    pngs = sorted(folder.glob("*.png"))
    assert pngs
    for path in pngs:
        with Image.open(path) as image:
            assert image.size[0] <= 1500, (path.name, image.size)
