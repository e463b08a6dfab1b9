"""The Fréchet derivative of the matrix exponential, ``L(X, E)``: the top right block of
``exp([[X, E], [0, X]])``, which ``matrix_exp``'s gradient is (at ``X = A.T`` along the
cotangent).

Every power of a block matrix ``[[X, E], [0, X]]`` has the same form ``[[X^k, F], [0,
X^k]]``, so the scaling and squaring of ``matrix_exp`` runs on pairs ``(X^k, F)``: a
product is three n x n products instead of one 2n x 2n product (eight), and the final
solve is two n x n solves sharing the left side (Al-Mohy & Higham 2009 use the same
recurrences).  The Padé degree and the number of squarings are chosen from the 1-norm
of the whole block, as ``matrix_exp`` of the block would choose them, so the values are
those of that exponential to rounding.  The rule calls this op again (on the 2n x 2n
block ``[[X, E], [0, X]]``), so the gradient has gradients of every order.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .define import defop_joint
from .matrix_exp import _PADE, _THETA


def _product(a, b):
    """``[[A, F], [0, A]] @ [[B, G], [0, B]]`` on pairs ``(A, F)``, ``(B, G)``."""
    return a[0] @ b[0], a[0] @ b[1] + a[1] @ b[0]


def _combination(coefficients, pairs, identity=None):
    """``sum c_k pair_k`` (plus ``identity * c0`` in the diagonal blocks)."""
    diagonal = sum(c * p[0] for c, p in zip(coefficients, pairs))
    off = sum(c * p[1] for c, p in zip(coefficients, pairs))
    if identity is not None:
        diagonal = diagonal + identity
    return diagonal, off


def _pade_low(a, b, eye):
    a2 = _product(a, a)
    powers = [a2]
    for _ in range(4, len(b) - 1, 2):
        powers.append(_product(powers[-1], a2))
    odd = _combination(b[3::2], powers, b[1] * eye)
    even = _combination(b[2::2], powers, b[0] * eye)
    return _product(a, odd), even


def _pade_13(a, eye):
    b = _PADE[13]
    a2 = _product(a, a)
    a4 = _product(a2, a2)
    a6 = _product(a4, a2)
    odd = _combination((1.0, b[7], b[5], b[3]), (
        _product(a6, _combination((b[13], b[11], b[9]), (a6, a4, a2))), a6, a4, a2),
        b[1] * eye)
    even = _combination((1.0, b[6], b[4], b[2]), (
        _product(a6, _combination((b[12], b[10], b[8]), (a6, a4, a2))), a6, a4, a2),
        b[0] * eye)
    return _product(a, odd), even


def _quotient(u, v):
    """``(V - U)^-1 (V + U)`` on pairs: two solves with the same diagonal block."""
    left, right = (v[0] - u[0], v[1] - u[1]), (v[0] + u[0], v[1] + u[1])
    diagonal = np.linalg.solve(left[0], right[0])
    return diagonal, np.linalg.solve(left[0], right[1] - left[1] @ diagonal)


def expm_frechet_array(x, e):
    """``L(x, e)``, the top right block of ``exp([[x, e], [0, x]])``, for each pair of
    matrices of ``(..., n, n)`` (float64 inside, the inputs' dtype out)."""
    x, e = np.broadcast_arrays(np.asarray(x), np.asarray(e))
    dtype = np.result_type(x.dtype, e.dtype)
    x, e = x.astype(np.float64), e.astype(np.float64)
    n = x.shape[-1]
    if x.size == 0:
        return np.empty(x.shape, dtype=dtype)
    finite = np.all(np.isfinite(x), axis=(-2, -1)) & np.all(np.isfinite(e), axis=(-2, -1))
    if not np.all(finite):
        # as in matrix_exp: NaN or inf anywhere in a block spreads to all of it
        bad = ~finite[..., None, None]
        out = expm_frechet_array(np.where(bad, 0.0, x), np.where(bad, 0.0, e))
        return np.where(bad, np.nan, out).astype(dtype)
    eye = np.eye(n)
    # the block's 1-norm: its right columns hold a column of e above one of x
    norms = (np.abs(x).sum(axis=-2) + np.abs(e).sum(axis=-2)).max(axis=-1)
    largest = float(norms.max())
    for degree in (3, 5, 7, 9):
        if largest <= _THETA[degree]:
            u, v = _pade_low((x, e), _PADE[degree], eye)
            return _quotient(u, v)[1].astype(dtype)
    with np.errstate(divide="ignore"):
        squarings = np.maximum(0, np.ceil(np.log2(norms / _THETA[13]))).astype(int)
    scale = np.exp2(squarings)[..., None, None]
    result = _quotient(*_pade_13((x / scale, e / scale), eye))
    # The block is triangular when x is upper triangular (or x is lower and e is zero):
    # matrix_exp then puts exp(x_ii) back on the diagonal at each stage; do the same.
    triangular = np.all(np.tril(x, -1) == 0, axis=(-2, -1)) | (
        np.all(np.triu(x, 1) == 0, axis=(-2, -1)) & np.all(e == 0, axis=(-2, -1)))
    diagonal = np.diagonal(x, axis1=-2, axis2=-1)
    exact = (triangular[..., None, None] * eye) == 1
    for step in range(int(squarings.max()) + 1):
        if step:
            squared = _product(result, result)
            more = (step <= squarings)[..., None, None]
            result = (np.where(more, squared[0], result[0]), np.where(more, squared[1], result[1]))
        if exact.any():
            remaining = np.maximum(squarings - step, 0)[..., None]
            diagonal_now = np.exp(diagonal / np.exp2(remaining))[..., None, :] * eye
            result = (np.where(exact, diagonal_now, result[0]), result[1])
    return result[1].astype(dtype)


def _scaled_frechet(xp, x, e):
    """``L(x, e)`` with ``e`` first scaled to ``x``'s size: ``L`` is linear in ``e``, and a
    large ``e`` would otherwise add squarings (and round-off) to the block's exponential."""
    e_data = e.data if isinstance(e, Tensor) else e
    x_data = x.data if isinstance(x, Tensor) else x
    e_norm = float(np.abs(e_data).sum(axis=-2).max()) if e_data.size else 0.0
    scale = max(float(np.abs(x_data).sum(axis=-2).max()), 1.0) / e_norm if e_norm else 1.0
    return xp.matrix_exp_frechet(x, e * scale) * (1.0 / scale)


def _frechet_rule(xp, g, ans, needs, x, e):
    # L(x, e) = exp(M)[:n, n:] with M = [[x, e], [0, x]]: M's gradient is L(M.T, G) with
    # G = [[0, g], [0, 0]]; x's gradient is the sum of its two diagonal blocks.
    n = x.shape[-1]
    if n == 0:
        return [g if needs[0] else None, g if needs[1] else None]
    zeros = xp.zeros_like(g)
    x_t, e_t = xp.swapaxes(x, -1, -2), xp.swapaxes(e, -1, -2)
    block_t = xp.concatenate(xp.concatenate(x_t, zeros, axis=-1),
                             xp.concatenate(e_t, x_t, axis=-1), axis=-2)
    direction = xp.concatenate(xp.concatenate(zeros, g, axis=-1),
                               xp.concatenate(zeros, zeros, axis=-1), axis=-2)
    block_grad = _scaled_frechet(xp, block_t, direction)
    return [block_grad[..., :n, :n] + block_grad[..., n:, n:] if needs[0] else None,
            block_grad[..., :n, n:] if needs[1] else None]


_matrix_exp_frechet = defop_joint(
    "matrix_exp_frechet", expm_frechet_array,
    "with M = [[x, e], [0, x]], G = [[0, g], [0, 0]] and K = L(M.T, G): "
    "grad_x = K[:n, :n] + K[n:, n:], grad_e = K[:n, n:]",
    _frechet_rule, input_names=("x", "e"),
    doc="L(x, e) = exp([[x, e], [0, x]])[:n, n:], matrix_exp's gradient (at A.T)",
    hint="matrix_exp_frechet needs two square matrices (or batches) of one shape")
