"""The two baselines every run of Problem 3 is compared with: the kNN accuracy of raw pixels
(:func:`pixel_knn_accuracy`) and of the network before any training
(:func:`untrained_knn_accuracy`)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ..data.augment import SimSiamAugment
from ..profiles import SimSiamBudget
from .training import embed, knn_accuracy, make_run

__all__ = ["pixel_knn_accuracy", "untrained_knn_accuracy"]


@torch.no_grad()
def pixel_knn_accuracy(
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    k: int = 200,
    normalize: Callable[[Tensor], Tensor] | None = None,
) -> float:
    """:func:`knn_accuracy` on the normalised pixels of uint8 images (N, C, H, W): the floor
    that any learned representation must beat."""
    normalize = normalize or SimSiamAugment().normalize

    def flat(images: Tensor) -> Tensor:
        return normalize(images.float() / 255).flatten(1)

    return knn_accuracy(flat(train_images), train_labels, flat(test_images), test_labels, k=k)


def untrained_knn_accuracy(
    budget: SimSiamBudget,
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    *,
    seed: int = 0,
    course_backbone: bool = False,
    device: torch.device | str = "cpu",
) -> float:
    """:func:`~helpers.simsiam.training.knn_accuracy` (k = ``budget.knn_k``) of the backbone
    features of run (a)'s network as initialised with ``seed``, before any training: the second
    baseline beside raw pixels (random convolutions already pool local shape and colour, so it
    is well above chance). The global RNG is left as it was.

    Args:
        train_images, test_images: (N, 3, H, W) uint8; train_labels, test_labels: (N,) int64.
    """
    state = torch.random.get_rng_state()
    try:
        model = make_run("stop_gradient", budget, course_backbone, seed=seed).to(device)
    finally:
        torch.random.set_rng_state(state)
    normalize = SimSiamAugment().normalize
    train_h, _ = embed(model, train_images.to(device), normalize=normalize)
    test_h, _ = embed(model, test_images.to(device), normalize=normalize)
    return knn_accuracy(
        train_h, train_labels.to(device), test_h, test_labels.to(device), k=budget.knn_k
    )
