"""What *this* run of Problem 2 shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..common.wording import _REAL, _is_full

__all__ = [
    "critic_lipschitz",
    "curve_shape",
    "entanglement",
    "gan_sample_quality",
    "gan_samples",
    "interpolation_contrast",
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
            "the floor: the samples are at an intermediate stage, still far from the real images "
            "in this measure."
        )
    else:
        text += " The generator has learned little yet: the samples are at an early stage."
    if not _is_full(profile, data):
        text += f" This run ({profile} profile, {data} data) is not {_REAL}."
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


_VAE_NAMES = {  # Problem 1's model names in words
    "course_mlp": "the MLP VAE (L = 100, analytic KL)",
    "course_mlp_mc_kl": "the MLP VAE (L = 100, Monte-Carlo KL)",
    "course_mlp_latent2": "the MLP VAE with L = 2",
    "course_mlp_latent20": "the MLP VAE with L = 20",
    "conv": "the convolutional VAE",
}


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
            f" Problem 1's best VAE in the same profile, {_VAE_NAMES.get(best, f'`{best}`')}, "
            "reaches test log p(x) "
            f"{vae_runs[best]['test_log_likelihood']:.2f} nats: a likelihood, but no sample "
            "score on the same scale. The two numbers measure different things; the samples "
            "are what compares them by eye."
        )
    else:
        text += " No Problem 1 run of this profile was found to compare with."
    return text


def entanglement(
    shown: Mapping[str, float],
    every: Mapping[str, float] | None,
    eps: float,
    total: int,
    rows: Sequence[Mapping[str, Any]] = (),
) -> str:
    """What moving single latent coordinates did, from
    :func:`helpers.notebook.perturbation_effects` (and, per shown row,
    :func:`helpers.gan.figures.row_changes`).

    Args:
        shown: the effects over the coordinates shown in the figure, the most visible ones
            (:func:`helpers.notebook.most_visible_dims`), a selection. Its ``colour_threshold``
            (default 0.05) is the mean shift of a colour channel, on the [-1, 1] pixel scale,
            that counts as a colour change.
        every: the same over every coordinate (or a random subset), or None.
        eps: the largest move: z'_i = z_i + eps for eps from -eps to +eps.
        total: how many coordinates z has.
        rows: per shown row, ``dim``, ``labels`` (the classifier's label at -eps, 0, +eps),
            ``channel`` (the colour channel whose mean moves most), ``shift`` (that move from
            -eps to +eps, signed) and ``brightness`` (the move of the mean grey level).
    """
    threshold = float(shown.get("colour_threshold", 0.05))

    def shares(e: Mapping[str, float]) -> str:
        return (
            f"{100 * e['label_change']:.0f}% change the classifier's label, "
            f"{100 * e['colour_change']:.0f}% shift the mean colour and {100 * e['both']:.0f}% "
            "do both"
        )

    k = int(shown.get("coordinates", 0))
    text = (
        f"Each row adds eps to one coordinate, z'_i = z_i + eps, for eps from -{eps:g} to "
        f"+{eps:g} (the prior's coordinates have standard deviation 1). The {k} rows shown are "
        f"the {k} of {total} coordinates whose move changes the image most: a selection, not a "
        f"sample. A move counts as a colour shift when the mean of a colour channel moves by more "
        f"than {threshold:g} on the [-1, 1] pixel scale. Moved by +-{eps:g}, {shares(shown)}."
    )
    if every is not None:
        n = int(every.get("coordinates", total))
        text += f" Over {'all ' if n == total else ''}{n} coordinates, {shares(every)}."
        fewer = {k: every[k] < shown[k] - 0.1 for k in ("both", "label_change", "colour_change")}
        if any(fewer.values()):
            text += " The shown rows overstate what a typical coordinate does."
        else:
            text += " A typical coordinate does about as much as the shown ones."
    if rows:
        strongest = sorted(rows, key=lambda r: -abs(r["shift"]))[:2]
        parts = []
        for r in strongest:
            lo, mid, hi = (int(v) for v in r["labels"])
            label = (
                f"the classifier's label stays {mid}"
                if lo == mid == hi
                else f"the classifier's label reads {lo}, {mid}, {hi} at eps = -{eps:g}, 0, "
                f"+{eps:g}"
            )
            direction = "rises" if r["shift"] > 0 else "falls"
            grey = "brighter" if r["brightness"] > 0 else "darker"
            parts.append(
                f"z[{int(r['dim'])}]: the mean {r['channel']} {direction} by {abs(r['shift']):.2f} "
                f"from eps = -{eps:g} to +{eps:g} (the image gets {grey} by "
                f"{abs(r['brightness']):.2f}) and {label}"
            )
        text += " The rows whose colour channel moves most: " + "; ".join(parts) + "."
        small = [r for r in rows if abs(r["shift"]) <= threshold]
        if small:
            verb = "moves" if len(small) == 1 else "move"
            text += (
                f" {len(small)} of the shown rows {verb} no colour channel by more than "
                f"{threshold:g} between eps = -{eps:g} and +{eps:g} (the shares above compare "
                "each end with the unmoved image instead)."
            )
    reference = every if every is not None else shown
    confidence = shown.get("confidence", 1.0)
    text += (
        f" The classifier is {100 * confidence:.0f}% sure of its label on the unmoved image "
        "(one image: every row moves the same z)"
    )
    if "confidence_moved" in shown:
        text += f" and {100 * shown['confidence_moved']:.0f}% on average on the moved ones"
    text += "."
    if confidence < 0.5:
        text += (
            " The images do not read as confident digits, so the label changes say little about "
            "entanglement in this run; the colour shifts do not depend on the classifier."
        )
    elif reference["both"] > 0:
        text += " A coordinate that changes the digit and the colour at once is entangled."
    else:
        text += " No coordinate here changes both, so this run gives no evidence of entanglement."
    return text


def critic_lipschitz(
    steps: Sequence[float], wasserstein: Sequence[float], penalty: Sequence[float]
) -> str:
    """Whether the critic's gap mean f(real) - mean f(fake) estimates W1 where it peaks and at the
    end: only a 1-Lipschitz critic makes it one (a lower bound, Kantorovich-Rubinstein). The
    penalty E[max(0, ||grad f|| - 1)^2] (without lambda) is the mean squared excess of the
    gradient norm over 1 at the interpolates, so its square root is that excess in root mean
    square."""
    if not wasserstein or len(penalty) != len(wasserstein):
        return "No Wasserstein estimate and penalty were recorded together."
    i = max(range(len(wasserstein)), key=wasserstein.__getitem__)

    def reading(j: int, where: str) -> str:
        lp = penalty[j]
        text = (
            f"{where} the estimate is {wasserstein[j]:.3g} (iteration {steps[j]:g}) and the "
            f"penalty {lp:.2g}: over the interpolates, the gradient norm's excess over 1 is "
            f"{lp**0.5:.2g} in root mean square."
        )
        if lp > 0.1:
            return text + (
                " The critic is not 1-Lipschitz there, so this value is not an estimate of W1: a "
                "critic steeper than 1 stretches the gap between its scores."
            )
        if lp > 0.01:
            return text + (
                " The critic is a little steeper than 1 at some interpolates, so the value may "
                "overstate W1 somewhat."
            )
        return text + (
            " The critic is close to 1-Lipschitz there, so the value estimates W1 (from below)."
        )

    text = reading(i, "Where it peaks,")
    if i != len(wasserstein) - 1:
        text += " " + reading(len(wasserstein) - 1, "At the end")
    return text


def gan_sample_quality(stats: Mapping[str, float], profile: str, data: str) -> str:
    """Blurriness and diversity of generated images, measured (Problem 2, Q2), from
    :func:`helpers.gan.figures.sample_statistics`."""
    n = int(stats["images"])
    sharp, sharp_real = stats["sharpness_samples"], stats["sharpness_real"]
    ratio = sharp / max(sharp_real, 1e-12)
    text = (
        f"**Blurriness.** Over {n} samples, the mean gradient magnitude of the grey level is "
        f"{sharp:.3f}, against {sharp_real:.3f} for as many real test images ({ratio:.2f}x)"
    )
    if ratio < 0.85:
        text += ": by this measure the samples are blurrier than real images (softer edges)."
    elif ratio > 1.15:
        text += (
            ": by this measure the samples change more from pixel to pixel than real images "
            "do, so it finds no blur. It does not say that they look sharp: colour noise and "
            "checkerboard artefacts raise it as much as crisp edges do, so read the grid for "
            "which it is."
        )
    else:
        text += ": about as sharp as real images by this measure."
    nn, nn_real = stats["nn_samples"], stats["nn_real"]
    text += (
        f"\n\n**Diversity.** Each sample's nearest other sample is {nn:.3f} away on average (root "
        f"mean square per pixel), against {nn_real:.3f} between real test images"
    )
    near_duplicates = nn < 0.7 * nn_real
    if near_duplicates:
        text += (
            ": the samples are closer to each other than real images are, a sign of low "
            "diversity (near-duplicates)."
        )
    elif nn >= nn_real:
        text += (
            ": the samples are at least as spread out as real images, no sign of near-duplicates."
        )
    else:
        text += (
            ": the samples are a little less spread out than real images "
            f"({100 * nn / nn_real:.0f}% of their distance), not enough to suggest "
            "near-duplicates."
        )
    to_train, real_to_train = stats["nn_train_samples"], stats["nn_train_real"]
    text += (
        f" The nearest training image is {to_train:.3f} away from a sample and {real_to_train:.3f} "
        "from a real test image"
    )
    text += (
        ": the samples are close copies of training images."
        if to_train < 0.5 * real_to_train
        else ": the samples are not copies of training images."
    )
    k, k_real = int(stats["classes_samples"]), int(stats["classes_real"])
    text += (
        f" The digit classifier spreads the samples over {k} class{'es' if k != 1 else ''} (each "
        f"at least 2% of them; the largest {100 * stats['top_class_samples']:.0f}%), real test "
        f"images over {k_real} (largest {100 * stats['top_class_real']:.0f}%)"
    )
    conf, conf_real = stats["confidence_samples"], stats["confidence_real"]
    fewer = k < k_real
    unequal = stats["top_class_samples"] > 1.5 * stats["top_class_real"]
    if fewer or unequal:
        how = " and ".join(w for w, on in (("fewer", fewer), ("more unequal", unequal)) if on)
        text += f": {how} than the real spread, a possible sign of dropped modes"
        if conf < 0.8 * conf_real:
            text += " (a rough reading: see the classifier's confidence next)"
        text += "."
        if not near_duplicates:
            text += (
                " The samples are nonetheless not near-duplicates: they can be far apart from "
                "each other and still leave classes out."
            )
    else:
        text += ": a spread like the real one, no sign of dropped modes."
    text += (
        f" Its mean confidence is {100 * conf:.0f}% on samples and {100 * conf_real:.0f}% on "
        "real images"
    )
    text += ", so its labels of the samples are a rough reading." if conf < 0.8 * conf_real else "."
    if not _is_full(profile, data):
        text += (
            f" These numbers describe this run ({profile} profile, {data} data), not what "
            f"{_REAL} gives."
        )
    return text


def interpolation_contrast(contrast: Mapping[str, float], pairs: int, margin: float = 0.05) -> str:
    """The pixel contrast at the midpoints (alpha = 0.5) of the latent and the data paths,
    against that of the end images, from :func:`helpers.gan.figures.interpolation_midpoints`:
    a cross-fade of two different images averages their pixels and lowers the contrast (a
    washed-out look); a decoded code is a sample and keeps it.

    Args:
        contrast: ``{"latent", "data", "ends"}``, mean standard deviation of an image's pixels.
        pairs: how many pairs the means are over.
        margin: a relative difference under this counts as no difference.
    """
    lat, dat, ends = contrast["latent"], contrast["data"], contrast["ends"]
    rel = {k: v / max(ends, 1e-12) for k, v in (("latent", lat), ("data", dat))}
    text = (
        f"Over {pairs} pairs, the pixel contrast (the standard deviation of an image's pixel "
        f"values) at alpha = 0.5 is {lat:.3f} on the latent path ({100 * rel['latent']:.0f}% of "
        f"the end images' {ends:.3f}) and {dat:.3f} on the data path "
        f"({100 * rel['data']:.0f}%)."
    )
    if rel["data"] < rel["latent"] - margin:
        text += (
            " The data path's midpoints are washed out, as a cross-fade of two images is "
            "expected to be, while the latent path's keep more of a sample's contrast."
        )
    elif rel["latent"] < rel["data"] - margin:
        text += (
            " Against the expectation, the latent path's midpoints have less contrast than the "
            "cross-fade's in this run."
        )
    else:
        text += (
            " By this measure the two paths are alike in this run: the cross-fade's expected "
            "loss of contrast does not show."
        )
    return text
