"""VAE speed: the workbook's training loop and log-likelihood estimator against course-style code.

    .venv/bin/python benchmarks/bench_vae.py [--device cuda] [--steps 300]

1. Training steps per second of the course MLP VAE (L = 100, batch 64, Adam 3e-4, analytic KL):
   a course-style loop (a DataLoader over a float numpy array of the images, batch 64, the
   ELBO from the course's functions) against :func:`helpers.vae.train_vae` (uint8 images on the
   device, index batches).
2. log p(x) with K = 200 importance samples: a per-example loop (one image at a time, K samples
   per call) against :func:`helpers.vae.importance_sampled_log_likelihood` (vectorised, chunked).

Same model, seed and machine, in this one process; binarized-digit stand-in data of binarized
MNIST's training size. Prints the rates and the ratios.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from helpers.data import synthetic, to_float
from helpers.notebook import pick_device
from helpers.vae import (
    CourseVAE,
    importance_sampled_log_likelihood,
    kl_gaussian_gaussian_analytic,
    log_likelihood_bernoulli,
    log_likelihood_normal,
    log_mean_exp,
    train_vae,
)


def course_training(images, steps, device) -> float:
    torch.manual_seed(0)
    model = CourseVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    data = images.float().numpy()  # the handout keeps the dataset as a float array
    loader = DataLoader(TensorDataset(torch.from_numpy(data)), batch_size=64, shuffle=True)
    done, began = 0, time.perf_counter()
    while done < steps:
        for (x,) in loader:
            x = x.to(device)
            mu, logvar = model.encode(x)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            recon = log_likelihood_bernoulli(torch.sigmoid(model.decode(z)), x)
            zeros = torch.zeros_like(mu)
            loss = -(recon - kl_gaussian_gaussian_analytic(mu, logvar, zeros, zeros)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - began)


def workbook_training(images, steps, device) -> float:
    torch.manual_seed(0)
    model = CourseVAE()
    epochs_needed = -(-steps // (images.shape[0] // 64))
    valid = images[:64]
    began = time.perf_counter()
    result, _ = train_vae("bench", model, images, valid, epochs=epochs_needed, device=device,
                          progress=False, snapshot_samples=1)  # fmt: skip
    if device.type == "cuda":
        torch.cuda.synchronize()
    return result.steps / (time.perf_counter() - began)


def course_log_likelihood(model, x, k) -> float:
    began = time.perf_counter()
    for i in range(x.shape[0]):  # one example at a time, as in the handout's loop
        xi = x[i : i + 1].expand(k, -1, -1, -1)
        mu, logvar = model.encode(xi)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        log_px_z = log_likelihood_bernoulli(torch.sigmoid(model.decode(z)), xi)
        log_pz = log_likelihood_normal(torch.zeros_like(z), torch.zeros_like(z), z)
        log_qz = log_likelihood_normal(mu, logvar, z)
        log_mean_exp((log_px_z + log_pz - log_qz)[None])
    return x.shape[0] / (time.perf_counter() - began)


def workbook_log_likelihood(model, x, k) -> float:
    began = time.perf_counter()
    importance_sampled_log_likelihood(model, x, k)
    if x.device.type == "cuda":
        torch.cuda.synchronize()
    return x.shape[0] / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--images", type=int, default=300, help="test images for log p(x)")
    args = parser.parse_args()
    device = pick_device(args.device)
    images, _ = synthetic.digits(50_000, 0, binarized=True)

    course = course_training(images, args.steps, device)
    ours = workbook_training(images[: args.steps * 64], args.steps, device)
    print(f"VAE training, course MLP, batch 64, device {device}:")
    print(f"  course-style loop (DataLoader over a numpy array): {course:8.1f} steps/s")
    print(f"  workbook train_vae (device-resident batches):      {ours:8.1f} steps/s")
    print(f"  ratio: {ours / course:.2f}x")

    torch.manual_seed(0)
    model = CourseVAE().to(device).eval()
    x = to_float(images[: args.images], binary=True).to(device)
    with torch.no_grad():
        slow = course_log_likelihood(model, x, 200)
        fast = workbook_log_likelihood(model, x, 200)
    print(f"log p(x), K = 200, {args.images} images:")
    print(f"  per-example loop:                 {slow:8.1f} images/s")
    print(f"  vectorised, chunked estimator:    {fast:8.1f} images/s")
    print(f"  ratio: {fast / slow:.2f}x")
    print(f"  10000 test images at this speed: {10_000 / fast:.0f} s")


if __name__ == "__main__":
    main()
