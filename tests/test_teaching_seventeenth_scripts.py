"""The teaching tools on PyTorch-style programs of the kind the scripts of rounds 19-20
run, with ops the earlier sweeps did not reach: ``linalg.matrix_exp`` of a skew
parameter, ``linalg.qr`` with the sign of R's diagonal, ``householder_product``,
``linalg.eigvals`` of an RNN's weight (a complex intermediate), ``svdvals`` as a
nuclear norm, ``torch.gradient`` with scalar and coordinate ``spacing``,
``masked_scatter``, ``MixtureSameFamily``, Beta regression with a KL to a prior, a
Gamma likelihood, ``kthvalue`` with ``t.max(other)``, an LSTM over ``pack_sequence``,
``F.pad`` in reflect, circular and replicate modes, ``index_add_`` and ``mul_`` in
place with ``var_mean``, ``multi_dot`` with ``matrix_power``, ``einsum`` with ``...``
and ``tensordot``, and ``nan_to_num``/``logaddexp``/``float_power`` around complex
values.

For each graph: ``viz.text`` names the ops; ``viz.steps`` (before any backward, writing
no ``.grad``) gives the gradients ``backward()`` then stores; ``viz.draw`` with
``params=`` shows each parameter's gradient and the loss; ``explain`` counts the nonzero
entries; the same program under ``detect_anomaly`` raises nothing and gives the same
gradients; the HTML page's totals are the gradients; after a plain ``backward()`` the
tools say the graph was freed.
"""

from teaching_checks import teaching_tests

import numpy as np

import autodiff as torch            # the programs are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn

D = torch.distributions


def _normal(size, seed=17):
    return np.random.default_rng(seed).normal(size=size)


def _matrix_exp_rotation():
    W = nn.Parameter(0.3 * _normal((3, 3)), name="W")
    R = torch.linalg.matrix_exp(W - W.T)
    x = torch.tensor(_normal((5, 3), 1))
    return ((x @ R.T - x.flip(0)) ** 2).sum(dim=1).mean(), {"W": W}

def _qr_sign():
    raw = nn.Parameter(_normal((4, 4)), name="raw")
    Q, R = torch.linalg.qr(raw)
    Q = Q * torch.sign(torch.diagonal(R)).unsqueeze(0)
    x, y = torch.tensor(_normal((6, 4), 1)), torch.tensor(_normal((6, 4), 2))
    return F.mse_loss(x @ Q, y), {"raw": raw}

def _householder():
    V = nn.Parameter(np.tril(_normal((4, 4)), -1) + np.eye(4), name="V")
    tau = 2.0 / (V * V).sum(dim=0)
    W = torch.linalg.householder_product(V, tau)
    h = torch.zeros(4, dtype=torch.float64)
    for x in torch.tensor(_normal((3, 4), 1)):
        h = torch.tanh(W @ h + x)
    return (h - 0.5).pow(2).sum(), {"V": V}

def _eigvals_radius():
    torch.manual_seed(0)
    rnn, head = nn.RNN(2, 3, batch_first=True), nn.Linear(3, 1)
    _, h = rnn(torch.tensor(_normal((2, 4, 2))))
    radius = torch.linalg.eigvals(rnn.weight_hh_l0).abs().max()
    loss = F.mse_loss(head(h[-1]), torch.tensor(_normal((2, 1), 1))) + (radius - 0.2) ** 2
    return loss, nn.ModuleList([rnn, head])

def _svdvals_nuclear():
    U = nn.Parameter(_normal((5, 2)), name="U")
    V = nn.Parameter(_normal((2, 4), 1), name="V")
    M = U @ V
    target = torch.tensor(_normal((5, 4), 2))
    return (M - target).pow(2).mean() + 0.1 * torch.linalg.svdvals(M).sum(), {"U": U, "V": V}

def _gradient_spacing():
    u = nn.Parameter(np.sin(np.linspace(0, 3, 12)).reshape(3, 4), name="u")
    xs = torch.tensor(np.array([0.0, 0.4, 1.0, 1.2]))
    (u_t,) = torch.gradient(u, spacing=0.5, dim=0)
    (u_x,) = torch.gradient(u, spacing=(xs,), dim=1)
    return (u_t - 0.1 * u_x).pow(2).mean(), {"u": u}

def _masked_scatter():
    token = nn.Parameter(_normal(3), name="token")
    x = torch.tensor(_normal((2, 4, 3), 1))
    mask = torch.tensor(np.array([[True, False, True, False], [False, False, True, True]]))
    filled = x.masked_scatter(mask.unsqueeze(-1), token.expand(4, 3))
    return ((filled * filled.flip(-1)) ** 2).sum(), {"token": token}

def _mixture_same_family():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 6))
    logits, means, raw = model(torch.tensor(_normal((5, 1)))).chunk(3, dim=-1)
    mix = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(means, F.softplus(raw)))
    return -mix.log_prob(torch.tensor(_normal(5, 1))).mean(), model

def _beta_regression():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    a, b = F.softplus(model(torch.tensor(_normal((6, 3))))).unbind(-1)
    dist = D.Beta(a + 1e-3, b + 1e-3)
    prior = D.Beta(torch.tensor(2.0), torch.tensor(2.0))
    y = torch.tensor(np.linspace(0.1, 0.9, 6))
    return -dist.log_prob(y).mean() + 0.1 * D.kl_divergence(dist, prior).mean(), model

def _gamma_likelihood():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ELU(), nn.Linear(4, 2))
    concentration, rate = F.softplus(model(torch.tensor(_normal((6, 2))))).unbind(-1)
    y = torch.tensor(np.linspace(0.5, 3.0, 6))
    return -D.Gamma(concentration, rate).log_prob(y).mean(), model

def _kthvalue_max_other():
    w = nn.Parameter(_normal((3, 5)), name="w")
    median, _ = w.kthvalue(3, dim=1)
    floor = torch.tensor(np.array([0.2, -0.1, 0.0]))
    return (median.max(floor) ** 2).sum() + w.max(), {"w": w}

def _pack_sequence_lstm():
    torch.manual_seed(0)
    lstm = nn.LSTM(2, 3)
    seqs = [torch.tensor(_normal((n, 2), n)) for n in (3, 4, 2)]
    packed = nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    output, (h_n, _) = lstm(packed)
    padded, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True)
    return h_n[-1].pow(2).sum() + padded.mean(), lstm

def _pad_modes():
    img = nn.Parameter(_normal((1, 1, 3, 4)), name="img")
    reflected = F.pad(img, (1, 1, 1, 1), mode="reflect")
    wrapped = F.pad(img, (2, 0, 0, 0), mode="circular")
    replicated = F.pad(img, (0, 1, 1, 0), mode="replicate")
    return (reflected.pow(2).sum() + (wrapped * wrapped.flip(-1)).sum()
            + replicated.sum()), {"img": img}

def _index_add_var_mean():
    torch.manual_seed(0)
    lin = nn.Linear(3, 4)
    y = lin(torch.tensor(_normal((2, 3))))
    y.index_add_(1, torch.tensor([0, 3, 0]), y[:, :3].clone() * 0.5)
    y.mul_(2.0)
    var, mean = torch.var_mean(y, dim=1)
    return (var + mean ** 2).sum(), lin

def _multi_dot_power():
    A = nn.Parameter(_normal((3, 4)), name="A")
    B = nn.Parameter(_normal((4, 4), 1) * 0.5, name="B")
    chain = torch.linalg.multi_dot([A, torch.linalg.matrix_power(B, 3), A.T])
    return chain.trace() + chain.pow(2).mean(), {"A": A, "B": B}

def _einsum_ellipsis_tensordot():
    w = nn.Parameter(_normal((3, 4)), name="w")
    x = torch.tensor(_normal((2, 5, 3), 1))
    y = torch.einsum("...i,ij->...j", x, w)
    z = torch.tensordot(y, torch.tensor(_normal((5, 4), 2)), dims=([1, 2], [0, 1]))
    return z.pow(2).sum(), {"w": w}

def _logaddexp_nan_to_num_complex():
    w = nn.Parameter(np.array([0.5, -1.5, 2.0]), name="w")
    z = torch.complex(w, w.flip(0))
    r = torch.nan_to_num(z.log() * 1j).abs()
    return torch.logaddexp(r, w).sum() + torch.float_power(w.abs() + 1, 1.5).sum(), {"w": w}


# name -> (builder, ops that viz.text must name)
PROGRAMS = {
    "matrix_exp": (_matrix_exp_rotation, ["matrix_exp", "transpose"]),
    "qr": (_qr_sign, ["qr_packed", "sign", "diagonal"]),
    "householder_product": (_householder, ["swapaxes", "tanh"]),
    "eigvals": (_eigvals_radius, ["eigvals", "abs", "max"]),
    "svdvals": (_svdvals_nuclear, ["svdvals"]),
    "gradient spacing": (_gradient_spacing, ["concatenate", "divide"]),
    "masked_scatter": (_masked_scatter, ["setitem", "broadcast_to"]),
    "MixtureSameFamily": (_mixture_same_family, ["log_softmax", "logaddexp"]),
    "Beta": (_beta_regression, ["lgamma", "digamma", "xlogy"]),
    "Gamma": (_gamma_likelihood, ["lgamma", "xlogy"]),
    "kthvalue and max(other)": (_kthvalue_max_other, ["take_along_axis", "maximum", "max"]),
    "pack_sequence": (_pack_sequence_lstm, ["lstm_layer", "take"]),
    "pad modes": (_pad_modes, ["take", "flip"]),
    "index_add_ and var_mean": (_index_add_var_mean, ["index_add", "overwrite", "var"]),
    "multi_dot": (_multi_dot_power, ["matmul", "diagonal"]),
    "einsum ellipsis": (_einsum_ellipsis_tensordot, ["einsum", "tensordot"]),
    "complex nan_to_num": (_logaddexp_nan_to_num_complex,
                           ["complex", "nan_to_num", "logaddexp", "float_power"]),
}


HTML_NAMES = ["matrix_exp", "qr", "eigvals", "masked_scatter", "kthvalue and max(other)",
              "index_add_ and var_mean", "complex nan_to_num"]


globals().update(teaching_tests(PROGRAMS, HTML_NAMES))
