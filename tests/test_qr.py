"""np.linalg.qr on Tensors: NumPy's Q and R bit for bit in every mode that has a
gradient, the gradient against finite differences to second order on tall, square,
wide and batched inputs, and the refusals.  Generated cases: tests/op_specs_linalg.py."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(5)
SHAPES = [(3, 3), (5, 2), (2, 5), (2, 4, 3), (3, 2, 4), (1, 1), (6, 1), (1, 6)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_values_are_numpys(shape, mode, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    out, expected = np.linalg.qr(ad.tensor(a, requires_grad=True), mode=mode), \
        np.linalg.qr(a, mode=mode)
    if mode == "r":
        assert out.dtype == expected.dtype and np.array_equal(out.data, expected)
    else:
        assert out._fields == ("Q", "R")
        for mine, theirs in zip(out, expected):
            assert mine.dtype == theirs.dtype and np.array_equal(mine.data, theirs)


def _weighted(mode):
    def f(t):
        q, r = ad.linalg.qr(t, mode=mode)
        return (q * np.sin(np.arange(q.size).reshape(q.shape))).sum() \
            + (r * np.cos(np.arange(r.size).reshape(r.shape))).sum()
    return f


@pytest.mark.parametrize("shape, mode", [
    (shape, mode) for shape in SHAPES for mode in ("reduced", "complete", "r")
    if not (mode == "complete" and shape[-2] > shape[-1])])    # (no gradient: see below)
def test_gradient_to_second_order(shape, mode):
    a = RNG.uniform(-1, 1, shape) + 2.0 * np.eye(*shape[-2:])
    f = (lambda t: (ad.linalg.qr(t, mode="r") ** 2).sum()) if mode == "r" else _weighted(mode)
    assert ad.gradcheck(f, [a]) and ad.gradgradcheck(f, [a])


def test_q_and_r_recompose_a_and_q_is_orthonormal():
    a = ad.tensor(RNG.standard_normal((2, 5, 3)), requires_grad=True)
    q, r = ad.linalg.qr(a)
    np.testing.assert_allclose((q @ r).data, a.data, atol=1e-12)
    np.testing.assert_allclose((q.mT @ q).data, np.broadcast_to(np.eye(3), (2, 3, 3)),
                               atol=1e-12)


def test_complete_with_more_rows_than_columns_refuses_its_gradient():
    q, r = ad.linalg.qr(ad.tensor(RNG.standard_normal((4, 2)), requires_grad=True),
                        mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 2)
    with pytest.raises(NotImplementedError, match=r"mode='complete' has no gradient .*"
                                                  r"shape \(4, 2\).*mode='reduced'"):
        (q.sum() + r.sum()).backward()


def test_a_rank_deficient_input_refuses_its_gradient_naming_qr():
    q, r = ad.linalg.qr(ad.tensor(np.zeros((3, 2)), requires_grad=True))
    with pytest.raises(np.linalg.LinAlgError, match=r"qr: the gradient needs R's diagonal "
                                                     r"nonzero, .*rank-deficient"):
        r.sum().backward()


@pytest.mark.parametrize("call, error, words", [
    (lambda t: np.linalg.qr(t, mode="raw"), ValueError, "mode='raw' is not supported"),
    (lambda t: np.linalg.qr(t[0]), np.linalg.LinAlgError, "a has 1 dimensions"),
])
def test_errors_name_the_function(call, error, words):
    with pytest.raises(error, match=words):
        call(ad.tensor(RNG.standard_normal((3, 3)), requires_grad=True))
