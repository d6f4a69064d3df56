"""Helpers for the deep generative models and self-supervised learning workbook.

The notebooks tell the story; the logic lives here, in small modules with one job each:

- :mod:`helpers.profiles`: every budget (smoke, demo, full) and SimSiam recipe in one place.
- :mod:`helpers.workbook`: the notebook context (profile, data source, device, seed, folders).
- :mod:`helpers.data`: ``load(name, split)`` for the real datasets and their stand-ins;
  :mod:`helpers.data_formats`: each dataset's files, download and parser.
- :mod:`helpers.synthetic`: the offline stand-in datasets.
- :mod:`helpers.batches`: device-resident shuffled batches of a uint8 dataset.
- :mod:`helpers.training`: progress, history, atomic checkpoints kept per setting, resuming.
- :mod:`helpers.precision`: bf16, fp16 with a gradient scaler, or fp32, per device.
- :mod:`helpers.graphs`: training steps replayed from a CUDA graph, or eager, per device.
- :mod:`helpers.fileio`: atomic writes.
- :mod:`helpers.plots`: image grids, curves and ``save_figure``.
- Problem 1: :mod:`helpers.vae` re-exports :mod:`helpers.vae_course` (the course's five
  functions), :mod:`helpers.vae_models`, :mod:`helpers.vae_objectives` (ELBO, log p(x)
  estimators) and :mod:`helpers.vae_training`; :mod:`helpers.vae_figures` draws its figures.
- Problem 2: :mod:`helpers.gan` (objectives, models, ``train_gan``), :mod:`helpers.gan_figures`,
  :mod:`helpers.frechet` (the Frechet distance in a small classifier's features).
- Problem 3: :mod:`helpers.simsiam` re-exports :mod:`helpers.simsiam_models` and
  :mod:`helpers.simsiam_training`; :mod:`helpers.augment` (batched two-view augmentation);
  :mod:`helpers.simsiam_figures`.
- Autoencoder vs VAE: :mod:`helpers.ae_figures`; the datasets notebook:
  :mod:`helpers.dataset_figures`; :mod:`helpers.interactive`: the image explorer widget.
- :mod:`helpers.findings`: "what this run shows", in words built from a run's own numbers.
- :mod:`helpers.report`, :mod:`helpers.report_text`: ``python -m helpers report`` (report.md and
  report.tex, per question).
- :mod:`helpers.colab`: each notebook's Colab badge and set-up cell, from pyproject.
- :mod:`helpers.check`: checks of the course's graded functions that name the first mistake.
- :mod:`helpers.exercises`: the exercise edition (``python -m helpers exercises``).
- :mod:`helpers.runner`: the command line (``python -m helpers run|report|exercises|...``).
"""

__version__ = "0.1.0"
__workbook__ = "dgm-workbook"  # the Colab set-up cell checks it (see helpers.colab)
