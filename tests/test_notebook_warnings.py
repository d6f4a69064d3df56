"""The nbval runs of `make test` fail on a cell that shows a warning (the root conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebook(*sources: str) -> str:
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
         "outputs": [], "source": source}
        for i, source in enumerate(sources)
    ]  # fmt: skip
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_warning_in_a_notebook_fails_its_cell(pytester):
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    pytester.path.joinpath("warns.ipynb").write_text(
        notebook("print('fine')", "import warnings\nwarnings.warn('axes sizes collapsed')")
    )
    result = pytester.runpytest_subprocess("--nbval-lax", "-p", "no:cacheprovider", "warns.ipynb")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*wrote to stderr*", "*axes sizes collapsed*"])
