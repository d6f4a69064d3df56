"""Not speed: Problem 3's four runs in one profile on several seeds, against the two baselines.

    .venv/bin/python benchmarks/simsiam_seeds.py                      # demo profile, seeds 0 1 2
    .venv/bin/python benchmarks/simsiam_seeds.py --seeds 0 --out build/try   # one seed, elsewhere

For each seed (the stand-in's draw, the network's initialisation, the batches and the
augmentations; seed 0 is what ``python -m helpers run 03_simsiam`` trains) it measures the kNN
accuracy (k = the budget's, on the test split) of raw pixels and of the untrained network's
backbone, then trains runs (a)-(d) with the profile's recipe and records each run's backbone kNN
accuracy, output std x sqrt(d) of the normalised projector output (collapsed: <= 0.15, Chen &
He 2021, Fig. 2) and training time. It checks the demo's targets on every seed and writes
``<out>.md`` and ``<out>.json`` (default ``benchmarks/simsiam_seeds``), a seed that misses one
saying which. ``--data real`` runs the same on the real CIFAR-10 (``WORKBOOK_DATA_DIR``);
``--epochs``, ``--lr``, ``--crop-min``, ``--runs`` and ``--train-images`` override the profile's
budget for trials.

Result (demo profile, tiled-shapes stand-in, 2-core CPU; ``benchmarks/simsiam_seeds.md``): seed
0: raw 35.0%, (a) 59.6% (0.99), (b) 20.5% (0.11), (c) 19.4% (0.07), (d) 18.8% (0.39); seed 1:
raw 37.0%, (a) 54.6% (0.98), (b) 16.2% (0.05), (c) 20.6% (0.00), (d) 19.6% (0.36); seed 2: raw
35.1%, (a) 57.0% (0.98), (b) 19.6% (0.01), (c) 18.2% (0.00), (d) 18.1% (0.29). Not every target
met: see the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from helpers import data, simsiam
from helpers.notebook import seed_everything
from helpers.profiles import get_profile

TARGETS = {
    "over_raw": 10.0,  # (a) at least this many points above raw pixels
    "over_collapsed": 15.0,  # (a) at least this many points above (b) and (c)
    "collapsed": 0.15,  # (b) and (c): std x sqrt(d) at most this
    "not_collapsed": 0.3,  # (d): std x sqrt(d) at least this
}
LETTERS = {"stop_gradient": "a", "no_stop_gradient": "b", "no_pred_mlp": "c",
           "fixed_random_init": "d"}  # fmt: skip


def misses(row: dict[str, Any]) -> list[str]:
    """The targets one seed's row misses, in words (empty: all met; runs not trained are
    skipped). ``row``: ``raw``, ``untrained`` and per run ``{"knn", "std"}``."""
    runs, out = row["runs"], []
    if "stop_gradient" not in runs:
        return out
    a = runs["stop_gradient"]["knn"]
    if a < row["raw"] + TARGETS["over_raw"]:
        out.append(f"(a) {a - row['raw']:+.1f} points over raw pixels (target +10)")
    for name in ("no_stop_gradient", "no_pred_mlp"):
        if name in runs:
            m, letter = runs[name], LETTERS[name]
            if a < m["knn"] + TARGETS["over_collapsed"]:
                out.append(f"(a) {a - m['knn']:+.1f} points over ({letter}) (target +15)")
            if m["std"] > TARGETS["collapsed"]:
                out.append(f"({letter}) std x sqrt(d) {m['std']:.2f} > 0.15: not collapsed")
    if "fixed_random_init" in runs and runs["fixed_random_init"]["std"] < TARGETS["not_collapsed"]:
        out.append(
            f"(d) std x sqrt(d) {runs['fixed_random_init']['std']:.2f} < 0.3: under "
            "the target (not collapsed by the 0.15 criterion)"
        )
    return out


def real_subsets(
    splits: list[tuple[torch.Tensor, torch.Tensor]], sizes: list[int | None]
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """At most ``sizes[i]`` images of each real split ``(x, y)``: all of them, in their order,
    where the split holds no more (the 4000-image subset), else a random subset, the same for
    every seed (the full CIFAR-10's train split is ordered by class): a generator seeded 0 draws
    a permutation of each split in turn (train, then test) and its first ``n`` are kept."""
    g, out = np.random.default_rng(0), []
    for (x, y), n in zip(splits, sizes, strict=True):
        perm = g.permutation(len(x))
        if n is not None and len(x) > n:
            pick = torch.as_tensor(perm[:n])
            x, y = x[pick], y[pick]
        out.append((x, y))
    return out


def machine() -> str:
    """This process's set-up, recorded with each seed's row (merged rows keep their own)."""
    return f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def one_seed(args: argparse.Namespace, budget, recipe, seed: int) -> dict[str, Any]:
    """Baselines and the runs of one seed: ``{"seed", "raw", "untrained", "runs", ...}``."""
    seed_everything(seed)
    began = time.time()
    splits = [
        data.load(
            "cifar10",
            split,
            source=args.data,
            n=n,
            seed=seed,
            profile=args.profile,
            standin=budget.standin,
        )
        for split, n in (("train", budget.train_images), ("test", budget.test_images))
    ]
    (x, y), (xt, yt) = splits
    if args.data == "real":  # the real split is whole: keep the budget's sizes
        (x, y), (xt, yt) = real_subsets(
            [(x, y), (xt, yt)], [budget.train_images, budget.test_images]
        )
    row: dict[str, Any] = {"seed": seed, "train_images": len(x), "test_images": len(xt)}
    row["machine"] = machine()
    row["raw"] = round(simsiam.pixel_knn_accuracy(x, y, xt, yt, k=budget.knn_k), 2)
    row["untrained"] = round(simsiam.untrained_knn_accuracy(budget, x, y, xt, yt, seed=seed), 2)
    print(f"seed {seed}: raw pixels {row['raw']:.1f}%, untrained network {row['untrained']:.1f}%")
    row["runs"] = {}
    for name in args.runs:
        model = simsiam.make_run(name, budget, seed=seed)
        result = simsiam.train_run(
            name, model, recipe, x, y, xt, yt, epochs=budget.epochs, knn_k=budget.knn_k,
            seed=seed, progress=False,
        )  # fmt: skip
        s = simsiam.run_summary(result, budget.dim)
        _, knn = result.history.series("knn_accuracy", x="epoch")
        _, std = result.history.series("output_std", x="epoch")
        row["runs"][name] = {
            "knn": s["final_knn_accuracy"], "std": s["output_std_x_sqrt_dim"],
            "loss": s["final_loss"], "seconds": s["train_seconds"],
            "knn_per_epoch": [round(v, 1) for v in knn],
            "std_per_epoch": [round(v * math.sqrt(budget.dim), 3) for v in std],
        }  # fmt: skip
        print(f"  ({LETTERS[name]}) {name}: kNN {s['final_knn_accuracy']:.1f}%, std x sqrt(d) "
              f"{s['output_std_x_sqrt_dim']:.2f}, {s['train_seconds']:.0f} s; kNN per epoch "
              f"{' '.join(f'{v:.0f}' for v in knn)}")  # fmt: skip
    row["seconds"] = round(time.time() - began, 1)
    row["misses"] = misses(row)
    print(f"  {'targets met' if not row['misses'] else 'MISSED: ' + '; '.join(row['misses'])}")
    return row


def table(rows: list[dict[str, Any]], runs: list[str]) -> str:
    """The markdown table: one line per seed, every seed shown."""
    head = ["seed", "raw pixels", "untrained net"]
    head += [f"({LETTERS[n]}) kNN, std x sqrt(d)" for n in runs]
    head += [f"s ({len(runs)} run{'s' if len(runs) > 1 else ''})", "targets"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r["seed"]), f"{r['raw']:.1f}%", f"{r['untrained']:.1f}%"]
        cells += [f"{r['runs'][n]['knn']:.1f}%, {r['runs'][n]['std']:.2f}" for n in runs]
        cells.append(f"{sum(m['seconds'] for m in r['runs'].values()):.0f}")
        cells.append("met" if not r["misses"] else "missed: " + "; ".join(r["misses"]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machines(record: dict[str, Any]) -> str:
    """Which seeds ran on which set-up: ``seed 0: x86_64, 2 threads, ...; seeds 1, 2: ...``."""
    by: dict[str, list[str]] = {}
    for row in record["seeds"]:
        by.setdefault(row.get("machine", record["machine"]), []).append(str(row["seed"]))
    if len(by) == 1:
        return next(iter(by))
    return "; ".join(f"seed{'s' if len(v) > 1 else ''} {', '.join(v)}: {m}" for m, v in by.items())


def markdown(record: dict[str, Any]) -> str:
    """The ``.md`` of a record (what ``.json`` holds): settings, command, the table."""
    rows, b = record["seeds"], record["budget"]
    seeds = ", ".join(str(r["seed"]) for r in rows)
    data = record["data"] + (f" ({record['standin']})" if record["data"] == "synthetic" else "")
    runs = [n for n in LETTERS if n in rows[0]["runs"]]
    return (
        f"# Problem 3, seed{'s' if len(rows) > 1 else ''} {seeds}: {record['profile']} profile, "
        f"{data} data\n\n"
        f"Command: `{record['command']}` ({machines(record)}). {b['epochs']} epochs, batch "
        f"{record['recipe']['batch_size']}, base lr {record['recipe']['base_lr']}, crops "
        f"{record['recipe']['crop_scale'][0]:.0%}-{record['recipe']['crop_scale'][1]:.0%}, "
        f"{rows[0]['train_images']} train images. kNN accuracy (k = {b['knn_k']}) of the backbone "
        f"features on {rows[0]['test_images']} test images; std x sqrt(d) of the l2-normalised "
        "projector output (collapsed: <= 0.15, Chen & He 2021, Fig. 2). Targets: (a) >= raw "
        "pixels + 10 and >= (b), (c) + 15; (b), (c) collapsed; (d) >= 0.3. Times are of the "
        "machine as it was shared at the time.\n\n" + table(rows, runs) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--data", default="synthetic", choices=["synthetic", "real"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", nargs="+", default=list(simsiam.RUNS),
                        choices=list(simsiam.RUNS))  # fmt: skip
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--lr", type=float, help="base lr (lr = base x batch / 256)")
    parser.add_argument("--batch", type=int)
    parser.add_argument("--crop-min", type=float, help="smallest crop, fraction of the image")
    parser.add_argument("--train-images", type=int)
    parser.add_argument("--standin")
    parser.add_argument("--out", default="benchmarks/simsiam_seeds")
    parser.add_argument("--merge", nargs="+", default=[],
                        help="earlier .json outputs of the same settings: their seeds join the "
                             "table (the command lists every seed)")  # fmt: skip
    parser.add_argument("--render", help="only rewrite <out>.md from this .json")
    args = parser.parse_args()
    if args.render:
        record = json.loads(Path(args.render).read_text())
        Path(args.out).with_suffix(".md").write_text(markdown(record))
        return
    torch.set_num_threads(torch.get_num_threads())
    profile = get_profile(args.profile)
    budget = profile.simsiam
    changes = {k: v for k, v in (("epochs", args.epochs), ("train_images", args.train_images),
                                 ("standin", args.standin)) if v is not None}  # fmt: skip
    budget = dataclasses.replace(budget, **changes)
    rchanges = {k: v for k, v in (("base_lr", args.lr), ("batch_size", args.batch)) if v}
    if args.crop_min is not None:
        rchanges["crop_scale"] = (args.crop_min, 1.0)
    budget = dataclasses.replace(budget, **rchanges)
    recipe = budget.recipe("course")
    print(f"{args.profile} profile, {args.data} data, {budget}\nrecipe {recipe}")
    rows = []
    for path in args.merge:
        earlier = json.loads(Path(path).read_text())
        if (earlier["budget"], earlier["recipe"]) != (
            json.loads(json.dumps(dataclasses.asdict(budget))),
            json.loads(json.dumps(dataclasses.asdict(recipe))),
        ):
            raise SystemExit(f"{path} was measured with other settings: not merged")
        for row in earlier["seeds"]:  # each row keeps the set-up it was measured on
            row.setdefault("machine", earlier["machine"])
            row["misses"] = misses(row)  # by this script's targets
        rows += earlier["seeds"]
    rows += [one_seed(args, budget, recipe, seed) for seed in args.seeds]
    rows.sort(key=lambda r: r["seed"])
    args.seeds = [r["seed"] for r in rows]
    record = {
        "command": "python benchmarks/simsiam_seeds.py " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items()
            if k not in ("out", "merge", "render") and v is not None and v != parser.get_default(k)
        ).rstrip(),
        "machine": machine(),
        "profile": args.profile, "data": args.data, "standin": budget.standin,
        "budget": dataclasses.asdict(budget), "recipe": dataclasses.asdict(recipe),
        "targets": TARGETS, "seeds": rows,
        "all_met": all(not r["misses"] for r in rows),
    }  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    text = markdown(record)
    out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
