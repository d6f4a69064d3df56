"""A sample-quality number that needs nothing outside the workbook: the Frechet distance.

The Frechet distance between two sets of images is the distance between Gaussians fitted to
their features,

    FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)),

as in the FID, but in the feature space of a small classifier that the workbook trains on the
labelled training split (Inception weights cannot be downloaded everywhere). Numbers are
comparable within the workbook, not with published FIDs. The distance between two real splits
is the floor: what a perfect generator would get with as many samples.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.batches import DeviceBatches, Scale, to_float
from ..train.loop import train

__all__ = [
    "FeatureClassifier",
    "FrechetScorer",
    "build_scorer",
    "classify",
    "feature_statistics",
    "frechet_distance",
    "train_feature_classifier",
]


def _sqrt_psd(matrix: Tensor) -> Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def frechet_distance(mu1: Tensor, sigma1: Tensor, mu2: Tensor, sigma2: Tensor) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: (D,) means. sigma1, sigma2: (D, D) covariances (symmetric PSD).

    Returns:
        The distance (float, computed in float64). Tr((S1 S2)^(1/2)) is taken as the trace of
        (S1^(1/2) S2 S1^(1/2))^(1/2), a symmetric PSD matrix, so no complex roots appear.
    """
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f"shapes differ: mu {tuple(mu1.shape)} vs {tuple(mu2.shape)}, "
            f"sigma {tuple(sigma1.shape)} vs {tuple(sigma2.shape)}"
        )
    mu1, mu2, sigma1, sigma2 = (t.double().cpu() for t in (mu1, mu2, sigma1, sigma2))
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    middle = (middle + middle.T) / 2
    trace_sqrt = torch.linalg.eigvalsh(middle).clamp_min(0).sqrt().sum()
    diff = mu1 - mu2
    return float(diff @ diff + torch.trace(sigma1) + torch.trace(sigma2) - 2 * trace_sqrt)


class FeatureClassifier(nn.Module):
    """A small CNN classifier; its penultimate layer (``features``, 128-d) is the feature space.

    Works for (C, 28, 28) and (C, 32, 32) inputs in [-1, 1].
    """

    def __init__(self, channels: int = 3, classes: int = 10, width: int = 32, dim: int = 128):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(channels, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(4 * w, dim), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(dim, classes)

    def features(self, x: Tensor) -> Tensor:
        """x (B, C, H, W) in [-1, 1] -> (B, dim)."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


@torch.no_grad()
def feature_statistics(
    model: FeatureClassifier, images: Tensor, batch_size: int = 500
) -> tuple[Tensor, Tensor]:
    """Mean (D,) and covariance (D, D) of the features of float images (N, C, H, W) in [-1, 1]."""
    model.eval()
    device = next(model.parameters()).device
    feats = torch.cat(
        [
            model.features(images[i : i + batch_size].to(device)).double()
            for i in range(0, len(images), batch_size)
        ]
    )
    mu = feats.mean(0)
    centred = feats - mu
    return mu.cpu(), (centred.T @ centred / max(1, len(feats) - 1)).cpu()


def train_feature_classifier(
    images: Tensor,
    labels: Tensor,
    *,
    epochs: int,
    device: torch.device | str = "cpu",
    batch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    width: int = 32,
    name: str = "feature_classifier",
    checkpoint_dir: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> FeatureClassifier:
    """Train a :class:`FeatureClassifier` on uint8 images (N, C, H, W) and labels (N,).

    Adam with a cosine schedule, random translations of up to 2 pixels (on the device).
    Returns the model in eval mode; ``model.train_accuracy`` holds its final batch accuracy.
    """
    device = torch.device(device)
    model = FeatureClassifier(images.shape[1], width=width).to(device)
    batches = DeviceBatches(images, labels, min(batch_size, images.shape[0]), device=device,
                            seed=seed, scale="symmetric")  # fmt: skip
    total = epochs * len(batches)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=total)

    def step(i: int) -> dict[str, Tensor]:
        x, y = batches.batch_at(i)
        shift = torch.randint(-2, 3, (2,)).tolist()
        x = torch.roll(x, shifts=shift, dims=(2, 3))
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return {"loss": loss.detach(), "accuracy": (logits.argmax(1) == y).float().mean()}

    result = train(
        name, step, total, {"model": model, "optimizer": optimizer, "scheduler": scheduler},
        checkpoint_dir=checkpoint_dir, steps_per_epoch=len(batches), force=force,
        config={"n": images.shape[0], "epochs": epochs, "lr": lr, "width": width, "seed": seed},
        progress=progress,
    )  # fmt: skip
    model.eval()
    model.train_accuracy = result.history.last("accuracy")  # type: ignore[attr-defined]
    return model


@torch.no_grad()
def classify(model: FeatureClassifier, images: Tensor) -> tuple[Tensor, Tensor]:
    """Predicted labels and their probabilities for images (B, C, H, W) in [-1, 1].

    Returns:
        (labels (B,), confidence (B,)): the argmax class and its softmax probability.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    probs = torch.softmax(model(images.to(device)).float(), dim=1)
    model.train(was_training)
    confidence, labels = probs.max(1)
    return labels, confidence


class FrechetScorer:
    """Frechet distance of images to a reference set, in a trained classifier's feature space.

    Args:
        model: the trained :class:`FeatureClassifier`.
        reference: (N, C, H, W) uint8 reference images (the test split).
    """

    def __init__(self, model: FeatureClassifier, reference: Tensor, scale: Scale = "symmetric"):
        self.model = model
        self.scale: Scale = scale
        self.mu, self.sigma = feature_statistics(model, to_float(reference, scale))

    def __call__(self, images: Tensor) -> float:
        """FD of ``images`` to the reference: uint8, or float in [-1, 1], (N, C, H, W)."""
        x = to_float(images, self.scale) if images.dtype == torch.uint8 else images
        mu, sigma = feature_statistics(self.model, x)
        return frechet_distance(mu, sigma, self.mu, self.sigma)

    def of_generator(
        self, generate: Callable[[int], Tensor], n: int, batch_size: int = 500
    ) -> float:
        """FD of ``n`` images drawn by ``generate(batch)`` (floats in [-1, 1])."""
        with torch.no_grad():
            images = torch.cat([generate(min(batch_size, n - i)) for i in range(0, n, batch_size)])
        return self(images)


def build_scorer(
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    *,
    epochs: int,
    width: int = 32,
    device: torch.device | str = "cpu",
    seed: int = 0,
    checkpoint_dir: str | None = None,
    name: str = "feature_classifier",
    force: bool = False,
    progress: bool = True,
) -> tuple[FrechetScorer, float]:
    """Train the feature classifier on the training split and return a scorer against the test
    split, with the floor: the distance of as many real training images as test images.

    Args:
        train_images, test_images: (N, C, H, W) uint8; train_labels: (N,) int64.

    Returns:
        ``(scorer, floor)``.
    """
    model = train_feature_classifier(
        train_images, train_labels, epochs=epochs, width=width, device=device, seed=seed,
        checkpoint_dir=checkpoint_dir, name=name, force=force, progress=progress,
    )  # fmt: skip
    scorer = FrechetScorer(model, test_images)
    n = min(len(test_images), len(train_images))
    return scorer, scorer(train_images[:n])
