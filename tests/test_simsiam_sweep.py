"""The SimSiam sweep harness runs variants in parallel processes and tabulates them."""

from __future__ import annotations

import json
from pathlib import Path

from .scripts import load_script

ROOT = Path(__file__).resolve().parent.parent


def _sweep():
    return load_script("simsiam_sweep")


def test_sweep_runs_variants_side_by_side(tmp_path, capsys):
    sweep = _sweep()
    out = tmp_path / "sweep"
    args = ["--profile", "smoke", "--data", "synthetic", "--variants", "course,lr06",
            "--epochs", "2", "--parallel", "2", "--out", str(out)]  # fmt: skip
    assert sweep.main(args) == 0
    printed = capsys.readouterr().out
    assert "| variant | kNN @ 1 | kNN @ 2 | std x sqrt(d) | s |" in printed
    assert "| course |" in printed and "| lr06 |" in printed
    summary = json.loads((out / "lr06.json").read_text())
    assert summary["recipe"]["base_lr"] == 0.06 and summary["epochs"] == 2
    assert set(summary["knn_at"]) == {"1", "2"}


def test_table_marks_missing_epochs():
    sweep = _sweep()
    rows = [{"variant": "v", "knn_at": {"25": 50.0, "50": None}, "output_std_x_sqrt_dim": 0.9,
             "seconds": 12.0}]  # fmt: skip
    assert "| v | 50.0 | - | 0.90 | 12 |" in sweep.table(rows)
