"""Training plumbing: resuming, checkpoints, non-finite losses."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from helpers.data import DeviceBatches
from helpers.train import (
    CheckpointError,
    NonFiniteLossError,
    Snapshots,
    load_checkpoint,
    settings_key,
    train,
)

TOTAL = 24
PER_EPOCH = 6


class Interrupt(Exception):
    pass


def setup(seed=0):
    """A small model with dropout (uses the global RNG), Adam and a step LR schedule."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (48, 1, 4, 4), dtype=torch.uint8, generator=g)
    targets = torch.randint(0, 3, (48,), generator=g)
    batches = DeviceBatches(images, targets, 8, seed=3)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(16, 32), nn.Dropout(0.3), nn.ReLU(), nn.Linear(32, 3)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    return batches, model, opt, sched


def run(tmp_path, interrupt_at=None, force=False, config=None, calls=None, **kw):
    batches, model, opt, sched = setup()

    def step(i):
        if calls is not None:
            calls.append(i)
        if interrupt_at is not None and i == interrupt_at:
            raise Interrupt
        x, y = batches.batch_at(i)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        return {"loss": loss}

    def evaluate(i):
        model.eval()
        x, y = batches.images.float() / 255, batches.labels
        noise = torch.randn(()).item()  # evaluation that draws from the global RNG too
        return {"valid_loss": nn.functional.cross_entropy(model(x), y).item(), "noise": noise}

    result = train(
        "toy",
        step,
        TOTAL,
        {"model": model, "opt": opt, "sched": sched},
        checkpoint_dir=tmp_path,
        steps_per_epoch=PER_EPOCH,
        eval_fn=evaluate,
        log_every=3,
        force=force,
        config=config or {"lr": 1e-2},
        progress=False,
        **kw,
    )
    return result, model


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    straight, model_a = run(tmp_path / "a")
    with pytest.raises(Interrupt):
        run(tmp_path / "b", interrupt_at=15)  # checkpoints at steps 6 and 12
    assert load_checkpoint(tmp_path / "b" / "toy.pt")["step"] == 12
    calls: list[int] = []
    resumed, model_b = run(tmp_path / "b", calls=calls)
    assert calls[0] == 12 and resumed.resumed_from == 12
    assert resumed.history.records == straight.history.records
    for pa, pb in zip(model_a.state_dict().values(), model_b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)
    # and the torch RNG continues identically after training
    torch.manual_seed(123)


def test_history_holds_train_and_eval_metrics(tmp_path):
    result, _ = run(tmp_path)
    steps, losses = result.history.series("loss")
    assert steps == list(range(3, TOTAL + 1, 3))
    eval_steps, _ = result.history.series("valid_loss")
    assert eval_steps == [6, 12, 18, 24]
    assert result.history.series("valid_loss", x="epoch")[0] == [1.0, 2.0, 3.0, 4.0]
    saved = json.loads((tmp_path / "toy.history.json").read_text())
    assert saved == result.history.records
    assert losses[-1] < losses[0]


def test_checkpoint_loads_with_weights_only(tmp_path):
    run(tmp_path)
    raw = torch.load(tmp_path / "toy.pt", weights_only=True)
    assert raw["step"] == TOTAL and raw["finished"]
    assert set(raw["state"]) == {"model", "opt", "sched"}
    _, model, opt, _ = setup(seed=99)
    model.load_state_dict(raw["state"]["model"])
    opt.load_state_dict(raw["state"]["opt"])


def test_finished_run_is_loaded_not_retrained(tmp_path):
    first, model_a = run(tmp_path)
    calls: list[int] = []
    again, model_b = run(tmp_path, calls=calls)
    assert calls == [] and again.loaded
    assert again.history.records == first.history.records
    assert torch.equal(model_a[1].weight, model_b[1].weight)
    forced, _ = run(tmp_path, force=True, calls=calls)
    assert calls == list(range(TOTAL)) and not forced.loaded


def test_other_settings_train_anew_and_keep_the_old_checkpoint(tmp_path, capsys):
    first, model_a = run(tmp_path)
    calls: list[int] = []
    run(tmp_path, config={"lr": 5e-3}, calls=calls)
    assert calls == list(range(TOTAL))
    aside = tmp_path / f"toy.{settings_key({'lr': 1e-2, 'total_steps': TOTAL})}.pt"
    assert aside.exists() and aside.with_suffix(".history.json").exists()
    out = capsys.readouterr().out
    assert f"kept it as {aside}" in out and "lr 0.01 -> 0.005" in out
    assert load_checkpoint(tmp_path / "toy.pt")["config"]["lr"] == 5e-3
    # going back to the first settings loads the first run again, without training
    calls.clear()
    again, model_b = run(tmp_path, calls=calls)
    assert calls == [] and again.loaded
    assert again.history.records == first.history.records
    assert torch.equal(model_a[1].weight, model_b[1].weight)
    assert len(list(tmp_path.glob("toy*.pt"))) == 2  # both settings' runs are kept


def test_force_retrain_with_other_settings_keeps_the_old_checkpoint(tmp_path):
    run(tmp_path)
    run(tmp_path, config={"lr": 5e-3}, force=True)
    assert (tmp_path / f"toy.{settings_key({'lr': 1e-2, 'total_steps': TOTAL})}.pt").exists()
    assert load_checkpoint(tmp_path / "toy.pt")["config"]["lr"] == 5e-3


def test_truncated_checkpoint_is_named_moved_aside_and_training_restarts(tmp_path, capsys):
    with pytest.raises(Interrupt):
        run(tmp_path, interrupt_at=15)
    path = tmp_path / "toy.pt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a half-synced file
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path)
    calls: list[int] = []
    result, _ = run(tmp_path, calls=calls)
    assert calls == list(range(TOTAL)) and result.resumed_from == 0
    out = capsys.readouterr().out
    assert f"cannot read the checkpoint {path}" in out and "training from scratch" in out
    (unreadable,) = tmp_path.glob("toy.unreadable-*.pt")
    assert unreadable.read_bytes() == data[: len(data) // 2]


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    _batches, model, _opt, _ = setup()

    def step(i):
        loss = torch.tensor(float("nan") if i == 8 else 1.0)
        return {"loss": loss}

    with pytest.raises(NonFiniteLossError, match="loss = nan at step 8") as err:
        train(
            "bad",
            step,
            TOTAL,
            {"model": model},
            checkpoint_dir=tmp_path,
            steps_per_epoch=PER_EPOCH,
            progress=False,
        )
    assert "last good checkpoint" in str(err.value)
    assert load_checkpoint(tmp_path / "bad.pt")["step"] == 6


def test_bad_total():
    with pytest.raises(ValueError, match="total_steps"):
        train("x", lambda i: {}, 0, {}, checkpoint_dir=None)


def test_snapshots_spread_picks_distinct_evenly_spaced_steps():
    snaps = Snapshots()
    for step in range(0, 1100, 100):
        snaps.add(step, torch.full((1,), step))
    assert [s for s, _ in snaps.spread(5)] == [0, 200, 500, 800, 1000]
    assert [s for s, _ in snaps.spread(20)] == list(range(0, 1100, 100))
