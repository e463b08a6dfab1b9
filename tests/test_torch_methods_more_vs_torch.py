"""The Tensor methods of torch_math_methods, torch_stats_methods, torch_shape_methods,
torch_inplace_methods and scatter_reduce against PyTorch itself: values, dtypes and
gradients.  Skipped when PyTorch is not installed (test_torch_methods_more.py checks
the same methods against NumPy without it)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4))
M = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
B3 = RNG.normal(size=(2, 3, 4))
V3 = RNG.normal(size=(4, 3))
TIES = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 5.0, 4.0, 4.0], [0.0, 2.0, 2.0, 7.0, 1.0]])
IDX = np.array([2, 0, 2])
SIDX = np.array([[0, 1, 0, 2], [2, 2, 0, 0]])


class _Lib:
    """Builds the same extra operands in either library."""

    def __init__(self, lib):
        self.lib = lib

    def t(self, array, grad=False):
        array = np.asarray(array)
        if self.lib is ad:
            return ad.tensor(array, requires_grad=grad)
        return torch.tensor(array, requires_grad=grad)

    def i(self, array):
        return self.t(np.asarray(array, dtype=np.int64))

    def b(self, array):
        return self.t(np.asarray(array, dtype=bool))


#: name -> (input array, f(x, L)) run in both libraries; float outputs are compared
#: with their gradients (weighted sums), the others by value.
CASES = {
    "eq": (A, lambda x, L: x.eq(L.t(A))), "gt": (A, lambda x, L: x.gt(0.1)),
    "le": (A, lambda x, L: x.le(L.t(A[::-1].copy()))),
    "greater_equal": (A, lambda x, L: x.greater_equal(0.0)),
    "not_equal": (A, lambda x, L: x.not_equal(0.0)),
    "isclose": (A, lambda x, L: x.isclose(L.t(A + 1e-9))),
    "logical_xor": (A, lambda x, L: x.logical_xor(L.t(A > 0))),
    "logical_not": (A, lambda x, L: (x > 0).logical_not()),
    "where": (A, lambda x, L: x.where(L.b(A > 0), L.t(-A))),
    "count_nonzero": (np.round(A), lambda x, L: x.count_nonzero(dim=1)),
    "argwhere": (np.round(A), lambda x, L: x.argwhere()),
    "amax": (np.round(A), lambda x, L: x.amax(dim=1)),
    "amin_all": (np.round(A), lambda x, L: x.amin()),
    "amax_keep": (np.round(A), lambda x, L: x.amax(dim=(0, 1), keepdim=True)),
    "aminmax_min": (np.round(A), lambda x, L: x.aminmax(dim=0).min),
    "aminmax_max": (np.round(A), lambda x, L: x.aminmax().max),
    "det": (M, lambda x, L: x.det()), "logdet": (M, lambda x, L: x.logdet()),
    "logdet_neg": (-M[:2, :2] @ np.diag([1.0, -1.0]) @ M[:2, :2].T,
                   lambda x, L: x.logdet()),
    "slogdet": (M, lambda x, L: x.slogdet()[1]), "inverse": (M, lambda x, L: x.inverse()),
    "pinverse": (A, lambda x, L: x.pinverse()),
    "matrix_power": (M, lambda x, L: x.matrix_power(3)),
    "matrix_power_neg": (M, lambda x, L: x.matrix_power(-2)),
    "diag_vec": (A[0], lambda x, L: x.diag(1)), "diag_mat": (A, lambda x, L: x.diag(-1)),
    "diag_embed": (B3, lambda x, L: x.diag_embed()),
    "diag_embed_offset": (B3, lambda x, L: x.diag_embed(-1, 0, 2)),
    "tril": (B3, lambda x, L: x.tril(1)), "triu": (A, lambda x, L: x.triu(-1)),
    "kron": (A[:2, :2], lambda x, L: x.kron(L.t(M[:2]))),
    "inner": (A, lambda x, L: x.inner(L.t(B3))), "vdot": (A[0], lambda x, L: x.vdot(x * x)),
    "mv": (A, lambda x, L: x.mv(L.t(A[0]))), "bmm": (B3, lambda x, L: x.bmm(L.t(B3).mT)),
    "addmm": (A[:, :3], lambda x, L: x.addmm(L.t(A), L.t(V3), beta=0.5, alpha=2)),
    "baddbmm": (B3[:, :, :3], lambda x, L: x.baddbmm(L.t(B3), L.t(np.stack([V3, V3])),
                                                     beta=2, alpha=0.5)),
    "cross": (V3, lambda x, L: x.cross(x.flip(0), dim=1)),
    "lerp": (A, lambda x, L: x.lerp(L.t(A * 2), 0.75)),
    "lerp_tensor": (A, lambda x, L: x.lerp(x * x, L.t(A[0] / 2))),
    "addcmul": (A, lambda x, L: x.addcmul(x, L.t(A[0]), value=-2)),
    "addcdiv": (A, lambda x, L: x.addcdiv(L.t(A[0]), x * x + 1, value=0.5)),
    "heaviside": (np.round(A), lambda x, L: x.heaviside(L.t(np.array([0.25])))),
    # (non-negative exponents: PyTorch's gradient is 0 for negative integer ones)
    "ldexp": (A, lambda x, L: x.ldexp(L.i([1, 2, 0, 3]))),
    "floor_divide": (A, lambda x, L: x.floor_divide(0.3)),
    "i0": (A, lambda x, L: x.i0()),
    "logcumsumexp": (A * 30, lambda x, L: x.logcumsumexp(1)),
    "hardshrink": (A, lambda x, L: x.hardshrink(0.4)),
    "renorm": (A, lambda x, L: x.renorm(2, 0, 1.0)),
    "renorm_p1": (A, lambda x, L: x.renorm(1, 1, 1.5)),
    "median_all": (TIES, lambda x, L: x.median()),
    "median_dim": (TIES, lambda x, L: x.median(dim=1).values),
    "median_even": (TIES[:, :4], lambda x, L: x.median(dim=1, keepdim=True).values),
    "nanmedian": (np.where(TIES > 4, np.nan, TIES), lambda x, L: x.nanmedian(dim=1).values),
    "kthvalue": (A, lambda x, L: x.kthvalue(3, dim=1).values),
    "kthvalue_ties": (TIES, lambda x, L: x.detach().kthvalue(3, dim=1).values),
    "kthvalue0": (TIES, lambda x, L: x.kthvalue(2, dim=0, keepdim=True).values),
    "mode": (TIES, lambda x, L: x.mode(dim=1).values),
    "mode_indices": (TIES, lambda x, L: x.mode(dim=1).indices),
    "quantile": (A, lambda x, L: x.quantile(L.t([0.1, 0.5, 1.0]), dim=1)),
    "quantile_all": (A, lambda x, L: x.quantile(0.3)),
    "nanquantile": (np.where(A > 1, np.nan, A), lambda x, L: x.nanquantile(0.4, dim=1)),
    "nanmean": (np.where(A > 1, np.nan, A), lambda x, L: x.nanmean(dim=0)),
    "nansum": (np.where(A > 1, np.nan, A), lambda x, L: x.nansum(dim=1, keepdim=True)),
    "unique": (np.round(A), lambda x, L: x.unique()),
    "unique_inverse": (np.round(A), lambda x, L: x.unique(return_inverse=True)[1]),
    "unique_counts": (np.round(A), lambda x, L: x.unique(return_counts=True)[1]),
    "unique_dim": (np.array([[1.0, 2], [0, 1], [1, 2]]), lambda x, L: x.unique(dim=0)),
    "unique_consecutive": (np.array([1.0, 1, 2, 2, 1, 3, 3]),
                           lambda x, L: x.unique_consecutive(return_counts=True)[1]),
    "unique_consecutive_dim": (np.array([[1.0, 1, 2], [1, 1, 2]]),
                               lambda x, L: x.unique_consecutive(dim=1)),
    "histc": (A, lambda x, L: x.histc(bins=5)),
    "histc_range": (A, lambda x, L: x.histc(bins=4, min=-1, max=1)),
    "diff": (A, lambda x, L: x.diff(2, 0)),
    "diff_prepend": (A, lambda x, L: x.diff(dim=1, prepend=x[:, :1] * 2, append=L.t(A[:, :2]))),
    "rot90": (B3, lambda x, L: x.rot90(3, (2, 0))), "fliplr": (A, lambda x, L: x.fliplr()),
    "flipud": (B3, lambda x, L: x.flipud()),
    "movedim": (B3, lambda x, L: x.movedim((0, 1), (2, 0))),
    "reshape_as": (A, lambda x, L: x.reshape_as(L.t(np.zeros((2, 6))))),
    "unflatten": (B3, lambda x, L: x.unflatten(2, (2, -1))),
    "tensor_split": (A, lambda x, L: x.tensor_split(3, dim=1)[0]),
    "tensor_split_idx": (A, lambda x, L: x.tensor_split([1, 3], dim=1)[1]),
    "select": (B3, lambda x, L: x.select(1, -1)),
    "take_along_dim": (A, lambda x, L: x.take_along_dim(L.i([[1], [0], [3]]), 1)),
    "take_along_dim_bcast": (A, lambda x, L: x.take_along_dim(L.i([[1, 2]]), 1)),
    "take_along_dim_flat": (A, lambda x, L: x.take_along_dim(L.i([11, 0, 0]))),
    "unfold": (B3, lambda x, L: x.unfold(2, 2, 1)),
    "unfold_step": (B3, lambda x, L: x.unfold(1, 2, 2)),
    "sum_to_size": (B3, lambda x, L: x.sum_to_size(1, 3, 1)),
    "index_add": (A, lambda x, L: x.index_add(0, L.i(IDX), x * 2, alpha=3)),
    "index_fill": (A, lambda x, L: x.index_fill(1, L.i([0, 2]), -1.0)),
    "index_copy": (A, lambda x, L: x.index_copy(1, L.i([3, 0]), x[:, :2] * 5)),
    "index_put": (A, lambda x, L: x.index_put((L.i([0, 2]), L.i([1, 1])), x[0, :2] * 3)),
    "index_put_acc": (A, lambda x, L: x.index_put((L.i([0, 0, 2]),), x[1] * 2,
                                                  accumulate=True)),
    "masked_scatter": (A, lambda x, L: x.masked_scatter(L.b(A > 0), x.flip(0) * 2)),
    "scatter_add_": (A, lambda x, L: (x * 1).scatter_add_(1, L.i(SIDX), x[:2] * 3)),
    "fill_diagonal_": (A, lambda x, L: (x * 1).fill_diagonal_(5.0)),
    "fill_diagonal_wrap": (np.zeros((7, 3)), lambda x, L: (x * 1).fill_diagonal_(2.0,
                                                                                   wrap=True)),
    "put_": (A, lambda x, L: (x * 1).put_(L.i([0, -1, 5]), x[0, :3] * 2)),
    "put_acc": (A, lambda x, L: (x * 1).put_(L.i([0, 0, 5]), x[0, :3] * 2,
                                             accumulate=True)),
    "masked_fill_": (A, lambda x, L: (x * 1).masked_fill_(L.b(A > 0), 0.5)),
}
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _include in (True, False):
        CASES[f"scatter_reduce_{_reduce}_{_include}"] = (
            # (self + 0.5 never equals a src entry: with include_self=False PyTorch's
            # amax/amin count a self equal to the result among the ties, though it
            # takes no part; here it is not counted, so the gradient adds up)
            np.round(A), lambda x, L, r=_reduce, i=_include: (x + 0.5).scatter_reduce(
                1, L.i(SIDX), x[:2].flip(1) * 1, r, include_self=i))


#: PyTorch has no derivative for these (ours: zero, or none for unique's integers).
NO_GRADIENT_IN_PYTORCH = {"floor_divide", "heaviside", "unique", "unique_dim",
                          "unique_consecutive_dim"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_pytorch(name):
    array, f = CASES[name]
    ours_x = ad.tensor(array, requires_grad=True)
    theirs_x = torch.tensor(array, requires_grad=True)
    ours, theirs = f(ours_x, _Lib(ad)), f(theirs_x, _Lib(torch))
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape, (ours.shape, expected.shape)
    if expected.dtype.kind == "f":
        assert ours.dtype == expected.dtype
    else:
        assert ours.dtype.kind == expected.dtype.kind, (ours.dtype, expected.dtype)
    np.testing.assert_allclose(ours.data, expected, rtol=1e-10, atol=1e-12)
    if theirs.requires_grad and name not in NO_GRADIENT_IN_PYTORCH:
        weights = RNG.normal(size=ours.shape)
        (ours * weights).sum().backward()
        (theirs * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["median", "nanmedian", "kthvalue", "mode"])
def test_indices_point_at_the_values(name):
    data = np.where(TIES > 4.5, np.nan, TIES) if name == "nanmedian" else TIES
    args = (2,) if name == "kthvalue" else ()
    ours = getattr(ad.tensor(data), name)(*args, dim=1)
    theirs = getattr(torch.tensor(data), name)(*args, dim=1)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    picked = np.take_along_axis(data, ours.indices.data[:, None], 1)[:, 0]
    np.testing.assert_array_equal(picked, ours.values.data)
    assert ours.indices.dtype == np.int64


def test_median_with_nan_matches_pytorch():
    data = np.array([[1.0, np.nan, 0.0, np.nan], [np.nan] * 4, [3.0, 1.0, 2.0, 0.0]])
    ours, theirs = ad.tensor(data).median(dim=1), torch.tensor(data).median(dim=1)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.data[:2], theirs.indices.numpy()[:2])


def test_type_names_and_equal_match_pytorch():
    for dtype in (np.float64, np.float32, np.float16, np.int64, np.int32, np.int8, np.uint8,
                  bool):
        array = np.zeros(2, dtype=dtype)
        assert ad.tensor(array).type() == torch.tensor(array).type()
    a, b = np.array([1.0, 2.0]), np.array([1, 2])
    assert ad.tensor(a).equal(ad.tensor(b)) == torch.equal(torch.tensor(a), torch.tensor(b))
    assert ad.tensor(a).equal(ad.tensor(a[None])) == torch.equal(torch.tensor(a),
                                                                 torch.tensor(a[None]))
    t = ad.tensor(B3).permute(2, 0, 1)
    assert t.stride() == torch.tensor(B3).permute(2, 0, 1).stride()
    assert t.is_contiguous() == torch.tensor(B3).permute(2, 0, 1).is_contiguous()
