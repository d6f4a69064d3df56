"""The GPU verification that fits a short lease: every trainer, three ways, in a few minutes.

    python benchmarks/gpu_check.py --lease                      # on the GPU machine (H100/H200)
    python benchmarks/gpu_check.py --lease --device cpu --profile smoke --out build/lease

For each trainer at the profile's sizes (course MLP VAE, ConvVAE, WGAN-LP, vanilla GAN,
SimSiam's ResNet) it trains a few hundred steps from one seed on stand-in data, three ways:

- ``eager bf16``: the default path (autocast bf16, fused optimizers, no CUDA graphs);
- ``graphs bf16``: the same with ``graphs=GraphMode("cuda")``: the capture is asserted (steps
  replayed > 0) and warnings are errors, so a silent fallback fails the case. On a CPU there
  is nothing to record: ``static`` mode (the capture contract's check) stands in for it;
- ``fp16 + scaler``: the T4's path (Colab's free tier), eager.

It records steps per second, peak GPU memory and the logged loss curves, compares each curve
with the eager one within the eager curve's own step-to-step noise, resumes a checkpoint across
precisions (bf16 written, fp16 read, both when finished and interrupted), and projects each
notebook's full-profile training time from the measured step times, beside the budget (all
four training notebooks in 25 minutes on an H100). Writes ``gpu_lease.json`` and
``gpu_lease.md`` under ``--out`` (default ``figures/<profile folder>/``).

Budget: at most 7 minutes on one H100 or H200, data unpacking included (the stand-ins are
generated: about 10 s); a case that would start after ``--budget-s`` is skipped and says so.
Not run on a GPU yet: no GPU was lent to the session that wrote it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers import gan, simsiam, vae  # noqa: E402
from helpers.data import synthetic  # noqa: E402
from helpers.profiles import Profile, get_profile  # noqa: E402
from helpers.train import GraphMode, Precision  # noqa: E402
from helpers.vae import training as vae_training  # noqa: E402

MODES = ("eager bf16", "graphs bf16", "fp16 + scaler")
BUDGET_MINUTES = 25  # all four training notebooks on one H100, the workbook's target

# What a case returns: (steps, logged losses, steps replayed from a recording).
Run = tuple[int, list[float], int]
Case = Callable[[Profile, int, torch.device, Precision, GraphMode], Run]


def _series(records: list[dict], key: str) -> list[float]:
    return [r[key] for r in records if key in r]


def course_vae(p: Profile, steps: int, device, precision, graphs) -> Run:
    """The course MLP VAE: ten epochs of ``steps / 10`` batches (a logged point per epoch)."""
    b = p.vae
    images, _ = synthetic.digits(max(1, steps // 10) * b.batch_size, seed=1, binarized=True)
    torch.manual_seed(0)
    result, _ = vae.train_vae(
        "lease_mlp", vae.CourseVAE(b.latent_dim, b.hidden), images, images[:64], epochs=10,
        batch_size=b.batch_size, lr=b.lr, device=device, progress=False, snapshot_samples=1,
        precision=precision, graphs=graphs,
    )  # fmt: skip
    return result.steps, _series(result.history.records, "train_elbo"), result.replays


def conv_vae(p: Profile, steps: int, device, precision, graphs) -> Run:
    """The workbook's ConvVAE with its cosine schedule and warm-up (learning rates change)."""
    b = p.vae
    images, _ = synthetic.digits(max(1, steps // 10) * b.batch_size, seed=1, binarized=True)
    torch.manual_seed(0)
    model = vae.ConvVAE(b.latent_dim, width=b.conv_width, blocks=b.conv_blocks)
    result, _ = vae.train_vae(
        "lease_conv", model, images, images[:64], epochs=10, batch_size=b.batch_size,
        lr=b.conv_lr, schedule="cosine", warmup_steps=min(b.conv_warmup_steps, steps // 5),
        device=device, progress=False, snapshot_samples=1, precision=precision, graphs=graphs,
    )  # fmt: skip
    return result.steps, _series(result.history.records, "train_elbo"), result.replays


def wgan_lp(p: Profile, steps: int, device, precision, graphs) -> Run:
    """WGAN-LP at the profile's width: five critic updates with the penalty per iteration."""
    images, _ = synthetic.house_numbers(2048, seed=1)
    torch.manual_seed(0)
    result, _ = gan.train_gan(
        "lease_wgan", gan.Generator(width=p.gan.width), gan.Critic(width=p.gan.width), images,
        iterations=steps, n_critic=5, lr=p.gan.lr, device=device, log_every=max(1, steps // 10),
        progress=False, snapshot_samples=1, precision=precision, graphs=graphs,
    )  # fmt: skip
    return result.steps, _series(result.history.records, "wasserstein"), result.replays


def vanilla_gan(p: Profile, steps: int, device, precision, graphs) -> Run:
    """The vanilla GAN of 02: MLPs on MNIST-sized images, the notebook's optimiser."""
    images, _ = synthetic.digits(2048, seed=1)
    torch.manual_seed(0)
    h = p.gan.mlp_hidden
    result, _ = gan.train_gan(
        "lease_vanilla", gan.MLPGenerator(hidden=h), gan.MLPDiscriminator(hidden=h), images,
        loss="vanilla", iterations=steps, lr=2e-4, betas=(0.5, 0.999), device=device,
        log_every=max(1, steps // 10), progress=False, snapshot_samples=1,
        precision=precision, graphs=graphs,
    )  # fmt: skip
    return result.steps, _series(result.history.records, "d_loss"), result.replays


def simsiam_resnet(p: Profile, steps: int, device, precision, graphs) -> Run:
    """SimSiam at the profile's sizes (the full profile's is the CIFAR ResNet-18, batch 512):
    five epochs of ``steps / 5`` batches, with warm-up and cosine decay."""
    b = p.simsiam
    per_epoch = max(1, steps // 5)
    images, labels = synthetic.objects(per_epoch * b.batch_size, seed=1)
    torch.manual_seed(0)
    backbone = simsiam.cifar_resnet(b.width, b.blocks, b.stem_stride)
    model = simsiam.SimSiam(backbone, dim=b.dim, pred_dim=b.pred_dim)
    result = simsiam.train_simsiam(
        "lease_simsiam", model, images, labels, images[:256], labels[:256], epochs=5,
        batch_size=b.batch_size, base_lr=b.base_lr, warmup_epochs=1, knn_k=min(b.knn_k, 20),
        std_images=256, device=device, progress=False, precision=precision, graphs=graphs,
    )  # fmt: skip
    return result.steps, _series(result.history.records, "loss"), result.replays


CASES: dict[str, Case] = {
    "course MLP VAE": course_vae,
    "ConvVAE": conv_vae,
    "WGAN-LP": wgan_lp,
    "vanilla GAN": vanilla_gan,
    "SimSiam ResNet": simsiam_resnet,
}


def run_mode(case: Case, profile: Profile, steps: int, device: torch.device, mode: str) -> dict:
    """One case in one mode: speed, memory, losses and, for ``graphs``, that it captured."""
    cuda = device.type == "cuda"
    precision = Precision("fp16" if mode.startswith("fp16") else "bf16")
    graphs = GraphMode(("cuda" if cuda else "static") if mode.startswith("graphs") else "eager")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    began = time.perf_counter()
    with warnings.catch_warnings():
        if graphs.mode != "eager":  # a fallback to eager steps must fail the case
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
        done, losses, replays = case(profile, steps, device, precision, graphs)
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - began
    if graphs.mode == "cuda" and replays == 0:
        raise AssertionError("no step was replayed from a CUDA graph")
    return {
        "steps": done, "seconds": round(seconds, 2), "steps_per_s": round(done / seconds, 2),
        "peak_memory_gb": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "losses": [round(v, 5) for v in losses], "replays": replays, "graphs": graphs.mode,
        "status": "ok",
    }  # fmt: skip


def noise(values: list[float]) -> float:
    """The typical step-to-step change of a logged curve."""
    changes = [abs(b - a) for a, b in itertools.pairwise(values)]
    return statistics.median(changes) if changes else 0.0


def agreement(eager: list[float], other: list[float]) -> dict:
    """Whether ``other`` follows ``eager`` within three times the eager curve's noise."""
    if not eager or len(eager) != len(other):
        return {"agree": False, "why": f"{len(eager)} and {len(other)} logged points"}
    gap = max(abs(a - b) for a, b in zip(eager, other, strict=True))
    tolerance = 3 * noise(eager) + 1e-6 * max(abs(v) for v in eager)
    finite = all(math.isfinite(v) for v in other)
    return {"agree": finite and gap <= tolerance, "largest_gap": round(gap, 5),
            "tolerance": round(tolerance, 5)}  # fmt: skip


def resume_across_precisions(profile: Profile, device: torch.device) -> dict:
    """A course-MLP VAE checkpoint written in bf16 and read in fp16: finished, then
    interrupted after one of two epochs and resumed."""
    images, _ = synthetic.digits(4 * profile.vae.batch_size, seed=1, binarized=True)
    b = profile.vae

    def train(folder: str, precision: str, fail_second_eval: bool = False):
        torch.manual_seed(0)
        evaluate, calls = vae_training.evaluate_elbo, []  # train_vae looks it up there

        def evaluate_or_fail(*args, **kwargs):
            calls.append(1)
            if fail_second_eval and len(calls) == 2:
                raise KeyboardInterrupt  # stands for a lost runtime
            return evaluate(*args, **kwargs)

        vae_training.evaluate_elbo = evaluate_or_fail
        try:
            return vae.train_vae(
                "lease_resume", vae.CourseVAE(b.latent_dim, b.hidden), images, images[:64],
                epochs=2, batch_size=b.batch_size, device=device, checkpoint_dir=folder,
                progress=False, snapshot_samples=1, precision=Precision(precision),
            )[0]  # fmt: skip
        finally:
            vae_training.evaluate_elbo = evaluate

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
    """Projected training minutes of each notebook in the full profile, per mode (training
    steps only: evaluation, the kNN monitor and Frechet distances come on top)."""
    out: dict[str, dict[str, float | None]] = {}
    for notebook, steps in full_profile_steps().items():
        row: dict[str, float | None] = {}
        for mode in MODES:
            rates = [results.get(case, {}).get(mode, {}).get("steps_per_s") for case in steps]
            if any(not r for r in rates):
                row[mode] = None
                continue
            seconds = sum(n / r for n, r in zip(steps.values(), rates, strict=True))  # type: ignore[operator]
            row[mode] = round(seconds / 60, 1)
        out[notebook] = row
    return out


def markdown(record: dict) -> str:
    lines = [
        f"# GPU lease check: {record['device_name']}",
        "",
        f"torch {record['torch']}, profile {record['profile']}, {record['steps']} steps per run, "
        f"{record['seconds']:.0f} s in all. Command: `{record['command']}`.",
        "",
        "| trainer | mode | steps/s | peak GB | replays | last loss | vs eager | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case, modes in record["results"].items():
        for mode, r in modes.items():
            agree = record["agreement"].get(case, {}).get(mode)
            verdict = "-" if agree is None else ("agrees" if agree["agree"] else "DIFFERS")
            last = f"{r['losses'][-1]:.4g}" if r.get("losses") else "-"
            lines.append(
                f"| {case} | {mode} | {r.get('steps_per_s', '-')} | "
                f"{r.get('peak_memory_gb') or '-'} | {r.get('replays', '-')} | {last} | "
                f"{verdict} | {r['status']} |"
            )
    lines += ["", "Resume across precisions: " + "; ".join(
        f"{k}: {v}" for k, v in record["resume"].items()), ""]  # fmt: skip
    lines += [
        f"Projected full-profile training minutes (steps only; budget {BUDGET_MINUTES} min for "
        "all four on an H100):",
        "",
        "| notebook | " + " | ".join(MODES) + " |",
        "|---|" + "---|" * len(MODES),
    ]
    for notebook, row in record["projection"].items():
        cells = ["-" if v is None else f"{v}" for v in row.values()]
        lines.append(f"| {notebook} | " + " | ".join(cells) + " |")
    verified = ", ".join(record["graphs_verified"]) or "none"
    lines += ["", f"CUDA graphs captured and agreeing with eager: {verified}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--profile", default="full")
    parser.add_argument("--steps", type=int, default=None, help="per run (default 300; smoke 20)")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--budget-s", type=float, default=360.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    profile = get_profile(args.profile)
    steps = args.steps or (20 if profile.name == "smoke" else 300)
    began = time.perf_counter()
    results: dict[str, dict[str, dict]] = {}
    agree: dict[str, dict[str, dict]] = {}
    for name in [c for c in args.cases.split(",") if c]:
        results[name] = {}
        try:  # untimed: the first steps pick kernels and fill caches
            run_mode(CASES[name], profile, max(10, steps // 10), device, "eager bf16")
        except Exception as error:
            print(f"{name}: the warm-up failed ({error})", flush=True)
        for mode in MODES:
            if time.perf_counter() - began > args.budget_s:
                results[name][mode] = {"status": "skipped: out of time"}
                continue
            try:
                results[name][mode] = run_mode(CASES[name], profile, steps, device, mode)
            except Exception as error:  # one case failing must not hide the others
                results[name][mode] = {"status": f"FAILED: {type(error).__name__}: {error}"}
            print(f"{name} | {mode} | {results[name][mode]}", flush=True)
        eager = results[name]["eager bf16"].get("losses")
        agree[name] = {
            mode: agreement(eager, r["losses"])
            for mode, r in results[name].items()
            if mode != "eager bf16" and eager and "losses" in r
        }
    resume = resume_across_precisions(profile, device)
    record = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda"
        else platform.processor() or "CPU",
        "torch": torch.__version__, "profile": profile.name, "steps": steps,
        "command": "python benchmarks/gpu_check.py --lease " + " ".join(argv or sys.argv[1:]),
        "results": results, "agreement": agree, "resume": resume,
        "projection": projection(results),
        "graphs_verified": [
            name for name, modes in results.items()
            if modes.get("graphs bf16", {}).get("replays", 0) > 0
            and agree.get(name, {}).get("graphs bf16", {}).get("agree")
        ],
        "seconds": round(time.perf_counter() - began, 1),
    }  # fmt: skip
    out = args.out or ROOT / "figures" / profile.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_lease.json").write_text(json.dumps(record, indent=1) + "\n")
    (out / "gpu_lease.md").write_text(markdown(record))
    print(markdown(record))
    failed = [m for modes in results.values() for m in modes.values() if "FAILED" in m["status"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
