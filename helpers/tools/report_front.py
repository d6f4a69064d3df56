"""The report's front and back matter (:mod:`helpers.tools.report`): the introduction, which
names the problems the report holds; the datasets' note in a real-data run (stand-ins and
subsets); and Appendix B, the runs' provenance, naming a script where one wrote a record.
"""

from __future__ import annotations

from typing import Any

from .handout import HANDOUT, report_questions
from .report_doc import Block, Document, TableData
from .report_text import label

__all__ = ["BENCHMARKS", "dataset_note", "intro", "provenance"]

NOTEBOOKS = {1: "01_vae", 2: "02_gans", 3: "03_simsiam"}

BENCHMARKS = {"01_vae": "benchmarks/quality_vae.py"}
"""The script that writes a notebook's full-profile record when the notebook did not (its
record then has no ``graded_functions``, which every run of the notebook records)."""
_FULL_SIZES = {"binarized_mnist": (50000, 10000), "mnist": (60000, 10000),
               "svhn": (73257, 26032), "cifar10": (50000, 10000)}  # fmt: skip


def dataset_note(metrics: dict[str, Any]) -> str:
    """A real-data run's datasets that are not the real data in full: the synthetic stand-ins
    (``source``), and real data loaded as a subset (fewer images than the dataset has)."""
    out = []
    stand_ins = [label(k) for k, v in metrics.items()
                 if isinstance(v, dict) and v.get("source") == "synthetic"]  # fmt: skip
    if stand_ins:
        out.append(f"*Stand-in data.* {' and '.join(stand_ins)} in this run "
                   f"{'is the workbook' if len(stand_ins) == 1 else 'are the workbook'}'s "
                   "synthetic stand-in, not the real data: the numbers and figures made from it "
                   "show the method at work, not the answer for the real data.")  # fmt: skip
    for key, (train, test) in _FULL_SIZES.items():
        v = metrics.get(key)
        if (
            isinstance(v, dict)
            and v.get("source") == "real"
            and (v.get("train_images", train) < train or v.get("test_images", test) < test)
        ):
            out.append(f"{label(key)} is the real data, a subset: {v.get('train_images')} "
                       f"training and {v.get('test_images')} test images of its {train} and "
                       f"{test}.")  # fmt: skip
    return " ".join(out)


def _script(section: Any) -> str:
    """The script that wrote a section's record instead of its notebook ("" for the notebook):
    named in the record's ``provenance``, or known for a problem's record without
    ``graded_functions``, which every run of the notebook records."""
    m = section.metrics
    by = {str(v.get("by")) for v in (m.get("provenance") or {}).values() if isinstance(v, dict)}
    scripts = sorted(b for b in by if not b.startswith("notebooks/"))
    if scripts and not any(b.startswith("notebooks/") for b in by):
        return ", ".join(scripts)
    full = (m.get("profile"), m.get("data")) == ("full", "real")
    if (
        full
        and section.part.problem
        and "graded_functions" not in m
        and (section.notebook in BENCHMARKS)
    ):
        return BENCHMARKS[section.notebook]
    return ""


def intro(sections: list[Any]) -> str:
    """What the report holds: the handout's report questions of the problems it has records of,
    the others named as absent."""
    present = {s.part.problem for s in sections if s.part.problem}
    answered, absent = [], []
    for problem in NOTEBOOKS:
        labels = [q.label for q in report_questions(problem)]
        words = f"Problem {problem} " + (", ".join(labels[:-1]) + " and " + labels[-1]
                                         if len(labels) > 1 else labels[0])  # fmt: skip
        (answered if problem in present else absent).append(words)
    text = ("This report answers the report questions of the course's handout "
            f"({HANDOUT}) under the handout's numbers: " + (", ".join(answered) or "none")
            + ".")  # fmt: skip
    if absent:
        text += (f" It has no record of Problem{'s' if len(absent) > 1 else ''} "
                 + " and ".join(a.split(" ", 2)[1] for a in absent)
                 + ": a short note in its place names the questions that wait for "
                 "it.")  # fmt: skip
    text += (" Each problem first says which graded functions ran for its unit-test questions "
             "(yours or the reference). Under each question a paragraph gives the idea, for you "
             "to adapt, and **This run** what the run shows, from its own numbers. Items "
             "numbered B1.1, B2.1, ... go beyond the handout")  # fmt: skip
    names = {s.notebook for s in sections}
    text += ", as does Problem 4." if "04_autoencoders" in names else "."
    if "00_datasets" in names:
        return text + " The datasets are in Appendix A, the runs' provenance in Appendix B."
    return text + " The runs' provenance is in Appendix B."


def provenance(doc: Document, sections: list[Any]) -> None:
    rows, scripts = [], []
    for s in sections:
        m = s.metrics
        if not m:
            continue
        device = " ".join(
            filter(
                None,
                (str(m.get("device", "")), f"({m['device_name']})" if m.get("device_name") else ""),
            )
        )
        script = _script(s)
        if script:  # the script's last call, not the models' training: their sum says more
            trained = sum(v["train_seconds"] for v in m.values() if isinstance(v, dict)
                          and isinstance(v.get("train_seconds"), int | float))  # fmt: skip
            time = f"{trained:.0f} s of training" if trained else "–"
        else:
            time = f"{m['seconds']:.0f} s" if isinstance(m.get("seconds"), int | float) else "–"
        if script:
            scripts.append(f"{s.notebook.replace('_', ' ')} by `{script}`")
        rows.append([s.notebook.replace("_", " ") + (" (script)" if script else ""),
                     str(m.get("profile", "–")),
                     "synthetic stand-ins" if s.stand_in else str(m.get("data", "–")),
                     device or "–", str(m.get("seed", "–")), time,
                     str(m.get("torch", "–"))])  # fmt: skip
    if not rows:
        return
    doc.blocks.append(Block("newpage"))
    doc.heading("Appendix B: provenance", 1)
    text = ("Every number, figure and finding of this report was recorded by the run of its "
            "notebook below (its `metrics.json` under `figures/`) and gathered by "
            "`python -m helpers report`.")  # fmt: skip
    if scripts:
        text = ("Every number, figure and finding of this report was recorded in a record "
                "(each notebook's `metrics.json` under `figures/`) gathered by `python -m helpers "
                "report`: by the run of its notebook below, except for the records marked "
                f"(script), written by a script that trains the notebook's models with its "
                f"settings ({'; '.join(scripts)}). The time of such a record is the sum of its "
                "models' training times, not one run's wall-clock time.")  # fmt: skip
    doc.para(text)
    doc.table(TableData(["notebook", "profile", "data", "device", "seed", "time", "torch"], rows,
                        caption="The runs of this report"))  # fmt: skip
