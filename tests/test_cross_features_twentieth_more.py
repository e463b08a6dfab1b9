"""The twentieth round's features crossed with the rest, continued: float16 gradient
norms and clipping, stable ``topk(largest=False)``, ``np.float_power`` and
``np.nan_to_num`` of complex tensors, PyTorch's ``gradient(spacing=, dim=)`` and
``t * number`` of 0-d complex tensors, through the transforms, compile, double
backward, in-place views and the numba loops off."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import autodiff as ad
from numba_off import assert_prints_ok_with_numba_loops_off
from numpy_program_checks import central_difference

Z = np.array([1 + 2j, -0.5j, 3 - 1j])
NOT_FINITE = np.array([complex(np.nan, 1), complex(2, np.inf), 1 + 1j, complex(-np.inf, 3)])
WEIGHTS = np.array([1 + 1j, 2 - 1j, 1j, 0.5])


def _complex_central_difference(loss, z):
    """A real loss's gradient at complex ``z`` in PyTorch's convention: the derivative
    along the real parts plus 1j times the one along the imaginary parts."""
    along_real = central_difference(lambda re: loss(_complex(re, z.imag)), z.real.copy())
    along_imag = central_difference(lambda im: loss(_complex(z.real, im)), z.imag.copy())
    return along_real + 1j * along_imag


def _complex(real, imag):
    """``real + 1j * imag`` without ``1j * inf``'s NaN real part."""
    z = np.empty(np.shape(real), complex)
    z.real, z.imag = real, imag
    return z


# ----- float16 gradient norms ------------------------------------------------------------

def _clipped(lib, grads, norm_type, foreach):
    params = []
    for grad in grads:
        param = lib.nn.Parameter(lib.tensor(np.ones_like(grad)))
        param.grad = lib.tensor(grad.copy())
        params.append(param)
    total = lib.nn.utils.clip_grad_norm_(params, 1.0, norm_type=norm_type, foreach=foreach)
    return np.asarray(total), [np.asarray(p.grad) for p in params]


@pytest.mark.parametrize("grads, norm_type", [
    ([np.full(4, 3.0, np.float16)], 2.0),
    ([np.full(4, 4e4, np.float16)], 2.0),                       # the norm past 65504: inf
    ([np.full(4, 3.0, np.float16), np.full(4, 4.0, np.float32)], 2.0),
    ([np.array([1.0, -300.0, 2.0, 0.5], np.float16)], 1.0),
    ([np.array([1.0, -300.0, 2.0, 0.5], np.float16)], 3.0),
    ([np.array([1.0, -300.0, 2.0, 0.5], np.float16)], np.inf),
    ([np.float16(-3.0) * np.ones(()), np.zeros(0, np.float16)], 2.0),   # 0-d and empty
])
@pytest.mark.parametrize("foreach", [False, True])
def test_float16_clipping_as_pytorchs(grads, norm_type, foreach):
    torch = pytest.importorskip("torch")
    their_total, their_clipped = _clipped(torch, grads, norm_type, foreach)
    warns = contextlib.nullcontext() if np.isfinite(their_total) else \
        pytest.warns(RuntimeWarning, match="the norm of a float16 one is past 65504")
    with warns:
        total, clipped = _clipped(ad, grads, norm_type, foreach)
    assert total.dtype == their_total.dtype
    np.testing.assert_array_equal(total, their_total)
    for ours, theirs in zip(clipped, their_clipped):
        assert ours.dtype == theirs.dtype
        # (the scale is one float32 division apart: a unit in the last place)
        np.testing.assert_allclose(ours, theirs, rtol=2 * np.finfo(ours.dtype).eps, atol=0)


def test_float16_model_gradient_norm_and_error_as_pytorchs():
    torch = pytest.importorskip("torch")
    weight = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)

    def run(lib):
        layer = lib.nn.Linear(3, 2)
        with lib.no_grad():                 # (this library's layout may be transposed)
            layer.weight.copy_(lib.tensor(weight if tuple(layer.weight.shape) == (2, 3)
                                          else weight.T.copy()))
            layer.bias.zero_()
        layer = layer.half()
        layer(lib.tensor(np.full((5, 3), 10.0, np.float16))).sum().backward()
        total = lib.nn.utils.clip_grad_norm_(layer.parameters(), 1.0)
        return np.asarray(total), np.asarray(layer.weight.grad), np.asarray(layer.bias.grad)

    ours, theirs = run(ad), run(torch)
    assert ours[0].dtype == theirs[0].dtype == np.float16
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1].reshape(ours[1].shape), rtol=1e-3)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-3)
    param = ad.nn.Parameter(ad.tensor(np.ones(4, np.float16)))
    param.grad = np.full(4, 4e4, np.float16)
    with pytest.raises(RuntimeError, match="float16 one is past 65504"):
        ad.nn.utils.clip_grad_norm_([param], 1.0, error_if_nonfinite=True)


# ----- topk(largest=False) ---------------------------------------------------------------

V = np.array([1.0, 0.0, 1.0, 0.0, 2.0, 0.0])


def test_smallest_topk_ties_take_the_first_index_through_the_transforms_and_compile():
    smallest_two = ad.tensor(V).topk(2, largest=False)
    np.testing.assert_array_equal(smallest_two.indices, [1, 3])
    picked = np.zeros((2, 6))
    picked[0, 1] = picked[1, 3] = 1.0
    for jacobian in (ad.jacrev, ad.jacfwd):
        np.testing.assert_array_equal(
            jacobian(lambda t: t.topk(2, largest=False).values)(ad.tensor(V)), picked)
    np.testing.assert_array_equal(
        ad.vmap(lambda t: t.topk(2, largest=False).indices)(ad.tensor(np.stack([V, V[::-1]]))),
        [[1, 3], [0, 2]])
    step = ad.compile(lambda t: t.topk(2, largest=False).values * 2)
    for values in (V, V + 1, V[::-1].copy()):
        np.testing.assert_array_equal(step(ad.tensor(values)).data, 2 * np.sort(values)[:2])
    weights = ad.tensor([1.0, 10.0])
    np.testing.assert_array_equal(
        ad.grad(lambda t: (t.topk(2, largest=False).values * weights).sum())(ad.tensor(V)),
        [0.0, 1.0, 0.0, 10.0, 0.0, 0.0])


def test_smallest_topk_along_dim_0_signed_zeros_and_nan_as_pytorchs_where_they_agree():
    torch = pytest.importorskip("torch")
    for values, k, dim in ((np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 1.0]]), 2, 0),
                           (np.array([0.0, -0.0, 0.0]), 2, -1),
                           (np.array([[3.0, np.nan, 0.0]]), 2, 1),
                           (np.float64(3.0), 1, -1)):
        ours = ad.tensor(values).topk(k, dim=dim, largest=False)
        theirs = torch.tensor(values).topk(k, dim=dim, largest=False)
        np.testing.assert_array_equal(ours.values, theirs.values.numpy())
        np.testing.assert_array_equal(np.signbit(ours.values), np.signbit(theirs.values.numpy()))
        np.testing.assert_array_equal(ours.indices, theirs.indices.numpy())


# ----- np.float_power and np.nan_to_num of complex tensors -------------------------------

def _float_power_loss(lib, t):
    power = np.float_power(t, 2.5) if lib is np else lib.float_power(t, 2.5)
    return power.abs().sum()


def test_complex_float_power_double_backward_hooks_and_exponent_as_pytorchs():
    torch = pytest.importorskip("torch")
    t = ad.tensor(Z, requires_grad=True)
    g, = ad.autograd.grad(_float_power_loss(np, t), [t], create_graph=True)
    gg, = ad.autograd.grad(g.abs().sum(), [t])
    tt = torch.tensor(Z, requires_grad=True)
    tg, = torch.autograd.grad(_float_power_loss(torch, tt), [tt], create_graph=True)
    tgg, = torch.autograd.grad(tg.abs().sum(), [tt])
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gg, tgg.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        g.data, _complex_central_difference(
            lambda z: np.abs(np.float_power(z, 2.5)).sum(), Z), rtol=1e-6)
    exponent = ad.tensor(np.array([1j, 0.5, 2.0 + 0j]), requires_grad=True)
    base = np.array([2.0 + 1j, -1 + 0j, 0j])
    ge, = ad.autograd.grad(np.float_power(ad.tensor(base), exponent).real.sum(), [exponent])
    te = torch.tensor(np.array([1j, 0.5, 2.0 + 0j]), requires_grad=True)
    tge, = torch.autograd.grad(torch.float_power(torch.tensor(base), te).real.sum(), [te])
    np.testing.assert_allclose(ge, tge.numpy(), rtol=1e-12, atol=1e-15)
    seen = []
    t = ad.tensor(Z, requires_grad=True)
    power = np.float_power(t, 2)
    power.register_hook(lambda grad: seen.append(grad.copy()))
    power.abs().sum().backward()
    np.testing.assert_allclose(seen[0], (Z ** 2) / np.abs(Z ** 2), rtol=1e-15)


def test_complex_float_power_in_forward_mode_vmap_and_compile():
    _, tangent = ad.jvp(lambda z: np.float_power(z, 3), (ad.tensor(Z),),
                        (ad.tensor(np.ones(3) + 0j),))
    np.testing.assert_allclose(tangent, 3 * Z ** 2, rtol=1e-15)
    np.testing.assert_allclose(ad.vmap(lambda z: np.float_power(z, 2))(ad.tensor(Z[:, None])),
                               Z[:, None] ** 2, rtol=1e-15)
    step = ad.compile(lambda z: np.float_power(z, 2) * 2)
    for shift in (0, 1j, 2):
        np.testing.assert_allclose(step(ad.tensor(Z + shift)).data, 2 * (Z + shift) ** 2,
                                   rtol=1e-15)
    assert np.float_power(ad.tensor(np.complex64(1j)), 2).dtype == np.complex128
    assert np.float_power(ad.tensor(np.zeros(0, complex)), 2).shape == (0,)


def _nan_to_num_loss(z):
    return (np.nan_to_num(z, posinf=5.0, neginf=-5.0) * WEIGHTS).real.sum()


def test_complex_nan_to_num_gradients_against_central_differences_part_by_part():
    # (PyTorch refuses to differentiate a complex nan_to_num)
    t = ad.tensor(NOT_FINITE, requires_grad=True)
    g, = ad.autograd.grad(_nan_to_num_loss(t), [t])
    np.testing.assert_allclose(
        g, _complex_central_difference(lambda z: _nan_to_num_loss(z), NOT_FINITE),
        rtol=1e-8)
    t = ad.tensor(NOT_FINITE, requires_grad=True)
    y = np.nan_to_num(t, posinf=5.0, neginf=-5.0)
    g, = ad.autograd.grad((y * y).real.sum(), [t], create_graph=True)
    gg, = ad.autograd.grad(g.real.sum(), [t])
    np.testing.assert_allclose(
        g.data, _complex_central_difference(
            lambda z: (np.nan_to_num(z, posinf=5.0, neginf=-5.0) ** 2).real.sum(), NOT_FINITE),
        rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(gg, [0, 2, 2, 0], atol=1e-15)        # Re(2y) along Re only
    _, tangent = ad.jvp(lambda z: np.nan_to_num(z), (ad.tensor(NOT_FINITE),),
                        (ad.tensor(np.full(4, 1 + 1j)),))
    np.testing.assert_array_equal(tangent, [1j, 1, 1 + 1j, 1j])


def test_complex_nan_to_num_in_place_on_a_view_under_compile_and_vmap():
    finite_first = np.array([1 + 1j, complex(2, np.inf), 1 - 1j, complex(-np.inf, np.nan)])
    leaf = ad.tensor(finite_first, requires_grad=True)
    values = leaf + 0                   # (a complex times 1 turns an inf part into NaN)
    values[1:].nan_to_num_(posinf=5.0, neginf=-5.0)
    np.testing.assert_array_equal(values.data, [1 + 1j, 2 + 5j, 1 - 1j, -5 + 0j])
    g, = ad.autograd.grad((values * WEIGHTS).real.sum(), [leaf])
    np.testing.assert_array_equal(g, [1 - 1j, 2 + 0j, -1j, 0])
    step = ad.compile(lambda z: np.nan_to_num(z, posinf=5.0, neginf=-5.0) * 2)
    for values in (NOT_FINITE, NOT_FINITE[::-1].copy()):
        np.testing.assert_array_equal(step(ad.tensor(values)).data,
                                      2 * np.nan_to_num(values, posinf=5.0, neginf=-5.0))
    np.testing.assert_array_equal(
        ad.vmap(lambda z: np.nan_to_num(z, posinf=5.0))(ad.tensor(NOT_FINITE.reshape(2, 2))),
        np.nan_to_num(NOT_FINITE, posinf=5.0).reshape(2, 2))
    assert np.nan_to_num(ad.tensor(NOT_FINITE.astype(np.complex64))).dtype == np.complex64
    with ad.no_grad():
        assert not np.nan_to_num(ad.tensor(NOT_FINITE, requires_grad=True)).requires_grad


# ----- gradient(spacing=, dim=) ----------------------------------------------------------

F = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
F2 = np.arange(12.0).reshape(3, 4) ** 2


@pytest.mark.parametrize("values, options", [
    (F, {"spacing": 2.0}), (F, {"spacing": [2.0]}), (F, {"spacing": 2.0, "edge_order": 2}),
    (F2, {"dim": 1}), (F2, {"dim": -1}), (F2, {"dim": (0,)}), (F2, {"spacing": 2.0}),
    (F2, {"spacing": [1.0, 2.0], "dim": [0, 1]}), (F2, {"spacing": [1.0, 2.0]}),
    (F.astype(np.float32), {"spacing": 2.0}), (F.astype(np.float16), {"spacing": 2.0}),
    (Z, {"spacing": 2.0}), (np.float64(1.0), {"spacing": 2.0}),
])
def test_gradient_in_pytorchs_spelling_as_pytorchs(values, options):
    torch = pytest.importorskip("torch")
    ours = ad.gradient(ad.tensor(values), **options)
    theirs = torch.gradient(torch.tensor(values), **options)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for mine, their in zip(ours, theirs):
        assert mine.dtype == their.numpy().dtype
        np.testing.assert_array_equal(mine, their.numpy())


def test_gradient_by_coordinates_and_a_spacing_tensor_is_differentiable():
    torch = pytest.importorskip("torch")
    coords = np.array([0.0, 1.0, 3.0, 4.0, 7.0])
    ours, = ad.gradient(ad.tensor(F), spacing=(ad.tensor(coords),))
    theirs, = torch.gradient(torch.tensor(F), spacing=(torch.tensor(coords),))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-15)
    by_coords = ad.grad(lambda c: ad.gradient(ad.tensor(F), spacing=(c,))[0].sum())
    np.testing.assert_allclose(
        by_coords(ad.tensor(coords)),
        central_difference(lambda c: np.gradient(F, c).sum(), coords), rtol=1e-6)
    by_step = ad.grad(lambda h: (ad.gradient(ad.tensor(F), spacing=h)[0] ** 2).sum())
    np.testing.assert_allclose(
        by_step(ad.tensor(2.0)),
        central_difference(lambda h: (np.gradient(F, h[0]) ** 2).sum(), np.array([2.0])),
        rtol=1e-6)
    with pytest.raises(ValueError, match="too few"):
        ad.gradient(ad.tensor([1.0]), spacing=2.0)
    with pytest.raises(TypeError, match="not both"):
        ad.gradient(ad.tensor(F), 2.0, dim=0)


def test_gradient_in_pytorchs_spelling_through_the_transforms_and_compile():
    jacobian = ad.jacrev(lambda t: ad.gradient(t, spacing=2.0)[0])(ad.tensor(F[:3]))
    np.testing.assert_array_equal(
        jacobian, [[-0.5, 0.5, 0.0], [-0.25, 0.0, 0.25], [0.0, -0.5, 0.5]])
    np.testing.assert_array_equal(
        ad.jacfwd(lambda t: ad.gradient(t, spacing=2.0)[0])(ad.tensor(F[:3])), jacobian)
    np.testing.assert_array_equal(
        ad.vmap(lambda row: ad.gradient(row, spacing=2.0)[0])(ad.tensor(F2)),
        np.gradient(F2, 2.0, axis=1))
    np.testing.assert_array_equal(
        ad.vmap(lambda row: ad.gradient(row, dim=0)[0])(ad.tensor(F2)), np.gradient(F2, axis=1))
    step = ad.compile(lambda t: ad.gradient(t, spacing=2.0)[0] * 3)
    for scale in (1.0, 2.0):
        np.testing.assert_array_equal(step(ad.tensor(F * scale)).data,
                                      3 * np.gradient(F * scale, 2.0))
    _, tangent = ad.jvp(lambda t: ad.gradient(t, dim=0)[0], (ad.tensor(F),), (ad.tensor(F),))
    np.testing.assert_array_equal(tangent, np.gradient(F))


# ----- 0-d complex times a number --------------------------------------------------------

def test_zero_d_complex_times_numbers_through_grad_forward_mode_compile_and_in_place():
    torch = pytest.importorskip("torch")
    z0 = 1.5 - 2j
    t = ad.tensor(z0, requires_grad=True)
    scaled = t * 2.5
    g, = ad.autograd.grad((scaled * scaled.conj()).real, [t], create_graph=True)
    gg, = ad.autograd.grad(g.real, [t])
    tt = torch.tensor(z0, dtype=torch.complex128, requires_grad=True)
    their_scaled = tt * 2.5
    tg, = torch.autograd.grad((their_scaled * their_scaled.conj()).real, [tt],
                              create_graph=True)
    tgg, = torch.autograd.grad(tg.real, [tt])
    assert complex(g.data) == complex(tg.detach()) and complex(gg) == complex(tgg)
    _, tangent = ad.jvp(lambda x: x * 2.5, (ad.tensor(z0),), (ad.tensor(1j + 0),))
    assert complex(tangent) == 2.5j
    step = ad.compile(lambda x: x * 2.5 + 1)
    for value in (z0, z0 + 1j, 2.0):                     # a real one last: a retrace
        assert complex(step(ad.tensor(value)).data) == value * 2.5 + 1
    leaf = ad.tensor(z0, requires_grad=True)
    product = leaf * 1
    product *= 2.5
    g, = ad.autograd.grad(product.real, [leaf])
    assert complex(g) == 2.5
    assert (ad.tensor(np.complex64(z0)) * 2.5).dtype == np.complex64
    np.testing.assert_array_equal(ad.vmap(lambda x: x * 2.5)(ad.tensor(np.array([z0, 1j]))),
                                  np.array([z0, 1j]) * 2.5)


def test_this_rounds_features_with_the_numba_loops_off():
    # (AUTODIFF_JIT=0 is read at import: a fresh interpreter)
    assert_prints_ok_with_numba_loops_off("""
        import numpy as np, autodiff as ad
        a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
        assert np.array_equal(ad.grad(lambda t: t.max(ad.tensor(b)).sum())(ad.tensor(a)),
                              [0.0, 0.5, 1.0])
        t = ad.tensor(a)
        assert t.double() is t
        assert ad.tensor([True]).add_(ad.tensor([True]), alpha=2).dtype == np.bool_
        assert np.array_equal(ad.tensor([1.0, 0.0, 0.0]).topk(2, largest=False).indices,
                              [1, 2])
        z = np.array([1 + 2j, np.nan + 1j])
        leaf = ad.tensor(z, requires_grad=True)
        g, = ad.autograd.grad(np.nan_to_num(leaf).real.sum(), [leaf])
        assert np.array_equal(g, [1, 0]), g
        d, = ad.gradient(ad.tensor([1.0, 4.0, 9.0]), spacing=2.0)
        assert np.array_equal(d, [1.5, 2.0, 2.5])
        assert complex(ad.tensor(1.5 - 2j) * 2.5) == (1.5 - 2j) * 2.5
        print("ok")
    """)


def test_gradient_refuses_pytorchs_bad_dims_naming_gradient():
    # (NumPy's bare "repeated axis" and "axis 2 is out of bounds" named no op, no dim=)
    torch = pytest.importorskip("torch")
    for bad, error in (({"dim": 2}, IndexError), ({"dim": [0, -2]}, ValueError)):
        with pytest.raises(error, match=r"gradient: dim"):
            ad.gradient(ad.tensor(F2), **bad)
        with pytest.raises((IndexError, RuntimeError)):
            torch.gradient(torch.tensor(F2), **bad)
    with pytest.raises(IndexError, match="gradient: dim=0 given for a 0-d tensor"):
        ad.gradient(ad.tensor(1.0), dim=0)
    with pytest.raises(IndexError):
        torch.gradient(torch.tensor(1.0), dim=0)
    assert len(ad.gradient(ad.tensor(F2), dim=[-1, 0])) == 2
