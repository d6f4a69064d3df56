"""Variational autoencoders: the course's five functions, models, the ELBO, and log p(x).

``from helpers import vae`` gives every name; each lives in the module that holds its one job:

- :mod:`helpers.vae.course`: the course's functions with the course's names, arguments and
  conventions (inputs ``(batch, ...)``, flattened per example, each returning ``(batch,)``):
  :func:`reparameterize`, :func:`log_likelihood_bernoulli`, :func:`log_likelihood_normal`,
  :func:`kl_gaussian_gaussian_analytic`, :func:`kl_gaussian_gaussian_mc`, :func:`log_mean_exp`.
- :mod:`helpers.vae.models`: the models (:class:`CourseVAE`, :class:`ConvVAE`,
  :class:`MLPAutoencoder`) and what a trained one shows (decoder means, prior samples,
  reconstructions, the latent manifold).
- :mod:`helpers.vae.objectives`: the ELBO's terms and loss, the validation ELBO, the estimates
  of log p(x) and active units.
- :mod:`helpers.vae.training`: :func:`train_vae` and Problem 1's runs.

Models share one interface, which :func:`importance_sampled_log_likelihood`, the training loop
and the notebooks rely on:

- ``encode(x) -> (mu, logvar)``: x is (B, 1, 28, 28) in [0, 1]; mu, logvar are (B, L);
- ``decode(z) -> logits``: z is (B, L); logits of Bernoulli means, (B, 1, 28, 28).

The trainer looks its collaborators up in :mod:`helpers.vae.training` (``evaluate_elbo``,
``choose_precision``, ``optimizer_options``): replace them there to change what it calls.

Per-problem modules: ``from helpers.vae import check, figures, findings``.
"""

from __future__ import annotations

from .course import (
    LOG_2PI,
    Functions,
    course_function,
    kl_gaussian_gaussian_analytic,
    kl_gaussian_gaussian_mc,
    log_likelihood_bernoulli,
    log_likelihood_normal,
    log_mean_exp,
    not_the_reference,
    reparameterize,
)
from .models import (
    ConvVAE,
    CourseVAE,
    MLPAutoencoder,
    decoder_means,
    latent_manifold,
    prior_samples,
    reconstruct,
    reconstruction_error,
    soft_clamp,
)
from .objectives import (
    KL,
    active_units,
    elbo_terms,
    evaluate_elbo,
    importance_sampled_log_likelihood,
    naive_log_likelihood,
    vae_loss,
)
from .training import (
    fit_problem1,
    problem1_runs,
    train_vae,
    warmup_cosine,
)

__all__ = [
    "KL",
    "LOG_2PI",
    "ConvVAE",
    "CourseVAE",
    "Functions",
    "MLPAutoencoder",
    "active_units",
    "course_function",
    "decoder_means",
    "elbo_terms",
    "evaluate_elbo",
    "fit_problem1",
    "importance_sampled_log_likelihood",
    "kl_gaussian_gaussian_analytic",
    "kl_gaussian_gaussian_mc",
    "latent_manifold",
    "log_likelihood_bernoulli",
    "log_likelihood_normal",
    "log_mean_exp",
    "naive_log_likelihood",
    "not_the_reference",
    "prior_samples",
    "problem1_runs",
    "reconstruct",
    "reconstruction_error",
    "reparameterize",
    "soft_clamp",
    "train_vae",
    "vae_loss",
    "warmup_cosine",
]
