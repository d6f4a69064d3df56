"""Checkpoints of :func:`helpers.train.train`: read, kept per setting, restored.

A checkpoint holds a run's config; :func:`settings_key` hashes it, and a checkpoint of other
settings is set aside as ``<name>.<settings_key>.pt``, never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "CheckpointError",
    "load_checkpoint",
    "load_optimizer",
    "load_state",
    "settings_key",
]


def _plain(config: Mapping[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(dict(config or {}), sort_keys=True, default=str))


class CheckpointError(RuntimeError):
    """A checkpoint file exists but cannot be read (truncated, half-synced, not a checkpoint)."""


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`train` (``weights_only=True``: no pickled code).

    Raises:
        CheckpointError: naming the file, when it cannot be read.
    """
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # torch raises OSError, RuntimeError, EOFError, pickle errors...
        raise CheckpointError(
            f"cannot read the checkpoint {path} ({type(err).__name__}: {err}). It is probably "
            "truncated: a copy or a Google Drive sync that did not finish. Wait for the sync and "
            "run again, or move the file away to train from scratch."
        ) from err


def settings_key(config: Mapping[str, Any]) -> str:
    """A short, stable hash of a run's settings: the suffix of its set-aside checkpoint."""
    text = json.dumps(_plain(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    keys = sorted(set(old) | set(new))
    changed = [
        f"{k} {old.get(k, '-')} -> {new.get(k, '-')}" for k in keys if old.get(k) != new.get(k)
    ]
    return ", ".join(changed[:6]) + (", ..." if len(changed) > 6 else "")


def _move_checkpoint(src: Path, dst: Path) -> None:
    """Move a checkpoint and its history file (``.history.json``) together."""
    os.replace(src, dst)
    history = src.with_suffix(".history.json")
    if history.exists():
        os.replace(history, dst.with_suffix(".history.json"))


def _checkpoint_for(path: Path, name: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint of these settings at ``path``, or ``None`` to train from scratch.

    Nothing is ever overwritten: a checkpoint of other settings is moved to
    ``<name>.<settings_key>.pt`` (and moved back when those settings return); an unreadable one
    to ``<name>.unreadable-<time>.pt``. Each move is printed.
    """
    key = settings_key(config)
    if path.exists():
        try:
            ckpt = load_checkpoint(path)
        except CheckpointError as err:
            aside = path.with_name(f"{name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}.pt")
            _move_checkpoint(path, aside)
            print(f"{name}: {err}\n  Moved it to {aside}; training from scratch.")
            ckpt = None
        if ckpt is not None:
            if ckpt.get("config") == config:
                return ckpt
            old = ckpt.get("config") or {}
            aside = path.with_name(f"{name}.{settings_key(old)}.pt")
            _move_checkpoint(path, aside)
            print(
                f"{name}: the checkpoint {path} was made with other settings "
                f"({_differences(old, config)}); kept it as {aside}. Those settings load it again."
            )
    earlier = path.with_name(f"{name}.{key}.pt")
    if earlier.exists():
        _move_checkpoint(earlier, path)
        print(f"{name}: found the checkpoint of these settings in {earlier}; using it.")
        return _checkpoint_for(path, name, config)
    return None


# An optimizer's implementation, chosen by its constructor for this runtime: never taken from
# a checkpoint written on another (a CPU's unfused Adam resumed on a GPU stays fused).
_OPTIMIZER_FLAGS = ("fused", "foreach", "capturable", "differentiable")


def load_optimizer(optimizer: torch.optim.Optimizer, saved: Mapping[str, Any]) -> None:
    """``optimizer.load_state_dict(saved)`` keeping the constructor's implementation flags
    (``fused``, ``foreach``, ``capturable``): ``Optimizer.load_state_dict`` would take them
    from the file. The state (moments, step counts) moves to the parameters' device, with the
    step counts where this implementation keeps them (on the device when fused)."""
    groups = []
    for i, saved_group in enumerate(saved["param_groups"]):
        if i >= len(optimizer.param_groups):  # a mismatch: load_state_dict says so
            groups.append(saved_group)
            continue
        group = optimizer.param_groups[i]
        kept = {k: v for k, v in saved_group.items() if k not in _OPTIMIZER_FLAGS}
        groups.append({**kept, **{k: group[k] for k in _OPTIMIZER_FLAGS if k in group}})
    optimizer.load_state_dict({**saved, "param_groups": groups})


def load_state(name: str, state: Mapping[str, Any], saved: Mapping[str, Any]) -> None:
    """Load each object of ``state`` from a checkpoint's ``saved`` states, whatever runtime
    wrote it: optimizers keep their own implementation (:func:`load_optimizer`); a gradient
    scaler with no saved state (the checkpoint was written in bf16 or fp32) starts afresh,
    with a line saying so; saved states that this run has no object for (a scaler, when this
    run is not fp16) are ignored.

    Raises:
        CheckpointError: when another object's state is missing.
    """
    for key, obj in state.items():
        if key not in saved:
            if isinstance(obj, torch.amp.GradScaler):
                print(
                    f"{name}: the checkpoint has no gradient-scaler state (it was written in "
                    "bf16 or fp32); fp16 goes on with a fresh scaler."
                )
                continue
            raise CheckpointError(f"{name}: the checkpoint has no state for {key!r}")
        if isinstance(obj, torch.optim.Optimizer):
            load_optimizer(obj, saved[key])
        else:
            obj.load_state_dict(saved[key])
