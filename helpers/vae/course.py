"""The course's VAE functions: reparameterize, the log-likelihoods, the KLs and log_mean_exp.

They keep the course's names, arguments and conventions: inputs are ``(batch, ...)``, flattened
per example, and each returns shape ``(batch,)``, one value per example summed over dimensions.
They are reached as ``helpers.vae.<name>`` (the notebooks' solution cells bind them from there),
so that is the module they name. :func:`course_function` is the plumbing that lets the
objectives and trainers use a student's own function in place of one of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TypeVar

import torch
from torch import Tensor

__all__ = [
    "LOG_2PI",
    "Functions",
    "course_function",
    "kl_gaussian_gaussian_analytic",
    "kl_gaussian_gaussian_mc",
    "log_likelihood_bernoulli",
    "log_likelihood_normal",
    "log_mean_exp",
    "not_the_reference",
    "reparameterize",
]

LOG_2PI = math.log(2 * math.pi)
Functions = Mapping[str, Callable[..., Tensor]]  # course name -> a function to use instead
_F = TypeVar("_F", bound=Callable[..., Tensor])


def _public(fn: _F) -> _F:
    """Name ``helpers.vae`` as ``fn``'s module: where students and messages find it."""
    fn.__module__ = "helpers.vae"
    return fn


def not_the_reference(functions: Functions | None) -> list[str]:
    """The names in ``functions`` bound to something other than this module's function."""
    return sorted(n for n, f in (functions or {}).items() if f is not globals()[n])


def course_function(functions: Functions | None, name: str) -> Callable[..., Tensor]:
    """The course function ``name`` to use: from ``functions`` (say, a student's, chosen by
    :func:`helpers.vae.check.use`), else this module's own."""
    return (functions or {}).get(name) or globals()[name]


def _flat(*tensors: Tensor, names: tuple[str, ...]) -> list[Tensor]:
    """Check that the tensors share one shape (batch first) and flatten them per example."""
    first = tensors[0]
    for name, t in zip(names[1:], tensors[1:], strict=True):
        if t.shape != first.shape:
            raise ValueError(
                f"shape mismatch: {names[0]} has shape {tuple(first.shape)} but {name} has "
                f"shape {tuple(t.shape)}"
            )
    if first.ndim < 1:
        raise ValueError(f"{names[0]} needs a batch dimension, got a scalar")
    return [t.reshape(t.shape[0], -1) for t in tensors]


@_public
def log_likelihood_bernoulli(mu: Tensor, target: Tensor) -> Tensor:
    """log p(target | mu) under independent Bernoullis.

    Args:
        mu: (batch, ...) the probabilities p(x = 1) (not logits); 0 and 1 are allowed.
        target: (batch, ...) binary values, the shape of ``mu``.

    Returns:
        (batch,) the log-likelihood of each example, summed over dimensions. Probabilities are
        clamped to [eps, 1 - eps] (eps the float's machine epsilon), as torch.distributions
        does, so that 0 and 1 give finite values.
    """
    mu, target = _flat(mu, target, names=("mu", "target"))
    eps = torch.finfo(mu.dtype).eps
    p = mu.clamp(eps, 1 - eps)
    return (target * torch.log(p) + (1 - target) * torch.log1p(-p)).sum(-1)


@_public
def log_likelihood_normal(mu: Tensor, logvar: Tensor, z: Tensor) -> Tensor:
    """log N(z; mu, diag(exp(logvar))).

    Args:
        mu, logvar, z: (batch, ...) of one shape.

    Returns:
        (batch,) the log-density of each example, summed over dimensions.
    """
    mu, logvar, z = _flat(mu, logvar, z, names=("mu", "logvar", "z"))
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(-1)


@_public
def log_mean_exp(y: Tensor) -> Tensor:
    """log(mean(exp(y))) over the samples of each example, without overflow or underflow.

    Args:
        y: (batch, samples).

    Returns:
        (batch,) ``a + log(mean(exp(y - a)))`` with ``a`` the row maximum (the handout's form).
    """
    if y.ndim != 2:
        raise ValueError(f"y must be (batch, samples), got shape {tuple(y.shape)}")
    a = y.max(dim=1, keepdim=True).values
    a = torch.where(torch.isfinite(a), a, torch.zeros_like(a))  # rows of -inf stay -inf
    return (a + torch.log(torch.mean(torch.exp(y - a), dim=1, keepdim=True))).squeeze(1)


@_public
def reparameterize(mu: Tensor, logvar: Tensor, eps: Tensor | None = None) -> Tensor:
    """z = mu + exp(logvar / 2) * eps with eps ~ N(0, I): a draw from N(mu, diag(exp(logvar)))
    written as a differentiable function of (mu, logvar), so that gradients of E_q[f(z)] reach
    the encoder (Kingma & Welling 2014, section 2.4).

    Args:
        mu, logvar: (..., L). eps: the noise, the shape of ``mu`` (default: drawn).

    Returns:
        z: the shape of ``mu``; dz/dmu = 1 and dz/dlogvar = exp(logvar / 2) * eps / 2.
    """
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


@_public
def kl_gaussian_gaussian_analytic(
    mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor, logvar_p: Tensor
) -> Tensor:
    """KL(q || p) between diagonal Gaussians, in closed form.

    Args:
        mu_q, logvar_q, mu_p, logvar_p: (batch, ...) of one shape.

    Returns:
        (batch,) the divergence of each example, summed over dimensions.
    """
    mu_q, logvar_q, mu_p, logvar_p = _flat(
        mu_q, logvar_q, mu_p, logvar_p, names=("mu_q", "logvar_q", "mu_p", "logvar_p")
    )
    return 0.5 * (
        logvar_p
        - logvar_q
        + (torch.exp(logvar_q) + (mu_q - mu_p).pow(2)) * torch.exp(-logvar_p)
        - 1
    ).sum(-1)


@_public
def kl_gaussian_gaussian_mc(
    mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor, logvar_p: Tensor, num_samples: int = 1
) -> Tensor:
    """KL(q || p) between diagonal Gaussians, by Monte Carlo with ``num_samples`` draws from q.

    Args:
        mu_q, logvar_q, mu_p, logvar_p: (batch, ...) of one shape.
        num_samples: draws z ~ q per example (reparameterised, so gradients flow).

    Returns:
        (batch,) the mean over draws of log q(z) - log p(z), summed over dimensions.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be at least 1, got {num_samples}")
    mu_q, logvar_q, mu_p, logvar_p = _flat(
        mu_q, logvar_q, mu_p, logvar_p, names=("mu_q", "logvar_q", "mu_p", "logvar_p")
    )
    b, d = mu_q.shape
    expand = [t.unsqueeze(1).expand(b, num_samples, d) for t in (mu_q, logvar_q, mu_p, logvar_p)]
    mq, lq, mp, lp = expand
    z = reparameterize(mq, lq)
    log_q = -0.5 * (LOG_2PI + lq + (z - mq).pow(2) * torch.exp(-lq)).sum(-1)
    log_p = -0.5 * (LOG_2PI + lp + (z - mp).pow(2) * torch.exp(-lp)).sum(-1)
    return (log_q - log_p).mean(1)
