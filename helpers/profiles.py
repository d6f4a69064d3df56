"""Run profiles: the one place where every budget of the workbook is decided.

``smoke``
    Seconds per notebook on a CPU, tiny data and steps: what the tests run (nbval).
``demo``
    Minutes on a 2-core CPU on the offline stand-in data, with results that still show the
    phenomenon each problem is about: what ``make demo`` runs.
``full``
    The course's settings on the real datasets (a GPU is recommended): what ``make figures``
    and a student in Colab run.

Notebooks never hard-code epochs or sizes: they read ``wb.profile.<section>.<field>``.
The profile is chosen by ``WORKBOOK_PROFILE`` (or the notebook's configuration cell); when it is
unset, ``full`` is used where CUDA is available and ``demo`` elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

PROFILE_NAMES = ("smoke", "demo", "full")
DATA_SOURCES = ("synthetic", "real")


@dataclass(frozen=True)
class DatasetsBudget:
    """Budget of ``00_datasets``: how many images each preview grid shows."""

    preview_images: int


@dataclass(frozen=True)
class VAEBudget:
    """Budget of ``01_vae`` (Problem 1). The course: Adam 3e-4, batch 64, 20 epochs, L = 100."""

    epochs: int
    batch_size: int = 64
    lr: float = 3e-4
    latent_dim: int = 100
    hidden: int = 300  # the course MLP's hidden width
    conv_width: int = 64  # the workbook's ConvVAE
    conv_blocks: int = 2
    conv_lr: float = 1e-3  # Adam, cosine decay to 0 after a linear warm-up:
    conv_warmup_steps: int = 200  # see helpers.vae.warmup_cosine
    small_latent_epochs: int | None = None  # L = 2 and L = 20 runs (None: ``epochs``)
    importance_samples: int = 200  # K of the importance-sampled log-likelihood
    importance_test_images: int | None = None  # test images for log p(x) (None: all)


@dataclass(frozen=True)
class GANBudget:
    """Budget of ``02_gans`` (Problem 2). The course: 50000 generator iterations, width 64."""

    iterations: int  # WGAN-LP generator iterations
    width: int = 64  # DCGAN channel width of critic and generator
    lr: float = 1e-4  # Adam, betas (0.5, 0.9); the course's 1e-4
    eval_every: int = 2500  # Frechet distance every this many iterations
    fd_samples: int = 10_000  # generated and test images per Frechet distance
    classifier_epochs: int = 5
    classifier_width: int = 32
    vanilla_iterations: int = 20_000
    mlp_hidden: int = 256


@dataclass(frozen=True)
class AEBudget:
    """Budget of ``04_autoencoders``: MLP autoencoder and VAEs on MNIST, and the beta sweep."""

    epochs: int
    latent_dim: int = 16
    hidden: int = 512
    batch_size: int = 128
    lr: float = 1e-3
    valid_images: int = 10_000  # held out from the training split for the beta sweep
    sweep_betas: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
    fd_samples: int = 10_000
    classifier_epochs: int = 5
    classifier_width: int = 32


@dataclass(frozen=True)
class SimSiamRecipe:
    """How SimSiam's run (a) is optimised and augmented (:func:`helpers.simsiam.train_run`).

    The default is the course's recipe: SGD, batch 512, lr = 0.03 x batch / 256 with cosine
    decay, weight decay 5e-4, crops of 8-100% of the image, grayscale with p = 0.2.
    """

    batch_size: int = 512
    base_lr: float = 0.03  # lr = base_lr x batch_size / 256
    warmup_epochs: int = 0  # linear warm-up of the lr before the cosine decay
    weight_decay: float = 5e-4
    crop_scale: tuple[float, float] = (0.08, 1.0)
    p_gray: float = 0.2


RECIPES = ("course", "workbook")


@dataclass(frozen=True)
class SimSiamBudget:
    """Budget of ``03_simsiam`` (Problem 3). The course: ResNet-18, dim 2048, pred_dim 512,
    batch 512, lr 0.03 x batch / 256 with cosine decay, 100 epochs.

    The backbone is :func:`helpers.simsiam.cifar_resnet` ``(width, blocks, stem_stride)``;
    the full profile's (64, (2, 2, 2, 2), 1) is the CIFAR ResNet-18.
    """

    epochs: int
    batch_size: int = 512
    base_lr: float = 0.03  # lr = base_lr x batch_size / 256
    dim: int = 2048
    pred_dim: int = 512
    width: int = 64
    blocks: tuple[int, ...] = (2, 2, 2, 2)
    stem_stride: int = 1
    train_images: int | None = None  # None: the whole split
    test_images: int | None = None
    knn_k: int = 200
    linear_epochs: int = 100  # the optional linear evaluation, on frozen features
    # The workbook's own recipe for run (a) (None: the same as the course's, batch_size/base_lr).
    workbook_recipe: SimSiamRecipe | None = None
    standin: str | None = None  # the synthetic CIFAR-10 stand-in (None: ``objects``)
    crop_scale: tuple[float, float] = (0.08, 1.0)  # RandomResizedCrop's area range, all runs

    def recipe(self, name: str) -> SimSiamRecipe:
        """``course``: the profile's recipe of all four runs (in the full profile the
        assignment's settings); ``workbook``: run (a)'s second recipe, where there is one."""
        course = SimSiamRecipe(
            batch_size=self.batch_size, base_lr=self.base_lr, crop_scale=self.crop_scale
        )
        if name == "course":
            return course
        if name == "workbook":
            return self.workbook_recipe or course
        raise ValueError(f"recipe must be one of {RECIPES}, got {name!r}")


@dataclass(frozen=True)
class Profile:
    """Every budget of one profile.

    ``synthetic_train`` and ``synthetic_test`` are the number of stand-in images generated per
    split (``None``: as many as the real split holds).
    """

    name: str
    description: str
    default_data: str
    synthetic_train: int | None
    synthetic_test: int | None
    datasets: DatasetsBudget = field(default_factory=lambda: DatasetsBudget(64))
    vae: VAEBudget = field(default_factory=lambda: VAEBudget(epochs=20))
    gan: GANBudget = field(default_factory=lambda: GANBudget(iterations=50_000))
    ae: AEBudget = field(default_factory=lambda: AEBudget(epochs=20))
    simsiam: SimSiamBudget = field(default_factory=lambda: SimSiamBudget(epochs=100))

    def synthetic_size(self, split: str, real_size: int) -> int:
        """Number of stand-in images for ``split`` (``real_size``: the real split's size)."""
        n = self.synthetic_train if split == "train" else self.synthetic_test
        return real_size if n is None else min(n, real_size)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        description="tests: seconds per notebook, tiny data",
        default_data="synthetic",
        synthetic_train=512,
        synthetic_test=256,
        datasets=DatasetsBudget(preview_images=16),
        vae=VAEBudget(
            epochs=2,
            batch_size=64,
            lr=1e-3,
            hidden=64,
            conv_width=4,
            conv_blocks=1,
            importance_samples=8,
            importance_test_images=64,
        ),
        gan=GANBudget(
            iterations=4,
            width=4,
            eval_every=2,
            fd_samples=128,
            classifier_epochs=1,
            classifier_width=8,
            vanilla_iterations=4,
            mlp_hidden=16,
        ),
        ae=AEBudget(
            # 3 epochs of batch 32 at 3e-3 (about 36 steps): enough for the decoders to leave
            # their all-black start (logits offset by -5), so that the figures show digits.
            epochs=3,
            batch_size=32,
            lr=3e-3,
            hidden=32,
            valid_images=128,
            sweep_betas=(0.5, 2.0),
            fd_samples=128,
            classifier_epochs=1,
            classifier_width=8,
        ),
        simsiam=SimSiamBudget(
            epochs=2,
            batch_size=64,
            dim=32,
            pred_dim=8,
            width=4,
            blocks=(1, 1, 1, 1),
            stem_stride=2,
            train_images=256,
            test_images=128,
            knn_k=20,
            linear_epochs=2,
        ),
    ),
    "demo": Profile(
        name="demo",
        description="offline CPU: minutes per notebook on stand-in data",
        default_data="synthetic",
        synthetic_train=10_000,
        synthetic_test=2_000,
        datasets=DatasetsBudget(preview_images=64),
        vae=VAEBudget(
            epochs=6,
            batch_size=64,
            lr=1e-3,
            hidden=300,
            conv_width=8,
            conv_blocks=1,
            importance_samples=200,
            importance_test_images=500,
        ),
        gan=GANBudget(
            iterations=800,
            width=16,
            eval_every=200,
            fd_samples=1000,
            classifier_epochs=2,
            classifier_width=16,
            vanilla_iterations=1500,
            mlp_hidden=128,
        ),
        ae=AEBudget(
            epochs=8,
            hidden=256,
            valid_images=2000,
            sweep_betas=(0.5, 1.0, 2.0, 4.0),
            fd_samples=1000,
            classifier_epochs=2,
            classifier_width=16,
        ),
        simsiam=SimSiamBudget(
            # On the tiled-shapes stand-in, 3 seeds: benchmarks/simsiam_seeds.md.
            epochs=20,
            batch_size=128,
            base_lr=0.5,  # lr 0.25: a short run needs a larger step than the course's
            crop_scale=(0.2, 1.0),
            standin="tiled_shapes",
            dim=256,
            pred_dim=64,
            width=16,
            blocks=(1, 1, 1, 1),
            stem_stride=2,
            train_images=5000,
            test_images=2000,
            linear_epochs=30,
        ),
    ),
    "full": Profile(
        name="full",
        description="the course's settings on the real datasets (GPU recommended)",
        default_data="real",
        synthetic_train=None,
        synthetic_test=None,
        datasets=DatasetsBudget(preview_images=64),
        simsiam=SimSiamBudget(
            epochs=100,
            # Measured once on an H100 with an earlier build (benchmarks/README.md), 100 epochs,
            # kNN on the backbone: base lr 0.06 gave 71.3% against the course's 62.7%. The 80%
            # target is not reached by this alone; the other levers are for
            # benchmarks/simsiam_sweep.py on a GPU.
            workbook_recipe=SimSiamRecipe(base_lr=0.06),
        ),
    ),
}


def default_profile_name() -> str:
    """``WORKBOOK_PROFILE`` if set, else ``full`` with a CUDA GPU and ``demo`` without."""
    name = os.environ.get("WORKBOOK_PROFILE", "").strip()
    if name:
        return name
    import torch

    return "full" if torch.cuda.is_available() else "demo"


def get_profile(name: str | None = None) -> Profile:
    """The profile called ``name`` (``None``: :func:`default_profile_name`).

    Raises ValueError naming the valid profiles for an unknown name.
    """
    name = default_profile_name() if name is None else name
    if name not in PROFILES:
        raise ValueError(
            f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)} "
            "(set WORKBOOK_PROFILE or PROFILE in the notebook's configuration cell)"
        )
    return PROFILES[name]


def output_folder(profile: Profile | str, data: str | None = None) -> str:
    """The folder name, under ``figures/``, of one profile's outputs: ``demo``, ``full``,
    ``smoke``; ``<profile>-<data>`` when the data source is not the profile's own (the demo
    budget on real data is ``demo-real``), so that no profile's run overwrites another's."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    source = resolve_data_source(data, prof)
    return prof.name if source == prof.default_data else f"{prof.name}-{source}"


def resolve_data_source(source: str | None, profile: Profile) -> str:
    """``source``, else ``WORKBOOK_DATA``, else the profile's default; checked."""
    source = source or os.environ.get("WORKBOOK_DATA", "").strip() or profile.default_data
    if source not in DATA_SOURCES:
        raise ValueError(
            f"unknown data source {source!r}; choose one of {', '.join(DATA_SOURCES)} "
            "(set WORKBOOK_DATA or DATA in the notebook's configuration cell)"
        )
    return source
