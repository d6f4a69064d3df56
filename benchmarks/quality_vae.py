"""Quality, not speed: Problem 1's models on real binarized MNIST, with the notebook's settings.

    WORKBOOK_DATA_DIR=<data> WORKBOOK_FIGURES_DIR=figures/full \\
        .venv/bin/python benchmarks/quality_vae.py [MODEL ...]

MODEL is any of course_mlp, course_mlp_mc_kl, course_mlp_latent2, course_mlp_latent20, conv
(default: the four MLP models; the ConvVAE wants a GPU). Each is trained exactly as
``notebooks/01_vae.ipynb`` trains it in the ``full`` profile (same budget, seed and checkpoint
folder), so the notebook afterwards loads these checkpoints instead of training again, and the
reverse. Prints and records in ``<figures>/01_vae/metrics.json`` the final validation ELBO, the
test ELBO and the test log p(x) with K = 200 importance samples on all 10000 test images. The
record is merged: the models it ran are added or updated, the others (the MLP models when it
runs ``conv``) kept, each with its provenance (``metrics["provenance"]``: this script, device,
torch, seed, time).
"""

from __future__ import annotations

import sys

import torch

from helpers.data import to_float
from helpers.notebook import workbook
from helpers.vae import (
    evaluate_elbo,
    fit_problem1,
    importance_sampled_log_likelihood,
    problem1_runs,
)


def main(names: list[str]) -> None:
    wb = workbook.start("01_vae", profile="full", data="real")
    wb.source = " ".join(["benchmarks/quality_vae.py", *names])
    b = wb.profile.vae
    print(wb)
    unknown = set(names) - set(problem1_runs(b))
    if unknown:
        raise SystemExit(
            f"unknown model(s) {sorted(unknown)}; choose from {list(problem1_runs(b))}"
        )
    x_train, _ = wb.load("binarized_mnist", "train")
    x_valid, _ = wb.load("binarized_mnist", "valid")
    x_test, _ = wb.load("binarized_mnist", "test")
    x_eval = to_float(x_test, binary=True).to(wb.device)
    for name in names:
        model, result, _ = fit_problem1(
            name, b, x_train, x_valid, device=wb.device, seed=wb.seed,
            checkpoint_dir=str(wb.checkpoint_dir),
        )  # fmt: skip
        torch.manual_seed(wb.seed)
        log_px = importance_sampled_log_likelihood(
            model, x_eval, b.importance_samples, progress=True
        )
        log_px = log_px.mean().item()
        chunks = [(x_eval[i : i + 1000], None) for i in range(0, x_eval.shape[0], 1000)]
        entry = {
            "valid_elbo": result.history.last("valid_elbo"),
            "test_elbo": evaluate_elbo(model, chunks)["elbo"],
            "test_log_likelihood": log_px,
            "epochs": int(result.history.last("epoch")),
            "train_seconds": round(result.seconds, 1),
            "is_samples": b.importance_samples,
            "test_images": x_eval.shape[0],
        }
        wb.record(name, entry)
        print(name, entry, flush=True)


if __name__ == "__main__":
    main(
        sys.argv[1:]
        or ["course_mlp", "course_mlp_mc_kl", "course_mlp_latent2", "course_mlp_latent20"]
    )
