"""The GPU verification that fits a short lease: every trainer, four runs each, in minutes.

On the GPU machine (its bare python3: torch, numpy, matplotlib, tqdm; no Jupyter, no install,
no data: the stand-ins are generated), from the checkout's root, with the output folder that
comes back:

    python3 benchmarks/gpu_check.py --lease --out "$OUT" --budget-s 480

The same command with ``--device cpu --profile smoke`` runs the whole harness on a CPU (the
tests do). It prints the environment first (GPU, driver, torch, CUDA, cuDNN) and, without a
CUDA device, exits 2 at once. For each trainer at the profile's sizes (course MLP VAE,
ConvVAE, WGAN-LP, vanilla GAN, SimSiam's ResNet) it trains up to ``--steps`` steps on
stand-in data, four times:

- ``eager bf16`` from seed 0 and ``eager bf16, seed 1``: the default path (autocast bf16,
  fused optimizers, no CUDA graphs); the gap between their loss curves is the noise band;
- ``graphs bf16``: seed 0 with ``graphs=GraphMode("cuda")``; the capture is asserted (steps
  replayed > 0; a fallback's warning is recorded). On a CPU ``static`` mode (the capture
  contract's check) stands in for the recording;
- ``fp16 + scaler``: seed 0, the T4's path (Colab's free tier), eager.

Graphs and fp16 are judged against the band (``benchmarks/lease_record.py``). Steps per second
count the training steps only; set-up, the first steps (warm-up, capture) and evaluation are
timed apart; each notebook's full-profile training time is projected from them. A bf16
checkpoint is resumed in fp16 (finished, and interrupted) first.

The record survives: ``gpu_lease.json`` and ``gpu_lease.md`` are rewritten under ``--out``
(atomically) when each run starts and ends; every run and the resume check has its own guard;
after a failure the device is checked, and a device that no longer works (a sticky CUDA error)
ends the run cleanly with what it has. ``--budget-s`` bounds the whole run from the moment the
script starts: each run gets a share of what is left and stops at its step limit or its
share, whichever first (the record says what was cut); a watchdog writes the record and ends
the process ``MARGIN_S`` seconds after the budget, whatever is running (a hung kernel).
SIGTERM writes the record too.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

_STARTED = time.perf_counter()  # the budget counts from here (gpu_check passes its own start)

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import lease_cases  # noqa: E402
import lease_record  # noqa: E402
from lease_cases import CASES, MODES, run_mode  # noqa: E402

from helpers.profiles import get_profile  # noqa: E402

MARGIN_S = 20.0  # the process ends at most this long after --budget-s
EXIT_CODES = {
    0: "every run completed or was cut by the budget; nothing failed",
    1: "a run failed (the record says which and why)",
    2: "no CUDA device (nothing was run)",
    3: "the device stopped working (a sticky CUDA error): the record holds the runs before",
    4: "the watchdog ended a run still going at the budget plus the margin",
    143: "ended by SIGTERM (the record says which run was going)",
}
COMMAND = 'python3 benchmarks/gpu_check.py --lease --out "$OUT" --budget-s 480'


class Interrupted(BaseException):
    """SIGTERM arrived."""


class Record:
    """The record being written: a dict, rewritten to ``out`` (json and md) on every change,
    under a lock that the watchdog takes too."""

    def __init__(self, out: Path, data: dict) -> None:
        self.out, self.data, self.lock = out, data, threading.RLock()

    def write(self) -> None:
        with self.lock:
            self.data["seconds"] = round(time.perf_counter() - self.data["_began"], 1)
            shown = {k: v for k, v in self.data.items() if not k.startswith("_")}
            lease_record.write_atomic(self.out / "gpu_lease.json", lease_record.dumps(shown) + "\n")
            lease_record.write_atomic(self.out / "gpu_lease.md", lease_record.markdown(shown))

    def set_run(self, case: str, mode: str, result: dict) -> None:
        with self.lock:
            self.data["results"].setdefault(case, {})[mode] = result
            runs = self.data["results"][case]
            self.data["agreement"][case] = lease_record.verdicts(runs)
            self.data["projection"] = lease_record.projection(self.data["results"])
            self.data["graphs_verified"] = lease_record.graphs_verified(
                self.data["results"], self.data["agreement"]
            )
            self.write()

    def mark_unfinished(self, running: str, not_started: str) -> None:
        """Give the run still going the status ``running``, and those not started
        ``not_started``."""
        with self.lock:
            for case in self.data["_cases"]:
                runs = self.data["results"].setdefault(case, {})
                for mode in MODES:
                    if mode not in runs:
                        runs[mode] = {"status": not_started}
                    elif runs[mode].get("status") == "running":
                        runs[mode]["status"] = running


def environment(device: torch.device) -> dict[str, object]:
    """What the run ran on: printed first and kept in the record."""
    env: dict[str, object] = {
        "python": platform.python_version(), "torch": torch.__version__,
        "torch CUDA": torch.version.cuda or "none", "host": platform.node(),
        "CPUs": os.cpu_count(),
    }  # fmt: skip
    if device.type == "cuda" and torch.cuda.is_available():
        env["cuDNN"] = torch.backends.cudnn.version()
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        env["device_name"] = props.name
        env["capability"] = f"{props.major}.{props.minor}"
        env["GPU memory GB"] = round(props.total_memory / 2**30, 1)
        env["GPUs"] = torch.cuda.device_count()
        env["driver"] = _driver()
    else:
        env["device_name"] = platform.processor() or platform.machine() or "CPU"
        env["CUDA available"] = torch.cuda.is_available()
    return env


def _driver() -> str:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return "unknown (no nvidia-smi)"
    try:
        out = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader"], capture_output=True,
            text=True, timeout=10,
        )  # fmt: skip
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown (nvidia-smi failed)"


def resume_across_precisions(profile, device: torch.device) -> dict:
    """A course-MLP VAE checkpoint written in bf16 and read in fp16: finished, then
    interrupted after one of two epochs and resumed."""
    import tempfile

    from helpers import vae
    from helpers.train import Precision

    training = sys.modules[vae.train_vae.__module__]  # train_vae looks evaluate_elbo up there
    images, _ = _digits(4 * profile.vae.batch_size)
    b = profile.vae

    def train(folder: str, precision: str, fail_second_eval: bool = False):
        torch.manual_seed(0)
        evaluate, calls = training.evaluate_elbo, []

        def evaluate_or_fail(*args, **kwargs):
            calls.append(1)
            if fail_second_eval and len(calls) == 2:
                raise KeyboardInterrupt  # stands for a lost runtime
            return evaluate(*args, **kwargs)

        training.evaluate_elbo = evaluate_or_fail
        try:
            return vae.train_vae(
                "lease_resume", vae.CourseVAE(b.latent_dim, b.hidden), images, images[:64],
                epochs=2, batch_size=b.batch_size, device=device, checkpoint_dir=folder,
                progress=False, snapshot_samples=1, precision=Precision(precision),
            )[0]  # fmt: skip
        finally:
            training.evaluate_elbo = evaluate

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        train(folder, "bf16")
        out["finished bf16 -> fp16"] = "loaded" if train(folder, "fp16").loaded else "retrained"
    with tempfile.TemporaryDirectory() as folder:
        try:
            train(folder, "bf16", fail_second_eval=True)
        except KeyboardInterrupt:
            pass
        result = train(folder, "fp16")
        out["interrupted bf16 -> fp16"] = (
            f"resumed from step {result.resumed_from}, finished {result.steps} steps"
        )
    return out


def _digits(n: int):
    from helpers.data import synthetic

    return synthetic.digits(n, seed=1, binarized=True)


def parser() -> argparse.ArgumentParser:
    epilog = (
        "On the GPU machine (bare python3 with torch; no Jupyter, no install, no data), from "
        f"the checkout's root:\n\n    {COMMAND}\n\n"
        "It writes gpu_lease.json and gpu_lease.md into --out after every run. On a CPU: add "
        "--device cpu --profile smoke.\n\nExit codes:\n"
        + "\n".join(f"  {code}: {text}" for code, text in EXIT_CODES.items())
    )
    p = argparse.ArgumentParser(
        prog="python3 benchmarks/gpu_check.py --lease",
        description=__doc__.split("\n\n")[0], epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("--device", default="cuda", help="cuda (the default) or cpu")
    p.add_argument("--profile", default="full")
    p.add_argument("--steps", type=int, default=None,
                   help="step limit per run (default 300; smoke 20)")  # fmt: skip
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated trainers")
    p.add_argument("--budget-s", type=float, default=480.0,
                   help=f"bounds the whole run, from the script's start (it ends within "
                        f"{MARGIN_S:.0f} s more; default 480)")  # fmt: skip
    p.add_argument("--margin-s", type=float, default=MARGIN_S,
                   help=f"the watchdog ends the process this long after the budget, whatever "
                        f"runs (default {MARGIN_S:.0f})")  # fmt: skip
    p.add_argument("--out", type=Path, default=None,
                   help="the folder for the record (default figures/<profile>/; on the GPU "
                        "machine: the folder that comes back, $OUT)")  # fmt: skip
    return p


def main(argv: list[str] | None = None, started: float | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    began = _STARTED if started is None else started
    device = torch.device(args.device)
    profile = get_profile(args.profile)
    steps = args.steps or (20 if profile.name == "smoke" else 300)
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print(f"unknown case(s) {unknown}; choose from {list(CASES)}", file=sys.stderr)
        return 1
    out = args.out or ROOT / "figures" / profile.name
    env = environment(device)
    print("environment: " + "; ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    print(f"record -> {out / 'gpu_lease.json'} and gpu_lease.md", flush=True)
    record = Record(out, {
        "_began": began, "_cases": cases, "device": str(device), "environment": env,
        "profile": profile.name, "steps": steps, "budget_s": args.budget_s,
        "margin_s": args.margin_s, "command": "python3 benchmarks/gpu_check.py --lease " +
        " ".join(argv), "resume": {}, "results": {}, "agreement": {}, "projection": {},
        "graphs_verified": [], "stopped": None,
    })  # fmt: skip
    if device.type == "cuda" and not torch.cuda.is_available():
        record.data["stopped"] = (
            f"no CUDA device: torch.cuda.is_available() is False (torch {torch.__version__}, "
            f"built with CUDA {torch.version.cuda or 'none'})"
        )
        record.write()
        print(record.data["stopped"], file=sys.stderr)
        return 2
    soft_end = began + args.budget_s - 1.0  # the last write takes well under a second
    hard_end = began + args.budget_s + max(0.0, args.margin_s - 1.0)
    watchdog = threading.Timer(max(0.0, hard_end - time.perf_counter()), _hard_stop, (record,))
    watchdog.daemon = True
    watchdog.start()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    code = 0
    try:
        record.write()
        code = _run(record, cases, profile, steps, device, soft_end)
    except Interrupted:
        with record.lock:
            record.mark_unfinished("interrupted by SIGTERM", "not run: SIGTERM")
            record.data["stopped"] = "SIGTERM"
        code = 143
    finally:
        watchdog.cancel()
        signal.signal(signal.SIGTERM, previous)
        record.write()
    print(lease_record.markdown({k: v for k, v in record.data.items() if not k.startswith("_")}))
    print(f"exit {code}: {EXIT_CODES[code]}", flush=True)
    return code


def _run(record: Record, cases: list[str], profile, steps: int, device, soft_end: float) -> int:
    failed = False
    left = soft_end - time.perf_counter()
    if left > 5:  # the resume check: short (four tiny trainings)
        try:
            record.data["resume"] = resume_across_precisions(profile, device)
        except Exception as error:
            record.data["resume"] = {"status": f"FAILED: {type(error).__name__}: {error}"}
            failed = True
    else:
        record.data["resume"] = {"status": "skipped: out of time"}
    print(f"resume across precisions: {record.data['resume']}", flush=True)
    record.write()
    for c, case in enumerate(cases):
        case_end = time.perf_counter() + (soft_end - time.perf_counter()) / (len(cases) - c)
        for m, mode in enumerate(MODES):
            now = time.perf_counter()
            deadline = now + (case_end - now) / (len(MODES) - m)
            if deadline - now < 0.25:
                record.set_run(case, mode, {"status": "skipped: out of time"})
                continue
            record.set_run(case, mode, {"status": "running"})
            result = run_mode(case, profile, steps, device, mode, deadline)
            record.set_run(case, mode, result)
            print(f"{case} | {mode} | {_line(result)}", flush=True)
            if result["status"].startswith("FAILED"):
                failed = True
                problems = lease_cases.device_sane(device)
                if problems:
                    why = f"the device stopped working after {case} / {mode}: " + "; ".join(
                        problems
                    )
                    with record.lock:
                        record.data["results"][case][mode]["status"] += " (device unusable)"
                        record.mark_unfinished("-", "not run: the device stopped working")
                        record.data["stopped"] = why
                    record.write()
                    print(why, file=sys.stderr)
                    return 3
    return 1 if failed else 0


def _line(result: dict) -> str:
    keys = ("steps", "planned", "steps_per_s", "setup_s", "first_steps_s", "eval_s", "replays")
    return ", ".join(f"{k} {result[k]}" for k in keys if k in result) + f" | {result['status']}"


def _on_sigterm(signum, frame) -> None:
    raise Interrupted


def _hard_stop(record: Record) -> None:
    """The watchdog: the budget and its margin are spent and a run is still going."""
    got = record.lock.acquire(timeout=5)
    try:
        if not got:  # the main thread holds the record (a write that hangs): leave it as it is
            return
        record.mark_unfinished(
            "still running at the budget plus the margin: stopped by the watchdog",
            "not run: the watchdog stopped the process",
        )
        record.data["stopped"] = (
            f"the watchdog ended the process at the budget ({record.data['budget_s']} s) plus "
            f"the margin ({record.data['margin_s']} s)"
        )
        record.write()
    finally:
        if got:
            record.lock.release()
        print(f"exit 4: {EXIT_CODES[4]}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(4)


if __name__ == "__main__":
    sys.exit(main())
