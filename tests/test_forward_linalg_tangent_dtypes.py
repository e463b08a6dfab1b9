"""Forward mode through linear algebra when a dual's tangent has another dtype than its
primal (make_dual(float64 primal, float32 tangent) and the reverse): each function
refuses where PyTorch's refuses, and elsewhere gives PyTorch's tangent dtype and values
(to 1e-5 relative: a float32 tangent rounds to 1e-7, through solves of condition < 10)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.forward_ad as fwAD

RNG = np.random.default_rng(20261206)
SQUARE = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
SPD = SQUARE @ SQUARE.T
LOWER = np.linalg.cholesky(SPD)
TALL = RNG.standard_normal((4, 3))
RHS = RNG.standard_normal((3, 2))
DIRECTIONS = {shape: RNG.standard_normal(shape) for shape in [(3, 3), (4, 3), (3, 2)]}


def _direction(primal):
    """A tangent that keeps the primal's structure (PyTorch's cholesky reads a
    symmetric tangent's lower triangle, cholesky_solve a triangular factor's)."""
    direction = DIRECTIONS[primal.shape]
    if primal is SPD:
        return direction + direction.T
    return np.tril(direction) if primal is LOWER else direction


def _solve_triangular(lib, a, b):
    return lib.linalg.solve_triangular(a, b, upper=False)


#: name -> (function of (library, dual), primal, the constant operand, if any, is
#: made by ``constant(lib, array, dtype)`` in the function), and what is expected when
#: the tangent is float32 on a float64 primal and float64 on a float32 one: a dtype
#: name or "raises"
CASES = {
    "det": (lambda lib, c, d: lib.linalg.det(d), SQUARE, ("raises", "raises")),
    "slogdet": (lambda lib, c, d: lib.linalg.slogdet(d)[1], SQUARE, ("raises", "raises")),
    "logdet": (lambda lib, c, d: lib.logdet(d), SPD, ("raises", "raises")),
    "pinv": (lambda lib, c, d: lib.linalg.pinv(d), TALL, ("raises", "raises")),
    "lstsq": (lambda lib, c, d: lib.linalg.lstsq(d, c(TALL[:, :2]))[0], TALL,
              ("raises", "raises")),
    "eigvals": (lambda lib, c, d: lib.linalg.eigvals(d).real, SQUARE, ("raises", "raises")),
    "eig": (lambda lib, c, d: lib.linalg.eig(d)[1].real, SQUARE, ("raises", "raises")),
    "lu_factor": (lambda lib, c, d: lib.linalg.lu_factor(d)[0], SQUARE,
                  ("raises", "raises")),
    "solve a": (lambda lib, c, d: lib.linalg.solve(d, c(RHS)), SQUARE, ("raises", "raises")),
    "solve b": (lambda lib, c, d: lib.linalg.solve(c(SQUARE), d), RHS,
                ("float64", "raises")),
    "solve_triangular a": (lambda lib, c, d: _solve_triangular(lib, d, c(RHS)), LOWER,
                           ("raises", "raises")),
    "solve_triangular b": (lambda lib, c, d: _solve_triangular(lib, c(LOWER), d), RHS,
                           ("float64", "raises")),     # (STRICTER_THAN_PYTORCH)
    "cholesky_solve b": (lambda lib, c, d: lib.cholesky_solve(d, c(LOWER)), RHS,
                         ("float64", "raises")),
    "cholesky_solve L": (lambda lib, c, d: lib.cholesky_solve(c(RHS), d), LOWER,
                         ("raises", "raises")),
    "cholesky_inverse": (lambda lib, c, d: lib.cholesky_inverse(d), LOWER,
                         ("raises", "raises")),
    "cholesky": (lambda lib, c, d: lib.linalg.cholesky(d), SPD, ("float64", "float32")),
    "qr": (lambda lib, c, d: lib.linalg.qr(d)[0] + lib.linalg.qr(d)[1][0], TALL,
           ("float64", "float32")),
    "matrix_exp": (lambda lib, c, d: lib.linalg.matrix_exp(d), SQUARE * 0.3,
                   ("float64", "float32")),
}
PAIRS = [("float64", "float32"), ("float32", "float64")]
#: PyTorch's solve_triangular gives the output's dtype for a right-hand side's tangent
#: wider than the matrix, its solve refuses it; both are one op here, which refuses.
STRICTER_THAN_PYTORCH = {("solve_triangular b", ("float32", "float64"))}


def _ours(name, primal_dtype, tangent_dtype):
    function, primal, _ = CASES[name]
    direction = _direction(primal)
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(primal, dtype=primal_dtype),
                              ad.tensor(direction, dtype=tangent_dtype))
        out = function(ad, lambda a: ad.tensor(a, dtype=primal_dtype), dual)
        return fwAD.unpack_dual(out).tangent


def _torch(name, primal_dtype, tangent_dtype):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    function, primal, _ = CASES[name]
    direction = _direction(primal)
    with tfw.dual_level():
        dual = tfw.make_dual(torch.tensor(primal, dtype=getattr(torch, primal_dtype)),
                             torch.tensor(direction, dtype=getattr(torch, tangent_dtype)))
        out = function(torch, lambda a: torch.tensor(a, dtype=getattr(torch, primal_dtype)),
                       dual)
        return tfw.unpack_dual(out).tangent


@pytest.mark.parametrize("dtypes", PAIRS, ids="/".join)
@pytest.mark.parametrize("name", sorted(CASES))
def test_refuses_or_gives_the_expected_dtype(name, dtypes):
    expected = CASES[name][2][PAIRS.index(dtypes)]
    if expected == "raises":
        with pytest.raises(RuntimeError, match=r"forward AD: '\w+' of a dual tensor whose "
                                               r"tangent is .*t\.to\(x\.dtype\)"):
            _ours(name, *dtypes)
    else:
        assert _ours(name, *dtypes).dtype == np.dtype(expected)


@pytest.mark.parametrize("dtypes", PAIRS, ids="/".join)
@pytest.mark.parametrize("name", sorted(CASES))
def test_as_pytorch(name, dtypes):
    pytest.importorskip("torch")
    try:
        theirs = _torch(name, *dtypes)
    except RuntimeError:
        theirs = None
    if theirs is None or (name, dtypes) in STRICTER_THAN_PYTORCH:
        with pytest.raises(RuntimeError, match="forward AD"):
            _ours(name, *dtypes)
        return
    ours = _ours(name, *dtypes)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-5, atol=1e-6)
