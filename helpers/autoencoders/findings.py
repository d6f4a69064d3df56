"""What *this* run of the autoencoder notebook shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "autoencoder_codes",
    "beta_effects",
    "embedding_choice",
]


def autoencoder_codes(
    codes: Mapping[str, float], ae: Mapping[str, float], tuned: Mapping[str, float], floor: float
) -> str:
    """Why the autoencoder does not generate, from this run: where its codes lie against the
    prior, and its reconstruction error and prior-sample Frechet distance against the tuned VAE's.

    Args:
        codes: ``norm`` (mean norm of the AE's test codes), ``prior_norm`` (of draws from
            N(0, I), about sqrt(L)), ``std`` (mean per-dimension standard deviation of the codes).
        ae, tuned: the metrics entries of the autoencoder and of the tuned VAE
            (``reconstruction_error``, ``frechet_distance``).
        floor: the Frechet distance between real training and test images.
    """
    norm, prior = codes["norm"], codes["prior_norm"]
    ratio = norm / max(prior, 1e-12)
    text = (
        f"The autoencoder's test codes have a mean norm of {norm:.1f} (per-dimension standard "
        f"deviation {codes['std']:.2f}), against about {prior:.1f} for draws from N(0, I)"
    )
    if ratio > 1.5 or ratio < 1 / 1.5:
        text += (
            f": {ratio:.1f}x the prior's radius, so a prior draw lands where the decoder saw no "
            "training code."
        )
    else:
        text += (
            ": about the prior's radius, but nothing in the AE's objective makes the codes fill "
            "the prior, so a prior draw can still land between them."
        )
    rec, rec_t = ae["reconstruction_error"], tuned["reconstruction_error"]
    fd, fd_t = ae["frechet_distance"], tuned["frechet_distance"]
    text += (
        f" It reconstructs test images with a squared error of {rec:.1f} per image (summed over "
        f"the pixels), {'less than' if rec < rec_t else 'no less than'} the tuned VAE's "
        f"{rec_t:.1f}; its decodings of prior draws are at a Fréchet distance of {fd:.3g} from "
        f"the test images ({fd / max(floor, 1e-12):.0f}x the real floor of {floor:.2g}), "
    )
    text += f"against {fd_t:.3g} for the tuned VAE's: " + (
        "it reconstructs but does not generate as well."
        if fd > 1.1 * fd_t
        else "in this run its prior samples are not worse by this measure."
    )
    return text


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
        paths = f"the VAE's midpoints look more like digits (the confidences above, {pairs} pairs)"
    elif ae > vae + margin:
        paths = (
            "against the expectation, the AE's midpoints look more like digits (the confidences "
            f"above, {pairs} pairs)"
        )
    else:
        paths = (
            f"the two latent paths are alike at their midpoints (the confidences above, {pairs} "
            "pairs)"
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
