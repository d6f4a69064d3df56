"""CUDA graphs against eager steps, trainer by trainer: speed and the same loss curve.

    .venv/bin/python benchmarks/bench_graphs.py [--device cuda] [--quick]

Each of the four trainers (course MLP VAE, ConvVAE, WGAN-LP, SimSiam's ResNet) trains twice from
the same seed on stand-in data: its steps eager (``graphs=GraphMode("eager")``) and as
:func:`helpers.train.choose_graphs` decides (a CUDA graph on CUDA in bf16 or fp32; on a CPU it
says ``eager`` and the two runs are the same). Prints steps per second of each and their ratio,
and each run's logged training losses (every few steps; the last value and the largest
difference between the two curves, beside the eager curve's own step-to-step spread). On a GPU
the curves are not bit-equal (the recording draws its random numbers in another order and may
pick other kernels); they should differ by no more than the curve's own noise.

Not measured yet: no GPU was lent to the session that wrote it.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

import torch

from helpers import gan, simsiam, vae
from helpers.data import synthetic
from helpers.notebook import pick_device
from helpers.train import GraphMode, choose_graphs, choose_precision

Case = Callable[[torch.device, GraphMode | None, bool], tuple[int, list[float]]]


def _losses(records: list[dict], key: str) -> list[float]:
    return [r[key] for r in records if key in r]


def course_vae(device, graphs, quick):
    images, _ = synthetic.digits(640 if quick else 6400, seed=1, binarized=True)
    torch.manual_seed(0)
    result, _ = vae.train_vae(
        "mlp", vae.CourseVAE(), images, images[:64], epochs=1 if quick else 3, batch_size=64,
        device=device, progress=False, snapshot_samples=1, graphs=graphs,
    )  # fmt: skip
    return result.steps, _losses(result.history.records, "train_elbo")


def conv_vae(device, graphs, quick):
    images, _ = synthetic.digits(128 if quick else 3200, seed=1, binarized=True)
    torch.manual_seed(0)
    model = vae.ConvVAE(width=8 if quick else 64, blocks=1 if quick else 2)
    result, _ = vae.train_vae(
        "conv", model, images, images[:64], epochs=1 if quick else 3, batch_size=64, lr=1e-3,
        schedule="cosine", warmup_steps=20, device=device, progress=False, snapshot_samples=1,
        graphs=graphs,
    )  # fmt: skip
    return result.steps, _losses(result.history.records, "train_elbo")


def wgan_lp(device, graphs, quick):
    images, _ = synthetic.house_numbers(640 if quick else 6400, seed=1)
    torch.manual_seed(0)
    width = 8 if quick else 64
    result, _ = gan.train_gan(
        "wgan", gan.Generator(width=width), gan.Critic(width=width), images,
        iterations=4 if quick else 200, device=device, log_every=2 if quick else 10,
        progress=False, snapshot_samples=1, graphs=graphs,
    )  # fmt: skip
    return result.steps, _losses(result.history.records, "wasserstein")


def simsiam_resnet(device, graphs, quick):
    images, labels = synthetic.objects(256 if quick else 10240, seed=1)
    torch.manual_seed(0)
    width, blocks = (4, (1, 1, 1, 1)) if quick else (64, (2, 2, 2, 2))
    model = simsiam.SimSiam(simsiam.cifar_resnet(width, blocks, 1), dim=64 if quick else 2048)
    result = simsiam.train_simsiam(
        "simsiam", model, images, labels, images[:128], labels[:128], epochs=2,
        batch_size=64 if quick else 512, knn_k=5, device=device, progress=False, graphs=graphs,
    )  # fmt: skip
    return result.steps, _losses(result.history.records, "loss")


CASES: dict[str, Case] = {
    "course MLP VAE": course_vae,
    "ConvVAE": conv_vae,
    "WGAN-LP": wgan_lp,
    "SimSiam ResNet": simsiam_resnet,
}


def timed(case: Case, device: torch.device, graphs: GraphMode | None, quick: bool):
    """(steps per second, logged losses) of one run."""
    began = time.perf_counter()
    steps, losses = case(device, graphs, quick)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - began), losses


def spread(values: list[float]) -> float:
    """The typical step-to-step change of a logged curve (its noise)."""
    changes = [abs(b - a) for a, b in itertools.pairwise(values)]
    return statistics.median(changes) if changes else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--quick", action="store_true", help="tiny settings (a CPU check)")
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    device = torch.device(args.device) if args.device else pick_device()
    decision = choose_graphs(device, choose_precision(device))
    print(f"device {device}; steps: {decision.mode} ({decision.reason})")
    for name in args.cases.split(","):
        case = CASES[name]
        eager_rate, eager = timed(case, device, GraphMode("eager"), args.quick)
        rate, losses = timed(case, device, None, args.quick)
        gap = max((abs(a - b) for a, b in zip(eager, losses, strict=True)), default=0.0)
        print(
            f"{name}: eager {eager_rate:,.1f} steps/s, {decision.mode} {rate:,.1f} steps/s, "
            f"ratio {rate / eager_rate:.2f}x; loss at the end {eager[-1]:.4g} (eager) and "
            f"{losses[-1]:.4g}; largest gap between the curves {gap:.3g}, the eager curve's "
            f"step-to-step spread {spread(eager):.3g}",
            flush=True,
        )


if __name__ == "__main__":
    main()
