"""Notebook 01's measurements and figures (helpers.vae.figures), on tiny models."""

from __future__ import annotations

import matplotlib
import pytest
import torch

from helpers import vae
from helpers.train import History, Snapshots, TrainResult
from helpers.vae import figures as vae_figures

matplotlib.use("Agg")


def _result(elbos=(-200.0, -150.0, -120.0)) -> TrainResult:
    history = History()
    for epoch, elbo in enumerate(elbos, start=1):
        history.add(10 * epoch, {"train_elbo": elbo + 1, "valid_elbo": elbo}, epoch=float(epoch))
    return TrainResult(history=history, steps=10 * len(elbos), seconds=12.34)


def _tiny_vae(latent: int = 2) -> vae.CourseVAE:
    torch.manual_seed(0)
    return vae.CourseVAE(latent_dim=latent, hidden=8).eval()


def _images(n: int = 6) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.bernoulli(torch.full((n, 1, 28, 28), 0.2), generator=g)


def test_summary_reads_the_last_epoch():
    assert vae_figures.summary(_result()) == {
        "valid_elbo": -120.0,
        "epochs": 3,
        "train_seconds": 12.34,
    }


def test_test_metrics_is_the_recorded_entry_and_repeats_with_the_seed():
    model, x = _tiny_vae(), _images()
    first = vae_figures.test_metrics(_result(), model, x, 20, seed=3, progress=False)
    assert list(first) == [
        "valid_elbo",
        "test_elbo",
        "test_log_likelihood",
        "epochs",
        "train_seconds",
        "is_samples",
        "test_images",
    ]
    assert (first["epochs"], first["train_seconds"], first["is_samples"]) == (3, 12.3, 20)
    assert first["test_images"] == 6
    torch.manual_seed(3)
    expected = vae.importance_sampled_log_likelihood(model, x, 20).mean().item()
    assert first["test_log_likelihood"] == pytest.approx(expected)
    assert first["test_elbo"] == pytest.approx(vae.evaluate_elbo(model, [(x, None)])["elbo"])
    again = vae_figures.test_metrics(_result(), model, x, 20, seed=3, progress=False)
    assert again == first


def test_score_table_rows_and_gap():
    row = vae_figures.score_row("m", {"test_elbo": -100.0, "test_log_likelihood": -95.5})
    assert row == "| m | -100.00 | -95.50 | 4.50 |"
    table = vae_figures.score_table([row], 200)
    assert table.splitlines()[0] == "| model | test ELBO | test log p(x), K = 200 | gap |"
    assert table.splitlines()[-1] == row
    # the table says how many test images the estimate used (the demo uses 500 of them)
    head = vae_figures.score_table([row], 200, 500).splitlines()[0]
    assert head == "| model | test ELBO | test log p(x), K = 200, 500 test images | gap |"


def test_compare_estimators_shapes_and_seed():
    model, x = _tiny_vae(), _images(4)
    estimates = vae_figures.compare_estimators(model, x, [1, 5], 3, seed=0)
    assert set(estimates) == {"prior", "importance"}
    for values in estimates.values():
        assert list(values) == [1, 5]
        assert all(len(v) == 3 for v in values.values())
    assert estimates["prior"][1] != estimates["prior"][5]  # fresh draws per repeat and K
    assert vae_figures.compare_estimators(model, x, [1, 5], 3, seed=0) == estimates


def test_plot_estimators_draws_mean_and_spread_per_estimator():
    estimates = {
        "prior": {1: [-300.0, -310.0], 10: [-250.0, -260.0]},
        "importance": {1: [-110.0, -111.0], 10: [-105.0, -105.5]},
    }
    ax = vae_figures.plot_estimators(estimates).axes[0]
    assert ax.get_xscale() == "log"
    means = [line.get_ydata().tolist() for line in ax.get_lines() if len(line.get_ydata()) == 2]
    assert [-305.0, -255.0] in means and [-110.5, -105.25] in means
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["z from the prior", "importance sampling, z from q(z|x)"]


def _snapshots(steps=(0, 10, 20, 30, 40), n: int = 5) -> Snapshots:
    snaps = Snapshots()
    for step in steps:
        snaps.add(step, torch.full((n, 1, 28, 28), step, dtype=torch.uint8))
    return snaps


def test_samples_over_training_rows_means_then_a_sample_of_the_last():
    g = torch.Generator().manual_seed(0)
    rows = vae_figures.samples_over_training_rows(
        {"a": _snapshots(), "b": _snapshots()}, generator=g, n=3, steps=3
    )
    labels = list(rows)
    assert len(labels) == 8 and labels[0].startswith("a") and labels[4].startswith("b")
    first, last_means, sample = (rows[labels[i]] for i in (0, 2, 3))
    assert first.shape == (3, 1, 28, 28) and first.eq(0).all()  # step 0, first three codes
    assert last_means.eq(40).all()
    assert set(sample.unique().tolist()) <= {0.0, 1.0}


def test_plot_latent_sizes_one_curve_per_size_on_each_split():
    fig = vae_figures.plot_latent_sizes({2: _result().history, 20: _result().history})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.get_lines()) == 2
        assert ax.get_xlabel() == "epoch"


def test_step_0_row_shows_the_untrained_decoders_means():
    model = _tiny_vae()
    z = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    snaps = Snapshots()
    snaps.capture(0, model, lambda: vae.decoder_means(model, z))
    snaps.add(10, torch.full((4, 1, 28, 28), 200, dtype=torch.uint8))
    rows = vae_figures.samples_over_training_rows({"course_mlp": snaps}, n=4, steps=2)
    first = next(iter(rows))
    assert first.startswith("course MLP VAE, step 0\nuntrained means")
    assert all(label.count("\n") == 1 for label in rows)  # two lines: readable in a report
    with torch.no_grad():
        means = vae.decoder_means(model, z)
    assert means.max() < 0.02  # the course MLP starts from nearly empty (black) images
    shown = vae_figures.plot_samples_over_training(rows).axes[0].images[0].get_array()
    tile = torch.as_tensor(shown[2:30, 2:30, 0])  # the first code, after make_grid's padding
    torch.testing.assert_close(tile.float(), means[0, 0].float(), atol=0.5 / 255 + 1e-6, rtol=0)


def test_figure_labels_are_words():
    assert vae_figures.model_label("course_mlp") == "course MLP VAE"
    assert vae_figures.model_label("conv") == "convolutional VAE"
    assert not any("_" in label for label in vae_figures.MODEL_LABELS.values())
    rows = vae_figures.samples_over_training_rows(
        {"course_mlp": _snapshots(), "conv": _snapshots()}, n=2, steps=2
    )
    assert not any("_" in label for label in rows)


def test_manifold_ticks_are_the_latent_coordinates_of_the_grid():
    model, n = _tiny_vae(), 5
    manifold = vae.latent_manifold(model, n)
    values = vae_figures.manifold_coordinates(n)
    assert values[0] < 0 < values[-1] and values.diff().gt(0).all()
    corner = torch.tensor([[values[0].item(), values[-1].item()]])  # top left: z1 low, z2 high
    with torch.no_grad():
        torch.testing.assert_close(manifold[:1], vae.decoder_means(model, corner))
    ax = vae_figures.plot_latent_manifold(manifold, n, title="m").axes[0]
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    ylabels = [t.get_text() for t in ax.get_yticklabels()]
    assert xlabels == [f"{v:.2f}" for v in values.tolist()]
    assert ylabels == xlabels[::-1]  # z2 decreases down the rows
    assert "z1" in ax.get_xlabel() and "z2" in ax.get_ylabel()
    # the ticks are z values, and the axis says what the cells are, not "quantiles"
    assert "quantiles" not in ax.get_xlabel() and "prior probability" in ax.get_xlabel()


def test_manifold_of_20_labels_five_cells_per_axis_upright():
    n = 20
    ax = vae_figures.plot_latent_manifold(vae.latent_manifold(_tiny_vae(), n), n).axes[0]
    values = vae_figures.manifold_coordinates(n)
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    assert xlabels == [f"{values[i]:.2f}" for i in (0, 5, 10, 14, 19)]
    assert xlabels[0] == "-1.96" and xlabels[-1] == "1.96"
    assert all(t.get_rotation() == 0 for t in ax.get_xticklabels())
    matplotlib.pyplot.close("all")


def _saved_width_px(fig, tmp_path) -> int:
    from matplotlib.image import imread

    from helpers.notebook import plots

    png = plots.save_figure(fig, "f", directory=tmp_path)[0]
    return imread(png).shape[1]


def test_figures_fit_a_report_page(tmp_path):
    rows = vae_figures.samples_over_training_rows(
        {"course_mlp": _snapshots(n=16), "conv": _snapshots(n=16)}, n=16, steps=4
    )
    assert _saved_width_px(vae_figures.plot_samples_over_training(rows), tmp_path) <= 1500
    histories = {size: _result().history for size in (2, 20, 100)}
    assert _saved_width_px(vae_figures.plot_latent_sizes(histories), tmp_path) <= 1500


def test_figure_text_is_readable_at_report_size():
    from .test_plots import smallest_text_in_a_report

    model, n = _tiny_vae(), 20
    manifold = vae_figures.plot_latent_manifold(vae.latent_manifold(model, n), n, title="m")
    assert smallest_text_in_a_report(manifold) >= 7.0
    g = torch.Generator().manual_seed(0)
    rows = vae_figures.samples_over_training_rows(
        {"course_mlp": _snapshots(n=12), "conv": _snapshots(n=12)}, generator=g, n=12, steps=4
    )
    assert smallest_text_in_a_report(vae_figures.plot_samples_over_training(rows)) >= 7.0
    matplotlib.pyplot.close("all")
