"""The notebooks' set-up cell, run offline: a clone beside the notebook, an install from a local
git repository (a ``file://`` URL) into a temporary folder, and the one message when it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.notebook import setup_cell

ROOT = Path(__file__).resolve().parent.parent
NOWHERE = "file:///nonexistent/workbook"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A git repository holding the package's files, as GitHub would."""
    path = tmp_path_factory.mktemp("origin") / "workbook"
    path.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, path / name)
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "helpers", path / "helpers", ignore=skip)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(path)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "workbook"], check=True)
    subprocess.run([*git, "tag", "v-test"], check=True)
    return path


def run_cell(source: str, cwd: Path, target: Path, **env: str) -> subprocess.CompletedProcess:
    """Run the cell as a kernel would (the working folder first on sys.path), in an interpreter
    without site-packages (-S), so that the project's own install is not found; pip installs
    into ``target``, offline."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "PIP_TARGET": str(target),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # build with the venv's setuptools: no download
    }
    full_env.pop("WORKBOOK_REPO", None)
    full_env.pop("WORKBOOK_REF", None)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-S", "-c", source], cwd=cwd, env=full_env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def test_installs_from_the_repository_when_not_in_a_clone(repo, tmp_path):
    result = run_cell(setup_cell(f"file://{repo}", "v-test"), tmp_path, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert f"helpers 0.1.0 from {tmp_path / 'site' / 'helpers'}" in result.stdout


def test_environment_names_a_fork(repo, tmp_path):
    cell = setup_cell(NOWHERE, "main")
    result = run_cell(cell, tmp_path, tmp_path / "site", WORKBOOK_REPO=f"file://{repo}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "helpers" / "__init__.py").exists()


def test_a_failed_install_stops_with_one_message(repo, tmp_path):
    result = run_cell(setup_cell(f"file://{repo}", "no-such-ref"), tmp_path, tmp_path / "site")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: The workbook's helpers are not importable (pip could")
    assert "WORKBOOK_REPO" in last and "WORKBOOK_REF" in last
    assert "ModuleNotFoundError" not in result.stderr


def test_uses_the_package_beside_the_notebook_without_installing(tmp_path):
    result = run_cell(setup_cell(NOWHERE, "main"), ROOT / "notebooks", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert f"from {ROOT / 'helpers'}" in result.stdout
    assert not (tmp_path / "site").exists()


def test_a_clone_in_the_working_folder_is_used(tmp_path, repo):
    shutil.copytree(repo, tmp_path / "workbook")  # Colab: !git clone ... in /content
    result = run_cell(setup_cell(NOWHERE, "main"), tmp_path, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert f"from {tmp_path / 'workbook' / 'helpers'}" in result.stdout


def test_another_module_called_helpers_is_not_taken_for_the_workbook(repo, tmp_path):
    (tmp_path / "helpers.py").write_text("x = 1\n")  # a student's own helpers.py
    result = run_cell(setup_cell(f"file://{repo}", "main"), tmp_path, tmp_path / "site")
    assert result.returncode != 0
    assert f"the module `helpers` at {tmp_path / 'helpers.py'} is another one" in result.stderr


def test_the_set_up_cell_is_short_and_collapsed():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cell = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        source = "".join(cell["source"])
        assert source.startswith("# @title ") and 'display-mode: "form"' in source.splitlines()[0]
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, path.name
        assert len(source.splitlines()) <= 40, path.name
