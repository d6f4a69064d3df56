"""What *this* run of Problem 1 shows about its latent sizes and the 2-d latent manifold
(beyond the handout, B1.2), in words built from its own numbers; re-exported by
:mod:`helpers.vae.findings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["latent_manifold", "latent_sizes"]


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
        agree = " too" if (rdiff > 0) == (diff > 0) else ", unlike in this run"
        text += (
            f" In the recorded full-profile run on the real data, L = {small} reaches "
            f"{record[small]:.2f} and L = {big} {record[big]:.2f}: L = {small} is "
            + (f"{rdiff:.2f} nats better there{agree}." if rdiff > 0
               else f"{-rdiff:.2f} nats below L = {big} there{agree}.")
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
        f"cells each ({listed})."
        if present
        else f"; no class has {min_cells} sure cells."
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
