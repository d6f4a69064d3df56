"""CUDA-graph steps (helpers/train/graphs.py): the decision, the fixed-buffer protocol and its
contract check on the CPU, learning rates fed to a recording, the fallback after a failed
capture, and every trainer's numbers in ``static`` mode against ``eager``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import gan, simsiam, vae
from helpers.data import SimSiamAugment, synthetic
from helpers.gan import training as gan_training
from helpers.simsiam import training as simsiam_training
from helpers.train import (
    CaptureError,
    GraphCaptureError,
    GraphMode,
    Precision,
    StepGraph,
    choose_graphs,
    device_problems,
    graph_mode,
    graphs,
    host_syncs,
    load_checkpoint,
    unfused_groups,
)
from helpers.vae import training as vae_training

ROOT = Path(__file__).resolve().parent.parent

BF16, FP16, FP32 = Precision("bf16"), Precision("fp16"), Precision("fp32")


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv("WORKBOOK_CUDA_GRAPHS", raising=False)


# ---- the decision


def test_eager_is_the_default_on_cuda_until_a_gpu_record_verifies_the_trainer(monkeypatch):
    decision = choose_graphs("cuda", BF16, available=True)
    assert decision.mode == "eager" and "WORKBOOK_CUDA_GRAPHS=1" in decision.reason
    assert choose_graphs("cuda", BF16, trainer="vae", available=True).mode == "eager"
    monkeypatch.setitem(graph_mode.VERIFIED_ON_GPU, "vae", "figures/full/gpu_lease.md")
    assert choose_graphs("cuda", BF16, trainer="vae", available=True).mode == "cuda"
    assert choose_graphs("cuda", BF16, trainer="gan", available=True).mode == "eager"
    assert not graph_mode.VERIFIED_ON_GPU or "vae" in graph_mode.VERIFIED_ON_GPU


def test_no_trainer_is_verified_without_its_committed_gpu_record():
    for trainer, record in graph_mode.VERIFIED_ON_GPU.items():
        assert (ROOT / record).is_file(), f"{trainer}: {record} is not committed"


def test_graphs_when_asked_on_cuda_in_bf16_and_fp32_only(monkeypatch):
    monkeypatch.setenv("WORKBOOK_CUDA_GRAPHS", "1")
    assert choose_graphs("cuda", BF16, available=True).mode == "cuda"
    assert choose_graphs("cuda", FP32, available=True).mode == "cuda"
    fp16 = choose_graphs("cuda", FP16, available=True)
    assert fp16.mode == "eager" and "scaler" in fp16.reason  # the T4: fp16 with a scaler
    assert choose_graphs("cuda", BF16, available=False).mode == "eager"
    for device in ("cpu", "mps"):
        decision = choose_graphs(device, FP32)
        assert decision.mode == "eager" and device in decision.reason


def test_the_decision_checks_every_group_of_the_actual_optimizers(monkeypatch):
    monkeypatch.setenv("WORKBOOK_CUDA_GRAPHS", "1")
    model = nn.Linear(3, 2)
    adam = torch.optim.Adam(model.parameters(), fused=True)
    sgd = torch.optim.SGD(
        [{"params": [model.weight], "fused": True}, {"params": [model.bias], "fused": False}],
        lr=0.1,
    )
    assert choose_graphs("cuda", BF16, optimizers=[adam], available=True).mode == "cuda"
    decision = choose_graphs("cuda", BF16, optimizers=[adam, sgd], available=True)
    assert decision.mode == "eager" and "SGD group 1" in decision.reason
    assert unfused_groups([adam, sgd]) == ["SGD group 1"]


def test_environment_turns_graphs_off_or_to_the_checked_static_mode(monkeypatch):
    monkeypatch.setenv("WORKBOOK_CUDA_GRAPHS", "1")
    monkeypatch.setenv("WORKBOOK_FUSED", "0")  # unfused optimizers count steps on the host
    decision = choose_graphs("cuda", BF16, available=True)
    assert decision.mode == "eager" and "not fused" in decision.reason
    monkeypatch.delenv("WORKBOOK_FUSED")
    monkeypatch.setenv("WORKBOOK_CUDA_GRAPHS", "0")
    assert choose_graphs("cuda", BF16, available=True).mode == "eager"
    monkeypatch.setenv("WORKBOOK_CUDA_GRAPHS", "static")
    assert choose_graphs("cpu", FP32).mode == "static"
    monkeypatch.setenv("WORKBOOK_CUDA_GRAPHS", "maybe")
    with pytest.raises(ValueError, match="WORKBOOK_CUDA_GRAPHS"):
        choose_graphs("cuda", BF16)
    with pytest.raises(ValueError, match="mode must be"):
        GraphMode("compiled")  # type: ignore[arg-type]


# ---- the fixed-buffer protocol


def _regression(seed: int = 0):
    """A small model, Adam with a decaying learning rate, data, and its step(x, y)."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 / (1 + s))
    data = torch.randn(8, 32, 5), torch.randn(8, 32, 1)

    def step(x, y):
        noise = 0.01 * torch.randn_like(y)  # randomness made inside the step
        loss = (model(x) - y - noise).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach(), "scale": model[0].weight.abs().mean().detach()}

    return model, optimizer, scheduler, data, step


def _run(mode: str, steps: int = 8):
    model, optimizer, scheduler, (xs, ys), step = _regression()
    graphed = StepGraph(step, optimizers=[optimizer], mode=mode)
    metrics = []
    for i in range(steps):
        metrics.append(graphed(xs[i], ys[i]))
        scheduler.step()
    return model, metrics


def test_static_mode_gives_the_eager_numbers_bit_for_bit():
    eager_model, eager = _run("eager")
    static_model, static = _run("static")
    for a, b in zip(eager, static, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key])
    for p, q in zip(eager_model.parameters(), static_model.parameters(), strict=True):
        assert torch.equal(p, q)


def test_metrics_are_copies_that_later_steps_do_not_overwrite():
    _, metrics = _run("static", steps=4)
    values = [float(m["loss"]) for m in metrics]
    assert len(set(values)) == 4  # four different losses, not the last one four times


def test_inputs_must_keep_their_shapes():
    _, optimizer, _, (xs, ys), step = _regression()
    graphed = StepGraph(step, optimizers=[optimizer], mode="static")
    graphed(xs[0], ys[0])
    with pytest.raises(ValueError, match="same shapes"):
        graphed(xs[1, :16], ys[1, :16])


def test_check_rejects_a_step_that_reads_on_the_host():
    model, optimizer, _, (xs, ys), _ = _regression()

    def step(x, y):
        loss = (model(x) - y).pow(2).mean()
        if loss > 100:  # a host read: a recording cannot branch on the device's value
            loss = loss / 2
        return {"loss": loss}

    with pytest.raises(CaptureError, match="on the host"):
        StepGraph(step, optimizers=[optimizer], mode="static")(xs[0], ys[0])
    assert StepGraph(step, mode="eager")(xs[0], ys[0])["loss"] >= 0  # eager allows it


def test_check_rejects_a_step_that_reads_a_batch_made_outside_it():
    model, optimizer, _, (xs, ys), _ = _regression()
    batches = []  # the batch of each call, kept alive so that each has its own storage

    def step(x, y):
        target = batches[-1]  # taken before the call: a replay would read the first one forever
        loss = (model(x) - target).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach()}

    graphed = StepGraph(step, optimizers=[optimizer], mode="static")
    batches.append(ys[0].clone())
    graphed(xs[0], ys[0])
    batches.append(ys[1].clone())
    with pytest.raises(CaptureError, match="made outside"):
        graphed(xs[1], ys[1])


# ---- what only a recording uses, checked without one


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step")
def test_learning_rates_are_tensors_during_the_recording_and_floats_outside():
    model, adam, scheduler, _, _ = _regression()
    sgd = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    graphed = StepGraph(lambda: {}, optimizers=[adam, sgd], mode="static")
    with graphed._capturable():
        adam_group, sgd_group = adam.param_groups[0], sgd.param_groups[0]
        assert isinstance(adam_group["lr"], torch.Tensor) and adam_group["capturable"]
        assert float(adam_group["lr"]) == pytest.approx(1e-2)
        assert isinstance(sgd_group["lr"], torch.Tensor) and float(sgd_group["lr"]) == 0.5
    assert adam.param_groups[0]["lr"] == pytest.approx(1e-2)  # a float again
    assert adam.param_groups[0]["capturable"] is False  # checkpoints load on a CPU
    assert (
        "capturable" not in adam.state_dict()["param_groups"][0]
        or not (adam.state_dict()["param_groups"][0]["capturable"])
    )
    (adam_lr, sgd_lr) = (graphed._lr[0][1], graphed._lr[1][1])
    scheduler.step()  # 1e-2 -> 5e-3, written into the group as a float
    sgd.param_groups[0]["lr"] = 0.25
    graphed._feed_learning_rates()
    assert float(adam_lr) == pytest.approx(5e-3) and float(sgd_lr) == 0.25


def test_a_failed_capture_warns_and_trains_on_eagerly(monkeypatch):
    eager_model, eager = _run("eager")
    model, optimizer, scheduler, (xs, ys), step = _regression()
    graphed = StepGraph(step, optimizers=[optimizer], mode="cuda", warmup=2)

    # No GPU here: warm-up runs the step on the buffers; the recording fails as it would
    # on a GPU for an operation that cannot be captured.
    def warm_up():
        return graphed._unpack(graphed._pack(graphed._step(*graphed._inputs)).clone())

    monkeypatch.setattr(graphed, "_warm_up", warm_up)
    monkeypatch.setattr(graphed, "_capture", lambda: (_ for _ in ()).throw(RuntimeError("x")))
    metrics = []
    with pytest.warns(RuntimeWarning, match="capture of the training step failed"):
        for i in range(8):
            metrics.append(graphed(xs[i], ys[i]))
            scheduler.step()
    assert graphed.mode == "eager" and not graphed.captured and graphed._eager_steps == 2
    for a, b in zip(eager, metrics, strict=True):
        assert torch.equal(a["loss"], b["loss"])
    for p, q in zip(eager_model.parameters(), model.parameters(), strict=True):
        assert torch.equal(p, q)


# ---- every trainer: static (checked) against eager


def _vae(mode):
    x, _ = synthetic.digits(192, seed=1, binarized=True)
    torch.manual_seed(0)
    result, _ = vae.train_vae(
        "v", vae.CourseVAE(latent_dim=4, hidden=16), x, x[:32], epochs=2, batch_size=32,
        schedule="cosine", warmup_steps=2, progress=False, graphs=GraphMode(mode),
    )  # fmt: skip
    return result.history.records


def _gan(mode, loss):
    h, _ = synthetic.house_numbers(48, seed=1)
    torch.manual_seed(0)
    result, _ = gan.train_gan(
        "g", gan.Generator(latent_dim=8, width=4), gan.Critic(width=4), h, iterations=5,
        batch_size=8, loss=loss, log_every=1, progress=False, graphs=GraphMode(mode),
    )  # fmt: skip
    return result.history.records


def _simsiam(mode):
    c, labels = synthetic.objects(96, seed=1)
    torch.manual_seed(0)
    model = simsiam.SimSiam(simsiam.cifar_resnet(4, (1, 1, 1, 1), 1), dim=16, pred_dim=8)
    result = simsiam.train_simsiam(
        "s", model, c, labels, c[:32], labels[:32], epochs=2, batch_size=32, warmup_epochs=1,
        knn_k=5, progress=False, graphs=GraphMode(mode),
    )  # fmt: skip
    return result.history.records


def _numbers(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.mark.parametrize(
    "train",
    [_vae, lambda m: _gan(m, "wgan-lp"), lambda m: _gan(m, "vanilla"), _simsiam],
    ids=["vae", "wgan-lp", "vanilla-gan", "simsiam"],
)
def test_trainers_keep_the_capture_contract_and_their_numbers(train):
    assert _numbers(train("static")) == _numbers(train("eager"))


def test_the_augmentation_makes_the_host_wait_on_no_call_after_the_first():
    """It runs eagerly before each recorded SimSiam step: a host wait there would stall the GPU
    (the replay of the previous step) on every batch."""
    aug = SimSiamAugment()
    x = torch.rand(8, 3, 32, 32)
    aug(x)  # the first call makes its constants
    assert host_syncs(aug, x) == []
    assert host_syncs(lambda: torch.tensor([0.5, 0.5]) * x[:, :2, 0, 0]) != []  # it can fail


def test_release_frees_a_recording_and_leaves_eager_runs_alone():
    model, optimizer, _, (xs, ys), step = _regression()
    eager = StepGraph(step, optimizers=[optimizer], mode="eager")
    eager(xs[0], ys[0])
    eager.release()
    assert all(p.grad is not None for p in model.parameters())  # as before graphs existed
    recorded = StepGraph(step, optimizers=[optimizer], mode="static")
    recorded(xs[1], ys[1])
    recorded._graph = object()  # stands for a recording (none can be made on a CPU)
    recorded.release()
    assert not recorded.captured and all(p.grad is None for p in model.parameters())


# ---- a capture that fails part-way through a step (no GPU: a stand-in recording on the CPU)


class _Recording:
    """Stands for ``torch.cuda.graph`` on a CPU: the step runs for real while ``on``."""

    on = False

    @classmethod
    @contextlib.contextmanager
    def context(cls, *_: object):
        cls.on = True
        try:
            yield
        finally:
            cls.on = False


@pytest.fixture
def cpu_recording(monkeypatch):
    """Trainers take the ``cuda`` path on the CPU with fused optimizers (as on a GPU), and the
    recording is :class:`_Recording`."""
    for module in (gan_training, vae_training, simsiam_training):
        monkeypatch.setattr(module, "optimizer_options", lambda *_: {"fused": True})
    monkeypatch.setattr(StepGraph, "_new_graph", lambda self: object())
    monkeypatch.setattr(StepGraph, "_recording", lambda self, graph: _Recording.context())
    return _Recording


def _fail_in_the_generator_update(generator):
    """The generator's forward with gradients (its own update, not the critic's fakes) raises
    while recording, as an operation a recording cannot take would."""

    def hook(module, args):
        if _Recording.on and torch.is_grad_enabled():
            raise RuntimeError("operation not permitted when stream is capturing")

    generator.register_forward_pre_hook(hook)


@pytest.mark.parametrize("loss", ["vanilla", "wgan-lp"])
def test_a_capture_failing_in_the_generator_update_leaves_the_critic_trainable(
    cpu_recording, monkeypatch, loss
):
    h, _ = synthetic.house_numbers(48, seed=1)
    torch.manual_seed(0)
    generator, critic = gan.Generator(latent_dim=8, width=4), gan.Critic(width=4)
    _fail_in_the_generator_update(generator)
    seen = []
    original = StepGraph._after_failed_capture

    def after(self, error):
        seen.append([p.requires_grad for p in critic.parameters()])
        return original(self, error)

    monkeypatch.setattr(StepGraph, "_after_failed_capture", after)
    with pytest.warns(RuntimeWarning, match="checked sane"):
        result, _ = gan.train_gan(
            "g", generator, critic, h, iterations=6, batch_size=8, loss=loss, log_every=1,
            progress=False, graphs=GraphMode("cuda"),
        )  # fmt: skip
    assert len(seen) == 1 and all(seen[0])  # undone before anything else runs
    assert result.steps == 6 and result.replays == 0
    assert all(p.requires_grad for p in critic.parameters())


def test_an_unsafe_device_after_a_failed_capture_stops_and_keeps_the_checkpoint(
    cpu_recording, monkeypatch, tmp_path, capsys
):
    h, _ = synthetic.house_numbers(48, seed=1)

    def train(mode):
        torch.manual_seed(0)
        generator = gan.Generator(latent_dim=8, width=4)
        _fail_in_the_generator_update(generator)
        return gan.train_gan(
            "g", generator, gan.Critic(width=4), h, iterations=6, batch_size=8,
            loss="vanilla", eval_every=2, progress=False, checkpoint_dir=str(tmp_path),
            graphs=GraphMode(mode),
        )  # fmt: skip

    monkeypatch.setattr(graphs, "device_problems", lambda *_: ["a stream is still recording"])
    with pytest.raises(GraphCaptureError, match="WORKBOOK_CUDA_GRAPHS'\\] = '0'") as err:
        train("cuda")  # three warm-up steps, then the recording at the fourth
    assert "a stream is still recording" in str(err.value)
    assert load_checkpoint(tmp_path / "g.pt")["step"] == 2  # the last checkpoint, kept
    result, _ = train("eager")
    assert result.resumed_from == 2 and result.steps == 6
    assert "resuming from step 2" in capsys.readouterr().out


def test_device_problems_finds_a_broken_generator_and_changes_no_result(monkeypatch):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    assert device_problems("cpu") == []
    assert torch.equal(torch.rand(3), expected)  # the check put the generator back
    monkeypatch.setattr(torch, "randn", lambda *a, **k: torch.full((4096,), float("nan")))
    assert "random draws look wrong" in device_problems("cpu")[0]


# ---- the capture contract: operations and their non-tensor arguments, step after step


def test_check_finds_a_value_that_a_recording_would_freeze():
    model, optimizer, _, (xs, ys), _ = _regression()
    calls = []

    def step(x, y):
        calls.append(1)
        weight = 1.0 / len(calls)  # a float that changes with the step: frozen in a recording
        loss = weight * (model(x) - y).pow(2).mean()
        return {"loss": loss.detach()}

    graphed = StepGraph(step, optimizers=[optimizer], mode="static")
    graphed(xs[0], ys[0])
    graphed(xs[1], ys[1])
    with pytest.raises(CaptureError, match="frozen"):
        graphed(xs[2], ys[2])


def _fused_regression():
    model, _, _, data, _ = _regression()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1 / (1 + s))

    def step(x, y):
        loss = (model(x) - y).pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.detach()}

    return model, optimizer, scheduler, data, step


def test_fused_optimizers_are_checked_with_their_learning_rates_fed_as_tensors(monkeypatch):
    def run(mode, steps=6):
        _, optimizer, scheduler, (xs, ys), step = _fused_regression()
        graphed = StepGraph(step, optimizers=[optimizer], mode=mode, check_calls=steps)
        out = []
        for i in range(steps):
            out.append(float(graphed(xs[i], ys[i])["loss"]))
            scheduler.step()
        return out

    assert run("static") == pytest.approx(run("eager"), rel=1e-6)
    # Without the tensors, the fused step gets each new learning rate as a float: caught.
    monkeypatch.setattr(StepGraph, "_capturable", lambda self: contextlib.nullcontext())
    with pytest.raises(CaptureError, match="_fused_adam"):
        run("static")


@pytest.mark.parametrize(
    "train",
    [_vae, lambda m: _gan(m, "wgan-lp"), lambda m: _gan(m, "vanilla"), _simsiam],
    ids=["vae", "wgan-lp", "vanilla-gan", "simsiam"],
)
def test_trainers_with_fused_optimizers_keep_the_contract_over_changing_learning_rates(
    monkeypatch, train
):
    """As on a GPU: fused optimizers, learning rates as tensors, the optimizer's operations
    checked with the rest, over several steps with warm-up and decay."""
    for module in (gan_training, vae_training, simsiam_training):
        monkeypatch.setattr(module, "optimizer_options", lambda *_: {"fused": True})
    static, eager = _numbers(train("static")), _numbers(train("eager"))
    assert len(static) == len(eager)
    for a, b in zip(static, eager, strict=True):
        assert a.keys() == b.keys()
        assert [a[k] for k in a] == pytest.approx([b[k] for k in b], rel=1e-4, abs=1e-4)
