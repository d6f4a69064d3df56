"""The course tools that read every problem, and the command line.

- :mod:`~helpers.tools.report` (with ``report_doc``, ``report_render``, ``report_sentences``,
  ``report_text``, ``report_ideas``), :mod:`~helpers.tools.questions` (the report's outline) and
  :mod:`~helpers.tools.handout` (the course handout's questions): ``python -m helpers report``;
- :mod:`~helpers.tools.exercises`: the exercise edition (``python -m helpers exercises``);
- :mod:`~helpers.tools.runner`: executing notebooks; :mod:`~helpers.tools.cli`: the command line.
"""

from __future__ import annotations

from .cli import (
    main,
)
from .exercises import (
    STUB,
    exercise_notebook,
    exercise_source,
    write_exercises,
)
from .handout import (
    HANDOUT,
    HandoutQuestion,
)
from .questions import (
    QUESTIONS,
    Part,
    Question,
    Table,
)
from .report import (
    Section,
    build_report,
    collect,
)
from .report_text import (
    CAPTIONS,
    FORMATS,
    LABELS,
    PROVENANCE,
    caption,
    label,
    latex_document,
    markdown_to_latex,
    tex_escape,
)
from .runner import (
    RunResult,
    find_notebooks,
    finish_outputs,
    run_notebook,
    summary_table,
)

__all__ = [
    "CAPTIONS",
    "FORMATS",
    "HANDOUT",
    "LABELS",
    "PROVENANCE",
    "QUESTIONS",
    "STUB",
    "HandoutQuestion",
    "Part",
    "Question",
    "RunResult",
    "Section",
    "Table",
    "build_report",
    "caption",
    "collect",
    "exercise_notebook",
    "exercise_source",
    "find_notebooks",
    "finish_outputs",
    "label",
    "latex_document",
    "main",
    "markdown_to_latex",
    "run_notebook",
    "summary_table",
    "tex_escape",
    "write_exercises",
]
