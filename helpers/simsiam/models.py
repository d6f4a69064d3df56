"""The CIFAR ResNets that SimSiam (:mod:`helpers.simsiam.course`) uses as its backbone.

- :func:`resnet18_cifar`: ResNet-18 with a 3x3 stem and no max-pool, for 32x32 images; it takes
  the same keyword arguments as ``torchvision.models.resnet18``.
- :class:`CifarResNet` and :func:`cifar_resnet`: narrower and shallower CIFAR ResNets as a
  ``base_encoder``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, ResNet

__all__ = [
    "CifarResNet",
    "cifar_resnet",
    "resnet18_cifar",
]


class CifarResNet(nn.Module):
    """A ResNet of :class:`~torchvision.models.resnet.BasicBlock` s for small images.

    A 3x3 stem (stride ``stem_stride``, no max-pool), four stages of ``layers`` blocks with
    ``width``, 2 ``width``, 4 ``width`` and 8 ``width`` channels (stride 1, 2, 2, 2), global
    average pooling and ``fc`` (8 ``width`` -> ``num_classes``), as in torchvision's ResNet, so
    that :class:`SimSiam` can replace ``fc`` by its projector.
    """

    def __init__(
        self,
        num_classes: int = 10,
        zero_init_residual: bool = False,
        width: int = 64,
        layers: tuple[int, ...] = (2, 2, 2, 2),
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        if width < 1 or len(layers) != 4 or min(layers) < 1:
            raise ValueError(
                f"need width >= 1 and four stages of >= 1 block, got {width}, {layers}"
            )
        self.conv1 = nn.Conv2d(3, width, 3, stride=stem_stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()
        stages, channels = [], width
        for i, blocks in enumerate(layers):
            out, stride = width * 2**i, 1 if i == 0 else 2
            down = None
            if stride != 1 or channels != out:
                down = nn.Sequential(
                    nn.Conv2d(channels, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out)
                )
            mods = [BasicBlock(channels, out, stride, down)]
            mods += [BasicBlock(out, out) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*mods))
            channels = out
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:  # each residual branch starts as zero: the block is the identity
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) -> (B, num_classes)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18_cifar(num_classes: int = 10, zero_init_residual: bool = False, **kwargs) -> ResNet:
    """ResNet-18 for 32x32 images: a 3x3 stride-1 stem and no max-pool (the CIFAR variant).

    Same keyword arguments as ``torchvision.models.resnet18``; ``fc`` maps 512 to num_classes.
    """
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes,
                   zero_init_residual=zero_init_residual, **kwargs)  # fmt: skip
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model


def cifar_resnet(
    width: int = 64, layers: tuple[int, ...] = (2, 2, 2, 2), stem_stride: int = 1
) -> Callable[..., nn.Module]:
    """A ``base_encoder`` for :class:`SimSiam`: ``cifar_resnet(16, (1, 1, 1, 1), 2)`` builds a
    narrow ResNet-10 whose stem halves the resolution (the demo's CPU backbone);
    ``cifar_resnet()`` is the CIFAR ResNet-18's architecture."""

    def build(num_classes: int = 10, zero_init_residual: bool = False) -> nn.Module:
        return CifarResNet(num_classes, zero_init_residual, width, tuple(layers), stem_stride)

    build.__name__ = f"cifar_resnet(width={width}, layers={tuple(layers)}, stem={stem_stride})"
    return build
