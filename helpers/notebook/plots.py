"""Figures in one consistent style: image grids, curves, and :func:`save_figure`.

Every figure a report needs is exported with :func:`save_figure` (or ``wb.save_figure``) as
``figures/<notebook>/<name>.png`` (200 dpi) and ``.pdf``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from ..train.fileio import atomic_path

__all__ = [
    "PAGE_WIDTH",
    "READABLE_PT",
    "REPORT_HEIGHT",
    "REPORT_WIDTH",
    "STYLE",
    "epoch_axis",
    "image_grid",
    "legend_below",
    "make_grid",
    "place_legend",
    "plot_curves",
    "readable_pt",
    "report_scale",
    "save_figure",
    "show_images",
    "use_style",
]

STYLE: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "image.interpolation": "nearest",
    "pdf.fonttype": 42,
}


PAGE_WIDTH = 7.0
"""Inches: the widest a figure gets, a report page's text width (1400 px at 200 dpi).
:func:`image_grid` and :func:`show_images` shrink their images to fit it."""

REPORT_WIDTH = 6.0
"""Inches: the width a report places a figure at (a letter or A4 page's text width, less a
margin of safety)."""

REPORT_HEIGHT = 3.4
"""Inches: the most height a report gives one figure (0.36 of a letter page's text height); a
taller figure is shrunk to it, whatever its width."""

READABLE_PT = 7.5
"""Points: the smallest text a figure may have once placed in a report (7 pt, with a margin
for the labels that widen a figure's saved, tight bounding box)."""

COUNT_WORDS = ("epoch", "iteration", "step")
"""An x label naming one of these counts gets integer ticks in :func:`plot_curves`."""


def use_style() -> None:
    """Apply the workbook's matplotlib style (called on import)."""
    mpl.rcParams.update(STYLE)


use_style()


def report_scale(width: float, height: float) -> float:
    """How much a ``width`` x ``height`` inch figure is scaled by when a report places it: to
    :data:`REPORT_WIDTH` wide, or less where it would then be taller than
    :data:`REPORT_HEIGHT`."""
    return min(REPORT_WIDTH / width, REPORT_HEIGHT / height)


def readable_pt(size: float, width: float, height: float) -> float:
    """A font size of at least ``size`` points, large enough to read as :data:`READABLE_PT`
    once a ``width`` x ``height`` inch figure is placed in a report (:func:`report_scale`)."""
    return max(size, READABLE_PT / report_scale(width, height))


def _as_display(images: Tensor, value_range: tuple[float, float] | None) -> Tensor:
    """(N, C, H, W) images of any dtype as float in [0, 1]."""
    images = images.detach().cpu()
    if images.dtype == torch.uint8:
        x = images.float()
        return x if x.max() <= 1 else x / 255.0
    x = images.float()
    if value_range is not None:
        low, high = value_range
        x = (x - low) / (high - low)
    return x.clamp(0, 1)


def make_grid(
    images: Tensor, nrow: int = 8, padding: int = 2, value_range: tuple[float, float] | None = None
) -> Tensor:
    """Tile (N, C, H, W) images into one (H', W', 3) float image in [0, 1], ``nrow`` per row.

    uint8 images are read as 0..255 (or 0/1 when binarized); float images as [0, 1] unless
    ``value_range`` says otherwise (``(-1, 1)`` for tanh outputs).
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    x = _as_display(images, value_range)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    n, _, h, w = x.shape
    rows = -(-n // nrow)
    cols = min(nrow, n)
    grid = torch.ones(3, rows * (h + padding) + padding, cols * (w + padding) + padding)
    for i in range(n):
        r, c = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + c * (w + padding)
        grid[:, top : top + h, left : left + w] = x[i]
    return grid.permute(1, 2, 0)


def image_grid(
    images: Tensor,
    nrow: int = 8,
    *,
    title: str | None = None,
    value_range: tuple[float, float] | None = None,
    ax: Axes | None = None,
    scale: float = 0.45,
) -> Figure:
    """A figure of (N, C, H, W) images tiled ``nrow`` per row (see :func:`make_grid`).

    ``scale``: inches per image, reduced where the figure would be wider than
    :data:`PAGE_WIDTH`.
    """
    grid = make_grid(images, nrow, value_range=value_range)
    if ax is None:
        height, width = grid.shape[0] / images.shape[-2], grid.shape[1] / images.shape[-1]
        scale = min(scale, PAGE_WIDTH / width)
        fig, ax = plt.subplots(figsize=(max(2.0, width * scale), max(1.0, height * scale) + 0.3))
    else:
        fig = ax.figure  # type: ignore[assignment]
    ax.imshow(grid.numpy())
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=readable_pt(11, *fig.get_size_inches()))
    return fig


def show_images(
    rows: Mapping[str, Tensor],
    *,
    title: str | None = None,
    value_range: tuple[float, float] | None = None,
    column_labels: Sequence[str] | None = None,
    column_title: str | None = None,
    scale: float = 0.6,
) -> Figure:
    """Rows of images, one labelled row per entry of ``rows`` ((N, C, H, W) each).

    ``column_labels`` go above the first row, ``column_title`` (what the columns are, e.g.
    "alpha") above them, and ``title`` above everything, without overlapping. ``scale``:
    inches per image, reduced where the figure would be wider than :data:`PAGE_WIDTH` (1.5 in
    of it for the row labels), raised where a row is too low for its label. Every text is
    large enough to read once the report shrinks the figure (:func:`readable_pt`).
    """
    n_rows = len(rows)
    n_cols = max(v.shape[0] for v in rows.values())
    lines = max(label.count("\n") + 1 for label in rows)
    scale = min(scale, (PAGE_WIDTH - 1.5) / n_cols)
    extra = 0.35 * (column_labels is not None) + 0.3 * (column_title is not None)

    def size(scale: float) -> tuple[float, float]:
        width, height = n_cols * scale + 1.5, n_rows * scale * 1.1
        # the title and column headers: their height grows with their font size
        return width, height + (0.4 + extra) * readable_pt(10, width, height + 0.4 + extra) / 10

    for _ in range(3):  # each row as tall as its label (1.3 line heights a line) at its size
        scale = max(scale, lines * readable_pt(10, *size(scale)) * 1.3 / 72 / 1.1)
    width, height = size(scale)

    def pt(base: float) -> float:
        return readable_pt(base, width, height)

    fig, axes = plt.subplots(
        n_rows, 1, figsize=(width, height), squeeze=False, layout="constrained"
    )
    for ax, (label, images) in zip(axes[:, 0], rows.items(), strict=True):
        ax.imshow(make_grid(images, nrow=n_cols, value_range=value_range).numpy())
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=pt(10))
    top = axes[0, 0]
    if column_labels is not None:
        pitch = rows[next(iter(rows))].shape[-1] + 2  # pixels from one image to the next
        top.set_xticks([2 + pitch * (i + 0.5) - 1 for i in range(len(column_labels))])
        top.set_xticklabels(column_labels, fontsize=pt(8))
        top.xaxis.tick_top()
        top.tick_params(axis="x", length=0)
    if column_title is not None:
        top.xaxis.set_label_position("top")
        top.set_xlabel(column_title, fontsize=pt(10))
    if title:
        fig.suptitle(title, fontsize=pt(12))
    return fig


def plot_curves(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str = "step",
    ylabel: str = "",
    title: str | None = None,
    ax: Axes | None = None,
    logy: bool = False,
    legend: str | None = "right",
    integer_x: bool | None = None,
) -> Figure:
    """Line plot of named ``(xs, ys)`` curves on one axis.

    ``logy``: a log y axis, where the axis holds a positive value (else it stays linear).
    ``integer_x``: ticks only at whole numbers on the x axis; by default where ``xlabel`` names
    a count (epochs, iterations, steps), so that no tick reads 2.5 epochs.
    ``legend``: ``"right"`` (outside the axes, never over the data), ``"below"`` (outside,
    under the x label), ``"best"`` (inside, where matplotlib finds room) or ``None``. A single
    curve gets no legend.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
    else:
        fig = ax.figure  # type: ignore[assignment]
    for label, (xs, ys) in curves.items():
        ax.plot(list(xs), list(ys), label=label, marker="o" if len(xs) <= 30 else None, ms=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if integer_x is None:
        integer_x = any(word in xlabel.lower() for word in COUNT_WORDS)
    if integer_x:
        ax.xaxis.set_major_locator(
            MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True)
        )
    if logy:
        # a log axis needs a positive value (matplotlib warns and draws nothing otherwise): a
        # curve that is all zeros (a penalty that never fired) keeps a linear axis
        shown = [y for line in ax.get_lines() for y in line.get_ydata()]
        ax.set_yscale("log" if any(y > 0 for y in shown) else "linear")
    if title:
        ax.set_title(title)
    if len(curves) > 1 and legend is not None:
        place_legend(ax, legend)
    return fig


def epoch_axis(ax: Axes) -> None:
    """Integer ticks on ``ax``'s x axis (epochs), whatever the number of epochs."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def legend_below(fig: Figure, ax: Axes, ncols: int) -> None:
    """One legend under all of ``fig``'s panels, with ``ax``'s entries, in ``ncols`` columns,
    its text readable once the report shrinks the figure (:func:`readable_pt`)."""
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=ncols,
        fontsize=readable_pt(8, *fig.get_size_inches()),
    )


def place_legend(ax: Axes, where: str = "right") -> None:
    """A legend outside the data: ``right`` of the axes, ``below`` them, or ``best`` inside;
    8 pt, or larger where the report shrinks the figure (:func:`readable_pt`)."""
    size = readable_pt(8, *ax.figure.get_size_inches())
    if where == "right":
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=size)
    elif where == "below":
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, fontsize=size)
    elif where == "best":
        ax.legend(fontsize=size)
    else:
        raise ValueError(f"legend must be 'right', 'below', 'best' or None, got {where!r}")


def save_figure(
    fig: Figure, name: str, *, directory: str | os.PathLike[str], dpi: int = 200
) -> list[Path]:
    """Write ``fig`` as ``<directory>/<name>.png`` (``dpi``, at least 200) and ``.pdf``.

    Each file is written atomically, and the same figure gives the same bytes (the PDF's
    creation date is left out). Returns the paths written.
    """
    if not name or any(sep in name for sep in "/\\"):
        raise ValueError(f"figure name must be a plain file stem, got {name!r}")
    paths = []
    for ext, metadata in (("png", None), ("pdf", {"CreationDate": None})):
        path = Path(directory) / f"{name}.{ext}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=max(dpi, 200), metadata=metadata)
        paths.append(path)
    return paths
