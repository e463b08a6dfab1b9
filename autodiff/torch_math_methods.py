"""PyTorch's Tensor methods for comparisons, logic and math: ``eq``/``gt``/...,
``equal`` (whole-tensor), ``isclose``, ``logical_*``, ``where(condition, other)``,
``amax``/``amin``/``aminmax``, the linear algebra shorthands (``det``, ``inverse``,
``mv``, ``bmm``, ``baddbmm``, ...) and elementwise math (``addcmul``, ``lerp``,
``hardshrink``, ``renorm``, ``logcumsumexp``, ...).

Each is built from recorded ops, so gradients come from their rules.  None of these
names is an ndarray method, so each keeps PyTorch's meaning.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .selections import _axis


class MinMax(NamedTuple):
    """What ``aminmax`` returns, as PyTorch: the smallest and the largest values."""
    min: object
    max: object


def _ad():
    import importlib
    return importlib.import_module(__package__)


def _warn_if_leading_neg_inf(t, axis):
    """``logcumsumexp`` of a tensor on the tape whose lanes start with ``-inf``: their
    gradient is 0 here, NaN in PyTorch (``Tensor.logcumsumexp``'s docstring)."""
    from .conventions import ConventionWarning
    from .graph import is_grad_enabled
    if not (t.requires_grad and is_grad_enabled() and t.shape[axis]):
        return
    first = np.take(t.data, 0, axis=axis)
    if np.any(first == -np.inf):
        from .tape_drop import user_frame, warn_at
        warn_at(user_frame(), (
            f"logcumsumexp: {int(np.sum(first == -np.inf))} lane(s) of the tensor of shape "
            f"{t.shape} start with -inf along dim {axis}: while a lane is only -inf its "
            "output is -inf and those entries get gradient 0 here (-inf read as log 0), "
            "where PyTorch's gradient is NaN (0 / 0)."), ConventionWarning)


def _diagonal_places(n, m, offset, dtype):
    """``places[i]``: an ``m`` by ``m`` matrix with 1 at the ``i``-th entry of its
    ``offset``-th diagonal."""
    places = np.zeros((n, m, m), dtype=dtype)
    rows = np.arange(n) + max(-offset, 0)
    places[np.arange(n), rows, rows + offset] = 1
    return places


def _t(value, *company):
    from .ops.operands import tensor_of
    return tensor_of(value, *company)


def _shape_of(value):
    return np.shape(getattr(value, "data", value))


def _need_ndim(where: str, t, ndims, what: str):
    if t.ndim not in ndims:
        raise ValueError(f"{where}: needs {what}, got a tensor of shape {t.shape}")


def _float(where: str, t):
    if t.dtype.kind == "c":             # (t.double() would drop the imaginary parts)
        raise TypeError(f"{where}: takes real values here, got {t.dtype} (shape {t.shape}), "
                        "where PyTorch's takes complex ones too; apply it to t.real, "
                        "t.imag or t.abs() if one of those is meant")
    if t.dtype.kind != "f":
        raise TypeError(f"{where}: needs a floating-point tensor, got {t.dtype} (shape "
                        f"{t.shape}); convert it first, e.g. t.double()")


def _all_dims(dim):
    """PyTorch's ``dim=()`` (or None) for every dim, as NumPy's ``axis=None``; a 0-d
    integer Tensor read as the int it holds, as PyTorch does (``t.amax(ad.tensor(0))``)."""
    if dim is None or (isinstance(dim, (tuple, list)) and not len(dim)):
        return None
    from .ops.operands import numpy_axis
    return tuple(dim) if isinstance(dim, list) else numpy_axis(dim)


def _nonzero_counts(array, axis):
    return np.asarray(np.count_nonzero(array, axis=axis), dtype=np.int64)


class TorchMathMethods:
    """Comparisons, logic and math under PyTorch's names (mixed into ``Tensor``)."""

    __slots__ = ()

    # ----- comparisons and logic -----------------------------------------------------
    def equal(self, other) -> bool:
        """Whether ``other`` has this shape and the same values (a Python bool, as
        ``torch.equal``; NaN is not equal to itself).  ``ad.equal`` is NumPy's
        elementwise ``==``.

        >>> ad.tensor([1.0, 2.0]).equal(ad.tensor([1.0, 2.0])), ad.tensor([1.0]).equal([1.0, 1.0])
        (True, False)
        """
        from .tensor import Tensor, value_hook        # (value_hook: set by ad.compile)
        if value_hook is not None:
            for value in (self, other):
                if isinstance(value, Tensor):
                    value_hook(value, "equal (a Python bool)")
        other = np.asarray(getattr(other, "data", other))
        return self.shape == other.shape and bool(np.all(self.data == other))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Entrywise ``|self - other| <= atol + rtol * |other|`` (a bool tensor).

        >>> ad.tensor([1.0, 2.0]).isclose(ad.tensor([1.0, 2.1]))
        tensor([ True, False])
        """
        from .torch_names import isclose
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """Whether every entry is close to ``other`` (a Python bool).

        >>> ad.tensor([1.0, 2.0]).allclose(ad.tensor([1.0, 2.0 + 1e-9]))
        True
        """
        from .torch_names import allclose
        return allclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other):
        """Entrywise ``self and other`` (a bool tensor).

        >>> ad.tensor([1.0, 0.0]).logical_and(ad.tensor([1.0, 1.0]))
        tensor([ True, False])
        """
        logical_and = _ad().logical_and
        return logical_and(self, other)

    def logical_or(self, other):
        """Entrywise ``self or other`` (a bool tensor).

        >>> ad.tensor([1.0, 0.0]).logical_or(ad.tensor([0.0, 0.0]))
        tensor([ True, False])
        """
        logical_or = _ad().logical_or
        return logical_or(self, other)

    def logical_xor(self, other):
        """Entrywise ``self xor other`` (a bool tensor).

        >>> ad.tensor([1.0, 0.0]).logical_xor(ad.tensor([1.0, 1.0]))
        tensor([False,  True])
        """
        logical_xor = _ad().logical_xor
        return logical_xor(self, other)

    def logical_not(self):
        """Entrywise ``not self`` (a bool tensor).

        >>> ad.tensor([1.0, 0.0]).logical_not()
        tensor([False,  True])
        """
        logical_not = _ad().logical_not
        return logical_not(self)

    def where(self, condition, other):
        """This tensor where ``condition`` is true, else ``other`` (PyTorch's
        ``x.where(condition, y)``, ``ad.where(condition, x, y)``).

        >>> ad.tensor([1.0, 2.0]).where(np.array([True, False]), 0.0)
        tensor([1., 0.])
        """
        where = _ad().where
        condition_data = np.asarray(getattr(condition, "data", condition))
        if condition_data.dtype != bool:
            raise TypeError(f"where: the condition must be bool, got {condition_data.dtype} "
                            f"(shape {condition_data.shape}); compare first, e.g. t > 0")
        return where(condition, self, other)

    def count_nonzero(self, dim=None):
        """The number of nonzero entries (over ``dim``, an int or a tuple): an int64
        tensor, as PyTorch's.

        >>> ad.tensor([[0.0, 1.0], [2.0, 3.0]]).count_nonzero(dim=1)
        tensor([1, 2])
        """
        from .compile.hooks import made     # computed again at each replay of ad.compile
        return _t(made("count_nonzero", _nonzero_counts, (self.data, _all_dims(dim))))

    def argwhere(self):
        """The indices of the nonzero entries, one row each: shape ``(n, ndim)``, int64.

        >>> ad.tensor([[0.0, 1.0], [2.0, 0.0]]).argwhere()
        tensor([[0, 1],
                [1, 0]])
        """
        from .compile.refusals import refuse_while_tracing
        refuse_while_tracing("argwhere", "how many rows it gives depends on the values",
                             "Keep the shape: the three-argument ad.where(mask, x, y), "
                             "or a product with the mask; or call argwhere outside the "
                             "compiled function.")
        return _t(np.argwhere(self.data).astype(np.int64))

    # ----- extremes --------------------------------------------------------------------
    def amax(self, dim=(), keepdim=False):
        """The largest values over ``dim`` (every dim for ``()``, PyTorch's default);
        ties share the gradient evenly, as PyTorch's ``amax``.

        >>> ad.tensor([[1.0, 5.0], [7.0, 0.0]]).amax(dim=1)
        tensor([5., 7.])
        """
        from .ops.reduce import max as maximum
        return maximum(self, axis=_all_dims(dim), keepdims=keepdim)

    def amin(self, dim=(), keepdim=False):
        """The smallest values over ``dim`` (every dim for ``()``); ties share the
        gradient evenly, as PyTorch's ``amin``.

        >>> ad.tensor([[1.0, 5.0], [7.0, 0.0]]).amin(dim=0)
        tensor([1., 0.])
        """
        from .ops.reduce import min as minimum
        return minimum(self, axis=_all_dims(dim), keepdims=keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` over one ``dim`` (every entry when None), as PyTorch's
        ``aminmax``: a named tuple; ties share the gradient evenly.

        >>> ad.tensor([[1.0, 5.0], [7.0, 0.0]]).aminmax(dim=1)
        MinMax(min=tensor([1., 0.]), max=tensor([5., 7.]))
        """
        if dim is not None:
            dim = _axis("aminmax", dim, self.ndim)
        if self.size == 0:
            raise ValueError(f"aminmax: the tensor (shape {self.shape}) is empty and has no "
                             "minimum or maximum")
        return MinMax(self.amin(dim=dim, keepdim=keepdim), self.amax(dim=dim, keepdim=keepdim))

    def diag(self, diagonal: int = 0):
        """A 1-D tensor's square matrix with it on the ``diagonal``-th diagonal, or a
        2-D tensor's ``diagonal``-th diagonal, as PyTorch's ``diag``.

        >>> ad.tensor([1.0, 2.0]).diag()
        tensor([[1., 0.],
                [0., 2.]])
        """
        diag = _ad().diag
        _need_ndim("diag", self, (1, 2), "a 1-D or 2-D tensor (use diagonal or "
                   "diag_embed for batches)")
        return diag(self, diagonal)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1):
        """Matrices with the last dim on their ``offset``-th diagonal, placed at dims
        ``dim1``, ``dim2`` of the result, as PyTorch's ``diag_embed``.

        >>> ad.tensor([[1.0, 2.0]]).diag_embed()
        tensor([[[1., 0.],
                 [0., 2.]]])
        """
        einsum = _ad().einsum
        from .ops.rearrange import moveaxis
        if self.ndim == 0:
            raise ValueError("diag_embed: a 0-d tensor has no last dim to embed; "
                             "reshape(1) first")
        n = self.shape[-1]
        m = n + abs(int(offset))
        d1, d2 = _axis("diag_embed", dim1, self.ndim + 1), _axis("diag_embed", dim2,
                                                                  self.ndim + 1)
        if d1 == d2:
            raise ValueError(f"diag_embed: dim1={dim1} and dim2={dim2} are the same dim of "
                             f"the {self.ndim + 1}-D result; pass two different dims")
        from .compile.hooks import made     # (made again at each replay of ad.compile)
        places = made("diag_embed places", _diagonal_places, (n, m, int(offset), self.dtype))
        out = einsum("...i,ijk->...jk", self, places)
        return moveaxis(out, (-2, -1), (d1, d2))

    def tril(self, diagonal: int = 0):
        """The lower triangle of each matrix (the last two dims), the rest zero.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).tril()
        tensor([[1., 0.],
                [3., 4.]])
        """
        tril = _ad().tril
        _need_ndim("tril", self, range(2, 64), "at least 2 dims (a matrix or a batch)")
        return tril(self, diagonal)

    def triu(self, diagonal: int = 0):
        """The upper triangle of each matrix (the last two dims), the rest zero.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).triu(1)
        tensor([[0., 2.],
                [0., 0.]])
        """
        triu = _ad().triu
        _need_ndim("triu", self, range(2, 64), "at least 2 dims (a matrix or a batch)")
        return triu(self, diagonal)

    def kron(self, other):
        """The Kronecker product (``np.kron``).

        >>> ad.tensor([1.0, 2.0]).kron(ad.tensor([1.0, 10.0]))
        tensor([ 1., 10.,  2., 20.])
        """
        from .ops.products import kron
        return kron(self, other)

    def inner(self, other):
        """Sums of products over the last dims (``np.inner``, PyTorch's ``inner``).

        >>> ad.tensor([1.0, 2.0]).inner(ad.tensor([3.0, 4.0]))
        tensor(11.)
        """
        from .ops.products import inner
        return inner(self, other)

    def vdot(self, other):
        """The dot product of two 1-D tensors of the same length (real values).

        >>> ad.tensor([1.0, 2.0]).vdot(ad.tensor([3.0, 4.0]))
        tensor(11.)
        """
        other = _t(other)
        if self.ndim != 1 or other.shape != self.shape:
            raise ValueError(f"vdot: needs two 1-D tensors of the same length, got shapes "
                             f"{self.shape} and {other.shape}; flatten them first")
        return self.dot(other)

    def mv(self, vec):
        """A 2-D tensor times a 1-D one, as PyTorch's ``mv``.

        >>> ad.tensor([[1.0, 2.0]]).mv(ad.tensor([3.0, 4.0]))
        tensor([11.])
        """
        shape = _shape_of(vec)
        if self.ndim != 2 or len(shape) != 1 or shape[0] != self.shape[1]:
            raise ValueError(f"mv: needs a matrix (n, m) and a vector (m,), got shapes "
                             f"{self.shape} and {shape}")
        return self @ vec

    def bmm(self, mat2):
        """Batched product ``(b, n, m) @ (b, m, p)``, no broadcasting (``ad.bmm``).

        >>> ad.ones((2, 1, 3)).bmm(ad.ones((2, 3, 1))).shape
        (2, 1, 1)
        """
        from .torch_names import bmm
        return bmm(self, mat2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)`` (``ad.addmm``).

        >>> ad.tensor([1.0]).addmm(ad.tensor([[1.0, 2.0]]), ad.tensor([[3.0], [4.0]]))
        tensor([[12.]])
        """
        from .torch_functions import addmm
        return addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """``beta * self + alpha * (batch1 @ batch2)`` for stacks ``(b, n, m)`` and
        ``(b, m, p)``; ``self`` broadcasts to ``(b, n, p)``; ``beta=0`` ignores its values.

        >>> ad.zeros((1, 1, 1)).baddbmm(ad.ones((2, 1, 3)), ad.ones((2, 3, 1)), alpha=2)
        tensor([[[6.]],
        <BLANKLINE>
                [[6.]]])
        """
        from .torch_functions_assorted import scaled_sum
        from .torch_names import bmm
        return scaled_sum("baddbmm", self, bmm(_t(batch1), batch2), beta, alpha,
                          input_name="self")

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim``.  Without ``dim`` PyTorch takes
        the first dim of size 3 and NumPy the last; when those differ it raises.

        >>> ad.tensor([1.0, 0.0, 0.0]).cross(ad.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
        """
        from .ops.products import cross
        other = _t(other)
        try:
            shape = np.broadcast_shapes(self.shape, other.shape)
        except ValueError:
            raise ValueError(f"cross: shapes {self.shape} and {other.shape} do not "
                             "broadcast") from None
        if dim is None:
            threes = [d for d, n in enumerate(shape) if n == 3]
            if not threes:
                raise ValueError(f"cross: no dim of size 3 in shape {shape}")
            if threes[0] != len(shape) - 1:
                raise ValueError(
                    f"cross: without dim, PyTorch takes the first dim of size 3 (dim "
                    f"{threes[0]} of shape {shape}) and NumPy the last; pass dim=")
            dim = -1
        axis = _axis("cross", dim, len(shape))
        if shape[axis] != 3:
            raise ValueError(f"cross: dim {dim} has size {shape[axis]} in shape {shape}; "
                             "it must have size 3")
        return cross(self, other, axis=axis)

    # ----- elementwise -------------------------------------------------------------------
    def lerp(self, end, weight):
        """``self + weight * (end - self)`` (``ad.lerp``).

        >>> ad.tensor([0.0, 10.0]).lerp(ad.tensor([1.0, 20.0]), 0.5)
        tensor([ 0.5, 15. ])
        """
        from .torch_functions import lerp
        return lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """``self + value * tensor1 * tensor2``, broadcast.

        >>> ad.tensor([1.0]).addcmul(ad.tensor([2.0]), ad.tensor([3.0]), value=2)
        tensor([13.])
        """
        tensor1, tensor2 = _t(tensor1, tensor2, self), _t(tensor2, tensor1, self)
        if isinstance(value, (float, np.floating)) and np.result_type(
                self.data, tensor1.data, tensor2.data).kind in "biu":
            raise TypeError(
                f"addcmul: value={value!r} is a float, but the tensors are integers "
                f"({self.dtype}, {tensor1.dtype}, {tensor2.dtype}): PyTorch rounds it "
                f"toward zero (value=0.5 adds nothing). Pass an int value, or convert "
                f"first (t.double())")
        product = tensor1 * tensor2
        return self + (product if value == 1 else product * value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """``self + value * tensor1 / tensor2``, broadcast (integer tensors refused,
        as PyTorch refuses them).

        >>> ad.tensor([1.0]).addcdiv(ad.tensor([3.0]), ad.tensor([2.0]), value=2)
        tensor([4.])
        """
        tensor1, tensor2 = _t(tensor1, tensor2, self), _t(tensor2, tensor1, self)
        if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
            raise TypeError("addcdiv: integer division is not supported (as in PyTorch); "
                            "pass floating-point tensor1 or tensor2")
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    def heaviside(self, values):
        """0 where ``self < 0``, 1 where ``> 0``, ``values`` where 0 (no gradient).

        >>> ad.tensor([-1.0, 0.0, 2.0]).heaviside(ad.tensor([0.5]))
        tensor([0. , 0.5, 1. ])
        """
        heaviside = _ad().heaviside
        return heaviside(self, values)

    def ldexp(self, other):
        """``self * 2 ** other`` (floating-point; an integer tensor becomes float64).

        >>> ad.tensor([1.5]).ldexp(ad.tensor([3]))
        tensor([12.])
        """
        from .ops.exponentials import exp2
        x = self if self.dtype.kind == "f" else self.astype(np.float64)
        other = _t(other, x)
        if other.dtype.kind == "f" and np.result_type(x.dtype, other.dtype) != x.dtype:
            x = x.astype(np.result_type(x.dtype, other.dtype))     # (a wider float other)
        if other.dtype != x.dtype:
            other = other.astype(x.dtype)
        return x * exp2(other)

    def floor_divide(self, other):
        """``floor(self / other)`` (``//``), zero gradient; an integer division by zero
        raises, as PyTorch's does (``integer_division.py``).

        >>> ad.tensor([-7.0, 7.0]).floor_divide(2.0)
        tensor([-4.,  3.])
        """
        from .integer_division import refuse_integer_division_by_zero
        refuse_integer_division_by_zero("floor_divide", "floor_divide", self, other)
        floor_divide = _ad().floor_divide
        return floor_divide(self, other)

    def i0(self):
        """The modified Bessel function of the first kind, order 0 (``ad.i0``).

        >>> ad.tensor([0.0]).i0()
        tensor([1.])
        """
        i0 = _ad().i0
        return i0(self)

    def logcumsumexp(self, dim: int):
        """``log(cumsum(exp(x)))`` along ``dim``, without overflow or underflow.  While
        the lane so far is only ``-inf`` the output is ``-inf`` and those entries get
        gradient 0 from it (``-inf`` read as log 0, as ``ad.logsumexp``), where
        PyTorch's gradient is NaN (0 / 0); on a tensor that requires grad this warns
        (``ad.ConventionWarning``) at the user's line.  A NaN gives NaN without
        NumPy's ``RuntimeWarning``, as in PyTorch.

        >>> ad.tensor([0.0, 0.0, np.log(2.0)]).logcumsumexp(0)
        tensor([0.        , 0.69314718, 1.38629436])
        """
        _float("logcumsumexp", self)
        if self.ndim == 0:
            _axis("logcumsumexp", dim, 0)
            # the identity, as PyTorch's (gradient 1, also at -inf: no lane to sum)
            return np.positive(self)
        axis = _axis("logcumsumexp", dim, self.ndim)
        _warn_if_leading_neg_inf(self, axis)
        # (a NaN passes through without NumPy's warning, as PyTorch's logcumsumexp)
        return _ad().ops.log_add_exp_methods.logcumsumexp(self, axis)

    def hardshrink(self, lambd=0.5):
        """0 where ``-lambd <= x <= lambd``, else ``x`` (NaN stays), as PyTorch's
        ``hardshrink``.

        >>> ad.tensor([-1.0, 0.25, 2.0]).hardshrink()
        tensor([-1.,  0.,  2.])
        """
        where = _ad().where
        return where((self >= -lambd).logical_and(self <= lambd), 0.0, self)

    def renorm(self, p, dim: int, maxnorm):
        """Each slice along ``dim`` whose ``p``-norm (over the other dims) is above
        ``maxnorm`` scaled down to norm ``maxnorm``, as PyTorch's ``renorm`` (which
        divides by ``norm + 1e-7``); the others unchanged.

        >>> ad.tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0).norm(dim=1).round(6)
        tensor([1. , 0.5])
        """
        where = _ad().where
        _float("renorm", self)
        if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or p <= 0:
            raise ValueError(f"renorm: p must be a positive number, got {p!r}")
        if self.ndim < 2:
            raise ValueError(f"renorm: needs at least 2 dims, got shape {self.shape}")
        axis = _axis("renorm", dim, self.ndim)
        others = tuple(d for d in range(self.ndim) if d != axis)
        norms = self.norm(p, dim=others, keepdim=True)
        scale = where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        return self * scale.astype(self.dtype)


#: PyTorch's comparison methods: name -> (operator, an example's other operand, result).
_COMPARISONS = {
    "eq": ("__eq__", "tensor([ True, False])"), "ne": ("__ne__", "tensor([False,  True])"),
    "gt": ("__gt__", "tensor([False,  True])"), "lt": ("__lt__", "tensor([False, False])"),
    "ge": ("__ge__", "tensor([ True,  True])"), "le": ("__le__", "tensor([ True, False])"),
    "greater": ("__gt__", "tensor([False,  True])"),
    "greater_equal": ("__ge__", "tensor([ True,  True])"),
    "less": ("__lt__", "tensor([False, False])"),
    "less_equal": ("__le__", "tensor([ True, False])"),
    "not_equal": ("__ne__", "tensor([False,  True])"),
}


def _comparison(name, operator, shown):
    def method(self, other):
        return getattr(self, operator)(other)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"Entrywise ``self {_SYMBOLS[operator]} other`` (a bool tensor, no "
                      f"gradient), as PyTorch's ``{name}``.\n\n"
                      f">>> ad.tensor([1.0, 3.0]).{name}(ad.tensor([1.0, 2.0]))\n{shown}\n")
    return method


_SYMBOLS = {"__eq__": "==", "__ne__": "!=", "__gt__": ">", "__lt__": "<", "__ge__": ">=",
            "__le__": "<="}

for _name, (_operator, _shown) in _COMPARISONS.items():
    setattr(TorchMathMethods, _name, _comparison(_name, _operator, _shown))
del _name, _operator, _shown
