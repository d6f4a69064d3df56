"""The notebook context: profile, data source, device, seed, folders and headline metrics.

Every notebook's first code cell calls :func:`start`::

    wb = workbook.start("01_vae", profile=PROFILE, data=DATA, force_retrain=FORCE_RETRAIN)

and from then on reads budgets from ``wb.profile``, loads data with ``wb.load(...)``, saves
figures with ``wb.save_figure(...)`` and records headline numbers with ``wb.record(...)``, which
writes ``figures/<notebook>/metrics.json`` at once (with the profile, data source, device, seed
and seconds taken).

A record is merged, never replaced: a run adds or updates the entries it records and keeps
those of earlier runs of the same profile and data source (``benchmarks/quality_vae.py conv``
adds the ConvVAE beside the MLP models a notebook run recorded, and a notebook run keeps the
ConvVAE). ``metrics["provenance"]`` says, per entry, which run made it: the notebook or
script, device, torch, seed and UTC time.
"""

from __future__ import annotations

import json
import os
import platform
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..data import loaders as data_module
from ..profiles import Profile, get_profile, output_folder, resolve_data_source
from ..train.fileio import repo_root, write_json
from ..train.graph_mode import choose_graphs
from ..train.precision import choose_precision
from .plots import save_figure

__all__ = [
    "Workbook",
    "current",
    "drive_checkpoint_dir",
    "pick_device",
    "recorded_metrics",
    "seed_everything",
    "start",
]

_CURRENT: Workbook | None = None


def pick_device(preference: str | None = None) -> torch.device:
    """``preference`` or ``WORKBOOK_DEVICE`` if set, else cuda, then mps, then cpu."""
    name = preference or os.environ.get("WORKBOOK_DEVICE", "").strip()
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (seeds the legacy global generator that user code may use)
    torch.manual_seed(seed)


def _root() -> Path:
    return repo_root() or Path.cwd()


def figures_root(profile: Profile | str | None = None, data: str | None = None) -> Path:
    """``WORKBOOK_FIGURES_DIR``, else ``figures/<output folder>`` of the checkout (or working
    folder), one folder per profile and data source (:func:`helpers.profiles.output_folder`)."""
    env = os.environ.get("WORKBOOK_FIGURES_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    return (
        _root()
        / "figures"
        / output_folder(get_profile(profile) if profile is None else profile, data)
    )


def recorded_metrics(notebook: str, profile: str = "full", data: str = "real") -> dict | None:
    """The committed ``figures/<profile>/<notebook>/metrics.json`` of this checkout (whatever
    ``WORKBOOK_FIGURES_DIR`` says), if it exists and records that profile and data source;
    else None. Notebooks show it beside their own run's numbers."""
    root = repo_root()
    if root is None:
        return None
    path = root / "figures" / output_folder(get_profile(profile), data) / notebook / "metrics.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return record if (record.get("profile"), record.get("data")) == (profile, data) else None


def checkpoints_root() -> Path:
    """``WORKBOOK_CHECKPOINT_DIR``, else ``checkpoints/`` of the checkout (or working folder)."""
    env = os.environ.get("WORKBOOK_CHECKPOINT_DIR", "").strip()
    return Path(env).expanduser() if env else _root() / "checkpoints"


@dataclass
class Workbook:
    """What one notebook run is: see :func:`start`."""

    notebook: str
    profile: Profile
    data: str
    device: torch.device
    seed: int
    force_retrain: bool
    figures_dir: Path
    checkpoint_dir: Path
    started: float = field(default_factory=time.time)
    metrics: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # what made the record: default notebooks/<notebook>.ipynb
    recorded_at: dict[str, str] = field(default_factory=dict)  # entry -> UTC time recorded

    def __str__(self) -> str:
        gpu = f" ({torch.cuda.get_device_name(self.device)})" if self.device.type == "cuda" else ""
        precision = choose_precision(self.device)
        steps = choose_graphs(self.device, precision)
        return (
            f"notebook {self.notebook} | profile {self.profile.name} ({self.profile.description}) "
            f"| data {self.data} | device {self.device}{gpu} | seed {self.seed}\n"
            f"training: {precision.name} ({precision.reason}); "
            f"steps {steps.mode} ({steps.reason})\n"
            f"figures -> {self.figures_dir}\ncheckpoints -> {self.checkpoint_dir}"
        )

    def load(self, name: str, split: str, **kwargs: Any) -> tuple[Tensor, Tensor | None]:
        """:func:`helpers.data.load` with this run's data source, profile and seed."""
        kwargs.setdefault("source", self.data)
        kwargs.setdefault("profile", self.profile)
        kwargs.setdefault("seed", self.seed)
        return data_module.load(name, split, **kwargs)

    def load_available(self, name: str, split: str) -> tuple[Tensor, Tensor | None, str]:
        """Like :meth:`load`, but fall back to the stand-in when real files are missing.

        Returns ``(images, labels, source)`` with the source actually used.
        """
        if self.data == "real":
            try:
                return (*self.load(name, split), "real")
            except data_module.DatasetNotAvailableError as err:
                print(f"{name}: real data not available, showing the stand-in instead.")
                print("  " + str(err).splitlines()[0])
        return (*self.load(name, split, source="synthetic"), "synthetic")

    def save_figure(self, fig: Any, name: str) -> None:
        """Save ``fig`` as ``<figures_dir>/<name>.png`` (200 dpi) and ``.pdf``.

        Returns nothing, so that a cell ending with it prints nothing."""
        save_figure(fig, name, directory=self.figures_dir)

    def record(self, key: str, value: Any) -> None:
        """Set ``metrics[key] = value`` and rewrite ``metrics.json`` at once (atomically)."""
        self.metrics[key] = value
        self.recorded_at[key] = _utc_now()
        self.write_metrics()

    def finding(self, key: str, text: str) -> None:
        """Display ``text`` (a finding's Markdown, from a problem's ``findings``) and record it
        as ``metrics["findings"][key]`` in ``metrics.json`` at once, where
        :mod:`helpers.tools.report` puts it under its question. A later finding with the same key
        replaces it (a summary cell restates a finding with all the runs it has by then).

        Returns nothing, so that a cell ending with it prints nothing."""
        self.metrics.setdefault("findings", {})[key] = text
        self.recorded_at["findings"] = _utc_now()
        self.write_metrics()
        try:
            from IPython.display import Markdown, display
        except ImportError:  # plain Python: print the Markdown as it is
            print(text)
        else:
            display(Markdown(text))

    def write_metrics(self) -> Path:
        """Write ``<figures_dir>/metrics.json``: the headline numbers and how they were made,
        merged into the record already there (see the module docstring)."""
        path = self.figures_dir / "metrics.json"
        meta = self._meta()
        kept, provenance = earlier_entries(path, meta["profile"], meta["data"], self.metrics)
        mine = {key: self._provenance(meta, key) for key in self.metrics}
        write_json(path, {**kept, **self.metrics, "provenance": {**provenance, **mine}, **meta})
        return path

    def _meta(self) -> dict[str, Any]:
        return {
            "profile": self.profile.name,
            "data": self.data,
            "device": str(self.device),
            "device_name": torch.cuda.get_device_name(self.device)
            if self.device.type == "cuda"
            else platform.processor() or platform.machine(),
            "seed": self.seed,
            "seconds": round(time.time() - self.started, 1),
            "torch": torch.__version__,
            **(
                {"peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2)}
                if self.device.type == "cuda"
                else {}
            ),
        }

    def _provenance(self, meta: dict[str, Any], key: str) -> dict[str, Any]:
        return {
            "by": self.source or f"notebooks/{self.notebook}.ipynb",
            **{k: meta[k] for k in ("device", "device_name", "torch", "seed")},
            "recorded": self.recorded_at.get(key) or _utc_now(),
        }


# The keys of metrics.json that describe the run that wrote it last, not an entry.
RUN_KEYS = frozenset({"profile", "data", "device", "device_name", "seed", "seconds", "torch",
                      "peak_gpu_memory_gb", "provenance"})  # fmt: skip


def earlier_entries(
    path: Path, profile: str, data: str, replaced: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entries of the record at ``path`` that a run of ``profile`` and ``data`` recording
    ``replaced`` keeps, and their provenance. A record of another profile or data source, or
    one that cannot be read, is not merged into (nothing is kept). An entry written before
    records carried provenance gets that record's run settings as its provenance."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}, {}
    if not isinstance(old, dict) or (old.get("profile"), old.get("data")) != (profile, data):
        return {}, {}
    kept = {k: v for k, v in old.items() if k not in RUN_KEYS and k not in replaced}
    recorded = old.get("provenance") if isinstance(old.get("provenance"), dict) else {}
    legacy = {
        "by": "an earlier run (before records kept provenance)",
        **{k: old[k] for k in ("device", "device_name", "torch", "seed") if k in old},
    }
    return kept, {k: recorded.get(k, legacy) for k in kept}


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def start(
    notebook: str,
    *,
    profile: str | None = None,
    data: str | None = None,
    seed: int = 0,
    device: str | None = None,
    force_retrain: bool = False,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> Workbook:
    """Set up a notebook run and make it the current one.

    Args:
        notebook: the notebook's stem, e.g. ``"01_vae"``; names its figures and checkpoints.
        profile: ``smoke``, ``demo`` or ``full``; default ``WORKBOOK_PROFILE`` (see
            :func:`helpers.profiles.default_profile_name`).
        data: ``synthetic`` or ``real``; default ``WORKBOOK_DATA``, else the profile's.
        seed: seeds every generator (:func:`seed_everything`).
        device: force a device; default :func:`pick_device`.
        force_retrain: train again even where a finished checkpoint exists.
        checkpoint_dir: where checkpoints go (e.g. a Google Drive folder in Colab); default
            ``WORKBOOK_CHECKPOINT_DIR`` or ``checkpoints/``. A subfolder per notebook, profile
            and data source keeps runs apart.
    """
    global _CURRENT
    prof = get_profile(profile)
    source = resolve_data_source(data, prof)
    seed_everything(seed)
    ckpt_root = Path(checkpoint_dir).expanduser() if checkpoint_dir else checkpoints_root()
    _CURRENT = Workbook(
        notebook=notebook,
        profile=prof,
        data=source,
        device=pick_device(device),
        seed=seed,
        force_retrain=force_retrain,
        figures_dir=figures_root(prof, source) / notebook,
        checkpoint_dir=ckpt_root / notebook / f"{prof.name}-{source}-seed{seed}",
    )
    _CURRENT.figures_dir.mkdir(parents=True, exist_ok=True)
    return _CURRENT


def drive_checkpoint_dir(folder: str = "workbook-checkpoints") -> Path:
    """Mount Google Drive (in Colab) and return ``MyDrive/<folder>`` for checkpoints."""
    try:
        from google.colab import drive  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError(
            "Google Drive checkpoints work in Colab only; set USE_DRIVE = False elsewhere"
        ) from None
    drive.mount("/content/drive")
    return Path("/content/drive/MyDrive") / folder


def current() -> Workbook | None:
    """The workbook set up by the last :func:`start`, or ``None``."""
    return _CURRENT
