"""What *this* run of Problem 1 shows, in words built from its own numbers
(see :mod:`helpers.common.wording`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..common.wording import _REAL, _is_full, _name, _setting

__all__ = [
    "PROBLEM1_TARGET",
    "elbo_gap",
    "elbo_target",
    "estimator_comparison",
    "full_profile_record",
    "kl_estimators",
    "latent_sizes",
]

PROBLEM1_TARGET = -102.0  # the handout's validation ELBO after 20 epochs, real binarized MNIST


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
