"""Helpers for the deep generative models and self-supervised learning workbook.

The notebooks tell the story; the logic lives here, in small modules with one job each:

- :mod:`helpers.profiles`: every budget (smoke, demo, full) in one place.
- :mod:`helpers.workbook`: the notebook context (profile, data source, device, seed, folders).
- :mod:`helpers.data`: ``load(name, split)`` for the real datasets and their stand-ins.
- :mod:`helpers.synthetic`: the offline stand-in datasets.
- :mod:`helpers.batches`: device-resident shuffled batches of a uint8 dataset.
- :mod:`helpers.training`: progress bars, history, atomic checkpoints and resuming.
- :mod:`helpers.plots`: image grids, curves and ``save_figure``.
- :mod:`helpers.runner`: executes notebooks headless (``python -m helpers run``).
"""

__version__ = "0.1.0"
__workbook__ = "dgm-workbook"  # the Colab set-up cell checks it (see helpers.colab)
