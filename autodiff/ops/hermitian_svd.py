"""NumPy's ``svd(a, hermitian=True)`` on the tape: eigh, then the eigenvalues' sizes
in descending order as the singular values, their signs moved into Vh, so the
gradient is eigh's (decompositions.py)."""

from __future__ import annotations

import numpy as np

from ..compile.hooks import made
from ..tensor import Tensor
from .decompositions import SVDResult, eigh, eigvalsh


def _along_last(x, order):
    """``np.take_along_axis(x, order, axis=-1)`` (``order``: an integer Tensor with x's
    batch shape and one last axis, applied to each row of a matrix ``x``), recorded."""
    from .ordering import take_along_axis
    return take_along_axis(x, order if np.ndim(x) == order.ndim else order[..., None, :],
                           axis=-1)


def hermitian_svd(a, compute_uv):
    """NumPy's ``svd(a, hermitian=True)``: eigh, then |w| descending, the signs in Vh."""
    from . import elementwise as ew

    # (order and signs: Tensors that a replay of ad.compile computes again)
    if not compute_uv:
        w = ew.abs(eigvalsh(a))
        return _along_last(w, Tensor(made("svd order", _descending, (w.data,))))
    w, v = eigh(a)
    s = ew.abs(w)
    order = Tensor(made("svd order", _descending, (s.data,)))
    signs = _along_last(Tensor(made("svd signs", np.copysign, (1.0, w.data))), order)
    u = _along_last(v, order)
    vh = _t_tensor(u * signs[..., None, :])
    vh = vh.conj() if vh.dtype.kind == "c" else vh
    return SVDResult(u, _along_last(s, order), vh)


def _descending(values):
    return np.argsort(values, axis=-1)[..., ::-1]


def _t_tensor(x):
    from .shape import swapaxes

    return swapaxes(x, -1, -2)
