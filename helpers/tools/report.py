"""One command that assembles a report: ``python -m helpers report [--profile P]``.

It reads one profile's outputs, ``figures/<profile>/<notebook>/`` (the figures and the
``metrics.json`` of each notebook that ran), and writes beside them

- ``report.md``: one heading per question of the assignment, each followed by what answers it:
  its figures (captioned in words), the notebook's findings (the text the notebook displayed and
  recorded with :meth:`helpers.notebook.Workbook.finding`, verdicts included), its numbers as a
  small table with readable labels, and a caveat when the data were the stand-ins;
- ``report.tex``: the same as LaTeX (figures as ``\\includegraphics`` of the PDFs, kept where
  they are with ``[H]``), which compiles on its own with ``pdflatex report.tex``.

A student pastes from either into the written report. Figures, numbers and findings that no
question lists are kept, under "Other figures and numbers", so that nothing a run exported is
left out; timings and bookkeeping (``*seconds*``, the run's provenance) are not tabled.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..train.fileio import atomic_open
from .questions import QUESTIONS, Table
from .report_text import (
    FORMATS,
    PROVENANCE,
    caption,
    label,
    latex_document,
    markdown_to_latex,
    tex_escape,
)

__all__ = [
    "Section",
    "build_report",
    "collect",
]

STAND_IN = "stand-in data"


_SKIP = re.compile(r"seconds|^findings$|^device_batches$|^provenance$")  # bookkeeping


@dataclass
class TableData:
    """A table ready to print: header, rows of strings and a note (may be empty)."""

    header: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class Answer:
    """What a report shows under one question heading."""

    title: str
    figures: list[str]
    findings: list[str]
    tables: list[TableData]


@dataclass
class Section:
    """One notebook's outputs: its figures (stems of PNG files) and metrics."""

    notebook: str
    title: str
    figures: list[str]
    metrics: dict[str, Any]

    @property
    def stand_in(self) -> bool:
        """Whether the run used the synthetic stand-ins (metrics.json's ``data``)."""
        return self.metrics.get("data") == "synthetic"

    def heading(self, title: str) -> str:
        return f"{title} ({STAND_IN})" if self.stand_in else title

    def caveat(self) -> str:
        """One sentence under each question of a stand-in run; empty for real data."""
        if not self.stand_in:
            return ""
        profile = self.metrics.get("profile")
        run = f"this {profile}-profile run" if profile else "this run"
        return (
            f"*Stand-in data: {run} used the workbook's synthetic stand-ins, "
            "not the real dataset; its figures and numbers show the method at work, not the "
            "answer for the real data.*"
        )

    def provenance(self) -> str:
        m = self.metrics
        if not m:
            return "no metrics.json"
        parts = [f"{m['profile']} profile" if "profile" in m else "",
                 f"{'synthetic stand-in' if self.stand_in else m['data']} data"
                 if "data" in m else "",
                 " ".join(filter(None, (f"device {m['device']}" if "device" in m else "",
                                        f"({m['device_name']})" if m.get("device_name") else ""))),
                 f"seed {m['seed']}" if "seed" in m else "",
                 f"{m['seconds']:.0f} s" if isinstance(m.get("seconds"), int | float) else "",
                 f"torch {m['torch']}" if "torch" in m else ""]  # fmt: skip
        return ", ".join(p for p in parts if p)

    def answers(self) -> list[Answer]:
        """One :class:`Answer` per question with something to show, in the handout's order,
        then "Other figures and numbers" for what no question lists."""
        used_figures: set[str] = set()
        used_metrics: set[str] = set(PROVENANCE)
        used_findings: set[str] = set()
        recorded = self.metrics.get("findings") or {}
        out = []
        for question in QUESTIONS.get(self.notebook, ("", ()))[1]:
            figures = _match(question.figures, self.figures)
            texts = [recorded[k] for k in question.findings if k in recorded]
            tables = []
            for spec in question.tables:
                rows = _resolve(self.metrics, spec.rows)
                used_metrics.update(key.split(".", 1)[0] for key, _ in rows)
                if rows:
                    tables.append(_table(rows, spec))
            used_figures.update(figures)
            used_findings.update(question.findings)
            if figures or texts or tables:
                out.append(Answer(question.title, figures, texts, tables))
        rest_f = [f for f in self.figures if f not in used_figures]
        rest_t = [v for k, v in recorded.items() if k not in used_findings]
        rest_m = [(k, v) for k, v in self.metrics.items()
                  if k not in used_metrics and not _SKIP.search(k)]  # fmt: skip
        rows = [row for key, value in rest_m for row in _flat(value, (key,))]
        if rest_f or rest_t or rows:
            tables = [TableData(["quantity", "value"], rows)] if rows else []
            out.append(Answer("Other figures and numbers", rest_f, rest_t, tables))
        return out


def _match(patterns: tuple[str, ...], names: list[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        for name in names:
            hit = name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern
            if hit and name not in found:
                found.append(name)
    return found


def _resolve(metrics: dict[str, Any], patterns: tuple[str, ...]) -> list[tuple[str, Any]]:
    """(dotted key, value) of the metrics entries that ``patterns`` name, in their order."""
    rows: list[tuple[str, Any]] = []
    for pattern in patterns:
        if pattern.endswith(".*"):
            parent = metrics.get(pattern[:-2])
            if isinstance(parent, dict):
                rows += [(f"{pattern[:-2]}.{k}", v) for k, v in parent.items()]
        else:
            rows += [(k, metrics[k]) for k in _match((pattern,), list(metrics))]
    return rows


def _number(value: Any, key: str) -> str:
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


def _value(value: Any, key: str) -> str:
    """A cell: a number, or a list summarised (mean +- sd of repeats), or text."""
    if isinstance(value, list):
        nums = [v for v in value if isinstance(v, int | float)]
        if not nums:
            return f"{len(value)} values"
        mean = sum(nums) / len(nums)
        sd = (sum((v - mean) ** 2 for v in nums) / max(len(nums) - 1, 1)) ** 0.5
        return f"{_number(mean, key)} ± {_number(sd, key)} ({len(nums)} repeats)"
    if isinstance(value, dict):
        return ", ".join(f"{label(k)} {_value(v, k)}" for k, v in value.items())
    return _number(value, key)


def _table(rows: list[tuple[str, Any]], spec: Table) -> TableData:
    """The rows of one :class:`Table` spec as strings, with readable labels."""
    if not spec.columns:
        return TableData(["quantity", "value"], [[label(k), _value(v, k)] for k, v in rows])
    columns = [c for c in spec.columns if any(isinstance(v, dict) and c in v for _, v in rows)]
    body = [
        [label(key.rsplit(".", 1)[-1])]
        + [_value(v[c], c) if isinstance(v, dict) and c in v else "–" for c in columns]
        for key, v in rows
    ]
    notes = []
    for field in spec.notes:
        values = {json.dumps(v.get(field)) for _, v in rows if isinstance(v, dict) and field in v}
        if len(values) == 1:
            notes.append(f"{label(field)}: {_value(json.loads(values.pop()), field)}")
    headers = dict(spec.headers)
    return TableData(["", *(headers.get(c, label(c)) for c in columns)], body, "; ".join(notes))


def _flat(value: Any, path: tuple[str, ...]) -> list[list[str]]:
    """Rows [label, value] of a metric no question lists; timings and long lists left out."""
    if _SKIP.search(path[-1]):
        return []
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _flat(v, (*path, str(k)))]
    return [[", ".join(label(p) for p in path), _value(value, path[-1])]]


def collect(root: Path) -> list[Section]:
    """The sections of the notebooks that have outputs under ``root`` (a profile's folder)."""
    sections = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        figures = sorted(p.stem for p in folder.glob("*.png"))
        metrics_path = folder / "metrics.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        if not figures and not metrics:
            continue
        title = QUESTIONS.get(folder.name, (folder.name, ()))[0]
        sections.append(Section(folder.name, title, figures, metrics))
    return sections


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(sections: list[Section], profile: str) -> str:
    lines = [f"# Workbook report: the {profile} profile", ""]
    lines.append("Generated by `python -m helpers report` from this folder's figures and "
                 "metrics. Every number and finding below was recorded by the run named with "
                 "it.")  # fmt: skip
    for section in sections:
        lines += ["", f"## {section.heading(section.title)}", "", f"*Run: {section.provenance()}.*"]
        for answer in section.answers():
            lines += ["", f"### {section.heading(answer.title)}", ""]
            if section.caveat():
                lines += [section.caveat(), ""]
            for figure in answer.figures:
                text = caption(section.notebook, figure, section.stand_in)
                lines += [f"![{text}]({section.notebook}/{figure}.png)", "", f"*{text}*", ""]
            for text in answer.findings:
                lines += [text, ""]
            for table in answer.tables:
                lines += ["| " + " | ".join(_md_cell(h) for h in table.header) + " |",
                          "|" + "---|" * len(table.header)]  # fmt: skip
                lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
                lines += ["", f"*{table.note}.*", ""] if table.note else [""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _latex_table(table: TableData) -> list[str]:
    n = len(table.header) - 1
    width = "0.3" if n <= 3 else "0.22"  # many columns: a narrower label column
    first = rf">{{\raggedright\arraybackslash}}p{{{width}\linewidth}}"
    rest = r">{\raggedleft\arraybackslash}X" if n > 1 else r">{\raggedright\arraybackslash}X"
    spec = rf"@{{}}{first}*{{{n}}}{{{rest}}}@{{}}"
    out = [r"\begin{center}\small", rf"\begin{{tabularx}}{{\linewidth}}{{{spec}}}", r"\toprule"]
    out += [" & ".join(tex_escape(h) for h in table.header) + r" \\", r"\midrule"]
    out += [" & ".join(tex_escape(c) for c in row) + r" \\" for row in table.rows]
    out += [r"\bottomrule", r"\end{tabularx}"]
    if table.note:
        out.append(rf"\\[2pt] \emph{{{tex_escape(table.note)}.}}")
    out.append(r"\end{center}")
    return out


def latex(sections: list[Section], profile: str) -> str:
    body = [
        "Generated by \\texttt{python -m helpers report} from this folder's figures and "
        "metrics. Every number and finding below was recorded by the run named with it."
    ]
    for section in sections:
        body += [rf"\section*{{{tex_escape(section.heading(section.title))}}}",
                 rf"\emph{{Run: {tex_escape(section.provenance())}.}}"]  # fmt: skip
        for answer in section.answers():
            body.append(rf"\subsection*{{{tex_escape(section.heading(answer.title))}}}")
            if section.caveat():  # kept on the page of what follows, with its heading
                caveat = markdown_to_latex(section.caveat())
                body += [rf"{{\interlinepenalty=10000 {caveat}\par}}\nopagebreak[4]"]
            for figure in answer.figures:
                words = tex_escape(caption(section.notebook, figure, section.stand_in))
                body += [
                    r"\begin{figure}[H]",
                    r"\centering",
                    r"\includegraphics[width=\linewidth,height=0.36\textheight,keepaspectratio]"
                    rf"{{{section.notebook}/{figure}.pdf}}",
                    rf"\caption*{{{words}}}",
                    r"\end{figure}",
                ]
            for text in answer.findings:
                body += [markdown_to_latex(text), ""]
            for table in answer.tables:
                body += _latex_table(table)
        body.append(r"\clearpage")
    return latex_document(f"Workbook report: the {profile} profile", body)


def build_report(root: Path, profile: str) -> tuple[Path, Path]:
    """Write ``root/report.md`` and ``root/report.tex`` from the outputs under ``root``.

    Raises:
        FileNotFoundError: when ``root`` holds no notebook outputs.
    """
    sections = collect(root) if root.is_dir() else []
    if not sections:
        raise FileNotFoundError(
            f"no notebook outputs in {root}: run the notebooks of this profile first "
            f"(python -m helpers run --profile {profile})"
        )
    paths = root / "report.md", root / "report.tex"
    for path, text in zip(paths, (markdown(sections, profile), latex(sections, profile)),
                          strict=True):  # fmt: skip
        with atomic_open(path) as handle:
            handle.write(text)
    return paths
