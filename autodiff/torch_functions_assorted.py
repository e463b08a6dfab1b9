"""More of PyTorch's top-level functions, with PyTorch's arguments: ``ad.rsub``,
``ad.fill``, ``ad.detach``, ``ad.adjoint``, ``ad.ger``, ``ad.addr``,
``ad.addbmm``, ``ad.chain_matmul``, ``ad.matrix_power``, ``ad.renorm``, ``ad.trapz``,
``ad.cumulative_trapezoid``, ``ad.aminmax``, ``ad.frobenius_norm``, ``ad.nuclear_norm``,
the out-of-place writes ``ad.index_copy``, ``index_fill``, ``index_put``,
``index_reduce``, ``masked_scatter``, ``diagonal_scatter``, ``select_scatter``,
``slice_scatter``, and the splits ``split_with_sizes``, ``unsafe_chunk``,
``unsafe_split``.  ``torch.range`` (deprecated, its end included) is ``ad.range``, looked
up on use so that ``from autodiff import *`` leaves the builtin alone.

Each is built from recorded ops or a Tensor method, so gradients come from their rules.

>>> ad.rsub(ad.tensor([1.0, 2.0]), 10.0)
tensor([9., 8.])
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .multi_output_views import mark, unmark
from .ops.operands import tensor_of
from .tensor import Tensor

__all__ = ["rsub", "fill", "detach", "adjoint", "ger", "addr", "addbmm",
           "chain_matmul", "matrix_power", "renorm", "trapz", "cumulative_trapezoid",
           "aminmax", "frobenius_norm", "nuclear_norm", "index_copy", "index_fill",
           "index_put", "index_reduce", "masked_scatter", "diagonal_scatter",
           "select_scatter", "slice_scatter", "split_with_sizes", "unsafe_chunk",
           "unsafe_split", "torch_range", "igamma", "igammac"]


def rsub(input, other, *, alpha=1) -> Tensor:
    """``other - alpha * input``, as ``torch.rsub``.

    >>> ad.rsub(ad.tensor([1.0, 2.0]), 10.0, alpha=2)
    tensor([8., 6.])
    """
    input = tensor_of(input, other)
    return other - (input if alpha == 1 else alpha * input)


def fill(input, value) -> Tensor:
    """A tensor of ``input``'s shape and dtype holding ``value`` (a number or 0-d
    tensor, which gets the gradient), as ``torch.fill``; ``input`` gets a zero gradient.

    >>> ad.fill(ad.tensor([1.0, 2.0]), 7)
    tensor([7., 7.])
    """
    from .ops.elementwise import where
    input = tensor_of(input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ValueError(f"fill: value must be a number or a 0-d tensor, got a tensor of "
                         f"shape {value.shape}")
    everywhere = np.ones(input.shape, dtype=bool)
    filled = where(everywhere, value, input)
    return filled if filled.dtype == input.dtype else filled.astype(input.dtype)


def detach(input) -> Tensor:
    """``input.detach()``: the same values, off the tape.

    >>> ad.detach(ad.tensor([1.0], requires_grad=True)).requires_grad
    False
    """
    return tensor_of(input).detach()


def adjoint(input) -> Tensor:
    """The conjugate transpose of the last two dims, as ``torch.adjoint`` (``x.mH``).

    >>> ad.adjoint(ad.tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    input = tensor_of(input)
    if input.ndim == 1:
        raise ValueError(f"adjoint: expects a 0-d tensor or one of at least 2 dims, got "
                         f"shape {input.shape}; for a vector use x.conj()")
    swapped = input.swapaxes(-1, -2) if input.ndim else input[...]     # (0-d: itself)
    return swapped.conj() if np.iscomplexobj(input.data) else swapped


def _vector(x, where, name):
    x = tensor_of(x)
    if x.ndim != 1:
        raise ValueError(f"{where}: {name} must be 1-D, got shape {x.shape}")
    return x


def ger(input, vec2) -> Tensor:
    """The outer product of two vectors, as ``torch.ger`` (``torch.outer``).

    >>> ad.ger(ad.tensor([1.0, 2.0]), ad.tensor([3.0]))
    tensor([[3.],
            [6.]])
    """
    from . import outer
    return outer(_vector(input, "ger", "input"), _vector(vec2, "ger", "vec2"))


def scaled_sum(name, input, product, beta, alpha, input_name="input") -> Tensor:
    """``beta * input + alpha * product`` for ``addmm`` and its kin, by PyTorch's rule for
    ``beta == 0``: the values of ``input`` are ignored (NaN and inf in it do not
    propagate), yet ``input`` still gets a gradient, of zeros, as in PyTorch."""
    from .creation import zeros_like
    from .ops.elementwise import where
    input = tensor_of(input)
    try:
        fits = np.broadcast_shapes(input.shape, product.shape) == product.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {input_name} of shape {input.shape} does not broadcast "
                         f"to the product's shape {product.shape}")
    floats = [f"{k}={v!r}" for k, v in (("beta", beta), ("alpha", alpha))
              if isinstance(v, (float, np.floating))]
    if floats and np.result_type(input.data, product.data).kind in "biu":
        # (as addcmul's value=: a float result here would be silently another dtype)
        raise TypeError(
            f"{name}: {' and '.join(floats)} is a float, but the tensors are integers "
            f"({input.dtype}, {product.dtype}): PyTorch rounds it toward zero (0.5 "
            "becomes 0) and keeps the integer dtype. Pass an int, or convert first "
            "(t.double())")
    product = product if alpha == 1 else product * alpha
    if beta != 0:
        return product + (input if beta == 1 else input * beta)
    if not input.requires_grad:
        return product
    return product + where(zeros_like(input, dtype=bool), input, 0.0)


def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``, as ``torch.addr``.

    >>> ad.addr(ad.zeros((2, 1)), ad.tensor([1.0, 2.0]), ad.tensor([3.0]))
    tensor([[3.],
            [6.]])
    """
    return scaled_sum("addr", input, ger(vec1, vec2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_i batch1[i] @ batch2[i]``, as ``torch.addbmm``.

    >>> ad.addbmm(ad.zeros((1, 1)), ad.ones((3, 1, 2)), ad.ones((3, 2, 1)))
    tensor([[6.]])
    """
    from . import bmm
    return scaled_sum("addbmm", input, bmm(batch1, batch2).sum(axis=0), beta, alpha)


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of 2-D matrices, as the deprecated ``torch.chain_matmul`` (write
    ``ad.linalg.multi_dot(matrices)``).

    >>> ad.chain_matmul(ad.ones((2, 3)), ad.ones((3, 1))).shape
    (2, 1)
    """
    warnings.warn("chain_matmul is deprecated: use ad.linalg.multi_dot", UserWarning,
                  stacklevel=2)
    if out is not None:
        raise TypeError("chain_matmul: out= is not supported; assign the result")
    if not matrices:
        raise ValueError("chain_matmul: expects at least one matrix")
    matrices = [tensor_of(m) for m in matrices]
    for m in matrices:
        if m.ndim != 2:
            raise ValueError(f"chain_matmul: expects 2-D matrices, got shape {m.shape}")
    if len(matrices) == 1:
        return matrices[0].clone()
    from .linalg import multi_dot
    return multi_dot(matrices)


def matrix_power(input, n) -> Tensor:
    """``input @ input @ ...`` ``n`` times (``n < 0``: of the inverse), as
    ``torch.matrix_power``.

    >>> ad.matrix_power(ad.tensor([[2.0]]), 3)
    tensor([[8.]])
    """
    from .linalg import matrix_power as linalg_matrix_power
    return linalg_matrix_power(input, n)


def renorm(input, p, dim, maxnorm) -> Tensor:
    """Each slice along ``dim`` rescaled to p-norm at most ``maxnorm``, as ``torch.renorm``.

    >>> ad.renorm(ad.tensor([[3.0, 4.0]]), 2, 0, 1.0)
    tensor([[0.59999999, 0.79999998]])
    """
    return tensor_of(input).renorm(p, dim, maxnorm)


def _trapezoid_terms(where, y, x, dx, dim):
    """The areas of the trapezoids along ``dim``, as ``torch.trapezoid`` spaces them:
    ``x`` (1-D along ``dim``, or broadcasting to ``y``) or a constant ``dx``."""
    from . import diff, movedim
    y = tensor_of(y)
    if y.ndim == 0:
        raise ValueError(f"{where}: y must have at least one dim, got a 0-d tensor")
    if x is not None and dx is not None:
        raise TypeError(f"{where}: pass x or dx, not both")
    y_last = movedim(y, dim, -1)
    sums = y_last[..., 1:] + y_last[..., :-1]
    if x is None:
        return movedim(sums * ((1.0 if dx is None else dx) / 2.0), -1, dim)
    x = tensor_of(x)
    if x.ndim == 1:
        if x.shape[0] != y_last.shape[-1]:
            raise ValueError(f"{where}: a 1-D x needs y.shape[dim] = {y_last.shape[-1]} "
                             f"points, got {x.shape[0]}")
        spacing = diff(x)
    else:
        spacing = diff(movedim(x, dim, -1), axis=-1)
    return movedim(sums * spacing / 2.0, -1, dim)


def trapz(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """The trapezoid rule along ``dim``, as ``torch.trapz`` (``torch.trapezoid``).

    >>> ad.trapz(ad.tensor([1.0, 2.0, 3.0]))
    tensor(4.)
    """
    return _trapezoid_terms("trapz", y, x, dx, dim).sum(axis=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """The running trapezoid rule along ``dim`` (one entry fewer), as
    ``torch.cumulative_trapezoid``.

    >>> ad.cumulative_trapezoid(ad.tensor([1.0, 2.0, 3.0]))
    tensor([1.5, 4. ])
    """
    from .ops.cumulative import cumsum
    return cumsum(_trapezoid_terms("cumulative_trapezoid", y, x, dx, dim), axis=dim)


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` as a named pair, as ``torch.aminmax``.

    >>> ad.aminmax(ad.tensor([3.0, 1.0, 2.0])).max
    tensor(3.)
    """
    return tensor_of(input).aminmax(dim=dim, keepdim=keepdim)


def frobenius_norm(input, dim, keepdim=False) -> Tensor:
    """``sqrt(sum(x ** 2))`` over ``dim``, as the deprecated ``torch.frobenius_norm`` (write
    ``ad.linalg.vector_norm(x, 2, dim, keepdim)``).

    >>> ad.frobenius_norm(ad.tensor([[3.0, 4.0]]), (0, 1))
    tensor(5.)
    """
    from .linalg import vector_norm
    input = tensor_of(input)
    dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if input.ndim == 0:     # PyTorch reads dim 0 / -1 of a 0-d tensor as its one entry
        if any(d not in (0, -1) for d in dim):
            raise IndexError(f"frobenius_norm: dim {dim} is out of range for a 0-d tensor "
                             f"(0 or -1 expected)")
        return vector_norm(input.reshape((1,)), 2, 0)
    return vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, dim=None, keepdim=False) -> Tensor:
    """The sum of singular values over the two ``dim`` (the last two by default), as the
    deprecated ``torch.nuclear_norm`` (write ``ad.linalg.matrix_norm(x, 'nuc')``).

    >>> ad.nuclear_norm(ad.tensor([[3.0, 0.0], [0.0, 4.0]]))
    tensor(7.)
    """
    from .linalg import matrix_norm
    if isinstance(dim, bool):        # torch.nuclear_norm(x, keepdim) positionally
        dim, keepdim = None, dim
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


def index_copy(input, dim, index, source) -> Tensor:
    """``input.index_copy(dim, index, source)``: a copy with the slices at ``index``
    replaced.

    >>> ad.index_copy(ad.zeros(3), 0, ad.tensor([2]), ad.tensor([5.0]))
    tensor([0., 0., 5.])
    """
    return tensor_of(input).index_copy(dim, index, source)


def index_fill(input, dim, index, value) -> Tensor:
    """``input.index_fill(dim, index, value)``.

    >>> ad.index_fill(ad.zeros(3), 0, ad.tensor([0]), 1.0)
    tensor([1., 0., 0.])
    """
    return tensor_of(input).index_fill(dim, index, value)


def index_put(input, indices, values, accumulate=False) -> Tensor:
    """``input.index_put(indices, values, accumulate)``.

    >>> ad.index_put(ad.zeros(3), (ad.tensor([1]),), ad.tensor([2.0]))
    tensor([0., 2., 0.])
    """
    return tensor_of(input).index_put(indices, values, accumulate)


def masked_scatter(input, mask, source) -> Tensor:
    """``input.masked_scatter(mask, source)``.

    >>> ad.masked_scatter(ad.zeros(3), ad.tensor([True, False, True]), ad.ones(2))
    tensor([1., 0., 1.])
    """
    return tensor_of(input).masked_scatter(mask, source)


def index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor:
    """The slices of ``source`` reduced (``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``)
    into ``input``'s slices at ``index`` along ``dim``, as ``torch.index_reduce``.

    >>> ad.index_reduce(ad.ones(2), 0, ad.tensor([0, 0]), ad.tensor([2.0, 3.0]), "prod")
    tensor([6., 1.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', "
                         f"got {reduce!r}")
    input, source, given_index = tensor_of(input), tensor_of(source), tensor_of(index)
    index = np.asarray(given_index.data)
    if index.ndim > 1 or index.dtype.kind not in "iu":
        raise ValueError(f"index_reduce: index must be a 1-D integer tensor, got shape "
                         f"{index.shape} of dtype {index.dtype}")
    if input.ndim == 0:         # PyTorch reads a 0-d tensor as its one entry
        if dim not in (0, -1) or source.ndim != 0 or index.size != 1:
            raise ValueError(f"index_reduce: a 0-d input takes dim 0, one index and a 0-d "
                             f"source, got dim {dim}, source shape {source.shape} and "
                             f"{index.size} indices")
        return index_reduce(input.reshape((1,)), 0, index, source.reshape((-1,)), reduce,
                            include_self=include_self).reshape(())
    axis = dim % input.ndim
    # every dim but ``dim`` must match: scatter_reduce would take a narrower source
    expected = input.shape[:axis] + (index.size,) + input.shape[axis + 1:]
    if source.shape != expected:
        raise ValueError(f"index_reduce: source of shape {source.shape} must have input's "
                         f"shape {input.shape} with dim {dim} of index's length "
                         f"{index.size}, i.e. {expected}")
    if reduce == "prod":
        _guard_repeats(given_index, index, input.shape[axis])
    from .compile.hooks import made     # (made again from each replay's index)
    spread = made("index_reduce index", _spread_along, (index, axis, source.shape))
    return input.scatter_reduce(dim, spread, source, reduce, include_self=include_self)


def _repeat_profile(index, size: int) -> tuple:
    """How many positions of an axis of ``size`` the 1-D ``index`` reaches no time,
    once, twice, ...: it sets how many layers of products ``'prod'`` multiplies, and
    their sizes.  (Here position 1 is not reached, 0 and 2 are reached twice.)

    >>> _repeat_profile(np.array([0, 2, 0, -1]), 3)
    (1, 0, 2)
    """
    counts = np.bincount(np.asarray(index).reshape(-1) % size, minlength=size)
    return tuple(np.bincount(counts).tolist())


def _guard_repeats(given_index, index, size: int) -> None:
    """Under ``ad.compile``, ``'prod'``'s index: an argument of the compiled function
    is guarded (a call whose index repeats positions otherwise traces again); one
    computed in the call is refused, its repeats being fixed into the plan.  (One
    made before the call is read again at each replay, whose check of the products'
    shapes stops a replay if it was changed to repeat positions otherwise.)"""
    from .compile import hooks
    from .compile.refusals import refuse_traced_values
    tracer = hooks.active
    if tracer is None or not tracer.owns_thread() or tracer.from_before(given_index):
        return
    profile = _repeat_profile(index, size) if size else ()
    if size and hooks.branch("index_reduce 'prod''s repeats", index,
                             lambda a: _repeat_profile(a, size), profile):
        return
    refuse_traced_values(given_index, "index_reduce", "how often the index repeats a "
                         "position sets how many products it takes", "Pass the index "
                         "to the compiled function, or make it a constant (an ndarray "
                         "made outside the compiled function)")


def _spread_along(index, axis, shape) -> np.ndarray:
    """The 1-D ``index`` placed along ``axis`` of an array of ``shape``, repeated along
    the other axes (``scatter_reduce``'s index for ``index_reduce``)."""
    placed = np.expand_dims(index.reshape(-1), tuple(d for d in range(len(shape)) if d != axis))
    return np.broadcast_to(placed, shape).copy()


def _scatter_into(input, src, key) -> Tensor:
    from .ops.indexing import setitem
    return setitem(tensor_of(input), src, key)


def _expect_shape(where, src, shape):
    src = tensor_of(src)
    if src.shape != tuple(shape):
        raise ValueError(f"{where}: src must have shape {tuple(shape)} (the part it "
                         f"replaces), got {src.shape}")
    return src


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:
    """A copy of ``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src``,
    as ``torch.diagonal_scatter``.

    >>> ad.diagonal_scatter(ad.zeros((2, 2)), ad.ones(2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    input = tensor_of(input)
    src = _expect_shape("diagonal_scatter", src, input.diagonal(offset, dim1, dim2).shape)
    first, second = dim1 % input.ndim, dim2 % input.ndim
    length = src.shape[-1]
    rows = np.arange(length) + max(-offset, 0)
    key = [slice(None)] * input.ndim
    key[first], key[second] = rows, rows + offset
    # NumPy puts the indexed dim where the two were when they are neighbours, else first.
    place = min(first, second) if abs(first - second) == 1 else 0
    from . import movedim
    return _scatter_into(input, movedim(src, -1, place), tuple(key))


def select_scatter(input, src, dim, index) -> Tensor:
    """A copy of ``input`` with ``input.select(dim, index)`` replaced by ``src``, as
    ``torch.select_scatter``.

    >>> ad.select_scatter(ad.zeros((2, 2)), ad.ones(2), 0, 1)
    tensor([[0., 0.],
            [1., 1.]])
    """
    input = tensor_of(input)
    axis = dim % input.ndim
    if not -input.shape[axis] <= index < input.shape[axis]:
        raise IndexError(f"select_scatter: index {index} is out of range for dim {dim} of "
                         f"size {input.shape[axis]}")
    key = (slice(None),) * axis + (index,)
    src = _expect_shape("select_scatter", src, input.shape[:axis] + input.shape[axis + 1:])
    return _scatter_into(input, src, key)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor:
    """A copy of ``input`` with ``input[start:end:step]`` along ``dim`` replaced by
    ``src``, as ``torch.slice_scatter``.

    >>> ad.slice_scatter(ad.zeros(4), ad.ones(2), start=2)
    tensor([0., 0., 1., 1.])
    """
    input = tensor_of(input)
    if step <= 0:
        raise ValueError(f"slice_scatter: step must be positive, got {step}")
    axis = dim % input.ndim
    key = (slice(None),) * axis + (slice(start, end, step),)
    src = _expect_shape("slice_scatter", src, input.data[key].shape)
    return _scatter_into(input, src, key)


def split_with_sizes(input, split_sizes, dim=0) -> tuple:
    """Pieces of the given sizes along ``dim`` (which must add up to its length), as
    ``torch.split_with_sizes``.

    >>> [p.shape for p in ad.split_with_sizes(ad.zeros(5), [2, 3])]
    [(2,), (3,)]
    """
    input = tensor_of(input)
    sizes = [int(s) for s in split_sizes]
    length = input.shape[dim]
    if sum(sizes) != length or any(s < 0 for s in sizes):
        raise ValueError(f"split_with_sizes: split_sizes {sizes} must be non-negative and "
                         f"add up to {length}, the length of dim {dim}")
    return mark(input.split(sizes, dim), "split_with_sizes")


def unsafe_chunk(input, chunks, dim=0) -> tuple:
    """``ad.chunk`` (``torch.unsafe_chunk``: the same pieces).

    >>> len(ad.unsafe_chunk(ad.zeros(5), 2))
    2
    """
    from . import chunk
    return unmark(chunk(input, chunks, dim))


def unsafe_split(tensor, split_size_or_sections, dim=0) -> tuple:
    """``tensor.split(split_size_or_sections, dim)`` (``torch.unsafe_split``).

    >>> len(ad.unsafe_split(ad.zeros(5), 2))
    3
    """
    return unmark(tensor_of(tensor).split(split_size_or_sections, dim))


def torch_range(start=0, end=None, step=1, *, dtype=None, requires_grad=False,
                device=None) -> Tensor:
    """``start, start + step, ...`` up to and including ``end``, in the default dtype
    (float64 here, float32 in PyTorch), as the deprecated ``torch.range`` (``ad.range``);
    write ``ad.arange(start, end + step, step)``, which leaves ``end`` out, instead.

    >>> ad.range(1, 4)
    tensor([1., 2., 3., 4.])
    """
    from . import get_default_dtype
    warnings.warn("ad.range is deprecated, as torch.range: use ad.arange, which produces "
                  "values in [start, end)", UserWarning, stacklevel=2)
    if end is None:
        raise TypeError("range: missing the required argument end (start defaults to 0 "
                        "only when end is given by keyword)")
    if step == 0:
        raise ValueError("range: step must be nonzero")
    count = math.floor((end - start) / step) + 1
    if count < 0 or (end - start) * step < 0:
        raise ValueError(f"range: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")
    dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
    values = start + np.arange(count, dtype=np.float64) * step
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def igamma(input, other) -> Tensor:
    """PyTorch's ``igamma``: ``ad.special.gammainc`` (a gradient in ``other`` only).

    >>> round(float(ad.igamma(ad.tensor(1.0), ad.tensor(2.0))), 6)
    0.864665
    """
    from .special import gammainc
    return gammainc(input, other)


def igammac(input, other) -> Tensor:
    """PyTorch's ``igammac``: ``ad.special.gammaincc`` (a gradient in ``other`` only).

    >>> round(float(ad.igammac(ad.tensor(1.0), ad.tensor(2.0))), 6)
    0.135335
    """
    from .special import gammaincc
    return gammaincc(input, other)
