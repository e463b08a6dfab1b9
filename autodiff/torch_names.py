"""PyTorch's top-level names for things the library has under NumPy's or its own:
``ad.cat``, ``ad.bmm``, ``ad.clamp``, ``ad.manual_seed``, ``ad.set_grad_enabled``,
``ad.inference_mode``, ``ad.from_numpy``, ``ad.as_tensor``, ``ad.allclose``,
``ad.isclose`` and the dtype names ``ad.float32`` ... (NumPy's dtypes).

Code ported from PyTorch then runs with ``torch`` replaced by ``ad`` where the two
mean the same thing.
"""

from __future__ import annotations

import sys

import numpy as np

from .devices import check_device
from .missing_dtypes import numpy_dtype
from .grad_mode import InferenceMode, _grad_mode, _made_or_decorating, _SetGradEnabled
from .nn.module import manual_seed
from .ops.operands import tensor_of
from .ops.shape import concatenate
from .out_arguments import takes_out
from .tensor import Tensor, tensor

__all__ = ["cat", "bmm", "clamp", "manual_seed", "set_grad_enabled", "inference_mode",
           "from_numpy", "as_tensor", "allclose", "isclose", "float16", "float32", "float64",
           "int8", "int16", "int32", "int64", "uint8", "get_default_dtype", "set_default_dtype"]

float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64, uint8 = np.int8, np.int16, np.int32, np.int64, np.uint8

#: PyTorch's other dtype names, each the NumPy dtype of the same width as in PyTorch
#: (``torch.float`` is float32 and ``torch.int`` int32 there too).  ``ad`` gives them
#: from its module ``__getattr__``: ``from autodiff import *`` must not shadow the
#: builtins ``bool``, ``int`` and ``float``.
TORCH_DTYPE_ALIASES = {
    "float": np.float32, "double": np.float64, "half": np.float16,
    "long": np.int64, "int": np.int32, "short": np.int16, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128,
    "cfloat": np.complex64, "cdouble": np.complex128,
}


def get_default_dtype():
    """The dtype of floating-point tensors made without a ``dtype=``: float64, always
    (PyTorch's default is float32).

    >>> ad.get_default_dtype()
    <class 'numpy.float64'>
    """
    return float64


def set_default_dtype(d) -> None:
    """Accepts float64, the library's fixed default, as ``torch.set_default_dtype``
    (scripts that ask for float64 run unchanged); any other dtype is refused.

    >>> ad.set_default_dtype(ad.float64)
    """
    if numpy_dtype("set_default_dtype", d) != np.float64:
        raise ValueError(
            f"set_default_dtype: the default floating-point dtype here is float64 and "
            f"cannot be changed (got {d}); pass dtype= where tensors are made, or convert "
            "a model with model.to(dtype) / model.float() and tensors with .to(dtype)")


@takes_out
def cat(tensors, dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing axis, as ``torch.cat`` (``ad.concatenate``).

    >>> ad.cat([ad.ones(2), ad.zeros(1)])
    tensor([1., 1., 0.])
    """
    return concatenate(tensors, axis=dim if axis is None else axis)


@takes_out
def bmm(input, mat2) -> Tensor:
    """Batched product of two stacks of matrices ``(b, n, m) @ (b, m, p)``, as
    ``torch.bmm`` (no broadcasting: ``@`` broadcasts).

    >>> ad.bmm(ad.ones((2, 1, 3)), ad.ones((2, 3, 1))).shape
    (2, 1, 1)
    """
    a, b = np.shape(getattr(input, "data", input)), np.shape(getattr(mat2, "data", mat2))
    if len(a) != 3 or len(b) != 3 or a[0] != b[0] or a[2] != b[1]:
        raise ValueError(f"bmm: needs (b, n, m) and (b, m, p) stacks, got shapes {a} and "
                         f"{b}; use @ (matmul) to broadcast batch axes")
    return (input if isinstance(input, Tensor) else tensor(input)) @ mat2


@takes_out
def clamp(input, min=None, max=None) -> Tensor:
    """``input`` limited to ``[min, max]``, as ``torch.clamp`` (``Tensor.clamp``).

    >>> ad.clamp(ad.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
    tensor([0. , 0.5, 1. ])
    """
    return tensor_of(input, min, max).clamp(min, max)


class set_grad_enabled(_SetGradEnabled):  # noqa: N801  (PyTorch's name)
    """Turn recording on or off, as ``torch.set_grad_enabled``: at once when called,
    and only for a ``with`` block or a decorated function when used as one.

    >>> with ad.set_grad_enabled(False):
    ...     y = ad.tensor([1.0], requires_grad=True) * 2
    >>> y.requires_grad, ad.is_grad_enabled()
    (False, True)
    """

    def __init__(self, mode: bool):
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        super().__init__(bool(mode))
        self.previous = _grad_mode.enabled
        _grad_mode.enabled = self.enabled

    def __enter__(self):
        pass                            # (already set when made)

    def __call__(self, func):
        _grad_mode.enabled = self.previous      # a decorator sets it only around calls
        return super().__call__(func)


def inference_mode(mode: bool = True) -> _SetGradEnabled:
    """Record nothing (``mode=True``), as ``torch.inference_mode``: ``ad.no_grad()``.

    >>> with ad.inference_mode():
    ...     ad.tensor([1.0], requires_grad=True).exp().requires_grad
    False
    """
    if callable(mode):              # the bare @ad.inference_mode, as PyTorch's
        return _made_or_decorating("inference_mode", False, mode, InferenceMode)
    return InferenceMode(not mode, "inference_mode")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor over ``array``'s memory (no copy), as ``torch.from_numpy``.

    >>> a = np.zeros(2); ad.from_numpy(a).data is a
    True
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return tensor(array)


def as_tensor(data, dtype=None, *, device=None) -> Tensor:
    """``data`` as a tensor, without a copy when it is already an array of ``dtype``
    (a tensor is returned as it is, or converted), as ``torch.as_tensor``.

    >>> ad.as_tensor([1, 2], dtype=np.float32)
    tensor([1., 2.], dtype=float32)
    """
    check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None or np.dtype(dtype) == data.dtype else data.astype(dtype)
    return tensor(data, dtype=dtype)


def _values(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def allclose(input, other, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """Whether all entries are close (``|a - b| <= atol + rtol |b|``), a Python bool.

    >>> ad.allclose(ad.tensor([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]))
    True
    """
    hook = sys.modules[__package__ + ".tensor"].value_hook    # set by ad.compile
    for value in (input, other):
        if hook is not None and isinstance(value, Tensor):
            hook(value, "allclose (a Python bool)")
    return bool(np.allclose(_values(input), _values(other), rtol, atol, equal_nan))


def isclose(input, other, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    """Entrywise closeness as a bool tensor (no gradient).

    >>> ad.isclose(ad.tensor([1.0, 2.0]), 1.0)
    tensor([ True, False])
    """
    from .compile.hooks import made     # computed again at each replay of ad.compile
    return Tensor(made("isclose", np.isclose,
                       (_values(input), _values(other), rtol, atol, equal_nan)))
