"""What *this* run shows, in words built from its own numbers.

Each function takes the numbers a notebook recorded (``wb.metrics`` entries and training
histories) and returns a short Markdown paragraph: the figures this run computed, whether they
show the effect the theory predicts, and, where they do not (a short demo run on stand-in
data), that the full profile is needed and what it gives. No sentence here states a result that
its arguments do not hold. The notebooks display them; :mod:`helpers.report` collects them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "PROBLEM1_TARGET",
    "beta_effects",
    "curve_shape",
    "elbo_gap",
    "elbo_target",
    "entanglement",
    "estimator_comparison",
    "full_profile_record",
    "gan_samples",
    "kl_estimators",
    "latent_sizes",
    "midpoint_confidence",
    "simsiam_collapse",
    "simsiam_features",
    "vae_vs_gan",
    "vanilla_discriminator",
]

PROBLEM1_TARGET = -102.0  # the handout's validation ELBO after 20 epochs, real binarized MNIST
_REAL = "the full profile (the course's settings on the real data)"


def _is_full(profile: str, data: str) -> bool:
    return profile == "full" and data == "real"


def _name(name: str) -> str:
    """A model's name as code (`course_mlp`), or as it is when it is already words."""
    return name if " " in name else f"`{name}`"


def _setting(profile: str, data: str) -> str:
    return f"{profile} profile, {data} data"


def elbo_target(
    runs: Mapping[str, Mapping[str, Any]], profile: str, data: str, target: float = PROBLEM1_TARGET
) -> str:
    """Problem 1's target (validation ELBO >= ``target``) checked for each model.

    Args:
        runs: model name -> its metrics (``valid_elbo``, ``epochs``).
    """
    lines = [f"**Target: validation ELBO >= {target:g} nats** ({_setting(profile, data)})."]
    for name, m in runs.items():
        elbo = m["valid_elbo"]
        verdict = (
            f"meets it by {elbo - target:.2f}"
            if elbo >= target
            else f"misses it by {target - elbo:.2f}"
        )
        lines.append(f"- {_name(name)}: {elbo:.2f} after {m['epochs']} epochs, {verdict}.")
    if not _is_full(profile, data):
        lines.append(
            f"The target is defined for {_REAL}: 20 epochs on Larochelle's binarized MNIST. This "
            "run's numbers come from another budget or data, so they say nothing about it."
        )
    return "\n".join(lines)


def full_profile_record(
    this_run: Mapping[str, Any],
    record: Mapping[str, Any] | None,
    models: Mapping[str, str],
    setting: tuple[str, str],
    target: float = PROBLEM1_TARGET,
) -> str:
    """This run's Problem-1 numbers beside a recorded full-profile run on the real data.

    Args:
        this_run: this run's metrics (``wb.metrics``: model name -> ``valid_elbo``,
            ``test_log_likelihood``, ``test_images``).
        record: the recorded ``figures/full/01_vae/metrics.json``, or None where there is none.
        models: model name -> its label, in order.
        setting: this run's ``(profile, data)``.
    Returns:
        One line per model with both runs' validation ELBO and log p(x) (over how many test
        images), each run labelled with its profile and data, and the recorded run's verdict on
        the target; or one line saying no full-profile record exists.
    """
    if not record:
        return (
            "No full-profile record on the real data is in this checkout "
            "(`figures/full/01_vae/metrics.json`): run the notebook with the `full` profile."
        )

    def numbers(entry: Any) -> str:
        if not isinstance(entry, Mapping):
            return "not run"
        log_px = entry.get("test_log_likelihood")
        text = f"valid ELBO {entry['valid_elbo']:.2f}"
        if log_px is not None:
            text += f", log p(x) {log_px:.2f} over {entry.get('test_images')} test images"
        return text

    ours, theirs = _setting(*setting), _setting(record.get("profile"), record.get("data"))
    lines = [f"This run ({ours}) beside the recorded run ({theirs}, {record.get('device')}):"]
    for name, label in models.items():
        if name in this_run or name in record:
            lines.append(
                f"- {label}: this run {numbers(this_run.get(name))}; "
                f"recorded {numbers(record.get(name))}."
            )
    main = record.get(next(iter(models)), {})
    if isinstance(main, Mapping) and "valid_elbo" in main:
        met = main["valid_elbo"] >= target
        lines.append(
            f"\nThe recorded run {'meets' if met else 'misses'} the target of {target:g} nats with "
            f"{main['valid_elbo']:.2f} ({models[next(iter(models))]})."
        )
    return "\n".join(lines)


def kl_estimators(analytic: Mapping[str, Any], mc: Mapping[str, Any]) -> str:
    """Analytic vs Monte-Carlo KL: the final validation ELBOs and training times.

    One seed per estimator cannot separate the estimator's effect from run-to-run noise, in
    either direction, and the text says so whichever way the difference goes."""
    diff = mc["valid_elbo"] - analytic["valid_elbo"]
    noise = (
        "with one seed per estimator, a difference of this size may also be run-to-run noise "
        "(several seeds would tell)"
    )
    if abs(diff) < 0.5:
        verdict = "about the same (within 0.5 nats)"
    elif diff < 0:
        verdict = (
            f"{-diff:.2f} nats lower with the Monte-Carlo KL, the direction its noisier gradient "
            f"predicts; but {noise}"
        )
    else:
        verdict = (
            f"{diff:.2f} nats *higher* with the Monte-Carlo KL, against the expectation; {noise}"
        )
    return (
        f"In this run the validation ELBO is {analytic['valid_elbo']:.2f} (analytic KL) and "
        f"{mc['valid_elbo']:.2f} (Monte-Carlo KL, one sample): {verdict}. Training took "
        f"{analytic['train_seconds']:.1f} s and {mc['train_seconds']:.1f} s."
    )


def elbo_gap(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """The gap log p(x) - ELBO on the test set, per model, from the table."""
    gaps = {n: m["test_log_likelihood"] - m["test_elbo"] for n, m in runs.items()}
    lo, hi = min(gaps, key=gaps.__getitem__), max(gaps, key=gaps.__getitem__)
    negative = [n for n, g in gaps.items() if g < 0]
    text = (
        f"In this run the gap log p(x) - ELBO ranges from {gaps[lo]:.2f} nats ({_name(lo)}) to "
        f"{gaps[hi]:.2f} nats ({_name(hi)})."
    )
    if negative:
        text += (
            f" A negative gap ({', '.join(_name(n) for n in negative)}) means the estimate with "
            "K samples has not converged: the estimator is a lower bound in expectation too."
        )
    return text


def estimator_comparison(naive: Sequence[float], importance: Sequence[float], k: int) -> str:
    """Prior sampling vs importance sampling at equal K: mean and spread of repeated estimates
    of the mean test log p(x)."""

    def stats(values: Sequence[float]) -> tuple[float, float]:
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)
        return mean, var**0.5

    (nm, ns), (im, is_) = stats(naive), stats(importance)
    shown = nm < im and ns > is_
    text = (
        f"With K = {k}, over {len(naive)} repeats: sampling z from the prior gives "
        f"{nm:.1f} +- {ns:.2f} nats, importance sampling {im:.1f} +- {is_:.2f} nats. "
    )
    if shown:
        text += (
            f"The prior's estimate is {im - nm:.1f} nats lower and "
            f"{ns / max(is_, 1e-9):.0f}x as noisy: few prior draws explain a given image, so "
            "log (1/K) sum p(x|z_k) is dominated by the best draw and far below log p(x)."
        )
    else:
        text += (
            "This run does not show the expected gap (the prior's estimate lower and noisier); "
            "with a model this short-trained the posterior is still close to the prior."
        )
    return text


def latent_sizes(runs: Mapping[int, Mapping[str, Any]], active: Mapping[int, int]) -> str:
    """Latent sizes compared: validation ELBO, epochs and active units per latent size."""
    sizes = sorted(runs)
    epochs = {runs[s]["epochs"] for s in sizes}
    parts = [
        f"L = {s}: {runs[s]['valid_elbo']:.2f} nats, {active[s]} of {s} units active" for s in sizes
    ]
    text = "In this run, " + "; ".join(parts) + "."
    if len(epochs) > 1:
        text += " The runs had different numbers of epochs, so their ELBOs are not comparable."
    if len(sizes) < 2:
        return text
    big, small = sizes[-1], sizes[-2]
    if active[big] >= 0.9 * big:
        text += (
            f" Nearly every unit of L = {big} is active ({active[big]} of {big}): this run does "
            "not show the inactive units described above. They appear where a dimension's KL cost "
            "outweighs what it adds to the reconstruction, which may take more training than "
            f"this run's {runs[big]['epochs']} epochs; this run does not test that."
        )
    else:
        text += (
            f" With L = {big} only {active[big]} dimensions carry information (posterior means "
            f"that vary with x); the other {big - active[big]} stay at the prior."
        )
    diff = runs[small]["valid_elbo"] - runs[big]["valid_elbo"]
    if abs(diff) <= 2:
        text += (
            f" L = {small} and L = {big} end within 2 nats of each other ({diff:+.2f} for "
            f"L = {small}): the extra {big - small} dimensions buy little."
        )
    elif diff > 2:
        text += (
            f" L = {small} is {diff:.2f} nats *better* than L = {big}: in this run the extra "
            f"{big - small} dimensions do not help, and the larger model has not caught up in "
            "the same number of epochs."
        )
    else:
        text += f" L = {small} is {-diff:.2f} nats below L = {big}: here the extra dimensions help."
    return text


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


def midpoint_confidence(confidence: Mapping[str, float], better: str, pairs: int = 0) -> str:
    """Two interpolation paths compared by the digit classifier's mean confidence in its label
    at alpha = 0.5 (an image that looks like some digit gets a confident label).

    Args:
        confidence: path name -> mean confidence (0-1), two entries.
        better: the path one expects to stay on the data (named in the verdict).
        pairs: how many image pairs the means are over (0: not said); under 10, the text says the
            sample is too small for a verdict.
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
    return text


def entanglement(effects: Mapping[str, float], dims: int) -> str:
    """What moving single latent coordinates did, from
    :func:`helpers.interactive.perturbation_effects`."""
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
