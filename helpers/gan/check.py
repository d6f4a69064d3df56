"""Checks that teach, Problem 2: the WGAN-LP functions against :mod:`helpers.gan`'s.

Each runs the student's function as the critic's update does: equal batches of real and
generated 4-D images without gradients, a critic with parameters, then one backward pass into
the critic's parameters, whose gradient must equal the reference's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..common import checking
from ..common.checking import (
    Mistake,
    Result,
    backward,
    call,
    checked,
    close,
    factor,
    scalar,
    show,
)  # fmt: skip
from . import course

__all__ = ["REFERENCES", "lp_reg", "use", "vf_wasserstein_distance"]

B, IMAGE = 6, (3, 2, 2)  # batches of 6 "images" of 12 values each
KEEP_GRAPH = (
    "The critic trains on it: keep every step a torch operation (no .item(), .detach(), "
    ".numpy() or torch.no_grad)."
)


class _Linear(nn.Module):
    """f(x) = a . x per example, shape (batch,), like the course's critic."""

    def __init__(self) -> None:
        super().__init__()
        a = torch.randn(12)
        self.a = nn.Parameter(a / a.norm())

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1) @ self.a


@checked("vf_wasserstein_distance", 4)
def vf_wasserstein_distance(fn: Callable[..., Tensor]) -> None:
    """Equal batches of real p and generated q: one number, mean f(p) - mean f(q) (sign with
    the handout's eq. (1) named, means, no absolute value), gradients to the critic."""
    name, names = "vf_wasserstein_distance", ("p", "q", "critic")
    critic = _Linear()
    runs = []
    for shift in (1.0, -1.0):  # the critic scores real images higher, then lower
        p = torch.randn(B, *IMAGE) + shift * critic.a.detach().reshape(IMAGE) * 2
        q = torch.randn(B, *IMAGE)
        out = scalar(name, call(name, fn, (p, q, critic), names))
        with torch.no_grad():
            ref = critic(p).mean() - critic(q).mean()
        runs.append((p, q, out, ref))
    if all(close(out, -ref) for _, _, out, ref in runs):
        out, ref = runs[0][2:]
        raise Mistake(
            f"sign error, a matter of convention: {name} returns mean f(q) - mean f(p) = "
            f"{out.item():.4g}, generated minus real, as the handout's eq. (1) writes the "
            "objective the critic minimises. This workbook's function returns the estimate of "
            f"W itself, real minus generated, mean f(p) - mean f(q) = {ref.item():.4g}, which "
            "the critic maximises (its loss, -vf_wasserstein_distance + lam * lp_reg, is then "
            "exactly eq. (3)): flip the sign."
        )
    if all(close(out, ref.abs()) for _, _, out, ref in runs):
        out, ref = runs[1][2:]
        raise Mistake(
            f"{name} takes the absolute value: it returns {out.item():.4g} where the estimate "
            f"is {ref.item():.4g}. The estimate is signed, negative while the critic scores "
            "generated images higher than real ones: return mean f(p) - mean f(q) as it is."
        )
    for _, _, out, ref in runs:
        if not close(out, ref):
            what = factor(out, ref, {float(B): f"it sums the scores over the batch, B = {B} "
                                     "times the mean: take means, mean f(p) - mean f(q)",
                                     2.0: "exactly twice the estimate",
                                     0.5: "exactly half the estimate"})  # fmt: skip
            raise Mistake(f"{what or 'wrong values'}: {name} returns {out.item():.4g}; "
                          f"expected mean f(p) - mean f(q) = {ref.item():.4g}.")  # fmt: skip
    p, q, out, ref = runs[-1]
    (grad,) = backward(name, out, [critic.a], KEEP_GRAPH)
    (expected,) = torch.autograd.grad(critic(p).mean() - critic(q).mean(), critic.a)
    if grad is None:
        raise Mistake(f"{name} is detached: no gradient reaches the critic. {KEEP_GRAPH}")
    if not close(grad, expected):
        raise Mistake(f"the critic's gradient through {name} is wrong: {show(grad)}, expected "
                      f"{show(expected)}.")  # fmt: skip


class _Quadratic(nn.Module):
    """f(x) = c ||x||^2 / 2 per example, whose gradient c x has norm c ||x||: different for
    each example; remembers its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.c = nn.Parameter(torch.tensor(1.0))
        self.seen: list[Tensor] = []

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append(x.detach().clone())
        return 0.5 * self.c * x.flatten(1).pow(2).sum(1)


def _segment() -> tuple[Tensor, Tensor]:
    """x (real) and y (generated), (8, 3, 2, 2), with x - y > 0.03 in every value: examples
    whose points between them have gradient norms below 1, around 1, and above 1."""
    v = torch.rand(8, 12) + 1
    v = v / v.norm(dim=1, keepdim=True)
    scale = torch.tensor([0.5, 0.8, 1.2, 1.5, 1.8, 2.5, 3.0, 4.0])[:, None]
    x = (scale * v).reshape(8, *IMAGE)
    return x, 0.5 * x


def _penalty(norms: Tensor) -> Tensor:
    return F.relu(norms - 1).pow(2).mean()


@checked("lp_reg", 6)
def lp_reg(fn: Callable[..., Tensor]) -> None:
    """Points x_hat on the segments (one t per example), the hinge at 1 on gradient norms that
    differ across examples and straddle 1 (square, mean, per-example norm), gradients to the
    critic."""
    name, names = "lp_reg", ("x", "y", "critic")
    x, y = _segment()
    critic = _Quadratic()
    try:
        out = call(name, fn, (x, y, critic), names)
    except Mistake as err:
        text = str(err)
        if "retain_grad" in text or "does not require grad" in text:
            text += (
                " x and y come without gradients (real images, and generated ones made under "
                "no_grad): make x_hat require them, x_hat.requires_grad_(True), before calling "
                "the critic."
            )
        raise Mistake(text) from None
    seen = [s for s in critic.seen if s.shape == x.shape]
    if not seen:
        raise Mistake("lp_reg never calls the critic on a batch of points x_hat, (8, 3, 2, 2): "
                      "it needs f(x_hat) for its gradient.")  # fmt: skip
    x_hat = seen[-1]
    t = ((x_hat - y) / (x - y)).flatten(1)
    if not (t.min() >= -1e-5 and t.max() <= 1 + 1e-5):
        raise Mistake(
            "the interpolation points are not between the real and generated images: use "
            "x_hat = t x + (1 - t) y with t ~ U[0, 1], one t per example."
        )
    if ((t - 1).abs().max() < 1e-5) or (t.abs().max() < 1e-5):
        which = "real" if (t - 1).abs().max() < 1e-5 else "generated"
        raise Mistake(
            f"the points x_hat are the {which} images themselves: the penalty is taken between "
            "them, x_hat = t x + (1 - t) y with t ~ U[0, 1], one t per example."
        )
    if ((t.max(1).values - t.min(1).values) > 1e-4).any():
        raise Mistake(
            "one t per value: x_hat must lie on the segment between x_i and y_i, so draw one t "
            "per example, of shape (batch, 1, 1, 1), and broadcast it."
        )
    if (t[:, 0].max() - t[:, 0].min()) < 0.05:
        raise Mistake(
            "one t for the whole batch: every example gets the same t; draw one t per example, "
            "t = torch.rand(batch, 1, 1, 1), so that the points cover the segments."
        )
    out = scalar(name, out)
    grad_points = critic.c.detach() * x_hat  # the gradient of f at each x_hat
    norms = grad_points.flatten(1).norm(dim=1)
    ref = _penalty(norms)
    if not close(out, ref):
        candidates = {
            "it penalises norms below 1 too: (||grad f(x_hat)|| - 1)^2 is WGAN-GP's two-sided "
            "penalty; the handout's eq. (2) is max(0, ||grad f(x_hat)|| - 1)^2, zero wherever "
            "the norm is at most 1": ((norms - 1) ** 2).mean(),
            "the square is missing: the mean of max(0, ||grad f(x_hat)|| - 1)^2":
                F.relu(norms - 1).mean(),
            "it squares the mean instead of averaging the squares: the mean of "
            "max(0, ||grad f(x_hat)|| - 1)^2": F.relu(norms - 1).mean() ** 2,
            "it takes one norm over the whole batch: the norm is per example, "
            "grad.reshape(batch, -1).norm(dim=1)": F.relu(grad_points.norm() - 1) ** 2,
            "it uses the squared norm ||grad||^2 (no square root) in the hinge":
                F.relu(norms**2 - 1).pow(2).mean(),
            "it penalises the gradient norm itself (squared), not only the part above 1: "
            "eq. (2) is max(0, ||grad f(x_hat)|| - 1)^2": (norms**2).mean(),
            "it takes the norm over dim 1 (the channels) only: flatten each example, "
            "grad.reshape(batch, -1).norm(dim=1)": _penalty(grad_points.norm(dim=1)),
            f"it sums over the batch, {len(norms)} times the mean: take the mean over examples":
                F.relu(norms - 1).pow(2).sum(),
        }  # fmt: skip
        why = next((text for text, value in candidates.items() if close(out, value, 1e-3)), None)
        raise Mistake(
            f"{why or 'wrong values'}: lp_reg gives {out.item():.4g} for these points, where the "
            f"penalty is {ref.item():.4g} (gradient norms {show(norms)}...)."
        )
    (grad,) = backward(name, out, [critic.c], KEEP_GRAPH)
    c = critic.c.detach().clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(_penalty(c * x_hat.flatten(1).norm(dim=1)), c)
    if grad is None or not close(grad, expected, 1e-3):
        raise Mistake(
            "no gradient reaches the critic's parameters: take grad f(x_hat) with "
            "torch.autograd.grad(..., create_graph=True), so that the penalty can train the "
            "critic through that gradient."
        )


REFERENCES: dict[str, tuple[Callable[..., Any], Callable[[Any], Result]]] = {
    "vf_wasserstein_distance": (course.vf_wasserstein_distance, vf_wasserstein_distance),
    "lp_reg": (course.lp_reg, lp_reg),
}
"""Course name -> (the reference in :mod:`helpers.gan`, its checks in this module)."""


def use(**functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """The functions to train with: each of ``functions`` (by its course name) where it passes
    its checks, else the reference from :mod:`helpers.gan`, printing that it falls back.

    The reference itself is taken as it is, unchecked (the workbook edition passes it).
    """
    return checking.use(REFERENCES, "helpers.gan", **functions)
