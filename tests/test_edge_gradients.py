"""Gradients at the edges: hyperparameters passed as Tensors, norms at zero entries,
and activations at their kinks.

A Tensor that requires grad either gets its gradient (checked against central
differences in float64) or is refused with an error naming the function and the
argument; plain numbers and Tensors that do not require grad are always taken.
Where a function is not differentiable at a point, the value taken there is
PyTorch's, stated in a comment next to the assertion.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff.ops.normalization import layer_norm as layer_norm_op
from autodiff.ops.registry import defop_joint, unregister

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4))


def needs_grad(value):
    return ad.tensor(value, requires_grad=True)


# ----- joint ops: inputs without a gradient ------------------------------------------------

@pytest.fixture
def scaled_sum():
    """A joint op whose second input (a scale, like eps) gets no gradient."""
    op = defop_joint("scaled_sum_for_test", lambda x, scale: x * scale, "grad_x = g * scale",
                     lambda xp, g, ans, needs, x, scale: [g * scale, None],
                     input_names=("x", "scale"), grad_inputs=(0,))
    yield op
    unregister("scaled_sum_for_test")


def test_joint_op_refuses_a_tensor_requiring_grad_in_an_input_without_gradient(scaled_sum):
    x = needs_grad([1.0, 2.0])
    with pytest.raises(TypeError, match="scaled_sum_for_test: input 'scale' gets no gradient"):
        scaled_sum(x, needs_grad(2.0))
    with pytest.raises(TypeError, match="input 'scale' gets no gradient"):
        scaled_sum(x, scale=needs_grad(2.0))
    # Numbers, and Tensors that do not require grad, are constants as before.
    for scale in (2.0, ad.tensor(2.0)):
        scaled_sum(x, scale).sum().backward()
        np.testing.assert_allclose(x.grad, [2.0, 2.0])
        x.grad = None


def test_layer_norm_op_refuses_a_tensor_eps_requiring_grad():
    # Before, the fused op took eps=Tensor, recorded it, and its .grad stayed None.
    x = needs_grad(X)
    with pytest.raises(TypeError, match="layer_norm: input 'eps' gets no gradient"):
        layer_norm_op(x, None, None, 1, needs_grad(1e-5))
    with pytest.raises(TypeError, match="layer_norm: input 'eps' gets no gradient"):
        layer_norm_op(x, None, None, normalized_ndim=1, eps=needs_grad(1e-5))
    with pytest.raises(TypeError, match=r"layer_norm: eps gets no gradient .*detach\(\)"):
        F.layer_norm(x, (4,), eps=needs_grad(1e-5))
    with pytest.raises(TypeError, match="LayerNorm: eps gets no gradient"):
        ad.nn.LayerNorm(4, eps=needs_grad(1e-5))
    plain = F.layer_norm(x, (4,), eps=1e-3).data
    np.testing.assert_allclose(F.layer_norm(x, (4,), eps=ad.tensor(1e-3)).data, plain)
    np.testing.assert_allclose(layer_norm_op(x, None, None, 1, ad.tensor(1e-3)).data, plain)


def test_every_joint_op_with_constant_inputs_declares_them():
    from autodiff.ops.registry import REGISTRY
    declared = {name: op.grad_inputs for name, op in REGISTRY.items() if op.joint is not None}
    assert declared["layer_norm"] == (0, 1, 2)
    assert declared["cross_entropy"] == (0,)
    assert declared["max_pool2d"] == (0,)
    assert declared["conv2d"] == (0, 1)


def test_a_keyword_tensor_requiring_grad_that_is_no_input_is_refused():
    # constant_pad's value is a keyword, not an input: it was dropped (with a warning).
    from autodiff.ops.conv import constant_pad
    with pytest.raises(TypeError, match="constant_pad: input 'value' gets no gradient"):
        constant_pad(needs_grad(X), widths=((0, 0), (1, 1)), value=needs_grad(0.5))


# ----- functional wrappers: arguments refused ---------------------------------------------

REFUSED = {
    "dropout p": (lambda x, h: F.dropout(x, h, rng=0), "dropout: p gets no gradient"),
    "softplus threshold": (lambda x, h: F.softplus(x, 1.0, h), "softplus: threshold"),
    "batch_norm momentum": (
        lambda x, h: F.batch_norm(x, np.zeros(4), np.ones(4), training=True, momentum=h),
        "batch_norm: momentum gets no gradient"),
    "batch_norm running_mean": (
        lambda x, h: F.batch_norm(x, h * np.ones(4), np.ones(4), training=False),
        "batch_norm: running_mean gets no gradient"),
    "cross_entropy weight": (lambda x, h: F.cross_entropy(x, [0, 1, 2], weight=h * np.ones(4)),
                             "cross_entropy: weight gets no gradient"),
    "nll_loss weight": (lambda x, h: F.nll_loss(x, [0, 1, 2], weight=h * np.ones(4)),
                        "nll_loss: weight gets no gradient"),
    "ELU alpha": (lambda x, h: ad.nn.ELU(h)(x), "ELU: alpha gets no gradient"),
    "Softplus beta": (lambda x, h: ad.nn.Softplus(h)(x), "Softplus: beta gets no gradient"),
    "Dropout p": (lambda x, h: ad.nn.Dropout(h)(x), "Dropout: p gets no gradient"),
    "BatchNorm1d eps": (lambda x, h: ad.nn.BatchNorm1d(4, eps=h)(x),
                        "BatchNorm1d: eps gets no gradient"),
    "BatchNorm1d momentum": (lambda x, h: ad.nn.BatchNorm1d(4, momentum=h)(x),
                             "BatchNorm1d: momentum gets no gradient"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_an_argument_without_gradient_refuses_a_tensor_requiring_grad(name):
    # Before: a silent None gradient, or an error about something else (dropout said
    # p was out of [0, 1), batch_norm's momentum failed inside numpy.multiply).
    call, message = REFUSED[name]
    with pytest.raises(TypeError, match=message):
        call(needs_grad(X), needs_grad(0.25))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_same_argument_takes_a_number_or_a_tensor_without_grad(name):
    call, _ = REFUSED[name]
    with_number = call(ad.tensor(X), 0.25)
    with_tensor = call(ad.tensor(X), ad.tensor(0.25))
    if name.startswith(("dropout", "Dropout")):      # random masks: compare the shapes
        assert with_tensor.shape == with_number.shape
    else:
        np.testing.assert_allclose(with_tensor.data, with_number.data)


def test_no_grad_takes_a_tensor_requiring_grad_as_a_constant():
    with ad.no_grad():
        out = F.softplus(ad.tensor(X), 1.0, needs_grad(0.5))
    np.testing.assert_allclose(out.data, F.softplus(ad.tensor(X), 1.0, 0.5).data)


# ----- functional wrappers: gradients that flow -------------------------------------------

SOFT = np.array([[0.2, 0.3, 0.4, 0.1], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])
RUNNING_VAR = np.array([0.5, 1.0, 2.0, 0.1])

FLOWING = {
    # batch_norm in eval mode took eps through a precomputed scale: its gradient was None.
    "batch_norm eps, eval": (lambda x, h: F.batch_norm(x, np.zeros(4), RUNNING_VAR, eps=h),
                             0.3),
    "batch_norm eps, training": (lambda x, h: F.batch_norm(x, None, None, training=True,
                                                           eps=h) * X, 0.3),
    # pad's value went to np.pad as an array: dropped.
    "pad value": (lambda x, h: F.pad(x, (1, 2), value=h) * 1.5, 0.3),
    "cross_entropy label_smoothing": (
        lambda x, h: F.cross_entropy(x, [0, 1, 3], label_smoothing=h), 0.2),
    # probability targets: the smoothing went into a precomputed scale.
    "cross_entropy label_smoothing, probability targets": (
        lambda x, h: F.cross_entropy(x, SOFT, label_smoothing=h), 0.2),
    "huber_loss delta": (lambda x, h: F.huber_loss(x, np.zeros((3, 4)), delta=h), 0.7),
    "elu alpha": (lambda x, h: F.elu(x, h) * X, 1.5),
    "softplus beta": (lambda x, h: F.softplus(x, h) * X, 1.5),
    "leaky_relu slope": (lambda x, h: F.leaky_relu(x, h) * X, 0.1),
    "l2_normalize eps": (lambda x, h: F.l2_normalize(x * 1e-3, eps=h) * X, 0.01),
    "sigmoid_range lo": (lambda x, h: F.sigmoid_range(x, h, 5.0) * X, -1.0),
    "bce_with_logits pos_weight": (
        lambda x, h: F.binary_cross_entropy_with_logits(x, (X > 0) * 1.0, pos_weight=h), 2.0),
}


@pytest.mark.parametrize("name", sorted(FLOWING))
def test_a_tensor_argument_gets_its_gradient(name):
    call, value = FLOWING[name]
    assert ad.gradcheck(lambda x, h: call(x, h).sum(), [X.copy(), np.array(value)])


def test_label_smoothing_at_zero_gets_its_gradient():
    # The loss is linear in the smoothing, so its gradient at 0 (where central
    # differences would step outside [0, 1]) is the one at 0.5.  Before, 0 took the
    # fused path, which ignores the smoothing: its gradient stayed None.
    for target in ([0, 1, 2], SOFT):
        grads = []
        for value in (0.0, 0.5):
            smoothing = needs_grad(value)
            F.cross_entropy(needs_grad(X), target, label_smoothing=smoothing).backward()
            grads.append(smoothing.grad)
        assert grads[0] is not None
        np.testing.assert_allclose(grads[0], grads[1])
    assert ad.gradcheck(lambda s: F.cross_entropy(X, [0, 1, 2], label_smoothing=s),
                        [np.array(0.5)])


def test_probability_targets_get_their_gradient():
    # PyTorch differentiates cross_entropy in probability targets too; here they were
    # taken as an array and the target's gradient silently stayed None.
    for smoothing in (0.0, 0.3):
        assert ad.gradcheck(lambda x, t: F.cross_entropy(x, t, label_smoothing=smoothing),
                            [X.copy(), SOFT.copy()])
    weight = np.array([1.0, 2.0, 0.5, 1.0])
    assert ad.gradcheck(lambda x, t: F.cross_entropy(x, t, weight=weight, reduction="sum"),
                        [X.copy(), SOFT.copy()])


# ----- norms with p < 1 -----------------------------------------------------------------

NORMS = {
    "ad.linalg.norm": lambda x, p: ad.linalg.norm(x, ord=p),
    "np.linalg.norm": lambda x, p: np.linalg.norm(x, ord=p),
    "ad.linalg.vector_norm": lambda x, p: ad.linalg.vector_norm(x, ord=p),
}


def norm_grad(norm, values, p):
    x = needs_grad(values)
    norm(x, p).sum().backward()
    return x.grad


@pytest.mark.parametrize("norm", sorted(NORMS))
def test_p_below_one_gives_zero_gradient_at_zero_entries(norm):
    norm = NORMS[norm]
    # torch.linalg.vector_norm(x, 0.5) at x = [0, 1, 2] gives grad [0, 2.41421356,
    # 1.70710678]: |x|**0.5 has an infinite slope at 0, and PyTorch takes 0 there
    # (the power rule alone gives inf * 0 = NaN, which it gave before).
    np.testing.assert_allclose(norm_grad(norm, [0.0, 1.0, 2.0], 0.5),
                               [0.0, 1 + 2 ** 0.5, (1 + 2 ** 0.5) * 2 ** -0.5])
    np.testing.assert_allclose(norm_grad(norm, [0.0, -1.0, 2.0], 0.5),
                               [0.0, -(1 + 2 ** 0.5), (1 + 2 ** 0.5) * 2 ** -0.5])
    # PyTorch, all entries zero: grad [0, 0, 0].
    np.testing.assert_array_equal(norm_grad(norm, [0.0, 0.0, 0.0], 0.5), [0.0, 0.0, 0.0])
    # p < 0: a zero entry makes the norm 0; PyTorch (p = -1, x = [0, 1, 2]) gives grad 0.
    for p in (-1.0, -0.5):
        np.testing.assert_array_equal(norm_grad(norm, [0.0, 1.0, 2.0], p), [0.0, 0.0, 0.0])
        np.testing.assert_array_equal(norm_grad(norm, [0.0, 0.0, 0.0], p), [0.0, 0.0, 0.0])
    # p = 0 counts the nonzeros: no gradient (the count is off the tape), so it adds 0
    # to the gradient of what it is part of.
    np.testing.assert_array_equal(
        norm_grad(lambda x, p: norm(x, p) + (x * 0.0).sum(), [0.0, 1.0, 2.0], 0), [0.0] * 3)


@pytest.mark.parametrize("p", [0.5, 0.3, -0.5, -1.0])
def test_p_norms_away_from_zero_match_finite_differences(p):
    values = np.array([[0.4, -1.3, 2.0], [1.1, 0.7, -0.2]])
    assert ad.gradcheck(lambda x: ad.linalg.norm(x, ord=p, axis=1).sum(), [values])
    assert ad.gradgradcheck(lambda x: ad.linalg.norm(x, ord=p, axis=1).sum(), [values])


def test_p_below_one_second_derivative_is_finite_at_a_zero_entry():
    # PyTorch's second derivative is NaN at the zero entry; here it is 0 (the zero entry
    # is held at 0, so nothing flows through it), and the other entries are exact.
    x = needs_grad([0.0, 1.0, 2.0])
    ad.linalg.norm(x, ord=0.5).backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    assert np.all(np.isfinite(x.grad))
    assert x.grad[0] == 0.0
    # PyTorch: the other two entries are -0.35355339 and 0.1767767.
    np.testing.assert_allclose(x.grad[1:], [-0.35355339, 0.1767767], rtol=1e-6)


def test_a_zero_row_among_others_keeps_the_other_rows_exact():
    values = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    x = needs_grad(values)
    ad.linalg.norm(x, ord=0.5, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad[1], [1 + 2 ** 0.5, 0.0, (1 + 2 ** 0.5) * 2 ** -0.5])


# ----- ELU at 0 ------------------------------------------------------------------------

def elu_derivatives(alpha, values):
    x = needs_grad(values)
    F.elu(x, alpha).sum().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    return first.data, x.grad


@pytest.mark.parametrize("alpha", [1.0, 2.0, 0.5])
def test_elu_second_derivative_at_zero_is_pytorchs(alpha):
    first, second = elu_derivatives(alpha, [-1.0, 0.0, 1.0])
    # PyTorch (double backward of F.elu at 0): first derivative alpha, the slope from
    # the left; second derivative 0, the curvature from the right.  Alpha = 1: first
    # [0.36787944, 1, 1], second [0.36787944, 0, 0]; alpha = 2: first [0.73575888, 2, 1],
    # second [0.73575888, 0, 0].  Before, the second derivative at 0 was alpha.
    np.testing.assert_allclose(first, [alpha * np.exp(-1.0), alpha, 1.0])
    np.testing.assert_allclose(second, [alpha * np.exp(-1.0), 0.0, 0.0])


def test_elu_away_from_zero_matches_finite_differences():
    values = np.array([-2.5, -0.3, -1e-3, 1e-3, 0.8, 40.0])
    for alpha in (1.0, 2.0):
        assert ad.gradcheck(lambda x: F.elu(x, alpha).sum(), [values])
        assert ad.gradgradcheck(lambda x: F.elu(x, alpha).sum(), [values])
    assert ad.gradcheck(lambda x, a: (F.elu(x, a) * values).sum(), [values, np.array(1.7)])


def test_elu_keeps_its_values_at_the_extremes():
    out = F.elu(ad.tensor([-np.inf, -1000.0, 0.0, 1000.0, np.nan]), 2.0).data
    np.testing.assert_array_equal(out[:4], [-2.0, -2.0, 0.0, 1000.0])
    assert np.isnan(out[4])


def test_a_nan_that_is_the_max_or_min_gets_the_gradient_as_in_pytorch():
    x = np.array([1.0, np.nan, 3.0])
    for reduce in (ad.max, ad.min, lambda t: t.max(dim=0).values):
        t = ad.tensor(x, requires_grad=True)
        reduce(t).backward()
        np.testing.assert_array_equal(t.grad, [0.0, 1.0, 0.0])
    t = ad.tensor([np.nan, np.nan, 3.0], requires_grad=True)
    ad.max(t).backward()
    np.testing.assert_array_equal(t.grad, [0.5, 0.5, 0.0])     # shared, as ties
    a = ad.tensor(x, requires_grad=True)
    b = ad.tensor(np.array([2.0, 2.0, np.nan]), requires_grad=True)
    ad.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.0, 1.0])


def test_gradients_keep_their_accuracy_where_a_naive_formula_cancels_or_overflows():
    def grads(f, *values):
        ts = [ad.tensor(np.float64(v), requires_grad=True) for v in values]
        f(*ts).backward()
        return [t.grad.item() for t in ts]

    # logaddexp: sigmoid(a - b), not exp(a - ans) (ans carries its rounding)
    assert grads(ad.logaddexp, 1e10, 1e10 + 3.0) == [1 / (1 + np.exp(3.0)),
                                                       1 / (1 + np.exp(-3.0))]
    # a / b: -(a / b) / b, not -a / b**2 (which under- or overflows)
    assert grads(ad.divide, 1e-200, 1e-200)[1] == -1e200
    assert grads(ad.divide, 1e200, 1e200)[1] == -1e-200
    # arctan2: divided by hypot twice
    np.testing.assert_allclose(grads(ad.arctan2, 1e-200, 1e-200), [5e199, -5e199], rtol=4e-16)
    # expm1 (and elu's negative side): exp(x), not ans + 1
    assert grads(ad.expm1, -40.0) == [np.exp(-40.0)]
    assert grads(lambda x: ad.nn.functional.elu(x), -40.0) == [np.exp(-40.0)]
    # BCE from logits and Bernoulli's log_prob: sigmoid(x) - t without cancelling
    exact = 9.357622968839299e-14                       # sigmoid(-30)
    got = grads(lambda x: ad.nn.functional.binary_cross_entropy_with_logits(x, 0.0), -30.0)
    np.testing.assert_allclose(got, [exact], rtol=4e-16)
    bernoulli = ad.distributions.Bernoulli(logits=ad.tensor(30.0, requires_grad=True))
    value = bernoulli.log_prob(1.0)
    np.testing.assert_allclose(value.item(), -9.357622968839737e-14, rtol=4e-16)  # -log1p(e**-30)
    value.backward()
    np.testing.assert_allclose(bernoulli.logits.grad, exact, rtol=4e-16)
