"""Complex twins of linear algebra, logsumexp, and sum and mean with ``dtype=`` (see
complex_ops.py for the convention: ``z.grad = dL/dx + i dL/dy``), with PyTorch's
formulas.

inv, solve and det are holomorphic: their real rules are formulas linear in ``g`` that
hold for complex numbers, conjugated around (``-inv(a).mH @ g @ inv(a).mH``, ``grad_b =
solve(a.mH, g)``, ``g * conj(det) * inv(a).mH``).  slogdet's complex sign has a gradient
(PyTorch's: ``(g_logabsdet - i Im(conj(g_sign) sign)) * inv(a).mH``).  cholesky reads
one triangle of a Hermitian matrix, and only the real part of its diagonal, so its
gradient is on that triangle, as for real matrices.  ``sum``/``mean`` with a complex
``dtype=`` cast their input: the reverse pass casts ``g`` back to the input's dtype.

>>> a = ad.tensor([[2 + 1j, 0], [0, 1j]], requires_grad=True)
>>> ad.linalg.det(a).real.backward()           # d Re(det) / d a = conj(cofactors)
>>> np.allclose(a.grad, [[-1j, 0], [0, 2 - 1j]])
True
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .cofactors import cofactor_array, recorded_cofactors
from .complex_more import _conjugated, _conjugated_joint
from .complex_ops import _twin
from .reduce import _kept_shape, _mean_rule, _sum_rule
from .registry import REGISTRY


def _mh(xp, x):
    """The conjugate transpose of the last two axes."""
    return xp.conj(xp.swapaxes(x, -1, -2))


def _as_matrix_scale(xp, g):
    return xp.expand_dims(xp.expand_dims(g, -1), -1)


def _det_rule(xp, g, ans, a):
    scale = _as_matrix_scale(xp, g)
    if not (isinstance(a, Tensor) and a.requires_grad):
        return scale * np.conj(cofactor_array(a.data if isinstance(a, Tensor) else a))
    return scale * xp.conj(recorded_cofactors(xp, a, ans))


def _slogdet_rule(xp, g, ans, a):
    # the pack holds (sign, logabsdet + 0i); PyTorch's slogdet_backward
    sign, grad_sign = ans[..., 0], g[..., 0]
    scale = xp.real(g[..., 1]) - 1j * xp.imag(xp.conj(grad_sign) * sign)
    try:
        inverse_h = _mh(xp, xp.inv(a))
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(
            f"slogdet: the gradient at a singular matrix is infinite (input shape "
            f"{tuple(a.shape)}): {error}") from error
    return _as_matrix_scale(xp, scale) * inverse_h


def _cholesky_rule(xp, g, ans, a, upper=False):
    # PyTorch's S = L^-H Phi(L^H g_L) L^-1 (Phi: lower triangle, half diagonal), then
    # put on what NumPy reads: S + S^H on the strict triangle, Re S on the diagonal.
    low, g_low = (_mh(xp, ans), _mh(xp, g)) if upper else (ans, g)
    eye = np.eye(ans.shape[-1])
    phi = np.tril(np.ones_like(eye), -1) + 0.5 * eye
    low_h = _mh(xp, low)
    p = xp.matmul(low_h, g_low) * phi
    left = xp.solve(low_h, p)                            # L^-H P
    s = _mh(xp, xp.solve(low_h, _mh(xp, left)))          # L^-H P L^-1
    read = np.triu(np.ones_like(eye), 1) if upper else np.tril(np.ones_like(eye), -1)
    return (s + _mh(xp, s)) * read + xp.real(s) * eye


def _logsumexp_rule(xp, g, ans, x, axis=None, keepdims=False):
    # g * conj(exp(x - logsumexp(x))), the conjugated softmax (PyTorch's)
    kept = _kept_shape(x.shape, axis)
    return xp.reshape(g, kept) * xp.conj(xp.exp(x - xp.reshape(ans, kept)))


def _without_dtype(rule):
    """A reduction's rule that also takes the forward's ``dtype=`` (the cast of ``g``
    back to the input's dtype is the reverse pass's)."""
    def rule_with_dtype(xp, g, ans, x, axis=None, keepdims=False, dtype=None):
        return rule(xp, g, ans, x, axis=axis, keepdims=keepdims)
    return rule_with_dtype


def _install():
    inv = REGISTRY["inv"]
    inv.complex_twin = _twin(inv, _conjugated(inv.rules[0]))
    solve = REGISTRY["solve"]
    solve_twin = _twin(solve)
    solve_twin.rules = None                 # (a joint rule gives both gradients)
    solve_twin.joint = _conjugated_joint(solve.joint)
    solve.complex_twin = solve_twin
    for name, rule in (("det", _det_rule), ("slogdet_packed", _slogdet_rule),
                       ("cholesky", _cholesky_rule)):
        REGISTRY[name].complex_twin = _twin(REGISTRY[name], rule)
    logsumexp = REGISTRY["logsumexp"]
    logsumexp.complex_twin = _twin(logsumexp, _logsumexp_rule)
    for name, rule in (("sum", _sum_rule), ("mean", _mean_rule)):
        REGISTRY[name].complex_twin = _twin(REGISTRY[name], _without_dtype(rule))


_install()
