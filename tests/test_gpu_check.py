"""The GPU check's harness, run on the CPU with tiny settings: benchmarks, then notebooks, then
one table."""

from __future__ import annotations

import importlib.util
import json
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


def test_the_lease_check_runs_its_whole_harness_on_the_cpu(tmp_path, capsys):
    """`gpu_check.py --lease` on the CPU in the smoke profile: every trainer in the three
    modes (``static`` standing in for the recording), the curves compared, a resume across
    precisions, the projection, and both records written."""
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "benchmarks" / "gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    args = ["--lease", "--device", "cpu", "--profile", "smoke", "--steps", "10",
            "--out", str(tmp_path)]  # fmt: skip
    assert gpu_check.main(args) == 0
    record = json.loads((tmp_path / "gpu_lease.json").read_text())
    assert set(record["results"]) == {
        "course MLP VAE", "ConvVAE", "WGAN-LP", "vanilla GAN", "SimSiam ResNet"
    }
    for modes in record["results"].values():
        assert [m["status"] for m in modes.values()] == ["ok", "ok", "ok"]
        assert modes["graphs bf16"]["graphs"] == "static"
    for case in record["agreement"].values():  # static steps are the eager steps, bit for bit
        assert case["graphs bf16"]["agree"] and case["graphs bf16"]["largest_gap"] == 0
    assert record["resume"]["finished bf16 -> fp16"] == "loaded"
    assert record["resume"]["interrupted bf16 -> fp16"].startswith("resumed from step")
    assert record["graphs_verified"] == []  # nothing was recorded on a CPU
    assert set(record["projection"]) == {"01_vae", "02_gans", "03_simsiam", "04_autoencoders"}
    assert "| SimSiam ResNet | graphs bf16 |" in (tmp_path / "gpu_lease.md").read_text()
