"""Tensor methods in PyTorch's spelling against PyTorch (float64 on both sides), and
``t.put(index, source)`` with Tensors: NumPy's in-place put, said at the user's line."""

import warnings

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

X = np.array([[1.5, -2.5, 0.5], [3.0, -0.0, 4.0]])
V = np.array([1.0, -2.0, 3.0])
CUBE = np.arange(24.0).reshape(2, 3, 4)
SPECIALS = np.array([np.nan, np.inf, -np.inf, 1.0, -0.0])


def _index(lib, values):
    return lib.tensor(np.asarray(values))


# Each case: a function of (library, tensors...) run on both sides, and its inputs.
CASES = {
    "index_fill": (lambda L, t: t.index_fill(1, _index(L, [0, 2]), -1.0), X),
    "index_copy": (lambda L, t: t.index_copy(0, _index(L, [1, 0]), t.flip(0) * 2), X),
    "masked_fill with a 0-d tensor": (lambda L, t: t.masked_fill(t > 0, L.tensor(7.0)), X),
    "where(cond, 0-d tensor)": (lambda L, t: t.where(t > 0, L.tensor(-1.0)), X),
    "where(cond, number)": (lambda L, t: t.where(t > 0, 0.0), X),
    "clamp(min=tensor)": (lambda L, t: t.clamp(min=L.tensor(np.array([0.0, -1.0, 1.0]))), X),
    "clamp(min=tensor, max=0-d)": (
        lambda L, t: t.clamp(min=L.tensor(np.array([0.0, -1.0, 1.0])), max=L.tensor(2.0)), X),
    "lerp with a tensor weight": (
        lambda L, t: t.lerp(t * 2, L.tensor(np.array([0.1, 0.5, 0.9]))), X),
    "addcmul(value=)": (lambda L, t: t.addcmul(t, t, value=0.5), X),
    "addcdiv(value=)": (lambda L, t: t.addcdiv(t, t + 10, value=2), X),
    "addmm(beta=, alpha=)": (lambda L, t, m: t.addmm(m, m.T, beta=0.5, alpha=2),
                             np.ones((2, 2)), X),
    "baddbmm(beta=, alpha=)": (
        lambda L, t, b: t.baddbmm(b, b.transpose(1, 2), beta=0.5, alpha=2),
        np.ones((2, 2, 2)), np.stack([X, 2 * X])),
    "addr(beta=, alpha=)": (lambda L, t, a, b: t.addr(a, b, beta=2, alpha=3),
                            np.ones((3, 3)), V, 2 * V),
    "addmv(beta=, alpha=)": (lambda L, t, m, a: t.addmv(m, a, beta=2, alpha=3),
                             np.ones(2), X, V),
    "cross(dim=1)": (lambda L, t: t.cross(t.flip(0), dim=1), X),
    "cross(dim=0)": (lambda L, t: t.cross(t * 2 + 1, dim=0), np.arange(9.0).reshape(3, 3)),
    "dist(p=3)": (lambda L, t: t.dist(t * 2, p=3), X),
    "dist(p=inf)": (lambda L, t: t.dist(t * 2, p=float("inf")), X),
    "dist(p=0)": (lambda L, t: t.dist(t * 2, p=0), X),
    "norm(p='fro', dim=1)": (lambda L, t: t.norm(p="fro", dim=1), X),
    "norm(p='fro', dim=(0, 1))": (lambda L, t: t.norm(p="fro", dim=(0, 1)), X),
    "norm(p=1, dim=1, keepdim=True)": (lambda L, t: t.norm(p=1, dim=1, keepdim=True), X),
    "norm(p='nuc')": (lambda L, t: t.norm(p="nuc"), X),
    "count_nonzero(dim=1)": (lambda L, t: t.count_nonzero(dim=1), X),
    "count_nonzero(dim=(0, 1))": (lambda L, t: t.count_nonzero(dim=(0, 1)), X),
    "bincount(weights=, minlength=)": (
        lambda L, t, w: t.bincount(weights=w, minlength=5),
        np.array([0, 2, 2, 3]), np.array([0.5, 1.0, 2.0, 3.0])),
    "bincount(float32 weights)": (lambda L, t, w: t.bincount(weights=w),
                                  np.array([0, 2, 2, 3]), np.float32([0.5, 1, 2, 3])),
    "histc(bins, min, max)": (lambda L, t: t.histc(bins=4, min=-3, max=5), X),
    "histc(bins)": (lambda L, t: t.histc(bins=4), X),
    "logsumexp(dim, keepdim=True)": (lambda L, t: t.logsumexp(1, keepdim=True), X),
    "logsumexp((0, 1))": (lambda L, t: t.logsumexp((0, 1)), X),
    "nan_to_num(posinf=)": (lambda L, t: t.nan_to_num(posinf=9.0), SPECIALS),
    "nan_to_num float32": (lambda L, t: t.nan_to_num(), SPECIALS.astype(np.float32)),
    "flip(dims tuple)": (lambda L, t: t.flip((0, 1)), X),
    "roll(tuples, tuples)": (lambda L, t: t.roll((1, 2), (0, 1)), X),
    "roll without dims": (lambda L, t: t.roll(1), X),
    "rot90(k, dims)": (lambda L, t: t.rot90(3, (1, 0)), X),
    "diag_embed(offset=)": (lambda L, t: t.diag_embed(offset=1), X),
    "diag_embed(dim1=, dim2=)": (lambda L, t: t.diag_embed(offset=-1, dim1=0, dim2=2), X),
    "diagonal(offset, dim1, dim2)": (lambda L, t: t.diagonal(1, 1, 2), CUBE),
    "diagonal(negative dims)": (lambda L, t: t.diagonal(offset=-1, dim1=-1, dim2=0),
                                CUBE.reshape(3, 2, 4)),
    "triu(diagonal=) of a batch": (lambda L, t: t.triu(diagonal=1), CUBE),
    "tril(-1) of a batch": (lambda L, t: t.tril(-1), CUBE),
    "repeat_interleave(tensor, dim=)": (
        lambda L, t: t.repeat_interleave(_index(L, [1, 0, 2]), dim=1), X),
    "repeat_interleave(int)": (lambda L, t: t.repeat_interleave(2), X),
    "expand(-1, n)": (lambda L, t: t.expand(-1, 4), np.array([[1.0], [2.0]])),
    "expand(new, -1, n)": (lambda L, t: t.expand(3, -1, 4), np.array([[1.0], [2.0]])),
    "expand_as": (lambda L, t, o: t.expand_as(o), np.array([[1.0], [2.0]]), X),
    "view_as": (lambda L, t, o: t.view_as(o), np.arange(6.0), X),
    "reshape_as": (lambda L, t, o: t.reshape_as(o), np.arange(6.0), X),
    "type_as(int32)": (lambda L, t, o: t.type_as(o), X, np.array([1], np.int32)),
    "to(other)": (lambda L, t, o: t.to(o), X, np.array([1], np.float32)),
    "int() of negatives": (lambda L, t: t.int(), np.array([-1.5, -0.5, 0.5, 2.7])),
    "long() of negatives": (lambda L, t: t.long(), np.array([-1.5, -0.5, 0.5, 2.7])),
    "round(decimals=1)": (lambda L, t: t.round(decimals=1), np.array([1.25, 1.35, -2.55])),
    "round(decimals=-1)": (lambda L, t: t.round(decimals=-1), np.array([15.0, 25.0, -35.0])),
    "round() half to even": (lambda L, t: t.round(), np.array([0.5, 1.5, 2.5, -0.5])),
    "sign of -0.0 and NaN": (lambda L, t: t.sign(), SPECIALS),
    "signbit of -0.0 and NaN": (lambda L, t: t.signbit(), SPECIALS),
    "clip_(max=) only": (lambda L, t: t.clone().clip_(max=1.0), X),
    "abs_()": (lambda L, t: t.clone().abs_(), X),
    "neg_()": (lambda L, t: t.clone().neg_(), X),
    "std_mean(dim=, correction=)": (lambda L, t: L.std_mean(t, dim=1, correction=0), X),
    "var_mean(dim=)": (lambda L, t: L.var_mean(t, dim=1), X),
    "cov(correction=, fweights=)": (
        lambda L, t: t.cov(correction=0, fweights=_index(L, [1, 2, 3])), X),
    "cov(aweights=)": (lambda L, t: t.cov(aweights=L.tensor(np.array([1.0, 2.0, 3.0]))), X),
    "corrcoef": (lambda L, t: t.corrcoef(), np.array([[1.0, 2, 4], [3, -1, 2], [0, 1, 0.5]])),
    "is_floating_point": (lambda L, t: t.is_floating_point(), X),
    "is_floating_point of int": (lambda L, t: t.is_floating_point(), np.array([1, 2])),
    "element_size": (lambda L, t: t.element_size(), X.astype(np.float32)),
    "nbytes": (lambda L, t: t.nbytes, X.astype(np.float32)),
    "itemsize": (lambda L, t: t.itemsize, X.astype(np.float32)),
    "stride()": (lambda L, t: t.stride(), np.zeros((2, 3, 4))),
    "stride(1)": (lambda L, t: t.stride(1), np.zeros((2, 3, 4))),
    "stride() of a transpose": (lambda L, t: t.T.stride(), X),
    "is_contiguous()": (lambda L, t: t.is_contiguous(), X),
    "is_contiguous() of a transpose": (lambda L, t: t.T.is_contiguous(), X),
    "is_contiguous() of a strided slice": (lambda L, t: t[:, ::2].is_contiguous(), X),
    "storage_offset()": (lambda L, t: t[1:].storage_offset(), X),
    "fmod(negative)": (lambda L, t: t.fmod(-1.5), X),
    "remainder(negative)": (lambda L, t: t.remainder(-1.5), X),
    "div(rounding_mode='floor')": (lambda L, t: t.div(-2, rounding_mode="floor"),
                                   np.array([1, 2, 3])),
    "div(rounding_mode='trunc')": (lambda L, t: t.div(-2, rounding_mode="trunc"),
                                   np.array([1.0, 3.0, -5.0])),
    "scatter_reduce(amax, include_self=False)": (
        lambda L, t: t.scatter_reduce(1, _index(L, [[0, 0, 1], [2, 2, 2]]), t, "amax",
                                      include_self=False), X),
    "index_add(alpha=)": (lambda L, t: t.index_add(0, _index(L, [1, 1]), t, alpha=2), X),
    "put(accumulate=True)": (
        lambda L, t: t.put(_index(L, [0, 0]), L.tensor(np.array([9.0, 8.0])),
                           accumulate=True), X),
    "aminmax(dim=)": (lambda L, t: tuple(t.aminmax(dim=1)), X),
    "unique_consecutive(return_counts=)": (
        lambda L, t: t.unique_consecutive(return_counts=True), np.array([1.0, 1, 2, 1])),
    "frexp": (lambda L, t: tuple(t.frexp()), np.array([1.0, 3.0, 0.0])),
}


def _plain(result):
    if isinstance(result, (tuple, list)):
        return [_plain(r) for r in result]
    if isinstance(result, torch.Tensor):
        return result.detach().numpy()
    if isinstance(result, ad.Tensor):
        return np.asarray(result.data)
    return result


def _assert_same(ours, theirs):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif isinstance(theirs, np.ndarray):
        ours = np.asarray(ours)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours, theirs)
        # (reductions and products: BLAS and summation order may differ in the last bits)
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)
    else:
        assert ours == theirs


@pytest.mark.parametrize("name", list(CASES))
def test_method_matches_pytorch(name):
    method, *inputs = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = _plain(method(ad, *[ad.tensor(v) for v in inputs]))
    theirs = _plain(method(torch, *[torch.tensor(v) for v in inputs]))
    if name == "type_as(int32)" or name.startswith(("int()", "long()")):
        assert np.array_equal(ours, theirs) and ours.dtype == theirs.dtype
        return
    _assert_same(ours, theirs)


def test_put_of_tensors_is_numpys_in_place_put_with_a_warning_at_the_users_line():
    t = ad.tensor(X)
    with pytest.warns(ad.ConventionWarning, match=r"t\.put\(index, source\) is NumPy's "
                                                  r"ndarray\.put here") as caught:
        result = t.put(ad.tensor([0, 5]), ad.tensor([9.0, 8.0]))
    assert caught[0].filename == __file__
    assert result is None
    assert t.data.ravel()[[0, 5]].tolist() == [9.0, 8.0]
    written = ad.tensor(X).put(ad.tensor([0, 5]), ad.tensor([9.0, 8.0]), accumulate=False)
    theirs = torch.tensor(X).put(torch.tensor([0, 5]), torch.tensor([9.0, 8.0],
                                                                    dtype=torch.float64))
    assert np.array_equal(written.data, theirs.numpy())


def test_put_in_numpys_spelling_stays_silent():
    t = ad.tensor(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.put([0, 5], [9.0, 8.0]) is None
        np.put(t, [1], ad.tensor([7.0]))
        t.put_(ad.tensor([2]), ad.tensor([6.0]))
    assert t.data.ravel()[[0, 1, 2, 5]].tolist() == [9.0, 7.0, 6.0, 8.0]
