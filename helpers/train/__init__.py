"""The training machinery shared by every problem.

- :mod:`~helpers.train.loop`: :func:`train` (progress, history, evaluation, resuming), its
  results;
- :mod:`~helpers.train.checkpoints`: atomic checkpoints kept per setting;
- :mod:`~helpers.train.precision`: bf16, fp16 with a gradient scaler, or fp32, per device;
- :mod:`~helpers.train.graph_mode` (which mode) and :mod:`~helpers.train.graphs`
  (:class:`StepGraph`): training steps replayed from a CUDA graph, or eager;
  :mod:`~helpers.train.capture_check`: the capture contract's check;
- :mod:`~helpers.train.progress`: progress lines; :mod:`~helpers.train.fileio`: atomic writes.
"""

from __future__ import annotations

from .capture_check import (
    WatchStep,
    first_difference,
    host_syncs,
)
from .checkpoints import (
    CheckpointError,
    load_checkpoint,
    load_optimizer,
    load_state,
    settings_key,
)
from .fileio import (
    atomic_open,
    atomic_path,
    repo_root,
    save_npz,
    save_torch,
    write_json,
)
from .graph_mode import (
    VERIFIED_ON_GPU,
    CaptureError,
    GraphCaptureError,
    GraphMode,
    Mode,
    choose_graphs,
    device_problems,
    unfused_groups,
)
from .graphs import (
    StepGraph,
)
from .loop import (
    History,
    NonFiniteLossError,
    Snapshots,
    TrainResult,
    train,
)
from .precision import (
    PRECISIONS,
    Precision,
    choose_precision,
    full_precision,
    optimizer_options,
    scaler_state,
)
from .progress import (
    PROGRESS_LOG_ENV,
    ProgressLog,
    format_duration,
    summary_line,
)

__all__ = [
    "PRECISIONS",
    "PROGRESS_LOG_ENV",
    "VERIFIED_ON_GPU",
    "CaptureError",
    "CheckpointError",
    "GraphCaptureError",
    "GraphMode",
    "History",
    "Mode",
    "NonFiniteLossError",
    "Precision",
    "ProgressLog",
    "Snapshots",
    "StepGraph",
    "TrainResult",
    "WatchStep",
    "atomic_open",
    "atomic_path",
    "choose_graphs",
    "choose_precision",
    "device_problems",
    "first_difference",
    "format_duration",
    "full_precision",
    "host_syncs",
    "load_checkpoint",
    "load_optimizer",
    "load_state",
    "optimizer_options",
    "repo_root",
    "save_npz",
    "save_torch",
    "scaler_state",
    "settings_key",
    "summary_line",
    "train",
    "unfused_groups",
    "write_json",
]
