"""``python -m helpers report``: report.md and report.tex from one profile's outputs, per question
of the assignment, with the findings the notebooks recorded."""

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
from helpers.tools import cli, report, report_text
from helpers.tools import questions as report_questions
from helpers.vae import findings as vae_findings

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ANALYTIC = {"valid_elbo": -119.14, "test_elbo": -119.79, "test_log_likelihood": -112.746,
            "epochs": 6, "train_seconds": 6.2, "is_samples": 200, "test_images": 500}  # fmt: skip
MC = {**ANALYTIC, "valid_elbo": -123.2273, "test_log_likelihood": -115.9, "train_seconds": 5.9}


def write_outputs(root: Path, data: str, with_findings: bool = True, elbo: float = -119.14) -> Path:
    """A profile's folder as the notebooks leave it: figures and metrics.json per notebook."""
    fig = plots.plot_curves({"a": ([1, 2], [2, 1])}, ylabel="ELBO")
    for name in ("elbo_analytic_vs_mc", "log_likelihood_estimators", "latent_sizes",
                 "an_unlisted_figure"):  # fmt: skip
        plots.save_figure(fig, name, directory=root / "01_vae")
    runs = {"course_mlp": {**ANALYTIC, "valid_elbo": elbo}, "course_mlp_mc_kl": MC}
    metrics = {
        **runs,
        "log_likelihood_estimators": {"K": 200,
                                      "prior": [-189.330169, -183.98, -191.16] * 3 + [-2.0],
                                      "importance": [-115.0101, -114.87, -115.03] * 3 + [-115.1]},
        "active_units_latent100": 98,
        "something_new": {"value": 1.523456, "tiny": 3.894e-05, "fit_seconds": 3.0},
        "profile": "full" if data == "real" else "smoke", "data": data, "device": "cpu",
        "seconds": 12.5, "torch": "2.14.1",
    }  # fmt: skip
    if with_findings:
        profile = str(metrics["profile"])
        metrics["findings"] = {
            "kl_estimators": vae_findings.kl_estimators(runs["course_mlp"], MC),
            "elbo_target": vae_findings.elbo_target(runs, profile, data),
            "elbo_gap": vae_findings.elbo_gap(runs),
            "an_unlisted_finding": "A finding that **no question** lists.",
        }
    (root / "01_vae" / "metrics.json").write_text(json.dumps(metrics))
    plots.save_figure(fig, "views", directory=root / "03_simsiam")
    probe = {"linear_train_accuracy": 68.344, "linear_test_accuracy": 64.35}
    simsiam = {"linear_evaluation": {"stop_gradient": probe}, "data": data}
    (root / "03_simsiam" / "metrics.json").write_text(json.dumps(simsiam))
    return root


@pytest.fixture
def outputs(tmp_path):
    return write_outputs(tmp_path / "figures" / "smoke", "synthetic")


def questions(markdown: str) -> dict[str, str]:
    """Each ``###`` heading of report.md -> the text up to the next heading."""
    parts = re.split(r"^#{2,3} (.*)$", markdown, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_each_question_is_followed_by_its_figures_findings_and_numbers(outputs):
    md, _ = report.build_report(outputs, "smoke")
    q = questions(md.read_text())
    training = q["1.1 Validation ELBO: analytic vs Monte-Carlo KL, and the target (stand-in data)"]
    loglik = q["1.2 The test log-likelihood log p(x) by importance sampling (stand-in data)"]
    latent = q["1.4 Latent sizes 2 and 20; the 2-d manifold (stand-in data)"]
    other = q["Other figures and numbers (stand-in data)"]
    assert "01_vae/elbo_analytic_vs_mc.png" in training
    assert "| MLP VAE, L = 100, Monte-Carlo KL | -123.23 | 6 |" in training
    assert "-112.75" not in training and "-112.75" in loglik  # log p(x) is 1.2's, not 1.1's
    assert "01_vae/log_likelihood_estimators.png" in loglik
    assert "| MLP VAE, L = 100, analytic KL | -119.79 | -112.75 |" in loglik
    assert "*importance samples K: 200; test images: 500.*" in loglik
    assert "-169.54 ± 58.95 (10 repeats)" in loglik  # ten repeats summarised, not listed
    assert (
        "01_vae/latent_sizes.png" in latent and "| active latent units of L = 100 | 98 |" in latent
    )
    assert "an_unlisted_figure.png" in other and "| something new, value | 1.52 |" in other
    assert "| something new, tiny | 3.9e-05 |" in other
    assert "A finding that **no question** lists." in other
    probe = q["3.4 Linear evaluation (stand-in data)"]  # a nested entry's row: its own words
    assert "| (a) stop-gradient | 68.3 | 64.3 |" in probe


def test_findings_and_verdicts_come_from_the_run(tmp_path):
    md, _ = report.build_report(write_outputs(tmp_path / "a", "synthetic"), "smoke")
    q = questions(md.read_text())
    training = q["1.1 Validation ELBO: analytic vs Monte-Carlo KL, and the target (stand-in data)"]
    assert "In this run the validation ELBO is -119.14 (analytic KL)" in training
    assert "- `course_mlp`: -119.14 after 6 epochs, misses it by 17.14." in training
    assert (
        "In this run the gap log p(x) - ELBO"
        in q["1.2 The test log-likelihood log p(x) by importance sampling (stand-in data)"]
    )
    met, _ = report.build_report(write_outputs(tmp_path / "b", "real", elbo=-100.5), "full")
    assert "- `course_mlp`: -100.50 after 6 epochs, meets it by 1.50." in met.read_text()
    none, tex = report.build_report(write_outputs(tmp_path / "c", "real", False), "full")
    for text in (none.read_text(), tex.read_text()):  # no finding recorded: no verdict made up
        assert "meets it" not in text and "misses it" not in text and "Target" not in text


def table_lines(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def test_tables_show_words_not_raw_keys(outputs):
    md, tex = report.build_report(outputs, "smoke")
    lines = table_lines(md.read_text())
    assert len(lines) > 10
    for line in lines:
        assert "_" not in line and "seconds" not in line, line  # no raw key, no timing
        assert not re.search(r"[A-Za-z]\.[A-Za-z]", line), line  # no dotted key
        assert not re.search(r"\d\.\d{5,}", line), line  # rounded
        assert line.count(",") <= 3, line  # no long list
    tables = re.findall(r"\\begin\{tabularx\}.*?\\end\{tabularx\}", tex.read_text(), re.S)
    assert tables and not any("\\_" in t or "seconds" in t for t in tables)


def test_stand_in_caveat_only_for_stand_in_data(tmp_path):
    md, tex = report.build_report(write_outputs(tmp_path / "s", "synthetic"), "smoke")
    text = md.read_text()
    headings = re.findall(r"^#{2,3} (.*)$", text, flags=re.M)
    vae = [h for h in headings if h.startswith(("1.", "Problem 1"))]
    assert len(vae) >= 4 and all(h.endswith("(stand-in data)") for h in vae)
    for title, body in questions(text).items():
        if title.startswith("1."):
            assert "*Stand-in data: this smoke-profile run used" in body, title
    assert "*Validation ELBO per epoch of the MLP VAE" in text
    assert re.search(
        r"\\caption\*\{Validation ELBO per epoch[^}]*\(stand-in data\)\.\}", tex.read_text()
    )
    md, tex = report.build_report(write_outputs(tmp_path / "r", "real"), "full")
    assert "stand-in" not in md.read_text().lower() and "stand-in" not in tex.read_text().lower()


def test_latex_is_well_formed(outputs):
    _, tex = report.build_report(outputs, "smoke")
    text = tex.read_text()
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    for env in ("figure", "tabularx", "document", "itemize"):
        assert text.count(rf"\begin{{{env}}}") == text.count(rf"\end{{{env}}}") > 0
    assert not re.search(r"\\(sub)*section\{", text)  # no LaTeX numbers before the handout's
    assert r"\subsection*{1.1 Validation ELBO" in text
    assert text.count(r"\begin{figure}[H]") == text.count(r"\begin{figure}")  # stay in place
    caveat = r"{\interlinepenalty=10000 \emph{Stand-in data: this smoke-profile run used"
    assert text.count(caveat) == 4  # 1.1, 1.2, 1.4, other; kept on the page of what follows
    assert all(line.endswith(r"\par}\nopagebreak[4]") for line in text.splitlines()
               if line.startswith(caveat))  # fmt: skip
    assert r"\caption*{elbo analytic vs mc" not in text
    assert r"\textbf{Target: validation ELBO $\geq$ -102 nats}" in text
    assert r"\item \texttt{course\_mlp}: -119.14 after 6 epochs, misses it by 17.14." in text
    assert "**" not in text and "`" not in text  # Markdown converted
    body = re.sub(r"\\[{}_%&#$]", "", text)
    assert body.count("{") == body.count("}")
    assert report_text.tex_escape("a_b & 50% #1 {x}") == r"a\_b \& 50\% \#1 \{x\}"


def empty_headings(text: str) -> list[str]:
    """Headings of the .tex followed by another heading, a page break or the end."""
    lines = [line for line in text.splitlines() if line.strip()]
    heading = re.compile(r"\\(sub)*section\*?\{")
    return [
        line for line, after in zip(lines, [*lines[1:], ""], strict=True)
        if heading.match(line) and (heading.match(after) or after.startswith((r"\clearpage",
                                                                                r"\end{document}")))
    ]  # fmt: skip


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not on PATH")
def test_latex_compiles_without_overfull_boxes_or_empty_headings(outputs):
    _, tex = report.build_report(outputs, "smoke")
    metrics = outputs / "01_vae" / "metrics.json"  # a long table and a long finding
    m = json.loads(metrics.read_text())
    m["findings"]["elbo_gap"] += " " + "A_very_long_identifier_without_spaces " * 3
    metrics.write_text(json.dumps(m))
    _, tex = report.build_report(outputs, "smoke")
    assert not empty_headings(tex.read_text())
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
        cwd=outputs, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    assert (outputs / "report.pdf").stat().st_size > 1000
    log = (outputs / "report.log").read_text(errors="replace")
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert not [x for x in overfull if x > 10], overfull
    if shutil.which("pdftotext"):  # no page ends with a heading whose items went on
        pdf = subprocess.run(["pdftotext", "-layout", "report.pdf", "-"], cwd=outputs,
                             capture_output=True, text=True, check=True)  # fmt: skip
        pages = pdf.stdout.split("\f")
        titles = {q.title for _, qs in report_questions.QUESTIONS.values() for q in qs}
        for page in pages:
            lines = [x.strip() for x in page.splitlines() if x.strip() and not x.strip().isdigit()]
            if lines:
                assert not any(lines[-1].startswith(t) for t in titles), lines[-1]


def test_empty_headings_are_found():
    assert empty_headings("\\section*{A}\n\\subsection*{B}\ntext\n\\subsection*{C}\n\\clearpage")
    assert not empty_headings("\\section*{A}\n\\emph{Run}\n\\subsection*{B}\ntext\n")


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


@pytest.mark.parametrize("notebook", sorted(report_questions.QUESTIONS))
def test_questions_list_what_the_notebooks_save_record_and_find(notebook):
    calls = notebook_calls(notebook)
    qs = report_questions.QUESTIONS[notebook][1]
    figures = {f for q in qs for f in q.figures}
    rows = {r.removesuffix(".*") for q in qs for t in q.tables for r in t.rows}
    found = {k for q in qs for k in q.findings}
    assert calls["save_figure"] == figures  # every figure under a question, none stale
    assert calls["finding"] == found
    untabled = {"device_batches"}  # a timing
    for key in calls["record"] - untabled:
        assert key in rows or any(r.endswith("*") and key.startswith(r[:-1]) for r in rows), key
