"""hardshrink / softshrink (and their layers), the in-place activations ``F.relu_`` ...
``F.threshold_``, rrelu / rrelu_ / RReLU and ParameterDict.

Values are checked against NumPy formulas written here, gradients against finite
differences (second order where smooth), the in-place ones against their out-of-place
twins in both of the in-place machinery's modes (recorded, and writing the array), and
everything against PyTorch when it is installed.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _points():
    gen = np.random.default_rng(3)
    return np.concatenate([gen.standard_normal(30) * 2, [-1.0, -0.5, 0.0, 0.5, 1.0]])


def _away_from(kinks, n=20, rng=4):
    x = np.random.default_rng(rng).standard_normal(n) * 2
    return x[np.min(np.abs(x[:, None] - np.asarray(kinks)[None, :]), axis=1) > 1e-3]


# ----- hardshrink / softshrink -----------------------------------------------------------------

@pytest.mark.parametrize("lambd", [0.5, 1.0, 0.0])
def test_shrinks_match_numpy_with_pytorch_gradients_on_the_band_edges(lambd):
    x = _points()
    inside = np.abs(x) <= lambd
    np.testing.assert_array_equal(F.hardshrink(ad.tensor(x), lambd).data,
                                  np.where(inside, 0.0, x))
    np.testing.assert_allclose(F.softshrink(ad.tensor(x), lambd).data,
                               np.where(inside, 0.0, x - lambd * np.sign(x)), rtol=1e-15)
    for f in (F.hardshrink, F.softshrink):
        t = ad.tensor(x, requires_grad=True)
        f(t, lambd).sum().backward()
        np.testing.assert_array_equal(t.grad, np.where(inside, 0.0, 1.0))   # 0 on the edges


def test_shrinks_keep_nan_and_dtype_and_gradcheck():
    t = ad.tensor([np.nan, np.inf, -np.inf], requires_grad=True)
    out = F.softshrink(t) + F.hardshrink(t)
    np.testing.assert_array_equal(out.data, [np.nan, np.inf, -np.inf])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])
    for f in (F.hardshrink, F.softshrink):
        assert f(ad.tensor(np.ones((2, 1), np.float32))).dtype == np.float32
        assert f(ad.tensor(0.2)).shape == ()
        x = _away_from([-0.5, 0.5])
        assert ad.gradcheck(lambda u: (f(u) ** 2).sum(), [x])
        assert ad.gradcheck(lambda u: ad.grad(lambda v: (f(v) ** 3).sum())(u).sum(), [x])


def test_shrink_layers_and_errors():
    assert repr(nn.Hardshrink()) == "Hardshrink(0.5)"
    assert repr(nn.Softshrink(1.0)) == "Softshrink(1.0)"
    np.testing.assert_array_equal(nn.Softshrink(1.0)(ad.tensor([-3.0, 0.2, 2.0])).data,
                                  [-2.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="softshrink: lambd must be >= 0"):
        F.softshrink(ad.tensor([1.0]), -1.0)
    with pytest.raises(ValueError, match="Softshrink"):
        nn.Softshrink(-0.5)
    with pytest.raises(TypeError, match="hardshrink"):
        F.hardshrink(ad.tensor([1, 2]))


# ----- in-place activations --------------------------------------------------------------------

IN_PLACE = {
    "relu_": (F.relu_, F.relu, {}),
    "leaky_relu_": (F.leaky_relu_, lambda x, s: F.leaky_relu(x, s), {"negative_slope": 0.2}),
    "elu_": (F.elu_, F.elu, {"alpha": 0.7}),
    "selu_": (F.selu_, F.selu, {}),
    "celu_": (F.celu_, F.celu, {"alpha": 2.0}),
    "hardtanh_": (F.hardtanh_, F.hardtanh, {"min_val": -0.5, "max_val": 1.0}),
    "threshold_": (F.threshold_, F.threshold, {"threshold": 0.5, "value": -3.0}),
    "rrelu_": (F.rrelu_, F.rrelu, {"lower": 0.1, "upper": 0.3}),
}


def _call(f, x, kwargs):
    return f(x, *kwargs.values())


@pytest.mark.parametrize("name", sorted(IN_PLACE))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_place_writes_the_array_when_nothing_is_recorded(name, dtype):
    f_, f, kwargs = IN_PLACE[name]
    x = np.concatenate([_points(), [np.nan, 40.0, -40.0]]).astype(dtype)
    expected = _call(f, ad.tensor(x), kwargs).data
    t = ad.tensor(x.copy())
    array = t.data
    assert _call(f_, t, kwargs) is t
    assert t.data is array and t.dtype == dtype          # the same array, overwritten
    np.testing.assert_array_equal(t.data, expected)
    leaf = ad.tensor(x.copy(), requires_grad=True)
    with ad.no_grad():
        _call(f_, leaf, kwargs)
    np.testing.assert_array_equal(leaf.data, expected)


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_is_recorded_with_the_out_of_place_gradient(name):
    f_, f, kwargs = IN_PLACE[name]
    x = _points()
    a = ad.tensor(x, requires_grad=True)
    h = a * 1.0
    assert _call(f_, h, kwargs) is h
    (h * np.arange(len(x))).sum().backward()
    b = ad.tensor(x, requires_grad=True)
    expected = _call(f, b * 1.0, kwargs)
    (expected * np.arange(len(x))).sum().backward()
    np.testing.assert_array_equal(h.data, expected.data)
    np.testing.assert_array_equal(a.grad, b.grad)


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_refuses_a_leaf_and_backward_refuses_an_overwritten_saved_array(name):
    f_, _, kwargs = IN_PLACE[name]
    leaf = ad.tensor([-1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: .*leaf that requires grad"):
        _call(f_, leaf, kwargs)
    w = ad.tensor([3.0, 4.0], requires_grad=True)
    saved = ad.tensor([-1.0, 2.0])
    loss = (saved * w).sum()              # multiply saved `saved` for w's gradient
    _call(f_, saved, kwargs)              # as PyTorch's version counter: backward refuses
    with pytest.raises(ad.InPlaceError, match="'multiply' saved its input"):
        loss.backward()
    with pytest.raises(TypeError, match=f"{name}: expected a Tensor"):
        _call(f_, np.array([1.0]), kwargs)


def test_in_place_second_derivative_and_argument_errors():
    x = _away_from([0.0])
    def twice(u):
        h = u * 1.0
        F.elu_(h, 0.7)
        return (h ** 3).sum()
    assert ad.gradcheck(lambda u: ad.grad(twice)(u).sum(), [x])
    with pytest.raises(ValueError, match="hardtanh_: min_val cannot be greater"):
        F.hardtanh_(ad.tensor([1.0]), 2.0, 1.0)
    with pytest.raises(ValueError, match="celu_: alpha cannot be 0"):
        F.celu_(ad.tensor([1.0]), 0.0)
    with pytest.raises(TypeError, match="elu_"):
        F.elu_(ad.tensor([1, 2]))
    t = ad.tensor([-1, 2])                              # relu_ keeps integers, as PyTorch
    F.relu_(t)
    np.testing.assert_array_equal(t.data, [0, 2])


def test_in_place_views_write_through_to_their_base():
    base = ad.tensor(np.array([[-1.0, 2.0], [-3.0, 4.0]]))
    F.relu_(base[0])
    np.testing.assert_array_equal(base.data, [[0.0, 2.0], [-3.0, 4.0]])
    a = ad.tensor(np.array([[-1.0, 2.0], [-3.0, 4.0]]), requires_grad=True)
    h = a * 2.0
    F.hardtanh_(h[1], -1.0, 1.0)                       # recorded into h too
    h.sum().backward()
    np.testing.assert_array_equal(h.data, [[-2.0, 4.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(a.grad, [[2.0, 2.0], [0.0, 0.0]])


# ----- rrelu -----------------------------------------------------------------------------------

def test_rrelu_training_draws_slopes_in_the_range_and_eval_uses_the_mean():
    x = -np.linspace(0.5, 3.0, 400)
    slopes = F.rrelu(ad.tensor(x), 0.1, 0.3, training=True, rng=0).data / x
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.05
    np.testing.assert_allclose(F.rrelu(ad.tensor(x), 0.1, 0.3).data, 0.2 * x)
    np.testing.assert_array_equal(F.rrelu(ad.tensor([2.0]), training=True, rng=0).data, [2.0])
    # the same seed gives the same slopes; the gradient is the slope where x <= 0
    t = ad.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    out = F.rrelu(t, 0.1, 0.3, training=True, rng=5)
    out.sum().backward()
    again = F.rrelu(ad.tensor([-1.0, 0.0, 2.0]), 0.1, 0.3, training=True, rng=5)
    np.testing.assert_array_equal(out.data, again.data)
    assert 0.1 <= t.grad[0] <= 0.3 and 0.1 <= t.grad[1] <= 0.3 and t.grad[2] == 1.0
    np.testing.assert_allclose(t.grad[0], -out.data[0])
    x = _away_from([0.0])
    assert ad.gradcheck(lambda u: (F.rrelu(u, 0.1, 0.3, training=True, rng=1) ** 2).sum(), [x])


def test_rrelu_layer_trains_then_evaluates_and_repr():
    layer = nn.RReLU(0.1, 0.3, rng=2)
    first, second = (layer(ad.tensor(-np.ones(50))).data for _ in range(2))
    assert not np.array_equal(first, second)             # the layer's generator moves on
    np.testing.assert_allclose(layer.eval()(ad.tensor([-1.0, 2.0])).data, [-0.2, 2.0])
    assert repr(layer) == "RReLU(lower=0.1, upper=0.3)"
    with pytest.raises(ValueError, match="RReLU: lower"):
        nn.RReLU(0.5, 0.1)
    t = ad.tensor([-1.0, 1.0])
    assert F.rrelu(t, 0.2, 0.2, inplace=True) is t
    np.testing.assert_allclose(t.data, [-0.2, 1.0])


# ----- against PyTorch -------------------------------------------------------------------------

def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.concatenate([_points(), [np.nan]])
    cases = [("hardshrink", {}), ("hardshrink", {"lambd": 1.0}), ("softshrink", {}),
             ("softshrink", {"lambd": 0.0}), ("rrelu", {"lower": 0.1, "upper": 0.4})]
    for name, kwargs in cases:
        ours = ad.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        a, b = getattr(F, name)(ours, **kwargs), getattr(tf, name)(theirs, **kwargs)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-15, err_msg=name)
        a.sum().backward()
        b.sum().backward()
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy(), err_msg=name)
    for name, (f_, _, kwargs) in IN_PLACE.items():
        ours, theirs = ad.tensor(x.copy()), torch.tensor(x.copy())
        _call(f_, ours, kwargs)
        _call(getattr(tf, name), theirs, kwargs)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15, err_msg=name)
    for cls, args in ((nn.Hardshrink, ()), (nn.Softshrink, (0.3,)), (nn.RReLU, (0.1, 0.2))):
        assert repr(cls(*args)) == repr(getattr(torch.nn, cls.__name__)(*args))


# ----- ParameterDict ---------------------------------------------------------------------------

def test_parameter_dict_registers_wraps_and_orders_as_pytorch():
    d = nn.ParameterDict({"b": nn.Parameter([1.0]), "a": np.zeros(2)})
    assert isinstance(d["a"], nn.Parameter) and d.keys() == ["a", "b"]   # a dict: sorted
    d.update(OrderedDict([("z", ad.tensor([1.0])), ("c", np.ones(1))]))  # in its order
    assert list(d) == ["a", "b", "z", "c"] and len(d) == 4 and "z" in d
    d["e"] = np.ones(3)
    assert d.pop("e").shape == (3,) and "e" not in d
    del d["z"]
    assert d.get("z") is None

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = d

        def forward(self, x):
            return x * self.scales["b"] + self.scales["c"]

    model = Model()
    assert [n for n, _ in model.named_parameters()] == ["scales.a", "scales.b", "scales.c"]
    model(ad.tensor([2.0])).sum().backward()
    np.testing.assert_array_equal(d["b"].grad, [2.0])
    model.load_state_dict({"scales.a": np.full(2, 5.0), "scales.b": [3.0], "scales.c": [0.0]})
    np.testing.assert_array_equal(d["a"].data, [5.0, 5.0])
    with pytest.raises(KeyError, match="no parameter named 'q'; it has"):
        d["q"]
    with pytest.raises(KeyError, match="without '.'"):
        d["a.b"] = np.ones(1)
    with pytest.raises(TypeError, match="ParameterDict: values must be Parameters"):
        d["x"] = 1.5
    d.clear()
    assert len(d) == 0 and list(model.parameters()) == []


def test_parameter_dict_state_dict_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.ParameterDict({"w": np.ones((2, 3)), "a": np.zeros(1)})
    theirs = torch.nn.ParameterDict({"w": torch.ones(2, 3), "a": torch.zeros(1)})
    assert list(ours.state_dict()) == list(theirs.state_dict())
