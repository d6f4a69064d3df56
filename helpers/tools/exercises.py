"""The exercise edition: ``python -m helpers exercises [--out DIR]``.

The notebooks mark each graded function once, in a code cell, between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` (nbgrader's markers). In the workbook the region binds the reference
from ``helpers``, one line a function (``log_mean_exp = vae.log_mean_exp``), so the workbook
computes exactly what the reference computes. The exercise edition replaces each such line by
the function's stub: the course's signature, the reference's docstring, and a body that raises
``NotImplementedError("write this function")``; the check cell after it, and the rest of the
notebook, are the same in both editions (see :func:`helpers.vae.check.use`).

A markdown cell may hold text for one edition only: ``<!-- BEGIN WORKBOOK ONLY -->`` ...
``<!-- END WORKBOOK ONLY -->`` (an answer, say a table of formulas) is dropped from the exercise
edition, and ``<!-- EXERCISE EDITION`` ... ``-->``, hidden in the workbook as a comment, shows
there in its place.

The output depends on nothing but the notebooks and ``pyproject.toml``: generating twice gives
identical files.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import gan, simsiam, vae
from ..notebook import colab

__all__ = [
    "STUB",
    "exercise_notebook",
    "exercise_source",
    "write_exercises",
]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("write this function")'
MODULES: dict[str, Any] = {"vae": vae, "gan": gan, "simsiam": simsiam}
_WORKBOOK_ONLY = re.compile(r"<!-- BEGIN WORKBOOK ONLY -->.*?<!-- END WORKBOOK ONLY -->\n?", re.S)
_EXERCISE_ONLY = re.compile(r"<!-- EXERCISE EDITION\n(.*?)\n?-->", re.S)
_BINDING = re.compile(r"^(?P<indent>\s*)(?P<name>\w+) = (?P<path>\w+(?:\.\w+)+)\s*$")
INTRO = (
    "**Exercise edition.** Each graded function below raises `NotImplementedError`: write it in "
    "its cell,\nthen run the check cell under it, which names the first thing wrong or says that "
    "every check\npasses. Until a function passes, the rest of the notebook runs on the reference "
    "in `helpers`\nand says so. After your functions pass, set `FORCE_RETRAIN = True` only if a "
    "run should train\nagain under the same settings (runs with your functions keep their own "
    "checkpoints). Once they pass,\n`python -m helpers exercises --submit NOTEBOOK ... --out DIR` "
    "writes the course's\n`q1_solution.py`, `q2_solution.py` and `q3_solution.py` from your "
    "notebooks."
)


def _resolve(path: str) -> Callable[..., Any]:
    """``vae.log_mean_exp`` -> the function it names (modules: vae, gan, simsiam)."""
    first, *rest = path.split(".")
    if first not in MODULES:
        raise ValueError(f"a solution binds {path!r}; expected vae., gan. or simsiam.")
    obj = MODULES[first]
    for part in rest:
        obj = getattr(obj, part)
    return obj


def _signature(fn: Callable[..., Any]) -> str:
    """The signature without annotations: the course's names, defaults and kinds."""
    sig = inspect.signature(fn)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(inspect.Signature(params))


def _stub(name: str, reference: Callable[..., Any], indent: str) -> list[str]:
    """The lines of a stub for ``reference`` called ``name``, indented by ``indent``."""
    doc = inspect.getdoc(reference)
    if not doc:
        raise ValueError(f"{reference.__qualname__} has no docstring to give the stub")
    inner = indent + "    "
    doc_lines = doc.splitlines()
    body = [f'{inner}"""{doc_lines[0]}']
    body += [f"{inner}{line}" if line.strip() else "" for line in doc_lines[1:]]
    if len(doc_lines) > 1:
        body.append(f'{inner}"""')
    else:
        body[0] += '"""'
    return [f"{indent}def {name}{_signature(reference)}:", *body, f"{inner}{STUB}"]


def exercise_source(source: str) -> tuple[str, list[str]]:
    """A cell's source with each solution region replaced by stubs; and the stubs' names.

    Every line of a region must bind a name to a reference (``name = module.attr``).
    """
    lines, out, names, inside = source.splitlines(), [], [], False
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            inside = True
            continue
        if stripped == END:
            inside = False
            continue
        if not inside:
            out.append(line)
            continue
        match = _BINDING.match(line)
        if not match:
            raise ValueError(f"a solution region holds {line!r}; expected `name = module.attr`")
        if names:
            out.append("")
        out += _stub(match["name"], _resolve(match["path"]), match["indent"])
        names.append(match["name"])
    if inside:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out), names


def exercise_notebook(nb: dict[str, Any], badge: str) -> tuple[dict[str, Any], list[str]]:
    """The exercise edition of notebook ``nb`` (a parsed .ipynb), its Colab badge ``badge``;
    and the names of its graded functions."""
    nb = json.loads(json.dumps(nb))
    cells = nb["cells"]
    graded: list[str] = []
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and BEGIN in text:
            text, names = exercise_source(text)
            cell["source"] = text.splitlines(keepends=True)
            graded += names
        elif cell["cell_type"] == "markdown" and "<!-- " in text:
            text = _EXERCISE_ONLY.sub(r"\1", _WORKBOOK_ONLY.sub("", text))
            cell["source"] = text.splitlines(keepends=True)
    first = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    text = "".join(cells[first]["source"])
    cells[first]["source"] = colab._BADGE.sub(badge, text).splitlines(keepends=True)
    if graded:
        intro = {"cell_type": "markdown", "id": f"{cells[first]['id']}-exercises",
                 "metadata": {}, "source": INTRO.splitlines(keepends=True)}  # fmt: skip
        cells.insert(first + 1, intro)
    return nb, graded


def write_exercises(root: Path, out: Path | None = None, *, check: bool = False) -> list[Path]:
    """Write the exercise edition of ``root/notebooks`` to ``out`` (default ``root/exercises``).

    Badges point at the exercise files: ``out`` relative to ``root`` where it lies inside it,
    else ``exercises/``.

    Args:
        check: write nothing; only report which files are missing or differ.

    Returns:
        The files written (with ``check``: that would be written).
    """
    root = root.resolve()
    out = (out or root / "exercises").resolve()
    folder = out.relative_to(root).as_posix() if out.is_relative_to(root) else "exercises"
    url, ref = colab.repository(root)
    changed = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        badge = colab.badge_url(url, ref, path.name, folder)
        edition, _ = exercise_notebook(nb, badge)
        text = json.dumps(edition, indent=1, ensure_ascii=False) + "\n"
        target = out / path.name
        if not target.exists() or target.read_text() != text:
            changed.append(target)
            if not check:
                out.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
    return changed
