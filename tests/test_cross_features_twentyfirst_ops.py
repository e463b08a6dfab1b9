"""The twenty-first round's features crossed with the rest, the ops: PyTorch's
``gradient(spacing=, dim=)``, ``np.pad(mode='linear_ramp')`` with Tensor end values,
``np.fmax.reduce`` / ``np.fmin.reduce`` with a Tensor ``initial=``, complex
``np.float_power``, through ``jacrev`` / ``jacfwd``, ``vmap``, compile, double backward
and forward mode, in float32 / float16 / complex and at size-1 and empty shapes;
against PyTorch where it has the function, central differences where not."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.forward_ad as forward
from numpy_program_checks import central_difference

X = np.array([[1.0, 3.0, 7.0, 8.0], [2.0, -1.0, 0.5, 4.0], [0.0, 1.0, 1.5, 9.0]])
COORDS = np.array([0.0, 1.0, 3.0, 4.0])


def _jacobian_by_central_differences(f, x):
    """``d f(x)[i] / d x[j]`` of a function of float64 arrays, by central differences."""
    out_shape = np.shape(f(x))
    rows = [central_difference(lambda flat, i=i: f(flat.reshape(x.shape))[i], x.ravel().copy())
            for i in np.ndindex(out_shape)]
    return np.array(rows).reshape(out_shape + x.shape)


# ----- gradient(spacing=, dim=) -----------------------------------------------------------

def test_gradient_jacobians_reverse_and_forward_are_pytorchs():
    torch = pytest.importorskip("torch")
    theirs = torch.autograd.functional.jacobian(
        lambda t: torch.gradient(t, spacing=2.0, dim=1)[0], torch.tensor(X)).numpy()
    along_rows = lambda t: ad.gradient(t, spacing=2.0, dim=1)[0]     # noqa: E731
    # (weights 1/4, 1/2 and 1 of single entries: exact in float64)
    np.testing.assert_array_equal(ad.jacrev(along_rows)(ad.tensor(X)), theirs)
    np.testing.assert_array_equal(ad.jacfwd(along_rows)(ad.tensor(X)), theirs)


def test_gradient_with_coordinates_under_vmap_is_pytorchs_per_row():
    torch = pytest.importorskip("torch")
    coords = ad.tensor(COORDS)
    mapped = ad.vmap(lambda row: ad.gradient(row, spacing=(coords,), dim=-1)[0])(ad.tensor(X))
    theirs = torch.gradient(torch.tensor(X), spacing=(torch.tensor(COORDS),), dim=-1)[0]
    np.testing.assert_allclose(mapped, theirs.numpy(), rtol=1e-15, atol=0)  # (same formula)
    columns = ad.vmap(lambda c: ad.gradient(c, spacing=2.0, dim=0)[0], in_dims=1)(ad.tensor(X))
    np.testing.assert_array_equal(columns.T,
                                  torch.gradient(torch.tensor(X), spacing=2.0, dim=0)[0].numpy())


def test_gradient_without_dim_of_a_row_is_numpys_array_under_vmap_too():
    mapped = ad.vmap(lambda row: ad.gradient(row))(ad.tensor(X))
    np.testing.assert_array_equal(mapped, np.stack([np.gradient(row) for row in X]))
    assert isinstance(ad.gradient(ad.tensor(X[0]), dim=0), tuple)


def test_gradient_over_two_dims_replays_and_retraces_under_compile():
    def total(t):
        return sum(g.sum() for g in ad.gradient(t * t, spacing=[1.0, 0.5], dim=(0, 1)))

    step = ad.compile(total)
    for shift in (0.0, 1.0, -2.0):
        assert step(ad.tensor(X + shift)).item() == total(ad.tensor(X + shift)).item()
    assert step(ad.tensor(X[:2])).item() == total(ad.tensor(X[:2])).item()   # a new shape
    assert step.traces == 2


def test_gradient_second_order_is_pytorchs_and_a_tensor_spacing_gets_its_gradient():
    torch = pytest.importorskip("torch")
    x = ad.tensor(X, requires_grad=True)
    g, = ad.autograd.grad(ad.gradient(x ** 3, spacing=0.5, dim=1)[0].sum(), [x],
                          create_graph=True)
    h, = ad.autograd.grad(g.sum(), [x])
    tx = torch.tensor(X, requires_grad=True)
    tg, = torch.autograd.grad(torch.gradient(tx ** 3, spacing=0.5, dim=1)[0].sum(), [tx],
                              create_graph=True)
    th, = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(h, th.numpy(), rtol=1e-14)
    # (PyTorch takes no Tensor spacing: its gradient is checked by central differences)
    spacing = ad.tensor(0.5, requires_grad=True)
    total = ad.gradient(ad.tensor(X) ** 3, spacing=spacing, dim=1)[0].sum()
    slope, = ad.autograd.grad(total, [spacing])
    expected = central_difference(
        lambda h: np.gradient(X ** 3, h[0], axis=1).sum(), np.array([0.5]))
    np.testing.assert_allclose(slope, expected[0], rtol=1e-8)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_through_coordinates_that_require_grad_is_pytorchs(edge_order):
    torch = pytest.importorskip("torch")
    spread = COORDS + [0, 0, 0, 0.5]
    coords, x = ad.tensor(spread, requires_grad=True), ad.tensor(X, requires_grad=True)
    (ad.gradient(x, spacing=(coords,), dim=1, edge_order=edge_order)[0] ** 2).sum().backward()
    their_coords = torch.tensor(spread, requires_grad=True)
    their_x = torch.tensor(X, requires_grad=True)
    (torch.gradient(their_x, spacing=(their_coords,), dim=1, edge_order=edge_order)[0] ** 2
     ).sum().backward()
    # (the same differences, summed in another order: a few ulps)
    np.testing.assert_allclose(coords.grad, their_coords.grad.numpy(), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(x.grad, their_x.grad.numpy(), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.complex128])
def test_gradient_keeps_the_dtype_of_pytorchs_and_its_gradient_too(dtype):
    torch = pytest.importorskip("torch")
    x = ad.tensor(X.astype(dtype), requires_grad=True)
    g = ad.gradient(x, spacing=2.0, dim=1)[0]
    theirs = torch.gradient(torch.tensor(X.astype(dtype)), spacing=2.0, dim=1)[0]
    assert g.dtype == dtype
    np.testing.assert_array_equal(g.data, theirs.numpy())   # (halves of differences)
    (g.real if g.dtype.kind == "c" else g).sum().backward()
    assert x.grad.dtype == dtype


def test_gradient_forward_mode_at_edge_order_two_is_pytorchs():
    torch = pytest.importorskip("torch")
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(X), ad.tensor(np.ones_like(X)))
        tangent = forward.unpack_dual(ad.gradient(dual * dual, dim=1, edge_order=2)[0]).tangent
    _, theirs = torch.func.jvp(lambda t: torch.gradient(t * t, dim=1, edge_order=2)[0],
                               (torch.tensor(X),), (torch.ones(3, 4, dtype=torch.float64),))
    np.testing.assert_allclose(tangent, theirs.numpy(), rtol=1e-14)


def test_gradient_on_size_one_and_empty_shapes_as_pytorch():
    torch = pytest.importorskip("torch")
    for shape in [(1, 4), (0, 4)]:
        ours = ad.gradient(ad.tensor(np.ones(shape)), dim=1)
        theirs = torch.gradient(torch.ones(shape), dim=1)
        assert [g.shape for g in ours] == [tuple(g.shape) for g in theirs]
    with pytest.raises(ValueError, match="gradient: the axis 1 has 1 elements"):
        ad.gradient(ad.tensor(np.ones((3, 1))), dim=1)
    with pytest.raises(RuntimeError):
        torch.gradient(torch.ones(3, 1), dim=1)
    with ad.no_grad():
        assert not ad.gradient(ad.tensor(X, requires_grad=True), dim=0)[0].requires_grad


# ----- np.pad(mode='linear_ramp') with Tensor end values ----------------------------------

A = np.array([[1.0, 2.0, 3.0], [4.0, -5.0, 6.0]])
ENDS = np.array([[-1.0, 2.0], [0.5, 3.0]])


def test_linear_ramp_jacobians_in_the_end_values_are_central_differences():
    def padded(ends):
        return np.pad(ad.tensor(A), 2, mode="linear_ramp", end_values=ends)

    reverse = ad.jacrev(padded)(ad.tensor(ENDS))
    np.testing.assert_array_equal(reverse, ad.jacfwd(padded)(ad.tensor(ENDS)))
    expected = _jacobian_by_central_differences(
        lambda e: np.pad(A, 2, mode="linear_ramp", end_values=e), ENDS)
    np.testing.assert_allclose(reverse, expected, atol=1e-8)


def test_linear_ramp_second_order_in_both_inputs_is_central_differences():
    def loss(xs, ends, lib):
        return (lib.pad(xs * xs, ((1, 2), (0, 3)), mode="linear_ramp",
                        end_values=ends * ends) ** 2).sum()

    x, ends = ad.tensor(A, requires_grad=True), ad.tensor(ENDS, requires_grad=True)
    gx, ge = ad.autograd.grad(loss(x, ends, np), [x, ends], create_graph=True)
    hx, he = ad.autograd.grad(gx.sum() + ge.sum(), [x, ends])

    def gradient_sum(flat):
        return central_difference(
            lambda p: loss(p[:6].reshape(2, 3), p[6:].reshape(2, 2), np), flat, 1e-5).sum()

    expected = central_difference(gradient_sum, np.concatenate([A.ravel(), ENDS.ravel()]), 1e-4)
    np.testing.assert_allclose(np.concatenate([hx.data.ravel(), he.data.ravel()]), expected,
                               rtol=1e-4, atol=1e-4)


def test_linear_ramp_with_end_values_per_example_under_vmap_and_its_gradient():
    ends = np.array([[0.0, 1.0], [2.0, 3.0]])

    def padded(row, end):
        return np.pad(row, (2, 1), mode="linear_ramp", end_values=end)

    mapped = ad.vmap(padded)(ad.tensor(A), ad.tensor(ends))
    np.testing.assert_array_equal(mapped, np.stack(
        [np.pad(A[i], (2, 1), mode="linear_ramp", end_values=ends[i]) for i in range(2)]))
    grads = ad.vmap(ad.grad(lambda r, e: (padded(r, e) ** 2).sum(), argnums=1))(
        ad.tensor(A), ad.tensor(ends))
    for i in range(2):
        expected = central_difference(
            lambda e: (np.pad(A[i], (2, 1), mode="linear_ramp", end_values=e) ** 2).sum(),
            ends[i].copy())
        np.testing.assert_allclose(grads[i], expected, rtol=1e-7)


def test_linear_ramp_with_tensor_end_values_replays_under_compile():
    step = ad.compile(lambda x, e: np.pad(x, 2, mode="linear_ramp", end_values=e).sum())
    for k in range(3):
        ends = [-1.0 * k, 2.0]
        assert step(ad.tensor(A + k), ad.tensor(ends)).item() == np.pad(
            A + k, 2, mode="linear_ramp", end_values=ends).sum()
    assert step.traces == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.complex128])
def test_linear_ramp_values_are_numpys_in_each_dtype(dtype):
    ends = np.array([1.5, -2.0]).astype(dtype)
    padded = np.pad(ad.tensor(A.astype(dtype)), 2, mode="linear_ramp",
                    end_values=ad.tensor(ends, requires_grad=np.dtype(dtype).kind == "f"))
    expected = np.pad(A.astype(dtype), 2, mode="linear_ramp", end_values=ends)
    assert padded.dtype == expected.dtype
    np.testing.assert_array_equal(padded.data, expected)


def test_linear_ramp_of_size_one_and_empty_axes_with_a_zero_d_end():
    for shape, widths in [((1,), 2), ((0, 3), ((0, 0), (1, 2)))]:
        end = ad.tensor(3.0, requires_grad=True)
        padded = np.pad(ad.tensor(np.ones(shape)), widths, mode="linear_ramp", end_values=end)
        np.testing.assert_array_equal(
            padded.data, np.pad(np.ones(shape), widths, mode="linear_ramp", end_values=3.0))
        padded.sum().backward()
        expected = central_difference(lambda e: np.pad(
            np.ones(shape), widths, mode="linear_ramp", end_values=e[0]).sum(), np.array([3.0]))
        np.testing.assert_allclose(end.grad, expected[0], rtol=1e-9, atol=1e-12)


# ----- np.fmax.reduce / np.fmin.reduce with a Tensor initial ------------------------------

GAPS = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 0.5]])


def test_fmax_reduce_jacobians_in_values_and_initial_agree_and_route_ties_one_way():
    def reduced(t, start):
        return np.fmax.reduce(t, axis=1, initial=start)

    start = ad.tensor(2.0)
    np.testing.assert_array_equal(reduced(ad.tensor(GAPS), start).data,
                                  np.fmax.reduce(GAPS, axis=1, initial=2.0))
    reverse = ad.jacrev(reduced, argnums=(0, 1))(ad.tensor(GAPS), start)
    forward_jac = ad.jacfwd(reduced, argnums=(0, 1))(ad.tensor(GAPS), start)
    for a, b in zip(reverse, forward_jac):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(reverse[1], [0.0, 1.0])   # row 0's max 3, row 1 the start


def test_fmin_reduce_with_an_initial_per_example_under_vmap():
    x = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 0.5]])
    starts = np.array([2.0, 0.1])
    mapped = ad.vmap(lambda t, s: np.fmin.reduce(t, initial=s))(ad.tensor(x), ad.tensor(starts))
    np.testing.assert_array_equal(mapped, [1.0, 0.1])
    gx, gs = ad.vmap(ad.grad(lambda t, s: np.fmin.reduce(t, initial=s), argnums=(0, 1)))(
        ad.tensor(x), ad.tensor(starts))
    np.testing.assert_array_equal(gx, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(gs, [0.0, 1.0])


def test_fmax_reduce_with_a_tensor_initial_replays_under_compile_with_nan():
    step = ad.compile(lambda t, s: np.fmax.reduce(t, axis=0, initial=s) * 2)
    for k in range(3):
        x = np.array([[1.0, np.nan], [k, 3.0]])
        np.testing.assert_array_equal(step(ad.tensor(x), ad.tensor(1.5)).data,
                                      2 * np.fmax.reduce(x, axis=0, initial=1.5))


def test_fmax_reduce_over_an_empty_axis_takes_the_initial_and_its_gradient():
    start = ad.tensor(-1.0, requires_grad=True)
    values = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    reduced = np.fmax.reduce(values, axis=0, initial=start)
    np.testing.assert_array_equal(reduced.data, np.fmax.reduce(np.zeros((0, 3)), axis=0,
                                                               initial=-1.0))
    reduced.sum().backward()
    assert start.grad == 3.0 and values.grad.shape == (0, 3)


def test_fmax_reduce_of_complex_values_recording_a_gradient_is_refused_naming_the_op():
    z = ad.tensor(np.array([1 + 2j, 1 + 3j, np.nan + 0j]), requires_grad=True)
    np.testing.assert_array_equal(np.fmax.reduce(z.detach()).data,
                                  np.fmax.reduce(z.data))
    with pytest.raises(TypeError, match="fmax_reduce: its gradient rule is written for real"):
        np.fmax.reduce(z)


# ----- complex np.float_power -------------------------------------------------------------

Z = np.array([1 + 2j, -0.5j, 3 - 1j, 2 + 0.5j])


def test_complex_float_power_under_vmap_compile_double_backward_and_jvp_as_pytorch():
    torch = pytest.importorskip("torch")
    mapped = ad.vmap(lambda z: np.float_power(z, 2.5))(ad.tensor(Z.reshape(2, 2)))
    # (the same complex pow of the C library on both sides)
    np.testing.assert_allclose(mapped.reshape(-1),
                               torch.float_power(torch.tensor(Z), 2.5).numpy(), rtol=1e-14)
    step = ad.compile(lambda z: np.float_power(z, 2.5))
    for k in (1, 2, 3):
        np.testing.assert_array_equal(step(ad.tensor(Z * k)).data, np.float_power(Z * k, 2.5))
    z, tz = ad.tensor(Z, requires_grad=True), torch.tensor(Z, requires_grad=True)
    g, = ad.autograd.grad((abs(np.float_power(z, 2.5)) ** 2).sum(), [z], create_graph=True)
    h, = ad.autograd.grad(abs(g).sum(), [z])
    tg, = torch.autograd.grad((abs(torch.float_power(tz, 2.5)) ** 2).sum(), [tz],
                              create_graph=True)
    th, = torch.autograd.grad(abs(tg).sum(), [tz])
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h, th.numpy(), rtol=1e-10)
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(Z), ad.tensor(np.ones(4, complex)))
        tangent = forward.unpack_dual(np.float_power(dual, 2.5)).tangent
    _, theirs = torch.func.jvp(lambda t: torch.float_power(t, 2.5), (torch.tensor(Z),),
                               (torch.ones(4, dtype=torch.complex128),))
    np.testing.assert_allclose(tangent, theirs.numpy(), rtol=1e-13)


def test_this_rounds_ops_and_a_nested_global_in_compile_with_the_numba_loops_off():
    from numba_off import assert_prints_ok_with_numba_loops_off
    assert_prints_ok_with_numba_loops_off("""
        import numpy as np, autodiff as ad
        x = np.array([[1.0, 3.0, 7.0], [2.0, -1.0, 0.5]])
        g, = ad.gradient(ad.tensor(x), spacing=2.0, dim=(1,))
        assert np.array_equal(g.data, np.gradient(x, 2.0, axis=1))
        ends = ad.tensor([1.0, -2.0], requires_grad=True)
        np.pad(ad.tensor(x[0]), 2, mode="linear_ramp", end_values=ends).sum().backward()
        assert np.allclose(ends.grad, [1.5, 1.5])
        start = ad.tensor(9.0, requires_grad=True)
        np.fmax.reduce(ad.tensor(x), axis=1, initial=start).sum().backward()
        assert start.grad == 2.0
        SCALE = 2.0
        step = ad.compile(lambda t: ad.vmap(lambda r: r * SCALE)(t).sum())
        assert step(ad.tensor(x)).item() == 2.0 * x.sum()
        SCALE = 3.0
        assert step(ad.tensor(x)).item() == 3.0 * x.sum()
        print("ok")
    """)
