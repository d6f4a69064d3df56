"""Checks that teach, Problem 2: the WGAN-LP functions against :mod:`helpers.gan`'s.

``check.lp_reg(f)`` returns a :class:`~helpers.common.checking.Result` naming the first thing
wrong; :func:`use` picks what training runs on, the student's function or the reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ..common import checking
from ..common.checking import Mistake, Result, _call, _checked, _close, _compare, _tensor
from . import course

__all__ = [
    "REFERENCES",
    "lp_reg",
    "use",
    "vf_wasserstein_distance",
]


class _Linear(nn.Module):
    """f(x) = a . x, whose gradient has norm ||a|| everywhere; remembers its inputs."""

    def __init__(self, size: Sequence[int], norm: float) -> None:
        super().__init__()
        a = torch.randn(math.prod(size))
        self.a = nn.Parameter(a * norm / a.norm())
        self.seen: list[Tensor] = []

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append(x.detach().clone())
        return x.flatten(1) @ self.a


@_checked("vf_wasserstein_distance", 3)
def vf_wasserstein_distance(fn: Callable[..., Tensor]) -> None:
    """A single number, mean f(p) - mean f(q) (sign, means), gradients reach the critic."""
    name = "vf_wasserstein_distance"
    critic = _Linear((3, 2, 2), 1.0)
    p, q = torch.randn(6, 3, 2, 2) + 1, torch.randn(4, 3, 2, 2)
    out = _tensor(name, _call(name, fn, p, q, critic))
    if out.numel() != 1:
        raise Mistake(f"wrong output shape: {name} returns {tuple(out.shape)}; one number.")
    with torch.no_grad():
        ref = critic(p).mean() - critic(q).mean()
        summed = critic(p).sum() - critic(q).sum()
    if _close(out.reshape(()), summed):
        raise Mistake(f"{name} sums the scores over the batch; take means: mean f(p) - mean f(q).")
    _compare(name, out.reshape(()), ref)
    if not out.requires_grad:
        raise Mistake(f"{name} is detached: the critic trains on it, so keep the graph.")


@_checked("lp_reg", 5)
def lp_reg(fn: Callable[..., Tensor]) -> None:
    """Interpolation points, the hinge at 1 (critics with gradient norm 0.3 and 2), the batch
    mean, gradients to the critic."""
    name = "lp_reg"
    x, y = torch.rand(8, 3, 2, 2) + 0.5, -torch.rand(8, 3, 2, 2) - 0.5  # x - y >= 1
    critic = _Linear((3, 2, 2), 0.3)
    out = _tensor(name, _call(name, fn, x, y, critic))
    if not critic.seen:
        raise Mistake("lp_reg never calls the critic: it needs f(x_hat) for its gradient.")
    x_hat = critic.seen[-1]  # = t x + (1 - t) y: each value of an example gives one t in [0, 1]
    t = ((x_hat - y) / (x - y)).flatten(1) if x_hat.shape == x.shape else torch.full((1, 1), -1)
    spread = (t.max(1).values - t.min(1).values).max()
    if not (t.min() >= -1e-5 and t.max() <= 1 + 1e-5 and spread < 1e-4 and 0 < t.std(0).max()):
        raise Mistake(
            "the interpolation points are not between the real and generated images: use "
            "x_hat = t x + (1 - t) y with t ~ U[0, 1], one t per example."
        )
    if out.numel() != 1:
        raise Mistake(f"wrong output shape: lp_reg returns {tuple(out.shape)}; one number.")
    if abs(out.item()) > 1e-5:
        raise Mistake(
            f"lp_reg uses the gradient norm instead of the hinge at 1: for a critic whose gradient "
            f"norm is 0.3 everywhere, the penalty is 0, yours {out.item():.3g}; it punishes only "
            "norms above 1: mean of max(0, ||grad f(x_hat)|| - 1)^2."
        )
    critic = _Linear((3, 2, 2), 2.0)
    out = _tensor(name, _call(name, fn, x, y, critic)).reshape(())
    if _close(out, torch.tensor(8.0), 1e-3):
        raise Mistake("lp_reg sums over the batch; take the mean over examples.")
    if not _close(out, torch.tensor(1.0), 1e-3):
        raise Mistake(
            f"wrong values: for a critic whose gradient norm is 2 everywhere, the penalty is "
            f"(2 - 1)^2 = 1, yours {out.item():.4g}: mean of max(0, ||grad f(x_hat)|| - 1)^2."
        )
    grad = torch.autograd.grad(out, critic.a, allow_unused=True)[0] if out.requires_grad else None
    if grad is None:
        raise Mistake("no gradient reaches the critic: take grad f(x_hat) with create_graph=True.")


# What training uses

REFERENCES: dict[str, tuple[Callable[..., Any], Callable[[Any], Result]]] = {
    name: (getattr(course, name), globals()[name])
    for name in ("vf_wasserstein_distance", "lp_reg")
}  # fmt: skip
"""Course name -> (the reference in :mod:`helpers.gan`, its checks in this module)."""


def use(**functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """The functions to train with: each of ``functions`` (by its course name) where it passes
    its checks, else the reference from :mod:`helpers.gan`, printing that it falls back.

    The reference itself is taken as it is, unchecked (the workbook edition passes it).
    """
    return checking.use(REFERENCES, "helpers.gan", **functions)
