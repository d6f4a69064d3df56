"""Whole training steps replayed from CUDA graphs: one launch per step instead of hundreds.

The workbook's models are small: a course-MLP step is a few MFLOP, so on a GPU its time goes to
Python and to launching some hundred kernels (forward, backward, the optimizer), not to
arithmetic. A CUDA graph records those launches once and replays them with one call
(PyTorch's "whole-network capture", ``torch.cuda.graph``). A trainer writes its step as a
function of tensors only::

    def train_step(index):                 # (B,) int64 on the device
        x = batches.take(index)            # gathered from the device-resident uint8 images
        loss = ...                         # randomness from torch's device generator only
        precision.step(loss, optimizer, scaler)
        return {"loss": loss.detach()}     # 0-d tensors

    step = StepGraph(train_step, optimizers=[optimizer], mode=choose_graphs(device, precision))
    metrics = step(batches.index_at(i))    # the same call in every mode

and :class:`StepGraph` runs it in one of three modes (:func:`choose_graphs` picks):

- ``eager``: calls the function (CPU, MPS, fp16 with a gradient scaler, or turned off).
- ``cuda``: copies the inputs into fixed buffers, runs a few eager warm-up steps on a side
  stream (they create the optimizer's state and pick the kernels), records the next step in a
  CUDA graph and from then on replays it. Learning rates set between steps (by a scheduler, as
  floats) reach the graph through one device tensor per parameter group.
- ``static``: the same buffers and outputs as ``cuda`` without recording (any device), and a
  check of what a recording needs: on its first calls every operation of the step is watched
  (a ``TorchDispatchMode``), and a step that reads a value on the host (``.item()``, ``if
  loss > ...``), makes a tensor from host data (``torch.tensor([...])``, a copy that waits for
  the GPU) or reads a tensor made outside it for this call (a batch taken before the call, which
  a replay would never see again) raises :class:`CaptureError`. The tests run every trainer
  in this mode on the CPU and compare its numbers with ``eager``.

What a captured step must not do: read a tensor's value on the host (``.item()``, ``if loss >
...``, printing), change shapes between steps, or use a gradient scaler (its inf check is read on
the host). Every trainer of the workbook keeps to this.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from .precision import Precision, optimizer_options

__all__ = ["CaptureError", "GraphMode", "StepGraph", "choose_graphs", "host_syncs"]

Mode = Literal["eager", "static", "cuda"]
_MODES = ("eager", "static", "cuda")


class CaptureError(RuntimeError):
    """A step does something a CUDA graph cannot record (see the module docstring)."""


# Operations that read a device value on the host, or whose output shape depends on values;
# and ``lift_fresh``: a tensor made from host data (``torch.tensor([...])``), which on a GPU is
# a copy from the host that waits for the device.
_HOST_READS = ("_local_scalar_dense", "nonzero", "masked_select", "unique", "item", "lift_fresh")


class _WatchStep(TorchDispatchMode):
    """Records, for one call of a step, the operations that read on the host and the storages
    it reads that it did not make itself."""

    def __init__(self) -> None:
        super().__init__()
        self.made: set[int] = set()
        self.read: dict[int, str] = {}
        self.host_reads: list[str] = []
        self.in_optimizer = False  # the CPU optimizers read their step count on the host; the
        # CUDA path uses fused optimizers, which do not, and records them with capturable=True

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.__name__ if hasattr(func, "__name__") else str(func)
        if not self.in_optimizer and any(name.startswith(op) for op in _HOST_READS):
            self.host_reads.append(str(func))
        for t in tree_leaves((args, kwargs)):
            if isinstance(t, Tensor) and t.numel() > 0:
                ptr = t.untyped_storage().data_ptr()
                if ptr not in self.made:
                    self.read.setdefault(ptr, f"{func} reads a {tuple(t.shape)} tensor")
        out = func(*args, **kwargs)
        for t in tree_leaves(out):
            if isinstance(t, Tensor) and t.numel() > 0:
                self.made.add(t.untyped_storage().data_ptr())
        return out


def host_syncs(fn: Callable[..., object], *args: object) -> list[str]:
    """The operations of ``fn(*args)`` that on a GPU would make the host wait for the device:
    reading a value (``.item()``, ``nonzero``, ...) or making a tensor from host data
    (``torch.tensor([...])``). Runs ``fn`` once, on any device (the tests use the CPU)."""
    watch = _WatchStep()
    with watch:
        fn(*args)
    return watch.host_reads


@dataclass(frozen=True)
class GraphMode:
    """How training steps run: ``mode`` (``eager``, ``static`` or ``cuda``) and why."""

    mode: Mode
    reason: str = ""

    def __post_init__(self) -> None:
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {self.mode!r}")


def choose_graphs(
    device: torch.device | str, precision: Precision, *, available: bool | None = None
) -> GraphMode:
    """Whether a trainer on ``device`` with ``precision`` replays its steps from a CUDA graph.

    ``cuda`` on a CUDA device in bf16 or fp32; ``eager`` on the CPU and MPS, under fp16 (the
    T4 of Colab's free tier: the gradient scaler reads its inf check on the host every step),
    where this torch has no CUDA graphs, when ``WORKBOOK_CUDA_GRAPHS=0``, or when the
    optimizers are not fused (:func:`~helpers.precision.optimizer_options`; the unfused ones
    keep their step counts on the host).
    ``WORKBOOK_CUDA_GRAPHS=static`` forces the ``static`` mode (for checks).

    Args:
        device: where the model trains.
        precision: the trainer's :class:`~helpers.precision.Precision`.
        available: whether CUDA graphs work here; default asks torch (a test passes it).
    """
    device = torch.device(device)
    setting = os.environ.get("WORKBOOK_CUDA_GRAPHS", "").strip().lower()
    if setting in ("0", "off", "false", "no"):
        return GraphMode("eager", "turned off by WORKBOOK_CUDA_GRAPHS")
    if setting == "static":
        return GraphMode("static", "set by WORKBOOK_CUDA_GRAPHS")
    if device.type != "cuda":
        return GraphMode("eager", f"{device.type}: CUDA graphs need a CUDA GPU")
    if not optimizer_options(torch.optim.Adam, device):
        return GraphMode("eager", "the optimizers are not fused (WORKBOOK_FUSED=0)")
    if precision.uses_scaler:
        return GraphMode(
            "eager", "fp16's gradient scaler reads its inf check on the host every step"
        )
    if available is None:
        available = hasattr(torch.cuda, "CUDAGraph") and torch.cuda.is_available()
    if not available:
        return GraphMode("eager", "this torch has no CUDA graphs")
    return GraphMode("cuda", "each training step is replayed from a CUDA graph")


class StepGraph:
    """A training step that runs eagerly, on fixed buffers, or from a CUDA graph.

    Args:
        step: ``step(*inputs) -> {name: 0-d tensor}``; reads only its inputs, the models'
            parameters and buffers, and the optimizers' state (see the module docstring).
        optimizers: the optimizers ``step`` steps (their learning rates are fed to the graph).
        mode: a :class:`GraphMode` or its name.
        warmup: eager steps before the capture (``cuda`` only).

    Calling it with tensors of the same shapes each time returns the step's metrics: fresh
    tensors, safe to keep while later steps run.
    """

    def __init__(
        self,
        step: Callable[..., dict[str, Tensor]],
        *,
        optimizers: Sequence[torch.optim.Optimizer] = (),
        mode: GraphMode | Mode = "eager",
        warmup: int = 3,
    ) -> None:
        self.step = step
        self.optimizers = list(optimizers)
        self.mode: Mode = mode.mode if isinstance(mode, GraphMode) else GraphMode(mode).mode
        self.warmup = warmup
        self.eager_steps = 0  # steps run before the capture (``cuda``)
        self._inputs: list[Tensor] | None = None
        self._keys: list[str] = []
        self._output: Tensor | None = None
        self._graph: torch.cuda.CUDAGraph | None = None
        self._lr: list[tuple[dict, Tensor, float]] = []
        self._checked = 0  # ``static`` calls checked so far (the first two are)
        self._outside: set[int] | None = None

    @property
    def captured(self) -> bool:
        """Whether the step now replays a CUDA graph."""
        return self._graph is not None

    def __call__(self, *inputs: Tensor) -> dict[str, Tensor]:
        if self.mode == "eager":
            return self.step(*inputs)
        self._load(inputs)
        assert self._inputs is not None
        if self.mode == "static":
            if self._checked < 2:
                return self._checked_call()
            return self._static_call()
        if self._graph is None:
            if self.eager_steps < self.warmup:
                self.eager_steps += 1
                return self._warm_up()
            try:
                self._capture()
            except Exception as error:  # any failure: train on, eagerly
                warnings.warn(
                    f"CUDA graph capture of the training step failed ({error}); the steps run "
                    "eagerly from here (same results, slower). WORKBOOK_CUDA_GRAPHS=0 skips "
                    "the attempt.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                self.mode = "eager"
                self._lr.clear()
                return self.step(*self._inputs)
        self._feed_learning_rates()
        assert self._graph is not None and self._output is not None
        self._graph.replay()
        return self._unpack(self._output.clone())

    def release(self) -> None:
        """Free the recording once training is over: the graph, its buffers, and the
        parameters' gradients, which live in the graph's memory pool and would keep it
        allocated. Nothing happens when no graph was recorded (eager results keep their
        gradients, as before)."""
        if self._graph is None:
            return
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)
        self._graph, self._inputs, self._output = None, None, None
        self._lr.clear()

    def _static_call(self) -> dict[str, Tensor]:
        """The step on the fixed inputs, its metrics written into a fixed output (as a replay
        writes them) and copied out."""
        assert self._inputs is not None
        packed = self._pack(self.step(*self._inputs))
        if self._output is None:
            self._output = torch.empty_like(packed)
        self._output.copy_(packed)
        return self._unpack(self._output.clone())

    def _checked_call(self) -> dict[str, Tensor]:
        """A ``static`` call that raises :class:`CaptureError` where a recording would fail or
        replay something else: a host read, or (from the second call on) a tensor the step
        reads that was made outside it since the previous call. Buffers, parameters,
        optimizer state and data made before the first call keep their storage, so a replay
        reads their current values; a tensor made anew for each call does not."""
        assert self._inputs is not None
        watch = _WatchStep()

        def enter(*_: object) -> None:
            watch.in_optimizer = True

        def leave(*_: object) -> None:
            watch.in_optimizer = False

        hooks = [o.register_step_pre_hook(enter) for o in self.optimizers]
        hooks += [o.register_step_post_hook(leave) for o in self.optimizers]
        try:
            with watch:
                metrics = self._static_call()
        finally:
            for hook in hooks:
                hook.remove()
        if watch.host_reads:
            raise CaptureError(
                "the step reads device values on the host or copies host data to the device "
                f"({', '.join(watch.host_reads[:3])}): a CUDA graph cannot record that"
            )
        if self._checked and self._outside is not None:
            new = {ptr: what for ptr, what in watch.read.items() if ptr not in self._outside}
            if new:
                raise CaptureError(
                    "the step reads a tensor made outside it for this call ("
                    + "; ".join(list(new.values())[:3])
                    + "): pass it as an input, or make it inside the step"
                )
        self._outside = set(watch.read) | self._state_storages()
        self._checked += 1
        return metrics

    def _state_storages(self) -> set[int]:
        """The storages of the optimizers' state, the parameters' gradients and the fixed
        output: made inside a step (on its first call) and kept for the next."""
        tensors = [
            t
            for optimizer in self.optimizers
            for group in optimizer.param_groups
            for p in group["params"]
            for t in (p.grad, *optimizer.state.get(p, {}).values())
            if isinstance(t, Tensor) and t.numel() > 0
        ]
        tensors += [t for t in (self._output, *(self._inputs or ())) if t is not None]
        return {t.untyped_storage().data_ptr() for t in tensors}

    def _load(self, inputs: Sequence[Tensor]) -> None:
        """Copy ``inputs`` into the fixed buffers (made on the first call)."""
        if self._inputs is None:
            self._inputs = [x.detach().clone() for x in inputs]
            return
        shapes = [(tuple(x.shape), x.dtype) for x in inputs]
        if shapes != [(tuple(s.shape), s.dtype) for s in self._inputs]:
            raise ValueError(
                "StepGraph needs inputs of the same shapes and types at every step: got "
                f"{shapes}, first {[(tuple(s.shape), s.dtype) for s in self._inputs]}"
            )
        for buffer, x in zip(self._inputs, inputs, strict=True):
            buffer.copy_(x)

    def _pack(self, metrics: dict[str, Tensor]) -> Tensor:
        """The metrics as one float32 vector (one copy per step instead of one per metric)."""
        self._keys = list(metrics)
        return torch.stack([v.detach().float().reshape(()) for v in metrics.values()])

    def _unpack(self, vector: Tensor) -> dict[str, Tensor]:
        return {key: vector[i] for i, key in enumerate(self._keys)}

    def _warm_up(self) -> dict[str, Tensor]:
        """One eager step on a side stream, as PyTorch's capture recipe does before recording."""
        assert self._inputs is not None
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            metrics = self._unpack(self._pack(self.step(*self._inputs)).clone())
        torch.cuda.current_stream().wait_stream(side)
        return metrics

    def _capture(self) -> None:
        """Record one step (nothing runs: the replay that follows does the step)."""
        assert self._inputs is not None
        graph = torch.cuda.CUDAGraph()
        with self._capturable(), torch.cuda.graph(graph):
            self._output = self._pack(self.step(*self._inputs))
        self._graph = graph

    @contextmanager
    def _capturable(self) -> Iterator[None]:
        """Each parameter group's learning rate as a device tensor and ``capturable`` on, for
        the recording only: outside it the groups keep their floats (checkpoints stay those of
        the eager path, and load on a CPU)."""
        saved = []
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                value = float(group["lr"])
                device = group["params"][0].device
                tensor = torch.full((), value, dtype=torch.float32, device=device)
                self._lr.append((group, tensor, value))
                saved.append((group, group["lr"], group.get("capturable")))
                group["lr"] = tensor
                if "capturable" in group:
                    group["capturable"] = True
        try:
            yield
        finally:
            for group, lr, capturable in saved:
                group["lr"] = lr
                if capturable is not None:
                    group["capturable"] = capturable

    def _feed_learning_rates(self) -> None:
        """Write each group's current learning rate into the graph's tensor, when it changed
        (a kernel launch, no host synchronisation)."""
        for i, (group, tensor, value) in enumerate(self._lr):
            current = float(group["lr"])
            if current != value:
                tensor.fill_(current)
                self._lr[i] = (group, tensor, current)
