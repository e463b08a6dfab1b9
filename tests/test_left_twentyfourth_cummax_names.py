"""``cummax``/``cummin`` are recorded under their own names (as ``logcumsumexp`` is), so
graphs, ``grad_fn`` and ``explain`` say what the user wrote; their values, indices and
gradients are PyTorch's and agree with central differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

DATA = np.array([[1.0, 3.0, 3.0, 2.0, 5.0], [4.0, -1.0, 0.5, 0.5, 4.0]])


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_grad_fn_and_graph_text_name_the_torch_op(name):
    x = ad.tensor(DATA, requires_grad=True)
    values = getattr(x, name)(1).values
    assert values.grad_fn.name() == f"{name.capitalize()}Backward0"
    assert f"= {name}(" in ad.viz.text(values)
    assert "accumulate" not in ad.viz.text(values)
    same = getattr(ad, name)(x, 1).values
    assert same.grad_fn.name() == f"{name.capitalize()}Backward0"


def test_numpy_accumulate_keeps_numpys_name():
    x = ad.tensor(DATA, requires_grad=True)
    assert np.maximum.accumulate(x, axis=1).grad_fn.name() == "MaximumAccumulateBackward0"
    assert np.minimum.accumulate(x, axis=1).grad_fn.name() == "MinimumAccumulateBackward0"


def test_explain_names_cummax_on_the_path():
    x = ad.tensor([1.0, 3.0, 2.0], requires_grad=True)
    out = x.cummax(0).values[0] * 0.0
    out.backward()
    report = str(ad.explain(x))
    assert "cummax" in report
    assert "maximum_accumulate" not in report


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_values_indices_and_gradients_match_torch(name, dim):
    torch = pytest.importorskip("torch")
    weights = np.arange(1.0, DATA.size + 1).reshape(DATA.shape)
    x = ad.tensor(DATA, requires_grad=True)
    ours = getattr(ad, name)(x, dim)
    (ours.values * ad.tensor(weights)).sum().backward()
    t = torch.tensor(DATA, requires_grad=True)
    theirs = getattr(torch, name)(t, dim)
    (theirs.values * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.values.data, theirs.values.detach().numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert ours.indices.dtype == np.int64
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_gradient_matches_central_differences_without_ties(name):
    rng = np.random.default_rng(24)
    data = rng.normal(size=(3, 4))
    weights = rng.normal(size=(3, 4))

    def f(a):
        return float(np.sum(getattr(ad, name)(ad.tensor(a), 0).values.data * weights))

    x = ad.tensor(data, requires_grad=True)
    (getattr(ad, name)(x, 0).values * ad.tensor(weights)).sum().backward()
    numeric = np.zeros_like(data)
    step = 1e-6
    for i in np.ndindex(data.shape):
        bump = np.zeros_like(data)
        bump[i] = step
        numeric[i] = (f(data + bump) - f(data - bump)) / (2 * step)
    np.testing.assert_allclose(x.grad, numeric, atol=1e-7)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_zero_d_and_forward_mode(name):
    torch = pytest.importorskip("torch")
    ours = getattr(ad, name)(ad.tensor(2.5), 0)
    theirs = getattr(torch, name)(torch.tensor(2.5, dtype=torch.float64), 0)
    assert ours.values.shape == tuple(theirs.values.shape) == ()
    assert ours.indices.shape == tuple(theirs.indices.shape) == ()
    tangent = np.arange(5.0)
    _, out_tangent = ad.jvp(lambda t: getattr(t, name)(0).values, (ad.tensor(DATA[0]),),
                            (ad.tensor(tangent),))
    held = getattr(torch, name)(torch.tensor(DATA[0]), 0).indices.numpy()
    np.testing.assert_array_equal(np.asarray(out_tangent.data), tangent[held])
