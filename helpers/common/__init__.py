"""What several problems use.

- :mod:`~helpers.common.frechet`: the Frechet distance in a small classifier's features
  (Problems 2 and 4);
- :mod:`~helpers.common.checking`: the machinery of the checks that teach (:class:`Result`,
  :func:`use`); each problem's ``check`` module holds its checks;
- :mod:`~helpers.common.wording`: what the problems' findings share.
"""

from __future__ import annotations

from .checking import (
    Mistake,
    Result,
    use,
)
from .frechet import (
    FeatureClassifier,
    FrechetScorer,
    build_scorer,
    classify,
    feature_statistics,
    frechet_distance,
    train_feature_classifier,
)
from .wording import (
    midpoint_confidence,
)

__all__ = [
    "FeatureClassifier",
    "FrechetScorer",
    "Mistake",
    "Result",
    "build_scorer",
    "classify",
    "feature_statistics",
    "frechet_distance",
    "midpoint_confidence",
    "train_feature_classifier",
    "use",
]
