"""The machinery of the checks that teach: :class:`Result`, :class:`Mistake`, what each
problem's ``check`` module builds its checks from, and :func:`use`.

A check runs a student's function the way training does (inputs of training's shapes, passed
as fresh clones that carry gradients, one backward pass) and returns a :class:`Result` naming
the *first* thing wrong in a sentence, or saying that every check passes. It never raises,
whatever the student's code does, and it draws its inputs under its own seed, leaving the
caller's random state untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = [
    "LOG_2PI", "Mistake", "Result", "backward", "call", "checked", "close", "factor", "finite",
    "grads", "leaf", "per_example", "scalar", "show", "tensor", "use",
]  # fmt: skip

LOG_2PI = math.log(2 * math.pi)


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


def checked(name: str, count: int) -> Callable[[Callable[..., None]], Callable[..., Result]]:
    """Run a check body under a fixed seed (restoring the caller's random state) and turn
    whatever it raises into a :class:`Result`: a check never raises."""

    def wrap(body: Callable[..., None]) -> Callable[..., Result]:
        def run(fn: Any) -> Result:
            try:
                with torch.random.fork_rng(devices=[]), torch.enable_grad():
                    torch.manual_seed(0)
                    body(fn)
            except Mistake as err:
                return Result(name, False, str(err))
            except (Exception, SystemExit) as err:  # what the student's objects do elsewhere
                return Result(name, False, f"the checks could not use what {name} gives: "
                              f"{type(err).__name__}: {err}")  # fmt: skip
            return Result(name, True, f"all {count} checks pass.")

        run.__name__ = run.__qualname__ = body.__name__
        run.__doc__ = body.__doc__
        return run

    return wrap


def leaf(t: Tensor) -> Tensor:
    """A leaf that requires grad, for the inputs a backward pass must reach."""
    return t.detach().clone().requires_grad_(True)


def _raised_in(err: BaseException) -> str:
    """The name of the function that raised ``err`` (``Class.method`` for a method)."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return ""
    code = tb.tb_frame.f_code
    return getattr(code, "co_qualname", code.co_name).split("<locals>.")[-1]


def call(name: str, fn: Callable[..., Any], args: Sequence[Any], names: Sequence[str],
         hint: str = "", **kwargs: Any) -> Any:  # fmt: skip
    """``fn(*args)`` on fresh clones of the tensor arguments (named ``names``), as training
    calls it; anything it raises, and any in-place change of an argument, is a
    :class:`Mistake`. ``hint``: a sentence added to the message when it raises."""
    clones = [a.clone() if isinstance(a, Tensor) else a for a in args]
    versions = [a._version if isinstance(a, Tensor) else None for a in clones]
    try:
        out = fn(*clones, **kwargs)
    except NotImplementedError as err:
        where = _raised_in(err)
        if where and where.rsplit(".", 1)[-1] != name.rsplit(".", 1)[-1]:
            raise Mistake(f"not written yet: it calls {where}, which raises "
                          "NotImplementedError.") from None  # fmt: skip
        raise Mistake("not written yet (it raises NotImplementedError).") from None
    except (Exception, SystemExit) as err:  # any error is the student's to read
        shapes = ", ".join(f"{n} {tuple(a.shape)}" for n, a in zip(names, args, strict=False)
                           if isinstance(a, Tensor))  # fmt: skip
        text = f"{name} raised {type(err).__name__}: {err} (inputs: {shapes})."
        raise Mistake(f"{text} {hint}".strip()) from None
    for arg_name, a, v in zip(names, clones, versions, strict=False):
        if isinstance(a, Tensor) and a._version != v:
            raise Mistake(
                f"{name} changes its input {arg_name} in place (an in-place operation such as "
                f"{arg_name} -= ..., {arg_name}.sub_(...) or {arg_name}.clamp_(...), on "
                f"{arg_name} or a view of it): the caller's tensor is overwritten, and autograd "
                f"may need it for the backward pass; compute a new tensor instead "
                f"({arg_name} = {arg_name} - ...)."
            )
    return out


def tensor(name: str, out: Any) -> Tensor:
    """``out``, which must be a floating-point tensor (:func:`finite` checks its values)."""
    if not isinstance(out, Tensor):
        kind = "None (a missing return?)" if out is None else f"a {type(out).__name__}"
        raise Mistake(f"{name} returns {kind}; a torch tensor is expected.")
    if not out.is_floating_point():
        raise Mistake(f"{name} returns a tensor of {out.dtype}; floats are expected.")
    return out


def scalar(name: str, out: Any) -> Tensor:
    """``out`` as a 0-d tensor: it must hold one number."""
    out = tensor(name, out)
    if out.numel() != 1:
        raise Mistake(
            f"wrong output shape: {name} returns shape {tuple(out.shape)}; one number is "
            "expected (a mean over the batch)."
        )
    return out.reshape(())


def per_example(name: str, out: Any, batch: int, dims: int) -> Tensor:
    """The output of a function that returns one value per example, shape (batch,)."""
    out = tensor(name, out)
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


def close(a: Tensor, b: Tensor, tol: float = 1e-4) -> bool:
    a, b = a.detach().double(), b.detach().double()
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=tol, atol=tol, equal_nan=False))


def show(t: Tensor) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in t.detach().flatten()[:4].tolist()) + "]"


def factor(out: Tensor, ref: Tensor, factors: dict[float, str], tol: float = 1e-3) -> str | None:
    """The name of the constant factor out / ref, where it is one of ``factors``."""
    out, ref = out.detach().double().flatten(), ref.detach().double().flatten()
    if out.shape != ref.shape or not torch.isfinite(out).all():
        return None
    for f, what in factors.items():
        if close(out, f * ref, tol):
            return what
    return None


def backward(
    name: str, out: Tensor, inputs: Iterable[Tensor], hint: str = ""
) -> list[Tensor | None]:
    """d out.sum() / d inputs (None where no gradient reaches), turning what the backward pass
    raises into a :class:`Mistake`."""
    inputs = list(inputs)
    if not out.requires_grad:
        return [None] * len(inputs)
    try:
        return list(torch.autograd.grad(out.sum(), inputs, allow_unused=True))
    except (Exception, SystemExit) as err:
        raise Mistake(
            f"the backward pass through {name} fails: {type(err).__name__}: {err}. {hint}".strip()
        ) from None


def grads(fn: Callable[..., Tensor], inputs: Sequence[Tensor]) -> list[Tensor]:
    """The reference's gradients of ``fn(*inputs).sum()``."""
    inputs = [leaf(t) for t in inputs]
    return list(torch.autograd.grad(fn(*inputs).sum(), inputs))


def finite(name: str, out: Tensor, what: str = "") -> None:
    if not torch.isfinite(out).all():
        raise Mistake(f"{name} returns non-finite values {show(out)}{what}.")


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
    reference itself is taken as it is, unchecked (the workbook edition passes it); its checks
    never raise, so neither does this.
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
