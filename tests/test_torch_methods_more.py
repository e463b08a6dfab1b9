"""PyTorch's Tensor methods from torch_math_methods, torch_stats_methods and
torch_shape_methods, checked against NumPy (no PyTorch needed) and with gradcheck in
float64; test_torch_methods_more_vs_torch.py compares them with PyTorch itself."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4))
M = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
B3 = RNG.normal(size=(2, 3, 4))


def _x(array):
    return ad.tensor(np.array(array, dtype=np.float64), requires_grad=True)


def _check(f, *arrays):
    assert ad.gradcheck(f, tuple(_x(a) for a in arrays))


# ----- comparisons and logic ------------------------------------------------------

@pytest.mark.parametrize("name, op", [
    ("eq", np.equal), ("ne", np.not_equal), ("gt", np.greater), ("lt", np.less),
    ("ge", np.greater_equal), ("le", np.less_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("less", np.less), ("less_equal", np.less_equal),
    ("not_equal", np.not_equal)])
def test_comparisons(name, op):
    other = np.round(A)
    result = getattr(ad.tensor(np.round(A) + (A > 0)), name)(ad.tensor(other))
    np.testing.assert_array_equal(result.data, op(np.round(A) + (A > 0), other))
    assert result.dtype == bool and not result.requires_grad
    np.testing.assert_array_equal(getattr(ad.tensor(A), name)(0.0).data, op(A, 0.0))


def test_equal_is_whole_tensor_equality():
    t = ad.tensor([1.0, 2.0])
    assert t.equal(ad.tensor([1.0, 2.0])) is True
    assert t.equal(ad.tensor([1, 2])) is True            # values, as torch.equal
    assert t.equal(ad.tensor([1.0, 3.0])) is False
    assert t.equal(ad.tensor([[1.0, 2.0]])) is False      # another shape
    assert ad.tensor([np.nan]).equal(ad.tensor([np.nan])) is False


def test_isclose_allclose_logical_where_count_argwhere():
    t = ad.tensor(A)
    np.testing.assert_array_equal(t.isclose(A + 1e-9).data, np.isclose(A, A + 1e-9))
    assert t.allclose(A + 1e-9) is True and t.allclose(A + 1.0) is False
    p, q = A > 0, A > 0.5
    np.testing.assert_array_equal(ad.tensor(p).logical_and(q).data, p & q)
    np.testing.assert_array_equal(ad.tensor(p).logical_or(q).data, p | q)
    np.testing.assert_array_equal(ad.tensor(p).logical_xor(q).data, p ^ q)
    np.testing.assert_array_equal(ad.tensor(A).logical_not().data, A == 0)
    np.testing.assert_array_equal(t.where(p, -t).data, np.where(p, A, -A))
    _check(lambda x: x.where(p, x * 3), A)
    with pytest.raises(TypeError, match="where: the condition must be bool"):
        t.where(A, 0.0)
    r = np.round(A)
    np.testing.assert_array_equal(ad.tensor(r).count_nonzero().data, np.count_nonzero(r))
    np.testing.assert_array_equal(ad.tensor(r).count_nonzero(dim=(0,)).data,
                                  np.count_nonzero(r, axis=0))
    assert ad.tensor(r).count_nonzero(dim=1).dtype == np.int64
    np.testing.assert_array_equal(ad.tensor(r).argwhere().data, np.argwhere(r))
    assert ad.tensor(r).argwhere().dtype == np.int64


# ----- extremes ----------------------------------------------------------------------

def test_amax_amin_aminmax_values_and_tied_gradients():
    r = np.round(A)
    t = ad.tensor(r)
    np.testing.assert_array_equal(t.amax().data, r.max())
    np.testing.assert_array_equal(t.amax(dim=1).data, r.max(axis=1))
    np.testing.assert_array_equal(t.amin(dim=(0, 1), keepdim=True).data,
                                  r.min(axis=(0, 1), keepdims=True))
    lo, hi = t.aminmax(dim=0)
    np.testing.assert_array_equal(lo.data, r.min(axis=0))
    np.testing.assert_array_equal(hi.data, r.max(axis=0))
    assert t.aminmax().min.shape == ()
    x = _x([1.0, 2.0, 2.0])
    x.amax().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])   # ties share, as PyTorch
    _check(lambda x: x.amax(dim=0) + x.amin(dim=1).sum(), A)
    with pytest.raises(ValueError, match="aminmax: the tensor .* is empty"):
        ad.zeros((0,)).aminmax()


# ----- linear algebra -----------------------------------------------------------------

def test_linear_algebra_shorthands():
    m = ad.tensor(M)
    np.testing.assert_allclose(m.det().data, np.linalg.det(M))
    np.testing.assert_allclose(m.logdet().data, np.log(np.linalg.det(M)))
    sign, logabs = m.slogdet()
    np.testing.assert_allclose(sign.data * np.exp(logabs.data), np.linalg.det(M))
    np.testing.assert_allclose(m.inverse().data, np.linalg.inv(M))
    np.testing.assert_allclose(ad.tensor(A).pinverse().data, np.linalg.pinv(A, rcond=1e-15))
    np.testing.assert_allclose(m.matrix_power(3).data, np.linalg.matrix_power(M, 3))
    negative = ad.tensor(np.diag([-2.0, 1.0]))
    assert np.isnan(negative.logdet().data)
    assert ad.tensor(np.zeros((2, 2))).logdet().data == -np.inf
    for f in (lambda x: x.det(), lambda x: x.logdet(), lambda x: x.inverse(),
              lambda x: x.matrix_power(-2), lambda x: x.slogdet()[1]):
        _check(f, M)
    _check(lambda x: x.pinverse(), A)


def test_diag_diag_embed_tril_triu():
    v = ad.tensor(A[0])
    np.testing.assert_array_equal(v.diag(1).data, np.diag(A[0], 1))
    np.testing.assert_array_equal(ad.tensor(A).diag(-1).data, np.diag(A, -1))
    with pytest.raises(ValueError, match="diag: needs a 1-D or 2-D tensor"):
        ad.tensor(B3).diag()
    out = ad.tensor(B3).diag_embed()
    assert out.shape == (2, 3, 4, 4)
    np.testing.assert_array_equal(np.diagonal(out.data, axis1=-2, axis2=-1), B3)
    shifted = ad.tensor(B3).diag_embed(offset=1, dim1=0, dim2=2)
    assert shifted.shape == (5, 2, 5, 3)
    np.testing.assert_array_equal(np.diagonal(shifted.data, 1, 0, 2), np.moveaxis(B3, 1, 1))
    with pytest.raises(ValueError, match="diag_embed: dim1=1 and dim2=1"):
        ad.tensor(A).diag_embed(0, 1, 1)
    np.testing.assert_array_equal(ad.tensor(B3).tril(1).data, np.tril(B3, 1))
    np.testing.assert_array_equal(ad.tensor(A).triu(-1).data, np.triu(A, -1))
    with pytest.raises(ValueError, match="tril: needs at least 2 dims"):
        ad.tensor(A[0]).tril()
    _check(lambda x: x.diag_embed(-1) * 2, A)
    _check(lambda x: x.tril() + x.triu(1) * 3 + x.diag(), M)


def test_products():
    t = ad.tensor(A)
    np.testing.assert_allclose(t.kron(M).data, np.kron(A, M))
    np.testing.assert_allclose(t.inner(B3).data, np.inner(A, B3))
    np.testing.assert_allclose(t[0].vdot(t[1]).data, A[0] @ A[1])
    np.testing.assert_allclose(t.mv(A[0]).data, A @ A[0])
    np.testing.assert_allclose(ad.tensor(B3).bmm(np.swapaxes(B3, 1, 2)).data,
                               B3 @ np.swapaxes(B3, 1, 2))
    w = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(t[:, :3].addmm(A, w, beta=2, alpha=0.5).data,
                               2 * A[:, :3] + 0.5 * (A @ w))
    batch2 = RNG.normal(size=(2, 4, 5))
    np.testing.assert_allclose(ad.ones((1, 3, 5)).baddbmm(B3, batch2, beta=0.5).data,
                               0.5 + B3 @ batch2)
    np.testing.assert_allclose(ad.tensor(np.full((2, 3, 5), np.nan)).baddbmm(
        B3, batch2, beta=0).data, B3 @ batch2)
    v3 = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(ad.tensor(v3).cross(v3[::-1], dim=1).data,
                               np.cross(v3, v3[::-1]))
    np.testing.assert_allclose(ad.tensor(v3).cross(v3[::-1]).data, np.cross(v3, v3[::-1]))
    with pytest.raises(ValueError, match="first dim of size 3"):
        ad.tensor(np.ones((3, 3))).cross(np.ones((3, 3)))
    with pytest.raises(ValueError, match="vdot: needs two 1-D tensors"):
        t.vdot(t)
    with pytest.raises(ValueError, match=r"mv: needs a matrix \(n, m\) and a vector"):
        t.mv(A[:, 0])
    with pytest.raises(ValueError, match="baddbmm: self of shape"):
        ad.ones((4, 4)).baddbmm(B3, batch2)
    _check(lambda x, y: x.kron(y) + 0, A[:2, :2], M[:2])
    _check(lambda x, y: x.inner(y), A, B3)
    _check(lambda x, y: x.mv(y) + x[0].vdot(x[1]), A, A[0])
    _check(lambda x, a, b: x.baddbmm(a, b, beta=2, alpha=3), np.ones((2, 3, 5)), B3, batch2)
    _check(lambda x, y: x.cross(y, dim=-1), v3, v3[::-1])


# ----- elementwise --------------------------------------------------------------------

def test_elementwise_methods():
    t = ad.tensor(A)
    np.testing.assert_allclose(t.lerp(A * 2, 0.25).data, A + 0.25 * A)
    np.testing.assert_allclose(t.addcmul(A, A[0], value=2).data, A + 2 * A * A[0])
    np.testing.assert_allclose(t.addcdiv(A, A[0], value=-1).data, A - A / A[0])
    with pytest.raises(TypeError, match="addcdiv: integer division"):
        t.addcdiv(ad.tensor([1]), ad.tensor([2]))
    r = np.round(A)
    np.testing.assert_array_equal(ad.tensor(r).heaviside(ad.tensor([0.5])).data,
                                  np.heaviside(r, 0.5))
    np.testing.assert_allclose(t.ldexp(ad.tensor([1, -2, 0, 3])).data,
                               np.ldexp(A, [1, -2, 0, 3]))
    assert ad.tensor([1, 2]).ldexp(ad.tensor([1, 1])).dtype == np.float64
    assert ad.tensor(A, dtype=np.float32).ldexp(ad.tensor([1])).dtype == np.float32
    np.testing.assert_array_equal(t.floor_divide(0.3).data, np.floor_divide(A, 0.3))
    np.testing.assert_allclose(t.i0().data, np.i0(A))
    big = A * 300
    np.testing.assert_allclose(ad.tensor(big).logcumsumexp(1).data,
                               np.logaddexp.accumulate(big, axis=1))
    np.testing.assert_allclose(ad.tensor([-1000.0, 0.0]).logcumsumexp(0).data, [-1000.0, 0.0])
    np.testing.assert_array_equal(t.hardshrink(0.5).data, np.where(np.abs(A) > 0.5, A, 0))
    assert np.isnan(ad.tensor([np.nan]).hardshrink().data[0])
    norms = np.linalg.norm(A, axis=1, keepdims=True)
    expected = np.where(norms > 1, A / (norms + 1e-7), A)
    np.testing.assert_allclose(t.renorm(2, 0, 1.0).data, expected)
    with pytest.raises(ValueError, match="renorm: p must be a positive number"):
        t.renorm(0, 0, 1.0)
    for f in (lambda x: x.lerp(x * x, 0.3), lambda x: x.addcmul(x, x, value=2),
              lambda x: x.addcdiv(x, x * x + 1), lambda x: x.ldexp(ad.tensor([1, 0, 2, 1])),
              lambda x: x.i0(), lambda x: x.logcumsumexp(0), lambda x: x.hardshrink(0.3),
              lambda x: x.renorm(2, 1, 0.5), lambda x: x.renorm(1.5, 0, 1.0)):
        _check(f, A)


# ----- order statistics ------------------------------------------------------------------

TIES = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 5.0, 4.0, 4.0]])


def _lower_median(data, axis):
    ordered = np.sort(data, axis=axis)
    return np.take(ordered, (data.shape[axis] - 1) // 2, axis=axis)


def test_median_is_the_lower_median_with_indices():
    t = ad.tensor(A)
    np.testing.assert_array_equal(t.median().data, _lower_median(A.reshape(-1), 0))
    values, indices = t.median(dim=1)
    np.testing.assert_array_equal(values.data, _lower_median(A, 1))
    np.testing.assert_array_equal(np.take_along_axis(A, indices.data[:, None], 1)[:, 0],
                                  values.data)
    assert indices.dtype == np.int64
    assert t.median(dim=0, keepdim=True).values.shape == (1, 4)
    with_nan = A.copy()
    with_nan[1, 2] = np.nan
    values, indices = ad.tensor(with_nan).median(dim=1)
    assert np.isnan(values.data[1]) and indices.data[1] == 2
    assert np.isnan(ad.tensor(with_nan).median().data)
    _check(lambda x: x.median(dim=1).values * 2, A)
    _check(lambda x: x.median(), A)
    x = _x(TIES)
    x.median().backward()             # 3.0, twice: the gradient shared, as PyTorch
    np.testing.assert_array_equal(x.grad, [[0.5, 0, 0.5, 0, 0], [0] * 5])
    assert ad.tensor(2.0).median(dim=0).values.shape == ()
    x = _x([1.0, np.inf, np.inf])
    x.median().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


def test_nanmedian_kthvalue_mode():
    with_nan = np.where(TIES > 4.5, np.nan, TIES)
    values, indices = ad.tensor(with_nan).nanmedian(dim=1)
    lower = [_lower_median(row[~np.isnan(row)], 0) for row in with_nan]
    np.testing.assert_array_equal(values.data, lower)
    assert ad.tensor(with_nan).nanmedian().data == _lower_median(
        with_nan[~np.isnan(with_nan)], 0)
    values, indices = ad.tensor(A).kthvalue(2, dim=1)
    np.testing.assert_array_equal(values.data, np.sort(A, axis=1)[:, 1])
    np.testing.assert_array_equal(indices.data, np.argsort(A, axis=1)[:, 1])
    with pytest.raises(ValueError, match="kthvalue: k=5 is out of range"):
        ad.tensor(A).kthvalue(5)
    values, indices = ad.tensor(TIES).mode(dim=1)
    np.testing.assert_array_equal(values.data, [1.0, 5.0])
    np.testing.assert_array_equal(indices.data, [3, 2])          # the last occurrence
    _check(lambda x: x.kthvalue(3, dim=0).values, A)
    _check(lambda x: x.nanmedian(dim=1).values, A)
    with pytest.raises(ValueError, match="mode: dim 0 of the tensor .* is empty"):
        ad.zeros((0, 2)).mode(0)


def test_quantiles_and_nan_reductions():
    t = ad.tensor(A)
    q = np.array([0.1, 0.5, 1.0])
    np.testing.assert_allclose(t.quantile(ad.tensor(q), dim=1).data, np.quantile(A, q, axis=1))
    for method in ("lower", "higher", "midpoint", "nearest"):
        np.testing.assert_allclose(t.quantile(0.3, interpolation=method).data,
                                   np.quantile(A, 0.3, method=method))
    with_nan = np.where(A > 1, np.nan, A)
    np.testing.assert_allclose(ad.tensor(with_nan).nanquantile(0.4, dim=0).data,
                               np.nanquantile(with_nan, 0.4, axis=0))
    np.testing.assert_allclose(ad.tensor(with_nan).nanmean(dim=1).data,
                               np.nanmean(with_nan, axis=1))
    np.testing.assert_allclose(ad.tensor(with_nan).nansum(dim=0, keepdim=True).data,
                               np.nansum(with_nan, axis=0, keepdims=True))
    with pytest.raises(ValueError, match="quantile: q must be"):
        t.quantile(1.5)
    with pytest.raises(ValueError, match="quantile: interpolation must be"):
        t.quantile(0.5, interpolation="cubic")
    with pytest.raises(TypeError, match="quantile: needs a floating-point tensor"):
        ad.tensor([1, 2]).quantile(0.5)
    _check(lambda x: x.quantile(ad.tensor([0.2, 0.7]), dim=1), A)
    _check(lambda x: x.nanmean(dim=0) + x.nansum(), A)


def test_unique_unique_consecutive_histc():
    r = np.round(A)
    values, inverse, counts = ad.tensor(r).unique(return_inverse=True, return_counts=True)
    u, i, c = np.unique(r, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.data, u)
    np.testing.assert_array_equal(inverse.data, i.reshape(r.shape))
    np.testing.assert_array_equal(counts.data, c)
    assert inverse.dtype == counts.dtype == np.int64
    rows = np.array([[1.0, 2], [0, 1], [1, 2]])
    np.testing.assert_array_equal(ad.tensor(rows).unique(dim=0).data, np.unique(rows, axis=0))
    values, inverse, counts = ad.tensor([1, 1, 2, 2, 1, 3]).unique_consecutive(
        return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.data, [1, 2, 1, 3])
    np.testing.assert_array_equal(inverse.data, [0, 0, 1, 1, 2, 3])
    np.testing.assert_array_equal(counts.data, [2, 2, 1, 1])
    cols = np.array([[1.0, 1, 2], [1, 1, 2]])
    np.testing.assert_array_equal(ad.tensor(cols).unique_consecutive(dim=1).data,
                                  [[1.0, 2], [1, 2]])
    np.testing.assert_array_equal(ad.tensor(A).histc(bins=5).data,
                                  np.histogram(A, bins=5, range=(A.min(), A.max()))[0])
    np.testing.assert_array_equal(ad.tensor([1.0, 1.0]).histc(bins=4).data, [0, 0, 2, 0])
    np.testing.assert_array_equal(ad.tensor([1.0, 2.0, 5.0]).histc(4, 0, 3).data,
                                  [0, 1, 1, 0])
    assert ad.tensor(A, dtype=np.float32).histc().dtype == np.float32
    with pytest.raises(TypeError, match="histc: needs a floating-point tensor"):
        ad.tensor([1, 2]).histc()


# ----- shapes -------------------------------------------------------------------------------

def test_shape_methods():
    t = ad.tensor(B3)
    assert t.movedim(0, -1).shape == (3, 4, 2) == t.moveaxis(0, -1).shape
    np.testing.assert_array_equal(t.movedim((0, 1), (2, 0)).data,
                                  np.moveaxis(B3, (0, 1), (2, 0)))
    np.testing.assert_array_equal(t.reshape_as(np.zeros((4, 6))).data, B3.reshape(4, 6))
    assert t.view_as(ad.zeros((24,))).shape == (24,)
    np.testing.assert_array_equal(t.unflatten(2, (2, -1)).data, B3.reshape(2, 3, 2, 2))
    with pytest.raises(ValueError, match="unflatten: sizes .* do not multiply to 4"):
        t.unflatten(2, (3, -1))
    parts = t.tensor_split(3, dim=2)
    assert [p.shape[2] for p in parts] == [2, 1, 1]
    parts = t.tensor_split(ad.tensor([1, 3]), dim=2)
    np.testing.assert_array_equal(parts[1].data, B3[:, :, 1:3])
    np.testing.assert_array_equal(t.select(1, -1).data, B3[:, -1])
    with pytest.raises(IndexError, match="select: index 3 is out of range"):
        t.select(1, 3)
    idx = np.array([[1], [0], [3]])
    np.testing.assert_array_equal(ad.tensor(A).take_along_dim(idx, 1).data,
                                  np.take_along_axis(A, idx, 1))
    np.testing.assert_array_equal(ad.tensor(A).take_along_dim(np.array([[1, 2]]), 1).data,
                                  np.take_along_axis(A, np.array([[1, 2]] * 3), 1))
    np.testing.assert_array_equal(ad.tensor(A).take_along_dim(np.array([11, 0])).data,
                                  A.reshape(-1)[[11, 0]])
    windows = t.unfold(2, 2, 1)
    assert windows.shape == (2, 3, 3, 2)
    np.testing.assert_array_equal(windows.data[:, :, 1], B3[:, :, 1:3])
    np.testing.assert_array_equal(ad.tensor([1.0, 2, 3, 4, 5]).unfold(0, 2, 2).data,
                                  [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="unfold: size=5"):
        t.unfold(2, 5, 1)
    np.testing.assert_allclose(t.sum_to_size(1, 3, 1).data, B3.sum(axis=(0, 2), keepdims=True))
    np.testing.assert_allclose(t.sum_to_size((3, 4)).data, B3.sum(axis=0))
    with pytest.raises(ValueError, match="sum_to_size: size"):
        t.sum_to_size(2, 1)
    for f in (lambda x: x.movedim(0, 2), lambda x: x.unflatten(1, (3, 1)),
              lambda x: x.tensor_split(2, dim=2)[1], lambda x: x.select(2, 1),
              lambda x: x.take_along_dim(ad.tensor(np.array([[[0, 0, 3]]])), 2),
              lambda x: x.unfold(1, 2, 1) * x.unfold(1, 2, 1), lambda x: x.sum_to_size(2, 1, 4)):
        _check(f, B3)


def test_conversions_and_queries():
    t = ad.tensor(A, requires_grad=True)
    assert t.type() == "torch.DoubleTensor" and t.float().type() == "torch.FloatTensor"
    assert ad.tensor([1]).type() == "torch.LongTensor"
    assert ad.tensor(np.zeros(1, np.uint16)).type() == "torch.UInt16Tensor"
    assert ad.tensor(np.zeros(1, np.longdouble)).type() == f"numpy.{np.dtype(np.longdouble)}"
    assert t.type(np.float32).dtype == np.float32
    assert t.type("torch.HalfTensor").dtype == np.float16
    with pytest.raises(TypeError, match="type: unknown type name"):
        t.type("torch.cuda.FloatTensor")
    assert t.half().dtype == np.float16 and t.half().requires_grad
    assert t.byte().dtype == np.uint8 and t.char().dtype == np.int8
    assert t.is_floating_point() and not ad.tensor([1]).is_floating_point()
    assert t.is_contiguous() and not t.T.is_contiguous()
    assert t.stride() == (4, 1) and t.T.stride() == (1, 4) and t.stride(-1) == 1
    assert ad.tensor(A, dtype=np.float32).element_size() == 4
    assert t.nelement() == 12 and t.cpu() is t
    empty = t.new_empty(2, 5)
    assert empty.shape == (2, 5) and empty.dtype == np.float64 and not empty.requires_grad
    assert t.new_empty((1,), dtype=np.int32).dtype == np.int32
    drawn = ad.tensor([[0.0, 1.0], [1.0, 0.0]]).multinomial(3, replacement=True, rng=0)
    np.testing.assert_array_equal(drawn.data, [[1, 1, 1], [0, 0, 0]])


def test_every_requested_method_exists():
    names = """eq ne gt lt ge le greater equal isclose allclose logical_and logical_or
    logical_not where count_nonzero argwhere amax amin aminmax det logdet slogdet inverse
    pinverse matrix_power diag diag_embed tril triu trace kron inner vdot mv cross diff
    rot90 fliplr flipud lerp addcmul addcdiv addmm baddbmm bmm heaviside ldexp floor_divide
    i0 logcumsumexp hardshrink renorm median nanmean nansum nanmedian quantile nanquantile
    kthvalue mode unique unique_consecutive histc movedim moveaxis reshape_as view_as
    unflatten tensor_split select take_along_dim unfold sum_to_size index_add_ index_fill_
    index_fill index_copy index_put_ index_put masked_fill_ masked_scatter scatter_add_
    scatter_reduce fill_diagonal_ put_ detach_ t_ uniform_ normal_ bernoulli_
    exponential_ random_ is_floating_point is_contiguous element_size nelement stride cpu
    type half byte char new_empty multinomial""".split()
    missing = [n for n in names if not hasattr(ad.tensor([1.0]), n)]
    assert not missing, missing


def test_diff_rot90_flips():
    t = ad.tensor(A)
    np.testing.assert_array_equal(t.diff().data, np.diff(A))
    np.testing.assert_array_equal(t.diff(n=2, dim=0).data, np.diff(A, n=2, axis=0))
    np.testing.assert_array_equal(t.diff(prepend=ad.zeros((3, 1))).data,
                                  np.diff(A, prepend=np.zeros((3, 1))))
    np.testing.assert_array_equal(t.rot90().data, np.rot90(A))
    np.testing.assert_array_equal(t.rot90(-1, (1, 0)).data, np.rot90(A, -1, (1, 0)))
    np.testing.assert_array_equal(t.fliplr().data, np.fliplr(A))
    np.testing.assert_array_equal(t.flipud().data, np.flipud(A))
    _check(lambda x: x.diff(dim=0) + 0, A)
    _check(lambda x: x.rot90(2) + x.fliplr() * x.flipud(), A)


def test_median_and_kthvalue_along_a_dim_replay_in_a_compiled_step():
    # The sort and the picks are recorded ops, so a replay computes them again.
    step = ad.compile(lambda x: x.median(dim=1).values + x.nanmedian(dim=1).values
                      + x.kthvalue(2, dim=1).values + x.median(dim=1).indices)
    for seed in range(3):
        data = np.random.default_rng(seed).normal(size=(3, 5))
        data[seed, seed] = np.nan
        x = ad.tensor(data)
        np.testing.assert_array_equal(step(x).data, (
            x.median(dim=1).values + x.nanmedian(dim=1).values
            + x.kthvalue(2, dim=1).values + x.median(dim=1).indices).data)
