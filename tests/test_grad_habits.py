"""PyTorch's habits on ``.grad`` (``p.grad.zero_()``, ``p.grad.norm()``,
``p.grad.data.clamp_(-1, 1)``, ...) work on the ``GradArray`` that ``.grad`` gives, as
PyTorch's, while ``.grad`` stays an ndarray (the API's contract)."""

from __future__ import annotations

import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff.grad_arrays import GradArray

R = np.random.default_rng(16)
W0 = R.normal(size=(3, 4))
OTHER = R.normal(size=(3, 4))


def _grad_of(lib):
    """A leaf of both libraries with the same gradient, 3 w² - 1 (negative entries too)."""
    w = lib.tensor(W0.copy(), requires_grad=True)
    (w ** 3 - w).sum().backward()
    return w


def _values(x):
    """A result of either library as a NumPy array (a Python number as itself)."""
    if hasattr(x, "detach") and not isinstance(x, np.ndarray):
        x = x.detach().numpy()
    return x if isinstance(x, (int, float, bool, tuple)) else np.asarray(x)


# (habit, applied to a .grad; the values it gives, and the .grad after it, must match)
HABITS = {
    "zero_": lambda g: g.zero_(),
    "detach_": lambda g: g.detach_(),
    "clone": lambda g: g.clone(),
    "clone().zero_() leaves .grad": lambda g: g.clone().zero_(),
    "data": lambda g: g.data,
    "data.zero_": lambda g: g.data.zero_(),
    "norm": lambda g: g.norm(),
    "norm(2).item": lambda g: g.norm(2).item(),
    "norm(p=1)": lambda g: g.norm(p=1),
    "norm(inf)": lambda g: g.norm(float("inf")),
    "norm(-inf)": lambda g: g.norm(float("-inf")),
    "norm(0)": lambda g: g.norm(0),
    "norm(3)": lambda g: g.norm(3),
    "norm(dim=0)": lambda g: g.norm(dim=0),
    "norm(p=1, dim=1, keepdim)": lambda g: g.norm(p=1, dim=1, keepdim=True),
    "norm('fro')": lambda g: g.norm("fro"),
    "data.norm(2)": lambda g: g.data.norm(2),
    "add_": lambda g: g.add_(_like(g, OTHER)),
    "add_ alpha": lambda g: g.add_(_like(g, OTHER), alpha=0.5),
    "add_ number": lambda g: g.add_(2.0),
    "sub_ alpha": lambda g: g.sub_(_like(g, OTHER), alpha=2.0),
    "mul_": lambda g: g.mul_(0.5),
    "mul_ array": lambda g: g.mul_(_like(g, OTHER)),
    "div_": lambda g: g.div_(4.0),
    "copy_": lambda g: g.copy_(_like(g, OTHER)),
    "copy_ broadcast row": lambda g: g.copy_(_like(g, OTHER[0])),
    "clamp_": lambda g: g.clamp_(-1, 1),
    "clamp_ min": lambda g: g.clamp_(min=0),
    "clamp_ max": lambda g: g.clamp_(max=0.5),
    "data.clamp_": lambda g: g.data.clamp_(-1, 1),
    "fill_": lambda g: g.fill_(3.0),
    "abs_": lambda g: g.abs_(),
    "neg_": lambda g: g.neg_(),
    "abs().max().item": lambda g: g.abs().max().item(),
    "abs().sum().item": lambda g: g.abs().sum().item(),
    "sum().item": lambda g: g.sum().item(),
    "sum(0)": lambda g: g.sum(0),
    "sum(dim=1, keepdim=True)": lambda g: g.sum(dim=1, keepdim=True),
    "sum(dim=[0, 1])": lambda g: g.sum(dim=[0, 1]),
    "mean(dim=0)": lambda g: g.mean(dim=0),
    "mean(1, keepdim=True)": lambda g: g.mean(1, keepdim=True),
    "mean().item": lambda g: g.mean().item(),
    "max().item": lambda g: g.max().item(),
    "min().item": lambda g: g.min().item(),
    "std(ddof=1) as unbiased": lambda g: (g.std(ddof=1) if isinstance(g, np.ndarray)
                                          else g.std()),
    "numpy": lambda g: g.numpy(),
    "detach().cpu().numpy": lambda g: g.detach().cpu().numpy(),
    "cpu().numpy": lambda g: g.cpu().numpy(),
    "numel": lambda g: g.numel(),
    "dim": lambda g: g.dim(),
    "size()": lambda g: tuple(g.size()),
    "size(1)": lambda g: g.size(1),
    "item of a 1-entry slice": lambda g: g[0, 0].item(),
    "tolist": lambda g: g.tolist(),
    "mul_ chained zero_": lambda g: g.mul_(2).zero_(),
    "to float32": lambda g: g.to(np.float32 if isinstance(g, np.ndarray) else
                                 __import__("torch").float32),
    "any": lambda g: bool(g.any()),
    "equal": lambda g: g.equal(g.clone()),
}


def _like(g, values):
    if isinstance(g, np.ndarray):
        return values.copy()
    import torch
    return torch.tensor(values)


@pytest.mark.parametrize("habit", sorted(HABITS))
def test_each_habit_on_grad_gives_pytorchs_values_and_leaves_pytorchs_grad(habit):
    torch = pytest.importorskip("torch")
    mine, theirs = _grad_of(ad), _grad_of(torch)
    got, expected = HABITS[habit](mine.grad), HABITS[habit](theirs.grad)
    got, expected = _values(got), _values(expected)
    if isinstance(expected, np.ndarray):
        assert np.shape(got) == expected.shape
        # (reductions: NumPy's pairwise sums and PyTorch's vectorised ones may round apart)
        np.testing.assert_allclose(got, expected.astype(np.asarray(got).dtype),
                                   rtol=1e-12, atol=1e-12)
    else:
        assert got == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_grad_stays_an_ndarray_and_numpy_gives_plain_arrays():
    w = _grad_of(ad)
    g = w.grad
    assert isinstance(g, np.ndarray) and g.shape == w.shape and g.dtype == w.dtype
    for result in (g * 2, g + g, np.exp(g), np.sum(g, axis=0), g @ g.T, -g):
        assert type(result) is np.ndarray
    row, picked = g[0], g[g > 0]                  # a view and a copy: GradArrays, as
    assert np.shares_memory(row, g) and not np.shares_memory(picked, g)   # PyTorch's
    assert type(row) is GradArray and type(picked) is GradArray
    assert type(np.sum(g)) is np.float64 and type(g.norm()) is np.float64
    assert type(g.numpy()) is np.ndarray and np.shares_memory(g.numpy(), g)
    assert type(np.asarray(g)) is np.ndarray
    assert repr(g) == repr(np.asarray(g))        # shown as it was: array([...])
    np.testing.assert_array_equal(np.std(g), np.asarray(g).std())   # NumPy's ddof=0
    assert type(ad.tensor(g).data) is np.ndarray


def test_the_grad_view_is_one_object_and_shares_the_buffer_the_engine_adds_into():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    assert w.grad is g and w.grad is w.grad
    (w * w).sum().backward()
    assert w.grad is g                            # added in place, as PyTorch's grad += new
    np.testing.assert_array_equal(g, [4.0, 8.0])
    g.zero_()                                      # PyTorch's manual zeroing habit
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])
    assert w.grad is g
    copy = w.grad.clone()
    assert type(copy) is GradArray and not np.shares_memory(copy, g)
    w.grad.add_(1.0)
    np.testing.assert_array_equal(copy, [3.0, 3.0])


def test_numpys_in_place_operators_keep_the_grad_and_its_buffer():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    g, buffer = w.grad, w.grad.base
    w.grad *= 2                                    # NumPy's habit: .grad = g.__imul__(2)
    w.grad += 1
    assert w.grad is g and w.grad.base is buffer and type(g) is GradArray
    (w * w).sum().backward()                       # still added in place
    np.testing.assert_array_equal(g, [7.0, 13.0])


def test_a_grad_array_assigned_is_given_back_and_a_cleared_buffer_is_freed():
    p, q = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([0.0, 0.0], requires_grad=True)
    (p * 3).sum().backward()
    q.grad = p.grad.clone()                       # a GradArray assigned keeps its identity
    kept = q.grad
    assert q.grad is kept and type(q.grad) is GradArray
    (q * 2).sum().backward()                      # and is added into
    np.testing.assert_array_equal(kept, [5.0, 5.0])
    buffer = weakref.ref(p.grad.base)
    ad.optim.SGD([p], lr=0.1).zero_grad()         # set_to_none: the buffer goes at once
    assert buffer() is None and p.grad is None


def test_a_training_loop_with_pytorchs_grad_habits_matches_pytorch():
    torch = pytest.importorskip("torch")
    x, y = R.normal(size=(16, 3)), R.normal(size=(16, 1))
    weights = {}
    for lib in (ad, torch):
        w = lib.tensor(W0[:, :1].copy(), requires_grad=True)
        b = lib.tensor(np.zeros(1), requires_grad=True)
        xs, ys = lib.tensor(x), lib.tensor(y)
        for _ in range(5):
            loss = ((xs @ w + b - ys) ** 2).mean()
            loss.backward()
            for p in (w, b):
                p.grad.data.clamp_(-0.5, 0.5)                  # DCGAN / RL scripts
                if p.grad.norm() > 0.3:
                    p.grad.mul_(0.3 / p.grad.norm().item())
                with lib.no_grad():
                    p -= 0.1 * (lib.tensor(p.grad) if lib is ad else p.grad)
                p.grad.detach_()
                p.grad.zero_()
        weights[lib.__name__] = (_values(w), _values(b))
    for mine, theirs in zip(weights["autodiff"], weights["torch"]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def test_optimizers_step_on_grads_changed_by_the_habits_as_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        w = _grad_of(lib)
        opt = (ad.optim.Adam if lib is ad else torch.optim.Adam)([w], lr=0.01)
        for _ in range(3):
            w.grad.mul_(0.5).add_(_like(w.grad, OTHER), alpha=0.1)
            opt.step()
            w.grad.zero_()
            (w ** 3 - w).sum().backward()
        results.append(_values(w))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call, numpys, why", [
    (lambda g: g.max(1), lambda a: a.max(axis=1), r"g.max\(1\).*NumPy's.*\(values, indices\)"),
    (lambda g: g.min(0), lambda a: a.min(axis=0), r"g.min\(0\).*np.argmin"),
    (lambda g: g.std(), lambda a: a.std(), r"g.std\(\).*ddof=0.*n - 1.*g.std\(ddof=1\)"),
    (lambda g: g.var(0), lambda a: a.var(0), r"g.var\(\).*ddof=0.*unbiased"),
])
def test_names_that_mean_two_things_give_numpys_meaning_and_warn_naming_both(
        call, numpys, why):
    g = _grad_of(ad).grad
    with pytest.warns(ad.ConventionWarning, match=why) as caught:
        result = call(g)
    assert caught[0].filename == __file__       # the user's line
    np.testing.assert_array_equal(result, numpys(np.asarray(g)))


def test_pytorchs_dim_keyword_of_max_and_min_is_refused():
    g = _grad_of(ad).grad
    with pytest.raises(TypeError, match=r"max: g.max\(dim=d\).*\(values, indices\)"):
        g.max(dim=0)


def test_numpys_spellings_of_those_names_keep_numpys_meaning():
    g = _grad_of(ad).grad
    plain = np.asarray(g)
    np.testing.assert_array_equal(g.max(axis=1), plain.max(axis=1))
    np.testing.assert_array_equal(np.max(g, axis=0), plain.max(axis=0))
    np.testing.assert_array_equal(np.min(g, 1), plain.min(1))
    assert g.max() == plain.max() and g.min() == plain.min()
    assert g.std(ddof=1) == plain.std(ddof=1) and np.var(g) == plain.var()
    np.testing.assert_array_equal(np.var(g, axis=0), plain.var(axis=0))


@pytest.mark.parametrize("call, error, why", [
    (lambda g: g.fill_(np.ones(2)), ValueError, r"fill_: takes one value.*copy_"),
    (lambda g: g.add_(np.ones(5)), ValueError, r"add_: the operand of shape \(5,\) does "
                                               r"not broadcast to the gradient's shape"),
    (lambda g: g.copy_(np.ones(5)), ValueError, r"copy_: the source of shape \(5,\)"),
    (lambda g: g.div_(2, rounding_mode="floor"), ValueError, r"div_: rounding_mode"),
    (lambda g: g.clamp_(), ValueError, r"clamp_: give min=, max="),
    (lambda g: g.norm("nuc"), ValueError, r"norm: p='nuc'.*np.linalg.norm"),
])
def test_wrong_arguments_are_refused_naming_the_method(call, error, why):
    g = _grad_of(ad).grad
    before = g.copy()
    with pytest.raises(error, match=why):
        call(g)
    np.testing.assert_array_equal(g, before)        # nothing half-written


def test_in_place_methods_on_a_saved_grad_are_refused_as_numpys_writes_are():
    """A graph saved the .grad array (``ad.tensor(w.grad)``); a hook zeroes it before
    the node that saved it runs: ``w.grad.zero_()`` is refused as ``w.grad[...] = 0``
    is (and as PyTorch's version counter refuses ``w.grad.zero_()``)."""
    outcomes = []
    for write in (lambda g: g.__setitem__(Ellipsis, 0), lambda g: g.zero_(),
                  lambda g: g.mul_(2.0), lambda g: g.data.clamp_(0, 0)):
        w = ad.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        h = (x * ad.tensor(w.grad)) * 2

        def hook(g, write=write, w=w):
            write(w.grad)
        h.register_hook(hook)
        try:
            (h * h).sum().backward()
            outcomes.append(x.grad.tolist())
        except ad.InPlaceError:
            outcomes.append("InPlaceError")
    assert outcomes == ["InPlaceError"] * 4


def test_random_fills_draw_from_the_librarys_generator():
    w = ad.tensor(np.zeros(1000), requires_grad=True)
    w.sum().backward()
    ad.manual_seed(3)
    first = w.grad.normal_(0.0, 0.02).copy()
    ad.manual_seed(3)
    np.testing.assert_array_equal(w.grad.normal_(0.0, 0.02), first)
    assert abs(np.std(first) - 0.02) < 0.003 and abs(first.mean()) < 0.003
    w.grad.uniform_(-0.1, 0.1, rng=0)
    assert w.grad.min() >= -0.1 and w.grad.max() < 0.1 and len(np.unique(w.grad)) == 1000


def test_a_create_graph_grad_is_still_a_tensor():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, ad.Tensor)
    x.grad.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [9.0, 24.0])


def test_a_tensor_whose_grad_was_read_pickles_and_deep_copies():
    import copy
    import pickle
    w = _grad_of(ad)
    g = w.grad                                     # (the weak reference to this view
    twin = copy.deepcopy(w)                        # is not copied)
    np.testing.assert_array_equal(twin.grad, g)
    assert not np.shares_memory(twin.grad, g) and type(twin.grad) is GradArray
    loaded = pickle.loads(pickle.dumps(w))         # pickle drops .grad, as PyTorch's
    assert loaded.grad is None
    np.testing.assert_array_equal(loaded.data, w.data)
