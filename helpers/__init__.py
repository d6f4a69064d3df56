"""Helpers for the deep generative models and self-supervised learning workbook.

The notebooks tell the story; the logic lives here, one folder per problem over a few layers
that every problem shares. Problems import layers; layers never import problems; the tools on
top read every problem.

- Problems, one folder each: :mod:`helpers.vae` (Problem 1), :mod:`helpers.gan` (Problem 2),
  :mod:`helpers.simsiam` (Problem 3), :mod:`helpers.autoencoders` (autoencoder vs VAE). Each
  holds the course's graded functions in ``course.py``, its models, training, ``figures``,
  ``findings`` (what a run shows, in words) and ``check`` (checks that name the first mistake);
  its ``__init__`` is its public surface: ``from helpers import vae; vae.fit_problem1(...)``.
- :mod:`helpers.common`: what several problems use (the Frechet classifier, the check machinery,
  the findings' shared wording).
- :mod:`helpers.notebook`: the workbook context, plots, widgets, Colab set-up, dataset previews.
- :mod:`helpers.data`: ``load(name, split)``, each dataset's format, the stand-ins,
  augmentation, device batches.
- :mod:`helpers.train`: the training loop and checkpoints, precision, CUDA graphs and their
  contract check, progress, atomic files.
- :mod:`helpers.profiles`: every budget (smoke, demo, full) and SimSiam recipe in one place.
- :mod:`helpers.tools`: the report, the exercise edition and the command line
  (``python -m helpers``).
"""

__version__ = "0.1.0"
__workbook__ = "dgm-workbook"  # the Colab set-up cell checks it (see helpers.notebook.colab)
