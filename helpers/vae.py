"""Variational autoencoders: the course's five functions, models, the ELBO, and log p(x).

The five functions keep the course's names, arguments and conventions: inputs are
``(batch, ...)``, flattened per example, and each returns shape ``(batch,)``, one value per
example summed over dimensions.

Models share one interface, which :func:`importance_sampled_log_likelihood`, the training loop
and the notebooks rely on:

- ``encode(x) -> (mu, logvar)``: x is (B, 1, 28, 28) in [0, 1]; mu, logvar are (B, L);
- ``decode(z) -> logits``: z is (B, L); logits of Bernoulli means, (B, 1, 28, 28).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from .batches import DeviceBatches
from .graphs import GraphMode, StepGraph, choose_graphs
from .precision import Precision, choose_precision, optimizer_options, scaler_state
from .profiles import VAEBudget
from .training import Snapshots, TrainResult, train

__all__ = [
    "ConvVAE",
    "CourseVAE",
    "MLPAutoencoder",
    "active_units",
    "decoder_means",
    "elbo_terms",
    "evaluate_elbo",
    "fit_problem1",
    "importance_sampled_log_likelihood",
    "kl_gaussian_gaussian_analytic",
    "kl_gaussian_gaussian_mc",
    "latent_manifold",
    "log_likelihood_bernoulli",
    "log_likelihood_normal",
    "log_mean_exp",
    "naive_log_likelihood",
    "prior_samples",
    "problem1_runs",
    "reconstruct",
    "reconstruction_error",
    "reparameterize",
    "soft_clamp",
    "train_vae",
    "vae_loss",
    "warmup_cosine",
]

LOG_2PI = math.log(2 * math.pi)
KL = Literal["analytic", "mc"]
Functions = Mapping[str, Callable[..., Tensor]]  # course name -> a function to use instead


def _not_the_reference(functions: Functions | None) -> list[str]:
    """The names in ``functions`` bound to something other than this module's function."""
    return sorted(n for n, f in (functions or {}).items() if f is not globals()[n])


def _course(functions: Functions | None, name: str) -> Callable[..., Tensor]:
    """The course function ``name`` to use: from ``functions`` (say, a student's, chosen by
    :func:`helpers.check.use`), else this module's own."""
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


def log_likelihood_normal(mu: Tensor, logvar: Tensor, z: Tensor) -> Tensor:
    """log N(z; mu, diag(exp(logvar))).

    Args:
        mu, logvar, z: (batch, ...) of one shape.

    Returns:
        (batch,) the log-density of each example, summed over dimensions.
    """
    mu, logvar, z = _flat(mu, logvar, z, names=("mu", "logvar", "z"))
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar)).sum(-1)


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


# --------------------------------------------------------------------------------------------
# Models


class CourseVAE(nn.Module):
    """The course's MLP VAE: encoder 784-300-300-2L and decoder L-300-300-784 with ELU.

    The decoder's logits are offset by -5 (sigmoid(-5) = 0.007), so that training starts from
    nearly empty images, as MNIST mostly is.
    """

    def __init__(self, latent_dim: int = 100, hidden: int = 300) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, 784),
        )

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (B, 1, 28, 28) -> mu, logvar (B, L)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: Tensor) -> Tensor:
        """z (B, L) -> Bernoulli logits (B, 1, 28, 28)."""
        return (self.decoder(z) - 5.0).view(-1, 1, 28, 28)


class MLPAutoencoder(CourseVAE):
    """A deterministic autoencoder with the course MLP's layers (encoder 784-h-h-L).

    It shares the VAEs' interface: ``encode(x)`` returns ``(z, None)`` (no variance: the code
    is a point, not a distribution), ``decode(z)`` returns logits. :func:`elbo_terms` then uses
    z itself and a KL of 0, so the same training loop trains it on reconstruction alone.
    """

    def __init__(self, latent_dim: int = 100, hidden: int = 300) -> None:
        super().__init__(latent_dim, hidden)
        self.encoder[-1] = nn.Linear(hidden, latent_dim)

    def encode(self, x: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        """x (B, 1, 28, 28) -> (z (B, L), None)."""
        return self.encoder(x), None


def _groups(channels: int) -> int:
    """GroupNorm groups: 32 where the channels allow it, else channels / 4 (at least 1)."""
    return min(32, max(1, channels // 4))


class _ResBlock(nn.Module):
    """Pre-activation residual block: x + conv(act(norm(conv(act(norm(x)))))), (B, C, H, W).

    The GroupNorms keep each branch's input at unit scale however the weights grow. Without
    them the workbook's ConvVAE diverged at Adam 1e-3: Adam moves every weight by about the
    learning rate per step whatever its gradient, so after a few steps the zero-initialised
    branches add up over the six blocks of each path, the activations and the gradient norm
    grow by orders of magnitude (from 7 to 37000 in 7 steps) and the loss ends in inf or NaN.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.GroupNorm(_groups(channels), channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.GroupNorm(_groups(channels), channels),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        nn.init.zeros_(self.body[-1].weight)  # each block starts as the identity
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def soft_clamp(x: Tensor, low: float, high: float) -> Tensor:
    """``x`` inside (low, high): the identity well inside, smooth (softplus) at both ends.

    Unlike ``clamp`` it keeps a gradient everywhere, so a unit pushed past a bound can come back.
    """
    x = low + F.softplus(x - low)
    return high - F.softplus(high - x)


class ConvVAE(nn.Module):
    """The workbook's convolutional VAE for 1x28x28 binary images.

    Encoder: a 3x3 stem, then residual stages at 28, 14 and 7 pixels (``width``, ``2 width``,
    ``4 width`` channels, strided 4x4 convolutions between them) and a linear map to
    (mu, logvar). The decoder mirrors it with transposed convolutions. Residual blocks start as
    the identity and the output bias starts at ``logit(pixel mean)``, which make the first
    epochs fast. p(x|z) stays a product of independent Bernoullis.

    Stability (it trains at Adam 1e-3, tested for several seeds): GroupNorm before every
    activation (pre-activation residual blocks, and before each strided convolution, the
    encoder's linear head and the decoder's output convolution), a log-variance kept softly
    inside (``LOGVAR_MIN``, ``LOGVAR_MAX``), so that ``exp(logvar)`` in the KL and the
    reparameterisation cannot overflow, and a learning-rate warm-up (:func:`warmup_cosine`).
    """

    LOGVAR_MIN = -12.0  # posterior std >= 0.0025
    LOGVAR_MAX = 4.0  # posterior std <= 7.4 (the prior's is 1)

    def __init__(self, latent_dim: int = 100, width: int = 32, blocks: int = 1) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        w1, w2, w3 = width, 2 * width, 4 * width

        def stage(channels: int) -> list[nn.Module]:
            return [_ResBlock(channels) for _ in range(blocks)]

        def norm_act(channels: int) -> list[nn.Module]:
            return [nn.GroupNorm(_groups(channels), channels), nn.SiLU()]

        self.encoder = nn.Sequential(
            nn.Conv2d(1, w1, 3, padding=1),  # (B, 1, 28, 28) -> (B, w, 28, 28)
            *stage(w1),
            *norm_act(w1),
            nn.Conv2d(w1, w2, 4, stride=2, padding=1),  # -> (B, 2w, 14, 14)
            *stage(w2),
            *norm_act(w2),
            nn.Conv2d(w2, w3, 4, stride=2, padding=1),  # -> (B, 4w, 7, 7)
            *stage(w3),
            *norm_act(w3),  # unit-scale features for the head, whose fan-in is 4w * 49
            nn.Flatten(),
            nn.Linear(w3 * 49, 2 * latent_dim),  # (B, 4w * 49) -> (B, 2L): mu, logvar
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, w3 * 49),  # (B, L) -> (B, 4w * 49)
            nn.Unflatten(1, (w3, 7, 7)),
            *stage(w3),
            *norm_act(w3),
            nn.ConvTranspose2d(w3, w2, 4, stride=2, padding=1),  # -> (B, 2w, 14, 14)
            *stage(w2),
            *norm_act(w2),
            nn.ConvTranspose2d(w2, w1, 4, stride=2, padding=1),  # -> (B, w, 28, 28)
            *stage(w1),
            *norm_act(w1),
            nn.Conv2d(w1, 1, 3, padding=1),  # -> (B, 1, 28, 28) logits
        )
        nn.init.constant_(self.decoder[-1].bias, math.log(0.13 / 0.87))  # MNIST's ink

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (B, 1, 28, 28) -> mu, logvar (B, L); logvar softly bounded (see the class)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, soft_clamp(logvar, self.LOGVAR_MIN, self.LOGVAR_MAX)

    def decode(self, z: Tensor) -> Tensor:
        """z (B, L) -> Bernoulli logits (B, 1, 28, 28)."""
        return self.decoder(z)


# --------------------------------------------------------------------------------------------
# Objectives


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
        functions: course functions to use instead of this module's, by name
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
    bernoulli = _course(functions, "log_likelihood_bernoulli")
    if bernoulli is log_likelihood_bernoulli:  # from logits: stable for any logit
        recon = _bernoulli_log_lik_logits(model.decode(z), x)
    else:
        recon = bernoulli(torch.sigmoid(model.decode(z)), x)
    zeros = torch.zeros_like(mu)
    if kl == "analytic":
        kl_term = _course(functions, "kl_gaussian_gaussian_analytic")(mu, logvar, zeros, zeros)
    elif kl == "mc":
        mc = _course(functions, "kl_gaussian_gaussian_mc")
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
        functions: course functions to use instead of this module's, by name
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
            normal = _course(functions, "log_likelihood_normal")
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
        out.append(_course(functions, "log_mean_exp")(torch.cat(log_w, dim=1)))
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
        num_samples: K. functions: ``{"log_mean_exp": ...}`` to use instead of this module's.

    Returns:
        (N,) the estimates.
    """
    was_training = model.training
    model.eval()
    n = x.shape[0]
    z = torch.randn(n * num_samples, model.latent_dim, generator=generator).to(x.device)
    log_px_z = _log_px_given_codes(model, z.reshape(n, num_samples, -1), x)
    model.train(was_training)
    return _course(functions, "log_mean_exp")(log_px_z)


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


# --------------------------------------------------------------------------------------------
# Training


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
            (and before training) in the returned :class:`~helpers.training.Snapshots`.
        precision: of the training steps; default :func:`helpers.precision.choose_precision`.
            Validation runs in fp32.
        graphs: how the training steps run; default :func:`helpers.graphs.choose_graphs`
            (eager; with ``WORKBOOK_CUDA_GRAPHS=1``, replayed from a CUDA graph on CUDA in
            bf16 or fp32).
        functions: course functions to train and validate with instead of this module's
            (see :func:`elbo_terms`; :func:`helpers.check.use` picks a student's).

    Returns:
        The :class:`~helpers.training.TrainResult` (history per epoch: ``train_elbo``,
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
    if own := _not_the_reference(functions):  # a student's functions train their own checkpoint
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


# --------------------------------------------------------------------------------------------
# What a trained VAE shows


@torch.no_grad()
def decoder_means(model: nn.Module, z: Tensor) -> Tensor:
    """p(x = 1 | z) for codes z (B, L): the decoder's Bernoulli means, (B, 1, 28, 28)."""
    return torch.sigmoid(model.decode(z))


@torch.no_grad()
def prior_samples(model: nn.Module, n: int, *, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:  # fmt: skip
    """Draw z ~ N(0, I), then x ~ p(x|z).

    Returns:
        (means, samples): the Bernoulli means (n, 1, 28, 28) and binary samples from them.
    """
    z = torch.randn(n, model.latent_dim, generator=generator).to(device)
    means = decoder_means(model, z)
    return means, torch.bernoulli(means)


@torch.no_grad()
def reconstruct(model: nn.Module, x: Tensor) -> Tensor:
    """Decoder means at the posterior mean of each image: x (B, 1, 28, 28) -> (B, 1, 28, 28)."""
    mu, _ = model.encode(x)
    return decoder_means(model, mu)


@torch.no_grad()
def reconstruction_error(model: nn.Module, x: Tensor, batch_size: int = 1000) -> float:
    """Mean over images of the summed squared error between x and its reconstruction
    (:func:`reconstruct`); x (N, 1, 28, 28) in [0, 1]."""
    model.eval()
    total = 0.0
    for i in range(0, x.shape[0], batch_size):
        xb = x[i : i + batch_size]
        total += (reconstruct(model, xb) - xb).pow(2).flatten(1).sum(1).sum().item()
    return total / x.shape[0]


@torch.no_grad()
def latent_manifold(model: nn.Module, n: int = 20, *, device: torch.device | str = "cpu") -> Tensor:
    """Decoder means over an n x n grid of the prior's quantiles (2-d latent models only).

    The grid's coordinates are Phi^-1(q) for q evenly spaced in (0, 1), so that each cell holds
    the same prior mass (Kingma & Welling 2014, figure 4).

    Returns:
        (n * n, 1, 28, 28), row-major: rows go down the second coordinate.
    """
    if model.latent_dim != 2:
        raise ValueError(
            f"the manifold needs a 2-d latent space, this model's is {model.latent_dim}-d"
        )
    q = torch.linspace(0.5 / n, 1 - 0.5 / n, n)
    values = torch.distributions.Normal(0.0, 1.0).icdf(q)
    zy, zx = torch.meshgrid(values.flip(0), values, indexing="ij")
    z = torch.stack([zx.flatten(), zy.flatten()], 1).to(device)
    return decoder_means(model, z)


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
