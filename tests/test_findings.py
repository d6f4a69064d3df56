"""The "what this run shows" paragraphs: built from the numbers given, saying when the expected
effect is missing."""

from __future__ import annotations

from pathlib import Path

from helpers.autoencoders import findings as autoencoders_findings
from helpers.common import wording
from helpers.gan import findings as gan_findings
from helpers.simsiam import findings as simsiam_findings
from helpers.vae import findings as vae_findings
from helpers.vae import findings_latent as vae_latent


def test_elbo_target_checks_each_model_and_the_setting():
    runs = {"course_mlp": {"valid_elbo": -101.2, "epochs": 20},
            "course_mlp_mc_kl": {"valid_elbo": -102.05, "epochs": 20}}  # fmt: skip
    full = vae_findings.elbo_target(runs, "full", "real")
    assert "-101.20 after 20 epochs, meets it by 0.80" in full
    assert "-102.05 after 20 epochs, misses it by 0.05" in full
    assert "no verdict" not in full
    demo = vae_findings.elbo_target(runs, "demo", "synthetic")
    assert "gives no verdict on the target" in demo and "misses" not in demo


def test_kl_estimators_says_which_way_it_went():
    analytic = {"valid_elbo": -101.2, "train_seconds": 60}
    lower = vae_findings.kl_estimators(analytic, {"valid_elbo": -102.05, "train_seconds": 61})
    higher = vae_findings.kl_estimators(analytic, {"valid_elbo": -99.0, "train_seconds": 61})
    assert "0.85 nats lower" in lower and "*higher*" in higher
    # the run-to-run noise caveat goes both ways, not only against the expectation
    assert "run-to-run noise" in lower and "run-to-run noise" in higher
    same = vae_findings.kl_estimators(analytic, {"valid_elbo": -101.0, "train_seconds": 61})
    assert "about the same" in same and "noise" not in same


def test_elbo_gap_and_estimators():
    runs = {"a": {"test_log_likelihood": -95.5, "test_elbo": -101.0},
            "b": {"test_log_likelihood": -84.6, "test_elbo": -89.5}}  # fmt: skip
    text = vae_findings.elbo_gap(runs)
    assert "`a`: test log p(x) = -95.50 nats, 5.50 nats above its test ELBO (-101.00)" in text
    assert "`b`: test log p(x) = -84.60 nats, 4.90 nats above" in text
    assert "negative" not in text and "ranges" not in text
    shown = vae_findings.estimator_comparison([-130, -140, -125], [-96.0, -96.2, -95.9], 200)
    assert "lower and" in shown and "noisy" in shown
    assert "does not show" in vae_findings.estimator_comparison([-96, -96.1], [-96.5, -96.0], 200)


def test_latent_sizes_reads_active_units_and_epochs():
    runs = {2: {"valid_elbo": -150, "epochs": 20}, 20: {"valid_elbo": -100.1, "epochs": 20},
            100: {"valid_elbo": -101.2, "epochs": 20}}  # fmt: skip
    text = vae_latent.latent_sizes(runs, {2: 2, 20: 20, 100: 31})
    assert "only 31 dimensions" in text and "not comparable" not in text
    assert "within 2 nats of each other (+1.10 for L = 20)" in text
    # the demo's case: L = 20 clearly better must be said, not hidden under "within 2 nats"
    better = {
        **runs,
        20: {"valid_elbo": -112.35, "epochs": 6},
        100: {"valid_elbo": -119.14, "epochs": 6},
    }
    text = vae_latent.latent_sizes(better, {2: 2, 20: 20, 100: 98})
    assert "6.79 nats *better* than L = 100" in text and "buy little" not in text
    # 98 of 100 active: the text must not tell the inactive-units story
    assert "does not show inactive units" in text and "only 98" not in text
    worse = {**runs, 20: {"valid_elbo": -110.0, "epochs": 20}}
    assert "8.80 nats below L = 100: here the extra dimensions help" in vae_latent.latent_sizes(
        worse, {2: 2, 20: 20, 100: 31}
    )
    runs[2]["epochs"] = 4
    assert "not comparable" in vae_latent.latent_sizes(runs, {2: 2, 20: 20, 100: 31})


def test_curve_shape_describes_a_rise_then_a_fall():
    text = gan_findings.curve_shape([200, 400, 600, 800], [15.0, 52.0, 30.0, 20.0], "estimate")
    assert "first rises to 52" in text and "falls to 20" in text
    assert "falls to 3" in gan_findings.curve_shape([1, 2, 3], [9.0, 5.0, 3.0], "x")
    assert "not below its start" in gan_findings.curve_shape([1, 2], [1.0, 2.0], "x")


def test_gan_samples_and_discriminator():
    early = gan_findings.gan_samples(28.5, 25.0, 0.07, "demo", "synthetic")
    assert "early stage" in early and "full profile" in early
    assert "intermediate" in gan_findings.gan_samples(28.5, 9.7, 0.07, "full", "real")
    assert "close to the real" in gan_findings.gan_samples(28.5, 0.2, 0.07, "full", "real")
    near = gan_findings.vanilla_discriminator([0.5, 0.55], [0.5, 0.45])
    assert "near 1/2" in near and "necessary, not sufficient" in near
    assert "barely tell" not in near  # D = 1/2 does not say the samples match the data
    assert "not reached" in gan_findings.vanilla_discriminator([0.5, 0.9], [0.5, 0.1])


def _simsiam(a_knn, b_knn, c_knn, a_std=1.0, b_std=0.07, c_std=0.02):
    def run(knn, std):
        return {"final_knn_accuracy": knn, "output_std_x_sqrt_dim": std, "final_loss": -0.9}

    return {"stop_gradient": run(a_knn, a_std), "no_stop_gradient": run(b_knn, b_std),
            "no_pred_mlp": run(c_knn, c_std)}  # fmt: skip


def test_simsiam_features_joins_the_two_baselines_whichever_way_each_goes():
    def text(a, raw, untrained):
        return simsiam_findings.simsiam_features(_simsiam(a, 18.0, 19.0), raw, "demo", "real",
                                                 untrained)  # fmt: skip
    assert "(a) does not beat raw pixels (0.2 points below), but beats the untrained network by " \
        "12.1." in text(32.6, 32.8, 20.5)
    assert "(a) beats raw pixels by 5.0 points and the untrained network by 10.0." in text(
        40.0, 35.0, 30.0)
    assert "(a) beats raw pixels by 5.0 points, but not the untrained network (2.0 points " \
        "below)." in text(40.0, 35.0, 42.0)
    assert "(a) does not beat raw pixels (5.0 points below), nor the untrained network" in text(
        30.0, 35.0, 31.0)


def test_simsiam_features_reads_both_baselines_and_the_ablations_both_ways():
    good = simsiam_findings.simsiam_features(
        _simsiam(52.0, 20.0, 21.0), 36.5, "demo", "synthetic", 19.0
    )
    assert "baselines: raw pixels 36.5%, the untrained network 19.0%" in good
    assert "(a) is at least 31.0 points above every ablation ((b), (c))" in good
    assert "(a) beats raw pixels by 15.5 points and the untrained network by 33.0." in good
    assert "does not beat" not in good and "expected to" not in good
    below = simsiam_findings.simsiam_features(
        _simsiam(40.0, 20.0, 21.0), 65.0, "demo", "synthetic", 45.0
    )
    assert "(a) does not beat raw pixels (25.0 points below)" in below
    assert "nor the untrained network (5.0 points below)" in below
    assert "A longer run, as in the full profile" in below
    full = simsiam_findings.simsiam_features(_simsiam(40.0, 20.0, 21.0), 65.0, "full", "real")
    assert "A longer run" not in full and "untrained" not in full
    with_d = _simsiam(40.0, 20.0, 21.0)
    with_d["fixed_random_init"] = {"final_knn_accuracy": 35.0}
    assert "only 5.0 points above the better ablation" in simsiam_findings.simsiam_features(
        with_d, 30.0, "demo", "synthetic"
    )
    worse = simsiam_findings.simsiam_features(_simsiam(7.0, 8.6, 7.8), 14.8, "smoke", "synthetic")
    assert "1.6 points below the better ablation" in worse


def test_simsiam_collapse_uses_one_criterion_both_ways():
    """Collapsed is std x sqrt(d) <= 0.15, for every run; no rule relative to (a)."""
    assert simsiam_findings.SIMSIAM_COLLAPSED == 0.15
    both = simsiam_findings.simsiam_collapse(_simsiam(50, 20, 18, b_std=0.15, c_std=0.01), "demo",
                                     "synthetic")  # fmt: skip
    assert "Criterion: collapsed when std x sqrt(d) <= 0.15 (Chen & He's Fig. 2). (a)" in both
    assert "(a) stop-gradient: loss -0.900, output std x sqrt(d) 1.00: not collapsed." in both
    assert both.count(": collapsed. It is the projector's output z") == 2
    assert "too short" not in both
    # (b) at 0.28 (half of (a)'s would once have counted as collapsed) is not collapsed
    weak = simsiam_findings.simsiam_collapse(_simsiam(50, 20, 18, a_std=0.6, b_std=0.28), "demo",
                                     "synthetic")  # fmt: skip
    assert "(b) without stop-gradient: loss -0.900, output std x sqrt(d) 0.28: not collapsed" in (
        weak
    )
    assert "By this criterion (b) did not collapse in this run: it may be too short" in weak
    assert "the full profile" in weak
    full = simsiam_findings.simsiam_collapse(
        _simsiam(50, 20, 18, b_std=0.5, c_std=0.4), "full", "real"
    )
    assert "(b) and (c) did not collapse in this run, unlike Chen & He's Fig. 2." in full
    assert "too short" not in full  # the handout's budget: no excuse
    only_c = dict(_simsiam(50, 20, 18, c_std=0.4))
    del only_c["no_stop_gradient"]  # (b) not trained: no empty list in the sentence
    text_c = simsiam_findings.simsiam_collapse(only_c, "demo", "synthetic")
    assert "By this criterion (c) did not collapse" in text_c and "criterion  did" not in text_c
    gone = simsiam_findings.simsiam_collapse(_simsiam(12, 11, 11, a_std=0.05), "demo", "synthetic")
    assert "output std x sqrt(d) 0.05: collapsed." in gone


def test_simsiam_collapse_says_what_collapses_and_reads_run_d():
    """A collapsed run's projector output collapses; its backbone may keep information, and
    the sentence follows the backbone's kNN accuracy. Run (d) is read both ways, and what it
    says about Chen & He's report names the data it holds for."""
    runs = _simsiam(49.6, 23.4, 20.1, a_std=0.99, b_std=0.02, c_std=0.03)
    runs["fixed_random_init"] = {
        "final_knn_accuracy": 30.0,
        "output_std_x_sqrt_dim": 0.071,
        "final_loss": -0.95,
    }
    text = simsiam_findings.simsiam_collapse(runs, "demo", "synthetic")
    assert "at chance" not in text
    assert "projector's output z that collapsed" in text and "reach 23.4% kNN" in text
    assert "kept some information" not in text  # no reference: no claim about what it kept
    assert "(d) frozen random predictor: loss -0.950, output std x sqrt(d) 0.07: collapsed" in text
    assert "in this run (on this stand-in, not on CIFAR-10) (d) collapsed, unlike their report" in (
        text
    )
    real = simsiam_findings.simsiam_collapse(runs, "demo", "real")
    assert "in this run (on real images) (d) collapsed, unlike their report" in real
    runs["fixed_random_init"]["output_std_x_sqrt_dim"] = 0.32
    text = simsiam_findings.simsiam_collapse(runs, "demo", "synthetic")
    assert "(d) frozen random predictor: loss -0.950, output std x sqrt(d) 0.32: not collapsed" in (
        text
    )
    assert "in this run (on this stand-in, not on CIFAR-10) (d) did not collapse, as they" in text
    # what training did to the backbone is read against its kNN accuracy after epoch 1
    for first, words in (
        (20.0, "3.4 points above its 20.0% after the first epoch"),
        (23.0, "about its 23.0% after the first epoch: training added little"),
        (26.0, "below its 26.0% after the first epoch: training made them worse"),
    ):
        runs["no_stop_gradient"]["first_epoch_knn_accuracy"] = first
        assert words in simsiam_findings.simsiam_collapse(runs, "demo", "synthetic")


def test_beta_effects_and_interpolation():
    runs = {
        "autoencoder": {"reconstruction_error": 5.6, "frechet_distance": 165},
        "vae_beta_0": {"reconstruction_error": 5.7, "frechet_distance": 160, "kl": 407},
        "vae_beta_10": {"reconstruction_error": 25.8, "frechet_distance": 80, "kl": 3.7},
        "vae_beta_tuned": {"reconstruction_error": 7.3, "frechet_distance": 18.8, "kl": 22.8},
    }
    assert "Expected but not seen" not in autoencoders_findings.beta_effects(runs)
    runs["vae_beta_tuned"]["frechet_distance"] = 200
    assert "Expected but not seen: the tuned" in autoencoders_findings.beta_effects(runs)
    for entry in runs.values():  # a tie (a smoke run) shows nothing
        entry.update(reconstruction_error=90.83, kl=0.3)
    text = autoencoders_findings.beta_effects(runs)
    assert "beta = 10 reconstructs worst" in text.split("not seen")[1]
    assert (
        "the VAE midpoints look more like some digit, as expected"
        in wording.midpoint_confidence({"AE": 0.5, "VAE": 0.8}, better="VAE")
    )
    assert "Against the expectation, the AE" in wording.midpoint_confidence(
        {"AE": 0.8, "VAE": 0.5}, better="VAE"
    )
    assert "alike" in wording.midpoint_confidence({"AE": 0.5, "VAE": 0.52}, better="VAE")


def test_entanglement_reads_the_effects():
    unsure = {"label_change": 1.0, "colour_change": 1.0, "both": 1.0, "confidence": 0.2}
    assert "say little" in gan_findings.entanglement(unsure, None, 3, 100)
    assert "entangled" in gan_findings.entanglement({"label_change": 0.5, "colour_change": 0.5,
                                                 "both": 0.25}, None, 3, 100)  # fmt: skip
    assert "no evidence" in gan_findings.entanglement({"label_change": 0.5, "colour_change": 0.0,
                                                   "both": 0.0}, None, 3, 100)  # fmt: skip


def test_notebooks_do_not_claim_collapsed_features_are_at_chance_nor_the_handouts_sign():
    """The backbone of a collapsed run keeps information in this workbook's runs, and the
    handout's eq. (1) is generated minus real: no fixed sentence may say otherwise."""
    import json

    root = Path(__file__).resolve().parent.parent
    text = {
        name: "".join(
            "".join(c["source"])
            for c in json.loads((root / "notebooks" / f"{name}.ipynb").read_text())["cells"]
        )
        for name in ("02_gans", "03_simsiam")
    }
    assert "kNN at chance" not in text["03_simsiam"]
    assert "kNN accuracy stuck at chance" not in text["03_simsiam"]
    assert "as in the handout's equation" not in text["02_gans"]
    from helpers import gan

    assert "handout's sign" not in (gan.vf_wasserstein_distance.__doc__ or "")
    assert "eq. (3)" in gan.vf_wasserstein_distance.__doc__


def test_midpoint_confidence_says_how_many_pairs_and_hedges_a_few():
    few = wording.midpoint_confidence({"AE": 0.59, "VAE": 0.74}, better="VAE", pairs=3)
    assert "over 3 pairs" in few and "too few for a verdict" in few
    many = wording.midpoint_confidence({"AE": 0.59, "VAE": 0.74}, better="VAE", pairs=200)
    assert "as expected" in many and "too few" not in many
    against = wording.midpoint_confidence({"AE": 0.8, "VAE": 0.6}, better="VAE", pairs=200)
    assert "Against the expectation, the AE midpoints" in against


def test_gan_samples_does_not_call_an_intermediate_generator_good():
    text = gan_findings.gan_samples(28.5, 9.7, 0.07, "demo", "synthetic")
    assert "learned much" not in text and "139x the floor" in text


def test_full_profile_record_sits_beside_this_run():
    models = {"course_mlp": "course MLP", "course_mlp_latent20": "L = 20", "conv": "conv"}
    this = {
        "course_mlp": {"valid_elbo": -119.14, "test_log_likelihood": -110.2, "test_images": 500}
    }
    record = {
        "profile": "full",
        "data": "real",
        "device": "cpu",
        "course_mlp": {
            "valid_elbo": -101.198,
            "test_log_likelihood": -95.505,
            "test_images": 10000,
        },
        "course_mlp_latent20": {"valid_elbo": -100.11, "test_images": 10000},
    }
    text = vae_findings.full_profile_record(this, record, models, ("demo", "synthetic"))
    assert (
        "Beside the recorded run (full profile, real data, cpu), this run (demo profile, "
        "synthetic data):" in text
    )
    assert (
        "- course MLP: this run valid ELBO -119.14, log p(x) -110.20 over 500 test images; "
        "recorded valid ELBO -101.20, log p(x) -95.50 over 10000 test images." in text
    )
    assert "- L = 20: this run not run; recorded valid ELBO -100.11." in text
    assert "conv" not in text  # in neither run
    # the recorded verdict is Q6's (elbo_target's), not repeated here
    assert "meets" not in text and "misses" not in text and "target" not in text
    none = vae_findings.full_profile_record(this, None, models, ("d", "s"))
    assert "No full-profile record" in none


def test_model_names_in_words_are_not_set_as_code():
    runs = {
        "course MLP VAE": {"valid_elbo": -101.0, "epochs": 20},
        "conv": {"valid_elbo": -99.0, "epochs": 20},
    }
    text = vae_findings.elbo_target(runs, "full", "real")
    assert "- course MLP VAE: -101.00" in text and "- `conv`: -99.00" in text


_STATS = {"images": 500, "sharpness_samples": 0.247, "sharpness_real": 0.163, "nn_samples": 0.57,
          "nn_real": 0.483, "nn_train_samples": 0.546, "nn_train_real": 0.438,
          "classes_samples": 8, "classes_real": 10, "top_class_samples": 0.21,
          "top_class_real": 0.122, "confidence_samples": 0.27, "confidence_real": 0.41}  # fmt: skip


def test_gan_sample_quality_says_what_the_measures_say_both_ways():
    text = gan_findings.gan_sample_quality(_STATS, "demo", "synthetic")
    assert "not blur but" not in text and "finds no blur" in text and "look sharp" in text
    assert "at least as spread out" in text
    assert "fewer and more unequal than the real spread, a possible sign of dropped modes" in text
    assert "fewer or more unequal" not in text  # a verdict, not a template
    assert "not near-duplicates" in text  # the two diversity readings reconciled
    even = {**_STATS, "classes_samples": 10, "top_class_samples": 0.13, "nn_samples": 0.45,
            "sharpness_samples": 0.1}  # fmt: skip
    text = gan_findings.gan_sample_quality(even, "demo", "synthetic")
    assert "a spread like the real one, no sign of dropped modes" in text
    assert "a little less spread out" in text and "blurrier" in text
    assert "fewer but" not in text and "more unequal than" not in text
    assert "only more unequal" not in text
    one = gan_findings.gan_sample_quality({**even, "top_class_samples": 0.3}, "demo", "synthetic")
    assert ": more unequal than the real spread" in one


def test_entanglement_states_eps_threshold_and_what_each_row_changes():
    shown = {"coordinates": 8, "label_change": 1.0, "colour_change": 1.0, "both": 1.0,
             "confidence": 0.9, "confidence_moved": 0.8, "colour_threshold": 0.05}  # fmt: skip
    rows = [{"dim": 71, "labels": [3, 3, 5], "channel": "blue", "shift": -0.21,
             "brightness": -0.1},
            {"dim": 4, "labels": [1, 1, 1], "channel": "red", "shift": 0.02, "brightness": 0.01}]
    text = gan_findings.entanglement(shown, None, 2, 100, rows=rows)
    assert "z'_i = z_i + eps, for eps from -2 to +2" in text
    assert "more than 0.05 on the [-1, 1] pixel scale" in text
    assert "z[71]: the mean blue falls by 0.21" in text and "reads 3, 3, 5" in text
    assert "z[4]: the mean red rises by 0.02" in text and "label stays 1" in text
    assert "1 of the shown rows moves no colour channel by more than 0.05 between eps = -2" in text
    assert "layout" not in text  # not measured
    assert "within the range" not in text and "+-3" not in text


def test_interpolation_contrast_reads_the_cross_fade_both_ways():
    faded = gan_findings.interpolation_contrast({"latent": 0.4, "data": 0.3, "ends": 0.42}, 50)
    assert "Over 50 pairs" in faded and "washed out" in faded
    alike = gan_findings.interpolation_contrast({"latent": 0.4, "data": 0.41, "ends": 0.42}, 50)
    assert "alike" in alike and "washed out" not in alike
    against = gan_findings.interpolation_contrast({"latent": 0.3, "data": 0.4, "ends": 0.42}, 50)
    assert "Against the expectation" in against


def test_autoencoder_codes_is_a_sentence_with_the_evidence_both_ways():
    from helpers.autoencoders import findings as ae_findings

    ae, tuned = {"reconstruction_error": 14.1, "frechet_distance": 149.0}, {
        "reconstruction_error": 22.6, "frechet_distance": 63.1}
    far = ae_findings.autoencoder_codes({"norm": 26.5, "prior_norm": 3.9, "std": 4.1}, ae,
                                        tuned, 0.27)  # fmt: skip
    assert "mean norm of 26.5" in far and "6.8x the prior's radius" in far
    assert "squared error of 14.1 per image" in far and "does not generate as well" in far
    near = ae_findings.autoencoder_codes({"norm": 4.0, "prior_norm": 3.9, "std": 1.0}, tuned,
                                         ae, 0.27)  # fmt: skip
    assert "about the prior's radius" in near and "not worse by this measure" in near
    assert "no less than" in near


def test_embedding_choice_does_not_repeat_the_midpoint_confidences():
    from helpers.autoencoders import findings as ae_findings

    text = ae_findings.embedding_choice({"AE": 0.54, "VAE": 0.55}, {"AE": 149, "VAE": 63}, 50)
    assert "54%" not in text and "55%" not in text and "alike" in text


def _cells(name: str) -> list[str]:
    import json

    root = Path(__file__).resolve().parent.parent
    notebook = json.loads((root / "notebooks" / f"{name}.ipynb").read_text())
    return ["".join(c["source"]) for c in notebook["cells"]]


def test_notebook_02_uses_one_eps_and_labels_the_handouts_questions():
    from helpers.tools.report_ideas import IDEAS
    from helpers.tools.report_text import CAPTIONS

    cells = _cells("02_gans")
    text = "\n".join(cells)
    assert 'eps = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]' in text  # the figure's and the stats'
    assert "$\\epsilon$ runs from -2 to\n2" in text and "runs from -3" not in text
    assert "within the range a coordinate of N(0, 1) takes" not in text  # eps is not z_i + eps
    assert r"from $-2$ to $+2$" in CAPTIONS["02_gans/latent_perturbations"]
    assert r"$\epsilon$ runs from $-2$ to $+2$" in IDEAS["P2.Q3"] and "beyond $\\pm 2$" not in (
        IDEAS["P2.Q3"])
    headings = [c.splitlines()[0] for c in cells if c.startswith("#")]
    for label in ("(Problem 2, Q2)", "(Problem 2, Q3)", "(Problem 2, Q4 (a) and (b))",
                  "(B2.1, beyond the handout)", "(B2.2, beyond the handout)",
                  "(B2.3, beyond the handout)"):  # fmt: skip
        assert any(label in h for h in headings), label
    assert sum('wb.finding(\n    "gan_samples"' in c for c in cells) == 1  # printed once
    assert "{n_check} {SVHN} test images" not in text
    assert "n_pairs = 50" in text  # the midpoints of many pairs, not the figure's three


def test_notebook_04_names_its_parts_and_agrees_with_the_figures():
    cells = _cells("04_autoencoders")
    text = "\n".join(cells)
    for number in ("(B4.1)", "(B4.2)", "(B4.3)"):
        assert any(c.startswith("## ") and number in c.splitlines()[0] for c in cells), number
    assert "related assignment's autoencoder-vs-VAE question" in text
    for wrong in ("smudges", "look like noise", "its output is arbitrary", "say n/a"):
        assert wrong not in text, wrong
    assert 'wb.record("autoencoder_codes"' in text
    assert sum('"midpoint_confidence",' in c for c in cells) == 1  # printed once


def test_report_outline_of_problems_2_and_4():
    from helpers.tools.questions import QUESTIONS
    from helpers.tools.report_ideas import IDEAS, INTROS
    from helpers.tools.report_text import CAPTIONS, LABELS

    gans = {q.key: q for q in QUESTIONS["02_gans"].questions}
    assert "generator_losses" not in gans["B2.1"].figures  # theory: cited in the idea
    assert "generator_losses" in gans["B2.1"].illustrations
    assert "Theory, not a result of this run" in CAPTIONS["02_gans/generator_losses"]
    assert "wgan_curves" in gans["B2.2"].figures and "wgan_curves" not in gans["P2.Q2"].figures
    assert {"curve_shape", "critic_lipschitz"}.isdisjoint(gans["P2.Q2"].findings)
    assert "interpolation_contrast" in gans["P2.Q4"].findings
    assert "A sign convention" not in IDEAS["P2.Q2"] and "sign" in IDEAS["B2.2"]
    assert "VAE covers the data" in IDEAS["B2.3"]
    assert "beyond the handout" in CAPTIONS["02_gans/interpolation_latent_vs_data"]
    q3 = gans["P2.Q3"].tables[0]
    assert dict(q3.headers)["confidence"] == "confidence, unmoved image"
    assert "unmoved" not in LABELS["confidence"]  # the Q2 table's row is not Q3's
    assert "trained" in LABELS["frechet_distance"] and "samples" in LABELS["frechet_distance"]
    assert "sq. errors" in LABELS["reconstruction_error"]
    ae = {q.key: q for q in QUESTIONS["04_autoencoders"].questions}
    assert ae["B4.1"].findings == ("autoencoder_codes",) and not ae["B4.1"].tables
    assert not ae["B4.3"].tables  # the confidences are said once, in the finding
    b42 = ae["B4.2"].tables[0]
    assert dict(b42.headers).get("frechet_distance") == "FD of prior samples"
    assert "related assignment's autoencoder-vs-VAE question" in INTROS["04_autoencoders"]
    assert "something arbitrary" not in IDEAS["B4.1"]
