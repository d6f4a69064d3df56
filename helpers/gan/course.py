"""The course's WGAN-LP functions: the critic's Wasserstein estimate and the Lipschitz
penalty, with the course's names and arguments.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "lp_reg",
    "vf_wasserstein_distance",
]


def vf_wasserstein_distance(p: Tensor, q: Tensor, critic: Callable[[Tensor], Tensor]) -> Tensor:
    """The critic's estimate of W(mu, nu): mean f(p) - mean f(q), real minus generated.

    The handout's eq. (1) writes the objective the other way round, E_{y~nu} f(y) -
    E_{x~mu} f(x) (generated minus real), the quantity its eq. (3) has the critic *minimise*
    together with the penalty. This function returns its negative, the usual estimate of W,
    which the critic *maximises*: the critic's loss ``-vf_wasserstein_distance(x, y, f) + lam *
    lp_reg(x, y, f)`` is exactly eq. (3)'s. The generator minimises ``-mean f(g(z))``, which
    pulls the estimate down.

    Args:
        p: (batch, ...) samples of mu (real). q: (batch', ...) samples of nu (generated).
        critic: maps (batch, ...) to (batch,) or (batch, 1).

    Returns:
        A single-element tensor, differentiable in the critic's parameters (the critic trains
        on it).
    """
    # Both batches go through the critic in one pass when that cannot change the result (same
    # image shape, no batch-dependent layer such as BatchNorm in the critic): one forward and
    # backward instead of two, the same numbers.
    if p.shape[1:] == q.shape[1:] and _per_example(critic):
        scores = critic(torch.cat([p, q])).float()
        return scores[: p.shape[0]].mean() - scores[p.shape[0] :].mean()
    return critic(p).float().mean() - critic(q).float().mean()


def _per_example(critic: Callable[[Tensor], Tensor]) -> bool:
    """Whether ``critic`` scores each example on its own (a module without batch norm)."""
    if not isinstance(critic, nn.Module):
        return False
    return not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules())


def lp_reg(x: Tensor, y: Tensor, critic: Callable[[Tensor], Tensor]) -> Tensor:
    """The Lipschitz penalty: batch mean of max(0, ||grad f(x_hat)||_2 - 1)^2.

    x_hat = t x + (1 - t) y with t ~ U[0, 1] drawn per example. It is added to the critic's
    loss with a positive weight: ``-vf_wasserstein_distance + lam * lp_reg``.

    Args:
        x: (batch, ...) real samples. y: (batch, ...) generated samples, the same shape.
        critic: maps (batch, ...) to (batch,) or (batch, 1).

    Returns:
        A single-element tensor, differentiable in the critic's parameters (the penalty trains
        the critic through the gradient it takes; no gradient flows back into x or y).
    """
    # train_gan calls it outside autocast, so that the double backward runs in fp32.
    if x.shape != y.shape:
        raise ValueError(f"x has shape {tuple(x.shape)} but y has shape {tuple(y.shape)}")
    t = torch.rand((x.shape[0],) + (1,) * (x.ndim - 1), device=x.device, dtype=x.dtype)
    x_hat = (t * x.detach() + (1 - t) * y.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(2, dim=1)
    return F.relu(norm - 1).pow(2).mean()
