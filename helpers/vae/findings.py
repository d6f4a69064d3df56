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
    "kl_cost",
    "kl_estimators",
    "latent_manifold",
    "latent_sizes",
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
        text += (
            f" Other runs of the same network in this run took from {times[lo]:.1f} s "
            f"({lo}) to {times[hi]:.1f} s ({hi}) per epoch, a spread of {spread:.1f} to 1."
        )
        if max(ratio, 1 / max(ratio, 1e-9)) <= spread:
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


def latent_sizes(
    runs: Mapping[int, Mapping[str, Any]],
    active: Mapping[int, int],
    record: Mapping[int, float] | None = None,
) -> str:
    """Latent sizes compared: validation ELBO, epochs and active units per latent size.

    Args:
        record: latent size -> validation ELBO of a recorded full-profile run on the real data,
            where there is one (said beside this run's comparison); None: none.
    """
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
            "not show inactive units (dimensions left at the prior). They appear where a "
            "dimension's KL cost outweighs what it adds to the reconstruction, which may take "
            f"more training than this run's {runs[big]['epochs']} epochs; this run does not "
            "test that."
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
            f"{big - small} dimensions do not help in the same number of epochs."
        )
    else:
        text += f" L = {small} is {-diff:.2f} nats below L = {big}: here the extra dimensions help."
    if record and small in record and big in record:
        rdiff = record[small] - record[big]
        text += (
            f" In the recorded full-profile run on the real data, L = {small} reaches "
            f"{record[small]:.2f} and L = {big} {record[big]:.2f}: L = {small} is "
            + (f"{rdiff:.2f} nats better there too." if rdiff > 0
               else f"{-rdiff:.2f} nats below L = {big} there.")
        )  # fmt: skip
    return text


def latent_manifold(
    labels: Sequence[int],
    confidence: Sequence[float],
    min_cells: int = 3,
    sure: float = 0.8,
    trusted: float = 0.7,
) -> str:
    """What a digit classifier reads in the 2-d latent manifold's grid, said only as far as its
    confidence carries.

    Args:
        labels: the classifier's label of each grid cell's decoder mean (n * n of them).
        confidence: its confidence (0-1) in each label.
        min_cells: a class is counted where it labels at least this many sure cells.
        sure: a cell counts where the classifier's confidence is at least this.
        trusted: below this mean confidence the counts are not read as the figure's classes.
    Returns:
        The number of sure cells and the classes among them, as counts. It never says that a
        class has no region: a class without sure cells may still be drawn (the classifier
        misreads blurred decoder means); where the mean confidence is low, the text says to
        read the classes by eye.
    """
    n = len(labels)
    counts = [0] * 10
    for label, c in zip(labels, confidence, strict=True):
        if c >= sure:
            counts[int(label)] += 1
    n_sure = sum(counts)
    present = [d for d in range(10) if counts[d] >= min_cells]
    mean = sum(confidence) / max(len(confidence), 1)
    listed = ", ".join(f"{d}: {counts[d]}" for d in present)
    text = (
        f"A digit classifier (trained on the labelled MNIST images) is sure (confidence at least "
        f"{100 * sure:.0f}%) of {n_sure} of the {n} cells"
    )
    text += (
        f"; among them it reads {len(present)} of the 10 classes with at least {min_cells} "
        f"cells each ({listed})." if present else "; no class has "
        f"{min_cells} sure cells."
    )
    if mean < trusted:
        text += (
            f" Its mean confidence on the cells is only {100 * mean:.0f}%: blurred decoder means "
            "are unlike the images it was trained on, so these counts are not a reading of the "
            "figure, and a class it does not list may well be drawn there. Read the classes in "
            "the figure by eye."
        )
    else:
        missing = [d for d in range(10) if d not in present]
        text += f" Its mean confidence on the cells is {100 * mean:.0f}%."
        text += (
            " Every digit class is among the sure cells." if not missing else
            f" It is sure of fewer than {min_cells} cells of class "
            f"{', '.join(str(d) for d in missing)}: check the figure for them, since a count of "
            "sure cells is not proof that a class is absent."
        )  # fmt: skip
    return text
