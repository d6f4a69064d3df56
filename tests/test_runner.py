"""The headless notebook runner."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import runner


def write_notebook(path, cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path.read_text()


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    good = write_notebook(
        folder / "10_good.ipynb",
        [
            new_markdown_cell("# good"),
            new_code_cell(
                "import os\nfrom helpers import workbook\n"
                "wb = workbook.start('10_good')\n"
                "profile = os.environ['WORKBOOK_PROFILE']\n"
                "wb.record('answer', {'value': 42.0, 'profile_seen': profile})"
            ),
        ],
    )
    bad = write_notebook(
        folder / "11_bad.ipynb",
        [
            new_code_cell("x = 1"),
            new_code_cell("raise ValueError('broken on purpose')"),
            new_code_cell("y = 2"),
        ],
    )
    return folder, {"10_good": good, "11_bad": bad}


def test_run_good_and_bad_notebooks(notebooks, tmp_path, monkeypatch, capsys):
    folder, sources = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    figures = tmp_path / "figures"
    code = runner.main(
        ["run", "--profile", "smoke", "--figures-dir", str(figures), "--no-progress"]
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert "11_bad: code cell 2 of 3 (cell index 1) failed" in err
    assert "ValueError: broken on purpose" in err
    assert "failed: 11_bad" in err
    metrics = json.loads((figures / "10_good" / "metrics.json").read_text())
    assert metrics["answer"] == {"value": 42.0, "profile_seen": "smoke"}
    assert "answer.value" in out and "42" in out
    executed = nbformat.read(figures / "10_good" / "10_good.ipynb", as_version=4)
    assert executed.cells[1].execution_count == 1
    # The committed notebooks are untouched.
    for stem, text in sources.items():
        assert (folder / f"{stem}.ipynb").read_text() == text


def test_run_selected_notebook_passes(notebooks, tmp_path, monkeypatch):
    folder, _ = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    code = runner.main(
        ["run", "10_good", "--profile", "smoke", "--figures-dir", str(tmp_path), "--no-progress"]
    )
    assert code == 0


def test_unknown_notebook(notebooks, monkeypatch):
    folder, _ = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    with pytest.raises(SystemExit, match=r"no notebook '99_nope'.*available: 10_good, 11_bad"):
        runner.main(["run", "99_nope"])
