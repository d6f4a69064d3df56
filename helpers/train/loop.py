"""Training plumbing shared by every problem: progress, history, checkpoints, resuming.

:func:`train` runs ``step_fn(step)`` for ``step = start .. total_steps - 1`` and does the rest:

- a ``tqdm.auto`` progress bar with the running metrics, and a last line that says what ran
  (``train_vae: 936/936 steps, 2 min 31 s``), which a saved notebook keeps;
- a :class:`History` of the mean of each metric every ``log_every`` steps and of the
  evaluation metrics every ``eval_every`` steps (saved as JSON beside the checkpoint);
- a checkpoint every ``checkpoint_every`` steps and at the end, written atomically and holding
  only ``state_dict``s, tensors and plain Python values, so that
  ``torch.load(path, weights_only=True)`` reads it: the state of every model, optimizer and
  scheduler, the RNG states, the step, the seconds taken and the history;
- re-running resumes an interrupted run where its last checkpoint left it, and loads a finished
  one instead of training again (``force=True`` trains again). No checkpoint is ever lost: one
  made with other settings, or one that cannot be read, is moved aside with a message. A
  resumed run ends with the same numbers as an uninterrupted one: batches depend only on the
  step (see :class:`helpers.data.DeviceBatches`) and the RNG states are restored;
- a loss that is NaN or infinite stops training with :class:`NonFiniteLossError`, which names
  the step; the last good checkpoint is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .checkpoints import _checkpoint_for, _plain, load_state
from .fileio import save_torch, write_json
from .progress import ProgressLog, summary_line

__all__ = [
    "History",
    "NonFiniteLossError",
    "Snapshots",
    "TrainResult",
    "train",
]

Number = float | int
StepFn = Callable[[int], Mapping[str, Tensor | Number]]
EvalFn = Callable[[int], Mapping[str, Number]]


class NonFiniteLossError(RuntimeError):
    """A training metric became NaN or infinite."""


@dataclass
class History:
    """Metrics over training: a list of records ``{"step": s, "epoch": e, name: value, ...}``."""

    records: list[dict[str, Number]] = field(default_factory=list)

    def add(self, step: int, values: Mapping[str, Number], epoch: float | None = None) -> None:
        record: dict[str, Number] = {"step": step}
        if epoch is not None:
            record["epoch"] = epoch
        record.update({k: float(v) for k, v in values.items()})
        self.records.append(record)

    def series(self, key: str, x: str = "step") -> tuple[list[Number], list[Number]]:
        """``(xs, values)`` of the records that hold ``key``."""
        rows = [r for r in self.records if key in r]
        return [r.get(x, r["step"]) for r in rows], [r[key] for r in rows]

    def last(self, key: str, default: Number | None = None) -> Number | None:
        """The latest value of ``key``."""
        for record in reversed(self.records):
            if key in record:
                return record[key]
        return default

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for record in self.records:
            seen.update(dict.fromkeys(record))
        return [k for k in seen if k not in ("step", "epoch")]


class Snapshots:
    """Tensors kept at chosen steps (samples over training, say), saved in the checkpoint.

    Pass it in ``state`` to :func:`train` so that a resumed or loaded run still has the
    snapshots taken before the interruption.
    """

    def __init__(self) -> None:
        self.items: dict[int, Tensor] = {}

    def add(self, step: int, tensor: Tensor) -> None:
        self.items[int(step)] = tensor.detach().cpu()

    @torch.no_grad()
    def capture(
        self,
        step: int,
        module: nn.Module,
        render: Callable[[], Tensor],
        value_range: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        """Keep ``render()`` (images in ``value_range``) as uint8, with ``module`` in eval mode."""
        was_training = module.training
        module.eval()
        try:
            low, high = value_range
            images = (render() - low) / (high - low) * 255
            self.add(step, images.round().clamp(0, 255).to(torch.uint8))
        finally:
            module.train(was_training)

    def state_dict(self) -> dict[str, Any]:
        return {"items": dict(self.items)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.items = {int(k): v for k, v in state["items"].items()}

    def spread(self, n: int) -> list[tuple[int, Tensor]]:
        """Up to ``n`` distinct snapshots, evenly spaced over the steps taken, first and last
        included."""
        steps = sorted(self.items)
        if not steps:
            raise LookupError("no snapshots were taken")
        if len(steps) <= n:
            return [(s, self.items[s]) for s in steps]
        picks = sorted({round(i * (len(steps) - 1) / (n - 1)) for i in range(n)})
        return [(steps[i], self.items[steps[i]]) for i in picks]

    def at_fraction(self, fraction: float) -> tuple[int, Tensor]:
        """The snapshot nearest to ``fraction`` (0 = first, 1 = last) of the steps taken."""
        steps = sorted(self.items)
        if not steps:
            raise LookupError("no snapshots were taken")
        target = steps[0] + fraction * (steps[-1] - steps[0])
        step = min(steps, key=lambda s: abs(s - target))
        return step, self.items[step]


@dataclass
class TrainResult:
    """What :func:`train` did: the history, steps and seconds (across resumes)."""

    history: History
    steps: int
    seconds: float
    resumed_from: int = 0
    loaded: bool = False
    replays: int = 0  # steps replayed from a CUDA graph (set by the trainers)


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore the random generators of the devices present (a CUDA checkpoint's GPU states
    are skipped on a CPU; a CPU checkpoint leaves the GPU's generator as seeded)."""
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        for i, cuda_state in enumerate(state["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(cuda_state, i)


def _stack(items: list[Tensor | Number]) -> Tensor:
    """One float64 CPU tensor of logged values (one device sync for tensors, not one each)."""
    if items and all(isinstance(v, Tensor) for v in items):
        return torch.stack([v.float().reshape(()) for v in items]).double().cpu()  # type: ignore[union-attr]
    return torch.tensor([float(v) for v in items], dtype=torch.float64)


def _find_non_finite(values: dict[str, Tensor], first_step: int) -> str | None:
    for key, stacked in values.items():
        bad = (~torch.isfinite(stacked)).nonzero()
        if bad.numel():
            i = int(bad[0])
            return f"{key} = {float(stacked[i])} at step {first_step + i}"
    return None


def train(
    name: str,
    step_fn: StepFn,
    total_steps: int,
    state: Mapping[str, Any],
    *,
    checkpoint_dir: str | Path | None,
    steps_per_epoch: int | None = None,
    eval_fn: EvalFn | None = None,
    eval_every: int | None = None,
    log_every: int | None = None,
    checkpoint_every: int | None = None,
    force: bool = False,
    config: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> TrainResult:
    """Run or resume a training loop; see the module's docstring.

    Args:
        name: the run's name; the checkpoint is ``<checkpoint_dir>/<name>.pt``.
        step_fn: does one optimisation step given the global step number and returns its
            metrics (tensors are fine: they are read only at logging time, without a GPU
            sync per step). Every metric is checked for NaN and infinity.
        total_steps: the number of steps of the whole run.
        state: the objects to checkpoint by name: models, optimizers, schedulers, anything
            with ``state_dict``/``load_state_dict``. Modules are put in train mode before steps.
        checkpoint_dir: the folder for the checkpoint; ``None`` keeps none.
        steps_per_epoch: records then carry the epoch, and the defaults below are per epoch.
        eval_fn: called with the step every ``eval_every`` steps and at the end; its metrics go
            into the history.
        eval_every, log_every, checkpoint_every: in steps; default one epoch (or 50 steps for
            logging, ``total_steps`` for evaluation without epochs), checkpoints at each
            evaluation.
        force: train from scratch, replacing the checkpoint of these settings (one of other
            settings is still moved aside, not replaced).
        config: the settings that make this run what it is (sizes, learning rate, ...). A
            checkpoint made with other settings is not resumed: it is moved aside to
            ``<name>.<settings_key>.pt``, and comes back when those settings do. An unreadable
            checkpoint is moved aside too, and the run trains from scratch.
        progress: show a progress bar.
    """
    if total_steps < 1:
        raise ValueError(f"total_steps must be at least 1, got {total_steps}")
    log_every = log_every or steps_per_epoch or min(50, total_steps)
    eval_every = eval_every or steps_per_epoch or total_steps
    checkpoint_every = checkpoint_every or eval_every
    plain_config = {**_plain(config), "total_steps": total_steps}
    path = Path(checkpoint_dir) / f"{name}.pt" if checkpoint_dir is not None else None

    history = History()
    start, seconds_before = 0, 0.0
    ckpt = _checkpoint_for(path, name, plain_config) if path is not None else None
    if force:  # train anew, replacing only a checkpoint of these very settings
        ckpt = None
    if ckpt is not None:
        load_state(name, state, ckpt["state"])
        _set_rng_state(ckpt["rng"])
        history = History([dict(r) for r in ckpt["history"]])
        start, seconds_before = int(ckpt["step"]), float(ckpt["seconds"])
        if start >= total_steps:
            print(
                f"{name}: loaded the finished run from {path} ({start} steps, trained in "
                f"{seconds_before:.0f} s). Set FORCE_RETRAIN = True to train again."
            )
            return TrainResult(history, start, seconds_before, start, loaded=True)
        print(f"{name}: resuming from step {start} of {total_steps} ({path}).")

    def epoch_of(step: int) -> float | None:
        return round(step / steps_per_epoch, 4) if steps_per_epoch else None

    def save(step: int, seconds: float) -> None:
        if path is None:
            return
        save_torch(
            path,
            {
                "format": 1,
                "name": name,
                "step": step,
                "finished": step >= total_steps,
                "seconds": seconds,
                "config": plain_config,
                "history": history.records,
                "state": {key: obj.state_dict() for key, obj in state.items()},
                "rng": _rng_state(),
            },
        )
        write_json(path.with_suffix(".history.json"), history.records)

    modules = [obj for obj in state.values() if isinstance(obj, nn.Module)]
    pending: dict[str, list[Tensor | Number]] = {}
    pending_from = start
    postfix: dict[str, str] = {}
    began = time.time()
    bar = tqdm(total=total_steps, initial=start, desc=name, unit="step", disable=not progress)
    log_line = ProgressLog(name, total_steps)
    try:
        for module in modules:
            module.train()
        for step in range(start, total_steps):
            metrics = step_fn(step)
            for key, value in metrics.items():
                pending.setdefault(key, []).append(
                    value.detach() if isinstance(value, Tensor) else value
                )
            done = step + 1
            bar.update(1)
            at_log = done % log_every == 0 or done == total_steps
            at_eval = done % eval_every == 0 or done == total_steps
            at_ckpt = done % checkpoint_every == 0 or done == total_steps
            if at_log or at_ckpt:
                stacked = {k: _stack(vs) for k, vs in pending.items()}
                problem = _find_non_finite(stacked, pending_from)
                if problem is not None:
                    kept = (
                        f"the last good checkpoint is kept in {path}" if path else "no checkpoint"
                    )
                    raise NonFiniteLossError(
                        f"{name}: training stopped: {problem}; {kept}. Lower the learning rate or "
                        "check the inputs, then run again (FORCE_RETRAIN = True starts afresh)."
                    )
            if at_log and pending:
                means = {k: float(v.mean()) for k, v in stacked.items()}
                history.add(done, means, epoch_of(done))
                postfix.update({k: f"{v:.4g}" for k, v in means.items()})
                pending, pending_from = {}, done
            if at_eval and eval_fn is not None:
                with torch.no_grad():
                    evaluated = dict(eval_fn(done))
                for module in modules:
                    module.train()
                history.add(done, evaluated, epoch_of(done))
                postfix.update({k: f"{v:.4g}" for k, v in evaluated.items()})
            if at_log or at_eval:
                bar.set_postfix(postfix, refresh=False)
            log_line(done, start, postfix, force=at_eval)
            if at_ckpt:
                save(done, seconds_before + time.time() - began)
    finally:
        bar.close()
    seconds = seconds_before + time.time() - began
    if progress:  # a saved notebook keeps this line, whatever became of the bar's widget
        print(summary_line(name, total_steps, total_steps, seconds, resumed_from=start))
    return TrainResult(history, total_steps, seconds, resumed_from=start)
