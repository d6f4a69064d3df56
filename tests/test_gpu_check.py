"""The GPU check's harness, run on the CPU with tiny settings: benchmarks, then notebooks, then
one table."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .scripts import load_script

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_harness_on_the_cpu(tmp_path, capsys):
    gpu_check = load_gpu_check()
    args = ["--profile", "smoke", "--data", "synthetic", "--device", "cpu", "--quick",
            "--notebooks", "00_datasets", "--figures-dir", str(tmp_path)]  # fmt: skip
    assert gpu_check.main(args) == 0
    table = (tmp_path / "gpu_check.md").read_text()
    assert "| bench_data.py |" in table and "| bench_vae.py |" in table
    assert "| bench_graphs.py |" in table
    assert "| notebooks (1) |" in table and "| 00_datasets |" in table
    assert "FAILED" not in table and table in capsys.readouterr().out


def load_gpu_check():
    return load_script("gpu_check")


def test_the_full_check_refuses_at_once_naming_what_is_missing(tmp_path, monkeypatch, capsys):
    """With the GPU machine's data pack (binarized MNIST and CIFAR-10, no SVHN, no MNIST), the
    full check names what 01_vae (MNIST for its digit reader), 02_gans and 04_autoencoders lack
    and runs nothing."""
    gpu_check = load_gpu_check()
    data = tmp_path / "data"
    data.mkdir()
    x = np.zeros((2, 28, 28, 1), np.uint8)
    np.savez(data / "binarized_mnist.npz", x_train=x, x_valid=x, x_test=x)
    c, y = np.zeros((2, 32, 32, 3), np.uint8), np.zeros(2, np.int64)
    np.savez(data / "cifar10.npz", x_train=c, y_train=y, x_test=c, y_test=y)
    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(data))
    ran = []
    monkeypatch.setattr(gpu_check, "run", lambda cmd, env=None: ran.append(cmd) or (0, 1.0, ""))
    assert gpu_check.main(["--data", "real", "--figures-dir", str(tmp_path / "figures")]) == 2
    assert ran == []  # refused before any benchmark
    out, err = capsys.readouterr()
    assert "02_gans needs what is missing here: svhn (train, test)" in out
    assert "mnist (train, test)" in out and "04_autoencoders needs" in out
    assert "01_vae needs what is missing here: mnist (train)" in out
    assert "03_simsiam needs" not in out
    assert "--skip-missing" in err

    # --skip-missing runs the others and says which it skipped
    args = ["--skip-benchmarks", "--skip-missing", "--data", "real", "--figures-dir",
            str(tmp_path / "figures")]  # fmt: skip
    assert gpu_check.main(args) == 0
    (cmd,) = ran
    assert "03_simsiam" in cmd and "01_vae" not in cmd and "02_gans" not in cmd
    table = (tmp_path / "figures" / "gpu_check.md").read_text()
    assert "| 02_gans | - | skipped | needs svhn (train, test)" in table


def test_what_each_notebook_needs_is_every_dataset_it_loads():
    """The needs check lists every ``wb.load(name, split)`` of each notebook (with real data a
    missing one stops the notebook where it is loaded, after the runs before it)."""
    import json
    import re

    needs = load_gpu_check().DATASETS
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        loads: dict[str, set[str]] = {}
        for name, split in re.findall(r'wb\.load\("(\w+)", "(\w+)"', code):
            loads.setdefault(name, set()).add(split)
        listed = {name: set(splits) for name, splits in needs.get(path.stem, {}).items()}
        assert loads == listed, path.stem
