"""Problem 2: GANs.

``from helpers import gan`` gives the course's functions and the models and trainer:

- :mod:`~helpers.gan.course`: the course's WGAN-LP functions (:func:`vf_wasserstein_distance`,
  :func:`lp_reg`);
- :mod:`~helpers.gan.models`: the DCGAN-style critic and generator, an MLP GAN;
- :mod:`~helpers.gan.training`: :func:`train_gan`.

Per-problem modules: ``from helpers.gan import check, figures, findings``.
"""

from __future__ import annotations

from .course import (
    lp_reg,
    vf_wasserstein_distance,
)
from .models import (
    Critic,
    Generator,
    MLPDiscriminator,
    MLPGenerator,
)
from .training import (
    train_gan,
)

__all__ = [
    "Critic",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
    "lp_reg",
    "train_gan",
    "vf_wasserstein_distance",
]
