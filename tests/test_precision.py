"""One precision decision for every trainer: bf16, fp16 with a scaler, or fp32."""

from __future__ import annotations

import pytest
import torch

from helpers import gan, simsiam, vae
from helpers.data import synthetic
from helpers.gan import training as gan_training
from helpers.simsiam import training as simsiam_training
from helpers.train import Precision, choose_precision, load_checkpoint, precision
from helpers.vae import training as vae_training


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv("WORKBOOK_PRECISION", raising=False)


@pytest.mark.parametrize(
    ("capability", "name", "scaler"),
    [
        ((7, 5), "fp16", True),
        ((7, 0), "fp16", True),
        ((8, 0), "bf16", False),
        ((8, 9), "bf16", False),
        ((9, 0), "bf16", False),
    ],
)
def test_cuda_precision_follows_compute_capability(monkeypatch, capability, name, scaler):
    # a T4 (7.5) answers True to is_bf16_supported (emulation): the decision must not use it
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    chosen = choose_precision("cuda")
    assert chosen.name == name and chosen.uses_scaler is scaler
    assert str(capability[0]) in chosen.reason


@pytest.mark.parametrize("device", ["cpu", "mps"])
def test_cpu_and_mps_train_in_fp32(device):
    chosen = choose_precision(device)
    assert chosen.name == "fp32" and chosen.dtype is None and not chosen.uses_scaler


def test_environment_overrides_and_rejects_unknown(monkeypatch):
    monkeypatch.setenv("WORKBOOK_PRECISION", "fp32")
    assert choose_precision("cuda", capability=(9, 0)).name == "fp32"
    monkeypatch.setenv("WORKBOOK_PRECISION", "fp8")
    with pytest.raises(ValueError, match="fp8"):
        choose_precision("cpu")


def test_fp16_step_scales_the_loss_and_steps():
    model = torch.nn.Linear(4, 1)
    torch.nn.init.constant_(model.weight, 0.5)
    x = torch.full((2, 4), 10.0)  # out = 20: its scaled gradient overflows fp16 at first
    opt = torch.optim.SGD(model.parameters(), lr=1e-4)
    chosen = Precision("fp16")
    scaler = chosen.scaler("cpu")
    assert scaler.is_enabled()
    before = model.weight.detach().clone()
    with chosen.autocast("cpu"):
        out = model(x)
    assert out.dtype == torch.float16
    # at the first scale (65536) the fp16 gradient overflows: the step is skipped and the scale
    # halves, until the scaled gradient fits and the weights move
    chosen.step(out.float().pow(2).mean(), opt, scaler)
    assert torch.equal(before, model.weight) and scaler.get_scale() == 2.0**15
    for _ in range(15):
        with chosen.autocast("cpu"):
            loss = model(x).float().pow(2).mean()
        chosen.step(loss, opt, scaler)
    assert not torch.equal(before, model.weight) and 1 < scaler.get_scale() < 2.0**15


def _fp16_everywhere(monkeypatch, module):
    """Make ``module``'s trainer see a GPU without native bf16 (a T4), on the CPU."""
    seen = []

    def fake_choose(device, **kwargs):
        seen.append(torch.device(device).type)
        return Precision("fp16", "test: a T4")

    monkeypatch.setattr(module, "choose_precision", fake_choose)
    return seen


def test_train_vae_uses_the_helper_and_checkpoints_its_scaler(tmp_path, monkeypatch):
    seen = _fp16_everywhere(monkeypatch, vae_training)
    images, _ = synthetic.digits(64, seed=0, binarized=True)
    result, _ = vae.train_vae(
        "v",
        vae.CourseVAE(4, 16),
        images,
        images[:16],
        epochs=1,
        batch_size=16,
        checkpoint_dir=str(tmp_path),
        progress=False,
    )
    assert seen == ["cpu"]
    scaler = load_checkpoint(tmp_path / "v.pt")["state"]["scaler"]
    assert scaler["scale"] > 1
    assert all(torch.isfinite(torch.tensor(v)) for v in result.history.series("train_elbo")[1])


def test_train_gan_uses_the_helper_with_an_fp32_penalty(tmp_path, monkeypatch, train_tiny_wgan):
    seen = _fp16_everywhere(monkeypatch, gan_training)
    dtypes = []
    real_lp = gan.lp_reg

    def spy(x, y, critic):
        dtypes.append((x.dtype, torch.is_autocast_enabled("cpu")))
        return real_lp(x, y, critic)

    monkeypatch.setattr(gan_training, "lp_reg", spy)
    train_tiny_wgan(2, str(tmp_path))
    assert seen == ["cpu"]
    assert dtypes and all(d == (torch.float32, False) for d in dtypes)
    state = load_checkpoint(tmp_path / "w.pt")["state"]
    assert state["scaler_g"]["scale"] > 1 and state["scaler_c"]["scale"] > 1


def test_train_simsiam_uses_the_helper(tmp_path, monkeypatch):
    seen = _fp16_everywhere(monkeypatch, simsiam_training)
    images, labels = synthetic.objects(32, seed=0)

    model = simsiam.SimSiam(simsiam.cifar_resnet(4, (1, 1, 1, 1), 2), dim=16, pred_dim=8)
    simsiam.train_simsiam(
        "s",
        model,
        images,
        labels,
        images,
        labels,
        epochs=1,
        batch_size=16,
        knn_k=5,
        std_images=8,
        checkpoint_dir=str(tmp_path),
        progress=False,
    )
    assert seen == ["cpu"]
    assert load_checkpoint(tmp_path / "s.pt")["state"]["scaler"]["scale"] > 1


def test_precision_names_are_checked():
    with pytest.raises(ValueError, match="precision"):
        Precision("half")
    assert precision.PRECISIONS == ("fp32", "bf16", "fp16")


def test_fused_optimizers_on_cuda_only(monkeypatch):
    from helpers.train import optimizer_options

    assert optimizer_options(torch.optim.Adam, "cpu") == {}
    assert optimizer_options(torch.optim.Adam, "cuda") == {"fused": True}
    assert optimizer_options(torch.optim.SGD, "cuda") == {"fused": True}

    class Old(torch.optim.Optimizer):  # an optimizer of a torch without the option
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

    assert optimizer_options(Old, "cuda") == {}
    monkeypatch.setenv("WORKBOOK_FUSED", "0")
    assert optimizer_options(torch.optim.Adam, "cuda") == {}
