"""Creating tensors: ``zeros ones full eye arange linspace logspace *_like rand randn``.

NumPy's semantics and defaults (float64 unless ``dtype=`` says otherwise; ``arange``
of integers gives integers), with PyTorch's conveniences: the shape may be given as
separate numbers (``ad.zeros(2, 3)``), every function takes ``requires_grad=``, and
the random ones take ``rng=`` (an int seed, an ``ad.Generator`` or a
``np.random.Generator``; PyTorch's ``generator=`` means the same; without them they
draw from the library's generator, reseeded by ``ad.nn.manual_seed``).
"""

from __future__ import annotations

import numpy as np

from . import inference_tensors as _inference_tensors
from .devices import check_device
from .missing_dtypes import numpy_dtype
from .compile.hooks import made
from .generator import chosen_rng
from .graph import is_grad_enabled
from .memory_formats import like_layout
from .ops.numpy_dispatch import implements, implements_without_gradient
from .tensor import Tensor


def _shape(shape: tuple, where: str, size=None) -> tuple:
    """The shape given as numbers, one tuple, or PyTorch's keyword ``size=``."""
    if size is not None:
        if shape:
            raise TypeError(f"{where}: got the shape both as arguments {shape!r} and as "
                            f"size={size!r}; give it once")
        shape = (size,) if isinstance(size, (tuple, list)) else ((size,),)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{where}: a shape is made of non-negative ints, got {shape!r}")
        if n < 0:       # NumPy's error type for a negative size
            raise ValueError(f"{where}: a shape is made of non-negative ints, got {shape!r}")
    return tuple(int(n) for n in shape)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    made = Tensor(array, requires_grad=requires_grad)
    if _inference_tensors.open_blocks:
        _inference_tensors.note(made)
    return made


def _like_dtype(t, dtype, where):
    if dtype is None:
        return np.asarray(t.data if isinstance(t, Tensor) else t).dtype
    return numpy_dtype(where, dtype)


def _dtype(where: str, dtype):
    """NumPy's dtype for ``dtype`` (a ``torch.dtype`` read by name), None kept."""
    return None if dtype is None else numpy_dtype(where, dtype)


def zeros(*shape, dtype=None, requires_grad: bool = False, device=None,
          size=None) -> Tensor:
    """A tensor of zeros (float64 unless ``dtype`` is given).

    >>> ad.zeros(2, 3).shape
    (2, 3)
    """
    check_device("zeros", device)
    dtype = _dtype("zeros", dtype)
    return _make(made("zeros", np.zeros, (_shape(shape, "zeros", size), dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False, device=None,
         size=None) -> Tensor:
    """A tensor of ones.

    >>> ad.ones((2,), requires_grad=True)
    tensor([1., 1.], requires_grad=True)
    """
    check_device("ones", device)
    dtype = _dtype("ones", dtype)
    return _make(made("ones", np.ones, (_shape(shape, "ones", size), dtype)), requires_grad)


def full(shape=None, fill_value=None, dtype=None, requires_grad: bool = False, *, device=None,
         size=None) -> Tensor:
    """A tensor filled with ``fill_value`` (NumPy's dtype rule: ``full(2, 1)`` is int);
    the shape is NumPy's ``shape`` or PyTorch's keyword ``size``.

    >>> ad.full((2,), 0.5), ad.full(size=(1,), fill_value=3.0)
    (tensor([0.5, 0.5]), tensor([3.]))
    """
    check_device("full", device)
    if fill_value is None:
        raise TypeError("full() missing the fill value: full(shape, fill_value) or "
                        "full(size=..., fill_value=...)")
    if shape is None and size is None:
        raise TypeError("full() missing the shape: full(shape, fill_value) or "
                        "full(size=..., fill_value=...)")
    given = () if shape is None else (shape if isinstance(shape, (tuple, list)) else (shape,),)
    shape = _shape(given, "full", size)
    dtype = _dtype("full", dtype)
    if isinstance(fill_value, Tensor):
        return _filled_with_tensor(shape, fill_value, dtype, requires_grad, "full")
    return _make(made("full", np.full, (shape, fill_value, dtype)), requires_grad)


def _filled_with_tensor(shape, value: Tensor, dtype, requires_grad, where) -> Tensor:
    """``full`` with a Tensor fill value: recorded (differentiable in the value) when it
    requires grad, as NumPy's ``np.full`` would drop it from the tape."""
    if value.size != 1:
        raise ValueError(f"{where}: fill_value must have one element, got a Tensor of shape "
                         f"{value.shape}; use ad.broadcast_to(value, shape) to repeat a tensor")
    if not (value.requires_grad and is_grad_enabled()):
        return _make(made(where, np.full, (shape, value.data.reshape(()),
                                           value.dtype if dtype is None else dtype)),
                     requires_grad)
    if requires_grad:
        raise TypeError(f"{where}: requires_grad=True is for a new leaf; with a fill_value "
                        "that requires grad the result is already recorded")
    from .ops.elementwise import astype, copy
    from .ops.shape import broadcast_to, reshape
    scalar = reshape(value, ())
    if dtype is not None and np.dtype(dtype) != value.dtype:
        scalar = astype(scalar, dtype)
    return copy(broadcast_to(scalar, shape))


def eye(n: int, m: int | None = None, k: int = 0, dtype=None,
        requires_grad: bool = False, *, device=None) -> Tensor:
    """The identity matrix (ones on diagonal ``k``).

    >>> ad.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    check_device("eye", device)
    dtype = _dtype("eye", dtype) or np.float64
    return _make(made("eye", np.eye, (n, m, k, dtype)), requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False, *,
           device=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (integers stay integers, as in NumPy).

    >>> ad.arange(3)
    tensor([0, 1, 2])
    >>> ad.arange(0.0, 1.0, 0.5)
    tensor([0. , 0.5])
    """
    check_device("arange", device)
    if stop is None:
        if start is None:   # np.arange(None) raises; an empty range would hide the None
            raise TypeError("arange: got None for stop; call arange(stop) or "
                            "arange(start, stop, step) with numbers")
        start, stop = 0, start
    dtype = _dtype("arange", dtype)
    return _make(made("arange", np.arange, (start, stop, step, dtype)), requires_grad)


def _num_or_steps(name: str, num: int, steps) -> int:
    """NumPy's ``num`` or PyTorch's ``steps=`` (the same argument), refusing both."""
    if steps is None:
        return num
    if num != 50:
        raise TypeError(f"{name}: got num={num!r} and steps={steps!r}; they are the "
                        "same argument (NumPy's and PyTorch's name), pass one")
    return steps


def linspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None,
             requires_grad: bool = False, *, device=None, steps=None, **numpy_kwargs):
    """``num`` evenly spaced values from ``start`` to ``stop`` (NumPy's default num=50;
    ``steps=`` is PyTorch's name for it).

    With a Tensor ``start`` or ``stop`` the result is recorded (differentiable in both,
    as ``np.linspace`` on Tensors); with numbers it is a new leaf.

    >>> ad.linspace(0.0, 1.0, 3)
    tensor([0. , 0.5, 1. ])
    >>> ad.linspace(0, 1, 3, requires_grad=True).requires_grad
    True
    """
    check_device("linspace", device)
    num = _num_or_steps("linspace", num, steps)
    if isinstance(dtype, (bool, np.bool_)):
        raise TypeError(f"linspace: dtype={dtype!r}; the fifth argument here is dtype, where "
                        "np.linspace's is retstep: pass retstep= by name")
    dtype = _dtype("linspace", dtype)
    if isinstance(start, Tensor) or isinstance(stop, Tensor):
        if requires_grad:
            raise TypeError("linspace: requires_grad=True is for a new leaf; with a Tensor "
                            "start or stop the result is already recorded")
        from .ops.ranges import linspace as recorded_linspace
        return recorded_linspace(start, stop, num, endpoint=endpoint, dtype=dtype,
                                 **numpy_kwargs)
    if numpy_kwargs.get("retstep"):
        values, step = np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype,
                                   **numpy_kwargs)
        return _make(values, requires_grad), step
    return _make(made("linspace", np.linspace, (start, stop, num, endpoint),
                      dict(numpy_kwargs, dtype=dtype)), requires_grad)


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10.0, dtype=None,
             axis: int = 0, *, steps=None, requires_grad: bool = False, device=None):
    """``base ** linspace(start, stop, num)``: NumPy's ``np.logspace``, also taking
    PyTorch's ``steps=`` (for ``num``) and ``requires_grad=``.  ``base`` is the fifth
    argument, as NumPy's (PyTorch's fourth): pass it by name.

    With a Tensor ``start``, ``stop`` or ``base`` the result is recorded (differentiable
    in them); with numbers it is a new leaf.

    >>> ad.logspace(0, 3, steps=4, base=2)
    tensor([1., 2., 4., 8.])
    """
    from .ops.assemble import logspace as recorded_logspace
    check_device("logspace", device)
    num = _num_or_steps("logspace", num, steps)
    dtype = _dtype("logspace", dtype)
    if not isinstance(endpoint, (bool, np.bool_)):
        raise TypeError(f"logspace: the fourth argument is NumPy's endpoint (a bool), got "
                        f"{endpoint!r}; PyTorch's fourth argument is the base: pass "
                        f"base={endpoint!r} by name")
    if any(isinstance(x, Tensor) for x in (start, stop, base)):
        if requires_grad:
            raise TypeError("logspace: requires_grad=True is for a new leaf; with a Tensor "
                            "start, stop or base the result is already recorded")
        return recorded_logspace(start, stop, num, endpoint, base, dtype, axis)
    return _make(made("logspace", np.logspace, (start, stop, num, endpoint, base, dtype,
                                                axis)), requires_grad)


def zeros_like(t, dtype=None, requires_grad: bool = False, *, device=None,
               memory_format=None) -> Tensor:
    """Zeros with ``t``'s shape and dtype (and layout: ``memory_format``, as PyTorch's).

    >>> ad.zeros_like(ad.tensor([1.0, 2.0]))
    tensor([0., 0.])
    """
    check_device("zeros_like", device)
    dtype = _like_dtype(t, dtype, "zeros_like")
    return like_layout("zeros_like", _make(made("zeros_like", np.zeros, (
        np.shape(getattr(t, "data", t)), dtype)), requires_grad), t,
        memory_format)


def ones_like(t, dtype=None, requires_grad: bool = False, *, device=None,
              memory_format=None) -> Tensor:
    """Ones with ``t``'s shape and dtype (and layout: ``memory_format``, as PyTorch's).

    >>> ad.ones_like(ad.tensor([1.0, 2.0]))
    tensor([1., 1.])
    """
    check_device("ones_like", device)
    dtype = _like_dtype(t, dtype, "ones_like")
    return like_layout("ones_like", _make(made("ones_like", np.ones, (
        np.shape(getattr(t, "data", t)), dtype)), requires_grad), t,
        memory_format)


def full_like(t, fill_value, dtype=None, requires_grad: bool = False, *, device=None,
              memory_format=None) -> Tensor:
    """``fill_value`` with ``t``'s shape and dtype (and layout: ``memory_format``).

    >>> ad.full_like(ad.tensor([1.0, 2.0]), 7)
    tensor([7., 7.])
    """
    check_device("full_like", device)
    dtype = _like_dtype(t, dtype, "full_like")
    if isinstance(fill_value, Tensor):
        return _filled_with_tensor(np.shape(getattr(t, "data", t)), fill_value,
                                   dtype, requires_grad, "full_like")
    return like_layout("full_like", _make(made("full_like", np.full, (
        np.shape(getattr(t, "data", t)), fill_value, dtype)), requires_grad),
        t, memory_format)


def _generator(rng) -> np.random.Generator:
    from .nn.module import _generator as library_generator
    return library_generator(rng)


def _uniform(rng, shape, dtype):
    # A replay of a compiled function calls this again: an int seed gives a new
    # generator, as it does eagerly; a Generator draws its next numbers.
    return _generator(rng).random(shape, dtype=dtype)


def _normal(rng, shape, dtype):
    return _generator(rng).standard_normal(shape, dtype=dtype)


@implements(np.full_like)
def _numpy_full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """``np.full_like`` as ``ad.full_like``: a fill value that requires grad is recorded.

    (``order`` sets only a memory layout, so it is ignored.)"""
    if shape is not None:
        return full(shape, fill_value, _like_dtype(a, dtype, "full_like"))
    return full_like(a, fill_value, dtype)


_numpy_full_like.numpy_kwargs = ("dtype", "order", "subok", "shape")


implements_without_gradient(np.empty_like)


def _float_dtype(dtype, where):
    dtype = numpy_dtype(where, np.float64 if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"{where}: random values need a float dtype, got {dtype}")
    if dtype not in (np.float32, np.float64):
        # NumPy's generators draw float32 or float64 only; rounding those to float16
        # could give rand's excluded upper bound 1.0.
        raise TypeError(f"{where}: NumPy draws float32 or float64 values only, got dtype "
                        f"{dtype}; draw float32 and convert (ad.astype(t, '{dtype}'))")
    return dtype


def rand(*shape, rng=None, generator=None, dtype=None, requires_grad: bool = False,
         device=None, size=None) -> Tensor:
    """Uniform samples on ``[0, 1)``; ``rng`` (or PyTorch's ``generator=``) is a seed, an
    ``ad.Generator`` or a ``np.random.Generator``.

    >>> ad.rand(2, rng=0).shape
    (2,)
    """
    check_device("rand", device)
    dtype = _float_dtype(dtype, "rand")
    rng = chosen_rng("rand", rng, generator)
    values = made("rand", _uniform, (rng, _shape(shape, "rand", size), dtype),
                  stateful=True)
    return _make(values, requires_grad)


def randn(*shape, rng=None, generator=None, dtype=None, requires_grad: bool = False,
          device=None, size=None) -> Tensor:
    """Standard normal samples; ``rng`` (or PyTorch's ``generator=``) is a seed, an
    ``ad.Generator`` or a ``np.random.Generator``.

    >>> bool(np.all(ad.randn(3, rng=0).data == ad.randn(3, rng=0).data))
    True
    """
    check_device("randn", device)
    dtype = _float_dtype(dtype, "randn")
    rng = chosen_rng("randn", rng, generator)
    values = made("randn", _normal, (rng, _shape(shape, "randn", size), dtype),
                  stateful=True)
    return _make(values, requires_grad)
