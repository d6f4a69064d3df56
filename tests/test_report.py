"""``python -m helpers report``: report.md and report.tex from one profile's outputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import matplotlib
import pytest

from helpers import plots, report, runner

matplotlib.use("Agg")


@pytest.fixture
def outputs(tmp_path):
    """A profile's folder as the notebooks leave it: figures and metrics.json per notebook."""
    root = tmp_path / "figures" / "smoke"
    fig = plots.plot_curves({"a": ([1, 2], [2, 1])}, ylabel="ELBO")
    for name in ("elbo_analytic_vs_mc", "latent_sizes", "an_unlisted_figure"):
        plots.save_figure(fig, name, directory=root / "01_vae")
    metrics = {
        "course_mlp": {"valid_elbo": -101.2, "test_log_likelihood": -95.51, "epochs": 20},
        "course_mlp_latent2": {"valid_elbo": -150.27},
        "active_units_latent100": 31,
        "something_new": 1.5,
        "profile": "smoke", "data": "synthetic", "device": "cpu", "seconds": 12.5,
        "torch": "2.14.1",
    }  # fmt: skip
    (root / "01_vae" / "metrics.json").write_text(json.dumps(metrics))
    plots.save_figure(fig, "views", directory=root / "03_simsiam")  # no metrics: still reported
    return root


def test_markdown_puts_each_item_under_its_question(outputs):
    md, _ = report.build_report(outputs, "smoke")
    text = md.read_text()
    assert text.index("### 1.1 ELBO training") < text.index("01_vae/elbo_analytic_vs_mc.png")
    assert text.index("### 1.4 Latent sizes") < text.index(
        "`course_mlp_latent2.valid_elbo` | -150.3"
    )
    assert "`active_units_latent100` | 31" in text
    assert "*Run: profile smoke, data synthetic, device cpu, seconds 12.5, torch 2.14.1.*" in text
    other = text.index("### Other figures and numbers")
    assert other < text.index("an_unlisted_figure.png") and other < text.index("something_new")
    assert "03_simsiam/views.png" in text
    assert "`profile`" not in text  # provenance is not a metric


def test_latex_is_well_formed(outputs):
    _, tex = report.build_report(outputs, "smoke")
    text = tex.read_text()
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    for env in ("figure", "longtable", "document"):
        assert text.count(rf"\begin{{{env}}}") == text.count(rf"\end{{{env}}}") > 0
    assert (
        r"\includegraphics[width=\linewidth,height=0.4\textheight,keepaspectratio]{01_vae/elbo_analytic_vs_mc.pdf}"
        in text
    )
    assert r"\texttt{course\_mlp.valid\_elbo} & -101.2 \\" in text
    body = re.sub(r"\\[{}_%&#$]", "", text)
    assert body.count("{") == body.count("}")
    assert report.tex_escape("a_b & 50% #1 {x}") == r"a\_b \& 50\% \#1 \{x\}"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX installed")
def test_latex_compiles(outputs):
    report.build_report(outputs, "smoke")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
        cwd=outputs, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:]
    assert (outputs / "report.pdf").stat().st_size > 1000


def test_command_line(outputs, tmp_path, capsys):
    assert runner.main(["report", "--profile", "smoke", "--figures-dir", str(outputs)]) == 0
    assert "report.tex" in capsys.readouterr().out
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert runner.main(["report", "--profile", "demo", "--figures-dir", str(empty)]) == 1
    assert "run the notebooks of this profile first" in capsys.readouterr().err
