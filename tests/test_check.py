"""The checks (helpers.vae.check, helpers.gan.check, helpers.simsiam.check): the reference passes
every check, and each typical mistake, written out below as a student would make it, is caught
with its own message."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers import gan, simsiam, vae
from helpers.gan import check as gan_check
from helpers.simsiam import check as simsiam_check
from helpers.vae import check as vae_check

LOG_2PI = math.log(2 * math.pi)


def _flat(*ts):
    return [t.reshape(t.shape[0], -1) for t in ts]


# Problem 1 -----------------------------------------------------------------------------------


def bernoulli_batch_sum(mu, target):  # one number for the batch
    return vae.log_likelihood_bernoulli(mu, target).sum()


def bernoulli_no_sum(mu, target):  # one value per pixel
    mu, target = _flat(mu, target)
    return target * torch.log(mu.clamp(1e-7, 1 - 1e-7)) + (1 - target) * torch.log1p(-mu)


def bernoulli_no_clamp(mu, target):
    mu, target = _flat(mu, target)
    return (target * torch.log(mu) + (1 - target) * torch.log(1 - mu)).sum(1)


def bernoulli_last_dim(mu, target):  # sums the last dimension only: (B, 1, 3)
    return (target * torch.log(mu) + (1 - target) * torch.log(1 - mu)).sum(-1)


def normal_sign(mu, logvar, z):
    return -vae.log_likelihood_normal(mu, logvar, z)


def normal_no_constant(mu, logvar, z):
    mu, logvar, z = _flat(mu, logvar, z)
    return -0.5 * (logvar + (z - mu) ** 2 / logvar.exp()).sum(1)


def normal_std_for_var(mu, logvar, z):  # logvar taken as log sigma
    mu, logvar, z = _flat(mu, logvar, z)
    return -0.5 * (LOG_2PI + 2 * logvar + (z - mu) ** 2 / logvar.exp()).sum(1)


def lme_naive(y):
    return torch.log(torch.exp(y).mean(1))


def lme_sum(y):
    return torch.logsumexp(y, 1)


def lme_batch_dim(y):
    return torch.logsumexp(y, 0) - math.log(y.shape[0])


def lme_keepdim(y):
    return vae.log_mean_exp(y)[:, None]


def kl_no_half(mu_q, logvar_q, mu_p, logvar_p):
    return 2 * vae.kl_gaussian_gaussian_analytic(mu_q, logvar_q, mu_p, logvar_p)


def kl_sign(mu_q, logvar_q, mu_p, logvar_p):
    return -vae.kl_gaussian_gaussian_analytic(mu_q, logvar_q, mu_p, logvar_p)


def kl_standard_prior(mu_q, logvar_q, mu_p, logvar_p):
    mu_q, logvar_q = _flat(mu_q, logvar_q)
    return 0.5 * (logvar_q.exp() + mu_q**2 - 1 - logvar_q).sum(1)


def kl_no_sum(mu_q, logvar_q, mu_p, logvar_p):
    mq, lq, mp, lp = _flat(mu_q, logvar_q, mu_p, logvar_p)
    return 0.5 * (lp - lq + (lq.exp() + (mq - mp) ** 2) / lp.exp() - 1)


def _mc(mu_q, logvar_q, mu_p, logvar_p, k, sample):
    mq, lq, mp, lp = (t.reshape(t.shape[0], 1, -1) for t in (mu_q, logvar_q, mu_p, logvar_p))
    z = sample(mq.expand(-1, k, -1), lq.expand(-1, k, -1))
    log_q = -0.5 * (LOG_2PI + lq + (z - mq) ** 2 / lq.exp()).sum(-1)
    log_p = -0.5 * (LOG_2PI + lp + (z - mp) ** 2 / lp.exp()).sum(-1)
    return log_q - log_p  # (B, k)


def mc_one_sample(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):  # ignores num_samples
    return _mc(mu_q, logvar_q, mu_p, logvar_p, 1, vae.reparameterize).mean(1)


def mc_no_mean(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, vae.reparameterize)


def mc_sign(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return -_mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, vae.reparameterize).mean(1)


def mc_sampled_not_reparameterised(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    def sample(m, lv):
        return torch.distributions.Normal(m, (0.5 * lv).exp()).sample()

    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, sample).mean(1)


def mc_wrong_values(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return vae.kl_gaussian_gaussian_mc(mu_q, logvar_q, mu_p, logvar_p, num_samples) + 1


def stub(*args, **kwargs):
    raise NotImplementedError("write this function")


def crashes(mu, target):
    return mu.view(-1, 7)


# Problem 2 -----------------------------------------------------------------------------------


def vf_sign(p, q, critic):
    return critic(q).mean() - critic(p).mean()


def vf_sum(p, q, critic):
    return critic(p).sum() - critic(q).sum()


def vf_per_example(p, q, critic):
    return critic(p)[:4] - critic(q)[:4]


def _penalty(x_hat, critic, reduce):
    x_hat = x_hat.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return reduce(grad.flatten(1).norm(dim=1))


def _between(x, y):
    t = torch.rand(x.shape[0], *([1] * (x.ndim - 1)))
    return t * x + (1 - t) * y


def lp_two_sided(x, y, critic):  # WGAN-GP's (||grad|| - 1)^2 instead of the hinge
    return _penalty(_between(x, y), critic, lambda n: ((n - 1) ** 2).mean())


def lp_norm_squared(x, y, critic):  # the gradient norm itself
    return _penalty(_between(x, y), critic, lambda n: (n**2).mean())


def lp_not_between(x, y, critic):  # t x + t y: not on the segment
    t = torch.rand(x.shape[0], *([1] * (x.ndim - 1)))
    return _penalty(t * x + t * y, critic, lambda n: F.relu(n - 1).pow(2).mean())


def lp_on_real_only(x, y, critic):
    return _penalty(x, critic, lambda n: F.relu(n - 1).pow(2).mean())


def lp_batch_sum(x, y, critic):
    return _penalty(_between(x, y), critic, lambda n: F.relu(n - 1).pow(2).sum())


def lp_no_create_graph(x, y, critic):
    x_hat = _between(x, y).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return F.relu(grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


# Problem 3 -----------------------------------------------------------------------------------


class DotSimilarity(simsiam.CosineSimilarity):
    def forward(self, x1, x2):  # not normalised
        return (x1 * x2).sum(self.dim)


class NaNCosine(simsiam.CosineSimilarity):
    def forward(self, x1, x2):  # a zero vector divides by 0
        return (x1 * x2).sum(self.dim) / (x1.norm(dim=self.dim) * x2.norm(dim=self.dim))


class NoStopGradient(simsiam.SimSiam):
    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        return self.predictor(z1), self.predictor(z2), z1, z2


class AlwaysStopGradient(simsiam.SimSiam):
    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        return self.predictor(z1), self.predictor(z2), z1.detach(), z2.detach()


class SwappedOutputs(simsiam.SimSiam):
    def forward(self, x1, x2):
        p1, p2, z1, z2 = simsiam.SimSiam.forward(self, x1, x2)
        return z1, z2, p1, p2


def _dot(a, b):
    return (a * b).sum(1)


class UnnormalisedLoss(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (_dot(p1, z2).mean() + _dot(p2, z1).mean())


class SameViewLoss(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (self.criterion(p1, z1).mean() + self.criterion(p2, z2).mean())


class PositiveLoss(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -simsiam.SimSiam.loss(self, p1, p2, z1, z2, similarity_function)


class DetachingLoss(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return simsiam.SimSiam.loss(self, p1, p2, z1.detach(), z2.detach(), similarity_function)


class IgnoresSimilarity(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return simsiam.SimSiam.loss(self, p1, p2, z1, z2)


class StubSimSiam(simsiam.SimSiam):
    forward = loss = stub


MISTAKES = [  # (check, the mistaken function, words its message must hold)
    (vae_check.log_likelihood_bernoulli, bernoulli_batch_sum, "one number for the whole batch"),
    (vae_check.log_likelihood_bernoulli, bernoulli_no_sum, "a sum over dimensions is missing"),
    (
        vae_check.log_likelihood_bernoulli,
        bernoulli_last_dim,
        "returns shape (4, 1, 3); per-example",
    ),
    (vae_check.log_likelihood_bernoulli, bernoulli_no_clamp, "no clamp at mu = 0 or 1"),
    (vae_check.log_likelihood_bernoulli, stub, "not written yet"),
    (vae_check.log_likelihood_bernoulli, crashes, "raised RuntimeError"),
    (vae_check.log_likelihood_normal, normal_sign, "sign error"),
    (vae_check.log_likelihood_normal, normal_no_constant, "-1/2 log(2 pi)"),
    (vae_check.log_likelihood_normal, normal_std_for_var, "wrong values"),
    (vae_check.log_mean_exp, lme_naive, "overflow"),
    (vae_check.log_mean_exp, lme_sum, "divide by the number of samples"),
    (vae_check.log_mean_exp, lme_batch_dim, "averaged over the batch (dim 0)"),
    (vae_check.log_mean_exp, lme_keepdim, "returns shape (3, 1)"),
    (vae_check.kl_gaussian_gaussian_analytic, kl_no_half, "a factor of 1/2 is off"),
    (vae_check.kl_gaussian_gaussian_analytic, kl_sign, "sign error"),
    (vae_check.kl_gaussian_gaussian_analytic, kl_standard_prior, "assumes p = N(0, I)"),
    (vae_check.kl_gaussian_gaussian_analytic, kl_no_sum, "a sum over dimensions is missing"),
    (vae_check.kl_gaussian_gaussian_mc, mc_one_sample, "ignores num_samples"),
    (vae_check.kl_gaussian_gaussian_mc, mc_no_mean, "average over the num_samples draws"),
    (vae_check.kl_gaussian_gaussian_mc, mc_sign, "sign error"),
    (vae_check.kl_gaussian_gaussian_mc, mc_wrong_values, "with 20000 draws"),
    (
        vae_check.kl_gaussian_gaussian_mc,
        mc_sampled_not_reparameterised,
        "the gradient does not flow through the draws",
    ),
    (gan_check.vf_wasserstein_distance, vf_sign, "sign error"),
    (gan_check.vf_wasserstein_distance, vf_sum, "sums the scores over the batch"),
    (gan_check.vf_wasserstein_distance, vf_per_example, "returns (4,); one number"),
    (gan_check.lp_reg, lp_two_sided, "uses the gradient norm instead of the hinge at 1"),
    (gan_check.lp_reg, lp_norm_squared, "uses the gradient norm instead of the hinge at 1"),
    (gan_check.lp_reg, lp_not_between, "not between the real and generated images"),
    (gan_check.lp_reg, lp_on_real_only, "not between the real and generated images"),
    (gan_check.lp_reg, lp_batch_sum, "sums over the batch"),
    (gan_check.lp_reg, lp_no_create_graph, "no gradient reaches the critic"),
    (simsiam_check.cosine_similarity, DotSimilarity, "not normalised"),
    (simsiam_check.cosine_similarity, NaNCosine, "a zero vector gives NaN"),
    (simsiam_check.simsiam_forward, NoStopGradient, "the stop-gradient is missing"),
    (simsiam_check.simsiam_forward, AlwaysStopGradient, "with stop_gradient=False"),
    (simsiam_check.simsiam_forward, SwappedOutputs, "p1 is wrong"),
    (simsiam_check.simsiam_forward, StubSimSiam, "not written yet"),
    (simsiam_check.simsiam_loss, UnnormalisedLoss, "not normalised"),
    (simsiam_check.simsiam_loss, SameViewLoss, "the *other* view's projection"),
    (simsiam_check.simsiam_loss, PositiveLoss, "sign error"),
    (simsiam_check.simsiam_loss, DetachingLoss, "the loss detaches z itself"),
    (simsiam_check.simsiam_loss, IgnoresSimilarity, "similarity_function is ignored"),
]


@pytest.mark.parametrize(
    ("checks", "wrong", "words"),
    MISTAKES,
    ids=[f"{c.__name__}-{w.__name__}" for c, w, _ in MISTAKES],
)
def test_each_mistake_is_named(checks, wrong, words):
    result = checks(wrong)
    assert not result.passed
    assert words in result.message, result.message
    assert repr(result).startswith(f"NOT YET {result.name}: ")


def test_the_listed_mistakes_each_have_their_own_message():
    messages = [checks(wrong).message for checks, wrong, _ in MISTAKES]
    firsts = {}
    for (_, wrong, _), message in zip(MISTAKES, messages, strict=True):
        firsts.setdefault(message, wrong.__name__)
    # the same message only where two mistakes are the same one (two ways of dropping the hinge,
    # two ways of leaving the segment, two ways of a sign error ...), never across kinds
    assert len(firsts) >= len(MISTAKES) - 8


REFERENCES = [
    (vae_check.log_likelihood_bernoulli, vae.log_likelihood_bernoulli),
    (vae_check.log_likelihood_normal, vae.log_likelihood_normal),
    (vae_check.log_mean_exp, vae.log_mean_exp),
    (vae_check.kl_gaussian_gaussian_analytic, vae.kl_gaussian_gaussian_analytic),
    (vae_check.kl_gaussian_gaussian_mc, vae.kl_gaussian_gaussian_mc),
    (gan_check.vf_wasserstein_distance, gan.vf_wasserstein_distance),
    (gan_check.lp_reg, gan.lp_reg),
    (simsiam_check.cosine_similarity, simsiam.CosineSimilarity),
    (simsiam_check.cosine_similarity, nn.CosineSimilarity),  # torch's own passes too
    (simsiam_check.simsiam_forward, simsiam.SimSiam),
    (simsiam_check.simsiam_loss, simsiam.SimSiam),
]


@pytest.mark.parametrize(("checks", "reference"), REFERENCES, ids=lambda x: x.__name__)
def test_the_reference_passes_every_check(checks, reference):
    result = checks(reference)
    assert result.passed, result.message
    assert repr(result) == f"PASS {result.name}: {result.message}"


def test_checks_leave_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    vae_check.kl_gaussian_gaussian_mc(vae.kl_gaussian_gaussian_mc)
    gan_check.lp_reg(lp_two_sided)
    assert torch.equal(torch.rand(3), expected)


def test_use_takes_what_passes_and_falls_back_saying_so(capsys):
    chosen = vae_check.use(
        log_mean_exp=lme_naive, log_likelihood_bernoulli=vae.log_likelihood_bernoulli,
    )  # fmt: skip
    chosen |= gan_check.use(
        vf_wasserstein_distance=lambda p, q, critic: critic(p).mean() - critic(q).mean(),
        lp_reg=lambda x, y, critic: torch.zeros(()),
    )  # fmt: skip
    assert chosen["log_mean_exp"] is vae.log_mean_exp
    assert chosen["log_likelihood_bernoulli"] is vae.log_likelihood_bernoulli
    assert chosen["vf_wasserstein_distance"] is not gan.vf_wasserstein_distance
    out = capsys.readouterr().out
    assert "log_mean_exp: not passing yet, so the reference helpers.vae.log_mean_exp" in out
    assert "vf_wasserstein_distance: yours (it passes its checks)" in out
    assert "lp_reg: not passing yet, so the reference helpers.gan.lp_reg runs instead" in out
    assert chosen["lp_reg"] is gan.lp_reg
    assert "log_likelihood_bernoulli" not in out  # the reference is taken as it is


def test_use_simsiam(capsys):
    assert simsiam_check.use_simsiam(simsiam.SimSiam) is simsiam.SimSiam
    assert capsys.readouterr().out == ""
    cls = simsiam_check.use_simsiam(NoStopGradient, nn.CosineSimilarity)
    assert cls is not simsiam.SimSiam and issubclass(cls, simsiam.SimSiam)
    assert cls.forward is simsiam.SimSiam.forward  # the student's fails: the reference
    model = simsiam_check._tiny(cls)
    assert isinstance(model.criterion, nn.CosineSimilarity)  # the student's passes: theirs
    out = capsys.readouterr().out
    assert "SimSiam.forward: not passing yet" in out
    assert "CosineSimilarity.forward: yours" in out


def test_the_vae_trains_with_the_functions_it_is_given():
    calls = []

    def kl(mu_q, logvar_q, mu_p, logvar_p):
        calls.append(mu_q.shape)
        return vae.kl_gaussian_gaussian_analytic(mu_q, logvar_q, mu_p, logvar_p)

    def bernoulli(mu, target):
        calls.append("bernoulli")
        return vae.log_likelihood_bernoulli(mu, target)

    x = torch.bernoulli(torch.full((6, 1, 28, 28), 0.3))
    torch.manual_seed(0)
    model = vae.CourseVAE(4, 8)
    recon, kl_term = vae.elbo_terms(
        model,
        x,
        functions={"kl_gaussian_gaussian_analytic": kl, "log_likelihood_bernoulli": bernoulli},
    )
    assert calls == ["bernoulli", (6, 4)]
    torch.manual_seed(0)
    model = vae.CourseVAE(4, 8)
    ref_recon, ref_kl = vae.elbo_terms(model, x)
    torch.testing.assert_close(kl_term, ref_kl)
    torch.testing.assert_close(recon, ref_recon, atol=1e-3, rtol=1e-4)
    estimate = vae.importance_sampled_log_likelihood(
        model, x, 5, functions={"log_mean_exp": lambda y: torch.zeros(y.shape[0])}
    )
    assert torch.equal(estimate, torch.zeros(6))


def test_importance_sampling_with_a_students_normal_density_agrees():
    torch.manual_seed(0)
    model = vae.CourseVAE(4, 8)
    x = torch.bernoulli(torch.full((5, 1, 28, 28), 0.3))
    torch.manual_seed(1)
    ref = vae.importance_sampled_log_likelihood(model, x, 7)
    torch.manual_seed(1)
    mine = vae.importance_sampled_log_likelihood(
        model, x, 7, functions={"log_likelihood_normal": lambda *a: vae.log_likelihood_normal(*a)}
    )
    torch.testing.assert_close(mine, ref, atol=1e-3, rtol=1e-5)
