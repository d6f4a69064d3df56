"""Checks that teach: each graded function of the course against the reference in ``helpers``.

``check.log_mean_exp(f)`` (one such function per graded function) runs ``f`` on random and edge
inputs and returns a :class:`Result` naming the *first* thing wrong in a sentence, or saying
that every check passes; it never raises. :func:`use` and :func:`use_simsiam` pick what training
runs on: the student's function where it passes its checks, else the reference, saying so.
Checks draw their inputs under their own seed, leaving the caller's random state untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from . import gan, simsiam, vae

__all__ = [
    "REFERENCES", "Result", "cosine_similarity", "kl_gaussian_gaussian_analytic",
    "kl_gaussian_gaussian_mc", "log_likelihood_bernoulli", "log_likelihood_normal",
    "log_mean_exp", "lp_reg", "simsiam_forward", "simsiam_loss", "use", "use_simsiam",
    "vf_wasserstein_distance",
]  # fmt: skip

B, SHAPE = 4, (4, 1, 3, 3)  # a batch of 4 "images" of 9 values each


class Mistake(Exception):
    """What a check found, as the sentence a student reads."""


@dataclass(frozen=True)
class Result:
    """The outcome of one function's checks: ``passed``, and the sentence to read."""

    name: str
    passed: bool
    message: str

    def __repr__(self) -> str:
        mark = "PASS" if self.passed else "NOT YET"
        return f"{mark} {self.name}: {self.message}"

    __str__ = __repr__


def _checked(name: str, count: int) -> Callable[[Callable[..., None]], Callable[..., Result]]:
    """Run a check body under a fixed seed (restoring the caller's random state) and turn what
    it raises into a :class:`Result`."""

    def wrap(body: Callable[..., None]) -> Callable[..., Result]:
        def run(fn: Any) -> Result:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                try:
                    body(fn)
                except Mistake as err:
                    return Result(name, False, str(err))
            return Result(name, True, f"all {count} checks pass.")

        run.__name__ = run.__qualname__ = name
        run.__doc__ = body.__doc__
        return run

    return wrap


def _call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args)``, with anything it raises turned into a :class:`Mistake`."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise Mistake("not written yet (it raises NotImplementedError).") from None
    except Exception as err:  # any error is the student's to read
        shapes = ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, Tensor))
        raise Mistake(
            f"{name} raised {type(err).__name__}: {err} (inputs of shapes {shapes})."
        ) from None


def _tensor(name: str, out: Any) -> Tensor:
    """``out``, which must be a tensor."""
    if not isinstance(out, Tensor):
        raise Mistake(f"{name} returns a {type(out).__name__}; a torch tensor is expected.")
    return out


def _close(a: Tensor, b: Tensor, tol: float = 1e-4) -> bool:
    a, b = a.detach().double(), b.detach().double()
    return a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol)


def _show(t: Tensor) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in t.detach().flatten()[:4].tolist()) + "]"


def _per_example(name: str, out: Any, batch: int = B, dims: int = 9) -> Tensor:
    """The output of a function that returns one value per example, shape (batch,)."""
    out = _tensor(name, out)
    shape = tuple(out.shape)
    if out.numel() == batch * dims and out.ndim > 1 and shape[0] == batch:
        why = f"a sum over dimensions is missing: {name} returns one value per dimension {shape}"
    elif out.numel() == 1:
        why = f"wrong output shape: {name} returns one number for the whole batch"
    elif shape != (batch,):
        why = f"wrong output shape: {name} returns shape {shape}"
    else:
        return out
    raise Mistake(
        f"{why}; per-example values are expected, shape ({batch},): flatten each example and sum "
        "over its values, not over the batch."
    )


def _compare(name: str, out: Tensor, ref: Tensor, tol: float = 1e-4, half: bool = False) -> None:
    """Values against the reference, naming a sign error or a factor of 2 first."""
    if _close(out, ref, tol):
        return
    if _close(out, -ref, tol):
        raise Mistake(f"sign error: {name} returns minus the expected values ({_show(ref)}).")
    if half and (_close(out, 2 * ref, tol) or _close(out, ref / 2, tol)):
        raise Mistake(
            f"a factor of 1/2 is off: {name} returns {_show(out)} instead of {_show(ref)}; the "
            "KL between Gaussians is 1/2 sum(...) over dimensions."
        )
    raise Mistake(f"wrong values: {name} returns {_show(out)}; expected {_show(ref)}.")


# Problem 1


@_checked("log_likelihood_bernoulli", 4)
def log_likelihood_bernoulli(fn: Callable[[Tensor, Tensor], Tensor]) -> None:
    """Shape, values (sign, sum) on random inputs, then mu exactly 0 and 1."""
    name = "log_likelihood_bernoulli"
    mu = torch.rand(SHAPE) * 0.9 + 0.05
    target = torch.bernoulli(torch.full(SHAPE, 0.5))
    out = _per_example(name, _call(name, fn, mu, target))
    _compare(name, out, vae.log_likelihood_bernoulli(mu, target))
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
    ref = vae.log_likelihood_normal(mu, logvar, z)
    if _close(out, ref + 0.5 * 9 * vae.LOG_2PI, 1e-3):
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
    ref = vae.log_mean_exp(y)
    if _close(out, ref + math.log(5)):
        raise Mistake(
            "log_mean_exp computes log sum exp: divide by the number of samples (the mean, "
            "not the sum), i.e. subtract log(samples)."
        )
    _compare(name, out, ref)
    for offset in (1e4, -1e4):
        big = torch.randn(3, 5, dtype=torch.float64) + offset
        out = _tensor(name, _call(name, fn, big))
        if not torch.isfinite(out).all() or not _close(out, vae.log_mean_exp(big)):
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
    _compare(name, out, vae.kl_gaussian_gaussian_analytic(mu_q, logvar_q, zeros, zeros), half=True)
    args = _gaussians()
    out = _per_example(name, _call(name, fn, *args))
    ref = vae.kl_gaussian_gaussian_analytic(*args)
    if _close(out, vae.kl_gaussian_gaussian_analytic(args[0], args[1], zeros, zeros)):
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
    exact = vae.kl_gaussian_gaussian_analytic(*args)
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
    exact = torch.autograd.grad(vae.kl_gaussian_gaussian_analytic(mu_q, *args[1:]).sum(), mu_q)[0]
    if grad is None or (grad - exact).abs().mean() > 0.15:
        raise Mistake(
            "the gradient does not flow through the draws: draw z = mu_q + exp(logvar_q / 2) * "
            "eps with eps ~ N(0, I) (the reparameterisation), not with .sample() or under "
            "no_grad."
        )


# Problem 2


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


# Problem 3


@_checked("CosineSimilarity.forward", 3)
def cosine_similarity(cls: type[nn.Module]) -> None:
    """Per-example values, normalised, a zero vector gives 0 (not NaN)."""
    name = "CosineSimilarity.forward"
    x1, x2 = torch.randn(6, 5) * 3, torch.randn(6, 5)
    out = _per_example(name, _call(name, lambda a, b: cls(dim=1)(a, b), x1, x2), 6, 5)
    if _close(out, (x1 * x2).sum(1)):
        raise Mistake(
            "the cosine similarity is not normalised: divide the dot product x1 . x2 by "
            "||x1|| ||x2||, so that it lies in [-1, 1]."
        )
    _compare(name, out, simsiam.CosineSimilarity(dim=1)(x1, x2))
    zero = torch.zeros(6, 5)
    out = _call(name, lambda a, b: cls(dim=1)(a, b), zero, x2)
    if not torch.isfinite(out).all():
        raise Mistake(
            "a zero vector gives NaN: divide by max(||x1|| ||x2||, eps), not by the norms alone."
        )


def _tiny(cls: type[simsiam.SimSiam], stop_gradient: bool = True) -> simsiam.SimSiam:
    return cls(simsiam.cifar_resnet(4, (1, 1, 1, 1), 2), dim=16, pred_dim=8,
               stop_gradient=stop_gradient)  # fmt: skip


@_checked("SimSiam.forward", 3)
def simsiam_forward(cls: type[simsiam.SimSiam]) -> None:
    """p = predictor(encoder(x)), z = encoder(x), z detached exactly when stop_gradient."""
    name = "SimSiam.forward"
    x1, x2 = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    for stop in (True, False):
        model = _tiny(cls, stop)
        out = _call(name, model, x1, x2)
        if not (isinstance(out, tuple | list) and len(out) == 4):
            raise Mistake(f"{name} must return four tensors, (p1, p2, z1, z2).")
        ref = simsiam.SimSiam.forward(model, x1, x2)
        for label, a, b in zip(("p1", "p2", "z1", "z2"), out, ref, strict=True):
            if not isinstance(a, Tensor) or not _close(a, b):
                raise Mistake(
                    f"{label} is wrong: z = encoder(x) (the projection) and p = predictor(z), "
                    "returned as (p1, p2, z1, z2)."
                )
        if stop and (out[2].requires_grad or out[3].requires_grad):
            raise Mistake(
                "the stop-gradient is missing: with stop_gradient=True, z1 and z2 must be "
                "detached, so that the loss sends no gradient through them."
            )
        if not stop and not out[2].requires_grad:
            raise Mistake("with stop_gradient=False, z1 and z2 must not be detached.")


@_checked("SimSiam.loss", 4)
def simsiam_loss(cls: type[simsiam.SimSiam]) -> None:
    """-1/2 (D(p1, z2) + D(p2, z1)) means: sign, pairing, similarity used, no detach inside."""
    name = "SimSiam.loss"
    model = _tiny(cls)
    p1, p2, z1, z2 = (torch.randn(8, 16).requires_grad_(True) for _ in range(4))
    out = _tensor(name, _call(name, model.loss, p1, p2, z1, z2))
    if out.numel() != 1:
        raise Mistake(f"wrong output shape: {name} returns {tuple(out.shape)}; one number.")
    out = out.reshape(())

    def ref(d: Callable[[Tensor, Tensor], Tensor], a: Tensor, b: Tensor) -> Tensor:
        return -0.5 * (d(p1, a).mean() + d(p2, b).mean())

    cos = simsiam.CosineSimilarity(dim=1)
    if _close(out, ref(lambda u, v: (u * v).sum(1), z2, z1)):
        raise Mistake("the cosine similarity is not normalised: divide p . z by ||p|| ||z||.")
    if _close(out, ref(cos, z1, z2)):
        raise Mistake("pair each prediction with the *other* view's projection: D(p1, z2).")
    _compare(name, out, ref(cos, z2, z1))
    grads = torch.autograd.grad(out, (z1, z2), allow_unused=True)
    if any(g is None or not g.abs().sum() > 0 for g in grads):
        raise Mistake(
            "the loss detaches z itself: leave the stop-gradient to forward (stop_gradient), "
            "so that run (b) without it can train both branches."
        )

    def dot(u: Tensor, v: Tensor) -> Tensor:
        return (u * v).sum(1)

    other = _tensor(name, _call(name, model.loss, p1, p2, z1, z2, similarity_function=dot))
    if not _close(other.reshape(()), ref(dot, z2, z1)):
        raise Mistake(
            "similarity_function is ignored: use the callable it names ('CosineSimilarity' "
            "for the cosine, or any function of two (B, dim) tensors)."
        )


# What training uses

_GRADED = {vae: ("log_likelihood_bernoulli", "log_likelihood_normal", "log_mean_exp",
                 "kl_gaussian_gaussian_analytic", "kl_gaussian_gaussian_mc"),
           gan: ("vf_wasserstein_distance", "lp_reg")}  # fmt: skip
REFERENCES: dict[str, tuple[Callable[..., Any], Callable[[Any], Result]]] = {
    name: (getattr(module, name), globals()[name]) for module, names in _GRADED.items()
    for name in names
}  # fmt: skip
"""Course name -> (the reference in helpers, its checks in this module)."""


def use(**functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """The functions to train with: each of ``functions`` (by its course name) where it passes
    its checks, else the reference from ``helpers``, printing that it falls back.

    The reference itself is taken as it is, unchecked (the workbook edition passes it).
    """
    chosen = {}
    for name, fn in functions.items():
        reference, checks = REFERENCES[name]
        if fn is reference:
            chosen[name] = fn
            continue
        passed = checks(fn).passed
        chosen[name] = fn if passed else reference
        where = f"{reference.__module__}.{name}"
        print(f"{name}: yours (it passes its checks)" if passed else
              f"{name}: not passing yet, so the reference {where} runs instead")  # fmt: skip
    return chosen


def use_simsiam(
    model: type[simsiam.SimSiam], cosine: type[nn.Module] = simsiam.CosineSimilarity
) -> type[simsiam.SimSiam]:
    """The SimSiam class to train: ``model``'s ``forward`` and ``loss`` and ``cosine`` where
    they pass their checks, else the reference's, printing each fallback. All references give
    :class:`helpers.simsiam.SimSiam` itself."""
    ref = simsiam.SimSiam
    parts = {
        "CosineSimilarity.forward": (cosine.forward, simsiam.CosineSimilarity.forward,
                                     lambda: cosine_similarity(cosine)),
        "SimSiam.forward": (model.forward, ref.forward, lambda: simsiam_forward(model)),
        "SimSiam.loss": (model.loss, ref.loss, lambda: simsiam_loss(model)),
    }  # fmt: skip
    ok = {}
    for name, (mine, reference, checks) in parts.items():
        ok[name] = mine is reference or checks().passed
        if mine is not reference:
            print(f"{name}: yours (it passes its checks)" if ok[name] else
                  f"{name}: not passing yet, so the reference runs instead")  # fmt: skip
    if all(mine is reference for mine, reference, _ in parts.values()):
        return ref
    use_cosine = ok["CosineSimilarity.forward"]

    class Used(ref):  # type: ignore[valid-type, misc]
        """SimSiam with the student's parts that pass their checks."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if use_cosine:
                self.criterion = cosine(dim=1)

    Used.forward = model.forward if ok["SimSiam.forward"] else ref.forward  # type: ignore
    Used.loss = model.loss if ok["SimSiam.loss"] else ref.loss  # type: ignore
    Used.__name__ = Used.__qualname__ = "SimSiam"
    return Used
