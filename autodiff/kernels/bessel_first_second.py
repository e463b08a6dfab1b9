"""The Bessel functions of the first and second kind of orders 0 and 1 on ndarrays
(PyTorch's ``bessel_j0``, ``bessel_j1``, ``bessel_y0``, ``bessel_y1``, which have no
gradient).

Up to x = 8, Chebyshev series in ``z = x**2``: of ``J0(x) / ((z - r1**2) (z - r2**2))``
and ``J1(x) / (x (z - s1**2) (z - s2**2))`` with their first two zeros factored out
(the factors from the zeros in two parts, so J keeps its relative accuracy there),
of ``Y0(x) - 2/pi log(x) J0(x)`` and ``(Y1(x) - 2/pi (log(x) J1(x) - 1/x)) / x``.
Beyond, Hankel's form ``J = sqrt(2 / (pi x)) (P cos(chi) - Q sin(chi))``,
``Y = sqrt(2 / (pi x)) (P sin(chi) + Q cos(chi))``, chi = x - (2n + 1) pi / 4, with
P and x Q as Chebyshev series in ``64 / x**2``, and cos(chi), sin(chi) from NumPy's
(accurately reduced) cos(x) and sin(x).  Coefficients computed with mpmath at 40
digits (60 Chebyshev nodes, kept down to 1e-19 of the largest).  J is even (J0) or
odd (J1); Y is NaN for x < 0 and -inf at 0, as PyTorch's; all four are 0 at
±inf (their limit; PyTorch's give NaN).
"""

from __future__ import annotations

import math

import numpy as np

from .numpy_twins_nn import _chebyshev
from .special_math import _quiet, as_float64

_TWO_OVER_PI = 2.0 / math.pi
_SQRT_HALF = math.sqrt(0.5)

_J0_SMALL = (
    0.0019903555001601486, -0.0026209391384970251, 0.00086877214720625765,
    -0.00017040584951557358, 2.204908639454817e-5, -2.0248894980012835e-6,
    1.3898025173428905e-7, -7.4067012543441668e-9, 3.1559927583611333e-10,
    -1.1003860827939698e-11, 3.1989232970233478e-13, -7.8750412547091548e-15,
    1.6632588015211278e-16, -3.0475993756698375e-18, 4.8912290055811177e-20,
    -6.9338938875602038e-22,
)
_J1_SMALL = (
    0.00027895709887613104, -0.00031156840366435618, 8.5536465885405378e-5,
    -1.4149356425623484e-5, 1.5764700992258891e-6, -1.2690755023694251e-7,
    7.7476140770730569e-9, -3.7165771466757722e-10, 1.4395417669312554e-11,
    -4.6000782241345199e-13, 1.2341465589619717e-14, -2.8205466239524857e-16,
    5.558821065951572e-18, -9.5469308657552193e-20, 1.4418291781315051e-21,
)
_Y0_SMALL = (
    -0.033146113203284942, -0.27447430552974527, 0.17903431407718266,
    0.26156734625504664, -0.17730201278114358, 0.047196689595763387,
    -0.0072879624795520792, 0.00075311359325777423, -5.632079141056987e-5,
    3.206532537654801e-6, -1.4407233274018699e-7, 5.2487947873305161e-9,
    -1.5837552541812015e-10, 4.0263308183061208e-12, -8.7473412033107696e-14,
    1.6434898714919469e-15, -2.6977881152566836e-17, 3.9032584173475983e-19,
)
_Y1_SMALL = (
    0.0025380132357417817, -0.01608717304766875, -0.095912045360830742,
    0.084451972596523458, -0.028328123944594366, 0.005289897544167113,
    -0.0006414551451326356, 5.5059828733387438e-5, -3.5380800186893499e-6,
    1.7707804556154403e-7, -7.1105500498992798e-9, 2.3443379059115164e-10,
    -6.4651518414115942e-12, 1.51429151205002e-13, -3.0511859694473253e-15,
    5.3466803857286701e-17, -8.2249113720215846e-19, 1.1198518333682238e-20,
)
_P0 = (
    0.99946034934751867, -0.00053652204681321174, 3.0751847875194746e-6,
    -5.1705945376060977e-8, 1.6306464635151383e-9, -7.86409137723707e-11,
    5.1682623873491925e-12, -4.3045788699253912e-13, 4.3265957431549406e-14,
    -5.0690340959352361e-15, 6.7480722157338737e-16, -1.0011513723467786e-16,
    1.6305919233744185e-17, -2.8808661694828712e-18, 5.4680827832590384e-19,
    -1.1062036496829717e-19,
)
_Q0_TIMES_X = (
    -0.12444683684269607, 0.00054708159540893197, -5.9315987288485178e-6,
    1.4377965798375193e-7, -5.817532749493056e-9, 3.3760975237349908e-10,
    -2.5653979367973078e-11, 2.404916100281365e-12, -2.6690625482579416e-13,
    3.4041800321963689e-14, -4.87994410531204e-15, 7.7297031762426054e-16,
    -1.3348852171502517e-16, 2.4865952389390515e-17, -4.9528926298865159e-18,
    1.0473158973776097e-18, -2.3369301722114219e-19, 5.4745819157106008e-20,
    -1.340614852833976e-20,
)
_P1 = (
    1.0009030408600137, 0.00089898983308594086, -3.9872843004889085e-6,
    6.1776339606442985e-8, -1.8718907491063066e-9, 8.8168986595823389e-11,
    -5.7048636403956447e-12, 4.6991955152305424e-13, -4.6842237839904892e-14,
    5.4526748960447172e-15, -7.2211808422740179e-16, 1.0667689114335412e-16,
    -1.7312313216116335e-17, 3.0492991197665872e-18, -5.7724216549874537e-19,
    1.1650571755711491e-19,
)
_Q1_TIMES_X = (
    0.3742222965562826, -0.00077021788393256635, 7.3108922063643633e-6,
    -1.6767825107266738e-7, 6.5833546621204433e-9, -3.7490909505415562e-10,
    2.8121750359748865e-11, -2.6114525394623199e-12, 2.8774212663332234e-13,
    -3.6490019160618378e-14, 5.2066263662267072e-15, -8.2153180254585943e-16,
    1.4141084390211833e-16, -2.6267615898385292e-17, 5.2192649196714082e-18,
    -1.101261718787959e-18, 2.4525932320263115e-19, -5.7356747754722219e-20,
)
_J0_ZERO_1 = (2.404825557695773, -1.176691651530894e-16)
_J0_ZERO_2 = (5.520078110286311, 8.088597146146722e-17)
_J1_ZERO_1 = (3.8317059702075125, -1.5269184090088067e-16)
_J1_ZERO_2 = (7.015586669815619, -9.414165653410389e-17)


def _minus_zero_squared(x, zero):
    """x**2 - r**2 as (x - r)(x + r), with r in two parts: accurate near r."""
    high, low = zero
    return ((x - high) - low) * (x + high)


def _small(a, kind, order):
    """J or Y of order ``order`` at 0 < a <= 8 (J at 0 too)."""
    t = (a * a) / 32.0 - 1.0
    if kind == "j" and order == 0:
        return (_chebyshev(t, _J0_SMALL) * _minus_zero_squared(a, _J0_ZERO_1)
                * _minus_zero_squared(a, _J0_ZERO_2))
    if kind == "j":
        return (a * _chebyshev(t, _J1_SMALL) * _minus_zero_squared(a, _J1_ZERO_1)
                * _minus_zero_squared(a, _J1_ZERO_2))
    j = _small(a, "j", order)
    if order == 0:
        return _chebyshev(t, _Y0_SMALL) + _TWO_OVER_PI * np.log(a) * j
    return a * _chebyshev(t, _Y1_SMALL) + _TWO_OVER_PI * (np.log(a) * j - 1.0 / a)


def _large(a, kind, order):
    """J or Y of order ``order`` at a > 8, Hankel's form."""
    t = 128.0 / (a * a) - 1.0
    p = _chebyshev(t, _P1 if order else _P0)
    q = _chebyshev(t, _Q1_TIMES_X if order else _Q0_TIMES_X) / a
    cos, sin = np.cos(a), np.sin(a)
    # chi = a - pi/4 (order 0) or a - 3 pi/4 (order 1)
    if order == 0:
        cos_chi, sin_chi = _SQRT_HALF * (cos + sin), _SQRT_HALF * (sin - cos)
    else:
        cos_chi, sin_chi = _SQRT_HALF * (sin - cos), -_SQRT_HALF * (cos + sin)
    combination = p * cos_chi - q * sin_chi if kind == "j" else p * sin_chi + q * cos_chi
    return np.sqrt(_TWO_OVER_PI / a) * combination


def _evaluate(x, kind, order):
    values, dtype = as_float64(x)
    v = values.ravel()
    a = np.abs(v)
    out = np.full(v.shape, np.nan)
    small = a <= 8.0
    large = (a > 8.0) & np.isfinite(a)
    out[small] = _small(a[small], kind, order)
    out[large] = _large(a[large], kind, order)
    out[np.isinf(a)] = 0.0
    if kind == "j" and order == 1:
        out = np.where(v < 0, -out, out)
        out[v == 0] = v[v == 0]            # (-0.0 stays -0.0)
    if kind == "y":
        out[v < 0] = np.nan
        out[v == 0] = -np.inf
    out[np.isnan(v)] = np.nan
    return out.reshape(values.shape).astype(dtype, copy=False)


@_quiet
def j0(x):
    """J0(x).

    >>> j0(np.array([0.0, 2.404825557695773, 100.0]))
    array([ 1.00000000e+00, -6.10876526e-17,  1.99858503e-02])
    """
    return _evaluate(x, "j", 0)


@_quiet
def j1(x):
    """J1(x) (odd).

    >>> j1(np.array([0.0, 1.0, -100.0]))
    array([0.        , 0.44005059, 0.07714535])
    """
    return _evaluate(x, "j", 1)


@_quiet
def y0(x):
    """Y0(x): -inf at 0, NaN for x < 0.

    >>> y0(np.array([0.0, 1.0, 100.0]))
    array([       -inf,  0.08825696, -0.07724431])
    """
    return _evaluate(x, "y", 0)


@_quiet
def y1(x):
    """Y1(x): -inf at 0, NaN for x < 0.

    >>> y1(np.array([0.0, 1.0, 100.0]))
    array([       -inf, -0.78121282, -0.02037231])
    """
    return _evaluate(x, "y", 1)
