"""What *this* run of Problem 2 shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..common.wording import _REAL, _is_full

__all__ = [
    "curve_shape",
    "entanglement",
    "gan_samples",
    "vae_vs_gan",
    "vanilla_discriminator",
]


def curve_shape(steps: Sequence[float], values: Sequence[float], what: str) -> str:
    """Describe a training curve as it is: start, extreme, end."""
    if not values:
        return f"No {what} was recorded."
    first, last = values[0], values[-1]
    i_max = max(range(len(values)), key=values.__getitem__)
    text = f"The {what} starts at {first:.3g} (iteration {steps[0]:g})"
    if 0 < i_max < len(values) - 1 and values[i_max] > max(first, last) * 1.1:
        text += (
            f", first rises to {values[i_max]:.3g} (iteration {steps[i_max]:g}), then falls to "
            f"{last:.3g} (iteration {steps[-1]:g})."
        )
    elif last < first:
        text += f" and falls to {last:.3g} (iteration {steps[-1]:g})."
    else:
        text += f" and ends at {last:.3g} (iteration {steps[-1]:g}), not below its start."
    return text


def gan_samples(fd_init: float, fd_final: float, fd_real: float, profile: str, data: str) -> str:
    """Frechet distances of a generator: at the start, at the end, and the real floor."""
    ratio = fd_final / fd_init
    text = (
        f"In this run the Frechet distance went from {fd_init:.3g} (untrained) to "
        f"{fd_final:.3g}, {ratio:.2f}x its start; two real splits are {fd_real:.3g} apart (the "
        "floor)."
    )
    if fd_final <= 3 * fd_real:
        text += " The samples are close to the real images in this measure."
    elif ratio < 0.5:
        text += (
            f" The distance has fallen well below its start but is still {fd_final / fd_real:.0f}x "
            "the floor: read the sample grid as an intermediate stage, and describe what it shows "
            "(colours, layout, strokes, artefacts) rather than calling the samples good."
        )
    else:
        text += " The generator has learned little yet: the samples are at an early stage."
    if not _is_full(profile, data):
        text += (
            f" Sharp, diverse samples need {_REAL}; describe what this grid shows, not what a "
            "full run would."
        )
    return text


def vanilla_discriminator(d_real: Sequence[float], d_fake: Sequence[float]) -> str:
    """The vanilla GAN's mean D(real) and D(fake) at the start and the end of training."""
    end_real, end_fake = d_real[-1], d_fake[-1]
    text = (
        f"In this run the mean D(x) on real images went from {d_real[0]:.2f} to {end_real:.2f}, "
        f"and on generated ones from {d_fake[0]:.2f} to {end_fake:.2f}."
    )
    if abs(end_real - 0.5) < 0.15 and abs(end_fake - 0.5) < 0.15:
        text += (
            " Both are near 1/2, as at the equilibrium; but D = 1/2 is necessary, not "
            "sufficient: a discriminator that cannot (yet) tell the two apart outputs about 1/2 "
            "too, however far the samples are from the data. Whether they match is read from "
            "the Frechet distance, not from D."
        )
    else:
        text += (
            f" They are still {end_real - end_fake:.2f} apart: the discriminator wins, the "
            "equilibrium D = 1/2 is not reached (it rarely is in practice)."
        )
    return text


def vae_vs_gan(vae_runs: Mapping[str, Any] | None, gan_runs: Mapping[str, Any]) -> str:
    """Problems 1 and 2 side by side, from their own metrics (``None``: no Problem 1 run)."""
    gan = gan_runs["vanilla_gan"]
    text = (
        f"The vanilla GAN on MNIST ends at a Frechet distance of {gan['frechet_distance']:.1f} "
        f"(floor {gan['frechet_distance_real']:.2f}); it has no likelihood to report."
    )
    if vae_runs:
        best = max(vae_runs, key=lambda n: vae_runs[n]["test_log_likelihood"])
        text += (
            f" Problem 1's best VAE in the same profile, `{best}`, reaches test log p(x) "
            f"{vae_runs[best]['test_log_likelihood']:.2f} nats: a likelihood, but no sample "
            "score on the same scale. The two numbers measure different things; the samples "
            "are what compares them by eye."
        )
    else:
        text += " No Problem 1 run of this profile was found to compare with."
    return text


def entanglement(effects: Mapping[str, float], dims: int) -> str:
    """What moving single latent coordinates did, from
    :func:`helpers.notebook.perturbation_effects`."""
    text = (
        f"Of the {dims} coordinates moved, {100 * effects['label_change']:.0f}% change the "
        f"classifier's label at the largest move, {100 * effects['colour_change']:.0f}% shift the "
        f"mean colour, and {100 * effects['both']:.0f}% do both."
    )
    confidence = effects.get("confidence", 1.0)
    if confidence < 0.5:
        text += (
            f" But the classifier is on average only {100 * confidence:.0f}% sure of its label "
            "on these samples: they do not read as digits yet, so the label changes say little "
            "about entanglement in this run."
        )
    elif effects["both"] > 0:
        text += " A coordinate that changes the digit and the colour at once is entangled."
    else:
        text += " No coordinate here changes both, so this run gives no evidence of entanglement."
    return text
