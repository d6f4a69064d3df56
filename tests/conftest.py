"""Shared test helpers."""

from __future__ import annotations

import pytest

from helpers import gan
from helpers.data import synthetic


@pytest.fixture
def train_tiny_wgan():
    """Train a width-4 WGAN-LP on 32 house-number stand-ins: ``train_tiny_wgan(iterations,
    checkpoint_dir) -> (TrainResult, Snapshots)``, batch 8, two critic updates per iteration."""

    def train(iterations: int, checkpoint_dir: str | None):
        images, _ = synthetic.house_numbers(32, seed=0)
        return gan.train_gan(
            "w", gan.Generator(8, width=4), gan.Critic(width=4), images,
            iterations=iterations, batch_size=8, n_critic=2, log_every=1,
            checkpoint_dir=checkpoint_dir, progress=False,
        )  # fmt: skip

    return train
