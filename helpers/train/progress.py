"""Progress of long loops: a plain log for headless runs and a final line that stays.

A notebook's ``tqdm`` bar is a widget: its live state lives in the front-end, and a notebook
saved without the widget state keeps only the text of its first frame (``0%| | 0/936``).
:func:`summary_line` is the line that :func:`helpers.train.train` prints when a run ends, so
that every saved copy says what ran and how long it took; the headless runner also rewrites each
bar's text to its final frame (see :mod:`helpers.tools.runner`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["PROGRESS_LOG_ENV", "ProgressLog", "format_duration", "summary_line"]

PROGRESS_LOG_ENV = "WORKBOOK_PROGRESS_LOG"


def format_duration(seconds: float) -> str:
    """``"0.4 s"``, ``"12 s"``, ``"2 min 31 s"`` or ``"1 h 05 min"``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def summary_line(
    name: str, done: int, total: int, seconds: float, *, unit: str = "steps", resumed_from: int = 0
) -> str:
    """The line that closes a loop's progress: ``"train_vae: 936/936 steps, 2 min 31 s"``.

    ``seconds`` is the whole run's time; a run resumed at step ``resumed_from`` says so.
    """
    line = f"{name}: {done}/{total} {unit}, {format_duration(seconds)}"
    if resumed_from:
        line += f" (resumed at step {resumed_from})"
    return line


class ProgressLog:
    """Plain progress lines for headless runs: ``python -m helpers run`` sets
    ``WORKBOOK_PROGRESS_LOG`` to a file that it prints as it grows (a notebook's tqdm widget
    never reaches a terminal). A line at each evaluation and at most every ``every`` seconds."""

    def __init__(self, name: str, total: int, every: float = 10.0) -> None:
        path = os.environ.get(PROGRESS_LOG_ENV, "").strip()
        self.path = Path(path) if path else None
        self.name, self.total, self.every = name, total, every
        self.began = self.last = time.time()

    def __call__(
        self, step: int, start: int, postfix: Mapping[str, str], force: bool = False
    ) -> None:
        now = time.time()
        if self.path is None or not (force or now - self.last >= self.every):
            return
        self.last = now
        elapsed = now - self.began
        eta = elapsed / max(step - start, 1) * (self.total - step)
        values = ", ".join(f"{k} {v}" for k, v in postfix.items())
        line = (
            f"{self.name}: step {step}/{self.total} ({100 * step / self.total:.0f}%), "
            f"{elapsed:.0f} s, about {eta:.0f} s left" + (f"; {values}" if values else "")
        )
        with open(self.path, "a") as handle:
            handle.write(line + "\n")
