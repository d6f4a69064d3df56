"""The figures of ``00_datasets`` (one row of images per class, with the class names) and the
name of a dataset in figure titles (:func:`dataset_title`), which says "stand-in" on stand-ins."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from torch import Tensor

from ..data import synthetic
from ..data.formats import DATASETS
from . import plots

__all__ = [
    "CIFAR10_CLASSES",
    "STANDIN_KINDS",
    "class_names",
    "class_rows",
    "dataset_title",
    "plot_classes",
]

SHORT_TITLES = {"binarized_mnist": "binarized MNIST", "mnist": "MNIST", "svhn": "SVHN"}
# What each CIFAR-10 stand-in of helpers.data.STANDINS shows, in words.
STANDIN_KINDS = {"objects": "shapes", "grey_digits": "grey digits", "tiled_shapes": "tiled shapes"}

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)


def dataset_title(name: str, source: str, standin: str | None = None) -> str:
    """How figure titles name dataset ``name`` from ``source`` (``real`` or ``synthetic``):
    the dataset on real data ("CIFAR-10"), a stand-in on synthetic data ("SVHN stand-in",
    "CIFAR-10 stand-in (grey digits)"; ``standin``: which CIFAR-10 stand-in, None: shapes)."""
    if source == "real":
        return DATASETS[name].title
    title = f"{SHORT_TITLES.get(name, DATASETS[name].title)} stand-in"
    if name == "cifar10":
        title += f" ({STANDIN_KINDS.get(standin or 'objects', standin)})"
    return title[0].upper() + title[1:]


def class_names(name: str, source: str, standin: str | None = None) -> Sequence[str]:
    """The names of the 10 classes of dataset ``name`` from ``source`` (``real`` or
    ``synthetic``): CIFAR-10's, the shapes of its ``objects`` and ``tiled_shapes`` stand-ins, else
    the digits 0-9."""
    if name == "cifar10" and source == "real":
        return CIFAR10_CLASSES
    if name == "cifar10" and standin in (None, "objects", "tiled_shapes"):
        return synthetic.OBJECT_CLASSES
    return [str(k) for k in range(10)]


def class_rows(images: Tensor, labels: Tensor, per_class: int = 8) -> list[Tensor] | None:
    """The first ``per_class`` images (per_class, C, H, W) of each of the 10 classes of
    ``images`` (N, C, H, W) with ``labels`` (N,); ``None`` where a class has fewer."""
    rows = [images[labels == k][:per_class] for k in range(10)]
    return None if any(len(r) < per_class for r in rows) else rows


def plot_classes(
    name: str,
    images: Tensor,
    labels: Tensor | None,
    source: str,
    per_class: int = 8,
    *,
    standin: str | None = None,
) -> Figure | None:
    """One named row of ``per_class`` training images (``images`` (N, C, H, W), ``labels``
    (N,)) per class of dataset ``name``, each named once by its class ("0", "airplane"),
    titled by :func:`dataset_title`; ``None`` for an unlabelled dataset or one with too few
    images of some class."""
    rows = None if labels is None else class_rows(images, labels, per_class)
    if rows is None:
        return None
    names = class_names(name, source, standin)
    return plots.show_images(
        {names[k]: rows[k] for k in range(10)},
        title=f"{dataset_title(name, source, standin)}: one class per row",
        scale=0.5,
    )
