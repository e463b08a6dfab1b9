"""What the eleventh round of PyTorch scripts found missing or different, each fixed at
the root and checked against PyTorch where it is installed: ``_, pred = torch.max(out,
1)`` and ``values, order = torch.sort(x, stable=True)`` (NumPy's values, unpacked into
two names: now a TypeError naming PyTorch's form rather than Python's bare "too many
values to unpack"); ``torch.quantile`` / ``torch.nanquantile`` with PyTorch's ``dim=``,
``keepdim=`` and ``interpolation=``; a module's extra state (``get_extra_state`` /
``set_extra_state``, saved under ``'_extra_state'`` and loaded back, also from and to
PyTorch); ``requires_grad_()`` on a frozen layer's output (a leaf in PyTorch, refused
here before); ``scaled_dot_product_attention(enable_gqa=True)``; ``ctx.mark_dirty``
(refused, naming the out-of-place form); and ``Sequential`` ``+`` / ``+=`` / ``*``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.conventions import ConventionWarning

RNG = np.random.default_rng(1111)


# ----- NumPy's values unpacked as PyTorch's (values, indices) --------------------------

def test_max_over_an_axis_unpacked_into_two_names_names_the_dim_form():
    outputs = ad.tensor(RNG.normal(size=(5, 3)))
    with pytest.raises(TypeError, match=r"NumPy's max.*\(5 of them.*max\(x, dim=1\)"):
        _, predicted = ad.max(outputs, 1)
    with pytest.raises(TypeError, match=r"NumPy's min.*argmin"):
        _, predicted = ad.min(outputs, axis=1)
    values, indices = ad.max(outputs, dim=1)      # PyTorch's form
    np.testing.assert_array_equal(indices.data, outputs.data.argmax(1))


def test_sort_unpacked_into_two_names_names_the_dim_form():
    ranks = ad.tensor([3, 1, 3, 2, 1, 3])
    with pytest.raises(TypeError, match=r"NumPy's sort.*\(6 of them.*x\.sort\(dim=-1\)"):
        values, order = ad.sort(ranks, stable=True)
    values, order = ad.sort(ranks, dim=0, stable=True)
    np.testing.assert_array_equal(order.data, [1, 4, 3, 0, 2, 5])
    torch = pytest.importorskip("torch")
    theirs = torch.sort(torch.tensor([3, 1, 3, 2, 1, 3]), stable=True)
    np.testing.assert_array_equal(order.data, theirs.indices.numpy())
    np.testing.assert_array_equal(values.data, theirs.values.numpy())


def test_median_unpacked_into_two_names_names_the_dim_form():
    x = ad.tensor(RNG.normal(size=(4, 5)))
    with pytest.raises(TypeError, match=r"NumPy's median.*x\.median\(dim=1\)"):
        _, where = ad.median(x, axis=1)


def test_unpackings_that_numpy_allows_run_as_before():
    lo, hi = ad.sort(ad.tensor([2.0, 1.0]))           # two values: NumPy's unpacking
    assert (lo.item(), hi.item()) == (1.0, 2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = ad.max(ad.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    assert (first.item(), second.item()) == (5.0, 7.0)
    assert any(issubclass(w.category, ConventionWarning) for w in caught)
    rows = [row.sum().item() for row in ad.tensor(np.ones((3, 2)))]
    assert rows == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="too many values"):    # not a reduction
        a, b = ad.exp(ad.tensor([0.0, 1.0, 2.0]))
    values = ad.max(ad.tensor(np.ones((3, 2))), 1)
    with pytest.raises(ValueError, match="too many values"):    # not the call's line
        a, b = values


# ----- torch.quantile's dim= / keepdim= / interpolation= ----------------------------------

@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint",
                                           "nearest"])
def test_quantile_takes_pytorchs_dim_keepdim_and_interpolation(name, interpolation):
    values = RNG.normal(size=(4, 6))
    values[1, 2] = np.nan if name == "nanquantile" else values[1, 2]
    q = np.array([0.1, 0.5, 0.75])
    x = ad.tensor(values, requires_grad=True)
    ours = getattr(ad, name)(x, ad.tensor(q), dim=1, keepdim=True,
                             interpolation=interpolation)
    assert ours.shape == (3, 4, 1)
    method = getattr(np, name)(values, q, axis=1, keepdims=True, method=interpolation)
    np.testing.assert_allclose(ours.data, method, rtol=1e-15)
    ours.sum().backward()
    assert np.isfinite(x.grad).all()
    torch = pytest.importorskip("torch")
    t = torch.tensor(values, requires_grad=True)
    theirs = getattr(torch, name)(t, torch.tensor(q), dim=1, keepdim=True,
                                  interpolation=interpolation)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-14)
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-14)


def test_quantile_with_both_libraries_keywords_is_refused():
    x = ad.tensor(RNG.normal(size=(3, 4)))
    with pytest.raises(TypeError, match="quantile: got NumPy's axis=.*pick one"):
        ad.quantile(x, 0.5, axis=1, dim=1)
    with pytest.raises(TypeError, match="nanquantile: got NumPy's.*pick one"):
        ad.nanquantile(x, 0.5, method="lower", interpolation="lower")
    np.testing.assert_allclose(ad.quantile(x, 0.5, interpolation="midpoint").data,
                               np.quantile(x.data, 0.5, method="midpoint"))


# ----- a module's extra state (get_extra_state / set_extra_state) -------------------------

def _counting_model(lib):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.calls = 0

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]

    model = lib.nn.Sequential(lib.nn.Linear(2, 2), Counter())
    model.register_buffer("steps", lib.zeros(()))
    return model


def test_extra_state_is_saved_after_the_modules_arrays_and_given_back_by_a_load():
    model = _counting_model(ad)
    model[1].calls = 7
    state = model.state_dict()
    assert list(state) == ["steps", "0.weight", "0.bias", "1._extra_state",
                           "1.lin.weight", "1.lin.bias"]
    assert state["1._extra_state"] == {"calls": 7}
    fresh = _counting_model(ad)
    assert fresh.load_state_dict(state) == ([], [])
    assert fresh[1].calls == 7
    fresh = _counting_model(ad)
    assert fresh.load_torch_state_dict(model.to_torch_state_dict()) == ([], [])
    assert fresh[1].calls == 7
    del state["1._extra_state"]
    with pytest.raises(KeyError, match=r"missing keys \['1._extra_state'\]"):
        fresh.load_state_dict(state)
    assert fresh.load_state_dict(state, strict=False).missing_keys == ["1._extra_state"]
    # a module without a setter does not take one
    keys = ad.nn.Linear(2, 2).load_state_dict({"_extra_state": 1}, strict=False)
    assert keys.unexpected_keys == ["_extra_state"]
    with pytest.raises(RuntimeError, match="Linear.get_extra_state: this module keeps no"):
        ad.nn.Linear(2, 2).get_extra_state()


def test_extra_state_round_trips_with_pytorch():
    torch = pytest.importorskip("torch")
    theirs = _counting_model(torch)
    theirs[1].calls = 3
    their_state = theirs.state_dict()
    ours = _counting_model(ad)
    assert list(ours.to_torch_state_dict()) == list(their_state)
    assert ours.load_torch_state_dict(their_state) == ([], [])
    assert ours[1].calls == 3
    for key, value in ours.to_torch_state_dict().items():
        if key.endswith("_extra_state"):
            assert value == their_state[key]
        else:
            np.testing.assert_array_equal(value, their_state[key].numpy())
    back = _counting_model(torch)
    ours[1].calls = 11
    back.load_state_dict({k: v if k.endswith("_extra_state") else torch.from_numpy(v)
                          for k, v in ours.to_torch_state_dict().items()})
    assert back[1].calls == 11


# ----- requires_grad_() on a result that needs no gradient -------------------------------

def _probe_gradient(lib, x_values):
    lin = lib.nn.Linear(3, 4)
    lin.requires_grad_(False)
    hidden = lin(lib.tensor(x_values, dtype=lib.float32))
    was_leaf = hidden.is_leaf
    hidden.requires_grad_()
    hidden.retain_grad()
    (hidden.tanh() ** 2).sum().backward()
    return was_leaf, hidden.is_leaf, np.asarray(hidden.grad), hidden.detach().numpy()


def test_a_frozen_layers_output_becomes_a_leaf_that_requires_grad():
    x_values = RNG.normal(size=(2, 3))
    was_leaf, is_leaf, grad, hidden = _probe_gradient(ad, x_values)
    assert was_leaf and is_leaf
    t = np.tanh(hidden)
    np.testing.assert_allclose(grad, 2 * t * (1 - t ** 2), rtol=1e-5)
    x = ad.tensor(x_values, requires_grad=True)
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        (x * 2).requires_grad_(False)      # on the tape: refused, as in PyTorch
    torch = pytest.importorskip("torch")
    theirs = _probe_gradient(torch, x_values)
    assert theirs[:2] == (was_leaf, is_leaf)


# ----- scaled_dot_product_attention(enable_gqa=True) --------------------------------------

def test_grouped_query_attention_repeats_each_key_value_head_in_turn():
    q_values = RNG.normal(size=(2, 6, 3, 4))
    k_values = RNG.normal(size=(2, 2, 5, 4))
    v_values = RNG.normal(size=(2, 2, 5, 3))
    q, k, v = (ad.tensor(t, requires_grad=True) for t in (q_values, k_values, v_values))
    out = ad.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    # query heads 0-2 read key/value head 0, heads 3-5 head 1
    expanded = ad.nn.functional.scaled_dot_product_attention(
        q, ad.tensor(np.repeat(k_values, 3, axis=1)), ad.tensor(np.repeat(v_values, 3, axis=1)))
    np.testing.assert_allclose(out.data, expanded.data, rtol=1e-14)
    (out ** 2).sum().backward()
    with pytest.raises(ValueError, match=r"query's number of heads \(6\) to be a multiple "
                                         r"of the key's \(4\)"):
        ad.nn.functional.scaled_dot_product_attention(
            q, ad.tensor(RNG.normal(size=(2, 4, 5, 4))), v, enable_gqa=True)
    torch = pytest.importorskip("torch")
    tq, tk, tv = (torch.tensor(t, requires_grad=True) for t in (q_values, k_values,
                                                                 v_values))
    theirs = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True)
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    (theirs ** 2).sum().backward()
    for ours, their in ((q, tq), (k, tk), (v, tv)):
        np.testing.assert_allclose(ours.grad, their.grad.numpy(), rtol=1e-11, atol=1e-13)


# ----- ctx.mark_dirty -----------------------------------------------------------------------

def test_mark_dirty_is_refused_naming_the_out_of_place_form():
    class ScaleInPlace(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 3.0

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"mark_dirty.*x \* 3\.0 rather than "
                                                  r"x\.mul_\(3\.0\)"):
        ScaleInPlace.apply(x * 1.0)


# ----- Sequential + Sequential, Sequential * n ----------------------------------------------

def _combined(lib):
    a = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
    b = lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Linear(3, 3))
    joined, repeated, repeated_left = a + b, b * 2, 2 * b
    grown = lib.nn.Sequential(lib.nn.Identity())
    grown += a
    return {
        "lengths": [len(joined), len(repeated), len(repeated_left), len(grown)],
        "names": [n for n, _ in joined.named_parameters()],
        "repeated names": [n for n, _ in repeated.named_parameters()],
        "shared": [joined[0] is a[0], repeated[1] is repeated[3], grown[1] is a[0]],
    }


def test_sequentials_add_and_multiply_as_pytorchs():
    ours = _combined(ad)
    assert ours["lengths"] == [4, 4, 4, 3]
    assert ours["shared"] == [True, True, True]
    x = ad.tensor(RNG.normal(size=(5, 2)))
    a = ad.nn.Sequential(ad.nn.Linear(2, 3), ad.nn.ReLU())
    head = ad.nn.Linear(3, 1)
    np.testing.assert_allclose(((a + ad.nn.Sequential(head)) * 1)(x).data,
                               head(a(x)).data, rtol=1e-15)
    with pytest.raises(ValueError, match="positive int"):
        a * 0
    torch = pytest.importorskip("torch")
    assert _combined(torch) == ours
