"""``np.linalg`` beyond inv: solve, det, slogdet, cholesky, eigh, eigvalsh, svd and
svdvals (pinv has its own module), batched over leading axes (``(..., n, n)``), with
NumPy's own forwards.

Several outputs (eigh, svd, slogdet): one primitive per decomposition returns all of
its outputs packed into one array, and the public function slices the pack into the
outputs NumPy returns.  The cotangent of the pack therefore holds the cotangent of
every output that was used (zeros for the others) and one VJP accounts for all.

The VJPs avoid explicit inverses where a solve does (solve, cholesky).  At repeated
eigenvalues (eigh) or singular values (svd) the eigenvectors/singular vectors are not
differentiable.  Pairs of values closer than sqrt(eps) times the largest are treated as
repeated: where the cotangent of the vectors does not couple such a pair (its entries
are at rounding level) the pair contributes exactly 0, which is right when only the
values, or vectors of well-separated values, are used; where it does couple the pair
the VJP keeps its inf/nan (equal) or imprecise (nearly equal) entries and warns with
``DegenerateGradientWarning`` at the user's line.  No rule can do better there, even
for a result that does not depend on the choice of basis such as ``V diag(w) V.T``:
the cotangents of ``(w, V)`` do not determine its gradient (``V diag(w) V.T`` and
``V diag(2w - 1) V.T - trace`` have equal cotangents at ``a = I``, different gradients).
The same holds for the singular vectors of zero singular values of a non-square matrix.

eigh and svd carry their own forward-mode rules (the standard perturbation formulas):
their VJPs keep a coupling entry exactly 0 where its cotangent is 0 (so that repeated
values stay finite when unused), a mask that depends on the cotangent, so the VJP is
not linear in it at the zero cotangent that forward mode's transposition starts from.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from .cofactors import cofactor_array, recorded_cofactors
from .degenerate_spectra import degenerate_columns, degenerate_pairs
from .registry import defop, defop_joint, implements
from .svd_complement import complement_tangent, reduce_complement_cotangent


class EighResult(NamedTuple):
    """``np.linalg.eigh``'s result: eigenvalues (ascending) and eigenvectors (columns)."""
    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    """``np.linalg.svd``'s result: ``a == U @ (S[..., None] * Vh)``."""
    U: Tensor
    S: Tensor
    Vh: Tensor


class SlogdetResult(NamedTuple):
    """``np.linalg.slogdet``'s result: ``det == sign * exp(logabsdet)``."""
    sign: Tensor
    logabsdet: Tensor


def check_real(name: str, *arrays):
    """Reject complex inputs with a TypeError naming the function."""
    for x in arrays:
        if np.iscomplexobj(x.data if isinstance(x, Tensor) else x):
            raise TypeError(f"{name}: complex input is not supported by autodiff (real "
                            "float tensors only)")


def _t(xp, x):
    return xp.swapaxes(x, -1, -2)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _eye(n, like):
    return np.eye(n, dtype=_data(like).dtype)


def _divide_where_nonzero(xp, num, den):
    """``num / den``, and exactly 0 where both are 0 (the 0 / 0 of equal values that
    nothing couples).  Only those entries are masked: an entry whose ``num`` happens to
    be 0 over a nonzero ``den`` keeps its derivative ``1 / den``, which a rule recorded
    for a second order, or differentiated for its tangent, needs."""
    both = xp.logical_and(num == 0, den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.where(both, 0.0, num / xp.where(both, 1.0, den))


def _coupling(xp, m, values):
    """``F * m`` with ``F[i, j] = 1 / (values[j] - values[i])`` off the diagonal, 0 on it;
    entries where ``m`` is 0 for equal values stay 0 (nan otherwise)."""
    eye = _eye(values.shape[-1], values)
    gaps = xp.expand_dims(values, -2) - xp.expand_dims(values, -1) + eye
    return _divide_where_nonzero(xp, m * (1 - eye), gaps)


# ---------------------------------------------------------------- solve, det, slogdet

def _solve_joint(xp, g, ans, needs, a, b):
    a_t = _t(xp, a)
    if np.ndim(b) == 1:                   # NumPy 2: a 1-D b is one vector (batched a)
        grad_b = xp.solve(a_t, xp.expand_dims(g, -1))[..., 0]
        grad_a = -(xp.expand_dims(grad_b, -1) * xp.expand_dims(ans, -2)) if needs[0] else None
    else:
        grad_b = xp.solve(a_t, g)
        grad_a = -xp.matmul(grad_b, _t(xp, ans)) if needs[0] else None
    return [grad_a, grad_b if needs[1] else None]


_solve = defop_joint(
    "solve", np.linalg.solve,
    "grad_b = solve(a.T, g); grad_a = -grad_b @ x.T (x = the solution)", _solve_joint,
    doc="np.linalg.solve's primitive; call ad.linalg.solve",
    hint="solve needs square, non-singular matrices a (..., n, n) and b of shape (n,) "
         "or (..., n, k)")


@implements(np.linalg.solve)
def solve(a, b, *, left: bool = True) -> Tensor:
    """``np.linalg.solve``: x with ``a @ x == b`` (``left=False``: ``x @ a == b``).

    b is one vector when 1-D, else a stack of matrices (..., n, k); leading axes
    broadcast.  The VJP solves with ``a.T``; no inverse is formed.

    >>> ad.linalg.solve(ad.tensor([[2.0, 0.0], [0.0, 4.0]]), ad.tensor([2.0, 2.0]))
    tensor([1. , 0.5])
    >>> ad.linalg.solve(ad.tensor([[2.0, 0.0], [0.0, 4.0]]), ad.tensor([[2.0, 2.0]]),
    ...                 left=False)
    tensor([[1. , 0.5]])
    """
    if left:
        return _solve(a, b)
    if np.ndim(_data(b)) < 2:
        raise ValueError(f"solve(a, b, left=False): b (shape {np.shape(_data(b))}) must be "
                         "a matrix, or a stack of them, whose rows x @ a gives; for a "
                         "vector b, solve(a.mT, b) solves x @ a == b")
    # x a = b  <=>  a^T x^T = b^T
    return np.swapaxes(_solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _inverse_t(xp, a, name, why):
    try:
        return _t(xp, xp.inv(a))
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(
            f"{name}: {why} (input shape {tuple(a.shape)}): {error}") from error


def _det_rule(xp, g, ans, a):
    scale = xp.expand_dims(xp.expand_dims(g, -1), -1)
    if not (isinstance(a, Tensor) and a.requires_grad):
        # (also when only g is recorded: a jvp, or the gradient for a seed)
        return scale * cofactor_array(_data(a))
    return scale * recorded_cofactors(xp, a, ans)


_det = defop(
    "det", np.linalg.det, doc="np.linalg.det's primitive; call ad.linalg.det",
    hint="det needs square matrices in the last two axes",
    a=("g * cofactor(a) = g * det(a) * inv(a).T (from an SVD)", _det_rule))


@implements(np.linalg.det)
def det(a) -> Tensor:
    """``np.linalg.det`` of (..., n, n).

    The gradient is the cofactor matrix ``det(a) * inv(a).T``, computed from an SVD
    so that it is right at singular matrices too (a jvp as well); recorded for a
    second order, it is ``det(a) * inv(a).T``, or at and near a singular matrix the
    signed determinants of the minors.

    >>> ad.linalg.det(ad.tensor([[2.0, 1.0], [1.0, 3.0]]))
    tensor(5.)
    """
    return _det(a)


def _slogdet_forward(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return np.stack([sign, logabsdet], axis=-1)


def _slogdet_rule(xp, g, ans, a):
    scale = xp.expand_dims(xp.expand_dims(g[..., 1], -1), -1)
    return scale * _inverse_t(xp, a, "slogdet",
                              "the gradient of logabsdet at a singular matrix is infinite")


_slogdet = defop(
    "slogdet_packed", _slogdet_forward,
    hint="slogdet needs square matrices in the last two axes",
    doc="(sign, logabsdet) packed along a last axis of 2; see ad.linalg.slogdet",
    a=("g_logabsdet * inv(a).T (the sign has no gradient)", _slogdet_rule))


@implements(np.linalg.slogdet)
def slogdet(a) -> SlogdetResult:
    """``np.linalg.slogdet``: ``(sign, logabsdet)`` with ``det == sign * exp(logabsdet)``.
    ``logabsdet``'s gradient is ``inv(a).T``.  A real ``sign`` is piecewise constant:
    it requires grad as PyTorch's, with gradient 0 and forward-mode tangent 0.  For a
    complex ``a``, ``sign`` is complex and has a gradient, as in PyTorch.

    >>> sign, logdet = ad.linalg.slogdet(ad.tensor([[-2.0, 0.0], [0.0, 3.0]]))
    >>> sign, logdet
    (tensor(-1.), tensor(1.79175947))
    """
    packed = _slogdet(a)
    if packed.dtype.kind == "c":            # a complex sign, on the tape (PyTorch's)
        return SlogdetResult(packed[..., 0], packed[..., 1].real)
    # a real sign is on the tape too, as PyTorch's: gradient 0, tangent 0
    return SlogdetResult(packed[..., 0], packed[..., 1])


# ---------------------------------------------------------------------- cholesky

def _cholesky_forward(a, upper=False):
    return np.linalg.cholesky(a, upper=upper)


def _cholesky_rule(xp, g, ans, a, upper=False):
    # Murray (2016): with L the lower factor, P = Phi(L.T @ g_L) (Phi: lower triangle,
    # half diagonal), S = L^-T P L^-1 by two triangular solves, then S symmetrized
    # onto the triangle that NumPy reads.
    low, g_low = (_t(xp, ans), _t(xp, g)) if upper else (ans, g)
    n = ans.shape[-1]
    eye = _eye(n, ans)
    phi = np.tril(np.ones_like(eye), -1) + 0.5 * eye
    low_t = _t(xp, low)
    p = xp.matmul(low_t, g_low) * phi
    left = xp.solve(low_t, p)                          # L^-T P
    s = _t(xp, xp.solve(low_t, _t(xp, left)))          # L^-T P L^-1
    read = np.triu(np.ones_like(eye), 1) if upper else np.tril(np.ones_like(eye), -1)
    return (s + _t(xp, s)) * read + s * eye


_cholesky = defop(
    "cholesky", _cholesky_forward,
    doc="np.linalg.cholesky's primitive; call ad.linalg.cholesky",
    hint="cholesky needs symmetric positive-definite matrices in the last two axes",
    a=("S + S.T on the triangle read, S = L^-T Phi(L.T g) L^-1 (triangular solves)",
       _cholesky_rule))


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper: bool = False) -> Tensor:
    """``np.linalg.cholesky``: lower L with ``a == L @ L.T`` (``upper=True``: U = L.T).

    Like NumPy it reads only the lower triangle of ``a`` (the upper one for
    ``upper=True``), so the gradient is on that triangle: off-diagonal entries get
    ``S_ij + S_ji``, the other triangle 0; for a symmetric ``A(x)`` this sums to the
    usual symmetric gradient.  The VJP uses triangular solves, never an inverse.

    >>> ad.linalg.cholesky(ad.tensor([[4.0, 2.0], [2.0, 2.0]]))
    tensor([[2., 0.],
            [1., 1.]])
    """
    return _cholesky(a, upper=bool(upper))


# -------------------------------------------------------------------------- eigh

def _eigh_forward(a, UPLO="L"):  # noqa: N803 (NumPy's argument name)
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return np.concatenate([v, w[..., None, :]], axis=-2)


def _eigh_rule(xp, g, ans, a, UPLO="L"):  # noqa: N803
    n = ans.shape[-1]
    v, w = ans[..., :n, :], ans[..., n, :]
    g_v, g_w = g[..., :n, :], g[..., n, :]
    eye = _eye(n, ans)
    v_t = _t(xp, v)
    m = xp.matmul(v_t, g_v)
    (m,) = degenerate_pairs(xp, "eigh", w, [(m, m, n)])
    core = xp.expand_dims(g_w, -2) * eye + _coupling(xp, m, w)
    full = xp.matmul(xp.matmul(v, core), v_t)
    read = np.tril(np.ones_like(eye), -1) if UPLO == "L" else np.triu(np.ones_like(eye), 1)
    return (full + _t(xp, full)) * read + full * eye


def _read_symmetric(xp, t, eye, UPLO):  # noqa: N803
    """The symmetric matrix NumPy's eigh sees: one triangle of ``t`` mirrored."""
    read = np.tril(np.ones_like(eye), -1) if UPLO == "L" else np.triu(np.ones_like(eye), 1)
    off = t * read
    return off + _t(xp, off) + t * eye


def _eigh_jvp(xp, tangents, ans, a, UPLO="L"):  # noqa: N803
    # With P = V.T dA V: dw = diag(P), dV = V (F * P), F_ij = 1 / (w_j - w_i).
    n = ans.shape[-1]
    v, w = ans[..., :n, :], ans[..., n, :]
    eye = _eye(n, ans)
    p = xp.matmul(xp.matmul(_t(xp, v), _read_symmetric(xp, tangents[0], eye, UPLO)), v)
    d_w = xp.sum(p * eye, axis=-1)
    (p,) = degenerate_pairs(xp, "eigh", w, [(p, p, n)], forward=True)
    d_v = xp.matmul(v, _coupling(xp, p, w))
    return xp.concatenate(d_v, xp.expand_dims(d_w, -2), axis=-2)


_eigh = defop(
    "eigh_packed", _eigh_forward,
    hint="eigh needs square (symmetric) matrices in the last two axes",
    doc="eigenvectors with the eigenvalues as an extra last row; see ad.linalg.eigh",
    jvp=_eigh_jvp,
    a=("V (diag(g_w) + F * (V.T g_V)) V.T on the triangle read, "
       "F_ij = 1 / (w_j - w_i)", _eigh_rule))


_eigh.infinite_grad = (
    "the eigenvectors' rule divides by the gaps w_j - w_i between eigenvalues, which are 0 "
    "for a repeated eigenvalue, whose eigenvectors are not differentiable. Use only the "
    "eigenvalues (eigvalsh), compute the result from the matrix itself, or keep the "
    "eigenvalues apart")


@implements(np.linalg.eigh)
def eigh(a, UPLO: str = "L") -> EighResult:  # noqa: N803
    """``np.linalg.eigh``: ``(eigenvalues, eigenvectors)`` of symmetric (..., n, n).

    The eigenvalues ascend; the eigenvectors are the columns.

    Like NumPy it reads only the lower triangle (``UPLO="U"``: the upper one), and the
    gradient lands on that triangle.  Eigenvectors are defined up to sign (a phase for
    complex Hermitian matrices: complex_spectral.py), so only sign-independent uses
    (``v * v``, ``v @ v.T``, ...) have a gradient that finite differences can confirm.
    At repeated eigenvalues (closer than sqrt(eps) times the
    largest |eigenvalue|) the eigenvectors are not differentiable: where the
    eigenvectors' cotangent couples such a pair the gradient is inf/nan (equal) or
    imprecise (nearly equal) and ``DegenerateGradientWarning`` names the user's line,
    also for results that do not depend on the choice of basis (``v @ diag(w) @ v.T``),
    whose gradient the cotangents do not determine there.  Using only the eigenvalues,
    or eigenvectors of well-separated eigenvalues, stays finite and quiet.

    >>> w, v = ad.linalg.eigh(ad.tensor([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    tensor([1., 3.])
    """
    UPLO = UPLO.upper() if isinstance(UPLO, str) else UPLO  # noqa: N806 (as NumPy)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', not {UPLO!r}")
    packed = _eigh(a, UPLO=UPLO)
    n = packed.shape[-1]
    return EighResult(_real_values(packed[..., n, :]), packed[..., :n, :])


def _real_values(values):
    """Eigenvalues or singular values out of a complex pack (its real part)."""
    return values.real if values.dtype.kind == "c" else values


def _eigvalsh_forward(a, UPLO="L"):  # noqa: N803
    return np.linalg.eigvalsh(a, UPLO=UPLO)


def eigenvectors_again(g, a, UPLO):  # noqa: N803
    """``eigvalsh``'s backward needs the eigenvectors of ``a`` it did not keep: computed
    again, on the tape when the gradient ``g`` is recorded (create_graph)."""
    if isinstance(g, Tensor):
        return eigh(a, UPLO=UPLO).eigenvectors
    return np.linalg.eigh(a, UPLO=UPLO).eigenvectors


def _eigvalsh_rule(xp, g, ans, a, UPLO="L"):  # noqa: N803
    v = eigenvectors_again(g, a, UPLO)
    full = xp.matmul(v * xp.expand_dims(g, -2), _t(xp, v))
    eye = _eye(ans.shape[-1], ans)
    read = np.tril(np.ones_like(eye), -1) if UPLO == "L" else np.triu(np.ones_like(eye), 1)
    return (full + _t(xp, full)) * read + full * eye


_eigvalsh = defop(
    "eigvalsh", _eigvalsh_forward,
    doc="np.linalg.eigvalsh's primitive; call ad.linalg.eigvalsh",
    hint="eigvalsh needs square (symmetric) matrices in the last two axes",
    a=("V diag(g) V.T on the triangle read (V recomputed in backward)", _eigvalsh_rule))


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO: str = "L") -> Tensor:  # noqa: N803
    """``np.linalg.eigvalsh``: the eigenvalues of symmetric (..., n, n), ascending.

    It reads one triangle as ``eigh`` does; the gradient is finite at repeated
    eigenvalues.

    >>> ad.linalg.eigvalsh(ad.tensor([[2.0, 1.0], [1.0, 2.0]]))
    tensor([1., 3.])
    """
    UPLO = UPLO.upper() if isinstance(UPLO, str) else UPLO  # noqa: N806 (as NumPy)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigvalsh: UPLO must be 'L' or 'U', not {UPLO!r}")
    return _eigvalsh(a, UPLO=UPLO)


# --------------------------------------------------------------------------- svd

def _svd_forward(a, full_matrices=True):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    batch = s.shape[:-1]
    return np.concatenate([u.reshape(batch + (u.shape[-2] * u.shape[-1],)), s,
                           vh.reshape(batch + (vh.shape[-2] * vh.shape[-1],))], axis=-1)


def _svd_shapes(m, n, full_matrices):
    k = min(m, n)
    return ((m, m) if full_matrices else (m, k)), k, ((n, n) if full_matrices else (k, n))


def unpack_svd(reshape, packed, m, n, full_matrices):
    """The (U, S, Vh) slices of a packed svd (``reshape`` is np's or the op)."""
    u_shape, k, vh_shape = _svd_shapes(m, n, full_matrices)
    batch = tuple(packed.shape[:-1])
    nu = u_shape[0] * u_shape[1]
    u = reshape(packed[..., :nu], batch + u_shape)
    s = packed[..., nu:nu + k]
    vh = reshape(packed[..., nu + k:], batch + vh_shape)
    return u, s, vh


def svd_vjp(xp, u, s, vh, g_u, g_s, g_vh, adjoint=_t):
    """The VJP of the reduced SVD ``a = u @ diag(s) @ vh`` (u: m×k, vh: k×n); for
    complex values ``adjoint`` is the conjugate transpose."""
    m, k, n = u.shape[-2], s.shape[-1], vh.shape[-1]
    v, g_v = adjoint(xp, vh), adjoint(xp, g_vh)
    eye = _eye(k, s)
    ut_gu = xp.matmul(adjoint(xp, u), g_u)
    vt_gv = xp.matmul(adjoint(xp, v), g_v)
    squares = s * s
    j_u, j_v = degenerate_pairs(xp, "svd", s, [(ut_gu - adjoint(xp, ut_gu), ut_gu, m),
                                                 (vt_gv - adjoint(xp, vt_gv), vt_gv, n)])
    core = (_coupling(xp, j_u, squares) * xp.expand_dims(s, -2)
            + xp.expand_dims(g_s, -2) * eye
            + xp.expand_dims(s, -1) * _coupling(xp, j_v, squares))
    grad = xp.matmul(xp.matmul(u, core), vh)
    s_row = xp.expand_dims(s, -2)
    if m > k:                             # (I - u u.T) g_u diag(1/s) vh
        rest = g_u - xp.matmul(u, ut_gu)
        rest = degenerate_columns(xp, s, rest, g_u, k, "U's column", (m, n))
        grad = grad + xp.matmul(_divide_where_nonzero(xp, rest, s_row), vh)
    if n > k:                             # u diag(1/s) g_v.T (I - v v.T)
        rest = g_v - xp.matmul(v, vt_gv)
        rest = degenerate_columns(xp, s, rest, g_v, k, "Vh's row", (m, n))
        grad = grad + adjoint(xp, xp.matmul(_divide_where_nonzero(xp, rest, s_row),
                                            adjoint(xp, u)))
    return grad


def _svd_rule(xp, g, ans, a, full_matrices=True):
    return svd_vjp(xp, *reduced_svd_parts(xp, g, ans, a, full_matrices))


def reduced_svd_parts(xp, g, ans, a, full_matrices, complex_values=False):
    """``(U, S, Vh, g_U, g_S, g_Vh)`` of the reduced SVD from a pack and its cotangent.

    With ``full_matrices=True`` on a non-square matrix, a cotangent on the extra
    columns of U (rows of Vh) moves onto the reduced ones (svd_complement.py)."""
    m, n = a.shape[-2:]
    u, s, vh = unpack_svd(xp.reshape, ans, m, n, full_matrices)
    g_u, g_s, g_vh = unpack_svd(xp.reshape, g, m, n, full_matrices)
    if full_matrices and m != n:
        u, vh, g_u, g_vh = reduce_complement_cotangent(xp, u, vh, g_u, g_vh, a.shape,
                                                        complex_values)
    return u, s, vh, g_u, g_s, g_vh


def _svd_jvp(xp, tangents, ans, a, full_matrices=True):
    # Reduced SVD, P = U.T dA V: dS = diag(P), dU = U (F * (P S + S P.T)),
    # dV = V (F * (S P + P.T S)), F_ij = 1 / (s_j^2 - s_i^2), plus for a non-square
    # matrix the part of dA V S^-1 (dA.T U S^-1) outside the span of U (V).
    m, n = a.shape[-2:]
    k = min(m, n)
    d_a = tangents[0]
    u, s, vh = unpack_svd(xp.reshape, ans, m, n, full_matrices)
    u_k, v_k = u[..., :, :k], _t(xp, vh[..., :k, :])
    eye = _eye(k, s)
    p = xp.matmul(xp.matmul(_t(xp, u_k), d_a), v_k)
    s_row, s_col = xp.expand_dims(s, -2), xp.expand_dims(s, -1)
    squares = s * s
    d_s = xp.sum(p * eye, axis=-1)
    p_s, s_p = p * s_row, s_col * p
    c_u, c_v = degenerate_pairs(xp, "svd", s, [(p_s + _t(xp, p_s), p_s, m),
                                                 (s_p + _t(xp, s_p), s_p, n)], forward=True)
    d_u = xp.matmul(u_k, _coupling(xp, c_u, squares))
    d_v = xp.matmul(v_k, _coupling(xp, c_v, squares))
    if m > k:
        d_a_v = xp.matmul(d_a, v_k)
        rest = d_a_v - xp.matmul(u_k, xp.matmul(_t(xp, u_k), d_a_v))
        rest = degenerate_columns(xp, s, rest, d_a_v, k, "U's column", (m, n), forward=True)
        d_u = d_u + _divide_where_nonzero(xp, rest, s_row)
        if full_matrices:
            d_u = xp.concatenate(d_u, complement_tangent(xp, u_k, d_u, u[..., :, k:]),
                                 axis=-1)
    if n > k:
        d_a_t_u = xp.matmul(_t(xp, d_a), u_k)
        rest = d_a_t_u - xp.matmul(v_k, xp.matmul(_t(xp, v_k), d_a_t_u))
        rest = degenerate_columns(xp, s, rest, d_a_t_u, k, "Vh's row", (m, n), forward=True)
        d_v = d_v + _divide_where_nonzero(xp, rest, s_row)
        if full_matrices:
            d_v = xp.concatenate(d_v, complement_tangent(xp, v_k, d_v, _t(xp, vh[..., k:, :])),
                                 axis=-1)
    batch = tuple(ans.shape[:-1])
    return xp.concatenate(xp.reshape(d_u, batch + (-1,)), d_s,
                          xp.reshape(_t(xp, d_v), batch + (-1,)), axis=-1)


_svd = defop(
    "svd_packed", _svd_forward,
    hint="svd needs matrices in the last two axes",
    doc="U, S and Vh flattened and joined along the last axis; see ad.linalg.svd",
    jvp=_svd_jvp,
    a=("U (F*(U.T gU - gU.T U) S + diag(gS) + S F*(V.T gV - gV.T V)) Vh + the "
       "complement terms, F_ij = 1 / (s_j^2 - s_i^2)", _svd_rule))


def _svdvals_forward(a):
    return np.linalg.svd(a, compute_uv=False)


def _svdvals_rule(xp, g, ans, a):
    if isinstance(g, Tensor):             # create_graph: U and Vh on the tape too
        u, _, vh = svd(a, full_matrices=False)
    else:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
    return xp.matmul(u * xp.expand_dims(g, -2), vh)


_svdvals = defop(
    "svdvals", _svdvals_forward,
    hint="svd needs matrices in the last two axes",
    doc="the singular values alone (svd with compute_uv=False)",
    a=("U diag(g) Vh (U, Vh recomputed in backward)", _svdvals_rule))


@implements(np.linalg.svdvals)
def svdvals(x, /) -> Tensor:
    """``np.linalg.svdvals``: the singular values, descending (``svd(x, compute_uv=False)``).

    >>> ad.linalg.svdvals(ad.tensor([[3.0, 0.0], [0.0, -2.0]]))
    tensor([3., 2.])
    """
    return _svdvals(x)


@implements(np.linalg.svd)
def svd(a, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> SVDResult | Tensor:
    """``np.linalg.svd``: ``(U, S, Vh)`` with ``a == U @ (S[..., None] * Vh)``.

    S descends; ``compute_uv=False`` gives S alone.  Batched over leading axes.

    Gradients: S always.  U and Vh are defined up to a sign per singular pair (a phase
    for complex matrices), so only sign-independent uses (``U * U``, ``U @ Vh``, ...)
    have a gradient that finite differences confirm (complex_spectral.py).  With
    ``full_matrices=True`` (NumPy's default) on a
    non-square matrix, the extra columns of U (rows of Vh) are a basis of the
    complement: a single one (the null vector of a wide matrix, ``Vh[-1]`` for
    m = n - 1, as a homography's direct linear transform takes) has a gradient up to
    its sign, as every singular vector, and so do results that depend only on their
    span (``Q @ Q.T``); a result depending on the basis chosen raises ValueError in
    backward (use ``full_matrices=False``), as does any on the complement of a complex
    matrix.  At repeated singular values (closer than sqrt(eps) times
    the largest) the vectors are not differentiable, nor, for a non-square matrix, the
    vectors of zero singular values: where the cotangent uses them the gradient is
    inf/nan or imprecise and ``DegenerateGradientWarning`` names the user's line (also
    for ``U @ diag(S) @ Vh``, whose gradient the cotangents do not determine there).
    ``hermitian=True`` takes NumPy's route through
    ``eigh`` (reading the lower triangle), with eigh's gradient.

    >>> u, s, vh = ad.linalg.svd(ad.tensor([[3.0, 0.0], [0.0, -2.0]]))
    >>> s
    tensor([3., 2.])
    """
    if hermitian:
        from .hermitian_svd import hermitian_svd
        return hermitian_svd(a, compute_uv)
    if not compute_uv:
        return _svdvals(a)
    from .shape import reshape

    packed = _svd(a, full_matrices=bool(full_matrices))
    m, n = np.shape(a)[-2:]
    u, s, vh = unpack_svd(reshape, packed, m, n, bool(full_matrices))
    return SVDResult(u, _real_values(s), vh)
