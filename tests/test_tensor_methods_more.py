"""The in-place and bitwise Tensor methods of autodiff/tensor_inplace_more.py against
PyTorch's (values, dtypes; in place: the same object back, the gradient through a
non-leaf updated in place for a random cotangent, the leaf-requires-grad refusal, the
no_grad write, views), finite differences for the new differentiable paths (of
tensor_methods_more.py too) without PyTorch, and a compiled replay.
tests/test_tensor_methods_more_out_of_place.py has the out-of-place methods."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(7)


def _torch():
    return pytest.importorskip("torch")


def signed(*shape):
    return R.uniform(-0.9, 0.9, shape)


def positive(*shape):
    return R.uniform(0.5, 2.5, shape)


def wide(*shape):
    return R.uniform(-3.0, 3.0, shape) + 0.25     # (away from integers for floor & co)


def above_one(*shape):
    return R.uniform(1.1, 3.0, shape)


def ints(*shape):
    return R.integers(1, 40, shape)


def unit(*shape):
    return R.uniform(0.1, 0.9, shape)


# (method, the tensor, positional args, keyword args, gradient: "torch" compared with
#  PyTorch's, "zero" a zero gradient (PyTorch's backward refuses), None: integers)
INPLACE_CASES = [
    *[(name, signed(3, 4), (), {}, "torch") for name in (
        "absolute_ acos_ arccos_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ "
        "atanh_ cosh_ deg2rad_ erf_ erfc_ erfinv_ exp2_ i0_ rad2deg_ sgn_ sign_ sinc_ "
        "sinh_ tan_").split()],
    *[(name, above_one(3, 4), (), {}, "torch") for name in ("acosh_", "arccosh_")],
    *[(name, positive(3, 4), (), {}, "torch") for name in (
        "digamma_ lgamma_ log10_ log2_ rsqrt_").split()],
    *[(name, wide(3, 4), (), {}, "torch") for name in (
        "ceil_ fix_ floor_ frac_ trunc_ round_").split()],
    ("round_", wide(3, 4), (), {"decimals": 1}, "torch"),
    ("logit_", unit(3, 4), (), {}, "torch"),
    ("logit_", unit(3, 4), (0.2,), {}, "torch"),
    ("nan_to_num_", signed(3, 4), (), {"nan": 1.0, "posinf": 2.0}, "torch"),
    ("clip_", signed(3, 4), (-0.5, 0.5), {}, "torch"),
    ("polygamma_", positive(3, 4), (1,), {}, "torch"),
    ("mvlgamma_", above_one(3, 4), (2,), {}, "torch"),
    ("cumsum_", signed(3, 4), (1,), {}, "torch"),
    ("cumprod_", signed(3, 4), (0,), {}, "torch"),
    ("renorm_", signed(3, 4), (2, 0, 0.5), {}, "torch"),
    *[(name, signed(3, 4), (signed(3, 4),), {}, "torch") for name in (
        "arctan2_ atan2_ copysign_ hypot_ multiply_ nextafter_").split()],
    *[(name, wide(3, 4), (positive(4),), {}, "torch") for name in (
        "divide_ true_divide_ fmod_ remainder_").split()],
    ("divide_", wide(3, 4), (positive(4),), {"rounding_mode": "trunc"}, "zero"),
    ("floor_divide_", wide(3, 4), (positive(4),), {}, "zero"),
    ("heaviside_", np.array([-1.0, 0.0, 2.0]), (np.array([0.5, 0.5, 0.5]),), {}, "zero"),
    ("subtract_", signed(3, 4), (signed(3, 4),), {"alpha": 2}, "torch"),
    ("xlogy_", signed(3, 4), (positive(3, 4),), {}, "torch"),
    ("ldexp_", signed(3, 4), (ints(3, 4) % 5,), {}, "torch"),
    ("lerp_", signed(3, 4), (signed(3, 4), 0.3), {}, "torch"),
    ("lerp_", signed(3, 4), (signed(3, 4), unit(3, 4)), {}, "torch"),
    ("addcdiv_", signed(3, 4), (signed(3, 4), positive(3, 4)), {"value": 0.5}, "torch"),
    ("addcmul_", signed(3, 4), (signed(3, 4), signed(3, 4)), {"value": 2}, "torch"),
    ("addmm_", signed(3, 4), (signed(3, 5), signed(5, 4)), {"beta": 0.5, "alpha": 2},
     "torch"),
    ("addmv_", signed(3), (signed(3, 4), signed(4)), {"beta": 2}, "torch"),
    ("addr_", signed(3, 4), (signed(3), signed(4)), {"alpha": 3}, "torch"),
    ("addbmm_", signed(3, 4), (signed(2, 3, 5), signed(2, 5, 4)), {}, "torch"),
    ("baddbmm_", signed(2, 3, 4), (signed(2, 3, 5), signed(2, 5, 4)), {"alpha": 0.5},
     "torch"),
    ("index_reduce_", positive(4, 3), (0, np.array([0, 2, 0]), positive(3, 3), "prod"),
     {}, "torch"),
    ("index_reduce_", positive(4, 3), (1, np.array([1, 1]), positive(4, 2), "amax"),
     {"include_self": False}, "torch"),
    ("gcd_", ints(5), (ints(5),), {}, None),
    ("lcm_", ints(5), (ints(5),), {}, None),
    ("bitwise_and_", ints(5), (ints(5),), {}, None),
    ("bitwise_or_", ints(5), (ints(5),), {}, None),
    ("bitwise_xor_", ints(5), (ints(5),), {}, None),
    ("bitwise_not_", ints(5), (), {}, None),
    ("bitwise_left_shift_", ints(5), (ints(5) % 4,), {}, None),
    ("bitwise_right_shift_", ints(5), (ints(5) % 4,), {}, None),
    ("bitwise_xor_", ints(5) > 20, (ints(5) > 20,), {}, None),
    # comparisons and logical ops: 0/1 in the tensor's own dtype, a zero gradient
    *[(name, signed(3, 4), (signed(3, 4),), {}, "torch") for name in (
        "eq_ ne_ ge_ gt_ le_ lt_ greater_ greater_equal_ less_ less_equal_ "
        "not_equal_").split()],
    *[(name, signed(3, 4), (0.0,), {}, "torch") for name in ("ge_", "lt_")],
    ("ge_", ints(5), (20,), {}, None),
    *[(name, np.round(signed(3, 4)), (np.round(signed(3, 4)),), {}, "zero") for name in (
        "logical_and_ logical_or_ logical_xor_").split()],
    ("logical_not_", np.round(signed(3, 4)), (), {}, "zero"),
    ("logical_and_", ints(5) % 2, (ints(5) % 3,), {}, None),
]
IDS = [f"{case[0]}-{k}" for k, case in enumerate(INPLACE_CASES)]

#: PyTorch's trigamma is accurate to about 1e-9 only (SciPy's agrees with ours to 1e-15)
TRIGAMMA_PATHS = {"polygamma_", "digamma_"}


def _rtol(name):
    return 1e-8 if name in TRIGAMMA_PATHS else 1e-12


def _numpy(torch_tensor):
    return torch_tensor.numpy(force=True)     # (a ZeroTensor gradient too)


def _ours(value, requires_grad=False):
    if isinstance(value, np.ndarray):
        return ad.tensor(value.copy(), requires_grad=requires_grad and value.dtype.kind == "f")
    return value


def _theirs(torch, value, requires_grad=False):
    if isinstance(value, np.ndarray):
        return torch.tensor(value.copy(), requires_grad=requires_grad
                            and value.dtype.kind == "f")
    return value


@pytest.mark.parametrize("name,x,args,kwargs,gradient", INPLACE_CASES, ids=IDS)
def test_inplace_method_values_and_identity_match_torch(name, x, args, kwargs, gradient):
    torch = _torch()
    ours = ad.tensor(x.copy())
    theirs = torch.tensor(x.copy())
    returned = getattr(ours, name)(*[_ours(a) for a in args], **kwargs)
    getattr(theirs, name)(*[_theirs(torch, a) for a in args], **kwargs)
    assert returned is ours
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=_rtol(name), atol=1e-12)


@pytest.mark.parametrize("name,x,args,kwargs,gradient",
                         [c for c in INPLACE_CASES if c[4] is not None],
                         ids=[i for i, c in zip(IDS, INPLACE_CASES) if c[4] is not None])
def test_inplace_method_gradient_through_a_non_leaf_matches_torch(name, x, args, kwargs,
                                                                  gradient):
    torch = _torch()
    cotangent = R.standard_normal(x.shape)
    x_ours = ad.tensor(x.copy(), requires_grad=True)
    args_ours = [_ours(a, requires_grad=True) for a in args]
    updated = x_ours * 1.0
    returned = getattr(updated, name)(*args_ours, **kwargs)
    assert returned is updated and updated.requires_grad
    (updated * cotangent).sum().backward()
    if gradient == "zero":
        np.testing.assert_array_equal(x_ours.grad, np.zeros_like(x))
        return
    x_theirs = torch.tensor(x.copy(), requires_grad=True)
    args_theirs = [_theirs(torch, a, requires_grad=True) for a in args]
    updated_theirs = x_theirs * 1.0
    getattr(updated_theirs, name)(*args_theirs, **kwargs)
    try:
        (updated_theirs * torch.tensor(cotangent)).sum().backward()
    except NotImplementedError:     # (PyTorch has no backward for asinh_, acosh_, atanh_)
        updated_theirs = getattr(x_theirs * 1.0, name[:-1])(*args_theirs, **kwargs)
        (updated_theirs * torch.tensor(cotangent)).sum().backward()
    tolerance = {"rtol": 1e-10 if name not in TRIGAMMA_PATHS else 1e-8, "atol": 1e-12}
    np.testing.assert_allclose(x_ours.grad, _numpy(x_theirs.grad), **tolerance)
    for ours, theirs in zip(args_ours, args_theirs):
        if isinstance(ours, ad.Tensor) and ours.requires_grad and theirs.grad is not None:
            got = np.zeros(ours.shape) if ours.grad is None else ours.grad
            np.testing.assert_allclose(got, _numpy(theirs.grad), **tolerance)


@pytest.mark.parametrize("name,x,args,kwargs,gradient",
                         [c for c in INPLACE_CASES if c[1].dtype == np.float64],
                         ids=[i for i, c in zip(IDS, INPLACE_CASES)
                              if c[1].dtype == np.float64])
def test_inplace_method_refuses_a_leaf_that_requires_grad_but_writes_under_no_grad(
        name, x, args, kwargs, gradient):
    leaf = ad.tensor(x.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: .* leaf that requires grad"):
        getattr(leaf, name)(*[_ours(a) for a in args], **kwargs)
    np.testing.assert_array_equal(leaf.data, x)
    expected = getattr(ad.tensor(x.copy()), name)(*[_ours(a) for a in args], **kwargs)
    with ad.no_grad():
        assert getattr(leaf, name)(*[_ours(a) for a in args], **kwargs) is leaf
    np.testing.assert_array_equal(leaf.data, expected.data)
    assert leaf.is_leaf and leaf.requires_grad


def test_inplace_method_keeps_float32_and_refuses_floats_into_integers():
    torch = _torch()
    x = signed(4).astype(np.float32)
    other = positive(4)                         # float64: stored as float32, as PyTorch
    ours, theirs = ad.tensor(x.copy()), torch.tensor(x.copy())
    ours.atan2_(ad.tensor(other))
    theirs.atan2_(torch.tensor(other))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)
    for name, args in [("erf_", ()), ("divide_", (ad.tensor([2, 2]),)),
                       ("true_divide_", (2,)), ("hypot_", (ad.tensor([1.0, 1.0]),))]:
        with pytest.raises(TypeError, match=f"{name}: .*int64"):
            getattr(ad.tensor([3, 4]), name)(*args)
        with pytest.raises(RuntimeError, match="can't be cast"):
            getattr(torch.tensor([3, 4]), name)(*[torch.tensor(a.data) if
                                                  isinstance(a, ad.Tensor) else a
                                                  for a in args])


def test_inplace_method_refuses_a_result_of_another_shape_as_torch():
    torch = _torch()
    for name in ("atan2_", "ge_", "logical_and_", "lerp_"):
        extra = (0.5,) if name == "lerp_" else ()
        for t in (ad.ones(3), ad.ones(3, requires_grad=True) * 1.0):
            with pytest.raises(ValueError, match=f"{name}: the result has shape \\(2, 3\\)"):
                getattr(t, name)(ad.ones((2, 3)), *extra)
            np.testing.assert_array_equal(t.data, np.ones(3))
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            getattr(torch.ones(3), name)(torch.ones((2, 3)), *extra)


def test_comparison_in_place_keeps_the_graph_and_gives_a_zero_gradient():
    x = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 2
    y.gt_(0.5)
    assert y.requires_grad and not y.is_leaf
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 1.0])
    (y * ad.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3))


def test_an_array_a_graph_saved_is_not_overwritten_by_a_new_inplace_method():
    x = ad.tensor([0.3, 0.6], requires_grad=True)
    h = x * 1.0
    saved = h * h                   # saves h's values for its backward
    h.sinh_()                       # recorded: h's old array stays as the graph saved it
    (saved.sum() + h.sum()).backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + np.cosh(x.data))


def test_inplace_method_on_a_view_updates_the_base_and_its_gradient_as_torch():
    torch = _torch()
    x = signed(3, 4)
    cotangent = R.standard_normal((3, 4))
    grads = []
    for lib in (ad, torch):
        leaf = lib.tensor(x.copy(), requires_grad=True)
        out = leaf * 2.0
        row = out[1]
        row.atan2_(lib.tensor(np.full(4, 0.5)))
        out[:, 2].cumsum_(0)
        (out * lib.tensor(cotangent)).sum().backward()
        grads.append((np.array(out.detach().numpy() if lib is torch else out.data),
                      np.array(leaf.grad.numpy() if lib is torch else leaf.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)


def test_float_power_in_place_needs_a_float64_tensor_as_torch():
    torch = _torch()
    x = signed(4)
    ours, theirs = ad.tensor(x.copy()), torch.tensor(x.copy())
    assert ours.float_power_(3) is ours
    theirs.float_power_(3)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    for dtype in (np.float32, np.int64):
        with pytest.raises(TypeError, match="float_power_: the tensor has dtype"):
            ad.tensor(np.ones(2, dtype)).float_power_(2)
        with pytest.raises(RuntimeError, match="requires dtype Double"):
            torch.tensor(np.ones(2, dtype)).float_power_(2)
    leaf = ad.tensor(x.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="float_power_: .* leaf that requires grad"):
        leaf.float_power_(2)


def test_inplace_methods_show_the_arguments_of_the_method_they_store():
    import inspect
    for name in ("atan2_", "lerp_", "addmm_", "index_reduce_", "divide_", "round_", "ge_",
                 "logical_not_", "bitwise_and_", "bitwise_not_", "nan_to_num_"):
        assert (inspect.signature(getattr(ad.Tensor, name))
                == inspect.signature(getattr(ad.Tensor, name[:-1]))), name
    assert list(inspect.signature(ad.Tensor.addcdiv_).parameters) == [
        "self", "tensor1", "tensor2", "value"]


@pytest.mark.parametrize("name,args", [("atan2_", (ad.tensor([1.0, 1.0]),)), ("ge_", (0.5,)),
                                       ("nan_to_num_", ())])
def test_an_unrecorded_write_into_an_array_a_graph_saved_fails_its_backward(name, args):
    x = ad.tensor([0.3, 0.6], requires_grad=True)
    h = x * 1.0
    y = h * h                           # saves h's array
    with ad.no_grad():
        getattr(h, name)(*args)
    with pytest.raises(ad.InPlaceError, match="changed in place"):
        y.sum().backward()


def test_inplace_functions_at_top_level_are_the_methods():
    for name in ("acos_", "clip_", "gcd_", "xlogy_", "addmv_", "logit_", "round_"):
        assert callable(getattr(ad, name)), name
    t = ad.tensor([0.25, 0.5])
    assert ad.exp2_(t) is t
    np.testing.assert_allclose(t.data, 2 ** np.array([0.25, 0.5]))
    a = ad.tensor([12, 18])
    assert ad.gcd_(a, ad.tensor([8, 27])) is a
    np.testing.assert_array_equal(a.data, [4, 9])


# ----- bitwise methods ---------------------------------------------------------------------
BITWISE_CASES = [(name, dtype) for name in ("bitwise_and", "bitwise_or", "bitwise_xor",
                                             "bitwise_left_shift", "bitwise_right_shift")
                 for dtype in ("int64", "int32", "uint8", "bool")
                 if not (dtype == "bool" and "shift" in name)]   # (PyTorch has none)


@pytest.mark.parametrize("name,dtype", BITWISE_CASES)
def test_bitwise_methods_match_torch(name, dtype):
    torch = _torch()
    a, b = (ints(6) % 7).astype(dtype), (ints(6) % 3).astype(dtype)
    ours = getattr(ad.tensor(a), name)(ad.tensor(b))
    theirs = getattr(torch.tensor(a), name)(torch.tensor(b)).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours.data, theirs)
    scalar = getattr(ad.tensor(a), name)(1)
    theirs_scalar = getattr(torch.tensor(a), name)(1).numpy()
    assert scalar.dtype == theirs_scalar.dtype
    np.testing.assert_array_equal(scalar.data, theirs_scalar)


def test_bitwise_not_and_float_refusals_match_torch():
    torch = _torch()
    for values in (np.array([0, 5, -3]), np.array([True, False])):
        np.testing.assert_array_equal(ad.tensor(values).bitwise_not().data,
                                      torch.tensor(values).bitwise_not().numpy())
    for name, args in [("bitwise_and", (ad.tensor([1.0]),)), ("bitwise_not", ()),
                       ("bitwise_or_", (1,)), ("bitwise_left_shift", (1,))]:
        with pytest.raises(TypeError, match=f"{name.rstrip('_')}: works on integer"):
            getattr(ad.tensor([1.0]), name)(*args)
        with pytest.raises((RuntimeError, NotImplementedError)):
            getattr(torch.tensor([1.0]), name)(*[torch.tensor(a.data) if
                                                 isinstance(a, ad.Tensor) else a
                                                 for a in args])


# ----- finite differences (no PyTorch) -----------------------------------------------------
FINITE_DIFFERENCE_CASES = [
    ("mvlgamma", lambda x: x.mvlgamma(3), [above_one(2, 3) + 1]),
    ("frexp", lambda x: x.frexp().mantissa, [wide(5)]),
    ("nextafter", lambda x, y: x.nextafter(y), [signed(4), signed(4)]),
    ("angle", lambda x: x.angle() + x, [signed(4)]),
    ("addmv", lambda x, m, v: x.addmv(m, v, beta=0.5, alpha=2), [signed(3), signed(3, 2),
                                                                 signed(2)]),
    ("addr", lambda x, a, b: x.addr(a, b, beta=2), [signed(3, 2), signed(3), signed(2)]),
    ("addbmm", lambda x, a, b: x.addbmm(a, b), [signed(2, 2), signed(3, 2, 4),
                                                 signed(3, 4, 2)]),
    ("cov", lambda x, w: x.cov(correction=0, aweights=w), [signed(2, 4), positive(4)]),
    ("corrcoef", lambda x: x.corrcoef(), [signed(3, 4)]),
    ("dist", lambda x, y: x.dist(y, 3), [signed(3), signed(3)]),
    ("narrow_copy", lambda x: x.narrow_copy(1, 1, 2) * 3, [signed(2, 4)]),
    ("cholesky", lambda x: (x @ x.mT + 3 * ad.eye(3)).cholesky(upper=True), [signed(3, 3)]),
    ("svd", lambda x: x.svd().S, [signed(3, 2)]),
    ("atan2_", lambda x, y: (x * 1).atan2_(y), [signed(4), positive(4)]),
    ("hypot_", lambda x, y: (x * 1).hypot_(y), [signed(4), signed(4)]),
    ("lerp_", lambda x, e, w: (x * 1).lerp_(e, w), [signed(4), signed(4), unit(4)]),
    ("addcdiv_", lambda x, a, b: (x * 1).addcdiv_(a, b, value=0.5),
     [signed(4), signed(4), positive(4)]),
    ("renorm_", lambda x: (x * 1).renorm_(2, 0, 0.7), [signed(3, 4)]),
    ("cumprod_", lambda x: (x * 1).cumprod_(1), [signed(2, 4)]),
    ("xlogy_", lambda x, y: (x * 1).xlogy_(y), [signed(4), positive(4)]),
    ("logit_", lambda x: (x * 1).logit_(0.2), [unit(5)]),
    ("mvlgamma_", lambda x: (x * 1).mvlgamma_(2), [above_one(4)]),
    ("index_reduce_", lambda x, s: (x * 1).index_reduce_(0, np.array([1, 1]), s, "prod"),
     [positive(3, 2), positive(2, 2)]),
    ("addmm_", lambda x, a, b: (x * 1).addmm_(a, b, alpha=2), [signed(2, 3), signed(2, 4),
                                                               signed(4, 3)]),
    ("sub then ge_", lambda x: (x * 1).ge_(0.0) * 0 + (x * 1).subtract_(x * x, alpha=2),
     [signed(4)]),
]


@pytest.mark.parametrize("name,func,inputs", FINITE_DIFFERENCE_CASES,
                         ids=[c[0] for c in FINITE_DIFFERENCE_CASES])
def test_new_differentiable_paths_match_finite_differences(name, func, inputs):
    assert ad.gradcheck(func, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)


def test_new_methods_replay_under_compile_with_new_values():
    w = ad.tensor([0.5, -0.3], requires_grad=True)

    def outputs(x, n):
        h = w * x
        h.atan2_(ad.tensor([1.0, 2.0]))
        mantissa, exponent = x.frexp()
        counts = x.histogram(3)
        compared = (x * 1.0).ge_(1.0)
        return (h, mantissa, exponent, x.nextafter(ad.tensor(0.0)), counts.hist,
                counts.bin_edges, n.bitwise_xor(3), n.gcd(ad.tensor([4, 6])), compared)

    compiled = ad.compile(outputs, fuse=False)     # (bitwise: fused functions differ by ulps)
    for k in range(3):
        x, n = ad.tensor([0.3 + k, 5.0 - k]), ad.tensor([2 + k, 9])
        for got, expected in zip(compiled(x, n), outputs(x, n)):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got.data, expected.data)
    assert compiled.traces == 1
