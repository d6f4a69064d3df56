"""The course's API: every function and method the handout's templates declare, with the same
parameter names and defaults, so that the course's own scripts run against ``helpers``."""

from __future__ import annotations

import inspect

import pytest
import torch

from helpers import gan, simsiam, vae
from helpers.gan import training as gan_training

# What the course's templates declare (q1_solution.py, q2_solution.py, q3_solution.py).
COURSE_SIGNATURES = {
    vae.log_likelihood_bernoulli: "(mu, target)",
    vae.log_likelihood_normal: "(mu, logvar, z)",
    vae.log_mean_exp: "(y)",
    vae.kl_gaussian_gaussian_analytic: "(mu_q, logvar_q, mu_p, logvar_p)",
    vae.kl_gaussian_gaussian_mc: "(mu_q, logvar_q, mu_p, logvar_p, num_samples=1)",
    gan.lp_reg: "(x, y, critic)",
    gan.vf_wasserstein_distance: "(p, q, critic)",
    simsiam.SimSiam.__init__: (
        "(self, base_encoder, dim=2048, pred_dim=512, stop_gradient=True, MLP_mode=None)"
    ),
    simsiam.SimSiam.forward: "(self, x1, x2)",
    simsiam.SimSiam.loss: "(self, p1, p2, z1, z2, similarity_function='CosineSimilarity')",
    simsiam.CosineSimilarity.__init__: "(self, dim=1, eps=1e-08)",
    simsiam.CosineSimilarity.forward: "(self, x1, x2)",
}


def _bare(fn) -> str:
    """The signature without annotations: names, defaults and kinds only."""
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in inspect.signature(fn).parameters.values()
    ]
    return str(inspect.Signature(params))


@pytest.mark.parametrize("fn", list(COURSE_SIGNATURES), ids=lambda f: f.__qualname__)
def test_signature_matches_the_course(fn):
    assert _bare(fn) == COURSE_SIGNATURES[fn]


def _model_and_outputs():
    torch.manual_seed(0)
    model = simsiam.SimSiam(simsiam.cifar_resnet(4, (1, 1, 1, 1), 2), dim=16, pred_dim=8)
    x1, x2 = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    return model, model(x1, x2)


def test_loss_takes_the_course_similarity_argument():
    model, outputs = _model_and_outputs()
    default = model.loss(*outputs)
    by_name = model.loss(*outputs, similarity_function="CosineSimilarity")
    by_module = model.loss(*outputs, similarity_function=torch.nn.CosineSimilarity(dim=1))
    by_class = model.loss(*outputs, similarity_function=torch.nn.CosineSimilarity)
    torch.testing.assert_close(by_name, default)
    torch.testing.assert_close(by_module, default)
    torch.testing.assert_close(by_class, default)
    # a different callable is really used
    dot = model.loss(*outputs, similarity_function=lambda a, b: (a * b).sum(1))
    assert not torch.allclose(dot, default)
    with pytest.raises(ValueError, match="similarity_function"):
        model.loss(*outputs, similarity_function="Euclidean")


def test_course_training_step_runs():
    """The course's q3 training loop: loss(p1, p2, z1, z2, similarity_function=...), backward."""
    model, (p1, p2, z1, z2) = _model_and_outputs()
    loss = model.loss(p1, p2, z1, z2, similarity_function="CosineSimilarity")
    loss.backward()
    assert -1 <= loss.item() <= 1
    assert model.predictor[0].weight.grad is not None


def test_wgan_trainer_uses_the_course_functions(monkeypatch, train_tiny_wgan):
    calls = {"vf_wasserstein_distance": 0, "lp_reg": 0}

    def spy(name):
        real = getattr(gan, name)

        def wrapped(*args):
            calls[name] += 1
            return real(*args)

        return wrapped

    for name in calls:
        monkeypatch.setattr(gan_training, name, spy(name))
    result, _ = train_tiny_wgan(3, None)
    assert calls == {"vf_wasserstein_distance": 6, "lp_reg": 6}  # n_critic per iteration
    assert len(result.history.series("wasserstein")[1]) == 3
