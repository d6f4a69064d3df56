"""Training and evaluating SimSiam: :func:`train_simsiam` with the monitors it records every
epoch (:func:`knn_accuracy`, :func:`output_std`), Problem 3's runs (:data:`RUNS`,
:func:`make_run`, :func:`train_run`), and the evaluations after training (:func:`embed`,
:func:`linear_probe`, :func:`run_summary`); the baselines are in :mod:`helpers.simsiam.baselines`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.augment import SimSiamAugment
from ..profiles import SimSiamRecipe
from ..train.graph_mode import GraphMode, choose_graphs
from ..train.graphs import StepGraph
from ..train.loop import TrainResult
from ..train.precision import Precision, choose_precision, optimizer_options, scaler_state
from .course import SimSiam
from .models import cifar_resnet

__all__ = [
    "RUNS",
    "base_encoder",
    "embed",
    "knn_accuracy",
    "linear_probe",
    "make_run",
    "output_std",
    "run_summary",
    "train_run",
    "train_simsiam",
]


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
    :class:`helpers.data.SimSiamAugment`, made on the device. ``precision``: default
    :func:`helpers.train.choose_precision` (bf16 or fp16 with a scaler on CUDA, fp32
    elsewhere); channels_last on CUDA. ``graphs``: default
    :func:`helpers.train.choose_graphs` (eager; with ``WORKBOOK_CUDA_GRAPHS=1``, on CUDA in bf16
    or fp32 the forward, backward and SGD step replay a CUDA graph, the augmentation running
    before it, eagerly). Every epoch the
    history gets the mean ``loss``, ``knn_accuracy`` (backbone features, percent),
    ``knn_accuracy_z`` (projector output) and ``output_std`` (of z on ``std_images`` held-out
    test images).

    Args:
        train_images, test_images: (N, 3, H, W) uint8; train_labels, test_labels: (N,) int64
            (labels are used by the kNN monitor only).

    Returns:
        the :class:`~helpers.train.TrainResult`.
    """
    from ..data.batches import DeviceBatches
    from ..train.loop import train

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
    if type(model) is not SimSiam:  # a student's parts (check.use_simsiam): its own checkpoint
        config["course_functions"] = course_functions(type(model))
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


def course_functions(cls: type) -> list[str]:
    """What a subclass of :class:`SimSiam` records in its checkpoint config: the student's parts
    it uses (``course_functions``, set by :func:`helpers.simsiam.check.use_simsiam`), else its
    class name; never a module path, so that moving a module keeps its checkpoints."""
    return list(getattr(cls, "course_functions", None) or [cls.__qualname__])


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
    ``model_class``: a subclass to build instead (:func:`helpers.simsiam.check.use_simsiam`)."""
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
    """The metrics.json entry of one run: final kNN accuracies (and the backbone's after the
    first epoch, the reference for what training added), loss, output std and time."""
    h = result.history
    epochs, _ = h.series("loss", x="epoch")
    _, knn = h.series("knn_accuracy", x="epoch")
    return {
        "first_epoch_knn_accuracy": round(float(knn[0]), 2) if knn else float("nan"),
        "final_knn_accuracy": round(float(h.last("knn_accuracy")), 2),
        "final_knn_accuracy_z": round(float(h.last("knn_accuracy_z")), 2),
        "final_loss": round(float(h.last("loss")), 4),
        "output_std": round(float(h.last("output_std")), 5),
        "output_std_x_sqrt_dim": round(float(h.last("output_std")) * math.sqrt(dim), 3),
        "dim": dim,
        "epochs": int(max(epochs)) if epochs else 0,
        "train_seconds": round(result.seconds, 1),
    }
