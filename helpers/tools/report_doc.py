"""The report as a document: numbered figures and tables, headings and paragraphs
(:class:`Document`), and the numbers of ``metrics.json`` as table cells, for
:mod:`helpers.tools.report` to assemble and :mod:`helpers.tools.report_render` to write.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .questions import Table
from .report_text import FORMATS, label

__all__ = ["SKIP", "Block", "Document", "Figure", "TableData", "cell", "flat", "fmt_number",
           "inline_table", "match", "mean_sd", "refs", "resolve", "table_data"]  # fmt: skip

SKIP = re.compile(r"seconds|^findings$|^device_batches$|^provenance$")  # bookkeeping


@dataclass
class TableData:
    """A table ready to print: header, rows of strings, a note and a caption."""

    header: list[str]
    rows: list[list[str]]
    note: str = ""
    caption: str = ""


@dataclass
class Figure:
    notebook: str
    stem: str

    @property
    def ref(self) -> str:
        return "fig:" + re.sub(r"[^A-Za-z0-9]+", "-", f"{self.notebook}-{self.stem}")


def match(patterns: tuple[str, ...], names: list[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        for name in names:
            hit = name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern
            if hit and name not in found:
                found.append(name)
    return found


def resolve(metrics: dict[str, Any], patterns: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(dotted key, value) of the metrics entries that ``patterns`` name, in their order."""
    rows: list[tuple[str, Any]] = []
    for pattern in patterns:
        if pattern.endswith(".*"):
            parent = metrics.get(pattern[:-2])
            if isinstance(parent, dict):
                rows += [(f"{pattern[:-2]}.{k}", v) for k, v in parent.items()]
        else:
            rows += [(k, metrics[k]) for k in match((pattern,), list(metrics))]
    return rows


def fmt_number(value: Any, key: str) -> str:
    """``value`` rounded for reading: the field's format, else 3 significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if key in FORMATS:
        return format(value, FORMATS[key])
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    if abs(value) < 1e-3:
        return f"{value:.2g}"  # e.g. a Frechet distance between real splits: 3.9e-05, not 0.0000
    digits = max(0, 2 - math.floor(math.log10(abs(value)))) if value else 0  # 3 significant
    return f"{value:.{min(digits, 4)}f}"


def mean_sd(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    return mean, (sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1)) ** 0.5


def cell(value: Any, key: str) -> str:
    """A cell: a number, or a list summarised (mean +- sd of repeats), or text."""
    if isinstance(value, list) and value and all(type(v) is int for v in value):
        return ", ".join(str(v) for v in value)  # counts, e.g. per class
    if isinstance(value, list):
        nums = [v for v in value if isinstance(v, int | float)]
        if not nums:
            return f"{len(value)} values"
        mean, sd = mean_sd(nums)
        return f"{fmt_number(mean, key)} ± {fmt_number(sd, key)} ({len(nums)} repeats)"
    if isinstance(value, dict):
        return ", ".join(f"{label(k)} {cell(v, k)}" for k, v in value.items())
    return fmt_number(value, key)


def table_data(rows: list[tuple[str, Any]], spec: Table) -> TableData:
    """The rows of one :class:`Table` spec as strings, with readable labels."""
    if spec.pairs:
        return _pairs(rows, spec)
    if not spec.columns:
        return TableData(["", "value"], [[label(k.rsplit(".", 1)[-1]), cell(v, k)]
                                         for k, v in rows], caption=spec.caption)  # fmt: skip
    columns = [c for c in spec.columns if any(isinstance(v, dict) and c in v for _, v in rows)]
    body = [
        [label(key.rsplit(".", 1)[-1])]
        + [cell(v[c], c) if isinstance(v, dict) and c in v else "–" for c in columns]
        for key, v in rows
    ]
    notes = []
    for name in spec.notes:
        values = {json.dumps(v.get(name)) for _, v in rows if isinstance(v, dict) and name in v}
        if len(values) == 1:
            notes.append(f"{label(name)}: {cell(json.loads(values.pop()), name)}")
    headers = dict(spec.headers)
    return TableData(["", *(headers.get(c, label(c)) for c in columns)], body, "; ".join(notes),
                     spec.caption)  # fmt: skip


def _pairs(rows: list[tuple[str, Any]], spec: Table) -> TableData:
    """One dict of ``<measure><suffix>`` keys: a row per measure, a column per suffix."""
    values = rows[0][1] if rows and isinstance(rows[0][1], dict) else {}
    measures: list[str] = []
    for key in values:
        for suffix in spec.pairs:
            if key.endswith(suffix) and key[: -len(suffix)] not in measures:
                measures.append(key[: -len(suffix)])
    headers = dict(spec.headers)
    body = [[headers.get(m, label(m))]
            + [cell(values[m + s], m) if m + s in values else "–" for s in spec.pairs]
            for m in measures]  # fmt: skip
    rest = [f"{label(k)}: {cell(v, k)}" for k, v in values.items()
            if not any(k.endswith(s) for s in spec.pairs)]  # fmt: skip
    return TableData(["", *(label(s.strip("_")) for s in spec.pairs)], body, "; ".join(rest),
                     spec.caption)  # fmt: skip


def inline_table(rows: list[tuple[str, Any]]) -> str:
    """A few numbers said as a sentence: ``label: value; label: value.``"""
    parts = []
    for key, value in rows:
        name = label(key.rsplit(".", 1)[-1])
        if isinstance(value, dict):
            inner = ", ".join(f"{label(k)} {cell(v, k)}" for k, v in value.items()
                              if not SKIP.search(k))  # fmt: skip
            parts.append(f"{name}: {inner}")
        else:
            parts.append(f"{name}: {cell(value, key)}")
    return "; ".join(parts) + "." if parts else ""


def flat(value: Any, path: tuple[str, ...]) -> list[list[str]]:
    """Rows [label, value] of a metric no question lists; timings left out."""
    if SKIP.search(path[-1]):
        return []
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in flat(v, (*path, str(k)))]
    return [[", ".join(label(p) for p in path), cell(value, path[-1])]]


@dataclass
class Block:
    """One element of the document: a heading (level 1-3), a paragraph, a figure or a table."""

    kind: str  # "heading", "para", "figure", "table", "newpage"
    text: str = ""
    level: int = 0
    figure: Figure | None = None
    table: TableData | None = None
    number: int = 0


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)
    figure_numbers: dict[str, int] = field(default_factory=dict)  # ref -> number
    tables: int = 0

    def heading(self, text: str, level: int) -> None:
        self.blocks.append(Block("heading", text, level))

    def para(self, text: str) -> None:
        if text.strip():
            self.blocks.append(Block("para", text.strip()))

    def figure(self, fig: Figure) -> None:
        number = len(self.figure_numbers) + 1
        self.figure_numbers[fig.ref] = number
        self.blocks.append(Block("figure", figure=fig, number=number))

    def table(self, table: TableData) -> int:
        self.tables += 1
        self.blocks.append(Block("table", table=table, number=self.tables))
        return self.tables


def refs(kind: str, names: list[str]) -> str:
    """``Figure [[fig:a]]``, ``Figures [[fig:a]] and [[fig:b]]``: rendered per format."""
    if not names:
        return ""
    marks = [f"[[{r}]]" for r in names]
    words = marks[0] if len(marks) == 1 else ", ".join(marks[:-1]) + " and " + marks[-1]
    return f"{kind}{'s' if len(marks) > 1 else ''} {words}"


