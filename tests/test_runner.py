"""The headless notebook runner."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.tools import cli, runner

ROOT = Path(__file__).resolve().parents[1]


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
                "import os\nfrom helpers.notebook import workbook\n"
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
    code = cli.main(
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
    code = cli.main(
        ["run", "10_good", "--profile", "smoke", "--figures-dir", str(tmp_path), "--no-progress"]
    )
    assert code == 0


def test_unknown_notebook(notebooks, monkeypatch):
    folder, _ = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    with pytest.raises(SystemExit, match=r"no notebook '99_nope'.*available: 10_good, 11_bad"):
        cli.main(["run", "99_nope"])


def test_no_notebooks_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "notebooks_dir", lambda: tmp_path)
    with pytest.raises(SystemExit, match=r"no notebooks in .*checkout of the workbook"):
        cli.main(["run"])


def _profile_seen(figures):
    return json.loads((figures / "10_good" / "metrics.json").read_text())["answer"]["profile_seen"]


def test_profile_comes_from_the_environment_unless_the_flag_is_given(
    notebooks, tmp_path, monkeypatch
):
    folder, _ = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setenv("WORKBOOK_PROFILE", "smoke")
    figures = tmp_path / "f"
    assert cli.main(["run", "10_good", "--figures-dir", str(figures), "--no-progress"]) == 0
    assert _profile_seen(figures) == "smoke"
    monkeypatch.setenv("WORKBOOK_PROFILE", "full")
    args = ["run", "10_good", "--profile", "smoke", "--figures-dir", str(figures), "--no-progress"]
    assert cli.main(args) == 0
    assert _profile_seen(figures) == "smoke"


def test_each_profile_writes_its_own_folder(notebooks, tmp_path, monkeypatch, capsys):
    from helpers.notebook import workbook
    from helpers.train import fileio

    folder, _ = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setattr(fileio, "repo_root", lambda: tmp_path)
    monkeypatch.setattr(workbook, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("WORKBOOK_DATA", raising=False)
    monkeypatch.delenv("WORKBOOK_FIGURES_DIR", raising=False)
    assert cli.main(["run", "10_good", "--profile", "smoke", "--no-progress"]) == 0
    assert cli.main(["run", "10_good", "--profile", "smoke", "--data", "real",
                        "--no-progress"]) == 0  # fmt: skip
    assert _profile_seen(tmp_path / "figures" / "smoke") == "smoke"
    assert _profile_seen(tmp_path / "figures" / "smoke-real") == "smoke"
    assert "figures/smoke-real" in capsys.readouterr().out


def test_a_failed_run_does_not_report_earlier_metrics(notebooks, tmp_path, monkeypatch, capsys):
    folder, _ = notebooks
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    old = tmp_path / "11_bad" / "metrics.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"stale_number": 123.0}))
    os.utime(old, (1_000_000, 1_000_000))
    args = ["run", "11_bad", "--profile", "smoke", "--figures-dir", str(tmp_path), "--no-progress"]
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    assert "stale_number" not in out and "this run wrote no metrics.json" in out


def test_training_progress_reaches_the_terminal_headless(tmp_path, monkeypatch, capfd):
    """capfd: the kernel's own stderr (inherited file descriptors) is checked too."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "12_train.ipynb",
        [
            new_code_cell(
                "from helpers.train import train\n"
                "train('toy', lambda i: {'loss': 1.0 / (i + 1)}, 6, {}, checkpoint_dir=None,\n"
                "      steps_per_epoch=2, progress=False)"
            )
        ],
    )
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    args = ["run", "--profile", "smoke", "--figures-dir", str(tmp_path / "f"), "--no-progress"]
    assert cli.main(args) == 0
    out, err = capfd.readouterr()
    for step in (2, 4, 6):
        assert f"toy: step {step}/6" in out
    assert "without encryption" not in out + err


def test_ctrl_c_stops_quietly(tmp_path):
    """Ctrl-C (SIGINT to the runner's process group) ends the run with status 130 and one line,
    with no kernel or ZMQ traceback on the terminal."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    started = tmp_path / "started"
    write_notebook(
        folder / "13_long.ipynb",
        [new_code_cell(f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(120)")],
    )
    script = (
        # A terminal delivers Ctrl-C to a process whose SIGINT is not ignored; a test run launched
        # as a background job of a non-interactive shell (`make test &`) would pass SIGINT
        # ignored down to the runner, so the runner's handler is set here as a terminal has it.
        "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import sys, pathlib\nfrom helpers.tools import cli, runner\n"
        f"runner.notebooks_dir = lambda: pathlib.Path({str(folder)!r})\n"
        "sys.exit(cli.main(['run', '--profile', 'smoke', '--figures-dir', "
        f"{str(tmp_path / 'f')!r}, '--no-progress']))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.time() + 120
    while not started.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err and "ZMQError" not in err
    assert "interrupted" in err


FIRST_FRAME = re.compile(r"(?<![\d.])0%\|")  # tqdm's first frame: "  0%|          | 0/936"
FINAL_FRAME = re.compile(r"100%\|\S*\| (\d+)/\1 ")  # its last: "100%|##########| 936/936 [...]"


def output_texts(cell) -> list[str]:
    """The text each output of ``cell`` shows in a viewer without widgets, in order."""
    texts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            texts.append(output["text"])
        elif "data" in output:
            texts.append(output["data"].get("text/plain", ""))
    return texts


def test_the_saved_copy_shows_how_progress_ended_and_keeps_the_widgets(tmp_path, monkeypatch):
    """What a student opens or shares: each progress bar's text is its final frame, training
    ends with a line that says what ran, and every widget's state is in the notebook's metadata
    (JupyterLab draws it from there) with a PNG of the explorer's image for other viewers."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(
        folder / "14_saved.ipynb",
        [
            new_code_cell(
                "from tqdm.auto import tqdm\nfor _ in tqdm(range(5), desc='plain'):\n    pass"
            ),
            new_code_cell(
                "from helpers.train import train\n"
                "train('toy', lambda i: {'loss': 1.0 / (i + 1)}, 6, {}, checkpoint_dir=None,\n"
                "      steps_per_epoch=2, progress=True)\n"
                "None"
            ),
            new_code_cell(
                "import ipywidgets as widgets, torch\n"
                "from helpers.notebook import ImageExplorer\n"
                "ImageExplorer(lambda alpha: torch.full((2, 1, 4, 4), alpha),\n"
                "              {'alpha': widgets.FloatSlider(value=0.5, min=0, max=1)})"
            ),
        ],
    )
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout's helpers
    figures = tmp_path / "figures"
    args = ["run", "--profile", "smoke", "--figures-dir", str(figures), "--no-progress"]
    assert cli.main(args) == 0
    nb = nbformat.read(figures / "14_saved" / "14_saved.ipynb", as_version=4)
    plain, trained, panel = (output_texts(c) for c in nb.cells)
    for texts in (plain, trained):
        for i, text in enumerate(texts):
            if FIRST_FRAME.search(text):  # a first frame must be followed by a final line
                later = "\n".join(texts[i + 1 :])
                assert FINAL_FRAME.search(later) or re.search(r"(\d+)/\1 steps", later), texts
    assert any(t.startswith("plain: 100%|") and FINAL_FRAME.search(t) for t in plain), plain
    assert any(t.startswith("toy: 100%|") and "6/6 " in t for t in trained), trained
    assert re.search(r"^toy: 6/6 steps, [\d.]+ s$", "\n".join(trained), re.M), trained
    assert not any(FIRST_FRAME.search(t) or "VBox(" in t for t in panel), panel
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    views = [
        o["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
        for c in nb.cells
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 3 and all(v in state for v in views)
    explorer = nb.cells[2].outputs[-1]["data"]
    assert "application/vnd.jupyter.widget-view+json" in explorer and "image/png" in explorer
    assert state[views[2]]["model_name"] == "VBoxModel"
    assert any(s["model_name"] == "ImageModel" and s.get("buffers") for s in state.values())
