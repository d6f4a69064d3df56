"""The computed sentences that answer the handout's report questions (Problems 1, 2 and the
autoencoder notebook): each one says what its numbers show, in both directions, and the
measurements behind Problem 2's Q2 and Q3."""

from __future__ import annotations

import pytest
import torch

from helpers.autoencoders import findings as ae_findings
from helpers.common import wording
from helpers.gan import figures as gan_figures
from helpers.gan import findings as gan_findings
from helpers.vae import findings as vae_findings
from helpers.vae import findings_latent as vae_latent

# --- Problem 1 ---------------------------------------------------------------------------


def test_kl_cost_states_the_times_and_never_calls_an_estimator_cheaper():
    analytic = {"valid_elbo": -101.2, "train_seconds": 36.0, "epochs": 6}
    mc = {"valid_elbo": -102.05, "train_seconds": 55.2, "epochs": 6}
    noisy = {"L = 2": {"train_seconds": 72.6, "epochs": 6}, "L = 20": {"train_seconds": 25.2,
                                                                       "epochs": 6}}  # fmt: skip
    within = vae_findings.kl_cost(analytic, mc, noisy)
    assert "6.0 s and 9.2 s per epoch, a ratio of 1.53" in within
    assert "from 4.2 s (L = 20) to 12.1 s (L = 2) per epoch, a spread of 2.88 to 1" in within
    assert "do not separate the estimators" in within
    steady = {"L = 2": {"train_seconds": 36.0, "epochs": 6}, "L = 20": {"train_seconds": 37.0,
                                                                        "epochs": 6}}  # fmt: skip
    beyond = vae_findings.kl_cost(analytic, mc, steady)
    assert "differ by more than that spread" in beyond and "a hint, not a measurement" in beyond
    close = {"L = 2": {"train_seconds": 36.0, "epochs": 6}, "L = 20": {"train_seconds": 36.2,
                                                                       "epochs": 6}}  # fmt: skip
    assert "from 6.00 s (L = 2) to 6.03 s (L = 20) per epoch" in vae_findings.kl_cost(
        analytic, mc, close)  # equal at one decimal: two decimals
    assert "from 6.0 s (L = 2) to 6.2 s (L = 20)" in beyond
    alone = vae_findings.kl_cost(analytic, mc)
    assert "do not separate the estimators" in alone
    # per epoch, not per run: twice the epochs in twice the time is a ratio of 1
    assert "a ratio of 1.00" in vae_findings.kl_cost(analytic, {"train_seconds": 72.0,
                                                                "epochs": 12})  # fmt: skip
    for text in (within, beyond, alone):
        assert "cheaper" not in text and "faster" not in text and "x as long" not in text
    text = vae_findings.kl_estimators(analytic, mc, noisy)
    assert "0.85 nats lower" in text and "do not separate the estimators" in text


def test_elbo_target_judges_only_the_handouts_models_and_only_in_the_full_setting():
    runs = {"course MLP VAE": {"valid_elbo": -101.2, "epochs": 20},
            "course MLP VAE, Monte-Carlo KL": {"valid_elbo": -102.05, "epochs": 20},
            "course MLP VAE, L = 2": {"valid_elbo": -150.3, "epochs": 20}}  # fmt: skip
    judged = ["course MLP VAE", "course MLP VAE, Monte-Carlo KL"]
    full = vae_findings.elbo_target(runs, "full", "real", judged=judged)
    assert "meets it by 0.80" in full and "misses it by 0.05" in full
    assert "-150.30 after 20 epochs (beyond the handout: no target)" in full
    demo = vae_findings.elbo_target(runs, "demo", "synthetic", judged=judged)
    # no verdict where the target does not apply: nothing contradicts "no verdict"
    assert "misses" not in demo and "meets" not in demo and "no verdict" in demo
    assert "-150.30 after 20 epochs (beyond the handout: no target)" in demo
    settings = {"lr": 1e-3, "batch_size": 64, "epochs": 6, "train_images": 10000}
    record = {"course_mlp": {"valid_elbo": -101.2, "epochs": 20},
              "course_mlp_mc_kl": {"valid_elbo": -102.05, "epochs": 20}}  # fmt: skip
    said = vae_findings.elbo_target(runs, "demo", "synthetic", judged=judged, settings=settings,
                                    record=record)  # fmt: skip
    assert "(Adam, learning rate 0.001, batch 64, 6 epochs, 10000 training images" in said
    assert "recorded full-profile run on the real data" in said
    assert "course MLP VAE -101.20 after 20 epochs, meets it by 0.80" in said
    assert "-102.05 after 20 epochs, misses it by 0.05" in said
    # in the full setting the run is its own verdict: the record is not repeated
    assert "recorded" not in vae_findings.elbo_target(runs, "full", "real", judged=judged,
                                                      record=record)  # fmt: skip


def test_full_profile_record_sets_the_runs_side_by_side_without_a_verdict():
    record = {"profile": "full", "data": "real", "device": "cpu",
              "course_mlp": {"valid_elbo": -101.2},
              "course_mlp_mc_kl": {"valid_elbo": -102.05}}  # fmt: skip
    labels = {"course_mlp": "course MLP VAE", "course_mlp_mc_kl": "MC KL"}
    text = vae_findings.full_profile_record({}, record, labels, ("demo", "synthetic"))
    assert "course MLP VAE: this run not run; recorded valid ELBO -101.20" in text
    assert "meets" not in text and "misses" not in text  # said once, under Q6


def test_elbo_gap_answers_q7_for_each_run_it_is_given():
    runs = {"course MLP VAE": {"test_log_likelihood": -112.75, "test_elbo": -119.79,
                               "is_samples": 200, "test_images": 500},
            "MC KL": {"test_log_likelihood": -115.9, "test_elbo": -123.38}}  # fmt: skip
    text = vae_findings.elbo_gap(runs)
    assert text.startswith("In this run, course MLP VAE: test log p(x) = -112.75 nats (K = 200, "
                           "500 test images), 7.04 nats above its test ELBO (-119.79)")
    assert "MC KL: test log p(x) = -115.90 nats, 7.48 nats above" in text
    assert "from below" in text and "ranges" not in text and "negative" not in text
    below = vae_findings.elbo_gap({"a": {"test_log_likelihood": -101.0, "test_elbo": -100.0}})
    assert "1.00 nats *below* its test ELBO" in below and "negative gap (`a`)" in below
    assert "from below" not in below


def test_estimators_count_images():
    text = vae_findings.estimator_comparison([-130, -140], [-96.0, -96.2], 200, 50, 500)
    assert "first 50 test images" in text and "over 500 test images" in text
    assert "500" not in vae_findings.estimator_comparison([-130, -140], [-96.0, -96.2], 200, 50, 50)


def test_latent_sizes_sets_the_full_record_beside_this_run():
    runs = {20: {"valid_elbo": -112.35, "epochs": 6}, 100: {"valid_elbo": -119.14, "epochs": 6}}
    text = vae_latent.latent_sizes(runs, {20: 20, 100: 98})
    assert "described above" not in text and "caught up" not in text
    assert "recorded" not in text
    better = vae_latent.latent_sizes(runs, {20: 20, 100: 98}, record={20: -100.11, 100: -101.2})
    assert "L = 20 reaches -100.11 and L = 100 -101.20: L = 20 is 1.09 nats better there" in better
    assert "1.09 nats better there too." in better  # this run: L = 20 ahead as well
    worse = vae_latent.latent_sizes(runs, {20: 20, 100: 98}, record={20: -103.0, 100: -101.2})
    assert "1.80 nats below L = 100 there, unlike in this run." in worse
    helps = {20: {"valid_elbo": -119.0, "epochs": 6}, 100: {"valid_elbo": -112.0, "epochs": 6}}
    mixed = vae_latent.latent_sizes(helps, {20: 20, 100: 98}, record={20: -100.11, 100: -101.2})
    assert "here the extra dimensions help" in mixed
    assert "1.09 nats better there, unlike in this run." in mixed and "too" not in mixed
    agree = vae_latent.latent_sizes(helps, {20: 20, 100: 98}, record={20: -103.0, 100: -101.2})
    assert "1.80 nats below L = 100 there too." in agree


def test_latent_manifold_counts_sure_cells_and_never_claims_a_class_is_absent():
    confident = vae_latent.latent_manifold([1] * 200 + [7] * 150 + [3] * 48 + [0] * 2,
                                             [0.9] * 400)  # fmt: skip
    assert "is sure (confidence at least 80%) of 400 of the 400 cells" in confident
    assert "reads 3 of the 10 classes with at least 3 cells each (1: 200, 3: 48, 7: 150)" in (
        confident)
    assert "mean confidence on the cells is 90%." in confident and "by eye" not in confident
    assert "fewer than 3 cells of class 0, 2, 4, 5, 6, 8, 9: check the figure" in confident
    every = vae_latent.latent_manifold(list(range(10)) * 40, [0.9] * 400)
    assert "Every digit class is among the sure cells" in every
    # the demo's case: a classifier 51% sure on average, most of its labels one class
    unsure = vae_latent.latent_manifold([5] * 300 + [6] * 100, [0.9] * 50 + [0.45] * 350)
    assert "of 50 of the 400 cells" in unsure and "(5: 50)" in unsure
    assert "only 51%" in unsure and "Read the classes in the figure by eye" in unsure
    for text in (confident, every, unsure):
        assert "no region" not in text and "squeezes" not in text and "tails" not in text
    assert "Every digit class" not in unsure and "fewer than" not in unsure
    none = vae_latent.latent_manifold([5] * 400, [0.3] * 400)
    assert "of 0 of the 400 cells; no class has 3 sure cells" in none


# --- Problem 2 ---------------------------------------------------------------------------


def test_sharpness_falls_with_blur_and_nearest_distances_see_duplicates():
    torch.manual_seed(0)
    images = torch.rand(6, 3, 16, 16) * 2 - 1
    blurred = torch.nn.functional.avg_pool2d(images, 3, stride=1, padding=1)
    assert (gan_figures.sharpness(blurred) < gan_figures.sharpness(images)).all()
    assert gan_figures.sharpness(torch.zeros(2, 3, 8, 8)).tolist() == [0.0, 0.0]
    twins = torch.cat([images[:3], images[:3]])
    assert gan_figures.nearest_distances(twins).max().item() == pytest.approx(0.0, abs=1e-5)
    assert gan_figures.nearest_distances(images).min() > 0.3
    assert gan_figures.nearest_distances(images[:2], images).max().item() == pytest.approx(
        0.0, abs=1e-5
    )


class _Constant(torch.nn.Module):
    """A 'classifier' that says class 3 for every image, 90% sure."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))  # classify() reads the device from it

    def forward(self, x):
        logits = torch.zeros(x.shape[0], 10)
        logits[:, 3] = torch.log(torch.tensor(0.9 * 9 / 0.1))
        return logits


def test_sample_statistics_measures_both_sets():
    torch.manual_seed(0)
    real = torch.rand(20, 3, 8, 8) * 2 - 1
    samples = torch.nn.functional.avg_pool2d(real, 3, stride=1, padding=1)
    stats = gan_figures.sample_statistics(samples, real, real, _Constant())
    assert stats["images"] == 20
    assert stats["sharpness_samples"] < stats["sharpness_real"]
    assert stats["nn_train_real"] == pytest.approx(0.0, abs=1e-5)  # the real ones are "train"
    assert stats["classes_samples"] == 1 and stats["top_class_samples"] == 1.0
    assert stats["confidence_samples"] == pytest.approx(0.9, abs=1e-4)


def _stats(**changes):
    stats = {"images": 500, "sharpness_samples": 0.1, "sharpness_real": 0.1, "nn_samples": 0.4,
             "nn_real": 0.4, "nn_train_samples": 0.3, "nn_train_real": 0.3, "classes_samples": 10,
             "classes_real": 10, "top_class_samples": 0.15, "top_class_real": 0.15,
             "confidence_samples": 0.9, "confidence_real": 0.9}  # fmt: skip
    return {**stats, **changes}


def test_gan_sample_quality_comments_blur_and_diversity_both_ways():
    same = gan_findings.gan_sample_quality(_stats(), "full", "real")
    assert "about as sharp as real images" in same and "as spread out as real images" in same
    assert "not copies" in same and "a spread like the real one" in same
    assert "rough reading" not in same and "is not the full profile" not in same
    blur = gan_findings.gan_sample_quality(_stats(sharpness_samples=0.05), "full", "real")
    assert "blurrier than real images" in blur
    noisy = gan_findings.gan_sample_quality(_stats(sharpness_samples=0.2), "full", "real")
    assert "finds no blur" in noisy and "not blur but" not in noisy  # the measure, not the eye
    collapsed = gan_findings.gan_sample_quality(
        _stats(nn_samples=0.1, nn_train_samples=0.05, classes_samples=3, top_class_samples=0.6),
        "demo", "synthetic",
    )  # fmt: skip
    assert "closer to each other than real images are" in collapsed
    assert "close copies of training images" in collapsed and "dropped modes" in collapsed
    assert "demo profile, synthetic data" in collapsed
    unsure = gan_findings.gan_sample_quality(_stats(confidence_samples=0.2), "full", "real")
    assert "rough reading" in unsure


def test_gan_samples_states_no_instruction_to_the_student():
    text = gan_findings.gan_samples(29.1, 10.0, 0.0669, "demo", "synthetic")
    assert "describe" not in text and "intermediate stage" in text


def test_critic_lipschitz_says_whether_the_estimate_is_a_w1_estimate():
    text = gan_findings.critic_lipschitz([50, 150, 800], [15.6, 52.0, 4.85], [0.24, 1.4, 0.004])
    assert "Where it peaks, the estimate is 52 (iteration 150) and the penalty 1.4" in text
    assert "not 1-Lipschitz there, so this value is not an estimate of W1" in text
    assert "At the end the estimate is 4.85" in text and "estimates W1 (from below)" in text
    middling = gan_findings.critic_lipschitz([50, 150], [15.6, 52.0], [0.24, 0.04])
    assert "may overstate W1 somewhat" in middling and "At the end" not in middling
    assert "No Wasserstein" in gan_findings.critic_lipschitz([], [], [])


def _effects(label, colour, both, coordinates=8, confidence=0.9):
    return {"coordinates": coordinates, "label_change": label, "colour_change": colour,
            "both": both, "confidence": confidence, "confidence_moved": 0.8}  # fmt: skip


def test_entanglement_says_the_rows_are_a_selection_and_measures_every_coordinate():
    shown = _effects(1.0, 1.0, 1.0, confidence=0.21)
    text = gan_findings.entanglement(shown, _effects(0.3, 0.5, 0.2, 100), 3, 100)
    assert "8 of 100 coordinates whose move changes the image most: a selection" in text
    assert "Over all 100 coordinates, 30% change the classifier's label" in text
    assert "overstate what a typical coordinate does" in text
    # the unmoved image's confidence is one image's, said once
    assert "21% sure of its label on the unmoved image (one image" in text
    assert "say little about entanglement" in text
    typical = gan_findings.entanglement(_effects(0.5, 0.5, 0.25), _effects(0.5, 0.5, 0.3, 100),
                                        3, 100)  # fmt: skip
    assert "about as much as the shown ones" in typical and "is entangled" in typical
    none = gan_findings.entanglement(_effects(0.5, 0.0, 0.0), _effects(0.4, 0.0, 0.0, 100), 3, 100)
    assert "no evidence of entanglement" in none


def test_midpoint_confidence_says_how_good_its_classifier_is():
    confidence = {"latent": 0.22, "data": 0.19}
    weak = wording.midpoint_confidence(confidence, "latent", 50, classifier_accuracy=0.56)
    assert "labels 56% of real test images correctly: a weak judge" in weak
    good = wording.midpoint_confidence(confidence, "latent", 50, classifier_accuracy=0.97)
    assert "97% of real test images correctly." in good and "weak" not in good
    assert "real test images" not in wording.midpoint_confidence(confidence, "latent", 50)


# --- autoencoders ----------------------------------------------------------------------


def test_embedding_choice_follows_this_runs_numbers():
    fd_vae_better = {"AE": 30.0, "VAE": 10.0}
    alike = ae_findings.embedding_choice({"AE": 0.54, "VAE": 0.54}, fd_vae_better, 50)
    assert "alike at their midpoints (the confidences above, 50 pairs)" in alike
    assert "54%" not in alike  # midpoint_confidence states them, once
    assert "for generation, but not (or not yet) for interpolation" in alike
    both = ae_findings.embedding_choice({"AE": 0.4, "VAE": 0.7}, fd_vae_better, 50)
    assert "Both support the VAE's embedding" in both
    interp = ae_findings.embedding_choice({"AE": 0.4, "VAE": 0.7}, {"AE": 10.0, "VAE": 10.0}, 50)
    assert "for interpolation only" in interp
    neither = ae_findings.embedding_choice({"AE": 0.7, "VAE": 0.4}, {"AE": 10.0, "VAE": 12.0}, 50)
    assert "against the expectation, the AE's midpoints" in neither
    assert "does not show the VAE's embedding to be the better one" in neither
