"""Problem 2's models: the DCGAN-style critic and generator, and an MLP GAN for MNIST."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = [
    "Critic",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
]


class Critic(nn.Module):
    """The course's DCGAN-style critic for 3x32x32: convolutions 3-64-128-256-1 with 4x4
    kernels and LeakyReLU(0.2), no normalisation (the penalty needs per-example gradients).
    ``width`` scales the channels (64 in the course)."""

    def __init__(self, channels: int = 3, width: int = 64) -> None:
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(channels, w, 4, 2, 1), nn.LeakyReLU(0.2),  # 16x16
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # 8x8
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # 4x4
            nn.Conv2d(4 * w, 1, 4, 1, 0),  # 1x1
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        """x (B, C, 32, 32) in [-1, 1] -> (B,)."""
        return self.net(x).flatten()


class Generator(nn.Module):
    """The course's DCGAN-style generator: z (B, 100) as 100x1x1, transposed convolutions
    256-128-64-3 with BatchNorm and ReLU, tanh output: (B, 3, 32, 32) in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, channels: int = 3, width: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        w = width
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 4 * w, 4, 1, 0), nn.BatchNorm2d(4 * w), nn.ReLU(),  # 4
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),  # 8
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),  # 16
            nn.ConvTranspose2d(w, channels, 4, 2, 1), nn.Tanh(),  # 32
        )  # fmt: skip

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class MLPGenerator(nn.Module):
    """MLP generator for 1x28x28: 100-256-512-1024-784 with BatchNorm and LeakyReLU, tanh."""

    def __init__(self, latent_dim: int = 100, hidden: int = 256) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        h = hidden
        self.net = nn.Sequential(
            nn.Linear(latent_dim, h), nn.LeakyReLU(0.2),
            nn.Linear(h, 2 * h), nn.BatchNorm1d(2 * h), nn.LeakyReLU(0.2),
            nn.Linear(2 * h, 4 * h), nn.BatchNorm1d(4 * h), nn.LeakyReLU(0.2),
            nn.Linear(4 * h, 784), nn.Tanh(),
        )  # fmt: skip

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, 1, 28, 28)


class MLPDiscriminator(nn.Module):
    """MLP discriminator for 1x28x28: 784-512-256-1 with LeakyReLU; returns logits (B,)."""

    def __init__(self, hidden: int = 256) -> None:
        super().__init__()
        h = hidden
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 2 * h), nn.LeakyReLU(0.2),
            nn.Linear(2 * h, h), nn.LeakyReLU(0.2),
            nn.Linear(h, 1),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten()
