"""Writes NumPy makes in place and gathers with index modes, on Tensors: ``np.add.at``,
``np.subtract.at``, ``np.maximum.at`` and ``np.minimum.at`` (recorded in place,
compared with PyTorch's ``index_put``/``scatter_reduce`` and central differences, and
replayed by ``ad.compile``), and ``np.take`` with ``mode="wrap"``/``"clip"``."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261207)
_GROUPS = np.array([0, 2, 1, 0, 2, 2, 1, 0])


def test_add_at_and_subtract_at_agree_with_torch_index_put_accumulate():
    torch = pytest.importorskip("torch")
    rows, cols = np.array([0, 2, 0, 1, 0]), np.array([1, 1, 1, 3, 0])
    a0, v0 = _rng.normal(size=(3, 4)), _rng.normal(size=5)
    a, v = ad.tensor(a0, requires_grad=True), ad.tensor(v0, requires_grad=True)
    out = a * 2.0
    np.add.at(out, (rows, cols), v)
    np.subtract.at(out, (rows, cols), v ** 2)
    weights = np.arange(12.0).reshape(3, 4)
    (out * weights).sum().backward()
    ta, tv = (torch.tensor(x, requires_grad=True) for x in (a0, v0))
    index = (torch.tensor(rows), torch.tensor(cols))
    expected = (ta * 2.0).index_put(index, tv, accumulate=True).index_put(
        index, -tv ** 2, accumulate=True)
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("mode", ["wrap", "clip"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_take_with_wrap_and_clip_is_numpys_and_differentiates(mode, axis):
    a0 = _rng.normal(size=(3, 4))
    indices = np.array([[1, 5], [-7, 13]])
    for take in (lambda t: np.take(t, indices, axis=axis, mode=mode),
                 lambda t: t.take(indices, axis=axis, mode=mode)):
        np.testing.assert_array_equal(take(ad.tensor(a0)).data,
                                      np.take(a0, indices, axis=axis, mode=mode))
        assert ad.gradcheck(take, [a0]) and ad.gradgradcheck(lambda t: take(t) ** 2, [a0])


def test_take_with_a_mode_keeps_numpys_errors_naming_it():
    with pytest.raises(ValueError, match=r"numpy\.take: clipmode must be one of .*mode='bogus'"):
        np.take(ad.tensor(np.ones(3)), [1], mode="bogus")
    with pytest.raises(IndexError, match=r"numpy\.take: cannot do a non-empty take from an "
                                         r"empty axes.*shape \(0,\)"):
        np.take(ad.tensor(np.zeros(0)), [1], mode="wrap")


@pytest.mark.parametrize("ufunc, reduction", [(np.maximum, "amax"), (np.minimum, "amin")])
def test_maximum_at_and_minimum_at_split_ties_as_torch_scatter_reduce(ufunc, reduction):
    torch = pytest.importorskip("torch")
    rows = np.array([0, 2, 0, 1, 0])
    # ties: two 3.0 compete at entry 0, and a 5.0 meets the 5.0 already at entry 1
    a0, v0 = np.array([1.0, 5.0, -1.0, 2.0]), np.array([3.0, 0.5, 3.0, 5.0, 1.0])
    a, v = ad.tensor(a0, requires_grad=True), ad.tensor(v0, requires_grad=True)
    out = a * 1.0
    ufunc.at(out, rows, v)
    expected = a0.copy()
    ufunc.at(expected, rows, v0)
    np.testing.assert_array_equal(out.data, expected)
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    (out * weights).sum().backward()
    ta, tv = (torch.tensor(x, requires_grad=True) for x in (a0, v0))
    reduced = (ta * 1.0).scatter_reduce(0, torch.tensor(rows), tv, reduction, include_self=True)
    (reduced * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(out.data, reduced.detach().numpy())
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    np.testing.assert_array_equal(v.grad, tv.grad.numpy())


def test_a_segment_max_pooling_with_maximum_at_matches_central_differences():
    def pooled(p):
        segments = np.full_like(p, -np.inf, shape=3)
        np.maximum.at(segments, _GROUPS, np.tanh(p))
        return np.sum(segments * np.array([1.0, -2.0, 3.0]))
    p = _rng.normal(size=8)
    value, grad = ad.value_and_grad(pooled)(p)
    assert value == pooled(p)
    np.testing.assert_allclose(grad, central_difference(pooled, p), rtol=1e-6, atol=1e-9)
    assert ad.gradgradcheck(pooled, [p])


def test_scatters_in_place_replay_in_a_compiled_step():
    def step(t):
        sums = ad.zeros(3)
        np.add.at(sums, _GROUPS, t)
        np.subtract.at(sums, _GROUPS, 0.1 * t ** 2)
        peaks = ad.full(3, -10.0)
        np.maximum.at(peaks, _GROUPS, t)
        loss = np.sum(sums * peaks)
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for shift in (0.0, 0.5, -1.0):          # the second and later calls replay
        p = _rng.normal(size=8) + shift
        t, reference = ad.tensor(p, requires_grad=True), ad.tensor(p, requires_grad=True)
        assert compiled(t).item() == step(reference).item()
        np.testing.assert_array_equal(t.grad, reference.grad)
    assert compiled.traces == 1


def test_at_without_recording_writes_numpys_values_for_every_ufunc():
    rows = np.array([0, 2, 0])
    for ufunc in (np.add, np.multiply, np.maximum, np.fmin, np.power):
        expected = np.array([1.5, 2.0, 3.0])
        ufunc.at(expected, rows, 2.0)
        t = ad.tensor([1.5, 2.0, 3.0])                 # needs no gradient: nothing to record
        assert ufunc.at(t, rows, 2.0) is None
        np.testing.assert_array_equal(t.data, expected)
        leaf = ad.tensor([1.5, 2.0, 3.0], requires_grad=True)
        with ad.no_grad():
            ufunc.at(leaf, rows, 2.0)
        np.testing.assert_array_equal(leaf.data, expected)
    with pytest.raises(RuntimeError, match=r"numpy\.add\.at: tensor of shape \(3,\) is a leaf "
                                           r"that requires grad"):
        np.add.at(ad.tensor([1.0, 2.0, 3.0], requires_grad=True), rows, 1.0)


def test_an_augmented_write_at_repeated_indices_adds_once_and_add_at_adds_each():
    def repeated(t):
        x = t * 1.0
        x[[0, 0, 3]] += x[1]
        return np.sum(x * np.arange(1.0, 5.0))
    np.testing.assert_allclose(ad.grad(repeated)(np.arange(4.0)),
                               central_difference(repeated, np.arange(4.0)), rtol=1e-6)

    def accumulated(t):
        x = t * 1.0
        np.add.at(x, [0, 0, 3], x[1])
        return np.sum(x * np.arange(1.0, 5.0))
    np.testing.assert_allclose(ad.grad(accumulated)(np.arange(4.0)),
                               central_difference(accumulated, np.arange(4.0)), rtol=1e-6)
