"""What *this* run of the autoencoder notebook shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "beta_effects",
    "embedding_choice",
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


def embedding_choice(
    confidence: Mapping[str, float], fd: Mapping[str, float], pairs: int, margin: float = 0.05
) -> str:
    """The AE's and the VAE's embeddings compared for generation and interpolation, from this
    run: the classifier's mean confidence at the midpoints of the latent paths and the Frechet
    distance of prior samples.

    Args:
        confidence: ``{"AE": ..., "VAE": ...}``, mean confidence (0-1) at alpha = 0.5.
        fd: ``{"AE": ..., "VAE": ...}``, Frechet distance of each model's prior samples.
        pairs: how many pairs the midpoints are over.
    """
    ae, vae = confidence["AE"], confidence["VAE"]
    if vae > ae + margin:
        paths = (
            f"the VAE's midpoints look more like digits ({100 * vae:.0f}% against "
            f"{100 * ae:.0f}% over {pairs} pairs)"
        )
    elif ae > vae + margin:
        paths = (
            f"against the expectation, the AE's midpoints look more like digits "
            f"({100 * ae:.0f}% against {100 * vae:.0f}% over {pairs} pairs)"
        )
    else:
        paths = (
            f"the two latent paths are alike at their midpoints ({100 * ae:.0f}% and "
            f"{100 * vae:.0f}% over {pairs} pairs)"
        )
    samples_better = fd["VAE"] < 0.9 * fd["AE"]
    samples = (
        f"the VAE's prior samples are closer to the data (Frechet distance {fd['VAE']:.3g} "
        f"against the AE's {fd['AE']:.3g})"
        if samples_better
        else f"its prior samples are not closer to the data than the AE's (Frechet distance "
        f"{fd['VAE']:.3g} against {fd['AE']:.3g})"
    )
    text = f"In this run {paths}, and {samples}."
    if vae > ae + margin and samples_better:
        text += " Both support the VAE's embedding for generation and interpolation."
    elif samples_better:
        text += (
            " This run supports the VAE's embedding for generation, but not (or not yet) for "
            "interpolation."
        )
    elif vae > ae + margin:
        text += " This run supports the VAE's embedding for interpolation only."
    else:
        text += " This run does not show the VAE's embedding to be the better one."
    return text
