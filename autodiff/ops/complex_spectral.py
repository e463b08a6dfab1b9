"""Complex twins of the Hermitian eigendecomposition (eigh, eigvalsh), the SVD (svd,
svdvals) and QR, with PyTorch's formulas (see complex_ops.py for the convention:
``z.grad = dL/dx + i dL/dy``).

The real rules hold with the transposes made conjugate transposes, and two things more:

- A complex eigenvector (singular vector) is defined up to a phase ``e^{i phi}``, not
  only a sign.  A result that depends on that phase has no gradient: as PyTorch, the
  rules raise, naming the op, when ``Im diag(V^H g_V)`` (for the SVD: ``Im diag(U^H
  g_U) + Im diag(V^H g_V)``) is above rounding level.  Phase-independent uses such as
  ``v * v.conj()``, ``v @ diag(w) @ v.conj().T`` or ``U @ Vh`` have gradients.
- eigh reads one triangle of a Hermitian matrix and the real part of its diagonal, so
  its gradient lands on that triangle (``G + G^H`` off the diagonal, ``Re G`` on it); the
  SVD's phase term ``i Im diag(U^H g_U) / S`` is added to the diagonal of its core, and
  QR's ``copyutl`` mirrors the conjugate (R's diagonal, LAPACK's, is real).

>>> a = ad.tensor([[2, 1j], [-1j, 2]], requires_grad=True)
>>> ad.linalg.eigvalsh(a)[1].backward()             # the largest eigenvalue, 3
>>> np.allclose(a.grad, [[0.5, 0], [-1j, 0.5]])      # on the lower triangle read
True
"""

from __future__ import annotations

import numpy as np

from .complex_ops import _twin
from .decompositions import (_coupling, _data, _divide_where_nonzero, _eye,
                             eigenvectors_again, reduced_svd_parts, svd_vjp)
from .degenerate_spectra import degenerate_pairs
from .qr import _qr_rule
from .registry import REGISTRY


def _mh(xp, x):
    """The conjugate transpose of the last two axes."""
    return xp.conj(xp.swapaxes(x, -1, -2))


def _on_triangle(xp, full, UPLO):  # noqa: N803 (NumPy's argument name)
    """The gradient of a Hermitian ``full`` on what eigh reads: one strict triangle (each
    entry stands for itself and its conjugate mirror) and the real diagonal."""
    eye = np.eye(full.shape[-1], dtype=_data(full).real.dtype)
    read = np.tril(np.ones_like(eye), -1) if UPLO == "L" else np.triu(np.ones_like(eye), 1)
    return (full + _mh(xp, full)) * read + xp.real(full) * eye


def _diagonal_imag(m):
    return np.imag(np.diagonal(_data(m), axis1=-2, axis2=-1))


def check_phase_free(op, phase, products, vectors, of="a complex matrix"):
    """Raise when a loss depends on the phases of complex eigenvectors or singular
    vectors (``vectors`` ``of`` what): ``phase`` (..., k) is ``Im diag`` of the vectors'
    inner products with their cotangent, 0 up to rounding for a phase-independent
    result."""
    scale = max((float(np.max(np.abs(_data(p)), initial=0.0)) for p in products), default=0)
    floor = np.sqrt(np.finfo(phase.dtype).eps) * max(scale, 1.0)
    bad = np.abs(phase) > floor
    if bad.any():
        *batch, j = np.argwhere(bad)[0]
        where = f" of matrix {tuple(int(i) for i in batch)} in the batch" if batch else ""
        raise ValueError(
            f"{op}: the {vectors} of {of} are defined up to a phase e^(i phi) "
            f"each, and the result depends on that phase (at {vectors[:-1]} {j}{where}: "
            f"{phase[tuple(batch) + (j,)]:.3g}, above rounding level {floor:.3g}), so its "
            f"gradient is not defined (PyTorch raises too). Use the {vectors} only in "
            f"phase-independent ways: {_PHASE_FREE_FORMS.get(vectors, _PHASE_FREE_FORMS[''])}")


#: Uses of the vectors that no phase changes, by what the vectors are.
_PHASE_FREE_FORMS = {
    "singular vectors": "abs(u), u * u.conj(), U @ diag(s) @ Vh, U @ Vh",
    "": "abs(v), v * v.conj(), v @ diag(w) @ v.conj().T",
}


def _eigh_rule(xp, g, ans, a, UPLO="L"):  # noqa: N803
    n = ans.shape[-1]
    v, w = ans[..., :n, :], xp.real(ans[..., n, :])
    g_v, g_w = g[..., :n, :], xp.real(g[..., n, :])
    m = xp.matmul(_mh(xp, v), g_v)
    check_phase_free("eigh", _diagonal_imag(m), [m], "eigenvectors")
    (m,) = degenerate_pairs(xp, "eigh", w, [(m, m, n)])
    core = xp.expand_dims(g_w, -2) * _eye(n, w) + _coupling(xp, m, w)
    return _on_triangle(xp, xp.matmul(xp.matmul(v, core), _mh(xp, v)), UPLO)


def _eigvalsh_rule(xp, g, ans, a, UPLO="L"):  # noqa: N803
    v = eigenvectors_again(g, a, UPLO)
    return _on_triangle(xp, xp.matmul(v * xp.expand_dims(g, -2), _mh(xp, v)), UPLO)


def _svd_rule(xp, g, ans, a, full_matrices=True):
    u, s, vh, g_u, g_s, g_vh = reduced_svd_parts(xp, g, ans, a, full_matrices,
                                                  complex_values=True)
    s, g_s = xp.real(s), xp.real(g_s)
    uh_gu = xp.matmul(_mh(xp, u), g_u)
    vh_gv = xp.matmul(vh, _mh(xp, g_vh))            # V^H g_V
    phase_u, phase_v = _diagonal_imag(uh_gu), _diagonal_imag(vh_gv)
    check_phase_free("svd", phase_u + phase_v, [uh_gu, vh_gv], "singular vectors")
    # the phase term i Im diag(U^H g_U) / S, split evenly with -Im diag(V^H g_V), its equal
    phase = xp.imag(xp.diagonal(uh_gu, offset=0, axis1=-2, axis2=-1)) \
        - xp.imag(xp.diagonal(vh_gv, offset=0, axis1=-2, axis2=-1))
    g_s = g_s + 1j * _divide_where_nonzero(xp, phase, 2 * s)
    return svd_vjp(xp, u, s, vh, g_u, g_s, g_vh, adjoint=_mh)


def _qr_complex_rule(xp, g, ans, a, mode="reduced"):
    return _qr_rule(xp, g, ans, a, mode=mode, adjoint=_mh)


def _install():
    for name, rule in (("eigh_packed", _eigh_rule), ("eigvalsh", _eigvalsh_rule),
                       ("svd_packed", _svd_rule), ("svdvals", REGISTRY["svdvals"].rules[0]),
                       ("qr_packed", _qr_complex_rule)):
        twin = _twin(REGISTRY[name], rule)
        # (the real tangent rules transpose without conjugating: forward mode takes J t
        # from the complex rule by transposition instead, forward.py)
        twin.jvp = None
        REGISTRY[name].complex_twin = twin


_install()
