"""The notebook interface.

- :mod:`~helpers.notebook.workbook`: the notebook context (profile, data source, device, seed,
  folders);
- :mod:`~helpers.notebook.plots`: image grids, curves and ``save_figure``;
- :mod:`~helpers.notebook.interactive`: the image explorer widget;
- :mod:`~helpers.notebook.colab`: each notebook's Colab badge and set-up cell, from pyproject;
- :mod:`~helpers.notebook.previews`: the dataset previews of ``00_datasets``.
"""

from __future__ import annotations

from .colab import (
    MARK,
    badge_url,
    repository,
    setup_cell,
    sync_notebooks,
)
from .interactive import (
    ImageExplorer,
    interpolate_data,
    interpolate_latent,
    interpolate_spherical,
    latent_perturbations,
    most_visible_dims,
    perturbation_effects,
)
from .plots import (
    PAGE_WIDTH,
    READABLE_PT,
    REPORT_HEIGHT,
    REPORT_WIDTH,
    STYLE,
    epoch_axis,
    image_grid,
    legend_below,
    make_grid,
    place_legend,
    plot_curves,
    readable_pt,
    report_scale,
    save_figure,
    show_images,
    use_style,
)
from .previews import (
    CIFAR10_CLASSES,
    STANDIN_KINDS,
    class_names,
    class_rows,
    dataset_title,
    plot_classes,
)
from .workbook import (
    Workbook,
    current,
    drive_checkpoint_dir,
    pick_device,
    recorded_metrics,
    seed_everything,
    start,
)

__all__ = [
    "CIFAR10_CLASSES",
    "MARK",
    "PAGE_WIDTH",
    "READABLE_PT",
    "REPORT_HEIGHT",
    "REPORT_WIDTH",
    "STANDIN_KINDS",
    "STYLE",
    "ImageExplorer",
    "Workbook",
    "badge_url",
    "class_names",
    "class_rows",
    "current",
    "dataset_title",
    "drive_checkpoint_dir",
    "epoch_axis",
    "image_grid",
    "interpolate_data",
    "interpolate_latent",
    "interpolate_spherical",
    "latent_perturbations",
    "legend_below",
    "make_grid",
    "most_visible_dims",
    "perturbation_effects",
    "pick_device",
    "place_legend",
    "plot_classes",
    "plot_curves",
    "readable_pt",
    "recorded_metrics",
    "report_scale",
    "repository",
    "save_figure",
    "seed_everything",
    "setup_cell",
    "show_images",
    "start",
    "sync_notebooks",
    "use_style",
]
