"""The line that closes a loop's progress, and the final frame the runner gives a saved bar."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from helpers.tools import finish_outputs
from helpers.tools.runner import WIDGET_STATE, WIDGET_VIEW
from helpers.train import format_duration, summary_line


def test_durations_and_the_summary_line():
    assert format_duration(0.42) == "0.4 s"
    assert format_duration(12.4) == "12 s"
    assert format_duration(151) == "2 min 31 s"
    assert format_duration(3900) == "1 h 05 min"
    assert summary_line("train_vae", 936, 936, 151) == "train_vae: 936/936 steps, 2 min 31 s"
    resumed = summary_line("train_vae", 936, 936, 151, resumed_from=468)
    assert resumed == "train_vae: 936/936 steps, 2 min 31 s (resumed at step 468)"


def model(name: str, **state: object) -> dict[str, object]:
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}


def widget_output(model_id: str, text: str) -> nbformat.NotebookNode:
    data = {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": model_id}}
    return new_output("display_data", data={**data, "text/plain": text})


def test_finish_outputs_gives_each_tqdm_bar_its_final_frame_and_leaves_other_widgets():
    """tqdm.notebook's bar: an HBox of an HTML label, a FloatProgress and an HTML label (whose
    spaces are figure spaces, U+2007); its output's text is the frame first displayed."""
    fs = "\u2007"
    state = {
        "bar": model("HBoxModel", children=["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"]),
        "l": model("HTMLModel", value=f"train_vae:{fs}100%"),
        "p": model("FloatProgressModel", value=936.0, max=936.0),
        "r": model("HTMLModel", value=f"{fs}936/936{fs}[02:31&lt;00:00,{fs}6.2step/s]"),
        "half": model("HBoxModel", children=["IPY_MODEL_l", "IPY_MODEL_q", "IPY_MODEL_r"]),
        "q": model("FloatProgressModel", value=5.0, max=10.0),
        "panel": model("VBoxModel", children=["IPY_MODEL_l"]),
    }
    nb = new_notebook(cells=[new_code_cell("")])
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": state}}
    nb.cells[0].outputs = [
        widget_output("bar", "train_vae:   0%|          | 0/936 [00:00<?, ?step/s]"),
        widget_output("half", "first frame"),
        widget_output("panel", "VBox(children=(...))"),
        widget_output("not-stored", "  0%|          | 0/5"),
    ]
    assert finish_outputs(nb) == 2
    texts = [o["data"]["text/plain"] for o in nb.cells[0].outputs]
    assert texts[0] == "train_vae: 100%|" + "\u2588" * 10 + "| 936/936 [02:31<00:00, 6.2step/s]"
    assert texts[1].split("|")[1] == "\u2588" * 5 + " " * 5
    assert texts[2:] == ["VBox(children=(...))", "  0%|          | 0/5"]
