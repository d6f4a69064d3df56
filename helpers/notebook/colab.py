"""Each notebook's Colab badge and set-up cell, generated from ``pyproject.toml``.

The repository and the ref that Colab installs from live in one place, ``[tool.workbook]`` of
``pyproject.toml``. ``python -m helpers sync-notebooks`` rewrites every notebook's badge and
set-up cell from them (a test keeps the notebooks in step). The set-up cell:

1. uses the package beside the notebook when the notebook sits in a clone of the workbook
   (Jupyter, or Colab after ``git clone``);
2. else installs it with pip from ``REPO`` at ``REF``, without dependencies (Colab keeps its
   own torch); ``WORKBOOK_REPO`` and ``WORKBOOK_REF`` in the environment override both (a fork);
3. checks that what it imported is this workbook's ``helpers`` (``__workbook__``), not some
   other module of that name, such as a student's own ``helpers.py``;
4. stops with one message saying what to set when none of that works.

The cell is collapsed where the interface allows: a Colab form (``# @title`` with
``display-mode: "form"``) and Jupyter's ``source_hidden`` cell metadata, so that a notebook opens
on its idea, not on its plumbing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import tomllib

__all__ = ["MARK", "badge_url", "repository", "setup_cell", "sync_notebooks"]

MARK = "dgm-workbook"  # helpers.__workbook__: tells this workbook's helpers from any other
_BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+")
_HEADER = (
    "# @title Set-up: run first (finds or installs the workbook's helpers) "
    '{ display-mode: "form" }\n'
    "# Written by `python -m helpers sync-notebooks` (helpers/notebook/colab.py says what each "
    "step does)."
)
_HIDDEN = {"jupyter": {"source_hidden": True}}  # Jupyter's collapsed cell; Colab uses the form

_SETUP = """{header}
import importlib, os, subprocess, sys  # noqa: E401, I001
from pathlib import Path

REPO = os.environ.get("WORKBOOK_REPO", "{repo}")
REF = os.environ.get("WORKBOOK_REF", "{ref}")


def _workbook():  # this workbook's `helpers`; else the path of another module of that name
    sys.modules.pop("helpers", None), importlib.invalidate_caches()
    try:
        module = importlib.import_module("helpers")
    except ImportError:
        return None
    return module if getattr(module, "__workbook__", None) == "{mark}" else module.__file__


here, clone, pip = Path.cwd(), False, None
for folder in (here.parent, here, here / REPO.rstrip("/").rsplit("/", 1)[-1]):
    init = folder / "helpers" / "__init__.py"
    if init.is_file() and '__workbook__ = "{mark}"' in init.read_text():
        sys.path.insert(0, str(folder.resolve()))
        clone = True
        break
found = _workbook()
if not clone and not hasattr(found, "__workbook__"):
    spec = f"{name} @ git+{{REPO}}@{{REF}}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", spec],
                         capture_output=True, text=True)  # fmt: skip
    found = _workbook() if pip.returncode == 0 else found
if not hasattr(found, "__workbook__"):
    why = (f"pip could not install {{REPO}}@{{REF}}: {{pip.stderr.strip().rpartition(chr(10))[2]}}"
           if pip and pip.returncode else f"the module `helpers` at {{found}} is another one; "
           "rename it" if found else "no module `helpers` was found")  # fmt: skip
    raise RuntimeError(f"The workbook's helpers are not importable ({{why}}). Set the repository "
                       "and ref that hold it, e.g. os.environ['WORKBOOK_REPO'] = 'https://github"
                       ".com/<you>/<fork>' and os.environ['WORKBOOK_REF'] = 'main', and run this "
                       "cell again; or open the notebook from a clone.")  # fmt: skip
print(f"helpers {{found.__version__}} from {{Path(found.__file__).parent}}")"""


def _pyproject(root: Path) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text())


def repository(root: Path) -> tuple[str, str]:
    """``(url, ref)`` of ``[tool.workbook]`` in ``root/pyproject.toml``."""
    settings = _pyproject(root)["tool"]["workbook"]
    return settings["repository"].rstrip("/"), settings["ref"]


def badge_url(url: str, ref: str, notebook: str, folder: str = "notebooks") -> str:
    """The "Open in Colab" link of ``<folder>/<notebook>`` at ``ref`` of a GitHub ``url``
    (``folder``: ``exercises`` for the exercise edition)."""
    slug = url.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{slug}/blob/{ref}/{folder}/{notebook}"


def setup_cell(url: str, ref: str, name: str = MARK) -> str:
    """The source of every notebook's first code cell, for the repository ``url`` at ``ref``."""
    return _SETUP.format(header=_HEADER, repo=url, ref=ref, mark=MARK, name=name)


def sync_notebooks(root: Path, *, check: bool = False) -> list[Path]:
    """Rewrite each notebook's badge and set-up cell from ``[tool.workbook]``.

    Args:
        root: the checkout (holds ``pyproject.toml`` and ``notebooks/``).
        check: change nothing; only report which notebooks differ.

    Returns:
        The notebooks that were (with ``check``: would be) changed.
    """
    url, ref = repository(root)
    name = _pyproject(root)["project"]["name"]
    changed = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        text = path.read_text()
        nb = json.loads(text)
        markdown = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
        code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        badge = _BADGE.sub(badge_url(url, ref, path.name), "".join(markdown["source"]))
        markdown["source"] = badge.splitlines(keepends=True)
        code["source"] = setup_cell(url, ref, name).splitlines(keepends=True)
        code["metadata"] = {**code.get("metadata", {}), **_HIDDEN}
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new)
    return changed
