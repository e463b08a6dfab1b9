"""Nested function transforms through ops with special derivative rules, ``nn``
modules, and functions that call ``backward()`` or ``ad.autograd.grad`` inside a
transform, compared with ``torch.func`` in float64 (second derivatives through
where/abs/max ties, sort, cumsum, matmul, einsum, indexing, softmax, cross_entropy,
layer_norm, conv2d, an LSTM cell; per-example gradients and gradient penalties of a
module through ``functional_call``)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")
tf = torch.func
F = ad.nn.functional
TF = torch.nn.functional

from torch_compare import T, as_numpy, assert_same  # noqa: E402

RNG = np.random.default_rng(20261206)
X3 = RNG.standard_normal(3)
Y3 = RNG.standard_normal(3)
M23 = RNG.standard_normal((2, 3))
B43 = RNG.standard_normal((4, 3))


CASES = {}


def case(function):
    """Register ``function() -> (ours, reference)`` as a comparison case."""
    CASES[function.__name__] = function
    return function


# ----- ops with special derivative rules, to second order -------------------------

def _second_orders(ours_f, ref_f, x, v, reference_hessian):
    """Hessian (jacfwd of jacrev), jacrev of grad, jvp of grad and hvp of a scalar
    function, ours and the reference's."""
    ours = (ad.hessian(ours_f)(x), ad.jacrev(ad.grad(ours_f))(x),
            ad.jvp(ad.grad(ours_f), (x,), (v,)), ad.hvp(ours_f, x, v))
    h = reference_hessian(ref_f)(T(x))
    ref = (h, tf.jacrev(tf.grad(ref_f))(T(x)), tf.jvp(tf.grad(ref_f), (T(x),), (T(v),)),
           h.reshape(x.size, x.size) @ T(v).reshape(-1))
    return ours, (ref[0], ref[1], ref[2], ref[3].reshape(np.shape(x)))


def _special(name, ours_f, ref_f, x, v=None, reference_hessian=tf.hessian):
    def build():
        return _second_orders(ours_f, ref_f, np.asarray(x, dtype=float),
                              np.asarray(Y3[:np.size(x)] if v is None else v,
                                         dtype=float).reshape(np.shape(x)),
                              reference_hessian)
    build.__name__ = name
    case(build)


_special("where", lambda x: ad.where(x > 0, x ** 3, ad.sin(x) * x).sum(),
         lambda x: torch.where(x > 0, x ** 3, torch.sin(x) * x).sum(), [0.5, -1.2, 2.0])
_special("abs_at_zero", lambda x: (ad.abs(x) ** 3 + ad.abs(x) * x).sum(),
         lambda x: (torch.abs(x) ** 3 + torch.abs(x) * x).sum(), [0.0, -1.3, 2.0])
_special("max_with_ties", lambda x: ad.max(x) * (x ** 2).sum(),
         lambda x: torch.max(x) * (x ** 2).sum(), [2.0, -1.0, 2.0])
_special("maximum_with_ties", lambda x: (ad.maximum(x, x[::-1]) ** 2).sum(),
         lambda x: (torch.maximum(x, x.flip(0)) ** 2).sum(), [1.0, 3.0, 1.0])
_special("sort", lambda x: (ad.sort(x) ** 2 * np.array([1.0, 2.0, 3.0])).sum() * x[0],
         lambda x: (torch.sort(x).values ** 2 * T([1.0, 2.0, 3.0])).sum() * x[0],
         [0.3, -1.0, 2.0])
_special("cumsum", lambda x: (ad.cumsum(x, 0) ** 2 * ad.sin(x)).sum(),
         lambda x: (torch.cumsum(x, 0) ** 2 * torch.sin(x)).sum(), X3)
_special("matmul", lambda x: ad.tanh(M23 @ x).sum() * (x @ x),
         lambda x: torch.tanh(T(M23) @ x).sum() * (x @ x), X3)
_special("matrix_matmul", lambda x: ((x.reshape(2, 2) @ x.reshape(2, 2).T) ** 2).sum(),
         lambda x: ((x.reshape(2, 2) @ x.reshape(2, 2).T) ** 2).sum(), B43[0, :2].tolist()
         + B43[1, :2].tolist(), B43[2].tolist()[:2] + B43[3].tolist()[:2])
_special("einsum", lambda x: ad.einsum("ij,j,i->", M23, x * x, ad.exp(x[:2])),
         lambda x: torch.einsum("ij,j,i->", T(M23), x * x, torch.exp(x[:2])), X3)
_special("fancy_indexing_with_repeats", lambda x: (x[[0, 2, 0]] ** 2 * x[1:2]).sum(),
         lambda x: (x[[0, 2, 0]] ** 2 * x[1:2]).sum(), X3)
_special("boolean_mask", lambda x: (x[np.array([True, False, True])] ** 3).sum(),
         lambda x: (x[torch.tensor([True, False, True])] ** 3).sum(), X3)
_special("softmax_log_softmax",
         lambda x: (F.softmax(x * x, dim=0) * X3).sum() + F.log_softmax(x, dim=0)[1],
         lambda x: (TF.softmax(x * x, dim=0) * T(X3)).sum() + TF.log_softmax(x, dim=0)[1],
         X3)
_special("cross_entropy",
         lambda x: F.cross_entropy(x.reshape(2, 3) * x[0], np.array([2, 0])),
         lambda x: TF.cross_entropy(x.reshape(2, 3) * x[0], torch.tensor([2, 0])),
         RNG.standard_normal(6), RNG.standard_normal(6))
# torch.func.hessian (and jacrev of jacrev) of layer_norm whose weight depends on the
# input is off in PyTorch itself (its jacrev of grad and finite differences agree
# with ours), so the reference Hessian here is jacrev of grad.
_special("layer_norm",
         lambda x: (F.layer_norm(x.reshape(2, 3), (3,), x[:3], x[3:]) ** 3).sum(),
         lambda x: (TF.layer_norm(x.reshape(2, 3), (3,), x[:3], x[3:]) ** 3).sum(),
         RNG.standard_normal(6), RNG.standard_normal(6),
         reference_hessian=lambda f: tf.jacrev(tf.grad(f)))
_CONV_X = RNG.standard_normal((1, 2, 4, 4))
_special("conv2d",
         lambda w: (ad.tanh(F.conv2d(_CONV_X * w.sum(), w.reshape(1, 2, 2, 2))) ** 2).sum(),
         lambda w: (torch.tanh(TF.conv2d(T(_CONV_X) * w.sum(), w.reshape(1, 2, 2, 2))) ** 2
                    ).sum(), RNG.standard_normal(8), RNG.standard_normal(8))


def _index_assignment_ours(x):
    y = ad.zeros(4)
    y[1:] = x ** 2
    y[0] = x[0] * x[1]
    return (ad.sin(y) * y).sum()


def _index_assignment_ref(x):
    y = torch.cat([(x[0] * x[1]).reshape(1), x ** 2])
    return (torch.sin(y) * y).sum()


_special("index_assignment", _index_assignment_ours, _index_assignment_ref, X3)


# ----- nn modules through functional_call -----------------------------------------

def _torch_linear_params(params):
    """autodiff's Linear keeps weight as (in, out), PyTorch's as (out, in)."""
    return {k: (v.T if k.endswith("weight") else v) for k, v in params.items()}


def _mlp_pair():
    ours = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Tanh(), ad.nn.Linear(4, 1))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                              torch.nn.Linear(4, 1)).double()
    params = {name: np.array(p.data) for name, p in ours.named_parameters()}
    return ours, ref, params


@case
def per_example_grads_of_a_module():
    ours_m, ref_m, params = _mlp_pair()

    def ours_loss(p, x):
        return (ad.func.functional_call(ours_m, p, (x[None],)) ** 2).sum()

    def ref_loss(p, x):
        return (tf.functional_call(ref_m, _torch_linear_params(p), (x[None],)) ** 2).sum()

    return (ad.vmap(ad.grad(ours_loss), in_dims=(None, 0))(params, B43),
            tf.vmap(tf.grad(ref_loss), in_dims=(None, 0))(
                {k: T(v) for k, v in params.items()}, T(B43)))


@case
def gradient_penalty_of_a_module_wrt_its_weights():
    ours_m, ref_m, params = _mlp_pair()

    def ours_penalty(p):
        g = ad.grad(lambda x: ad.func.functional_call(ours_m, p, (x,)).sum())(B43)
        return ((g ** 2).sum(axis=1) - 1.0).sum() ** 2

    def ref_penalty(p):
        g = tf.grad(lambda x: tf.functional_call(ref_m, _torch_linear_params(p),
                                                 (x,)).sum())(T(B43))
        return ((g ** 2).sum(dim=1) - 1.0).sum() ** 2

    return ad.grad(ours_penalty)(params), tf.grad(ref_penalty)(
        {k: T(v) for k, v in params.items()})


@case
def hessian_of_a_module_wrt_its_input():
    ours_m, ref_m, params = _mlp_pair()
    return (ad.hessian(lambda x: ours_m(x[None]).sum())(X3),
            tf.hessian(lambda x: tf.functional_call(ref_m, _torch_linear_params(
                {k: T(v) for k, v in params.items()}), (x[None],)).sum())(T(X3)))


@case
def maml_two_inner_steps_and_per_task_meta_gradients():
    ours_m, ref_m, params = _mlp_pair()
    xs, ys = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 1))
    tasks_x, tasks_y = RNG.standard_normal((3, 5, 3)), RNG.standard_normal((3, 5, 1))

    def ours_loss(p, x, y):
        return ((ad.func.functional_call(ours_m, p, (x,)) - y) ** 2).mean()

    def ref_loss(p, x, y):
        return ((tf.functional_call(ref_m, _torch_linear_params(p), (x,)) - y) ** 2).mean()

    def adapted(grad, loss, p, x, y, steps):
        for _ in range(steps):
            g = grad(loss)(p, x, y)
            p = {k: p[k] - 0.1 * g[k] for k in p}
        return loss(p, x, y)

    tparams = {k: T(v) for k, v in params.items()}
    ours = (ad.grad(lambda p: adapted(ad.grad, ours_loss, p, xs, ys, 2))(params),
            ad.vmap(ad.grad(lambda p, x, y: adapted(ad.grad, ours_loss, p, x, y, 1)),
                    in_dims=(None, 0, 0))(params, tasks_x, tasks_y))
    ref = (tf.grad(lambda p: adapted(tf.grad, ref_loss, p, T(xs), T(ys), 2))(tparams),
           tf.vmap(tf.grad(lambda p, x, y: adapted(tf.grad, ref_loss, p, x, y, 1)),
                   in_dims=(None, 0, 0))(tparams, T(tasks_x), T(tasks_y)))
    return ours, ref


def _lstm_ref(x, h, c, p):
    gates = x @ p["weight_ih"] + p["bias_ih"] + h @ p["weight_hh"] + p["bias_hh"]
    i, f, g, o = gates.chunk(4, dim=-1)
    c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c2), c2


@case
def lstm_cell_hessian_and_jacobians():
    cell = ad.nn.LSTMCell(3, 2)
    params = {name: np.array(p.data) for name, p in cell.named_parameters()}
    tparams = {k: T(v) for k, v in params.items()}
    h0, c0 = RNG.standard_normal((1, 2)), RNG.standard_normal((1, 2))

    def ours_f(x):
        h, c = cell(x[None], (ad.tensor(h0), ad.tensor(c0)))
        return (h * c).sum()

    def ref_f(x):
        h, c = _lstm_ref(x[None], T(h0), T(c0), tparams)
        return (h * c).sum()

    assert_same(as_numpy(ours_f(X3)), as_numpy(ref_f(T(X3))), "the cells' values")
    return ((ad.hessian(ours_f)(X3), ad.jacrev(ad.jacfwd(ours_f))(X3)),
            (tf.hessian(ref_f)(T(X3)), tf.jacrev(tf.jacfwd(ref_f))(T(X3))))


# ----- functions that call backward() or autograd.grad inside a transform ----------

@case
def autograd_grad_create_graph_inside_grad():
    def ours_f(x):
        (g,) = ad.autograd.grad((ad.sin(x) * x ** 2).sum(), x, create_graph=True)
        return (g ** 2).sum()

    def ref_f(x):
        return (tf.grad(lambda z: (torch.sin(z) * z ** 2).sum())(x) ** 2).sum()

    tracked = ad.tensor(X3, requires_grad=True)
    return ((ad.grad(ours_f)(X3), ad.jacfwd(ours_f)(X3), ad.hessian(ours_f)(X3),
             ad.grad(ours_f)(tracked)),
            (tf.grad(ref_f)(T(X3)), tf.jacfwd(ref_f)(T(X3)), tf.hessian(ref_f)(T(X3)),
             tf.grad(ref_f)(T(X3))))


@case
def backward_create_graph_on_a_local_leaf_inside_jacrev():
    w0 = Y3

    def ours_f(x):
        w = ad.tensor(w0, requires_grad=True)
        ((w * x).sum() ** 2).backward(inputs=[w], create_graph=True)
        return w.grad * 1.0

    ref = tf.jacrev(lambda x: 2 * (T(w0) @ x) * x)(T(X3))
    return (ad.jacrev(ours_f)(X3), ad.jacfwd(ours_f)(X3)), (ref, ref)


@case
def backward_inside_a_transform_on_an_unrelated_graph():
    def ours_f(x):
        w = ad.tensor(Y3, requires_grad=True)
        (ad.sin(w) ** 2).sum().backward()
        return (w.grad * ad.exp(x)).sum()

    def ref_f(x):
        return (2 * torch.sin(T(Y3)) * torch.cos(T(Y3)) * torch.exp(x)).sum()

    return ad.hessian(ours_f)(X3), tf.hessian(ref_f)(T(X3))


@case
def gradient_penalty_with_eager_autograd():
    x = ad.tensor(X3, requires_grad=True)
    (g,) = ad.autograd.grad((ad.tanh(x) ** 3).sum(), x, create_graph=True)
    ((g ** 2).sum()).backward()
    xt = T(X3).requires_grad_()
    (gt,) = torch.autograd.grad((torch.tanh(xt) ** 3).sum(), xt, create_graph=True)
    ((gt ** 2).sum()).backward()
    return x.grad, xt.grad


@case
def grad_of_a_tracked_argument_feeds_backward():
    x = ad.tensor(X3, requires_grad=True)
    ad.grad(lambda z: (ad.sin(z) * z).sum())(x).pow(2).sum().backward()
    xt = T(X3).requires_grad_()
    tf.grad(lambda z: (torch.sin(z) * z).sum())(xt).pow(2).sum().backward()
    return x.grad, xt.grad


# ----- Jacobians of single ops, by every mode (jacfwd pushes its tangents as a batch) --

X23 = RNG.standard_normal((2, 3))
B233 = RNG.standard_normal((2, 3, 3))

OP_PAIRS = {
    "advanced_index": (lambda x: x[[1, 0, 1], [2, 2, 0]], lambda x: x[[1, 0, 1], [2, 2, 0]]),
    "none_ellipsis_slice": (lambda x: x[None, ..., 1:], lambda x: x[None, ..., 1:]),
    "boolean_index": (lambda x: x[x > 0] * 2, lambda x: x[x > 0] * 2),
    "batched_matmul": (lambda x: x[None] @ B233, lambda x: x[None] @ T(B233)),
    "vector_matmul": (lambda x: x[0] @ B233, lambda x: x[0] @ T(B233)),
    "transpose_axes": (lambda x: ad.transpose(x[None] * x[:, None], (2, 0, 1)),
                       lambda x: (x[None] * x[:, None]).permute(2, 0, 1)),
    "concatenate_flat": (lambda x: ad.concatenate([x, x[:1] * 2], axis=None),
                         lambda x: torch.cat([x.reshape(-1), (x[:1] * 2).reshape(-1)])),
    "stack_last_axis": (lambda x: ad.stack([x, x ** 2], axis=-1),
                        lambda x: torch.stack([x, x ** 2], -1)),
    "sum_keepdims": (lambda x: (x ** 2).sum(axis=1, keepdims=True) * x,
                     lambda x: (x ** 2).sum(1, keepdim=True) * x),
    "broadcast_to": (lambda x: ad.broadcast_to(x[:, :1], (2, 3)) * x,
                     lambda x: x[:, :1].expand(2, 3) * x),
    "cumsum_axis1": (lambda x: ad.cumsum(x * x, 1), lambda x: torch.cumsum(x * x, 1)),
    "sort_axis0": (lambda x: ad.sort(x, 0) * x, lambda x: torch.sort(x, 0).values * x),
    "max_axis": (lambda x: ad.max(x, axis=1), lambda x: torch.amax(x, 1)),
    "logsumexp": (lambda x: ad.logsumexp(x, axis=0), lambda x: torch.logsumexp(x, 0)),
    "norm": (lambda x: ad.linalg.norm(x, axis=1), lambda x: torch.linalg.norm(x, dim=1)),
    "clip": (lambda x: ad.clip(x, -0.5, 0.5) * x, lambda x: torch.clamp(x, -0.5, 0.5) * x),
    "inv": (lambda x: ad.linalg.inv(x[:, :2] @ x[:, :2].T + np.eye(2)),
            lambda x: torch.linalg.inv(x[:, :2] @ x[:, :2].T + torch.eye(2, dtype=x.dtype))),
    "det": (lambda x: ad.linalg.det(x[:, :2] + 2 * np.eye(2)),
            lambda x: torch.linalg.det(x[:, :2] + 2 * torch.eye(2, dtype=x.dtype))),
    "max_pool2d": (lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1),
                   lambda x: TF.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1)),
    "pad": (lambda x: F.pad(x ** 2, (1, 2)), lambda x: TF.pad(x ** 2, (1, 2))),
    "nll_of_log_softmax": (lambda x: F.nll_loss(F.log_softmax(x, dim=1), np.array([2, 0])),
                           lambda x: TF.nll_loss(TF.log_softmax(x, 1), torch.tensor([2, 0]))),
    "abs_pow_self": (lambda x: ad.abs(x) ** x, lambda x: torch.abs(x) ** x),
}

MODES = {
    "jacfwd": (ad.jacfwd, tf.jacfwd),
    "jacfwd_one_tangent_at_a_time": (lambda f: ad.jacfwd(f, vectorized=False), tf.jacfwd),
    "jacrev": (ad.jacrev, tf.jacrev),
    "hessian_of_squares": (lambda f: ad.hessian(lambda x: (f(x) ** 2).sum()),
                           lambda f: tf.hessian(lambda x: (f(x) ** 2).sum())),
}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("op", sorted(OP_PAIRS))
def test_jacobians_of_an_op_match_torch_in_every_mode(op, mode):
    ours_f, ref_f = OP_PAIRS[op]
    ours_mode, ref_mode = MODES[mode]
    assert_same(as_numpy(ours_mode(ours_f)(X23)), as_numpy(ref_mode(ref_f)(T(X23))))


def _attention_ref(q, k, v, causal=False):
    """softmax(q kᵀ / sqrt(d)) v, written out: PyTorch's fused kernel has no forward-mode
    or second derivative on CPU."""
    scores = q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1])
    if causal:
        n = q.shape[-2]
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, -1) @ v


Q1234 = RNG.standard_normal((1, 2, 3, 4))
G143 = RNG.standard_normal((1, 4, 3))
_W_CONV1D = RNG.standard_normal((2, 2, 3))
_W_CONV_T = RNG.standard_normal((2, 2, 2, 2))
_EMBEDDING_IDS = np.array([0, 2, 2, 1])

NN_PAIRS = {
    "attention": (lambda q: F.scaled_dot_product_attention(q, q * 0.5, q ** 2),
                  lambda q: _attention_ref(q, q * 0.5, q ** 2), Q1234),
    "causal_attention": (
        lambda q: F.scaled_dot_product_attention(q, q * 0.5, q ** 2, is_causal=True),
        lambda q: _attention_ref(q, q * 0.5, q ** 2, causal=True), Q1234),
    "conv1d": (lambda x: F.conv1d(x.reshape(1, 2, 6), _W_CONV1D, padding=1),
               lambda x: TF.conv1d(x.reshape(1, 2, 6), T(_W_CONV1D), padding=1), G143),
    "conv_transpose2d": (
        lambda x: F.conv_transpose2d(x.reshape(1, 2, 2, 3), _W_CONV_T, stride=2),
        lambda x: TF.conv_transpose2d(x.reshape(1, 2, 2, 3), T(_W_CONV_T), stride=2), G143),
    "embedding_repeated_ids": (lambda w: F.embedding(_EMBEDDING_IDS, w[0]) ** 2,
                               lambda w: TF.embedding(torch.tensor(_EMBEDDING_IDS), w[0]) ** 2,
                               G143),
    "group_norm": (lambda x: F.group_norm(x.reshape(1, 4, 3), 2),
                   lambda x: TF.group_norm(x.reshape(1, 4, 3), 2), G143),
    "batch_norm_training": (lambda x: F.batch_norm(x.reshape(4, 3), None, None, training=True),
                            lambda x: TF.batch_norm(x.reshape(4, 3), None, None,
                                                    training=True), G143),
    "bilinear_interpolate": (
        lambda x: F.interpolate(x.reshape(1, 1, 4, 3), scale_factor=2, mode="bilinear",
                                align_corners=False),
        lambda x: TF.interpolate(x.reshape(1, 1, 4, 3), scale_factor=2, mode="bilinear",
                                 align_corners=False), G143),
    "cross_entropy_label_smoothing": (
        lambda x: F.cross_entropy(x.reshape(4, 3), np.array([0, 2, 1, 1]), label_smoothing=0.1),
        lambda x: TF.cross_entropy(x.reshape(4, 3), torch.tensor([0, 2, 1, 1]),
                                   label_smoothing=0.1), G143),
    "kl_div": (lambda x: F.kl_div(F.log_softmax(x, dim=-1), F.softmax(x * 2, dim=-1),
                                  reduction="batchmean"),
               lambda x: TF.kl_div(TF.log_softmax(x, -1), TF.softmax(x * 2, -1),
                                   reduction="batchmean"), G143),
    "normalize": (lambda x: F.normalize(x, dim=-1), lambda x: TF.normalize(x, dim=-1), G143),
    "unfold": (lambda x: F.unfold(x.reshape(1, 1, 4, 3), 2),
               lambda x: TF.unfold(x.reshape(1, 1, 4, 3), 2), G143),
}


@pytest.mark.parametrize("mode", ["jacfwd", "jacrev", "hessian_of_squares"])
@pytest.mark.parametrize("layer", sorted(NN_PAIRS))
def test_jacobians_and_hessians_through_nn_functions_match_torch(layer, mode):
    ours_f, ref_f, x = NN_PAIRS[layer]
    ours_mode, ref_mode = MODES[mode]
    assert_same(as_numpy(ours_mode(ours_f)(x)), as_numpy(ref_mode(ref_f)(T(x))))


#: Inputs with ties and zeros, where the derivative is a convention: PyTorch's.
X_TIES = np.array([[2.0, 0.0, 2.0], [-1.0, -1.0, 0.5]])

TIE_PAIRS = {
    "max_of_all": (lambda x: ad.max(x), lambda x: torch.max(x)),
    "max_axis": (lambda x: ad.max(x, axis=1), lambda x: torch.amax(x, 1)),
    "min_axis0": (lambda x: ad.min(x, axis=0), lambda x: torch.amin(x, 0)),
    "maximum": (lambda x: ad.maximum(x, x[:, ::-1]), lambda x: torch.maximum(x, x.flip(1))),
    "abs_at_zero": (lambda x: ad.abs(x) * x, lambda x: torch.abs(x) * x),
    "relu_at_zero": (lambda x: F.relu(x) * x, lambda x: TF.relu(x) * x),
    "clip_at_its_bounds": (lambda x: ad.clip(x, -1.0, 2.0) * x,
                           lambda x: torch.clamp(x, -1.0, 2.0) * x),
    "sort_with_ties": (lambda x: ad.sort(x, 1) * np.arange(3.0),
                       lambda x: torch.sort(x, dim=1, stable=True).values
                       * torch.arange(3.0, dtype=x.dtype)),
    "where_at_the_boundary": (lambda x: ad.where(x >= 0, x ** 2, -x),
                              lambda x: torch.where(x >= 0, x ** 2, -x)),
    "max_pool2d_with_ties": (lambda x: F.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1),
                             lambda x: TF.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1)),
    "median": (lambda x: ad.median(x, axis=1), lambda x: torch.median(x, 1).values),
}


@pytest.mark.parametrize("mode", ["jacfwd", "jacfwd_one_tangent_at_a_time", "jacrev"])
@pytest.mark.parametrize("op", sorted(TIE_PAIRS))
def test_jacobians_at_ties_and_kinks_match_torch(op, mode):
    ours_f, ref_f = TIE_PAIRS[op]
    ours_mode, ref_mode = MODES[mode]
    assert_same(as_numpy(ours_mode(ours_f)(X_TIES)), as_numpy(ref_mode(ref_f)(T(X_TIES))))


# ----- in-place ops, a custom Function, a closure over a create_graph gradient -------

def _in_place_ours(x):
    y = x * 1.0
    y += x ** 2
    y[0] *= 3
    y.mul_(x)
    return (y ** 2).sum()


def _in_place_ref(x):
    y = x + x ** 2
    y = torch.cat([y[:1] * 3, y[1:]]) * x
    return (y ** 2).sum()


@case
def in_place_updates_inside_hessian_and_jacfwd_of_grad():
    return ((ad.hessian(_in_place_ours)(X3), ad.jacfwd(ad.grad(_in_place_ours))(X3)),
            (tf.hessian(_in_place_ref)(T(X3)), tf.jacfwd(tf.grad(_in_place_ref))(T(X3))))


class _CubeTimes(ad.Function):
    """x**3 * w with a hand-written backward (w a scalar)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x ** 3 * w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        return grad * 3 * x ** 2 * w, (grad * x ** 3).sum()


@case
def custom_function_under_nested_transforms():
    def ours_f(x):
        return ad.sin(_CubeTimes.apply(x, x[0])).sum()

    def ref_f(x):
        return torch.sin(x ** 3 * x[0]).sum()

    ours = (ad.hessian(ours_f)(X3), ad.vmap(ad.grad(ours_f))(B43), ad.hvp(ours_f, X3, Y3),
            ad.grad(lambda x: x * ad.grad(lambda y: _CubeTimes.apply(y, x))(2.0))(1.5))
    ref = (tf.hessian(ref_f)(T(X3)), tf.vmap(tf.grad(ref_f))(T(B43)),
           tf.hessian(ref_f)(T(X3)) @ T(Y3),
           tf.grad(lambda x: x * tf.grad(lambda y: y ** 3 * x)(T(2.0)))(T(1.5)))
    return ours, ref


@case
def backward_through_grad_closing_over_a_create_graph_gradient():
    x = ad.tensor(X3, requires_grad=True)
    (ad.sin(x) ** 2).sum().backward(create_graph=True)
    gradient = x.grad
    inner = ad.grad(lambda v: (gradient * v * v).sum())(Y3)
    x.grad = None
    inner.sum().backward()
    xt = T(X3).requires_grad_()
    (gt,) = torch.autograd.grad((torch.sin(xt) ** 2).sum(), xt, create_graph=True)
    inner_t = tf.grad(lambda v: (gt * v * v).sum())(T(Y3))
    inner_t.sum().backward()
    return (inner, x.grad), (inner_t, xt.grad)


# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_nested_transform_through_op_or_module_matches_torch(name):
    ours, reference = CASES[name]()
    assert_same(as_numpy(ours), as_numpy(reference))
