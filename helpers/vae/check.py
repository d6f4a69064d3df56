"""Checks that teach, Problem 1: each graded VAE function against :mod:`helpers.vae`'s.

``check.log_mean_exp(f)`` runs ``f`` on random and edge inputs and returns a
:class:`~helpers.common.checking.Result` naming the first thing wrong; :func:`use` picks what
training runs on: the student's function where it passes its checks, else the reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..common import checking
from ..common.checking import (
    SHAPE,
    B,
    Mistake,
    Result,
    _call,
    _checked,
    _close,
    _compare,
    _per_example,
    _show,
    _tensor,
)
from . import course

__all__ = [
    "REFERENCES",
    "kl_gaussian_gaussian_analytic",
    "kl_gaussian_gaussian_mc",
    "log_likelihood_bernoulli",
    "log_likelihood_normal",
    "log_mean_exp",
    "use",
]


@_checked("log_likelihood_bernoulli", 4)
def log_likelihood_bernoulli(fn: Callable[[Tensor, Tensor], Tensor]) -> None:
    """Shape, values (sign, sum) on random inputs, then mu exactly 0 and 1."""
    name = "log_likelihood_bernoulli"
    mu = torch.rand(SHAPE) * 0.9 + 0.05
    target = torch.bernoulli(torch.full(SHAPE, 0.5))
    out = _per_example(name, _call(name, fn, mu, target))
    _compare(name, out, course.log_likelihood_bernoulli(mu, target))
    edge = target.clone()  # mu = target: a perfect prediction, log-likelihood about 0
    out = _tensor(name, _call(name, fn, edge, target))
    if not torch.isfinite(out).all() or not _close(out, torch.zeros(B), 1e-3):
        raise Mistake(
            "no clamp at mu = 0 or 1: with mu equal to the binary target (entries exactly 0 and "
            f"1) the log-likelihood is about 0, yours gives {_show(out)}; log(0) and 0 * log(0) "
            "are -inf and nan, so clamp mu to [eps, 1 - eps] first."
        )


@_checked("log_likelihood_normal", 3)
def log_likelihood_normal(fn: Callable[[Tensor, Tensor, Tensor], Tensor]) -> None:
    """Shape, values (sign, the log 2 pi constant, logvar as a log-variance)."""
    name = "log_likelihood_normal"
    mu, logvar, z = torch.randn(SHAPE), torch.randn(SHAPE) * 0.5, torch.randn(SHAPE)
    out = _per_example(name, _call(name, fn, mu, logvar, z))
    ref = course.log_likelihood_normal(mu, logvar, z)
    if _close(out, ref + 0.5 * 9 * course.LOG_2PI, 1e-3):
        raise Mistake("the constant is missing: each dimension adds -1/2 log(2 pi) to log N.")
    _compare(name, out, ref)


@_checked("log_mean_exp", 4)
def log_mean_exp(fn: Callable[[Tensor], Tensor]) -> None:
    """Shape (batch,), values (mean not sum), then rows around +1e4 and -1e4."""
    name = "log_mean_exp"
    y = torch.randn(3, 5) * 2  # 3 examples, 5 samples each
    out = _tensor(name, _call(name, fn, y))
    if tuple(out.shape) != (3,):
        how = "averaged over the batch (dim 0)" if tuple(out.shape) == (5,) else "returns shape"
        raise Mistake(
            f"wrong output shape: log_mean_exp {how} {tuple(out.shape)}; y is (batch, samples) = "
            "(3, 5): average over the samples (dim 1), one value per example, shape (3,)."
        )
    ref = course.log_mean_exp(y)
    if _close(out, ref + math.log(5)):
        raise Mistake(
            "log_mean_exp computes log sum exp: divide by the number of samples (the mean, "
            "not the sum), i.e. subtract log(samples)."
        )
    _compare(name, out, ref)
    for offset in (1e4, -1e4):
        big = torch.randn(3, 5, dtype=torch.float64) + offset
        out = _tensor(name, _call(name, fn, big))
        if not torch.isfinite(out).all() or not _close(out, course.log_mean_exp(big)):
            raise Mistake(
                f"overflow: for y around {offset:+.0e}, log_mean_exp gives {_show(out)} instead "
                f"of about {offset:+.0f}; exp(y) over- or underflows there. Subtract the row "
                "maximum a first: a + log(mean(exp(y - a)))."
            )


def _gaussians(batch: int = B) -> list[Tensor]:
    shape = (batch, *SHAPE[1:])
    return [torch.randn(shape) * s for s in (1.0, 0.5, 1.0, 0.5)]


@_checked("kl_gaussian_gaussian_analytic", 3)
def kl_gaussian_gaussian_analytic(fn: Callable[..., Tensor]) -> None:
    """Shape, values (sign, factor 1/2), a prior that is not N(0, I)."""
    name = "kl_gaussian_gaussian_analytic"
    mu_q, logvar_q, _, _ = _gaussians()
    zeros = torch.zeros(SHAPE)
    out = _per_example(name, _call(name, fn, mu_q, logvar_q, zeros, zeros))
    ref = course.kl_gaussian_gaussian_analytic(mu_q, logvar_q, zeros, zeros)
    _compare(name, out, ref, half=True)
    args = _gaussians()
    out = _per_example(name, _call(name, fn, *args))
    ref = course.kl_gaussian_gaussian_analytic(*args)
    if _close(out, course.kl_gaussian_gaussian_analytic(args[0], args[1], zeros, zeros)):
        raise Mistake(f"{name} assumes p = N(0, I): it must use mu_p and logvar_p.")
    _compare(name, out, ref, half=True)


@_checked("kl_gaussian_gaussian_mc", 5)
def kl_gaussian_gaussian_mc(fn: Callable[..., Tensor]) -> None:
    """Shape, num_samples used, sign, the mean of many draws, gradients through the draws."""
    name = "kl_gaussian_gaussian_mc"
    args = _gaussians()
    out = _tensor(name, _call(name, fn, *args, 3))
    if tuple(out.shape) == (B, 3):
        raise Mistake(
            "wrong output shape: kl_gaussian_gaussian_mc returns one value per draw, shape "
            f"({B}, 3); average over the num_samples draws, shape ({B},)."
        )
    _per_example(name, out)

    def spread(k: int) -> float:
        return torch.stack([_call(name, fn, *args, k).detach() for _ in range(30)]).std(0).mean()

    if spread(400) > spread(1) / 4:
        raise Mistake(
            "kl_gaussian_gaussian_mc ignores num_samples: with 400 draws its estimates vary as "
            "much as with 1; draw num_samples z per example and average over them."
        )
    exact = course.kl_gaussian_gaussian_analytic(*args)
    estimate = _call(name, fn, *args, 20_000).detach()
    tol = 0.1 + 0.03 * exact.abs()
    if ((estimate + exact).abs() < tol).all() and not ((estimate - exact).abs() < tol).all():
        raise Mistake(
            "sign error: kl_gaussian_gaussian_mc returns minus the KL; average log q(z) - "
            "log p(z) over draws z from q."
        )
    if not ((estimate - exact).abs() < tol).all():
        raise Mistake(
            f"wrong values: with 20000 draws kl_gaussian_gaussian_mc gives {_show(estimate)}, "
            f"but the KL is {_show(exact)}: average log q(z) - log p(z) over draws z ~ q, "
            "summed over dimensions."
        )
    mu_q = args[0].clone().requires_grad_(True)
    out = _call(name, fn, mu_q, *args[1:], 20_000)
    grad = torch.autograd.grad(out.sum(), mu_q, allow_unused=True)[0] if out.requires_grad else None
    kl = course.kl_gaussian_gaussian_analytic(mu_q, *args[1:])
    exact = torch.autograd.grad(kl.sum(), mu_q)[0]
    if grad is None or (grad - exact).abs().mean() > 0.15:
        raise Mistake(
            "the gradient does not flow through the draws: draw z = mu_q + exp(logvar_q / 2) * "
            "eps with eps ~ N(0, I) (the reparameterisation), not with .sample() or under "
            "no_grad."
        )


# What training uses

REFERENCES: dict[str, tuple[Callable[..., Any], Callable[[Any], Result]]] = {
    name: (getattr(course, name), globals()[name])
    for name in ("log_likelihood_bernoulli", "log_likelihood_normal", "log_mean_exp",
                 "kl_gaussian_gaussian_analytic", "kl_gaussian_gaussian_mc")
}  # fmt: skip
"""Course name -> (the reference in :mod:`helpers.vae`, its checks in this module)."""


def use(**functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """The functions to train with: each of ``functions`` (by its course name) where it passes
    its checks, else the reference from :mod:`helpers.vae`, printing that it falls back.

    The reference itself is taken as it is, unchecked (the workbook edition passes it).
    """
    return checking.use(REFERENCES, "helpers.vae", **functions)
