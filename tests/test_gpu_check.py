"""The GPU check's harness, run on the CPU with tiny settings: benchmarks, then notebooks, then
one table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_harness_on_the_cpu(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    args = ["--profile", "smoke", "--data", "synthetic", "--device", "cpu", "--quick",
            "--notebooks", "00_datasets", "--figures-dir", str(tmp_path)]  # fmt: skip
    assert gpu_check.main(args) == 0
    table = (tmp_path / "gpu_check.md").read_text()
    assert "| bench_data.py |" in table and "| bench_vae.py |" in table
    assert "| bench_graphs.py |" in table
    assert "| notebooks (1) |" in table and "| 00_datasets |" in table
    assert "FAILED" not in table and table in capsys.readouterr().out
