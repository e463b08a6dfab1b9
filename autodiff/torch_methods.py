"""More of PyTorch's Tensor methods: ``split`` (PyTorch's: piece sizes), ``unbind``,
``narrow``, ``masked_select``, ``scatter``/``scatter_``, ``outer``, ``rsqrt``, ``logit``,
``div`` ... (the elementwise ones made from tables are in ``torch_elementwise_methods.py``).

Each is built from recorded ops, so gradients come from their rules; the in-place
ones go through ``inplace.py`` as ``add_`` does (a leaf that requires grad is refused
in grad mode; an array a graph saved cannot be overwritten).
"""

from __future__ import annotations

import sys

import numpy as np

from .multi_output_views import mark
from .selections import _axis, _in_range, _index
from .torch_elementwise_methods import ElementwiseMethods, float_operand


def _made(label, fn, args, check=False):
    """``fn(*args)`` on the values: ``ad.compile`` computes it again at each replay
    (a ``check``, which raises on bad values, even when its result goes unused)."""
    from .compile.hooks import made
    return made(label, fn, args, stateful=check)


def _as_tensor(value):
    from .tensor import Tensor
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))



def _as_operand(other):
    """``other`` as ``t / other`` takes it: a tensor, an array or a number as it is, a
    list as an array."""
    from .tensor import Tensor
    return other if isinstance(other, (Tensor, np.ndarray, np.generic, int, float, complex)) \
        else np.asarray(other)


def _integer_operands(t, other) -> bool:
    """Whether ``t`` and ``other`` promote to an integer dtype, as NumPy promotes them."""
    from .tensor import Tensor
    return np.result_type(t.data, other.data if isinstance(other, Tensor) else other).kind \
        in "iu"


def _integer_trunc_divide(t, other):
    """``t / other`` rounded toward zero, in the integers (exact, in their dtype, as
    PyTorch's ``div(..., rounding_mode='trunc')``): the floor quotient, plus one where
    the division is inexact and the signs differ."""
    from .ops.elementwise import where
    from .ops.piecewise import floor_divide
    quotient = floor_divide(t, other)
    inexact = (t - quotient * other) != 0
    signs_differ = (t < 0) != (other < 0)
    return where(inexact & signs_differ, quotient + 1, quotient)


def _scatter_key(where: str, t, dim, index, src):
    """The index arrays that PyTorch's ``scatter(dim, index, src)`` writes at, and the
    part of ``src`` (a tensor) or the number written there; refuses a position written
    twice with different values, where PyTorch's result is undefined (the same value
    twice, as a repetition penalty writes back what it gathered, is defined; but not
    when a gradient flows to ``src``: PyTorch's gives each repeat the whole gradient)."""
    index = _index(where, index)
    if t.ndim == 0:
        raise ValueError(f"{where}: a 0-d tensor has no dim to scatter along; reshape(1) "
                         "first")
    if index.ndim == 0 and t.ndim == 1:
        # PyTorch counts a 0-d index as 1-d: zeros(10).scatter_(0, tensor(y), value=1)
        index = index.reshape(1)
    if index.ndim != t.ndim:
        raise ValueError(f"{where}: the index has {index.ndim} axes (shape {index.shape}) "
                         f"but the tensor has {t.ndim} (shape {t.shape}); they must have "
                         "the same number")
    axis = _axis(where, dim, t.ndim)
    if not isinstance(src, (int, float, np.number, bool)):
        src = _as_tensor(src)
        if src.dtype != t.dtype:
            raise TypeError(f"{where}: src has dtype {src.dtype} but the tensor has "
                            f"{t.dtype}; they must match (src.astype(t.dtype))")
        if src.ndim == 0 and t.ndim == 1:
            src = src.reshape(1)                    # (so is a 0-d src)
        if src.ndim != t.ndim:
            raise ValueError(f"{where}: src has {src.ndim} axes (shape {src.shape}) but the "
                             f"tensor has {t.ndim} (shape {t.shape})")
        if any(m > n for m, n in zip(index.shape, src.shape)):
            raise ValueError(f"{where}: the index (shape {index.shape}) is larger than src "
                             f"(shape {src.shape}) along some dim")
        if src.shape != index.shape:
            src = src[tuple(slice(0, m) for m in index.shape)]
    for d, m in enumerate(index.shape):
        if d != axis and m > t.shape[d]:
            raise ValueError(f"{where}: the index (shape {index.shape}) is larger than the "
                             f"tensor (shape {t.shape}) along dim {d}, which is not dim "
                             f"{axis}")
    _in_range(where, index, t.shape[axis], axis)
    # (the other axes' positions depend on the shape alone: made again at each replay of
    # ad.compile, as NumPy arrays made here would be refused as made from values)
    key = tuple(index if d == axis else _made(f"{where} positions", _positions_along,
                                              (d, index.shape))
                for d in range(index.ndim))
    # (checked again at each replay of ad.compile, on that call's index)
    from .graph import is_grad_enabled
    # (the values written, or None when a gradient flows to them: any repeat refused)
    if not hasattr(src, "data"):
        written = src
    else:
        written = None if src.requires_grad and is_grad_enabled() else src.data
    _made(f"{where} positions check", _distinct_positions,
          (where, index, axis, t.shape, written), check=True)
    return key, src


def _positions_along(d, shape):
    """``0 ... shape[d] - 1`` along axis ``d`` of an array of ``len(shape)`` axes."""
    return np.arange(shape[d]).reshape([m if e == d else 1 for e, m in enumerate(shape)])


def _distinct_positions(where, index, axis, shape, written):
    """Raise when some position is written twice with different values (``written``:
    the values, shaped as ``index``, or one number; None: any repeat is refused)."""
    key = tuple(index if d == axis else _positions_along(d, index.shape)
                for d in range(index.ndim))
    positions = np.ravel_multi_index(np.broadcast_arrays(*key), shape).ravel()
    if np.unique(positions).size == positions.size or (
            written is not None and np.ndim(written) == 0):
        return True
    if written is None:
        raise ValueError(
            f"{where}: the index (shape {index.shape}) writes some position of the tensor "
            f"(shape {shape}) more than once along dim {axis}, and src requires grad: "
            "PyTorch gives each repeated entry of src the whole gradient of its position, "
            "which is not done here. Scatter under torch.no_grad() or src.detach() (repeats "
            "of equal values are then taken), use distinct indices, or scatter_add to add "
            "the values up")
    order = np.argsort(positions, kind="stable")
    values = np.asarray(written).ravel()[order]
    repeats = positions[order][1:] == positions[order][:-1]
    if not (repeats & (values[1:] != values[:-1])).any():
        return True
    raise ValueError(
        f"{where}: the index (shape {index.shape}) writes some position of the tensor "
        f"(shape {shape}) more than once along dim {axis}, with different values; "
        "PyTorch leaves which value lands there undefined, so it is refused. Use distinct "
        "indices along the dim, or scatter_add to add the values up")


def _narrow_int(name: str, value) -> int:
    """``narrow``'s ``start`` or ``length``: an int, or a 0-d integer tensor as PyTorch
    takes one (``x.narrow(0, ad.tensor(1), 2)``)."""
    from .tensor import Tensor
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "iu":
        hook = sys.modules[__package__ + ".tensor"].value_hook   # set by ad.compile
        if hook is not None:        # (a condition of the plan, or refused when traced)
            hook(value, f"narrow's {name}, an integer index,")
        return int(value.data)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        shown = f"{value!r} ({value.dtype}, shape {value.shape})" \
            if isinstance(value, Tensor) else repr(value)
        raise TypeError(f"narrow: {name} must be an int or a 0-d integer tensor, got "
                        f"{shown}; pass an int")
    return int(value)


class TorchMethods(ElementwiseMethods):
    """PyTorch's Tensor methods (mixed into ``Tensor``; see the module docstring)."""

    __slots__ = ()

    # ----- splitting and selecting ----------------------------------------------
    def split(self, split_size_or_sections, dim: int = 0):
        """PyTorch's ``split``: pieces of ``split_size`` entries along ``dim`` (the last
        one smaller), or of the sizes in a list, which must add up to the dim's size.
        (``ad.split`` is NumPy's: a number of equal parts, or cut points.)

        >>> [p.shape for p in ad.tensor(np.arange(5.0)).split(2)]
        [(2,), (2,), (1,)]
        >>> [p.shape for p in ad.tensor(np.arange(5.0)).split([1, 4])]
        [(1,), (4,)]
        """
        from .ops.shape import split
        if self.ndim == 0:
            raise ValueError("split: a 0-d tensor has no dim to split; reshape(1) first")
        axis = _axis("split", dim, self.ndim)
        n = self.shape[axis]
        sizes = split_size_or_sections
        if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, bool):
            if sizes < 0 or (sizes == 0 and n):
                raise ValueError(f"split: split_size must be positive (0 only for a dim of "
                                 f"size 0), got {sizes} for dim {axis} of size {n}")
            if n == 0:
                return (self,)
            points = list(range(int(sizes), n, int(sizes)))
        elif isinstance(sizes, (list, tuple)) and all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                for s in sizes):
            if sum(sizes) != n:
                raise ValueError(f"split: the sizes {list(sizes)} add up to {sum(sizes)}, "
                                 f"but dim {axis} has size {n} (shape {self.shape}); they "
                                 "must add up to it exactly")
            points = list(np.cumsum(sizes[:-1], dtype=int)) if sizes else []
        else:
            raise TypeError(f"split: split_size_or_sections must be an int or a list of "
                            f"non-negative ints, got {sizes!r}")
        return mark(split(self, points, axis=axis), "split")

    def unbind(self, dim: int = 0):
        """The slices along ``dim``, each without that dim, as a tuple (PyTorch's).

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).unbind(1)
        (tensor([1., 3.]), tensor([2., 4.]))
        """
        if self.ndim == 0:
            raise ValueError("unbind: a 0-d tensor has no dim to unbind; reshape(1) first")
        axis = _axis("unbind", dim, self.ndim)
        return mark((self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis])),
                    "unbind")

    def narrow(self, dim: int, start: int, length: int):
        """The ``length`` entries from ``start`` along ``dim`` (negative ``start`` counts
        from the end), as PyTorch's ``narrow``.

        >>> ad.tensor([1.0, 2.0, 3.0, 4.0]).narrow(0, 1, 2)
        tensor([2., 3.])
        """
        if self.ndim == 0:
            raise ValueError("narrow: a 0-d tensor has no dim to narrow; reshape(1) first")
        axis = _axis("narrow", dim, self.ndim)
        n = self.shape[axis]
        start, length = _narrow_int("start", start), _narrow_int("length", length)
        if not -n <= start <= n:
            raise IndexError(f"narrow: start={start} is out of range for dim {axis} of size "
                             f"{n}; use a start in [{-n}, {n}]")
        start = int(start) % n if start < 0 else int(start)
        if length < 0 or start + length > n:
            raise IndexError(f"narrow: start={start} with length={length} goes past dim "
                             f"{axis} of size {n} (shape {self.shape}); need 0 <= length <= "
                             f"{n - start}")
        return self[(slice(None),) * axis + (slice(start, start + int(length)),)]

    def masked_select(self, mask):
        """The entries where the bool ``mask`` (broadcast with the tensor) is true, as a
        1-D tensor (PyTorch's ``masked_select``); the gradient goes back to them.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).masked_select(np.array([True, False]))
        tensor([1., 3.])
        """
        from .compile.refusals import refuse_while_tracing
        from .ops.shape import broadcast_to
        from .tensor import Tensor
        if isinstance(mask, (Tensor, np.ndarray)):
            refuse_while_tracing(
                "masked_select", "how many entries it selects (the length of its result) "
                "is read from the mask's values", "Use ad.where(mask, t, 0) (and the "
                "mask's sum as a count), or select outside the compiled function.")
        mask = np.asarray(getattr(mask, "data", mask))
        if mask.dtype != bool:
            raise TypeError(f"masked_select: the mask must be bool, got {mask.dtype} (shape "
                            f"{mask.shape}); compare first, e.g. t > 0")
        try:
            shape = np.broadcast_shapes(self.shape, mask.shape)
        except ValueError:
            raise ValueError(f"masked_select: the mask (shape {mask.shape}) does not "
                             f"broadcast with the tensor (shape {self.shape})") from None
        x = self if self.shape == shape else broadcast_to(self, shape)
        return x[np.broadcast_to(mask, shape)].reshape(-1)

    def scatter(self, dim: int, index, src=None, *, reduce=None, value=None):
        """A copy with ``src[i][j]`` written at ``[index[i][j]][j]`` for ``dim=0``
        (PyTorch's ``scatter``; ``src`` may be a number, also given as ``value=``).
        Gradients: ``src`` gets ``g`` gathered at ``index``, the tensor gets ``g`` with
        the written positions zeroed.  An index that writes a position twice along
        ``dim`` is refused (PyTorch leaves the result undefined), unless the values
        written there are equal (a number, or a ``src`` no gradient flows to).  ``reduce='add'`` or
        ``'multiply'`` combines ``src`` into the entries instead (repeats accumulate):
        ``scatter_reduce`` with ``'sum'`` or ``'prod'``.

        >>> ad.tensor(np.zeros(4)).scatter(0, np.array([3, 0]), ad.tensor([1.0, 2.0]))
        tensor([2., 0., 0., 1.])
        >>> ad.tensor(np.ones(2)).scatter(0, np.array([1, 1]), 3.0, reduce="multiply")
        tensor([1., 9.])
        """
        from .ops.indexing import setitem
        src = self._scatter_source("scatter", src, reduce, value)
        if reduce is not None:
            return self._scatter_reduced("scatter", dim, index, src, reduce)
        key, src = _scatter_key("scatter", self, dim, index, src)
        return setitem(self, src, key)

    def scatter_(self, dim: int, index, src=None, *, reduce=None, value=None):
        """``scatter`` in place (the rules of ``add_``); returns self.

        >>> t = ad.tensor(np.zeros(3)); t.scatter_(0, np.array([2]), 5.0)
        tensor([0., 0., 5.])
        """
        from .inplace import fill, set_item
        src = self._scatter_source("scatter_", src, reduce, value)
        if reduce is not None:
            from .inplace import bypass_hooked_views
            bypass_hooked_views(self)
            return fill(self, self._scatter_reduced("scatter_", dim, index, src, reduce),
                        "scatter_")
        key, src = _scatter_key("scatter_", self, dim, index, src)
        set_item(self, key, src, "scatter_")
        return self

    @staticmethod
    def _scatter_source(where, src, reduce, value):
        if reduce not in (None, "add", "multiply"):
            raise ValueError(f"{where}: reduce must be 'add' or 'multiply' (as PyTorch's), got "
                             f"{reduce!r}; scatter_reduce takes 'sum', 'prod', 'mean', "
                             "'amax' and 'amin'")
        if (src is None) == (value is None):
            raise TypeError(f"{where}: pass either src (a tensor or a number) or value= (a "
                            f"number), as PyTorch takes them; got src={src!r}, value={value!r}")
        return src if value is None else value

    def _scatter_reduced(self, where, dim, index, src, reduce):
        """``scatter(..., reduce=)``: ``src`` (a number: one per index entry) combined
        into the tensor's entries by ``scatter_reduce``."""
        from .compile.hooks import made
        from .selections import _index
        from .tensor import Tensor
        if not isinstance(src, Tensor) and np.ndim(src) == 0:
            index_shape = _index(where, index).shape
            src = made(f"{where} value", np.full, (index_shape, src, self.dtype))
        return self.scatter_reduce(dim, index, src, "sum" if reduce == "add" else "prod")

    def outer(self, vec2):
        """The outer product of two 1-D tensors, as PyTorch's ``outer`` (``np.outer``
        flattens its inputs instead: ``ad.outer``).

        >>> ad.tensor([1.0, 2.0]).outer(ad.tensor([1.0, 10.0]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
        """
        from .ops.products import outer
        other_shape = np.shape(getattr(vec2, "data", vec2))
        if self.ndim != 1 or len(other_shape) != 1:
            raise ValueError(f"outer: needs two 1-D tensors, got shapes {self.shape} and "
                             f"{other_shape}; flatten them first (or ad.outer, NumPy's, "
                             "which flattens)")
        return outer(self, vec2)

    # ----- elementwise math under PyTorch's names ---------------------------------
    def positive(self):
        """The tensor itself, as PyTorch's ``positive``."""
        return self

    def frac(self):
        """The fractional part ``x - trunc(x)`` (sign of ``x``), gradient 1, as PyTorch.

        >>> ad.tensor([1.5, -1.25]).frac()
        tensor([ 0.5 , -0.25])
        """
        from .ops.piecewise import trunc
        return self - trunc(self)

    def rsqrt(self):
        """``1 / sqrt(x)``, as PyTorch's ``rsqrt`` (inf at 0, NaN below).

        >>> ad.tensor([4.0, 0.25]).rsqrt()
        tensor([0.5, 2. ])
        """
        from .ops.elementwise import power
        return power(self, -0.5)

    def logit(self, eps=None):
        """``log(x / (1 - x))``, with ``x`` first clamped to ``[eps, 1 - eps]`` when
        ``eps`` is given (gradient 0 outside it), as PyTorch's ``logit``.

        >>> ad.tensor([0.5, 0.0]).logit(eps=0.25)
        tensor([ 0.        , -1.09861229])
        """
        from .ops.elementwise import clip, log, log1p
        from .ops.half_activations import activation_in_float32, rounds_once
        self = float_operand(self)
        if rounds_once(self) and (eps is None or eps <= 0.5):     # in float32, as PyTorch
            return activation_in_float32(self, "logit", () if eps is None else (float(eps),))
        if eps is None or eps <= 0.5:
            x = self if eps is None else clip(self, eps, 1 - eps)
        else:       # an empty [eps, 1 - eps]: PyTorch's order, eps below it, 1 - eps above
            from .ops.elementwise import where
            x = where(self < eps, eps, where(self > 1 - eps, 1 - eps, self))
        return log(x) - log1p(-x)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN and ±inf replaced (by 0 and the largest finite values unless given), as
        PyTorch's ``nan_to_num``; the replaced entries get no gradient.

        >>> ad.tensor([np.nan, 1.0]).nan_to_num()
        tensor([0., 1.])
        """
        from .ops.piecewise import nan_to_num
        return nan_to_num(self, nan=nan, posinf=posinf, neginf=neginf)

    def add(self, other, *, alpha=1):
        """``self + alpha * other``, as PyTorch's ``add``.

        >>> ad.tensor([1.0]).add(ad.tensor([2.0]), alpha=3)
        tensor([7.])
        """
        _refuse_alpha_of_another_kind(self, other, alpha, "add")
        return self + _alpha_times(self, other, alpha)

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``, as PyTorch's ``sub``.

        >>> ad.tensor([1.0]).sub(2.0, alpha=2)
        tensor([-3.])
        """
        _refuse_alpha_of_another_kind(self, other, alpha, "sub")
        return self - _alpha_times(self, other, alpha)

    subtract = sub

    def div(self, other, *, rounding_mode=None):
        """``self / other``, rounded toward zero (``'trunc'``) or down (``'floor'``) when
        ``rounding_mode`` says so, as PyTorch's ``div``.

        >>> ad.tensor([-7.0]).div(2.0, rounding_mode="trunc")
        tensor([-3.])
        """
        from .integer_division import refuse_integer_division_by_zero
        from .ops.piecewise import floor_divide, trunc_divide
        if rounding_mode is None:
            return self / other
        if rounding_mode in ("trunc", "floor"):
            refuse_integer_division_by_zero(f"div (rounding_mode={rounding_mode!r})",
                                            "floor_divide", self, other)
        if rounding_mode == "trunc":
            other = _as_operand(other)
            if _integer_operands(self, other):
                return _integer_trunc_divide(self, other)
            return trunc_divide(self, other)
        if rounding_mode == "floor":
            return floor_divide(self, other)
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                         f"{rounding_mode!r}")

    divide = div

    def polygamma(self, n: int):
        """The n-th derivative of digamma at the entries, as PyTorch's
        ``Tensor.polygamma(n)``: ``ad.polygamma(n, self)``, recorded.

        >>> ad.tensor([1.0]).polygamma(1)       # pi**2 / 6
        tensor([1.64493407])
        """
        from .ops.special import polygamma
        return polygamma(n, self)

    def isposinf(self):
        """Where the entries are +inf (a bool tensor, no gradient)."""
        return _as_tensor(_made("isposinf", np.isposinf, (self.data,)))

    def isneginf(self):
        """Where the entries are -inf (a bool tensor, no gradient)."""
        return _as_tensor(_made("isneginf", np.isneginf, (self.data,)))




def _refuse_alpha_of_another_kind(t, other, alpha, where: str) -> None:
    """Raise where PyTorch's ``add``/``sub`` refuse ``alpha``: a float one when the
    result is integral (``int_tensor.add(ints, alpha=0.5)`` would turn it into floats),
    a bool one when the result is not bool."""
    if not isinstance(alpha, (bool, float, np.bool_, np.floating)):
        return
    other = getattr(other, "data", other)
    if not isinstance(other, (int, float, complex, np.generic, np.ndarray)):
        other = np.asarray(other)           # (a list)
    if isinstance(alpha, (bool, np.bool_)):
        if np.result_type(t.data, other) != np.bool_:
            raise TypeError(f"{where}: a bool alpha ({alpha!r}) is only for bool tensors "
                            f"(this result is not bool: tensor dtype {t.dtype}), as in "
                            "PyTorch; pass alpha=1 or alpha=0")
        return
    result = np.result_type(t.data, other)
    if result.kind in "iub":
        raise TypeError(
            f"{where}: alpha={alpha!r} is a float, but the result is {result} "
            f"(tensor dtype {t.dtype}): PyTorch refuses a float alpha for integer "
            "tensors. Pass an int alpha, or convert first (t.double()).")


def bool_alpha_times(t, other, alpha):
    """``alpha * other`` where ``t.add(other)`` is bool: PyTorch reads ``alpha`` as a
    bool, so bool stays bool (and ``sub`` of bools is refused, as without ``alpha``);
    None where the result is not bool."""
    if t.dtype != np.bool_:
        return None
    values = getattr(other, "data", other)
    if np.result_type(t.data, np.asarray(values)) != np.bool_:
        return None
    return np.logical_and(other, bool(alpha))


def _alpha_times(t, other, alpha):
    """``alpha * other`` for ``t.add``/``t.sub``: ``other`` itself when ``alpha`` is 1."""
    if alpha == 1:
        return other
    scaled = bool_alpha_times(t, other, alpha)
    return _scaled(other, alpha) if scaled is None else scaled


def _scaled(other, alpha):
    """``alpha * other``; a list or tuple as an array (``[5] * 3`` would repeat it).  An
    array is multiplied by the op, so that a compiled step records it (``other`` may
    be a ``.grad`` array: ``exp_avg.mul(b1).add(p.grad, alpha=1 - b1)``), as ``add_``
    does."""
    if isinstance(other, (list, tuple)):
        other = np.asarray(other)
    if isinstance(other, np.ndarray):
        from .ops.elementwise import multiply
        return multiply(other, alpha)
    return other * alpha
