"""SimSiam recipes side by side: kNN accuracy at a quarter, half and all of the epochs.

    python benchmarks/simsiam_sweep.py --profile full --data real --parallel 3 \
        --variants course,lr06,lr06_warm10,lr12_warm10

Each variant is run (a) (stop-gradient, trained predictor) of the profile's SimSiam budget with
one :class:`helpers.profiles.SimSiamRecipe`; variants run in separate processes, ``--parallel``
at a time (small models leave a GPU mostly idle, so three or four share one well). The table
gives the kNN accuracy of the backbone features at epochs E/4, E/2 and E (25, 50 and 100 in the
full profile), the output std x sqrt(d) at the end and the seconds taken; each variant's history
is also written to ``<out>/<variant>.json``. Runs checkpoint and resume (``<out>/checkpoints``),
so a sweep cut by a GPU lease goes on where it stopped.

No recorded GPU sweep exists yet (the sessions that wrote this had no GPU); the variants are the
levers of issue 14: a higher base lr (0.06 measured +8.6 points at 100 epochs), warm-up, more
steps per epoch (batch 256), weaker grayscale and milder crops.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

from helpers import data, simsiam
from helpers.notebook import pick_device
from helpers.profiles import SimSiamRecipe, get_profile

COURSE = SimSiamRecipe()
VARIANTS: dict[str, SimSiamRecipe] = {
    "course": COURSE,
    "lr06": replace(COURSE, base_lr=0.06),
    "lr06_warm10": replace(COURSE, base_lr=0.06, warmup_epochs=10),
    "lr12_warm10": replace(COURSE, base_lr=0.12, warmup_epochs=10),
    "b256_lr06": replace(COURSE, batch_size=256, base_lr=0.06),
    "lr06_gray01": replace(COURSE, base_lr=0.06, p_gray=0.1),
    "lr06_crop02": replace(COURSE, base_lr=0.06, crop_scale=(0.2, 1.0)),
}


def scaled(recipe: SimSiamRecipe, batch_size: int | None) -> SimSiamRecipe:
    """The recipe at another batch size (the profile's, for a small profile), lr scaled
    linearly as the course's rule lr = base_lr x batch / 256 already does."""
    return recipe if batch_size is None else replace(recipe, batch_size=batch_size)


def run_one(name: str, args: argparse.Namespace) -> dict:
    """Train one variant and return its summary (also written to ``<out>/<name>.json``)."""
    profile = get_profile(args.profile)
    budget = profile.simsiam
    epochs = args.epochs or budget.epochs
    recipe = VARIANTS[name]
    if args.profile != "full":
        recipe = scaled(recipe, budget.batch_size)
    kwargs = dict(source=args.data, profile=profile, standin=budget.standin)
    x_train, y_train = data.load("cifar10", "train", n=budget.train_images, **kwargs)
    x_test, y_test = data.load("cifar10", "test", n=budget.test_images, **kwargs)
    model = simsiam.make_run("stop_gradient", budget, seed=args.seed)
    began = time.time()
    result = simsiam.train_run(
        name, model, recipe, x_train, y_train, x_test, y_test, epochs=epochs,
        knn_k=budget.knn_k, device=pick_device(args.device), seed=args.seed,
        checkpoint_dir=str(Path(args.out) / "checkpoints"), progress=False,
    )  # fmt: skip
    epochs_seen, knn = result.history.series("knn_accuracy", x="epoch")
    marks = sorted({max(1, math.ceil(epochs * f)) for f in (0.25, 0.5, 1.0)})
    at = {int(e): k for e, k in zip(epochs_seen, knn, strict=True)}
    summary = {
        "variant": name,
        "recipe": asdict(recipe),
        "epochs": epochs,
        "knn_at": {str(m): at.get(m) for m in marks},
        "output_std_x_sqrt_dim": result.history.last("output_std") * math.sqrt(budget.dim),
        "seconds": round(result.seconds, 1),
        "wall_seconds": round(time.time() - began, 1),
        "profile": args.profile,
        "data": args.data,
    }
    path = Path(args.out) / f"{name}.json"
    path.write_text(json.dumps({**summary, "history": result.history.records}, indent=1))
    return summary


def table(summaries: list[dict]) -> str:
    """A Markdown table of the summaries."""
    marks = list(summaries[0]["knn_at"]) if summaries else []
    head = "| variant | " + " | ".join(f"kNN @ {m}" for m in marks) + " | std x sqrt(d) | s |"
    lines = [head, "|" + "---|" * (len(marks) + 3)]
    for s in summaries:
        cells = [f"{s['knn_at'][m]:.1f}" if s["knn_at"][m] is not None else "-" for m in marks]
        lines.append(
            f"| {s['variant']} | " + " | ".join(cells)
            + f" | {s['output_std_x_sqrt_dim']:.2f} | {s['seconds']:.0f} |"
        )  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="full", choices=("smoke", "demo", "full"))
    parser.add_argument("--data", default=None, choices=("synthetic", "real"))
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    parser.add_argument("--epochs", type=int, default=None, help="default: the profile's")
    parser.add_argument("--parallel", type=int, default=1, help="variants at a time")
    parser.add_argument("--device", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="build/simsiam_sweep")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a worker process
    args = parser.parse_args(argv)
    args.data = args.data or get_profile(args.profile).default_data
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.one:
        run_one(args.one, args)
        return 0
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    forwarded = [a for a in (argv if argv is not None else sys.argv[1:])]
    pending, running, failed = list(names), {}, []
    while pending or running:
        while pending and len(running) < args.parallel:
            name = pending.pop(0)
            cmd = [sys.executable, __file__, *forwarded, "--one", name]
            running[name] = subprocess.Popen(cmd)
            print(f"started {name}", flush=True)
        for name, proc in list(running.items()):
            if proc.poll() is not None:
                del running[name]
                print(f"finished {name} (exit {proc.returncode})", flush=True)
                if proc.returncode:
                    failed.append(name)
        time.sleep(1)
    summaries = [
        json.loads((Path(args.out) / f"{n}.json").read_text()) for n in names if n not in failed
    ]
    print(table(summaries))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
