"""Discrete Fourier transforms on the tape: ``np.fft.*`` on Tensors.

Each forward calls NumPy's own function, so values (and dtypes: float32 gives
complex64 in NumPy 2) are NumPy's bit for bit.  The rules follow PyTorch's convention
for complex gradients (``complex_ops.py``): a transform is linear, and its gradient is
the adjoint transform, the inverse one with the dual normalisation, cropped or
zero-padded back to the input's length where ``n`` / ``s`` padded or cropped it.  A
real-to-complex transform (``rfft``) gives the real part of that; the gradient of a
complex-to-real one (``irfft``, ``hfft``) doubles the bins that stand for two
(every bin but the zero-frequency one and, for even ``n``, the Nyquist one), as
PyTorch's.

>>> x = ad.tensor([1.0, 2.0, 0.0, -1.0], requires_grad=True)
>>> (np.abs(np.fft.rfft(x)) ** 2).sum().backward()
>>> x.grad
array([ 6., 10.,  2., -2.])
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .registry import REGISTRY, defop

#: The normalisation of a transform's adjoint (its inverse's direction swapped).
_DUAL = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}
_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(name, norm):
    if norm not in _NORMS:
        raise ValueError(f"{name}: norm must be None, 'backward', 'ortho' or 'forward', "
                         f"got {norm!r}")


def _resized(xp, g, axes, lengths):
    """``g`` cropped or zero-padded at the end along ``axes`` to ``lengths``."""
    key = [slice(None)] * g.ndim
    widths = [(0, 0)] * g.ndim
    crop = pad = False
    for axis, length in zip(axes, lengths):
        have = g.shape[axis]
        if have > length:
            key[axis] = slice(0, length)
            crop = True
        elif have < length:
            widths[axis] = (0, length - have)
            pad = True
    if crop:
        g = g[tuple(key)]
    if pad:
        g = xp.pad(g, pad_width=tuple(widths))
    return g


def _doubled(g, axis, n):
    """``g`` (the one-sided spectrum of a length-``n`` real signal along ``axis``) with
    the bins that stand for two, a frequency and its mirror, times 2."""
    bins = n // 2 + 1
    scale = np.ones(bins)
    scale[1:n - bins + 1] = 2
    shape = [1] * g.ndim
    shape[axis] = bins
    # (float32 for complex64: a float64 factor would promote it to complex128)
    return g * scale.reshape(shape).astype(np.float32 if g.dtype == np.complex64
                                           else np.float64)


def _axes_of(ndim, s, axes):
    """NumPy's axes of an n-dimensional transform, as non-negative ints."""
    if axes is None:
        axes = range(ndim) if s is None else range(-len(s), 0)
    return tuple(int(a) % ndim if ndim else int(a) for a in axes)


def _refuse_complex(name, a):
    if np.iscomplexobj(a):
        raise TypeError(f"{name}: takes a real input (its spectrum is one-sided), got "
                        f"{np.asarray(a).dtype} (shape {np.shape(a)}); use fft for a "
                        "complex signal, or take its .real first")


# ----- one axis ---------------------------------------------------------------------


def _fft_rule(xp, g, ans, a, n=None, axis=-1, norm=None):
    return _resized(xp, xp.ifft(g, axis=axis, norm=_DUAL[norm]), (axis,), (a.shape[axis],))


def _ifft_rule(xp, g, ans, a, n=None, axis=-1, norm=None):
    return _resized(xp, xp.fft(g, axis=axis, norm=_DUAL[norm]), (axis,), (a.shape[axis],))


def _rfft_forward(a, n=None, axis=-1, norm=None):
    _refuse_complex("rfft", a)
    return np.fft.rfft(a, n=n, axis=axis, norm=norm)


def _rfft_rule(xp, g, ans, a, n=None, axis=-1, norm=None):
    length = a.shape[axis] if n is None else n
    full = _resized(xp, g, (axis,), (length,))
    return _resized(xp, xp.real(xp.ifft(full, axis=axis, norm=_DUAL[norm])), (axis,),
                    (a.shape[axis],))


def _irfft_length(a, n, axis):
    return 2 * (a.shape[axis] - 1) if n is None else n


def _irfft_rule(xp, g, ans, a, n=None, axis=-1, norm=None):
    spectrum = _doubled(xp.rfft(g, axis=axis, norm=_DUAL[norm]), axis, ans.shape[axis])
    return _resized(xp, spectrum, (axis,), (a.shape[axis],))


def _hfft_rule(xp, g, ans, a, n=None, axis=-1, norm=None):
    # hfft(a) = irfft(conj(a)) with the direction of norm swapped (NumPy's definition)
    spectrum = _doubled(xp.rfft(g, axis=axis, norm=_DUAL[_DUAL[norm]]), axis,
                        ans.shape[axis])
    return _resized(xp, xp.conj(spectrum), (axis,), (a.shape[axis],))


def _ihfft_forward(a, n=None, axis=-1, norm=None):
    _refuse_complex("ihfft", a)
    return np.fft.ihfft(a, n=n, axis=axis, norm=norm)


def _ihfft_rule(xp, g, ans, a, n=None, axis=-1, norm=None):
    # ihfft(a) = conj(rfft(a)) with the direction of norm swapped
    length = a.shape[axis] if n is None else n
    full = _resized(xp, xp.conj(g), (axis,), (length,))
    return _resized(xp, xp.real(xp.ifft(full, axis=axis, norm=norm)), (axis,),
                    (a.shape[axis],))


def _one_axis(name, forward, rule, formula, example):
    return defop(name, forward, x=(formula, rule), n=None, axis=None, norm=None,
                 reads=(), doc=f"NumPy's ``np.fft.{name}`` on the tape; its gradient "
                               f"is {formula}.\n\n{example}")


def _numpy_fft(name):
    function = getattr(np.fft, name)

    def forward(a, n=None, axis=-1, norm=None):
        return function(a, n=n, axis=axis, norm=norm)
    forward.__name__ = name
    return forward


fft = _one_axis("fft", _numpy_fft("fft"), _fft_rule, "ifft(g) with the dual norm",
                ">>> ad.ops.fft.fft(ad.tensor([1.0, 0.0]))\n"
                "tensor([1.+0.j, 1.+0.j], dtype=complex128)")
ifft = _one_axis("ifft", _numpy_fft("ifft"), _ifft_rule, "fft(g) with the dual norm",
                 ">>> ad.ops.fft.ifft(ad.tensor([2.0, 0.0]))\n"
                 "tensor([1.+0.j, 1.+0.j], dtype=complex128)")
rfft = _one_axis("rfft", _rfft_forward, _rfft_rule,
                 "the real part of ifft(g padded to n) with the dual norm",
                 ">>> ad.ops.fft.rfft(ad.tensor([1.0, 0.0]))\n"
                 "tensor([1.+0.j, 1.+0.j], dtype=complex128)")
irfft = _one_axis("irfft", _numpy_fft("irfft"), _irfft_rule,
                  "rfft(g) with the dual norm, the two-sided bins doubled",
                  ">>> ad.ops.fft.irfft(ad.tensor([1.0, 1.0]))\ntensor([1., 0.])")
hfft = _one_axis("hfft", _numpy_fft("hfft"), _hfft_rule,
                 "conj(rfft(g)), the two-sided bins doubled",
                 ">>> ad.ops.fft.hfft(ad.tensor([1.0, 1.0]))\ntensor([2., 0.])")
ihfft = _one_axis("ihfft", _ihfft_forward, _ihfft_rule,
                  "the real part of ifft(conj(g) padded to n)",
                  ">>> ad.ops.fft.ihfft(ad.tensor([1.0, 1.0]))\n"
                  "tensor([1.-0.j, 0.-0.j], dtype=complex128)")


# ----- several axes -----------------------------------------------------------------


def _fftn_rule(xp, g, ans, a, s=None, axes=None, norm=None):
    axes = _axes_of(a.ndim, s, axes)
    return _resized(xp, xp.ifftn(g, axes=axes, norm=_DUAL[norm]), axes,
                    [a.shape[i] for i in axes])


def _ifftn_rule(xp, g, ans, a, s=None, axes=None, norm=None):
    axes = _axes_of(a.ndim, s, axes)
    return _resized(xp, xp.fftn(g, axes=axes, norm=_DUAL[norm]), axes,
                    [a.shape[i] for i in axes])


def _rfftn_forward(a, s=None, axes=None, norm=None):
    _refuse_complex("rfftn", a)
    return np.fft.rfftn(a, s=s, axes=axes, norm=norm)


def _rfftn_rule(xp, g, ans, a, s=None, axes=None, norm=None):
    axes = _axes_of(a.ndim, s, axes)
    last = a.shape[axes[-1]] if s is None else s[-1]
    full = _resized(xp, g, (axes[-1],), (last,))
    return _resized(xp, xp.real(xp.ifftn(full, axes=axes, norm=_DUAL[norm])), axes,
                    [a.shape[i] for i in axes])


def _irfftn_rule(xp, g, ans, a, s=None, axes=None, norm=None):
    axes = _axes_of(a.ndim, s, axes)
    spectrum = _doubled(xp.rfftn(g, axes=axes, norm=_DUAL[norm]), axes[-1],
                        ans.shape[axes[-1]])
    return _resized(xp, spectrum, axes, [a.shape[i] for i in axes])


def _numpy_fftn(name):
    function = getattr(np.fft, name)

    def forward(a, s=None, axes=None, norm=None):
        return function(a, s=s, axes=axes, norm=norm)
    forward.__name__ = name
    return forward


def _several_axes(name, forward, rule, formula, example):
    return defop(name, forward, x=(formula, rule), s=None, axes=None, norm=None,
                 reads=(), doc=f"NumPy's ``np.fft.{name}`` on the tape; its gradient "
                               f"is {formula}.\n\n{example}")


fftn = _several_axes("fftn", _numpy_fftn("fftn"), _fftn_rule, "ifftn(g) with the dual norm",
                     ">>> ad.ops.fft.fftn(ad.tensor([[1.0, 0.0]]))\n"
                     "tensor([[1.+0.j, 1.+0.j]], dtype=complex128)")
ifftn = _several_axes("ifftn", _numpy_fftn("ifftn"), _ifftn_rule,
                      "fftn(g) with the dual norm",
                      ">>> ad.ops.fft.ifftn(ad.tensor([[2.0, 0.0]]))\n"
                      "tensor([[1.+0.j, 1.+0.j]], dtype=complex128)")
rfftn = _several_axes("rfftn", _rfftn_forward, _rfftn_rule,
                      "the real part of ifftn(g padded to s) with the dual norm",
                      ">>> ad.ops.fft.rfftn(ad.tensor([[1.0, 0.0]]))\n"
                      "tensor([[1.+0.j, 1.+0.j]], dtype=complex128)")
irfftn = _several_axes("irfftn", _numpy_fftn("irfftn"), _irfftn_rule,
                       "rfftn(g) with the dual norm, the two-sided bins doubled",
                       ">>> ad.ops.fft.irfftn(ad.tensor([[1.0, 1.0]]))\n"
                       "tensor([[1., 0.]])")

_ONE_AXIS = {"fft": fft, "ifft": ifft, "rfft": rfft, "irfft": irfft, "hfft": hfft,
             "ihfft": ihfft}
_SEVERAL_AXES = {"fftn": fftn, "ifftn": ifftn, "rfftn": rfftn, "irfftn": irfftn}


def transform(name: str, a, n_or_s=None, axes=-1, norm=None) -> Tensor:
    """``np.fft.<name>(a, n_or_s, axes, norm)`` recorded: ``axes`` is one axis for
    fft, ifft, rfft, irfft, hfft and ihfft, a sequence (or None) for the n-dimensional
    ones; fft2 and the like are fftn and the like over ``axes=(-2, -1)``.

    >>> transform("rfft", ad.tensor([1.0, 2.0, 3.0])).shape
    (2,)
    """
    _check_norm(name, norm)
    if np.ndim(a) == 0 and (name in _ONE_AXIS or axes is not None or n_or_s is not None
                            or name.startswith(("rfft", "irfft"))):
        raise IndexError(f"{name}: the input is 0-d (one value), which has no dim to "
                         "transform (as in NumPy and PyTorch); reshape it to (1,) with "
                         "t.reshape(1) for a one-point transform")
    if name in _ONE_AXIS:
        return _ONE_AXIS[name](a, n=None if n_or_s is None else int(n_or_s),
                               axis=int(axes), norm=norm)
    op = _SEVERAL_AXES[name.replace("2", "n")]
    s = None if n_or_s is None else tuple(int(n) for n in n_or_s)
    axes = None if axes is None else tuple(int(axis) for axis in axes)
    if s is not None and axes is not None and len(s) != len(axes):
        raise ValueError(f"{name}: s ({s}) and axes ({axes}) must have the same length")
    return op(a, s=s, axes=axes, norm=norm)


def _numpy_adapter(name):
    if name in _ONE_AXIS:
        def call(a, n=None, axis=-1, norm=None, out=None):
            _no_out(name, out)
            return transform(name, a, n, axis, norm)
    else:
        default_axes = (-2, -1) if name.endswith("2") else None

        def call(a, s=None, axes=default_axes, norm=None, out=None):
            _no_out(name, out)
            return transform(name, a, s, axes, norm)
    call.__name__ = name
    return call


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"numpy.fft.{name} on a Tensor: out= is not supported by autodiff; "
                        "call it without out=")


def _install():
    from .numpy_dispatch import implements
    for name in (*_ONE_AXIS, *_SEVERAL_AXES, "fft2", "ifft2", "rfft2", "irfft2"):
        implements(getattr(np.fft, name))(_numpy_adapter(name))
    for name in (*_ONE_AXIS, *_SEVERAL_AXES):
        REGISTRY[name].complex_twin = REGISTRY[name]


_install()
