"""Project hygiene: packaging agrees with environment.yml; notebooks are clean and uniform."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
import tomllib

import helpers
from helpers import colab
from helpers.colab import sync_notebooks

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
    config = "".join(code[1]["source"])
    assert f'workbook.start(\n    "{path.stem}"' in config
    assert "print(wb)" in config


def test_notebooks_badges_and_set_up_cells_follow_pyproject():
    """One place for the repository and ref: ``python -m helpers sync-notebooks`` wrote them."""
    assert sync_notebooks(ROOT, check=True) == []
    url, ref = colab.repository(ROOT)
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        first_md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
        assert colab.badge_url(url, ref, path.name) in "".join(first_md["source"])
        setup = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
        assert f'"{url}"' in setup and f'"{ref}"' in setup and "--no-deps" in setup


def test_sync_notebooks_rewrites_a_changed_repository(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    text = (ROOT / "pyproject.toml").read_text()
    url, _ = colab.repository(ROOT)
    fork = "https://github.com/someone/fork"
    (tmp_path / "pyproject.toml").write_text(text.replace(f'"{url}"', f'"{fork}"'))
    assert len(sync_notebooks(tmp_path)) == len(NOTEBOOKS)
    assert sync_notebooks(tmp_path, check=True) == []
    text = (tmp_path / "notebooks" / NOTEBOOKS[0].name).read_text()
    code = [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
    setup = "".join(code[0]["source"])
    assert "someone/fork/blob/" in text and f'"WORKBOOK_REPO", "{fork}"' in setup
    assert url not in text


def test_student_facing_text_has_no_issue_numbers_or_version_history():
    """README.md and the notebooks speak to students: no "issue 13", no "previous version"
    (the development record lives in benchmarks/README.md)."""
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\bissue \d+|\bissue that asked|previous version|this version", re.I)
    for path in [root / "README.md", *sorted((root / "notebooks").glob("*.ipynb"))]:
        hits = pattern.findall(path.read_text())
        assert not hits, f"{path.name}: {hits}"


def _private_helpers_names(path: Path) -> list[str]:
    """Private names (``_x``, not dunders) that ``path`` takes from ``helpers``: imported with
    ``from helpers[.m] import _x``, or read as ``m._x`` from a module bound by an import."""
    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    tree = ast.parse(path.read_text())
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "helpers":
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)  # a module (or a function, class...)
            if any(private(part) for part in (node.module or "").split(".")):
                found.append(node.module or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "helpers":
                    modules.add(alias.asname or alias.name.split(".")[0])
                    found += [alias.name for part in alias.name.split(".") if private(part)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{ast.unparse(node)}")
    return found


def test_helper_modules_stay_small_and_benchmarks_use_only_public_names(tmp_path):
    """Every module of helpers/ keeps to 500 lines (split it along its seams when it grows),
    and benchmarks/ reads no private name (``_x``) of helpers: what it needs gets a public
    entry point."""
    root = Path(__file__).resolve().parent.parent
    long = {p.name: n for p in sorted((root / "helpers").glob("*.py"))
            if (n := len(p.read_text().splitlines())) > 500}  # fmt: skip
    assert not long, f"helpers modules over 500 lines: {long}"
    private = {p.name: names for p in sorted((root / "benchmarks").glob("*.py"))
               if (names := _private_helpers_names(p))}  # fmt: skip
    assert not private, f"benchmarks use private names of helpers: {private}"
    # the check finds both forms
    probe = tmp_path / "probe.py"
    probe.write_text("from helpers import vae\nfrom helpers.data import _spec\nvae._flat(1)\n")
    assert _private_helpers_names(probe) == ["helpers.data._spec", "vae._flat"]
