"""The checks (helpers.vae.check, helpers.gan.check, helpers.simsiam.check), tried as a student
would: each correct implementation below, written in a style of its own (torch.distributions,
F.cosine_similarity, logsumexp, the stop-gradient in forward or in loss ...), passes; each
mistaken one, written out as students make it, gets NOT YET with a message that names the
mistake; and no check raises, whatever the function does."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Normal, kl_divergence

from helpers import gan, simsiam, vae
from helpers.gan import check as gan_check
from helpers.simsiam import check as simsiam_check
from helpers.vae import check as vae_check

LOG_2PI = math.log(2 * math.pi)


def _flat(*ts):
    return [t.reshape(t.shape[0], -1) for t in ts]


def stub(*args, **kwargs):
    raise NotImplementedError("write this function")


# ---------------------------------------------------------------- Problem 1: correct
def bern_dist(mu, target):
    mu, target = _flat(mu, target)
    return Bernoulli(probs=mu).log_prob(target).sum(1)


def bern_bce(mu, target):
    mu, target = _flat(mu, target)
    return -F.binary_cross_entropy(mu, target, reduction="none").sum(1)


def bern_clamp(mu, target):
    batch_size = mu.size(0)
    mu = mu.view(batch_size, -1).clamp(1e-7, 1 - 1e-7)
    target = target.view(batch_size, -1)
    return torch.sum(target * torch.log(mu) + (1 - target) * torch.log(1 - mu), dim=1)


def bern_eps(mu, target):
    mu, target = _flat(mu, target)
    eps = 1e-6
    return (target * torch.log(mu + eps) + (1 - target) * torch.log(1 - mu + eps)).sum(-1)


def normal_dist(mu, logvar, z):
    return Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).view(mu.size(0), -1).sum(1)


def normal_manual(mu, logvar, z):
    mu, logvar, z = _flat(mu, logvar, z)
    return torch.sum(
        -0.5 * np.log(2 * np.pi) - 0.5 * logvar - 0.5 * (z - mu) ** 2 / torch.exp(logvar), dim=1
    )


def lme_logsumexp(y):
    return torch.logsumexp(y, 1) - math.log(y.size(1))


def lme_handout(y):
    a = torch.max(y, dim=1, keepdim=True)[0]
    return (torch.log(torch.mean(torch.exp(y - a), dim=1, keepdim=True)) + a).squeeze(1)


def kl_dist(mu_q, logvar_q, mu_p, logvar_p):
    q = Normal(mu_q, (0.5 * logvar_q).exp())
    p = Normal(mu_p, (0.5 * logvar_p).exp())
    return kl_divergence(q, p).view(mu_q.size(0), -1).sum(1)


def kl_manual(mu_q, logvar_q, mu_p, logvar_p):
    batch_size = mu_q.size(0)
    mu_q, logvar_q = mu_q.view(batch_size, -1), logvar_q.view(batch_size, -1)
    mu_p, logvar_p = mu_p.view(batch_size, -1), logvar_p.view(batch_size, -1)
    kl = 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p).pow(2)) / logvar_p.exp() - 1)
    return kl.sum(1)


def mc_rsample(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    q = Normal(mu_q, (0.5 * logvar_q).exp())
    p = Normal(mu_p, (0.5 * logvar_p).exp())
    z = q.rsample((num_samples,))  # (K, B, L)
    return (q.log_prob(z) - p.log_prob(z)).sum(-1).mean(0)


def mc_starter(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    batch_size = mu_q.size(0)
    input_size = np.prod(mu_q.size()[1:])
    mu_q = mu_q.view(batch_size, -1).unsqueeze(1).expand(batch_size, num_samples, input_size)
    logvar_q = (
        logvar_q.view(batch_size, -1).unsqueeze(1).expand(batch_size, num_samples, input_size)
    )
    mu_p = mu_p.view(batch_size, -1).unsqueeze(1).expand(batch_size, num_samples, input_size)
    logvar_p = (
        logvar_p.view(batch_size, -1).unsqueeze(1).expand(batch_size, num_samples, input_size)
    )
    z = mu_q + torch.exp(0.5 * logvar_q) * torch.randn_like(mu_q)
    log_q = -0.5 * (logvar_q + (z - mu_q) ** 2 / logvar_q.exp())
    log_p = -0.5 * (logvar_p + (z - mu_p) ** 2 / logvar_p.exp())
    return (log_q - log_p).sum(-1).mean(1)


# ---------------------------------------------------------------- Problem 1: wrong
def bern_no_clamp(mu, target):
    mu, target = _flat(mu, target)
    return (target * torch.log(mu) + (1 - target) * torch.log(1 - mu)).sum(1)


def bern_clamp_inplace(mu, target):
    mu, target = _flat(mu, target)
    mu.clamp_(1e-7, 1 - 1e-7)
    return (target * torch.log(mu) + (1 - target) * torch.log(1 - mu)).sum(1)


def bern_mean(mu, target):
    return bern_clamp(mu, target) / 16


def bern_sign(mu, target):
    return -bern_clamp(mu, target)


def bern_dims123(mu, target):
    mu = mu.clamp(1e-7, 1 - 1e-7)
    return (target * torch.log(mu) + (1 - target) * torch.log(1 - mu)).sum(dim=(1, 2, 3))


def bern_item(mu, target):
    return torch.tensor([v.item() for v in bern_clamp(mu, target)])


def bern_numpy(mu, target):
    return bern_clamp(mu, target).detach().numpy()


def bern_none(mu, target):
    mu, target = _flat(mu, target)


def normal_sign(mu, logvar, z):
    return -normal_manual(mu, logvar, z)


def normal_no_constant(mu, logvar, z):
    return -0.5 * (logvar + (z - mu) ** 2 / logvar.exp()).sum(1)


def normal_mean(mu, logvar, z):
    return normal_manual(mu, logvar, z) / mu.shape[1]


def normal_no_half(mu, logvar, z):
    return 2 * normal_manual(mu, logvar, z)


def normal_inplace(mu, logvar, z):
    z -= mu
    return -0.5 * (LOG_2PI + logvar + z**2 / logvar.exp()).sum(1)


def normal_nan(mu, logvar, z):
    return normal_manual(mu, logvar, z) * float("nan")


def lme_naive(y):
    return torch.log(torch.exp(y).mean(1))


def lme_global_max(y):
    a = y.max()
    return a + torch.log(torch.exp(y - a).mean(1))


def lme_sum(y):
    return torch.logsumexp(y, 1)


def lme_inplace(y):
    a = y.max(1, keepdim=True).values
    y -= a
    return (a + y.exp().mean(1, keepdim=True).log()).squeeze(1)


def lme_float(y):
    return float(lme_logsumexp(y)[0])


def kl_sum123(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (
        logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1
    ).sum(dim=(1, 2, 3))


def kl_mean(mu_q, logvar_q, mu_p, logvar_p):
    return kl_manual(mu_q, logvar_q, mu_p, logvar_p) / mu_q.shape[1]


def kl_no_half(mu_q, logvar_q, mu_p, logvar_p):
    return 2 * kl_manual(mu_q, logvar_q, mu_p, logvar_p)


def kl_reverse(mu_q, logvar_q, mu_p, logvar_p):
    return kl_manual(mu_p, logvar_p, mu_q, logvar_q)


def kl_sign(mu_q, logvar_q, mu_p, logvar_p):
    return -kl_manual(mu_q, logvar_q, mu_p, logvar_p)


def kl_standard_prior(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (logvar_q.exp() + mu_q**2 - 1 - logvar_q).sum(1)


def kl_inplace(mu_q, logvar_q, mu_p, logvar_p):
    logvar_q.sub_(logvar_p)  # log(var_q / var_p)
    return 0.5 * (-logvar_q + logvar_q.exp() + (mu_q - mu_p) ** 2 / logvar_p.exp() - 1).sum(1)


def kl_detached(mu_q, logvar_q, mu_p, logvar_p):
    return kl_manual(mu_q, logvar_q, mu_p, logvar_p).detach()


def _mc(mu_q, logvar_q, mu_p, logvar_p, k, draw, reduce):
    mq, lq, mp, lp = (t.reshape(t.shape[0], 1, -1) for t in (mu_q, logvar_q, mu_p, logvar_p))
    z = draw(mq.expand(-1, k, -1), lq.expand(-1, k, -1))
    log_q = -0.5 * (LOG_2PI + lq + (z - mq) ** 2 / lq.exp())
    log_p = -0.5 * (LOG_2PI + lp + (z - mp) ** 2 / lp.exp())
    return reduce(log_q - log_p)  # (B, k, L) -> (B,)


def _reparam(m, lv):
    return m + (0.5 * lv).exp() * torch.randn_like(m)


def mc_one_sample(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return _mc(mu_q, logvar_q, mu_p, logvar_p, 1, _reparam, lambda d: d.sum(-1).mean(1))


def mc_sum_draws(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, _reparam, lambda d: d.sum(-1).sum(1))


def mc_swapped(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, _reparam, lambda d: d.mean(-1).sum(1))


def mc_analytic(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return kl_manual(mu_q, logvar_q, mu_p, logvar_p)


def mc_torch_normal(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    def draw(m, lv):
        return torch.normal(m, (0.5 * lv).exp())

    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, draw, lambda d: d.sum(-1).mean(1))


def mc_sample(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    def draw(m, lv):
        return Normal(m, (0.5 * lv).exp()).sample()

    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, draw, lambda d: d.sum(-1).mean(1))


def mc_sign(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return -mc_starter(mu_q, logvar_q, mu_p, logvar_p, num_samples)


def mc_per_draw(mu_q, logvar_q, mu_p, logvar_p, num_samples=1):
    return _mc(mu_q, logvar_q, mu_p, logvar_p, num_samples, _reparam, lambda d: d.sum(-1))


# ---------------------------------------------------------------- Problem 2
def vf_ok(p, q, critic):
    return critic(p).mean() - critic(q).mean()


def vf_ok_one_pass(p, q, critic):
    scores = critic(torch.cat([p, q]))
    return scores[: len(p)].mean() - scores[len(p) :].mean()


def vf_ok_diff(p, q, critic):
    return torch.mean(critic(p) - critic(q))


def vf_eq1(p, q, critic):
    return critic(q).mean() - critic(p).mean()


def vf_abs(p, q, critic):
    return (critic(p).mean() - critic(q).mean()).abs()


def vf_sum(p, q, critic):
    return critic(p).sum() - critic(q).sum()


def vf_item(p, q, critic):
    return torch.tensor((critic(p).mean() - critic(q).mean()).item())


def _between(x, y, t):
    return t * x + (1 - t) * y


def _lp(x, y, critic, t, reduce, per_example=True):
    x_hat = _between(x, y, t).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).norm(dim=1) if per_example else grad.norm()
    return reduce(norm)


def _t(x):
    return torch.rand(x.shape[0], *([1] * (x.ndim - 1)))


def lp_ok(x, y, critic):
    return _lp(x, y, critic, _t(x), lambda n: F.relu(n - 1).pow(2).mean())


def lp_ok_clamp(x, y, critic):
    t = torch.rand(x.size(0), 1, 1, 1)
    x_hat = t * x + (1 - t) * y
    x_hat.requires_grad_(True)
    out = critic(x_hat)
    grad = torch.autograd.grad(
        out, x_hat, grad_outputs=torch.ones_like(out), create_graph=True, retain_graph=True
    )[0]
    norm = grad.view(grad.size(0), -1).norm(2, dim=1)
    return torch.mean(torch.clamp(norm - 1, min=0) ** 2)


def lp_one_t(x, y, critic):
    return _lp(x, y, critic, torch.rand(1), lambda n: F.relu(n - 1).pow(2).mean())


def lp_no_square(x, y, critic):
    return _lp(x, y, critic, _t(x), lambda n: F.relu(n - 1).mean())


def lp_square_of_mean(x, y, critic):
    return _lp(x, y, critic, _t(x), lambda n: F.relu(n - 1).mean() ** 2)


def lp_two_sided(x, y, critic):
    return _lp(x, y, critic, _t(x), lambda n: ((n - 1) ** 2).mean())


def lp_batch_norm(x, y, critic):
    return _lp(x, y, critic, _t(x), lambda n: F.relu(n - 1).pow(2).mean(), per_example=False)


def lp_sum(x, y, critic):
    return _lp(x, y, critic, _t(x), lambda n: F.relu(n - 1).pow(2).sum())


def lp_per_value_t(x, y, critic):
    return _lp(x, y, critic, torch.rand_like(x), lambda n: F.relu(n - 1).pow(2).mean())


def lp_not_between(x, y, critic):  # t x + t y: not on the segment
    t = _t(x)
    return _lp(
        t * x + t * y,
        torch.zeros_like(y),
        critic,
        torch.ones(1),
        lambda n: F.relu(n - 1).pow(2).mean(),
    )


def lp_on_real(x, y, critic):
    return _lp(x, y, critic, torch.ones(1), lambda n: F.relu(n - 1).pow(2).mean())


def lp_no_create_graph(x, y, critic):
    x_hat = _between(x, y, _t(x)).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return F.relu(grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


def lp_retain_grad(x, y, critic):
    x_hat = _between(x, y, _t(x))
    x_hat.retain_grad()
    critic(x_hat).sum().backward(create_graph=True)
    return F.relu(x_hat.grad.flatten(1).norm(dim=1) - 1).pow(2).mean()


# ---------------------------------------------------------------- Problem 3
class CosManual(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        return (x1 * x2).sum(self.dim) / torch.clamp(
            x1.norm(dim=self.dim) * x2.norm(dim=self.dim), min=self.eps
        )


class CosF(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, dim=self.dim, eps=self.eps)


class CosNormalize(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        return (F.normalize(x1, dim=self.dim) * F.normalize(x2, dim=self.dim)).sum(self.dim)


class CosDot(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        return (x1 * x2).sum(self.dim)


class CosNaN(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        return (x1 * x2).sum(self.dim) / (x1.norm(dim=self.dim) * x2.norm(dim=self.dim))


class CosDim0(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, dim=0)


class CosInplace(simsiam.CosineSimilarity):
    def forward(self, x1, x2):
        x1 /= x1.norm(dim=self.dim, keepdim=True).clamp_min(self.eps)
        x2 = x2 / x2.norm(dim=self.dim, keepdim=True).clamp_min(self.eps)
        return (x1 * x2).sum(self.dim)


class ForwardRef(simsiam.SimSiam):
    def forward(self, x1, x2):
        z1 = self.encoder(x1)
        z2 = self.encoder(x2)
        p1 = self.predictor(z1)
        p2 = self.predictor(z2)
        if self.stop_gradient:
            return p1, p2, z1.detach(), z2.detach()
        return p1, p2, z1, z2


class ForwardNoDetachLossDetaches(simsiam.SimSiam):  # eq. (7): the stop-gradient in loss
    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        return self.predictor(z1), self.predictor(z2), z1, z2

    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        cos = CosManual(dim=1)
        return -0.5 * (cos(p1, z2).mean() + cos(p2, z1).mean())


class ForwardNoDetach(simsiam.SimSiam):
    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        return self.predictor(z1), self.predictor(z2), z1, z2


class ForwardDetachBeforePredictor(simsiam.SimSiam):
    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return self.predictor(z1), self.predictor(z2), z1, z2


class ForwardNoGrad(simsiam.SimSiam):
    def forward(self, x1, x2):
        if self.stop_gradient:
            with torch.no_grad():
                z1, z2 = self.encoder(x1), self.encoder(x2)
        else:
            z1, z2 = self.encoder(x1), self.encoder(x2)
        return self.predictor(z1), self.predictor(z2), z1, z2


class ForwardAlwaysDetach(simsiam.SimSiam):
    def forward(self, x1, x2):
        z1, z2 = self.encoder(x1), self.encoder(x2)
        return self.predictor(z1), self.predictor(z2), z1.detach(), z2.detach()


class ForwardConcat(simsiam.SimSiam):
    def forward(self, x1, x2):
        z = self.encoder(torch.cat([x1, x2]))
        p = self.predictor(z)
        z1, z2 = z.chunk(2)
        p1, p2 = p.chunk(2)
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return p1, p2, z1, z2


class ForwardSwapped(simsiam.SimSiam):
    def forward(self, x1, x2):
        p1, p2, z1, z2 = simsiam.SimSiam.forward(self, x1, x2)
        return z1, z2, p1, p2


class LossDefault(simsiam.SimSiam):  # a real student's: the default string, their cosine class
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        if similarity_function == "CosineSimilarity":
            criterion = CosManual(dim=1)
        else:
            criterion = similarity_function
        return -0.5 * (criterion(p1, z2).mean() + criterion(p2, z1).mean())


class LossF(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -(F.cosine_similarity(p1, z2).mean() + F.cosine_similarity(p2, z1).mean()) * 0.5


class LossNN(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        criterion = nn.CosineSimilarity(dim=1)
        return 0.5 * -criterion(p1, z2).mean() + 0.5 * -criterion(p2, z1).mean()


class LossDetachesWhenStop(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return -0.5 * (F.cosine_similarity(p1, z2).mean() + F.cosine_similarity(p2, z1).mean())


class LossDetachP(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (
            F.cosine_similarity(p1.detach(), z2).mean()
            + F.cosine_similarity(p2.detach(), z1).mean()
        )


class LossAlwaysDetachZ(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (
            F.cosine_similarity(p1, z2.detach()).mean()
            + F.cosine_similarity(p2, z1.detach()).mean()
        )


class LossNoGrad(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        with torch.no_grad():
            return -0.5 * (F.cosine_similarity(p1, z2).mean() + F.cosine_similarity(p2, z1).mean())


class LossItem(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return torch.tensor(LossF.loss(self, p1, p2, z1, z2).item())


class LossPositive(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return 0.5 * (F.cosine_similarity(p1, z2).mean() + F.cosine_similarity(p2, z1).mean())


class LossNoHalf(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -(F.cosine_similarity(p1, z2).mean() + F.cosine_similarity(p2, z1).mean())


class LossOneSided(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -F.cosine_similarity(p1, z2).mean()


class LossSameView(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (F.cosine_similarity(p1, z1).mean() + F.cosine_similarity(p2, z2).mean())


class LossDot(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * ((p1 * z2).sum(1).mean() + (p2 * z1).sum(1).mean())


class LossSum(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (F.cosine_similarity(p1, z2).sum() + F.cosine_similarity(p2, z1).sum())


class LossDim0(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return -0.5 * (
            F.cosine_similarity(p1, z2, dim=0).mean() + F.cosine_similarity(p2, z1, dim=0).mean()
        )


class LossCallsStubCosine(simsiam.SimSiam):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        class CosineSimilarity(simsiam.CosineSimilarity):
            def forward(self, x1, x2):
                raise NotImplementedError("write this function")

        cos = CosineSimilarity(dim=1)
        return -0.5 * (cos(p1, z2).mean() + cos(p2, z1).mean())


class StubSimSiam(simsiam.SimSiam):
    forward = loss = stub


def bern_batch_sum(mu, target):  # one number for the batch
    return bern_clamp(mu, target).sum()


def bern_no_sum(mu, target):  # one value per pixel
    mu, target = _flat(mu, target)
    return target * torch.log(mu.clamp(1e-7, 1 - 1e-7)) + (1 - target) * torch.log1p(-mu)


def crashes(mu, target):
    return mu.view(-1, 7)


def normal_std_for_var(mu, logvar, z):  # logvar taken as log sigma
    return -0.5 * (LOG_2PI + 2 * logvar + (z - mu) ** 2 / (2 * logvar).exp()).sum(1)


def lme_batch_dim(y):
    return torch.logsumexp(y, 0) - math.log(y.shape[0])


def lme_keepdim(y):
    return vae.log_mean_exp(y)[:, None]


def vf_per_example(p, q, critic):
    return critic(p) - critic(q)


def lp_norm_squared(x, y, critic):  # the gradient norm itself
    return _lp(x, y, critic, _t(x), lambda n: (n**2).mean())


v, g, s = vae_check, gan_check, simsiam_check

CORRECT = [  # (check, a correct implementation)
    *[(v.log_likelihood_bernoulli, f) for f in (vae.log_likelihood_bernoulli, bern_dist, bern_bce,
                                                 bern_clamp, bern_eps)],
    *[(v.log_likelihood_normal, f) for f in (vae.log_likelihood_normal, normal_dist,
                                              normal_manual)],
    *[(v.log_mean_exp, f) for f in (vae.log_mean_exp, lme_logsumexp, lme_handout)],
    *[(v.kl_gaussian_gaussian_analytic, f) for f in (vae.kl_gaussian_gaussian_analytic, kl_dist,
                                                      kl_manual)],
    *[(v.kl_gaussian_gaussian_mc, f) for f in (vae.kl_gaussian_gaussian_mc, mc_rsample,
                                                mc_starter)],
    *[(g.vf_wasserstein_distance, f) for f in (gan.vf_wasserstein_distance, vf_ok, vf_ok_one_pass,
                                                vf_ok_diff)],
    *[(g.lp_reg, f) for f in (gan.lp_reg, lp_ok, lp_ok_clamp)],
    *[(s.cosine_similarity, f) for f in (simsiam.CosineSimilarity, nn.CosineSimilarity, CosManual,
                                          CosF, CosNormalize)],
    *[(s.simsiam_forward, f) for f in (simsiam.SimSiam, ForwardRef, ForwardNoDetachLossDetaches)],
    *[(s.simsiam_loss, f) for f in (simsiam.SimSiam, LossDefault, LossF, LossNN,
                                     LossDetachesWhenStop, ForwardNoDetachLossDetaches)],
]  # fmt: skip

MISTAKES = [  # (check, the mistaken function, words its message must hold)
    (v.log_likelihood_bernoulli, bern_no_clamp, "no clamp at mu = 0 or 1"),
    (v.log_likelihood_bernoulli, bern_no_clamp, "workbook is stricter than the course"),
    (v.log_likelihood_bernoulli, bern_clamp_inplace, "changes its input mu in place"),
    (v.log_likelihood_bernoulli, bern_mean, "off by a factor of D"),
    (v.log_likelihood_bernoulli, bern_sign, "sign error"),
    (v.log_likelihood_bernoulli, bern_batch_sum, "one number for the whole batch"),
    (v.log_likelihood_bernoulli, bern_no_sum, "a sum over dimensions is missing"),
    (v.log_likelihood_bernoulli, bern_item, "no gradient reaches mu"),
    (v.log_likelihood_bernoulli, bern_numpy, "returns a ndarray"),
    (v.log_likelihood_bernoulli, bern_none, "returns None"),
    (v.log_likelihood_bernoulli, stub, "not written yet"),
    (v.log_likelihood_bernoulli, crashes, "raised RuntimeError"),
    (v.log_likelihood_normal, normal_sign, "sign error"),
    (v.log_likelihood_normal, normal_no_constant, "-1/2 log(2 pi)"),
    (v.log_likelihood_normal, normal_mean, "off by a factor of L"),
    (v.log_likelihood_normal, normal_no_half, "the factor 1/2 is missing"),
    (v.log_likelihood_normal, normal_std_for_var, "not log sigma"),
    (v.log_likelihood_normal, normal_inplace, "changes its input z in place"),
    (v.log_likelihood_normal, normal_nan, "wrong values"),
    (v.log_mean_exp, lme_naive, "overflow"),
    (v.log_mean_exp, lme_global_max, "one maximum for the whole batch"),
    (v.log_mean_exp, lme_sum, "off by log K"),
    (v.log_mean_exp, lme_batch_dim, "averages over the batch (dim 0)"),
    (v.log_mean_exp, lme_keepdim, "returns shape (5, 1)"),
    (v.log_mean_exp, lme_inplace, "changes its input y in place"),
    (v.log_mean_exp, lme_float, "returns a float"),
    (v.kl_gaussian_gaussian_analytic, kl_sum123, "2-D latents (batch, L)"),
    (v.kl_gaussian_gaussian_analytic, kl_mean, "off by a factor of L"),
    (v.kl_gaussian_gaussian_analytic, kl_no_half, "the factor 1/2 in front is missing"),
    (v.kl_gaussian_gaussian_analytic, kl_reverse, "computes KL(p || q)"),
    (v.kl_gaussian_gaussian_analytic, kl_sign, "sign error"),
    (v.kl_gaussian_gaussian_analytic, kl_standard_prior, "assumes p = N(0, I)"),
    (v.kl_gaussian_gaussian_analytic, kl_inplace, "changes its input logvar_q in place"),
    (v.kl_gaussian_gaussian_analytic, kl_detached, "no gradient reaches mu_q"),
    (v.kl_gaussian_gaussian_mc, mc_one_sample, "ignores num_samples"),
    (v.kl_gaussian_gaussian_mc, mc_sum_draws, "it sums over the draws"),
    (v.kl_gaussian_gaussian_mc, mc_swapped, "swap them"),
    (v.kl_gaussian_gaussian_mc, mc_analytic, "returns the analytic KL"),
    (v.kl_gaussian_gaussian_mc, mc_torch_normal, "the gradient does not flow through the draws"),
    (v.kl_gaussian_gaussian_mc, mc_sample, "workbook is stricter than the course"),
    (v.kl_gaussian_gaussian_mc, mc_sign, "sign error"),
    (v.kl_gaussian_gaussian_mc, mc_per_draw, "average over the num_samples draws"),
    (g.vf_wasserstein_distance, vf_eq1, "the handout's eq. (1)"),
    (g.vf_wasserstein_distance, vf_abs, "takes the absolute value"),
    (g.vf_wasserstein_distance, vf_sum, "B = 6 times the mean"),
    (g.vf_wasserstein_distance, vf_item, "no gradient reaches the critic"),
    (g.vf_wasserstein_distance, vf_per_example, "one number"),
    (g.lp_reg, lp_one_t, "one t for the whole batch"),
    (g.lp_reg, lp_no_square, "the square is missing"),
    (g.lp_reg, lp_square_of_mean, "squares the mean"),
    (g.lp_reg, lp_two_sided, "penalises norms below 1 too"),
    (g.lp_reg, lp_norm_squared, "penalises the gradient norm itself"),
    (g.lp_reg, lp_batch_norm, "one norm over the whole batch"),
    (g.lp_reg, lp_sum, "8 times the mean"),
    (g.lp_reg, lp_per_value_t, "one t per value"),
    (g.lp_reg, lp_not_between, "not between the real and generated images"),
    (g.lp_reg, lp_on_real, "are the real images themselves"),
    (g.lp_reg, lp_no_create_graph, "create_graph=True"),
    (g.lp_reg, lp_retain_grad, "x_hat.requires_grad_(True)"),
    (s.cosine_similarity, CosDot, "not normalised"),
    (s.cosine_similarity, CosNaN, "a zero vector gives NaN"),
    (s.cosine_similarity, CosDim0, "along dim 0"),
    (s.cosine_similarity, CosInplace, "changes its input x1 in place"),
    (s.simsiam_forward, ForwardNoDetach, "the stop-gradient is missing"),
    (s.simsiam_forward, ForwardDetachBeforePredictor, "no gradient reaches the encoder"),
    (s.simsiam_forward, ForwardNoGrad, "torch.no_grad"),
    (s.simsiam_forward, ForwardAlwaysDetach, "with stop_gradient=False"),
    (s.simsiam_forward, ForwardConcat, "both views through the encoder in one batch"),
    (s.simsiam_forward, ForwardSwapped, "wrong order"),
    (s.simsiam_forward, StubSimSiam, "not written yet"),
    (s.simsiam_loss, LossDetachP, "never on p"),
    (s.simsiam_loss, LossAlwaysDetachZ, "detaches z even when self.stop_gradient is False"),
    (s.simsiam_loss, LossNoGrad, "the loss carries no gradient"),
    (s.simsiam_loss, LossItem, "the loss carries no gradient"),
    (s.simsiam_loss, LossPositive, "*negative* cosine similarity"),
    (s.simsiam_loss, LossNoHalf, "the factor 1/2 (0.5) of eq. (7) is missing"),
    (s.simsiam_loss, LossOneSided, "not symmetrised"),
    (s.simsiam_loss, LossSameView, "the *other* view's projection"),
    (s.simsiam_loss, LossDot, "not normalised"),
    (s.simsiam_loss, LossSum, "B = 8 times the mean"),
    (s.simsiam_loss, LossDim0, "along dim 0"),
    (s.simsiam_loss, LossCallsStubCosine, "it calls CosineSimilarity.forward"),
    (s.simsiam_loss, StubSimSiam, "not written yet"),
]


def _id(case):
    return case.__name__ if hasattr(case, "__name__") else str(case)


@pytest.mark.parametrize(
    ("checks", "fn"), CORRECT, ids=[f"{c.__name__}-{_id(f)}" for c, f in CORRECT]
)
def test_each_correct_implementation_passes(checks, fn):
    result = checks(fn)
    assert result.passed, result.message
    assert repr(result) == f"PASS {result.name}: {result.message}"


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
    messages = {}
    for checks, wrong, _ in MISTAKES:
        messages.setdefault(checks(wrong).message, []).append(wrong.__name__)
    shared = {m: names for m, names in messages.items() if len(set(names)) > 1}
    # the same message only where two mistakes are the same one: .item() and no_grad cut the
    # graph, torch.normal and .sample() draw without it, a stub is a stub
    assert sorted(sorted(set(names)) for names in shared.values()) == [
        ["ForwardDetachBeforePredictor", "ForwardNoGrad"], ["LossItem", "LossNoGrad"],
        ["StubSimSiam", "stub"], ["mc_sample", "mc_torch_normal"],
    ], shared  # fmt: skip


def _weird_returns():
    yield lambda *a, **k: "a string"
    yield lambda *a, **k: [torch.zeros(3)]
    yield lambda *a, **k: torch.zeros(5, dtype=torch.long)
    yield lambda *a, **k: torch.full((5,), float("nan"))
    yield lambda *a, **k: torch.zeros(0)
    yield lambda *a, **k: (torch.zeros(8, 16),) * 4
    yield lambda *a, **k: 1 / 0
    yield lambda *a, **k: exit(3)


CHECKS = [v.log_likelihood_bernoulli, v.log_likelihood_normal, v.log_mean_exp,
          v.kl_gaussian_gaussian_analytic, v.kl_gaussian_gaussian_mc, g.vf_wasserstein_distance,
          g.lp_reg]  # fmt: skip


@pytest.mark.parametrize("checks", CHECKS, ids=lambda c: c.__name__)
def test_checks_never_raise(checks):
    for fn in _weird_returns():
        result = checks(fn)
        assert not result.passed and result.message


def test_simsiam_checks_never_raise():
    for fn in _weird_returns():
        weird = type("Weird", (simsiam.SimSiam,), {"forward": fn, "loss": fn})
        for checks in (s.simsiam_forward, s.simsiam_loss):
            assert not checks(weird).passed
        cos = type("Weird", (simsiam.CosineSimilarity,), {"forward": fn})
        assert not s.cosine_similarity(cos).passed
    broken = type("Broken", (simsiam.SimSiam,), {"__init__": lambda self, *a, **k: 1 / 0})
    assert not s.simsiam_forward(broken).passed


def test_checks_leave_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    v.kl_gaussian_gaussian_mc(vae.kl_gaussian_gaussian_mc)
    g.lp_reg(lp_two_sided)
    assert torch.equal(torch.rand(3), expected)


def test_use_takes_what_passes_and_falls_back_saying_so(capsys):
    chosen = vae_check.use(
        log_mean_exp=lme_naive, log_likelihood_bernoulli=vae.log_likelihood_bernoulli
    )
    assert chosen["log_mean_exp"] is vae.log_mean_exp
    assert chosen["log_likelihood_bernoulli"] is vae.log_likelihood_bernoulli
    mine = gan_check.use(vf_wasserstein_distance=vf_ok, lp_reg=stub)
    assert mine["vf_wasserstein_distance"] is vf_ok and mine["lp_reg"] is gan.lp_reg
    out = capsys.readouterr().out
    assert "log_mean_exp: not passing yet, so the reference helpers.vae.log_mean_exp" in out
    assert "vf_wasserstein_distance: yours (it passes its checks)" in out
    assert "lp_reg: not passing yet, so the reference helpers.gan.lp_reg" in out
    assert "log_likelihood_bernoulli" not in out  # the reference is taken as it is


class StubCosine(simsiam.CosineSimilarity):
    forward = stub


def test_use_simsiam_with_every_stub_untouched_is_the_reference_itself(capsys):
    """So the exercise edition's runs load the workbook's checkpoints."""
    assert s.use_simsiam(simsiam.SimSiam) is simsiam.SimSiam
    assert capsys.readouterr().out == ""
    assert s.use_simsiam(StubSimSiam, StubCosine) is simsiam.SimSiam
    out = capsys.readouterr().out
    assert out.count("not passing yet, so the reference runs instead") == 3


def test_use_simsiam_takes_the_parts_that_pass(capsys):
    cls = s.use_simsiam(ForwardNoDetach, nn.CosineSimilarity)
    assert cls is not simsiam.SimSiam and issubclass(cls, simsiam.SimSiam)
    assert cls.forward is simsiam.SimSiam.forward  # the student's fails: the reference
    assert isinstance(s._tiny(cls).criterion, nn.CosineSimilarity)  # the student's passes
    assert cls.course_functions == ["CosineSimilarity.forward"]  # what its checkpoints record
    out = capsys.readouterr().out
    assert "SimSiam.forward: not passing yet" in out and "CosineSimilarity.forward: yours" in out
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    both = s.use_simsiam(ForwardNoDetachLossDetaches)  # stop-gradient in loss, eq. (7)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's stream untouched
    assert both.forward is ForwardNoDetachLossDetaches.forward
    assert both.loss is ForwardNoDetachLossDetaches.loss
    assert both.course_functions == ["SimSiam.forward", "SimSiam.loss"]


class DetachesInLossButNoHalf(ForwardNoDetachLossDetaches):
    def loss(self, p1, p2, z1, z2, similarity_function="CosineSimilarity"):
        return 2 * ForwardNoDetachLossDetaches.loss(self, p1, p2, z1, z2)


def test_use_simsiam_keeps_the_stop_gradient_and_never_raises(capsys):
    """A forward that leaves the stop-gradient to a loss that is not used falls back too; a
    loss that cannot be differentiated is refused, not raised."""
    cls = s.use_simsiam(DetachesInLossButNoHalf)
    assert cls.forward is simsiam.SimSiam.forward and cls.loss is simsiam.SimSiam.loss
    assert "leaves the stop-gradient to your loss" in capsys.readouterr().out
    assert s.use_simsiam(LossNoGrad).loss is simsiam.SimSiam.loss


def test_checkpoint_keys_name_the_students_parts_not_module_paths():
    from helpers.simsiam.training import course_functions

    cls = s.use_simsiam(LossF)
    assert course_functions(cls) == ["SimSiam.loss"]
    assert course_functions(LossF) == ["LossF"]
