"""Test settings shared by the unit tests and nbval's notebook runs (the kernels inherit them).

The smoke profile on stand-in data, offline, with figures and checkpoints under build/ so that
a test run leaves the committed figures/ alone and never resumes a user's checkpoints.
"""

import os
from pathlib import Path

_BUILD = Path(__file__).resolve().parent / "build"
os.environ.setdefault("WORKBOOK_PROFILE", "smoke")
os.environ.setdefault("WORKBOOK_DATA", "synthetic")
os.environ.setdefault("WORKBOOK_OFFLINE", "1")
os.environ.setdefault("WORKBOOK_FIGURES_DIR", str(_BUILD / "test-figures"))
os.environ.setdefault("WORKBOOK_CHECKPOINT_DIR", str(_BUILD / "test-checkpoints"))
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

pytest_plugins = ("pytester",)  # tests/test_notebook_warnings.py runs pytest on a notebook


def warning_texts(outputs: list[dict] | None) -> list[str]:
    """What a cell's outputs show in a notebook's pink stderr boxes (warnings, tracebacks)."""
    return [
        "".join(out.get("text", ""))
        for out in outputs or []
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """nbval's cells fail when they write to stderr: a student would see a warning box."""
    result = yield
    shown = warning_texts(getattr(item, "test_outputs", None))
    if shown:
        pytest.fail(f"the cell wrote to stderr (a warning box in the notebook):\n{''.join(shown)}")
    return result
