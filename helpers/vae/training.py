"""Training VAEs: :func:`train_vae` (Adam on the beta-weighted ELBO, validated every epoch,
checkpointed and resumable) and Problem 1's table of runs (:func:`problem1_runs`), which
``notebooks/01_vae.ipynb`` and ``benchmarks/quality_vae.py`` both train from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import Tensor, nn

from ..data.batches import DeviceBatches
from ..profiles import VAEBudget
from ..train.graph_mode import GraphMode, choose_graphs
from ..train.graphs import StepGraph
from ..train.loop import Snapshots, TrainResult, train
from ..train.precision import Precision, choose_precision, optimizer_options, scaler_state
from .course import Functions, not_the_reference
from .models import ConvVAE, CourseVAE
from .objectives import KL, elbo_terms, evaluate_elbo, vae_loss

__all__ = ["fit_problem1", "problem1_runs", "train_vae", "warmup_cosine"]


def warmup_cosine(step: int, total: int, warmup: int = 0) -> float:
    """The learning-rate factor at ``step``: linear from 1/warmup to 1 over ``warmup`` steps,
    then a cosine from 1 to 0 at ``total``.

    Adam's first steps move every weight by about the learning rate, whatever its gradient, so
    a layer with a large fan-in (the ConvVAE's head reads 4w * 49 = 12544 features) swings its
    output far before Adam's second-moment estimates settle; the warm-up keeps those steps small.
    """
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * min(step, total) / total))


def train_vae(
    name: str,
    model: nn.Module,
    train_images: Tensor,
    valid_images: Tensor,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 3e-4,
    schedule: Literal["constant", "cosine"] = "constant",
    warmup_steps: int = 0,
    kl: KL = "analytic",
    num_samples: int = 1,
    beta: float = 1.0,
    binary: bool = True,
    device: torch.device | str = "cpu",
    seed: int = 0,
    checkpoint_dir: str | None = None,
    force: bool = False,
    progress: bool = True,
    snapshot_samples: int = 64,
    precision: Precision | None = None,
    graphs: GraphMode | None = None,
    functions: Functions | None = None,
) -> tuple[TrainResult, Snapshots]:
    """Train a VAE with Adam on the (beta-weighted) ELBO; evaluate on ``valid_images`` each epoch.

    Args:
        name: the run's name (its checkpoint is ``<checkpoint_dir>/<name>.pt``).
        model: a VAE with ``encode``/``decode``; moved to ``device``.
        train_images, valid_images: (N, 1, 28, 28) uint8 (0/1 when ``binary``, else 0..255).
        epochs, batch_size, lr: the course's defaults are 20, 64 and 3e-4.
        schedule: ``constant`` or ``cosine`` decay of the learning rate to 0 over training.
        warmup_steps: with ``cosine``, the learning rate first rises linearly over this many
            steps, at most a fifth of the run (:func:`warmup_cosine`).
        kl, num_samples: the KL term, analytic or Monte Carlo with ``num_samples`` draws.
        beta: weight of the KL term (1 is the ELBO).
        snapshot_samples: decoder means of this many fixed prior draws are kept every epoch
            (and before training) in the returned :class:`~helpers.train.Snapshots`.
        precision: of the training steps; default :func:`helpers.train.choose_precision`.
            Validation runs in fp32.
        graphs: how the training steps run; default :func:`helpers.train.choose_graphs`
            (eager; with ``WORKBOOK_CUDA_GRAPHS=1``, replayed from a CUDA graph on CUDA in
            bf16 or fp32).
        functions: course functions to train and validate with instead of the references
            (see :func:`elbo_terms`; :func:`helpers.vae.check.use` picks a student's).

    Returns:
        The :class:`~helpers.train.TrainResult` (history per epoch: ``train_elbo``,
        ``train_recon``, ``train_kl`` over the epoch's batches; ``valid_elbo``,
        ``valid_recon``, ``valid_kl`` with the analytic KL) and the snapshots.
    """
    device = torch.device(device)
    model.to(device)
    batches = DeviceBatches(train_images, None, batch_size, device=device, seed=seed, binary=binary)
    valid = DeviceBatches(valid_images, None, min(500, valid_images.shape[0]), device=device,
                          binary=binary, drop_last=False)  # fmt: skip
    total = epochs * len(batches)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=lr, **optimizer_options(torch.optim.Adam, device)
    )
    precision = precision or choose_precision(device)
    scaler = precision.scaler(device)
    state: dict[str, object] = {"model": model, "optimizer": optimizer}
    state.update(scaler_state(scaler=scaler))
    scheduler = None
    if schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: warmup_cosine(step, total, min(warmup_steps, total // 5))
        )
        state["scheduler"] = scheduler
    elif schedule != "constant":
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    g = torch.Generator().manual_seed(seed + 12345)
    fixed_z = torch.randn(snapshot_samples, model.latent_dim, generator=g).to(device)
    snapshots = Snapshots()

    def snapshot(step: int) -> None:
        snapshots.capture(step, model, lambda: torch.sigmoid(model.decode(fixed_z)))

    snapshot(0)

    def train_step(index: Tensor) -> dict[str, Tensor]:
        x, _ = batches.take(index)
        with precision.autocast(device):
            recon, kl_term = elbo_terms(
                model, x, kl=kl, num_samples=num_samples, functions=functions
            )
        recon, kl_term = recon.float(), kl_term.float()
        precision.step(vae_loss(recon, kl_term, beta), optimizer, scaler)
        means = torch.stack([recon.detach(), kl_term.detach()]).mean(1)
        return {"train_elbo": means[0] - means[1], "train_recon": means[0], "train_kl": means[1]}

    mode = graphs or choose_graphs(device, precision, optimizers=[optimizer], trainer="vae")
    graphed = StepGraph(train_step, optimizers=[optimizer], mode=mode)

    def step_fn(step: int) -> dict[str, Tensor]:
        metrics = graphed(batches.index_at(step))
        if scheduler is not None:
            scheduler.step()
        return metrics

    def eval_fn(step: int) -> dict[str, float]:
        metrics = evaluate_elbo(model, valid.ordered(), functions)
        snapshot(step)
        return {f"valid_{k}": v for k, v in metrics.items()}

    config = {
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "latent_dim": model.latent_dim,
        "train_images": train_images.shape[0],
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "schedule": schedule,
        **({"warmup_steps": warmup_steps} if warmup_steps else {}),
        "kl": kl,
        "num_samples": num_samples,
        "beta": beta,
        "seed": seed,
    }
    if own := not_the_reference(functions):  # a student's functions train their own checkpoint
        config["course_functions"] = own
    try:
        result = train(
            name,
            step_fn,
            total,
            {**state, "snapshots": snapshots},
            checkpoint_dir=checkpoint_dir,
            steps_per_epoch=len(batches),
            eval_fn=eval_fn,
            force=force,
            config=config,
            progress=progress,
        )
    finally:
        graphed.release()
    result.replays = graphed.replays
    model.eval()
    return result, snapshots


def problem1_runs(budget: VAEBudget) -> dict[str, tuple[Callable[[], nn.Module], dict[str, Any]]]:
    """Problem 1's models and the :func:`train_vae` settings of each, from a profile's budget.

    ``notebooks/01_vae.ipynb`` and ``benchmarks/quality_vae.py`` both train from this table,
    so that either one loads the other's checkpoints.

    Returns:
        name -> (a function building the model, keyword arguments of :func:`train_vae`).
    """
    b = budget
    small = b.small_latent_epochs or b.epochs
    return {
        "course_mlp": (lambda: CourseVAE(b.latent_dim, b.hidden), {"kl": "analytic"}),
        "course_mlp_mc_kl": (
            lambda: CourseVAE(b.latent_dim, b.hidden),
            {"kl": "mc", "num_samples": 1},
        ),
        "conv": (
            lambda: ConvVAE(b.latent_dim, width=b.conv_width, blocks=b.conv_blocks),
            {"lr": b.conv_lr, "schedule": "cosine", "warmup_steps": b.conv_warmup_steps},
        ),
        "course_mlp_latent2": (lambda: CourseVAE(2, b.hidden), {"epochs": small}),
        "course_mlp_latent20": (lambda: CourseVAE(20, b.hidden), {"epochs": small}),
    }


def fit_problem1(
    name: str,
    budget: VAEBudget,
    train_images: Tensor,
    valid_images: Tensor,
    *,
    device: torch.device | str,
    seed: int,
    checkpoint_dir: str | None,
    force: bool = False,
    functions: Functions | None = None,
) -> tuple[nn.Module, TrainResult, Snapshots]:
    """Build (seeded) and train, or load, one of :func:`problem1_runs`' models (``functions``:
    see :func:`train_vae`)."""
    make, kwargs = problem1_runs(budget)[name]
    kwargs = {"epochs": budget.epochs, "lr": budget.lr, **kwargs}
    torch.manual_seed(seed)
    model = make()
    result, snapshots = train_vae(
        name, model, train_images, valid_images, batch_size=budget.batch_size, device=device,
        seed=seed, checkpoint_dir=checkpoint_dir, force=force, functions=functions, **kwargs,
    )  # fmt: skip
    return model, result, snapshots
