"""Notebook 02's training with the Frechet distance and its figures (helpers.gan.figures)."""

from __future__ import annotations

import matplotlib
import pytest
import torch

from helpers import gan
from helpers.data import synthetic
from helpers.gan import figures as gan_figures
from helpers.train import History, Snapshots

matplotlib.use("Agg")


class _MeanScorer:
    """Stands in for a FrechetScorer: the 'distance' is the generated images' mean, and every
    call is kept."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def of_generator(self, generate, n: int) -> float:
        with torch.no_grad():
            value = generate(n).mean().item()
        self.calls.append(value)
        return value


def test_train_with_frechet_scores_the_untrained_generator_then_every_evaluation():
    images, _ = synthetic.house_numbers(16, seed=0)
    scorer = _MeanScorer()
    torch.manual_seed(5)
    generator = gan.Generator(8, width=4)
    fd_init, result, snaps = gan_figures.train_with_frechet(
        "w", generator, gan.Critic(width=4), images, scorer,
        fd_samples=4, seed=0, device="cpu", iterations=2, batch_size=4, n_critic=1,
        eval_every=1, progress=False,
    )  # fmt: skip
    assert fd_init == scorer.calls[0]
    steps, fds = result.history.series("frechet_distance")
    assert steps == [1, 2] and fds == pytest.approx(scorer.calls[1:])
    assert sorted(snaps.items) == [0, 1, 2]


def _snapshots(steps=(0, 5, 10), n: int = 4) -> Snapshots:
    snaps = Snapshots()
    for step in steps:
        snaps.add(step, torch.full((n, 1, 28, 28), step * 20, dtype=torch.uint8))
    return snaps


def test_plot_samples_over_training_one_row_per_snapshot():
    fig = gan_figures.plot_samples_over_training(_snapshots(), "t", n=3, columns=5)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels[0].startswith("iteration 0, untrained")
    assert labels[1:] == ["iteration 5", "iteration 10"]


def _gan_history() -> History:
    history = History()
    for step in (10, 20, 30):
        history.add(step, {"d_real": 0.9 - step / 100, "d_fake": step / 100, "wasserstein": 1.0})
        history.add(step, {"lp": 0.01 * step, "frechet_distance": 100.0 / step})
    return history


def test_plot_discriminator_curves_and_the_optimum():
    ax = gan_figures.plot_discriminator(_gan_history()).axes[0]
    ys = [list(line.get_ydata()) for line in ax.get_lines()]
    assert pytest.approx([0.8, 0.7, 0.6]) in ys and pytest.approx([0.1, 0.2, 0.3]) in ys
    assert [0.5, 0.5] in ys  # the optimum's line
    # named in the legend, not in a text that the curves can cross
    assert not ax.texts
    legend = ax.get_legend() or ax.figure.legends[0]
    assert "1/2, the optimum of both" in [t.get_text() for t in legend.get_texts()]


def test_plot_wgan_curves_start_the_distance_at_initialisation():
    fig = gan_figures.plot_wgan_curves(_gan_history(), fd_init=400.0, floor=2.0)
    assert len(fig.axes) == 3
    generator, floor = fig.axes[2].get_lines()[:2]
    assert generator.get_xdata().tolist() == [0, 10, 20, 30]
    assert generator.get_ydata()[0] == 400.0
    assert floor.get_ydata().tolist() == [2.0, 2.0]
    # one x range in every panel, from 0 (the distance starts there), and the penalty's title
    # says that lambda is not in it
    assert len({ax.get_xlim() for ax in fig.axes}) == 1 and fig.axes[0].get_xlim()[0] <= 0
    assert "without lambda" in fig.axes[1].get_title()


def test_interpolation_rows_end_at_the_two_codes():
    torch.manual_seed(0)
    generator = gan.MLPGenerator(latent_dim=6, hidden=4).eval()
    alphas = torch.linspace(0, 1, 5)
    torch.manual_seed(1)
    rows, middles, (z0, z1) = gan_figures.interpolation_rows(generator, alphas, 2)
    assert list(rows) == ["latent 1", "slerp 1", "data 1", "latent 2", "slerp 2", "data 2"]
    with torch.no_grad():
        ends = generator(torch.stack([z0, z1]))
    for name in ("latent 1", "slerp 1", "data 1"):  # alpha = 1 (the last column) is g(z0)
        assert rows[name].shape == (5, 1, 28, 28)
        torch.testing.assert_close(rows[name][-1], ends[0], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(rows[name][0], ends[1], atol=1e-5, rtol=1e-4)
    assert len(middles["latent"]) == 2
    torch.testing.assert_close(middles["data"][1], rows["data 2"][2])
    torch.manual_seed(1)
    assert torch.equal(
        gan_figures.interpolation_rows(generator, alphas, 2)[0]["data 2"], rows["data 2"]
    )


def _saved_width_px(fig, tmp_path) -> int:
    from matplotlib.image import imread

    from helpers.notebook import plots

    png = plots.save_figure(fig, "f", directory=tmp_path)[0]
    return imread(png).shape[1]


def test_iteration_0_is_labelled_untrained_with_the_values_shown():
    torch.manual_seed(0)
    generator = gan.Generator(8, width=4)
    snaps = Snapshots()
    z = torch.randn(8, 8)
    snaps.capture(0, generator, lambda: generator(z), value_range=(-1, 1))
    snaps.add(100, torch.zeros(8, 3, 32, 32, dtype=torch.uint8))
    first = snaps.items[0].float() / 255 * 2 - 1
    assert first.max() - first.min() < 0.5  # an untrained generator in eval mode: near 0, grey
    label = gan_figures.snapshot_label(0, snaps.items[0])
    assert "untrained" in label
    assert f"{first.min():+.2f} to {first.max():+.2f}" in label
    assert gan_figures.snapshot_label(100, snaps.items[100]) == "iteration 100"
    fig = gan_figures.plot_samples_over_training(snaps, "t", n=8, columns=6)
    assert fig.axes[0].get_ylabel() == label


def test_wgan_figures_fit_a_report_page(tmp_path):
    snaps = Snapshots()
    for step in range(0, 1200, 200):
        snaps.add(step, torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8))
    fig = gan_figures.plot_samples_over_training(snaps, "WGAN-LP", n=8, columns=6)
    assert len(fig.axes) == 6  # six snapshots, a row of 8 samples each
    assert _saved_width_px(fig, tmp_path) <= 1500
    curves = gan_figures.plot_wgan_curves(_gan_history(), fd_init=400.0, floor=2.0, title="W")
    assert _saved_width_px(curves, tmp_path) <= 1500


def test_latent_interpolation_at_alpha_one_is_g_of_z0():
    """The handout's convention (Problem 2, Q4): z'_alpha = alpha z0 + (1 - alpha) z1, so the
    rendered figure's column alpha = 1 shows g(z0) and alpha = 0 shows g(z1)."""
    torch.manual_seed(0)
    generator = gan.MLPGenerator(latent_dim=6, hidden=4).eval()
    z0, z1 = torch.randn(2, 6)
    alphas = torch.linspace(0, 1, 9)
    fig = gan_figures.plot_latent_interpolation(generator, [(z0, z1)], alphas, title="t")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "0.00" and labels[-1] == "1.00" and len(labels) == 9
    assert "weight of z0" in fig.axes[0].get_xlabel()
    shown = torch.as_tensor(fig.axes[0].images[0].get_array())
    with torch.no_grad():
        ends = (generator(torch.stack([z0, z1])) + 1) / 2
    torch.testing.assert_close(shown[2:30, -30:-2, 0], ends[0, 0], atol=1e-5, rtol=0)  # alpha 1
    torch.testing.assert_close(shown[2:30, 2:30, 0], ends[1, 0], atol=1e-5, rtol=0)  # alpha 0


def test_wgan_curves_text_is_readable_at_report_size():
    from .test_plots import smallest_text_in_a_report

    curves = gan_figures.plot_wgan_curves(_gan_history(), fd_init=400.0, floor=2.0, title="W")
    assert smallest_text_in_a_report(curves) >= 7.0
    matplotlib.pyplot.close("all")


def test_interpolation_midpoints_score_many_pairs_and_see_a_cross_fade():
    class Sign(torch.nn.Module):  # g(z): +-1 images by the sign of z[0], so a cross-fade is 0
        latent_dim = 4

        def forward(self, z):
            return torch.sign(z[:, :1, None, None]).expand(-1, 3, 8, 8) * torch.linspace(
                0.2, 1, 8
            )

    class Uniform(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.zeros(x.shape[0], 10) + self.w

    torch.manual_seed(0)
    confidence, contrast = gan_figures.interpolation_midpoints(Sign(), Uniform(), 30)
    assert confidence == pytest.approx({"latent": 0.1, "data": 0.1})
    assert set(contrast) == {"latent", "data", "ends"}
    assert contrast["data"] < contrast["ends"]  # opposite signs average towards 0: washed out
    with pytest.raises(ValueError):
        gan_figures.interpolation_midpoints(Sign(), Uniform(), 0)
