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

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, ResNet

from .training import TrainResult

__all__ = [
    "CosineSimilarity",
    "SimSiam",
    "embed",
    "knn_accuracy",
    "output_std",
    "resnet18_cifar",
    "train_simsiam",
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


@torch.no_grad()
def embed(
    model: SimSiam, images: Tensor, *, batch_size: int = 512, normalize: Callable[[Tensor], Tensor]
) -> tuple[Tensor, Tensor]:
    """Backbone features and projector outputs z of uint8 images (N, 3, H, W), in eval mode.

    Returns:
        (features (N, prev_dim), z (N, dim)), float32, on the model's device.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    feats, zs = [], []
    for start in range(0, images.shape[0], batch_size):
        x = normalize(images[start : start + batch_size].to(device).float() / 255)
        h = model.backbone(x)
        feats.append(h.float())
        zs.append(model.encoder.fc(h).float())
    model.train(was_training)
    return torch.cat(feats), torch.cat(zs)


def train_simsiam(
    name: str,
    model: SimSiam,
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    *,
    epochs: int,
    batch_size: int = 512,
    base_lr: float = 0.03,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    fix_pred_lr: bool = True,
    device: torch.device | str = "cpu",
    seed: int = 0,
    knn_k: int = 200,
    std_images: int = 1000,
    checkpoint_dir: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> TrainResult:
    """Train SimSiam with the course's recipe; monitor it every epoch.

    SGD with momentum, lr = base_lr x batch / 256 with cosine decay over training (the
    predictor's lr stays fixed when ``fix_pred_lr``), weight decay; two views per image from
    :class:`helpers.augment.SimSiamAugment`, made on the device. On CUDA: bf16 autocast and
    channels_last. Every epoch the history gets the mean ``loss``, ``knn_accuracy`` (backbone
    features, percent), ``knn_accuracy_z`` (projector output) and ``output_std`` (of z on
    ``std_images`` held-out test images).

    Args:
        train_images, test_images: (N, 3, H, W) uint8; train_labels, test_labels: (N,) int64
            (labels are used by the kNN monitor only).

    Returns:
        the :class:`~helpers.training.TrainResult`.
    """
    from .augment import SimSiamAugment
    from .batches import DeviceBatches
    from .training import train

    device = torch.device(device)
    cuda = device.type == "cuda"
    model.to(device)
    if cuda:
        model.to(memory_format=torch.channels_last)
    batches = DeviceBatches(train_images, train_labels, batch_size, device=device, seed=seed)
    aug = SimSiamAugment(size=train_images.shape[-1])
    lr = base_lr * batch_size / 256
    predictor = [p for p in model.predictor.parameters() if p.requires_grad]
    others = [
        p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("predictor.")
    ]
    groups = [{"params": others, "fix_lr": False}]
    if predictor:
        groups.append({"params": predictor, "fix_lr": fix_pred_lr})
    optimizer = torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)
    total = epochs * len(batches)
    test_images, test_labels = test_images.to(device), test_labels.to(device)

    def step(i: int) -> dict[str, Tensor]:
        scale = 0.5 * (1 + math.cos(math.pi * i / total))
        for group in optimizer.param_groups:
            group["lr"] = lr if group["fix_lr"] else lr * scale
        x, _ = batches.batch_at(i)
        x1, x2 = aug(x)  # the global RNG: saved in checkpoints, so a resumed run is exact
        if cuda:
            x1 = x1.contiguous(memory_format=torch.channels_last)
            x2 = x2.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            loss = model.loss(*model(x1, x2))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach().float()}

    def evaluate(i: int) -> dict[str, float]:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            train_h, train_z = embed(model, batches.images, normalize=aug.normalize)
            test_h, test_z = embed(model, test_images, normalize=aug.normalize)
        labels = batches.labels
        return {
            "knn_accuracy": knn_accuracy(train_h, labels, test_h, test_labels, k=knn_k),
            "knn_accuracy_z": knn_accuracy(train_z, labels, test_z, test_labels, k=knn_k),
            "output_std": output_std(test_z[:std_images]),
        }

    config = {
        "epochs": epochs, "batch_size": batch_size, "base_lr": base_lr, "momentum": momentum,
        "weight_decay": weight_decay, "fix_pred_lr": fix_pred_lr, "seed": seed,
        "stop_gradient": model.stop_gradient, "MLP_mode": model.MLP_mode,
        "parameters": sum(p.numel() for p in model.parameters()), "images": train_images.shape[0],
    }  # fmt: skip
    return train(
        name, step, total, {"model": model, "optimizer": optimizer},
        checkpoint_dir=checkpoint_dir, steps_per_epoch=len(batches), eval_fn=evaluate,
        force=force, config=config, progress=progress,
    )  # fmt: skip
