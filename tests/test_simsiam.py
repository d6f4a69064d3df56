"""SimSiam's course API, the kNN monitor, the collapse diagnostic, batched augmentations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF

from helpers.data import SimSiamAugment, hsv_to_rgb, rgb_to_hsv
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
    from helpers.data import synthetic
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


def test_cifar_resnet_builder_shapes_and_zero_init():
    from helpers.simsiam import cifar_resnet

    build = cifar_resnet(8, (1, 1, 1, 1), stem_stride=2)
    net = build(num_classes=12, zero_init_residual=True)
    assert net(torch.randn(3, 3, 32, 32)).shape == (3, 12)
    assert net.fc.in_features == 64  # 8 x 2**3
    assert net.conv1.stride == (2, 2)
    assert all(torch.all(b.bn2.weight == 0) for b in net.modules() if hasattr(b, "bn2"))
    plain = build(num_classes=12, zero_init_residual=False)
    assert all(torch.all(b.bn2.weight == 1) for b in plain.modules() if hasattr(b, "bn2"))
    full = cifar_resnet()(num_classes=10)
    reference = resnet18_cifar(num_classes=10)
    assert sum(p.numel() for p in full.parameters()) == sum(
        p.numel() for p in reference.parameters()
    )
    with pytest.raises(ValueError, match="four stages"):
        cifar_resnet(8, (1, 1))(num_classes=2)


def test_runs_are_the_four_of_problem_3():
    from helpers.profiles import get_profile
    from helpers.simsiam import RUNS, make_run

    assert list(RUNS) == ["stop_gradient", "no_stop_gradient", "no_pred_mlp", "fixed_random_init"]
    budget = get_profile("smoke").simsiam
    b = make_run("no_stop_gradient", budget)
    c = make_run("no_pred_mlp", budget)
    d = make_run("fixed_random_init", budget)
    assert not b.stop_gradient and b.MLP_mode is None
    assert c.stop_gradient and isinstance(c.predictor, torch.nn.Identity)
    assert d.MLP_mode == "fixed_random_init"
    a1, a2 = make_run("stop_gradient", budget, seed=3), make_run("stop_gradient", budget, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a1.parameters(), a2.parameters(), strict=True))
    with pytest.raises(ValueError, match="unknown run"):
        make_run("no_projector", budget)


def test_pixel_knn_uses_normalised_pixels():
    from helpers.simsiam import pixel_knn_accuracy

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (40, 3, 4, 4), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 3, (40,), generator=g)
    xt, yt = x[:10].clone(), y[:10].clone()
    norm = SimSiamAugment().normalize
    expected = knn_accuracy(
        norm(x.float() / 255).flatten(1), y, norm(xt.float() / 255).flatten(1), yt, k=5
    )
    assert pixel_knn_accuracy(x, y, xt, yt, k=5) == pytest.approx(expected)
    # each test image is in the bank: with k = 1 it finds itself
    assert pixel_knn_accuracy(x, y, xt, yt, k=1) == 100.0


def test_untrained_knn_is_run_a_before_training_and_leaves_the_rng_alone():
    from helpers.profiles import SimSiamBudget
    from helpers.simsiam import embed, make_run, untrained_knn_accuracy

    budget = SimSiamBudget(epochs=1, dim=8, pred_dim=4, width=4, blocks=(1, 1, 1, 1),
                           stem_stride=2, knn_k=5)  # fmt: skip
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (40, 3, 32, 32), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 3, (40,), generator=g)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    acc = untrained_knn_accuracy(budget, x, y, x[:10], y[:10], seed=7)
    assert torch.equal(torch.random.get_rng_state(), before)
    model = make_run("stop_gradient", budget, seed=7)
    norm = SimSiamAugment().normalize
    h, _ = embed(model, x, normalize=norm)
    ht, _ = embed(model, x[:10], normalize=norm)
    assert acc == pytest.approx(knn_accuracy(h, y, ht, y[:10], k=5))
    assert untrained_knn_accuracy(budget, x, y, x[:10], y[:10], seed=7) == acc


def test_linear_probe_separates_separable_features_and_not_noise():
    from helpers.simsiam import linear_probe

    g = torch.Generator().manual_seed(0)
    centres = 4 * torch.randn(4, 16, generator=g)
    y = torch.randint(0, 4, (400,), generator=g)
    x = centres[y] + torch.randn(400, 16, generator=g)
    train, test = linear_probe(x[:300], y[:300], x[300:], y[300:], epochs=20)
    assert train > 98 and test > 95
    noise = torch.randn(400, 16, generator=g)
    _, chance = linear_probe(noise[:300], y[:300], noise[300:], y[300:], epochs=20)
    assert chance < 50


def test_run_summary_reads_the_last_epoch():
    from helpers.simsiam import run_summary
    from helpers.train import History, TrainResult

    h = History()
    h.add(10, dict(loss=-0.5, knn_accuracy=20.0, knn_accuracy_z=18.0, output_std=0.06), epoch=1)
    h.add(20, dict(loss=-0.9, knn_accuracy=30.0, knn_accuracy_z=25.0, output_std=0.03), epoch=2)
    s = run_summary(TrainResult(history=h, steps=20, seconds=12.34), dim=256)
    assert s["final_loss"] == -0.9 and s["final_knn_accuracy"] == 30.0
    assert s["final_knn_accuracy_z"] == 25.0 and s["epochs"] == 2 and s["dim"] == 256
    assert s["output_std_x_sqrt_dim"] == pytest.approx(0.48)
    assert s["train_seconds"] == 12.3


# The configs that train_simsiam saves in its checkpoints (the tiny run below) and their settings
# keys (the suffix of a set-aside checkpoint): the reference's, the same as before helpers had one
# folder per problem (its checkpoints still load); a student's parts by course name, whatever
# module holds them (a checkpoint that named the class's module instead is set aside, retrained).
_REFERENCE = {"MLP_mode": None, "base_lr": 0.03, "batch_size": 32, "epochs": 1, "fix_pred_lr": True,
           "images": 96, "momentum": 0.9, "parameters": 680, "seed": 0, "stop_gradient": True,
           "weight_decay": 0.0005, "total_steps": 3}  # fmt: skip
CHECKPOINT_CONFIGS = {
    "reference": (_REFERENCE, "99ce36a771"),
    "checked": ({**_REFERENCE, "course_functions": ["CosineSimilarity.forward"]}, "55166cb206"),
}


def test_checkpoint_configs_name_no_module_and_the_reference_is_unchanged(tmp_path, capsys):
    """A checkpoint's settings name no module: the reference SimSiam records nothing more, and
    the class of ``check.use_simsiam`` records the student's parts it uses, by course name."""
    from helpers.data import synthetic
    from helpers.simsiam import check, train_simsiam
    from helpers.train import load_checkpoint, settings_key

    x, y = synthetic.objects(96, 0)
    xt, yt = synthetic.objects(32, 1)
    checked = check.use_simsiam(SimSiam, torch.nn.CosineSimilarity)
    for label, cls in {"reference": SimSiam, "checked": checked}.items():
        torch.manual_seed(0)
        model = cls(TinyEncoder, dim=16, pred_dim=4)
        folder = tmp_path / label
        train_simsiam(
            "s", model, x, y, xt, yt, epochs=1, batch_size=32, knn_k=5,
            checkpoint_dir=str(folder), progress=False,
        )  # fmt: skip
        config = load_checkpoint(folder / "s.pt")["config"]
        assert (config, settings_key(config)) == CHECKPOINT_CONFIGS[label], label
    capsys.readouterr()
