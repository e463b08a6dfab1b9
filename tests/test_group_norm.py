"""GroupNorm and F.group_norm: values against a NumPy reference, gradients of first and
second order against finite differences in float64, state_dict keys, bad input named,
and a compiled training step against eager."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(11)


def group_norm_ref(x, groups, w=None, b=None, eps=1e-5):
    """PyTorch's formula: per sample, per group of C / groups channels, the biased
    variance; then a per-channel scale and shift."""
    n, c = x.shape[:2]
    rows = x.reshape(n, groups, -1)
    mean = rows.mean(axis=-1, keepdims=True)
    var = ((rows - mean) ** 2).mean(axis=-1, keepdims=True)
    y = ((rows - mean) / np.sqrt(var + eps)).reshape(x.shape)
    channel = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        y = y * w.reshape(channel)
    if b is not None:
        y = y + b.reshape(channel)
    return y


def group_norm_grads_ref(x, groups, w, g, eps=1e-5):
    """Hand-derived gradients of group_norm_ref for upstream g: the layer-norm formula
    on each group's row, with the per-channel weight folded into the upstream gradient."""
    n, c = x.shape[:2]
    channel = (1, c) + (1,) * (x.ndim - 2)
    rows = x.reshape(n, groups, -1)
    mean = rows.mean(axis=-1, keepdims=True)
    rstd = 1 / np.sqrt(((rows - mean) ** 2).mean(axis=-1, keepdims=True) + eps)
    xhat = ((rows - mean) * rstd).reshape(x.shape)
    gh = (g * w.reshape(channel)).reshape(rows.shape)
    xhat_rows = xhat.reshape(rows.shape)
    gx = rstd * (gh - gh.mean(-1, keepdims=True)
                 - xhat_rows * (gh * xhat_rows).mean(-1, keepdims=True))
    not_channel = (0,) + tuple(range(2, x.ndim))
    return gx.reshape(x.shape), (g * xhat).sum(axis=not_channel), g.sum(axis=not_channel)


def check_grads(func, inputs):
    assert ad.gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    assert ad.gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


# (shape, num_groups): 2-D, 3-D, 4-D and 5-D inputs, one group, one group per channel,
# size-1 batch and spatial axes.
CASES = [((4, 6), 3), ((2, 6, 5), 2), ((3, 4, 5, 2), 2), ((2, 8, 3, 1), 1), ((2, 8, 3, 1), 8),
         ((1, 6, 2, 3), 3), ((2, 4, 1, 1), 4), ((3, 1, 7), 1), ((2, 4, 2, 1, 3), 2)]


@pytest.mark.parametrize("shape,groups", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_group_norm_matches_numpy(shape, groups, dtype):
    x = (RNG.standard_normal(shape) * 3 + 1).astype(dtype)
    channels = shape[1]
    gn = nn.GroupNorm(groups, channels, dtype=dtype)
    gn.weight.data[...] = RNG.uniform(0.5, 2, channels)
    gn.bias.data[...] = RNG.standard_normal(channels)
    w, b = gn.weight.data.astype(np.float64), gn.bias.data.astype(np.float64)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    out = gn(ad.tensor(x))
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out.data, group_norm_ref(x.astype(np.float64), groups, w, b),
                               rtol=tol, atol=tol)
    functional = F.group_norm(ad.tensor(x), groups, gn.weight, gn.bias)
    np.testing.assert_array_equal(functional.data, out.data)
    plain = F.group_norm(ad.tensor(x), groups, eps=1e-3)
    np.testing.assert_allclose(plain.data, group_norm_ref(x.astype(np.float64), groups, eps=1e-3),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_group_norm_backward_matches_the_hand_derived_gradients(dtype):
    shape, groups = (3, 6, 4, 5), 3
    x = (RNG.standard_normal(shape) * 2 - 1).astype(dtype)
    g = RNG.standard_normal(shape).astype(dtype)
    gn = nn.GroupNorm(groups, 6, dtype=dtype)
    gn.weight.data[...] = RNG.uniform(0.5, 2, 6)
    t = ad.tensor(x, requires_grad=True)
    gn(t).backward(g)
    assert t.grad.dtype == gn.weight.grad.dtype == gn.bias.grad.dtype == dtype
    gx, gw, gb = group_norm_grads_ref(x.astype(np.float64), groups,
                                      gn.weight.data.astype(np.float64), g.astype(np.float64))
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(t.grad, gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(gn.weight.grad, gw, rtol=tol, atol=tol)
    np.testing.assert_allclose(gn.bias.grad, gb, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((2, 6, 2, 2), 3), ((3, 4), 1),
                                          ((2, 3, 2), 3), ((1, 4, 1, 3), 4)])
def test_group_norm_gradchecks_to_second_order(shape, groups):
    x = RNG.standard_normal(shape)
    w, b = RNG.uniform(0.5, 2, shape[1]), RNG.standard_normal(shape[1])
    check_grads(lambda t, w, b: F.group_norm(t, groups, w, b), [x, w, b])
    check_grads(lambda t: F.group_norm(t, groups), [x])


def test_group_norm_hessian_vector_product_matches_finite_differences_of_the_gradient():
    x, v = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((2, 4, 3))
    w = RNG.uniform(0.5, 2, 4)
    u = RNG.standard_normal((2, 4, 3))

    def loss(t):
        return (F.group_norm(t, 2, w) * u * F.group_norm(t, 2, w)).sum()
    gradient = ad.grad(loss)
    h = 1e-5
    expected = (gradient(x + h * v) - gradient(x - h * v)) / (2 * h)
    np.testing.assert_allclose(ad.hvp(loss, x, v), expected, rtol=1e-5, atol=1e-7)


def test_one_group_is_layer_norm_over_all_but_the_batch_axis():
    x = RNG.standard_normal((3, 4, 5))
    np.testing.assert_allclose(F.group_norm(ad.tensor(x), 1).data,
                               F.layer_norm(ad.tensor(x), (4, 5)).data, rtol=1e-12, atol=1e-12)


def test_empty_inputs_give_empty_outputs_and_gradients():
    for shape in ((0, 4, 3), (2, 4, 0)):
        t = ad.tensor(np.zeros(shape), requires_grad=True)
        gn = nn.GroupNorm(2, 4)
        out = gn(t)
        assert out.shape == shape
        out.sum().backward()
        assert t.grad.shape == shape
        np.testing.assert_array_equal(gn.bias.grad, np.zeros(4))


def test_group_norm_layer_parameters_state_dict_and_repr():
    gn = nn.GroupNorm(2, 6)
    np.testing.assert_array_equal(gn.weight.data, np.ones(6))
    np.testing.assert_array_equal(gn.bias.data, np.zeros(6))
    assert list(gn.state_dict()) == ["weight", "bias"]
    assert list(gn.to_torch_state_dict()) == ["weight", "bias"]
    assert list(dict(gn.named_buffers())) == []
    assert repr(gn) == "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"
    plain = nn.GroupNorm(3, 6, eps=1e-3, affine=False)
    assert list(plain.parameters()) == [] and plain.state_dict() == {}
    assert repr(plain) == "GroupNorm(3, 6, eps=0.001, affine=False, bias=False)"
    no_shift = nn.GroupNorm(3, 6, bias=False)
    assert list(no_shift.state_dict()) == ["weight"] and no_shift.bias is None
    f32 = nn.GroupNorm(1, 2, dtype=np.float32)
    assert f32.weight.dtype == f32.bias.dtype == np.float32

    net = nn.Sequential(nn.Conv2d(1, 4, 3, rng=0), nn.GroupNorm(2, 4))
    assert list(net.to_torch_state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    net[1].weight.data[...] = RNG.uniform(0.5, 2, 4)
    other = nn.Sequential(nn.Conv2d(1, 4, 3, rng=1), nn.GroupNorm(2, 4))
    other.load_state_dict(net.state_dict())
    x = ad.tensor(RNG.standard_normal((2, 1, 5, 5)))
    np.testing.assert_array_equal(other(x).data, net(x).data)


def test_group_norm_is_the_same_in_train_and_eval():
    gn = nn.GroupNorm(2, 4)
    x = ad.tensor(RNG.standard_normal((3, 4, 2)))
    np.testing.assert_array_equal(gn.train()(x).data, gn.eval()(x).data)


def test_group_norm_errors_name_the_op_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"^GroupNorm: num_channels \(6\) must be divisible by "
                                         r"num_groups \(4\); use a num_groups that divides 6 "
                                         r"\(1, 2, 3, 6\)$"):
        nn.GroupNorm(4, 6)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match=r"^GroupNorm: num_groups must be a positive int"):
            nn.GroupNorm(bad, 4)
    with pytest.raises(ValueError, match=r"^GroupNorm: num_channels must be a positive int"):
        nn.GroupNorm(1, 0)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        nn.GroupNorm(1, 2, eps=-1.0)
    with pytest.raises(ValueError, match=r"^GroupNorm\(2, 4, eps=1e-05\): expected 4 channels "
                                         r"on axis 1 .* got input of shape \(2, 6, 3\)$"):
        nn.GroupNorm(2, 4)(ad.tensor(np.zeros((2, 6, 3))))
    with pytest.raises(ValueError, match=r"expected 4 channels .* got input of shape \(2, 6\)"):
        nn.GroupNorm(2, 4, affine=False)(ad.tensor(np.zeros((2, 6))))

    with pytest.raises(ValueError, match=r"^group_norm: the number of channels \(axis 1\) must "
                                         r"be divisible by num_groups, got input of shape "
                                         r"\(2, 4, 3\) and num_groups=3; use a num_groups that "
                                         r"divides 4 \(1, 2, 4\)$"):
        F.group_norm(ad.tensor(np.zeros((2, 4, 3))), 3)
    with pytest.raises(ValueError, match=r"^group_norm: expected input of shape \(N, C, \*\) .* "
                                         r"got shape \(4,\)$"):
        F.group_norm(ad.tensor(np.zeros(4)), 2)
    with pytest.raises(ValueError, match=r"^group_norm: weight must have shape \(4,\), one value "
                                         r"per channel of the input of shape \(2, 4, 3\), got "
                                         r"\(3,\)$"):
        F.group_norm(ad.tensor(np.zeros((2, 4, 3))), 2, weight=np.ones(3))
    with pytest.raises(ValueError, match=r"^group_norm: bias must have shape \(4,\)"):
        F.group_norm(ad.tensor(np.zeros((2, 4, 3))), 2, bias=np.ones((4, 1)))
    with pytest.raises(TypeError, match=r"^group_norm: expected floating-point values, got dtype "
                                        r"int64$"):
        F.group_norm(np.zeros((2, 4, 3), dtype=np.int64), 2)
    with pytest.raises(ValueError, match=r"^group_norm: expected more than 1 value per group, "
                                         r"got input of shape \(1, 4, 1, 1\) and num_groups=4"):
        F.group_norm(ad.tensor(np.ones((1, 4, 1, 1))), 4)
    with pytest.raises(TypeError, match=r"^group_norm: eps gets no gradient"):
        F.group_norm(ad.tensor(np.ones((2, 4))), 2, eps=ad.tensor(1e-5, requires_grad=True))


def test_a_group_of_one_value_normalises_to_zero_exactly():
    x = RNG.standard_normal((2, 4)) * 5
    np.testing.assert_array_equal(F.group_norm(ad.tensor(x), 4).data, np.zeros((2, 4)))


def test_compiled_training_step_with_group_norm_matches_eager():
    def make():
        conv = nn.Conv2d(2, 4, 3, padding=1, rng=0)
        gn = nn.GroupNorm(2, 4)
        fc = nn.Linear(4 * 3 * 3, 3, rng=1)
        params = list(conv.parameters()) + list(gn.parameters()) + list(fc.parameters())
        opt = ad.optim.SGD(params, lr=0.1, momentum=0.9)

        def step(x, y):
            loss = F.cross_entropy(fc(F.relu(gn(conv(x))).flatten(1)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, gn.weight.grad
        return gn, step
    (gn_eager, eager), (gn_compiled, step) = make(), make()
    compiled = ad.compile(step)
    data = np.random.default_rng(3)
    for _ in range(4):
        x, y = data.standard_normal((5, 2, 3, 3)), data.integers(0, 3, 5)
        for a, b in zip(eager(ad.tensor(x), y), compiled(ad.tensor(x), y)):
            np.testing.assert_allclose(np.asarray(getattr(b, "data", b)),
                                       np.asarray(getattr(a, "data", a)), rtol=1e-12, atol=1e-14)
    assert compiled.traces == 1
    np.testing.assert_allclose(gn_compiled.weight.data, gn_eager.weight.data, rtol=1e-12)
    np.testing.assert_allclose(gn_compiled.bias.data, gn_eager.bias.data, rtol=1e-12, atol=1e-14)
