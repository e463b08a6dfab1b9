"""``np.linalg.pinv``, the Moore-Penrose pseudo-inverse, batched over leading axes, with
NumPy's own forward and the Golub-Pereyra gradient."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .decompositions import _eye, _t, check_real
from .registry import defop, implements


def _pinv_forward(a, **options):
    return np.linalg.pinv(a, **options)


def _pinv_rule(xp, g, ans, a, hermitian=False, **options):
    # Golub & Pereyra: valid where the rank is locally constant (no singular value
    # crosses the cutoff), which is where pinv is differentiable.
    if hermitian:                         # NumPy reads the lower triangle only
        eye = _eye(ans.shape[-1], ans)
        lower = np.tril(np.ones_like(eye), -1)
        a = a * lower + _t(xp, a * lower) + a * eye
        full = _pinv_rule(xp, g, ans, a, **options)
        return (full + _t(xp, full)) * lower + full * eye
    p, p_t, g_t = ans, _t(xp, ans), _t(xp, g)
    through = -xp.matmul(xp.matmul(p_t, g), p_t)
    row_space = xp.matmul(g_t - xp.matmul(a, xp.matmul(p, g_t)), xp.matmul(p, p_t))
    col_space = xp.matmul(xp.matmul(p_t, p), g_t - xp.matmul(xp.matmul(g_t, p), a))
    return through + row_space + col_space


_pinv = defop(
    "pinv", _pinv_forward, doc="np.linalg.pinv's primitive; call ad.linalg.pinv",
    hint="pinv needs matrices in the last two axes",
    a=("-P.T g P.T + (I - a P) g.T P P.T + P.T P g.T (I - P a), P = pinv(a)",
       _pinv_rule))


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian: bool = False, *, rtol=np._NoValue) -> Tensor:
    """``np.linalg.pinv``: the Moore-Penrose pseudo-inverse.

    Singular values below ``rcond`` (or ``rtol``) times the largest are treated as
    zero.  The gradient holds where the rank does not change under small
    perturbations.  ``hermitian=True`` reads the lower triangle only, as NumPy does,
    and the gradient lands there.

    >>> ad.linalg.pinv(ad.tensor([[2.0, 0.0], [0.0, 0.0]]))
    tensor([[0.5, 0. ],
            [0. , 0. ]])
    """
    check_real("pinv", a)
    options = {"hermitian": True} if hermitian else {}
    if rcond is not None:
        options["rcond"] = rcond
    if rtol is not np._NoValue:
        options["rtol"] = rtol
    return _pinv(a, **options)
