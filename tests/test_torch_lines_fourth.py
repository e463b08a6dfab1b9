"""PyTorch one-liners that a fourth probe found failing here: PyTorch's keyword names on
NumPy's functions (``diff(dim=)``, ``tensordot(dims=)``, ``cross(dim=)``,
``linalg.vector_norm(x, ord, dim, keepdim)``, ``linalg.norm(dim=)``,
``searchsorted(right=)`` and a sorted row per batch), ``ad.nonzero(as_tuple=)``, new
top-level names (``addmv``, ``cosine_similarity``, ``pairwise_distance``, ``sgn``,
``unflatten``, ``broadcast_shapes``), ``ad.special.expit`` and friends, ``F.softmax(dtype=)``,
``F.interpolate`` modes ``linear``/``trilinear``/``area`` and ``F.upsample``, and
``state_dict(prefix=, keep_vars=, destination=)``.  Values are checked by hand or with
finite differences; the last tests compare with PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

R = np.random.default_rng(4)


# --- PyTorch's keyword names on NumPy's functions ----------------------------------

def test_diff_takes_dim_and_refuses_it_with_axis():
    x = R.normal(size=(3, 4))
    np.testing.assert_allclose(ad.diff(ad.tensor(x), dim=0).data, np.diff(x, axis=0))
    np.testing.assert_allclose(ad.diff(ad.tensor(x), n=2, dim=1).data, np.diff(x, 2, axis=1))
    with pytest.raises(TypeError, match="diff: got both axis=0 and dim=1"):
        ad.diff(ad.tensor(x), axis=0, dim=1)
    assert ad.gradcheck(lambda t: (ad.diff(t, dim=0) ** 2).sum(), [x])


def test_tensordot_takes_dims_and_cross_takes_dim():
    a, b = R.normal(size=(2, 3)), R.normal(size=(3, 4))
    np.testing.assert_allclose(ad.tensordot(ad.tensor(a), ad.tensor(b), dims=1).data, a @ b)
    np.testing.assert_allclose(
        ad.tensordot(ad.tensor(a), ad.tensor(b), dims=([1], [0])).data, a @ b)
    with pytest.raises(TypeError, match="tensordot: got both axes"):
        ad.tensordot(ad.tensor(a), ad.tensor(b), axes=1, dims=1)
    u, v = R.normal(size=(3, 2)), R.normal(size=(3, 2))
    np.testing.assert_allclose(ad.cross(ad.tensor(u), ad.tensor(v), dim=0).data,
                               np.cross(u, v, axis=0))
    assert ad.gradcheck(lambda s, t: ad.tensordot(s, t, dims=1).sum(), [a, b])
    assert ad.gradcheck(lambda s, t: (ad.cross(s, t, dim=0) ** 2).sum(), [u, v])


def test_linalg_norms_take_pytorchs_ord_dim_and_keepdim_by_position():
    x = R.normal(size=(2, 3, 4))
    by_hand = (np.abs(x) ** 3).sum(-1) ** (1 / 3)
    np.testing.assert_allclose(ad.linalg.vector_norm(ad.tensor(x), 3, -1).data, by_hand)
    np.testing.assert_allclose(
        ad.linalg.vector_norm(ad.tensor(x), ord=3, dim=-1, keepdim=True).data,
        by_hand[..., None])
    np.testing.assert_allclose(ad.linalg.vector_norm(ad.tensor(x), dim=[0, 2]).data,
                               np.sqrt((x ** 2).sum((0, 2))))
    np.testing.assert_allclose(ad.linalg.norm(ad.tensor(x), dim=1).data,
                               np.sqrt((x ** 2).sum(1)))
    np.testing.assert_allclose(ad.linalg.matrix_norm(ad.tensor(x), "fro", (0, 1)).data,
                               np.sqrt((x ** 2).sum((0, 1))))
    np.testing.assert_allclose(ad.linalg.vector_norm(ad.tensor(x)).data,
                               np.sqrt((x ** 2).sum()))           # NumPy's call unchanged
    with pytest.raises(TypeError, match="vector_norm: got both axis"):
        ad.linalg.vector_norm(ad.tensor(x), axis=0, dim=1)
    assert ad.gradcheck(lambda t: ad.linalg.vector_norm(t, 3, -1).sum(), [x])


def test_searchsorted_takes_right_and_a_sorted_row_per_batch():
    seq = ad.tensor([1, 3, 5, 7, 9])
    values = ad.tensor([3, 6, 9])
    assert ad.searchsorted(seq, values).tolist() == [1, 3, 4]
    assert ad.searchsorted(seq, values, right=True).tolist() == [2, 3, 5]
    assert ad.searchsorted(seq, values, side="right").tolist() == [2, 3, 5]
    assert ad.searchsorted(seq, values, out_int32=True).dtype == np.int32
    rows = ad.tensor([[1, 3, 5], [2, 4, 6]])
    assert ad.searchsorted(rows, ad.tensor([[3, 6], [3, 7]])).tolist() == [[1, 3], [1, 3]]
    with pytest.raises(TypeError, match="disagree"):
        ad.searchsorted(seq, values, side="right", right=False)
    with pytest.raises(ValueError, match="one sorted row per leading index"):
        ad.searchsorted(rows, ad.tensor([3, 4]))


def test_nonzero_function_takes_as_tuple():
    x = ad.tensor([[0, 1], [2, 0]])
    assert ad.nonzero(x, as_tuple=False).tolist() == [[0, 1], [1, 0]]
    rows, cols = ad.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    with pytest.warns(ad.ConventionWarning, match="as_tuple=False for PyTorch's"):
        assert [i.tolist() for i in ad.nonzero(x)] == [[0, 1], [1, 0]]    # NumPy's default


# --- new top-level names ------------------------------------------------------------

def test_addmv_is_beta_input_plus_alpha_mat_vec():
    b, m, v = R.normal(size=2), R.normal(size=(2, 3)), R.normal(size=3)
    np.testing.assert_allclose(ad.addmv(ad.tensor(b), ad.tensor(m), ad.tensor(v),
                                        beta=0.5, alpha=2).data, 0.5 * b + 2 * (m @ v))
    nan_input = ad.tensor(np.full(2, np.nan))
    np.testing.assert_allclose(ad.addmv(nan_input, ad.tensor(m), ad.tensor(v), beta=0).data,
                               m @ v)
    with pytest.raises(ValueError, match="addmv: needs a 2-D matrix and a 1-D vector"):
        ad.addmv(ad.tensor(b), ad.tensor(v), ad.tensor(m))
    assert ad.gradcheck(lambda s, t, u: ad.addmv(s, t, u, beta=0.5, alpha=2).sum(), [b, m, v])


def test_cosine_similarity_pairwise_distance_and_sgn_at_the_top_level():
    a, b = R.normal(size=(2, 3)), R.normal(size=(2, 3))
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(ad.cosine_similarity(ad.tensor(a), ad.tensor(b)).data, cosine)
    np.testing.assert_allclose(ad.pairwise_distance(ad.tensor(a), ad.tensor(b)).data,
                               np.linalg.norm(a - b + 1e-6, axis=1))
    assert ad.sgn(ad.tensor([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    z = ad.sgn(ad.tensor(np.array([3 + 4j, 0j])))
    np.testing.assert_allclose(z.data, [0.6 + 0.8j, 0])


def test_unflatten_and_broadcast_shapes():
    x = ad.tensor(np.arange(12.0).reshape(2, 6))
    assert ad.unflatten(x, 1, (3, -1)).shape == (2, 3, 2)
    assert ad.broadcast_shapes((3,), (2, 1)) == (2, 3)
    assert ad.broadcast_shapes(3, (1, 1)) == (1, 3)
    with pytest.raises(ValueError, match=r"broadcast_shapes: shapes \(3,\), \(2,\) do not"):
        ad.broadcast_shapes((3,), (2,))


def test_special_has_pytorchs_and_scipys_names():
    x = np.array([0.2, 0.7])
    np.testing.assert_allclose(ad.special.expit(ad.tensor(x)).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(ad.special.logit(ad.tensor(x)).data, np.log(x / (1 - x)))
    np.testing.assert_allclose(ad.special.exp2(ad.tensor(x)).data, 2 ** x)
    with pytest.raises(AttributeError, match="no attribute 'not_a_function'"):
        ad.special.not_a_function


# --- nn.functional ------------------------------------------------------------------

def test_softmax_log_softmax_and_softmin_take_dtype():
    x = ad.tensor([[1, 2, 3]])                       # int: PyTorch converts first
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(F.softmax(x, dim=-1, dtype=ad.float64).data[0], e / e.sum())
    np.testing.assert_allclose(F.log_softmax(x, 1, dtype=np.float64).data[0],
                               np.log(e / e.sum()))
    soft = F.softmax(ad.tensor([[1.0, 2.0]]), dim=1, dtype=ad.float32)
    assert soft.dtype == np.float32
    assert F.softmin(ad.tensor([[0.0, 0.0]]), dim=1, dtype=np.float32).dtype == np.float32


def test_interpolate_linear_and_trilinear_are_bilinear_on_other_dims():
    x = R.normal(size=(1, 2, 5))
    up = F.interpolate(ad.tensor(x), size=9, mode="linear", align_corners=True).data
    np.testing.assert_allclose(up[..., ::2], x)                       # the old points
    np.testing.assert_allclose(up[..., 1::2], (x[..., 1:] + x[..., :-1]) / 2)
    v = R.normal(size=(1, 1, 2, 3, 4))
    # a constant along two axes: trilinear is linear along the third
    flat = np.broadcast_to(v[:, :, :, :1, :1], v.shape).copy()
    out = F.interpolate(ad.tensor(flat), size=(3, 3, 4), mode="trilinear",
                        align_corners=True).data
    np.testing.assert_allclose(out[:, :, 1], (flat[:, :, 0] + flat[:, :, 1]) / 2)
    with pytest.raises(ValueError, match="mode='linear' expects a 3-D input"):
        F.interpolate(ad.tensor(v), scale_factor=2, mode="linear")
    assert ad.gradcheck(lambda t: (F.interpolate(t, scale_factor=1.5, mode="linear") ** 2)
                        .sum(), [x])
    assert ad.gradcheck(lambda t: F.interpolate(t, size=(3, 2, 5), mode="trilinear").sum(),
                        [v])


def test_interpolate_area_is_adaptive_average_pooling_and_upsample_is_interpolate():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out = F.interpolate(ad.tensor(x), size=(2, 2), mode="area").data
    np.testing.assert_allclose(out[0, 0], x[0, 0].reshape(2, 2, 2, 2).mean((1, 3)))
    with pytest.raises(ValueError, match="align_corners can only be set"):
        F.interpolate(ad.tensor(x), size=(2, 2), mode="area", align_corners=True)
    np.testing.assert_allclose(F.upsample(ad.tensor(x), scale_factor=2).data,
                               F.interpolate(ad.tensor(x), scale_factor=2).data)
    assert nn.Upsample(scale_factor=2, mode="linear")(ad.tensor(x[0])).shape == (1, 4, 8)


# --- Module.state_dict's PyTorch arguments ------------------------------------------

def test_state_dict_takes_prefix_destination_and_keep_vars():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert sorted(net.state_dict(prefix="enc.")) == sorted(
        "enc." + key for key in net.state_dict())
    kept = net.state_dict(keep_vars=True)
    assert kept["0.weight"] is net[0].weight
    assert kept["1.running_mean"] is net[1].running_mean
    copied = net.state_dict()
    assert copied["0.weight"] is not net[0].weight.data
    target = {"other": 1}
    assert net.state_dict(destination=target) is target and "0.bias" in target


# --- against PyTorch ----------------------------------------------------------------

def test_the_fixed_lines_match_torch():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x = R.normal(size=(2, 3, 4))
    t = torch.tensor(x)
    pairs = [
        (ad.diff(ad.tensor(x), dim=1), torch.diff(t, dim=1)),
        (ad.linalg.vector_norm(ad.tensor(x), 3, -1, True),
         torch.linalg.vector_norm(t, 3, -1, True)),
        (ad.linalg.norm(ad.tensor(x), dim=(0, 2)), torch.linalg.norm(t, dim=(0, 2))),
        (ad.tensordot(ad.tensor(x), ad.tensor(x), dims=([1, 2], [1, 2])),
         torch.tensordot(t, t, dims=([1, 2], [1, 2]))),
        (ad.cross(ad.tensor(x[:, :, :3]), ad.tensor(x[:, :, 1:]), dim=1),
         torch.cross(t[:, :, :3], t[:, :, 1:], dim=1)),
        (ad.addmv(ad.tensor(x[0, 0, :3]), ad.tensor(x[0]), ad.tensor(x[1, 0]), beta=2,
                  alpha=0.5),
         torch.addmv(t[0, 0, :3], t[0], t[1, 0], beta=2, alpha=0.5)),
        (ad.cosine_similarity(ad.tensor(x), ad.tensor(x[::-1].copy())),
         torch.cosine_similarity(t, t.flip(0))),
        (ad.pairwise_distance(ad.tensor(x[0]), ad.tensor(x[1]), p=1),
         torch.pairwise_distance(t[0], t[1], p=1)),
        (F.interpolate(ad.tensor(x), size=7, mode="linear"),
         TF.interpolate(t, size=7, mode="linear")),
        (F.interpolate(ad.tensor(x), scale_factor=0.5, mode="linear", align_corners=True),
         TF.interpolate(t, scale_factor=0.5, mode="linear", align_corners=True)),
        (F.interpolate(ad.tensor(x[None, None]), scale_factor=(1.5, 2, 0.5), mode="trilinear"),
         TF.interpolate(t[None, None], scale_factor=(1.5, 2, 0.5), mode="trilinear")),
        (F.interpolate(ad.tensor(x[None]), size=(2, 3), mode="area"),
         TF.interpolate(t[None], size=(2, 3), mode="area")),
        (F.interpolate(ad.tensor(x), scale_factor=0.5, mode="area"),
         TF.interpolate(t, scale_factor=0.5, mode="area")),
        (F.softmax(ad.tensor([[1, 2, 3]]), dim=1, dtype=ad.float64),
         TF.softmax(torch.tensor([[1, 2, 3]]), dim=1, dtype=torch.float64)),
        (ad.special.expit(ad.tensor(x)), torch.special.expit(t)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-12)
    seq, vals = np.sort(R.integers(0, 20, size=(3, 6))), R.integers(0, 20, size=(3, 4))
    for right in (False, True):
        np.testing.assert_array_equal(
            ad.searchsorted(ad.tensor(seq), ad.tensor(vals), right=right).data,
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
    np.testing.assert_array_equal(ad.nonzero(ad.tensor(vals > 9), as_tuple=False).data,
                                  torch.nonzero(torch.tensor(vals > 9)).numpy())
    assert ad.broadcast_shapes((3, 1), (4,), 1) == tuple(
        torch.broadcast_shapes((3, 1), (4,), 1))
    ours = nn.Linear(2, 3).state_dict(prefix="head.", keep_vars=True)
    theirs = torch.nn.Linear(2, 3).state_dict(prefix="head.", keep_vars=True)
    assert sorted(ours) == sorted(theirs)


def test_interpolate_gradients_match_torch():
    torch = pytest.importorskip("torch")
    x = R.normal(size=(1, 2, 3, 2, 4))
    upstream = R.normal(size=(1, 2, 4, 3, 6))
    ours = ad.tensor(x, requires_grad=True)
    (F.interpolate(ours, size=(4, 3, 6), mode="trilinear") * upstream).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.interpolate(theirs, size=(4, 3, 6), mode="trilinear")
     * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_numpys_searchsorted_and_nonzero_calls_keep_numpys_values():
    ordered, values = np.array([-1.0, 0.0, 0.5, 2.0]), R.normal(size=4)
    for side in ("left", "right"):
        np.testing.assert_array_equal(
            ad.searchsorted(ad.tensor(ordered), ad.tensor(values), side=side).data,
            np.searchsorted(ordered, values, side=side))
    shuffled = np.array([2.0, -1.0, 0.5, 0.0])
    sorter = np.argsort(shuffled)
    np.testing.assert_array_equal(ad.searchsorted(shuffled, values, sorter=sorter).data,
                                  np.searchsorted(shuffled, values, sorter=sorter))
    x = R.normal(size=(3, 4)) > 0
    for ours, numpys in zip(ad.nonzero(ad.tensor(x), as_tuple=True), np.nonzero(x)):
        np.testing.assert_array_equal(ours, numpys)


# --- second round: Tensor methods and top-level names ---------------------------------

def test_pow_and_triangle_in_place_follow_the_rules_of_add_():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    y = w * 1.0
    assert y.pow_(3) is y
    y.sum().backward()
    np.testing.assert_allclose(w.grad, 3 * np.array([1.0, 4.0]))
    m = ad.tensor(np.arange(1.0, 10.0).reshape(3, 3))
    assert m.triu_(1) is m and m.tolist() == [[0, 2, 3], [0, 0, 6], [0, 0, 0]]
    n = ad.ones((2, 2))
    assert n.tril_().tolist() == [[1, 0], [1, 1]]
    leaf = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(Exception, match="pow_"):
        leaf.pow_(2)
    z = ad.tensor(R.normal(size=(3, 3)))
    assert ad.gradcheck(lambda t: (t * 1.0).tril_(-1).sum() + (t * 1.0).pow_(2).sum(), [z.data])


def test_clamp_min_clamp_max_swapdims_msort_and_bincount():
    x = ad.tensor([-1.0, 0.5, 2.0])
    assert x.clamp_min(0.0).tolist() == [0.0, 0.5, 2.0]
    assert ad.clamp_max(x, 1.0).tolist() == [-1.0, 0.5, 1.0]
    assert ad.clamp_min(x, 0.0).tolist() == [0.0, 0.5, 2.0]
    y = ad.tensor([-1.0, 0.5, 2.0])
    assert y.clamp_max_(0.0) is y and y.tolist() == [-1.0, 0.0, 0.0]
    assert ad.zeros((2, 3, 4)).swapdims(0, 2).shape == (4, 3, 2)
    assert ad.swapdims(ad.zeros((2, 3)), 0, 1).shape == (3, 2)
    assert ad.tensor([[3.0, 1.0], [1.0, 2.0]]).msort().tolist() == [[1.0, 1.0], [3.0, 2.0]]
    assert ad.tensor([0, 1, 1, 3]).bincount(minlength=5).tolist() == [1, 2, 0, 1, 0]
    weighted = ad.tensor([0, 1, 1]).bincount(weights=ad.tensor([0.5, 1.0, 2.0]))
    assert weighted.tolist() == [0.5, 3.0]
    with pytest.raises(TypeError, match="bincount: needs a 1-D tensor of integers"):
        ad.tensor([0.0, 1.0]).bincount()
    assert ad.gradcheck(lambda t: ad.clamp_min(t, 0.1).sum(), [np.array([-0.3, 0.4])])


def test_t_is_floating_point_promote_types_finfo_iinfo():
    assert ad.t(ad.zeros((2, 3))).shape == (3, 2)
    assert ad.is_floating_point(ad.ones(2)) and not ad.is_floating_point(ad.tensor([1]))
    assert ad.promote_types(ad.int32, ad.float32) == np.float32      # PyTorch's, not NumPy's
    assert ad.promote_types(np.float32, np.int64) == np.float32
    assert ad.promote_types(np.int8, np.uint8) == np.int16
    assert ad.promote_types(np.float32, np.float64) == np.float64
    assert ad.finfo(ad.float32).eps == np.finfo(np.float32).eps
    assert ad.iinfo(ad.int32).max == 2 ** 31 - 1


def test_var_and_std_take_unbiased_with_a_positional_dim():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ad.var(ad.tensor(x), 1, unbiased=True).data, x.var(1, ddof=1))
    np.testing.assert_allclose(ad.std(ad.tensor(x), 0, unbiased=False).data, x.std(0))
    np.testing.assert_allclose(ad.var(ad.tensor(x), unbiased=True).data, x.var(ddof=1))


def test_max_and_min_of_two_tensors_say_to_use_maximum_and_minimum():
    x, y = ad.tensor([1.0, 5.0]), ad.tensor([3.0, 2.0])
    with pytest.raises(TypeError, match=r"write ad.maximum\(input, other\)"):
        ad.max(x, y)
    with pytest.raises(TypeError, match=r"write ad.minimum\(input, other\)"):
        ad.min(x, y)
    assert ad.max(ad.tensor([[1.0, 4.0], [3.0, 2.0]]), 1).tolist() == [4.0, 3.0]   # NumPy's


def test_second_round_matches_torch():
    torch = pytest.importorskip("torch")
    x = R.normal(size=(3, 4))
    t = torch.tensor(x)
    np.testing.assert_allclose(ad.tensor(x).clamp_min(0.1).data, t.clamp_min(0.1).numpy())
    np.testing.assert_allclose(ad.clamp_max(ad.tensor(x), 0.1).data,
                               torch.clamp_max(t, 0.1).numpy())
    ours, theirs = ad.tensor(x.copy()), t.clone()      # (ad.tensor(x) shares x's memory)
    ours.triu_(1), theirs.triu_(1)
    np.testing.assert_allclose(ours.data, theirs.numpy())
    ours.pow_(3), theirs.pow_(3)
    np.testing.assert_allclose(ours.data, theirs.numpy())
    np.testing.assert_allclose(ad.tensor(x).msort().data, t.msort().numpy())
    counts = R.integers(0, 6, size=10)
    np.testing.assert_array_equal(ad.tensor(counts).bincount(minlength=8).data,
                                  torch.tensor(counts).bincount(minlength=8).numpy())
    np.testing.assert_allclose(ad.var(ad.tensor(x), 1, unbiased=False).data,
                               torch.var(t, 1, unbiased=False).numpy())
    names = {np.int32: torch.int32, np.int64: torch.int64, np.float32: torch.float32,
             np.float64: torch.float64, np.bool_: torch.bool, np.uint8: torch.uint8,
             np.int8: torch.int8, np.float16: torch.float16}
    for a in names:
        for b in names:
            theirs = str(torch.promote_types(names[a], names[b])).replace("torch.", "")
            assert str(np.dtype(ad.promote_types(a, b))) == theirs, (a, b)
    assert ad.finfo(ad.float32).eps == torch.finfo(torch.float32).eps
    assert ad.iinfo(ad.int64).min == torch.iinfo(torch.int64).min



# --- linalg: lstsq's named results and solve_triangular ------------------------------

def test_lstsq_results_have_pytorchs_names_in_numpys_order():
    a, b = R.normal(size=(4, 2)), R.normal(size=(4, 1))
    result = ad.linalg.lstsq(ad.tensor(a), ad.tensor(b))
    x, residuals, rank, s = result                       # NumPy's unpacking still works
    expected = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(result.solution.data, expected[0])
    np.testing.assert_allclose(result.residuals.data, expected[1])
    assert result.rank == expected[2] == rank
    np.testing.assert_allclose(result.singular_values.data, expected[3])


def test_solve_triangular_reads_only_its_triangle():
    A = R.normal(size=(3, 3)) + 3 * np.eye(3)
    B = R.normal(size=(3, 2))
    lower = np.tril(A)
    X = ad.linalg.solve_triangular(ad.tensor(A), ad.tensor(B), upper=False).data
    np.testing.assert_allclose(lower @ X, B)
    unit = np.tril(A, -1) + np.eye(3)
    X = ad.linalg.solve_triangular(ad.tensor(A), ad.tensor(B), upper=False,
                                   unitriangular=True).data
    np.testing.assert_allclose(unit @ X, B)
    C = R.normal(size=(2, 3))
    X = ad.linalg.solve_triangular(ad.tensor(A), ad.tensor(C), upper=True, left=False).data
    np.testing.assert_allclose(X @ np.triu(A), C)
    with pytest.raises(ValueError, match="B needs 3 rows"):
        ad.linalg.solve_triangular(ad.tensor(A), ad.tensor(C), upper=True)
    with pytest.raises(ValueError, match=r"b\[:, None\]"):
        ad.linalg.solve_triangular(ad.tensor(A), ad.tensor(B[:, 0]), upper=True)
    assert ad.gradcheck(lambda a, b: (ad.linalg.solve_triangular(a, b, upper=True) ** 2)
                        .sum(), [A, B])
    assert ad.gradcheck(lambda a, c: ad.linalg.solve_triangular(
        a, c, upper=False, left=False, unitriangular=True).sum(), [A, C])


def test_solve_triangular_values_and_gradients_match_torch():
    torch = pytest.importorskip("torch")
    A = R.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    B = R.normal(size=(2, 3, 4))
    upstream = R.normal(size=(2, 3, 4))
    for upper in (True, False):
        for unitriangular in (True, False):
            ours_a, ours_b = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
            ours = ad.linalg.solve_triangular(ours_a, ours_b, upper=upper,
                                              unitriangular=unitriangular)
            (ours * upstream).sum().backward()
            theirs_a = torch.tensor(A, requires_grad=True)
            theirs_b = torch.tensor(B, requires_grad=True)
            theirs = torch.linalg.solve_triangular(theirs_a, theirs_b, upper=upper,
                                                   unitriangular=unitriangular)
            (theirs * torch.tensor(upstream)).sum().backward()
            np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-9)
            np.testing.assert_allclose(ours_a.grad, theirs_a.grad.numpy(), rtol=1e-8,
                                       atol=1e-12)
            np.testing.assert_allclose(ours_b.grad, theirs_b.grad.numpy(), rtol=1e-8,
                                       atol=1e-12)
    result = torch.linalg.lstsq(torch.tensor(A[0]), torch.tensor(B[0]))
    ours = ad.linalg.lstsq(ad.tensor(A[0]), ad.tensor(B[0]))
    np.testing.assert_allclose(ours.solution.data, result.solution.numpy())


def test_unique_consecutive_keeps_each_run_once():
    x = ad.tensor([1, 1, 2, 2, 3, 1])
    assert ad.unique_consecutive(x).tolist() == [1, 2, 3, 1]
    values, inverse, counts = ad.unique_consecutive(x, return_inverse=True,
                                                    return_counts=True)
    assert inverse.tolist() == [0, 0, 1, 1, 2, 3] and counts.tolist() == [2, 2, 1, 1]
    _, inverse = ad.unique_consecutive(ad.tensor([[1, 1], [1, 2]]), return_inverse=True)
    assert inverse.tolist() == [[0, 0], [0, 1]]
    rows = ad.unique_consecutive(ad.tensor([[1, 2], [1, 2], [3, 4], [1, 2]]), dim=0)
    assert rows.tolist() == [[1, 2], [3, 4], [1, 2]]          # runs of equal slices


def test_unique_consecutive_matches_torch():
    torch = pytest.importorskip("torch")
    for values in ([1, 1, 2, 2, 3, 1], [[4, 4, 0], [0, 1, 1]], [], [7]):
        data = np.array(values, dtype=np.int64)
        ours = ad.unique_consecutive(ad.tensor(data), return_inverse=True, return_counts=True)
        theirs = torch.unique_consecutive(torch.tensor(data), return_inverse=True,
                                          return_counts=True)
        for mine, reference in zip(ours, theirs):
            np.testing.assert_array_equal(mine.data, reference.numpy())
            assert mine.shape == tuple(reference.shape)


def test_as_strided_of_a_transposed_array_asks_for_contiguous():
    # (tests/test_left_eighteenth_as_strided.py checks the contiguous case)
    with pytest.raises(ValueError, match=r"as_strided: .*call \.contiguous\(\) first"):
        ad.tensor(np.arange(6.0).reshape(2, 3).T).as_strided((2, 2), (1, 2))


def test_a_tensors_device_has_type_and_equals_the_string_cpu():
    t = ad.ones(2)
    assert t.device.type == "cpu" and t.device.index is None
    assert t.device == "cpu" and str(t.device) == "cpu"
    assert {"cpu": 1}[t.device] == 1                       # hashes as the string
    assert ad.zeros(2, device=t.device).device == t.device
    assert t.to(t.device) is t or t.to(t.device).shape == (2,)
