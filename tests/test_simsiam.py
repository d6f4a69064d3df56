"""SimSiam's course API, the kNN monitor, the collapse diagnostic, batched augmentations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF

from helpers.augment import SimSiamAugment, hsv_to_rgb, rgb_to_hsv
from helpers.simsiam import CosineSimilarity, SimSiam, knn_accuracy, output_std, resnet18_cifar


def test_cosine_similarity():
    x1, x2 = torch.randn(5, 8), torch.randn(5, 8)
    torch.testing.assert_close(CosineSimilarity()(x1, x2), F.cosine_similarity(x1, x2))
    zero = torch.zeros(2, 8)
    out = CosineSimilarity()(zero, torch.randn(2, 8))
    assert torch.equal(out, torch.zeros(2))  # 0, not NaN


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {
        mode: SimSiam(resnet18_cifar, dim=64, pred_dim=16, MLP_mode=mode)
        for mode in (None, "no_pred_mlp", "fixed_random_init")
    }


def test_loss_values(models):
    model = models[None]
    z = torch.randn(4, 64)
    assert model.loss(z, z, z, z).item() == pytest.approx(-1.0)
    a, b = torch.zeros(4, 64), torch.zeros(4, 64)
    a[:, 0], b[:, 1] = 1.0, 1.0
    assert model.loss(a, a, b, b).item() == pytest.approx(0.0)
    assert model.loss(a, a, -a, -a).item() == pytest.approx(1.0)


def test_forward_and_stop_gradient(models):
    x1, x2 = torch.randn(4, 3, 32, 32), torch.randn(4, 3, 32, 32)
    model = models[None].train()
    p1, _, z1, z2 = model(x1, x2)
    assert p1.shape == z1.shape == (4, 64)
    assert p1.requires_grad and not z1.requires_grad and not z2.requires_grad
    model.stop_gradient = False
    _, _, z1, _ = model(x1, x2)
    assert z1.requires_grad
    model.stop_gradient = True


def test_identity_predictor(models):
    model = models["no_pred_mlp"].train()
    model.stop_gradient = False
    x = torch.randn(4, 3, 32, 32)
    p1, _, z1, _ = model(x, x)
    torch.testing.assert_close(p1, z1)
    model.stop_gradient = True


def test_fixed_random_predictor_is_frozen(models):
    model = models["fixed_random_init"].train()
    weights = [m.weight for m in model.predictor.modules() if isinstance(m, torch.nn.Linear)]
    assert all(not p.requires_grad for p in model.predictor.parameters())
    assert all(0.005 < w.std().item() < 0.015 for w in weights)
    before = [w.clone() for w in weights]
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x1, x2 = torch.randn(4, 3, 32, 32), torch.randn(4, 3, 32, 32)
    model.loss(*model(x1, x2)).backward()
    opt.step()
    assert all(torch.equal(a, b) for a, b in zip(before, weights, strict=True))
    with pytest.raises(ValueError, match="MLP_mode must be"):
        SimSiam(resnet18_cifar, dim=8, pred_dim=4, MLP_mode="frozen")


def test_torchvision_resnet18_works_too():
    model = SimSiam(torchvision.models.resnet18, dim=32, pred_dim=8).train()
    p1, _, z1, _ = model(torch.randn(2, 3, 32, 32), torch.randn(2, 3, 32, 32))
    assert p1.shape == z1.shape == (2, 32)
    assert model.backbone(torch.randn(2, 3, 32, 32)).shape == (2, 512)
    assert isinstance(model.encoder.fc, torch.nn.Sequential)  # restored after backbone()


def test_cifar_resnet_has_a_small_stem():
    model = resnet18_cifar(num_classes=10)
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert isinstance(model.maxpool, torch.nn.Identity)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_knn_accuracy_matches_brute_force():
    torch.manual_seed(1)
    train, test = torch.randn(60, 6), torch.randn(25, 6)
    train_y, test_y = torch.randint(0, 3, (60,)), torch.randint(0, 3, (25,))
    k, t = 7, 0.1
    correct = 0
    for i in range(25):
        sims = [F.cosine_similarity(test[i], train[j], dim=0).item() for j in range(60)]
        order = sorted(range(60), key=lambda j: -sims[j])[:k]
        votes = [0.0, 0.0, 0.0]
        for j in order:
            votes[int(train_y[j])] += math.exp(sims[j] / t)
        correct += int(max(range(3), key=lambda c: votes[c]) == int(test_y[i]))
    expected = 100.0 * correct / 25
    assert knn_accuracy(train, train_y, test, test_y, k=k, temperature=t, chunk=4) == pytest.approx(
        expected
    )


def test_output_std_detects_collapse():
    d = 256
    healthy = output_std(torch.randn(2000, d)) * math.sqrt(d)
    collapsed = output_std(torch.ones(2000, d) + 1e-4 * torch.randn(2000, d)) * math.sqrt(d)
    assert healthy == pytest.approx(1.0, abs=0.05)
    assert collapsed < 0.01


# ---- augmentations


def test_hsv_round_trip_and_hue_matches_torchvision():
    torch.manual_seed(2)
    x = torch.rand(3, 3, 8, 8)
    torch.testing.assert_close(hsv_to_rgb(rgb_to_hsv(x)), x, atol=1e-5, rtol=0)
    hsv = rgb_to_hsv(x)
    shifted = hsv_to_rgb(torch.stack([(hsv[:, 0] + 0.07) % 1.0, hsv[:, 1], hsv[:, 2]], 1))
    torch.testing.assert_close(shifted, TF.adjust_hue(x, 0.07), atol=1e-4, rtol=0)


def test_views_are_random_per_image_and_in_range():
    aug = SimSiamAugment(mean=None, std=None)
    x = torch.rand(1, 3, 32, 32).expand(64, -1, -1, -1).contiguous()  # 64 copies of one image
    g = torch.Generator().manual_seed(0)
    v1, v2 = aug(x, g)
    assert v1.shape == v2.shape == (64, 3, 32, 32)
    assert v1.min() >= 0 and v1.max() <= 1
    distinct = {tuple(v.flatten()[:50].tolist()) for v in v1}
    assert len(distinct) == 64  # each copy got its own crop, flip and colours
    assert not torch.equal(v1, v2)
    gray = (v1[:, 0] == v1[:, 1]).flatten(1).all(1) & (v1[:, 1] == v1[:, 2]).flatten(1).all(1)
    assert 0.05 < gray.float().mean() < 0.4  # p = 0.2
    again = aug(x, torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(again, v1)


def test_full_scale_crop_without_flip_or_colour_is_the_identity():
    aug = SimSiamAugment(scale=(1.0, 1.0), ratio=(1.0, 1.0), p_jitter=0, p_gray=0, p_flip=0,
                         mean=None, std=None)  # fmt: skip
    x = torch.rand(4, 3, 32, 32)
    torch.testing.assert_close(aug.view(x), x, atol=1e-5, rtol=0)
    flipped = SimSiamAugment(scale=(1.0, 1.0), ratio=(1.0, 1.0), p_jitter=0, p_gray=0,
                             p_flip=1.0, mean=None, std=None).view(x)  # fmt: skip
    torch.testing.assert_close(flipped, x.flip(3), atol=1e-5, rtol=0)


def test_normalisation():
    aug = SimSiamAugment()
    x = torch.full((2, 3, 32, 32), 0.5)
    out = aug.normalize(x)
    expected = (0.5 - torch.tensor(aug.mean)) / torch.tensor(aug.std)
    torch.testing.assert_close(out[0, :, 0, 0], expected)


class TinyEncoder(torch.nn.Module):
    """A small stand-in backbone with the torchvision ResNet's interface (``fc``)."""

    def __init__(self, num_classes: int = 10, zero_init_residual: bool = False) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
        )  # fmt: skip
        self.fc = torch.nn.Linear(8, num_classes)

    def forward(self, x):
        return self.fc(self.body(x))


def test_training_loop_records_the_monitors(tmp_path):
    from helpers import synthetic
    from helpers.simsiam import train_simsiam

    torch.manual_seed(0)
    x, y = synthetic.objects(96, 0)
    xt, yt = synthetic.objects(32, 1)
    model = SimSiam(TinyEncoder, dim=16, pred_dim=4)
    result = train_simsiam(
        "s", model, x, y, xt, yt, epochs=2, batch_size=32, knn_k=5,
        checkpoint_dir=str(tmp_path), progress=False,
    )  # fmt: skip
    for key in ("loss", "knn_accuracy", "knn_accuracy_z", "output_std"):
        _, values = result.history.series(key, x="epoch")
        assert len(values) == 2, key
    assert -1 <= result.history.last("loss") <= 1
    assert 0 <= result.history.last("knn_accuracy") <= 100
    again = train_simsiam(
        "s", SimSiam(TinyEncoder, dim=16, pred_dim=4), x, y, xt, yt, epochs=2, batch_size=32,
        knn_k=5, checkpoint_dir=str(tmp_path), progress=False,
    )  # fmt: skip
    assert again.loaded
