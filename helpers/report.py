"""One command that assembles a report: ``python -m helpers report [--profile P]``.

It reads one profile's outputs, ``figures/<profile>/<notebook>/`` (the figures and the
``metrics.json`` of each notebook that ran), and writes beside them

- ``report.md``: every figure and headline number, each under the assignment question it
  answers, with the run's provenance (profile, data, device, seconds, torch);
- ``report.tex``: the same as LaTeX (figures as ``\\includegraphics`` of the PDFs, metrics as
  ``tabular``\\ s), which compiles on its own with ``pdflatex report.tex``.

A student pastes from either into the written report. Figures that no question lists are kept,
under "Other figures", so that nothing a run exported is left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fileio import atomic_open

__all__ = ["QUESTIONS", "Section", "build_report", "collect"]


@dataclass(frozen=True)
class Question:
    """One report question: its title, the figures and the metrics entries that answer it."""

    title: str
    figures: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()  # keys of metrics.json; a trailing * matches a prefix


QUESTIONS: dict[str, tuple[str, tuple[Question, ...]]] = {
    "00_datasets": ("The datasets", (
        Question("What the data look like", ("preview_*", "classes_*"),
                 ("binarized_mnist", "mnist", "svhn", "cifar10", "device_batches")),
    )),
    "01_vae": ("Problem 1: a VAE on binarized MNIST", (
        Question("1.1 ELBO training: analytic vs Monte-Carlo KL", ("data", "elbo_analytic_vs_mc"),
                 ("course_mlp", "course_mlp_mc_kl")),
        Question("1.2 The ConvVAE and the test log-likelihood (importance sampling, K = 200)",
                 ("log_likelihood_estimators",), ("conv", "log_likelihood_estimators")),
        Question("1.3 Samples, reconstructions and samples over training",
                 ("samples", "reconstructions", "samples_over_training")),
        Question("1.4 Latent sizes 2 and 20; the 2-d manifold", ("latent_sizes", "latent_manifold"),
                 ("course_mlp_latent2", "course_mlp_latent20", "active_units_*")),
        Question("1.5 Interpolation between two test images", ("interpolation",)),
    )),
    "02_gans": ("Problem 2: GANs", (
        Question("2.1 A vanilla GAN on MNIST", ("generator_losses", "vanilla_samples_over_training",
                 "vanilla_discriminator", "vanilla_interpolation"),
                 ("vanilla_gan", "vanilla_discriminator")),
        Question("2.2 WGAN-LP on SVHN: training and samples", ("wgan_curves",
                 "wgan_samples_over_training", "wgan_samples_final"), ("wgan_lp",)),
        Question("2.3 Disentanglement: moving one latent coordinate", ("latent_perturbations",),
                 ("latent_perturbations",)),
        Question("2.4 Interpolating in latent space vs in data space",
                 ("interpolation_latent_vs_data",), ("interpolation_midpoint_confidence",)),
    )),
    "03_simsiam": ("Problem 3: SimSiam on CIFAR-10", (
        Question("3.1 Two augmented views", ("views",), ("raw_pixel_knn_accuracy",)),
        Question("3.2 Loss, kNN accuracy and output std of the four runs",
                 ("loss", "knn_accuracy", "output_std"),
                 ("stop_gradient", "no_stop_gradient", "no_pred_mlp", "fixed_random_init",
                  "stop_gradient_workbook")),
        Question("3.3 Linear evaluation", (), ("linear_evaluation",)),
    )),
    "04_autoencoders": ("Autoencoder vs VAE", (
        Question("4.1 The autoencoder", ("autoencoder",), ("autoencoder",)),
        Question("4.2 beta = 0, beta = 10 and a tuned beta", ("beta_0_vs_10_curves", "beta_sweep",
                 "tuned_beta_curves", "reconstructions", "prior_samples"),
                 ("vae_beta_0", "vae_beta_10", "vae_beta_tuned", "frechet_distance_real")),
        Question("4.3 AE vs VAE interpolation", ("interpolation_ae_vs_vae",),
                 ("interpolation_midpoint_confidence",)),
    )),
}  # fmt: skip

PROVENANCE = (
    "profile", "data", "device", "device_name", "seed", "seconds", "torch", "peak_gpu_memory_gb",
)  # fmt: skip


@dataclass
class Section:
    """One notebook's outputs: its figures (stems of PNG files) and metrics."""

    notebook: str
    title: str
    figures: list[str]
    metrics: dict[str, Any]

    def provenance(self) -> str:
        parts = [f"{k} {self.metrics[k]}" for k in PROVENANCE if k in self.metrics]
        return ", ".join(parts) or "no metrics.json"

    def answers(self) -> list[tuple[str, list[str], dict[str, Any]]]:
        """(question, its figures, its metrics) in order, then the rest under "Other"."""
        used_figures: set[str] = set()
        used_metrics: set[str] = set(PROVENANCE)
        out = []
        for question in QUESTIONS.get(self.notebook, ("", ()))[1]:
            figures = _match(question.figures, self.figures)
            metrics = {k: self.metrics[k] for k in _match(question.metrics, list(self.metrics))}
            used_figures.update(figures)
            used_metrics.update(metrics)
            if figures or metrics:
                out.append((question.title, figures, metrics))
        rest_f = [f for f in self.figures if f not in used_figures]
        rest_m = {k: v for k, v in self.metrics.items() if k not in used_metrics}
        if rest_f or rest_m:
            out.append(("Other figures and numbers", rest_f, rest_m))
        return out


def _match(patterns: Iterable[str], names: list[str]) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        for name in names:
            hit = name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern
            if hit and name not in found:
                found.append(name)
    return found


def collect(root: Path) -> list[Section]:
    """The sections of the notebooks that have outputs under ``root`` (a profile's folder)."""
    sections = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        figures = sorted(p.stem for p in folder.glob("*.png"))
        metrics_path = folder / "metrics.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        if not figures and not metrics:
            continue
        title = QUESTIONS.get(folder.name, (folder.name, ()))[0]
        sections.append(Section(folder.name, title, figures, metrics))
    return sections


def _rows(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a metric into (name, formatted value) rows."""
    if isinstance(value, dict):
        rows = []
        for key, sub in value.items():
            rows += _rows(sub, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, float):
        return [(prefix, f"{value:.4g}")]
    if isinstance(value, list):
        return [(prefix, ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in value))]
    return [(prefix, str(value))]


def markdown(sections: list[Section], profile: str) -> str:
    lines = [f"# Workbook report: the {profile} profile", ""]
    lines.append("Generated by `python -m helpers report` from this folder's figures and "
                 "metrics. Every number below was recorded by the run named with it.")  # fmt: skip
    for section in sections:
        lines += ["", f"## {section.title}", "", f"*Run: {section.provenance()}.*"]
        for title, figures, metrics in section.answers():
            lines += ["", f"### {title}", ""]
            for figure in figures:
                lines += [f"![{figure}]({section.notebook}/{figure}.png)", ""]
            rows = [row for key, value in metrics.items() for row in _rows(value, key)]
            if rows:
                lines += ["| metric | value |", "|---|---|"]
                lines += [f"| `{name}` | {value} |" for name, value in rows]
    return "\n".join(lines) + "\n"


_TEX_SPECIAL = re.compile(r"([\\&%$#_{}~^])")
_TEX_REPLACE = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\^{}"}


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return _TEX_SPECIAL.sub(lambda m: _TEX_REPLACE.get(m.group(1), "\\" + m.group(1)), text)


def latex(sections: list[Section], profile: str) -> str:
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{graphicx}",
        r"\usepackage{booktabs}",
        r"\usepackage{longtable}",
        r"\usepackage[T1]{fontenc}",
        rf"\title{{Workbook report: the {tex_escape(profile)} profile}}",
        r"\author{}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        "Generated by \\texttt{python -m helpers report} from this folder's figures and metrics.",
    ]
    for section in sections:
        out += [rf"\section{{{tex_escape(section.title)}}}",
                rf"\emph{{Run: {tex_escape(section.provenance())}.}}"]  # fmt: skip
        for title, figures, metrics in section.answers():
            out.append(rf"\subsection{{{tex_escape(title)}}}")
            for figure in figures:
                out += [
                    r"\begin{figure}[htbp]",
                    r"\centering",
                    rf"\includegraphics[width=\linewidth,height=0.4\textheight,keepaspectratio]"
                    rf"{{{section.notebook}/{figure}.pdf}}",
                    rf"\caption{{{tex_escape(figure.replace('_', ' '))}}}",
                    r"\end{figure}",
                ]
            rows = [row for key, value in metrics.items() for row in _rows(value, key)]
            if rows:
                out += [r"\begin{longtable}{ll}", r"\toprule", r"metric & value \\",
                        r"\midrule"]  # fmt: skip
                out += [rf"\texttt{{{tex_escape(n)}}} & {tex_escape(v)} \\" for n, v in rows]
                out += [r"\bottomrule", r"\end{longtable}"]
        out.append(r"\clearpage")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def build_report(root: Path, profile: str) -> tuple[Path, Path]:
    """Write ``root/report.md`` and ``root/report.tex`` from the outputs under ``root``.

    Raises:
        FileNotFoundError: when ``root`` holds no notebook outputs.
    """
    sections = collect(root) if root.is_dir() else []
    if not sections:
        raise FileNotFoundError(
            f"no notebook outputs in {root}: run the notebooks of this profile first "
            f"(python -m helpers run --profile {profile})"
        )
    paths = root / "report.md", root / "report.tex"
    for path, text in zip(paths, (markdown(sections, profile), latex(sections, profile)),
                          strict=True):  # fmt: skip
        with atomic_open(path) as handle:
            handle.write(text)
    return paths
