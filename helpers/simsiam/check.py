"""Checks that teach, Problem 3: SimSiam's graded parts against :mod:`helpers.simsiam`'s.

:func:`use_simsiam` picks the class to train: the student's parts that pass their checks,
else the reference's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ..common.checking import Mistake, _call, _checked, _close, _compare, _per_example, _tensor
from . import course, models

__all__ = [
    "cosine_similarity",
    "simsiam_forward",
    "simsiam_loss",
    "use_simsiam",
]


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
    _compare(name, out, course.CosineSimilarity(dim=1)(x1, x2))
    zero = torch.zeros(6, 5)
    out = _call(name, lambda a, b: cls(dim=1)(a, b), zero, x2)
    if not torch.isfinite(out).all():
        raise Mistake(
            "a zero vector gives NaN: divide by max(||x1|| ||x2||, eps), not by the norms alone."
        )


def _tiny(cls: type[course.SimSiam], stop_gradient: bool = True) -> course.SimSiam:
    return cls(models.cifar_resnet(4, (1, 1, 1, 1), 2), dim=16, pred_dim=8,
               stop_gradient=stop_gradient)  # fmt: skip


@_checked("SimSiam.forward", 3)
def simsiam_forward(cls: type[course.SimSiam]) -> None:
    """p = predictor(encoder(x)), z = encoder(x), z detached exactly when stop_gradient."""
    name = "SimSiam.forward"
    x1, x2 = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    for stop in (True, False):
        model = _tiny(cls, stop)
        out = _call(name, model, x1, x2)
        if not (isinstance(out, tuple | list) and len(out) == 4):
            raise Mistake(f"{name} must return four tensors, (p1, p2, z1, z2).")
        ref = course.SimSiam.forward(model, x1, x2)
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
def simsiam_loss(cls: type[course.SimSiam]) -> None:
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

    cos = course.CosineSimilarity(dim=1)
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


def use_simsiam(
    model: type[course.SimSiam], cosine: type[nn.Module] = course.CosineSimilarity
) -> type[course.SimSiam]:
    """The SimSiam class to train: ``model``'s ``forward`` and ``loss`` and ``cosine`` where
    they pass their checks, else the reference's, printing each fallback. All references give
    :class:`helpers.simsiam.SimSiam` itself."""
    ref = course.SimSiam
    parts = {
        "CosineSimilarity.forward": (cosine.forward, course.CosineSimilarity.forward,
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
    # The name its checkpoints record (model_class), as they did when this class lived in
    # helpers.check: a checkpoint trained before helpers had one folder per problem still loads.
    Used.checkpoint_name = "helpers.check.SimSiam"  # type: ignore[attr-defined]
    return Used
