"""The lease check's record: noise-aware verdicts, projected notebook times, and the two files
(``gpu_lease.json``, ``gpu_lease.md``), written atomically after every run (``gpu_lease.py``).

Verdicts. The eager bf16 curve is measured from two seeds; the largest gap between those two
curves (each the mean of the loss over ten equal stretches of the steps both ran) is the noise
band. ``graphs bf16`` and ``fp16 + scaler`` start from the first seed and are judged by their
largest gap to its curve over the same stretches: ``identical`` (no gap), ``within noise`` (at
most the band), ``near noise`` (at most three times the band: a short run in which the
arithmetic matters more than the seed, as fp16 against bf16 can be), ``DIFFERS`` (more, or a
value that is not finite). Only ``identical`` and ``within noise`` verify a CUDA graph. A run
cut short is compared over the steps all three curves have.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tempfile
from pathlib import Path

from helpers.profiles import get_profile

_UMASK = os.umask(0)
os.umask(_UMASK)
BAND_RUNS = ("eager bf16", "eager bf16, seed 1")
JUDGED = ("graphs bf16", "fp16 + scaler")
PROJECTED = ("eager bf16", "graphs bf16", "fp16 + scaler")
BUDGET_MINUTES = 25  # all four training notebooks on one H100, the workbook's target
STRETCHES = 10
NEAR = 3  # "near noise": at most this many times the band
VERDICTS = ("identical", "within noise", "near noise", "DIFFERS")


def stretches(values: list[float], n: int) -> list[float]:
    """The mean of ``values[:n]`` over ``STRETCHES`` equal stretches (fewer if ``n`` is
    smaller)."""
    parts = min(STRETCHES, n)
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    return [sum(values[a:b]) / (b - a) for a, b in itertools.pairwise(bounds) if b > a]


def compare(eager: list[float], other_seed: list[float], judged: list[float]) -> dict:
    """``judged`` against ``eager``, with the gap between ``eager`` and ``other_seed`` as the
    noise band (see the module docstring)."""
    n = min(len(eager), len(other_seed), len(judged))
    if n < 2:
        return {"verdict": "not compared", "why": f"{n} step(s) in common"}
    e, s, j = (stretches(v, n) for v in (eager, other_seed, judged))
    if not all(math.isfinite(v) for v in e + s):
        return {"verdict": "not compared", "why": "the eager curves are not finite"}
    band = max(abs(a - b) for a, b in zip(e, s, strict=True))
    finite = all(math.isfinite(v) for v in j)
    gap = max(abs(a - b) for a, b in zip(e, j, strict=True)) if finite else math.inf
    floor = 1e-6 * max(abs(v) for v in e)  # rounding of the recorded values
    if gap == 0:
        verdict = "identical"
    elif gap <= band + floor:
        verdict = "within noise"
    elif gap <= NEAR * band + floor:
        verdict = "near noise"
    else:
        verdict = "DIFFERS"
    return {
        "verdict": verdict, "gap": round(gap, 6) if finite else "not finite",
        "band": round(band, 6), "ratio": round(gap / band, 3) if band and finite else None,
        "steps_compared": n, "stretches": len(e),
    }  # fmt: skip


def verdicts(runs: dict[str, dict]) -> dict[str, dict]:
    """The verdict of each judged run of one case."""
    if not all(runs.get(m, {}).get("losses") for m in BAND_RUNS):
        return {
            m: {"verdict": "not compared", "why": "no noise band: an eager run has no curve"}
            for m in JUDGED if m in runs
        }  # fmt: skip
    eager, other = (runs[m]["losses"] for m in BAND_RUNS)
    return {
        m: compare(eager, other, runs[m]["losses"])
        for m in JUDGED if runs.get(m, {}).get("losses")
    }  # fmt: skip


def graphs_verified(results: dict[str, dict[str, dict]], agreement: dict) -> list[str]:
    """The cases whose steps were replayed from a CUDA graph (a real recording, not the CPU's
    ``static`` stand-in) and whose curve stayed within the noise band, all runs complete."""
    out = []
    for case, runs in results.items():
        graphs = runs.get("graphs bf16", {})
        complete = all(runs.get(m, {}).get("status") == "ok" for m in (*BAND_RUNS, "graphs bf16"))
        within = agreement.get(case, {}).get("graphs bf16", {}).get("verdict") in (
            "identical", "within noise"
        )  # fmt: skip
        if graphs.get("graphs") == "cuda" and graphs.get("replays", 0) > 0 and complete and within:
            out.append(case)
    return out


def full_profile_steps() -> dict[str, dict[str, int]]:
    """Training steps of each notebook in the full profile, by the case whose step time
    stands for them (04's MLP VAEs by the course MLP's, which has a similar size)."""
    full = get_profile("full")
    vae_epoch = 50_000 // full.vae.batch_size  # binarized MNIST's 50000 training images
    simsiam_epoch = 50_000 // full.simsiam.batch_size
    ae_epoch = (60_000 - full.ae.valid_images) // full.ae.batch_size
    ae_runs = 3 + len(full.ae.sweep_betas)  # AE, beta 0 and 10, the sweep (tuned: reused)
    return {
        "01_vae": {"course MLP VAE": 4 * full.vae.epochs * vae_epoch,
                   "ConvVAE": full.vae.epochs * vae_epoch},
        "02_gans": {"WGAN-LP": full.gan.iterations, "vanilla GAN": full.gan.vanilla_iterations},
        "03_simsiam": {"SimSiam ResNet": 5 * full.simsiam.epochs * simsiam_epoch},
        "04_autoencoders": {"course MLP VAE": ae_runs * full.ae.epochs * ae_epoch},
    }  # fmt: skip


def projection(results: dict[str, dict[str, dict]]) -> dict[str, dict[str, float | None]]:
    """Projected training minutes of each notebook in the full profile, per mode, from the
    steps per second of the timed training steps (set-up, capture and evaluation excluded:
    they are reported apart)."""
    out: dict[str, dict[str, float | None]] = {}
    for notebook, steps in full_profile_steps().items():
        row: dict[str, float | None] = {}
        for mode in PROJECTED:
            rates = [results.get(case, {}).get(mode, {}).get("steps_per_s") for case in steps]
            if any(not r for r in rates):
                row[mode] = None
                continue
            seconds = sum(n / r for n, r in zip(steps.values(), rates, strict=True))  # type: ignore[operator]
            row[mode] = round(seconds / 60, 1)
        out[notebook] = row
    return out


def _cell(value: object) -> str:
    return "-" if value in (None, "") else str(value)


def markdown(record: dict) -> str:
    """The record in words and tables; any partial record (a run still going) reads."""
    env = record.get("environment", {})
    lines = [
        f"# GPU lease check: {env.get('device_name', record.get('device', '?'))}",
        "",
        "Environment: " + "; ".join(f"{k} {v}" for k, v in env.items()) + ".",
        "",
        f"Profile {record.get('profile')}, at most {record.get('steps')} steps per run, budget "
        f"{record.get('budget_s')} s (+ {record.get('margin_s')} s margin), "
        f"{record.get('seconds', 0):.0f} s so far. Command: `{record.get('command')}`.",
        "",
    ]
    if record.get("stopped"):
        lines += [f"**Stopped early:** {record['stopped']}", ""]
    lines += [
        "Speeds count the timed training steps only; set-up (data, model), the first steps "
        "(warm-up, capture) and evaluation are timed apart. The noise band is the largest gap "
        "between the two eager curves (seeds 0 and 1).",
        "",
        "| trainer | run | steps | steps/s | set-up s | first steps s | eval s | peak GB | "
        "replays | last loss | vs eager: gap / band | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, runs in record.get("results", {}).items():
        for mode, r in runs.items():
            agree = record.get("agreement", {}).get(case, {}).get(mode)
            if agree is None:
                versus = "-"
            elif "gap" in agree:
                versus = f"{agree['verdict']}: {agree['gap']} / {agree['band']}"
            else:
                versus = f"{agree['verdict']} ({agree.get('why', '')})"
            last = f"{r['losses'][-1]:.4g}" if r.get("losses") else "-"
            steps = f"{r['steps']}/{r['planned']}" if "steps" in r else "-"
            lines.append(
                f"| {case} | {mode} | {steps} | {_cell(r.get('steps_per_s'))} | "
                f"{_cell(r.get('setup_s'))} | {_cell(r.get('first_steps_s'))} | "
                f"{_cell(r.get('eval_s'))} | {_cell(r.get('peak_memory_gb'))} | "
                f"{_cell(r.get('replays'))} | {last} | {versus} | {r.get('status')} |"
            )
    resume = record.get("resume", {})
    lines += ["", "Resume across precisions: " + (
        "; ".join(f"{k}: {v}" for k, v in resume.items()) or "not run") + ".", ""]  # fmt: skip
    modes = list(PROJECTED)
    lines += [
        f"Projected full-profile training minutes (timed steps only; evaluation, kNN monitor "
        f"and Frechet distances come on top; budget {BUDGET_MINUTES} min for all four on an "
        "H100):",
        "",
        "| notebook | " + " | ".join(modes) + " |",
        "|---|" + "---|" * len(modes),
    ]
    for notebook, row in record.get("projection", {}).items():
        lines.append(f"| {notebook} | " + " | ".join(_cell(row.get(m)) for m in modes) + " |")
    verified = ", ".join(record.get("graphs_verified", [])) or "none"
    lines += ["", f"CUDA graphs captured and within the noise band: {verified}."]
    return "\n".join(lines) + "\n"


def dumps(value: object, indent: int = 0) -> str:
    """JSON with dicts indented one per line and lists of plain values on one line."""
    pad = " " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(str(k))}: {dumps(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [f"{pad}{dumps(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value, default=str)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a reader, or a copy
    taken when the process is killed, sees the previous file or this one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600: the usual mode instead
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
