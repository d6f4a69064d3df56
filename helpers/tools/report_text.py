"""Words for :mod:`helpers.tools.report`: labels of metrics, captions of figures, the fixed
paragraphs that explain each question (:data:`IDEAS`), and Markdown to LaTeX.

The report never shows a raw metrics key: :func:`label` maps each key of ``metrics.json`` (a
model, a field) to words with its unit, and :func:`caption` each figure to a sentence. Keys that
are not listed fall back to their words (underscores as spaces), so a new metric still reads.

Text is written once, in Markdown with ``$...$`` for mathematics; plain words that stand for
symbols in the notebooks' findings ("alpha", "sqrt(d)", "+-", "Frechet") are typeset by
:func:`markdown_to_latex` and written as Unicode by :func:`markdown_text`.
"""

from __future__ import annotations

import re

__all__ = [
    "CAPTIONS",
    "FORMATS",
    "LABELS",
    "PROVENANCE",
    "caption",
    "label",
    "latex_document",
    "markdown_text",
    "markdown_to_latex",
    "tex_escape",
]

PROVENANCE = (
    "profile", "data", "device", "device_name", "seed", "seconds", "torch", "peak_gpu_memory_gb",
    "graded_functions",
)  # fmt: skip

LABELS: dict[str, str] = {
    # 00_datasets
    "binarized_mnist": "binarized MNIST",
    "mnist": "MNIST",
    "svhn": "SVHN",
    "cifar10": "CIFAR-10",
    "source": "source",
    "train_images": "training images",
    "test_images": "test images",
    "pixel_mean": "mean pixel",
    # 01_vae
    "course_mlp": "MLP VAE, L = 100, analytic KL",
    "course_mlp_mc_kl": "MLP VAE, L = 100, Monte-Carlo KL",
    "conv": "ConvVAE, L = 100",
    "course_mlp_latent2": "MLP VAE, L = 2",
    "course_mlp_latent20": "MLP VAE, L = 20",
    "valid_elbo": "valid. ELBO (nats)",
    "test_elbo": "test ELBO (nats)",
    "test_log_likelihood": "test log p(x) (nats)",
    "elbo_gap": "gap (nats)",
    "epochs": "epochs",
    "is_samples": "importance samples K",
    "log_likelihood_estimators": "mean log p(x)",
    "K": "samples K",
    "prior": "z from the prior (nats)",
    "importance": "importance sampling (nats)",
    # 02_gans
    "vanilla_gan": "vanilla GAN (MNIST)",
    "wgan_lp": "WGAN-LP (SVHN)",
    "frechet_distance_init": "FD of samples, untrained",
    "frechet_distance": "FD of samples, trained",
    "frechet_distance_real": "FD between real images (floor)",
    "interpolation_pairs_scored": "image pairs scored",
    "iterations": "generator iterations",
    "vanilla_discriminator": "at the end of training",
    "d_real": "mean D(x) on real images",
    "d_fake": "mean D(G(z)) on generated ones",
    "latent_perturbations": "the coordinates shown",
    "latent_perturbations_all": "all coordinates",
    "coordinates": "coordinates",
    "label_change": "label changes",
    "colour_change": "colour shifts",
    "both": "both",
    "confidence": "classifier confidence",
    "confidence_moved": "classifier confidence, moved images",
    "latent_manifold_classes": "manifold cells per digit class (0-9)",
    "wgan_sample_statistics": "sample statistics",
    "samples": "samples",
    "real": "real test images",
    "sharpness": "sharpness (mean gradient size)",
    "nn": "distance to the nearest other image",
    "nn_train": "distance to the nearest training image",
    "classes": "classes holding at least 2% of labels",
    "top_class": "the largest class's share",
    "images": "images",
    "interpolation_midpoint_confidence": "classifier's mean confidence at alpha = 0.5",
    "classifier_svhn_accuracy": "the classifier's accuracy on real test images",
    "latent": "latent path",
    "data": "data path",
    # 03_simsiam
    "raw_pixel_knn_accuracy": "kNN accuracy on raw pixels (%)",
    "untrained_network_knn_accuracy": "kNN accuracy of the untrained network (%)",
    "stop_gradient": "with stop-gradient (a)",
    "no_stop_gradient": "without stop-gradient (b)",
    "no_pred_mlp": "identity predictor (c)",
    "fixed_random_init": "frozen random predictor (d)",
    "stop_gradient_workbook": "with stop-gradient (a), workbook recipe",
    "final_loss": "loss",
    "output_std_x_sqrt_dim": "std x sqrt(d)",
    "output_std": "output std",
    "first_epoch_knn_accuracy": "kNN epoch 1 (%)",
    "final_knn_accuracy": "kNN backbone (%)",
    "final_knn_accuracy_z": "kNN z (%)",
    "dim": "output dimension d",
    "linear_evaluation": "linear evaluation",
    "linear_train_accuracy": "train (%)",
    "linear_test_accuracy": "test (%)",
    # 04_autoencoders
    "autoencoder": "autoencoder",
    "vae_beta_0": "VAE, beta = 0",
    "vae_beta_10": "VAE, beta = 10",
    "vae_beta_tuned": "VAE, tuned beta",
    "beta": "beta",
    "reconstruction_error": "recon. error (sum of sq. errors)",
    "kl": "KL (nats)",
    "AE": "AE path",
    "VAE": "VAE path",
}
_LABEL_RULES = (
    (re.compile(r"^active_units_latent(\d+)$"), r"active units of L = \1"),
    (re.compile(r"^cifar10_(\w+)$"), r"\1 (Problem 3's demo data)"),  # a stand-in of CIFAR-10
)

_TWO_DECIMALS = (
    "valid_elbo test_elbo test_log_likelihood prior importance d_real d_fake latent data AE VAE "
    "output_std_x_sqrt_dim reconstruction_error sharpness nn nn_train"
)
_PERCENT = (  # shares and confidences: percentages, as the findings write them
    "label_change colour_change both confidence confidence_moved classifier_svhn_accuracy "
    "top_class"
)
_ONE_DECIMAL = (
    "raw_pixel_knn_accuracy untrained_network_knn_accuracy final_knn_accuracy "
    "final_knn_accuracy_z linear_train_accuracy linear_test_accuracy kl first_epoch_knn_accuracy"
)
FORMATS: dict[str, str] = {  # format specs of fields whose unit calls for a fixed precision
    **dict.fromkeys(_TWO_DECIMALS.split(), ".2f"),
    **dict.fromkeys(_ONE_DECIMAL.split(), ".1f"),
    **dict.fromkeys(_PERCENT.split(), ".0%"),
    "final_loss": ".3f",
    "pixel_mean": ".3f",
    "beta": "g",
}

CAPTIONS: dict[str, str] = {
    "01_vae/data": "Test images of binarized MNIST",
    "01_vae/elbo_analytic_vs_mc": "Validation ELBO per epoch of the MLP VAE with L = 100, the KL "
    "term computed analytically and by Monte Carlo (one sample)",
    "01_vae/log_likelihood_estimators": "Mean test log p(x) estimated with z drawn from the "
    "prior and by importance sampling, against the number of samples K (10 repeats, error bars "
    "one standard deviation)",
    "01_vae/samples": "Samples from the prior: decoder means and Bernoulli samples of the MLP "
    "VAE and the ConvVAE",
    "01_vae/reconstructions": "Test images and their reconstructions (decoder means)",
    "01_vae/samples_over_training": "Decoder means for fixed z over training, then Bernoulli "
    "samples",
    "01_vae/latent_sizes": "Training and validation ELBO per epoch for latent sizes "
    "L = 2, 20 and 100",
    "01_vae/latent_manifold": "The 2-d latent manifold (L = 2): decoder means over a grid whose "
    "cells are at equal steps of prior probability",
    "01_vae/interpolation": r"Decoding $\alpha\mu_0 + (1-\alpha)\mu_1$ between the codes of two "
    r"test images (ConvVAE), $\alpha = 0, 0.1, \dots, 1$ from left to right; as in the handout, "
    r"$\alpha = 1$ (right) is the first image",
    "02_gans/generator_losses": "Theory, not a result of this run: gradient size of the "
    "saturating and the non-saturating generator loss against D(G(z))",
    "02_gans/vanilla_samples_over_training": "Vanilla GAN on MNIST: samples of the same z over "
    "training",
    "02_gans/vanilla_discriminator": "Vanilla GAN: the discriminator's mean output on real and "
    "on generated images over training",
    "02_gans/vanilla_interpolation": "Vanilla GAN: latent interpolation between pairs of codes",
    "02_gans/wgan_curves": "WGAN-LP over training. Top left: the critic's Wasserstein estimate "
    r"(real minus generated); top right: the Lipschitz penalty (without $\lambda$); below: the "
    "Fréchet distance to the test images, with the floor of two real splits",
    "02_gans/wgan_samples_over_training": "WGAN-LP on SVHN: samples of the same z over training",
    "02_gans/wgan_samples_final": "WGAN-LP on SVHN: 64 samples at the end of training",
    "02_gans/latent_perturbations": r"Moving one latent coordinate, $z'_i = z_i + \epsilon$ "
    r"(rows: the 8 of 100 coordinates that change the image most), for $\epsilon$ from $-2$ to "
    r"$+2$ (columns)",
    "02_gans/interpolation_latent_vs_data": r"Interpolating in the latent space (rows "
    r"labelled latent: Q4 (a)) and in the data space (rows labelled data: Q4 (b)), "
    r"$\alpha = 0, 0.1, \dots, 1$ from left to right; as in the handout, $\alpha = 1$ (right) "
    r"gives $g(z_0)$. The rows labelled slerp (spherical interpolation) go beyond the handout",
    "03_simsiam/views": "Two augmented views of each image",
    "03_simsiam/loss": "Training loss of the runs (-1: the views agree perfectly)",
    "03_simsiam/knn_accuracy": "kNN accuracy of the backbone features and of the projector "
    "output z over training",
    "03_simsiam/output_std": r"Standard deviation of the normalised projector output z, times "
    r"$\sqrt{d}$, over training (1: spread, 0: collapsed)",
    "04_autoencoders/autoencoder": "Autoencoder: test images, their reconstructions and "
    "decodings of z ~ N(0, I)",
    "04_autoencoders/beta_0_vs_10_curves": "Reconstruction and KL terms (validation) of the "
    "VAEs with beta = 0 and beta = 10",
    "04_autoencoders/beta_sweep": "Tuning beta: Fréchet distance of prior samples to the "
    "validation images and reconstruction error, per beta",
    "04_autoencoders/tuned_beta_curves": "Validation ELBO, reconstruction and KL terms of the "
    "VAEs with beta = 0, beta = 10 and the tuned beta",
    "04_autoencoders/reconstructions": "Reconstructions of the same test images by the AE and "
    "the three VAEs",
    "04_autoencoders/prior_samples": "Samples from the prior (decoder means) of the AE and the "
    "three VAEs",
    "04_autoencoders/interpolation_ae_vs_vae": r"Interpolation between pairs of test images in "
    r"the AE's and in the VAE's latent space, $\alpha = 0, 0.1, \dots, 1$ from left to right; as "
    r"in the handout, $\alpha = 1$ (right) is the first image",
}
_CAPTION_RULES = (
    (re.compile(r"^classes_cifar10_(\w+)$"), "One row per class: the {}, on which Problem 3's "
     "demo trains SimSiam"),
    (re.compile(r"^preview_(\w+)$"), "Examples from {}"),
    (re.compile(r"^classes_(\w+)$"), "One row per class: {}"),
)


def label(key: str) -> str:
    """Words (and unit) for a metrics key; unlisted keys read with spaces for underscores."""
    if key in LABELS:
        return LABELS[key]
    for pattern, words in _LABEL_RULES:
        if pattern.match(key):
            return pattern.sub(words, key).replace("_", " ")
    return key.replace("_", " ")


def caption(notebook: str, figure: str) -> str:
    """A figure's caption in words (a sentence, with a full stop)."""
    text = CAPTIONS.get(f"{notebook}/{figure}")
    for pattern, words in _CAPTION_RULES:
        if text is None and (m := pattern.match(figure)):
            name = m.group(1)
            text = words.format(label(name) if name in LABELS else name.replace("_", " "))
    text = text or figure.replace("_", " ").capitalize()
    return f"{text}."


_TEX_SPECIAL = re.compile(r"([\\&%$#_{}~^<>])")
_TEX_REPLACE = {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
# words of the findings that stand for symbols: (pattern, LaTeX, Unicode)
_SYMBOLS: tuple[tuple[str, str, str], ...] = (
    (r"\+-", r"$\pm$", "±"),
    (r">=", r"$\geq$", "≥"),
    (r"<=", r"$\leq$", "≤"),
    (r"->", r"$\to$", "→"),
    (r"\bx sqrt\(d\)", r"$\times\sqrt{d}$", "× √d"),
    (r"(?<=\d)x\b", r"$\times$", "×"),  # 19x as noisy
    (r"(?<=\d) x (?=\d)", r"$\times$", "×"),  # 784 x 300 layers
    (r"\bW1\b", r"$W_1$", "W₁"),
    (r"\bsqrt\(d\)", r"$\sqrt{d}$", "√d"),
    (r"\bsqrt\((\d+)\)", r"$\sqrt{\1}$", r"√\1"),
    (r"\blog p\(x\)", r"$\log p(x)$", "log p(x)"),
    (r"\balpha\b", r"$\alpha$", "α"),
    (r"\bbeta\b", r"$\beta$", "β"),
    (r"\blambda\b", r"$\lambda$", "λ"),
    (r"\beps\b", r"$\epsilon$", "ε"),
    (r"\bmu([01])\b", r"$\mu_\1$", r"μ\1"),
    (r"\bz([01])\b", r"$z_\1$", r"z\1"),
    (r"\bx([01])\b", r"$x_\1$", r"x\1"),
    (r"\bFrechet\b", "Fréchet", "Fréchet"),
    (r"(?<![\w.)-])-(?=\d)", r"$-$", "-"),  # a minus sign, not a hyphen: -102
)
_SYMBOL_RES = [(re.compile(p), tex, uni) for p, tex, uni in _SYMBOLS]
_MATH = re.compile(r"(\$[^$]+\$)")


def _expand(template: str, m: re.Match[str]) -> str:
    """``template`` with ``\\1`` replaced by the match's first group (no other escapes)."""
    return template.replace("\\1", m.group(1)) if m.groups() else template


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return _TEX_SPECIAL.sub(lambda m: _TEX_REPLACE.get(m.group(1), "\\" + m.group(1)), text)


def _plain_to_latex(text: str) -> str:
    """Plain words (no ``$``, no code) as LaTeX: symbols typeset, the rest escaped."""
    symbols: list[str] = []

    def keep(tex: str, m: re.Match[str]) -> str:
        symbols.append(_expand(tex, m))
        return f"\0{len(symbols) - 1}\0"

    for pattern, tex, _ in _SYMBOL_RES:
        text = pattern.sub(lambda m, tex=tex: keep(tex, m), text)
    text = tex_escape(text).replace(r"\_", r"\_\allowbreak{}")  # long identifiers may break
    return re.sub(r"\0(\d+)\0", lambda m: symbols[int(m.group(1))], text)


def _inline(text: str) -> str:
    """One line of Markdown (code, ``$...$``, bold, italics) as LaTeX."""
    kept: list[str] = []

    def keep(tex: str) -> str:
        kept.append(tex)
        return f"\1{len(kept) - 1}\1"

    text = re.sub(r"`([^`]*)`", lambda m: keep(rf"\texttt{{{tex_escape(m.group(1))}}}"), text)
    text = _MATH.sub(lambda m: keep(m.group(1)), text)
    text = re.sub(r"\*\*(.+?)\*\*", lambda m: f"\2{m.group(1)}\3", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", lambda m: f"\4{m.group(1)}\5",
                  text)
    text = _plain_to_latex(text)
    for mark, tex in (("\2", r"\textbf{"), ("\4", r"\emph{"), ("\3", "}"), ("\5", "}")):
        text = text.replace(mark, tex)
    return re.sub("\1(\\d+)\1", lambda m: kept[int(m.group(1))], text)


def markdown_to_latex(text: str) -> str:
    """Markdown (paragraphs, ``- `` lists, code, ``$...$``, bold, italics) as LaTeX."""
    out: list[str] = []
    in_list = False
    for line in text.splitlines():
        if line.startswith(("- ", "* ")):
            if not in_list:
                out.append(r"\begin{itemize}")
                in_list = True
            out.append(r"\item " + _inline(line[2:]))
        elif in_list and line.startswith("  ") and line.strip():
            out.append(_inline(line.strip()))
        else:
            if in_list:
                out.append(r"\end{itemize}")
                in_list = False
            out.append(_inline(line.strip()))
    if in_list:
        out.append(r"\end{itemize}")
    return "\n".join(out)


def markdown_text(text: str) -> str:
    """Markdown for report.md: the findings' symbol words as Unicode, ``$...$`` and code kept."""
    out = []
    for i, part in enumerate(re.split(r"(`[^`]*`)", text)):
        if i % 2:
            out.append(part)
            continue
        pieces = []
        for j, piece in enumerate(_MATH.split(part)):
            if not j % 2:
                for pattern, _, uni in _SYMBOL_RES:
                    piece = pattern.sub(lambda m, uni=uni: _expand(uni, m), piece)
            pieces.append(piece)
        out.append("".join(pieces))
    return "".join(out)


def latex_document(title: str, body: list[str]) -> str:
    """A complete LaTeX document around ``body``: floats placed near their text (``[htbp]``,
    with float fractions that keep pages full), figures at their natural size at most."""
    preamble = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[a4paper,margin=2cm]{geometry}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{lmodern}",
        r"\usepackage{textcomp}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[export]{adjustbox}",
        r"\usepackage{booktabs}",
        r"\usepackage{array}",
        r"\usepackage{tabularx}",
        r"\usepackage{caption}",
        r"\usepackage{enumitem}",
        r"\usepackage{placeins}",
        r"\setlist{nosep, beginpenalty=10000}",
        r"\captionsetup{font=small}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{4pt}",
        r"\setlength{\emergencystretch}{3em}",
        r"\renewcommand{\topfraction}{0.85}",
        r"\renewcommand{\bottomfraction}{0.7}",
        r"\renewcommand{\textfraction}{0.1}",
        r"\renewcommand{\floatpagefraction}{0.75}",
        r"\setcounter{topnumber}{3}",
        r"\setcounter{bottomnumber}{2}",
        r"\setcounter{totalnumber}{4}",
        rf"\title{{{_inline(title)}}}",
        r"\author{}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
    ]
    return "\n".join([*preamble, *body, r"\end{document}"]) + "\n"
