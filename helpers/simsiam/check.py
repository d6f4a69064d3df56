"""Checks that teach, Problem 3: SimSiam's graded parts against :mod:`helpers.simsiam`'s, and
:func:`use_simsiam`, which assembles the class the runs train.

Each builds a tiny model with the student's class (its given ``__init__``), runs it on a batch
of 4-D images as training does, and follows one backward pass: the gradient must reach the
encoder through p, and reach it through z exactly when ``stop_gradient`` is off. The
stop-gradient may sit in ``forward`` (the course's API) or in ``loss`` when
``self.stop_gradient`` is set (the handout's eq. (7)).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ..common.checking import (
    Mistake,
    backward,
    call,
    checked,
    close,
    leaf,
    per_example,
    scalar,
    show,
)
from . import course, models

__all__ = ["cosine_similarity", "simsiam_forward", "simsiam_loss", "use_simsiam"]

B, DIM = 8, 16


@checked("CosineSimilarity.forward", 4)
def cosine_similarity(cls: type[nn.Module]) -> None:
    """(batch, dim) inputs with gradients: one value per example (along dim 1), normalised,
    gradients to both inputs, a zero vector gives 0 (not NaN)."""
    name, names = "CosineSimilarity.forward", ("x1", "x2")
    x1, x2 = leaf(torch.randn(6, 5) * 3), leaf(torch.randn(6, 5))

    def cos(a: Tensor, b: Tensor) -> Tensor:
        return cls(dim=1)(a, b)

    out = call(name, cos, (x1, x2), names)
    if isinstance(out, Tensor) and tuple(out.shape) == (5,):
        raise Mistake(f"{name} computes the cosine along dim 0 (over the batch): take it along "
                      "self.dim (1), one value per example, shape (6,).")  # fmt: skip
    out = per_example(name, out, 6, 5)
    ref = course.CosineSimilarity(dim=1)(x1, x2)
    dot = (x1 * x2).sum(1)
    if close(out, dot):
        raise Mistake(
            "the cosine similarity is not normalised: divide the dot product x1 . x2 by "
            "||x1|| ||x2||, so that it lies in [-1, 1]."
        )
    if close(out, dot / x1.norm(dim=1)) or close(out, dot / x2.norm(dim=1)):
        raise Mistake("it divides by one norm only: divide x1 . x2 by ||x1|| ||x2||.")
    if close(out, -ref):
        raise Mistake(f"sign error: {name} returns minus the cosine similarity.")
    if not close(out, ref):
        raise Mistake(f"wrong values: {name} returns {show(out)}; expected {show(ref)}.")
    got = backward(name, out, [x1, x2])
    expected = torch.autograd.grad(ref.sum(), [x1, x2])
    for label, g, e in zip(names, got, expected, strict=True):
        if g is None or not close(g, e, 1e-3):
            raise Mistake(f"no gradient, or a wrong one, reaches {label}: the loss trains the "
                          "predictor and encoder through the cosine; keep it a torch "
                          "computation (no .item(), .detach() or no_grad).")  # fmt: skip
    zero = torch.zeros(6, 5)
    out = per_example(name, call(name, cos, (zero, x2.detach()), names), 6, 5)
    if not torch.isfinite(out).all():
        raise Mistake(
            "a zero vector gives NaN: divide by max(||x1|| ||x2||, eps), not by the norms alone."
        )


def _tiny(cls: type[Any], stop_gradient: bool = True, MLP_mode: str | None = None) -> Any:
    torch.manual_seed(0)
    return cls(models.cifar_resnet(4, (1, 1, 1, 1), 2), dim=DIM, pred_dim=8,
               stop_gradient=stop_gradient, MLP_mode=MLP_mode)  # fmt: skip


def _cos_loss(p1: Tensor, p2: Tensor, z1: Tensor, z2: Tensor) -> Tensor:
    cos = nn.functional.cosine_similarity
    return -0.5 * (cos(p1, z2, dim=1).mean() + cos(p2, z1, dim=1).mean())


def _encoder_grad(model: nn.Module, out: Tensor, weight: Tensor) -> Tensor | None:
    """The gradient of (weight * out).sum() with respect to the encoder's first convolution
    (None where none reaches it)."""
    conv = next(p for p in model.encoder.parameters() if p.requires_grad)
    if not out.requires_grad:
        return None
    (g,) = torch.autograd.grad((weight * out).sum(), conv, allow_unused=True, retain_graph=True)
    return None if g is None or not g.abs().sum() > 0 else g


_PARTS = (
    "z = self.encoder(x) (the backbone and its 3-layer projector, self.encoder.fc) and "
    "p = self.predictor(z), returned as (p1, p2, z1, z2)"
)


@checked("SimSiam.forward", 4)
def simsiam_forward(cls: type[Any]) -> None:
    """p = predictor(encoder(x)) and z = encoder(x) on images (8, 3, 16, 16), in each MLP_mode;
    the gradient reaches the encoder through p, and through z exactly when stop_gradient is
    off (the stop-gradient in forward, or in the class's own loss)."""
    name, names = "SimSiam.forward", ("x1", "x2")
    x1, x2 = torch.rand(B, 3, 16, 16), torch.rand(B, 3, 16, 16)
    weight = torch.randn(B, DIM)
    for stop, mode in ((True, None), (False, None), (True, "no_pred_mlp")):
        model = _tiny(cls, stop, mode)
        out = call(name, model, (x1, x2), names)
        if not (isinstance(out, tuple | list) and len(out) == 4
                and all(isinstance(t, Tensor) for t in out)):  # fmt: skip
            raise Mistake(f"{name} must return four tensors, (p1, p2, z1, z2).")
        with torch.no_grad():
            ref = course.SimSiam.forward(model, x1, x2)
            both = model.encoder(torch.cat([x1, x2]))
        for label, a, b in zip(("p1", "p2", "z1", "z2"), out, ref, strict=True):
            if close(a, b):
                continue
            if close(out[2], both[:B]) or close(out[0], model.predictor(both[:B])):
                raise Mistake(
                    f"{name} runs both views through the encoder in one batch: its BatchNorm "
                    "layers then normalise over both views together, which changes z; call the "
                    "encoder on x1 and on x2 separately."
                )
            if all(close(a, b) for a, b in zip(out, (ref[2], ref[3], ref[0], ref[1]),
                                               strict=True)):  # fmt: skip
                raise Mistake(f"the outputs are in the wrong order: {_PARTS}.")
            raise Mistake(f"{label} is wrong ({show(a)}, expected {show(b)}): {_PARTS}.")
        p1, p2, z1, z2 = out
        if _encoder_grad(model, p1, weight) is None or _encoder_grad(model, p2, weight) is None:
            raise Mistake(
                "no gradient reaches the encoder through p1 and p2: compute p = "
                "self.predictor(z) from z before detaching it (z.detach() is the target; p "
                "keeps its graph), and do not run the encoder under torch.no_grad."
                + ("" if stop else " (stop_gradient=False)")
            )
        through_z = [_encoder_grad(model, z, weight) is not None for z in (z1, z2)]
        if not stop and not all(through_z):
            raise Mistake("with stop_gradient=False, z1 and z2 must not be detached: run (b) "
                          "trains the encoder through them too.")  # fmt: skip
        if stop and any(through_z):
            conv = next(p for p in model.encoder.parameters() if p.requires_grad)
            try:
                with torch.random.fork_rng(devices=[]):
                    (mine,) = torch.autograd.grad(
                        model.loss(p1, p2, z1, z2), conv, retain_graph=True
                    )
                (cut,) = torch.autograd.grad(
                    model.loss(p1, p2, z1.detach(), z2.detach()), conv, retain_graph=True
                )
            except Exception as err:
                raise Mistake(
                    "with stop_gradient=True, z1 and z2 come out with their gradients: detach "
                    "them here (z1.detach()), or in loss when self.stop_gradient is set "
                    f"(eq. (7)); your loss cannot say yet ({type(err).__name__}: {err})."
                ) from None
            if not close(mine, cut, 1e-5):
                raise Mistake(
                    "the stop-gradient is missing: with stop_gradient=True neither forward nor "
                    "loss detaches z1 and z2; detach them in forward (z1.detach()) or in loss "
                    "when self.stop_gradient is set, so that the loss sends no gradient through "
                    "them."
                )


@checked("SimSiam.loss", 4)
def simsiam_loss(cls: type[Any]) -> None:
    """The handout's eq. (7) with D the negative cosine, called with the default
    similarity_function: one number (sign, pairing, symmetry, factors 1/2 and the batch size),
    gradients to p1 and p2 always, to z1 and z2 at least when stop_gradient is off."""
    name, names = "SimSiam.loss", ("p1", "p2", "z1", "z2")
    for stop in (False, True):
        model = _tiny(cls, stop)
        p1, p2, z1, z2 = (leaf(torch.randn(B, DIM)) for _ in range(4))
        out = scalar(name, call(name, model.loss, (p1, p2, z1, z2), names))
        ref = _cos_loss(p1, p2, z1, z2)
        if not close(out, ref):
            cos = nn.functional.cosine_similarity
            candidates = {
                "the cosine similarity is not normalised: divide p . z by ||p|| ||z||":
                    -0.5 * ((p1 * z2).sum(1).mean() + (p2 * z1).sum(1).mean()),
                "pair each prediction with the *other* view's projection: D(p1, z2) and "
                "D(p2, z1)": _cos_loss(p1, p2, z2, z1),
                "sign error: D is the *negative* cosine similarity, so L = -1/2 (cos(p1, z2) + "
                "cos(p2, z1)), which falls towards -1 as the views agree": -ref,
                "the loss is not symmetrised: eq. (7) averages both directions, "
                "1/2 D(p1, z2) + 1/2 D(p2, z1)": -cos(p1, z2, dim=1).mean(),
                "the loss is not symmetrised: eq. (7) averages both directions, "
                "1/2 D(p1, z2) + 1/2 D(p2, z1) (this is one half of it)":
                    -0.5 * cos(p1, z2, dim=1).mean(),
                "exactly twice the loss: the factor 1/2 (0.5) of eq. (7) is missing": 2 * ref,
                f"it sums over the batch, B = {B} times the mean: average D over the batch":
                    B * ref,
                "the cosine is taken along dim 0 (over the batch): take it along dim 1, one "
                "value per example": -0.5 * (cos(p1, z2, dim=0).mean() + cos(p2, z1, dim=0).mean()),
            }  # fmt: skip
            why = next((t for t, v in candidates.items() if close(out, v)), "wrong values")
            raise Mistake(f"{why}: {name} returns {out.item():.4g}; expected {ref.item():.4g}.")
        if not out.requires_grad:
            raise Mistake(
                "the loss carries no gradient: it is computed under torch.no_grad, or rebuilt "
                "from numbers (.item(), .tolist(), torch.tensor(...)); training calls "
                "loss.backward() on it."
            )
        got = backward(name, out, [p1, p2, z1, z2])
        expected = torch.autograd.grad(ref, [p1, p2])
        if any(g is None or not close(g, e, 1e-3) for g, e in zip(got[:2], expected, strict=True)):
            raise Mistake(
                "no gradient reaches p1 and p2, or a wrong one: the loss trains the predictor "
                "and encoder through p; eq. (7)'s stop-grad is on z, never on p."
            )
        if not stop and any(g is None or not g.abs().sum() > 0 for g in got[2:]):
            raise Mistake(
                "the loss detaches z even when self.stop_gradient is False: run (b) trains "
                "through z; detach only when self.stop_gradient is set (or leave it to forward)."
            )
        out = scalar(name, call(name, model.loss, (p1, p2, z1.detach(), z2.detach()), names))
        if not close(out, ref):
            raise Mistake(f"with z1 and z2 detached, as forward returns them, {name} gives "
                          f"{out.item():.4g}; expected {ref.item():.4g}.")  # fmt: skip


def _same_training(cls: type[Any]) -> bool:
    """Whether one loss.backward() of ``cls`` gives the reference's gradients, with and without
    stop-gradient: forward and loss together, as the runs use them. The caller's random state
    is left as it was."""
    with torch.random.fork_rng(devices=[]):
        return _same_gradients(cls)


def _same_gradients(cls: type[Any]) -> bool:
    x1, x2 = torch.rand(B, 3, 16, 16), torch.rand(B, 3, 16, 16)
    for stop in (True, False):
        model = _tiny(cls, stop)
        try:
            with torch.random.fork_rng(devices=[]):
                model.zero_grad()
                model.loss(*model(x1, x2)).backward()
            mine = [p.grad for p in model.parameters()]
            model.zero_grad()
            ref = course.SimSiam
            ref.loss(model, *ref.forward(model, x1, x2)).backward()
        except Exception:
            return False
        theirs = [p.grad for p in model.parameters()]
        for a, b in zip(mine, theirs, strict=True):
            if (a is None) != (b is None) or (a is not None and not close(a, b, 1e-3)):
                return False
    return True


def use_simsiam(
    model: type[Any], cosine: type[nn.Module] = course.CosineSimilarity
) -> type[course.SimSiam]:
    """The SimSiam class to train: ``model``'s ``forward`` and ``loss`` and ``cosine``'s
    ``forward`` where they pass their checks, else the reference's, printing each fallback.

    Where none of the student's parts is used, that is :class:`helpers.simsiam.SimSiam`
    itself, so the runs load the workbook's checkpoints. Otherwise a subclass whose
    ``course_functions`` lists the student's parts (the runs' checkpoints are keyed on it).
    """
    ref = course.SimSiam
    parts = {
        "CosineSimilarity.forward": (cosine.forward, course.CosineSimilarity.forward,
                                     cosine_similarity, cosine),
        "SimSiam.forward": (model.forward, ref.forward, simsiam_forward, model),
        "SimSiam.loss": (model.loss, ref.loss, simsiam_loss, model),
    }  # fmt: skip
    ok = {}
    for name, (mine, reference, checks, target) in parts.items():
        if mine is reference:
            ok[name] = False
            continue
        result = checks(target)
        ok[name] = result.passed
        print(f"{name}: yours (it passes its checks)" if result.passed else
              f"{name}: not passing yet, so the reference runs instead")  # fmt: skip
    if not any(ok.values()):
        return ref
    use_cosine = ok["CosineSimilarity.forward"]

    def build(forward: bool, loss: bool) -> type[course.SimSiam]:
        class Used(ref):  # type: ignore[valid-type, misc]
            """SimSiam with the student's parts that pass their checks."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                if use_cosine:
                    self.criterion = cosine(dim=1)

        Used.forward = model.forward if forward else ref.forward  # type: ignore[method-assign]
        Used.loss = model.loss if loss else ref.loss  # type: ignore[method-assign]
        Used.__name__ = Used.__qualname__ = "SimSiam"
        Used.course_functions = sorted(n for n, used in (  # type: ignore[attr-defined]
            ("CosineSimilarity.forward", use_cosine), ("SimSiam.forward", forward),
            ("SimSiam.loss", loss)) if used)  # fmt: skip
        return Used

    cls = build(ok["SimSiam.forward"], ok["SimSiam.loss"])
    if ok["SimSiam.forward"] and not _same_training(cls):
        print("SimSiam.forward: yours leaves the stop-gradient to your loss, which is not used, "
              "so the reference forward runs instead")  # fmt: skip
        cls = build(False, ok["SimSiam.loss"])
    return cls
