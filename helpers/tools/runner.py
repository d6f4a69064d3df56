"""Notebooks executed headless: ``python -m helpers run [NOTEBOOK ...] --profile ... --data ...``
(the command line is :mod:`helpers.tools.cli`).

The committed ``.ipynb`` is never modified: the executed copy, with its outputs, goes to
``figures/<profile>/<notebook>/<notebook>.ipynb`` beside the figures and ``metrics.json`` it
wrote (``--figures-dir``, else ``WORKBOOK_FIGURES_DIR``, chooses another root). A progress bar
follows the cells. A failing cell, or one that runs past ``--timeout``, stops that notebook: the
command prints which cell failed and its error, goes on with the other notebooks, and exits with
status 1 at the end.

The executed copy is meant to be opened and shared: it holds the state of every widget in its
metadata (so JupyterLab and Notebook 7 draw each panel and progress bar as the run left it), and
the text of each ``tqdm`` bar is its final frame (``vae: 100%|...| 936/936 [02:31<00:00, ...]``),
not the first one that the kernel sent, for the viewers that show only text (see
:func:`finish_outputs`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from ..train.progress import PROGRESS_LOG_ENV

__all__ = [
    "RunResult",
    "find_notebooks",
    "finish_outputs",
    "run_notebook",
    "summary_table",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
META_KEYS = {
    "profile", "data", "device", "device_name", "seed", "seconds", "torch", "peak_gpu_memory_gb",
    "provenance",
}  # fmt: skip
# How long one cell may run, by profile: long enough for the slowest GPU the profile is meant
# for, short enough that a hung kernel does not hold the machine forever. 03_simsiam trains
# its runs in one cell: in the full profile that is about 30 min on an H100 and 5-7 hours on
# a T4 (benchmarks/README.md, "The T4 estimate"). ``--timeout`` overrides it; 0 means none.
CELL_TIMEOUT_S = {"smoke": 15 * 60, "demo": 60 * 60, "full": 12 * 60 * 60}


def cell_timeout(profile: str, given: int | None = None) -> int | None:
    """Seconds a cell of a ``profile`` run may take: ``given`` (``--timeout``; 0 is no limit),
    else the profile's :data:`CELL_TIMEOUT_S`; ``None`` means no limit."""
    if given is not None:
        return given or None
    return CELL_TIMEOUT_S.get(profile, 60 * 60)


def notebooks_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "notebooks"


def find_notebooks(names: Sequence[str], folder: Path | None = None) -> list[Path]:
    """Paths of the notebooks called ``names`` (stems like ``01_vae``; none means all)."""
    folder = folder or notebooks_dir()
    available = sorted(folder.glob("*.ipynb"))
    if not available:
        raise SystemExit(
            f"no notebooks in {folder}: the runner works in a checkout of the workbook (git "
            "clone it and run `python -m helpers run` there); an installed package has none."
        )
    if not names:
        return available
    by_stem = {p.stem: p for p in available}
    paths = []
    for name in names:
        stem = Path(name).stem
        if stem not in by_stem:
            raise SystemExit(
                f"no notebook {name!r} in {folder}; available: {', '.join(by_stem) or 'none'}"
            )
        paths.append(by_stem[stem])
    return paths


@dataclass
class RunResult:
    """How one notebook's run went."""

    notebook: str
    ok: bool
    seconds: float
    executed: Path
    error: str | None = None
    started: float = 0.0  # time.time() when the run began


def run_notebook(
    path: Path,
    *,
    profile: str,
    data: str | None,
    figures_root: Path,
    timeout: int | None = None,
    progress: bool = True,
) -> RunResult:
    """Execute ``path`` in a fresh kernel with the given profile and data source; a cell that
    runs longer than ``timeout`` seconds stops the notebook (default: the profile's
    :func:`cell_timeout`; 0: no limit)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from tqdm.auto import tqdm

    stem = path.stem
    executed = figures_root / stem / f"{stem}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env.update(WORKBOOK_PROFILE=profile, WORKBOOK_FIGURES_DIR=str(figures_root.resolve()))
    if data:
        env["WORKBOOK_DATA"] = data
    repo = str(path.resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    log = executed.parent / f".{stem}.progress.log"  # training progress, tailed to the terminal
    log.write_text("")
    env[PROGRESS_LOG_ENV] = str(log.resolve())
    timeout = cell_timeout(profile, timeout)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=True,
    )
    client.km = client.create_kernel_manager()
    client.km.transport = "ipc"  # local sockets: no plain-text TCP (nor the kernel's warning)
    client.km.ip = str(executed.parent.resolve() / f".{stem}-kernel")
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    began = time.time()
    error = None
    bar = tqdm(total=len(code_cells), desc=stem, unit="cell", disable=not progress)
    tail = _LogTail(log, bar.write if progress else print)
    kernel_log = executed.parent / f"{stem}.kernel.log"  # the kernel's own stderr, kept on failure
    try:
        with open(kernel_log, "w") as klog, client.setup_kernel(env=env, stderr=klog):
            for number, index in enumerate(code_cells, start=1):
                cell = nb.cells[index]
                bar.set_postfix_str(_first_line(cell.source), refresh=True)
                try:
                    with tail.running():
                        client.execute_cell(cell, index)
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
                    error = (
                        f"{stem}: code cell {number} of {len(code_cells)} (cell index {index}) "
                        f"failed:\n{_ANSI.sub('', str(err))}"
                    )
                    if isinstance(err, CellTimeoutError):
                        error += (
                            f"\nThe cell ran past the limit of {timeout} s per cell (profile "
                            f"{profile}); --timeout SECONDS raises it, --timeout 0 removes it. "
                            "Training checkpoints: the same command resumes where it stopped."
                        )
                    break
                bar.update(1)
    finally:
        bar.close()
        client.set_widgets_metadata()  # NotebookClient.execute would; execute_cell does not
        finish_outputs(nb)
        nbformat.write(nb, executed)
        log.unlink(missing_ok=True)
    if error is None:
        kernel_log.unlink(missing_ok=True)
    elif kernel_log.stat().st_size:
        error += f"\n(the kernel's own messages: {kernel_log})"
    return RunResult(stem, error is None, time.time() - began, executed, error, began)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PROGRESS_MODELS = ("FloatProgressModel", "IntProgressModel")  # the bar of tqdm.notebook


def finish_outputs(nb: Any) -> int:
    """Give each ``tqdm`` bar's output in ``nb`` the text of its final frame; returns how many.

    A bar's output holds the text of the frame the kernel first displayed (``0%| | 0/936``);
    its later frames reach only the widget's state, which
    ``NotebookClient.set_widgets_metadata`` stores in ``nb.metadata.widgets``. The final frame
    is rebuilt from that state (the bar's two labels and its value), so that a viewer without
    widgets shows how the loop ended.
    """
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    finished = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            text = _tqdm_text(models, view.get("model_id", "")) if view else None
            if text is not None:
                output["data"]["text/plain"] = text
                finished += 1
    return finished


def _tqdm_text(models: dict[str, Any], model_id: str) -> str | None:
    """The text frame of the tqdm bar ``model_id`` (an HBox of HTML, progress, HTML) or None."""
    box = models.get(model_id, {})
    if box.get("model_name") != "HBoxModel":
        return None
    children = [
        models.get(str(c).removeprefix("IPY_MODEL_"), {}) for c in box["state"].get("children", [])
    ]
    kinds = [c.get("model_name") for c in children]
    if len(kinds) != 3 or kinds[::2] != ["HTMLModel"] * 2 or kinds[1] not in PROGRESS_MODELS:
        return None
    left, bar, right = (c["state"] for c in children)
    value, top = float(bar.get("value", 0) or 0), float(bar.get("max", 0) or 0)
    filled = min(10, max(0, int(10 * value / top))) if top > 0 else 0
    drawn = "\u2588" * filled + " " * (10 - filled)
    text = f"{unescape(left.get('value', ''))}|{drawn}|{unescape(right.get('value', ''))}"
    return text.replace("\u2007", " ")  # tqdm.notebook's labels use figure spaces


class _LogTail:
    """Prints the lines a kernel appends to a progress log while a cell runs."""

    def __init__(self, path: Path, write: Callable[[str], object]) -> None:
        self.path, self.write, self.offset = path, write, 0

    def poll(self) -> None:
        try:
            with open(self.path) as handle:
                handle.seek(self.offset)
                text = handle.read()
        except FileNotFoundError:
            return
        complete = text[: text.rfind("\n") + 1]
        self.offset += len(complete.encode())
        for line in complete.splitlines():
            self.write(f"  {line}")

    @contextlib.contextmanager
    def running(self, every: float = 1.0) -> Iterator[None]:
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                self.poll()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.poll()


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:50]
    return ""


def _flatten(prefix: str, value: object, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, rows)
    elif isinstance(value, bool):
        rows.append((prefix, str(value)))
    elif isinstance(value, str) and len(value) <= 40:
        rows.append((prefix, value))
    elif isinstance(value, int | float):
        rows.append((prefix, f"{value:.4g}" if isinstance(value, float) else str(value)))


def summary_table(results: Sequence[RunResult], figures_root: Path) -> str:
    """A plain-text table of each notebook's status and the headline numbers it recorded."""
    lines = [f"{'notebook':<18} {'metric':<44} value", "-" * 76]
    for result in results:
        status = "ok" if result.ok else "FAILED"
        lines.append(f"{result.notebook:<18} {'(run)':<44} {status}, {result.seconds:.0f} s")
        metrics_path = figures_root / result.notebook / "metrics.json"
        if not metrics_path.exists() or metrics_path.stat().st_mtime < result.started:
            lines.append(f"{'':<18} {'(this run wrote no metrics.json)':<44}")
            continue
        metrics = json.loads(metrics_path.read_text())
        rows: list[tuple[str, str]] = []
        for key, value in metrics.items():
            if key not in META_KEYS:
                _flatten(key, value, rows)
        lines.extend(f"{'':<18} {key:<44} {value}" for key, value in rows)
        meta = ", ".join(f"{k} {metrics[k]}" for k in ("profile", "data", "device") if k in metrics)
        lines.append(f"{'':<18} {'(settings)':<44} {meta}")
    return "\n".join(lines)
