"""One command that checks the whole workbook on a GPU machine: every benchmark, then every
notebook in the full profile, and one table of wall times, peak GPU memory and headline numbers.

    WORKBOOK_DATA_DIR=<data> python benchmarks/gpu_check.py            # on the GPU machine
    python benchmarks/gpu_check.py --profile smoke --device cpu --quick   # the harness, on a CPU
    python3 benchmarks/gpu_check.py --lease --out "$OUT" --budget-s 480   # the short check
                                                  # (benchmarks/gpu_lease.py; --lease --help)

Before it starts, it states what each notebook needs (Jupyter's execution stack, and for the
real data source the datasets on disk under ``WORKBOOK_DATA_DIR``: ``02_gans`` SVHN and
MNIST, ``04_autoencoders`` MNIST, ...) and refuses at once, naming what is missing; with
``--skip-missing`` it runs the notebooks it can and says which it skipped and why.

Each benchmark prints its ratio against the course-style baseline measured in the same process;
the notebooks run through ``python -m helpers run`` (so they checkpoint and resume: a second call
after a lease ran out goes on where the first stopped) and their ``metrics.json`` give the
headline numbers and the peak GPU memory. The table is printed and written to
``figures/<profile>/gpu_check.md``. ``benchmarks/README.md`` says how to carry the data and the
Jupyter wheels to a machine without internet. Budget: the whole check is meant to fit a
25-minute slot on one H100; that has not been measured yet (no GPU was lent to the sessions that
wrote it).
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()  # the lease's --budget-s counts from here

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: helpers/ is importable
    sys.path.insert(0, str(ROOT))
NOTEBOOKS = ("00_datasets", "01_vae", "02_gans", "03_simsiam", "04_autoencoders")
HEADLINES = {  # notebook -> metrics to show: (path in metrics.json, label)
    "01_vae": [("course_mlp.valid_elbo", "course MLP valid ELBO"),
               ("conv.valid_elbo", "ConvVAE valid ELBO"),
               ("conv.test_log_likelihood", "ConvVAE test log p(x)")],
    "02_gans": [("wgan_lp.frechet_distance", "WGAN-LP Frechet distance"),
                ("vanilla_gan.frechet_distance", "vanilla GAN Frechet distance")],
    "03_simsiam": [("stop_gradient.final_knn_accuracy", "(a) kNN, course recipe"),
                   ("stop_gradient_workbook.final_knn_accuracy", "(a) kNN, workbook recipe"),
                   ("no_stop_gradient.output_std_x_sqrt_dim", "(b) std x sqrt(d)")],
    "04_autoencoders": [("vae_beta_tuned.frechet_distance", "tuned VAE prior-sample FD")],
}  # fmt: skip
# What each notebook loads with the real data source (wb.load: no stand-in in its place;
# 00_datasets shows the others with load_available, which falls back to the stand-in).
DATASETS = {
    "00_datasets": {"cifar10": ("train",)},
    "01_vae": {"binarized_mnist": ("train", "valid", "test"), "mnist": ("train",)},
    "02_gans": {"svhn": ("train", "test"), "mnist": ("train", "test")},
    "03_simsiam": {"cifar10": ("train", "test")},
    "04_autoencoders": {"mnist": ("train", "test")},
}
NOTEBOOK_PACKAGES = ("nbclient", "nbformat", "ipykernel", "jupyter_client", "ipywidgets", "IPython")


def benchmarks(device: str, quick: bool) -> list[tuple[str, list[str]]]:
    """(script, arguments) of each benchmark: the issue's settings, or tiny ones (``quick``)."""
    if quick:
        return [
            ("bench_data.py", ["--n", "512", "--workers", "0"]),
            ("bench_vae.py", ["--steps", "20", "--images", "20"]),
            ("bench_graphs.py", ["--quick", "--cases", "course MLP VAE"]),
        ]
    return [
        ("bench_data.py", ["--workers", "4"]),
        ("bench_vae.py", ["--steps", "3000", "--images", "10000"]),
        ("bench_gan.py", ["--iterations", "200", "--workers", "4"]),
        ("bench_augment.py", ["--n", "50000", "--workers", "4"]),
        ("bench_graphs.py", []),
    ]


def run(cmd: list[str], env_extra: dict[str, str] | None = None) -> tuple[int, float, str]:
    """Run ``cmd``, echoing its output; return (exit status, seconds, output)."""
    import os

    began = time.time()
    proc = subprocess.run(
        cmd, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, **(env_extra or {})},
    )  # fmt: skip
    print(proc.stdout, flush=True)
    return proc.returncode, time.time() - began, proc.stdout


def ratios(output: str) -> str:
    """The ``N.NNx`` ratios a benchmark printed, joined."""
    return ", ".join(re.findall(r"\d+(?:\.\d+)?x", output)) or "-"


def lookup(metrics: dict, path: str) -> object:
    value: object = metrics
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def on_disk(name: str, split: str, root: Path) -> bool:
    """Whether ``split`` of dataset ``name`` is in the data folder ``root``: in its cache file
    or as the original files (the GPU machine has no network to download them)."""
    import numpy as np

    from helpers.data import LAYOUTS

    cache = root / f"{name}.npz"
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as npz:
                if f"x_{split}" in npz.files:
                    return True
        except Exception:  # a damaged cache: the notebook would say so; count it missing
            return False
    return all(f.exists() for f in LAYOUTS[name].files(root, split))


def missing_needs(names: list[str], profile: str, data: str | None) -> dict[str, list[str]]:
    """For each notebook of ``names``, what it needs and this machine lacks, in words."""
    from helpers.data import data_dir
    from helpers.profiles import get_profile, resolve_data_source

    source = resolve_data_source(data, get_profile(profile))
    root = data_dir()
    packages = [p for p in NOTEBOOK_PACKAGES if importlib.util.find_spec(p) is None]
    out: dict[str, list[str]] = {}
    for name in names:
        lacks = [f"package {p}" for p in packages]
        if source == "real":
            for dataset, splits in DATASETS.get(name, {}).items():
                absent = [s for s in splits if not on_disk(dataset, s, root)]
                if absent:
                    lacks.append(f"{dataset} ({', '.join(absent)}) in {root}")
        if lacks:
            out[name] = lacks
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--lease" in argv:  # the short check: benchmarks/gpu_lease.py
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import gpu_lease

        return gpu_lease.main([a for a in argv if a != "--lease"], started=_STARTED)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="full")
    parser.add_argument("--data", default=None)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny benchmark settings")
    parser.add_argument("--notebooks", default=",".join(NOTEBOOKS))
    parser.add_argument("--skip-benchmarks", action="store_true")
    parser.add_argument("--figures-dir", type=Path, default=None)
    parser.add_argument(
        "--skip-missing",
        action="store_true",
        help="run the notebooks whose needs are met; skip the others",
    )
    args = parser.parse_args(argv)
    py = sys.executable
    rows = ["| piece | wall s | status | result |", "|---|---|---|---|"]
    names = [n for n in args.notebooks.split(",") if n]
    missing = missing_needs(names, args.profile, args.data)
    for name, lacks in missing.items():
        print(f"{name} needs what is missing here: {'; '.join(lacks)}", flush=True)
    if missing and not args.skip_missing:
        print("nothing was run. Provide what is missing (benchmarks/README.md, 'The full GPU "
              "check'), run with --data synthetic, leave those notebooks out (--notebooks), "
              "or pass --skip-missing to run the others.", file=sys.stderr)  # fmt: skip
        return 2
    skipped = [n for n in names if n in missing]
    names = [n for n in names if n not in missing]
    if not args.skip_benchmarks:
        for script, extra in benchmarks(args.device, args.quick):
            code, seconds, out = run([py, f"benchmarks/{script}", "--device", args.device, *extra])
            rows.append(f"| {script} | {seconds:.0f} | {'ok' if code == 0 else 'FAILED'} | "
                        f"{ratios(out)} |")  # fmt: skip
    from helpers.profiles import output_folder

    root = args.figures_dir or ROOT / "figures" / output_folder(args.profile, args.data)
    if names:
        cmd = [py, "-m", "helpers", "run", *names, "--profile", args.profile,
               "--figures-dir", str(root), "--no-progress"]  # fmt: skip
        if args.data:
            cmd += ["--data", args.data]
        code, seconds, _ = run(cmd, {"WORKBOOK_DEVICE": args.device})
        rows.append(f"| notebooks ({len(names)}) | {seconds:.0f} | "
                    f"{'ok' if code == 0 else 'FAILED'} | see below |")  # fmt: skip
    for name in skipped:
        rows.append(f"| {name} | - | skipped | needs {'; '.join(missing[name])} |")
    for name in names:
        path = root / name / "metrics.json"
        if not path.exists():
            rows.append(f"| {name} | - | no metrics.json | |")
            continue
        metrics = json.loads(path.read_text())
        shown = []
        for key, label in HEADLINES.get(name, []):
            value = lookup(metrics, key)
            if isinstance(value, float):
                shown.append(f"{label} {value:.2f}")
        memory = metrics.get("peak_gpu_memory_gb")
        shown.append(f"peak GPU memory {memory:.1f} GB" if memory is not None else "no GPU")
        rows.append(f"| {name} | {metrics.get('seconds', 0):.0f} | {metrics.get('device')} | "
                    f"{'; '.join(shown)} |")  # fmt: skip
    table = "\n".join(rows)
    print(table)
    root.mkdir(parents=True, exist_ok=True)
    (root / "gpu_check.md").write_text(table + "\n")
    return 0 if "FAILED" not in table else 1


if __name__ == "__main__":
    sys.exit(main())
