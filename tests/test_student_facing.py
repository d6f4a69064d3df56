"""What a student meets first: the README's commands exist, its first screen says how to start,
and every notebook code cell is short enough to read."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.tools import main as helpers_main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _commands(text: str) -> list[str]:
    """Every shell line of the fenced bash blocks and every inline `make ...`/`python ...`."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        lines += [line.split("#")[0].strip() for line in block.splitlines()]
    lines += re.findall(r"`((?:make|python|\.venv/bin/python) [^`]+)`", text)
    return [line for line in lines if line]


def _problems(command: str) -> list[str]:
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    words = command.replace(".venv/bin/python", "python").split()
    if words[0] == "make":
        return [f"make {w}: no such Makefile target" for w in words[1:] if w not in targets]
    if words[:3] == ["python", "-m", "helpers"]:
        try:
            helpers_main([words[3], "--help"])
        except SystemExit as stop:
            return [] if stop.code == 0 else [f"python -m helpers {words[3]}: not a subcommand"]
    paths = [w for w in words if w.endswith(".py") and "/" in w]
    return [f"{command}: {p} does not exist" for p in paths if not (ROOT / p).exists()]


def test_the_readme_commands_exist():
    commands = _commands(README)
    assert any(c.startswith("make demo") for c in commands) and len(commands) >= 6
    problems = [p for c in commands for p in _problems(c)]
    assert not problems, problems


def test_the_command_check_catches_a_missing_target():
    assert _problems("make nonsense")
    assert _problems("python -m helpers nonsense")
    assert _problems("python benchmarks/no_such_script.py")
    assert not _problems("make demo")


def test_the_first_screen_has_the_two_commands_colab_and_each_notebook():
    first_screen = "\n".join(README.splitlines()[:40])
    assert "make demo" in first_screen and "make test" in first_screen
    assert "Colab" in first_screen
    for path in NOTEBOOKS:
        assert f"`{path.stem}`" in first_screen, path.stem
    assert len(README) < 12_000, "aim for a README a student reads in five minutes"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_code_cell_is_over_40_lines(path):
    cells = json.loads(path.read_text())["cells"]
    long = [
        (i, len("".join(c["source"]).splitlines()))
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and len("".join(c["source"]).splitlines()) > 40
    ]
    assert not long, f"{path.name}: cells (index, lines) {long}: move their logic into helpers"
