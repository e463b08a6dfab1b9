"""More of PyTorch's top-level names: ``as_strided`` / ``as_strided_copy`` (of a
C-contiguous tensor), ``nonzero_static``, the Householder QR pieces ``geqrf`` /
``ormqr``, the unsigned dtype names ``uint16`` / ``uint32`` / ``uint64``,
DLPack exchange (``from_dlpack``, ``to_dlpack``), ``conj_physical_``,
``native_channel_shuffle``, the deterministic debug mode, the normalizations that also
return their statistics (``native_layer_norm``, ``native_group_norm``,
``native_batch_norm``), and the functions PyTorch removed (``solve``, ``eig``,
``lstsq``, ``symeig``), which raise there too, naming their ``linalg`` successors.

>>> out, mean, rstd = ad.native_layer_norm(ad.ones((2, 3)), [3], None, None, 1e-5)
>>> mean.shape, rstd.shape
((2, 1), (2, 1))
"""

from __future__ import annotations

import numpy as np

from .array_layout_methods import dlpack_exportable
from .compile.hooks import made
from .ops.operands import tensor_of
from .ops.strided import as_strided
from .tensor import Tensor

__all__ = ["as_strided", "as_strided_copy", "nonzero_static", "geqrf", "ormqr", "uint16",
           "uint32", "uint64", "from_dlpack", "to_dlpack", "conj_physical_",
           "native_channel_shuffle", "get_deterministic_debug_mode",
           "set_deterministic_debug_mode", "native_layer_norm", "native_group_norm",
           "native_batch_norm", "solve", "eig", "lstsq", "symeig"]

uint16, uint32, uint64 = np.uint16, np.uint32, np.uint64


def as_strided_copy(input, size, stride, storage_offset=None) -> Tensor:
    """A writeable copy of ``as_strided(input, size, stride, storage_offset)``, as
    ``torch.as_strided_copy``.

    >>> ad.as_strided_copy(ad.arange(3.0), (2, 2), (1, 1))
    tensor([[0., 1.],
            [1., 2.]])
    """
    from .memory_formats import contiguous_format
    view = as_strided(input, size, stride, storage_offset)
    return view.clone(memory_format=contiguous_format)


def nonzero_static(input, *, size: int, fill_value: int = -1) -> Tensor:
    """The indices of the nonzero entries as ``nonzero()`` gives them, cut or padded
    with rows of ``fill_value`` to exactly ``size`` rows, as ``torch.nonzero_static``.

    >>> ad.nonzero_static(ad.tensor([0.0, 3.0, 4.0]), size=3)
    tensor([[ 1],
            [ 2],
            [-1]])
    """
    values = tensor_of(input).data
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"nonzero_static: size must be a non-negative int, got {size!r}")
    return Tensor(made("nonzero_static", _nonzero_rows, (values, int(size), fill_value)))


def _nonzero_rows(values, size, fill_value):
    found = np.argwhere(values)[:size]
    result = np.full((size, values.ndim), fill_value, dtype=np.int64)
    result[:len(found)] = found
    return result


def geqrf(input) -> tuple:
    """LAPACK's QR factorization in Householder form, as ``torch.geqrf``: ``(a, tau)``
    with R on and above the diagonal of ``a``, the reflectors' vectors below it, and
    their scales ``tau`` (batched over leading dims).  It has no derivative (PyTorch's
    backward raises too), so an input that requires grad is refused; ``ad.linalg.qr``
    is the differentiable QR.

    >>> a, tau = ad.geqrf(ad.tensor([[3.0, 1.0], [4.0, 2.0]])); a[0, 0].item()
    -5.0
    """
    from .graph import is_grad_enabled
    input = tensor_of(input)
    if input.requires_grad and is_grad_enabled():
        raise RuntimeError("geqrf: the derivative for 'geqrf' is not implemented (in PyTorch "
                           "either); call it on t.detach(), or use ad.linalg.qr for a "
                           "differentiable QR")
    if input.ndim < 2:
        raise RuntimeError(f"geqrf: input must have at least 2 dimensions, got shape "
                           f"{input.shape}")
    if input.dtype.kind != "f":
        raise TypeError(f"geqrf: expected a floating-point input, got {input.dtype}")
    return (Tensor(made("geqrf", _householder_reflectors, (input.data,))),
            Tensor(made("geqrf", _householder_scales, (input.data,))))


def _householder_reflectors(values):
    return np.ascontiguousarray(np.swapaxes(np.linalg.qr(values, mode="raw")[0], -1, -2))


def _householder_scales(values):
    return np.ascontiguousarray(np.linalg.qr(values, mode="raw")[1])


def ormqr(input, tau, other, left: bool = True, transpose: bool = False) -> Tensor:
    """``other`` multiplied by the Q of a ``geqrf`` result (``input``, ``tau``): ``Q @
    other`` (``left``), ``other @ Q`` otherwise, with ``Q.mT`` when ``transpose``, as
    ``torch.ormqr``.  Built from recorded ops: gradients reach all three.

    >>> a, tau = ad.geqrf(ad.tensor([[3.0, 1.0], [4.0, 2.0]]))
    >>> ad.ormqr(a, tau, ad.eye(2)).round(decimals=4)
    tensor([[-0.6, -0.8],
            [-0.8,  0.6]])
    """
    from .ops.diagonals import tril
    input, tau, other = tensor_of(input), tensor_of(tau), tensor_of(other)
    if input.ndim < 2 or other.ndim < 2:
        raise RuntimeError(f"ormqr: input and other must have at least 2 dimensions, got "
                           f"shapes {input.shape} and {other.shape}")
    rows, count = input.shape[-2], tau.shape[-1]
    side = other.shape[-2] if left else other.shape[-1]
    if side != rows:
        raise RuntimeError(f"ormqr: other (shape {other.shape}) must have {rows} "
                           f"{'rows' if left else 'columns'} (input's rows, shape "
                           f"{input.shape}) for left={left}")
    if count > min(rows, input.shape[-1]):
        raise RuntimeError(f"ormqr: tau (shape {tau.shape}) has more scales than input "
                           f"(shape {input.shape}) has reflectors")
    vectors = tril(input[..., :, :count], -1) + np.eye(rows, count, dtype=input.dtype)
    # Q = H_0 H_1 ... H_{k-1}, H_i = I - tau_i v_i v_i^T: apply the reflectors in turn
    order = range(count - 1, -1, -1) if left != transpose else range(count)
    result = other
    for i in order:
        v = vectors[..., :, i:i + 1]                    # (..., rows, 1)
        scale = tau[..., i:i + 1, None]                 # (..., 1, 1)
        if left:
            result = result - scale * (v @ (v.swapaxes(-1, -2) @ result))
        else:
            result = result - scale * ((result @ v) @ v.swapaxes(-1, -2))
    return result


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor over the memory of an object that exports DLPack (``__dlpack__``:
    a PyTorch tensor, a NumPy array ...; CPU memory only), as ``torch.from_dlpack``.

    >>> a = np.arange(3.0); ad.from_dlpack(a).data_ptr() == a.ctypes.data
    True

    A Tensor that requires grad leaves the tape here, so it warns (raises inside a
    transform) as ``np.from_dlpack(t)`` does; ``t.detach()`` leaves it silently.
    """
    if isinstance(ext_tensor, Tensor):         # (its refusals name the tape, not memory)
        return Tensor(np.from_dlpack(ext_tensor))
    try:
        array = np.from_dlpack(ext_tensor)
    except (TypeError, BufferError, RuntimeError) as error:
        kind = type(ext_tensor)
        raise type(error)(f"from_dlpack: cannot view {kind.__module__}.{kind.__qualname__} "
                          f"through DLPack ({error}){_device_clause(ext_tensor)}") from None
    return Tensor(array)


def _device_clause(ext_tensor) -> str:
    """Why the memory cannot be held, when it is not on the CPU (DLPack's device 1)."""
    try:
        device = ext_tensor.__dlpack_device__()[0]
    except (AttributeError, TypeError, ValueError, IndexError):
        return ""
    return "" if device == 1 else "; only CPU memory can be held here"


def to_dlpack(tensor):
    """A DLPack capsule over the tensor's memory (consumed once, by a
    ``from_dlpack``), as ``torch.to_dlpack``; data read backwards is exported as a
    copy, as by ``t.__dlpack__()``."""
    return dlpack_exportable(tensor_of(tensor).data).__dlpack__()


def conj_physical_(input) -> Tensor:
    """Conjugate ``input`` in place (nothing to do for a real tensor), as
    ``torch.conj_physical_``; returns it."""
    return tensor_of(input).conj_physical_()


def native_channel_shuffle(input, groups: int) -> Tensor:
    """``ad.channel_shuffle(input, groups)``, as ``torch.native_channel_shuffle``."""
    from .torch_functions_sixth import channel_shuffle
    return channel_shuffle(input, groups)


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2: deterministic algorithms off, on with warnings only, or on (what
    ``use_deterministic_algorithms`` set), as ``torch.get_deterministic_debug_mode``."""
    from .torch_settings import (
        are_deterministic_algorithms_enabled, is_deterministic_algorithms_warn_only_enabled)
    if not are_deterministic_algorithms_enabled():
        return 0
    return 1 if is_deterministic_algorithms_warn_only_enabled() else 2


def set_deterministic_debug_mode(debug_mode) -> None:
    """``use_deterministic_algorithms`` by level (``"default"``/0 off, ``"warn"``/1
    warnings only, ``"error"``/2 on), as ``torch.set_deterministic_debug_mode``.

    >>> ad.set_deterministic_debug_mode("warn"); ad.get_deterministic_debug_mode()
    1
    >>> ad.set_deterministic_debug_mode(0)
    """
    from .torch_settings import use_deterministic_algorithms
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"set_deterministic_debug_mode: invalid value of debug_mode, "
                               f"expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2) or isinstance(debug_mode, bool):
        raise RuntimeError(f"set_deterministic_debug_mode: invalid value of debug_mode, "
                           f"expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def _inverse_std(variance, eps: float):
    from .ops.elementwise import sqrt
    return 1.0 / sqrt(variance + eps)


def native_layer_norm(input, normalized_shape, weight, bias, eps: float) -> tuple:
    """``(layer_norm(...), mean, rstd)``: the output and, for each normalized group,
    the mean and 1/sqrt(biased variance + eps), of shape ``input.shape[:k] + (1,) * n``,
    as ``torch.native_layer_norm``.  The output is recorded; the statistics are not
    (PyTorch gives them no gradient either)."""
    from .torch_nn_functions import layer_norm
    input = tensor_of(input)
    normalized_shape = tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    if input.shape[input.ndim - len(normalized_shape):] != normalized_shape:
        raise RuntimeError(f"native_layer_norm: the last dims of the input (shape "
                           f"{input.shape}) must be normalized_shape {normalized_shape}")
    mean = input.mean(axis=dims, keepdims=True)
    variance = ((input - mean) ** 2).mean(axis=dims, keepdims=True)
    return (layer_norm(input, normalized_shape, weight, bias, eps), mean.detach(),
            _inverse_std(variance, eps).detach())


def native_group_norm(input, weight, bias, N: int, C: int, HxW: int, group: int,  # noqa: N803
                      eps: float) -> tuple:
    """``(group_norm(...), mean, rstd)`` with the statistics of shape ``(N, group)``,
    as ``torch.native_group_norm`` (``N``, ``C``, ``HxW``: the batch, channels and
    entries per channel of ``input``).  All three are recorded, as in PyTorch."""
    from .torch_nn_functions import group_norm
    input = tensor_of(input)
    if (N, C, HxW) != (input.shape[0], input.shape[1], input.data.size // max(N * C, 1)) \
            or N * C * HxW != input.data.size:
        raise RuntimeError(f"native_group_norm: N={N}, C={C}, HxW={HxW} do not describe "
                           f"an input of shape {input.shape}")
    if C % group:
        raise RuntimeError(f"native_group_norm: C={C} is not divisible by group={group}")
    grouped = input.reshape(N, group, -1)
    mean = grouped.mean(axis=2)
    variance = ((grouped - mean.reshape(N, group, 1)) ** 2).mean(axis=2)
    return group_norm(input, group, weight, bias, eps), mean, _inverse_std(variance, eps)


def native_batch_norm(input, weight, bias, running_mean, running_var, training: bool,
                      momentum: float, eps: float) -> tuple:
    """``(batch_norm(...), save_mean, save_invstd)``, as ``torch.native_batch_norm``:
    in training the mean and 1/sqrt(biased variance + eps) of each channel (the
    running statistics are updated as ``batch_norm`` does), else two empty tensors.
    The output is recorded; the statistics are not (PyTorch gives them no gradient
    either)."""
    from .torch_nn_functions import batch_norm
    input = tensor_of(input)
    output = batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                        eps, False)
    if not training:
        empty = Tensor(np.zeros(0, dtype=input.dtype))
        return output, empty, Tensor(np.zeros(0, dtype=input.dtype))
    dims = (0,) + tuple(range(2, input.ndim))
    mean = input.mean(axis=dims)
    shape = (1, -1) + (1,) * (input.ndim - 2)
    variance = ((input - mean.reshape(shape)) ** 2).mean(axis=dims)
    return output, mean.detach(), _inverse_std(variance, eps).detach()


def _removed(name: str, successor: str, note: str = ""):
    def removed(*args, **kwargs):
        raise RuntimeError(f"This function was deprecated since version 1.9 and is now "
                           f"removed (in PyTorch too). `{name}` is deprecated in favor of "
                           f"`{successor}`.{note}")
    removed.__name__ = removed.__qualname__ = name.rsplit(".", 1)[-1]
    removed.__doc__ = f"Removed from PyTorch; raises, naming ``{successor}``."
    return removed


solve = _removed("ad.solve", "ad.linalg.solve",
                 " ad.linalg.solve(A, B) has its arguments in the reverse order of "
                 "ad.solve(B, A) and returns the solution only")
eig = _removed("ad.eig", "ad.linalg.eig",
               " ad.linalg.eig returns complex tensors rather than real pairs")
lstsq = _removed("ad.lstsq", "ad.linalg.lstsq",
                 " ad.linalg.lstsq(A, B) has its arguments in the reverse order of "
                 "ad.lstsq(B, A)")
symeig = _removed("ad.symeig", "ad.linalg.eigh",
                  " ad.linalg.eigh uses the lower triangle by default; "
                  "ad.linalg.eigvalsh gives the eigenvalues alone")
