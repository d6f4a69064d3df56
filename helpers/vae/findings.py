"""What *this* run of Problem 1 shows, in words built from its own numbers
(see :mod:`helpers.common.wording`); the latent sizes and manifold (B1.2) are in
:mod:`helpers.vae.findings_latent`.
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
    "kl_cost",
    "kl_estimators",
]

PROBLEM1_TARGET = -102.0  # the handout's validation ELBO after 20 epochs, real binarized MNIST


HANDOUT_MODELS = ("course_mlp", "course_mlp_mc_kl")
"""Problem 1's models of Q6 (L = 100, the course's MLP): the target is judged on these only."""

_HANDOUT_LABELS = {"course_mlp": "course MLP VAE", "course_mlp_mc_kl": "its Monte-Carlo KL run"}


def elbo_target(
    runs: Mapping[str, Mapping[str, Any]],
    profile: str,
    data: str,
    target: float = PROBLEM1_TARGET,
    judged: Sequence[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    record: Mapping[str, Any] | None = None,
) -> str:
    """Problem 1's target (validation ELBO >= ``target``, Q6), judged where it applies.

    Args:
        runs: model name (or label) -> its metrics (``valid_elbo``, ``epochs``).
        judged: the names of ``runs`` that the target is about (Q6: the L = 100 MLP); the
            others are listed without a verdict. None: every run.
    Returns:
        In the full profile on the real data, a verdict (meets or misses it, by how much) for each
        judged model. In any other setting no verdict at all: the numbers are listed and the text
        says that the target is defined for another budget and data.
    """
    full = _is_full(profile, data)
    judged = list(runs) if judged is None else list(judged)
    lines = [f"**Target: validation ELBO >= {target:g} nats** ({_setting(profile, data)})."]
    for name, m in runs.items():
        elbo = m["valid_elbo"]
        line = f"- {_name(name)}: {elbo:.2f} after {m['epochs']} epochs"
        if full and name in judged:
            line += (
                f", meets it by {elbo - target:.2f}"
                if elbo >= target
                else f", misses it by {target - elbo:.2f}"
            )
        elif name not in judged:
            line += " (beyond the handout: no target)"
        lines.append(line + ".")
    if not full:
        ran = ""
        if settings:
            ran = (
                f" (Adam, learning rate {settings['lr']:g}, batch {settings['batch_size']}, "
                f"{settings['epochs']} epochs, {settings['train_images']} training images, "
                f"{data} data)"
            )
        lines.append(
            f"The target is defined for {_REAL}: Adam at 3e-4, 20 epochs on Larochelle's "
            f"binarized MNIST (50000 training images). This run has another budget or data{ran}, "
            "so it gives no verdict on the target."
        )
        verdicts = []
        for name in HANDOUT_MODELS:
            entry = (record or {}).get(name)
            if isinstance(entry, Mapping) and "valid_elbo" in entry:
                elbo = entry["valid_elbo"]
                verdicts.append(
                    f"{_HANDOUT_LABELS[name]} {elbo:.2f} after {entry.get('epochs')} epochs, "
                    + (f"meets it by {elbo - target:.2f}" if elbo >= target
                       else f"misses it by {target - elbo:.2f}")
                )  # fmt: skip
        if verdicts:
            lines.append(
                "The recorded full-profile run on the real data (`figures/full/01_vae`): "
                + "; ".join(verdicts) + "."
            )
    return "\n".join(lines)


def full_profile_record(
    this_run: Mapping[str, Any],
    record: Mapping[str, Any] | None,
    models: Mapping[str, str],
    setting: tuple[str, str],
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
        images), each run labelled with its profile and data (the recorded run's verdict on the
        target is :func:`elbo_target`'s); or one line saying no full-profile record exists.
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
    lines = [f"Beside the recorded run ({theirs}, {record.get('device')}), this run ({ours}):"]
    for name, label in models.items():
        if name in this_run or name in record:
            lines.append(
                f"- {label}: this run {numbers(this_run.get(name))}; "
                f"recorded {numbers(record.get(name))}."
            )
    return "\n".join(lines)


def kl_estimators(
    analytic: Mapping[str, Any],
    mc: Mapping[str, Any],
    others: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """Analytic vs Monte-Carlo KL: the final validation ELBOs and training times.

    One seed per estimator cannot separate the estimator's effect from run-to-run noise, in
    either direction, and the text says so whichever way the difference goes. ``others``: see
    :func:`kl_cost`."""
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
    text = (
        f"In this run the validation ELBO is {analytic['valid_elbo']:.2f} (analytic KL) and "
        f"{mc['valid_elbo']:.2f} (Monte-Carlo KL, one sample): {verdict}."
    )
    return text + " " + kl_cost(analytic, mc, others)


def _per_epoch(m: Mapping[str, Any]) -> float:
    return m["train_seconds"] / max(m.get("epochs") or 1, 1)


def kl_cost(
    analytic: Mapping[str, Any],
    mc: Mapping[str, Any],
    others: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The two runs' training time per epoch (``train_seconds`` / ``epochs``), and what one
    timing per run can and cannot show.

    Args:
        others: label -> metrics of other runs of the same network in the same run (the MLP
            with L = 2 and L = 20): the spread of their times per epoch is the yardstick for
            the machine's noise. A ratio within that spread says nothing about the estimators;
            one beyond it is still one timing per run, a hint and not a measurement.
    Returns:
        The times, and never a verdict on which estimator is cheaper: the KL term (analytic,
        or one draw of L numbers per image) is a small part of a step next to the encoder's and
        decoder's 784 x 300 layers.
    """
    a, m = _per_epoch(analytic), _per_epoch(mc)
    ratio = m / max(a, 1e-9)
    text = (
        f"Training took {analytic['train_seconds']:.1f} s (analytic) and "
        f"{mc['train_seconds']:.1f} s (Monte Carlo), {a:.1f} s and {m:.1f} s per epoch, a ratio "
        f"of {ratio:.2f}."
    )
    small = (
        " The KL term, analytic or one draw per image, is a small part of a training step next "
        "to the encoder's and decoder's 784 x 300 layers"
    )
    times = {n: _per_epoch(o) for n, o in (others or {}).items() if o.get("train_seconds")}
    if len(times) >= 2:
        lo, hi = min(times, key=times.__getitem__), max(times, key=times.__getitem__)
        spread = times[hi] / max(times[lo], 1e-9)
        d = 1 if f"{times[lo]:.1f}" != f"{times[hi]:.1f}" else 2  # never "from 1.2 s to 1.2 s"
        text += (
            f" Other runs of the same network in this run took from {times[lo]:.{d}f} s "
            f"({lo}) to {times[hi]:.{d}f} s ({hi}) per epoch, a spread of {spread:.2f} to 1."
        )
        if round(max(ratio, 1 / max(ratio, 1e-9)), 2) <= round(spread, 2):  # as printed
            return text + (
                " The two estimators' times differ by less than that spread, so they do not "
                "separate the estimators: the machine's load varies more than their cost."
                + small + "."
            )
        return text + (
            " The two estimators' times differ by more than that spread; with one timing per "
            "run this is a hint, not a measurement of their cost." + small + "."
        )
    return text + (
        small + ", and with one timing per run on a machine that may be shared, these times do "
        "not separate the estimators."
    )


def elbo_gap(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """Q7's answer for the handout's models (pass only those: the L = 100 MLP, analytic and
    Monte-Carlo KL), each with its test log p(x) and its gap log p(x) - ELBO on the test set.

    Args:
        runs: label -> metrics (``test_log_likelihood``, ``test_elbo``, optionally
            ``is_samples`` and ``test_images``), the first one leading.
    """
    parts = []
    negative = []
    for n, m in runs.items():
        ll, elbo = m["test_log_likelihood"], m["test_elbo"]
        over = ", ".join(
            filter(None, (f"K = {m['is_samples']}" if m.get("is_samples") else "",
                          f"{m['test_images']} test images" if m.get("test_images") else ""))
        )  # fmt: skip
        where = f" ({over})" if over else ""
        if ll >= elbo:
            gap = f"{ll - elbo:.2f} nats above its test ELBO ({elbo:.2f})"
        else:
            gap = f"{elbo - ll:.2f} nats *below* its test ELBO ({elbo:.2f})"
            negative.append(n)
        parts.append(f"{_name(n)}: test log p(x) = {ll:.2f} nats{where}, {gap}")
    text = "In this run, " + "; ".join(parts) + "."
    if len(parts) > len(negative):
        text += (
            " The K-sample estimate of log p(x) is itself a lower bound in expectation, so a gap "
            "above zero estimates KL(q(z|x) || p(z|x)) from below."
        )
    if negative:
        text += (
            f" A negative gap ({', '.join(_name(n) for n in negative)}) means the estimate with "
            "K samples has not converged (too few images or samples) or there is a bug: in "
            "expectation it is not below the ELBO."
        )
    return text


def estimator_comparison(
    naive: Sequence[float],
    importance: Sequence[float],
    k: int,
    images: int | None = None,
    table_images: int | None = None,
) -> str:
    """Prior sampling vs importance sampling at equal K: mean and spread of repeated estimates
    of the mean test log p(x) over the first ``images`` test images (``table_images``: how many
    the table's log p(x) is over, where they differ, so that the two numbers are not read as
    one)."""

    def stats(values: Sequence[float]) -> tuple[float, float]:
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)
        return mean, var**0.5

    (nm, ns), (im, is_) = stats(naive), stats(importance)
    shown = nm < im and ns > is_
    over = f" of the mean log p(x) of the first {images} test images" if images else ""
    text = (
        f"With K = {k}, over {len(naive)} repeats{over}: sampling z from the prior gives "
        f"{nm:.1f} +- {ns:.2f} nats, importance sampling {im:.1f} +- {is_:.2f} nats. "
    )
    if images and table_images and table_images != images:
        text += (
            f"(The table's log p(x) is over {table_images} test images, hence a different number.) "
        )
    if shown:
        text += (
            f"The prior's estimate is {im - nm:.1f} nats lower and "
            f"{ns / max(is_, 1e-9):.0f}x as noisy: few prior draws explain a given image, so "
            "log (1/K) sum p(x|z_k) is dominated by the best draw and far below log p(x)."
        )
    else:
        text += (
            "This run does not show the expected gap (the prior's estimate lower and noisier), "
            "so it gives no evidence for it."
        )
    return text
