"""``np.linalg.pinv``, the Moore-Penrose pseudo-inverse, batched over leading axes, with
NumPy's own forward and the Golub-Pereyra gradient."""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..graph import _grad_mode
from ..tensor import Tensor
from .decompositions import _eye, _t
from .registry import defop, implements


def _pinv_forward(a, **options):
    return np.linalg.pinv(a, **options)


def _pinv_rule(xp, g, ans, a, hermitian=False, adjoint=_t, **options):
    # Golub & Pereyra: valid where the rank is locally constant (no singular value
    # crosses the cutoff), which is where pinv is differentiable.  For complex matrices
    # ``adjoint`` is the conjugate transpose (PyTorch's pinv_backward).
    if hermitian and a.size == 0:         # (NumPy allows empty non-square matrices here)
        return adjoint(xp, g)
    if hermitian:                         # NumPy reads the lower triangle only
        return _hermitian_pinv_rule(xp, g, ans, a, adjoint, **options)
    p, p_h, g_h = ans, adjoint(xp, ans), adjoint(xp, g)
    through = -xp.matmul(xp.matmul(p_h, g), p_h)
    row_space = xp.matmul(g_h - xp.matmul(a, xp.matmul(p, g_h)), xp.matmul(p, p_h))
    col_space = xp.matmul(xp.matmul(p_h, p), g_h - xp.matmul(xp.matmul(g_h, p), a))
    return through + row_space + col_space


def _hermitian_pinv_rule(xp, g, ans, a, adjoint, **options):
    """The gradient on what NumPy reads: the strict lower triangle (each entry stands
    for itself and its mirror) and the diagonal (its real part, for complex matrices,
    as LAPACK's eigh)."""
    eye = _eye(ans.shape[-1], ans)
    lower = np.tril(np.ones_like(eye), -1)
    real_part = xp.real if adjoint is not _t else (lambda value: value)
    a = a * lower + adjoint(xp, a * lower) + real_part(a) * eye
    full = _pinv_rule(xp, g, ans, a, adjoint=adjoint, **options)
    return (full + adjoint(xp, full)) * lower + real_part(full) * eye


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
    perturbations.  It is that of the untruncated pseudo-inverse, so recording a call
    whose ``rcond``/``rtol`` drops a nonzero singular value raises a ValueError.
    ``hermitian=True`` reads the lower triangle only, as NumPy does, and the gradient
    lands there.

    >>> ad.linalg.pinv(ad.tensor([[2.0, 0.0], [0.0, 0.0]]))
    tensor([[0.5, 0. ],
            [0. , 0. ]])
    """
    options = {"hermitian": True} if hermitian else {}
    if rcond is not None:
        options["rcond"] = rcond
    if rtol is not np._NoValue:
        options["rtol"] = rtol
    if (("rcond" in options or "rtol" in options) and isinstance(a, Tensor)
            and a.requires_grad and _grad_mode.enabled):
        # checked again at each replay of ad.compile, on that call's matrix
        made("pinv cutoff check", _check_nothing_nonzero_is_dropped, (a.data, options),
             stateful=True)
    return _pinv(a, **options)


def _check_nothing_nonzero_is_dropped(a, options):
    """The gradient rule assumes the singular values below the cutoff are 0: refuse a
    cutoff that drops larger ones (the truncated pseudo-inverse has another gradient)."""
    tolerance = options.get("rcond", options.get("rtol"))
    if tolerance is None:
        return True
    if options.get("hermitian"):
        s = np.sort(np.abs(np.linalg.eigvalsh(a)), axis=-1)[..., ::-1]
    else:
        s = np.linalg.svd(a, compute_uv=False)
    if s.size == 0:
        return True
    largest = s[..., :1]
    cutoff = np.asarray(tolerance)[..., np.newaxis] * largest
    # What NumPy's default cutoff would drop counts as zero.
    numerical_zero = max(a.shape[-2:]) * np.finfo(s.dtype).eps * largest
    dropped = (s <= cutoff) & (s > numerical_zero)
    if dropped.any():
        name = "rcond" if "rcond" in options else "rtol"
        raise ValueError(
            f"pinv: {name}={tolerance!r} drops the nonzero singular value "
            f"{s[dropped].max():.6g} (largest {largest.max():.6g}) of a matrix of shape "
            f"{a.shape}, but the gradient of pinv is that of the untruncated pseudo-inverse, "
            "which assumes every dropped singular value is 0, so it would be wrong here. "
            "Truncate explicitly through ad.linalg.svd (keep the top singular values and "
            "build V diag(1/s) U.T from them) to differentiate the truncated "
            "pseudo-inverse, or compute on a.detach() if no gradient is needed.")
    return True
