"""Profiles, data-source choice and the notebook context."""

from __future__ import annotations

import json

import pytest
import torch

from helpers import profiles
from helpers.notebook import workbook


def test_profiles_from_environment(monkeypatch):
    monkeypatch.setenv("WORKBOOK_PROFILE", "demo")
    assert profiles.get_profile().name == "demo"
    assert profiles.get_profile("full").name == "full"
    monkeypatch.setenv("WORKBOOK_PROFILE", "huge")
    with pytest.raises(ValueError, match="choose one of smoke, demo, full"):
        profiles.get_profile()


def test_default_profile_without_environment(monkeypatch):
    monkeypatch.delenv("WORKBOOK_PROFILE")
    expected = "full" if torch.cuda.is_available() else "demo"
    assert profiles.default_profile_name() == expected


def test_data_source(monkeypatch):
    monkeypatch.delenv("WORKBOOK_DATA")
    assert profiles.resolve_data_source(None, profiles.PROFILES["full"]) == "real"
    assert profiles.resolve_data_source(None, profiles.PROFILES["demo"]) == "synthetic"
    monkeypatch.setenv("WORKBOOK_DATA", "real")
    assert profiles.resolve_data_source(None, profiles.PROFILES["demo"]) == "real"
    assert profiles.resolve_data_source("synthetic", profiles.PROFILES["full"]) == "synthetic"
    with pytest.raises(ValueError, match="unknown data source 'web'"):
        profiles.resolve_data_source("web", profiles.PROFILES["demo"])


def test_synthetic_sizes():
    assert profiles.PROFILES["smoke"].synthetic_size("train", 50_000) == 512
    assert profiles.PROFILES["full"].synthetic_size("test", 26_032) == 26_032
    assert profiles.PROFILES["demo"].synthetic_size("valid", 1_000) == 1_000


def test_pick_device(monkeypatch):
    monkeypatch.setenv("WORKBOOK_DEVICE", "cpu")
    assert workbook.pick_device() == torch.device("cpu")
    monkeypatch.delenv("WORKBOOK_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert workbook.pick_device().type == "cuda"


def test_start_records_metrics(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_FIGURES_DIR", str(tmp_path / "figs"))
    wb = workbook.start(
        "99_test", profile="smoke", data="synthetic", seed=7, checkpoint_dir=tmp_path
    )
    assert workbook.current() is wb
    assert wb.figures_dir == tmp_path / "figs" / "99_test"
    assert wb.checkpoint_dir == tmp_path / "99_test" / "smoke-synthetic-seed7"
    a = torch.rand(3)
    workbook.seed_everything(7)
    assert torch.equal(a, torch.rand(3))
    wb.record("model", {"valid_elbo": -101.5, "epochs": 3})
    metrics = json.loads((wb.figures_dir / "metrics.json").read_text())
    assert metrics["model"] == {"valid_elbo": -101.5, "epochs": 3}
    for key in ("profile", "data", "device", "seed", "seconds"):
        assert key in metrics
    assert metrics["profile"] == "smoke" and metrics["seed"] == 7
    x, y = wb.load("mnist", "test")
    assert x.shape[0] == 256 and y is not None


def test_load_available_falls_back_to_standin(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WORKBOOK_DATA_DIR", str(tmp_path))
    wb = workbook.start("99_test", profile="smoke", data="real", checkpoint_dir=tmp_path)
    x, _, source = wb.load_available("svhn", "test")
    assert source == "synthetic" and x.shape == (256, 3, 32, 32)
    assert "real data not available" in capsys.readouterr().out


def test_recorded_metrics_reads_the_committed_full_profile_record(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_FIGURES_DIR", str(tmp_path))  # a run's own folder is not it
    record = workbook.recorded_metrics("01_vae")
    assert record is not None and (record["profile"], record["data"]) == ("full", "real")
    assert record["course_mlp"]["valid_elbo"] < 0
    assert workbook.recorded_metrics("01_vae", "demo", "real") is None  # no such folder
    assert workbook.recorded_metrics("no_such_notebook") is None
