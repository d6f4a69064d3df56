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

- ``eager``: calls the function. The default on every device: CUDA graphs are opt-in
  (``WORKBOOK_CUDA_GRAPHS=1``) until a GPU run has verified them trainer by trainer
  (:data:`VERIFIED_ON_GPU`); also CPU, MPS and fp16 with a gradient scaler.
- ``cuda``: copies the inputs into fixed buffers, runs a few eager warm-up steps on a side
  stream (they create the optimizer's state and pick the kernels), records the next step in a
  CUDA graph and from then on replays it. Learning rates set between steps (by a scheduler, as
  floats) reach the graph through one device tensor per parameter group. A capture that
  fails is released; training goes on eagerly only after a check that the device's random
  numbers and the current stream are sane, and otherwise stops with :class:`GraphCaptureError`
  (the last checkpoint is kept).
- ``static``: the same buffers and outputs as ``cuda`` without recording (any device), and a
  check of the capture contract on its first calls (:mod:`helpers.train.capture_check`): no host
  reads, no tensor made outside the step for this call, and the same operations with the same
  non-tensor arguments at every step (a value that changes outside a tensor would be frozen
  at capture); with fused optimizers, their operations too, learning rates fed as tensors.
  The tests run every trainer in this mode on the CPU and compare its numbers with ``eager``.

A captured step must not read a tensor's value on the host, change shapes between steps, or
use a gradient scaler (its inf check is read on the host). Every trainer keeps to this.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor

from .capture_check import WatchStep, first_difference
from .graph_mode import (
    CaptureError,
    GraphCaptureError,
    GraphMode,
    Mode,
    device_problems,
    unfused_groups,
)

__all__ = [
    "StepGraph",
]


class StepGraph:
    """A training step that runs eagerly, on fixed buffers, or from a CUDA graph.

    Args:
        step: ``step(*inputs) -> {name: 0-d tensor}``; reads only its inputs, the models'
            parameters and buffers, and the optimizers' state (see the module docstring).
        optimizers: the optimizers ``step`` steps (their learning rates are fed to the graph).
        mode: a :class:`GraphMode` or its name.
        warmup: eager steps before the capture (``cuda`` only).
        check_calls: ``static`` calls checked against the capture contract (at least 2).

    Calling it with tensors of the same shapes each time returns the step's metrics: fresh
    tensors, safe to keep while later steps run. Its public surface is the call,
    :meth:`release`, ``mode`` (how it runs now: ``eager`` after a failed capture), ``captured``
    and ``replays`` (the steps replayed from a recording); the rest is internal.
    """

    def __init__(
        self,
        step: Callable[..., dict[str, Tensor]],
        *,
        optimizers: Sequence[torch.optim.Optimizer] = (),
        mode: GraphMode | Mode = "eager",
        warmup: int = 3,
        check_calls: int = 4,
    ) -> None:
        self._step = step
        self._optimizers = list(optimizers)
        self.mode: Mode = mode.mode if isinstance(mode, GraphMode) else GraphMode(mode).mode
        self._warmup = warmup
        self._check_calls = max(2, check_calls)
        self._eager_steps = 0  # steps run before the capture (``cuda``)
        self.replays = 0
        self._inputs: list[Tensor] | None = None
        self._keys: list[str] = []
        self._output: Tensor | None = None
        self._graph: torch.cuda.CUDAGraph | None = None
        self._lr: list[tuple[dict, Tensor, float]] = []
        self._checked = 0  # ``static`` calls checked so far
        self._outside: set[int] | None = None
        self._trace: list[tuple[str, tuple[object, ...]]] | None = None
        self._stream: object | None = None  # the current stream before a capture

    @property
    def captured(self) -> bool:
        """Whether the step now replays a CUDA graph."""
        return self._graph is not None

    def __call__(self, *inputs: Tensor) -> dict[str, Tensor]:
        if self.mode == "eager":
            return self._step(*inputs)
        self._load(inputs)
        assert self._inputs is not None
        if self.mode == "static":
            if self._checked < self._check_calls:
                return self._checked_call()
            return self._static_call()
        if self._graph is None:
            if self._eager_steps < self._warmup:
                self._eager_steps += 1
                return self._warm_up()
            try:
                self._capture()
            except Exception as error:
                return self._after_failed_capture(error)
        self._feed_learning_rates()
        assert self._graph is not None and self._output is not None
        self._graph.replay()
        self.replays += 1
        return self._unpack(self._output.clone())

    def release(self) -> None:
        """Free the recording once training is over: the graph, its buffers, and the
        parameters' gradients, which live in the graph's memory pool and would keep it
        allocated. Nothing happens when no graph was recorded (eager results keep their
        gradients, as before)."""
        if self._graph is None:
            return
        for optimizer in self._optimizers:
            optimizer.zero_grad(set_to_none=True)
        self._graph, self._inputs, self._output = None, None, None
        self._lr.clear()

    def _after_failed_capture(self, error: Exception) -> dict[str, Tensor]:
        """Release what the failed recording made; go on eagerly (this step included) when
        :func:`device_problems` finds nothing, else stop with :class:`GraphCaptureError`."""
        self._graph, self._output = None, None
        self._lr.clear()
        for optimizer in self._optimizers:  # gradients may live in the recording's memory
            optimizer.zero_grad(set_to_none=True)
        assert self._inputs is not None
        problems = device_problems(self._inputs[0].device, self._stream)
        if problems:
            raise GraphCaptureError(
                f"CUDA graph capture of the training step failed ({error}) and left the "
                f"process in a state that is not safe to train on ({'; '.join(problems)}). "
                "Training stopped; the last checkpoint is kept. Restart the runtime, set "
                "os.environ['WORKBOOK_CUDA_GRAPHS'] = '0' and run again: training resumes "
                "from the checkpoint with eager steps."
            ) from error
        warnings.warn(
            f"CUDA graph capture of the training step failed ({error}). The device checked "
            "sane afterwards (its random numbers and current stream), so the steps run "
            "eagerly from here. WORKBOOK_CUDA_GRAPHS=0 skips the attempt.",
            RuntimeWarning,
            stacklevel=3,
        )
        self.mode = "eager"
        return self._step(*self._inputs)

    def _emulates_recording(self) -> bool:
        """Whether ``static`` calls run as a recording would: learning rates as tensors and
        ``capturable`` on, which needs every parameter group fused."""
        return bool(self._optimizers) and not unfused_groups(self._optimizers)

    def _static_call(self) -> dict[str, Tensor]:
        """The step on the fixed inputs, its metrics written into a fixed output (as a replay
        writes them) and copied out."""
        assert self._inputs is not None
        if self._emulates_recording():
            with self._capturable():
                packed = self._pack(self._step(*self._inputs))
        else:
            packed = self._pack(self._step(*self._inputs))
        if self._output is None:
            self._output = torch.empty_like(packed)
        self._output.copy_(packed)
        return self._unpack(self._output.clone())

    def _checked_call(self) -> dict[str, Tensor]:
        """A ``static`` call that raises :class:`CaptureError` where a recording would fail or
        replay something else: a host read; from the second call on, a tensor the step reads
        that was made outside it since the previous call (buffers, parameters, optimizer state
        and data made before the first call keep their storage, so a replay reads their
        current values; a tensor made anew for each call does not); and from the third call
        on, operations or non-tensor arguments that differ from the previous call's (the first
        call also creates the optimizers' state, so it is not compared)."""
        assert self._inputs is not None
        watch = WatchStep()

        def enter(*_: object) -> None:
            watch.in_optimizer = True

        def leave(*_: object) -> None:
            watch.in_optimizer = False

        hooks = []
        if self._emulates_recording():
            self._feed_learning_rates()  # before each replay, outside the recording
        else:
            hooks = [o.register_step_pre_hook(enter) for o in self._optimizers]
            hooks += [o.register_step_post_hook(leave) for o in self._optimizers]
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
        if self._checked >= 2 and self._trace is not None:
            difference = first_difference(self._trace, watch.trace)
            if difference is not None:
                raise CaptureError(
                    f"the step changed between calls {self._checked} and {self._checked + 1} "
                    f"({difference}): a CUDA graph replays the call it recorded, so this value "
                    "would stay frozen. Pass it as a tensor (as the learning rates are) or "
                    "keep it constant"
                )
        self._trace = watch.trace
        self._outside = set(watch.read) | self._state_storages()
        self._checked += 1
        return metrics

    def _state_storages(self) -> set[int]:
        """The storages of the optimizers' state, the parameters' gradients, the fixed
        output and the learning-rate tensors: made inside a step or for it, and kept."""
        tensors = [
            t
            for optimizer in self._optimizers
            for group in optimizer.param_groups
            for p in group["params"]
            for t in (p.grad, *optimizer.state.get(p, {}).values())
            if isinstance(t, Tensor) and t.numel() > 0
        ]
        tensors += [t for t in (self._output, *(self._inputs or ())) if t is not None]
        tensors += [tensor for _, tensor, _ in self._lr]
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
        """One eager step, on a side stream on CUDA, as PyTorch's capture recipe does before
        recording."""
        assert self._inputs is not None
        if self._inputs[0].device.type != "cuda":
            return self._unpack(self._pack(self._step(*self._inputs)).clone())
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            metrics = self._unpack(self._pack(self._step(*self._inputs)).clone())
        torch.cuda.current_stream().wait_stream(side)
        return metrics

    def _capture(self) -> None:
        """Record one step (nothing runs: the replay that follows does the step)."""
        assert self._inputs is not None
        unfused = unfused_groups(self._optimizers)
        if unfused:
            raise CaptureError(f"not fused, so not capturable: {', '.join(unfused)}")
        if self._inputs[0].device.type == "cuda":
            self._stream = torch.cuda.current_stream(self._inputs[0].device)
        graph = self._new_graph()
        with self._capturable(), self._recording(graph):
            self._output = self._pack(self._step(*self._inputs))
        self._graph = graph

    def _new_graph(self) -> torch.cuda.CUDAGraph:
        return torch.cuda.CUDAGraph()

    def _recording(self, graph: torch.cuda.CUDAGraph) -> contextlib.AbstractContextManager:
        """The recording context (the tests put a failing one in its place on a CPU)."""
        return torch.cuda.graph(graph)

    @contextmanager
    def _capturable(self) -> Iterator[None]:
        """Each parameter group's learning rate as a device tensor and ``capturable`` on, for
        the recording (and ``static`` calls that emulate it) only: outside it the groups keep
        their floats (checkpoints stay those of the eager path, and load on a CPU)."""
        self._feed_learning_rates()
        saved = []
        for group, tensor, _ in self._lr:
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
        (a kernel launch, no host synchronisation); the tensors are made on the first call."""
        if not self._lr:
            for optimizer in self._optimizers:
                for group in optimizer.param_groups:
                    value = float(group["lr"])
                    device = group["params"][0].device
                    tensor = torch.full((), value, dtype=torch.float32, device=device)
                    self._lr.append((group, tensor, value))
            return
        for i, (group, tensor, value) in enumerate(self._lr):
            current = float(group["lr"])
            if current != value:
                tensor.fill_(current)
                self._lr[i] = (group, tensor, current)
