"""The VAE models and what a trained one shows.

Models share one interface, which the objectives, the log-likelihood estimators
(:mod:`helpers.vae.objectives`), the trainer and the notebooks rely on:

- ``encode(x) -> (mu, logvar)``: x is (B, 1, 28, 28) in [0, 1]; mu, logvar are (B, L);
- ``decode(z) -> logits``: z is (B, L); logits of Bernoulli means, (B, 1, 28, 28).

What a trained VAE shows: decoder means, prior samples, reconstructions and the 2-d latent
manifold.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "ConvVAE",
    "CourseVAE",
    "MLPAutoencoder",
    "decoder_means",
    "latent_manifold",
    "prior_samples",
    "reconstruct",
    "reconstruction_error",
    "soft_clamp",
]


class CourseVAE(nn.Module):
    """The course's MLP VAE: encoder 784-300-300-2L and decoder L-300-300-784 with ELU.

    The decoder's logits are offset by -5 (sigmoid(-5) = 0.007), so that training starts from
    nearly empty images, as MNIST mostly is.
    """

    def __init__(self, latent_dim: int = 100, hidden: int = 300) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, 784),
        )

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (B, 1, 28, 28) -> mu, logvar (B, L)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: Tensor) -> Tensor:
        """z (B, L) -> Bernoulli logits (B, 1, 28, 28)."""
        return (self.decoder(z) - 5.0).view(-1, 1, 28, 28)


class MLPAutoencoder(CourseVAE):
    """A deterministic autoencoder with the course MLP's layers (encoder 784-h-h-L).

    It shares the VAEs' interface: ``encode(x)`` returns ``(z, None)`` (no variance: the code
    is a point, not a distribution), ``decode(z)`` returns logits. :func:`elbo_terms` then uses
    z itself and a KL of 0, so the same training loop trains it on reconstruction alone.
    """

    def __init__(self, latent_dim: int = 100, hidden: int = 300) -> None:
        super().__init__(latent_dim, hidden)
        self.encoder[-1] = nn.Linear(hidden, latent_dim)

    def encode(self, x: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        """x (B, 1, 28, 28) -> (z (B, L), None)."""
        return self.encoder(x), None


def _groups(channels: int) -> int:
    """GroupNorm groups: 32 where the channels allow it, else channels / 4 (at least 1)."""
    return min(32, max(1, channels // 4))


class _ResBlock(nn.Module):
    """Pre-activation residual block: x + conv(act(norm(conv(act(norm(x)))))), (B, C, H, W).

    The GroupNorms keep each branch's input at unit scale however the weights grow. Without
    them the workbook's ConvVAE diverged at Adam 1e-3: Adam moves every weight by about the
    learning rate per step whatever its gradient, so after a few steps the zero-initialised
    branches add up over the six blocks of each path, the activations and the gradient norm
    grow by orders of magnitude (from 7 to 37000 in 7 steps) and the loss ends in inf or NaN.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(_groups(channels), channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(_groups(channels), channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        nn.init.zeros_(self.body[-1].weight)  # each block starts as the identity
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def soft_clamp(x: Tensor, low: float, high: float) -> Tensor:
    """``x`` inside (low, high): the identity well inside, smooth (softplus) at both ends.

    Unlike ``clamp`` it keeps a gradient everywhere, so a unit pushed past a bound can come back.
    """
    x = low + F.softplus(x - low)
    return high - F.softplus(high - x)


class ConvVAE(nn.Module):
    """The workbook's convolutional VAE for 1x28x28 binary images.

    Encoder: a 3x3 stem, then residual stages at 28, 14 and 7 pixels (``width``, ``2 width``,
    ``4 width`` channels, strided 4x4 convolutions between them) and a linear map to
    (mu, logvar). The decoder mirrors it with transposed convolutions. Residual blocks start as
    the identity and the output bias starts at ``logit(pixel mean)``, which make the first
    epochs fast. p(x|z) stays a product of independent Bernoullis.

    Stability (it trains at Adam 1e-3, tested for several seeds): GroupNorm before every
    activation (pre-activation residual blocks, and before each strided convolution, the
    encoder's linear head and the decoder's output convolution), a log-variance kept softly
    inside (``LOGVAR_MIN``, ``LOGVAR_MAX``), so that ``exp(logvar)`` in the KL and the
    reparameterisation cannot overflow, and a learning-rate warm-up (:func:`warmup_cosine`).
    """

    LOGVAR_MIN = -12.0  # posterior std >= 0.0025
    LOGVAR_MAX = 4.0  # posterior std <= 7.4 (the prior's is 1)

    def __init__(self, latent_dim: int = 100, width: int = 32, blocks: int = 1) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        w1, w2, w3 = width, 2 * width, 4 * width

        def stage(channels: int) -> list[nn.Module]:
            return [_ResBlock(channels) for _ in range(blocks)]

        def norm_act(channels: int) -> list[nn.Module]:
            return [nn.GroupNorm(_groups(channels), channels), nn.SiLU()]

        self.encoder = nn.Sequential(
            nn.Conv2d(1, w1, 3, padding=1),  # (B, 1, 28, 28) -> (B, w, 28, 28)
            *stage(w1),
            *norm_act(w1),
            nn.Conv2d(w1, w2, 4, stride=2, padding=1),  # -> (B, 2w, 14, 14)
            *stage(w2),
            *norm_act(w2),
            nn.Conv2d(w2, w3, 4, stride=2, padding=1),  # -> (B, 4w, 7, 7)
            *stage(w3),
            *norm_act(w3),  # unit-scale features for the head, whose fan-in is 4w * 49
            nn.Flatten(),
            nn.Linear(w3 * 49, 2 * latent_dim),  # (B, 4w * 49) -> (B, 2L): mu, logvar
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, w3 * 49),  # (B, L) -> (B, 4w * 49)
            nn.Unflatten(1, (w3, 7, 7)),
            *stage(w3),
            *norm_act(w3),
            nn.ConvTranspose2d(w3, w2, 4, stride=2, padding=1),  # -> (B, 2w, 14, 14)
            *stage(w2),
            *norm_act(w2),
            nn.ConvTranspose2d(w2, w1, 4, stride=2, padding=1),  # -> (B, w, 28, 28)
            *stage(w1),
            *norm_act(w1),
            nn.Conv2d(w1, 1, 3, padding=1),  # -> (B, 1, 28, 28) logits
        )
        nn.init.constant_(self.decoder[-1].bias, math.log(0.13 / 0.87))  # MNIST's ink

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (B, 1, 28, 28) -> mu, logvar (B, L); logvar softly bounded (see the class)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, soft_clamp(logvar, self.LOGVAR_MIN, self.LOGVAR_MAX)

    def decode(self, z: Tensor) -> Tensor:
        """z (B, L) -> Bernoulli logits (B, 1, 28, 28)."""
        return self.decoder(z)


# --------------------------------------------------------------------------------------------
# What a trained VAE shows


@torch.no_grad()
def decoder_means(model: nn.Module, z: Tensor) -> Tensor:
    """p(x = 1 | z) for codes z (B, L): the decoder's Bernoulli means, (B, 1, 28, 28)."""
    return torch.sigmoid(model.decode(z))


@torch.no_grad()
def prior_samples(model: nn.Module, n: int, *, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:  # fmt: skip
    """Draw z ~ N(0, I), then x ~ p(x|z).

    Returns:
        (means, samples): the Bernoulli means (n, 1, 28, 28) and binary samples from them.
    """
    z = torch.randn(n, model.latent_dim, generator=generator).to(device)
    means = decoder_means(model, z)
    return means, torch.bernoulli(means)


@torch.no_grad()
def reconstruct(model: nn.Module, x: Tensor) -> Tensor:
    """Decoder means at the posterior mean of each image: x (B, 1, 28, 28) -> (B, 1, 28, 28)."""
    mu, _ = model.encode(x)
    return decoder_means(model, mu)


@torch.no_grad()
def reconstruction_error(model: nn.Module, x: Tensor, batch_size: int = 1000) -> float:
    """Mean over images of the summed squared error between x and its reconstruction
    (:func:`reconstruct`); x (N, 1, 28, 28) in [0, 1]."""
    model.eval()
    total = 0.0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        total += (reconstruct(model, xb) - xb).pow(2).flatten(1).sum(1).sum().item()
    return total / x.shape[0]


@torch.no_grad()
def latent_manifold(model: nn.Module, n: int = 20, *, device: torch.device | str = "cpu") -> Tensor:
    """Decoder means over an n x n grid of the prior's quantiles (2-d latent models only).

    The grid's coordinates are Phi^-1(q) for q evenly spaced in (0, 1), so that each cell holds
    the same prior mass (Kingma & Welling 2014, figure 4).

    Returns:
        (n * n, 1, 28, 28), row-major: rows go down the second coordinate.
    """
    if model.latent_dim != 2:
        raise ValueError(
            f"the manifold needs a 2-d latent space, this model's is {model.latent_dim}-d"
        )
    q = torch.linspace(0.5 / n, 1 - 0.5 / n, n)
    values = torch.distributions.Normal(0.0, 1.0).icdf(q)
    zy, zx = torch.meshgrid(values.flip(0), values, indexing="ij")
    z = torch.stack([zx.flatten(), zy.flatten()], 1).to(device)
    return decoder_means(model, z)
