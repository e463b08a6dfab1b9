"""The twenty-fourth round's functions crossed with the rest: the ``scipy.special``
functions that record on Tensors (hypergeometric, Struve, ``expn``, ``bdtr``,
``rgamma``, ``poch``, ``agm``, ``kolmogorov``, ``voigt_profile``, ``lambertw``,
``smirnov`` to first order, the degree trigonometry, ``kn`` / ``yn``, the two-output
``fresnel`` / ``sici`` / ``shichi``) and ``cummax`` / ``cummin``, through ``ad.grad``
and ``ad.grad`` of ``ad.grad``, ``jacrev`` / ``jacfwd``, ``vmap`` of ``grad``, forward
mode, ``ad.compile`` replays with changed inputs, ``no_grad``, float32 / 0-d / empty
shapes; against central differences, SciPy's values and PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sc

import autodiff as ad
import autodiff.forward_ad as forward
from numpy_program_checks import central_difference

X = np.array([0.3, 0.6, 0.8])

# each a function of one array, its other arguments fixed numbers
ONE_ARGUMENT = {
    "rgamma": sc.rgamma, "kolmogorov": sc.kolmogorov, "sindg": sc.sindg,
    "cosdg": sc.cosdg, "tandg": sc.tandg, "cotdg": sc.cotdg,
    "hyp0f1": lambda x: sc.hyp0f1(1.5, x), "hyp1f1": lambda x: sc.hyp1f1(0.5, 1.5, x),
    "hyp2f1": lambda x: sc.hyp2f1(0.5, 1.0, 1.5, x), "struve": lambda x: sc.struve(1, x),
    "modstruve": lambda x: sc.modstruve(0, x), "expn": lambda x: sc.expn(2, x),
    "bdtr": lambda x: sc.bdtr(3, 10, x), "bdtrc": lambda x: sc.bdtrc(3, 10, x),
    "poch_z": lambda x: sc.poch(x, 2.5), "poch_m": lambda x: sc.poch(1.3, x),
    "agm": lambda x: sc.agm(x, 1.5), "voigt_x": lambda x: sc.voigt_profile(x, 0.5, 0.3),
    "voigt_sigma": lambda x: sc.voigt_profile(0.4, x, 0.3),
    "lambertw": lambda x: sc.lambertw(x).real,
    "lambertw_lower": lambda x: sc.lambertw(-x / 3, -1).real,
    "kn": lambda x: sc.kn(1, x), "yn": lambda x: sc.yn(2, x + 1),
    "fresnel_s": lambda x: sc.fresnel(x)[0], "fresnel_c": lambda x: sc.fresnel(x)[1],
    "sici_si": lambda x: sc.sici(x)[0], "sici_ci": lambda x: sc.sici(x)[1],
    "shichi_shi": lambda x: sc.shichi(x)[0], "shichi_chi": lambda x: sc.shichi(x)[1],
    "binom": lambda x: sc.binom(x + 2, 2.0),
    "smirnov": lambda x: sc.smirnov(3, x),
}
# smirnov has a first derivative only (SciPy has none for the second)
SECOND_ORDER = sorted(set(ONE_ARGUMENT) - {"smirnov"})


def _slope(f, x=X):
    return central_difference(lambda p: np.sum(f(p)), x.copy())


def _loss(f):
    return lambda t: f(t).sum()


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
def test_grad_agrees_with_central_differences(name):
    f = ONE_ARGUMENT[name]
    np.testing.assert_allclose(ad.grad(_loss(f))(ad.tensor(X)), _slope(f), rtol=1e-6,
                               atol=1e-9)


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
def test_jacobians_both_ways_are_the_diagonal_of_the_slopes(name):
    f = ONE_ARGUMENT[name]
    by_rows, by_columns = ad.jacrev(f)(ad.tensor(X)), ad.jacfwd(f)(ad.tensor(X))
    np.testing.assert_allclose(np.diag(by_rows), _slope(f), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(by_rows, by_columns, rtol=1e-14)
    assert np.count_nonzero(by_rows - np.diag(np.diag(by_rows))) == 0


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
def test_vmap_of_grad_and_forward_mode_give_the_slopes(name):
    f = ONE_ARGUMENT[name]
    slope = ad.grad(_loss(f))(ad.tensor(X))
    np.testing.assert_allclose(ad.vmap(ad.grad(f))(ad.tensor(X)), slope, rtol=1e-12)
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(X), ad.tensor(np.ones(3)))
        tangent = forward.unpack_dual(f(dual)).tangent
    np.testing.assert_allclose(tangent, slope, rtol=1e-12)


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_grad_of_grad_agrees_with_differences_of_the_slope(name):
    f = ONE_ARGUMENT[name]
    second = ad.grad(ad.grad(f))(ad.tensor(X[1]))
    h = 1e-4
    by_differences = (_slope(f, X + h)[1] - _slope(f, X - h)[1]) / (2 * h)
    np.testing.assert_allclose(second, by_differences, rtol=2e-4, atol=1e-6)


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
def test_float32_zero_d_and_empty_inputs(name):
    f = ONE_ARGUMENT[name]
    single = X.astype(np.float32)
    with warnings.catch_warnings():
        # (SciPy's own: bdtr's float32 loop takes n as a float, and says so)
        warnings.simplefilter("ignore", DeprecationWarning)
        value, reference = f(ad.tensor(single)), f(single)
        assert value.dtype == np.asarray(reference).dtype
        np.testing.assert_array_equal(value.data, reference)
        # (a gradient has its input's dtype, whatever SciPy's loop computed in)
        slope = ad.grad(_loss(f))(ad.tensor(single))
    assert slope.dtype == np.float32
    np.testing.assert_allclose(slope, _slope(f), rtol=2e-3, atol=1e-5)
    np.testing.assert_allclose(ad.grad(f)(ad.tensor(X[2])), _slope(f)[2], rtol=1e-6)
    assert ad.grad(_loss(f))(ad.tensor(np.zeros((0, 2)))).shape == (0, 2)


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
def test_compiled_training_step_replays_with_changed_inputs(name):
    f = ONE_ARGUMENT[name]

    def step(t):
        loss = f(t).sum()
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for scale in (1.0, 1.1, 0.9):
        mine, eager = (ad.tensor(X * scale, requires_grad=True) for _ in range(2))
        np.testing.assert_allclose(compiled(mine).item(), step(eager).item(), rtol=1e-14)
        np.testing.assert_allclose(mine.grad, eager.grad, rtol=1e-14)
    assert compiled.traces == 1


@pytest.mark.parametrize("name", sorted(ONE_ARGUMENT))
def test_no_grad_records_nothing(name):
    t = ad.tensor(X, requires_grad=True)
    with ad.no_grad():
        result = ONE_ARGUMENT[name](t)
    assert not result.requires_grad and result.grad_fn is None


@pytest.mark.parametrize("k", [0, -1])
def test_lambertw_branch_compiles_as_the_constant_it_is(k):
    # SciPy's lambertw makes np.asarray(k) in the call: was refused by ad.compile as an
    # array computed outside the library
    def step(t):
        loss = sc.lambertw(-t / 3 if k else t, k).real.sum()
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for scale in (1.0, 1.1, 0.7):
        mine, eager = (ad.tensor(X * scale, requires_grad=True) for _ in range(2))
        assert compiled(mine).item() == step(eager).item()
        np.testing.assert_array_equal(mine.grad, eager.grad)
    assert compiled.traces == 1


@pytest.mark.parametrize("function, home", [
    (sc.fresnel, "scipy.special.fresnel"), (sc.erf, "scipy.special.erf"),
    (sc.expm1, "scipy.special.expm1"), (np.expm1, "numpy.expm1"), (np.sin, "numpy.sin")])
def test_an_unsupported_ufunc_argument_is_refused_naming_the_ufuncs_home(function, home):
    with pytest.raises(TypeError, match=rf"^{home} on a Tensor: the argument\(s\) \['where'\]"):
        function(ad.tensor(X, requires_grad=True), where=np.array([True, False, True]))
