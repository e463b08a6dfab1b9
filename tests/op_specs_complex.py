"""Specs for the complex ops (autodiff/ops/complex_ops.py) and the FFTs
(autodiff/ops/fft.py).  Imported at the end of op_specs.py, whose helpers they use.

The generic checks take real inputs and a real result, so each case goes through
complex values and back: a complex input is ``view_as_complex`` of a real array
``(..., 2)``, and a complex result is returned as ``view_as_real`` (its parts)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autodiff as ad
from op_specs import Case, Spec, values

SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
NORMS = st.sampled_from([None, "backward", "ortho", "forward"])


def _to_complex(a):
    return a[..., 0] + 1j * a[..., 1]


def _parts(z):
    return np.stack([np.real(z), np.imag(z)], axis=-1)


def _complex_in(name, make):
    """A spec whose input is complex: ``make(data, shape) -> (ad_func, np_func)`` on the
    complex value, whose result is complex (returned as its parts) or real."""
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        ad_func, np_func = make(data, shape)

        def func(t):
            out = ad_func(ad.view_as_complex(t))
            return ad.view_as_real(out) if out.dtype.kind == "c" else out

        def reference(a):
            out = np_func(_to_complex(a))
            return _parts(out) if np.iscomplexobj(out) else out
        return Case(func, [values(data, shape + (2,))], reference)
    return Spec(name, draw)


def _real_in(name, make):
    """A spec whose input is real and whose result is complex (returned as its parts)."""
    def draw(data):
        shape = data.draw(SHAPES, label="shape")
        ad_func, np_func = make(data, shape)
        return Case(lambda t: ad.view_as_real(ad_func(t)), [values(data, shape)],
                    lambda a: _parts(np_func(a)))
    return Spec(name, draw)


def _one_axis(function):
    def make(data, shape):
        axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        n = data.draw(st.one_of(st.none(), st.integers(1, 6)), label="n")
        if function in (np.fft.irfft, np.fft.hfft) and n is None and shape[axis] == 1:
            n = 1                                   # (NumPy's default n would be 0)
        norm = data.draw(NORMS, label="norm")
        return ((lambda t: function(t, n, axis, norm)),
                (lambda a: function(a, n, axis, norm)))
    return make


def _several_axes(function):
    def make(data, shape):
        count = data.draw(st.integers(1, len(shape)), label="number of axes")
        axes = tuple(range(len(shape)))[-count:]
        s = data.draw(st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=count,
                                                    max_size=count)), label="s")
        if s is None and function is np.fft.irfftn and shape[axes[-1]] == 1:
            s = [shape[axis] for axis in axes[:-1]] + [1]
        norm = data.draw(NORMS, label="norm")
        return ((lambda t: function(t, s, axes, norm)),
                (lambda a: function(a, s, axes, norm)))
    return make


def _complex_case(data):
    shape = data.draw(SHAPES, label="shape")
    return Case(lambda re, im: ad.view_as_real(ad.complex(re, im)),
                [values(data, shape), values(data, shape)],
                lambda re, im: np.stack([re, im], axis=-1))


def _squared_magnitudes(data, shape):
    from autodiff.ops.squared_magnitudes import squared_magnitudes

    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)),
                     label="axis")
    keepdims = axis is not None and data.draw(st.booleans(), label="keepdims")
    if axis is None:                        # (the whole array: a 1-D one, as norm ravels)
        return ((lambda z: squared_magnitudes(ad.reshape(z, -1))),
                (lambda z: np.sum(np.abs(z) ** 2)))
    return ((lambda z: squared_magnitudes(z, axis=axis, keepdims=keepdims)),
            (lambda z: np.sum(np.abs(z) ** 2, axis=axis, keepdims=keepdims)))


def _unchanged(function):
    return lambda data, shape: (function, function)


SPECS = [
    _complex_in("conj", _unchanged(np.conj)),
    _complex_in("real", _unchanged(np.real)),
    _complex_in("view_as_real", lambda data, shape: ((lambda z: z * 1), (lambda z: z * 1))),
    _complex_in("view_as_complex", lambda data, shape: (np.exp, np.exp)),
    Spec("complex", _complex_case),
    _complex_in("squared_magnitudes", _squared_magnitudes),
    _real_in("fft", _one_axis(np.fft.fft)),
    _complex_in("ifft", _one_axis(np.fft.ifft)),
    _real_in("rfft", _one_axis(np.fft.rfft)),
    _complex_in("irfft", _one_axis(np.fft.irfft)),
    _complex_in("hfft", _one_axis(np.fft.hfft)),
    _real_in("ihfft", _one_axis(np.fft.ihfft)),
    _complex_in("fftn", _several_axes(np.fft.fftn)),
    _complex_in("ifftn", _several_axes(np.fft.ifftn)),
    _real_in("rfftn", _several_axes(np.fft.rfftn)),
    _complex_in("irfftn", _several_axes(np.fft.irfftn)),
]
