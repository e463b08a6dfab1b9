"""The Tensor: a NumPy array plus the node of the tape that produced it."""

from __future__ import annotations

import sys
import threading
import weakref
from typing import TYPE_CHECKING, Union

import numpy as np

from .devices import check_device
from .missing_dtypes import numpy_dtype
from .torch_memory import is_torch_tensor, numpy_view
from .canonical_dtypes import with_canonical_dtype
from . import inference_tensors as _inference_tensors
from .printing import format_values
from .tape_drop import (  # noqa: F401
    TapeDropWarning, called_by_name, converted_for_indices, tape_drop)
from .grad_attr import grad_property, root_grad
from .tensor_arguments import check_can_require_grad, checked_flag, checked_name
from .conventions import (refuse_unpacked_numpy_values, warn_integer_list_as_data,
                          warn_number_as_data)
from .dim_readings import flattened, transpose_axes
from .spellings import PyTorchMethods
from .selections import SelectionMethods
from .array_methods import ArrayMethods
from .array_layout_methods import ArrayLayoutMethods
from .torch_methods import TorchMethods
from .torch_elementwise_methods import float_operand, square_as_torch
from .torch_more import TorchMoreMethods
from .torch_shape_methods import size_of
from .plain_arrays import plain_array
from .grad_arrays import GradArray
from . import operators as _operators
from .operators import OperatorMethods
from . import tensor_copying, tensor_reductions
from .tensor_copying import CopyingMethods
from .tensor_reductions import ReductionMethods

if TYPE_CHECKING:
    from .graph import Node

#: Set by ``ad.compile`` while it traces: called as ``value_hook(tensor, what)`` before a
#: tensor's value leaves the library (``item()``, ``bool()``, ``np.asarray``).
value_hook = None
#: Set by ``ad.compile`` while it traces: called as ``shown_hook(tensor)`` when a
#: tensor is shown (``repr``, ``str``, ``print``), which its replays do not do again.
shown_hook = None
#: Set by ``forward_ad`` while a dual level is active: the tangent a tensor carries
#: (or None), shown by ``repr`` as PyTorch's ``tangent=``.
tangent_hook = None

#: An ``axis`` argument: one axis, several, or all (None).
Axis = Union[int, tuple[int, ...], None]


def _traced_in_this_thread() -> bool:
    """Whether ``ad.compile`` traces in this thread (``value_hook`` is then its tracer's
    ``on_value``; a trace in another thread must not change what this one does)."""
    return value_hook is not None and value_hook.__self__.thread == threading.get_ident()


_LIST_OF_KEYS = ("np.lexsort of a list of keys (NumPy hands the library the keys of a "
                 "tuple only; write np.lexsort((a, b)), which a replay computes again)")


def _as_array(data, dtype):
    if isinstance(data, Tensor):
        from .graph import _grad_mode

        if data.requires_grad and _grad_mode.enabled:
            tape_drop(data, "copied into a new tensor (ad.tensor(t) / Tensor(t))")
        # A new tensor of its own, as torch.tensor(t); while ad.compile traces, the same
        # array (a traced value a replay follows: a copy NumPy made would be refused).
        data = data.data if _traced_in_this_thread() else data.data.copy()
    elif isinstance(data, GradArray):
        data = plain_array(data)        # (ad.tensor(w.grad): the gradient buffer itself)
    elif data.__class__ is not _ndarray and is_torch_tensor(data):
        data = numpy_view(data, "tensor")
    if dtype is not None:
        dtype = numpy_dtype("tensor", dtype)
    try:
        array = np.asarray(data, dtype=dtype)
    except ValueError as error:
        if "inhomogeneous" not in str(error):
            raise
        shape = str(error).partition("detected shape was ")[2].partition(" +")[0]
        raise ValueError(
            "tensor: the nested lists have different lengths (a ragged array), so they do "
            "not form a rectangular array" + (f" (rectangular to shape {shape} only)"
                                              if shape else "")
            + "; pad them to a common length, or keep them as separate tensors") from error
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"tensor: cannot build a tensor from {type(data).__name__} data of mixed or "
            "non-numeric types; pass numbers, nested lists of numbers, or an ndarray")
    return array


class Tensor(CopyingMethods, ReductionMethods, OperatorMethods, PyTorchMethods, SelectionMethods,
             ArrayMethods, ArrayLayoutMethods, TorchMethods, TorchMoreMethods):
    """An n-dimensional array that records the operations applied to it.

    >>> x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.])
    """

    # Unset on most tensors, so making one costs nothing: _view_link, (base, key) when
    # made by basic indexing, ``base[key]`` (view_table.py); _hooks, its gradient
    # hooks (hooks.py); _inference, True when made in inference mode
    # (inference_tensors.py); _grad_view, a weak reference to the ``GradArray`` view
    # that ``.grad`` gives (grad_attr.py).  Held here, the collector sees the cycles
    # they may close.
    __slots__ = ("data", "_grad", "_requires_grad", "_node", "_name", "_view_link",
                 "_hooks", "_inference", "_grad_view", "__weakref__")
    __array_priority__ = 1000
    grad = grad_property             # autodiff/grad_attr.py: the slot is _grad
    _depth = 0      # a leaf's depth (collector.py); subclasses: -1, a __dict__ may hold cycles

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._depth = -1

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        if requires_grad is not False and requires_grad is not True:
            requires_grad = checked_flag(requires_grad, data)
        if (data.__class__ is _ndarray and dtype is None
                and ((data_dtype := data.dtype) is _FLOAT64 or data_dtype is _FLOAT32)):
            array = data                # (what _as_array returns for it, in fewer calls)
        else:
            if data.__class__ is int and self.__class__ is Tensor:
                warn_number_as_data(data, sys._getframe(1))
            array = with_canonical_dtype(_as_array(data, dtype))
            if (dtype is None and array.dtype.kind in "biu" and self.__class__ is Tensor
                    and data.__class__ in _PYTHON_SEQUENCES):
                warn_integer_list_as_data(data, array.dtype, sys._getframe(1))
            if requires_grad:
                check_can_require_grad(array)
        self.data = array
        self._grad = None
        if value_hook is not None:      # ad.compile traces: let it see the tensor made
            self.grad = None
        self._requires_grad = requires_grad
        self._node = None
        self._name = name if name is None else checked_name(name)

    @staticmethod
    def _make(data, node, requires_grad):
        t = _new(Tensor)
        t.data = data
        t._grad = None
        if value_hook is not None:   # ad.compile traces: let it see the tensor made
            t.grad = None
        t._requires_grad = requires_grad
        t._node = node
        t._name = None
        return t

    # ----- attributes ----------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow into this tensor.  Only a leaf's can be set, and
        only a floating-point leaf can require grad (as in PyTorch)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = checked_flag(flag)
        if flag == self._requires_grad:
            return
        if self._node is not None and self._requires_grad:
            raise RuntimeError(
                f"requires_grad: only a leaf tensor's flag can change, and this one (shape "
                f"{self.shape}) was computed by '{self._node.op.name}'. For a copy that is "
                "off the tape use t.detach() (or ad.stop_gradient(t) inside an expression).")
        if flag:
            check_can_require_grad(self.data, "requires_grad")
        # A node that needs no gradient was recorded only because a named tensor went in
        # (its name shows in graphs): this is a leaf, as in PyTorch, and becomes one.
        self._node = None
        self._requires_grad = flag

    @property
    def name(self) -> str | None:
        """A label shown in graphs and messages (``None`` if unnamed)."""
        if self._name is None and self._node is not None:
            return self._node.name
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = checked_name(value)
        if self._node is not None:
            self._node.name = self._name

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by a recorded op."""
        return self._node is None or not self.requires_grad

    @property
    def node(self) -> Node | None:
        """The tape node that produced this tensor (``None`` for leaves)."""
        return self._node

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @shape.setter
    def shape(self, new_shape) -> None:
        raise AttributeError(
            f"shape: a Tensor's shape (now {self.shape}) cannot be assigned in place, as "
            f"NumPy's a.shape = {tuple(np.atleast_1d(new_shape).tolist())} does (PyTorch's "
            "cannot either); write t = t.reshape(...) instead")

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of entries, as NumPy's; ``t.size()`` / ``t.size(d)`` give
        PyTorch's shape and axis length (``torch_shape_methods.Size``)."""
        return size_of(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        """NumPy's dtype (``t.dtype == np.float32``), which has no PyTorch attributes:
        ``t.is_floating_point()``, ``t.is_complex()``, ``t.is_signed()`` ask for them.

        >>> ad.tensor([1.0], dtype=ad.float32).dtype.itemsize
        4
        """
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return transpose(self)

    @property
    def mT(self) -> Tensor:  # noqa: N802  (NumPy's and PyTorch's name)
        """Each matrix of a stack transposed (the last two axes swapped), as
        ``ndarray.mT`` and PyTorch's ``Tensor.mT``."""
        return matrix_transpose(self)

    def __len__(self):
        if self.data.ndim == 0:
            from .zero_dim_dims import len_of_zero_d_error
            raise len_of_zero_d_error()
        return len(self.data)

    def __iter__(self):
        n = len(self)
        if n != 2:
            # (the caller's frame: `_, pred = ad.max(out, 1)` of PyTorch's habit)
            refuse_unpacked_numpy_values(sys._getframe(1), n)
        for i in range(n):
            yield self[i]

    def item(self, *index) -> float | int | bool:
        """The single value as a Python scalar; NumPy's ``t.item(i)`` / ``t.item(i, j)``
        the one at a flat or a multi-index."""
        if value_hook is not None:
            value_hook(self, "item()")
        if index:
            return self.data.item(*index)
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with exactly one element converts to a Python "
                f"scalar; this one has shape {self.data.shape}. Reduce it first "
                f"(t.sum().item(), t.mean().item()), pick one element (t[0].item()), or "
                f"take every value with t.tolist()")
        return self.data.item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data array (no tape); ``force`` (PyTorch's, for tensors that require grad
        or live elsewhere) changes nothing here: the array is always given."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        if value_hook is not None:
            value_hook(self, _LIST_OF_KEYS if converted_for_indices() else
                       "a NumPy function (np.asarray)")
        if self.requires_grad and _grad_mode.enabled and not converted_for_indices():
            tape_drop(self, "converted to a NumPy array")
        if dtype is None and not copy:
            return self.data
        if copy is False and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"Unable to avoid copy while creating an array as requested: "
                             f"the tensor holds {self.data.dtype}, not {np.dtype(dtype)}")
        return np.array(self.data, dtype=dtype, copy=True if copy else None)

    def __float__(self):
        if (self.requires_grad and _grad_mode.enabled
                and not called_by_name(sys._getframe(1), ("float(", "int("))):
            tape_drop(self, "converted to a Python float (as math.exp(t), np.float64(t) and "
                            "storing it into an ndarray, a[i] = t, do)")
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        # As a 0-d integer ndarray: range(n), lst[i], np.zeros(n), x[:n].
        if value_hook is not None:
            value_hook(self, "an integer index (range(t), lst[t], x[:t])")
        return self.data.__index__()

    def __bool__(self):
        if value_hook is not None:
            value_hook(self, "bool() (an if/while on its value)")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with shape {self.data.shape} is ambiguous; "
                "use .any() / .all() on .data, or compare elementwise with ad.where"
                + ("; ad.equal(a, b) is NumPy's elementwise equal, PyTorch's whole-tensor "
                   "torch.equal(a, b) is a.equal(b)" if self.data.dtype == bool else ""))
        return bool(self.data)

    __hash__ = object.__hash__

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}" as for a 0-d ndarray (an explicit, silent exit); an empty spec
        # is str(t), and a spec on a tensor with dimensions raises NumPy's TypeError.
        if not spec:
            return str(self)
        if value_hook is not None:
            value_hook(self, "a format string (f'{t:.3f}')")
        return format(self.data, spec)

    def __repr__(self):
        if shown_hook is not None:
            shown_hook(self)
        data = self.data
        body = format_values(data, "tensor(")
        extras = []
        if data.size == 0 and data.ndim != 1:
            extras.append(f"shape={data.shape}")        # (NumPy's repr says it too)
        if data.size == 0 or data.dtype not in _PLAIN_DTYPES:
            extras.append(f"dtype={data.dtype}")        # what lists of floats, ints, bools give
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        if tangent_hook is not None and self._node is not None:
            tangent = tangent_hook(self)
            if tangent is not None:
                extras.append(f"tangent={tangent!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ----- gradients -----------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False,
                 create_graph: bool = False, *, gradient=None, inputs=None) -> None:
        """Reverse pass: accumulate d(self)/d(leaf) into each leaf's ``.grad``.

        ``grad`` is the upstream gradient (the same shape as ``self``); it may be
        omitted for a tensor with one element.  ``gradient=`` is PyTorch's name for it.
        ``inputs=`` (a tensor or a sequence of them, as in PyTorch) accumulates into
        the ``.grad`` of those tensors only, leaves or not, each its total derivative.

        >>> w = ad.tensor([1.0, -2.0], requires_grad=True)
        >>> (w ** 2).sum().backward()
        >>> w.grad
        array([ 2., -4.])
        """
        if gradient is not None:
            if grad is not None:
                raise TypeError("backward: got both grad and gradient=; they are the same "
                                "argument (gradient= is PyTorch's name), pass one")
            grad = gradient
        if not self._requires_grad:
            _grad_mode.last_root = weakref.ref(self)    # (ad.explain(w) reads it)
            from .graph_errors import no_grad_root_error
            raise no_grad_root_error(self)
        grad = root_grad(self, grad, create_graph)
        # inside a transform's function: transforms.transform_input refuses to be passed
        _grad_mode.backward_in_transform = _grad_mode.transform_depth > 0
        try:
            if inputs is None:
                run_backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)
            else:
                from .autograd import backward_into
                backward_into(self, grad, inputs, retain_graph, create_graph)
        finally:
            _grad_mode.backward_in_transform = False

    def detach(self) -> Tensor:
        """The same data with no history; gradients do not flow through it."""
        made = Tensor._make(self.data, None, False)
        if _inference_tensors.ever_opened and _inference_tensors.is_noted(self):
            made._inference = True          # (a view of an inference tensor, as PyTorch's)
        return made

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place and return it."""
        if self._node is not None and self.requires_grad:
            raise RuntimeError("requires_grad_: only leaf tensors can change requires_grad; "
                               "use .detach() to get a leaf")
        if flag:
            check_can_require_grad(self.data)
        self.requires_grad = bool(flag)
        return self

    def __setitem__(self, key, value):
        """``t[key] = value``: see ``autodiff.inplace`` (recorded in grad mode)."""
        inplace.set_item(self, key, value)

    # ----- indexing ------------------------------------------------------------
    def __getitem__(self, key):
        return getitem(self, key)

    # ----- methods mirroring the functions -------------------------------------
    def exp(self) -> Tensor:
        return exp(float_operand(self))

    def log(self) -> Tensor:
        return log(float_operand(self))

    def sqrt(self) -> Tensor:
        return sqrt(float_operand(self))

    def abs(self) -> Tensor:
        return abs(self)

    def sin(self) -> Tensor:
        return sin(float_operand(self))

    def cos(self) -> Tensor:
        return cos(float_operand(self))

    def tanh(self) -> Tensor:
        return tanh(float_operand(self))

    def sigmoid(self) -> Tensor:
        return sigmoid(float_operand(self))

    def relu(self) -> Tensor:
        return relu(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        return leaky_relu(self, slope)

    def square(self) -> Tensor:
        return square_as_torch(self)

    def reciprocal(self) -> Tensor:
        return reciprocal(float_operand(self))

    def clip(self, lo=None, hi=None, out=None, *, min=None, max=None, where=True) -> Tensor:
        # min=/max= as ndarray.clip (NumPy >= 2.1) and torch's clip take them.
        if (min is not None and lo is not None) or (max is not None and hi is not None):
            raise TypeError("clip: pass each bound once (lo or min=, hi or max=)")
        lo, hi = lo if min is None else min, hi if max is None else max
        if out is not None or where is not True:       # ndarray.clip's out= and where=
            return np.clip(self, lo, hi, out=out, where=where)
        return clip(self, lo, hi)

    def round(self, decimals: int = 0, out=None) -> Tensor:
        if out is not None:                             # ndarray.round's out=
            return np.round(self, decimals, out=out)
        return round(self, decimals)

    def floor(self) -> Tensor:
        return floor(self)

    def sign(self) -> Tensor:                       # (PyTorch's: 0 for NaN)
        return sign_as_torch(self)

    def matmul(self, other) -> Tensor:
        return matmul(self, other)

    def dot(self, other, out=None) -> Tensor:
        if out is not None:                             # ndarray.dot's out=
            return np.dot(self, other, out=out)
        return dot(self, other)

    def reshape(self, *shape, order="C", copy=None) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if copy is not None:        # ndarray.reshape's copy= (NumPy 2.1), as np.reshape's
            return np.reshape(self, shape, order=order, copy=copy)
        if order != "C":
            return reshape_in_order(self, shape, order)
        return reshape(self, shape)

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return transpose(self, transpose_axes(self.ndim, tuple(axes)) if axes else None)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return swapaxes(self, axis1, axis2)

    def expand_dims(self, axis: int) -> Tensor:
        return expand_dims(self, axis)

    def flatten(self, start_dim: int | None = None, end_dim: int | None = None, *,
                order=None) -> Tensor:
        """With no arguments, or NumPy's ``order``, a flat copy (NumPy's guarantee, and
        one of the results PyTorch's docs allow); with dims, PyTorch's: dims
        ``start_dim`` .. ``end_dim`` as one, a view when the layout allows, else a copy,
        and the tensor itself when nothing merges.

        >>> ad.zeros((2, 3, 4)).flatten(1).shape, ad.zeros((2, 3)).flatten().shape
        ((2, 12), (6,))
        """
        return flattened(self, start_dim, end_dim, order)

    def ravel(self, order: str = "C") -> Tensor:
        return ravel(self, order)

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        return broadcast_to(self, shape)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True) -> Tensor:
        """``ad.astype`` with ``ndarray.astype``'s options: ``casting=`` refuses what
        NumPy refuses, ``copy=False`` returns the tensor itself when the dtype is already
        its own, and ``order=`` (a memory layout) does not change the values.

        >>> ad.tensor([1.5, 2.0]).astype(np.float32, copy=False).dtype
        dtype('float32')
        """
        target = numpy_dtype("astype", dtype)
        if not np.can_cast(self.dtype, target, casting=casting):
            raise TypeError(f"astype: cannot cast a tensor of dtype {self.dtype} to "
                            f"{target} according to the rule {casting!r}")
        if not copy and target == self.dtype:
            return self
        return astype(self, dtype)

    # ----- NumPy interop: np.exp(t), np.sum(t, axis=1), ndarray + t ----------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return interop.array_ufunc(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return interop.array_function(func, args, kwargs)


_new = object.__new__
_ndarray = np.ndarray

#: ``set_grad_slot(t, value)`` stores ``t._grad`` through the slot itself, past
#: ``Parameter.__setattr__`` (which sees to ``p.data = ...`` at the cost of a Python call
#: per attribute set): the engine, the optimizers and compiled replays store every
#: parameter's gradient on every step.
set_grad_slot = Tensor._grad.__set__
_FLOAT64, _FLOAT32 = np.dtype(np.float64), np.dtype(np.float32)
_PYTHON_SEQUENCES = (list, tuple)
_PLAIN_DTYPES = (np.dtype(np.float64), np.dtype(np.int64), np.dtype(bool))


def tensor(data, requires_grad=False, dtype=None, name=None, *, device=None) -> Tensor:
    """Create a Tensor (same as ``Tensor(...)``).

    >>> ad.tensor([[1, 2], [3, 4]], dtype="float32", requires_grad=True).shape
    (2, 2)
    """
    check_device("tensor", device)
    made = Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)
    if _inference_tensors.open_blocks:
        _inference_tensors.note(made)
    return made


# Functions the methods above delegate to (imported last: they build on Tensor).
from .ops.elementwise import (  # noqa: E402
    abs, clip, cos, exp, floor, leaky_relu, log, reciprocal, relu, round, sigmoid, sin,
    sqrt, tanh, astype)
from .torch_functions_extra import sign_as_torch  # noqa: E402
tensor_reductions.bind()     # imports ops.reduce and ops.masked_reductions here, in this order
from .ops.linalg import dot, matmul  # noqa: E402
from .ops.shape import (  # noqa: E402
    broadcast_to, expand_dims, reshape, reshape_in_order, swapaxes, transpose)
from .ops.indexing import getitem  # noqa: E402
from .ops.rearrange import matrix_transpose, ravel  # noqa: E402
from . import inplace, interop  # noqa: E402
from .graph import _grad_mode, run_backward  # noqa: E402

_operators.bind()                       # the operators' ops, now that they exist
tensor_copying.bind()
