"""What *this* run of Problem 3 shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..common.wording import _REAL, _is_full

__all__ = [
    "SIMSIAM_COLLAPSED",
    "simsiam_collapse",
    "simsiam_features",
]


def _since_first_epoch(knn: float, first: float | None) -> str:
    """What training did to a backbone's kNN accuracy, against its value after epoch 1."""
    if first is None or first != first:  # not recorded (older runs) or NaN
        return "."
    if knn > first + 2:
        return f", {knn - first:.1f} points above its {first:.1f}% after the first epoch."
    if knn < first - 2:
        return f", below its {first:.1f}% after the first epoch: training made them worse."
    return f", about its {first:.1f}% after the first epoch: training added little to them."


SIMSIAM_COLLAPSED = 0.15
"""Collapse criterion of Problem 3: a run has collapsed when the std over images of its
l2-normalised projector output, averaged over channels and times sqrt(d), is at most this.
About 1 for outputs spread over the sphere, 0 for one point (Chen & He, 2021, Fig. 2)."""

_CRITERION = f"collapsed when std x sqrt(d) <= {SIMSIAM_COLLAPSED} (Chen & He's Fig. 2)"


def simsiam_collapse(runs: Mapping[str, Mapping[str, Any]], profile: str, data: str) -> str:
    """Collapse of runs (b), (c) and (d), by one criterion (:data:`SIMSIAM_COLLAPSED`), with
    what the backbone below a collapsed output keeps (its kNN accuracy against its first epoch)
    and how (d) compares with Chen & He's report (no collapse, but no learning either).

    Args:
        runs: run name -> its metrics (``output_std_x_sqrt_dim``, ``final_loss``,
            ``final_knn_accuracy``, optionally ``first_epoch_knn_accuracy``).
    """
    a = runs["stop_gradient"]
    std_a = a["output_std_x_sqrt_dim"]
    state = "collapsed" if std_a <= SIMSIAM_COLLAPSED else "not collapsed"
    lines = [
        f"Criterion: {_CRITERION}. (a) stop-gradient: loss {a['final_loss']:.3f}, output std "
        f"x sqrt(d) {std_a:.2f}: {state}."
    ]
    collapsed = {}
    for name, label in (("no_stop_gradient", "(b) without stop-gradient"),
                        ("no_pred_mlp", "(c) identity predictor"),
                        ("fixed_random_init", "(d) frozen random predictor")):  # fmt: skip
        if name not in runs:
            continue
        m = runs[name]
        std, loss, knn = m["output_std_x_sqrt_dim"], m["final_loss"], m["final_knn_accuracy"]
        collapsed[name] = std <= SIMSIAM_COLLAPSED
        line = f"- {label}: loss {loss:.3f}, output std x sqrt(d) {std:.2f}"
        if collapsed[name]:
            line += (
                ": collapsed. It is the projector's output z that collapsed; the backbone's "
                f"features reach {knn:.1f}% kNN accuracy"
                + _since_first_epoch(knn, m.get("first_epoch_knn_accuracy"))
            )
        else:
            line += f": not collapsed; backbone kNN {knn:.1f}%."
        lines.append(line)
    if "fixed_random_init" in runs:
        where = "on real images" if data == "real" else "on this stand-in, not on CIFAR-10"
        if collapsed["fixed_random_init"]:
            verdict = f"in this run ({where}) (d) collapsed, unlike their report"
        else:
            verdict = f"in this run ({where}) (d) did not collapse, as they report"
        lines.append(
            "Chen & He report that with a frozen random predictor SimSiam does not collapse but "
            f"does not learn either (the loss stays high; their Table 1); {verdict}."
        )
    missing = [lab for n, lab in (("no_stop_gradient", "(b)"), ("no_pred_mlp", "(c)"))
               if n in runs and not collapsed[n]]  # fmt: skip
    if missing:
        lines.append(
            f"By this criterion {' and '.join(missing)} did not collapse in this run"
            + (", unlike Chen & He's Fig. 2." if _is_full(profile, data) else
               f": it may be too short to show it; {_REAL} trains longer.")
        )
    return "\n".join(lines)


def simsiam_features(
    runs: Mapping[str, Mapping[str, Any]],
    raw_knn: float,
    profile: str,
    data: str,
    untrained_knn: float | None = None,
) -> str:
    """Whether run (a) learned useful features: its backbone's kNN accuracy against the
    ablations (b)-(d) and the two baselines, raw pixels and the untrained network
    (``untrained_knn``: None when not measured)."""
    a, b, c = (runs[n]["final_knn_accuracy"] for n in ("stop_gradient", "no_stop_gradient",
                                                       "no_pred_mlp"))  # fmt: skip
    ablations = {"(b)": b, "(c)": c}
    if "fixed_random_init" in runs:
        ablations["(d)"] = runs["fixed_random_init"]["final_knn_accuracy"]
    text = "kNN accuracy of the backbone features: " + ", ".join(
        f"{k} {v:.1f}%" for k, v in {"(a)": a, **ablations}.items()
    )
    text += f"; baselines: raw pixels {raw_knn:.1f}%"
    if untrained_knn is not None:
        text += f", the untrained network {untrained_knn:.1f}%"
    text += " (chance 10%)."
    margin = a - max(ablations.values())
    if margin >= 10:
        text += (
            f" Stop-gradient learns: (a) is at least {margin:.1f} points above every ablation "
            f"({', '.join(ablations)})."
        )
    else:
        where = f"only {margin:.1f} points above" if margin >= 0 else f"{-margin:.1f} points below"
        text += (
            f" (a) is {where} the better ablation: this run does not show stop-gradient learning."
        )
    beats_raw = a > raw_knn
    if beats_raw:
        text += f" (a) beats raw pixels by {a - raw_knn:.1f} points"
    else:
        text += f" (a) does not beat raw pixels ({raw_knn - a:.1f} points below)"
    if untrained_knn is not None:
        if a > untrained_knn:
            joint = " and" if beats_raw else ", but beats"
            text += f"{joint} the untrained network by {a - untrained_knn:.1f}."
        else:
            joint = ", but not" if beats_raw else ", nor"
            text += f"{joint} the untrained network ({untrained_knn - a:.1f} points below)."
    else:
        text += "."
    if a <= raw_knn and not _is_full(profile, data):
        text += f" A longer run, as in {_REAL}, is expected to."
    return text
