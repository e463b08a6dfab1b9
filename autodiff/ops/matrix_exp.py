"""``ad.linalg.matrix_exp`` (also ``ad.matrix_exp``): the matrix exponential of each
matrix in ``(..., n, n)``, as ``torch.linalg.matrix_exp``.

The forward is Higham's (2005) scaling and squaring with a diagonal Padé approximant
of degree 3, 5, 7, 9 or 13, computed in float64 (a float32 input gets a float32
result).  The gradient is the Fréchet derivative at ``A.T`` in the direction of the
cotangent, read off one exponential of a block matrix (Najfeld & Havel):
``exp([[A.T, G], [0, A.T]]) = [[exp(A.T), L(A.T, G)], [0, exp(A.T)]]``, computed on
the blocks by the op ``matrix_exp_frechet`` (``matrix_exp_frechet.py``), which is
differentiable in turn, so the gradient has gradients of every order.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .registry import defop

# Higham (2005), table 2.3: the largest 1-norm for which each degree is accurate to
# float64's unit roundoff, and the Padé numerator coefficients b_0 .. b_m.
_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1,
          9: 2.097847961257068e0, 13: 5.371920351148152e0}
_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0, 1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
         1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
         33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0),
}


def _pade_low(a, b, eye):
    """U and V of the degree-3..9 approximant: odd and even powers of ``a``."""
    a2 = a @ a
    power, even, odd = eye, b[0] * eye, b[1] * eye
    for k in range(2, len(b), 2):
        power = power @ a2 if k > 2 else a2
        even = even + b[k] * power
        odd = odd + b[k + 1] * power
    return a @ odd, even


def _pade_13(a, eye):
    b = _PADE[13]
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye)
    return u, v


def expm_array(a):
    """exp of each matrix of a float array ``(..., n, n)`` (float64 inside)."""
    a = np.asarray(a)
    dtype = a.dtype
    x = a.astype(np.float64)
    n = x.shape[-1]
    if x.size == 0:
        return np.empty(a.shape, dtype=dtype)
    if not np.all(np.isfinite(x)):
        # NaN or inf anywhere in a matrix spreads to all of its exponential (as the
        # products of the Padé approximant would): say so rather than guess.
        bad = ~np.all(np.isfinite(x), axis=(-2, -1))
        x = np.where(bad[..., None, None], 0.0, x)
        out = expm_array(x).astype(np.float64)
        return np.where(bad[..., None, None], np.nan, out).astype(dtype)
    eye = np.eye(n)
    norms = np.abs(x).sum(axis=-2).max(axis=-1)           # the 1-norm of each matrix
    largest = float(norms.max())
    for degree in (3, 5, 7, 9):
        if largest <= _THETA[degree]:
            u, v = _pade_low(x, _PADE[degree], eye)
            return np.linalg.solve(v - u, v + u).astype(dtype)
    # degree 13, each matrix scaled by its own 2^-s, then squared back s times
    with np.errstate(divide="ignore"):
        squarings = np.maximum(0, np.ceil(np.log2(norms / _THETA[13]))).astype(int)
    scaled = x / np.exp2(squarings)[..., None, None]
    u, v = _pade_13(scaled, eye)
    result = np.linalg.solve(v - u, v + u)
    # A triangular matrix's exponential has exp(a_ii) on its diagonal: put it there
    # exactly at each stage (Al-Mohy & Higham 2009), which keeps e.g. diag(40)'s
    # exponential exact where the approximant alone loses ~2 digits before squaring.
    triangular = np.all(np.triu(x, 1) == 0, axis=(-2, -1)) | np.all(np.tril(x, -1) == 0,
                                                                     axis=(-2, -1))
    diagonal = np.diagonal(x, axis1=-2, axis2=-1)
    exact = triangular[..., None, None] * eye
    for step in range(int(squarings.max()) + 1):
        if step:
            squared = result @ result
            result = np.where((step <= squarings)[..., None, None], squared, result)
        remaining = np.maximum(squarings - step, 0)[..., None]
        diagonal_now = np.exp(diagonal / np.exp2(remaining))[..., None, :] * eye
        result = np.where(exact == 1, diagonal_now, result)
    return result.astype(dtype)


def _matrix_exp_rule(xp, g, ans, a):
    if a.shape[-1] == 0:
        return g
    return _scaled_frechet(xp, xp.swapaxes(a, -1, -2), g)


_matrix_exp = defop(
    "matrix_exp", expm_array,
    doc="The matrix exponential's primitive; call ad.linalg.matrix_exp",
    hint="matrix_exp needs square matrices in the last two axes",
    a=("exp([[A.T, g], [0, A.T]])[:n, n:] (the Frechet derivative at A.T along g)",
       _matrix_exp_rule))


def matrix_exp(A) -> Tensor:  # noqa: N803 (PyTorch's argument name)
    """The matrix exponential ``sum_k A^k / k!`` of each matrix in ``(..., n, n)``, as
    ``torch.linalg.matrix_exp`` (and ``torch.matrix_exp``): scaling and squaring with a
    Padé approximant, differentiable to any order.

    >>> ad.linalg.matrix_exp(ad.tensor([[0.0, 1.0], [0.0, 0.0]]))
    tensor([[1., 1.],
            [0., 1.]])
    """
    from .linalg_ex import square_float_matrix

    return _matrix_exp(square_float_matrix("matrix_exp", A))


from .matrix_exp_frechet import _scaled_frechet  # noqa: E402  (it reads _PADE, _THETA)
