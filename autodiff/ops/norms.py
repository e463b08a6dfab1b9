"""``np.linalg.norm`` with every ``ord`` and ``axis``, built from recorded ops in the
same steps as NumPy's own implementation (so the values agree with NumPy's and the
gradient comes from the ops: sqrt, sums, abs, max/min, powers, singular values).
"""

from __future__ import annotations

import numpy as np

from ..forward_ad_dtypes import note_norm_tangent
from ..tensor import Tensor
from .registry import implements


def _moved_to_end(x, row_axis, col_axis):
    from .shape import transpose

    rest = tuple(k for k in range(x.ndim) if k not in (row_axis, col_axis))
    return transpose(x, rest + (row_axis, col_axis))


def _max_or_zero(x, axis, keepdims=False):
    """``max`` as NumPy's norm takes it (``initial=0``): 0 over an empty axis."""
    from . import reduce as rd

    axes = axis if isinstance(axis, tuple) else (axis,)
    if any(x.shape[k] == 0 for k in axes):
        return rd.sum(x, axis=axis, keepdims=keepdims)
    return rd.max(x, axis=axis, keepdims=keepdims)


def root_of_sum(total, exponent=None):
    """``sqrt(total)``, or ``total ** exponent``, for a norm's sum of powers, with
    gradient 0 where the sum is 0: the subgradient PyTorch takes at the zero vector,
    where the chain rule alone gives inf * 0 = NaN.  Elsewhere the gradient is that
    of the plain root."""
    from . import elementwise as ew
    from .scalar_power import operator_power

    # NumPy's `ret **= 1 / ord`: of a NumPy scalar (a whole-vector norm) by its scalar
    # arithmetic, whose pow is not the ufunc's to the last bit
    power = operator_power if np.ndim(total) == 0 else ew.power
    if exponent is not None and exponent < 0:     # 0 ** -a is inf, not a zero vector's norm
        return power(total, exponent)
    zero = total == 0
    safe = ew.where(zero, 1, total)
    return ew.where(zero, 0, ew.sqrt(safe) if exponent is None else power(safe, exponent))


def _sum_of_squares(x, axis=None, keepdims=False):
    """The sum NumPy's 2- and Frobenius norms take the root of, in its steps:
    ``x.dot(x)`` of a 1-D ``x`` (``axis`` None), else ``add.reduce(x * x, axis)``;
    for complex ``x`` squared magnitudes (squared_magnitudes.py)."""
    from . import reduce as rd
    from .linalg import dot

    if x.dtype.kind == "c":
        from .squared_magnitudes import squared_magnitudes
        total = squared_magnitudes(x, axis=axis, keepdims=keepdims)
    elif axis is None:
        total = dot(x, x)
    else:
        total = rd.sum(x * x, axis=axis, keepdims=keepdims)
    # (a sum of squares, not a product of two matrices: PyTorch's norm tangent is of the
    # wider dtype of a dual's primal and tangent)
    return note_norm_tangent(total, "wider")


def _euclidean(x, ord, axis) -> bool:
    """Whether ``norm`` with these arguments sums squares (the 2-norm of vectors, the
    Frobenius norm of matrices), which NumPy computes apart for complex values."""
    if axis is None:
        return ord is None or (ord in ("f", "fro") and np.ndim(x) == 2) or (
            ord == 2 and np.ndim(x) == 1)
    axes = axis if isinstance(axis, tuple) else (axis,)
    return ord in ((None, 2) if len(axes) == 1 else (None, "fro", "f"))


def _svd_norm(x, row_axis, col_axis, reduction):
    from .decompositions import svd

    return reduction(svd(_moved_to_end(x, row_axis, col_axis), compute_uv=False), axis=-1)


def _vector_norm(x, ord, axis, keepdims):
    from . import elementwise as ew
    from . import reduce as rd

    if ord == np.inf:
        return _max_or_zero(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return rd.min(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return note_norm_tangent(count_of_nonzeros(x, axis, keepdims), "output")
    if ord == 1:
        return note_norm_tangent(rd.sum(ew.abs(x), axis=axis, keepdims=keepdims), "output")
    if ord is None or ord == 2:
        return root_of_sum(_sum_of_squares(x, axis, keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    total = rd.sum(_abs_power(x, ord), axis=axis, keepdims=keepdims)
    return root_of_sum(total, np.reciprocal(ord, dtype=total.dtype))


def count_of_nonzeros(x, axis, keepdims):
    """The 0-"norm": how many entries of ``x`` are nonzero, in ``x``'s dtype, kept on
    the tape with gradient 0 (PyTorch's), so that ``backward`` through it works."""
    from . import elementwise as ew
    from . import reduce as rd

    nonzero = x != 0
    # the zero entries of x times 0 add nothing but the tape (never inf * 0)
    ones_or_zeros = ew.astype(nonzero, x.dtype) + ew.where(nonzero, 0, x) * 0
    return rd.sum(ones_or_zeros, axis=axis, keepdims=keepdims)


def _abs_power(x, p):
    """``abs(x) ** p``; for ``p < 1`` with gradient 0 at ``x == 0``, as PyTorch's norms
    (the power rule gives ``inf * 0 = NaN`` there; for ``p < 0`` the value is inf)."""
    from . import elementwise as ew

    size = ew.abs(x)
    if p >= 1:
        return ew.power(size, p)
    zero = size == 0
    return ew.where(zero, 0.0 if p > 0 else np.inf, ew.power(ew.where(zero, 1.0, size), p))


def _matrix_norm(x, ord, row_axis, col_axis):
    from . import elementwise as ew
    from . import reduce as rd

    if ord == 2:
        return _svd_norm(x, row_axis, col_axis, _max_or_zero)
    if ord == -2:
        return _svd_norm(x, row_axis, col_axis, rd.min)
    if ord in (1, -1):                    # largest / smallest column sum
        pick = _max_or_zero if ord == 1 else rd.min
        return note_norm_tangent(pick(rd.sum(ew.abs(x), axis=row_axis),
                                      axis=col_axis - 1 if col_axis > row_axis else col_axis),
                                 "output")
    if ord in (np.inf, -np.inf):          # largest / smallest row sum
        pick = _max_or_zero if ord == np.inf else rd.min
        return note_norm_tangent(pick(rd.sum(ew.abs(x), axis=col_axis),
                                      axis=row_axis - 1 if row_axis > col_axis else row_axis),
                                 "output")
    if ord in (None, "fro", "f"):
        return root_of_sum(_sum_of_squares(x, (row_axis, col_axis)))
    if ord == "nuc":
        return _svd_norm(x, row_axis, col_axis, rd.sum)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


def _torch_axis_names(where: str, axis, keepdims, dim, keepdim):
    """NumPy's ``(axis, keepdims)`` from either NumPy's or PyTorch's names."""
    from ..argument_aliases import axis_alias
    return axis_alias(where, axis, keepdims, dim, keepdim)


def _spectral(x, ord, axis) -> bool:
    """Whether ``norm`` with these arguments is a matrix norm of singular values."""
    matrix = (isinstance(axis, tuple) and len(axis) == 2) or (axis is None and np.ndim(x) == 2
                                                               and ord is not None)
    return matrix and ord in (2, -2, "nuc")


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims: bool = False, *, dim=None,
         keepdim: bool | None = None) -> Tensor:
    """``np.linalg.norm`` with NumPy's exact semantics (``dim``/``keepdim``: PyTorch's
    names for ``axis``/``keepdims``, as in ``torch.linalg.norm``).

    Vectors (``axis`` an int, or None on 1-D input): ``ord`` None/2 (Euclidean), 1,
    ``inf``, ``-inf``, 0 (the count of nonzeros: gradient 0) or any other number p
    (``sum(abs(x)**p)**(1/p)``).  Matrices (``axis`` a pair, or None on 2-D input):
    None/``'fro'``, ``'nuc'`` (sum of singular values), 1/-1 (max/min column sum),
    ``inf``/``-inf`` (max/min row sum), 2/-2 (largest/smallest singular value).
    ``axis=None, ord=None`` is the 2-norm of all elements whatever the dimension.

    Gradients follow the ops: ties in max/min split evenly; at ``x == 0`` the
    gradient of the Euclidean, Frobenius and p-norms is 0, as in PyTorch, and so is
    that of a zero entry for ``p < 1`` (where ``|x|**p`` has an infinite slope, and
    PyTorch takes 0); 2/-2/'nuc' use singular values (see ``svd``), of complex
    matrices too; the other norms of complex values read ``abs(x)``.

    >>> ad.linalg.norm(ad.tensor([3.0, 4.0]))
    tensor(5.)
    >>> ad.linalg.norm(ad.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
    tensor(6.)
    """
    from . import elementwise as ew
    from .rearrange import ravel
    from .shape import reshape

    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_axis_names("norm", axis, keepdims, dim, keepdim)
    if np.iscomplexobj(x.data if isinstance(x, Tensor) else x) and not (
            _spectral(x, ord, axis) or _euclidean(x, ord, axis)):
        # (these norms read only |x|; PyTorch's tangent of |x| there keeps the wider dtype)
        return norm(note_norm_tangent(ew.abs(x), "wider"), ord, axis, keepdims)
    # (2, -2 and 'nuc' of complex matrices: their singular values, svdvals' complex twin;
    # the 2- and Frobenius norms: the squared magnitudes NumPy sums, _sum_of_squares)
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if not np.issubdtype(x.dtype, np.inexact):
        x = ew.astype(x, np.float64)
    ndim = x.ndim
    if axis is None and (ord is None or (ord in ("f", "fro") and ndim == 2)
                         or (ord == 2 and ndim == 1)):
        # in memory order, as NumPy's ravel(order='K'): the sum's order is its
        result = root_of_sum(_sum_of_squares(ravel(x, order="K")))
        return reshape(result, (1,) * ndim) if keepdims else result
    if axis is None:
        axis = tuple(range(ndim))
    elif not isinstance(axis, tuple):
        try:
            axis = (int(axis),)
        except Exception as error:
            raise TypeError("norm: 'axis' must be None, an integer or a tuple of integers"
                            ) from error
    if len(axis) == 1:
        if not -ndim <= axis[0] < ndim:
            raise np.exceptions.AxisError(axis[0], ndim, "norm")
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) != 2:
        raise ValueError(f"norm: improper number of dimensions to norm (axis={axis} on a "
                         f"tensor of shape {x.shape}); give one axis or two")
    row_axis, col_axis = (_normalize_axis(k, ndim) for k in axis)
    if row_axis == col_axis:
        raise ValueError(f"norm: duplicate axes given (axis={axis})")
    result = _matrix_norm(x, ord, row_axis, col_axis)
    if keepdims:
        shape = list(x.shape)
        shape[row_axis] = shape[col_axis] = 1
        result = reshape(result, tuple(shape))
    return result


def _normalize_axis(axis, ndim):
    if not -ndim <= axis < ndim:                  # NumPy's error (a ValueError and an IndexError)
        raise np.exceptions.AxisError(axis, ndim, "norm")
    return axis % ndim


@implements(np.linalg.matrix_norm)
def matrix_norm(x, /, ord="fro", dim=(-2, -1), keepdim: bool | None = None, *,
                keepdims: bool = False) -> Tensor:
    """``np.linalg.matrix_norm``: ``norm`` over the last two axes (default ``'fro'``);
    ``torch.linalg.matrix_norm``'s ``ord``, ``dim`` and ``keepdim`` may come by position.

    >>> ad.linalg.matrix_norm(ad.tensor([[3.0, 0.0], [0.0, 4.0]]))
    tensor(5.)
    """
    axis, keepdims = _torch_axis_names("matrix_norm", None, keepdims, dim, keepdim)
    return norm(x, axis=axis, keepdims=keepdims, ord=ord)


@implements(np.linalg.vector_norm)
def vector_norm(x, /, ord=2, dim=None, keepdim: bool | None = None, *, axis=None,
                keepdims: bool = False) -> Tensor:
    """``np.linalg.vector_norm``: a vector norm over all elements, one axis, or several
    (``torch.linalg.vector_norm``'s ``ord``, ``dim`` and ``keepdim`` may come by position).

    >>> ad.linalg.vector_norm(ad.tensor([[3.0, 0.0], [0.0, 4.0]]))
    tensor(5.)
    """
    from .shape import reshape, transpose

    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_axis_names("vector_norm", axis, keepdims, dim, keepdim)
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    shape = list(x.shape)
    if axis is None:
        x, reduced = reshape(x, (-1,)), 0
    elif isinstance(axis, tuple):         # the reduced axes first, merged into one
        axes = tuple(_normalize_axis(k, x.ndim) for k in axis)
        rest = tuple(k for k in range(x.ndim) if k not in axes)
        x = reshape(transpose(x, axes + rest),
                    (int(np.prod([shape[k] for k in axes])),) + tuple(shape[k] for k in rest))
        reduced = 0
    else:
        reduced = axis
    result = norm(x, axis=reduced, ord=ord)
    if keepdims:
        for k in (range(len(shape)) if axis is None else np.atleast_1d(axis)):
            shape[_normalize_axis(int(k), len(shape))] = 1
        result = reshape(result, tuple(shape))
    return result


@implements(np.linalg.cond)
def cond(x, p=None) -> Tensor:
    """``np.linalg.cond``: the condition number in the norm ``p``, batched over leading
    axes.  ``p`` None, 2 or -2 divide singular values (``s[0] / s[-1]``, or the
    inverse); the other norms multiply ``norm(x, p) * norm(inv(x), p)``, as NumPy
    does (inverting float32 and complex64 in double precision), with the gradients of
    those ops.

    A singular matrix has NumPy's infinite condition number: through the singular
    values the gradient is then inf or NaN, as the quotient's; with another ``p``,
    where ``inv`` has no value, it is refused.

    >>> x = ad.tensor([[2.0, 0.0], [0.0, 0.5]], requires_grad=True)
    >>> c = ad.linalg.cond(x); c.backward(); c, x.grad
    (tensor(4., requires_grad=True), array([[ 2.,  0.],
           [ 0., -8.]]))
    """
    from ..compile.hooks import made
    from . import elementwise as ew
    from .decompositions import svdvals
    from .linalg import inv
    from .operands import tensor_of

    x = tensor_of(x)
    if p is None or p == 2 or p == -2:
        with np.errstate(all="ignore"):
            np.linalg.cond(x.data, p)                   # NumPy's checks
            s = svdvals(x)
            ratio = s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
        # 0 / 0 (a zero matrix) is NaN; NumPy reports an infinite condition number
        # (found again at each replay of ad.compile, as the check below)
        undefined = made("cond of a zero matrix", _zero_over_zero, (ratio.data, x.data))
        return ew.where(undefined, np.inf, ratio)
    made("cond check", _invertible, (x.data, p), stateful=True)
    # NumPy inverts a single-precision matrix in double precision and rounds the
    # product of the norms to single precision only at the end
    single = x.dtype in (np.float32, np.complex64)
    inverse = inv(ew.astype(x, np.result_type(x.dtype, np.float64)) if single else x)
    product = norm(x, p, axis=(-2, -1)) * norm(inverse, p, axis=(-2, -1))
    return ew.astype(product, np.float32) if single else product


def _invertible(x, p):
    """NumPy's checks, and a refusal of a matrix that NumPy finds singular."""
    with np.errstate(all="ignore"):
        expected = np.linalg.cond(x, p)
    if not np.all(np.isfinite(expected) | np.isnan(x).any(axis=(-2, -1))):
        raise np.linalg.LinAlgError(
            f"cond: the matrix of shape {x.shape} is singular, so inv(x) in "
            f"norm(x, {p!r}) * norm(inv(x), {p!r}) has no value (NumPy gives inf, which "
            "has no gradient); use p=None (singular values) or check the matrix")
    return True


def _zero_over_zero(ratio, x):
    """Where ``ratio`` is NaN though ``x`` holds no NaN (NumPy's ``cond`` gives inf)."""
    return np.isnan(ratio) & ~np.isnan(x).any(axis=(-2, -1))
