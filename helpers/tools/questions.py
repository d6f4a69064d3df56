"""The assignment's questions, per notebook: which figures, tables and findings answer each
(:data:`QUESTIONS`, read by :mod:`helpers.tools.report`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "QUESTIONS",
    "Question",
    "Table",
]


@dataclass(frozen=True)
class Table:
    """Numbers of one question: one row per metrics entry, one column per field.

    ``rows`` are keys of metrics.json (a trailing ``*`` matches a prefix; ``"a.*"`` the entries
    of the dict ``a``). With ``columns``, each row is a dict and the table shows those fields;
    without, each row is a single value. ``notes`` are fields said once under the table when
    every row has the same value (e.g. the number of importance samples). ``headers`` gives a
    column other words than its usual label (field -> header)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Question:
    """One question of the assignment: its title, figures, tables and finding keys."""

    title: str
    figures: tuple[str, ...] = ()  # figure names (PNG/PDF stems); a trailing * matches a prefix
    tables: tuple[Table, ...] = ()
    findings: tuple[str, ...] = ()  # keys of metrics.json's "findings"


_MLP = ("course_mlp", "course_mlp_mc_kl", "conv", "course_mlp_latent2", "course_mlp_latent20")
_SIMSIAM = ("stop_gradient", "no_stop_gradient", "no_pred_mlp", "fixed_random_init",
            "stop_gradient_workbook")  # fmt: skip
_FD = ("frechet_distance_init", "frechet_distance", "frechet_distance_real", "iterations")


QUESTIONS: dict[str, tuple[str, tuple[Question, ...]]] = {
    "00_datasets": ("The datasets", (
        Question("What the data look like", ("preview_*", "classes_*", "classes_cifar10_*"), (
            Table(("binarized_mnist", "mnist", "svhn", "cifar10"),
                  ("source", "train_images", "test_images", "pixel_mean")),)),
    )),
    "01_vae": ("Problem 1: a VAE on binarized MNIST", (
        Question("The data", ("data",)),
        Question("1.1 Validation ELBO: analytic vs Monte-Carlo KL, and the target",
                 ("elbo_analytic_vs_mc",),
                 (Table(("course_mlp", "course_mlp_mc_kl", "conv"), ("valid_elbo", "epochs")),),
                 ("kl_estimators", "elbo_target", "full_profile_record")),
        Question("1.2 The test log-likelihood log p(x) by importance sampling",
                 ("log_likelihood_estimators",),
                 (Table(_MLP, ("test_elbo", "test_log_likelihood"), ("is_samples", "test_images")),
                  Table(("log_likelihood_estimators",), ("prior", "importance"), ("K",))),
                 ("elbo_gap", "estimator_comparison")),
        Question("1.3 Samples, reconstructions and samples over training",
                 ("samples", "reconstructions", "samples_over_training")),
        Question("1.4 Latent sizes 2 and 20; the 2-d manifold", ("latent_sizes", "latent_manifold"),
                 (Table(("course_mlp_latent2", "course_mlp_latent20", "course_mlp"),
                        ("valid_elbo", "epochs")),
                  Table(("active_units_*",))),
                 ("latent_sizes",)),
        Question("1.5 Interpolation between two test images", ("interpolation",)),
    )),
    "02_gans": ("Problem 2: GANs", (
        Question("2.1 A vanilla GAN on MNIST", ("generator_losses", "vanilla_samples_over_training",
                 "vanilla_discriminator", "vanilla_interpolation"),
                 (Table(("vanilla_gan",), _FD),
                  Table(("vanilla_discriminator",), ("d_real", "d_fake"))),
                 ("vanilla_discriminator",)),
        Question("2.2 WGAN-LP on SVHN: training and samples", ("wgan_curves",
                 "wgan_samples_over_training", "wgan_samples_final"), (Table(("wgan_lp",), _FD),),
                 ("curve_shape", "gan_samples")),
        Question("2.3 Disentanglement: moving one latent coordinate", ("latent_perturbations",),
                 (Table(("latent_perturbations",),
                        ("label_change", "colour_change", "both", "confidence")),),
                 ("entanglement",)),
        Question("2.4 Interpolating in latent space vs in data space",
                 ("interpolation_latent_vs_data",),
                 (Table(("interpolation_midpoint_confidence",), ("latent", "data")),),
                 ("midpoint_confidence",)),
        Question("2.5 VAE or GAN?", findings=("vae_vs_gan",)),
    )),
    "03_simsiam": ("Problem 3: SimSiam on CIFAR-10", (
        Question("3.1 Two augmented views; the baselines: raw pixels, the untrained network",
                 ("views",),
                 (Table(("raw_pixel_knn_accuracy", "untrained_network_knn_accuracy")),)),
        Question("3.2 Collapse: loss and output std of the four runs", ("loss", "output_std"),
                 (Table(_SIMSIAM, ("final_loss", "output_std_x_sqrt_dim"), ("epochs", "dim")),),
                 ("simsiam_collapse",)),
        Question("3.3 Features: kNN accuracy", ("knn_accuracy",),
                 (Table(_SIMSIAM, ("first_epoch_knn_accuracy", "final_knn_accuracy",
                                  "final_knn_accuracy_z"), ("epochs",)),),
                 ("simsiam_features",)),
        Question("3.4 Linear evaluation", (),
                 (Table(("linear_evaluation.*",),
                        ("linear_train_accuracy", "linear_test_accuracy")),)),
    )),
    "04_autoencoders": ("Problem 4: autoencoder vs VAE", (
        Question("4.1 The autoencoder", ("autoencoder",),
                 (Table(("autoencoder",), ("reconstruction_error", "frechet_distance")),)),
        Question("4.2 beta = 0, beta = 10 and a tuned beta", ("beta_0_vs_10_curves", "beta_sweep",
                 "tuned_beta_curves", "reconstructions", "prior_samples"),
                 (Table(("autoencoder", "vae_beta_0", "vae_beta_10", "vae_beta_tuned"),
                        ("beta", "reconstruction_error", "kl", "test_elbo", "frechet_distance"),
                        headers=(("test_elbo", 'Bernoulli "ELBO" of grey levels (not a bound)'),)),
                  Table(("frechet_distance_real",))),
                 ("beta_effects",)),
        Question("4.3 AE vs VAE interpolation", ("interpolation_ae_vs_vae",),
                 (Table(("interpolation_midpoint_confidence",), ("AE", "VAE")),
                  Table(("interpolation_pairs_scored",))),
                 ("midpoint_confidence",)),
    )),
}  # fmt: skip
