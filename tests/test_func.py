"""ad.func (torch.func's names), functional_call, and containers of arrays in ad.grad."""

from collections import namedtuple

import numpy as np
import pytest

import autodiff as ad
from autodiff import func, nn


def _model():
    ad.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


def _loss(model):
    def loss(params, x, y):
        return ((func.functional_call(model, params, (x[None],)) - y) ** 2).sum()
    return loss


def test_functional_call_uses_the_values_for_the_call_only():
    model = _model()
    before = {k: v.data.copy() for k, v in model.named_parameters()}
    x = np.random.default_rng(0).random((2, 3))
    zeros = {k: np.zeros_like(v) for k, v in before.items()}
    np.testing.assert_array_equal(func.functional_call(model, zeros, (x,)).data,
                                  np.zeros((2, 1)))
    np.testing.assert_array_equal(func.functional_call(model, zeros, x).data,
                                  np.zeros((2, 1)))          # one argument, not a tuple
    for k, v in model.named_parameters():
        np.testing.assert_array_equal(v.data, before[k])
        assert isinstance(v, nn.Parameter)
    partial = func.functional_call(model, {"2.bias": np.full(1, 5.0)}, (x,))
    expected = model(x).data - model[2].bias.data + 5.0
    np.testing.assert_allclose(partial.data, expected, rtol=1e-15)


def test_functional_call_restores_the_module_when_the_call_raises():
    model = _model()
    weight = model[0].weight
    with pytest.raises(ValueError):
        func.functional_call(model, {"0.weight": np.zeros((3, 4))}, (np.ones((2, 5)),))
    assert model[0].weight is weight and model[0]._parameters["weight"] is weight


def test_grad_of_a_dict_of_parameters_equals_backward():
    model = _model()
    params = {k: v.data.copy() for k, v in model.named_parameters()}
    rng = np.random.default_rng(1)
    x, y = rng.random(3), rng.random(1)
    grads = func.grad(_loss(model))(params, x, y)
    assert list(grads) == list(params)
    _loss(model)({}, x, y).backward()
    for k, p in model.named_parameters():
        np.testing.assert_array_equal(grads[k], p.grad)


def test_per_example_gradients_with_vmap_of_grad_over_a_dict():
    model = _model()
    params = {k: v.data.copy() for k, v in model.named_parameters()}
    rng = np.random.default_rng(2)
    xs, ys = rng.random((5, 3)), rng.random((5, 1))
    per_example = func.vmap(func.grad(_loss(model)), in_dims=(None, 0, 0))(params, xs, ys)
    for k, stacked in per_example.items():
        assert stacked.shape == (5,) + params[k].shape
        for i in range(5):
            np.testing.assert_array_equal(stacked[i], func.grad(_loss(model))(params, xs[i],
                                                                             ys[i])[k])


def test_containers_keep_their_structure_and_types():
    Pair = namedtuple("Pair", "a b")

    def f(tree, scale):
        return (tree["pair"].a * tree["pair"].b).sum() * scale + (tree["list"][0] ** 2).sum()

    tree = {"pair": Pair(np.ones(2), np.full(2, 3.0)), "list": [np.array([1.0, 2.0])]}
    value, (g_tree, g_scale) = ad.value_and_grad(f, argnums=(0, 1))(tree, 2.0)
    assert value == 17.0
    assert isinstance(g_tree["pair"], Pair) and isinstance(g_tree["list"], list)
    np.testing.assert_array_equal(g_tree["pair"].a, [6.0, 6.0])
    np.testing.assert_array_equal(g_tree["pair"].b, [2.0, 2.0])
    np.testing.assert_array_equal(g_tree["list"][0], [2.0, 4.0])
    assert g_scale == 6.0
    assert ad.gradcheck(lambda a, b: f({"pair": Pair(a, b), "list": [a]}, 1.5),
                        [np.array([0.3, -0.2]), np.array([1.0, 2.0])])


def test_second_order_through_a_dict():
    hess_diag = ad.grad(lambda d: ad.grad(lambda e: (e["w"] ** 3).sum())(d)["w"].sum())(
        {"w": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(hess_diag["w"], [6.0, 12.0])


def test_grad_and_value_is_pytorchs_order():
    gradient, value = func.grad_and_value(lambda x: (x ** 2).sum())(np.array([3.0]))
    np.testing.assert_array_equal(gradient, [6.0])
    assert value == 9.0


@pytest.mark.parametrize("values, message", [
    ({"0.wieght": np.zeros((3, 4))}, r"has no parameter or buffer named \['0\.wieght'\]"),
    ({"0.bias": np.zeros(5)}, r"the value for '0\.bias' has shape \(5,\), but the parameter "
                              r"has shape \(4,\)"),
    (({"0.bias": np.zeros(4)}, {"0.bias": np.zeros(4)}), r"\['0\.bias'\] appear in more "
                                                          "than one dict"),
])
def test_functional_call_errors(values, message):
    with pytest.raises((KeyError, ValueError), match=message):
        func.functional_call(_model(), values, (np.ones((1, 3)),))


def test_strict_and_tied_weights():
    model = _model()
    with pytest.raises(KeyError, match=r"strict=True, but no value was given for "
                                       r"\['0\.bias'"):
        func.functional_call(model, {"0.weight": np.zeros((3, 4))}, (np.ones((1, 3)),),
                             strict=True)
    shared = nn.Linear(2, 2)
    tied = nn.Sequential(shared, shared)
    out = func.functional_call(tied, {"0.weight": np.eye(2), "0.bias": np.zeros(2)},
                               (np.array([[1.0, 2.0]]),))
    np.testing.assert_array_equal(out.data, [[1.0, 2.0]])   # both uses got the new values
    with pytest.raises(ValueError, match="one tied parameter, but got different values"):
        func.functional_call(tied, {"0.weight": np.eye(2), "1.weight": np.eye(2) * 2},
                             (np.array([[1.0, 2.0]]),))


def test_a_buffer_can_be_replaced_too():
    norm = nn.BatchNorm1d(2)
    norm.eval()
    out = func.functional_call(norm, {"running_mean": np.array([1.0, 1.0])},
                               (np.array([[1.0, 3.0]]),))
    np.testing.assert_allclose(out.data, [[0.0, 2.0 / np.sqrt(1 + norm.eps)]])
    np.testing.assert_array_equal(norm.running_mean, [0.0, 0.0])
