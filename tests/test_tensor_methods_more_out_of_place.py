"""The out-of-place Tensor methods of autodiff/tensor_methods_more.py against PyTorch's
(values, dtypes, shapes, gradients for a random cotangent), ``qr``/``svd`` up to signs,
``histogram``'s bins, and the removed or refused names (eig, symeig, lstsq, solve, new,
chalf).  tests/test_tensor_methods_more.py has the in-place methods and finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(8)


def _torch():
    return pytest.importorskip("torch")


def signed(*shape):
    return R.uniform(-0.9, 0.9, shape)


def positive(*shape):
    return R.uniform(0.5, 2.5, shape)


def wide(*shape):
    return R.uniform(-3.0, 3.0, shape) + 0.25


def above_one(*shape):
    return R.uniform(1.1, 3.0, shape)


def ints(*shape):
    return R.integers(1, 40, shape)


def _ours(value, requires_grad=False):
    if isinstance(value, np.ndarray):
        return ad.tensor(value.copy(), requires_grad=requires_grad and value.dtype.kind == "f")
    return value


def _theirs(torch, value, requires_grad=False):
    if isinstance(value, np.ndarray):
        return torch.tensor(value.copy(), requires_grad=requires_grad
                            and value.dtype.kind == "f")
    return value


def _numpy(torch_tensor):
    return torch_tensor.numpy(force=True)     # (a ZeroTensor gradient too)


# ----- out-of-place methods ------------------------------------------------------------------
def spd(n):
    a = R.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


# (method, the tensor, positional args, keyword args)
METHOD_CASES = [
    ("addmv", signed(3), (signed(3, 4), signed(4)), {"beta": 0.5, "alpha": 2}),
    ("addr", signed(3, 4), (signed(3), signed(4)), {}),
    ("addr", signed(3, 4), (signed(3), signed(4)), {"beta": 2, "alpha": -1}),
    ("addbmm", signed(3, 4), (signed(2, 3, 5), signed(2, 5, 4)), {"beta": 2}),
    ("cov", signed(3, 5), (), {}),
    ("cov", signed(5), (), {"correction": 0}),
    ("cov", signed(3, 5), (), {"fweights": ints(5) % 3 + 1, "aweights": positive(5)}),
    ("corrcoef", signed(3, 5), (), {}),
    ("dist", signed(3, 4), (signed(3, 4),), {}),
    ("dist", signed(3, 4), (signed(4),), {"p": 1}),
    ("dist", signed(3, 4), (signed(3, 4), 3), {}),
    ("mvlgamma", above_one(3, 4), (1,), {}),
    ("mvlgamma", above_one(3, 4) + 1, (3,), {}),
    ("mvlgamma", ints(5), (2,), {}),
    ("angle", np.array([-1.5, -0.0, 0.0, 2.0, np.nan, np.inf, -np.inf]), (), {}),
    ("angle", np.array([-2, 0, 3]), (), {}),
    ("isreal", signed(4), (), {}),
    ("select_scatter", signed(3, 4), (signed(4), 0, 1), {}),
    ("select_scatter", signed(3, 4), (signed(3), 1, -1), {}),
    ("slice_scatter", signed(4, 3), (signed(2, 3),), {"start": 1, "step": 2}),
    ("slice_scatter", signed(4, 3), (signed(4, 1), 1, 2), {}),
    ("diagonal_scatter", signed(3, 4), (signed(3),), {}),
    ("diagonal_scatter", signed(3, 4), (signed(3), 1), {}),
    ("diagflat", signed(3), (), {}),
    ("diagflat", signed(2, 2), (1,), {}),
    ("diagflat", signed(3), (), {"offset": -2}),
    ("index_reduce", positive(4, 3), (0, np.array([0, 2, 0]), positive(3, 3), "mean"), {}),
    ("index_reduce", positive(4, 3), (1, np.array([2, 0]), positive(4, 2), "amin"),
     {"include_self": False}),
    ("hsplit", signed(4, 6), (3,), {}),
    ("hsplit", signed(4, 6), ([1, 4],), {}),
    ("hsplit", signed(4, 6), (1, 4), {}),
    ("dsplit", signed(2, 2, 4), (1, 3), {}),
    ("vsplit", signed(4, 6), (2,), {}),
    ("dsplit", signed(2, 2, 4), ([1, 3],), {}),
    ("split_with_sizes", signed(5, 2), ([2, 3],), {}),
    ("split_with_sizes", signed(5, 2), ([1, 1], 1), {}),
    ("unsafe_split", signed(5, 2), (2,), {}),
    ("unsafe_split_with_sizes", signed(5, 2), ([4, 1],), {"dim": 0}),
    ("unsafe_chunk", signed(5, 2), (3,), {}),
    ("narrow_copy", signed(4, 3), (0, 1, 2), {}),
    ("narrow_copy", signed(4, 3), (1, 1, 2), {}),
    ("frexp", np.concatenate([wide(5), [0.0, -0.0, 1024.0]]), (), {}),
    ("gcd", ints(6), (ints(6),), {}),
    ("lcm", ints(6), (ints(6),), {}),
    ("nextafter", signed(5), (signed(5),), {}),
    ("nextafter", np.array([1.0, 0.0, -0.0, 1e-320, np.nan]), (np.array(0.5),), {}),
    ("histogram", signed(20), (5,), {}),
    ("histogram", signed(20), (), {"range": (-0.5, 0.5), "density": True}),
    ("histogram", signed(20), (np.array([-1.0, -0.2, 0.1, 1.0]),), {"weight": positive(20)}),
    ("cholesky", spd(3), (), {}),
    ("cholesky", spd(3), (True,), {}),
    ("short", wide(5) * 100, (), {}),
    ("cfloat", signed(3), (), {}),
    ("cdouble", signed(3), (), {}),
    ("ndimension", signed(2, 3, 1), (), {}),
    ("adjoint", signed(2, 3, 4), (), {}),
    ("prelu", signed(2, 3, 4), (positive(3),), {}),
    ("prelu", signed(5), (np.array([0.25]),), {}),
    ("resolve_conj", signed(3), (), {}),
    ("resolve_neg", signed(3), (), {}),
]
METHOD_IDS = [f"{case[0]}-{k}" for k, case in enumerate(METHOD_CASES)]


def _converted(convert, value):
    if isinstance(value, dict):
        return {k: _converted(convert, v) for k, v in value.items()}
    return convert(value)


def _outputs(result, as_array):
    """The results as a list of arrays (a tuple's parts; a number as a 0-d array)."""
    parts = result if isinstance(result, tuple) else (result,)
    return [as_array(part) if not isinstance(part, (int, bool)) else np.asarray(part)
            for part in parts]


def _run(lib, name, x, args, kwargs, convert):
    t = convert(x)
    result = getattr(t, name)(*[convert(a) for a in args], **_converted(convert, kwargs))
    return t, result


@pytest.mark.parametrize("name,x,args,kwargs", METHOD_CASES, ids=METHOD_IDS)
def test_method_values_dtypes_and_gradients_match_torch(name, x, args, kwargs):
    torch = _torch()
    differentiable = x.dtype.kind == "f" and name not in (
        "histogram", "short", "isreal", "ndimension", "cfloat", "cdouble")
    ours_in = [_ours(x, differentiable)] + [_ours(a, differentiable) for a in args]
    theirs_in = [_theirs(torch, x, differentiable)] + [_theirs(torch, a, differentiable)
                                                       for a in args]
    ours = getattr(ours_in[0], name)(*ours_in[1:], **_converted(_ours, kwargs))
    theirs = getattr(theirs_in[0], name)(*theirs_in[1:],
                                          **_converted(lambda v: _theirs(torch, v), kwargs))
    assert type(ours) is type(theirs) or isinstance(ours, tuple) == isinstance(theirs, tuple)
    ours_out = _outputs(ours, lambda t: t.data)
    theirs_out = _outputs(theirs, lambda t: t.detach().numpy())
    assert len(ours_out) == len(theirs_out)
    for mine, reference in zip(ours_out, theirs_out):
        rtol = 1e-6 if reference.dtype == np.float32 else 1e-12
        if x.dtype.kind in "iu" and reference.dtype == np.float32:
            reference = reference.astype(ad.get_default_dtype())   # (the library's float64)
        assert mine.shape == reference.shape and mine.dtype == reference.dtype, name
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=1e-12)
    if not differentiable:
        return
    float_parts = [(o, t) for o, t in zip(_outputs(ours, lambda v: v),
                                          _outputs(theirs, lambda v: v))
                   if getattr(o, "requires_grad", False) and t.dtype.is_floating_point]
    assert float_parts, f"{name}: no output requires grad"
    cotangents = [R.standard_normal(o.shape) for o, _ in float_parts]
    sum((o * c).sum() for (o, _), c in zip(float_parts, cotangents)).backward()
    sum((t * torch.tensor(c)).sum() for (_, t), c in zip(float_parts, cotangents)).backward()
    for mine, reference in zip(ours_in, theirs_in):
        if isinstance(mine, ad.Tensor) and mine.requires_grad:
            got = np.zeros(mine.shape) if mine.grad is None else mine.grad
            expected = (np.zeros(mine.shape) if reference.grad is None
                        else _numpy(reference.grad))
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_qr_and_svd_match_torch_up_to_signs(shape, some):
    torch = _torch()
    x = signed(*shape)
    q, r = ad.tensor(x).qr(some)
    tq, tr = torch.tensor(x).qr(some)
    assert (q.shape, r.shape) == (tuple(tq.shape), tuple(tr.shape))
    np.testing.assert_allclose((q @ r).data, x, atol=1e-12)
    signs = np.sign(np.diagonal(r.data, axis1=-2, axis2=-1) *
                    np.diagonal(tr.numpy(), axis1=-2, axis2=-1))[..., None, :]
    k = signs.shape[-1]
    np.testing.assert_allclose(q.data[..., :k] * signs, tq.numpy()[..., :k], atol=1e-12)
    u, s, v = ad.tensor(x).svd(some)
    tu, ts, tv = torch.tensor(x).svd(some)
    assert (u.shape, s.shape, v.shape) == (tuple(tu.shape), tuple(ts.shape), tuple(tv.shape))
    np.testing.assert_allclose(s.data, ts.numpy(), atol=1e-12)
    k = s.shape[-1]
    np.testing.assert_allclose(((u[..., :k] * s.unsqueeze(-2)) @ v[..., :k].mT).data, x,
                               atol=1e-12)
    flips = np.sign(np.sum(u.data[..., :k] * tu.numpy()[..., :k], axis=-2, keepdims=True))
    np.testing.assert_allclose(v.data[..., :k] * flips, tv.numpy()[..., :k], atol=1e-10)
    u0, s0, v0 = ad.tensor(x).svd(compute_uv=False)
    tu0, ts0, tv0 = torch.tensor(x).svd(compute_uv=False)
    assert (u0.shape, v0.shape) == (tuple(tu0.shape), tuple(tv0.shape))
    assert not u0.data.any() and not v0.data.any()
    np.testing.assert_allclose(s0.data, ts0.numpy(), atol=1e-12)


def test_qr_and_svd_gradients_match_torch_on_gauge_free_losses():
    torch = _torch()
    x = signed(4, 3)
    cotangent = R.standard_normal((4, 3))
    ours, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for lib_x, lib in ((ours, ad), (theirs, torch)):
        q, r = lib_x.qr()
        u, s, v = lib_x.svd()
        loss = ((q @ r) * lib.tensor(cotangent)).sum() + (s ** 3).sum() \
            + (((u * s.unsqueeze(-2)) @ v.mT) ** 2).sum()
        loss.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_removed_and_refused_methods_raise_naming_what_to_use():
    t = ad.tensor([[2.0, 1.0], [1.0, 3.0]])
    for name, replacement in [("eig", "ad.linalg.eig"), ("symeig", "ad.linalg.eigh"),
                              ("lstsq", "ad.linalg.lstsq"), ("solve", "ad.linalg.solve")]:
        with pytest.raises(RuntimeError, match=f"Tensor.{name}: was removed .*"
                                               f"{replacement.replace('.', '[.]')}"):
            getattr(t, name)(t)
    with pytest.raises(TypeError, match="new_tensor.*new_empty"):
        t.new(2)
    with pytest.raises(TypeError, match="chalf: complex32 .* cfloat"):
        t.chalf()
    for name in ("gcd", "lcm"):
        with pytest.raises(TypeError, match=f"{name}: works on integer .*got float64"):
            getattr(ad.tensor([1.0]), name)(ad.tensor([2.0]))
        with pytest.raises(TypeError, match=f"{name}: works on integer tensors, got bool"):
            getattr(ad.tensor([True]), name)(ad.tensor([True]))
    with pytest.raises(TypeError, match="frexp: needs a floating-point tensor"):
        ad.tensor([3]).frexp()
    with pytest.raises(TypeError, match="histogram: needs a floating-point tensor"):
        ad.tensor([3]).histogram(2)
    with pytest.raises(RuntimeError, match="histogram: has no gradient"):
        ad.tensor([1.0]).histogram(2, weight=ad.tensor([1.0], requires_grad=True))
    with pytest.raises(ValueError, match="mvlgamma: p must be an integer >= 1"):
        ad.tensor([3.0]).mvlgamma(0)


def test_removed_and_refused_methods_raise_in_torch_too():
    torch = _torch()
    t = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
    for name in ("eig", "symeig", "lstsq", "solve"):
        with pytest.raises(RuntimeError, match="removed"):
            getattr(t, name)(*([] if name in ("eig", "symeig") else [t]))
    for name in ("gcd", "lcm"):
        with pytest.raises(RuntimeError, match="not implemented"):
            getattr(torch.tensor([1.0]), name)(torch.tensor([2.0]))
        with pytest.raises(RuntimeError, match="not implemented"):
            getattr(torch.tensor([True]), name)(torch.tensor([True]))
    with pytest.raises(RuntimeError):
        torch.tensor([3]).frexp()


def test_nextafter_from_an_infinity_gives_the_largest_float_as_torch():
    torch = _torch()
    x = np.array([np.inf, -np.inf, 1.0])
    ours = ad.tensor(x).nextafter(ad.tensor(0.0))
    np.testing.assert_array_equal(ours.data, torch.tensor(x).nextafter(torch.tensor(0.0)))


def test_complex_casts_of_a_tensor_that_requires_grad_are_recorded_as_torchs():
    torch = _torch()
    for name in ("cfloat", "cdouble"):
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        theirs = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        ours = getattr(x, name)()
        cast = getattr(theirs, name)()
        assert str(ours.dtype) == str(cast.dtype).replace("torch.", "")
        (ours * (2 - 3j)).abs().sum().backward()
        (cast * (2 - 3j)).abs().sum().backward()
        np.testing.assert_allclose(x.grad, theirs.grad.numpy(), rtol=1e-6)
        assert getattr(x.detach(), name)().dtype.kind == "c"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bins", [1, 3, 4, 7, 10, 100])
def test_histogram_puts_values_on_edges_in_torchs_bins(bins, dtype):
    torch = _torch()
    values = np.concatenate([np.round(signed(40), 1), [0.3, 0.3, -0.9, 0.9]]).astype(dtype)
    for x, kwargs in [(values, {}), (np.array([0.3, 0.3], dtype), {}),
                      (values, {"range": (-0.5, 0.7)}), (values, {"density": True})]:
        hist, edges = ad.tensor(x).histogram(bins, **kwargs)
        their_hist, their_edges = torch.tensor(x).histogram(bins, **kwargs)
        assert hist.dtype == their_hist.numpy().dtype
        np.testing.assert_array_equal(edges.data, their_edges.numpy())
        np.testing.assert_allclose(hist.data, their_hist.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="histogram: bins must be .* increasing edges"):
        ad.tensor(values).histogram(ad.tensor(np.array([0.5, 0.1, 0.2], dtype)))



@pytest.mark.parametrize("density", [False, True])
def test_histogram_of_a_tensor_that_requires_grad_follows_min_and_max(density):
    x = signed(12)
    cotangents = R.standard_normal(5), R.standard_normal(6)

    def weighted(values):
        hist, edges = values.histogram(5, density=density)
        return (hist * cotangents[0]).sum() + (edges * cotangents[1]).sum()

    leaf = ad.tensor(x, requires_grad=True)
    hist, edges = leaf.histogram(5, density=density)
    plain = ad.tensor(x).histogram(5, density=density)
    np.testing.assert_array_equal(hist.data, plain.hist.data)
    np.testing.assert_array_equal(edges.data, plain.bin_edges.data)
    assert ad.gradcheck(weighted, [x], eps=1e-7, atol=1e-6, rtol=1e-5)
    weighted(leaf).backward()
    assert np.count_nonzero(leaf.grad) == 2      # (through the min and the max only)


def test_igamma_and_igammac_are_the_regularized_incomplete_gammas():
    a = np.array([0.5, 1.0, 3.0, 7.5])
    x = np.array([0.3, 2.0, 5.0, 6.0])
    lower = ad.tensor(a).igamma(ad.tensor(x))
    upper = ad.igammac(ad.tensor(a), ad.tensor(x))
    np.testing.assert_allclose(lower.data + upper.data, 1.0, rtol=1e-14)
    np.testing.assert_allclose(lower.data[1], 1 - np.exp(-2.0), rtol=1e-14)   # P(1, x)
    assert ad.gradcheck(lambda t: ad.igamma(ad.tensor(a), t).sum(), [x])
    stored = ad.tensor(a.copy())
    assert stored.igammac_(ad.tensor(x)) is stored
    np.testing.assert_array_equal(stored.data, upper.data)


def test_igamma_and_igammac_match_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([0.5, 1.0, 3.0, 7.5])
    x = np.array([0.3, 2.0, 5.0, 6.0])
    for name in ("igamma", "igammac"):
        ours = ad.tensor(x, requires_grad=True)
        value = getattr(ad, name)(ad.tensor(a), ours)
        value.sum().backward()
        theirs = torch.tensor(x, requires_grad=True)
        expected = getattr(torch, name)(torch.tensor(a), theirs)
        expected.sum().backward()
        np.testing.assert_allclose(value.data, expected.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
