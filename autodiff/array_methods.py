"""More Tensor methods: the rest of NumPy's ndarray methods that have a meaning here
(``any``, ``all``, ``diagonal``, ``trace``, ``take``, ``compress``, ``searchsorted``,
``argpartition``, ``fill``, ``conj``, ``real``, ``nbytes``, ...) and PyTorch's
conversions and shorthands (``to``, ``float``, ``double``, ``long``, ``type_as``,
``numel``, ``dim``, ``contiguous``, ``pow``, ``mm``, ``softmax``, ``new_zeros``, ...).

Each goes through the NumPy function of the same name (so through the ops' rules and
``__array_function__``) or a core op.  ``nonzero`` means a tuple of index arrays in
NumPy and an ``(n, ndim)`` array in PyTorch: it takes PyTorch's ``as_tuple=`` to say
which, and raises without it rather than guessing.
"""

from __future__ import annotations

import numpy as np

from . import inference_tensors as _inference_tensors
from .conventions import keepdim_after_axis
from .missing_dtypes import bfloat16_error, from_torch_dtype, is_bfloat16, numpy_dtype
from .argument_aliases import axis_alias

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _tensor(value):
    from .tensor import Tensor
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def refuse_nonzero_of_traced_values(x) -> None:
    """``nonzero`` in a function ``ad.compile`` traces: refused for a tensor whose values
    a replay may change (how many indices it gives depends on them)."""
    from .compile.refusals import refuse_traced_values
    refuse_traced_values(x, "nonzero", "how many indices it gives (the length of its "
                         "result) depends on the values", "Use ad.where(mask, x, 0) (and "
                         "the mask's sum as a count), or call nonzero outside the compiled "
                         "function and pass its result in as an argument.")


def nonzero_rows(array) -> np.ndarray:
    """PyTorch's ``nonzero``: the index of each nonzero entry as a row, ``(n, ndim)``;
    of a 0-d array, one row of no indices when it is nonzero, as PyTorch's (NumPy's
    nonzero refuses 0-d arrays)."""
    if np.ndim(array) == 0:
        return np.zeros((int(bool(array)), 0), dtype=np.intp)
    return np.stack(np.nonzero(array), axis=-1)


def _made(label, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on the values, as a Tensor: ``ad.compile`` computes it
    again at each replay (and refuses a Python decision on it)."""
    from .compile.hooks import made
    return _tensor(made(label, fn, args, kwargs))


def to_arguments(where: str, args: tuple, dtype=None, device=None, stored="values"):
    """The dtype that ``to(*args, dtype=, device=)`` asks for (None: keep it), from a
    dtype, a dtype name, a tensor or array (its dtype) and a device, which must be the
    CPU.  bfloat16 is refused, saying the ``stored`` things cannot be in it.

    >>> to_arguments("to", ("cpu", np.float32))
    <class 'numpy.float32'>
    """
    if any(is_bfloat16(arg) for arg in (*args, dtype)):     # ("bfloat16" is no device)
        raise bfloat16_error(where, stored)
    for arg in args:
        if _is_device(arg):
            device = arg if device is None else device
        elif dtype is None:
            dtype = arg.dtype if isinstance(arg, (ArrayMethods, np.ndarray)) or (
                _is_torch_tensor(arg)) else arg    # (to(other): other's dtype)
        else:
            raise TypeError(f"{where}: expected a dtype and/or a device, got {args!r}")
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"{where}: device {str(device)!r} is not available; arrays live in "
                         "NumPy, on the CPU (to('cpu') is accepted and does nothing)")
    return from_torch_dtype(where, dtype)


def _contiguous_format():
    from .memory_formats import contiguous_format
    return contiguous_format


def _is_torch_tensor(value) -> bool:
    """A ``torch.Tensor`` (or ``Parameter``), told without importing torch."""
    return any(cls.__module__ == "torch" and cls.__name__ == "Tensor"
               for cls in type(value).__mro__)


def _is_device(value) -> bool:
    if isinstance(value, str):
        try:
            np.dtype(value)
        except TypeError:
            return True
        return False
    return type(value).__name__ == "device"        # a torch.device, without torch


class DtypeShorthands:
    """PyTorch's dtype shorthands, ``astype`` to a fixed dtype: of a Tensor (``ArrayMethods``;
    recorded to a float dtype, without gradient to an integer one) and of the arrays of
    ``torch_arrays.py`` (a ``state_dict``'s values, ``.grad``); the tensor or array itself
    when it has that dtype already, as PyTorch's.

    >>> ad.tensor([1.5]).long(), ad.tensor([1]).double().dtype
    (tensor([1]), dtype('float64'))
    """

    __slots__ = ()

    def float(self):
        """``astype(np.float32)``, as PyTorch's ``float()``."""
        return self._as_dtype(np.float32)

    def double(self):
        """``astype(np.float64)``, as PyTorch's ``double()``."""
        return self._as_dtype(np.float64)

    def half(self):
        """``astype(np.float16)``, as PyTorch's ``half()``."""
        return self._as_dtype(np.float16)

    def long(self):
        """``astype(np.int64)``, as PyTorch's ``long()``."""
        return self._as_dtype(np.int64)

    def int(self):
        """``astype(np.int32)``, as PyTorch's ``int()``."""
        return self._as_dtype(np.int32)

    def bool(self):
        """``astype(bool)``, as PyTorch's ``bool()``."""
        return self._as_dtype(np.bool_)

    def _as_dtype(self, dtype):
        # (``t.double()`` of a float64 tensor is the tensor itself, as PyTorch's: an
        # in-place change through it is seen in ``t``)
        return self if self.dtype == dtype else self.astype(dtype)


class ArrayMethods(DtypeShorthands):
    """Methods ``Tensor`` inherits (see the module docstring)."""

    __slots__ = ()

    # ----- NumPy's ndarray methods -------------------------------------------------
    def any(self, axis=None, *positional, keepdims=False, dim=None, keepdim=None):
        """Whether any entry is nonzero (along ``axis``/``dim``): a bool tensor, no grad.

        >>> ad.tensor([[0.0, 1.0], [0.0, 0.0]]).any(axis=1)
        tensor([ True, False])
        """
        keepdim = keepdim_after_axis("any", positional, keepdim)
        axis, keepdims = axis_alias("any", axis, keepdims, dim, keepdim)
        return _made("any", np.any, self.data, axis=axis, keepdims=keepdims)

    def all(self, axis=None, *positional, keepdims=False, dim=None, keepdim=None):
        """Whether every entry is nonzero (along ``axis``/``dim``): a bool tensor, no grad.

        >>> ad.tensor([1.0, 2.0]).all()
        tensor(True)
        """
        keepdim = keepdim_after_axis("all", positional, keepdim)
        axis, keepdims = axis_alias("all", axis, keepdims, dim, keepdim)
        return _made("all", np.all, self.data, axis=axis, keepdims=keepdims)

    def nonzero(self, *, as_tuple=None):
        """The indices of the nonzero entries: NumPy's tuple of index arrays with
        ``as_tuple=True``, PyTorch's ``(n, ndim)`` array with ``as_tuple=False``.
        A 0-d tensor gives one index array of length 1 or 0 with ``as_tuple=True``,
        as PyTorch's.

        >>> ad.tensor([0.0, 3.0, 4.0]).nonzero(as_tuple=True)
        (array([1, 2]),)
        """
        if as_tuple is None:
            raise TypeError(
                "nonzero: NumPy's ndarray.nonzero() returns a tuple of index arrays and "
                "PyTorch's Tensor.nonzero() an (n, ndim) array; say which with "
                "as_tuple=True (NumPy's, also np.nonzero(t)) or as_tuple=False (PyTorch's)")
        refuse_nonzero_of_traced_values(self)
        if as_tuple:
            # (a 0-d tensor: PyTorch's one index array, of length 1 or 0, where
            # NumPy 2 refuses a 0-d array)
            return np.nonzero(np.atleast_1d(self.data))
        # (made: a compiled function computes it again from the constant it is given)
        return _made("nonzero", nonzero_rows, self.data)

    def searchsorted(self, v, side="left", sorter=None, *, right=None):
        """Where ``v`` would go into this sorted 1-D tensor (NumPy's; integers, no grad);
        ``right=True`` (``torch.searchsorted``'s keyword) is ``side='right'``.

        >>> ad.tensor([1.0, 2.0, 3.0]).searchsorted(2.5)
        np.int64(2)
        """
        if right is not None:
            from .torch_functions_extra import searchsorted_side
            side = searchsorted_side(side, right)
        values = v.data if hasattr(v, "data") and not isinstance(v, np.ndarray) else v
        from .compile import hooks
        if hooks.active is not None and hooks.active.owns_thread():
            # a Tensor that ad.compile computes again at each replay
            return _made("searchsorted", np.searchsorted, self.data, values, side=side,
                         sorter=sorter)
        return self.data.searchsorted(values, side=side, sorter=sorter)

    def argpartition(self, kth, axis=-1, kind="introselect", order=None):
        """NumPy's ``argpartition`` (integer indices, no grad)."""
        return _made("argpartition", np.argpartition, self.data, kth, axis=axis, kind=kind,
                     order=order)

    def diagonal(self, offset=0, axis1=0, axis2=1, *, dim1=None, dim2=None):
        """The diagonal (NumPy's ``axis1``/``axis2`` or PyTorch's ``dim1``/``dim2``),
        recorded.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).diagonal()
        tensor([1., 4.])
        """
        axis1 = axis1 if dim1 is None else dim1
        axis2 = axis2 if dim2 is None else dim2
        return np.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None):
        """Sum of the diagonal, recorded; of a uint8, uint16 or uint32 tensor in int64, as
        PyTorch's ``trace`` and the sum methods (``np.trace`` gives uint64).

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).trace()
        tensor(5.)
        """
        if dtype is not None:
            return np.trace(self.astype(dtype), offset, axis1, axis2)
        from .torch_elementwise_methods import signed_sum_operand
        return np.trace(signed_sum_operand(self), offset, axis1, axis2)

    def take(self, indices, axis=None, out=None, mode="raise"):
        """Entries at ``indices`` (of the flattened tensor when ``axis`` is None), recorded;
        ``mode="wrap"`` or ``"clip"`` brings out-of-range indices into range, as NumPy's;
        ``out=`` a Tensor receives them.

        >>> ad.tensor([[1.0, 2.0], [3.0, 4.0]]).take([3, 0])
        tensor([4., 1.])
        >>> ad.tensor([1.0, 2.0, 3.0]).take([-1, 4], mode="wrap")
        tensor([3., 2.])
        """
        if out is not None:
            return np.take(self, indices, axis=axis, out=out, mode=mode)
        return np.take(self, indices, axis=axis, mode=mode)

    def compress(self, condition, axis=None):
        """The slices where ``condition`` is true, along ``axis`` (of the flattened tensor
        when None), recorded, as ``np.compress``.

        >>> ad.tensor([1.0, 2.0, 3.0]).compress([True, False, True])
        tensor([1., 3.])
        """
        keep = np.asarray(getattr(condition, "data", condition))
        if keep.ndim != 1:
            raise ValueError(f"compress: condition must be 1-D, got shape {keep.shape}")
        return np.take(self, np.flatnonzero(keep), axis=axis)

    def fill(self, value) -> None:
        """Set every entry to ``value`` in place, as NumPy's ``fill`` (PyTorch: ``fill_``)."""
        self.fill_(value)

    def conj(self):
        """The complex conjugate: the tensor itself for real dtypes (``ad.conj``); of a
        bool tensor, a bool one, as ``ndarray.conj`` and PyTorch's (``np.conjugate``
        gives int8).

        >>> ad.tensor([True, False]).conj().dtype
        dtype('bool')
        """
        from .ops.complex_parts import conj
        result = self.copy() if self.dtype == np.bool_ else conj(self)
        if _inference_tensors.ever_opened:
            _inference_tensors.as_view_of(result, self)     # (PyTorch's is a view)
        return result

    conjugate = conj

    @property
    def real(self):
        """The real part: the tensor itself for real dtypes (``ad.real``).  Assigning
        it writes the real part in place, as NumPy's ``z.real = x`` (recorded, as
        ``t[...] = value`` is):

        >>> z = ad.zeros(2, dtype=np.complex128)
        >>> z.real = ad.tensor([1.0, 2.0])
        >>> z
        tensor([1.+0.j, 2.+0.j], dtype=complex128)
        """
        from .ops.complex_parts import real
        return real(self)

    @real.setter
    def real(self, value):
        from .complex_part_writes import write_complex_part
        write_complex_part(self, "real", value)

    @property
    def imag(self):
        """The imaginary part: zeros for real dtypes (``ad.imag``).  Assigning it
        writes the imaginary part of a complex tensor in place, as NumPy's
        ``z.imag = y``."""
        from .ops.complex_parts import imag
        return imag(self)

    @imag.setter
    def imag(self, value):
        from .complex_part_writes import write_complex_part
        write_complex_part(self, "imag", value)

    @property
    def itemsize(self) -> int:
        """Bytes per entry."""
        return self.data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the data array."""
        return self.data.nbytes

    @property
    def flags(self) -> ReadOnlyFlags:
        """The data array's flags (memory layout, ``np.isfortran``), read-only: the
        library protects arrays that a graph saved, so a flag cannot be set here.

        >>> t = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> t.flags.c_contiguous, np.isfortran(t.T)
        (True, True)
        """
        return ReadOnlyFlags(self.data.flags)

    # ----- PyTorch's conversions and shorthands -----------------------------------
    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None):
        """Convert to ``dtype`` (an ``np.float32`` and the like, a dtype name, or another
        tensor whose dtype to take); ``to("cpu")`` is accepted and does nothing (arrays
        live on the CPU).  A float conversion stays on the tape, as ``astype``.
        ``memory_format`` (``ad.channels_last``, ...) lays the entries out so in memory
        (see ``autodiff/memory_formats.py``).

        >>> ad.tensor([1.0, 2.0], requires_grad=True).to(np.float32)
        tensor([1., 2.], dtype=float32, requires_grad=True)
        """
        dtype = to_arguments("to", args, dtype, device)
        if dtype is None or np.dtype(dtype) == self.dtype:
            result = self.clone() if copy else self
        else:
            result = self.astype(dtype)
        if memory_format is not None:
            from .memory_formats import axis_order, relaid_tensor
            order = axis_order("to", memory_format, self.ndim)
            if order is not None:
                result = relaid_tensor(result, order)
        return result

    def bfloat16(self):
        """PyTorch's ``bfloat16()``, which cannot exist here: NumPy has no bfloat16, so
        it raises ``TypeError`` naming ``half()`` (float16) and ``float()`` instead."""
        raise bfloat16_error("bfloat16")

    def type_as(self, other):
        """``astype(other.dtype)``.

        >>> ad.tensor([1, 2]).type_as(ad.tensor([0.5])).dtype
        dtype('float64')
        """
        return self._as_dtype(other.dtype)

    def numel(self) -> int:
        """The number of entries (NumPy's ``size``)."""
        return self.data.size

    def dim(self) -> int:
        """The number of axes (NumPy's ``ndim``)."""
        return self.data.ndim

    def contiguous(self, memory_format=None):
        """The tensor itself when its data is row-major (C-contiguous), else a row-major
        copy on the tape, as PyTorch's: afterwards ``is_contiguous()`` holds and
        ``stride()`` is the row-major one.  With ``memory_format=ad.channels_last`` (or
        ``channels_last_3d``), laid out so instead.

        >>> t = ad.zeros((2, 3)).T.contiguous(); t.is_contiguous(), t.stride()
        (True, (2, 1))
        """
        if memory_format is not None and memory_format is not _contiguous_format():
            from .memory_formats import axis_order, check_format, preserve_format
            check_format("contiguous", memory_format)
            if memory_format is preserve_format:
                if self.data.flags.c_contiguous:
                    return self
                raise RuntimeError("contiguous: preserve memory format is unsupported by the "
                                   "contiguous operator (as in PyTorch); pass "
                                   "ad.contiguous_format or ad.channels_last")
            from .memory_formats import relaid_tensor
            return relaid_tensor(self, axis_order("contiguous", memory_format, self.ndim))
        if self.data.flags.c_contiguous:
            return self
        from .ops.elementwise import copy
        return copy(self, order="C")

    def pow(self, exponent):
        """``self ** exponent`` (recorded); a bool tensor squared is int64, as PyTorch's
        ``pow`` and ``np.power`` give it (NumPy's ``**`` operator, which ``**`` follows,
        squares bools into int8).

        >>> ad.tensor([True, False]).pow(2).dtype
        dtype('int64')
        """
        if self.data.dtype.kind == "b":
            from .ops.elementwise import power
            return power(self, exponent)
        return self ** exponent

    def mm(self, other):
        """The product of two 2-D tensors, as PyTorch's ``mm`` (recorded).

        >>> ad.tensor([[1.0, 2.0]]).mm(ad.tensor([[3.0], [4.0]]))
        tensor([[11.]])
        """
        other_shape = np.shape(getattr(other, "data", other))
        if self.ndim != 2 or len(other_shape) != 2:
            raise ValueError(f"mm: needs two 2-D tensors, got shapes {self.shape} and "
                             f"{other_shape}; use @ (matmul) for other shapes")
        return self @ other

    def softmax(self, dim=None, dtype=None, *, axis=None):
        """``ad.softmax(self, dim)``: ``dim`` (or ``axis=``) is required, as PyTorch's."""
        from .torch_functions import softmax
        return softmax(self, dim, dtype, axis=axis)

    def log_softmax(self, dim=None, dtype=None, *, axis=None):
        """``ad.log_softmax(self, dim)``: ``dim`` (or ``axis=``) is required."""
        from .torch_functions import log_softmax
        return log_softmax(self, dim, dtype, axis=axis)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """A new tensor of zeros with this tensor's dtype (or ``dtype``), no history;
        ``device`` the CPU and ``requires_grad`` as PyTorch's."""
        dtype = numpy_dtype("new_zeros", dtype or self.dtype)
        return new_leaf("new_zeros", np.zeros, (_size(size), dtype), device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """A new tensor of ones with this tensor's dtype (or ``dtype``), no history."""
        dtype = numpy_dtype("new_ones", dtype or self.dtype)
        return new_leaf("new_ones", np.ones, (_size(size), dtype), device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """A new tensor filled with ``fill_value``, this tensor's dtype (or ``dtype``)."""
        dtype = numpy_dtype("new_full", dtype or self.dtype)
        return new_leaf("new_full", np.full, (_size((size,)), fill_value, dtype), device,
                        requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new tensor holding a copy of ``data``, this tensor's dtype (or ``dtype``)."""
        dtype = numpy_dtype("new_tensor", dtype or self.dtype)
        return new_leaf("new_tensor", np.array, (getattr(data, "data", data), dtype),
                        device, requires_grad)


def new_leaf(where: str, fill, args: tuple, device, requires_grad: bool):
    """``t.new_zeros(..., device=, requires_grad=)`` and its kin: a leaf of the values
    ``fill(*args)`` (the device must be the CPU, as for ``ad.zeros``), made again at
    each replay of a compiled function.

    >>> new_leaf("new_ones", np.ones, (2,), "cpu", True).requires_grad
    True
    """
    from .compile.hooks import made
    from .devices import check_device
    from .tensor import Tensor
    check_device(where, device)
    return Tensor(made(where, fill, args), requires_grad=requires_grad)


class ReadOnlyFlags:
    """A Tensor's ``flags``: NumPy's flags of its data, read by attribute
    (``flags.f_contiguous``) or key (``flags["C_CONTIGUOUS"]``); setting one raises."""

    __slots__ = ("_flags",)

    def __init__(self, flags):
        object.__setattr__(self, "_flags", flags)

    def __getattr__(self, name):
        return getattr(self._flags, name)

    def __getitem__(self, key):
        return self._flags[key]

    def __setattr__(self, name, value):
        raise AttributeError(
            f"Tensor.flags is read-only (setting {name!r}): the library sets the "
            "writeable flag of arrays that a graph saved, to protect them. Write into a "
            "tensor with t[...] = v or an in-place method (in ad.no_grad() for a leaf), "
            "or use np.array(t.data) for an ndarray of your own.")

    __setitem__ = __setattr__

    def __repr__(self):
        return repr(self._flags)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def _size(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)
