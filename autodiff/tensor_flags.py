"""PyTorch's Tensor queries about where and how a tensor is stored, answered for a
NumPy array on the CPU: the device and layout flags (``is_cpu`` True; ``is_cuda``,
``is_sparse``, ``is_quantized`` ... False), ``layout`` (``ad.strided``),
``get_device()``, the memory queries ``data_ptr()``, ``storage_offset()``,
``is_set_to()``, ``dim_order()``, the dtype and value queries ``is_complex()``,
``is_signed()``, ``is_nonzero()``, ``is_same_size()``, and the transposes ``H`` / ``mH``.

>>> x = ad.arange(6.0).reshape(2, 3)
>>> x.is_cpu, x.is_cuda, x.layout, x.get_device(), x[1:].storage_offset()
(True, False, torch.strided, -1, 3)
"""

from __future__ import annotations

import warnings

import numpy as np

from . import inference_tensors as _inference_tensors

__all__ = ["layout", "strided", "TensorFlags", "is_signed_dtype", "nonzero_value"]


class layout:
    """The type of PyTorch's layout constants (``torch.layout``); every tensor here is
    ``ad.strided`` (a dense array with a step per dim).  Equal to PyTorch's constant of
    the same name, so ``x.layout == torch.strided`` holds in mixed code.

    >>> ad.strided, ad.ones(2).layout == ad.strided
    (torch.strided, True)
    """

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __eq__(self, other) -> bool:
        if isinstance(other, layout):
            return other._name == self._name
        if type(other).__name__ == "layout":        # torch.layout: compared by name
            return repr(other) == repr(self)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(repr(self))

    def __reduce__(self):
        return self._name          # pickled by name: the same constant after loading


strided = layout("strided")

#: The always-False device and layout flags of PyTorch's Tensor (no GPU, accelerator,
#: sparse, quantized, nested or MKL-DNN tensors exist here).
_FALSE_FLAGS = ("is_cuda", "is_xpu", "is_mps", "is_ipu", "is_xla", "is_vulkan", "is_mtia",
                "is_maia", "is_meta", "is_sparse", "is_sparse_csr", "is_quantized",
                "is_nested", "is_mkldnn")


def is_signed_dtype(dtype) -> bool:
    """Whether ``dtype`` holds negative values (PyTorch's ``is_signed``: the signed
    integers, floats and complex; not bool or the unsigned integers).

    >>> is_signed_dtype(np.int8), is_signed_dtype(np.uint8), is_signed_dtype(bool)
    (True, False, False)
    """
    return np.dtype(dtype).kind in "ifc"


def nonzero_value(tensor, where: str) -> bool:
    """Whether the one value of ``tensor`` is not zero (PyTorch's ``is_nonzero``);
    a tensor of no value or of several raises, as there."""
    from .tensor import value_hook            # (set by ad.compile while it traces)
    if value_hook is not None:
        value_hook(tensor, f"{where}() (an if/while on its value)")
    size = tensor.data.size
    if size != 1:
        amount = "no values" if size == 0 else "more than one value"
        raise RuntimeError(f"{where}: Boolean value of Tensor with {amount} is ambiguous "
                           f"(shape {tensor.shape}); is_nonzero needs exactly one value, "
                           "use t.any() or t.all() for several")
    return bool(tensor.data.reshape(()) != 0)


def _false_flag(name: str) -> property:
    def flag(self) -> bool:
        return False
    flag.__name__ = name
    flag.__doc__ = f"False, as PyTorch's ``Tensor.{name}`` for a dense tensor on the CPU."
    return property(flag)


def _root_array(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory ``array`` views (itself when it owns it)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class _NoSparseMethod:
    """A name of PyTorch's sparse tensors' methods (``t.to_sparse()``, ``t.indices()``):
    reading it raises AttributeError, as for any name a Tensor lacks (``hasattr`` is
    False), with a note that no tensor here is sparse.  A descriptor rather than a
    ``__getattr__``: that would be called, in Python, on every failed lookup, and the
    library probes its unset slots (``getattr(t, "_view_link", None)``) on hot paths."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        raise AttributeError(
            f"{(owner or type(obj)).__name__!r} object has no attribute {self.name!r}: "
            "sparse tensors do not exist here, every tensor is a dense array (a sparse "
            "tensor's to_dense() is the tensor itself; for its indices and values, "
            "t.nonzero() and t[t != 0])", name=self.name, obj=obj)


#: PyTorch's methods of sparse tensors and of making them: no tensor here is sparse
_SPARSE_METHODS = frozenset({
    "to_sparse", "to_sparse_coo", "to_sparse_csr", "to_sparse_csc", "to_sparse_bsr",
    "to_sparse_bsc", "coalesce", "is_coalesced", "sparse_mask", "sparse_resize_",
    "indices", "values", "_indices", "_values", "_nnz", "crow_indices", "col_indices",
    "ccol_indices", "row_indices"})


class TensorFlags:
    """``is_cpu is_cuda ... layout get_device data_ptr storage_offset is_complex
    is_signed is_nonzero is_same_size H mH ...`` (mixed into ``Tensor``)."""

    __slots__ = ()

    @property
    def is_cpu(self) -> bool:
        """True: arrays live in NumPy, on the CPU (PyTorch's ``Tensor.is_cpu``)."""
        return True

    @property
    def layout(self) -> layout:
        """``ad.strided``: a dense array (PyTorch's ``Tensor.layout``).

        >>> ad.zeros(2).layout
        torch.strided
        """
        return strided

    @property
    def output_nr(self) -> int:
        """0: the position of the tensor among the outputs of the op that made it.
        Every op here has one output (``split``'s pieces are each their own op), so it
        is 0, as for a leaf in PyTorch."""
        return 0

    def get_device(self) -> int:
        """-1, PyTorch's device index of a CPU tensor.

        >>> ad.zeros(2).get_device()
        -1
        """
        return -1

    def is_distributed(self) -> bool:
        """False: no tensor here is split between processes."""
        return False

    def is_inference(self) -> bool:
        """Whether this tensor was made inside an ``ad.inference_mode()`` block (an op's
        result, ``ad.tensor`` or a creation function such as ``ad.zeros``), as
        PyTorch's.  Unlike PyTorch's, such a tensor may be used later in a recorded
        computation (``inference_tensors.py``).

        >>> with ad.inference_mode():
        ...     y = ad.ones(2) * 2
        >>> y.is_inference(), ad.zeros(2).is_inference()
        (True, False)
        """
        return _inference_tensors.is_noted(self)

    def is_conj(self) -> bool:
        """False: conjugation here is never lazy (``conj()`` computes its values)."""
        return False

    def is_neg(self) -> bool:
        """False: negation here is never lazy (``neg()`` computes its values)."""
        return False

    def is_complex(self) -> bool:
        """Whether the dtype is complex (PyTorch's ``Tensor.is_complex``).

        >>> ad.zeros(2).is_complex(), ad.tensor([1j]).is_complex()
        (False, True)
        """
        return self.dtype.kind == "c"

    def is_signed(self) -> bool:
        """Whether the dtype holds negative values (PyTorch's ``Tensor.is_signed``:
        False for bool and the unsigned integers).

        >>> ad.tensor([1]).is_signed(), ad.tensor([1], dtype=np.uint8).is_signed()
        (True, False)
        """
        return is_signed_dtype(self.dtype)

    def is_nonzero(self) -> bool:
        """Whether the one value is not zero (PyTorch's ``Tensor.is_nonzero``); a
        tensor of no value or of several raises.

        >>> ad.tensor([0.0]).is_nonzero(), ad.tensor(3).is_nonzero()
        (False, True)
        """
        return nonzero_value(self, "is_nonzero")

    def is_same_size(self, other) -> bool:
        """Whether ``other`` has this tensor's shape (PyTorch's ``Tensor.is_same_size``).

        >>> ad.zeros((2, 3)).is_same_size(ad.ones((2, 3)))
        True
        """
        from .tensor import Tensor
        if not isinstance(other, Tensor):
            raise TypeError(f"is_same_size: other must be a Tensor, got "
                            f"{type(other).__name__}")
        return self.shape == other.shape

    def data_ptr(self) -> int:
        """The address of the first entry, as PyTorch's ``Tensor.data_ptr()``: two
        tensors over the same memory from the same place have the same one (a view
        with an offset has its own: ``x[1:].data_ptr() == x.data_ptr() + 8`` in
        float64).

        >>> x = ad.zeros(4); x.view(2, 2).data_ptr() == x.data_ptr()
        True
        """
        return self.data.__array_interface__["data"][0]

    def const_data_ptr(self) -> int:
        """``data_ptr()`` (PyTorch's read-only spelling)."""
        return self.data_ptr()

    def storage_offset(self) -> int:
        """How many entries (of this dtype) the first entry lies past the start of the
        memory the tensor views (0 unless it is a view with an offset), as PyTorch's
        ``Tensor.storage_offset()``.  A view with no entries keeps the address NumPy
        gave it, which need not move as PyTorch's offset does (nothing is read there).

        >>> x = ad.arange(6.0).reshape(2, 3); x[1, 1:].storage_offset()
        4
        """
        root = _root_array(self.data)
        start = root.__array_interface__["data"][0]
        if root.size and any(step < 0 for step in root.strides):
            # (the owner itself reversed: its memory starts at its lowest address)
            start += sum((n - 1) * step for n, step in zip(root.shape, root.strides)
                         if step < 0)
        return (self.data_ptr() - start) // self.data.itemsize

    def is_set_to(self, tensor) -> bool:
        """Whether ``tensor`` views the same memory from the same place with the same
        shape and steps (PyTorch's ``Tensor.is_set_to``).

        >>> x = ad.zeros(3); x.is_set_to(x[:]), x.is_set_to(x[1:])
        (True, False)
        """
        return (_root_array(self.data) is _root_array(tensor.data)
                and self.data_ptr() == tensor.data_ptr() and self.shape == tensor.shape
                and self.data.strides == tensor.data.strides)

    def dim_order(self, *, ambiguity_check=False) -> tuple:
        """The dims from the one with the largest step to the smallest (PyTorch's
        ``Tensor.dim_order()``; ties keep the dims' order).

        >>> ad.zeros((2, 3)).T.dim_order()
        (1, 0)
        """
        steps = self.data.strides
        return tuple(sorted(range(self.ndim), key=lambda d: -abs(steps[d])))

    def untyped_storage(self):
        """Refused: a tensor here is a NumPy array, with no storage object of its own
        whose identity and size mean what PyTorch's do."""
        raise NotImplementedError(_no_storage("untyped_storage"))

    def storage(self):
        """Refused, as ``untyped_storage()``."""
        raise NotImplementedError(_no_storage("storage"))

    @property
    def H(self):  # noqa: N802  (PyTorch's name)
        """The conjugate transpose of a matrix (PyTorch's ``Tensor.H``): ``.T`` of a
        real 2-D tensor, the conjugate of a 0-d one (with PyTorch's deprecation warning);
        other ranks raise (use
        ``mH`` for a stack of matrices).

        >>> ad.tensor([[1.0, 2.0]]).H.shape
        (2, 1)
        """
        if self.ndim == 0:
            _warn_zero_dims("H")
            return self.conj()
        if self.ndim != 2:
            hint = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
            raise RuntimeError(f"H: tensor.H is only supported on matrices (2-D tensors). "
                               f"Got {self.ndim}-D tensor (shape {self.shape}).{hint}")
        return self.conj().T if self.dtype.kind == "c" else self.T

    @property
    def mH(self):  # noqa: N802  (PyTorch's name)
        """Each matrix of a stack conjugated and transposed (PyTorch's ``Tensor.mH``):
        ``.mT`` of a real tensor of 2 or more dims, the conjugate at 0 dims (with PyTorch's
        deprecation warning).

        >>> ad.zeros((4, 2, 3)).mH.shape
        (4, 3, 2)
        """
        if self.ndim == 0:
            _warn_zero_dims("mH")
            return self.conj()
        if self.ndim == 1:
            raise RuntimeError(f"mH: tensor.mH is only supported on matrices or batches of "
                               f"matrices. Got 1-D tensor (shape {self.shape})")
        return self.conj().mT if self.dtype.kind == "c" else self.mT

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The tensor itself (it is dense already), converted to ``dtype`` if given,
        as PyTorch's ``Tensor.to_dense`` of a strided tensor.

        >>> x = ad.zeros(2); x.to_dense() is x
        True
        """
        return self if dtype is None else self.to(dtype)

    def conj_physical(self):
        """The complex conjugate, computed (``conj()``); a real tensor itself, as
        PyTorch's ``Tensor.conj_physical``.

        >>> ad.tensor([1 + 2j]).conj_physical()
        tensor([1.-2.j], dtype=complex128)
        """
        from .ops.complex_parts import conj
        return self if self.dtype.kind != "c" else conj(self)   # (a copy, as PyTorch's)

    def conj_physical_(self):
        """Conjugate in place (nothing to do for a real tensor), as PyTorch's
        ``Tensor.conj_physical_``; returns self."""
        if self.dtype.kind != "c":
            return self
        from .inplace import fill
        return fill(self, np.conj(self.data), "conj_physical_")

    def nonzero_static(self, *, size: int, fill_value: int = -1):
        """``ad.nonzero_static(self, size=, fill_value=)``.

        >>> ad.tensor([0, 5]).nonzero_static(size=2)
        tensor([[ 1],
                [-1]])
        """
        from .torch_surface_more import nonzero_static
        return nonzero_static(self, size=size, fill_value=fill_value)

    def orgqr(self, input2):
        """``ad.linalg.householder_product(self, input2)``, as PyTorch's
        ``Tensor.orgqr``."""
        from .linalg import householder_product
        return householder_product(self, input2)

    def hash_tensor(self, dim=None, *, keepdim: bool = False, mode: int = 0):
        """``ad.hash_tensor(self, dim, keepdim=, mode=)``."""
        from .torch_surface_extra import hash_tensor
        return hash_tensor(self, dim, keepdim=keepdim, mode=mode)

    def geqrf(self):
        """``ad.geqrf(self)``: ``(a, tau)``, LAPACK's Householder QR."""
        from .torch_surface_more import geqrf
        return geqrf(self)

    def ormqr(self, input2, input3, left: bool = True, transpose: bool = False):
        """``ad.ormqr(self, input2, input3, left, transpose)``."""
        from .torch_surface_more import ormqr
        return ormqr(self, input2, input3, left, transpose)

    def dense_dim(self) -> int:
        """The number of dims, all dense here (PyTorch's ``Tensor.dense_dim``)."""
        return self.ndim

    def sparse_dim(self) -> int:
        """0: no dim is sparse here (PyTorch's ``Tensor.sparse_dim``)."""
        return 0

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Refused: there is no GPU (``ad.cuda.is_available()`` is False)."""
        raise RuntimeError(_no_device("cuda", "CUDA"))

    def xpu(self, device=None, non_blocking=False, memory_format=None):
        """Refused: there is no XPU device."""
        raise RuntimeError(_no_device("xpu", "XPU"))

    def mtia(self, device=None, non_blocking=False, memory_format=None):
        """Refused: there is no MTIA device."""
        raise RuntimeError(_no_device("mtia", "MTIA"))

    def ipu(self, device=None, non_blocking=False, memory_format=None):
        """Refused: there is no IPU device."""
        raise RuntimeError(_no_device("ipu", "IPU"))

    def resize_as(self, the_template):
        """The tensor under ``the_template``'s shape, which must hold as many entries
        (a recorded ``reshape``), as PyTorch's out-of-place ``Tensor.resize_as``.

        >>> ad.zeros((2, 3)).resize_as(ad.ones((3, 2))).shape
        (3, 2)
        """
        shape = tuple(np.shape(getattr(the_template, "data", the_template)))
        count = int(np.prod(shape, dtype=np.int64))
        if count != self.data.size:
            raise RuntimeError(f"resize_as: requested resize to {shape} ({count} elements "
                               f"in total), but the tensor has shape {self.shape} "
                               f"({self.data.size} elements); the out-of-place resize_as "
                               "keeps the number of entries (use resize_as_ to cut or grow)")
        return self.reshape(shape)

    def as_subclass(self, cls):
        """The tensor as an instance of ``cls`` (a subclass of ``ad.Tensor``) over the
        same memory and on the same tape, as PyTorch's ``Tensor.as_subclass``.

        >>> class Mine(ad.Tensor): pass
        >>> type(ad.zeros(2).as_subclass(Mine)).__name__
        'Mine'
        """
        from .tensor import Tensor
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"as_subclass: cls must be a subclass of ad.Tensor, got {cls!r}")
        view = self.view_as(self)           # (recorded: gradients reach self through it)
        result = Tensor.__new__(cls)
        for name in _TENSOR_STATE:
            if hasattr(view, name):
                setattr(result, name, getattr(view, name))
        if self.is_inference():
            result._inference = True
        return result

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False,
                          layout=None, pin_memory=False):
        """A new tensor of ``size`` with entries ``stride`` apart and unset values,
        this tensor's dtype (or ``dtype``), as PyTorch's ``Tensor.new_empty_strided``.

        >>> ad.zeros(1).new_empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
        """
        from .torch_surface import empty_strided
        return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad, layout=layout,
                             where="new_empty_strided")


for _name in _FALSE_FLAGS:
    setattr(TensorFlags, _name, _false_flag(_name))

#: The slots of a Tensor that ``as_subclass`` carries over to the new object.
_TENSOR_STATE = ("data", "_grad", "_requires_grad", "_node", "_name", "_view_link", "_hooks")


def _warn_zero_dims(attribute: str) -> None:
    warnings.warn(f"Tensor.{attribute} is deprecated on 0-D tensors. Consider using "
                  "x.conj().", UserWarning, stacklevel=3)


def _no_storage(where: str) -> str:
    return (f"{where}: a tensor here is a NumPy array and has no separate storage object; "
            "use t.data_ptr() and t.storage_offset() to tell shared memory, t.numpy() for "
            "the array, or t.untyped_storage() in PyTorch itself")


def _no_device(method: str, name: str) -> str:
    return (f"{method}(): no {name} device is available (arrays live in NumPy, on the CPU; "
            f"ad.cuda.is_available() is False); keep the tensor on the CPU, e.g. "
            f"t.to(device) with device = ad.device('cuda' if ad.cuda.is_available() else "
            "'cpu')")


for _name in _SPARSE_METHODS:
    _descriptor = _NoSparseMethod()
    _descriptor.__set_name__(TensorFlags, _name)
    setattr(TensorFlags, _name, _descriptor)
del _name, _descriptor
