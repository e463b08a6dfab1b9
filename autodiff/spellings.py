"""PyTorch spellings on Tensor: ``view``, ``unsqueeze``, ``permute``, ``dim=`` and friends,
the in-place methods ``add_ … clamp_`` and ``retain_grad``.

``Tensor`` inherits these methods, so code ported from PyTorch runs unchanged where
the two libraries mean the same thing; where they mean different things (a 2-D
``transpose(0, 1)``), it raises instead of guessing.
"""

from __future__ import annotations

import weakref

import numpy as np

from .argument_aliases import axis_alias, ddof_alias
from .conventions import (axis_by_position, keepdim_after_axis, method_axis, norm_dims,
                          refuse_positional,  # noqa: F401  (re-exported)
                          unbiased_after_axis, warn_of_numpy_ddof)
from .dim_extremes import (  # noqa: F401
    ValuesIndices, extreme_along_dim, refuse_positional_extreme)
from .dim_readings import refuse_repeated_dims


def _spread(name, op, tensor, positional, axis, keepdims, ddof, dim, keepdim, correction,
            unbiased, where, mean, dtype=None, out=None):
    """``Tensor.var`` or ``Tensor.std`` (``name``; ``op`` is ``ad.var`` or ``ad.std``):
    their NumPy and PyTorch arguments resolved to ``op``'s axis, keepdims and ddof, or to
    the masked variance for ``where=`` and ``mean=``; ``dtype=`` and ``out=`` as
    ``np.var``'s."""
    axis, positional, numpy_axis = axis_by_position(name, axis, positional)
    unbiased, keepdim = unbiased_after_axis(name, positional, unbiased, keepdim)
    # (PyTorch's var and std have no where=, mean=, dtype= or out=: with one it is NumPy's)
    numpy_call = (numpy_axis or where is not True or mean is not np._NoValue
                  or dtype is not None or out is not None)
    warn_of_numpy_ddof(name, dim, ddof, correction, unbiased, numpy_call)
    if not numpy_axis and type(axis) in (tuple, list) and not axis:
        # t.std(()): PyTorch's dim=() (method_axis warns unless unbiased= or the like say so)
        axis, _ = method_axis(name, None, (axis,), unbiased is not None
                              or correction is not None or keepdim is not None)
    axis, keepdims = axis_alias(name, axis, keepdims, dim, keepdim)
    ddof = ddof_alias(name, ddof, correction, unbiased)
    if dtype is not None or out is not None:
        from .tensor_reductions import through_numpy
        return through_numpy(getattr(np, name), tensor, axis=axis, keepdims=keepdims,
                             dtype=dtype, out=out, ddof=ddof, where=where, mean=mean)
    if where is not True or mean is not np._NoValue:
        from .ops.masked_variance import masked_variance
        return masked_variance(name, tensor, axis, keepdims, ddof, where, mean,
                               f"Tensor.{name}")
    return op(tensor, axis=axis, keepdims=keepdims, ddof=ddof)


def _running(name, numpy_function, op, tensor, axis, dtype, out, dim):
    """``Tensor.cumsum`` or ``Tensor.cumprod`` (``name``; ``op`` is ``ad.cumsum`` or
    ``ad.cumprod``) along NumPy's ``axis`` or PyTorch's ``dim``; ``dtype=`` and ``out=``
    as ``numpy_function``'s."""
    _one_dim(name, dim)
    axis = axis_alias(name, axis, False, dim)[0]
    if dtype is not None or out is not None:     # computed in that dtype, or into out
        from .tensor_reductions import through_numpy
        result = through_numpy(numpy_function, tensor, axis=axis, dtype=dtype, out=out)
        return result if out is not None else _zero_d_along_dim(tensor, result, dim)
    from .torch_elementwise_methods import signed_sum_operand
    return _zero_d_along_dim(tensor, op(signed_sum_operand(tensor), axis), dim)


def _arg_extreme(name, numpy_function, tensor, axis, positional, keepdims, dim, keepdim):
    """``Tensor.argmax`` or ``Tensor.argmin`` (``name``): ``numpy_function``'s indices
    along NumPy's ``axis`` or PyTorch's one ``dim``, as an integer Tensor."""
    from .tensor import Tensor
    keepdim = keepdim_after_axis(name, positional, keepdim)
    _one_dim(name, dim)
    axis, keepdims = axis_alias(name, axis, keepdims, dim, keepdim)
    # (NumPy's function on the tensor: ad.compile then computes it again at each replay)
    index = numpy_function(tensor, axis=axis, keepdims=keepdims)
    return index if isinstance(index, Tensor) else Tensor(index)


def _zero_d_along_dim(x, result, dim):
    """PyTorch's running sum or product of a 0-d tensor along ``dim=0`` is 0-d (NumPy's
    along ``axis=0`` has shape (1,))."""
    if dim is None or x.ndim:
        return result
    from .ops.shape import reshape
    return reshape(result, ())            # (the op checked dim: 0 or -1)


def _one_dim(where: str, dim) -> None:
    """Refuse ``dim=()`` or a tuple where PyTorch takes one dim: ``axis_alias`` reads
    ``dim=()`` as every dim, which for a running sum or an argmax would silently flatten."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{where}: dim must be an int, as in PyTorch, got {dim!r}; use "
                        f"axis=None for the flattened tensor")


def _dims(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def _inplace():
    from . import inplace
    return inplace


def _alpha_times(t, other, alpha):
    """``alpha * other`` for ``t.add_``/``t.sub_`` (recorded when compiled: ``other`` may be
    a ``.grad`` array, ``p.add_(p.grad, alpha=-lr)``); a bool tensor updated by bools
    reads ``alpha`` as a bool, as PyTorch's (``t.add``'s rule)."""
    if alpha == 1:
        return other
    if t.dtype == np.bool_:
        from .torch_methods import bool_alpha_times
        scaled = bool_alpha_times(t, other, alpha)
        if scaled is not None:
            return scaled
    return _ops().multiply(other, alpha)


def _ops():
    from .ops import elementwise
    return elementwise


class PyTorchMethods:
    """Methods under PyTorch's names (mixed into ``Tensor``)."""

    __slots__ = ()

    def view(self, *shape):
        """``reshape`` under PyTorch's name, refused when it would copy (as PyTorch's
        ``view``): the result shares the tensor's memory, and writes reach it. Without a
        shape, NumPy's ``view()``: a tensor of the same shape sharing the memory.

        >>> ad.tensor(np.arange(6.0)).view(2, -1).shape
        (2, 3)
        """
        from .ops.shape import reshape
        if not shape:                        # NumPy's t.view(): the same values, shared
            return reshape(self, self.shape)
        if len(shape) == 1 and isinstance(shape[0], (type, np.dtype)):
            raise TypeError(
                f"view({np.dtype(shape[0]).name}): reinterpreting the bytes of a tensor (shape "
                f"{self.shape}, dtype {self.dtype}) as another dtype, as NumPy's and PyTorch's "
                "view(dtype) do, has no gradient and is not supported here; use "
                "t.astype(dtype) to convert the values, or ad.tensor(t.data.view(dtype)) for "
                "the reinterpreted bytes (no gradient); for the tensor's own dtype, t.view() "
                "is the same values on the tape")
        result = reshape(self, _dims(shape))
        if result.size and not np.may_share_memory(result.data, self.data):
            raise RuntimeError(
                f"view: a tensor of shape {self.shape} laid out with strides "
                f"{tuple(s // self.data.itemsize for s in self.data.strides)} cannot be "
                f"viewed as shape {result.shape} without copying (PyTorch refuses this "
                "too: its view size is not compatible with the input's size and stride); "
                "use .reshape(...), which copies, or .contiguous().view(...)")
        return result

    def unsqueeze(self, dim: int):
        """Insert a size-1 axis at ``dim`` (``expand_dims``).

        >>> ad.tensor([1.0, 2.0]).unsqueeze(0).shape
        (1, 2)
        """
        from .ops.shape import expand_dims
        return expand_dims(self, dim)

    def squeeze(self, axis=None, *, dim=None):
        """Drop size-1 axes: all of them, or those named by ``axis`` (or ``dim=``).

        An axis named whose size is not 1 raises, as in NumPy (PyTorch would return
        the tensor unchanged).

        >>> ad.tensor(np.zeros((1, 3, 1))).squeeze(dim=0).shape
        (3, 1)
        """
        from .ops.shape import squeeze
        axis, _ = axis_alias("squeeze", axis, False, dim)
        if axis is not None:
            named = axis if isinstance(axis, tuple) else (axis,)
            wide = [a for a in named if isinstance(a, (int, np.integer))
                    and -self.ndim <= a < self.ndim and self.shape[a] != 1]
            if wide:
                raise ValueError(
                    f"squeeze: axis {wide[0]} of a tensor of shape {self.shape} has size "
                    f"{self.shape[wide[0]]}, not 1; NumPy refuses this and PyTorch returns "
                    "the tensor unchanged, so name only axes of size 1")
        return squeeze(self, axis)

    def permute(self, *dims):
        """Reorder all axes (``transpose(dims)``).

        >>> ad.tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        from .ops.shape import transpose
        if not dims:        # (PyTorch needs them even for a 0-d tensor: t.permute(()))
            raise TypeError(f"permute() missing 1 required positional argument: 'dims' "
                            f"(tensor of shape {self.shape}); name every axis once, as "
                            f"t.permute(1, 0), or pass () for a 0-d tensor")
        dims = _dims(dims)
        if len(dims) != self.ndim:
            raise ValueError(f"permute: got {len(dims)} dims {dims} for a tensor with "
                             f"{self.ndim} axes; name every axis once")
        refuse_repeated_dims("permute", dims, self.ndim)
        return transpose(self, dims)

    def t(self):
        """The transpose of a tensor with at most 2 axes (PyTorch's ``t()``).

        >>> ad.tensor([[1.0, 2.0]]).t().shape
        (2, 1)
        """
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor with at most 2 axes, got shape "
                             f"{self.shape}; use permute or swapaxes")
        from .ops.shape import transpose
        return transpose(self, None)

    def argmax(self, axis=None, *positional, keepdims=False, dim=None, keepdim=None):
        """Indices of the largest values (an integer tensor, no gradient).

        >>> ad.tensor([[1.0, 3.0], [4.0, 2.0]]).argmax(dim=1)
        tensor([1, 0])
        """
        return _arg_extreme("argmax", np.argmax, self, axis, positional, keepdims, dim,
                            keepdim)

    def argmin(self, axis=None, *positional, keepdims=False, dim=None, keepdim=None):
        """Indices of the smallest values (an integer tensor, no gradient).

        >>> ad.tensor([[1.0, 3.0], [4.0, 2.0]]).argmin(dim=1)
        tensor([0, 1])
        """
        return _arg_extreme("argmin", np.argmin, self, axis, positional, keepdims, dim,
                            keepdim)

    def clamp(self, min=None, max=None):
        """Limit the values to ``[min, max]`` (``clip``).

        >>> ad.tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
        tensor([0. , 0.5, 1. ])
        """
        from .grad_arrays import refuse_complex_clamp
        from .ops.elementwise import clip
        refuse_complex_clamp("clamp", self.dtype)
        return clip(self, min, max)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, else this tensor's values, in this tensor's
        dtype (as PyTorch: the value is cast to it).

        >>> ad.tensor([1.0, 2.0, 3.0]).masked_fill(np.array([True, False, True]), 0.0)
        tensor([0., 2., 0.])
        """
        from .ops.elementwise import astype, where
        mask_data = getattr(mask, "data", mask)
        if np.asarray(mask_data).dtype != bool:
            raise TypeError(f"masked_fill: the mask must be bool, got "
                            f"{np.asarray(mask_data).dtype}; compare first, e.g. t > 0")
        _refuse_overflowing_fill(value, self.dtype)
        filled = where(mask, value, self)
        if filled.dtype == self.dtype:
            return filled
        # PyTorch keeps the tensor's dtype: the value is cast to it (2.5 into an int
        # tensor is 2; a float64 value into a float32 tensor is float32).
        if self.dtype.kind in "biu" and not np.all(np.isfinite(getattr(value, "data", value))):
            raise ValueError(f"masked_fill: the value {value!r} cannot be stored in a tensor "
                             f"of dtype {self.dtype}")
        return astype(filled, self.dtype)

    # ----- reductions with PyTorch's names for their arguments -----------------
    def var(self, *positional, axis=None, keepdims=False, ddof=None, dim=None, keepdim=None,
            correction=None, unbiased=None, where=True, mean=np._NoValue, dtype=None,
            out=None):
        """Variance (NumPy's ``ddof=0`` default; PyTorch's is 1, so pass it: ``ddof=1``,
        or PyTorch's ``correction=1`` / ``unbiased=True``; unless the axis is NumPy's
        ``axis=`` keyword, a call with none of them warns, ``ConventionWarning``, since it
        reads as PyTorch's too); ``where=`` and ``mean=`` as ``ndarray.var``.

        >>> ad.tensor([[1.0, 3.0], [2.0, 2.0]]).var(dim=1, correction=1)
        tensor([2., 0.])
        """
        from .ops.reduce import var
        return _spread("var", var, self, positional, axis, keepdims, ddof, dim, keepdim,
                       correction, unbiased, where, mean, dtype, out)

    def std(self, *positional, axis=None, keepdims=False, ddof=None, dim=None, keepdim=None,
            correction=None, unbiased=None, where=True, mean=np._NoValue, dtype=None,
            out=None):
        """Standard deviation (NumPy's ``ddof=0`` default; PyTorch's is 1, so pass it:
        ``ddof=1``, or PyTorch's ``correction=1`` / ``unbiased=True``; unless the axis is
        NumPy's ``axis=`` keyword, a call with none of them warns, ``ConventionWarning``,
        since it reads as PyTorch's too); ``where=`` and ``mean=`` as ``ndarray.std``.

        >>> ad.tensor([[1.0, 3.0], [2.0, 2.0]]).std(dim=1, correction=0)
        tensor([1., 0.])
        """
        from .ops.statistics import std
        return _spread("std", std, self, positional, axis, keepdims, ddof, dim, keepdim,
                       correction, unbiased, where, mean, dtype, out)

    def prod(self, *positional, axis=None, keepdims=False, dim=None, keepdim=None,
             initial=np._NoValue, where=True, dtype=None, out=None):
        """Product of the entries (exact gradients at zeros); ``initial=`` and
        ``where=`` as ``ndarray.prod``.

        >>> ad.tensor([[1.0, 3.0], [2.0, 2.0]]).prod(dim=0)
        tensor([2., 6.])
        """
        from .ops.multiplicative import prod
        from .tensor_reductions import numpy_reduction, sum_operand
        axis, positional = method_axis("prod", axis, positional)
        keepdim = keepdim_after_axis("prod", positional, keepdim)
        axis, keepdims = axis_alias("prod", axis, keepdims, dim, keepdim)
        return numpy_reduction("prod", np.prod, prod, sum_operand(self, dtype, out), axis,
                               keepdims, initial, where, dtype, out)

    def cumsum(self, axis=None, dtype=None, out=None, *, dim=None):
        """Running sum along ``axis`` (over the flattened tensor when None).

        >>> ad.tensor([1.0, 2.0, 3.0]).cumsum(dim=0)
        tensor([1., 3., 6.])
        """
        from .ops.cumulative import cumsum
        return _running("cumsum", np.cumsum, cumsum, self, axis, dtype, out, dim)

    def cumprod(self, axis=None, dtype=None, out=None, *, dim=None):
        """Running product along ``axis`` (over the flattened tensor when None).

        >>> ad.tensor([1.0, 2.0, 3.0]).cumprod(dim=0)
        tensor([1., 2., 6.])
        """
        from .ops.multiplicative import cumprod
        return _running("cumprod", np.cumprod, cumprod, self, axis, dtype, out, dim)

    def cummax(self, dim: int):
        """Running maximum along ``dim`` and its indices, as ``ad.cummax``.

        >>> ad.tensor([2.0, 1.0, 3.0]).cummax(0).values
        tensor([2., 2., 3.])
        """
        from .ops.running_extrema import cummax
        return cummax(self, dim)

    def cummin(self, dim: int):
        """Running minimum along ``dim`` and its indices, as ``ad.cummin``.

        >>> ad.tensor([2.0, 1.0, 3.0]).cummin(0).indices
        tensor([0, 1, 1])
        """
        from .ops.running_extrema import cummin
        return cummin(self, dim)

    def logsumexp(self, *positional, axis=None, keepdims=False, dim=None, keepdim=None):
        """``log(sum(exp(x)))`` over ``axis``, without overflow.

        >>> ad.tensor([[0.0, 0.0]]).logsumexp(dim=1)
        tensor([0.69314718])
        """
        from .ops.statistics import logsumexp
        axis, positional = method_axis("logsumexp", axis, positional, keepdim is not None)
        keepdim = keepdim_after_axis("logsumexp", positional, keepdim)
        return logsumexp(self, axis=axis, keepdims=keepdims, dim=dim, keepdim=keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        """PyTorch's ``Tensor.norm``: the vector p-norm of the entries over ``dim``
        (all entries when None; ``'fro'`` is 2), or ``'nuc'`` over two dims.

        Unlike ``np.linalg.norm``, a numeric ``p`` over two dims is the vector norm of
        those entries (PyTorch's meaning), not a matrix norm; use ``ad.linalg.norm``
        for NumPy's matrix norms.

        >>> ad.tensor([[3.0, 4.0], [0.0, 0.0]]).norm(dim=1)
        tensor([5., 0.])
        """
        from .ops.elementwise import abs as absolute
        from .ops.norms import _abs_power, root_of_sum
        from .ops.reduce import max as maximum, min as minimum, sum as total

        if self.dtype.kind in "biu":
            raise TypeError(f"norm: the tensor is {self.dtype} (shape {self.shape}), and "
                            f"PyTorch's Tensor.norm takes float or complex tensors only; "
                            f"convert first: t.float().norm() or t.double().norm()")
        dim = norm_dims(p, dim)         # (a list as a tuple; a bool refused)
        if dim == ():
            dim = None                  # PyTorch's dim=(): every dim
        if p == "nuc":
            from .ops.norms import norm as numpy_norm
            if dim is None and self.ndim == 2:
                dim = (0, 1)
            if not (isinstance(dim, tuple) and len(dim) == 2):
                raise ValueError(f"norm: p='nuc' needs two dims (a matrix), got dim={dim!r} "
                                 f"for shape {self.shape}")
            return numpy_norm(self, "nuc", axis=dim, keepdims=keepdim)
        if self.dtype == np.float16:    # (summed in float32, as PyTorch's: squares of
            return self.float().norm(p, dim, keepdim).half()    # entries > 256 overflow)
        if self.dtype.kind == "c":
            self = absolute(self)       # (the norms of |z|, real, as PyTorch's)
        if p in ("fro", 2, 2.0, None):
            return root_of_sum(total(self * self, axis=dim, keepdims=keepdim))
        if isinstance(p, str):
            raise ValueError(f"norm: p={p!r} is not a norm PyTorch's Tensor.norm takes; use "
                             "a number, 'fro' or 'nuc' (or ad.linalg.norm for NumPy's)")
        if p == np.inf:
            return maximum(absolute(self), axis=dim, keepdims=keepdim)
        if p == -np.inf:
            return minimum(absolute(self), axis=dim, keepdims=keepdim)
        if p == 0:
            from .ops.norms import count_of_nonzeros
            return count_of_nonzeros(self, dim, keepdim)
        if p == 1:
            return total(absolute(self), axis=dim, keepdims=keepdim)
        # (_abs_power: for p < 1 the gradient at a zero entry is 0, as PyTorch's, not NaN)
        return root_of_sum(total(_abs_power(self, p), axis=dim, keepdims=keepdim), 1.0 / p)

    # ----- in-place methods (autodiff/inplace.py has the rules) ---------------
    def add_(self, other, alpha=1):
        """In-place ``self += alpha * other``; returns self."""
        return _inplace().update(self, _ops().add, _alpha_times(self, other, alpha), "add_")

    def sub_(self, other, alpha=1):
        """In-place ``self -= alpha * other``; returns self."""
        return _inplace().update(self, _ops().subtract, _alpha_times(self, other, alpha),
                                 "sub_")

    def mul_(self, other):
        """In-place ``self *= other``; returns self."""
        return _inplace().update(self, _ops().multiply, other, "mul_")

    def div_(self, other, *, rounding_mode=None):
        """In-place ``self /= other``, rounded toward zero (``'trunc'``) or down
        (``'floor'``) when asked, as PyTorch's; returns self.

        >>> ad.tensor([-7, 7]).div_(2, rounding_mode="floor")
        tensor([-4,  3])
        """
        if rounding_mode is None:
            return _inplace().update(self, _ops().divide, other, "div_")
        from .tensor_inplace_more import _refuse_another_kind, _refuse_another_shape
        result = self.div(other, rounding_mode=rounding_mode)
        _refuse_another_shape(self, result, "div_")
        _refuse_another_kind(self, result, "div_")
        return _inplace().fill(self, result, "div_")

    def zero_(self):
        """Set every element to 0 in place; returns self."""
        return _inplace().fill(self, 0.0, "zero_")

    def fill_(self, value):
        """Set every element to ``value`` in place; returns self."""
        return _inplace().fill(self, value, "fill_")

    def copy_(self, source):
        """Copy ``source`` (broadcast to this shape) into self in place; returns self."""
        return _inplace().fill(self, source, "copy_")

    def clamp_(self, min=None, max=None):
        """Limit the values to ``[min, max]`` in place; returns self."""
        from .grad_arrays import refuse_complex_clamp
        refuse_complex_clamp("clamp_", self.dtype)
        return _inplace().clamp(self, min, max)

    # ----- gradients of intermediates -----------------------------------------
    def retain_grad(self) -> None:
        """Keep this intermediate's gradient in ``.grad`` after ``backward()`` (PyTorch).

        Leaves that require grad keep theirs anyway; intermediates normally do not.

        >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x * 3
        >>> h.retain_grad()
        >>> (h ** 2).sum().backward()
        >>> h.grad
        array([ 6., 12.])
        """
        from . import graph

        if self._node is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad: this tensor does not require grad, so no "
                                   "gradient reaches it; create it with requires_grad=True")
            return
        if not self.requires_grad:
            raise RuntimeError(
                f"retain_grad: this tensor (from '{self._node.op.name}') does not require "
                "grad, so no gradient reaches it")
        graph.retained[self._node] = weakref.ref(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever this tensor's gradient is computed, before it
        is used; a returned value replaces it (PyTorch).  Returns a handle whose
        ``remove()`` unregisters it.  See ``autodiff/hooks.py``.

        >>> w = ad.tensor([3.0, -4.0], requires_grad=True)
        >>> _ = w.register_hook(lambda g: np.clip(g, -1, 1))   # clip this gradient
        >>> (w ** 2).sum().backward(); w.grad
        array([ 1., -1.])
        """
        from .hooks import register_hook
        return register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after each ``backward()`` adds to this leaf's ``.grad``
        (PyTorch's; e.g. an optimizer step per parameter during the backward pass).
        Returns a handle whose ``remove()`` unregisters it.  See ``autodiff/hooks.py``."""
        from .hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    @property
    def retains_grad(self) -> bool:
        """True for an intermediate that keeps its gradient (``retain_grad()``)."""
        from . import graph

        ref = graph.retained.get(self._node) if self._node is not None else None
        return ref is not None and ref() is self


def _refuse_overflowing_fill(value, dtype) -> None:
    """Raise, as PyTorch's ``masked_fill`` does, when the number ``value`` lies outside
    the range of the integer ``dtype`` it would be stored in (NumPy's cast would wrap
    300 to 44 in uint8, or cut 255.7 to 255); a negative integer into an unsigned dtype
    wraps within its range, as in PyTorch (-1 is 255 in uint8)."""
    from .tensor import Tensor

    raw = value.data if isinstance(value, Tensor) else value
    if dtype.kind not in "iu" or np.ndim(raw) != 0 or isinstance(raw, (bool, np.bool_)):
        return
    info = np.iinfo(dtype)
    number = raw.item() if isinstance(raw, (np.ndarray, np.generic)) else raw
    if isinstance(number, int):
        fits = (info.min <= number <= info.max if dtype.kind == "i"
                else -info.max <= number <= info.max)
    elif isinstance(number, float):
        fits = not np.isfinite(number) or info.min <= number <= info.max  # (NaN: below)
    else:
        return
    if not fits:
        raise OverflowError(
            f"masked_fill: the value {number!r} does not fit a {dtype} tensor (range "
            f"{info.min} .. {info.max}), and storing it there would change it; PyTorch "
            "refuses it too. Convert the tensor first (t.astype(np.int64), or a float "
            "dtype) or pass a value in range.")
