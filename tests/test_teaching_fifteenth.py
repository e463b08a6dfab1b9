"""The teaching tools on PyTorch-style programs of the kind the scripts' rounds run:
attention, recurrent layers, convolution and pooling, mixture-of-experts routing by
``topk`` and ``scatter_add``, message passing by ``index_add``, CTC, a custom
``Function``, gradient hooks, checkpointing, in-place updates, distributions, einsum,
an FFT, sorting, linear algebra, ``where``/``clamp``, reductions and gathers.

For each graph: ``viz.text`` names the ops; ``viz.steps`` (before any backward, writing
no ``.grad``) gives the gradients that ``backward()`` then stores; ``viz.draw`` with
``params=`` shows each parameter's name and gradient; ``explain`` tells each parameter's
story (and, where entries are zero, blames the op that zeroed them); the same program
under ``detect_anomaly`` raises nothing and gives the same gradients; the HTML page's
totals are the gradients; and after a plain ``backward()`` the tools say the graph was
freed rather than show stale numbers.
"""


import numpy as np
from teaching_checks import grad_of, named, teaching_tests

import autodiff as ad
import autodiff as torch            # the programs are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn



def _normal(size):
    return np.random.default_rng(15).normal(size=size)


def _attention():
    torch.manual_seed(0)
    qkv, proj, ln = nn.Linear(8, 24), nn.Linear(8, 8), nn.LayerNorm(8)
    x = torch.tensor(_normal((2, 5, 8)))
    q, k, v = qkv(ln(x)).split(8, dim=2)

    def shape(t):
        return t.view(2, 5, 2, 4).transpose(1, 2)
    y = F.scaled_dot_product_attention(shape(q), shape(k), shape(v), is_causal=True)
    y = proj(y.transpose(1, 2).contiguous().view(2, 5, 8))
    return (y ** 2).mean(), nn.ModuleList([qkv, proj, ln])

def _lstm():
    torch.manual_seed(0)
    rnn, head = nn.LSTM(3, 4, batch_first=True), nn.Linear(4, 1)
    x = torch.tensor(_normal((2, 4, 3)))
    out, (h, c) = rnn(x)
    return F.mse_loss(head(out[:, -1]), torch.tensor([[0.5], [-0.5]])), nn.ModuleList([rnn, head])

def _gru():
    torch.manual_seed(0)
    rnn = nn.GRU(3, 4)
    x = torch.tensor(_normal((4, 2, 3)))
    out, h = rnn(x)
    return out.pow(2).sum() + h.sum(), rnn

def _conv_pool():
    torch.manual_seed(0)
    conv, bn, fc = nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Linear(8, 3)
    x = torch.tensor(_normal((2, 1, 4, 4)))
    h = F.max_pool2d(F.relu(bn(conv(x))), 2).flatten(1)
    return F.cross_entropy(fc(h), torch.tensor([0, 2])), nn.ModuleList([conv, bn, fc])

def _moe():
    torch.manual_seed(0)
    gate, experts = nn.Linear(4, 3), nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    x = torch.tensor(_normal((5, 4)))
    weights, chosen = torch.topk(F.softmax(gate(x), dim=-1), 2, dim=-1)
    out = torch.zeros(5, 4, dtype=torch.float64)
    for slot in range(2):
        for e in range(3):
            rows = (chosen[:, slot] == e).nonzero(as_tuple=False).flatten()
            if rows.numel():
                y = experts[e](x[rows]) * weights[rows, slot, None]
                out = out.scatter_add(0, rows[:, None].expand(-1, 4), y)
    return out.pow(2).mean(), nn.ModuleList([gate, experts])

def _message_passing():
    torch.manual_seed(0)
    lin = nn.Linear(3, 3)
    x = torch.tensor(_normal((4, 3)))
    src, dst = torch.tensor([0, 1, 2, 3, 0]), torch.tensor([1, 2, 3, 0, 2])
    agg = torch.zeros(4, 3, dtype=torch.float64).index_add(0, dst, lin(x)[src])
    return F.relu(agg).sum(), lin

def _ctc():
    torch.manual_seed(0)
    lin = nn.Linear(3, 4)
    x = torch.tensor(_normal((6, 1, 3)))
    logp = F.log_softmax(lin(x), dim=-1)
    return F.ctc_loss(logp, torch.tensor([[1, 2]]), torch.tensor([6]), torch.tensor([2])), lin

class _Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * g

def _custom_function():
    w = nn.Parameter(np.array([0.5, -1.0, 2.0]), name="w")
    return _Cube.apply(w * 2).sum(), {"w": w}

def _hooks():
    w = nn.Parameter(np.array([1.0, -2.0, 0.5]), name="w")
    h = w * w
    h.register_hook(lambda g: g * 3)
    w.register_hook(lambda g: g + 1)
    return (h * torch.tensor([1.0, 2.0, 3.0])).sum(), {"w": w}

def _checkpointing():
    torch.manual_seed(0)
    blocks = nn.ModuleList([nn.Sequential(nn.Linear(3, 3), nn.Tanh()) for _ in range(2)])
    x = torch.tensor(_normal((2, 3)))
    for b in blocks:
        x = x + torch.utils.checkpoint.checkpoint(b, x, use_reentrant=False)
    return x.sum(), blocks

def _in_place():
    torch.manual_seed(0)
    lin = nn.Linear(3, 3)
    y = lin(torch.tensor(_normal((2, 3))))
    y.relu_()
    y[:, 0] = y[:, 1] * 2
    y += 1.0
    y.mul_(torch.tensor([1.0, 2.0, 3.0]))
    return y.sum(), lin

def _distributions():
    loc = nn.Parameter(np.array([0.0, 1.0]), name="loc")
    log_scale = nn.Parameter(np.array([0.1, -0.2]), name="log_scale")
    d = torch.distributions.Normal(loc, log_scale.exp())
    z = loc + log_scale.exp() * torch.tensor(_normal((3, 2)))   # rsample, by hand
    return -d.log_prob(z).sum() + d.entropy().sum(), {"loc": loc, "log_scale": log_scale}

def _mvn():
    tril = nn.Parameter(np.array([[1.0, 0.0], [0.3, 0.8]]), name="L")
    loc = nn.Parameter(np.array([0.2, -0.1]), name="mu")
    d = torch.distributions.MultivariateNormal(loc, scale_tril=torch.tril(tril))
    return -d.log_prob(torch.tensor([[0.5, 0.5], [1.0, -1.0]])).sum(), {"L": tril, "mu": loc}

def _einsum_attention():
    wq = nn.Parameter(_normal((4, 4)), name="wq")
    x = torch.tensor(_normal((3, 4)))
    q = x @ wq
    s = torch.einsum("id,jd->ij", q, x) / 2.0
    return torch.einsum("ij,jd->", F.softmax(s, -1), x), {"wq": wq}

def _spectral():
    w = nn.Parameter(_normal(8), name="w")
    spec = torch.fft.rfft(w * torch.hann_window(8, dtype=torch.float64))
    return (spec.abs() ** 2)[1:].sum(), {"w": w}

def _top_p():
    logits = nn.Parameter(np.array([1.0, 3.0, 0.5, 2.0]), name="logits")
    sorted_logits, order = torch.sort(logits, descending=True)
    cum = F.softmax(sorted_logits, -1).cumsum(-1)
    remove = cum > 0.8
    remove[1:] = remove[:-1].clone()
    remove[0] = False
    filtered = logits.scatter(0, order[remove], float("-inf"))
    return -F.log_softmax(filtered, -1)[1], {"logits": logits}

def _label_smoothing():
    torch.manual_seed(0)
    emb, head = nn.Embedding(6, 4), nn.Linear(4, 6)
    tokens = torch.tensor([[1, 2, 0, 3], [4, 5, 0, 0]])
    logits = head(emb(tokens[:, :-1]))
    loss = F.cross_entropy(logits.reshape(-1, 6), tokens[:, 1:].reshape(-1),
                           ignore_index=0, label_smoothing=0.1)
    return loss, nn.ModuleList([emb, head])

def _linalg():
    a = nn.Parameter(np.array([[2.0, 0.5], [0.5, 1.5]]), name="A")
    chol = torch.linalg.cholesky(a @ a.T + torch.eye(2, dtype=torch.float64))
    sol = torch.linalg.solve(chol, torch.tensor([1.0, 2.0]))
    return sol.sum() + torch.linalg.slogdet(a)[1], {"A": a}

def _clamp_where():
    w = nn.Parameter(np.array([-2.0, -0.5, 0.3, 1.7]), name="w")
    y = torch.where(w > 0, w.clamp(max=1.0), w * 0.1)
    return (y * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum(), {"w": w}

def _pointnet():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    pts = torch.tensor(_normal((2, 5, 3)))
    feat, _ = mlp(pts).max(dim=1)
    return feat.sum(), mlp

def _reductions():
    w = nn.Parameter(np.array([[1.0, 4.0, 2.0], [3.0, 3.0, -1.0]]), name="w")
    return w.amax(1).sum() + w.logsumexp(0).sum() + w.std(correction=1) + w.norm(), {"w": w}

def _gather_index():
    w = nn.Parameter(np.arange(6.0).reshape(2, 3) / 3, name="w")
    picked = w.gather(1, torch.tensor([[2, 2], [0, 1]]))
    return (picked ** 2).sum() + w[:, [0, 0]].sum() + w[w > 1].sum(), {"w": w}

# name -> (builder, ops that viz.text must name)
PROGRAMS = {
    "attention": (_attention, ["layer_norm", "softmax", "where"]),
    "lstm": (_lstm, ["lstm_layer"]),
    "gru": (_gru, ["gru_layer", "stack"]),
    "conv and pool": (_conv_pool, ["conv2d", "max_pool2d", "cross_entropy"]),
    "mixture of experts": (_moe, ["softmax", "take_along_axis", "index_add"]),
    "message passing": (_message_passing, ["index_add", "relu"]),
    "ctc": (_ctc, ["ctc_loss", "log_softmax"]),
    "custom Function": (_custom_function, ["_Cube"]),
    "hooks": (_hooks, ["multiply"]),
    "checkpointing": (_checkpointing, ["tanh"]),
    "in place": (_in_place, ["relu", "setitem"]),
    "distributions": (_distributions, ["exp", "log"]),
    "MultivariateNormal": (_mvn, ["diagonal"]),
    "einsum attention": (_einsum_attention, ["einsum", "softmax"]),
    "rfft": (_spectral, ["rfft"]),
    "sort and scatter": (_top_p, ["log_softmax"]),
    "label smoothing": (_label_smoothing, ["take", "log_softmax"]),
    "linalg": (_linalg, ["cholesky"]),
    "where and clamp": (_clamp_where, ["where", "clip"]),
    "pointnet": (_pointnet, ["relu"]),
    "reductions": (_reductions, ["logsumexp"]),
    "gather and index": (_gather_index, ["take_along_axis", "getitem"]),
}


HTML_NAMES = ["custom Function", "hooks", "in place", "sort and scatter",
              "message passing", "rfft", "where and clamp", "ctc"]


globals().update(teaching_tests(PROGRAMS, HTML_NAMES))


# ----------------------------------------------------------------------------------
# explain's stories where entries are zero: true, and blaming the op that zeroed them
# ----------------------------------------------------------------------------------
def _explained(name):
    loss, params = PROGRAMS[name][0]()
    loss.backward(retain_graph=True)
    return {key: (grad_of(p), ad.explain(p)) for key, p in named(params).items()}


def test_a_reparameterised_location_cancels_and_explain_says_so():
    # z = loc + scale * eps, so z - loc (all that log_prob sees of loc) is free of loc.
    grad, story = _explained("distributions")["loc"]
    assert np.array_equal(grad, [0.0, 0.0])
    assert "So the gradient really is zero here" in story and "cancels out" in story


def test_the_window_zero_is_blamed_on_the_multiply_by_it():
    grad, story = _explained("rfft")["w"]
    assert grad[0] == 0 and np.all(grad[1:] != 0)            # hann_window(8)[0] == 0
    assert "multiply passes zero gradient to its input 'a' at 1 of 8 positions" in story


def test_the_clipped_entry_is_blamed_on_clip():
    grad, story = _explained("where and clamp")["w"]
    assert np.array_equal(grad, [0.1, 0.2, 3.0, 0.0])      # 1.7 clipped at 1
    assert "clip: clip gives zero gradient where a bound wins" in story


def test_the_filtered_logits_are_blamed_on_the_write_and_the_read():
    grad, story = _explained("sort and scatter")["logits"]
    assert np.count_nonzero(grad) == 2 and grad[1] != 0 and grad[3] != 0
    assert "setitem gives x zero gradient where it writes" in story


def test_the_masked_upper_triangle_is_blamed_on_where():
    grad, story = _explained("MultivariateNormal")["L"]
    assert grad[0, 1] == 0 and np.count_nonzero(grad) == 3
    assert "where gives zero gradient to the positions it did not select" in story
