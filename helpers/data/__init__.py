"""The data layer: ``load(name, split)`` for the real datasets and their stand-ins.

- :mod:`~helpers.data.loaders`: :func:`load`, checks and caches;
- :mod:`~helpers.data.formats`: each dataset's files, download and parser;
- :mod:`~helpers.data.synthetic`: the offline stand-in datasets;
- :mod:`~helpers.data.standins`: the CIFAR-10 stand-ins by name, and Problem 3's (tiled shapes);
- :mod:`~helpers.data.augment`: batched two-view augmentation (SimSiam);
- :mod:`~helpers.data.batches`: device-resident shuffled batches of a uint8 dataset.
"""

from __future__ import annotations

from .augment import (
    CIFAR_MEAN,
    CIFAR_STD,
    SimSiamAugment,
    hsv_to_rgb,
    rgb_to_hsv,
)
from .batches import (
    DeviceBatches,
    to_float,
)
from .formats import (
    DATASETS,
    LAYOUTS,
    Array,
    CorruptDatasetError,
    DatasetNotAvailableError,
    DatasetSpec,
    Layout,
    parse_amat,
    parse_idx,
)
from .loaders import (
    data_dir,
    load,
)
from .standins import (
    STANDINS,
    tiled_shapes,
)
from .synthetic import (
    chunked,
    digits,
    glyph_coverage,
    grey_digits,
    house_numbers,
    objects,
    pixel_grid,
    seed_for,
    shape_coverage,
    shape_mask,
    to_uint8,
)

__all__ = [
    "CIFAR_MEAN",
    "CIFAR_STD",
    "DATASETS",
    "LAYOUTS",
    "STANDINS",
    "Array",
    "CorruptDatasetError",
    "DatasetNotAvailableError",
    "DatasetSpec",
    "DeviceBatches",
    "Layout",
    "SimSiamAugment",
    "chunked",
    "data_dir",
    "digits",
    "glyph_coverage",
    "grey_digits",
    "house_numbers",
    "hsv_to_rgb",
    "load",
    "objects",
    "parse_amat",
    "parse_idx",
    "pixel_grid",
    "rgb_to_hsv",
    "seed_for",
    "shape_coverage",
    "shape_mask",
    "tiled_shapes",
    "to_float",
    "to_uint8",
]
