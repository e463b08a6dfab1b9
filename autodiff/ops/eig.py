"""The general (non-symmetric) eigendecomposition: ``np.linalg.eig``, ``eigvals`` and
``np.roots`` (the eigenvalues of the companion matrix), with PyTorch's gradients.

The forwards are NumPy's own calls, so the values are NumPy's: complex in general, and
real arrays when a real matrix has only real eigenvalues (as NumPy, unlike
``torch.linalg.eig``, which is always complex).  A real input's gradient is the real
part of the complex one (``graph._in_dtype``), as PyTorch's ``handle_r_to_c``.

With ``A V = V diag(w)``, ``V``'s columns of unit length (LAPACK's normalisation), and
``E_ij = conj(w_j - w_i)``, the gradient (PyTorch's ``linalg_eig_backward``) is::

    M = V^H g_V - V^H V diag(Re diag(V^H g_V))      (the change of length projected out)
    grad A = V^-H (diag(g_w) + M / E off the diagonal) V^H

Each eigenvector is defined up to a factor ``e^(i phi)`` (a sign when real): a loss
that depends on that phase raises, naming the op, as PyTorch's (``Im diag(V^H g_V)``
above rounding level; complex_spectral.py).  At repeated eigenvalues the eigenvectors
are not differentiable; pairs closer than sqrt(eps) times the largest |eigenvalue|
are handled as for eigh (degenerate_spectra.py): exact 0 where the cotangent does not
couple them, otherwise PyTorch's inf/nan with ``DegenerateGradientWarning``.  Such a
pair weighed differently by the eigenvalues' cotangent warns too (a repeated
eigenvalue alone is not differentiable; at a defective matrix its derivative is
infinite); symmetric functions of them (their sum) stay quiet.

>>> a = ad.tensor([[1.0, 2.0], [0.0, 3.0]], requires_grad=True)
>>> np.linalg.eigvals(a)[1].backward()     # the eigenvalue 3: u v^T / (u^T v), u^T a = 3 u^T
>>> a.grad
array([[0., 0.],
       [1., 1.]])
"""

from __future__ import annotations

import numpy as np

from ..tape_drop import user_frame, warn_at
from ..tensor import Tensor
from .decompositions import _coupling, _data, _eye
from .degenerate_spectra import (DegenerateGradientWarning, close_pairs, defective_pairs,
                                 degenerate_pairs, unequally_weighted_pairs)
from .registry import defop, implements

#: NumPy's named tuple ``(eigenvalues, eigenvectors)``, taken from a call (its class
#: lives in a private module).
EigResult = type(np.linalg.eig(np.ones((1, 1))))


# ----------------------------------------------------------------------------- eig

def _eig_forward(a):
    w, v = np.linalg.eig(a)
    return np.concatenate([v, w[..., None, :]], axis=-2)


def _eig_vjp(xp, v, w, g_v, g_w, op="eig"):
    """PyTorch's ``linalg_eig_backward`` for eigenvectors ``v`` (unit columns) and
    eigenvalues ``w`` with cotangents ``g_v`` and ``g_w`` (either may be None)."""
    from .complex_spectral import _diagonal_imag, _mh, check_phase_free  # (imports all ops)
    n = w.shape[-1]
    vh = _mh(xp, v)
    core = 0
    if g_v is not None:
        m = xp.matmul(vh, g_v)
        if _data(v).dtype.kind == "c":
            check_phase_free("eig", _diagonal_imag(m), [m], "eigenvectors",
                             of="a general matrix")
        lengths = xp.real(xp.diagonal(m, offset=0, axis1=-2, axis2=-1))
        m = m - xp.matmul(vh, v * xp.expand_dims(lengths, -2))
        defective_pairs(op, w, v, g_v)
        (m,) = degenerate_pairs(xp, "eig", w, [(m, m, n)])
        core = _coupling(xp, m, xp.conj(w))
    if g_w is not None:
        unequally_weighted_pairs(op, w, g_w)
        core = core + xp.expand_dims(g_w, -2) * _eye(n, w)
    return xp.solve(vh, xp.matmul(core, vh))


def _eig_rule(xp, g, ans, a):
    n = ans.shape[-1]
    return _eig_vjp(xp, ans[..., :n, :], ans[..., n, :], g[..., :n, :], g[..., n, :])


_eig = defop(
    "eig_packed", _eig_forward,
    hint="eig needs square matrices in the last two axes",
    doc="eigenvectors with the eigenvalues as an extra last row; see ad.linalg.eig",
    a=("V^-H (diag(g_w) + (V^H g_V - V^H V diag(Re diag(V^H g_V))) / conj(w_j - w_i)) "
       "V^H", _eig_rule))
_eig.infinite_grad = (
    "the eigenvectors' rule divides by the gaps w_j - w_i between eigenvalues, which are 0 "
    "for a repeated eigenvalue, whose eigenvectors are not differentiable. Use only the "
    "eigenvalues (eigvals), or keep them apart")


@implements(np.linalg.eig)
def eig(a) -> EigResult:
    """``np.linalg.eig`` of square (..., n, n): NumPy's values, PyTorch's gradient.

    ``(eigenvalues, eigenvectors)``, the eigenvectors as unit columns; complex in
    general, real arrays when a real matrix has only real eigenvalues (as NumPy;
    ``torch.linalg.eig``'s are always complex).

    Use the eigenvectors only in phase-independent ways (``abs(v)``, ``v * v.conj()``,
    ``v[:, k] / v[0, k]``): a loss that depends on their phase raises.

    >>> w, v = ad.linalg.eig(ad.tensor([[2.0, 0.0], [0.0, 3.0]])); w
    tensor([2., 3.])
    """
    packed = _eig(a)
    n = packed.shape[-1]
    return EigResult(packed[..., n, :], packed[..., :n, :])


# ------------------------------------------------------------------------- eigvals

def _matching_vectors(xp, w, values, vectors):
    """``vectors`` (eig's, for its eigenvalues ``values``) in the order of ``w``
    (eigvals'), should LAPACK's two routines order them differently: both sorted by
    real, then imaginary part, and paired in that order."""
    w, values_data = _data(w), _data(values)
    if np.array_equal(w, values_data):
        return vectors
    by_w = np.lexsort((w.imag, w.real)) if w.dtype.kind == "c" else np.argsort(w, axis=-1)
    by_values = (np.lexsort((values_data.imag, values_data.real))
                 if values_data.dtype.kind == "c" else np.argsort(values_data, axis=-1))
    order = np.empty_like(by_w)
    np.put_along_axis(order, by_w, by_values, axis=-1)
    return xp.take_along_axis(vectors, np.expand_dims(order, -2), axis=-1)


def _eigvals_rule(xp, g, ans, a):
    if isinstance(g, Tensor):             # create_graph: the eigenvectors on the tape too
        values, vectors = eig(a)
    else:
        values, vectors = np.linalg.eig(a)
    return _eig_vjp(xp, _matching_vectors(xp, ans, values, vectors), ans, None, g, "eigvals")


_eigvals = defop(
    "eigvals", np.linalg.eigvals,
    doc="np.linalg.eigvals's primitive; call ad.linalg.eigvals",
    hint="eigvals needs square matrices in the last two axes",
    a=("V^-H diag(g) V^H (V recomputed in backward)", _eigvals_rule))


@implements(np.linalg.eigvals)
def eigvals(a) -> Tensor:
    """``np.linalg.eigvals`` of square (..., n, n): NumPy's values, PyTorch's gradient.

    The values are complex in general; the gradient is ``V^-H diag(g) V^H``, PyTorch's
    also at repeated eigenvalues (there it depends on LAPACK's choice of eigenvectors,
    except for symmetric functions of the eigenvalues such as their sum).  The dtype is
    NumPy's, for ``np.linalg.eigvals`` and ``ad.linalg.eigvals`` alike: real when every
    eigenvalue of a real input (of the whole batch) is real, where
    ``torch.linalg.eigvals`` is always complex; ``.astype(np.complex128)`` gives
    PyTorch's.

    >>> np.linalg.eigvals(ad.tensor([[0.0, -1.0], [1.0, 0.0]]))
    tensor([0.+1.j, 0.-1.j], dtype=complex128)
    """
    return _eigvals(a)


# --------------------------------------------------------------------------- roots

def _powers(xp, r, degree):
    """``(k, degree + 1)``: ``r ** degree, ..., r, 1`` (by products: no ``0 ** 0``)."""
    columns = [r * 0 + 1]
    for _ in range(degree):
        columns.append(columns[-1] * r)
    return xp.stack(columns[::-1], axis=-1)


def _roots_rule(xp, g, ans, p):
    # Each simple root r of p(x) = sum_j p_j x^(d - j) moves by dr = -dp(r) / p'(r).
    degree = p.shape[-1] - 1
    if ans.shape[-1] == 0:
        return p * 0
    _warn_of_repeated_roots(_data(ans), _data(g))
    powers = _powers(xp, ans, degree)
    slopes = np.arange(degree, 0, -1)
    slope = xp.sum(powers[..., 1:] * (p[..., :-1] * slopes), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -xp.matmul(g / xp.conj(slope), xp.conj(powers))


def _warn_of_repeated_roots(r, g):
    # rounding splits a root of multiplicity m by about eps^(1/m): a cube root's reach
    tol = 4 * np.finfo(r.dtype).eps ** (1 / 3) * np.max(np.abs(r), axis=-1, keepdims=True)
    close = np.triu(close_pairs(r, tol)) & ((g != 0)[:, None] | (g != 0)[None, :])
    if close.any():
        i, j = np.argwhere(close)[0]
        warn_at(user_frame(), (
            f"roots: roots {i} and {j} are equal or nearly equal ({r[i]!r} and {r[j]!r}), "
            "and a repeated root is not differentiable (p'(r) = 0): the gradient holds "
            "inf/nan or imprecise values. Use a symmetric function of the repeated roots "
            "(such as their sum, from the coefficients), or keep the roots apart."),
            DegenerateGradientWarning)


_roots = defop(
    "roots", np.roots,
    doc="np.roots's primitive; call np.roots on a Tensor",
    hint="roots needs a 1-d array of coefficients, highest power first",
    p=("-sum_k g_k conj(r_k^(d-j) / p'(r_k)) (each root moves by -dp(r) / p'(r))",
       _roots_rule))


@implements(np.roots)
def roots(p) -> Tensor:
    """``np.roots`` of coefficients ``p`` (highest power first): NumPy's values, differentiable.

    NumPy computes the roots as the eigenvalues of the companion matrix; each simple
    root ``r`` moves by ``dr = -dp(r) / p'(r)``.  Roots closer than about eps^(1/3)
    (relative) count as repeated: their gradient is inf/nan or imprecise, and
    ``DegenerateGradientWarning`` names the user's line.

    >>> np.roots(ad.tensor([1.0, -3.0, 2.0]))
    tensor([2., 1.])
    """
    return _roots(p)


for _op in (_eig, _eigvals, _roots):       # (the rules hold for complex numbers)
    _op.complex_twin = _op

# ad.compile: a replay whose eigenvalues or roots come back real where the trace's were
# complex (or the other way, or fewer roots) raises instead of running on (effects.py)
_eig.result_from_values = _eigvals.result_from_values = (
    "A real matrix's eigenvalues come back real or complex by its values (as NumPy's): "
    "give it a complex matrix (a.astype(np.complex128)), whose eigenvalues are always "
    "complex (as torch.linalg.eig's), or use np.linalg.eigh / eigvalsh for a symmetric "
    "matrix.")
_roots.infinite_grad = (
    "a repeated root (p'(r) = 0) has no derivative: its gradient is inf/nan. Use a "
    "symmetric function of the repeated roots (their sum, -p[1] / p[0], from the "
    "coefficients), or keep the roots apart")
_roots.result_from_values = (
    "np.roots drops leading zero coefficients and gives real roots as a real array: take "
    "np.linalg.eigvals of the companion matrix made complex (np.roots' own method) "
    "instead, or call np.roots outside the compiled function.")
