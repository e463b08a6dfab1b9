"""NumPy's polynomial functions on coefficient arrays (highest power first) on Tensors,
each built from existing ops, NumPy's recipes step for step so the values are NumPy's.

- ``vander`` (running products, as NumPy's ``multiply.accumulate``), ``polyfit``
  (least squares through the differentiable ``np.linalg.lstsq``: gradients in ``x``,
  ``y`` and ``w``, also with ``full=True`` and ``cov=True``).
- ``polyder``, ``polyint`` (gradient in ``k`` too), ``polyadd``, ``polysub`` and
  ``polymul`` (whose arguments lose their leading zeros first, as NumPy's
  ``poly1d`` does, so its length depends on the values).  poly1d arguments are
  refused: pass the coefficients.
- ``np.polynomial.polynomial.polyval2d`` and ``polygrid2d`` (NumPy dispatches these two
  of its series functions; Horner's rule as NumPy's, gradients in the points and the
  coefficients).
- ``poly`` (the product of the linear factors ``x - r``, NumPy's convolutions step for
  step: gradient in the roots; a square matrix's characteristic polynomial goes
  through its complex eigenvalues, so it runs without a gradient only) and
  ``polydiv`` (NumPy's long division: gradients in both arguments).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..compile.hooks import made
from ..compile.refusals import refuse_traced_values, refuse_while_tracing
from ..graph import _grad_mode
from ..tensor import Tensor
from .complex_parts import real
from .elementwise import astype, copy, sqrt
from .linalg import matmul
from .lstsq import lstsq
from .multiplicative import cumprod
from .numpy_dispatch import implements
from .operands import tensor_of
from .products import outer
from .rearrange import flip
from .reduce import sum as _sum
from .shape import broadcast_to, concatenate, reshape, stack
from .signal import convolve


def _floating(x):
    """``x + 0.0`` as NumPy's polyfit computes it: integers and booleans as float64."""
    return x if x.dtype.kind in "fc" else astype(x, np.float64)


def _coefficients(name, p, allow_scalar=False):
    """``p`` as a 1-D Tensor of coefficients, refusing poly1d and other shapes."""
    if isinstance(p, np.poly1d):
        raise TypeError(f"{name}: poly1d arguments are not supported with Tensors; pass "
                        "the coefficients (p.coeffs) as an array or Tensor")
    p = tensor_of(p)
    if p.ndim == 0 and allow_scalar:
        return reshape(p, (1,))
    if p.ndim != 1:
        kind = TypeError if p.ndim == 0 else ValueError
        raise kind(f"{name}: the coefficients must be a 1-D sequence (highest power first), "
                   f"got shape {p.shape}; for several polynomials call it once per row")
    return p


@implements(np.vander)
def vander(x, N=None, increasing=False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns ``x**(N-1), ..., x, 1`` (or
    increasing powers), as ``np.vander`` (in ``x``'s dtype promoted with int).

    >>> x = ad.tensor([2.0, 3.0], requires_grad=True)
    >>> v = np.vander(x, 3)
    >>> v.sum().backward(); v, x.grad
    (tensor([[4., 2., 1.],
            [9., 3., 1.]], requires_grad=True), array([5., 7.]))
    """
    x = tensor_of(x)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be a one-dimensional array or sequence, got shape "
                         f"{x.shape}")
    n = x.shape[0]
    columns = n if N is None else int(N)
    if columns < 0:
        raise ValueError(f"vander: N must be >= 0, got {N}")
    dtype = np.promote_types(x.dtype, int)
    x = astype(x, dtype) if x.dtype != dtype else x
    ones = made("vander ones", np.ones, ((n, min(columns, 1)), dtype))    # (for ad.compile)
    if columns <= 1:
        powers = Tensor(ones)
    else:
        repeated = broadcast_to(reshape(x, (n, 1)), (n, columns - 1))
        powers = concatenate([ones, cumprod(repeated, axis=1)], axis=1)
    # a C-ordered copy of the flip, as NumPy's: a product with the flipped view runs
    # NumPy's loop for strided operands, which rounds differently from its BLAS one
    return powers if increasing else copy(flip(powers, axis=1))


@implements(np.polyfit)
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial fit of degree ``deg`` (coefficients highest power
    first; one column per column of a 2-D ``y``), as ``np.polyfit``, with NumPy's
    scaling of the Vandermonde columns and its "poorly conditioned" RankWarning.
    Gradients in ``x``, ``y`` and ``w`` (through ``np.linalg.lstsq``); ``full=True``
    returns ``(c, residuals, rank, singular values, rcond)``, ``cov=True``
    ``(c, covariance)``.

    >>> y = ad.tensor([1.0, 3.0, 5.0], requires_grad=True)
    >>> c = np.polyfit([0.0, 1.0, 2.0], y, 1)
    >>> c[0].backward(); c.data.round(12), y.grad.round(12)
    (array([2., 1.]), array([-0.5,  0. ,  0.5]))
    """
    order = int(deg) + 1
    x = _floating(tensor_of(x))
    y = _floating(tensor_of(y))
    if deg < 0:
        raise ValueError(f"polyfit: expected deg >= 0, got {deg}")
    if x.ndim != 1:
        raise TypeError(f"polyfit: expected a 1-D vector for x, got shape {x.shape}")
    if x.shape[0] == 0:
        raise TypeError("polyfit: expected a non-empty vector for x")
    if y.ndim not in (1, 2):
        raise TypeError(f"polyfit: expected a 1-D or 2-D array for y, got shape {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise TypeError(f"polyfit: expected x (shape {x.shape}) and y (shape {y.shape}) to "
                        "have the same length")
    if isinstance(rcond, Tensor):
        raise TypeError("polyfit: rcond must be a number (a constant), not a Tensor")
    if rcond is None:
        rcond = x.shape[0] * np.finfo(x.dtype).eps
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w = _floating(tensor_of(w))
        if w.ndim != 1:
            raise TypeError(f"polyfit: expected a 1-D array for the weights w, got shape "
                            f"{w.shape}")
        if w.shape[0] != y.shape[0]:
            raise TypeError(f"polyfit: expected w (shape {w.shape}) and y (shape "
                            f"{y.shape}) to have the same length")
        column = reshape(w, (-1, 1))
        lhs = astype(lhs * column, lhs.dtype)
        # NumPy scales y in place, so in y's own dtype
        rhs = astype(rhs * (column if rhs.ndim == 2 else w), rhs.dtype)
    scale = sqrt(_sum(lhs * lhs, axis=0))
    lhs = lhs / scale
    c, residuals, rank, singular_values = lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if rank != order and not full:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning,
                      stacklevel=2)
    if full:
        return c, residuals, rank, singular_values, rcond
    if not cov:
        return c
    base = np.linalg.inv(matmul(lhs.T, lhs)) / outer(scale, scale)
    if cov == "unscaled":
        factor = 1
    else:
        if x.shape[0] <= order:
            raise ValueError(f"polyfit: the number of data points ({x.shape[0]}) must "
                             f"exceed order ({order}) to scale the covariance matrix; "
                             "pass cov='unscaled'")
        factor = residuals / (x.shape[0] - order)
    if y.ndim == 1:
        return c, base * factor
    return c, reshape(base, base.shape + (1,)) * factor


@implements(np.polyder)
def polyder(p, m=1) -> Tensor:
    """The coefficients of the ``m``-th derivative of the polynomial ``p``, as
    ``np.polyder`` (a constant's derivative is empty, as in NumPy).

    >>> p = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> d = np.polyder(p)
    >>> d.sum().backward(); d, p.grad
    (tensor([2., 2.], requires_grad=True), array([2., 1., 0.]))
    """
    m = int(m)
    if m < 0:
        raise ValueError(f"polyder: the order of the derivative must be positive (see "
                         f"polyint), got m={m}")
    p = _coefficients("polyder", p)
    for _ in range(m):
        degree = p.shape[0] - 1
        p = p[:-1] * np.arange(degree, 0, -1)
    return p


@implements(np.polyint)
def polyint(p, m=1, k=None) -> Tensor:
    """The coefficients of the ``m``-th antiderivative of ``p``, with integration
    constants ``k`` (lowest order first; a scalar is used for every step), as
    ``np.polyint``; gradients in ``p`` and ``k``.

    >>> p = ad.tensor([3.0, 2.0], requires_grad=True)
    >>> k = ad.tensor(5.0, requires_grad=True)
    >>> q = np.polyint(p, k=k)
    >>> q.sum().backward(); q, p.grad, k.grad
    (tensor([1.5, 2. , 5. ], requires_grad=True), array([0.5, 1. ]), array(1.))
    """
    m = int(m)
    if m < 0:
        raise ValueError(f"polyint: the order of the integral must be positive (see "
                         f"polyder), got m={m}")
    constants = Tensor(np.zeros(m, float)) if k is None else tensor_of(k)
    if constants.ndim > 1:
        raise ValueError(f"polyint: k must be a scalar or a 1-D array, got shape "
                         f"{constants.shape}")
    constants = reshape(constants, (-1,))
    if constants.shape[0] == 1 and m > 1:
        constants = constants[0] * np.ones(m, float)
    if constants.shape[0] < m:
        raise ValueError(f"polyint: k must be a scalar or a rank-1 array of length 1 or "
                         f">= m; got length {constants.shape[0]} for m={m}")
    p = _coefficients("polyint", p)
    for step in range(m):
        p = concatenate([p / np.arange(p.shape[0], 0, -1), constants[step:step + 1]])
    return p


def _padded_pair(name, a1, a2):
    """The two coefficient vectors, the shorter one with leading zeros (NumPy's
    polyadd / polysub)."""
    a1 = _coefficients(name, a1, allow_scalar=True)
    a2 = _coefficients(name, a2, allow_scalar=True)
    missing = a2.shape[0] - a1.shape[0]
    if missing > 0:
        a1 = concatenate([np.zeros(missing, a1.dtype), a1])
    elif missing < 0:
        a2 = concatenate([np.zeros(-missing, a2.dtype), a2])
    return a1, a2


@implements(np.polyadd)
def polyadd(a1, a2) -> Tensor:
    """The sum of two polynomials, as ``np.polyadd`` (aligned at the constant term; the
    result keeps leading zeros, as NumPy's array form does).

    >>> np.polyadd(ad.tensor([1.0, 2.0]), [3.0, 4.0, 5.0])
    tensor([3., 5., 7.])
    """
    a1, a2 = _padded_pair("polyadd", a1, a2)
    return a1 + a2


@implements(np.polysub)
def polysub(a1, a2) -> Tensor:
    """The difference of two polynomials, as ``np.polysub``.

    >>> np.polysub(ad.tensor([1.0, 2.0]), [3.0, 4.0, 5.0])
    tensor([-3., -3., -3.])
    """
    a1, a2 = _padded_pair("polysub", a1, a2)
    return a1 - a2


def _without_leading_zeros(p):
    """``p`` as NumPy's poly1d keeps it: leading zeros dropped (the last entry kept when
    all are zero, where poly1d has [0])."""
    nonzero = np.flatnonzero(p.data)
    if nonzero.size:
        return p[int(nonzero[0]):]
    return p[-1:] if p.shape[0] else Tensor(np.zeros(1, p.dtype))


@implements(np.polymul)
def polymul(a1, a2) -> Tensor:
    """The product of two polynomials, as ``np.polymul``: like NumPy, the leading zeros
    of each argument are dropped first, so the length depends on the values (the
    dropped entries get zero gradient).

    >>> a = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = np.polymul(a, [1.0, 3.0])
    >>> y.sum().backward(); y, a.grad
    (tensor([1., 5., 6.], requires_grad=True), array([4., 4.]))
    """
    refuse_while_tracing("polymul", "its length depends on how many leading zeros its "
                         "arguments have", "Call it outside the compiled function, or "
                         "use np.convolve on coefficients without leading zeros")
    a1 = _without_leading_zeros(_coefficients("polymul", a1, allow_scalar=True))
    a2 = _without_leading_zeros(_coefficients("polymul", a2, allow_scalar=True))
    return convolve(a1, a2)


@implements(np.poly)
def poly(seq_of_zeros):
    """The coefficients of the polynomial with the given roots, as ``np.poly``: the
    product of the factors ``x - r`` (NumPy's convolutions, so its values), with a
    gradient in the roots, real or complex; like NumPy, complex roots that are their own
    conjugates as a set give real coefficients.  For a square matrix, its
    characteristic polynomial: NumPy computes it from the (complex) eigenvalues, so a
    matrix that requires grad is refused (for a symmetric one,
    ``np.poly(np.linalg.eigvalsh(a))`` is differentiable).  No roots give ``1.0``, as
    NumPy.

    >>> r = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> c = np.poly(r); c.sum().backward(); c, r.grad
    (tensor([ 1., -3.,  2.], requires_grad=True), array([1., 0.]))
    """
    zeros = tensor_of(seq_of_zeros)
    if zeros.ndim == 0:
        zeros = reshape(zeros, (1,))
    if zeros.ndim != 1:
        if zeros.ndim == 2 and zeros.requires_grad and _grad_mode.enabled:
            raise TypeError(
                f"poly: a gradient through the roots of a {zeros.shape} matrix (its "
                "eigenvalues, which are complex in general) is not supported; for a "
                "symmetric matrix a use np.poly(np.linalg.eigvalsh(a)), or call np.poly on "
                "a.detach() when no gradient is needed")
        result = np.poly(zeros.data)           # NumPy's checks and values
        return Tensor(result) if isinstance(result, np.ndarray) else result
    if zeros.shape[0] == 0:
        return 1.0
    dtype = np.dtype(np.mintypecode(zeros.dtype.char))
    zeros = astype(zeros, dtype) if zeros.dtype != dtype else zeros
    one = made("poly one", np.ones, ((1,), dtype))    # (for ad.compile)
    coefficients = Tensor(one)
    for k in range(zeros.shape[0]):
        coefficients = convolve(coefficients, concatenate([one, -zeros[k:k + 1]]))
    if dtype.kind == "c":
        refuse_traced_values(zeros, "poly", "whether its coefficients are real depends on "
                             "whether its complex roots pair up with their conjugates, read "
                             "in Python, and a replay may give it other roots",
                             "Call it outside the compiled function, or multiply out the "
                             "factors yourself, c = np.convolve(c, [1, -r]) root by root, "
                             "and take np.real(c) where the roots pair up")
        roots = zeros.data.astype(complex)
        if np.all(np.sort(roots) == np.sort(roots.conjugate())):
            coefficients = real(coefficients)      # NumPy's a.real.copy()
    return coefficients


@implements(np.polydiv)
def polydiv(u, v) -> tuple:
    """Quotient and remainder of the polynomial division ``u / v``, as ``np.polydiv``
    (NumPy's long division step for step, so its values, with gradients in both; the
    remainder's leading entries that are close to zero are dropped, as NumPy drops
    them, so its length depends on the values).

    >>> u = ad.tensor([1.0, 0.0, -1.0], requires_grad=True)
    >>> q, r = np.polydiv(u, ad.tensor([1.0, 1.0])); q, r
    (tensor([ 1., -1.], requires_grad=True), tensor([0.], requires_grad=True))
    """
    refuse_while_tracing("polydiv", "the length of its remainder depends on the values",
                         "Call it outside the compiled function")
    u = _floating(_coefficients("polydiv", u, allow_scalar=True))
    v = _floating(_coefficients("polydiv", v, allow_scalar=True))
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = 1.0 / v[0]
    remainder = u
    quotient = []
    for k in range(m - n + 1):
        d = scale * remainder[k]
        quotient.append(d)
        remainder = concatenate([remainder[:k], remainder[k:k + n + 1] - d * v,
                                 remainder[k + n + 1:]])
    dtype = np.result_type(u.dtype, v.dtype)
    quotient = stack(quotient) if quotient else Tensor(np.zeros(1, dtype))
    while np.allclose(remainder.data[0], 0, rtol=1e-14) and remainder.shape[-1] > 1:
        remainder = remainder[1:]
    return quotient, remainder


def _power_series(x, c, tensor: bool) -> Tensor:
    """``np.polynomial.polynomial.polyval(x, c, tensor)`` step for step (Horner's
    rule from the highest coefficient) with ``c`` a Tensor too, which NumPy's own
    would convert to an array."""
    c = tensor_of(c)
    if c.dtype.kind in "biu":
        c = astype(c, np.float64)                 # (NumPy's c + 0.0)
    if isinstance(x, (tuple, list)):
        x = np.asarray(x)
    if tensor:
        c = reshape(c, c.shape + (1,) * np.ndim(x))
    value = c[-1] + x * 0
    for i in range(2, c.shape[0] + 1):
        value = c[-i] + value * x
    return value


@implements(np.polynomial.polynomial.polyval2d)
def polyval2d(x, y, c) -> Tensor:
    """The 2-D power series ``sum c[i, j] x**i y**j`` at the points ``(x, y)``, as
    ``np.polynomial.polynomial.polyval2d`` (its Horner steps, so its values), with
    gradients in ``x``, ``y`` and ``c``.

    >>> identity = [[1.0, 0.0], [0.0, 1.0]]                 # 1 + x y
    >>> np.polynomial.polynomial.polyval2d(ad.tensor([1.0, 2.0]), [3.0, 3.0], identity)
    tensor([4., 7.])
    """
    x, y = tensor_of(x), tensor_of(y)
    if x.shape != y.shape:
        raise ValueError(f"polyval2d: x, y are incompatible (shapes {x.shape} and "
                         f"{y.shape}), as NumPy says; give points of one shape")
    return _power_series(y, _power_series(x, c, True), False)


@implements(np.polynomial.polynomial.polygrid2d)
def polygrid2d(x, y, c) -> Tensor:
    """The 2-D power series on the grid of ``x`` by ``y``, as
    ``np.polynomial.polynomial.polygrid2d`` (shape ``c.shape[2:] + x.shape +
    y.shape``), with gradients in ``x``, ``y`` and ``c``.

    >>> identity = [[1.0, 0.0], [0.0, 1.0]]                 # 1 + x y
    >>> np.polynomial.polynomial.polygrid2d(ad.tensor([1.0, 2.0]), [0.0, 3.0], identity)
    tensor([[1., 4.],
            [1., 7.]])
    """
    return _power_series(y, _power_series(x, c, True), True)
