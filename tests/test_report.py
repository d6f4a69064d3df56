"""``python -m helpers report``: report.md and report.tex from one profile's outputs, in the
handout's order and numbering, with the findings the notebooks recorded, numbered figures and
tables, one stand-in note per problem and the provenance once, at the end."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import pytest

from helpers.notebook import plots, workbook
from helpers.tools import cli, handout, report, report_doc, report_sentences, report_text
from helpers.tools import questions as report_questions

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
HANDOUT_TEXT = ROOT.parent / "shared" / "course" / "handout.md"
ANALYTIC = {"valid_elbo": -119.14, "test_elbo": -119.79, "test_log_likelihood": -112.746,
            "epochs": 6, "train_seconds": 6.2, "is_samples": 200, "test_images": 500}  # fmt: skip
MC = {**ANALYTIC, "valid_elbo": -123.2273, "test_log_likelihood": -115.9, "train_seconds": 5.9}
RUN = {"first_epoch_knn_accuracy": 19.65, "final_knn_accuracy": 49.65, "final_loss": -0.577,
       "output_std_x_sqrt_dim": 0.994, "dim": 256, "epochs": 16}  # fmt: skip
GRADED = {"vf_wasserstein_distance": "yours", "lp_reg": "reference"}


@pytest.fixture(scope="session")
def figure_files(tmp_path_factory) -> Path:
    """One figure as the notebooks save it (PNG and PDF), copied under every name below."""
    folder = tmp_path_factory.mktemp("figure")
    plots.save_figure(plots.plot_curves({"a": ([1, 2], [2, 1])}, ylabel="ELBO"), "figure",
                      directory=folder)  # fmt: skip
    return folder


class Saver:
    """``save_figure(name, directory)``: the session's figure files copied to ``name``."""

    source: Path | None = None

    def save_figure(self, name: str, directory: Path) -> None:
        assert self.source is not None
        directory.mkdir(parents=True, exist_ok=True)
        for suffix in (".png", ".pdf"):
            shutil.copy(self.source / f"figure{suffix}", directory / f"{name}{suffix}")


SAVER = Saver()


@pytest.fixture(autouse=True)
def _figures(figure_files):
    SAVER.source = figure_files


NOTEBOOKS_RUN = ("01_vae", "02_gans", "03_simsiam")


def write_outputs(root: Path, data: str, with_findings: bool = True, elbo: float = -119.14,
                  problems: tuple[str, ...] = NOTEBOOKS_RUN) -> Path:  # fmt: skip
    """A profile's folder as the notebooks leave it: figures and metrics.json per notebook."""
    profile = "full" if data == "real" else "smoke"
    common = {"profile": profile, "data": data, "device": "cpu", "seed": 0, "seconds": 12.5,
              "torch": "2.14.1"}  # fmt: skip
    if "01_vae" in problems:
        for name in ("elbo_analytic_vs_mc", "log_likelihood_estimators", "latent_sizes",
                     "an_unlisted_figure", "data"):  # fmt: skip
            SAVER.save_figure(name, directory=root / "01_vae")
        runs = {"course_mlp": {**ANALYTIC, "valid_elbo": elbo}, "course_mlp_mc_kl": MC}
        metrics = {
            **runs,
            "log_likelihood_estimators": {"K": 200,
                                          "prior": [-189.330169, -183.98, -191.16] * 3 + [-2.0],
                                          "importance": [-115.0101, -114.87, -115.03] * 3
                                          + [-115.1]},
            "active_units_latent100": 98,
            "something_new": {"value": 1.523456, "tiny": 3.894e-05, "fit_seconds": 3.0},
            **common,
        }  # fmt: skip
        if with_findings:
            metrics["findings"] = {
                "kl_estimators": "In this run the validation ELBO is -119.14 (analytic KL).",
                "elbo_target": "**Target: validation ELBO >= -102 nats** (smoke profile).",
                "elbo_gap": "In this run the gap log p(x) - ELBO is 6.4 nats.",
                "an_unlisted_finding": "A finding that **no question** lists.",
            }
        (root / "01_vae" / "metrics.json").write_text(json.dumps(metrics))
    if "02_gans" in problems:
        for name in ("wgan_samples_final", "interpolation_latent_vs_data", "latent_perturbations",
                     "vanilla_discriminator"):  # fmt: skip
            SAVER.save_figure(name, directory=root / "02_gans")
        gans = {"wgan_lp": {"frechet_distance": 10.03, "frechet_distance_init": 29.06,
                            "frechet_distance_real": 0.0669, "iterations": 800},
                "interpolation_midpoint_confidence": {"latent": 0.2236, "data": 0.1883},
                "graded_functions": GRADED, **common}  # fmt: skip
        if with_findings:
            gans["findings"] = {"midpoint_confidence": "At alpha = 0.5 the classifier is 22% sure.",
                                "curve_shape": "The Frechet distance falls; std x sqrt(d) too."}
        (root / "02_gans" / "metrics.json").write_text(json.dumps(gans))
    if "03_simsiam" in problems:
        for name in ("views", "loss", "knn_accuracy"):
            SAVER.save_figure(name, directory=root / "03_simsiam")
        probe = {"linear_train_accuracy": 68.344, "linear_test_accuracy": 64.35}
        simsiam = {"raw_pixel_knn_accuracy": 63.65, "stop_gradient": RUN,
                   "no_stop_gradient": {**RUN, "final_loss": -0.954},
                   "no_pred_mlp": {**RUN, "final_loss": -0.953},
                   "fixed_random_init": {**RUN, "final_loss": -0.29},
                   "linear_evaluation": {"stop_gradient": probe}, **common}  # fmt: skip
        if with_findings:
            simsiam["findings"] = {"simsiam_collapse": "- (b) without stop-gradient: collapsed.\n"
                                   "- (c) identity predictor: collapsed.\n"
                                   "- (d) frozen random predictor: not collapsed.\n"
                                   "Chen & He report that (d) fails to learn."}  # fmt: skip
        (root / "03_simsiam" / "metrics.json").write_text(json.dumps(simsiam))
    return root


@pytest.fixture
def outputs(tmp_path):
    return write_outputs(tmp_path / "figures" / "smoke", "synthetic")


def sections(markdown: str) -> dict[str, str]:
    """Each heading of report.md (any level) -> the text up to the next heading."""
    parts = re.split(r"^#{2,4} (.*)$", markdown, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def problems(markdown: str) -> dict[str, str]:
    """Each ``##`` part of report.md -> its text, subsections included."""
    parts = re.split(r"^## (.*)$", markdown, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


# ------------------------------------------------------------------------ the handout's questions


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\\_", "_").replace("*", "")).lower()


@pytest.mark.skipif(not HANDOUT_TEXT.exists(), reason="the handout's text is not beside the repo")
def test_the_question_list_cites_the_handout():
    """Every question of :mod:`helpers.tools.handout` is in the handout, under its problem, with
    its number, kind and points; and every numbered question of the handout is in the list."""
    text = HANDOUT_TEXT.read_text()
    chunks = re.split(r"^## Problem (\d)", text, flags=re.M)
    by_problem = {int(chunks[i]): chunks[i + 1] for i in range(1, len(chunks), 2)}
    for q in handout.QUESTIONS:
        body = by_problem[q.problem]
        assert _normal(q.quote) in _normal(body), (q.key, q.quote)
        number = q.number.split()[0]
        pattern = rf"(?m)^\s*{number}\. \**\({q.kind}, {q.points} pts\)"
        assert re.search(pattern, body), (q.key, pattern)
    for problem, body in by_problem.items():
        numbered = re.findall(r"(?m)^\s*(\d)\. \**\((report|unittest), \d+ pts\)", body)
        listed = [(q.number.split()[0], q.kind) for q in handout.QUESTIONS if q.problem == problem]
        assert numbered == listed, problem
    assert [q.number for q in handout.QUESTIONS if q.kind == "report"] == \
        ["6", "7", "2", "3", "4 (a), (b)", "4", "5 (a)"]  # fmt: skip


def test_every_handout_report_question_is_answered_under_its_number():
    """The report's structure places each report question of the handout once, under its
    problem; nothing beyond the handout is numbered like a question of the handout."""
    placed = [q.handout for part in report_questions.QUESTIONS.values() for q in part.questions
              if q.handout]  # fmt: skip
    assert sorted(placed) == sorted(q.key for q in handout.QUESTIONS if q.kind == "report")
    for notebook, part in report_questions.QUESTIONS.items():
        for q in part.questions:
            if q.handout:
                assert part.problem == q.question.problem and q.heading.startswith("Q")
            else:
                assert re.fullmatch(r"(B\d|A)\.\d", q.number), (notebook, q.number)
                if part.problem:
                    assert q.number.startswith(f"B{part.problem}."), (notebook, q.number)


def test_headings_carry_the_handouts_numbers(outputs):
    md, tex = report.build_report(outputs, "smoke")
    text = md.read_text()
    parts = problems(text)
    for problem in (1, 2, 3):
        title = next(t for t in parts if t.startswith(f"Problem {problem}:"))
        headings = re.findall(r"^### (.*)$", parts[title], flags=re.M)
        wanted = [f"{q.label} {q.title}" for q in handout.report_questions(problem)]
        assert [h for h in headings if h.startswith("Q")] == wanted, problem
        assert "Beyond the handout" in headings  # after the handout's questions
        assert headings.index("Beyond the handout") > headings.index(wanted[-1])
        beyond = re.findall(r"^#### (B\d\.\d) ", parts[title], flags=re.M)
        assert beyond and all(b.startswith(f"B{problem}.") for b in beyond)
    assert "### Q4 (a), (b) Interpolating in the latent space (a) and in the data space (b)" in text
    assert "### Q5 (a) The predictor replaced by the identity" in text
    assert r"\subsection*{Q6 Validation ELBO of the VAE with L = 100" in tex.read_text()
    order = [t.split(":")[0] for t in parts]
    assert order == ["Problem 1", "Problem 2", "Problem 3", "Appendix B"]


def test_problem_3_maps_the_handouts_runs_and_splits_the_findings(outputs):
    md, _ = report.build_report(outputs, "smoke")
    q = sections(md.read_text())
    q4 = q["Q4 With and without stop-gradient (100 epochs in the handout): loss and kNN"]
    q5 = q["Q5 (a) The predictor replaced by the identity"]
    d = q["B3.2 A frozen random predictor, the workbook's run (d)"]
    assert "(b) without stop-gradient: collapsed" in q4 and "(c) identity" not in q4
    assert "(c) identity predictor: collapsed" in q5 and "(b) without" not in q5
    assert "(d) frozen random predictor" in d and "Chen & He report that (d)" in d
    assert "| with stop-gradient (a) | -0.577 |" in q4 and "| identity predictor (c) |" in q5
    intro = problems(md.read_text())["Problem 3: SimSiam on CIFAR-10"]
    assert "Q5 (a)'s identity predictor is the workbook's run (c)" in intro
    assert "Figures 8, 9 and 10" not in q5 and re.search(r"This run\*\* \(Figures \d+ and \d+", q5)


# --------------------------------------------------------------------------- prose and numbers


def test_explain_questions_get_the_idea_and_what_this_run_shows(outputs):
    md, tex = report.build_report(outputs, "smoke")
    q = sections(md.read_text())
    interpolation = q["Q4 (a), (b) Interpolating in the latent space (a) and in the data space (b)"]
    assert "cross-fade" in interpolation and "ghosting" in interpolation
    assert r"$\alpha = 1$ gives $g(z_0)$" in interpolation  # the handout's convention, said
    assert "**This run** (Figure" in interpolation and "22% sure" in interpolation
    samples = q["Q2 Visual samples: blurriness and diversity"]
    assert "*Blurriness.*" in samples and "*Diversity.*" in samples
    curves = q["B2.2 Training curves of the WGAN-LP"]  # beyond Q2: its own item
    assert "real minus generated" in curves and "eq. (1)" in curves  # the sign, once
    assert "real minus generated" not in samples and "Wasserstein estimate" not in samples
    assert md.read_text().count("eq. (1)") == 1
    loglik = q["Q7 Test log-likelihood by importance sampling, K = 200"]
    assert "lower bound" in loglik and "from below" in loglik
    assert "averages 50 test images, the table 500 test images" in loglik
    assert "-114.98 nats" in loglik  # the comparison's own mean, beside the table's -112.75
    latent = r"$\alpha$" in tex.read_text() and r"$\times\sqrt{d}$" in tex.read_text()
    assert latent and "Fréchet distance falls" in md.read_text()


def test_the_unit_test_paragraph_says_whose_functions_ran(outputs):
    md, _ = report.build_report(outputs, "smoke")
    parts = problems(md.read_text())
    gans = parts["Problem 2: a WGAN with a Lipschitz penalty on SVHN"]
    assert "**Unit-test question Q1** (graded by the course's tests)" in gans
    assert "Yours ran where it passed its checks: `vf_wasserstein_distance`" in gans
    assert "the reference ran for `lp_reg`" in gans
    vae = parts["Problem 1: variational autoencoders on binarized MNIST"]
    assert "**Unit-test questions Q1–Q5**" in vae and "did not record whose functions ran" in vae
    yours = dict.fromkeys(("SimSiam.forward", "CosineSimilarity.forward", "SimSiam.loss"), "yours")
    assert "All 3 are yours" in report_sentences.graded_sentence(3, {"graded_functions": yours})
    ref = dict.fromkeys(yours, "reference")
    text = report_sentences.graded_sentence(3, {"graded_functions": ref})
    assert "The reference implementations in `helpers` ran for all of them" in text
    partial = {"SimSiam.forward": "yours"}  # the others unrecorded: not a verdict
    assert "did not record" in report_sentences.graded_sentence(3, {"graded_functions": partial})


def test_computed_sentences_say_both_outcomes():
    met = {"course_mlp": {"valid_elbo": -101.2, "epochs": 20},
           "course_mlp_mc_kl": {"valid_elbo": -102.05, "epochs": 20},
           "profile": "full", "data": "real"}  # fmt: skip
    text = report_sentences.target_sentences(met)
    assert "-101.20 nats after 20 epochs; it meets the target by 0.80" in text
    assert "-102.05 nats after 20 epochs; it misses the target by 0.05" in text
    assert "not Q6's answer" not in text
    assert "not Q6's answer" in report_sentences.target_sentences({**met, "data": "synthetic"})
    gap = report_sentences.gap_sentences({"course_mlp": ANALYTIC})
    assert "7.04 nats above its test ELBO" in gap and "from below" in gap
    low = {"course_mlp": {**ANALYTIC, "test_log_likelihood": -120}}
    below = report_sentences.gap_sentences(low)
    assert "*below* its test ELBO" in below
    record = {"course_mlp": {"valid_elbo": -101.2, "epochs": 20},
              "course_mlp_latent20": {"valid_elbo": -100.11}}  # fmt: skip
    assert "L = 20 is ahead by 1.09 nats there," in report_sentences.latent_record_sentence(
        record)
    record["course_mlp_latent20"]["valid_elbo"] = -103.0
    assert "L = 100 is ahead by 1.80" in report_sentences.latent_record_sentence(record)
    same = {"course_mlp": {**ANALYTIC, "test_images": 50},
            "log_likelihood_estimators": {"K": 200, "importance": [-115.0]}}  # fmt: skip
    assert report_sentences.subset_sentence(same) == ""  # same images: nothing to explain


def test_notes_the_findings_already_make_are_not_repeated(tmp_path):
    root = write_outputs(tmp_path / "a", "synthetic", problems=("01_vae",))
    path = root / "01_vae" / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["findings"]["estimator_comparison"] = "Over the first 50 test images: ... (The " \
        "table's log p(x) is over 500 test images, hence a different number.)"  # fmt: skip
    path.write_text(json.dumps(metrics))
    md, _ = report.build_report(root, "smoke")
    assert "The comparison of estimators averages" not in md.read_text()
    assert "hence a different number" in md.read_text()


def test_sample_statistics_pair_the_samples_with_real_images():
    spec = report_questions.Table(("s",), pairs=("_samples", "_real"))
    stats = {"images": 500, "sharpness_samples": 0.05, "sharpness_real": 0.1,
             "classes_samples": 3, "classes_real": 10}  # fmt: skip
    data = report_doc.table_data([("s", stats)], spec)
    assert data.header == ["", "samples", "real test images"]
    assert data.rows == [["sharpness (mean gradient size)", "0.05", "0.10"],
                         ["classes holding at least 2% of labels", "3", "10"]]  # fmt: skip
    assert data.note == "images: 500"
    assert report_doc.cell([200, 150, 0], "latent_manifold_classes") == "200, 150, 0"
    said = report_doc.inline_table([("autoencoder", {"kl": 3.0, "train_seconds": 135.4})])
    assert said == "autoencoder: KL (nats) 3.0." and "seconds" not in said


def test_select_finding_keeps_the_lead_and_the_runs_items():
    text = "- (b) one\n  more of (b)\n- (c) two\nA closing word on (d).\nAnd on all."
    assert report_sentences.select_finding(text, ("(b)",)) == "- (b) one\n  more of (b)"
    assert report_sentences.select_finding(text, ("(d)",)) == "A closing word on (d)."
    assert report_sentences.select_finding(text, ("(e)",)) == ""
    led = "Criterion (std <= 0.15). (a): 0.99.\n" + text
    assert report_sentences.select_finding(led, ("(c)",)) == (
        "Criterion (std <= 0.15). (a): 0.99.\n- (c) two")  # the lead says the criterion


def test_the_full_record_gives_q6_and_q7_and_says_what_waits(tmp_path):
    root = write_outputs(tmp_path / "figures" / "full", "real", with_findings=False,
                         elbo=-101.2, problems=("01_vae",))  # fmt: skip
    for png in (root / "01_vae").glob("*"):
        if png.suffix in (".png", ".pdf"):
            png.unlink()  # the full record holds numbers only
    md, tex = report.build_report(root, "full")
    text = md.read_text()
    assert text.startswith("# Assignment 3 report from the workbook: the full profile, real data "
                           "(Problem 1 only)")  # fmt: skip
    q = sections(text)
    q6 = q["Q6 Validation ELBO of the VAE with L = 100 (target: at least -102)"]
    assert "it meets the target by 0.80" in q6 and "it misses the target by 21.23" in q6
    assert "Not in this record: Validation ELBO per epoch" in q6 and "on a GPU" in q6
    q7 = q["Q7 Test log-likelihood by importance sampling, K = 200"]
    assert "7.04 nats above its test ELBO" in q7
    for problem in (2, 3):
        part = next(v for k, v in problems(text).items() if k.startswith(f"Problem {problem}:"))
        assert "it has not been run on the real data (full profile)" in part
        assert "### " not in part  # no empty question headings
    assert "stand-in" not in text.lower() and "stand-in" not in tex.read_text().lower()


def test_a_demo_run_on_real_data_says_so_in_its_title(tmp_path):
    root = write_outputs(tmp_path / "figures" / "demo-real", "real", problems=("03_simsiam",))
    metrics = json.loads((root / "03_simsiam" / "metrics.json").read_text())
    (root / "03_simsiam" / "metrics.json").write_text(json.dumps({**metrics, "profile": "demo"}))
    md, _ = report.build_report(root, "demo")
    first = md.read_text().splitlines()[0]
    assert first == "# Assignment 3 report from the workbook: the demo profile, real data " \
        "(Problem 3 only)"  # fmt: skip
    (root / "scratch").mkdir()  # a folder of a student's own, named without an underscore
    (root / "scratch" / "metrics.json").write_text(json.dumps({"data": "real"}))
    md, _ = report.build_report(root, "demo")
    assert md.read_text().splitlines()[0].endswith("(Problem 3 only)")


# ------------------------------------------------------------------------------- the document


def test_figures_and_tables_are_numbered_and_cited(outputs):
    SAVER.save_figure("beta_sweep", outputs / "04_autoencoders")  # a stem with a symbol's word
    (outputs / "04_autoencoders" / "metrics.json").write_text(json.dumps({"data": "synthetic"}))
    md, tex = report.build_report(outputs, "smoke")
    text = tex.read_text()
    labels = re.findall(r"\\label\{(fig:\d+|tab:\d+)\}", text)
    assert len(labels) == len(set(labels)) > 10
    cited = set(re.findall(r"\\ref\{([^}]+)\}", text))
    appendix = text.split(r"\section*{Appendix B")[1]
    for name in labels:
        if not name.startswith("tab:") or name not in re.findall(r"label\{(tab:\d+)\}", appendix):
            assert name in cited, name  # the text cites every figure and table
    assert r"\caption*" not in text and r"[H]" not in text and "[htbp]" in text
    assert "?" not in "".join(re.findall(r"Figures? [^)]*\)", md.read_text()))  # every ref found
    figures = re.findall(r"^\*Figure (\d+):", md.read_text(), flags=re.M)
    assert figures == [str(i) for i in range(1, len(figures) + 1)]
    for n in figures:
        assert re.search(rf"Figures? (\d+, )*(\d+ and )?{n}\b", md.read_text()), n


def test_one_stand_in_note_per_problem_and_provenance_once_at_the_end(tmp_path):
    md, _ = report.build_report(write_outputs(tmp_path / "s", "synthetic"), "smoke")
    text = md.read_text()
    for title, body in problems(text).items():
        if title.startswith("Problem"):
            assert body.count("*Stand-in data.*") == 1, title
    assert "(stand-in data)" not in text  # said once per problem, not per heading or caption
    assert text.count("torch 2.14.1") == 0 and text.count("| 2.14.1 |") == 3
    assert list(problems(text))[-1] == "Appendix B: provenance"
    assert "Run:" not in text
    real, _ = report.build_report(write_outputs(tmp_path / "r", "real"), "full")
    assert "stand-in" not in real.read_text().lower()


def test_tables_are_compact_and_show_words_not_raw_keys(outputs):
    md, tex = report.build_report(outputs, "smoke")
    lines = [line for line in md.read_text().splitlines() if line.startswith("|")]
    assert len(lines) > 10
    for line in lines:
        assert "_" not in line and "seconds" not in line, line  # no raw key, no timing
        assert not re.search(r"\d\.\d{5,}", line), line  # rounded
    text = tex.read_text()
    assert "kNN accuracy on raw pixels (\\%): 63.6" in text  # one number: said, not tabled
    for table in re.findall(r"\\begin\{tabularx?\}.*?\\end\{tabularx?\}", text, re.S):
        rows = table.split(r"\midrule")[1].count(r"\\")
        columns = table.split(r"\toprule")[1].split(r"\\")[0].count("&")
        assert rows >= 2 or columns >= 2, table  # no one-number table
    assert "std $\\times\\sqrt{d}$" in text


def test_latex_is_well_formed(outputs):
    _, tex = report.build_report(outputs, "smoke")
    text = tex.read_text()
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    for env in ("figure", "table", "document", "itemize"):
        assert text.count(rf"\begin{{{env}}}") == text.count(rf"\end{{{env}}}") > 0
    assert not re.search(r"\\(sub)*section\{", text)  # no LaTeX numbers beside the handout's
    assert "**" not in text and "`" not in text  # Markdown converted
    body = re.sub(r"\\[{}_%&#$]", "", text)
    assert body.count("{") == body.count("}")
    assert report_text.tex_escape("a_b & 50% #1 {x}") == r"a\_b \& 50\% \#1 \{x\}"
    assert report_text.markdown_to_latex("*$D^*(x)$ is* **1/2**, alpha = 1 +- 0.1") == (
        r"\emph{$D^*(x)$ is} \textbf{1/2}, $\alpha$ = 1 $\pm$ 0.1")  # math kept, symbols typeset
    assert report_text.markdown_text("alpha = 1, Frechet, `alpha`") == "α = 1, Fréchet, `alpha`"


def empty_headings(text: str) -> list[str]:
    """Headings of the .tex followed by another heading, a page break or the end."""
    lines = [line for line in text.splitlines() if line.strip()]
    heading = re.compile(r"\\(sub)*section\*?\{")
    return [
        line for line, after in zip(lines, [*lines[1:], ""], strict=True)
        if heading.match(line) and (heading.match(after) or after.startswith((r"\clearpage",
                                                                                r"\end{document}")))
    ]  # fmt: skip


def test_empty_headings_are_found():
    assert empty_headings("\\section*{A}\n\\subsection*{B}\ntext\n\\subsection*{C}\n\\clearpage")
    assert not empty_headings("\\section*{A}\n\\emph{Run}\n\\subsection*{B}\ntext\n")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not on PATH")
def test_latex_compiles_without_overfull_boxes_or_empty_headings(outputs):
    metrics = outputs / "01_vae" / "metrics.json"  # a long finding
    m = json.loads(metrics.read_text())
    m["findings"]["elbo_gap"] += " " + "A_very_long_identifier_without_spaces " * 3
    metrics.write_text(json.dumps(m))
    _, tex = report.build_report(outputs, "smoke")
    assert not empty_headings(tex.read_text())
    for _ in range(2):  # twice: the references
        result = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
            cwd=outputs, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-2000:]
    assert (outputs / "report.pdf").stat().st_size > 1000
    log = (outputs / "report.log").read_text(errors="replace")
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert not [x for x in overfull if x > 10], overfull
    assert "undefined" not in log.lower(), "a \\ref without its \\label"
    if shutil.which("pdftotext"):  # no page ends with a heading whose text went on
        pdf = subprocess.run(["pdftotext", "-layout", "report.pdf", "-"], cwd=outputs,
                             capture_output=True, text=True, check=True)  # fmt: skip
        titles = {q.heading for part in report_questions.QUESTIONS.values()
                  for q in part.questions} | {"Beyond the handout"}  # fmt: skip
        for page in pdf.stdout.split("\f"):
            lines = [x.strip() for x in page.splitlines() if x.strip() and not x.strip().isdigit()]
            if lines:
                assert not any(lines[-1].startswith(t[:30]) for t in titles), lines[-1]


def test_command_line(outputs, tmp_path, capsys):
    assert cli.main(["report", "--profile", "smoke", "--figures-dir", str(outputs)]) == 0
    assert "report.tex" in capsys.readouterr().out
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert cli.main(["report", "--profile", "demo", "--figures-dir", str(empty)]) == 1
    assert "run the notebooks of this profile first" in capsys.readouterr().err


def test_finding_is_displayed_and_recorded(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBOOK_FIGURES_DIR", str(tmp_path))
    wb = workbook.start("99_test", profile="smoke", data="synthetic", checkpoint_dir=tmp_path)
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    assert wb.finding("elbo_target", "**Target** missed.") is None
    wb.finding("elbo_target", "**Target** met.")  # a later summary replaces it
    assert [s.data for s in shown] == ["**Target** missed.", "**Target** met."]
    saved = json.loads((tmp_path / "99_test" / "metrics.json").read_text())
    assert saved["findings"] == {"elbo_target": "**Target** met."}


# ------------------------------------------------- the outline against what the notebooks make


def notebook_calls(notebook: str) -> dict[str, set[str]]:
    """Names that a notebook passes to wb.save_figure, wb.record and wb.finding as literals
    (an f-string gives its fixed prefix and ``*``)."""
    names: dict[str, set[str]] = {"save_figure": set(), "record": set(), "finding": set()}
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "wb"
                    and node.func.attr in names):  # fmt: skip
                continue
            arg = node.args[1 if node.func.attr == "save_figure" else 0]
            if isinstance(arg, ast.Constant):
                names[node.func.attr].add(arg.value)
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                names[node.func.attr].add(arg.values[0].value + "*")
    return names


UNTABLED = {"device_batches", "graded_functions",  # a timing; the unit-test paragraph's
            "training", "latent_manifold_classes", "active_units_latent*"}  # said in findings


@pytest.mark.parametrize("notebook", sorted(report_questions.QUESTIONS))
def test_the_outline_places_what_the_notebooks_save_record_and_find(notebook):
    calls = notebook_calls(notebook)
    qs = report_questions.QUESTIONS[notebook].questions
    own = {f for q in qs for f in (*q.figures, *q.illustrations) if "/" not in f} | {
        f.split("/", 1)[1] for part in report_questions.QUESTIONS.values() for q in part.questions
        for f in q.figures if f.startswith(f"{notebook}/")}  # another part may place it
    found = {re.sub(r"\[.*\]$", "", k) for q in qs for k in q.findings}
    rows = {r.removesuffix(".*") for q in qs for t in q.tables for r in t.rows}
    rows |= set(report_questions.IN_FINDINGS.get(notebook, ()))  # said once, in a finding
    def covered(name: str, patterns: set[str]) -> bool:
        return any(name == p or (p.endswith("*") and name.startswith(p[:-1])) for p in patterns)

    figures = calls["save_figure"]
    assert all(covered(f, own) for f in figures), figures  # every figure placed
    assert all(covered(f.rstrip("*"), figures) or any(g.startswith(f.rstrip("*"))
               for g in figures) for f in own), own  # none stale  # fmt: skip
    assert calls["finding"] <= found, calls["finding"] - found
    assert found <= calls["finding"], found - calls["finding"]  # none waits for a notebook
    for key in calls["record"] - UNTABLED:
        assert key in rows or any(r.endswith("*") and key.startswith(r[:-1]) for r in rows), key


def _md(sections, profile="full", record=None):
    from helpers.tools.report_render import markdown
    return markdown(report.document(sections, profile, record))


def test_the_intro_names_only_the_problems_the_report_holds():
    real = {"profile": "full", "data": "real"}
    text = _md([report.Section("01_vae", [], dict(real)),
                report.Section("04_autoencoders", [], dict(real))])  # fmt: skip
    intro = text.split("\n\n")[1]
    assert "Problem 1 Q6 and Q7." in intro and "Problem 2 Q2" not in intro.split(".")[1]
    assert "no record of Problems 2 and 3" in intro and "as does Problem 4" in intro
    assert "Appendix A" not in intro and "Appendix B" in intro
    every = _md([report.Section(n, [], dict(real)) for n in ("01_vae", "02_gans", "03_simsiam")])
    intro = every.split("\n\n")[1]
    assert "Problem 1 Q6 and Q7, Problem 2 Q2, Q3 and Q4 (a), (b), Problem 3 Q4 and" in intro
    assert "no record" not in intro and "Problem 4" not in intro


def test_real_data_reports_flag_stand_ins_and_subsets_and_name_a_scripts_record():
    datasets = {"profile": "full", "data": "real",
                "svhn": {"source": "synthetic", "train_images": 73257, "test_images": 26032},
                "cifar10": {"source": "real", "train_images": 4000, "test_images": 1000},
                "mnist": {"source": "real", "train_images": 60000, "test_images": 10000}}
    vae = {"profile": "full", "data": "real", "seconds": 127.3,
           "course_mlp": {"valid_elbo": -101.2, "train_seconds": 139.1},
           "course_mlp_mc_kl": {"valid_elbo": -102.05, "train_seconds": 766.1}}  # fmt: skip
    text = _md([report.Section("00_datasets", [], datasets), report.Section("01_vae", [], vae)])
    assert "*Stand-in data.* SVHN in this run is the workbook's synthetic stand-in" in text
    assert text.startswith("# Assignment 3 report from the workbook: the full profile, real data "
                           "(SVHN: stand-in)")
    assert "CIFAR-10 is the real data, a subset: 4000 training and 1000 test images" in text
    assert "MNIST is the real data, a subset" not in text
    appendix = text.split("## Appendix B")[1]
    assert "01 vae by `benchmarks/quality_vae.py`" in appendix
    assert "| 01 vae (script) | full | real |" in appendix and "| 905 s of training |" in appendix
    assert "127 s" not in appendix
    vae["graded_functions"] = {}  # the notebook's own run records whose functions ran
    appendix = _md([report.Section("01_vae", [], vae)]).split("## Appendix B")[1]
    assert "(script)" not in appendix and "| 127 s |" in appendix


def test_problem_1_gap_column_conv_sentence_and_the_recorded_verdict_under_q6():
    run = {"profile": "demo", "data": "synthetic", "graded_functions": {},
           "course_mlp": {"valid_elbo": -119.14, "test_elbo": -119.79,
                          "test_log_likelihood": -112.75, "epochs": 6},
           "course_mlp_mc_kl": {"valid_elbo": -123.23, "test_elbo": -123.39,
                                "test_log_likelihood": -115.9, "epochs": 6},
           "conv": {"valid_elbo": -107.58, "test_elbo": -107.68,
                    "test_log_likelihood": -96.28, "epochs": 6}}  # fmt: skip
    record = {"profile": "full", "data": "real", "course_mlp": {"valid_elbo": -101.2, "epochs": 20}}
    text = _md([report.Section("01_vae", [], run)], "demo", record)
    assert "| gap (nats) |" in text and "| -119.79 | -112.75 | 7.04 |" in text
    assert ("the ConvVAE, L = 100 ends 11.56 nats above in validation ELBO (-107.58 against "
            "-119.14) and 16.47 nats above in test log p(x)") in text
    assert "gap log p(x) - test ELBO is 11.40 nats, against the MLP's 7.04" in text
    assert "In the recorded full-profile run on the real data: MLP VAE, L = 100" in text
    assert "meets the target by 0.80" in text
    run["conv"]["valid_elbo"] = -125.0
    assert "5.86 nats below in validation ELBO" in _md([report.Section("01_vae", [], run)], "demo")
