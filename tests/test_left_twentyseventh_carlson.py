"""Carlson's R_D and R_J have slopes (difference quotients in R_J and R_D, DLMF 19.18,
their limits where an argument meets the pole), so R_D, R_J, R_F, R_C, R_G and the
incomplete integrals' slopes in m have second derivatives: checked against mpmath."""

import numpy as np
import pytest
from scipy import special

import autodiff as ad

mpmath = pytest.importorskip("mpmath")


def _first(function, args, i):
    tensors = [ad.tensor(a, requires_grad=True) for a in args]
    function(*tensors).backward()
    return float(tensors[i].grad)


def _second(function, args, i, j):
    tensors = [ad.tensor(a, requires_grad=True) for a in args]
    slope = ad.autograd.grad(function(*tensors), tensors[i], create_graph=True)[0]
    return float(ad.autograd.grad(slope, tensors[j])[0])


def _exact(name, args, orders):
    with mpmath.workdps(40):
        return float(mpmath.diff(getattr(mpmath, name), [mpmath.mpf(a) for a in args],
                                 tuple(orders)))


_POINTS = {
    "elliprd": [(0.7, 1.9, 1.3), (1.3, 1.9, 1.3), (1.3, 1.3, 1.3), (0.4, 1.3, 1.3),
                (1.3, 1.3, 0.4)],
    "elliprj": [(0.7, 1.9, 1.3, 2.6), (2.6, 1.9, 1.3, 2.6), (2.6, 2.6, 1.3, 2.6),
                (2.6, 2.6, 2.6, 2.6), (1.3, 1.3, 1.3, 2.6)],
    "elliprf": [(0.7, 1.9, 1.3), (1.0, 1.0, 1.0), (0.4, 1.0, 1.0)],
    "elliprg": [(0.7, 1.9, 1.3), (1.0, 1.0, 1.0)],
    "elliprc": [(0.5, 2.0), (1.0, 1.0), (2.0, 0.5)],
}


@pytest.mark.parametrize("name, args", [(n, a) for n, points in _POINTS.items()
                                        for a in points])
def test_first_and_second_derivatives_match_mpmath(name, args):
    """Including where arguments meet R_D's or R_J's pole (the 0/0 of the quotient)."""
    function = getattr(special, name)
    for i in range(len(args)):
        orders = [0] * len(args)
        orders[i] = 1
        np.testing.assert_allclose(_first(function, args, i), _exact(name, args, orders),
                                   rtol=1e-12)
        for j in range(len(args)):
            both = list(orders)
            both[j] += 1
            np.testing.assert_allclose(_second(function, args, i, j),
                                       _exact(name, args, both), rtol=1e-11)


@pytest.mark.parametrize("gap", [1e-3, 1e-5, 3e-6, 1e-8, 1e-12])
def test_near_the_pole_the_slopes_stay_accurate(gap):
    args = (1.3 * (1 + gap), 1.9, 1.3)
    for i in range(3):
        orders = [0, 0, 0]
        orders[i] = 1
        np.testing.assert_allclose(_first(special.elliprd, args, i),
                                   _exact("elliprd", args, orders), rtol=1e-10)
        orders[0] += 1
        np.testing.assert_allclose(_second(special.elliprd, args, i, 0),
                                   _exact("elliprd", args, orders), rtol=1e-5)


def test_r_j_below_zero_is_scipys_principal_value_and_its_slopes_are_its_own():
    # (mpmath's R_J is complex there; SciPy's is the principal value: central differences)
    args = [0.7, 1.9, 1.3, -0.8]
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6
        expected = (special.elliprj(*(args + step)) - special.elliprj(*(args - step))) / 2e-6
        np.testing.assert_allclose(_first(special.elliprj, args, i), expected, rtol=1e-7)


def test_incomplete_integrals_have_second_derivatives_in_m():
    for name, mp_name in (("ellipkinc", "ellipf"), ("ellipeinc", "ellipe")):
        function = getattr(special, name)
        for phi, m in ((0.9, 0.3), (2.0, -0.5)):
            expected = float(mpmath.diff(lambda t: getattr(mpmath, mp_name)(phi, t), m, 2))
            np.testing.assert_allclose(_second(function, (phi, m), 1, 1), expected,
                                       rtol=1e-10)


def test_r_d_at_a_zero_argument_has_its_infinite_slope_and_finite_others():
    assert _first(special.elliprd, (0.0, 1.9, 1.3), 0) == -np.inf
    for i in (1, 2):
        orders = [0, 0, 0]
        orders[i] = 1
        np.testing.assert_allclose(_first(special.elliprd, (0.0, 1.9, 1.3), i),
                                   _exact("elliprd", (0.0, 1.9, 1.3), orders), rtol=1e-12)
