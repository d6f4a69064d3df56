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
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, ResNet

from .augment import SimSiamAugment
from .graphs import GraphMode, StepGraph, choose_graphs
from .precision import Precision, choose_precision, optimizer_options, scaler_state
from .profiles import SimSiamRecipe
from .training import TrainResult

__all__ = [
    "RUNS",
    "CifarResNet",
    "CosineSimilarity",
    "SimSiam",
    "base_encoder",
    "cifar_resnet",
    "embed",
    "knn_accuracy",
    "linear_probe",
    "make_run",
    "output_std",
    "pixel_knn_accuracy",
    "resnet18_cifar",
    "run_summary",
    "train_run",
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
        """x1 . x2 / max(||x1|| ||x2||, eps) along ``self.dim``: (B, dim) tensors give (B,)."""
        dot = (x1 * x2).sum(self.dim)
        norms = x1.norm(dim=self.dim) * x2.norm(dim=self.dim)
        return dot / norms.clamp_min(self.eps)


class CifarResNet(nn.Module):
    """A ResNet of :class:`~torchvision.models.resnet.BasicBlock` s for small images.

    A 3x3 stem (stride ``stem_stride``, no max-pool), four stages of ``layers`` blocks with
    ``width``, 2 ``width``, 4 ``width`` and 8 ``width`` channels (stride 1, 2, 2, 2), global
    average pooling and ``fc`` (8 ``width`` -> ``num_classes``), as in torchvision's ResNet, so
    that :class:`SimSiam` can replace ``fc`` by its projector.
    """

    def __init__(
        self,
        num_classes: int = 10,
        zero_init_residual: bool = False,
        width: int = 64,
        layers: tuple[int, ...] = (2, 2, 2, 2),
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        if width < 1 or len(layers) != 4 or min(layers) < 1:
            raise ValueError(
                f"need width >= 1 and four stages of >= 1 block, got {width}, {layers}"
            )
        self.conv1 = nn.Conv2d(3, width, 3, stride=stem_stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()
        stages, channels = [], width
        for i, blocks in enumerate(layers):
            out, stride = width * 2**i, 1 if i == 0 else 2
            down = None
            if stride != 1 or channels != out:
                down = nn.Sequential(
                    nn.Conv2d(channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out)
                )
            mods = [BasicBlock(channels, out, stride, down)]
            mods += [BasicBlock(out, out) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*mods))
            channels = out
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:  # each residual branch starts as zero: the block is the identity
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) -> (B, num_classes)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18_cifar(num_classes: int = 10, zero_init_residual: bool = False, **kwargs) -> ResNet:
    """ResNet-18 for 32x32 images: a 3x3 stride-1 stem and no max-pool (the CIFAR variant).

    Same keyword arguments as ``torchvision.models.resnet18``; ``fc`` maps 512 to num_classes.
    """
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes,
                   zero_init_residual=zero_init_residual, **kwargs)  # fmt: skip
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def cifar_resnet(
    width: int = 64, layers: tuple[int, ...] = (2, 2, 2, 2), stem_stride: int = 1
) -> Callable[..., nn.Module]:
    """A ``base_encoder`` for :class:`SimSiam`: ``cifar_resnet(16, (1, 1, 1, 1), 2)`` builds a
    narrow ResNet-10 whose stem halves the resolution (the demo's CPU backbone);
    ``cifar_resnet()`` is the CIFAR ResNet-18's architecture."""

    def build(num_classes: int = 10, zero_init_residual: bool = False) -> nn.Module:
        return CifarResNet(num_classes, zero_init_residual, width, tuple(layers), stem_stride)

    build.__name__ = f"cifar_resnet(width={width}, layers={tuple(layers)}, stem={stem_stride})"
    return build


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

    def loss(
        self,
        p1: Tensor,
        p2: Tensor,
        z1: Tensor,
        z2: Tensor,
        similarity_function: str | Callable[[Tensor, Tensor], Tensor] = "CosineSimilarity",
    ) -> Tensor:
        """-1/2 (D(p1, z2).mean() + D(p2, z1).mean()) with D the similarity, in [-1, 1] for
        the cosine.

        Args:
            p1, p2, z1, z2: (B, dim), as :meth:`forward` returns them.
            similarity_function: the course's argument: the name ``'CosineSimilarity'`` (this
                module's :class:`CosineSimilarity` along dim 1), or a callable mapping two
                (B, dim) tensors to (B,) similarities, such as ``nn.CosineSimilarity(dim=1)``.
        """
        similarity = self._similarity(similarity_function)
        return -0.5 * (similarity(p1, z2).mean() + similarity(p2, z1).mean())

    def _similarity(
        self, similarity_function: str | Callable[[Tensor, Tensor], Tensor]
    ) -> Callable[[Tensor, Tensor], Tensor]:
        if isinstance(similarity_function, str):
            if similarity_function != "CosineSimilarity":
                raise ValueError(
                    "similarity_function must be 'CosineSimilarity' or a callable of two "
                    f"(B, dim) tensors, got {similarity_function!r}"
                )
            return self.criterion
        if isinstance(similarity_function, type):  # the class itself, as in nn.CosineSimilarity
            return similarity_function(dim=1)
        if not callable(similarity_function):
            raise TypeError(f"similarity_function is not callable: {similarity_function!r}")
        return similarity_function


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
    warmup_epochs: int = 0,
    device: torch.device | str = "cpu",
    seed: int = 0,
    knn_k: int = 200,
    std_images: int = 1000,
    augment: SimSiamAugment | None = None,
    checkpoint_dir: str | None = None,
    force: bool = False,
    progress: bool = True,
    precision: Precision | None = None,
    graphs: GraphMode | None = None,
) -> TrainResult:
    """Train SimSiam with the course's recipe; monitor it every epoch.

    SGD with momentum, lr = base_lr x batch / 256 with cosine decay over training after a
    linear warm-up of ``warmup_epochs`` (the predictor's lr stays fixed when ``fix_pred_lr``),
    weight decay; two views per image from
    :class:`helpers.augment.SimSiamAugment`, made on the device. ``precision``: default
    :func:`helpers.precision.choose_precision` (bf16 or fp16 with a scaler on CUDA, fp32
    elsewhere); channels_last on CUDA. ``graphs``: default
    :func:`helpers.graphs.choose_graphs` (eager; with ``WORKBOOK_CUDA_GRAPHS=1``, on CUDA in bf16
    or fp32 the forward, backward and SGD step replay a CUDA graph, the augmentation running
    before it, eagerly). Every epoch the
    history gets the mean ``loss``, ``knn_accuracy`` (backbone features, percent),
    ``knn_accuracy_z`` (projector output) and ``output_std`` (of z on ``std_images`` held-out
    test images).

    Args:
        train_images, test_images: (N, 3, H, W) uint8; train_labels, test_labels: (N,) int64
            (labels are used by the kNN monitor only).

    Returns:
        the :class:`~helpers.training.TrainResult`.
    """
    from .batches import DeviceBatches
    from .training import train

    device = torch.device(device)
    cuda = device.type == "cuda"
    model.to(device)
    if cuda:
        model.to(memory_format=torch.channels_last)
    batches = DeviceBatches(train_images, train_labels, batch_size, device=device, seed=seed)
    aug = augment or SimSiamAugment(size=train_images.shape[-1])
    lr = base_lr * batch_size / 256
    predictor = [p for p in model.predictor.parameters() if p.requires_grad]
    others = [
        p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("predictor.")
    ]
    groups = [{"params": others, "fix_lr": False}]
    if predictor:
        groups.append({"params": predictor, "fix_lr": fix_pred_lr})
    optimizer = torch.optim.SGD(
        groups, lr=lr, momentum=momentum, weight_decay=weight_decay,
        **optimizer_options(torch.optim.SGD, device),
    )  # fmt: skip
    total = epochs * len(batches)
    precision = precision or choose_precision(device)
    scaler = precision.scaler(device)
    test_images, test_labels = test_images.to(device), test_labels.to(device)

    warmup = warmup_epochs * len(batches)

    def step(i: int) -> dict[str, Tensor]:
        if i < warmup:
            scale = (i + 1) / warmup
        else:
            scale = 0.5 * (1 + math.cos(math.pi * (i - warmup) / (total - warmup)))
        for group in optimizer.param_groups:
            group["lr"] = lr if group["fix_lr"] else lr * scale
        x, _ = batches.batch_at(i)
        x1, x2 = aug(x)  # the global RNG: saved in checkpoints, so a resumed run is exact
        if cuda:
            x1 = x1.contiguous(memory_format=torch.channels_last)
            x2 = x2.contiguous(memory_format=torch.channels_last)
        return graphed(x1, x2)

    def train_step(x1: Tensor, x2: Tensor) -> dict[str, Tensor]:
        with precision.autocast(device):
            loss = model.loss(*model(x1, x2)).float()
        precision.step(loss, optimizer, scaler)
        return {"loss": loss.detach().float()}

    # The augmentation stays eager (its op order is drawn on the host each batch); under a
    # CUDA graph its launches for the next batch overlap the replay of this one.
    mode = graphs or choose_graphs(device, precision, optimizers=[optimizer], trainer="simsiam")
    graphed = StepGraph(train_step, optimizers=[optimizer], mode=mode)

    def evaluate(i: int) -> dict[str, float]:
        with precision.autocast(device):
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
    if warmup_epochs:
        config["warmup_epochs"] = warmup_epochs
    if type(model) is not SimSiam:  # a student's (helpers.check.use_simsiam): its own checkpoint
        config["model_class"] = f"{type(model).__module__}.{type(model).__qualname__}"
    if (aug.scale, aug.p_gray) != (SimSiamAugment().scale, SimSiamAugment().p_gray):
        config["augment"] = {"scale": list(aug.scale), "p_gray": aug.p_gray}
    try:
        result = train(
            name, step, total,
            {"model": model, "optimizer": optimizer, **scaler_state(scaler=scaler)},
            checkpoint_dir=checkpoint_dir, steps_per_epoch=len(batches), eval_fn=evaluate,
            force=force, config=config, progress=progress,
        )  # fmt: skip
    finally:
        graphed.release()
    result.replays = graphed.replays
    return result


# The four runs of Problem 3: name -> (stop_gradient, MLP_mode, what it tests).
RUNS: dict[str, tuple[bool, str | None, str]] = {
    "stop_gradient": (True, None, "(a) SimSiam: stop-gradient and a trained predictor"),
    "no_stop_gradient": (False, None, "(b) without stop-gradient"),
    "no_pred_mlp": (True, "no_pred_mlp", "(c) the predictor replaced by the identity"),
    "fixed_random_init": (True, "fixed_random_init", "(d) a random predictor, frozen"),
}


def base_encoder(budget, course_backbone: bool = False) -> Callable[..., nn.Module]:
    """The ``base_encoder`` of a :class:`~helpers.profiles.SimSiamBudget`: the workbook's CIFAR
    ResNet of the budget's width and depth, or (``course_backbone``) the course's
    ``torchvision.models.resnet18`` (ImageNet stem: a 7x7 stride-2 conv and a max-pool)."""
    if course_backbone:
        import torchvision

        return torchvision.models.resnet18
    return cifar_resnet(budget.width, tuple(budget.blocks), budget.stem_stride)


def make_run(
    name: str,
    budget,
    course_backbone: bool = False,
    seed: int = 0,
    model_class: type[SimSiam] | None = None,
) -> SimSiam:
    """The :class:`SimSiam` model of run ``name`` (a key of :data:`RUNS`), seeded;
    ``model_class``: a subclass to build instead (:func:`helpers.check.use_simsiam`)."""
    if name not in RUNS:
        raise ValueError(f"unknown run {name!r}; the runs are {', '.join(RUNS)}")
    stop_gradient, mode, _ = RUNS[name]
    torch.manual_seed(seed)
    return (model_class or SimSiam)(
        base_encoder(budget, course_backbone), dim=budget.dim, pred_dim=budget.pred_dim,
        stop_gradient=stop_gradient, MLP_mode=mode,
    )  # fmt: skip


def train_run(
    name: str,
    model: SimSiam,
    recipe: SimSiamRecipe,
    train_images: Tensor,
    train_labels: Tensor,
    test_images: Tensor,
    test_labels: Tensor,
    **kwargs: Any,
) -> TrainResult:
    """:func:`train_simsiam` with a :class:`~helpers.profiles.SimSiamRecipe`'s batch size,
    learning rate, warm-up, weight decay and augmentations; ``kwargs`` go to it as they are
    (epochs, device, checkpoint_dir, ...)."""
    augment = SimSiamAugment(
        size=train_images.shape[-1], scale=recipe.crop_scale, p_gray=recipe.p_gray
    )
    return train_simsiam(
        name, model, train_images, train_labels, test_images, test_labels,
        batch_size=recipe.batch_size, base_lr=recipe.base_lr, weight_decay=recipe.weight_decay,
        warmup_epochs=recipe.warmup_epochs, augment=augment, **kwargs,
    )  # fmt: skip


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
    from .augment import SimSiamAugment

    normalize = normalize or SimSiamAugment().normalize

    def flat(images: Tensor) -> Tensor:
        return normalize(images.float() / 255).flatten(1)

    return knn_accuracy(flat(train_images), train_labels, flat(test_images), test_labels, k=k)


def linear_probe(
    train_features: Tensor,
    train_labels: Tensor,
    test_features: Tensor,
    test_labels: Tensor,
    *,
    epochs: int = 100,
    lr: float = 0.1,
    batch_size: int = 256,
    weight_decay: float = 0.0,
    seed: int = 0,
) -> tuple[float, float]:
    """Linear evaluation on frozen features: a softmax classifier trained on standardised
    features (N, D) with SGD (momentum 0.9, cosine decay).

    Returns:
        (train accuracy, test accuracy), percent.
    """
    g = torch.Generator().manual_seed(seed)
    device = train_features.device
    mean, std = train_features.mean(0), train_features.std(0).clamp_min(1e-6)
    xs, xt = (train_features - mean) / std, (test_features - mean) / std
    classes = int(train_labels.max().item()) + 1
    head = nn.Linear(xs.shape[1], classes).to(device)
    with torch.no_grad():
        head.weight.normal_(0, 0.01, generator=None)
        head.bias.zero_()
    opt = torch.optim.SGD(head.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    n = xs.shape[0]
    steps = epochs * max(1, math.ceil(n / batch_size))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(epochs):
        order = torch.randperm(n, generator=g).to(device)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(head(xs[idx]), train_labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    with torch.no_grad():
        train_acc = (head(xs).argmax(1) == train_labels).float().mean().item()
        test_acc = (head(xt).argmax(1) == test_labels).float().mean().item()
    return 100 * train_acc, 100 * test_acc


def run_summary(result: TrainResult, dim: int) -> dict[str, float | int]:
    """The metrics.json entry of one run: final kNN accuracies, loss, output std and time."""
    h = result.history
    epochs, _ = h.series("loss", x="epoch")
    return {
        "final_knn_accuracy": round(float(h.last("knn_accuracy")), 2),
        "final_knn_accuracy_z": round(float(h.last("knn_accuracy_z")), 2),
        "final_loss": round(float(h.last("loss")), 4),
        "output_std": round(float(h.last("output_std")), 5),
        "output_std_x_sqrt_dim": round(float(h.last("output_std")) * math.sqrt(dim), 3),
        "dim": dim,
        "epochs": int(max(epochs)) if epochs else 0,
        "train_seconds": round(result.seconds, 1),
    }
