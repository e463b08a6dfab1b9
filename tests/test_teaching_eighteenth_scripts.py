"""The teaching tools on PyTorch-style programs of the kind the round-20 scripts run,
with the ops the last sweep did not reach: a Gaussian copula (``erfinv``, a
``MultivariateNormal`` with ``scale_tril``), a complex layer (``torch.complex`` of two
Linears), a KL against labels with zeros by ``xlogy``, a robust regression scaled by
the median absolute deviation (``median``, ``huber_loss``), a DeepAR-style
``NegativeBinomial`` over a GRU, a ``HalfNormal`` prior with a ``Binomial`` likelihood,
a hurdle model with ``where``, fake quantisation (``aminmax``, ``round`` straight
through), BinaryConnect (``heaviside``), temperature scaling of ``logit``\\ s, a global
mean pool (``repeat_interleave``, ``index_add_``, ``bincount``), a product network
(``combinations``) and Kim's text CNN (``Conv1d``, ``adaptive_max_pool1d``), and angle
regression wrapped by ``remainder``.  (What only the data goes through, ``erfinv`` of
the uniforms, ``xlogy`` of the labels, the detached ``median``, is a constant of the
graph; the ops named are those on a parameter's path, as ``viz.text`` writes them:
``hardtanh`` as ``where``, ``Conv1d`` as ``conv2d``, ``remainder`` as ``mod``.)

For each graph: ``viz.text`` names the ops; ``viz.steps`` (before any backward, writing
no ``.grad``) gives the gradients ``backward()`` then stores; ``viz.draw`` with
``params=`` shows each parameter's gradient and the loss; ``explain`` counts the nonzero
entries; the same program under ``detect_anomaly`` raises nothing and gives the same
gradients; the HTML page's totals are the gradients; after a plain ``backward()`` the
tools say the graph was freed.
"""

import numpy as np
from teaching_checks import teaching_tests

import autodiff as torch            # the programs are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn

D = torch.distributions


def _data(seed=18):
    return np.random.default_rng(seed)


def _gaussian_copula():
    u = torch.tensor(_data().uniform(0.02, 0.98, size=(15, 3)))
    z = torch.erfinv(2 * u - 1) * 2 ** 0.5
    raw = nn.Parameter(0.1 * _data(1).normal(size=(3, 3)), name="raw")
    L = torch.tril(raw, diagonal=-1) + torch.diag(F.softplus(torch.diagonal(raw)) + 0.5)
    copula = D.MultivariateNormal(torch.zeros(3, dtype=torch.float64), scale_tril=L)
    loss = -(copula.log_prob(z) - D.Normal(0.0, 1.0).log_prob(z).sum(-1)).mean()
    return loss, {"raw": raw}


class _ComplexLinear(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(18)
        self.real = nn.Linear(4, 3, bias=False)
        self.imag = nn.Linear(4, 3, bias=False)
        self.threshold = nn.Parameter(torch.full((3,), -0.1, dtype=torch.float64))

    def forward(self, z):
        re = self.real(z.real) - self.imag(z.imag)
        im = self.real(z.imag) + self.imag(z.real)
        out = torch.complex(re, im)
        magnitude = out.abs()
        return out * (torch.relu(magnitude + self.threshold) / (magnitude + 1e-9))


def _complex_layer():
    rng = _data(2)
    z = torch.tensor(rng.normal(size=(6, 4)) + 1j * rng.normal(size=(6, 4)))
    model = _ComplexLinear()
    return ((model(z).abs() - torch.tensor(rng.uniform(size=(6, 3)))) ** 2).mean(), model


def _kl_by_xlogy():
    rng = _data(3)
    p = rng.dirichlet(np.ones(4), size=8)
    p[p < 0.15] = 0.0
    p = torch.tensor(p / p.sum(axis=1, keepdims=True))
    torch.manual_seed(3)
    model = nn.Linear(5, 4)
    log_q = torch.log_softmax(model(torch.tensor(rng.normal(size=(8, 5)))), dim=-1)
    return (torch.xlogy(p, p) - p * log_q).sum(dim=-1).mean(), model


def _median_absolute_deviation():
    rng = _data(4)
    x = rng.normal(size=(21, 3))
    y = x @ np.array([1.0, -1.0, 2.0]) + 0.1 * rng.normal(size=21)
    y[::5] += 8.0
    torch.manual_seed(4)
    model = nn.Linear(3, 1)
    r = model(torch.tensor(x)).squeeze(-1) - torch.tensor(y)
    med = torch.median(r)
    mad = torch.median((r - med).abs()).detach() * 1.4826
    return F.huber_loss(r / mad, torch.zeros_like(r), delta=1.345), model


class _DeepAR(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.rnn = nn.GRU(2, 5, batch_first=True)
        self.head = nn.Linear(5, 2)


def _negative_binomial_over_a_gru():
    rng = _data(5)
    model = _DeepAR()
    h, _ = model.rnn(torch.tensor(rng.normal(size=(4, 6, 2))))
    raw_count, logits = model.head(h).unbind(-1)
    dist = D.NegativeBinomial(total_count=F.softplus(raw_count), logits=logits)
    return -dist.log_prob(torch.tensor(rng.poisson(3.0, size=(4, 6)).astype(float))).mean(), \
        model


def _half_normal_and_binomial():
    rng = _data(6)
    n = rng.integers(5, 15, size=10).astype(np.float64)
    k = np.floor(n * rng.uniform(0.2, 0.8, size=10))
    weights = nn.Parameter(np.array([0.3, -0.2]), name="weights")
    log_scale = nn.Parameter(np.array(0.1), name="log_scale")
    scale = log_scale.exp()
    log_prior = D.HalfNormal(1.0).log_prob(scale) + D.Normal(0.0, scale).log_prob(weights).sum()
    x = torch.tensor(rng.normal(size=(10, 2)))
    likelihood = D.Binomial(total_count=torch.tensor(n), logits=x @ weights).log_prob(
        torch.tensor(k)).sum()
    return -(likelihood + log_prior + log_scale), {"weights": weights, "log_scale": log_scale}


def _hurdle_with_where():
    rng = _data(7)
    y = torch.tensor(np.where(rng.uniform(size=12) < 0.4, 0.0,
                              rng.lognormal(0.0, 0.5, size=12)))
    torch.manual_seed(7)
    model = nn.Linear(3, 3)
    zero_logit, loc, raw_scale = model(torch.tensor(rng.normal(size=(12, 3)))).unbind(-1)
    positive = y > 0
    log_amount = D.LogNormal(loc, F.softplus(raw_scale)).log_prob(
        torch.where(positive, y, torch.ones_like(y)))
    log_lik = torch.where(positive, F.logsigmoid(-zero_logit) + log_amount,
                          F.logsigmoid(zero_logit))
    return -log_lik.mean(), model


def _fake_quantize(w, bits=4):
    lo, hi = torch.aminmax(w.detach())
    scale = (hi - lo) / (2 ** bits - 1)
    q = torch.round((w - lo) / scale) * scale + lo
    return w + (q - w).detach()


def _fake_quantisation():
    rng = _data(8)
    weight = nn.Parameter(rng.uniform(-0.5, 0.5, size=(2, 4)), name="weight")
    bias = nn.Parameter(np.zeros(2), name="bias")
    out = F.linear(torch.tensor(rng.normal(size=(16, 4))), _fake_quantize(weight), bias)
    return F.mse_loss(out, torch.tensor(rng.normal(size=(16, 2)))), {"weight": weight,
                                                                      "bias": bias}


def _binaryconnect():
    rng = _data(9)
    w = nn.Parameter(rng.uniform(-0.5, 0.5, size=(3, 5)), name="w")
    hard = 2 * torch.heaviside(w, torch.tensor(1.0)) - 1
    binary = w + (hard - w).detach()
    scores = F.hardtanh(torch.tensor(rng.normal(size=(12, 5))) @ binary.T).sum(dim=1)
    y = torch.tensor(rng.integers(0, 2, size=12).astype(np.float64))
    return F.binary_cross_entropy_with_logits(scores, y), {"w": w}


def _temperature_scaling():
    rng = _data(10)
    probs = rng.dirichlet(np.ones(4) * 0.5, size=25)
    probs[0] = [1.0, 0.0, 0.0, 0.0]
    logits = torch.logit(torch.tensor(probs), eps=1e-6)
    log_temperature = nn.Parameter(np.array([0.2]), name="log_temperature")
    y = torch.tensor(rng.integers(0, 4, size=25))
    return F.cross_entropy(logits / log_temperature.exp(), y), \
        {"log_temperature": log_temperature}


def _global_mean_pool():
    rng = _data(11)
    sizes = torch.tensor(np.array([3, 5, 2, 4]))
    torch.manual_seed(11)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 1))
    batch = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    h = model[1](model[0](torch.tensor(rng.normal(size=(14, 4)))))
    pooled = torch.zeros(4, 6, dtype=torch.float64).index_add_(0, batch, h)
    pooled = pooled / torch.bincount(batch).unsqueeze(1)
    return F.mse_loss(model[2](pooled), torch.tensor(rng.normal(size=(4, 1)))), model


class _ProductNetwork(nn.Module):
    def __init__(self, fields=4, dim=3):
        super().__init__()
        torch.manual_seed(12)
        self.embedding = nn.Embedding(5 * fields, dim)
        self.pairs = torch.combinations(torch.arange(fields), r=2)
        self.head = nn.Linear(fields * dim + len(self.pairs), 1)


def _product_network():
    rng = _data(12)
    model = _ProductNetwork()
    ids = torch.tensor(rng.integers(0, 5, size=(10, 4))) + torch.arange(4) * 5
    e = model.embedding(ids)
    inner = (e[:, model.pairs[:, 0]] * e[:, model.pairs[:, 1]]).sum(dim=-1)
    z = torch.cat([e.flatten(1), inner], dim=1)
    y = torch.tensor(rng.integers(0, 2, size=10).astype(np.float64))
    return F.binary_cross_entropy_with_logits(model.head(z).squeeze(-1), y), model


class _TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(13)
        self.embedding = nn.Embedding(20, 5, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(5, 4, k) for k in (2, 3)])
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        x = self.embedding(x).permute(0, 2, 1)
        pooled = [F.adaptive_max_pool1d(F.relu(conv(x)), 1).squeeze(-1) for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


def _text_cnn():
    rng = _data(13)
    model = _TextCNN()
    x = torch.tensor(rng.integers(0, 20, size=(6, 9)))
    return F.cross_entropy(model(x), torch.tensor(rng.integers(0, 2, size=6))), model


def _angle_regression_by_remainder():
    rng = _data(14)
    torch.manual_seed(14)
    model = nn.Linear(2, 1)
    angles = torch.tensor(rng.uniform(-np.pi, np.pi, size=9))
    predicted = model(torch.stack([angles.cos(), angles.sin()], dim=1)).squeeze(-1)
    wrapped = torch.remainder(predicted - angles + np.pi, 2 * np.pi) - np.pi
    return (wrapped ** 2).mean(), model


# name -> (build, ops that viz.text must name)
PROGRAMS = {
    "gaussian copula": (_gaussian_copula, ["diagonal", "diag", "solve", "logaddexp"]),
    "complex layer": (_complex_layer, ["complex", "abs", "relu"]),
    "KL by xlogy": (_kl_by_xlogy, ["log_softmax", "multiply"]),
    "median absolute deviation": (_median_absolute_deviation, ["abs", "where"]),
    "negative binomial over a GRU": (_negative_binomial_over_a_gru, ["gru_layer"]),
    "half normal and binomial": (_half_normal_and_binomial, ["exp", "matmul"]),
    "hurdle with where": (_hurdle_with_where, ["where", "log1p", "logaddexp"]),
    "fake quantisation": (_fake_quantisation, ["add", "transpose", "matmul"]),
    "binaryconnect": (_binaryconnect, ["where", "logaddexp"]),
    "temperature scaling": (_temperature_scaling, ["exp", "divide"]),
    "global mean pool": (_global_mean_pool, ["index_add"]),
    "product network": (_product_network, ["take", "concatenate"]),
    "text CNN": (_text_cnn, ["take", "conv2d", "max_pool2d", "cross_entropy"]),
    "remainder": (_angle_regression_by_remainder, ["mod", "squeeze"]),
}
HTML_NAMES = ["complex layer", "median absolute deviation", "negative binomial over a GRU",
              "global mean pool", "text CNN", "remainder"]


globals().update(teaching_tests(PROGRAMS, HTML_NAMES))
