"""One command that assembles a report: ``python -m helpers report [--profile P]``.

It reads one profile's outputs, ``figures/<profile>/<notebook>/`` (the figures and the
``metrics.json`` of each notebook that ran), and writes beside them ``report.md`` and
``report.tex`` (which compiles on its own with ``pdflatex report.tex``), a document to hand in:

- one part per problem of the handout (:mod:`helpers.tools.handout`), in its order: a paragraph
  on the unit-test questions (which graded functions ran: the student's or the reference, from
  ``metrics["graded_functions"]``), then each report question under the handout's number (Q6,
  Q4 (a), (b), ...): the idea, as a fixed paragraph a student can adapt (:data:`IDEAS`), then
  what this run shows, citing its numbered figures and tables, with the findings the notebook
  recorded (:meth:`helpers.notebook.Workbook.finding`); then "Beyond the handout",
  items numbered B1.1, B2.1, ... (:mod:`helpers.tools.questions` places every figure, table
  and finding);
- Problem 4 (not in the handout), the datasets as Appendix A, and the runs' provenance once,
  at the end (Appendix B). The stand-in note is said once per problem.

Figures and tables are numbered (LaTeX ``\\label``/``\\ref``; the Markdown counts the same way)
and float near their text (``[htbp]``). Figures, numbers and findings that no question lists are
kept, under "Other figures and numbers", so that nothing a run exported is left out; timings
and bookkeeping (``*seconds*``, the run's provenance) are not tabled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..train.fileio import atomic_open
from .handout import PROBLEMS, report_questions
from .questions import IN_FINDINGS, QUESTIONS, Part, Question
from .report_doc import (
    SKIP,
    Block,
    Document,
    Figure,
    TableData,
    flat,
    inline_table,
    match,
    refs,
    resolve,
    table_data,
)
from .report_front import dataset_note, intro, provenance
from .report_ideas import IDEAS, INTROS
from .report_render import latex, markdown
from .report_sentences import (
    conv_sentence,
    finding,
    gap_sentences,
    graded_sentence,
    latent_record_sentence,
    subset_sentence,
    target_sentences,
)
from .report_text import PROVENANCE, caption, label

__all__ = ["Section", "build_report", "collect", "document", "full_record"]

NOTEBOOKS = {1: "01_vae", 2: "02_gans", 3: "03_simsiam"}
DATASETS = {"01_vae": "binarized MNIST", "02_gans": "MNIST and SVHN", "03_simsiam": "CIFAR-10",
            "04_autoencoders": "MNIST", "00_datasets": "every dataset"}  # fmt: skip


@dataclass
class Section:
    """One notebook's outputs: its figures (stems of PNG files) and metrics."""

    notebook: str
    figures: list[str]
    metrics: dict[str, Any]

    @property
    def part(self) -> Part:
        return QUESTIONS.get(self.notebook, Part(self.notebook.replace("_", " "), ()))

    @property
    def stand_in(self) -> bool:
        """Whether the run used the synthetic stand-ins (metrics.json's ``data``)."""
        return self.metrics.get("data") == "synthetic"

    @property
    def findings(self) -> dict[str, str]:
        return self.metrics.get("findings") or {}

    def note(self) -> str:
        """The stand-in note, said once per problem; for the datasets of a real-data run, which
        of them are stand-ins or subsets; else empty."""
        if not self.stand_in:
            return dataset_note(self.metrics) if self.notebook == "00_datasets" else ""
        profile = self.metrics.get("profile")
        run = f"this {profile}-profile run" if profile else "this run"
        return (
            f"*Stand-in data.* The figures and numbers of this part come from {run} on the "
            f"workbook's synthetic stand-ins for {DATASETS.get(self.notebook, 'the data')}, not "
            "on the real data: they show the method at work, not the answer for the real data."
        )


def _with_gaps(metrics: dict[str, Any]) -> dict[str, Any]:
    """Problem 1's metrics with each model's ``elbo_gap`` (test log p(x) - test ELBO) added."""
    out = dict(metrics)
    for key, v in metrics.items():
        if isinstance(v, dict) and all(isinstance(v.get(f), int | float)
                                       for f in ("test_log_likelihood", "test_elbo")):
            out[key] = {**v, "elbo_gap": v["test_log_likelihood"] - v["test_elbo"]}
    return out


def _answer(doc: Document, section: Section, question: Question, level: int,
            sections: dict[str, Section], record: dict[str, Any] | None) -> None:  # fmt: skip
    """Write one question: its heading, idea, what this run shows, figures and tables."""
    m, findings = section.metrics, section.findings
    if section.notebook == "01_vae":
        m = _with_gaps(m)
    figures: list[Figure] = []
    missing: list[str] = []
    for spec in question.figures:
        notebook, stem = spec.split("/", 1) if "/" in spec else (section.notebook, spec)
        owner = sections.get(notebook)
        names = match((stem,), owner.figures) if owner else []
        figures += [Figure(notebook, s) for s in names]
        if not names and not stem.endswith("*") and owner is section:
            missing.append(caption(notebook, stem).rstrip("."))
    cited = [Figure(section.notebook, s) for s in match(question.cites, section.figures)]
    shown = [Figure(section.notebook, s) for s in match(question.illustrations, section.figures)]
    tables, inline = [], []
    for spec in question.tables:
        rows = resolve(m, spec.rows)
        absent = [label(r) for r in spec.rows if "*" not in r and r not in m]
        if rows and absent and section.part.problem:  # some of the table's runs: not recorded
            missing.append(f"the numbers of {' and '.join(absent)}")
        if rows:
            if spec.inline:
                inline.append(inline_table(rows))
            else:
                tables.append(table_data(rows, spec))
    texts = [t for t in (finding(findings, s)[1] for s in question.findings) if t]
    before, after = _computed(question, m, record)
    idea = IDEAS.get(question.key, "")
    if not (figures or cited or tables or inline or texts or before or after or missing):
        return
    doc.heading(question.heading, level)
    if shown:  # the idea's own figures (a theoretical curve): cited there, not under This run
        idea = (idea + " " if idea else "") + f"({refs('Figure', [f.ref for f in shown])}.)"
    table_refs = [f"tab:{doc.tables + i + 1}" for i in range(len(tables))]
    cites = ", ".join(filter(None, (refs("Figure", [f.ref for f in figures + cited]),
                                    refs("Table", table_refs))))  # fmt: skip
    lead = "**This run**" + (f" ({cites})" if cites else "")
    body = [*inline, *before, *texts, *after]
    cited_in_idea = not body and cites and idea.endswith(".")
    if cited_in_idea:  # nothing computed: no empty "This run" line
        idea = f"{idea[:-1]} ({cites})."
    doc.para(idea)
    if body:
        doc.para(f"{lead}: {body[0]}" if not body[0].startswith("- ") else f"{lead}:\n{body[0]}")
        for text in body[1:]:
            doc.para(text)
    elif cites and not cited_in_idea:  # no idea to carry them: the floats are still cited
        doc.para(f"See {cites}.")
    if missing:
        gpu = m.get("profile") == "full" and section.part.problem
        doc.para("Not in this record: " + "; ".join(missing) + ". They wait for a run "
                 f"of the notebook in this profile (`python -m helpers run {section.notebook} "
                 f"--profile {m.get('profile', 'full')}`{' on a GPU' if gpu else ''}).")
    for fig in shown + figures:
        doc.figure(fig)
    for table in tables:
        doc.table(table)


def _computed(question: Question, metrics: dict[str, Any],
              record: dict[str, Any] | None) -> tuple[list[str], list[str]]:  # fmt: skip
    """Sentences the report computes itself, to go before and after the recorded findings: a
    finding's stand-in where the run recorded none (the full record of Problem 1), and the
    notes the findings leave out."""
    findings = metrics.get("findings") or {}
    before, after = [], []
    if question.key == "P1.Q6" and "elbo_target" not in findings:
        before.append(target_sentences(metrics))
    full = (metrics.get("profile"), metrics.get("data")) == ("full", "real")
    if question.key == "P1.Q6" and record and not full and (
            "recorded" not in findings.get("elbo_target", "")):
        said = target_sentences(record)
        if said:
            after.append(f"In the recorded full-profile run on the real data: {said}")
    if question.key == "B1.1":
        before.append(conv_sentence(metrics))
    if question.key == "P1.Q7":
        if "elbo_gap" not in findings:
            before.append(gap_sentences(metrics))
        run = metrics.get("course_mlp") or {}
        said = f"over {run.get('test_images')} test images" in findings.get(
            "estimator_comparison", "")  # fmt: skip
        if not said:  # the finding does not say why its mean differs from the table's
            after.append(subset_sentence(metrics))
    if question.key == "B1.2" and record and "recorded" not in findings.get("latent_sizes", ""):
        after.append(latent_record_sentence(record))
    return [s for s in before if s], [s for s in after if s]


def _part(doc: Document, section: Section, sections: dict[str, Section],
          record: dict[str, Any] | None) -> None:  # fmt: skip
    part = section.part
    doc.blocks.append(Block("newpage"))
    doc.heading(part.title, 1)
    doc.para(section.note())
    if part.problem:
        doc.para(graded_sentence(part.problem, section.metrics))
    doc.para(INTROS.get(section.notebook, ""))
    handout = [q for q in part.questions if q.handout]
    beyond = [q for q in part.questions if not q.handout]
    for q in handout:
        _answer(doc, section, q, 2, sections, record)
    level = 2
    if part.problem and beyond:
        start = len(doc.blocks)
        doc.heading("Beyond the handout", 2)
        doc.para("What the handout does not ask, numbered so that it is not taken for one of its "
                 "questions.")  # fmt: skip
        mark = len(doc.blocks)
        level = 3
    for q in beyond:
        _answer(doc, section, q, level, sections, record)
    if part.problem and beyond and len(doc.blocks) == mark:
        del doc.blocks[start:]  # nothing beyond the handout in this run
    _rest(doc, section, level)


def _rest(doc: Document, section: Section, level: int) -> None:
    """What no question of the part lists: figures, findings and numbers."""
    part = section.part
    used_figures = set()
    for q in part.questions:
        used_figures.update(match(tuple(f for f in q.figures if "/" not in f), section.figures))
        used_figures.update(match(q.illustrations, section.figures))
    used_findings = {finding({}, s)[0] for q in part.questions for s in q.findings}
    used_metrics = set(PROVENANCE) | set(IN_FINDINGS.get(section.notebook, ()))
    for q in part.questions:
        for spec in q.tables:
            used_metrics.update(k.split(".", 1)[0] for k, _ in resolve(section.metrics, spec.rows))
    if section.notebook == "01_vae":  # said in the findings, or the run's settings
        used_metrics.update(("log_likelihood_estimators", "training", "latent_manifold_classes"))
        used_metrics.update(k for k in section.metrics if k.startswith("active_units_"))
    if section.notebook == "00_datasets":
        used_figures.update(section.figures)
    for other in QUESTIONS.values():  # another part may place this notebook's figure
        for q in other.questions:
            used_figures.update(f.split("/", 1)[1] for f in q.figures
                                if f.startswith(f"{section.notebook}/"))  # fmt: skip
    rest_f = [f for f in section.figures if f not in used_figures]
    rest_t = [v for k, v in section.findings.items() if k not in used_findings]
    rows = [row for k, v in section.metrics.items() if k not in used_metrics
            and not SKIP.search(k) for row in flat(v, (k,))]  # fmt: skip
    if not (rest_f or rest_t or rows):
        return
    doc.heading("Other figures and numbers", level)
    cites = ", ".join(filter(None, (
        refs("Figure", [Figure(section.notebook, f).ref for f in rest_f]),
        refs("Table", [f"tab:{doc.tables + 1}"] if rows else []))))  # fmt: skip
    doc.para("What this run recorded that no question above lists"
             + (f" ({cites})." if cites else "."))  # fmt: skip
    for text in rest_t:
        doc.para(text)
    for f in rest_f:
        doc.figure(Figure(section.notebook, f))
    if rows:
        doc.table(TableData(["quantity", "value"], rows, caption="Other numbers of this run"))


def _not_run(doc: Document, problem: int, profile: str, data: str) -> None:
    notebook = NOTEBOOKS[problem]  # no page of its own: a short note after the last part
    doc.heading(f"Problem {problem}: {PROBLEMS[problem]}", 1)
    labels = ", ".join(q.label for q in report_questions(problem))
    where = "on the real data" if data == "real" else "in this profile"
    doc.para(f"This report has no record of Problem {problem} (`{notebook}`): it has not been run "
             f"{where} ({profile} profile). Its report questions, {labels}, wait for `python -m "
             f"helpers run {notebook} --profile {profile}"
             f"{' --data real' if data == 'real' and profile != 'full' else ''}`"
             f"{' on a GPU' if profile == 'full' else ''}.")  # fmt: skip


def _title(sections: list[Section], profile: str) -> str:
    data = {s.metrics.get("data") for s in sections if s.metrics.get("data")}
    handout = [s.part.problem for s in sections if s.part.problem]
    problems = sorted(int(m.group(1)) for s in sections
                      if (m := re.match(r"Problem (\d+)", s.part.title)))  # fmt: skip
    title = f"Assignment 3 report from the workbook: the {profile} profile"
    if data == {"real"}:
        title += ", real data"
        stand_ins = [label(k) for s in sections if s.notebook == "00_datasets"
                     for k, v in s.metrics.items()
                     if isinstance(v, dict) and v.get("source") == "synthetic"]  # fmt: skip
        if stand_ins:
            title += f" ({' and '.join(stand_ins)}: stand-in)"
    elif data == {"synthetic"}:
        title += ", synthetic stand-in data"
    if data == {"real"} and problems and len(handout) < len(PROBLEMS):
        only = " and ".join(str(p) for p in problems)
        title += f" (Problem{'s' if len(problems) > 1 else ''} {only} only)"
    return title


def document(
    sections: list[Section], profile: str, record: dict[str, Any] | None = None
) -> Document:
    """The report as blocks, in the handout's order."""
    doc = Document(_title(sections, profile))
    by_name = {s.notebook: s for s in sections}
    data = next((s.metrics.get("data") for s in sections if s.metrics.get("data")), "")
    doc.para(intro(sections))
    for problem, notebook in NOTEBOOKS.items():
        if notebook in by_name:
            _part(doc, by_name[notebook], by_name, record if notebook == "01_vae" else None)
        else:
            _not_run(doc, problem, profile, str(data))
    for notebook in (*[n for n in QUESTIONS if n not in NOTEBOOKS.values()],
                     *sorted(n for n in by_name if n not in QUESTIONS)):  # fmt: skip
        if notebook in by_name:
            _part(doc, by_name[notebook], by_name, None)
    provenance(doc, sections)
    return doc


def collect(root: Path) -> list[Section]:
    """The sections of the notebooks that have outputs under ``root`` (a profile's folder)."""
    sections = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        figures = sorted(p.stem for p in folder.glob("*.png"))
        metrics_path = folder / "metrics.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        if not figures and not metrics:
            continue
        sections.append(Section(folder.name, figures, metrics))
    return sections


def full_record(root: Path) -> dict[str, Any] | None:
    """Problem 1's full-profile record beside ``root`` (``figures/full/01_vae/metrics.json``)."""
    path = root.resolve().parent / "full" / "01_vae" / "metrics.json"
    if root.resolve().name == "full" or not path.exists():
        path = root / "01_vae" / "metrics.json"
        if root.resolve().name != "full" or not path.exists():
            return None
    metrics = json.loads(path.read_text())
    return metrics if metrics.get("profile") == "full" and metrics.get("data") == "real" else None


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
    doc = document(sections, profile, full_record(root))
    paths = root / "report.md", root / "report.tex"
    for path, text in zip(paths, (markdown(doc), latex(doc)), strict=True):
        with atomic_open(path) as handle:
            handle.write(text)
    return paths
