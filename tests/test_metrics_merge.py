"""A notebook's metrics.json is merged, never replaced: a run adds or updates the entries it
records and keeps the others, each with the provenance of the run that made it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import torch

from helpers.notebook import workbook

ROOT = Path(__file__).resolve().parent.parent
MLP = {"valid_elbo": -101.2, "test_log_likelihood": -95.5}
LEGACY = {  # a record as quality_vae.py wrote it before records kept provenance
    "course_mlp": MLP, "course_mlp_latent2": {"valid_elbo": -150.3},
    "profile": "full", "data": "real", "device": "cpu", "device_name": "x86_64", "seed": 0,
    "seconds": 127.3, "torch": "2.9.0",
}  # fmt: skip


def start(tmp_path, monkeypatch, profile="full", data="real"):
    monkeypatch.setenv("WORKBOOK_FIGURES_DIR", str(tmp_path))
    return workbook.start("01_vae", profile=profile, data=data, checkpoint_dir=tmp_path)


def saved(tmp_path) -> dict:
    return json.loads((tmp_path / "01_vae" / "metrics.json").read_text())


def test_a_run_keeps_the_entries_it_did_not_record(tmp_path, monkeypatch):
    (tmp_path / "01_vae").mkdir()
    (tmp_path / "01_vae" / "metrics.json").write_text(json.dumps(LEGACY))
    wb = start(tmp_path, monkeypatch)
    wb.source = "benchmarks/quality_vae.py"
    wb.record("conv", {"valid_elbo": -85.0})
    metrics = saved(tmp_path)
    assert metrics["conv"] == {"valid_elbo": -85.0}
    assert metrics["course_mlp"] == MLP and metrics["course_mlp_latent2"] == {"valid_elbo": -150.3}
    provenance = metrics["provenance"]
    assert provenance["conv"]["by"] == "benchmarks/quality_vae.py"
    assert provenance["conv"]["torch"] == torch.__version__
    assert provenance["course_mlp"]["torch"] == "2.9.0"  # the earlier run's, kept
    assert provenance["course_mlp"]["by"].startswith("an earlier run")
    assert metrics["torch"] == torch.__version__  # the run-level keys: the latest run's

    # A notebook run then updates what it ran and keeps the ConvVAE with its provenance.
    nb = start(tmp_path, monkeypatch)
    nb.record("course_mlp", {"valid_elbo": -100.9})
    nb.finding("elbo_target", "met")
    metrics = saved(tmp_path)
    assert metrics["course_mlp"] == {"valid_elbo": -100.9}
    assert metrics["conv"] == {"valid_elbo": -85.0}
    assert metrics["course_mlp_latent2"] == {"valid_elbo": -150.3}
    assert metrics["findings"] == {"elbo_target": "met"}
    provenance = metrics["provenance"]
    assert provenance["course_mlp"]["by"] == "notebooks/01_vae.ipynb"
    assert provenance["conv"]["by"] == "benchmarks/quality_vae.py"
    assert set(provenance) == {"conv", "course_mlp", "course_mlp_latent2", "findings"}


def test_a_record_of_another_profile_is_replaced_not_merged(tmp_path, monkeypatch):
    (tmp_path / "01_vae").mkdir()
    (tmp_path / "01_vae" / "metrics.json").write_text(json.dumps(LEGACY))
    wb = start(tmp_path, monkeypatch, profile="smoke", data="synthetic")
    wb.record("conv", {"valid_elbo": -300.0})
    metrics = saved(tmp_path)
    assert "course_mlp" not in metrics and metrics["profile"] == "smoke"
    assert set(metrics["provenance"]) == {"conv"}


def test_quality_vae_conv_keeps_the_mlp_records(tmp_path, monkeypatch):
    """``benchmarks/quality_vae.py conv`` (training and evaluation replaced by stand-ins)
    adds the ConvVAE to the record and keeps the MLP models the README cites."""
    (tmp_path / "01_vae").mkdir()
    (tmp_path / "01_vae" / "metrics.json").write_text(json.dumps(LEGACY))
    monkeypatch.setenv("WORKBOOK_FIGURES_DIR", str(tmp_path))
    spec = importlib.util.spec_from_file_location(
        "quality_vae", ROOT / "benchmarks" / "quality_vae.py"
    )
    quality = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(quality)
    images = torch.zeros(8, 1, 28, 28, dtype=torch.uint8)
    monkeypatch.setattr(workbook.Workbook, "load", lambda self, name, split: (images, None))
    result = SimpleNamespace(
        history=SimpleNamespace(last=lambda key: {"valid_elbo": -86.0, "epoch": 20}[key]),
        seconds=249.0,
    )
    monkeypatch.setattr(quality, "fit_problem1", lambda *a, **k: (None, result, None))
    monkeypatch.setattr(quality, "importance_sampled_log_likelihood",
                        lambda model, x, k, progress: torch.full((x.shape[0],), -80.0))  # fmt: skip
    monkeypatch.setattr(quality, "evaluate_elbo", lambda model, chunks: {"elbo": -85.0})
    quality.main(["conv"])
    metrics = saved(tmp_path)
    assert metrics["conv"]["test_log_likelihood"] == -80.0
    assert metrics["course_mlp"] == MLP and "course_mlp_latent2" in metrics
    assert metrics["provenance"]["conv"]["by"] == "benchmarks/quality_vae.py conv"


def test_the_report_leaves_provenance_out(tmp_path, monkeypatch):
    from helpers.tools.report import build_report

    wb = start(tmp_path, monkeypatch)
    wb.record("course_mlp", {"valid_elbo": -101.0})
    md, _ = build_report(tmp_path, "full")
    text = md.read_text()
    assert "-101" in text
    assert "notebooks/01_vae.ipynb" not in text and "| provenance" not in text.lower()
