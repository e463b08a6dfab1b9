"""Complex twins of ``pinv`` and ``lstsq`` (see complex_ops.py for the convention:
``z.grad = dL/dx + i dL/dy``), with PyTorch's formulas: the real rules with every
transpose made the conjugate transpose.

Each term of the pseudo-inverse's differential is ``X da Y`` or ``X da^H Y``; its
gradient is ``X^H g Y^H`` or ``Y g^H X``, the real rule's ``X.T g Y.T`` and
``Y g.T X`` conjugated.  ``hermitian=True`` reads the lower triangle and the real part
of the diagonal (LAPACK's eigh), so the gradient lands there.  lstsq's residuals
``sum(|r|**2)`` and singular values are real, as NumPy's.

>>> a = ad.tensor([[1j, 0], [0, 2]], requires_grad=True)
>>> ad.linalg.pinv(a)[0, 0].real.backward()        # pinv(a)[0, 0] = 1 / a[0, 0] = -i
>>> np.allclose(a.grad, [[1, 0], [0, 0]])           # d Re(1/z) = -Re(dz / z^2) = Re(dz)
True
"""

from __future__ import annotations

from .complex_ops import _twin
from .lstsq import _lstsq_joint
from .pinv import _pinv_rule
from .registry import REGISTRY


def _mh(xp, x):
    """The conjugate transpose of the last two axes."""
    return xp.conj(xp.swapaxes(x, -1, -2))


def _pinv_complex_rule(xp, g, ans, a, **options):
    return _pinv_rule(xp, g, ans, a, adjoint=_mh, **options)


def _lstsq_complex_joint(xp, g, ans, needs, a, b, rcond=None):
    return _lstsq_joint(xp, g, ans, needs, a, b, rcond=rcond, adjoint=_mh)


def _install():
    pinv = REGISTRY["pinv"]
    pinv.complex_twin = _twin(pinv, _pinv_complex_rule)
    lstsq = REGISTRY["lstsq_packed"]
    twin = _twin(lstsq)
    twin.rules = None                       # (a joint rule gives both gradients)
    twin.joint = _lstsq_complex_joint
    lstsq.complex_twin = twin


_install()
