"""The machinery of the checks that teach (each problem's ``check`` module holds its checks).

``check.log_mean_exp(f)`` (one such function per graded function) runs ``f`` on random and edge
inputs and returns a :class:`Result` naming the *first* thing wrong in a sentence, or saying
that every check passes; it never raises. :func:`use` (each problem's ``check.use``, and
SimSiam's ``check.use_simsiam``) picks what training runs on: the student's function where it
passes its checks, else the reference, saying so. Checks draw their inputs under their own
seed, leaving the caller's random state untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["SHAPE", "B", "Mistake", "Result", "use"]

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


def use(
    references: Mapping[str, tuple[Callable[..., Any], Callable[[Any], Result]]],
    public: str,
    /,
    **functions: Callable[..., Any],
) -> dict[str, Callable[..., Any]]:
    """The functions to train with: each of ``functions`` (by its course name) where it passes
    its checks, else the reference from ``helpers``, printing that it falls back.

    ``references``: course name -> (the reference, its checks); ``public``: the package that
    students import the references from (``helpers.vae``), named in the fallback message. The
    reference itself is taken as it is, unchecked (the workbook edition passes it).
    """
    chosen = {}
    for name, fn in functions.items():
        reference, checks = references[name]
        if fn is reference:
            chosen[name] = fn
            continue
        passed = checks(fn).passed
        chosen[name] = fn if passed else reference
        where = f"{public}.{name}"
        print(f"{name}: yours (it passes its checks)" if passed else
              f"{name}: not passing yet, so the reference {where} runs instead")  # fmt: skip
    return chosen
