"""SimSiam (Chen & He, 2021) with the course's API, a CIFAR ResNet-18, and the monitors.

``from helpers import simsiam`` gives every name; each lives in the module that holds its job:

- :mod:`helpers.simsiam.course` and :mod:`helpers.simsiam.models`: the models.

  - :class:`SimSiam`: ``SimSiam(base_encoder, dim=2048, pred_dim=512, stop_gradient=True,
    MLP_mode=None)``; ``forward(x1, x2) -> (p1, p2, z1, z2)``; ``loss(p1, p2, z1, z2)``.
  - :class:`CosineSimilarity`: x1 . x2 / max(||x1|| ||x2||, eps), an ``nn.Module``.
  - :func:`resnet18_cifar`: ResNet-18 with a 3x3 stem and no max-pool, for 32x32 images; it
    takes the same keyword arguments as ``torchvision.models.resnet18``.

- :mod:`helpers.simsiam.baselines`: the kNN accuracy of raw pixels and of the untrained network.

- :mod:`helpers.simsiam.training`: training and evaluation.

  - :func:`train_simsiam`, and Problem 3's runs (:data:`RUNS`, :func:`make_run`,
    :func:`train_run`).
  - :func:`knn_accuracy`: the course's weighted kNN monitor, batched on the device.
  - :func:`output_std`: the collapse diagnostic, the per-channel std of l2-normalised outputs.

The trainer looks its collaborators up in :mod:`helpers.simsiam.training`
(``choose_precision``, ``optimizer_options``): replace them there to change what it calls.

Per-problem modules: ``from helpers.simsiam import check, figures, findings``.
"""

from __future__ import annotations

from .baselines import (
    pixel_knn_accuracy,
    untrained_knn_accuracy,
)
from .course import (
    CosineSimilarity,
    SimSiam,
)
from .models import (
    CifarResNet,
    cifar_resnet,
    resnet18_cifar,
)
from .training import (
    RUNS,
    base_encoder,
    embed,
    knn_accuracy,
    linear_probe,
    make_run,
    output_std,
    run_summary,
    train_run,
    train_simsiam,
)

__all__ = [
    "RUNS",
    "CifarResNet",
    "CosineSimilarity",
    "SimSiam",
    "base_encoder",
    "cifar_resnet",
    "embed",
    "knn_accuracy",
    "linear_probe",
    "make_run",
    "output_std",
    "pixel_knn_accuracy",
    "resnet18_cifar",
    "run_summary",
    "train_run",
    "train_simsiam",
    "untrained_knn_accuracy",
]
