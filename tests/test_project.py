"""Project hygiene: packaging agrees with environment.yml; notebooks are clean and uniform."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import tomllib

import helpers

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# conda names of pip packages where they differ
CONDA_NAMES = {"torch": "pytorch"}


def _requirement(line: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", line)
    assert match, line
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_agrees_with_pyproject():
    project = PYPROJECT["project"]
    wanted = dict(_requirement(r) for r in project["dependencies"])
    wanted.update(_requirement(r) for r in project["optional-dependencies"]["test"])
    wanted = {CONDA_NAMES.get(k, k): v for k, v in wanted.items()}
    text = (ROOT / "environment.yml").read_text()
    lines = text.split("dependencies:", 1)[1].splitlines()
    conda = {}
    for line in lines:
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+)(\S*)\s*$", line)
        if m and m.group(1) not in ("python", "pip"):
            conda[m.group(1).lower()] = m.group(2)
    assert conda == wanted


def test_constraints_pin_every_dependency():
    pins = dict(
        _requirement(line)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    project = PYPROJECT["project"]
    names = {_requirement(r)[0] for r in project["dependencies"]}
    names |= {_requirement(r)[0] for r in project["optional-dependencies"]["test"]}
    assert names <= set(pins), f"unpinned: {names - set(pins)}"
    assert all(v.startswith("==") for v in pins.values())


def test_version_matches():
    assert PYPROJECT["project"]["version"] == helpers.__version__


def test_there_are_notebooks():
    assert [p.stem for p in NOTEBOOKS][:1] == ["00_datasets"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_and_uniform(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        assert not cell.get("outputs"), f"{path.name}: code cell {i + 1} holds outputs"
        assert cell.get("execution_count") is None, f"{path.name}: code cell {i + 1} has a count"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    first_md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    repo = PYPROJECT["project"]["urls"]["Repository"].removeprefix("https://github.com/")
    badge = f"https://colab.research.google.com/github/{repo}/blob/main/notebooks/{path.name}"
    assert badge in "".join(first_md["source"])
    setup = "".join(code[0]["source"])
    ref = f"git+https://github.com/{repo}@v{helpers.__version__}"
    assert ref in setup and "--no-deps" in setup
    assert f'workbook.start(\n    "{path.stem}"' in setup
    assert "print(wb)" in setup
