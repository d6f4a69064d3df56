"""The report's outline: per notebook, the handout's report questions it answers and what goes
beyond the handout, each with the figures, tables and findings that answer it
(:data:`QUESTIONS`, read by :mod:`helpers.tools.report`).

A :class:`Question` that answers the handout names it by key (``handout="P1.Q6"``, from
:mod:`helpers.tools.handout`) and takes its number and title from there; everything else is
numbered ``B<problem>.<n>`` under "Beyond the handout". Problem 4 and the datasets are wholly
beyond the handout (the datasets are the report's appendix).
"""

from __future__ import annotations

from dataclasses import dataclass

from .handout import PROBLEMS, HandoutQuestion
from .handout import QUESTIONS as HANDOUT_QUESTIONS

__all__ = ["IN_FINDINGS", "QUESTIONS", "RUNS", "Part", "Question", "Table", "handout_question"]


@dataclass(frozen=True)
class Table:
    """Numbers of one question: one row per metrics entry, one column per field.

    ``rows`` are keys of metrics.json (a trailing ``*`` matches a prefix; ``"a.*"`` the entries
    of the dict ``a``). With ``columns``, each row is a dict and the table shows those fields;
    without, each row is a single value. ``notes`` are fields said once under the table when
    every row has the same value (e.g. the number of importance samples). ``headers`` gives a
    column other words than its usual label (field -> header). An ``inline`` table is said as a
    sentence ("label: value; ..."), not drawn: for one or two numbers. With ``pairs`` (suffixes
    such as ``("_samples", "_real")``), the one dict that ``rows`` names becomes a row per
    measure and a column per suffix."""

    rows: tuple[str, ...]
    columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    inline: bool = False
    caption: str = ""
    pairs: tuple[str, ...] = ()  # one dict's keys ``<measure><suffix>``: a row per measure


@dataclass(frozen=True)
class Question:
    """One heading of the report: a handout question (``handout``) or an item beyond it
    (``number`` such as ``B1.2`` and ``title``).

    ``findings`` are keys of metrics.json's "findings"; ``key[(c)]`` keeps, of a finding
    written as a list, the items that start with ``(c)`` (and its other paragraphs that
    mention ``(c)``). ``cites`` names figures placed under another question that this one
    discusses. ``figures`` may name another notebook's figure as ``notebook/stem``."""

    title: str = ""
    figures: tuple[str, ...] = ()  # figure names (PNG/PDF stems); a trailing * matches a prefix
    tables: tuple[Table, ...] = ()
    findings: tuple[str, ...] = ()
    handout: str = ""  # a HandoutQuestion's key, "P1.Q6"
    number: str = ""  # beyond the handout: "B1.1"
    cites: tuple[str, ...] = ()
    # figures of the idea (a theoretical curve, not a result of the run): placed with the
    # question's figures but cited in the idea paragraph, not under "This run"
    illustrations: tuple[str, ...] = ()

    @property
    def question(self) -> HandoutQuestion | None:
        return handout_question(self.handout) if self.handout else None

    @property
    def label(self) -> str:
        """The heading's number: the handout's (``Q6``) or the beyond number (``B1.1``)."""
        q = self.question
        return q.label if q else self.number

    @property
    def heading(self) -> str:
        q = self.question
        return f"{q.label} {q.title}" if q else f"{self.number} {self.title}"

    @property
    def key(self) -> str:
        """A unique name: ``P1.Q6`` or ``B1.1``."""
        return self.handout or self.number


@dataclass(frozen=True)
class Part:
    """One notebook's part of the report: a problem of the handout (``problem``), a problem
    beyond it, or the appendix."""

    title: str
    questions: tuple[Question, ...]
    problem: int | None = None  # the handout's problem number
    appendix: bool = False


def handout_question(key: str) -> HandoutQuestion:
    """The handout's question with key ``P1.Q6``."""
    for q in HANDOUT_QUESTIONS:
        if q.key == key:
            return q
    raise KeyError(key)


_FD = ("frechet_distance_init", "frechet_distance", "frechet_distance_real", "iterations")
_SIMSIAM = ("final_loss", "output_std_x_sqrt_dim", "first_epoch_knn_accuracy",
            "final_knn_accuracy", "final_knn_accuracy_z")  # fmt: skip

# Problem 3: the handout's runs and the workbook's letters (see the report's Problem 3 intro)
RUNS: dict[str, str] = {
    "stop_gradient": "P3.Q4",  # with stop-gradient: the workbook's run (a)
    "no_stop_gradient": "P3.Q4",  # without: (b)
    "no_pred_mlp": "P3.Q5",  # Q5 (a) identity predictor: (c)
    "fixed_random_init": "B3.2",  # frozen random predictor: (d), beyond the handout
}

# Recorded numbers that a finding states in words: no table repeats them.
IN_FINDINGS: dict[str, tuple[str, ...]] = {
    "02_gans": ("vanilla_discriminator", "latent_perturbation_rows", "classifier_svhn_accuracy",
                "interpolation_midpoint_confidence", "interpolation_midpoint_contrast",
                "interpolation_pairs_scored"),
    "04_autoencoders": ("autoencoder_codes", "interpolation_midpoint_confidence",
                        "interpolation_pairs_scored"),
}  # fmt: skip

QUESTIONS: dict[str, Part] = {
    "01_vae": Part(f"Problem 1: {PROBLEMS[1]}", (
        Question(handout="P1.Q6", figures=("elbo_analytic_vs_mc",),
                 tables=(Table(("course_mlp", "course_mlp_mc_kl"), ("valid_elbo", "epochs"),
                               caption="Validation ELBO of the two VAEs with L = 100"),),
                 findings=("elbo_target", "kl_estimators")),
        Question(handout="P1.Q7", figures=("log_likelihood_estimators",),
                 tables=(Table(("course_mlp", "course_mlp_mc_kl"),
                               ("test_elbo", "test_log_likelihood", "elbo_gap"),
                               ("is_samples", "test_images"),
                               caption="Test ELBO and test log-likelihood of the VAEs with "
                                       "L = 100; gap: log p(x) - test ELBO"),
                         Table(("log_likelihood_estimators",), ("prior", "importance"), ("K",),
                               caption="Mean log p(x) of the comparison's test images, z drawn "
                                       "from the prior or by importance sampling (repeats)")),
                 findings=("elbo_gap", "estimator_comparison")),
        Question("A convolutional VAE; samples and reconstructions", number="B1.1",
                 figures=("samples", "reconstructions", "samples_over_training"),
                 tables=(Table(("course_mlp", "conv"),
                               ("valid_elbo", "test_elbo", "test_log_likelihood", "epochs"),
                               caption="The MLP VAE and the ConvVAE (L = 100)"),)),
        Question("Latent sizes L = 2 and L = 20; the 2-d latent manifold", number="B1.2",
                 figures=("latent_sizes", "latent_manifold"),
                 tables=(Table(("course_mlp_latent2", "course_mlp_latent20", "course_mlp"),
                               ("valid_elbo", "test_log_likelihood", "epochs"),
                               caption="MLP VAEs with latent sizes 2, 20 and 100"),),
                 findings=("latent_sizes", "latent_manifold")),
        Question("Interpolation between two test images", number="B1.3",
                 figures=("interpolation",)),
        Question("This run beside the recorded full-profile run", number="B1.4",
                 findings=("full_profile_record",)),
    ), problem=1),
    "02_gans": Part(f"Problem 2: {PROBLEMS[2]}", (
        Question(handout="P2.Q2", figures=("wgan_samples_final", "wgan_samples_over_training"),
                 tables=(Table(("wgan_lp",), _FD, caption="WGAN-LP: Fréchet distances"),
                         Table(("wgan_sample_statistics",), pairs=("_samples", "_real"),
                               headers=(("confidence", "classifier confidence"),),
                               caption="Blurriness and diversity of the samples, measured")),
                 findings=("gan_samples", "gan_sample_quality")),
        Question(handout="P2.Q3", figures=("latent_perturbations",),
                 tables=(Table(("latent_perturbations", "latent_perturbations_all"),
                               ("coordinates", "label_change", "colour_change", "both",
                                "confidence", "confidence_moved"),
                               headers=(("confidence", "confidence, unmoved image"),
                                        ("confidence_moved", "confidence, moved images")),
                               caption="Effect of moving one latent coordinate by "
                                       "+-2: shares of the coordinates"),),
                 findings=("entanglement",)),
        Question(handout="P2.Q4", figures=("interpolation_latent_vs_data",),
                 findings=("midpoint_confidence", "interpolation_contrast")),
        Question("A vanilla GAN on MNIST", number="B2.1",
                 figures=("vanilla_samples_over_training", "vanilla_discriminator",
                          "vanilla_interpolation"),
                 illustrations=("generator_losses",),
                 tables=(Table(("vanilla_gan",), _FD, caption="Vanilla GAN: Fréchet distances"),),
                 findings=("vanilla_discriminator",)),
        Question("Training curves of the WGAN-LP", number="B2.2", figures=("wgan_curves",),
                 findings=("curve_shape", "critic_lipschitz")),
        Question("VAE or GAN?", number="B2.3", findings=("vae_vs_gan",)),
    ), problem=2),
    "03_simsiam": Part(f"Problem 3: {PROBLEMS[3]}", (
        Question(handout="P3.Q4", figures=("loss", "knn_accuracy", "output_std"),
                 tables=(Table(("stop_gradient", "no_stop_gradient"), _SIMSIAM, ("epochs", "dim"),
                               caption="With and without stop-gradient at the end of training"),),
                 findings=("simsiam_collapse[(b)]", "simsiam_features")),
        Question(handout="P3.Q5", cites=("loss", "knn_accuracy", "output_std"),
                 tables=(Table(("stop_gradient", "no_pred_mlp"), _SIMSIAM, ("epochs", "dim"),
                               caption="The identity predictor beside the trained one"),),
                 findings=("simsiam_collapse[(c)]",)),
        Question("Two augmented views; the baselines, raw pixels and the untrained network",
                 number="B3.1", figures=("views",),
                 tables=(Table(("raw_pixel_knn_accuracy", "untrained_network_knn_accuracy"),
                               inline=True),)),
        Question("A frozen random predictor, the workbook's run (d)", number="B3.2",
                 cites=("loss", "knn_accuracy", "output_std"),
                 tables=(Table(("fixed_random_init",), _SIMSIAM, ("epochs", "dim"),
                               caption="The frozen random predictor (d)"),),
                 findings=("simsiam_collapse[(d)]",)),
        Question("Linear evaluation", number="B3.3",
                 tables=(Table(("linear_evaluation.*",),
                               ("linear_train_accuracy", "linear_test_accuracy"),
                               caption="Linear probes on the frozen backbones"),)),
        Question("With stop-gradient, the workbook's recipe", number="B3.4",
                 tables=(Table(("stop_gradient_workbook",), _SIMSIAM, ("epochs", "dim"),
                               caption="Run (a) with the workbook's recipe"),)),
    ), problem=3),
    "04_autoencoders": Part("Problem 4 (beyond the handout): autoencoder vs VAE", (
        Question("The autoencoder", number="B4.1", figures=("autoencoder",),
                 findings=("autoencoder_codes",)),
        Question("beta = 0, beta = 10 and a tuned beta", number="B4.2",
                 figures=("beta_0_vs_10_curves", "beta_sweep", "tuned_beta_curves",
                          "reconstructions", "prior_samples"),
                 tables=(Table(("autoencoder", "vae_beta_0", "vae_beta_10", "vae_beta_tuned"),
                               ("beta", "reconstruction_error", "kl", "test_elbo",
                                "frechet_distance"),
                               headers=(("test_elbo", 'Bernoulli "ELBO"'),
                                        ("frechet_distance", "FD of prior samples")),
                               caption='The autoencoder and the three VAEs on the test images '
                                       '(the Bernoulli "ELBO" of grey levels is not a bound)'),
                         Table(("frechet_distance_real",), inline=True)),
                 findings=("beta_effects",)),
        Question("Interpolation in the AE's and the VAE's latent spaces", number="B4.3",
                 figures=("interpolation_ae_vs_vae",),
                 findings=("midpoint_confidence", "embedding_choice")),
    )),
    "00_datasets": Part("Appendix A: the datasets", (
        Question("What the data look like", number="A.1",
                 figures=("preview_*", "classes_*", "01_vae/data"),
                 tables=(Table(("binarized_mnist", "mnist", "svhn", "cifar10",
                                "cifar10_*"),
                               ("source", "train_images", "test_images", "pixel_mean"),
                               caption="The datasets as this run loaded them"),)),
    ), appendix=True),
}  # fmt: skip
