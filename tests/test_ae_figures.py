"""The runs, figures and tables of 04_autoencoders (helpers.autoencoders.figures)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import vae
from helpers.autoencoders import figures as autoencoders_figures
from helpers.autoencoders import runs as autoencoders_runs
from helpers.common import frechet
from helpers.data import synthetic, to_float
from helpers.notebook import plots
from helpers.profiles import AEBudget
from helpers.train import History, TrainResult

TINY = AEBudget(epochs=1, latent_dim=2, hidden=8, batch_size=16, fd_samples=32)


def tiny_runs(tmp_path) -> autoencoders_runs.AERuns:
    images, _ = synthetic.digits(48, 0)
    return autoencoders_runs.AERuns(
        TINY, images[:32], images[32:], seed=0, checkpoint_dir=str(tmp_path)
    )


def fake_result(epochs: int = 3, offset: float = 0.0) -> TrainResult:
    h = History()
    for e in range(1, epochs + 1):
        h.add(e, dict(valid_recon=-100.0 + e + offset, valid_kl=5.0 * e + offset,
                      valid_elbo=-110.0 + e), epoch=e)  # fmt: skip
    return TrainResult(history=h, steps=epochs, seconds=1.0)


def test_make_is_seeded_and_fit_keeps_the_run(tmp_path):
    runs = tiny_runs(tmp_path)
    a, b = runs.make("ae"), runs.make("ae")
    assert isinstance(a, vae.MLPAutoencoder) and isinstance(runs.make("vae"), vae.CourseVAE)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    model = runs.fit("autoencoder", a)
    assert runs.models["autoencoder"] is model and runs.results["autoencoder"].steps > 0


def test_sweep_and_test_entry(tmp_path):
    runs = tiny_runs(tmp_path)
    images, labels = synthetic.digits(64, 1)
    model = frechet.train_feature_classifier(images, labels, epochs=1, width=4, progress=False)
    scorer = frechet.FrechetScorer(model, runs.x_valid)
    sweep = runs.sweep((0.5, 2.0), scorer)
    assert list(sweep) == [0.5, 2.0] and set(sweep[2.0]) == {"fd", "recon"}
    assert set(runs.models) == {"vae_sweep_beta_0.5", "vae_sweep_beta_2"}
    x = to_float(runs.x_valid, "unit")
    entry = runs.test_entry("vae_sweep_beta_2", x, scorer)
    assert {"reconstruction_error", "frechet_distance", "train_seconds", "kl", "test_elbo"} <= set(
        entry
    )
    assert entry["reconstruction_error"] == pytest.approx(
        vae.reconstruction_error(runs.models["vae_sweep_beta_2"], x)
    )


def test_results_table_says_n_a_for_the_autoencoder():
    metrics = {
        "autoencoder": {"reconstruction_error": 1.0, "frechet_distance": 9.0},
        "vae": {"reconstruction_error": 2.0, "frechet_distance": 3.0, "kl": 4.0, "test_elbo": -5},
    }
    rows = autoencoders_figures.results_table(metrics, ["autoencoder", "vae"]).splitlines()
    assert len(rows) == 4
    assert rows[2] == "| autoencoder | 1.00 | – | – | 9.00 |"
    assert rows[3] == "| vae | 2.00 | 4.00 | -5.00 | 3.00 |"


def test_interpolation_pairs_are_disjoint_and_of_different_digits():
    labels = torch.tensor([1, 1, 2, 1, 3, 3, 4])
    pairs = autoencoders_figures.interpolation_pairs(labels, n=3, among=7)
    assert pairs == [(0, 2), (1, 4), (3, 5)]
    assert all(labels[i] != labels[j] for i, j in pairs)


def test_latent_path_ends_at_the_decoded_codes():
    torch.manual_seed(0)
    model = vae.CourseVAE(2, 8)
    x = torch.rand(2, 1, 28, 28)
    path = autoencoders_figures.latent_path(model, x, [0.0, 0.5, 1.0])
    assert path.shape == (3, 1, 28, 28)
    with torch.no_grad():
        z = model.encode(x)[0]
    # the handout's convention: alpha = 1 is the first image's code z0, alpha = 0 the second's
    assert torch.allclose(path[2], vae.decoder_means(model, z[:1])[0], atol=1e-6)
    assert torch.allclose(path[0], vae.decoder_means(model, z[1:])[0], atol=1e-6)
    rows = autoencoders_figures.interpolation_rows(
        {"AE": model, "VAE": model}, x, torch.tensor([3, 7]), [(0, 1)], [0.0, 1.0]
    )
    assert list(rows) == ["AE 7->3", "VAE 7->3"]  # the digits left (alpha = 0) to right


def test_midpoint_confidence_is_a_probability_per_model():
    torch.manual_seed(0)
    model = vae.CourseVAE(2, 8)
    classifier = frechet.FeatureClassifier(1, width=4)
    x = torch.rand(4, 1, 28, 28)
    conf = autoencoders_figures.midpoint_confidence({"AE": model}, x, [(0, 1), (2, 3)], classifier)
    assert set(conf) == {"AE"} and 0.1 <= conf["AE"] <= 1.0


def test_curve_figures_draw_each_run():
    results = {n: fake_result(offset=k) for k, n in
               enumerate(["vae_beta_0", "vae_beta_10", "vae_beta_tuned"])}  # fmt: skip
    fig = autoencoders_figures.plot_beta_0_vs_10(results)
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2]
    fig = autoencoders_figures.plot_tuned_curves(results, 2.0)
    assert [len(ax.get_lines()) for ax in fig.axes] == [3, 3, 3]
    sweep = {0.5: {"fd": 3.0, "recon": 1.0}, 2.0: {"fd": 2.0, "recon": 4.0}}
    fig = autoencoders_figures.plot_beta_sweep(sweep, 2.0)
    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [3.0, 2.0]
    plt.close("all")


def saved_width(fig, tmp_path, name: str) -> int:
    """The width in pixels of ``fig`` saved as the workbook saves figures (200 dpi)."""
    from PIL import Image

    from helpers.notebook import plots

    plots.save_figure(fig, name, directory=tmp_path)
    with Image.open(tmp_path / f"{name}.png") as image:
        return image.size[0]


def three_vaes(epochs: int = 8) -> dict[str, TrainResult]:
    names = ["vae_beta_0", "vae_beta_10", "vae_beta_tuned"]
    return {n: fake_result(epochs, offset=k) for k, n in enumerate(names)}


def test_labels_are_words_and_the_tuned_vae_shows_its_beta():
    labels = autoencoders_figures.model_labels(0.5)
    assert labels["vae_beta_tuned"] == "VAE, beta = 0.5 (tuned)"
    assert all("_" not in label for label in labels.values())
    fig = autoencoders_figures.plot_tuned_curves(three_vaes(), 0.5)
    shown = fig.legends[0].get_texts() if fig.legends else fig.axes[-1].get_legend().get_texts()
    assert "VAE, beta = 0.5 (tuned)" in [t.get_text() for t in shown]
    plt.close("all")


@pytest.mark.parametrize("epochs", [6, 8, 20])
def test_epoch_axes_have_integer_ticks(epochs):
    results = three_vaes(epochs)
    for fig in [
        autoencoders_figures.plot_beta_0_vs_10(results),
        autoencoders_figures.plot_tuned_curves(results, 2),
    ]:
        fig.canvas.draw()
        for ax in fig.axes:
            low, high = sorted(ax.get_xlim())
            ticks = [t for t in ax.get_xticks() if low <= t <= high]
            assert ticks and all(float(t).is_integer() for t in ticks), ax.get_xticks()
    plt.close("all")


def test_figures_fit_a_report_page(tmp_path):
    results = three_vaes()
    sweep = {b: {"fd": 1.0 / b, "recon": b} for b in (0.25, 0.5, 1.0, 2.0, 4.0)}
    figures = {
        "b010": autoencoders_figures.plot_beta_0_vs_10(results),
        "sweep": autoencoders_figures.plot_beta_sweep(sweep, 0.5),
        "tuned": autoencoders_figures.plot_tuned_curves(results, 0.25),
    }
    x = torch.rand(12, 1, 28, 28)
    labels = autoencoders_figures.model_labels(0.25)
    figures["rows"] = plots.show_images(
        {"test images": x, **{labels[n]: x for n in labels}, "AE decodes z ~ N(0, I)": x},
        title="Reconstructions of the same test images, MNIST stand-in",
        scale=autoencoders_figures.IMAGE_SCALE,
    )
    rows = {f"VAE {a}->{a + 1}": x[:11] for a in range(6)}
    figures["interpolation"] = autoencoders_figures.plot_interpolation(
        rows, torch.linspace(0, 1, 11), f"AE vs {labels['vae_beta_tuned']}, MNIST stand-in"
    )
    for name, fig in figures.items():
        assert saved_width(fig, tmp_path, name) <= 1500, name
    plt.close("all")


def test_titles_say_stand_in_on_synthetic_data_and_mnist_on_real():
    assert autoencoders_figures.dataset_name("synthetic") == "MNIST stand-in"
    assert autoencoders_figures.dataset_name("real") == "MNIST"
    results = three_vaes()
    fig = autoencoders_figures.plot_tuned_curves(results, 2.0, "MNIST stand-in")
    assert fig.get_suptitle().endswith("MNIST stand-in")
    fig = autoencoders_figures.plot_beta_0_vs_10(results, "MNIST")
    assert fig.get_suptitle().endswith(", MNIST")
    plt.close("all")


def test_committed_demo_figures_fit_a_report_page():
    from pathlib import Path

    from PIL import Image

    folder = Path(__file__).resolve().parent.parent / "figures" / "demo" / "04_autoencoders"
    pngs = sorted(folder.glob("*.png"))
    assert pngs
    for path in pngs:
        with Image.open(path) as image:
            assert image.size[0] <= 1500, (path.name, image.size)
