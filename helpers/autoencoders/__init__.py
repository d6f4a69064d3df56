"""Autoencoder vs VAE (notebook 04).

- :mod:`~helpers.autoencoders.runs`: :class:`AERuns` (the AE and the VAEs of one split) and
  :func:`mnist_scorer`;
- :mod:`~helpers.autoencoders.figures`: the notebook's figures and table;
- :mod:`~helpers.autoencoders.findings`: what a run shows, in words.
"""

from __future__ import annotations

from .runs import (
    AERuns,
    mnist_scorer,
)

__all__ = [
    "AERuns",
    "mnist_scorer",
]
