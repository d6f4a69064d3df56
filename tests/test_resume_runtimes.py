"""A checkpoint of any runtime resumes on any other: precision (fp32, bf16, fp16 with its
gradient scaler) and the optimizers' implementation (unfused on a CPU, fused on a GPU) may
change between the run that wrote it and the one that reads it, through the public trainers,
for finished and interrupted runs. A Colab student keeps checkpoints on Drive and gets a T4
(fp16) one day and an L4 (bf16) the next."""

from __future__ import annotations

import pytest
import torch

from helpers import gan, simsiam, vae
from helpers.data import synthetic
from helpers.train import Precision, load_checkpoint, load_optimizer, save_torch
from helpers.vae import training as vae_training


class Interrupt(Exception):
    """Stands for a lost runtime."""


def _train_vae(tmp_path, precision, epochs=2):
    x, _ = synthetic.digits(128, seed=1, binarized=True)
    torch.manual_seed(0)
    return vae.train_vae(
        "v", vae.CourseVAE(latent_dim=4, hidden=16), x, x[:32], epochs=epochs, batch_size=32,
        precision=Precision(precision), checkpoint_dir=str(tmp_path), progress=False,
    )[0]  # fmt: skip


def _interrupt_vae_after_one_epoch(monkeypatch, tmp_path, precision):
    """Train 1 of 2 epochs (the checkpoint at step 4 is written), then lose the runtime."""
    evaluate = vae_training.evaluate_elbo  # where train_vae looks it up
    calls = []

    def evaluate_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Interrupt
        return evaluate(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(vae_training, "evaluate_elbo", evaluate_then_fail)
        with pytest.raises(Interrupt):
            _train_vae(tmp_path, precision)
    assert load_checkpoint(tmp_path / "v.pt")["step"] == 4


DIRECTIONS = [("bf16", "fp16"), ("fp32", "fp16"), ("fp16", "bf16"), ("fp16", "fp32")]


@pytest.mark.parametrize(("first", "then"), DIRECTIONS)
def test_a_finished_run_loads_in_another_precision(tmp_path, capsys, first, then):
    done = _train_vae(tmp_path, first)
    again = _train_vae(tmp_path, then)
    out = capsys.readouterr().out
    assert again.loaded and again.history.records == done.history.records
    assert ("fresh scaler" in out) == (then == "fp16")


@pytest.mark.parametrize(("first", "then"), DIRECTIONS)
def test_an_interrupted_run_resumes_in_another_precision(
    monkeypatch, tmp_path, capsys, first, then
):
    _interrupt_vae_after_one_epoch(monkeypatch, tmp_path, first)
    result = _train_vae(tmp_path, then)
    out = capsys.readouterr().out
    assert "resuming from step 4 of 8" in out and ("fresh scaler" in out) == (then == "fp16")
    assert result.resumed_from == 4 and result.steps == 8
    assert [r["epoch"] for r in result.history.records] == [1.0, 1.0, 2.0, 2.0]
    ckpt = load_checkpoint(tmp_path / "v.pt")
    assert ("scaler" in ckpt["state"]) == (then == "fp16")  # the new run's own state


def _fused(monkeypatch, on: bool):
    monkeypatch.setattr(vae_training, "optimizer_options", lambda *_: {"fused": True} if on else {})


@pytest.mark.parametrize("fused_first", [False, True], ids=["cpu-to-gpu", "gpu-to-cpu"])
def test_optimizer_flags_come_from_the_constructor_not_the_checkpoint(
    monkeypatch, tmp_path, fused_first
):
    """A CPU checkpoint (unfused Adam, its step count on the host) resumed where the optimizers
    are fused, and back."""
    _fused(monkeypatch, fused_first)
    _interrupt_vae_after_one_epoch(monkeypatch, tmp_path, "fp32")
    saved = load_checkpoint(tmp_path / "v.pt")["state"]["optimizer"]["param_groups"][0]
    assert bool(saved["fused"]) == fused_first
    _fused(monkeypatch, not fused_first)
    result = _train_vae(tmp_path, "fp32")
    assert result.resumed_from == 4 and result.steps == 8
    optimizer = load_checkpoint(tmp_path / "v.pt")["state"]["optimizer"]
    assert bool(optimizer["param_groups"][0]["fused"]) == (not fused_first)
    step = optimizer["state"][0]["step"]
    assert float(step) == 8 and step.dtype == torch.float32


def test_a_cuda_checkpoint_resumes_on_a_cpu(monkeypatch, tmp_path):
    """What a GPU run writes, without a GPU to write it: fused, capturable optimizer groups
    and the GPU's random-generator state (the tensors themselves load with map_location)."""
    _interrupt_vae_after_one_epoch(monkeypatch, tmp_path, "bf16")
    path = tmp_path / "v.pt"
    ckpt = load_checkpoint(path)
    ckpt["rng"]["cuda"] = [torch.zeros(16, dtype=torch.uint8)]
    for group in ckpt["state"]["optimizer"]["param_groups"]:
        group.update(fused=True, capturable=True, foreach=None)
    save_torch(path, ckpt)
    result = _train_vae(tmp_path, "fp32")
    assert result.resumed_from == 4 and result.steps == 8
    group = load_checkpoint(path)["state"]["optimizer"]["param_groups"][0]
    assert not group["fused"] and not group["capturable"]


def test_gan_and_simsiam_resume_across_precisions(tmp_path, capsys):
    h, _ = synthetic.house_numbers(32, seed=0)

    def wgan(precision):
        torch.manual_seed(0)
        return gan.train_gan(
            "w", gan.Generator(8, width=4), gan.Critic(width=4), h, iterations=2,
            batch_size=8, n_critic=2, checkpoint_dir=str(tmp_path), progress=False,
            precision=Precision(precision),
        )[0]  # fmt: skip

    wgan("bf16")
    assert wgan("fp16").loaded  # two scalers, neither in the checkpoint
    assert capsys.readouterr().out.count("fresh scaler") == 2
    (tmp_path / "w.pt").unlink()
    wgan("fp16")
    assert wgan("fp32").loaded  # the saved scalers are not this run's: ignored

    c, labels = synthetic.objects(64, seed=1)

    def simsiam_run(precision):
        torch.manual_seed(0)
        model = simsiam.SimSiam(simsiam.cifar_resnet(4, (1, 1, 1, 1), 2), dim=16, pred_dim=8)
        return simsiam.train_simsiam(
            "s", model, c, labels, c[:32], labels[:32], epochs=1, batch_size=32, knn_k=5,
            checkpoint_dir=str(tmp_path), progress=False, precision=Precision(precision),
        )  # fmt: skip

    simsiam_run("bf16")
    assert simsiam_run("fp16").loaded


def test_load_optimizer_keeps_its_flags_and_still_refuses_other_groups():
    model = torch.nn.Linear(3, 2)
    written = torch.optim.Adam(model.parameters(), lr=0.1, foreach=False)
    model(torch.randn(4, 3)).sum().backward()
    written.step()
    reader = torch.optim.Adam(model.parameters(), lr=0.1, foreach=True)
    load_optimizer(reader, written.state_dict())
    assert reader.param_groups[0]["foreach"] is True
    assert float(reader.state[model.bias]["step"]) == 1
    two = torch.optim.Adam([{"params": [model.weight]}, {"params": [model.bias]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        load_optimizer(reader, two.state_dict())
