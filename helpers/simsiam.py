"""SimSiam (Chen & He, 2021) with the course's API, a CIFAR ResNet-18, and the monitors.

- :class:`SimSiam`: ``SimSiam(base_encoder, dim=2048, pred_dim=512, stop_gradient=True,
  MLP_mode=None)``; ``forward(x1, x2) -> (p1, p2, z1, z2)``; ``loss(p1, p2, z1, z2)``.
- :class:`CosineSimilarity`: x1 . x2 / max(||x1|| ||x2||, eps), an ``nn.Module``.
- :func:`resnet18_cifar`: ResNet-18 with a 3x3 stem and no max-pool, for 32x32 images; it takes
  the same keyword arguments as ``torchvision.models.resnet18``.
- :func:`knn_accuracy`: the course's weighted kNN monitor, batched on the device.
- :func:`output_std`: the collapse diagnostic, the per-channel std of l2-normalised outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, ResNet

__all__ = [
    "CosineSimilarity",
    "SimSiam",
    "knn_accuracy",
    "output_std",
    "resnet18_cifar",
]


class CosineSimilarity(nn.Module):
    """Cosine similarity along ``dim``: x1 . x2 / max(||x1|| ||x2||, eps).

    Unlike dividing by each norm separately, a zero vector gives 0, not NaN.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        dot = (x1 * x2).sum(self.dim)
        norms = x1.norm(dim=self.dim) * x2.norm(dim=self.dim)
        return dot / norms.clamp_min(self.eps)


def resnet18_cifar(num_classes: int = 10, zero_init_residual: bool = False, **kwargs) -> ResNet:
    """ResNet-18 for 32x32 images: a 3x3 stride-1 stem and no max-pool (the CIFAR variant).

    Same keyword arguments as ``torchvision.models.resnet18``; ``fc`` maps 512 to num_classes.
    """
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes,
                   zero_init_residual=zero_init_residual, **kwargs)  # fmt: skip
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


class SimSiam(nn.Module):
    """SimSiam: an encoder (backbone + 3-layer projector) and a 2-layer predictor.

    Args:
        base_encoder: builds the backbone as ``base_encoder(num_classes=dim,
            zero_init_residual=True)``; its ``fc`` becomes the projector's last layer.
        dim: projector output size. pred_dim: the predictor's hidden size.
        stop_gradient: detach z1 and z2 in ``forward`` (the ingredient that prevents collapse).
        MLP_mode: None; ``'no_pred_mlp'`` (the predictor is the identity); or
            ``'fixed_random_init'`` (the predictor drawn from N(0, 0.01) and frozen).
    """

    def __init__(
        self,
        base_encoder: Callable[..., nn.Module],
        dim: int = 2048,
        pred_dim: int = 512,
        stop_gradient: bool = True,
        MLP_mode: str | None = None,  # the course's name
    ) -> None:
        super().__init__()
        if MLP_mode not in (None, "no_pred_mlp", "fixed_random_init"):
            raise ValueError(
                f"MLP_mode must be None, 'no_pred_mlp' or 'fixed_random_init', got {MLP_mode!r}"
            )
        self.stop_gradient = stop_gradient
        self.MLP_mode = MLP_mode
        self.encoder = base_encoder(num_classes=dim, zero_init_residual=True)
        prev_dim = self.encoder.fc.weight.shape[1]
        self.encoder.fc = nn.Sequential(
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            nn.Linear(prev_dim, prev_dim, bias=False),
            nn.BatchNorm1d(prev_dim),
            nn.ReLU(inplace=True),
            self.encoder.fc,
            nn.BatchNorm1d(dim, affine=False),
        )
        self.encoder.fc[6].bias.requires_grad = False  # followed by BN: the bias is redundant
        if MLP_mode == "no_pred_mlp":
            self.predictor: nn.Module = nn.Identity()
        else:
            self.predictor = nn.Sequential(
                nn.Linear(dim, pred_dim, bias=False),
                nn.BatchNorm1d(pred_dim),
                nn.ReLU(inplace=True),
                nn.Linear(pred_dim, dim),
            )
            if MLP_mode == "fixed_random_init":
                for module in self.predictor.modules():
                    if isinstance(module, nn.Linear):
                        nn.init.normal_(module.weight, 0.0, 0.01)
                        if module.bias is not None:
                            nn.init.zeros_(module.bias)
                for p in self.predictor.parameters():
                    p.requires_grad = False
        self.criterion = CosineSimilarity(dim=1)

    def backbone(self, x: Tensor) -> Tensor:
        """The representation before the projector, (B, prev_dim): what kNN and linear probes
        usually evaluate."""
        projector = self.encoder.fc
        self.encoder.fc = nn.Identity()
        try:
            return self.encoder(x)
        finally:
            self.encoder.fc = projector

    def forward(self, x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Two views (B, 3, H, W) -> p1, p2 (predictions) and z1, z2 (projections), (B, dim)."""
        z1, z2 = self.encoder(x1), self.encoder(x2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return p1, p2, z1, z2

    def loss(self, p1: Tensor, p2: Tensor, z1: Tensor, z2: Tensor) -> Tensor:
        """-1/2 (cos(p1, z2).mean() + cos(p2, z1).mean()), in [-1, 1]."""
        return -0.5 * (self.criterion(p1, z2).mean() + self.criterion(p2, z1).mean())


@torch.no_grad()
def knn_accuracy(
    train_features: Tensor,
    train_labels: Tensor,
    test_features: Tensor,
    test_labels: Tensor,
    k: int = 200,
    temperature: float = 0.1,
    classes: int | None = None,
    chunk: int = 1024,
) -> float:
    """Top-1 accuracy (percent) of the weighted kNN classifier of the course's monitor.

    Cosine similarity of each test feature to the memory bank of training features; the k
    nearest vote for their labels with weights exp(similarity / temperature).

    Args:
        train_features: (N, D); train_labels: (N,) int64; test_features: (M, D);
        test_labels: (M,). Batched matrix products and top-k, on the features' device.
    """
    classes = classes or int(train_labels.max().item()) + 1
    bank = F.normalize(train_features.float(), dim=1)
    k = min(k, bank.shape[0])
    correct = 0
    for start in range(0, test_features.shape[0], chunk):
        query = F.normalize(test_features[start : start + chunk].float(), dim=1)
        sim, idx = (query @ bank.T).topk(k, dim=1)
        votes = torch.zeros(query.shape[0], classes, device=query.device)
        votes.scatter_add_(1, train_labels[idx], torch.exp(sim / temperature))
        correct += (votes.argmax(1) == test_labels[start : start + chunk]).sum().item()
    return 100.0 * correct / test_features.shape[0]


@torch.no_grad()
def output_std(z: Tensor) -> float:
    """Mean over channels of the std over examples of l2-normalised outputs z (B, d).

    About 1/sqrt(d) for a healthy representation spread over the sphere; towards 0 as it
    collapses to one point (Chen & He, 2021, figure 2). Multiply by sqrt(d) to compare sizes.
    """
    return F.normalize(z.float(), dim=1).std(0).mean().item()
