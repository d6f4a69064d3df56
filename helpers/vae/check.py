"""Checks that teach, Problem 1: the VAE functions against :mod:`helpers.vae`'s.

Each runs the student's function as training does: the Bernoulli term on a batch of 4-D
"images" mu = sigmoid(logits) (and on the course's 2-D rows), the Gaussian terms on 2-D latents
(batch, L) that carry gradients, then one backward pass whose gradients must equal the
reference's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..common import checking
from ..common.checking import (
    LOG_2PI,
    Mistake,
    Result,
    backward,
    call,
    checked,
    close,
    factor,
    finite,
    grads,
    leaf,
    per_example,
    show,
    tensor,
)  # fmt: skip
from . import course as vae  # the references

__all__ = [
    "REFERENCES", "kl_gaussian_gaussian_analytic", "kl_gaussian_gaussian_mc",
    "log_likelihood_bernoulli", "log_likelihood_normal", "log_mean_exp", "use",
]  # fmt: skip

B, L, K = 5, 6, 7  # batch, latent size, samples per example (log_mean_exp)
IMAGE = (B, 1, 4, 4)  # a batch of 5 "images" of D = 16 values each
D = 16
KEEP_GRAPH = (
    "Training backpropagates through it into the encoder and decoder: keep every step a torch "
    "operation on the inputs (no .item(), .detach(), .numpy(), torch.no_grad or torch.tensor(...) "
    "of values)."
)
_LATENTS = (
    "Training calls it with 2-D latents (batch, L) = (5, 6): flatten each example and sum over "
    "dim 1."
)


def _values(name: str, out: Tensor, ref: Tensor, extra: dict[float, str], hint: str,
            tol: float = 1e-4) -> None:  # fmt: skip
    """Values against the reference, naming a sign error or a constant factor first."""
    if close(out, ref, tol):
        return
    what = factor(out, ref, {-1.0: "sign", **extra})
    if what == "sign":
        raise Mistake(f"sign error: {name} returns minus the expected values ({show(ref)}).")
    if what:
        raise Mistake(f"{what}: {name} returns {show(out)}; expected {show(ref)}.")
    raise Mistake(f"wrong values: {name} returns {show(out)}; expected {show(ref)}. {hint}".strip())


def _gradients(name: str, out: Tensor, inputs: dict[str, Tensor], ref: list[Tensor],
               tol: float = 1e-3) -> None:  # fmt: skip
    got = backward(name, out, inputs.values(), KEEP_GRAPH)
    for (label, _), g, r in zip(inputs.items(), got, ref, strict=True):
        if g is None or not g.abs().sum() > 0:
            raise Mistake(f"no gradient reaches {label}. {KEEP_GRAPH}")
        if not close(g, r, tol):
            raise Mistake(
                f"the gradient with respect to {label} is wrong ({show(g)}, expected "
                f"{show(r)}), though the values are right: is part of the computation detached?"
            )


@checked("log_likelihood_bernoulli", 5)
def log_likelihood_bernoulli(fn: Callable[[Tensor, Tensor], Tensor]) -> None:
    """Images (batch, 1, 4, 4) as the decoder gives them, mu = sigmoid(logits): shape, values
    (sign, sum, factor D), gradients to the logits, the course's 2-D rows, then mu exactly 0
    and 1."""
    name, names = "log_likelihood_bernoulli", ("mu", "target")
    logits = leaf(torch.randn(IMAGE) * 1.5)
    target = torch.bernoulli(torch.full(IMAGE, 0.5))
    mu = torch.sigmoid(logits)  # not a leaf: the decoder's output, as in training
    out = per_example(name, call(name, fn, (mu, target), names), B, D)
    ref = vae.log_likelihood_bernoulli(mu, target)
    _values(name, out, ref, {1 / D: f"a mean over the D = {D} values of each example, off by a "
                             "factor of D: sum them", 1 / B: f"divided by the batch size B = {B}"},
            "log p(target | mu) = sum of target log mu + (1 - target) log(1 - mu).")  # fmt: skip
    _gradients(
        name,
        out,
        {"mu": logits},
        grads(lambda lg: vae.log_likelihood_bernoulli(torch.sigmoid(lg), target), [logits]),
    )
    rows = call(name, fn, (mu.detach().reshape(B, D), target.reshape(B, D)), names,
                "The course passes 2-D rows (batch_size, input_size): flatten each example "
                "(x.reshape(x.shape[0], -1)) rather than summing dims (1, 2, 3).")  # fmt: skip
    if not close(per_example(name, rows, B, D), ref):
        raise Mistake(f"{name} is right on (5, 1, 4, 4) images but not on the course's 2-D "
                      f"rows (5, 16): {show(rows)}, expected {show(ref)}.")  # fmt: skip
    for what, mu in (("1.0 (sigmoid(30) in fp32)", torch.sigmoid(target * 60 - 30)),
                     ("exactly 0 and 1", target)):  # fmt: skip
        logits = leaf(mu)
        out = tensor(name, call(name, fn, (logits * 1, target), names))
        grad = backward(name, out, [logits])[0]
        if (not torch.isfinite(out).all() or not close(out, torch.zeros(B), 1e-2)
                or (grad is not None and not torch.isfinite(grad).all())):  # fmt: skip
            raise Mistake(
                f"no clamp at mu = 0 or 1: with mu {what} where the target is 1 (and about 0 "
                f"where it is 0) the log-likelihood is about 0, yours gives {show(out)}. The "
                "workbook is stricter than the course here: its decoder's sigmoid gives exactly "
                "1.0 in fp32 for logits above about 17, and 0 * log(0) is then NaN, so clamp mu "
                "to [eps, 1 - eps] (eps = 1e-7, say) before taking logs."
            )


@checked("log_likelihood_normal", 4)
def log_likelihood_normal(fn: Callable[[Tensor, Tensor, Tensor], Tensor]) -> None:
    """2-D latents (batch, L) with gradients: shape, values (sign, the log 2 pi constant,
    the factors 1/2 and L, logvar as a log-variance), gradients to mu, logvar and z."""
    name, names = "log_likelihood_normal", ("mu", "logvar", "z")
    mu, logvar, z = leaf(torch.randn(B, L)), leaf(torch.randn(B, L) * 0.5), leaf(torch.randn(B, L))
    out = per_example(name, call(name, fn, (mu, logvar, z), names, _LATENTS), B, L)
    ref = vae.log_likelihood_normal(mu, logvar, z)
    if close(out, ref + 0.5 * L * LOG_2PI, 1e-3):
        raise Mistake(f"the constant is missing: {name} returns {show(out)}; expected "
                      f"{show(ref)}: each dimension adds -1/2 log(2 pi) to log N.")  # fmt: skip
    sq = ((z - mu) ** 2 * torch.exp(-logvar)).sum(1)
    if close(out, ref - 0.5 * sq, 1e-3):
        raise Mistake("the 1/2 in front of (z - mu)^2 / sigma^2 is missing.")
    std = -0.5 * (LOG_2PI + 2 * logvar + (z - mu) ** 2 * torch.exp(-2 * logvar)).sum(1)
    if close(out, std, 1e-3):
        raise Mistake("logvar is the log-variance log sigma^2, not log sigma: sigma^2 = "
                      "exp(logvar).")  # fmt: skip
    _values(name, out, ref, {2.0: "exactly twice the log-density: the factor 1/2 is missing",
                             1 / L: f"a mean over the L = {L} dimensions, off by a factor of L: "
                             "sum them"},
            "log N(z; mu, sigma^2), sigma^2 = exp(logvar), summed over dimensions.")  # fmt: skip
    _gradients(name, out, {"mu": mu, "logvar": logvar, "z": z},
               grads(vae.log_likelihood_normal, [mu, logvar, z]))  # fmt: skip


@checked("log_mean_exp", 4)
def log_mean_exp(fn: Callable[[Tensor], Tensor]) -> None:
    """Shape (batch,), values (mean not sum), then each row alone far from 0 (overflow), then
    rows of very different scales in one batch (a maximum per row)."""
    name, names = "log_mean_exp", ("y",)
    y = torch.randn(B, K) * 2
    out = tensor(name, call(name, fn, (y,), names))
    if tuple(out.shape) != (B,):
        how = "averages over the batch (dim 0) and" if tuple(out.shape) == (K,) else ""
        raise Mistake(
            f"wrong output shape: log_mean_exp {how} returns shape {tuple(out.shape)}; y is "
            f"(batch, samples) = ({B}, {K}): average over the samples (dim 1), one value per "
            f"example, shape ({B},)."
        )
    ref = vae.log_mean_exp(y)
    if close(out, ref + math.log(K)):
        raise Mistake(
            f"log_mean_exp computes log sum exp, off by log K = log {K}: divide by the number "
            "of samples (the mean, not the sum), i.e. subtract log(samples)."
        )
    if close(out, ref - y.max(1).values):
        raise Mistake("the row maximum a is not added back: a + log(mean(exp(y - a))).")
    if not close(out, ref):
        raise Mistake(f"wrong values: log_mean_exp returns {show(out)}; expected {show(ref)}.")
    offsets = torch.tensor([0.0, -90.0, -260.0, 200.0, 1e4])
    wide = torch.randn(B, K) + offsets[:, None]
    expected = vae.log_mean_exp(wide)
    for row, offset in zip(wide, offsets.tolist(), strict=True):
        alone = tensor(name, call(name, fn, (row[None],), names)).reshape(-1)
        if not torch.isfinite(alone).all() or not close(alone, vae.log_mean_exp(row[None])):
            raise Mistake(
                f"overflow: for y around {offset:+.0f}, log_mean_exp gives {show(alone)} instead "
                f"of about {offset:+.0f}; exp(y) over- or underflows there in fp32. Subtract "
                "the row maximum a first: a + log(mean(exp(y - a)))."
            )
    out = tensor(name, call(name, fn, (wide,), names))
    if not close(out, expected):
        raise Mistake(
            f"one maximum for the whole batch: with rows around 0, -90, -260, +200 and +1e4 in "
            f"one batch, log_mean_exp gives {show(out)}, expected {show(expected)}: rows far "
            "below the batch's maximum underflow. Take a per row, y.max(dim=1, keepdim=True)."
        )


def _gaussians() -> list[Tensor]:
    """mu_q, logvar_q, mu_p, logvar_p: (batch, L) leaves."""
    return [leaf(torch.randn(B, L) * s) for s in (1.0, 0.5, 1.0, 0.5)]


_KL_FACTORS = {
    2.0: "exactly twice the KL: the factor 1/2 in front is missing",
    0.5: "exactly half the KL: a factor 1/2 too many",
    1 / L: f"a mean over the L = {L} latent dimensions, off by a factor of L: sum them",
    1 / B: f"divided by the batch size B = {B}: one KL per example, summed over dimensions",
}


@checked("kl_gaussian_gaussian_analytic", 4)
def kl_gaussian_gaussian_analytic(fn: Callable[..., Tensor]) -> None:
    """2-D latents with gradients: shape, values (sign, factors 1/2 and L, KL(p || q)) for the
    prior N(0, I) as training uses and for any p, gradients to the four inputs."""
    name, names = "kl_gaussian_gaussian_analytic", ("mu_q", "logvar_q", "mu_p", "logvar_p")
    args = _gaussians()
    zeros = torch.zeros(B, L)
    for prior in ((zeros, zeros), tuple(args[2:])):
        inputs = (*args[:2], *prior)
        out = per_example(name, call(name, fn, inputs, names, _LATENTS), B, L)
        ref = vae.kl_gaussian_gaussian_analytic(*inputs)
        if close(out, vae.kl_gaussian_gaussian_analytic(*prior, *args[:2]), 1e-3):
            raise Mistake(f"{name} computes KL(p || q): the divergence asked for is KL(q || p), "
                          "with the expectation under q.")  # fmt: skip
        if prior[0] is not zeros and close(
                out, vae.kl_gaussian_gaussian_analytic(*args[:2], zeros, zeros)):  # fmt: skip
            raise Mistake(f"{name} assumes p = N(0, I): it must use mu_p and logvar_p.")
        _values(name, out, ref, _KL_FACTORS,
                "KL(q || p) for diagonal Gaussians, summed over dimensions.")  # fmt: skip
    _gradients(name, out, dict(zip(names, args, strict=True)),
               grads(vae.kl_gaussian_gaussian_analytic, args))  # fmt: skip


@checked("kl_gaussian_gaussian_mc", 6)
def kl_gaussian_gaussian_mc(fn: Callable[..., Tensor]) -> None:
    """2-D latents with gradients: shape, estimates that vary with the seed, a spread that
    shrinks like 1/sqrt(num_samples), a mean equal to the analytic KL (sign, factors), and
    gradients through the draws (reparameterised)."""
    name, names = "kl_gaussian_gaussian_mc", ("mu_q", "logvar_q", "mu_p", "logvar_p")
    args = _gaussians()
    exact = vae.kl_gaussian_gaussian_analytic(*args).detach()

    def estimate(k: int) -> Tensor:
        return tensor(name, call(name, fn, (*args, k), names, _LATENTS)).detach()

    out = estimate(3)
    if tuple(out.shape) in ((B, 3), (3, B)):
        raise Mistake(
            f"wrong output shape: {name} returns one value per draw, shape {tuple(out.shape)}; "
            f"average over the num_samples draws, shape ({B},)."
        )
    if tuple(out.shape) == (3,):
        raise Mistake(f"wrong output shape: {name} returns shape (3,), one value per draw: it "
                      f"averages over the batch instead of the num_samples draws; shape ({B},) "
                      "is expected.")  # fmt: skip
    per_example(name, out, B, L)
    first, again = estimate(1), estimate(1)
    if close(first, again, 1e-6):
        if close(first, exact, 1e-4):
            raise Mistake(
                f"{name} returns the analytic KL, the same at every call: a Monte-Carlo "
                "estimate draws num_samples z ~ q per example and averages log q(z) - log p(z)."
            )
        raise Mistake(f"{name} returns the same values at every call: it must draw z ~ q at "
                      "random, num_samples of them per example.")  # fmt: skip
    runs1 = torch.stack([estimate(1) for _ in range(32)])
    runs100 = torch.stack([estimate(100) for _ in range(32)])
    ratio = (runs1.std(0) / runs100.std(0).clamp_min(1e-12)).mean().item()
    scale = (runs100.mean(0) / runs1.mean(0)).median().item()
    if ratio < 4 and 0.5 < scale < 2:
        raise Mistake(
            f"{name} ignores num_samples: with 100 draws its estimates vary as much as with 1 "
            f"(spread ratio {ratio:.2g}, expected about 10 = sqrt(100)); draw num_samples z per "
            "example and average over them."
        )
    k_big = 20_000
    out = tensor(name, call(name, fn, (*args, k_big), names))
    big = out.detach()
    finite(name, big, f" with num_samples = {k_big}")
    tol = 6 * runs1.std(0) / math.sqrt(k_big) + 1e-3
    if not ((big - exact).abs() < tol).all():
        if ((big + exact).abs() < tol).all():
            raise Mistake(f"sign error: {name} returns minus the KL; average log q(z) - log p(z) "
                          "over draws z from q.")  # fmt: skip
        named = {
            float(k_big): f"it sums over the draws: with num_samples = {k_big} it gives {k_big} "
            "times the KL; average over them.",
            k_big / L: f"it sums over the draws and averages over the L = {L} dimensions: swap "
            "them (average over the draws, sum over the dimensions).",
            1 / L: f"a mean over the L = {L} dimensions, off by a factor of L: sum them.",
            2.0: "exactly twice the KL.",
            0.5: "exactly half the KL.",
        }
        why = factor(big, exact, named, tol=0.02) or (
            "average log q(z) - log p(z) over draws z ~ q, summed over dimensions."
        )
        raise Mistake(f"wrong values: with {k_big} draws {name} gives {show(big)}, but the KL "
                      f"is {show(exact)}: {why}")  # fmt: skip
    got = backward(name, out, args[:2])
    ref = grads(vae.kl_gaussian_gaussian_analytic, args)[:2]
    if any(g is None or (g - r).abs().mean() > 0.15 for g, r in zip(got, ref, strict=True)):
        raise Mistake(
            "the gradient does not flow through the draws. The workbook is stricter than the "
            "course here: its kl='mc' training backpropagates through z into the encoder, so "
            "draw z = mu_q + exp(logvar_q / 2) * eps with eps ~ N(0, I) (the "
            "reparameterisation, or Normal(...).rsample()), not with torch.normal, .sample() or "
            "under no_grad."
        )


REFERENCES: dict[str, tuple[Callable[..., Any], Callable[[Any], Result]]] = {
    name: (getattr(vae, name), globals()[name])
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
