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
