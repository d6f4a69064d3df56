"""The course handout's questions, as the report numbers them.

The handout is the course's assignment: IFT6135-H2022, assignment 3, programming part
(Problems 1-3), kept as text in ``shared/course/handout.md`` beside this repository. Each entry
below cites it: the problem, the question's number and kind (``report`` or ``unittest``), its
points and words copied verbatim from the question (``quote``), which ``tests/test_report.py``
finds in the handout's text when it is there. The report's headings take their numbers from
this list (``Q6``, ``Q4 (a), (b)``, ``Q5 (a)``); what the handout does not ask is numbered
``B<problem>.<n>`` ("beyond the handout") so that it cannot be mistaken for a question.

Problem 4 of the workbook (autoencoder vs VAE) comes from a related assignment and is not in the
handout: it has no entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HANDOUT", "PROBLEMS", "QUESTIONS", "HandoutQuestion", "report_questions", "unit_tests"]

HANDOUT = "IFT6135-H2022, assignment 3, programming part; its text: shared/course/handout.md"

PROBLEMS: dict[int, str] = {
    1: "variational autoencoders on binarized MNIST",
    2: "a WGAN with a Lipschitz penalty on SVHN",
    3: "SimSiam on CIFAR-10",
}


@dataclass(frozen=True)
class HandoutQuestion:
    """One numbered question of the handout."""

    problem: int
    number: str  # the handout's number, with its parts: "6", "4 (a), (b)", "5 (a)"
    kind: str  # "report" or "unittest"
    points: int
    title: str  # the report's heading after the number (its words, not the handout's)
    quote: str  # words of the question, verbatim from the handout
    functions: tuple[str, ...] = ()  # unit tests: the course's names of the graded functions

    @property
    def label(self) -> str:
        """The heading's number: ``Q6``, ``Q4 (a), (b)``."""
        return f"Q{self.number}"

    @property
    def key(self) -> str:
        """``P1.Q6``: unique over the handout."""
        return f"P{self.problem}.Q{self.number.split()[0]}"


QUESTIONS: tuple[HandoutQuestion, ...] = (
    HandoutQuestion(1, "1", "unittest", 4, "Bernoulli log-likelihood", "log_likelihood_bernoulli",
                    ("log_likelihood_bernoulli",)),
    HandoutQuestion(1, "2", "unittest", 4, "Normal log-likelihood", "log_likelihood_normal",
                    ("log_likelihood_normal",)),
    HandoutQuestion(1, "3", "unittest", 4, "log-mean-exp", "log_mean_exp", ("log_mean_exp",)),
    HandoutQuestion(1, "4", "unittest", 4, "KL divergence, analytic",
                    "kl_gaussian_gaussian_analytic", ("kl_gaussian_gaussian_analytic",)),
    HandoutQuestion(1, "5", "unittest", 4, "KL divergence, Monte Carlo",
                    "kl_gaussian_gaussian_mc", ("kl_gaussian_gaussian_mc",)),
    HandoutQuestion(1, "6", "report", 15,
                    "Validation ELBO of the VAE with L = 100 (target: at least -102)",
                    "Train a VAE with a latent variable of 100-dimensions"),
    HandoutQuestion(1, "7", "report", 15, "Test log-likelihood by importance sampling, K = 200",
                    "log-likelihood of the trained VAE models by using importance sampling"),
    HandoutQuestion(2, "1", "unittest", 4, "Wasserstein distance and Lipschitz penalty",
                    "vf_wasserstein_distance", ("vf_wasserstein_distance", "lp_reg")),
    HandoutQuestion(2, "2", "report", 8, "Visual samples: blurriness and diversity",
                    "Comment the quality of the samples from each model"),
    HandoutQuestion(2, "3", "report", 8, "Disentanglement: perturbing one latent dimension",
                    "if the model has learned a disentangled representation in the latent space"),
    HandoutQuestion(2, "4 (a), (b)", "report", 8,
                    "Interpolating in the latent space (a) and in the data space (b)",
                    "Explain the difference with the two schemes to interpolate between images"),
    HandoutQuestion(3, "1", "unittest", 4, "SimSiam forward", "forward functions of the Simsiam",
                    ("SimSiam.forward",)),
    HandoutQuestion(3, "2", "unittest", 4, "Cosine similarity", "cosine similarity",
                    ("CosineSimilarity.forward",)),
    HandoutQuestion(3, "3", "unittest", 4, "SimSiam loss", "Implement the Simsiam loss functions",
                    ("SimSiam.loss",)),
    HandoutQuestion(3, "4", "report", 10,
                    "With and without stop-gradient (100 epochs in the handout): loss and kNN",
                    "Train the model for 100 epochs with and without gradient stopping"),
    HandoutQuestion(3, "5 (a)", "report", 10, "The predictor replaced by the identity",
                    "Remove the predictor by replacing it with an identity mapping"),
)  # fmt: skip


def report_questions(problem: int) -> tuple[HandoutQuestion, ...]:
    """The report questions of ``problem``, in the handout's order."""
    return tuple(q for q in QUESTIONS if q.problem == problem and q.kind == "report")


def unit_tests(problem: int) -> tuple[HandoutQuestion, ...]:
    """The unit-test questions of ``problem``, in the handout's order."""
    return tuple(q for q in QUESTIONS if q.problem == problem and q.kind == "unittest")
