"""What the problems' findings share: the wording of settings and model names, and the finding
that Problems 2 and 4 both state (:func:`midpoint_confidence`).

Each problem's ``findings`` module says what *this* run shows, in words built from its own
numbers. Each function takes the numbers a notebook recorded (``wb.metrics`` entries and training
histories) and returns a short Markdown paragraph: the figures this run computed, whether they
show the effect the theory predicts, and, where they do not (a short demo run on stand-in
data), that the full profile is needed and what it gives. No sentence here states a result that
its arguments do not hold. The notebooks display them; :mod:`helpers.tools.report` collects them.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "midpoint_confidence",
]

_REAL = "the full profile (the course's settings on the real data)"


def _is_full(profile: str, data: str) -> bool:
    return profile == "full" and data == "real"


def _name(name: str) -> str:
    """A model's name as code (`course_mlp`), or as it is when it is already words."""
    return name if " " in name else f"`{name}`"


def _setting(profile: str, data: str) -> str:
    return f"{profile} profile, {data} data"


def midpoint_confidence(
    confidence: Mapping[str, float],
    better: str,
    pairs: int = 0,
    classifier_accuracy: float | None = None,
) -> str:
    """Two interpolation paths compared by the digit classifier's mean confidence in its label
    at alpha = 0.5 (an image that looks like some digit gets a confident label).

    Args:
        confidence: path name -> mean confidence (0-1), two entries.
        better: the path one expects to stay on the data (named in the verdict).
        pairs: how many image pairs the means are over (0: not said); under 10, the text says the
            sample is too small for a verdict.
        classifier_accuracy: the classifier's accuracy (0-1) on real test images, or None (not
            said); under 0.8 the text says that its confidence is a weak judge.
    """
    (name_a, a), (name_b, b) = confidence.items()
    over = f" over {pairs} pairs" if pairs else ""
    text = (
        f"At alpha = 0.5 the classifier is on average {100 * a:.0f}% sure of its label on the "
        f"{name_a} path and {100 * b:.0f}% on the {name_b} path{over}."
    )
    other = name_b if better == name_a else name_a
    if confidence[better] > confidence[other] + 0.05:
        text += f" In this run the {better} midpoints look more like some digit, as expected."
    elif confidence[other] > confidence[better] + 0.05:
        text += f" Against the expectation, the {other} midpoints look more like some digit here."
    else:
        text += " By this measure the two paths are alike in this run."
    if 0 < pairs < 10:
        text += (
            f" {pairs} pairs are too few for a verdict: read this as what these pairs show, and "
            "use more pairs before drawing a conclusion."
        )
    if classifier_accuracy is not None:
        text += (
            f" The classifier labels {100 * classifier_accuracy:.0f}% of real test images correctly"
        )
        text += (
            ": a weak judge of what looks like a digit, so these confidences are a rough reading."
            if classifier_accuracy < 0.8
            else "."
        )
    return text
