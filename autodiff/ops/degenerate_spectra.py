"""Eigenvalues (eigh, eig) or singular values (svd) that repeat, or singular values near 0:
where the rules of ``decompositions.py`` divide by their gaps (or by the value), and
where a general matrix's repeated eigenvalues are weighed differently (eig, eigvals).

Pairs of values closer than sqrt(eps) times the largest count as repeated.  Where the
cotangent (or tangent) of the vectors does not couple such a pair, its entries are at
rounding level and the pair contributes exactly 0; where it does couple the pair, the
derivative is undefined there and ``DegenerateGradientWarning`` names the user's line,
while the rule keeps its inf/nan (equal) or imprecise (nearly equal) entries.
"""

from __future__ import annotations

import numpy as np

from ..tape_drop import user_frame, warn_at
from ..tensor import Tensor

__all__ = ["DegenerateGradientWarning", "close_pairs", "degenerate_columns",
           "degenerate_pairs", "defective_pairs", "unequally_weighted_pairs"]


class DegenerateGradientWarning(UserWarning):
    """A derivative through the eigenvectors (eigh) or singular vectors (svd) of a
    repeated or nearly repeated value, or through a singular vector of a zero singular
    value: it is undefined there, and the gradient holds inf/nan or imprecise values."""


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _tolerance(values):
    """Values closer than this (sqrt(eps) times each matrix's largest |value|, shape
    (..., 1)) count as repeated: a coupling divided by their gap has lost at least half
    its digits to rounding."""
    v = _data(values)
    return np.sqrt(np.finfo(v.dtype).eps) * np.max(np.abs(v), axis=-1, keepdims=True)


def _above_rounding(x, product, inner):
    """Where ``x``, made from ``product`` (a matrix of inner products of ``inner``
    terms), is above rounding level; NaN counts as above."""
    d = _data(x)
    floor = (8 * inner * np.finfo(d.dtype).eps
             * np.max(np.abs(_data(product)), axis=(-2, -1), keepdims=True))
    return ~(np.abs(d) <= floor)


def _where_batch(index):
    return f" of matrix {tuple(int(i) for i in index)} in the batch" if len(index) else ""


def _first_of(bad, kind):
    """The index of the first True entry of ``bad``, and a note of how many more there
    are, such as `` (3 more such pairs)`` for ``kind="pairs"`` (empty when none)."""
    where = np.argwhere(bad)
    more = f" ({len(where) - 1} more such {kind})" if len(where) > 1 else ""
    return where[0], more


def _what_is_undefined(forward, uses):
    """The derivative a warning calls undefined: forward mode's, or the gradient of a
    result that ``uses`` the vectors."""
    return ("its forward-mode derivative along this tangent" if forward
            else f"the gradient of a result that uses {uses}")


def close_pairs(values, tol=None):
    """(..., k, k): which pairs of distinct positions hold values closer than ``tol``
    (by default sqrt(eps) times the largest |value|): repeated for a derivative."""
    w = _data(values)
    tol = _tolerance(w) if tol is None else tol
    close = np.abs(w[..., None, :] - w[..., :, None]) <= tol[..., None]
    return close & ~np.eye(w.shape[-1], dtype=bool)


def degenerate_pairs(xp, op, values, numerators, forward=False):
    """The ``numerators`` of couplings later divided by gaps of ``values`` (each given
    as ``(numerator, product, inner)`` for ``_above_rounding``), with exact 0 at pairs
    of repeated values that none of them couples; a warning for pairs that one does.
    The same objects when no two values are close."""
    nums = [num for num, _, _ in numerators]
    w = _data(values)
    k = w.shape[-1]
    if k < 2:
        return nums
    tol = _tolerance(w)
    close = close_pairs(w, tol)
    if not close.any():
        return nums
    coupled = np.zeros_like(close)
    for num, product, inner in numerators:
        above = _above_rounding(num, product, inner)
        coupled |= above | np.swapaxes(above, -1, -2)
    bad = np.triu(close & coupled)
    if bad.any():
        _warn_pairs(op, w, tol, bad, forward)
    quiet = close & ~coupled
    return [xp.where(quiet, 0.0, num) for num in nums] if quiet.any() else nums


def _warn_pairs(op, w, tol, bad, forward):
    (*batch, i, j), more = _first_of(bad, "pairs")
    word = "singular value" if op == "svd" else "eigenvalue"
    vectors = "singular vectors" if op == "svd" else "eigenvectors"
    wi, wj = w[tuple(batch) + (i,)].item(), w[tuple(batch) + (j,)].item()
    if wi == wj:
        how = f"are equal ({wi!r})"
    else:
        how = (f"are nearly equal ({wi!r} and {wj!r}, closer than sqrt(eps) times the "
               f"largest |{word}|, {tol[tuple(batch)].item():.3g})")
    what = _what_is_undefined(forward, "them")
    warn_at(user_frame(), (
        f"{op}: {word}s {i} and {j}{_where_batch(batch)} {how}{more}, and the "
        f"{vectors} of a repeated {word} are not differentiable: {what} is undefined "
        f"there, even for a result that does not depend on the choice of basis (such as "
        f"a reconstruction from the {vectors}), since the {vectors}' gradient does not "
        f"determine it. The result holds inf/nan where they are equal and imprecise "
        f"values where they are nearly equal. Use only the {word}s, compute the result "
        f"from the matrix itself, or keep the {word}s apart."), DegenerateGradientWarning)


def unequally_weighted_pairs(op, values, g):
    """Warn when a result weighs two repeated eigenvalues of a general matrix (closer
    than sqrt(eps) times the largest |value|) differently, their cotangents ``g``
    differing above rounding: each of them alone is not differentiable there (how a
    repeated eigenvalue splits depends on the direction of the change, and at a
    defective matrix its derivative is infinite), only symmetric functions of them
    are.  The gradient keeps PyTorch's formula, with LAPACK's eigenvectors."""
    w, gd = _data(values), _data(g)
    if w.shape[-1] < 2:
        return
    tol = _tolerance(w)
    close = close_pairs(w, tol)
    if not close.any():
        return
    floor = 8 * np.finfo(gd.dtype).eps * np.max(np.abs(gd), axis=-1, keepdims=True)
    differ = np.abs(gd[..., None, :] - gd[..., :, None]) > floor[..., None]
    bad = np.triu(close & differ)
    if not bad.any():
        return
    (*batch, i, j), more = _first_of(bad, "pairs")
    wi, wj = w[tuple(batch) + (i,)].item(), w[tuple(batch) + (j,)].item()
    how = (f"are equal ({wi!r})" if wi == wj else
           f"are nearly equal ({wi!r} and {wj!r}, closer than sqrt(eps) times the largest "
           f"|eigenvalue|, {tol[tuple(batch)].item():.3g})")
    warn_at(user_frame(), (
        f"{op}: eigenvalues {i} and {j}{_where_batch(batch)} {how}{more}, and the result "
        f"weighs them differently: a repeated eigenvalue of a general matrix is not "
        f"differentiable on its own (how it splits depends on the direction of the "
        f"change; at a defective matrix its derivative is infinite), so the gradient, "
        f"PyTorch's V^-H diag(g) V^H with LAPACK's eigenvectors, is unreliable there "
        f"(PyTorch documents it as ill-defined). Use a symmetric function of the "
        f"repeated eigenvalues (their sum, from the trace), or keep them apart."),
        DegenerateGradientWarning)


def defective_pairs(op, values, vectors, g_vectors):
    """Warn when a result uses eigenvectors of a repeated eigenvalue of a general
    matrix whose eigenvectors are (nearly) parallel: a defective matrix, where they are
    not differentiable even for results that ``degenerate_pairs`` finds uncoupled (its
    exact 0 there assumes an eigenspace, which a defective matrix lacks)."""
    w, v, g = _data(values), _data(vectors), _data(g_vectors)
    if w.shape[-1] < 2:
        return
    close = close_pairs(w)
    if not close.any():
        return
    cosines = np.abs(np.matmul(np.conj(np.swapaxes(v, -1, -2)), v))
    parallel = 1 - cosines <= np.sqrt(np.finfo(v.dtype).eps)
    floor = 8 * np.finfo(g.dtype).eps * np.max(np.abs(g), axis=(-2, -1), keepdims=True)
    used = np.any(np.abs(g) > floor, axis=-2)
    bad = np.triu(close & parallel & (used[..., None, :] | used[..., :, None]))
    if not bad.any():
        return
    (*batch, i, j), more = _first_of(bad, "pairs")
    value = w[tuple(batch) + (i,)].item()
    warn_at(user_frame(), (
        f"{op}: eigenvalues {i} and {j}{_where_batch(batch)} are equal or nearly equal "
        f"({value!r}){more} and their eigenvectors are (nearly) parallel: the matrix is "
        f"(nearly) defective, where the eigenvectors are not differentiable "
        f"({_what_is_undefined(False, 'them')} is undefined, its derivative infinite), "
        f"and the gradient holds a meaningless value. Use only the eigenvalues' "
        f"symmetric functions, compute the result from the matrix itself, or keep the "
        f"eigenvalues apart."), DegenerateGradientWarning)


def degenerate_columns(xp, s, rest, product, inner, side, shape, forward=False):
    """``rest`` (..., r, k), whose column j is later divided by ``s[j]``: exact 0 in
    the columns of (nearly) zero singular values where it is at rounding level; a
    warning where it is not.  ``rest`` itself when no singular value is near 0."""
    sv = _data(s)
    if sv.shape[-1] == 0:
        return rest
    tol = _tolerance(sv)
    small = sv <= tol
    if not small.any():
        return rest
    used = np.any(_above_rounding(rest, product, inner), axis=-2)
    bad = small & used
    if bad.any():
        (*batch, j), more = _first_of(bad, "values")
        value = sv[tuple(batch) + (j,)].item()
        how = (f"is zero ({value!r})" if value == 0 else
               f"is nearly zero ({value!r}, below sqrt(eps) times the largest, "
               f"{tol[tuple(batch)].item():.3g})")
        what = _what_is_undefined(forward, "it")
        warn_at(user_frame(), (
            f"svd: singular value {j}{_where_batch(batch)} of a {shape[0]}x{shape[1]} "
            f"matrix {how}{more}, and the part of {side} {j} outside the span of the "
            f"others is not differentiable there: {what} is undefined. The result holds "
            f"inf/nan where it is zero and imprecise values where it is nearly zero. Use "
            f"only the singular vectors of nonzero singular values, or a full-rank "
            f"input."), DegenerateGradientWarning)
    quiet = small & ~used
    return xp.where(np.expand_dims(quiet, -2), 0.0, rest) if quiet.any() else rest
