"""WGAN-LP functions on analytic cases, the Frechet distance, the trainer, the widget logic."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from helpers.common import FeatureClassifier, FrechetScorer, frechet_distance
from helpers.data import synthetic
from helpers.gan import (
    Critic,
    Generator,
    MLPDiscriminator,
    MLPGenerator,
    lp_reg,
    train_gan,
    vf_wasserstein_distance,
)
from helpers.notebook import (
    ImageExplorer,
    interactive,
    interpolate_data,
    interpolate_latent,
    latent_perturbations,
)
from helpers.train import NonFiniteLossError


def linear_critic(weight: list[float]) -> nn.Linear:
    critic = nn.Linear(len(weight), 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weight]))
        critic.bias.fill_(0.3)
    return critic


def test_wasserstein_estimate_of_a_linear_critic():
    critic = linear_critic([1.0, -2.0])
    p, q = torch.randn(16, 2), torch.randn(8, 2)
    w = vf_wasserstein_distance(p, q, critic)
    assert w.numel() == 1
    expected = (p.mean(0) - q.mean(0)) @ torch.tensor([1.0, -2.0])
    torch.testing.assert_close(w.reshape(()), expected)


@pytest.mark.parametrize(
    "weight, penalty", [([2.0, 0.0], 1.0), ([1.2, -1.6], 1.0), ([0.6, 0.8], 0.0), ([0.3, 0.1], 0.0)]
)
def test_lp_of_linear_critics(weight, penalty):
    """The gradient of a linear critic is w everywhere: penalty (||w|| - 1)^2 above 1, else 0."""
    critic = linear_critic(weight)
    lp = lp_reg(torch.randn(32, 2), torch.randn(32, 2), critic)
    assert lp.numel() == 1
    assert lp.item() == pytest.approx(penalty, abs=1e-6)


def test_lp_of_a_quadratic_critic():
    """f(x) = ||x||^2 / 2 has gradient x; with x = y, x_hat = x whatever t is."""
    x = torch.tensor([[3.0, 4.0], [0.3, 0.4], [1.0, 0.0]])

    def critic(v):
        return 0.5 * v.pow(2).sum(1)

    expected = ((5.0 - 1) ** 2 + 0 + 0) / 3
    assert lp_reg(x, x.clone(), critic).item() == pytest.approx(expected, rel=1e-6)


def test_lp_gradients_reach_the_critic_only():
    critic = linear_critic([2.0, 1.0])
    x = torch.randn(8, 2, requires_grad=True)
    y = torch.randn(8, 2, requires_grad=True)
    lp_reg(x, y, critic).backward()
    assert critic.weight.grad is not None and critic.weight.grad.abs().sum() > 0
    assert x.grad is None and y.grad is None


def test_functions_on_image_batches():
    critic = Critic(width=4)
    with torch.no_grad():  # steep enough that the gradient norm exceeds 1 and is penalised
        for p in critic.parameters():
            p.mul_(8)
    real, fake = torch.rand(6, 3, 32, 32) * 2 - 1, torch.rand(6, 3, 32, 32) * 2 - 1
    assert vf_wasserstein_distance(real, fake, critic).numel() == 1
    lp = lp_reg(real, fake, critic)
    assert lp.numel() == 1 and lp.item() >= 0
    lp.backward()
    weights = [p for name, p in critic.named_parameters() if name.endswith("weight")]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)
    with pytest.raises(ValueError, match=r"x has shape \(6, 3, 32, 32\) but y has shape"):
        lp_reg(real, fake[:3], critic)


def test_models_shapes():
    assert Generator(width=4)(torch.randn(2, 100)).shape == (2, 3, 32, 32)
    assert Critic(width=4)(torch.randn(2, 3, 32, 32)).shape == (2,)
    g = MLPGenerator(hidden=8)
    assert g(torch.randn(3, 100)).shape == (3, 1, 28, 28)
    assert MLPDiscriminator(hidden=8)(torch.randn(3, 1, 28, 28)).shape == (3,)


# ---- Frechet distance


def test_frechet_distance_of_diagonal_gaussians():
    m1, m2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    s1, s2 = torch.tensor([1.0, 2.0, 0.5]), torch.tensor([2.0, 2.0, 1.5])
    fd = frechet_distance(m1, torch.diag(s1**2), m2, torch.diag(s2**2))
    expected = ((m1 - m2) ** 2).sum() + ((s1 - s2) ** 2).sum()  # the closed form
    assert fd == pytest.approx(expected.item(), abs=1e-9)


def test_frechet_distance_against_scipy_sqrtm():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    s1, s2 = a @ a.T + 0.1 * np.eye(5), b @ b.T + 0.1 * np.eye(5)
    m1, m2 = rng.normal(size=5), rng.normal(size=5)
    direct = ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * scipy.linalg.sqrtm(s1 @ s2).real)
    fd = frechet_distance(*(torch.from_numpy(v) for v in (m1, s1, m2, s2)))
    assert fd == pytest.approx(direct, rel=1e-6)
    assert frechet_distance(*(torch.from_numpy(v) for v in (m1, s1, m1, s1))) == pytest.approx(
        0, abs=1e-6
    )


def test_scorer_floor_and_sensitivity():
    torch.manual_seed(0)
    model = FeatureClassifier(1, width=4)
    images, _ = synthetic.digits(600, 0)
    scorer = FrechetScorer(model, images[:300])
    same = scorer(images[:300])
    other = scorer(images[300:])
    noise = scorer(torch.randint(0, 256, (300, 1, 28, 28), dtype=torch.uint8))
    assert same == pytest.approx(0, abs=1e-6)
    assert 0 < other < noise


# ---- trainer


def test_wgan_trainer_steps_on_standin(tmp_path):
    torch.manual_seed(0)
    images, _ = synthetic.house_numbers(128, 0)
    gen, critic = Generator(width=4), Critic(width=4)
    before = [p.clone() for p in gen.parameters()]
    result, snaps = train_gan(
        "w", gen, critic, images, iterations=4, batch_size=16, eval_every=2, log_every=1,
        eval_fn=lambda step: {"fd": float(step)}, checkpoint_dir=str(tmp_path), progress=False,
        snapshot_samples=5,
    )  # fmt: skip
    for key in ("wasserstein", "lp", "g_loss", "fd"):
        assert len(result.history.series(key)[1]) > 0
    assert result.history.series("fd")[0] == [2, 4]
    assert sorted(snaps.items) == [0, 2, 4] and snaps.items[4].shape == (5, 3, 32, 32)
    assert snaps.items[4].dtype == torch.uint8
    assert any(not torch.equal(a, b) for a, b in zip(before, gen.parameters(), strict=True))
    assert (tmp_path / "w.pt").exists()


def test_vanilla_trainer_steps():
    images, _ = synthetic.digits(64, 0)
    result, _ = train_gan(
        "v", MLPGenerator(hidden=8), MLPDiscriminator(hidden=8), images, iterations=3,
        loss="vanilla", batch_size=16, lr=2e-4, betas=(0.5, 0.999), log_every=1, progress=False,
    )  # fmt: skip
    assert len(result.history.series("d_loss")[1]) == 3


def test_gan_non_finite_stops(tmp_path):
    images, _ = synthetic.house_numbers(64, 0)
    critic = Critic(width=4)
    with torch.no_grad():
        critic.net[0].weight[0, 0, 0, 0] = float("nan")  # a broken critic: every score is NaN
    with pytest.raises(NonFiniteLossError, match="at step 0"):
        train_gan(
            "nan", Generator(width=4), critic, images, iterations=5, batch_size=16, log_every=1,
            checkpoint_dir=str(tmp_path), progress=False,
        )  # fmt: skip


# ---- latent explorations and widgets


def identity_images(z: torch.Tensor) -> torch.Tensor:
    return z.view(z.shape[0], 1, 1, -1)


def test_latent_perturbations_move_one_coordinate():
    z = torch.zeros(5)
    grid = latent_perturbations(identity_images, z, dims=[1, 3], eps=[-2.0, 0.0, 2.0])
    assert grid.shape == (2, 3, 1, 1, 5)
    assert grid[0, 2, 0, 0].tolist() == [0, 2.0, 0, 0, 0]
    assert grid[1, 0, 0, 0].tolist() == [0, 0, 0, -2.0, 0]
    with pytest.raises(ValueError, match=r"dimension 7 is outside 0\.\.4"):
        latent_perturbations(identity_images, z, dims=[7], eps=[1.0])


def test_interpolations():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])

    def square(z):  # a non-linear generator: the two interpolations differ
        return identity_images(z) ** 2

    alphas = torch.linspace(0, 1, 11)
    lat = interpolate_latent(square, z0, z1, alphas)
    dat = interpolate_data(square, z0, z1, alphas)
    assert lat.shape == dat.shape == (11, 1, 1, 2)
    # the handout's convention: alpha z0 + (1 - alpha) z1, so alpha = 1 is z0
    torch.testing.assert_close(lat[-1], square(z0[None])[0])
    torch.testing.assert_close(lat[0], square(z1[None])[0])
    torch.testing.assert_close(dat[-1], square(z0[None])[0])
    torch.testing.assert_close(dat[5, 0, 0], torch.tensor([0.5, 2.0]))
    torch.testing.assert_close(lat[5, 0, 0], torch.tensor([0.25, 1.0]))


def test_image_explorer_follows_its_slider():
    calls = []

    def render(alpha):
        calls.append(alpha)
        return torch.full((2, 1, 4, 4), alpha)

    slider = widgets.FloatSlider(value=0.0, min=0, max=1, step=0.1)
    explorer = ImageExplorer(render, {"alpha": slider}, nrow=2)
    first = explorer.image.value
    slider.value = 1.0
    assert calls == [0.0, 1.0]
    assert explorer.image.value != first and explorer.image.value[:4] == b"\x89PNG"


class Interrupt(Exception):
    pass


def test_gan_resumes_exactly(tmp_path):
    images, _ = synthetic.house_numbers(96, 0)

    def run(folder, interrupt=False):
        torch.manual_seed(0)
        gen, critic = Generator(width=4), Critic(width=4)

        def eval_fn(step):
            if interrupt and step == 4:
                raise Interrupt  # after the checkpoint of step 2, before that of step 4
            return {"mean_pixel": gen(torch.ones(1, 100)).mean().item()}

        result, _ = train_gan(
            "w", gen, critic, images, iterations=6, batch_size=16, eval_every=2,
            eval_fn=eval_fn, checkpoint_dir=str(folder), progress=False, log_every=1,
        )  # fmt: skip
        return result, gen

    straight, gen_a = run(tmp_path / "a")
    with pytest.raises(Interrupt):
        run(tmp_path / "b", interrupt=True)
    resumed, gen_b = run(tmp_path / "b")
    assert resumed.resumed_from == 2
    assert resumed.history.records == straight.history.records
    for a, b in zip(gen_a.state_dict().values(), gen_b.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_spherical_interpolation_keeps_typical_norms():
    torch.manual_seed(0)
    z0, z1 = torch.randn(2, 400)
    alphas = torch.linspace(0, 1, 11)
    slerp = interactive.interpolate_spherical(lambda z: z, z0, z1, alphas)
    linear = interactive.interpolate_latent(lambda z: z, z0, z1, alphas)
    torch.testing.assert_close(slerp[-1], z0)  # alpha = 1 is z0, as in the handout
    torch.testing.assert_close(slerp[0], z1)
    assert linear[5].norm() < 0.8 * 20 < slerp[5].norm()  # sqrt(400) = 20; the line's middle ~14


def test_perturbation_effects_count_label_and_colour_changes():
    grid = torch.zeros(4, 3, 3, 2, 2)  # 4 coordinates, eps (-e, 0, +e)
    grid[0, 2, 1] += 0.5  # the green channel: colour only
    grid[1, 0, 0] = 1.0  # the red channel: colour and (below) label
    grid[2, 2, :, 0, 0] = 0.04  # a small change: neither

    def classify(images):
        labels = (images[:, 0].mean((-1, -2)) > 0.2).long()  # "label" 1 when red is strong
        return labels, torch.full(labels.shape, 0.75)

    effects = interactive.perturbation_effects(grid, classify)
    assert effects == {"coordinates": 4, "label_change": 0.25, "colour_change": 0.5,
                       "both": 0.25, "confidence": 0.75, "confidence_moved": 0.75,
                       "colour_threshold": 0.05}  # fmt: skip


def test_row_changes_say_which_channel_moves_and_the_labels():
    from helpers.gan import figures as gan_figures

    grid = torch.zeros(2, 3, 3, 2, 2)  # 2 coordinates, eps (-e, 0, +e)
    grid[0, 2, 2] = 0.5  # the blue channel rises at +e
    grid[1, 0, 0] = 0.3  # the red channel is high at -e: it falls from -e to +e

    def classify(images):
        return (images[:, 0].mean((-1, -2)) > 0.2).long(), torch.ones(images.shape[0])

    rows = gan_figures.row_changes(grid, [7, 9], classify)
    assert rows[0] == {"dim": 7, "labels": [0, 0, 0], "channel": "blue", "shift": 0.5,
                       "brightness": round(0.5 / 3, 4)}  # fmt: skip
    assert rows[1]["channel"] == "red" and rows[1]["shift"] == -0.3
    assert rows[1]["labels"] == [1, 0, 0]


def test_wasserstein_estimate_in_one_pass_equals_two_passes():
    torch.manual_seed(0)
    critic = Critic(width=4)
    x, y = torch.randn(6, 3, 32, 32), torch.randn(6, 3, 32, 32)
    one = vf_wasserstein_distance(x, y, critic)
    two = critic(x).mean() - critic(y).mean()
    torch.testing.assert_close(one, two)
    calls = []
    critic.register_forward_hook(lambda *a: calls.append(1))
    vf_wasserstein_distance(x, y, critic)
    assert len(calls) == 1
    # a critic with batch norm is scored batch by batch, as the definition says
    bn = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))
    torch.testing.assert_close(vf_wasserstein_distance(x, y, bn), bn(x).mean() - bn(y).mean())
