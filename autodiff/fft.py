"""``ad.fft``: PyTorch's ``torch.fft`` on the tape (``dim=``, ``s=``, ``norm=``).

The transforms are the recorded ``np.fft`` ops (``autodiff/ops/fft.py``): NumPy's
values, PyTorch's gradients (for a real loss of a complex ``z = x + iy``, ``z.grad`` is
``dL/dx + i dL/dy``).  Dtypes follow PyTorch: float32 gives complex64, float64
complex128, and integers and bools are first cast to the default dtype (float64 in
this library, where PyTorch's default is float32).  ``np.fft`` on a Tensor follows
NumPy instead, which gives complex128 for integers (float32 gives complex64 in both).

>>> x = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
>>> ad.fft.rfft(x).abs().sum().backward()
>>> x.grad.round(6)
array([-0.707107,  1.292893,  0.707107,  2.707107])
"""

from __future__ import annotations

import numpy as np

from .ops.fft import _DUAL, _check_norm, transform
from .ops.rearrange import fftshift as _fftshift
from .ops.rearrange import ifftshift as _ifftshift
from .tensor import Tensor

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
           "irfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfft2", "ihfft2", "hfftn", "ihfftn",
           "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _input(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"fft.{name}: input must be a Tensor, got {type(input).__name__} "
                        "(make one with ad.tensor(values))")
    if input.dtype.kind in "biu":
        from .torch_names import get_default_dtype
        return input.astype(get_default_dtype())
    return input


def _complex_transform(name, input, s, dims, norm):
    """fftn/ifftn, complex as PyTorch's also over no dim (a 0-d input, or dim=()), where
    NumPy gives the input back unchanged."""
    if s is None and (dims == () or (dims is None and input.ndim == 0)):
        return input.astype(np.result_type(input.dtype, np.complex64))
    return transform(name, input, s, dims, norm)


def _dims(name, dim, s):
    if dim is None or isinstance(dim, (tuple, list)):
        return None if dim is None else tuple(dim)
    if s is not None:
        raise TypeError(f"fft.{name}: dim must be a sequence of dims like s, got {dim!r}")
    return (int(dim),)


def fft(input, n=None, dim=-1, norm=None) -> Tensor:
    """``torch.fft.fft``: the discrete Fourier transform along ``dim``.

    >>> ad.fft.fft(ad.tensor([1.0, 0.0, 0.0]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j], dtype=complex128)
    """
    return transform("fft", _input("fft", input), n, dim, norm)


def ifft(input, n=None, dim=-1, norm=None) -> Tensor:
    """``torch.fft.ifft``: the inverse of ``fft``.

    >>> ad.fft.ifft(ad.tensor([3.0, 0.0, 0.0]))
    tensor([1.+0.j, 1.+0.j, 1.+0.j], dtype=complex128)
    """
    return transform("ifft", _input("ifft", input), n, dim, norm)


def rfft(input, n=None, dim=-1, norm=None) -> Tensor:
    """``torch.fft.rfft``: the one-sided spectrum of a real signal (``n // 2 + 1`` bins).

    >>> ad.fft.rfft(ad.tensor([1.0, 1.0, 1.0, 1.0]))
    tensor([4.+0.j, 0.+0.j, 0.+0.j], dtype=complex128)
    """
    return transform("rfft", _input("rfft", input), n, dim, norm)


def irfft(input, n=None, dim=-1, norm=None) -> Tensor:
    """``torch.fft.irfft``: the real signal of a one-sided spectrum (length ``n``,
    ``2 * (bins - 1)`` by default).

    >>> ad.fft.irfft(ad.tensor([4.0 + 0j, 0j, 0j]))
    tensor([1., 1., 1., 1.])
    """
    return transform("irfft", _input("irfft", input), n, dim, norm)


def hfft(input, n=None, dim=-1, norm=None) -> Tensor:
    """``torch.fft.hfft``: the real spectrum of a Hermitian-symmetric signal given by
    its first half.

    >>> ad.fft.hfft(ad.tensor([1.0 + 0j, 0j]))
    tensor([1., 1.])
    """
    return transform("hfft", _input("hfft", input), n, dim, norm)


def ihfft(input, n=None, dim=-1, norm=None) -> Tensor:
    """``torch.fft.ihfft``: the inverse of ``hfft`` (a real input).

    >>> ad.fft.ihfft(ad.tensor([2.0, 2.0]))
    tensor([2.-0.j, 0.-0.j], dtype=complex128)
    """
    return transform("ihfft", _input("ihfft", input), n, dim, norm)


def fftn(input, s=None, dim=None, norm=None) -> Tensor:
    """``torch.fft.fftn``: the transform over ``dim`` (all dims, or the last ``len(s)``).

    >>> ad.fft.fftn(ad.ones((2, 2))).real
    tensor([[4., 0.],
            [0., 0.]])
    """
    return _complex_transform("fftn", _input("fftn", input), s, _dims("fftn", dim, s), norm)


def ifftn(input, s=None, dim=None, norm=None) -> Tensor:
    """``torch.fft.ifftn``: the inverse of ``fftn``.

    >>> ad.fft.ifftn(ad.tensor([[4.0, 0.0], [0.0, 0.0]])).real
    tensor([[1., 1.],
            [1., 1.]])
    """
    return _complex_transform("ifftn", _input("ifftn", input), s, _dims("ifftn", dim, s), norm)


def rfftn(input, s=None, dim=None, norm=None) -> Tensor:
    """``torch.fft.rfftn``: ``fftn`` of a real input, one-sided along the last dim.

    >>> ad.fft.rfftn(ad.ones((2, 2))).shape
    (2, 2)
    """
    return transform("rfftn", _input("rfftn", input), s, _dims("rfftn", dim, s), norm)


def irfftn(input, s=None, dim=None, norm=None) -> Tensor:
    """``torch.fft.irfftn``: the inverse of ``rfftn`` (a real result).

    >>> ad.fft.irfftn(ad.tensor([[4.0 + 0j, 0j], [0j, 0j]])).shape
    (2, 2)
    """
    return transform("irfftn", _input("irfftn", input), s, _dims("irfftn", dim, s), norm)


def fft2(input, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """``torch.fft.fft2``: ``fftn`` over the last two dims.

    >>> ad.fft.fft2(ad.ones((2, 2))).real
    tensor([[4., 0.],
            [0., 0.]])
    """
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """``torch.fft.ifft2``: ``ifftn`` over the last two dims.

    >>> ad.fft.ifft2(ad.tensor([[4.0, 0.0], [0.0, 0.0]])).real
    tensor([[1., 1.],
            [1., 1.]])
    """
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """``torch.fft.rfft2``: ``rfftn`` over the last two dims.

    >>> ad.fft.rfft2(ad.ones((2, 4))).shape
    (2, 3)
    """
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """``torch.fft.irfft2``: ``irfftn`` over the last two dims.

    >>> ad.fft.irfft2(ad.ones((2, 3)) + 0j).shape
    (2, 4)
    """
    return irfftn(input, s, dim, norm)


def _hermitian_dims(name, dim, s):
    """The dims of hfftn / ihfftn: as given, or all of them, or the last ``len(s)``."""
    if dim is None and s is not None:
        return tuple(range(-len(s), 0))
    return _dims(name, dim, s)


def hfftn(input, s=None, dim=None, norm=None) -> Tensor:
    """``torch.fft.hfftn``: the real n-dimensional spectrum of a Hermitian-symmetric
    signal given by its one-sided half along the last dim; ``irfftn`` of its conjugate
    with the dual normalisation, so the gradient is theirs (PyTorch's).

    >>> ad.fft.hfftn(ad.tensor([[1.0 + 0j, 0j], [0j, 0j]]))
    tensor([[1., 1.],
            [1., 1.]])
    """
    _check_norm("hfftn", norm)
    conjugate = _input("hfftn", input).conj()
    return transform("irfftn", conjugate, s, _hermitian_dims("hfftn", dim, s), _DUAL[norm])


def ihfftn(input, s=None, dim=None, norm=None) -> Tensor:
    """``torch.fft.ihfftn``: the inverse of ``hfftn`` for a real input, one-sided along
    the last dim; the conjugate of ``rfftn`` with the dual normalisation.

    >>> ad.fft.ihfftn(ad.ones((2, 2)))
    tensor([[1.-0.j, 0.-0.j],
            [0.-0.j, 0.-0.j]], dtype=complex128)
    """
    _check_norm("ihfftn", norm)
    real = _input("ihfftn", input)
    if real.dtype.kind == "c":
        raise TypeError(f"fft.ihfftn: takes a real input, got {real.dtype} (shape "
                        f"{real.shape}), as PyTorch; use fftn for a complex signal")
    return transform("rfftn", real, s, _hermitian_dims("ihfftn", dim, s), _DUAL[norm]).conj()


def hfft2(input, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """``torch.fft.hfft2``: ``hfftn`` over the last two dims.

    >>> ad.fft.hfft2(ad.ones((2, 2)) + 0j).shape
    (2, 2)
    """
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None) -> Tensor:
    """``torch.fft.ihfft2``: ``ihfftn`` over the last two dims.

    >>> ad.fft.ihfft2(ad.ones((2, 4))).shape
    (2, 3)
    """
    return ihfftn(input, s, dim, norm)


def _frequencies(values, dtype, requires_grad):
    if dtype is None:                   # (the default dtype, as PyTorch's)
        from .torch_names import get_default_dtype
        dtype = get_default_dtype()
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def fftfreq(n, d=1.0, *, dtype=None, requires_grad=False) -> Tensor:
    """``torch.fft.fftfreq``: the sample frequencies of an ``n``-point ``fft``.

    >>> ad.fft.fftfreq(4)
    tensor([ 0.  ,  0.25, -0.5 , -0.25])
    """
    return _frequencies(np.fft.fftfreq(int(n), d), dtype, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, requires_grad=False) -> Tensor:
    """``torch.fft.rfftfreq``: the sample frequencies of an ``n``-point ``rfft``.

    >>> ad.fft.rfftfreq(4)
    tensor([0.  , 0.25, 0.5 ])
    """
    return _frequencies(np.fft.rfftfreq(int(n), d), dtype, requires_grad)


def fftshift(input, dim=None) -> Tensor:
    """``torch.fft.fftshift``: the zero frequency moved to the middle (a recorded roll).

    >>> ad.fft.fftshift(ad.fft.fftfreq(4))
    tensor([-0.5 , -0.25,  0.  ,  0.25])
    """
    return _fftshift(input, axes=dim)


def ifftshift(input, dim=None) -> Tensor:
    """``torch.fft.ifftshift``: the inverse of ``fftshift``.

    >>> ad.fft.ifftshift(ad.fft.fftshift(ad.fft.fftfreq(4)))
    tensor([ 0.  ,  0.25, -0.5 , -0.25])
    """
    return _ifftshift(input, axes=dim)
