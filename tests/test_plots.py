"""Figures: grids and export."""

from __future__ import annotations

import io
import time

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch

from helpers.notebook import plots, workbook

matplotlib.use("Agg")


def test_make_grid_layout_and_values():
    images = torch.zeros(5, 1, 4, 4, dtype=torch.uint8)
    images[3] = 255
    grid = plots.make_grid(images, nrow=3, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    assert grid[6:10, 1:5].eq(1).all()  # image 3: second row, first column, white
    assert grid[1:5, 1:5].eq(0).all()
    binary = torch.ones(1, 1, 2, 2, dtype=torch.uint8)
    assert plots.make_grid(binary, padding=0).eq(1).all()  # 0/1 images shown as black/white
    sym = torch.full((1, 3, 2, 2), -1.0)
    assert plots.make_grid(sym, padding=0, value_range=(-1, 1)).eq(0).all()


def test_save_figure_writes_png_and_pdf(tmp_path):
    fig = plots.image_grid(torch.rand(8, 3, 8, 8), nrow=4, title="t")
    paths = plots.save_figure(fig, "grid", directory=tmp_path)
    assert [p.name for p in paths] == ["grid.png", "grid.pdf"]
    assert paths[1].read_bytes()[:4] == b"%PDF"
    from matplotlib.image import imread

    width_px = imread(paths[0]).shape[1]
    assert width_px >= fig.get_size_inches()[0] * 200 * 0.8  # 200 dpi (bbox tight trims a bit)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_saving_the_same_figure_twice_gives_the_same_bytes(tmp_path):
    fig = plots.plot_curves({"a": ([1, 2, 3], [3, 1, 2])}, ylabel="loss", title="t")
    first = [p.read_bytes() for p in plots.save_figure(fig, "c", directory=tmp_path / "1")]
    time.sleep(1.1)  # a creation date in seconds would differ now
    second = [p.read_bytes() for p in plots.save_figure(fig, "c", directory=tmp_path / "2")]
    assert first == second


def test_workbook_save_figure_prints_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_FIGURES_DIR", str(tmp_path))
    wb = workbook.start("99_test", profile="smoke", data="synthetic")
    fig = plots.plot_curves({"a": ([1], [1])})
    assert wb.save_figure(fig, "x") is None  # a cell ending with it shows no list of paths
    assert (tmp_path / "99_test" / "x.pdf").exists()


def test_plot_curves_and_rows(tmp_path):
    fig = plots.plot_curves({"a": ([1, 2], [3, 4]), "b": ([1, 2], [4, 3])}, ylabel="loss")
    assert len(fig.axes[0].lines) == 2
    fig = plots.show_images(
        {"x": torch.rand(3, 1, 4, 4), "y": torch.rand(3, 1, 4, 4)}, column_labels=["0", "0.5", "1"]
    )
    assert len(fig.axes) == 2


def test_bad_figure_name(tmp_path):
    fig = plots.plot_curves({"a": ([1], [1])})
    with pytest.raises(ValueError, match="plain file stem"):
        plots.save_figure(fig, "../escape", directory=tmp_path)


def test_a_log_axis_of_zeros_stays_linear_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "Data has no positive values" would raise
        fig = plots.plot_curves({"LP": ([1, 2, 3], [0.0, 0.0, 0.0])}, logy=True)
        fig.savefig(io.BytesIO(), format="png")
    assert fig.axes[0].get_yscale() == "linear"
    fig = plots.plot_curves({"LP": ([1, 2, 3], [0.0, 0.5, 2.0])}, logy=True)
    assert fig.axes[0].get_yscale() == "log"


def test_epoch_axes_have_integer_ticks():
    fig = plots.plot_curves({"a": ([1, 2, 3], [3.0, 1.0, 2.0])}, xlabel="epoch")
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)
    fig = plots.plot_curves({"a": ([0.0, 0.5, 1.0], [3.0, 1.0, 2.0])}, xlabel="alpha")
    fig.canvas.draw()
    assert not all(float(t).is_integer() for t in fig.axes[0].get_xticks())


def test_image_figures_fit_a_report_page(tmp_path):
    from matplotlib.image import imread

    rows = {f"row {i}": torch.rand(16, 1, 28, 28) for i in range(3)}
    wide = plots.show_images(rows, column_labels=[str(i) for i in range(16)], title="t")
    grid = plots.image_grid(torch.rand(64, 3, 32, 32), nrow=32, title="t")
    for name, fig in (("rows", wide), ("grid", grid)):
        png = plots.save_figure(fig, name, directory=tmp_path)[0]
        assert imread(png).shape[1] <= 1500, name


def smallest_text_in_a_report(fig) -> float:
    """Points: the smallest visible text of ``fig`` once a report places it (its saved, tight
    bounding box, 0.1 in of padding each side, scaled by plots.report_scale)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    scale = plots.report_scale(box.width + 0.2, box.height + 0.2)
    hidden = {  # the tick labels of an axis that is off are never drawn
        id(t)
        for ax in fig.axes
        for axis in (ax.xaxis, ax.yaxis)
        if not (ax.axison and axis.get_visible())
        for t in axis.findobj(Text)
    }
    texts = [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
    ]
    assert texts
    return min(t.get_fontsize() for t in texts) * scale


@pytest.mark.parametrize(
    ("n_rows", "n_cols", "label"),
    [(1, 16, "row"), (3, 16, "row"), (10, 8, "0"), (10, 12, "convolutional VAE\nmeans, step 3")],
)
def test_show_images_text_is_readable_at_report_size(n_rows, n_cols, label):
    rows = {f"{label} {i}": torch.rand(n_cols, 1, 28, 28) for i in range(n_rows)}
    fig = plots.show_images(
        rows, column_labels=[f"{i / 10:.1f}" for i in range(n_cols)], column_title="alpha",
        title="A title as long as the ones the notebooks give",
    )  # fmt: skip
    assert smallest_text_in_a_report(fig) >= 7.0
    plt.close(fig)


@pytest.mark.parametrize(("n", "nrow"), [(64, 16), (32, 16), (64, 8), (64, 4)])
def test_image_grid_title_is_readable_at_report_size(n, nrow):
    fig = plots.image_grid(torch.rand(n, 3, 32, 32), nrow=nrow, title="Samples after training")
    assert smallest_text_in_a_report(fig) >= 7.0
    plt.close(fig)
