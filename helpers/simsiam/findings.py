"""What *this* run of Problem 3 shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..common.wording import _REAL, _is_full

__all__ = [
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


def simsiam_collapse(runs: Mapping[str, Mapping[str, Any]], profile: str, data: str) -> str:
    """Collapse of runs (b), (c) and (d) against (a), from the output std of the projector's
    output z (collapsed: at most half of (a)'s), with what the backbone below it keeps (its kNN
    accuracy against chance) and how (d) compares with Chen & He's report."""
    a = runs["stop_gradient"]
    std_a = a["output_std_x_sqrt_dim"]
    lines, collapsed = [], {}
    for name, label in (("no_stop_gradient", "(b) without stop-gradient"),
                        ("no_pred_mlp", "(c) identity predictor"),
                        ("fixed_random_init", "(d) frozen random predictor")):  # fmt: skip
        if name not in runs:
            continue
        m = runs[name]
        std, loss, knn = m["output_std_x_sqrt_dim"], m["final_loss"], m["final_knn_accuracy"]
        collapsed[name] = std <= 0.5 * std_a
        line = (
            f"- {label}: loss {loss:.3f}, output std x sqrt(d) {std:.2f} against (a)'s {std_a:.2f}"
        )
        if collapsed[name]:
            line += (
                f": collapsed (at most half of (a)'s). It is the projector's output z that "
                f"collapsed; the backbone's features reach {knn:.1f}% kNN accuracy (chance 10%)"
                + _since_first_epoch(knn, m.get("first_epoch_knn_accuracy"))
            )
        else:
            line += f": not collapsed; backbone kNN {knn:.1f}%."
        lines.append(line)
    if "fixed_random_init" in runs:
        d = "collapsed" if collapsed["fixed_random_init"] else "did not collapse"
        same = "as they report" if not collapsed["fixed_random_init"] else "unlike their report"
        lines.append(
            f"Chen & He report that (d) fails to learn without collapsing; in this run (d) {d}, "
            f"{same}."
        )
    if not (collapsed.get("no_stop_gradient") and collapsed.get("no_pred_mlp")):
        lines.append(
            "This run is too short to show the collapse of both (b) and (c): it needs more "
            f"steps, as in {_REAL}, where their output std is expected to fall towards 0."
        )
    return "\n".join(lines)


def simsiam_features(
    runs: Mapping[str, Mapping[str, Any]], raw_knn: float, profile: str, data: str
) -> str:
    """Whether run (a) learned useful features: kNN against (b), (c), raw pixels and chance."""
    a, b, c = (runs[n]["final_knn_accuracy"] for n in ("stop_gradient", "no_stop_gradient",
                                                       "no_pred_mlp"))  # fmt: skip
    text = (
        f"kNN accuracy of the backbone features: (a) {a:.1f}%, (b) {b:.1f}%, (c) {c:.1f}%; raw "
        f"pixels {raw_knn:.1f}%, chance 10%."
    )
    ablations = {"(b)": b, "(c)": c}
    if "fixed_random_init" in runs:
        ablations["(d)"] = runs["fixed_random_init"]["final_knn_accuracy"]
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
    if a <= raw_knn:
        text += " (a) does not beat raw pixels in this run."
        if not _is_full(profile, data):
            text += f" That is expected to need {_REAL}: a ResNet-18 for 100 epochs."
    else:
        text += f" (a) beats raw pixels by {a - raw_knn:.1f} points."
    return text
