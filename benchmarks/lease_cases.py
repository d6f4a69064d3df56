"""The lease check's trainers, and how one run of one of them is measured (``gpu_lease.py``).

Each case trains one of the workbook's trainers at the profile's sizes, on generated stand-in
data, for at most ``steps`` steps and at most until a deadline. While it runs, :class:`Meter`
wraps the training loop's step and evaluation functions (:func:`metering` patches the loop's
``train`` where the trainers look it up), so that:

- the speed counts training steps only: the set-up (data generation, model building), the
  first steps (eager warm-up and, for ``graphs``, the capture) and every evaluation are timed
  apart, with the device synchronised at each boundary and nowhere else;
- the run stops at its step limit or its deadline, whichever comes first (:class:`Cut`);
- the loss curve is the per-step value of the case's loss, kept on the device and read once;
- warnings raised by the training steps are recorded, not turned into errors, and nothing
  outside the steps (data, evaluation) is watched for them.

Only torch, numpy and the workbook's ``helpers`` are imported: the GPU machine has no Jupyter.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from helpers import gan, simsiam, vae
from helpers.data import synthetic
from helpers.profiles import Profile
from helpers.train import GraphMode, Precision, StepGraph, device_problems

FAULT_ENV = "GPU_LEASE_FAULT"  # tests only: "<case>/<mode>/raise|hang|poison"
_POISONED: list[str] = []  # a simulated sticky CUDA error (FAULT_ENV ... /poison)


class Cut(Exception):
    """A run reached its deadline: it stops before its next step."""


@dataclass
class Meter:
    """Times and losses of one run; see the module docstring."""

    device: torch.device
    deadline: float  # time.perf_counter() after which no step starts
    skip: int  # the first steps (warm-up, capture) are timed apart from the others
    key: str  # the step metric whose values make the loss curve
    fault: str | None = None
    began: float = field(default_factory=time.perf_counter)
    first_step: float | None = None  # when the first step began (set-up ends)
    timed_from: float | None = None  # when step ``skip`` began
    ended: float | None = None  # when the loop returned or raised
    eval_before: float = 0.0  # seconds of evaluation before ``timed_from``
    eval_after: float = 0.0  # and after it
    steps: int = 0
    planned: int = 0
    values: list[torch.Tensor] = field(default_factory=list)
    caught: list[str] = field(default_factory=list)  # warnings of the training steps
    graphs: list[StepGraph] = field(default_factory=list)

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def step(self, step_fn: Callable[[int], dict]) -> Callable[[int], dict]:
        def metered(i: int) -> dict:
            if self.first_step is None:
                self.sync()
                self.first_step = time.perf_counter()
            if self.steps == self.skip:
                self.sync()
                self.timed_from = time.perf_counter()
            if self.fault and self.steps == (0 if self.fault == "hang" else min(2, self.skip)):
                _inject(self.fault)  # a hang at once, whatever the share; the others mid-run
            if time.perf_counter() > self.deadline:
                raise Cut
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                metrics = step_fn(i)
            for w in caught:
                text = f"{w.category.__name__}: {w.message}"
                if text not in self.caught and len(self.caught) < 5:
                    self.caught.append(text)
            value = metrics.get(self.key)
            if isinstance(value, torch.Tensor):
                self.values.append(value.detach().float().reshape(()))
            elif value is not None:
                self.values.append(torch.tensor(float(value)))
            self.steps += 1
            return metrics

        return metered

    def evaluation(self, eval_fn: Callable[[int], dict]) -> Callable[[int], dict]:
        def metered(i: int) -> dict:
            self.sync()
            began = time.perf_counter()
            try:
                return eval_fn(i)
            finally:
                self.sync()
                seconds = time.perf_counter() - began
                if self.timed_from is None:
                    self.eval_before += seconds
                else:
                    self.eval_after += seconds

        return metered

    def stop(self) -> None:
        if self.ended is None:
            try:
                self.sync()
            finally:
                self.ended = time.perf_counter()

    def losses(self) -> list[float]:
        if not self.values:
            return []
        return [round(v, 6) for v in torch.stack(self.values).double().cpu().tolist()]

    def summary(self) -> dict:
        """Steps, seconds by phase, steps per second over the timed steps, replays."""
        ended = self.ended or time.perf_counter()
        setup = (self.first_step or ended) - self.began
        out: dict[str, object] = {
            "steps": self.steps, "planned": self.planned, "seconds": round(ended - self.began, 2),
            "setup_s": round(setup, 2),
        }  # fmt: skip
        if self.first_step is not None:
            first_end = self.timed_from or ended
            out["first_steps_s"] = round(first_end - self.first_step - self.eval_before, 2)
        out["eval_s"] = round(self.eval_before + self.eval_after, 2)
        timed = self.steps - self.skip
        if self.timed_from is not None and timed > 0:
            train_s = ended - self.timed_from - self.eval_after
            out["train_s"] = round(train_s, 3)
            out["timed_steps"] = timed
            out["steps_per_s"] = round(timed / train_s, 2) if train_s > 0 else None
        else:
            out["steps_per_s"] = None
        out["replays"] = sum(g.replays for g in self.graphs)
        out["captured"] = any(g.captured or g.replays for g in self.graphs)
        if self.caught:
            out["warnings"] = list(self.caught)
        return out


def _inject(fault: str) -> None:
    """A failure on purpose (tests): an exception, a hang, or a sticky CUDA error."""
    if fault == "raise":
        raise RuntimeError("injected failure (GPU_LEASE_FAULT)")
    if fault == "hang":
        while True:
            time.sleep(0.5)
    if fault == "poison":
        _POISONED.append("injected sticky CUDA error (GPU_LEASE_FAULT)")
        raise RuntimeError("CUDA error: an illegal memory access was encountered (injected)")


def device_sane(device: torch.device) -> list[str]:
    """What is wrong with the device after a failed run (empty: it still works)."""
    return list(_POISONED) or device_problems(device)


def _loop_module():
    """The module that defines the training loop's ``train``: the one the VAE trainer calls
    (the other trainers call the same, some importing it when they run)."""
    trainer = sys.modules[vae.train_vae.__module__]
    return sys.modules[trainer.train.__module__]


@contextlib.contextmanager
def metering(meter: Meter) -> Iterator[None]:
    """Run the trainers' loops through ``meter`` (see the module docstring)."""
    loop = _loop_module()
    original = loop.train
    original_init = StepGraph.__init__

    def train(name, step_fn, total_steps, state, *args, eval_fn=None, **kwargs):
        meter.planned = total_steps
        if eval_fn is not None:
            eval_fn = meter.evaluation(eval_fn)
        try:
            return original(name, meter.step(step_fn), total_steps, state, *args,
                            eval_fn=eval_fn, **kwargs)  # fmt: skip
        finally:
            meter.stop()

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        meter.graphs.append(self)

    modules = [
        m for name, m in list(sys.modules.items())
        if name.startswith("helpers") and getattr(m, "train", None) is original
    ]  # fmt: skip
    for module in modules:
        module.train = train
    StepGraph.__init__ = init
    try:
        yield
    finally:
        for module in modules:
            module.train = original
        StepGraph.__init__ = original_init


# ------------------------------------------------------------------------------------------
# The cases: each trains one trainer at the profile's sizes from ``seed``; the stand-in data
# depend on the profile and ``steps`` only, never on the seed, and are made once per case
# (SimSiam's 30720 images take seconds to draw: the four runs share them).


@functools.lru_cache(maxsize=4)
def _standin(kind: str, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    if kind == "binarized":
        return synthetic.digits(n, seed=1, binarized=True)
    return getattr(synthetic, kind)(n, seed=1)


def course_vae(p: Profile, steps: int, device, precision, graphs, seed: int) -> None:
    """The course MLP VAE: ten epochs of ``steps / 10`` batches."""
    b = p.vae
    images, _ = _standin("binarized", max(1, steps // 10) * b.batch_size)
    torch.manual_seed(seed)
    vae.train_vae(
        "lease_mlp", vae.CourseVAE(b.latent_dim, b.hidden), images, images[:64], epochs=10,
        batch_size=b.batch_size, lr=b.lr, device=device, progress=False, snapshot_samples=1,
        precision=precision, graphs=graphs, seed=seed,
    )  # fmt: skip


def conv_vae(p: Profile, steps: int, device, precision, graphs, seed: int) -> None:
    """The workbook's ConvVAE with its cosine schedule and warm-up (learning rates change)."""
    b = p.vae
    images, _ = _standin("binarized", max(1, steps // 10) * b.batch_size)
    torch.manual_seed(seed)
    model = vae.ConvVAE(b.latent_dim, width=b.conv_width, blocks=b.conv_blocks)
    vae.train_vae(
        "lease_conv", model, images, images[:64], epochs=10, batch_size=b.batch_size,
        lr=b.conv_lr, schedule="cosine", warmup_steps=min(b.conv_warmup_steps, steps // 5),
        device=device, progress=False, snapshot_samples=1, precision=precision, graphs=graphs,
        seed=seed,
    )  # fmt: skip


def wgan_lp(p: Profile, steps: int, device, precision, graphs, seed: int) -> None:
    """WGAN-LP at the profile's width: five critic updates with the penalty per iteration."""
    images, _ = _standin("house_numbers", 2048)
    torch.manual_seed(seed)
    gan.train_gan(
        "lease_wgan", gan.Generator(width=p.gan.width), gan.Critic(width=p.gan.width), images,
        iterations=steps, n_critic=5, lr=p.gan.lr, device=device, log_every=max(1, steps // 10),
        progress=False, snapshot_samples=1, precision=precision, graphs=graphs, seed=seed,
    )  # fmt: skip


def vanilla_gan(p: Profile, steps: int, device, precision, graphs, seed: int) -> None:
    """The vanilla GAN of 02: MLPs on MNIST-sized images, the notebook's optimiser."""
    images, _ = _standin("digits", 2048)
    torch.manual_seed(seed)
    h = p.gan.mlp_hidden
    gan.train_gan(
        "lease_vanilla", gan.MLPGenerator(hidden=h), gan.MLPDiscriminator(hidden=h), images,
        loss="vanilla", iterations=steps, lr=2e-4, betas=(0.5, 0.999), device=device,
        log_every=max(1, steps // 10), progress=False, snapshot_samples=1,
        precision=precision, graphs=graphs, seed=seed,
    )  # fmt: skip


def simsiam_resnet(p: Profile, steps: int, device, precision, graphs, seed: int) -> None:
    """SimSiam at the profile's sizes (the full profile's: the CIFAR ResNet-18, batch 512):
    five epochs of ``steps / 5`` batches, with warm-up, cosine decay and the kNN monitor."""
    b = p.simsiam
    per_epoch = max(1, steps // 5)
    images, labels = _standin("objects", per_epoch * b.batch_size)
    torch.manual_seed(seed)
    backbone = simsiam.cifar_resnet(b.width, b.blocks, b.stem_stride)
    model = simsiam.SimSiam(backbone, dim=b.dim, pred_dim=b.pred_dim)
    simsiam.train_simsiam(
        "lease_simsiam", model, images, labels, images[:256], labels[:256], epochs=5,
        batch_size=b.batch_size, base_lr=b.base_lr, warmup_epochs=1, knn_k=min(b.knn_k, 20),
        std_images=256, device=device, progress=False, precision=precision, graphs=graphs,
        seed=seed,
    )  # fmt: skip


Case = Callable[..., None]
CASES: dict[str, tuple[Case, str]] = {  # name -> (case, the step metric of its loss curve)
    "course MLP VAE": (course_vae, "train_elbo"),
    "ConvVAE": (conv_vae, "train_elbo"),
    "WGAN-LP": (wgan_lp, "wasserstein"),
    "vanilla GAN": (vanilla_gan, "d_loss"),
    "SimSiam ResNet": (simsiam_resnet, "loss"),
}
# The runs of each case, in order: the first two make the noise band (two seeds, eager);
# graphs and fp16 are judged against it. Each is (precision, steps, seed).
MODES: dict[str, tuple[str, str, int]] = {
    "eager bf16": ("bf16", "eager", 0),
    "eager bf16, seed 1": ("bf16", "eager", 1),
    "graphs bf16": ("bf16", "graphs", 0),
    "fp16 + scaler": ("fp16", "eager", 0),
}


def first_steps(steps: int) -> int:
    """Steps timed apart at the start of a run: the graph's three eager warm-up steps, the
    capture and one more (fewer for runs too short to keep any otherwise)."""
    return min(5, steps // 4)


def run_mode(
    case: str, profile: Profile, steps: int, device: torch.device, mode: str, deadline: float
) -> dict:
    """One run of ``case`` in ``mode``, stopped at ``steps`` or ``deadline``: its summary,
    losses and status (``ok``, ``cut ...`` or ``FAILED ...``); never raises but for
    ``KeyboardInterrupt`` and ``SystemExit``."""
    fn, key = CASES[case]
    precision_name, steps_kind, seed = MODES[mode]
    cuda = device.type == "cuda"
    graphs = GraphMode(("cuda" if cuda else "static") if steps_kind == "graphs" else "eager")
    fault = None
    spec = os.environ.get(FAULT_ENV, "")
    if spec.count("/") == 2 and spec.rsplit("/", 1)[0] == f"{case}/{mode}":
        fault = spec.rsplit("/", 1)[1]
    meter = Meter(device, deadline, first_steps(steps), key, fault)
    status = "ok"
    try:
        if cuda:
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
        with metering(meter):
            fn(profile, steps, device, Precision(precision_name), graphs, seed)
    except Cut:
        status = f"cut at step {meter.steps} of {meter.planned}: its time share ran out"
    except Exception as error:  # one run failing must not hide the others
        where = traceback.extract_tb(error.__traceback__)[-1]
        status = (f"FAILED: {type(error).__name__}: {str(error)[:300]} "
                  f"({os.path.basename(where.filename)}:{where.lineno})")  # fmt: skip
    finally:
        meter.stop()
    result = meter.summary()
    result["graphs"] = graphs.mode
    if cuda:
        with contextlib.suppress(Exception):
            result["peak_memory_gb"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    if status == "ok" and graphs.mode == "cuda" and not result["replays"]:
        status = "FAILED: no step was replayed from a CUDA graph" + (
            f" ({result['warnings'][0]})" if result.get("warnings") else ""
        )
    try:
        result["losses"] = meter.losses()
    except Exception as error:  # a device that fails cannot give them back
        result["losses"] = []
        status += f" (losses unreadable: {type(error).__name__})"
    result["status"] = status
    return result
