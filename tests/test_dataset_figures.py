"""The class figures of 00_datasets (helpers.notebook.previews)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from helpers.data import synthetic
from helpers.notebook import previews as dataset_figures


def test_class_names():
    assert dataset_figures.class_names("cifar10", "real")[0] == "airplane"
    assert tuple(dataset_figures.class_names("cifar10", "synthetic")) == synthetic.OBJECT_CLASSES
    assert list(dataset_figures.class_names("mnist", "real")) == [str(k) for k in range(10)]


def test_class_rows_take_the_first_images_of_each_class():
    labels = torch.arange(30) % 10
    images = torch.arange(30).view(30, 1, 1, 1)
    rows = dataset_figures.class_rows(images, labels, per_class=3)
    assert [r.flatten().tolist() for r in rows[:2]] == [[0, 10, 20], [1, 11, 21]]
    assert dataset_figures.class_rows(images, labels, per_class=4) is None


def test_plot_classes_names_each_row_and_skips_what_it_cannot_show():
    images, labels = synthetic.objects(120, 0)
    fig = dataset_figures.plot_classes("cifar10", images, labels, "synthetic", per_class=2)
    names = [ax.get_ylabel() for ax in fig.axes]
    assert names == list(synthetic.OBJECT_CLASSES)
    assert dataset_figures.plot_classes("binarized_mnist", images, None, "synthetic") is None
    assert dataset_figures.plot_classes("cifar10", images[:5], labels[:5], "synthetic") is None
    plt.close("all")


def test_titles_say_stand_in_on_synthetic_data_and_name_the_dataset_on_real():
    from helpers.data import DATASETS

    for name in DATASETS:
        assert "stand-in" not in dataset_figures.dataset_title(name, "real")
        assert "stand-in" in dataset_figures.dataset_title(name, "synthetic")
    assert dataset_figures.dataset_title("cifar10", "real") == "CIFAR-10"
    title = dataset_figures.dataset_title("cifar10", "synthetic", "grey_digits")
    assert title == "CIFAR-10 stand-in (grey digits)"


def test_the_grey_digit_stand_in_is_shown_with_digit_names():
    images, labels = synthetic.grey_digits(200, 0)
    fig = dataset_figures.plot_classes(
        "cifar10", images, labels, "synthetic", per_class=2, standin="grey_digits"
    )
    assert [ax.get_ylabel() for ax in fig.axes][:2] == ["0", "1"]  # each digit once
    assert fig.get_suptitle().startswith("CIFAR-10 stand-in (grey digits)")
    plt.close("all")


def test_00_shows_the_stand_in_problem_3_trains_on_in_the_demo():
    import json
    from pathlib import Path

    from helpers.profiles import get_profile

    root = Path(__file__).resolve().parent.parent
    standin = get_profile("demo").simsiam.standin
    assert standin is not None
    figure = root / "figures" / "demo" / "00_datasets" / f"classes_cifar10_{standin}.png"
    assert figure.is_file()
    cells = json.loads((root / "notebooks" / "00_datasets.ipynb").read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert f"`{standin}`" in text
    assert "Problem 3 (kNN accuracy against raw pixels)" not in text  # not on the shapes


def test_committed_demo_figures_fit_a_report_page():
    from pathlib import Path

    from PIL import Image

    folder = Path(__file__).resolve().parent.parent / "figures" / "demo" / "00_datasets"
    pngs = sorted(folder.glob("*.png"))
    assert pngs
    for path in pngs:
        with Image.open(path) as image:
            assert image.size[0] <= 1500, (path.name, image.size)


def test_class_grid_text_is_readable_at_report_size():
    from .test_plots import smallest_text_in_a_report

    images, labels = synthetic.objects(200, 0)
    fig = dataset_figures.plot_classes("cifar10", images, labels, "synthetic", per_class=8)
    assert smallest_text_in_a_report(fig) >= 7.0
    plt.close("all")
