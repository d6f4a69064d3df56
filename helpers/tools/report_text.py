"""Words for :mod:`helpers.tools.report`: labels of metrics, captions of figures, Markdown to LaTeX.

The report never shows a raw metrics key: :func:`label` maps each key of ``metrics.json`` (a
model, a field) to words with its unit, and :func:`caption` each figure to a sentence. Keys that
are not listed fall back to their words (underscores as spaces), so a new metric still reads.
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
    "markdown_to_latex",
    "tex_escape",
]

PROVENANCE = (
    "profile", "data", "device", "device_name", "seed", "seconds", "torch", "peak_gpu_memory_gb",
)  # fmt: skip

LABELS: dict[str, str] = {
    "00_datasets/classes_cifar10_tiled_shapes": "One row per class of the tiled-shapes stand-in "
    "on which Problem 3's demo trains SimSiam (the table's CIFAR-10 row describes the shapes "
    "stand-in)",
    # 00_datasets
    "binarized_mnist": "binarized MNIST",
    "mnist": "MNIST",
    "svhn": "SVHN",
    "cifar10": "CIFAR-10",
    "source": "source",
    "train_images": "training images",
    "test_images": "test images",
    "pixel_mean": "mean pixel value",
    # 01_vae
    "course_mlp": "MLP VAE, L = 100, analytic KL",
    "course_mlp_mc_kl": "MLP VAE, L = 100, Monte-Carlo KL",
    "conv": "ConvVAE, L = 100",
    "course_mlp_latent2": "MLP VAE, L = 2",
    "course_mlp_latent20": "MLP VAE, L = 20",
    "valid_elbo": "validation ELBO (nats)",
    "test_elbo": "test ELBO (nats)",
    "test_log_likelihood": "test log p(x) (nats)",
    "epochs": "epochs",
    "is_samples": "importance samples K",
    "log_likelihood_estimators": "mean log p(x) of 50 test images",
    "K": "samples K",
    "prior": "z from the prior (nats)",
    "importance": "importance sampling (nats)",
    # 02_gans
    "vanilla_gan": "vanilla GAN (MNIST)",
    "wgan_lp": "WGAN-LP (SVHN)",
    "frechet_distance_init": "Frechet distance, untrained",
    "frechet_distance": "Frechet distance",
    "frechet_distance_real": "Frechet distance between real images (floor)",
    "interpolation_pairs_scored": "image pairs whose midpoints the classifier scored",
    "iterations": "generator iterations",
    "vanilla_discriminator": "end of training",
    "d_real": "mean D(x), real images",
    "d_fake": "mean D(G(z)), generated",
    "latent_perturbations": "coordinates moved",
    "label_change": "share that change the label",
    "colour_change": "share that shift the colour",
    "both": "share that do both",
    "confidence": "classifier's mean confidence",
    "interpolation_midpoint_confidence": "classifier's mean confidence at alpha = 0.5",
    "latent": "latent path",
    "data": "data path",
    # 03_simsiam
    "raw_pixel_knn_accuracy": "kNN accuracy on raw pixels (%)",
    "untrained_network_knn_accuracy": "kNN accuracy of the untrained network (%)",
    "stop_gradient": "(a) stop-gradient",
    "no_stop_gradient": "(b) no stop-gradient",
    "no_pred_mlp": "(c) identity predictor",
    "fixed_random_init": "(d) frozen random predictor",
    "stop_gradient_workbook": "(a) stop-gradient, workbook recipe",
    "final_loss": "final loss",
    "output_std_x_sqrt_dim": "output std x sqrt(d)",
    "output_std": "output std",
    "first_epoch_knn_accuracy": "kNN accuracy, backbone, after epoch 1 (%)",
    "final_knn_accuracy": "kNN accuracy, backbone (%)",
    "final_knn_accuracy_z": "kNN accuracy, projector output z (%)",
    "dim": "output dimension d",
    "linear_evaluation": "linear evaluation",
    "linear_train_accuracy": "linear probe, train (%)",
    "linear_test_accuracy": "linear probe, test (%)",
    # 04_autoencoders
    "autoencoder": "autoencoder",
    "vae_beta_0": "VAE, beta = 0",
    "vae_beta_10": "VAE, beta = 10",
    "vae_beta_tuned": "VAE, tuned beta",
    "beta": "beta",
    "reconstruction_error": "reconstruction error (sum of squares)",
    "kl": "KL (nats)",
    "AE": "AE path",
    "VAE": "VAE path",
}
_LABEL_RULES = ((re.compile(r"^active_units_latent(\d+)$"), r"active latent units of L = \1"),)

_TWO_DECIMALS = (
    "valid_elbo test_elbo test_log_likelihood prior importance d_real d_fake label_change "
    "colour_change both confidence latent data AE VAE output_std_x_sqrt_dim reconstruction_error"
)
_ONE_DECIMAL = (
    "raw_pixel_knn_accuracy untrained_network_knn_accuracy final_knn_accuracy final_knn_accuracy_z "
    "linear_train_accuracy "
    "linear_test_accuracy kl"
)
FORMATS: dict[str, str] = {  # format specs of fields whose unit calls for a fixed precision
    **dict.fromkeys(_TWO_DECIMALS.split(), ".2f"),
    **dict.fromkeys(_ONE_DECIMAL.split(), ".1f"),
    "final_loss": ".3f",
    "pixel_mean": ".3f",
    "beta": "g",
}

CAPTIONS: dict[str, str] = {
    "01_vae/data": "Test images of binarized MNIST",
    "01_vae/elbo_analytic_vs_mc": "Validation ELBO per epoch of the MLP VAE, with the KL term "
    "computed analytically and by Monte Carlo (one sample)",
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
    "01_vae/latent_manifold": "The 2-d latent manifold: decoder means over a grid of prior "
    "quantiles",
    "01_vae/interpolation": "Decoding (1 - alpha) mu0 + alpha mu1 between the codes of two "
    "test images (ConvVAE)",
    "02_gans/generator_losses": "Gradient size of the saturating and the non-saturating "
    "generator loss against D(G(z))",
    "02_gans/vanilla_samples_over_training": "Vanilla GAN on MNIST: samples of the same z over "
    "training",
    "02_gans/vanilla_discriminator": "Vanilla GAN: the discriminator's mean output on real and "
    "on generated images over training",
    "02_gans/vanilla_interpolation": "Vanilla GAN: latent interpolation between pairs of codes",
    "02_gans/wgan_curves": "WGAN-LP: the critic's Wasserstein estimate, the Lipschitz penalty "
    "and the Frechet distance over training",
    "02_gans/wgan_samples_over_training": "WGAN-LP on SVHN: samples of the same z over training",
    "02_gans/wgan_samples_final": "WGAN-LP on SVHN: 64 samples at the end of training",
    "02_gans/latent_perturbations": "Moving one latent coordinate (rows) by eps (columns)",
    "02_gans/interpolation_latent_vs_data": "Interpolating in latent space (linear and "
    "spherical) and in data space",
    "03_simsiam/views": "Two augmented views of each image",
    "03_simsiam/loss": "Training loss of the four runs (-1: the views agree perfectly)",
    "03_simsiam/knn_accuracy": "kNN accuracy of the backbone features and of the projector "
    "output z over training",
    "03_simsiam/output_std": "Standard deviation of the normalised projector output z, times "
    "sqrt(d), over training (1: spread, 0: collapsed)",
    "04_autoencoders/autoencoder": "Autoencoder: test images, their reconstructions and "
    "decodings of z ~ N(0, I)",
    "04_autoencoders/beta_0_vs_10_curves": "Reconstruction and KL terms (validation) of the "
    "VAEs with beta = 0 and beta = 10",
    "04_autoencoders/beta_sweep": "Tuning beta: Frechet distance of prior samples to the "
    "validation images and reconstruction error, per beta",
    "04_autoencoders/tuned_beta_curves": "Validation ELBO, reconstruction and KL terms of the "
    "VAEs with beta = 0, beta = 10 and the tuned beta",
    "04_autoencoders/reconstructions": "Reconstructions of the same test images by the AE and "
    "the three VAEs",
    "04_autoencoders/prior_samples": "Samples from the prior (decoder means) of the AE and the "
    "three VAEs",
    "04_autoencoders/interpolation_ae_vs_vae": "Interpolation between pairs of test images in "
    "the AE's and in the VAE's latent space",
}
NO_DATA = {"02_gans/generator_losses"}  # figures that show no data: no stand-in caveat
_CAPTION_RULES = (
    (re.compile(r"^preview_(\w+)$"), "Examples from {}"),
    (re.compile(r"^classes_(\w+)$"), "One row per class: {}"),
)


def label(key: str) -> str:
    """Words (and unit) for a metrics key; unlisted keys read with spaces for underscores."""
    if key in LABELS:
        return LABELS[key]
    for pattern, words in _LABEL_RULES:
        if pattern.match(key):
            return pattern.sub(words, key)
    return key.replace("_", " ")


def caption(notebook: str, figure: str, stand_in: bool) -> str:
    """A figure's caption in words, saying "(stand-in data)" for a synthetic run."""
    text = CAPTIONS.get(f"{notebook}/{figure}")
    for pattern, words in _CAPTION_RULES:
        if text is None and (m := pattern.match(figure)):
            text = words.format(label(m.group(1)))
    text = text or figure.replace("_", " ").capitalize()
    stand_in = stand_in and f"{notebook}/{figure}" not in NO_DATA
    return f"{text} (stand-in data)." if stand_in else f"{text}."


_TEX_SPECIAL = re.compile(r"([\\&%$#_{}~^<>])")
_TEX_REPLACE = {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
_TEX_SYMBOLS = (("+-", r"$\pm$"), (">=", r"$\geq$"), ("<=", r"$\leq$"), ("->", r"$\to$"))


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return _TEX_SPECIAL.sub(lambda m: _TEX_REPLACE.get(m.group(1), "\\" + m.group(1)), text)


def _inline(text: str) -> str:
    """One line of Markdown (code, bold, italics) as LaTeX."""
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        if i % 2:
            out.append(rf"\texttt{{{tex_escape(part)}}}")
            continue
        for n, (plain, _) in enumerate(_TEX_SYMBOLS):
            part = part.replace(plain, f"\0{n}\0")
        part = tex_escape(part)
        part = re.sub(r"\0(\d)\0", lambda m: _TEX_SYMBOLS[int(m.group(1))][1], part)
        part = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", part)
        part = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\\emph{\1}", part)
        out.append(part)
    return "".join(out)


def markdown_to_latex(text: str) -> str:
    """The Markdown of a finding (paragraphs, ``- `` lists, code, bold, italics) as LaTeX."""
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


def latex_document(title: str, body: list[str]) -> str:
    """A complete LaTeX document around ``body``: figures stay where they are written
    (``float``'s ``[H]``), tables fit the text width (``tabularx``)."""
    preamble = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",
        r"\usepackage{textcomp}",
        r"\usepackage{graphicx}",
        r"\usepackage{booktabs}",
        r"\usepackage{array}",
        r"\usepackage{tabularx}",
        r"\usepackage{float}",
        r"\usepackage{caption}",
        r"\usepackage{enumitem}",
        r"\setlist{nosep, beginpenalty=10000}",
        r"\captionsetup{font=small}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{4pt}",
        r"\setlength{\emergencystretch}{3em}",
        rf"\title{{{tex_escape(title)}}}",
        r"\author{}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
    ]
    return "\n".join([*preamble, *body, r"\end{document}"]) + "\n"
