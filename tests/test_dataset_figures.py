"""The class figures of 00_datasets (helpers.dataset_figures)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from helpers import dataset_figures, synthetic


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
    assert names == [f"{k}: {n}" for k, n in enumerate(synthetic.OBJECT_CLASSES)]
    assert dataset_figures.plot_classes("binarized_mnist", images, None, "synthetic") is None
    assert dataset_figures.plot_classes("cifar10", images[:5], labels[:5], "synthetic") is None
    plt.close("all")
