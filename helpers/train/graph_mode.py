"""How training steps run: :func:`choose_graphs` picks eager, static or CUDA-graph steps per
device, precision and trainer (:class:`GraphMode`); :func:`device_problems` says why a device
cannot capture. :class:`helpers.train.StepGraph` runs the steps in the chosen mode.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from .precision import Precision, optimizer_options

__all__ = [
    "VERIFIED_ON_GPU",
    "CaptureError",
    "GraphCaptureError",
    "GraphMode",
    "Mode",
    "choose_graphs",
    "device_problems",
    "unfused_groups",
]

Mode = Literal["eager", "static", "cuda"]
_MODES = ("eager", "static", "cuda")
_ON = ("1", "on", "true", "yes", "cuda")
_OFF = ("0", "off", "false", "no", "eager")


# The trainers whose CUDA-graph steps a GPU run has verified (captured, with loss curves that
# agree with eager steps), each with its committed record: only these replay graphs without
# WORKBOOK_CUDA_GRAPHS=1. Empty until `python benchmarks/gpu_check.py --lease` has run on a GPU.
VERIFIED_ON_GPU: dict[str, str] = {}


class CaptureError(RuntimeError):
    """A step does something a CUDA graph cannot record (see the module docstring)."""


class GraphCaptureError(CaptureError):
    """A CUDA-graph capture failed and left the process in a state not safe to train on."""


@dataclass(frozen=True)
class GraphMode:
    """How training steps run: ``mode`` (``eager``, ``static`` or ``cuda``) and why."""

    mode: Mode
    reason: str = ""

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {self.mode!r}")


def unfused_groups(optimizers: Sequence[torch.optim.Optimizer]) -> list[str]:
    """The parameter groups of ``optimizers`` that are not fused, in words (``["SGD group
    1"]``): an unfused optimizer keeps its step count on the host and cannot be recorded."""
    return [
        f"{type(optimizer).__name__} group {i}"
        for optimizer in optimizers
        for i, group in enumerate(optimizer.param_groups)
        if not group.get("fused")
    ]


def choose_graphs(
    device: torch.device | str,
    precision: Precision,
    *,
    optimizers: Sequence[torch.optim.Optimizer] = (),
    trainer: str | None = None,
    available: bool | None = None,
) -> GraphMode:
    """Whether a trainer on ``device`` with ``precision`` replays its steps from a CUDA graph.

    ``eager`` by default: CUDA graphs are opt-in with ``WORKBOOK_CUDA_GRAPHS=1`` until a GPU run
    has verified them for ``trainer`` (:data:`VERIFIED_ON_GPU`). When asked for, ``cuda`` on a
    CUDA device in bf16 or fp32 with every parameter group of ``optimizers`` fused; ``eager``
    on the CPU and MPS, under fp16 (the T4 of Colab's free tier: the gradient scaler reads its
    inf check on the host every step), where this torch has no CUDA graphs, or when an
    optimizer is not fused (:func:`unfused_groups`; the unfused ones keep their step counts on
    the host). ``WORKBOOK_CUDA_GRAPHS=0`` turns graphs off and ``static`` forces the checked
    ``static`` mode (for checks).

    Args:
        device: where the model trains.
        precision: the trainer's :class:`~helpers.train.Precision`.
        optimizers: the trainer's optimizers, as built (default: whether Adam would be fused).
        trainer: ``vae``, ``gan`` or ``simsiam``: which trainer asks.
        available: whether CUDA graphs work here; default asks torch (a test passes it).
    """
    device = torch.device(device)
    setting = os.environ.get("WORKBOOK_CUDA_GRAPHS", "").strip().lower()
    if setting and setting not in (*_ON, *_OFF, "static"):
        raise ValueError(
            f"WORKBOOK_CUDA_GRAPHS={setting!r}: use 1 (CUDA graphs), 0 (eager) or static"
        )
    if setting in _OFF:
        return GraphMode("eager", "turned off by WORKBOOK_CUDA_GRAPHS=0")
    if setting == "static":
        return GraphMode("static", "set by WORKBOOK_CUDA_GRAPHS")
    if device.type != "cuda":
        return GraphMode("eager", f"{device.type}: CUDA graphs need a CUDA GPU")
    if setting not in _ON and trainer not in VERIFIED_ON_GPU:
        return GraphMode(
            "eager",
            "the default: CUDA graphs are opt-in (WORKBOOK_CUDA_GRAPHS=1) until a GPU run has "
            "verified them",
        )
    if precision.uses_scaler:
        return GraphMode(
            "eager", "fp16's gradient scaler reads its inf check on the host every step"
        )
    unfused = (
        unfused_groups(optimizers)
        if optimizers
        else ([] if optimizer_options(torch.optim.Adam, device) else ["Adam"])
    )
    if unfused:
        return GraphMode("eager", f"not fused, so not capturable: {', '.join(unfused)}")
    if available is None:
        available = hasattr(torch.cuda, "CUDAGraph") and torch.cuda.is_available()
    if not available:
        return GraphMode("eager", "this torch has no CUDA graphs")
    return GraphMode("cuda", "each training step is replayed from a CUDA graph")


def device_problems(device: torch.device | str, stream: object | None = None) -> list[str]:
    """What is wrong with ``device`` after a failed capture, in words (empty: sane).

    On CUDA: no stream is still recording, the current stream is ``stream`` again (restored
    here when a failed capture left another: ``torch.cuda.graph`` skips that when the capture's
    end raises) and the device synchronises. On every device: two random draws are finite,
    distinct and look standard normal (the generator's state survived); the generator's
    state is put back afterwards, so the check changes no result."""
    device = torch.device(device)
    problems: list[str] = []
    try:
        if device.type == "cuda":
            if torch.cuda.is_current_stream_capturing():
                problems.append("a stream is still recording")
            if stream is not None and torch.cuda.current_stream(device) != stream:
                torch.cuda.set_stream(stream)  # type: ignore[arg-type]
            torch.cuda.synchronize(device)
        cuda = device.type == "cuda"
        saved = torch.cuda.get_rng_state(device) if cuda else torch.get_rng_state()
        first = torch.randn(4096, device=device)
        second = torch.randn(4096, device=device)
        if cuda:  # the check leaves the generators as it found them
            torch.cuda.set_rng_state(saved, device)
        else:
            torch.set_rng_state(saved)
        mean, std = float(first.mean()), float(first.std())
        if not (bool(torch.isfinite(first).all()) and abs(mean) < 0.2 and 0.8 < std < 1.2):
            problems.append(f"random draws look wrong (mean {mean:.3g}, std {std:.3g})")
        elif torch.equal(first, second):
            problems.append("two random draws are equal (the generator does not advance)")
    except Exception as error:  # the device itself fails
        problems.append(f"the device fails ({type(error).__name__}: {error})")
    return problems
