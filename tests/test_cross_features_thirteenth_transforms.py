"""The twelfth round's features under the function transforms: ``vmap(grad)``,
``hessian``, ``jacfwd`` / ``jacrev``, ``jvp`` with complex primals, and double backward;
compared with PyTorch's ``torch.func`` where it has the function, else with central
differences or the analytic derivative."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn.attention import SDPBackend, sdpa_kernel

F = ad.nn.functional
RNG = np.random.default_rng(131313)
# (each comparison with PyTorch: the same formulas summed in other orders, a few ulp of
# the largest value apart)
TOL = dict(rtol=1e-12, atol=1e-12)


def _torch():
    return pytest.importorskip("torch")


def _values(result):
    return np.asarray(result.data if isinstance(result, ad.Tensor) else result)


# ----- complex 2-norms (squared_magnitudes) ---------------------------------------------

def test_vmap_grad_and_hessian_of_a_complex_norm_match_torch_func():
    torch = _torch()
    parts = RNG.normal(size=(3, 4, 2))

    def norm(v):
        return np.linalg.norm(ad.view_as_complex(v))

    def torch_norm(v):
        return torch.linalg.norm(torch.view_as_complex(v))
    got = ad.vmap(ad.grad(norm))(parts)
    expected = torch.vmap(torch.func.grad(torch_norm))(torch.tensor(parts))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)
    hessian = ad.hessian(norm)(parts[0])
    np.testing.assert_allclose(_values(hessian),
                               torch.func.hessian(torch_norm)(torch.tensor(parts[0])).numpy(),
                               **TOL)


def test_jvp_of_a_complex_norm_at_a_complex_primal_matches_torch_func():
    torch = _torch()
    z = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    tangent = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    out, tan = ad.jvp(np.linalg.norm, (z,), (tangent,))
    t_out, t_tan = torch.func.jvp(torch.linalg.norm, (torch.tensor(z),), (torch.tensor(tangent),))
    np.testing.assert_allclose(_values(out), t_out.numpy(), **TOL)
    np.testing.assert_allclose(_values(tan), t_tan.numpy(), **TOL)


@pytest.mark.parametrize("layout", ["complex64", "reversed", "size-1", "0-d"])
def test_a_complex_norms_gradient_in_other_dtypes_and_layouts_matches_torch(layout):
    torch = _torch()
    z = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    z = {"complex64": z.astype(np.complex64), "reversed": z[:, ::-2],
         "size-1": z[:1, :1], "0-d": np.asarray(z[1, 2])}[layout]
    t = ad.tensor(z, requires_grad=True)
    n = np.linalg.norm(t)
    n.backward()
    tt = torch.tensor(np.ascontiguousarray(z), requires_grad=True)
    torch.linalg.norm(tt).backward()
    real = np.float32 if layout == "complex64" else np.float64
    assert n.dtype == real and t.grad.dtype == z.dtype
    rtol = 1e-6 if layout == "complex64" else 1e-12
    np.testing.assert_allclose(n.data, torch.linalg.norm(tt).item(), rtol=rtol)
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=rtol, atol=rtol)


# ----- np.pad(constant_values=Tensor) and np.nan_to_num(nan=Tensor) ----------------------

def test_jacfwd_jacrev_and_jvp_of_a_tensor_pad_value_agree():
    row = ad.tensor(RNG.normal(size=4))

    def padded(value):
        return np.pad(row, (1, 2), constant_values=value)
    forward, reverse = ad.jacfwd(padded)(np.array(2.0)), ad.jacrev(padded)(np.array(2.0))
    np.testing.assert_array_equal(_values(forward), [1, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(_values(forward), _values(reverse))
    x = RNG.normal(size=(3, 4))
    _, tangent = ad.jvp(lambda a, v: np.pad(a, 1, constant_values=v),
                        (x, np.array(2.0)), (np.ones_like(x), np.array(5.0)))
    expected = np.pad(np.ones_like(x), 1, constant_values=5.0)
    np.testing.assert_array_equal(_values(tangent), expected)


def test_pad_and_nan_to_num_values_under_vmap_grad_and_second_order():
    x = RNG.normal(size=(3, 4))
    x[0, 0], x[1, 1], x[2, 3] = np.nan, np.inf, np.nan

    def loss(row, value):
        # the mapped row is a Tensor (mapped by vmap), the value is shared
        border = np.pad(row * 1.0, 1, constant_values=value * value)
        return np.nan_to_num(border, nan=value, posinf=3 * value).sum()
    grads = ad.vmap(ad.grad(loss, argnums=1), in_dims=(0, None))(ad.tensor(x), np.array(0.5))
    # per row: 2 * 0.5 for each of the 2 border entries, 1 per NaN, 3 per inf
    expected = np.array([2 * 1.0 + 1, 2 * 1.0 + 3, 2 * 1.0 + 1])
    np.testing.assert_allclose(_values(grads), expected, rtol=1e-15)
    second = ad.grad(ad.grad(lambda v: loss(ad.tensor(x[0]), v)))(np.array(0.5))
    np.testing.assert_allclose(_values(second), 2 * 2.0, rtol=1e-15)


def test_jvp_of_nan_to_num_carries_the_value_tangent_into_the_replaced_entries():
    x = RNG.normal(size=(3, 4))
    x[0, 0], x[1, 1] = np.nan, -np.inf
    _, tangent = ad.jvp(lambda a, v: np.nan_to_num(a, nan=v, neginf=-v),
                        (x, np.array(2.0)), (np.ones_like(x), np.array(5.0)))
    expected = np.ones_like(x)
    expected[0, 0], expected[1, 1] = 5.0, -5.0
    np.testing.assert_array_equal(_values(tangent), expected)


# ----- complex var / std with where= and mean=, nanvar -----------------------------------

MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 1, 1]], dtype=bool)


def test_vmap_grad_and_hessian_of_complex_masked_variances_match_torch():
    torch = _torch()
    parts = RNG.normal(size=(2, 3, 4, 2))

    def ours(v):
        return np.var(ad.view_as_complex(v), where=MASK, axis=1).sum()

    def theirs(v):
        z = torch.view_as_complex(v)
        return sum(torch.var(z[i][torch.tensor(MASK[i])], correction=0) for i in range(3))
    got = ad.vmap(ad.grad(ours))(parts)
    expected = torch.vmap(torch.func.grad(theirs))(torch.tensor(parts))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)

    def ours_std(v):
        return np.std(ad.view_as_complex(v), where=MASK, axis=0).sum()

    def theirs_std(v):
        z = torch.view_as_complex(v)
        return sum(torch.std(z[:, j][torch.tensor(MASK[:, j])], correction=0) for j in range(4))
    np.testing.assert_allclose(_values(ad.hessian(ours_std)(parts[0])),
                               torch.func.hessian(theirs_std)(torch.tensor(parts[0])).numpy(),
                               **TOL)


def test_jvp_of_complex_variances_with_where_and_mean_matches_torch():
    torch = _torch()
    z = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    tangent = np.full_like(z, 1 + 2j)
    _, got = ad.jvp(lambda w: np.var(w, where=MASK), (z,), (tangent,))
    _, expected = torch.func.jvp(lambda w: torch.var(w[torch.tensor(MASK)], correction=0),
                                 (torch.tensor(z),), (torch.tensor(tangent),))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)
    _, got = ad.jvp(lambda w: np.var(w, axis=1, mean=np.mean(w, axis=1, keepdims=True)),
                    (z,), (tangent,))
    _, expected = torch.func.jvp(lambda w: torch.var(w, dim=1, correction=0),
                                 (torch.tensor(z),), (torch.tensor(tangent),))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)


# ----- addmm and its family with beta=0 --------------------------------------------------

ADD_FAMILY = {
    "addmm": lambda r: (r.normal(size=(3, 5)), r.normal(size=(3, 4)), r.normal(size=(4, 5))),
    "addmv": lambda r: (r.normal(size=3), r.normal(size=(3, 4)), r.normal(size=4)),
    "addr": lambda r: (r.normal(size=(3, 4)), r.normal(size=3), r.normal(size=4)),
    "baddbmm": lambda r: (r.normal(size=(2, 3, 5)), r.normal(size=(2, 3, 4)),
                          r.normal(size=(2, 4, 5))),
    "addbmm": lambda r: (r.normal(size=(3, 5)), r.normal(size=(2, 3, 4)), r.normal(size=(2, 4, 5))),
}


@pytest.mark.parametrize("name", sorted(ADD_FAMILY))
def test_beta_zero_hessians_and_jvp_match_torch(name):
    torch = _torch()
    args = ADD_FAMILY[name](RNG)
    ours, theirs = getattr(ad, name), getattr(torch, name)
    hessian = ad.hessian(lambda *a: (ours(*a, beta=0) ** 2).sum(), argnums=(0, 1))(*args)
    expected = torch.func.hessian(lambda *a: (theirs(*a, beta=0) ** 2).sum(),
                                  argnums=(0, 1))(*map(torch.tensor, args))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(_values(hessian[i][j]), expected[i][j].numpy(), **TOL)
    # the input's NaN is ignored by the value and by the tangent, as in PyTorch
    poisoned = (np.full_like(args[0], np.nan),) + args[1:]
    tangents = tuple(np.ones_like(a) for a in args)
    out, tangent = ad.jvp(lambda *a: ours(*a, beta=0), poisoned, tangents)
    t_out, t_tangent = torch.func.jvp(lambda *a: theirs(*a, beta=0),
                                      tuple(map(torch.tensor, poisoned)),
                                      tuple(map(torch.tensor, tangents)))
    np.testing.assert_allclose(_values(out), t_out.numpy(), **TOL)
    np.testing.assert_allclose(_values(tangent), t_tangent.numpy(), **TOL)


def test_vmap_grad_of_addmm_beta_zero_gives_the_input_a_zero_gradient():
    torch = _torch()
    c, a, b = ADD_FAMILY["addmm"](RNG)
    got = ad.vmap(ad.grad(lambda c, a: ad.addmm(c, a, b, beta=0).sum()),
                  in_dims=(0, None))(np.stack([c, c]), a)
    expected = torch.vmap(torch.func.grad(
        lambda c, a: torch.addmm(c, a, torch.tensor(b), beta=0).sum()),
        in_dims=(0, None))(torch.tensor(np.stack([c, c])), torch.tensor(a))
    assert _values(got).shape == (2, 3, 5)
    np.testing.assert_array_equal(_values(got), expected.numpy())


# ----- np.frompyfunc and np.sort_complex -------------------------------------------------

MUL_SIN = np.frompyfunc(lambda a, b: a * b + np.sin(a), 2, 1)


def test_frompyfunc_under_vmap_grad_jvp_and_hessian():
    x = RNG.normal(size=(3, 4))
    got = ad.vmap(ad.grad(lambda v: MUL_SIN(v, 2.0).sum()))(x)
    np.testing.assert_allclose(_values(got), 2 + np.cos(x), rtol=1e-15)
    _, tangent = ad.jvp(lambda v: MUL_SIN(v, 2.0), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(_values(tangent), 2 + np.cos(x), rtol=1e-15)
    hessian = ad.hessian(lambda v: MUL_SIN(v, v).sum())(x[0])
    np.testing.assert_allclose(_values(hessian), np.diag(2 - np.sin(x[0])), rtol=1e-15,
                               atol=1e-15)


@pytest.mark.parametrize("layout", ["0-d", "reversed", "float32"])
def test_frompyfunc_of_a_0d_reversed_or_float32_tensor(layout):
    x = {"0-d": np.array(1.5), "reversed": RNG.normal(size=(3, 4))[:, ::-1],
         "float32": RNG.normal(size=4).astype(np.float32)}[layout]
    t = ad.tensor(x, requires_grad=True)
    y = MUL_SIN(t, 2.0)
    y.sum().backward()
    assert y.shape == x.shape and y.dtype == x.dtype and t.grad.dtype == x.dtype
    np.testing.assert_allclose(t.grad, 2 + np.cos(x), rtol=1e-6 if layout == "float32" else 1e-15)


def test_sort_complex_jacobians_agree_and_jvp_follows_the_permutation():
    parts = RNG.normal(size=(5, 2))

    def sorted_parts(v):
        return ad.view_as_real(np.sort_complex(ad.view_as_complex(v)))
    forward, reverse = ad.jacfwd(sorted_parts)(parts), ad.jacrev(sorted_parts)(parts)
    np.testing.assert_array_equal(_values(forward), _values(reverse))
    # each output row is one input row: a permutation matrix of the rows
    order = np.argsort(parts[:, 0] + 1e-9 * parts[:, 1])
    np.testing.assert_array_equal(_values(forward).reshape(10, 10),
                                  np.kron(np.eye(5)[order], np.eye(2)))
    _, tangent = ad.jvp(np.sort_complex, (np.array([3 + 1j, 1 - 1j, 2 + 0j]),),
                        (np.array([1j, 2, 3]),))
    np.testing.assert_array_equal(_values(tangent), [2, 3, 1j])
    batched = ad.vmap(ad.grad(lambda v: (np.sort_complex(ad.view_as_complex(v))
                                         * np.arange(5)).real.sum()))(RNG.normal(size=(3, 5, 2)))
    assert _values(batched).shape == (3, 5, 2)


# ----- complex sinc and round ------------------------------------------------------------

def test_complex_sinc_jvp_and_hessian_match_torch():
    torch = _torch()
    z = RNG.normal(size=4) + 1j * RNG.normal(size=4)
    tangent = np.full_like(z, 1 - 1j)
    out, got = ad.jvp(np.sinc, (z,), (tangent,))
    t_out, expected = torch.func.jvp(torch.sinc, (torch.tensor(z),), (torch.tensor(tangent),))
    np.testing.assert_allclose(_values(out), t_out.numpy(), rtol=1e-13)
    np.testing.assert_allclose(_values(got), expected.numpy(), rtol=1e-13)
    parts = RNG.normal(size=(4, 2))
    hessian = ad.hessian(lambda v: ad.view_as_real(np.sinc(ad.view_as_complex(v))).sum())(parts)
    t_hessian = torch.func.hessian(
        lambda v: torch.view_as_real(torch.sinc(torch.view_as_complex(v))).sum()
    )(torch.tensor(parts))
    np.testing.assert_allclose(_values(hessian), t_hessian.numpy(), rtol=1e-12, atol=1e-12)


def test_complex_sinc_gradient_near_zero_is_the_series_derivative():
    # d sinc / dz = -pi^2 z / 3 + O(z^3); PyTorch's is 0 at 1e-9(1+i) and loses
    # digits at 1e-5 i, so the analytic value is the reference here
    z = np.array([1e-9 + 1e-9j, 0j, 1e-5j])
    t = ad.tensor(z, requires_grad=True)
    ad.view_as_real(np.sinc(t)).sum().backward()
    derivative = -np.pi ** 2 * z / 3
    np.testing.assert_allclose(t.grad, np.conj(derivative) * (1 + 1j), rtol=1e-9, atol=1e-30)


def test_complex_round_has_a_zero_tangent_and_gradient():
    z = RNG.normal(size=4) + 1j * RNG.normal(size=4)
    _, tangent = ad.jvp(lambda w: np.round(w, 2), (z,), (np.ones_like(z),))
    np.testing.assert_array_equal(_values(tangent), np.zeros_like(z))
    grad = ad.grad(lambda v: ad.view_as_real(np.round(ad.view_as_complex(v) * 3, 1)).sum())(
        RNG.normal(size=(4, 2)))
    np.testing.assert_array_equal(_values(grad), 0.0)


# ----- complex convolutions --------------------------------------------------------------

def _conv(lib, functional):
    def conv(x, w):
        return lib.view_as_real(functional.conv1d(lib.view_as_complex(x),
                                                  lib.view_as_complex(w), padding=1))
    return conv


def test_complex_conv1d_under_vmap_grad_and_jvp_matches_torch():
    torch = _torch()
    x, w = RNG.normal(size=(2, 3, 8, 2)), RNG.normal(size=(4, 3, 3, 2))
    ours, theirs = _conv(ad, F), _conv(torch, torch.nn.functional)
    got = ad.vmap(ad.grad(lambda x, w: (ours(x[None], w) ** 2).sum(), argnums=1),
                  in_dims=(0, None))(x, w)
    expected = torch.vmap(torch.func.grad(lambda x, w: (theirs(x[None], w) ** 2).sum(),
                                          argnums=1), in_dims=(0, None))(torch.tensor(x),
                                                                         torch.tensor(w))
    np.testing.assert_allclose(_values(got), expected.numpy(), rtol=1e-12, atol=1e-12)
    zx = x[..., 0] + 1j * x[..., 1]
    zw = w[..., 0] + 1j * w[..., 1]
    _, tangent = ad.jvp(lambda a, b: F.conv1d(a, b, padding=1), (zx, zw),
                        (np.ones_like(zx) * 1j, np.ones_like(zw)))
    _, t_tangent = torch.func.jvp(lambda a, b: torch.nn.functional.conv1d(a, b, padding=1),
                                  (torch.tensor(zx), torch.tensor(zw)),
                                  (torch.tensor(np.ones_like(zx) * 1j),
                                   torch.tensor(np.ones_like(zw))))
    np.testing.assert_allclose(_values(tangent), t_tangent.numpy(), rtol=1e-12, atol=1e-12)


def test_hessian_through_a_complex_conv_transpose2d_matches_torch():
    torch = _torch()
    x, w = RNG.normal(size=(1, 2, 4, 4, 2)), RNG.normal(size=(2, 3, 3, 3, 2))

    def loss(lib, functional, x):
        def of(w):
            y = functional.conv_transpose2d(lib.view_as_complex(x), lib.view_as_complex(w),
                                            stride=2)
            return (lib.view_as_real(y) ** 3).sum()
        return of
    hessian = ad.hessian(loss(ad, F, ad.tensor(x)))(w)
    expected = torch.func.hessian(loss(torch, torch.nn.functional, torch.tensor(x)))(
        torch.tensor(w)).numpy()
    np.testing.assert_allclose(_values(hessian), expected, rtol=1e-11,
                               atol=1e-11 * np.abs(expected).max())


# ----- the array API namespace -----------------------------------------------------------

def _logsumexp(a):
    xp = a.__array_namespace__()
    m = xp.max(a, axis=-1, keepdims=True)
    return xp.sum(xp.log(xp.sum(xp.exp(a - m), axis=-1)) + xp.squeeze(m, axis=-1))


def test_array_api_code_under_vmap_grad_hessian_and_jvp_matches_torch():
    torch = _torch()
    x = RNG.normal(size=(3, 4))
    got = ad.vmap(ad.grad(_logsumexp))(x)
    expected = torch.vmap(torch.func.grad(lambda a: torch.logsumexp(a, -1)))(torch.tensor(x))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)
    np.testing.assert_allclose(
        _values(ad.hessian(_logsumexp)(x[0])),
        torch.func.hessian(lambda a: torch.logsumexp(a, -1))(torch.tensor(x[0])).numpy(), **TOL)
    _, tangent = ad.jvp(_logsumexp, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(_values(tangent), 3.0, rtol=1e-15)      # shift invariance


def test_array_api_code_of_complex_primals_in_jvp_matches_torch():
    torch = _torch()

    def gram_trace(a):
        xp = a.__array_namespace__()
        return xp.sum(xp.matmul(a, xp.matrix_transpose(a)) * xp.eye(a.shape[0]))
    z = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    _, got = ad.jvp(gram_trace, (z,), (np.ones_like(z),))
    _, expected = torch.func.jvp(lambda a: (a @ a.mT * torch.eye(3)).sum(),
                                 (torch.tensor(z),), (torch.ones(3, 4, dtype=torch.complex128),))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)


# ----- antialiased interpolation ---------------------------------------------------------

def test_antialiased_interpolation_under_vmap_grad_jvp_and_double_backward():
    torch = _torch()
    image = RNG.normal(size=(2, 1, 2, 9, 11))
    tf = torch.nn.functional

    def ours(a, mode="bicubic"):
        return F.interpolate(a, size=(4, 5), mode=mode, antialias=True)

    def theirs(a, mode="bicubic"):
        return tf.interpolate(a, size=(4, 5), mode=mode, antialias=True)
    got = ad.vmap(ad.grad(lambda a: (ours(a) ** 2).sum()))(image)
    expected = torch.vmap(torch.func.grad(lambda a: (theirs(a) ** 2).sum()))(torch.tensor(image))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)
    _, tangent = ad.jvp(lambda a: ours(a, "bilinear"), (image[0],), (np.ones_like(image[0]),))
    _, t_tangent = torch.func.jvp(lambda a: theirs(a, "bilinear"), (torch.tensor(image[0]),),
                                  (torch.ones_like(torch.tensor(image[0])),))
    np.testing.assert_allclose(_values(tangent), t_tangent.numpy(), **TOL)
    u = ad.tensor(image[0], requires_grad=True)
    g, = ad.autograd.grad((ours(u, "bilinear") ** 3).sum(), u, create_graph=True)
    (g ** 2).sum().backward()
    tu = torch.tensor(image[0], requires_grad=True)
    tg, = torch.autograd.grad((theirs(tu, "bilinear") ** 3).sum(), tu, create_graph=True)
    (tg ** 2).sum().backward()
    np.testing.assert_allclose(u.grad, tu.grad.numpy(), **TOL)


@pytest.mark.parametrize("layout", ["float32", "reversed", "size-1"])
def test_antialiased_interpolation_of_other_dtypes_and_layouts_matches_torch(layout):
    torch = _torch()
    image = RNG.normal(size=(1, 2, 9, 11))
    image, size, rtol = {"float32": (image.astype(np.float32), (3, 4), 1e-6),
                         "reversed": (image[:, :, ::-1, ::2], (3, 3), 1e-12),
                         "size-1": (image, (1, 1), 1e-12)}[layout]
    y = F.interpolate(ad.tensor(image), size=size, mode="bilinear", antialias=True)
    expected = torch.nn.functional.interpolate(torch.tensor(image.copy()), size=size,
                                               mode="bilinear", antialias=True)
    assert y.dtype == image.dtype and y.shape == tuple(expected.shape)
    np.testing.assert_allclose(y.data, expected.numpy(), rtol=rtol, atol=rtol)


# ----- sdpa_kernel, node post-hooks ------------------------------------------------------

def test_vmap_grad_of_attention_inside_an_sdpa_kernel_block_matches_torch():
    torch = _torch()
    q = RNG.normal(size=(2, 1, 2, 4, 8))

    def ours(a):
        with sdpa_kernel(SDPBackend.MATH):
            return (F.scaled_dot_product_attention(a, a, a, is_causal=True) ** 2).sum()

    def theirs(a):
        return (torch.nn.functional.scaled_dot_product_attention(a, a, a, is_causal=True)
                ** 2).sum()
    got = ad.vmap(ad.grad(ours))(q)
    expected = torch.vmap(torch.func.grad(theirs))(torch.tensor(q))
    np.testing.assert_allclose(_values(got), expected.numpy(), **TOL)


def test_a_node_post_hook_under_create_graph_vmap_and_jacfwd_of_grad():
    torch = _torch()
    x = RNG.normal(size=(3, 4))
    u = ad.tensor(x, requires_grad=True)
    y = ad.exp(u)
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 2,))
    g, = ad.autograd.grad((y ** 2).sum(), u, create_graph=True)
    g.sum().backward()
    tu = torch.tensor(x, requires_grad=True)
    ty = torch.exp(tu)
    ty.grad_fn.register_hook(lambda gi, go: (gi[0] * 2,))
    tg, = torch.autograd.grad((ty ** 2).sum(), tu, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(g.data, tg.detach().numpy(), **TOL)
    np.testing.assert_allclose(u.grad, tu.grad.numpy(), **TOL)

    def doubled(a):
        out = ad.exp(a)
        out.grad_fn.register_hook(lambda gi, go: (gi[0] * 2,))
        return out.sum()
    np.testing.assert_allclose(_values(ad.vmap(ad.grad(doubled))(x)), 2 * np.exp(x), rtol=1e-15)
    jacobian = ad.jacfwd(ad.grad(doubled))(x[0])
    np.testing.assert_allclose(_values(jacobian), np.diag(2 * np.exp(x[0])), rtol=1e-15)


# ----- forward mode: a tangent of another dtype than its primal ---------------------------

def _dual_tangents(ours, theirs, primal, tangent):
    torch = _torch()
    fw, tfw = ad.autograd.forward_ad, torch.autograd.forward_ad
    with fw.dual_level():
        got = fw.unpack_dual(ours(fw.make_dual(ad.tensor(primal), ad.tensor(tangent)))).tangent
    with tfw.dual_level():
        dual = tfw.make_dual(torch.tensor(primal), torch.tensor(tangent))
        expected = tfw.unpack_dual(theirs(dual)).tangent
    return got, expected


@pytest.mark.parametrize("dtypes", ["float32/float64", "float64/float32",
                                    "complex128/complex64", "complex64/complex128"])
def test_vecdot_of_a_dual_with_a_tangent_of_another_dtype_matches_torch(dtypes):
    # it refused as a matrix product, saying PyTorch raises; PyTorch's vecdot computes
    # the tangent in the wider dtype (and J t from the rule would round to the primal's)
    torch = _torch()
    primal_dtype, tangent_dtype = (np.dtype(name) for name in dtypes.split("/"))
    shape = (3, 4)
    primal, tangent, other = (RNG.normal(size=shape) for _ in range(3))
    if primal_dtype.kind == "c":
        primal, tangent, other = (a + 1j * RNG.normal(size=shape) for a in (primal, tangent, other))
    primal, tangent = primal.astype(primal_dtype), tangent.astype(tangent_dtype)
    other = other.astype(primal_dtype)
    for ours, theirs in [(lambda d: np.vecdot(d, d), lambda d: torch.linalg.vecdot(d, d)),
                         (lambda d: np.vecdot(ad.tensor(other), d),
                          lambda d: torch.linalg.vecdot(torch.tensor(other), d))]:
        got, expected = _dual_tangents(ours, theirs, primal, tangent)
        assert got.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
        np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-14, atol=1e-14)


def test_a_complex64_dual_with_a_complex128_tangent_keeps_the_tangents_precision():
    # elementwise ops of complex values take J t from their rules by transposition, whose
    # gradient was rounded to the primal's complex64 (1e-7 off PyTorch's complex128)
    torch = _torch()
    primal = (RNG.normal(size=5) + 1j * RNG.normal(size=5)).astype(np.complex64)
    tangent = RNG.normal(size=5) - 2j * RNG.normal(size=5)
    other = ad.tensor(primal)
    cases = [(lambda d: d * d, lambda d: d * d),
             (lambda d: d.conj() * other, lambda d: d.conj() * torch.tensor(primal)),
             (lambda d: d * 2, lambda d: d * 2),
             (lambda d: d.real * d.imag, lambda d: d.real * d.imag),
             (lambda d: (d * d.conj()).real, lambda d: (d * d.conj()).real)]
    for ours, theirs in cases:
        got, expected = _dual_tangents(ours, theirs, primal, tangent)
        assert got.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
        np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-14, atol=1e-14)
