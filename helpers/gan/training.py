"""Problem 2's trainer, :func:`train_gan`: WGAN-LP or the vanilla GAN.

Notation of Petzka et al. (2018): x ~ mu are real samples, y ~ nu generated ones, f the critic.
The critic estimates the Wasserstein-1 distance as ``mean f(x) - mean f(y)``; the Lipschitz
penalty (section 5) punishes gradient norms above 1 only, on points between real and fake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.batches import DeviceBatches
from ..train.graph_mode import GraphMode, choose_graphs
from ..train.graphs import StepGraph
from ..train.loop import Snapshots, TrainResult, train
from ..train.precision import (
    Precision,
    choose_precision,
    full_precision,
    optimizer_options,
    scaler_state,
)
from .course import lp_reg, vf_wasserstein_distance

__all__ = [
    "train_gan",
]


def _noise(generator: nn.Module, n: int, device: torch.device) -> Tensor:
    """z ~ N(0, I) for ``n`` images, (n, latent_dim), from the device's generator."""
    return torch.randn(n, generator.latent_dim, device=device)


def _critic_step(
    real: Tensor,
    generator: nn.Module,
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    *,
    loss: Literal["wgan-lp", "vanilla"],
    lam: float,
    distance_fn: Callable[..., Tensor],
    penalty_fn: Callable[..., Tensor],
    precision: Precision,
    device: torch.device,
) -> dict[str, Tensor]:
    """One critic update of :func:`train_gan` on ``real`` (B, C, H, W) in [-1, 1] and as many
    images generated without gradients.

    ``wgan-lp``: the critic maximises ``distance_fn - lam * penalty_fn`` (the penalty, a double
    backward, in fp32). ``vanilla``: the binary cross-entropy of real and generated images in
    one pass.

    Returns:
        the update's 0-d metrics: ``wasserstein`` and ``lp``, or ``d_real``, ``d_fake`` (mean
        D(x) on the real and generated images) and ``d_loss``.
    """
    with torch.no_grad(), precision.autocast(device):
        fake = generator(_noise(generator, real.shape[0], device)).float()
    metrics: dict[str, Tensor] = {}
    if loss == "wgan-lp":
        with precision.autocast(device):
            distance = distance_fn(real, fake, critic)
        with full_precision(device):  # the double backward stays in fp32
            penalty = penalty_fn(real, fake, critic)
        critic_loss = -distance + lam * penalty  # the critic maximises W - lam * LP
    else:
        with precision.autocast(device):
            scores = critic(torch.cat([real, fake])).float()
        real_scores, fake_scores = scores[: real.shape[0]], scores[real.shape[0] :]
        critic_loss = F.binary_cross_entropy_with_logits(
            real_scores, torch.ones_like(real_scores)
        ) + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores))
        metrics["d_real"] = torch.sigmoid(real_scores).mean().detach()
        metrics["d_fake"] = torch.sigmoid(fake_scores).mean().detach()
    precision.step(critic_loss, optimizer, scaler)
    if loss == "wgan-lp":
        metrics["wasserstein"] = distance.detach().float()
        metrics["lp"] = penalty.detach()
    else:
        metrics["d_loss"] = critic_loss.detach()
    return metrics


def _generator_step(
    batch_size: int,
    generator: nn.Module,
    critic: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    *,
    loss: Literal["wgan-lp", "vanilla"],
    precision: Precision,
    device: torch.device,
) -> Tensor:
    """One generator update of :func:`train_gan` on ``batch_size`` generated images, the
    critic's parameters frozen: ``-mean f(g(z))`` (``wgan-lp``) or the non-saturating
    ``-log D(g(z))`` (``vanilla``).

    Returns:
        the generator's loss, 0-d, detached.
    """
    for p in critic.parameters():  # the generator's update leaves the critic alone
        p.requires_grad_(False)
    try:
        with precision.autocast(device):
            fake_scores = critic(generator(_noise(generator, batch_size, device))).float()
        if loss == "wgan-lp":
            g_loss = -fake_scores.mean()
        else:
            g_loss = F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))
        precision.step(g_loss, optimizer, scaler)
    finally:  # also when the step fails (a failed capture must not leave it frozen)
        for p in critic.parameters():
            p.requires_grad_(True)
    return g_loss.detach()


def train_gan(
    name: str,
    generator: nn.Module,
    critic: nn.Module,
    images: Tensor,
    *,
    iterations: int,
    loss: Literal["wgan-lp", "vanilla"] = "wgan-lp",
    batch_size: int = 64,
    n_critic: int = 5,
    lam: float = 10.0,
    lr: float = 1e-4,
    betas: tuple[float, float] = (0.5, 0.9),
    device: torch.device | str = "cpu",
    seed: int = 0,
    eval_fn: Callable[[int], dict[str, float]] | None = None,
    eval_every: int | None = None,
    log_every: int = 50,
    snapshot_samples: int = 64,
    checkpoint_dir: str | None = None,
    force: bool = False,
    progress: bool = True,
    precision: Precision | None = None,
    graphs: GraphMode | None = None,
    functions: Mapping[str, Callable[..., Tensor]] | None = None,
) -> tuple[TrainResult, Snapshots]:
    """Train a GAN for ``iterations`` generator updates.

    ``wgan-lp``: ``n_critic`` critic updates per generator update on
    ``-vf_wasserstein_distance(x, y, f) + lam * lp_reg(x, y, f)``; the generator minimises
    ``-mean f(g(z))``.
    ``vanilla``: one discriminator update per generator update with the binary cross-entropy,
    and the non-saturating generator loss ``-log D(g(z))``.

    Real images: ``images`` (N, C, H, W) uint8, kept on the device and scaled to [-1, 1]; each
    critic update takes the next batch of :class:`~helpers.data.DeviceBatches`. Real and
    generated images go through the critic in one pass for the vanilla GAN; the WGAN-LP critic
    step calls the course's own :func:`vf_wasserstein_distance` and :func:`lp_reg`.

    ``precision``: default :func:`helpers.train.choose_precision`. Under bf16 or fp16 the
    critic and generator run in autocast, while the Lipschitz penalty (a double backward) is
    computed in fp32; fp16 adds a gradient scaler per optimizer.

    ``graphs``: default :func:`helpers.train.choose_graphs` (eager; with
    ``WORKBOOK_CUDA_GRAPHS=1``, on CUDA in bf16 or fp32 a whole iteration, the critic updates
    with the penalty's double backward and the generator update, replays one CUDA graph).

    ``functions``: ``vf_wasserstein_distance`` and ``lp_reg`` to train with instead of this
    module's, by name (:func:`helpers.vae.check.use` picks a student's where they pass).

    Returns the :class:`~helpers.train.TrainResult` (history: ``wasserstein`` and ``lp``, or
    ``d_loss`` with ``d_real`` and ``d_fake``, the mean D(x) on real and generated batches;
    ``g_loss``; and what ``eval_fn`` returns every ``eval_every`` iterations) and
    :class:`~helpers.train.Snapshots` of generated images for fixed z at each evaluation and
    at the start, as uint8.
    """
    distance_fn = (functions or {}).get("vf_wasserstein_distance") or vf_wasserstein_distance
    penalty_fn = (functions or {}).get("lp_reg") or lp_reg
    device = torch.device(device)
    generator.to(device)
    critic.to(device)
    batches = DeviceBatches(images, None, batch_size, device=device, seed=seed, scale="symmetric")
    fast = optimizer_options(torch.optim.Adam, device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas, **fast)
    opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=betas, **fast)
    precision = precision or choose_precision(device)
    scaler_g, scaler_c = precision.scaler(device), precision.scaler(device)
    updates = n_critic if loss == "wgan-lp" else 1
    g = torch.Generator().manual_seed(seed + 777)
    fixed_z = torch.randn(snapshot_samples, generator.latent_dim, generator=g).to(device)
    snapshots = Snapshots()

    def snapshot(step: int) -> None:
        snapshots.capture(step, generator, lambda: generator(fixed_z), value_range=(-1, 1))

    snapshot(0)

    def train_step(index: Tensor) -> dict[str, Tensor]:
        """One generator update and the critic updates before it; ``index``: (updates * B,)."""
        metrics: dict[str, Tensor] = {}
        for j in range(updates):
            real, _ = batches.take(index[j * batch_size : (j + 1) * batch_size])
            metrics = _critic_step(
                real, generator, critic, opt_c, scaler_c, loss=loss, lam=lam,
                distance_fn=distance_fn, penalty_fn=penalty_fn, precision=precision, device=device,
            )  # fmt: skip
        metrics["g_loss"] = _generator_step(
            batch_size, generator, critic, opt_g, scaler_g, loss=loss, precision=precision,
            device=device,
        )  # fmt: skip
        return metrics

    mode = graphs or choose_graphs(device, precision, optimizers=[opt_c, opt_g], trainer="gan")
    graphed = StepGraph(train_step, optimizers=[opt_c, opt_g], mode=mode)

    def step_fn(step: int) -> dict[str, Tensor]:
        first = step * updates
        return graphed(torch.cat([batches.index_at(first + j) for j in range(updates)]))

    def evaluate(step: int) -> dict[str, float]:
        snapshot(step)
        if eval_fn is None:
            return {}
        generator.eval()
        try:
            return eval_fn(step)
        finally:
            generator.train()

    config = {
        "loss": loss, "iterations": iterations, "batch_size": batch_size, "n_critic": updates,
        "lam": lam, "lr": lr, "betas": list(betas), "seed": seed, "images": images.shape[0],
        "generator": sum(p.numel() for p in generator.parameters()),
        "critic": sum(p.numel() for p in critic.parameters()),
    }  # fmt: skip
    if own := sorted(n for n, f in (functions or {}).items() if f is not globals()[n]):
        config["course_functions"] = own  # a student's functions train their own checkpoint
    try:
        result = train(
            name, step_fn, iterations,
            {"generator": generator, "critic": critic, "opt_g": opt_g, "opt_c": opt_c,
             "snapshots": snapshots, **scaler_state(scaler_g=scaler_g, scaler_c=scaler_c)},
            checkpoint_dir=checkpoint_dir, eval_fn=evaluate, eval_every=eval_every or iterations,
            log_every=log_every, force=force, config=config, progress=progress,
        )  # fmt: skip
    finally:
        graphed.release()
    result.replays = graphed.replays
    generator.eval()
    return result, snapshots
