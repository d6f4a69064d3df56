"""What *this* run of the autoencoder notebook shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "beta_effects",
]


def beta_effects(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """beta = 0, 10 and tuned against the autoencoder: reconstruction, KL, prior-sample FD."""
    ae, b0, b10, bt = (runs[n] for n in ("autoencoder", "vae_beta_0", "vae_beta_10",
                                         "vae_beta_tuned"))  # fmt: skip

    def clearly(a: float, b: float) -> bool:  # a > b by more than 2%: not a rounding tie
        return a > b + 0.02 * abs(b)

    checks = [
        (
            "beta = 10 reconstructs worst",
            clearly(
                b10["reconstruction_error"],
                max(b0["reconstruction_error"], bt["reconstruction_error"]),
            ),
        ),
        ("beta = 0 has the largest KL", clearly(b0["kl"], max(b10["kl"], bt["kl"]))),
        (
            "the tuned VAE's prior samples beat the AE's and beta = 0's",
            clearly(min(ae["frechet_distance"], b0["frechet_distance"]), bt["frechet_distance"]),
        ),
    ]
    shown = [what for what, ok in checks if ok]
    missing = [what for what, ok in checks if not ok]
    text = "Expected and seen in this run: " + ("; ".join(shown) if shown else "none") + "."
    if missing:
        text += " Expected but not seen: " + "; ".join(missing) + "."
    return text
