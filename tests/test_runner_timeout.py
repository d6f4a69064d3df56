"""The headless runner's limit per cell comes from the profile: a cell that runs past it stops
the notebook with a message that says how to raise it."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from helpers.tools import cli, runner


def test_the_cell_limit_comes_from_the_profile(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("import time\ntime.sleep(60)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, folder / "12_slow.ipynb")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setitem(runner.CELL_TIMEOUT_S, "smoke", 2)
    code = cli.main(["run", "12_slow", "--profile", "smoke", "--figures-dir",
                        str(tmp_path / "figures"), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "12_slow: code cell 2 of 2 (cell index 1) failed" in err
    assert "past the limit of 2 s per cell (profile smoke)" in err and "--timeout" in err


def test_the_limits_by_profile_and_the_override():
    assert runner.cell_timeout("full") >= 6 * 3600  # 03_simsiam's runs in one cell, on a T4
    assert runner.cell_timeout("smoke") < runner.cell_timeout("demo") < runner.cell_timeout("full")
    assert runner.cell_timeout("full", 30) == 30
    assert runner.cell_timeout("full", 0) is None  # --timeout 0: no limit
