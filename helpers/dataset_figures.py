"""The figures of ``00_datasets``: one row of images per class, with the class names."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure
from torch import Tensor

from . import plots, synthetic
from .data import DATASETS

__all__ = ["CIFAR10_CLASSES", "class_names", "class_rows", "plot_classes"]

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


def class_names(name: str, source: str) -> Sequence[str]:
    """The names of the 10 classes of dataset ``name`` from ``source`` (``real`` or
    ``synthetic``): CIFAR-10's, the shapes of its stand-in, else the digits 0-9."""
    if name == "cifar10":
        return CIFAR10_CLASSES if source == "real" else synthetic.OBJECT_CLASSES
    return [str(k) for k in range(10)]


def class_rows(images: Tensor, labels: Tensor, per_class: int = 8) -> list[Tensor] | None:
    """The first ``per_class`` images (per_class, C, H, W) of each of the 10 classes of
    ``images`` (N, C, H, W) with ``labels`` (N,); ``None`` where a class has fewer."""
    rows = [images[labels == k][:per_class] for k in range(10)]
    return None if any(len(r) < per_class for r in rows) else rows


def plot_classes(
    name: str, images: Tensor, labels: Tensor | None, source: str, per_class: int = 8
) -> Figure | None:
    """One named row of ``per_class`` training images per class of dataset ``name``; ``None``
    for an unlabelled dataset or one with too few images of some class."""
    rows = None if labels is None else class_rows(images, labels, per_class)
    if rows is None:
        return None
    names = class_names(name, source)
    kind = "real" if source == "real" else "stand-in"
    return plots.show_images(
        {f"{k}: {names[k]}": rows[k] for k in range(10)},
        title=f"{DATASETS[name].title} ({kind}): one class per row",
        scale=0.5,
    )
