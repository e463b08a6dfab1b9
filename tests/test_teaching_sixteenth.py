"""The teaching tools on PyTorch-style programs of the kind the scripts of rounds 17-19
run, with ops the last round's programs did not reach: complex 0-d scalar arithmetic,
``as_strided`` windows, ``einsum`` of a list, ``remainder``, ``narrow`` and ``chunk``, a
uint count, causal dilated ``Conv1d`` with ``avg_pool1d``, ``ConvTranspose2d`` with
adaptive pooling, an unrolled ``RNNCell``, ``nn.MultiheadAttention`` with a causal mask,
Gamma and Beta distributions with a KL divergence, sparsemax as a custom ``Function``,
``checkpoint_sequential``, ``clamp_``/``masked_fill_``/``index_add_``/``tanh_`` in place,
a Cox loss by ``logcumsumexp``, ``unfold``/``fold``, ``affine_grid``/``grid_sample``,
hooks clipping and normalising the gradient arrays they receive, and ``EmbeddingBag``.

For each graph: ``viz.text`` names the ops; ``viz.steps`` (before any backward, writing
no ``.grad``) gives the gradients ``backward()`` then stores; ``viz.draw`` with
``params=`` shows each parameter's gradient and the loss; ``explain`` counts the nonzero
entries; the same program under ``detect_anomaly`` raises nothing and gives the same
gradients; the HTML page's totals are the gradients; after a plain ``backward()`` the
tools say the graph was freed.  Then explain's stories where entries are zero, checked
against the gradient.
"""


import numpy as np
import pytest
from teaching_checks import grad_of, teaching_tests
from test_compile_probe_programs_newest_scripts_more import SparsemaxFunction

import autodiff as ad
import autodiff as torch            # the programs are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn



def _normal(size):
    return np.random.default_rng(16).normal(size=size)


def _complex_scalar():
    w = nn.Parameter(np.array([0.3, -1.2]), name="w")
    z = w[0] + 1j * w[1]                         # 0-d complex
    z = z * (2 - 0.5j) + z.conj() / (1 + 1j)
    return (z * z.conj()).real + torch.angle(z), {"w": w}

def _as_strided_windows():
    torch.manual_seed(0)
    s = nn.Parameter(np.sin(np.linspace(0, 6, 12)), name="s")
    windows = s.as_strided((8, 5), (1, 1))
    lin = nn.Linear(5, 1)
    loss = F.l1_loss(lin(windows).squeeze(-1), s[4:12].detach())
    return loss, {"s": s, "weight": lin.weight, "bias": lin.bias}

def _einsum_list():
    a = nn.Parameter(_normal((4, 3)), name="a")
    b = nn.Parameter(_normal((3, 5)), name="b")
    out = torch.einsum("nc,ck->nk", [a, b])
    pos = torch.einsum("nc,nc->n", (a, a))
    return F.cross_entropy(out, torch.tensor([0, 1, 4, 2])) + pos.mean(), {"a": a, "b": b}

def _remainder_phase():
    w = nn.Parameter(np.array([0.4, 3.5, -2.0, 7.1]), name="w")
    phase = torch.remainder(w * 2.0, 2 * np.pi)
    return (torch.sin(phase) * phase).sum() + (w % 1.5).sum(), {"w": w}

def _narrow_chunks():
    w = nn.Parameter(_normal((4, 6)), name="w")
    a = w.narrow(1, 1, 3)
    b, c = w.narrow(0, 2, 2).chunk(2, dim=1)
    return (a ** 2).sum() + (b * c).sum(), {"w": w}

def _uint_counts():
    w = nn.Parameter(np.array([0.5, -1.0, 2.0, 0.1]), name="w")
    counts = torch.tensor(np.array([3, 0, 1, 2], dtype=np.uint8))
    total = counts.sum()
    return (w * counts).sum() / total, {"w": w}

def _wavenet():
    torch.manual_seed(0)
    filt, gate = nn.Conv1d(2, 2, 2, dilation=2), nn.Conv1d(2, 2, 2, dilation=2)
    x = torch.tensor(_normal((1, 2, 8)))
    padded = F.pad(x, (2, 0))
    z = torch.tanh(filt(padded)) * torch.sigmoid(gate(padded))
    return F.avg_pool1d(z, 2).pow(2).mean(), nn.ModuleList([filt, gate])

def _conv_transpose_pool():
    torch.manual_seed(0)
    up = nn.ConvTranspose2d(2, 1, 2, stride=2)
    x = torch.tensor(_normal((1, 2, 3, 3)))
    y = F.adaptive_avg_pool2d(up(x), 2) + F.avg_pool2d(up(x), 3, stride=3)
    return y.sum(), up

def _rnn_cell():
    torch.manual_seed(0)
    cell, head = nn.RNNCell(2, 3), nn.Linear(3, 1)
    h = torch.zeros(1, 3, dtype=torch.float64)
    loss = 0
    for t, x in enumerate(_normal((4, 1, 2))):
        h = cell(torch.tensor(x), h)
        loss = loss + (head(h) - t * 0.1).pow(2).sum()
    return loss, nn.ModuleList([cell, head])

def _multihead():
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = torch.tensor(_normal((2, 3, 4)))
    mask = torch.triu(torch.ones(3, 3, dtype=torch.bool), diagonal=1)
    out, weights = mha(x, x, x, attn_mask=mask)
    return out.pow(2).mean() + weights.max(), mha

def _gamma_beta():
    conc = nn.Parameter(np.array([1.5, 2.0]), name="conc")
    rate = nn.Parameter(np.array([0.5, 1.0]), name="rate")
    g = torch.distributions.Gamma(conc, rate)
    b = torch.distributions.Beta(conc, rate * 3)
    x = torch.tensor([0.3, 0.8])
    prior = torch.distributions.Gamma(torch.tensor([1.0, 1.0]), torch.tensor([1.0, 1.0]))
    kl = torch.distributions.kl_divergence(g, prior)
    return -g.log_prob(x).sum() - b.log_prob(x).sum() + kl.sum(), {"conc": conc, "rate": rate}

def _sparsemax():
    torch.manual_seed(0)
    lin = nn.Linear(4, 4)
    probs = SparsemaxFunction.apply(lin(torch.tensor(_normal((3, 4)) * 2)), -1)
    return ((probs - torch.eye(4, dtype=torch.float64)[:3]) ** 2).sum(), lin

def _checkpoint_sequential():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 4), nn.Softplus(),
                          nn.Linear(4, 1))
    x = torch.tensor(_normal((2, 3)))
    out = torch.utils.checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=False)
    return out.sum(), model

def _in_place_more():
    torch.manual_seed(0)
    lin = nn.Linear(3, 4)
    y = lin(torch.tensor(_normal((2, 3))))
    y.clamp_(min=-0.5)
    y.masked_fill_(y > 0.8, 0.8)
    y.index_add_(1, torch.tensor([0, 0]), y[:, 2:4].clone())
    y.tanh_()
    return y.sum(), lin

def _logcumsumexp_cox():
    w = nn.Parameter(_normal(3), name="w")
    x = torch.tensor(_normal((6, 3)))
    times = torch.tensor([5.0, 3.0, 4.0, 1.0, 2.0, 6.0])
    order = torch.argsort(times, descending=True)
    risk = (x @ w)[order]
    return -(risk - torch.logcumsumexp(risk, 0)).mean(), {"w": w}

def _unfold_fold():
    w = nn.Parameter(_normal((1, 1, 4, 4)), name="img")
    patches = F.unfold(w, 2, stride=1)
    back = F.fold(patches * 0.5, (4, 4), 2, stride=1)
    return (back ** 2).sum(), {"img": w}

def _grid_sample():
    img = nn.Parameter(_normal((1, 1, 3, 3)), name="img")
    theta = nn.Parameter(np.array([[[0.9, 0.1, 0.05], [-0.1, 0.8, 0.0]]]), name="theta")
    grid = F.affine_grid(theta, (1, 1, 3, 3), align_corners=False)
    return F.grid_sample(img, grid, align_corners=False).pow(2).sum(), {"img": img, "theta": theta}

def _hook_grad():
    w = nn.Parameter(np.array([1.0, -2.0, 0.5]), name="w")
    h = w * w
    h.register_hook(lambda g: g.clip(-1.0, 1.0))        # g is a NumPy array (a GradArray)
    w.register_hook(lambda g: g / g.norm())
    return (h * torch.tensor([1.0, 2.0, 3.0])).sum(), {"w": w}

def _embedding_bag():
    torch.manual_seed(0)
    bag = nn.EmbeddingBag(5, 3, mode="mean")
    out = bag(torch.tensor([0, 2, 4, 1, 1]), torch.tensor([0, 2]))
    return F.softplus(out).sum(), bag

# name -> (builder, ops that viz.text must name)
PROGRAMS = {
    "complex 0-d": (_complex_scalar, ["multiply", "conj", "angle"]),
    "as_strided": (_as_strided_windows, ["as_strided", "abs"]),
    "einsum of a list": (_einsum_list, ["einsum", "cross_entropy"]),
    "remainder": (_remainder_phase, ["mod", "sin"]),
    "narrow and chunk": (_narrow_chunks, ["getitem", "power"]),
    "uint counts": (_uint_counts, ["multiply", "divide"]),
    "causal conv": (_wavenet, ["conv2d", "tanh"]),
    "conv transpose": (_conv_transpose_pool, ["conv2d_input_grad"]),
    "rnn cell": (_rnn_cell, ["tanh", "matmul"]),
    "multihead attention": (_multihead, ["softmax", "where"]),
    "gamma and beta": (_gamma_beta, ["lgamma", "digamma", "xlogy"]),
    "sparsemax": (_sparsemax, ["SparsemaxFunction"]),
    "checkpoint_sequential": (_checkpoint_sequential, ["gelu"]),
    "in place": (_in_place_more, ["clip", "index_add", "tanh", "overwrite"]),
    "cox": (_logcumsumexp_cox, ["logcumsumexp"]),
    "unfold and fold": (_unfold_fold, ["unfold", "fold"]),
    "grid_sample": (_grid_sample, ["take_along_axis", "floor"]),
    "hooks": (_hook_grad, ["multiply"]),
    "embedding bag": (_embedding_bag, ["take"]),
}


HTML_NAMES = ["complex 0-d", "as_strided", "remainder", "cox", "sparsemax",
              "in place", "hooks", "unfold and fold"]


globals().update(teaching_tests(PROGRAMS, HTML_NAMES))


# ----------------------------------------------------------------------------------
# explain's stories where entries are zero: each count is the gradient's
# ----------------------------------------------------------------------------------
def _narrowed_square():
    w = nn.Parameter(np.array([[1.0, 0.0, 4.0, 2.0]]), name="w")
    return (w.narrow(1, 1, 2) ** 2).sum(), w

def _strided_windows():
    s = nn.Parameter(np.arange(6.0), name="s")
    return s.as_strided((2, 2), (2, 1)).sum(), s                # reads s[0:4] only

def _weighted_by_counts():
    w = nn.Parameter(np.array([0.5, -1.0, 2.0, 0.1]), name="w")
    counts = torch.tensor(np.array([3, 0, 1, 2], dtype=np.uint8))
    return (w * counts).sum(), w

def _max_pooled():
    img = nn.Parameter(np.arange(16.0).reshape(1, 1, 4, 4) % 5, name="img")
    return F.max_pool2d(img, 2).sum(), img


ZEROS = {
    # name: (program, its gradient, the lines explain must give)
    "narrow": (_narrowed_square, [[0.0, 0.0, 8.0, 0.0]],
               ["getitem: getitem passes zero gradient to its input 'x' at 2 of 4 positions",
                "power: power passes zero gradient to its input 'a' at 1 of 2 positions"]),
    "as_strided": (_strided_windows, [1.0, 1.0, 1.0, 1.0, 0.0, 0.0],
                   ["as_strided: as_strided passes zero gradient to its input 'x' at 2 of 6 "
                    "positions"]),
    "a uint count of 0": (_weighted_by_counts, [3.0, 0.0, 1.0, 2.0],
                          ["multiply: multiply passes zero gradient to its input 'a' at 1 of "
                           "4 positions"]),
    "max_pool2d": (_max_pooled, None,
                   ["max_pool2d: max_pool2d passes zero gradient to its input 'x' at 12 of 16 "
                    "positions"]),
}


@pytest.mark.parametrize("name", list(ZEROS))
def test_explain_blames_the_op_that_zeroed_the_entries_with_their_true_count(name):
    program, expected, lines = ZEROS[name]
    loss, p = program()
    loss.backward(retain_graph=True)
    grad = grad_of(p)
    if expected is not None:
        np.testing.assert_array_equal(grad, expected)
    story = ad.explain(p)
    assert f"nonzero entries: {np.count_nonzero(grad)} of {grad.size}" in story
    for line in lines:
        assert line in story, story


def test_explain_says_the_hooks_changed_the_gradient():
    # w's hook normalises, h's clips: .grad is not the chain rule's 2 w [1, 2, 3]
    loss, params = PROGRAMS["hooks"][0]()
    loss.backward(retain_graph=True)
    w = params["w"]
    clipped = np.clip(np.array([1.0, 2.0, 3.0]), -1.0, 1.0) * 2 * w.data
    np.testing.assert_allclose(w.grad, clipped / np.linalg.norm(clipped), rtol=1e-15)
    story = ad.explain(w)
    assert ("Gradient hooks on the way replace what flows there, so .grad is what they "
            "returned, not the chain rule alone: <lambda> (register_hook) on this tensor; "
            "<lambda> (register_hook) on the output of multiply.") in story


def test_explain_without_hooks_says_nothing_of_them():
    loss, params = PROGRAMS["narrow and chunk"][0]()
    loss.backward(retain_graph=True)
    assert "hook" not in ad.explain(params["w"])
