"""ad.nn.functional: the softmax family (own VJP rules), losses and helpers."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.nn import functional as F

RNG = np.random.default_rng(1234)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def onehot(y, c):
    out = np.zeros((len(y), c))
    out[np.arange(len(y)), y] = 1
    return out


# ----- softmax and log_softmax -----------------------------------------------------

@pytest.mark.parametrize("shape,axis", [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1)])
def test_softmax_closed_form_and_gradients(shape, axis):
    x = RNG.standard_normal(shape)
    np.testing.assert_allclose(F.softmax(ad.tensor(x), axis=axis).data, np_softmax(x, axis),
                               rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(ad.tensor(x), axis=axis).data,
                               np.log(np_softmax(x, axis)), rtol=1e-12, atol=1e-12)
    assert ad.gradcheck(lambda t: F.softmax(t, axis=axis), [x])
    assert ad.gradcheck(lambda t: F.log_softmax(t, axis=axis), [x])
    assert ad.gradgradcheck(lambda t: F.softmax(t, axis=axis), [x])
    assert ad.gradgradcheck(lambda t: F.log_softmax(t, axis=axis), [x])


def test_softmax_vjp_matches_jacobian_formula():
    x = RNG.standard_normal(4)
    g = RNG.standard_normal(4)
    s = np_softmax(x)
    jacobian = np.diag(s) - np.outer(s, s)
    t = ad.tensor(x, requires_grad=True)
    F.softmax(t).backward(g)
    np.testing.assert_allclose(t.grad, jacobian.T @ g, rtol=1e-12, atol=1e-15)
    t2 = ad.tensor(x, requires_grad=True)
    F.log_softmax(t2).backward(g)
    np.testing.assert_allclose(t2.grad, g - s * g.sum(), rtol=1e-12, atol=1e-15)


def test_softmax_family_are_single_ops_with_their_own_rules():
    x = ad.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    assert F.softmax(x).node.op.name == "softmax"
    assert F.softmax(x).node.parents == (x,)          # one node, not a chain of primitives
    assert F.log_softmax(x).node.op.name == "log_softmax"
    loss = F.cross_entropy(x, [0, 2])
    assert loss.node.op.name == "cross_entropy" and loss.node.parents[0] is x
    assert "sum(g * ans" in F.softmax(x).node.op.describe()
    assert "exp(ans) * sum(g" in F.log_softmax(x).node.op.describe()
    assert "softmax(logits) - onehot(target)" in loss.node.op.describe()


def test_softmax_family_calls_the_kernels(monkeypatch):
    calls = []
    for name in ["softmax", "softmax_backward", "log_softmax", "log_softmax_backward",
                 "cross_entropy", "cross_entropy_loss"]:
        original = getattr(kernels, name)

        def spy(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(kernels, name, spy)
    x = ad.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    F.softmax(x).backward(np.ones((3, 4)))
    F.log_softmax(x).backward(np.ones((3, 4)))
    F.cross_entropy(x, [0, 1, 3]).backward()        # the backward only scales the saved grad
    with ad.no_grad():
        F.cross_entropy(x, [0, 1, 3])                  # nothing recorded: the loss alone
    assert calls == ["softmax", "softmax_backward", "log_softmax", "log_softmax_backward",
                     "cross_entropy", "cross_entropy_loss"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    for f in (F.softmax, F.log_softmax):
        t = ad.tensor(x, requires_grad=True)
        out = f(t)
        assert out.dtype == dtype and np.all(np.isfinite(out.data))
        out.backward(np.ones_like(x))
        assert t.grad.dtype == dtype and np.all(np.isfinite(t.grad))
    np.testing.assert_allclose(F.softmax(ad.tensor(x)).data[0], [1, 0, 0])
    np.testing.assert_allclose(F.log_softmax(ad.tensor(x)).data[0], [0, -2e4, -1e4])
    t = ad.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, [1, 0, 2])
    assert loss.dtype == dtype and np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), (2e4 + np.log(3) + 2e4 + np.log(2)) / 3, rtol=1e-6)
    loss.backward()
    assert np.all(np.isfinite(t.grad))


# ----- cross_entropy and nll_loss --------------------------------------------------

def test_cross_entropy_closed_form_value_and_gradient():
    x = RNG.standard_normal((6, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    t = ad.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, y)
    expected = -np.mean(np.log(np_softmax(x))[np.arange(6), y])
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(t.grad, (np_softmax(x) - onehot(y, 4)) / 6, rtol=1e-12,
                               atol=1e-15)
    nll = F.nll_loss(F.log_softmax(ad.tensor(x)), y)
    np.testing.assert_allclose(nll.item(), expected, rtol=1e-12)


def test_cross_entropy_and_nll_gradcheck_and_second_order():
    x = RNG.standard_normal((5, 3))
    y = np.array([2, 0, 1, 2, 2])
    assert ad.gradcheck(lambda t: F.cross_entropy(t, y), [x])
    assert ad.gradgradcheck(lambda t: F.cross_entropy(t, y), [x])
    assert ad.gradcheck(lambda t: F.nll_loss(t, y), [x])
    assert ad.gradcheck(lambda t: F.nll_loss(F.log_softmax(t), y), [x])
    # The Hessian of mean cross-entropy is block diagonal: (diag(p) - p p^T) / N per row.
    h = ad.jacobian(ad.grad(lambda t: F.cross_entropy(t, y)))(x)
    p = np_softmax(x)
    for i in range(5):
        np.testing.assert_allclose(h[i, :, i, :], (np.diag(p[i]) - np.outer(p[i], p[i])) / 5,
                                   atol=1e-12)


def test_cross_entropy_accepts_tensor_and_list_targets_and_float32():
    x = RNG.standard_normal((3, 2)).astype(np.float32)
    a = F.cross_entropy(ad.tensor(x), ad.tensor(np.array([0, 1, 1])))
    b = F.cross_entropy(ad.tensor(x), [0, 1, 1])
    assert a.dtype == np.float32 and a.item() == b.item()


def test_cross_entropy_backward_hands_on_the_saved_gradient_and_frees_it():
    x = RNG.standard_normal((4, 3))
    y = [0, 1, 2, 0]
    expected = (np_softmax(x) - onehot(y, 3)) / 4
    t = ad.tensor(x, requires_grad=True)
    loss = F.cross_entropy(t, y)
    node = loss.node
    assert len(node.saved) == 1           # the forward computed the gradient for g = 1
    np.testing.assert_allclose(node.saved[0], expected, rtol=1e-12, atol=1e-15)
    saved_id = id(node.saved[0])          # (an id: a reference here would force a copy)
    loss.backward(retain_graph=True)
    assert id(t._grad) == saved_id and node.saved == []     # handed on, not copied
    first = t.grad.copy()
    loss.backward()                       # retain_graph: the gradient is computed again
    np.testing.assert_allclose(t.grad, 2 * first, rtol=1e-12)
    np.testing.assert_allclose(first, expected, rtol=1e-12, atol=1e-15)
    assert node.saved is None             # and the state is dropped when the graph is freed
    t.grad = None
    F.cross_entropy(t, y).backward(np.array(3.0))   # another g scales it in place
    np.testing.assert_allclose(t.grad, 3 * expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("func", [F.cross_entropy, F.nll_loss])
def test_class_target_validation(func):
    name = func.__name__
    x = ad.tensor(RNG.standard_normal((3, 4)))
    with pytest.raises(TypeError, match=rf"{name}: target must hold integer.*float64"):
        func(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError,
                       match=rf"{name}: target must have shape \(3,\).*\(3, 4\).*one-hot"):
        func(x, onehot([0, 1, 2], 4).astype(int))
    with pytest.raises(IndexError, match=rf"{name}: target holds class 4.*4 classes.*\[0, 4\)"):
        func(x, [0, 4, 1])
    with pytest.raises(IndexError, match=rf"{name}: target holds class -1"):
        func(x, [0, -1, 1])
    # unbatched (C,) scores take a 0-d target, as in PyTorch
    with pytest.raises(ValueError, match=rf"{name}: target must have shape \(\).*\(4,\).*\(1,\)"):
        func(ad.tensor(np.zeros(4)), [1])
    with pytest.raises(ValueError, match=rf"{name}: .* must have shape \(N, C\).*0-d"):
        func(ad.tensor(0.0), 1)
    with pytest.raises(TypeError, match=name):
        func(ad.tensor(np.zeros((3, 4), dtype=int)), [0, 1, 2])


# ----- mse and binary cross-entropy ------------------------------------------------

def test_mse_loss():
    a, b = RNG.standard_normal((4, 2)), RNG.standard_normal((4, 2))
    np.testing.assert_allclose(F.mse_loss(ad.tensor(a), ad.tensor(b)).item(),
                               np.mean((a - b) ** 2), rtol=1e-12)
    assert ad.gradcheck(F.mse_loss, [a, b])
    with pytest.raises(ValueError, match=r"mse_loss: input has shape \(4, 1\) but target has "
                                         r"shape \(4,\).*Reshape"):
        F.mse_loss(ad.tensor(np.zeros((4, 1))), np.zeros(4))


def test_binary_cross_entropy_value_gradient_and_edges():
    p = RNG.uniform(0.05, 0.95, 6)
    t = (RNG.uniform(size=6) > 0.5).astype(float)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy(ad.tensor(p), t).item(), expected,
                               rtol=1e-12)
    assert ad.gradcheck(lambda q: F.binary_cross_entropy(q, t), [p])
    # At p = 0 and p = 1 the logs are clamped at -100: finite loss and gradient.
    edge = ad.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(edge, np.array([1.0, 0.0, 0.0, 1.0]))
    np.testing.assert_allclose(loss.item(), 50.0)
    loss.backward()
    assert np.all(np.isfinite(edge.grad))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must be probabilities"
                                         r".*binary_cross_entropy_with_logits"):
        F.binary_cross_entropy(ad.tensor([0.5, 1.5]), np.array([1.0, 0.0]))


def test_binary_cross_entropy_with_logits():
    x = RNG.standard_normal(5) * 3
    t = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    via_probs = F.binary_cross_entropy(ad.sigmoid(ad.tensor(x)), t).item()
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(ad.tensor(x), t).item(),
                               via_probs, rtol=1e-10)
    assert ad.gradcheck(lambda z: F.binary_cross_entropy_with_logits(z, t), [x])
    big = ad.tensor([1e4, -1e4, 1e4], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(big, np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(loss.item(), 1e4 / 3)
    loss.backward()
    np.testing.assert_allclose(big.grad, [0.0, 0.0, 1 / 3])


# ----- helpers ---------------------------------------------------------------------

def test_sigmoid_range():
    x = RNG.standard_normal(5) * 4
    out = F.sigmoid_range(ad.tensor(x), 1.0, 5.0)
    np.testing.assert_allclose(out.data, 1 + 4 / (1 + np.exp(-x)), rtol=1e-12)
    assert ad.gradcheck(lambda z: F.sigmoid_range(z, 0.5, 5.5), [x])
    with pytest.raises(ValueError, match="sigmoid_range: need lo < hi"):
        F.sigmoid_range(ad.tensor(x), 5.0, 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_normalize_unit_rows_and_zero_row(dtype):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1e-3, -2e-3]], dtype=dtype)
    t = ad.tensor(x, requires_grad=True)
    out = F.l2_normalize(t)
    np.testing.assert_allclose(np.linalg.norm(out.data[[0, 2]], axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(out.data[1], 0)
    (out * np.array([[1.0, 2.0]], dtype=dtype)).sum().backward()
    assert t.grad.dtype == dtype and np.all(np.isfinite(t.grad))


def test_l2_normalize_gradcheck():
    x = RNG.standard_normal((3, 4))
    assert ad.gradcheck(lambda z: F.l2_normalize(z, axis=-1), [x])
    assert ad.gradcheck(lambda z: F.l2_normalize(z, axis=0), [x])


def test_activation_reexports():
    assert F.sigmoid is ad.sigmoid and F.tanh is ad.tanh
    x = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(F.relu(ad.tensor(x)).data, ad.relu(x).data)
    np.testing.assert_allclose(F.leaky_relu(ad.tensor(x), 0.1).data, [-0.2, 0.5, 3.0])


def test_leaky_relu_takes_pytorchs_negative_slope_name():
    x = ad.tensor(np.array([-2.0, 0.5, 3.0]), requires_grad=True)
    for y in (F.leaky_relu(x, negative_slope=0.1), ad.nn.LeakyReLU(negative_slope=0.1)(x),
              ad.leaky_relu(x, 0.1)):
        np.testing.assert_array_equal(y.data, [-0.2, 0.5, 3.0])
    F.leaky_relu(x, negative_slope=0.1).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.1, 1.0, 1.0])
    with pytest.raises(TypeError, match="got both slope=0.3 and negative_slope=0.1"):
        F.leaky_relu(x, 0.3, negative_slope=0.1)


def test_binary_cross_entropy_gradient_at_saturated_predictions_is_pytorchs():
    """d/dp = (p - t) / max(p (1 - p), 1e-12): a prediction stuck at the wrong end still
    gets a large gradient (the clamped log alone would give zero there), one exactly
    right gets 0; the gradient in a target is log(1 - p) - log(p), both logs clamped."""
    p = np.array([0.0, 1.0, 1e-30, 0.3, 0.0, 1.0])
    t = np.array([1.0, 0.0, 1.0, 0.6, 0.0, 1.0])
    probs, targets = ad.tensor(p, requires_grad=True), ad.tensor(t, requires_grad=True)
    loss = F.binary_cross_entropy(probs, targets, reduction="sum")
    loss.backward()
    floor = float(np.float32(1e-12))            # PyTorch's EPSILON, a float constant
    np.testing.assert_allclose(probs.grad, (p - t) / np.maximum(p * (1 - p), floor),
                               rtol=1e-15)
    assert probs.grad[0] < -9e11 and probs.grad[1] > 9e11
    assert probs.grad[4] == 0.0 and probs.grad[5] == 0.0
    clamped = lambda v: np.maximum(np.log(np.maximum(v, 1e-300)), -100.0)  # noqa: E731
    np.testing.assert_allclose(targets.grad, clamped(1 - p) - clamped(p), rtol=1e-15)
    inside = np.array([0.2, 0.7, 0.45])
    soft_targets = np.array([1.0, 0.0, 0.3])
    assert ad.gradcheck(lambda q: F.binary_cross_entropy(q, soft_targets), [inside])
    assert ad.gradgradcheck(lambda q: F.binary_cross_entropy(q, soft_targets), [inside])
    assert ad.gradgradcheck(lambda q, r: F.binary_cross_entropy(q, r), [inside, soft_targets])


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_without_dim_the_last_axis_is_used_with_a_warning_where_pytorch_differs(fn):
    """PyTorch's deprecated implicit dim is 0 for 3-D input and 1 for 4-D; this library
    takes the last axis, and says so there (1-D and 2-D agree: no warning)."""
    import warnings
    for shape in [(4,), (2, 4)]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fn(ad.tensor(np.ones(shape)))
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    with pytest.warns(UserWarning, match=r"no dim given for an input of 3 dimensions; the "
                                         r"last axis is used.*would take axis 0") as caught:
        out = fn(ad.tensor(x))
    assert caught[0].filename == __file__
    np.testing.assert_array_equal(out.data, fn(ad.tensor(x), dim=-1).data)
    with pytest.raises(TypeError, match="got both axis=1 and dim=0"):
        fn(ad.tensor(x), 1, dim=0)
