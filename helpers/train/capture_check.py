"""The contract of a step that a CUDA graph records, checked on any device.

A recording replays the operations of the call it recorded, with the non-tensor arguments of
that call, reading whatever its tensors hold at replay time. :class:`WatchStep` (a
``TorchDispatchMode``) watches one call of a step for what breaks that: reading a device value
on the host, making a tensor from host data, reading a tensor made outside the step for this
call, and (comparing two calls' traces with :func:`first_difference`) an operation or a
non-tensor argument that changes from step to step. :class:`helpers.train.StepGraph` uses it
in its ``static`` mode; :func:`host_syncs` lists the host waits of any function.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

__all__ = ["WatchStep", "first_difference", "host_syncs"]

# Operations that read a device value on the host, or whose output shape depends on values;
# and ``lift_fresh``: a tensor made from host data (``torch.tensor([...])``), which on a GPU is
# a copy from the host that waits for the device.
_HOST_READS = ("_local_scalar_dense", "nonzero", "masked_select", "unique", "item", "lift_fresh")


class WatchStep(TorchDispatchMode):
    """Records, for one call of a step, the operations that read on the host, the storages it
    reads that it did not make itself, and its trace: each operation with its non-tensor
    arguments (what a recording would freeze)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: set[int] = set()
        self.read: dict[int, str] = {}
        self.host_reads: list[str] = []
        self.trace: list[tuple[str, tuple[object, ...]]] = []
        self.in_optimizer = False  # the unfused (CPU) optimizers read their step count on the
        # host and take the learning rate as a float: their operations are not watched. Fused
        # optimizers, which a recording needs, are watched like the rest of the step.

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.__name__ if hasattr(func, "__name__") else str(func)
        leaves = tree_leaves((args, kwargs))
        if not self.in_optimizer:
            if any(name.startswith(op) for op in _HOST_READS):
                self.host_reads.append(str(func))
            if not str(func).startswith("profiler."):
                self.trace.append((str(func), tuple(_constant(leaf) for leaf in leaves)))
        for t in leaves:
            if isinstance(t, Tensor) and t.numel() > 0:
                ptr = t.untyped_storage().data_ptr()
                if ptr not in self.made:
                    self.read.setdefault(ptr, f"{func} reads a {tuple(t.shape)} tensor")
        out = func(*args, **kwargs)
        for t in tree_leaves(out):
            if isinstance(t, Tensor) and t.numel() > 0:
                self.made.add(t.untyped_storage().data_ptr())
        return out


def _constant(leaf: object) -> object:
    """What a recording keeps of an argument: a tensor's shape and type (its values are read at
    replay), anything else as it is."""
    if isinstance(leaf, Tensor):
        return ("tensor", tuple(leaf.shape), leaf.dtype)
    if isinstance(leaf, _PLAIN):
        return leaf
    return ("object", type(leaf).__name__)  # a profiler's record, a generator: not a value


_PLAIN = (bool, int, float, complex, str, type(None), torch.dtype, torch.device, torch.layout,
          torch.memory_format)  # fmt: skip


def first_difference(
    before: list[tuple[str, tuple[object, ...]]], now: list[tuple[str, tuple[object, ...]]]
) -> str | None:
    """How the trace ``now`` differs from ``before``, in words, or ``None``."""
    for i, ((op_a, args_a), (op_b, args_b)) in enumerate(zip(before, now, strict=False)):
        if op_a != op_b:
            return f"operation {i} was {op_a} and is now {op_b}"
        if args_a != args_b:
            changed = [(a, b) for a, b in zip(args_a, args_b, strict=False) if a != b]
            a, b = changed[0] if changed else (args_a, args_b)
            return f"{op_a} was given {a!r} and is now given {b!r}"
    if len(before) != len(now):
        return f"the step ran {len(before)} operations and now runs {len(now)}"
    return None


def host_syncs(fn: Callable[..., object], *args: object) -> list[str]:
    """The operations of ``fn(*args)`` that on a GPU would make the host wait for the device:
    reading a value (``.item()``, ``nonzero``, ...) or making a tensor from host data
    (``torch.tensor([...])``). Runs ``fn`` once, on any device (the tests use the CPU)."""
    watch = WatchStep()
    with watch:
        fn(*args)
    return watch.host_reads
