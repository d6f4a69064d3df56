""":class:`AERuns` trains the autoencoder and the VAEs on one split and keeps them by name;
:func:`mnist_scorer` gives the Frechet scorer that compares their samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .. import vae
from ..common import frechet
from ..data.batches import to_float
from ..notebook.workbook import seed_everything
from ..profiles import AEBudget
from ..train.loop import TrainResult

__all__ = [
    "AERuns",
    "mnist_scorer",
]


def mnist_scorer(
    images: Tensor,
    labels: Tensor,
    test_images: Tensor,
    budget: AEBudget,
    *,
    device: torch.device | str,
    checkpoint_dir: str,
    force: bool = False,
) -> tuple[frechet.FrechetScorer, float]:
    """:func:`helpers.common.build_scorer` with the budget's classifier (``classifier_mnist``):
    trained on ``images`` (N, 1, 28, 28) uint8 and ``labels`` (N,), scored against the first
    ``budget.fd_samples`` of ``test_images``. Returns ``(scorer, floor)``."""
    return frechet.build_scorer(
        images,
        labels,
        test_images[: budget.fd_samples],
        epochs=budget.classifier_epochs,
        width=budget.classifier_width,
        device=device,
        checkpoint_dir=checkpoint_dir,
        name="classifier_mnist",
        force=force,
    )


@dataclass
class AERuns:
    """The autoencoder and VAEs of one notebook run, trained on ``x_train`` (N, 1, 28, 28)
    uint8 and validated on ``x_valid``; ``models`` and ``results`` keep them by name."""

    budget: AEBudget
    x_train: Tensor
    x_valid: Tensor
    device: torch.device | str = "cpu"
    seed: int = 0
    checkpoint_dir: str | None = None
    force: bool = False
    models: dict[str, nn.Module] = field(default_factory=dict)
    results: dict[str, TrainResult] = field(default_factory=dict)

    def make(self, kind: str) -> nn.Module:
        """A fresh, seeded model: ``"ae"`` (:class:`~helpers.vae.MLPAutoencoder`) or ``"vae"``
        (:class:`~helpers.vae.CourseVAE`), of the budget's latent size and width."""
        seed_everything(self.seed)
        cls = vae.MLPAutoencoder if kind == "ae" else vae.CourseVAE
        return cls(self.budget.latent_dim, self.budget.hidden)

    def fit(self, name: str, model: nn.Module, beta: float = 1.0) -> nn.Module:
        """Train ``model`` as run ``name`` with weight ``beta`` on the KL (resumes from its
        checkpoint), keep it and its result, and return it."""
        seed_everything(self.seed)
        result, _ = vae.train_vae(
            name,
            model,
            self.x_train,
            self.x_valid,
            epochs=self.budget.epochs,
            batch_size=self.budget.batch_size,
            lr=self.budget.lr,
            beta=beta,
            binary=False,
            device=self.device,
            seed=self.seed,
            checkpoint_dir=self.checkpoint_dir,
            force=self.force,
        )
        self.models[name], self.results[name] = model, result
        return model

    def prior_fd(self, model: nn.Module, scorer: frechet.FrechetScorer) -> float:
        """Frechet distance of ``budget.fd_samples`` decoder means of z ~ N(0, I) (drawn from
        torch's global generator) to ``scorer``'s reference."""

        def draw(n: int) -> Tensor:
            return vae.prior_samples(model, n, device=self.device)[0] * 2 - 1

        return scorer.of_generator(draw, self.budget.fd_samples)

    def sweep(
        self, betas: Sequence[float], scorer: frechet.FrechetScorer
    ) -> dict[float, dict[str, float]]:
        """One VAE per beta (``vae_sweep_beta_<beta>``), each scored on the validation split:
        ``{beta: {"fd": FD of prior samples, "recon": reconstruction error}}``."""
        x_valid = to_float(self.x_valid, "unit").to(self.device)
        out = {}
        for beta in betas:
            model = self.fit(f"vae_sweep_beta_{beta:g}", self.make("vae"), beta=beta)
            out[beta] = {
                "fd": self.prior_fd(model, scorer),
                "recon": vae.reconstruction_error(model, x_valid),
            }
        return out

    def test_entry(
        self, name: str, x_test: Tensor, scorer: frechet.FrechetScorer
    ) -> dict[str, float]:
        """The metrics.json entry of run ``name`` on ``x_test`` (N, 1, 28, 28) in [0, 1]:
        reconstruction error, FD of prior samples, training time, and for VAEs the KL and the
        (Bernoulli) ELBO."""
        model = self.models[name]
        entry = {
            "reconstruction_error": vae.reconstruction_error(model, x_test),
            "frechet_distance": self.prior_fd(model, scorer),
            "train_seconds": round(self.results[name].seconds, 1),
        }
        if name != "autoencoder":
            torch.manual_seed(self.seed)
            batches = [(x_test[i : i + 1000], None) for i in range(0, len(x_test), 1000)]
            terms = vae.evaluate_elbo(model, batches)
            entry.update(kl=terms["kl"], test_elbo=terms["elbo"])
        return entry
