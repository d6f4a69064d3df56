"""The lease check (``gpu_check.py --lease``) on the CPU: it needs only what the GPU machine
has, its record survives failures, timeouts and SIGTERM, ``--budget-s`` bounds it, verdicts
use a noise band, and speeds count training steps only."""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import gpu_lease  # noqa: E402
import lease_cases  # noqa: E402
import lease_record  # noqa: E402

# What the GPU machine's python3 has (besides the standard library): these and what they need.
GPU_MACHINE = ("torch", "torchvision", "numpy", "scipy", "matplotlib", "tqdm", "pillow")
JUPYTER = ("jupyter", "jupyter_client", "jupyter_core", "nbclient", "nbformat", "ipykernel",
           "ipywidgets", "IPython")  # fmt: skip
SMOKE = ["--device", "cpu", "--profile", "smoke"]
TWO = ["--cases", "course MLP VAE,vanilla GAN", "--steps", "8"]

# Runs benchmarks/gpu_check.py with every module the GPU machine lacks made unimportable.
BLOCKER = """
import importlib.abc, json, runpy, sys
blocked = set(json.loads(sys.argv[1]))
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (not on the GPU machine)")
        return None
sys.meta_path.insert(0, Blocker())
sys.argv = ["benchmarks/gpu_check.py", *sys.argv[2:]]
try:
    runpy.run_path("benchmarks/gpu_check.py", run_name="__main__")
finally:
    leaked = sorted(m for m in list(sys.modules) if m.partition(".")[0] in blocked)
    print("LEAKED", leaked, flush=True)
"""


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def not_on_the_gpu_machine() -> list[str]:
    """Top-level modules of the installed distributions that are not among GPU_MACHINE or
    what they require (the project's own aside), and the Jupyter stack in any case."""
    keep, todo = set(), [*GPU_MACHINE]
    while todo:
        name = _canon(todo.pop())
        if name in keep:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        keep.add(name)
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.split(r"[\s;<>=!~\[(]", req, maxsplit=1)[0])
    blocked = set(JUPYTER)
    for module, dists in importlib.metadata.packages_distributions().items():
        if module in ("helpers", "benchmarks", "tests") or module.startswith("_"):
            continue
        if not any(_canon(d) in keep for d in dists):
            blocked.add(module)
    return sorted(blocked)


def run_blocked(args: list[str], **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("WORKBOOK_CUDA_GRAPHS", None)
    return subprocess.Popen(
        [sys.executable, "-c", BLOCKER, json.dumps(not_on_the_gpu_machine()), "--lease", *args],
        cwd=ROOT, env={**env, **kwargs.pop("env", {})}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, **kwargs,
    )  # fmt: skip


def read(out: Path) -> dict:
    return json.loads((out / "gpu_lease.json").read_text())


def test_the_documented_command_runs_with_only_what_the_gpu_machine_has(tmp_path):
    """The README's command, the device replaced by the CPU: every trainer, four runs, the
    resume check, the record in the folder it names; nothing Jupyter imported."""
    command = gpu_lease.COMMAND.replace('"$OUT"', str(tmp_path)).split()[2:]
    assert command[:2] == ["--lease", "--out"]
    began = time.perf_counter()
    proc = run_blocked([*command[1:], *SMOKE, "--steps", "4"])
    out, _ = proc.communicate(timeout=600)
    seconds = time.perf_counter() - began
    assert proc.returncode == 0, out
    assert out.startswith("environment: python ") and "torch " in out
    assert "LEAKED []" in out
    record = read(tmp_path)
    assert record["environment"]["torch"] == torch.__version__
    assert set(record["results"]) == set(lease_cases.CASES)
    for case, runs in record["results"].items():
        assert list(runs) == list(lease_cases.MODES), case
        for run in runs.values():  # a CPU shared with other work may cut a run: it says so
            assert run["status"] == "ok" or run["status"].startswith("cut at step"), run
            assert run["setup_s"] >= 0 and run["eval_s"] >= 0
            if run["status"] == "ok":
                assert run["steps"] == run["planned"] and run["steps_per_s"] and run["losses"]
        assert runs["graphs bf16"]["graphs"] == "static"
        verdicts = record["agreement"][case]
        if all(r["status"] == "ok" for r in runs.values()):
            assert verdicts["graphs bf16"]["verdict"] == "identical"  # static steps are eager's
            assert verdicts["fp16 + scaler"]["verdict"] in lease_record.VERDICTS
            assert verdicts["fp16 + scaler"]["band"] > 0  # two seeds never give the same curve
    assert record["resume"]["finished bf16 -> fp16"] == "loaded"
    assert record["resume"]["interrupted bf16 -> fp16"].startswith("resumed from step")
    assert record["graphs_verified"] == []  # nothing was recorded on a CPU
    assert set(record["projection"]) == {"01_vae", "02_gans", "03_simsiam", "04_autoencoders"}
    assert record["seconds"] <= seconds
    md = (tmp_path / "gpu_lease.md").read_text()
    assert "| SimSiam ResNet | graphs bf16 |" in md and "identical: 0.0 /" in md


def test_help_shows_the_command_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        gpu_lease.main(["--help"])
    text = capsys.readouterr().out
    assert gpu_lease.COMMAND in text
    assert "2: no CUDA device" in text and "--budget-s" in text


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_no_cuda_exits_2_at_once_with_a_record(tmp_path, capsys):
    began = time.perf_counter()
    assert gpu_lease.main(["--out", str(tmp_path)]) == 2
    assert time.perf_counter() - began < 10
    assert "no CUDA device" in read(tmp_path)["stopped"]
    assert "no CUDA device" in capsys.readouterr().err


def test_a_failing_run_keeps_the_others_and_the_record_is_written_after_each(tmp_path, monkeypatch):
    monkeypatch.setenv(lease_cases.FAULT_ENV, "course MLP VAE/graphs bf16/raise")
    seen = []
    write = gpu_lease.Record.write

    def spy(self):
        write(self)
        seen.append(read(self.out))

    monkeypatch.setattr(gpu_lease.Record, "write", spy)
    assert gpu_lease.main([*SMOKE, *TWO, "--out", str(tmp_path)], started=time.perf_counter()) == 1
    runs = read(tmp_path)["results"]
    failed = runs["course MLP VAE"]["graphs bf16"]
    assert failed["status"].startswith("FAILED: RuntimeError: injected failure")
    assert failed["steps"] == 2  # it failed in the middle; what it did is kept
    assert runs["course MLP VAE"]["fp16 + scaler"]["status"] == "ok"
    assert all(r["status"] == "ok" for r in runs["vanilla GAN"].values())
    # on disk after every run: each run appears first as running, then with its result
    statuses = [r["results"].get("course MLP VAE", {}).get("eager bf16", {}).get("status")
                for r in seen]  # fmt: skip
    assert "running" in statuses and statuses[-1] == "ok"
    assert len(seen) >= 2 * 2 * len(lease_cases.MODES)


def test_a_device_that_stops_working_ends_the_run_cleanly(tmp_path, monkeypatch):
    monkeypatch.setenv(lease_cases.FAULT_ENV, "course MLP VAE/eager bf16, seed 1/poison")
    monkeypatch.setattr(lease_cases, "_POISONED", [])
    assert gpu_lease.main([*SMOKE, *TWO, "--out", str(tmp_path)], started=time.perf_counter()) == 3
    record = read(tmp_path)
    runs = record["results"]
    assert runs["course MLP VAE"]["eager bf16"]["status"] == "ok"
    assert "(device unusable)" in runs["course MLP VAE"]["eager bf16, seed 1"]["status"]
    assert runs["course MLP VAE"]["graphs bf16"]["status"] == "not run: the device stopped working"
    assert all(r["status"].startswith("not run") for r in runs["vanilla GAN"].values())
    assert "injected sticky CUDA error" in record["stopped"]
    assert record["resume"]["finished bf16 -> fp16"] == "loaded"


def wait_for(predicate, proc, seconds=300):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the lease ended early:\n{proc.stdout.read()}")
        try:
            if predicate():
                return
        except (OSError, ValueError, KeyError):  # not written yet
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the lease")


def test_a_hung_run_leaves_the_earlier_runs_on_disk_and_sigterm_writes_the_record(tmp_path):
    """A hang in the second trainer: while it hangs, the record on disk (what a kill at the
    command's time limit leaves) holds the first trainer's runs; SIGTERM then ends the lease
    with the record saying what was interrupted."""
    proc = run_blocked([*SMOKE, *TWO, "--out", str(tmp_path)],
                       env={lease_cases.FAULT_ENV: "vanilla GAN/graphs bf16/hang"})  # fmt: skip
    hanging = lambda: read(tmp_path)["results"]["vanilla GAN"]["graphs bf16"]["status"]  # noqa: E731
    wait_for(lambda: hanging() == "running", proc)
    time.sleep(1.0)  # well into the hang
    record = read(tmp_path)
    assert all(r["status"] == "ok" for r in record["results"]["course MLP VAE"].values())
    assert record["results"]["vanilla GAN"]["eager bf16"]["status"] == "ok"
    assert record["resume"]["finished bf16 -> fp16"] == "loaded"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, out
    record = read(tmp_path)
    assert record["results"]["vanilla GAN"]["graphs bf16"]["status"] == "interrupted by SIGTERM"
    assert record["results"]["vanilla GAN"]["fp16 + scaler"]["status"] == "not run: SIGTERM"
    assert all(r["status"] == "ok" for r in record["results"]["course MLP VAE"].values())


def test_the_watchdog_ends_a_hung_run_at_the_budget_plus_the_margin(tmp_path):
    budget, margin = 45.0, 3.0  # room for the imports and the resume check on a busy CPU
    began = time.perf_counter()
    proc = run_blocked([*SMOKE, *TWO, "--out", str(tmp_path), "--budget-s", str(budget),
                        "--margin-s", str(margin)],
                       env={lease_cases.FAULT_ENV: "course MLP VAE/eager bf16/hang"})  # fmt: skip
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 4, out
    assert time.perf_counter() - began <= budget + margin + 5  # + the interpreter's start
    record = read(tmp_path)
    assert "watchdog" in record["stopped"]
    hung = record["results"]["course MLP VAE"]["eager bf16"]["status"]
    assert hung.startswith("still running at the budget plus the margin")
    assert record["results"]["vanilla GAN"]["eager bf16"]["status"].startswith("not run")


def test_the_budget_bounds_the_whole_run(tmp_path):
    """Every run gets a share of what is left; runs stop at their share (cut) or are skipped,
    and the whole lease, resume check included, ends within the budget."""
    budget = 12.0
    began = time.perf_counter()
    # in this process, the watchdog must not end pytest: a wide margin
    args = [*SMOKE, "--steps", "200", "--budget-s", str(budget), "--margin-s", "300"]
    args += ["--out", str(tmp_path)]
    code = gpu_lease.main(args, started=began)
    seconds = time.perf_counter() - began
    assert code == 0
    # A run stops before its next step: it overruns its share by its set-up and one step at
    # most (seconds on a busy 2-core CPU); the watchdog's margin bounds that in any case.
    assert seconds <= budget + gpu_lease.MARGIN_S
    record = read(tmp_path)
    statuses = [r["status"] for runs in record["results"].values() for r in runs.values()]
    assert len(statuses) == len(lease_cases.CASES) * len(lease_cases.MODES)
    assert any(s.startswith(("cut at step", "skipped: out of time")) for s in statuses)
    assert not any(s.startswith("FAILED") for s in statuses)
    assert "out of time" in (tmp_path / "gpu_lease.md").read_text() or any(
        s.startswith("cut") for s in statuses
    )


def test_speeds_count_the_training_steps_only():
    """Through the real training loop: a step of 10 ms and an evaluation of 100 ms every 5
    steps; the set-up before the loop, the first steps and the evaluations are timed apart."""
    from helpers.train import loop

    meter = lease_cases.Meter(torch.device("cpu"), time.perf_counter() + 60, skip=5, key="loss")

    def step(i):
        time.sleep(0.01)
        return {"loss": torch.tensor(float(i))}

    def evaluate(i):
        time.sleep(0.1)
        return {"score": 1.0}

    time.sleep(0.2)  # the set-up
    with lease_cases.metering(meter):
        loop.train("t", step, 25, {}, checkpoint_dir=None, eval_fn=evaluate, eval_every=5,
                       progress=False)  # fmt: skip
    summary = meter.summary()
    assert summary["steps"] == summary["planned"] == 25 and summary["timed_steps"] == 20
    assert 0.2 <= summary["setup_s"] < 0.4
    assert 0.5 <= summary["eval_s"] < 0.8  # five evaluations
    assert 60 < summary["steps_per_s"] <= 100  # 10 ms a step, whatever the evaluations took
    assert meter.losses() == [float(i) for i in range(25)]


def test_a_run_stops_at_its_deadline():
    from helpers.train import loop

    meter = lease_cases.Meter(torch.device("cpu"), time.perf_counter() + 0.3, skip=2, key="x")

    def step(i):
        time.sleep(0.05)
        return {"x": 1.0}

    with pytest.raises(lease_cases.Cut), lease_cases.metering(meter):
        loop.train("t", step, 1000, {}, checkpoint_dir=None, progress=False)
    assert 4 <= meter.steps <= 8 and meter.planned == 1000


def test_verdicts_against_the_noise_band():
    eager = [10.0 - i * 0.1 for i in range(100)]
    seed1 = [v + 0.5 for v in eager]  # the band: 0.5
    same = lease_record.compare(eager, seed1, list(eager))
    assert same["verdict"] == "identical" and same["band"] == 0.5
    close = lease_record.compare(eager, seed1, [v + 0.3 for v in eager])
    assert close["verdict"] == "within noise" and close["ratio"] == 0.6
    near = lease_record.compare(eager, seed1, [v + 1.0 for v in eager])
    assert near["verdict"] == "near noise" and near["ratio"] == 2.0
    far = lease_record.compare(eager, seed1, [v + 2.0 for v in eager])
    assert far["verdict"] == "DIFFERS" and far["gap"] == 2.0
    broken = lease_record.compare(eager, seed1, [*eager[:50], math.nan, *eager[51:]])
    assert broken["verdict"] == "DIFFERS" and broken["gap"] == "not finite"
    cut = lease_record.compare(eager, seed1, eager[:40])  # compared over the steps in common
    assert cut["verdict"] == "identical" and cut["steps_compared"] == 40
    assert lease_record.compare(eager, seed1, eager[:1])["verdict"] == "not compared"


def test_only_recorded_graphs_within_the_band_are_verified():
    ok = {"status": "ok", "losses": [1.0, 2.0]}
    runs = {"eager bf16": ok, "eager bf16, seed 1": ok, "fp16 + scaler": ok,
            "graphs bf16": {**ok, "graphs": "cuda", "replays": 5}}  # fmt: skip
    agree = {"A": {"graphs bf16": {"verdict": "within noise"}},
             "B": {"graphs bf16": {"verdict": "DIFFERS"}},
             "C": {"graphs bf16": {"verdict": "identical"}}}  # fmt: skip
    static = {**runs, "graphs bf16": {**ok, "graphs": "static", "replays": 0}}
    results = {"A": runs, "B": runs, "C": static}
    assert lease_record.graphs_verified(results, agree) == ["A"]


def test_projection_uses_the_timed_steps():
    results = {case: {"eager bf16": {"steps_per_s": 100.0}} for case in lease_cases.CASES}
    minutes = lease_record.projection(results)
    steps = lease_record.full_profile_steps()
    assert minutes["02_gans"]["eager bf16"] == round(sum(steps["02_gans"].values()) / 100 / 60, 1)
    assert minutes["02_gans"]["graphs bf16"] is None


def test_the_watchdog_ends_the_process_even_when_the_record_is_held(tmp_path, monkeypatch):
    """A main thread stuck holding the record's lock must not keep the watchdog from exiting;
    with the lock free, the watchdog marks the record before it exits."""
    import threading

    exits: list[int] = []
    monkeypatch.setattr(gpu_lease.os, "_exit", exits.append)
    record = gpu_lease.Record(tmp_path, {"_began": time.perf_counter(), "_cases": []})
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with record.lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    began = time.perf_counter()
    gpu_lease._hard_stop(record)
    assert exits == [4] and time.perf_counter() - began < 10
    assert not (tmp_path / "gpu_lease.json").exists()  # the held record was left alone
    release.set()
    holder.join()
    record.data.update(results={}, budget_s=60, margin_s=20)
    gpu_lease._hard_stop(record)
    assert exits == [4, 4]
    assert "watchdog" in json.loads((tmp_path / "gpu_lease.json").read_text())["stopped"]
