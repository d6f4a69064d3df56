"""Which arithmetic a trainer uses on a device: one decision for every trainer.

- CUDA with native bf16 (compute capability 8.0 or newer: A100, L4, H100, ...): bf16 autocast,
  no gradient scaler (bf16 has fp32's exponent range).
- CUDA without it (the T4 of Colab's free tier is 7.5, a V100 7.0): fp16 autocast with a
  gradient scaler. ``torch.cuda.is_bf16_supported()`` answers True on a T4 (through
  emulation), but cuDNN has no bf16 convolutions there, so every convolution takes a slow path;
  the capability is the reliable test.
- CPU and MPS: fp32 (autocast off).

``WORKBOOK_PRECISION`` (``fp32``, ``bf16`` or ``fp16``) overrides the choice, for example to
check a result in fp32.

A trainer does::

    precision = choose_precision(device)
    scaler = precision.scaler(device)
    with precision.autocast(device):
        loss = ...
    precision.step(loss, optimizer, scaler)

which on fp32 and bf16 is ``loss.backward(); optimizer.step()``.
"""

from __future__ import annotations

import contextlib
import inspect
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch

__all__ = [
    "PRECISIONS",
    "Precision",
    "choose_precision",
    "full_precision",
    "optimizer_options",
    "scaler_state",
]

PRECISIONS = ("fp32", "bf16", "fp16")
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Precision:
    """The arithmetic of a training run.

    Attributes:
        name: ``fp32``, ``bf16`` or ``fp16``.
        reason: why it was chosen (printed by the notebooks).
    """

    name: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.name not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.name!r}")

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, or ``None`` for fp32."""
        return _DTYPES[self.name]

    @property
    def uses_scaler(self) -> bool:
        """fp16 needs loss scaling: its gradients underflow otherwise."""
        return self.name == "fp16"

    def autocast(self, device: torch.device | str) -> contextlib.AbstractContextManager[None]:
        """The autocast context of this precision on ``device`` (a no-op for fp32)."""
        device = torch.device(device)
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=self.dtype)

    def scaler(self, device: torch.device | str) -> torch.amp.GradScaler:
        """A gradient scaler, enabled for fp16 only (disabled, it passes everything through)."""
        device = torch.device(device)
        return torch.amp.GradScaler(device.type, enabled=self.uses_scaler)

    @staticmethod
    def step(
        loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler
    ) -> None:
        """``backward`` and ``optimizer.step`` through ``scaler`` (skips steps with inf grads
        under fp16, as PyTorch's AMP recipe does)."""
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()


def scaler_state(**scalers: torch.amp.GradScaler) -> dict[str, torch.amp.GradScaler]:
    """The enabled scalers among ``scalers``, for a checkpoint's state (a disabled scaler has
    no state to save or load)."""
    return {name: s for name, s in scalers.items() if s.is_enabled()}


@contextlib.contextmanager
def full_precision(device: torch.device | str) -> Iterator[None]:
    """Autocast off inside a mixed-precision region (for a gradient penalty, say)."""
    with torch.autocast(torch.device(device).type, enabled=False):
        yield


def choose_precision(
    device: torch.device | str, *, capability: tuple[int, int] | None = None
) -> Precision:
    """The precision for training on ``device`` (see the module docstring).

    Args:
        device: where the model trains.
        capability: the CUDA compute capability; default the device's own (a test passes it).
    """
    device = torch.device(device)
    forced = os.environ.get("WORKBOOK_PRECISION", "").strip().lower()
    if forced:
        return Precision(forced, "set by WORKBOOK_PRECISION")
    if device.type != "cuda":
        return Precision("fp32", f"{device.type}: no mixed precision")
    if capability is None:
        capability = torch.cuda.get_device_capability(device)
    major, minor = capability
    if (major, minor) >= (8, 0):
        return Precision("bf16", f"compute capability {major}.{minor} has native bf16")
    return Precision(
        "fp16",
        f"compute capability {major}.{minor} has no native bf16: fp16 with a gradient scaler",
    )


def optimizer_options(
    optimizer: type[torch.optim.Optimizer], device: torch.device | str
) -> dict[str, bool]:
    """Keyword arguments that make ``optimizer`` faster on ``device``: ``fused=True`` on CUDA
    (one kernel for all parameters instead of a loop of small ones, which dominates the step time
    of the workbook's small models), where this torch's optimizer has the option; nothing
    elsewhere, so that CPU results stay those of the default implementation.
    ``WORKBOOK_FUSED=0`` turns it off."""
    if torch.device(device).type != "cuda" or os.environ.get("WORKBOOK_FUSED", "1") == "0":
        return {}
    if "fused" not in inspect.signature(optimizer.__init__).parameters:
        return {}
    return {"fused": True}
