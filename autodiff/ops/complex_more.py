"""Complex twins of more ops (see complex_ops.py for the convention): elementwise
functions, products, reductions and shape ops.

A holomorphic ``f`` has the conjugate-Wirtinger gradient ``g * conj(f'(z))``.  An op
whose real rule is a formula in ``g`` that holds for complex numbers (``g * cos(x)``,
a product rule, a tensordot) gives that as ``conj(rule(conj(g)))``: the rule is linear
in ``g``, so conjugating around it conjugates only ``f'``.  ``vecdot`` and ``vecmat``
conjugate their first operand (``conj(x1) . x2``): its gradient is the real rule of
``conj(g)``, the second's the real rule as it is.  Ops whose real rules read ``|x|`` or
compare values (tanh's and sigmoid's accurate kernels, sign's zero rule) get rules of
their own.  Linear ops with real coefficients (cumsum, diagonal, tile)
keep their rules.

>>> z = ad.tensor([1 + 1j], requires_grad=True)
>>> ad.sin(z).real.sum().backward()        # d Re sin(x + iy) / dx + i d / dy
>>> np.allclose(z.grad, np.conj(np.cos(1 + 1j)))
True
"""

from __future__ import annotations

import numpy as np

from .complex_ops import _conj, _twin
from .piecewise import _values
from .reduce import _count, _kept_shape
from .registry import REGISTRY
from .trig import _sinc_slope

_LN2 = float(np.log(2))
_LN10 = float(np.log(10))


def _conjugated(rule):
    """``conj(rule(conj(g)))``: ``g * conj(f')`` from a rule ``g * f'`` valid for complex."""
    if rule is None:
        return None

    def conjugated_rule(xp, g, ans, *args, **kwargs):
        return _conj(xp, rule(xp, _conj(xp, g), ans, *args, **kwargs))
    return conjugated_rule


def _conjugated_joint(joint):
    def conjugated_joint(xp, g, ans, needs, *args, **kwargs):
        grads = joint(xp, g if not _is_complex_value(g) else xp.conj(g), ans, needs,
                      *args, **kwargs)
        return [None if grad is None else _conj(xp, grad) for grad in grads]
    return conjugated_joint


def _is_complex_value(value):
    data = getattr(value, "data", value)
    return np.iscomplexobj(data)


def _derivative_rule(derivative):
    """The rule ``g * conj(derivative(xp, ans, x))`` of a holomorphic function."""
    def rule(xp, g, ans, x):
        return g * _conj(xp, derivative(xp, ans, x))
    return rule


#: name -> f'(z) in terms of the result ``ans`` and the input ``x``
HOLOMORPHIC_DERIVATIVES = {
    "sin": lambda xp, ans, x: xp.cos(x),
    "cos": lambda xp, ans, x: -xp.sin(x),
    "tan": lambda xp, ans, x: 1 + ans * ans,
    "sinh": lambda xp, ans, x: xp.cosh(x),
    "cosh": lambda xp, ans, x: xp.sinh(x),
    "tanh": lambda xp, ans, x: 1 - ans * ans,
    "log": lambda xp, ans, x: 1 / x,
    "log2": lambda xp, ans, x: 1 / (x * _LN2),
    "log10": lambda xp, ans, x: 1 / (x * _LN10),
    "log1p": lambda xp, ans, x: 1 / (1 + x),
    "expm1": lambda xp, ans, x: ans + 1,
    "exp2": lambda xp, ans, x: ans * _LN2,
    "sqrt": lambda xp, ans, x: 1 / (2 * ans),
    "reciprocal": lambda xp, ans, x: -(ans * ans),
    "sigmoid": lambda xp, ans, x: ans * (1 - ans),
    "arcsin": lambda xp, ans, x: 1 / (xp.sqrt(-(x - 1)) * xp.sqrt(x - (-1))),
    "arccos": lambda xp, ans, x: -1 / (xp.sqrt(-(x - 1)) * xp.sqrt(x - (-1))),
    "arctan": lambda xp, ans, x: 1 / (1 + x * x),
    "arcsinh": lambda xp, ans, x: 1 / xp.sqrt(x * x - (-1)),
    "arctanh": lambda xp, ans, x: 1 / (1 - x * x),
    "arccosh": lambda xp, ans, x: 1 / (xp.sqrt(x - 1) * xp.sqrt(x - (-1))),
    # (its Taylor series near 0 is a polynomial, and cos(pi z) holomorphic: both hold)
    "sinc": lambda xp, ans, x: _sinc_slope(xp, x),
}
# On a branch cut (arcsin, arccos: real z beyond 1; arccosh: real z below 1; arcsinh:
# imaginary z beyond i) the value is the side the sign of a zero part of z picks, and so
# must its derivative's square roots be: 1 - z^2 and 1 + z^2 compute that zero as +0 on
# both sides, -(z - 1), z - (-1) and z * z - (-1) keep its sign (x - 0 keeps it, 0 - x
# and x + 0 do not), as in Kahan's sqrt(1 - z) sqrt(1 + z).


def _sign_rule(xp, g, ans, x):
    # s = z / |z| is not holomorphic: from ds = dz / r - s Re(conj(s) dz) / r, the
    # gradient of a real loss is (g - Re(conj(g) s) s) / |z|, and 0 at z = 0 (PyTorch's).
    size = xp.abs(x)
    safe = xp.where(size == 0, 1, size)
    along = xp.real(_conj(xp, g) * ans)
    return xp.where(size == 0, 0, (g - along * ans) / safe)


def _std_rule(xp, g, ans, x, axis=None, keepdims=False, ddof=0):
    # std = sqrt(sum |z - mean|^2 / dof): g (z - mean) / (dof std), 0 where std = 0
    kept = _kept_shape(x.shape, axis)
    spread = xp.reshape(g, kept)
    dof = _count(x.shape, axis) - ddof
    if dof <= 0:                          # the forward divided by zero or less
        return xp.broadcast_to(spread, x.shape) * np.nan
    shifted = x - xp.mean(x, axis=axis, keepdims=True)
    std = xp.reshape(ans, kept)
    zero = std == 0
    return shifted * xp.where(zero, 0, spread / (xp.where(zero, 1, std) * dof))


#: ops whose rules are formulas linear in g valid for complex numbers (products)
_CONJUGATED = ("prod", "cumprod", "tensordot", "inner", "dot_nd", "matvec")

#: ops that conjugate their first operand (np.vecdot, np.vecmat: conj(x1) . x2): x2's
#: real rule holds as it is, and x1's is the real rule of conj(g)
_FIRST_CONJUGATED = ("vecdot", "vecmat")

#: ops linear in their input with real coefficients: their rules already hold
_LINEAR = ("cumsum", "diagonal", "diag", "take_along_axis", "var", "masked_sum")

#: ops of zero gradient whose forward takes complex numbers (np.round rounds both parts)
_ZERO_GRADIENT = ("round",)


def _of_conjugated_g(rule):
    """``rule(conj(g))``: the gradient of the conjugated operand of ``conj(x1) . x2``."""
    def rule_of_conjugated_g(xp, g, ans, *args, **kwargs):
        return rule(xp, _conj(xp, g), ans, *args, **kwargs)
    return rule_of_conjugated_g


def _nan_to_num_rule(xp, g, ans, x, **replacements):
    """NumPy replaces NaN and inf in the real and the imaginary parts apart: each part
    of ``g`` reaches the part of ``x`` it came from where that part is finite."""
    values = _values(x)
    return (xp.where(np.isfinite(values.real), xp.real(g), 0)
            + 1j * xp.where(np.isfinite(values.imag), xp.imag(g), 0))


def _install():
    nan_to_num = REGISTRY["nan_to_num"]
    nan_to_num.complex_twin = _twin(nan_to_num, _nan_to_num_rule)
    nan_to_num.complex_twin.zeroes = nan_to_num.zeroes
    for name, derivative in HOLOMORPHIC_DERIVATIVES.items():
        op = REGISTRY.get(name)
        if op is not None:
            op.complex_twin = _twin(op, _derivative_rule(derivative))
    REGISTRY["sign"].complex_twin = _twin(REGISTRY["sign"], _sign_rule)
    REGISTRY["std"].complex_twin = _twin(REGISTRY["std"], _std_rule, None, None, None)
    for name in _CONJUGATED:
        op = REGISTRY.get(name)
        if op is not None and op.rules:
            op.complex_twin = _twin(op, *[_conjugated(rule) for rule in op.rules])
    for name in _FIRST_CONJUGATED:
        first, second = REGISTRY[name].rules
        REGISTRY[name].complex_twin = _twin(REGISTRY[name], _of_conjugated_g(first), second)
    einsum = REGISTRY["einsum"]
    einsum_twin = _twin(einsum)
    einsum_twin.rules = None                # (a joint rule gives all gradients)
    einsum_twin.joint = _conjugated_joint(einsum.joint)
    einsum.complex_twin = einsum_twin
    for name in _LINEAR + _ZERO_GRADIENT:
        op = REGISTRY.get(name)
        if op is not None and op.complex_twin is None:
            op.complex_twin = op


_install()
