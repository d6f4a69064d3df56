"""The VAE's objective and its measures: the ELBO's terms, the loss, the validation ELBO, the
estimates of log p(x) (importance sampling, and the naive one from the prior) and active units.

``functions`` arguments take course functions to use instead of :mod:`helpers.vae.course`'s,
by name (a student's, picked by :func:`helpers.vae.check.use`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from .course import (
    LOG_2PI,
    Functions,
    course_function,
    log_likelihood_bernoulli,
    log_likelihood_normal,
    reparameterize,
)

__all__ = [
    "KL",
    "active_units",
    "elbo_terms",
    "evaluate_elbo",
    "importance_sampled_log_likelihood",
    "naive_log_likelihood",
    "vae_loss",
]

KL = Literal["analytic", "mc"]


def _bernoulli_log_lik_logits(logits: Tensor, x: Tensor) -> Tensor:
    """log p(x | logits), (B, ...) -> (B,); stable for any logit."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(-1)


def elbo_terms(
    model: nn.Module,
    x: Tensor,
    *,
    kl: KL = "analytic",
    num_samples: int = 1,
    functions: Functions | None = None,
) -> tuple[Tensor, Tensor]:
    """The two terms of the ELBO for each example, with one reparameterised z.

    Args:
        model: has ``encode`` and ``decode`` (see the module docstring).
        x: (B, 1, 28, 28) in [0, 1].
        kl: ``analytic`` (closed form) or ``mc`` (Monte Carlo with ``num_samples`` draws).
        functions: course functions to use instead of the reference ones, by name
            (``log_likelihood_bernoulli``, ``kl_gaussian_gaussian_analytic``,
            ``kl_gaussian_gaussian_mc``); a student's Bernoulli term gets sigmoid(logits).

    Returns:
        recon: (B,) E_q[log p(x|z)] estimated with one z; kl: (B,) KL(q(z|x) || N(0, I)).
        The ELBO is ``recon - kl``.
    """
    mu, logvar = model.encode(x)
    if logvar is None:  # a deterministic autoencoder: the code itself, no KL
        return _bernoulli_log_lik_logits(model.decode(mu), x), torch.zeros(
            mu.shape[0], device=x.device
        )
    z = reparameterize(mu, logvar)
    bernoulli = course_function(functions, "log_likelihood_bernoulli")
    if bernoulli is log_likelihood_bernoulli:  # from logits: stable for any logit
        recon = _bernoulli_log_lik_logits(model.decode(z), x)
    else:
        recon = bernoulli(torch.sigmoid(model.decode(z)), x)
    zeros = torch.zeros_like(mu)
    if kl == "analytic":
        analytic = course_function(functions, "kl_gaussian_gaussian_analytic")
        kl_term = analytic(mu, logvar, zeros, zeros)
    elif kl == "mc":
        mc = course_function(functions, "kl_gaussian_gaussian_mc")
        kl_term = mc(mu, logvar, zeros, zeros, num_samples)
    else:
        raise ValueError(f"kl must be 'analytic' or 'mc', got {kl!r}")
    return recon, kl_term


def vae_loss(recon: Tensor, kl: Tensor, beta: float = 1.0) -> Tensor:
    """The beta-weighted negative ELBO, averaged over the batch: mean(-recon + beta * kl).

    With ``beta = 0`` the KL term contributes no gradient at all (it is not even computed
    into the graph), so the model is an autoencoder with noisy codes.
    """
    if beta == 0:
        return (-recon).mean()
    return (-recon + beta * kl).mean()


@torch.no_grad()
def evaluate_elbo(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor | None]],
    functions: Functions | None = None,
) -> dict[str, float]:
    """Mean per-example ELBO, reconstruction and KL (analytic) over ``batches`` (eval mode);
    ``functions`` as in :func:`elbo_terms`."""
    was_training = model.training
    model.eval()
    totals = torch.zeros(3, dtype=torch.float64)
    n = 0
    for x, _ in batches:
        recon, kl = elbo_terms(model, x, kl="analytic", functions=functions)
        totals += torch.stack([(recon - kl).sum(), recon.sum(), kl.sum()]).double().cpu()
        n += x.shape[0]
    model.train(was_training)
    elbo, recon, kl = (totals / n).tolist()
    return {"elbo": elbo, "recon": recon, "kl": kl}


def _log_px_given_codes(model: nn.Module, z: Tensor, x: Tensor) -> Tensor:
    """log p(x_b | z_bk) under the Bernoulli decoder for codes z (b, k, L) of images x (b, ...):
    (b, k)."""
    b, k = z.shape[:2]
    logits = model.decode(z.reshape(b * k, -1)).reshape(b, k, -1)
    target = x.reshape(b, 1, -1).expand(b, k, -1)
    return -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)


@torch.no_grad()
def importance_sampled_log_likelihood(
    model: nn.Module,
    x: Tensor,
    num_samples: int = 200,
    *,
    batch_size: int = 100,
    max_rows: int = 20_000,
    progress: bool = False,
    functions: Functions | None = None,
) -> Tensor:
    """log p(x) for each example, estimated by importance sampling with q(z|x) as proposal.

    log p(x) ~ log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x), K = ``num_samples``.

    Args:
        model: has ``encode(x) -> (mu, logvar)`` and ``decode(z) -> logits``.
        x: (N, 1, 28, 28) binary images, float, on the model's device.
        num_samples: K, importance samples per example.
        batch_size: examples encoded at once.
        max_rows: at most this many (example, sample) pairs are decoded at once, which bounds
            memory: the K samples are vectorised in chunks of ``max_rows // batch_size``.
        progress: show a progress bar over the batches.
        functions: course functions to use instead of the reference ones, by name
            (``log_mean_exp``, ``log_likelihood_normal``).

    Returns:
        (N,) the estimates, float32, on the device of ``x``.
    """
    was_training = model.training
    model.eval()
    out = []
    starts = range(0, x.shape[0], batch_size)
    for start in tqdm(starts, desc=f"log p(x), K = {num_samples}", disable=not progress):
        xb = x[start : start + batch_size]
        b = xb.shape[0]
        mu, logvar = model.encode(xb)
        std = torch.exp(0.5 * logvar)
        chunk = max(1, min(num_samples, max_rows // b))
        log_w = []
        for k0 in range(0, num_samples, chunk):
            k = min(chunk, num_samples - k0)
            eps = torch.randn(b, k, mu.shape[1], device=mu.device, dtype=mu.dtype)
            z = mu[:, None] + std[:, None] * eps  # (b, k, L)
            log_px_z = _log_px_given_codes(model, z, xb)
            normal = course_function(functions, "log_likelihood_normal")
            if normal is log_likelihood_normal:
                log_pz = -0.5 * (LOG_2PI + z.pow(2)).sum(-1)
                log_qz = -0.5 * (LOG_2PI + logvar[:, None] + eps.pow(2)).sum(-1)
            else:  # a student's log N(z; mu, sigma^2), on the (b k, L) codes
                flat = z.reshape(b * k, -1)
                log_pz = normal(torch.zeros_like(flat), torch.zeros_like(flat), flat).reshape(b, k)
                mu_k = mu[:, None].expand_as(z).reshape(b * k, -1)
                logvar_k = logvar[:, None].expand_as(z).reshape(b * k, -1)
                log_qz = normal(mu_k, logvar_k, flat).reshape(b, k)
            log_w.append(log_px_z + log_pz - log_qz)
        out.append(course_function(functions, "log_mean_exp")(torch.cat(log_w, dim=1)))
    model.train(was_training)
    return torch.cat(out)


@torch.no_grad()
def naive_log_likelihood(
    model: nn.Module,
    x: Tensor,
    num_samples: int,
    *,
    generator: torch.Generator | None = None,
    functions: Functions | None = None,
) -> Tensor:
    """log p(x) estimated with z_k drawn from the *prior*: log (1/K) sum_k p(x|z_k).

    Unbiased for p(x) like importance sampling, but almost every z_k from N(0, I) explains x
    badly, so the estimate is dominated by the rare good draw and is far too low and noisy at
    any practical K. Kept for the comparison in ``01_vae``.

    Args:
        model: has ``latent_dim`` and ``decode(z) -> logits``. x: (N, 1, 28, 28) binary.
        num_samples: K. functions: ``{"log_mean_exp": ...}`` to use instead of the reference.

    Returns:
        (N,) the estimates.
    """
    was_training = model.training
    model.eval()
    n = x.shape[0]
    z = torch.randn(n * num_samples, model.latent_dim, generator=generator).to(x.device)
    log_px_z = _log_px_given_codes(model, z.reshape(n, num_samples, -1), x)
    model.train(was_training)
    return course_function(functions, "log_mean_exp")(log_px_z)


@torch.no_grad()
def active_units(
    model: nn.Module, x: Tensor, threshold: float = 0.01, batch_size: int = 1000
) -> tuple[int, Tensor]:
    """Latent dimensions the model uses: Var_x(E_q[z_i | x]) above ``threshold`` (Burda et al.
    2016). An inactive dimension has the same posterior mean for every image: it carries no
    information, and its KL term is (near) zero.

    Args:
        x: (N, 1, 28, 28) images in [0, 1].

    Returns:
        (count, variances): the number of active units and the (L,) variances.
    """
    was_training = model.training
    model.eval()
    mus = torch.cat([model.encode(x[i : i + batch_size])[0] for i in range(0, len(x), batch_size)])
    model.train(was_training)
    variances = mus.float().var(0).cpu()
    return int((variances > threshold).sum()), variances
