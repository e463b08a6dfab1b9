"""More PyTorch habits: Tensor methods (split, unbind, narrow, masked_select, scatter,
outer, flip(dims=), elementwise math, in-place unary methods), top-level functions
(softmax ... meshgrid), random functions, save/load and ad.autograd."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(0)


def _f64(*shape):
    return RNG.normal(size=shape)


# ----- split, chunk, unbind, narrow ---------------------------------------------

def test_split_by_size_and_by_sizes():
    x = ad.tensor(np.arange(10.0).reshape(5, 2))
    assert [p.shape for p in x.split(2)] == [(2, 2), (2, 2), (1, 2)]
    assert [p.shape for p in x.split([1, 4])] == [(1, 2), (4, 2)]
    assert [p.shape for p in x.split(1, dim=-1)] == [(5, 1), (5, 1)]
    np.testing.assert_array_equal(x.split([1, 4])[1].data, x.data[1:])
    assert [p.shape for p in ad.tensor(np.zeros(0)).split(3)] == [(0,)]


def test_split_gradient():
    assert ad.gradcheck(lambda x: x.split([2, 1], dim=1)[0].sum() * 2
                        + (x.split([2, 1], dim=1)[1] ** 2).sum(), [_f64(2, 3)])


def test_split_refusals():
    x = ad.tensor(np.zeros(3))
    with pytest.raises(ValueError, match="add up to 2, but dim 0 has size 3"):
        x.split([1, 1])
    with pytest.raises(ValueError, match="split_size must be positive"):
        x.split(0)
    with pytest.raises(ValueError, match="0-d tensor"):
        ad.tensor(1.0).split(1)
    with pytest.raises(TypeError, match="split_size_or_sections"):
        x.split(1.5)


def test_chunk_matches_pytorch_sizes():
    expected = {(5, 3): [2, 2, 1], (6, 4): [2, 2, 2], (0, 3): [0, 0, 0], (2, 5): [1, 1]}
    for (n, chunks), sizes in expected.items():
        pieces = ad.chunk(ad.tensor(np.arange(float(n))), chunks)
        assert [p.shape[0] for p in pieces] == sizes


def test_unbind_values_gradient_and_refusal():
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    rows = x.unbind()
    cols = x.unbind(dim=-1)
    assert len(rows) == 2 and len(cols) == 3
    np.testing.assert_array_equal(cols[1].data, [1.0, 4.0])
    assert ad.gradcheck(lambda t: (t.unbind(1)[0] * t.unbind(1)[2]).sum(), [_f64(2, 3)])
    assert ad.tensor(np.zeros((0, 2))).unbind() == ()
    with pytest.raises(ValueError, match="unbind: a 0-d tensor"):
        ad.tensor(1.0).unbind()


def test_narrow():
    x = ad.tensor(np.arange(5.0))
    np.testing.assert_array_equal(x.narrow(0, -2, 2).data, [3.0, 4.0])
    assert x.narrow(0, 5, 0).shape == (0,)
    assert ad.gradcheck(lambda t: (t.narrow(-1, 1, 2) ** 2).sum(), [_f64(3, 4)])
    with pytest.raises(IndexError, match=r"narrow: start=3 with length=3 goes past dim 0"):
        x.narrow(0, 3, 3)
    with pytest.raises(IndexError, match=r"start=-6 is out of range"):
        x.narrow(0, -6, 0)


# ----- masked_select, scatter, outer, flip ---------------------------------------

def test_masked_select_broadcasts_and_gradient():
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    mask = np.array([True, False, True])
    np.testing.assert_array_equal(x.masked_select(mask).data, [0.0, 2.0, 3.0, 5.0])
    assert ad.tensor(np.zeros(3)).masked_select(np.zeros(3, bool)).shape == (0,)
    assert ad.gradcheck(lambda t: (t.masked_select(mask) ** 2).sum(), [_f64(2, 3)])
    # a mask larger than the tensor broadcasts it: the gradient sums back
    row = ad.tensor([1.0, 2.0], requires_grad=True)
    row.masked_select(np.array([[True, True], [True, False]])).sum().backward()
    np.testing.assert_array_equal(row.grad, [2.0, 1.0])
    with pytest.raises(TypeError, match="masked_select: the mask must be bool"):
        x.masked_select(np.array([1, 0, 1]))
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_select(np.array([True, False]))


def test_scatter_values_and_gradients():
    index = np.array([[2, 0], [1, 2]])
    x = ad.tensor(np.zeros((2, 3)))
    out = x.scatter(1, index, ad.tensor([[1.0, 2.0, 9.0], [3.0, 4.0, 9.0]]))
    np.testing.assert_array_equal(out.data, [[2.0, 0.0, 1.0], [0.0, 3.0, 4.0]])
    np.testing.assert_array_equal(x.scatter(0, np.array([[1, 0, 1]]), 7.0).data,
                                  [[0.0, 7.0, 0.0], [7.0, 0.0, 7.0]])
    assert ad.gradcheck(lambda t, s: (t.scatter(1, index, s) ** 2).sum(),
                        [_f64(2, 3), _f64(2, 3)])
    assert ad.gradgradcheck(lambda t, s: (t.scatter(-1, index, s) ** 3).sum(),
                            [_f64(2, 3), _f64(2, 2)])
    t = ad.tensor(np.ones((2, 3)), requires_grad=True)
    s = ad.tensor(np.ones((2, 2)), requires_grad=True)
    (t.scatter(1, index, s) * np.arange(6.0).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(t.grad, [[0.0, 1.0, 0.0], [3.0, 0.0, 0.0]])   # zeroed
    np.testing.assert_array_equal(s.grad, [[2.0, 0.0], [4.0, 5.0]])             # gathered


def test_scatter_refusals():
    x = ad.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="more than once along dim 1.*scatter_add"):
        x.scatter(1, np.array([[0, 0]]), ad.tensor([[1.0, 2.0]]))
    with pytest.raises(TypeError, match="src has dtype float32 but the tensor has float64"):
        x.scatter(1, np.array([[0]]), ad.tensor([[1.0]], dtype=np.float32))
    with pytest.raises(IndexError, match="index 3 is out of range for dim 1 of size 3"):
        x.scatter(1, np.array([[3]]), 1.0)
    with pytest.raises(ValueError, match="reduce must be 'add' or 'multiply'.*scatter_reduce"):
        x.scatter(1, np.array([[0]]), 1.0, reduce="sum")


def test_scatter_in_place_rules():
    x = ad.tensor(np.zeros(4))
    assert x.scatter_(0, np.array([1, 3]), ad.tensor([5.0, 6.0])) is x
    np.testing.assert_array_equal(x.data, [0.0, 5.0, 0.0, 6.0])
    leaf = ad.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_: tensor of shape.*is a leaf"):
        leaf.scatter_(0, np.array([0]), 1.0)
    # recorded on a non-leaf: the gradient flows as in scatter
    h = leaf * 2
    src = ad.tensor([3.0], requires_grad=True)
    h.scatter_(0, np.array([1]), src)
    (h * ad.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(leaf.grad, [2.0, 0.0, 200.0])
    np.testing.assert_array_equal(src.grad, [10.0])


def test_outer_and_its_refusal():
    u, v = _f64(3), _f64(2)
    np.testing.assert_allclose(ad.tensor(u).outer(ad.tensor(v)).data, np.outer(u, v))
    assert ad.gradcheck(lambda a, b: (a.outer(b) ** 2).sum(), [u, v])
    with pytest.raises(ValueError, match="outer: needs two 1-D tensors, got shapes"):
        ad.tensor(np.zeros((2, 2))).outer(ad.tensor(v))


def test_flip_takes_dims_keyword():
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.flip(dims=(1,)).data, x.data[:, ::-1])
    np.testing.assert_array_equal(x.flip(dims=[0, 1]).data, x.data[::-1, ::-1])
    np.testing.assert_array_equal(x.flip(dims=0).data, x.data[::-1])
    np.testing.assert_array_equal(x.flip(axis=1).data, x.data[:, ::-1])
    np.testing.assert_array_equal(x.flip(dims=()).data, x.data)
    with pytest.raises(TypeError, match="both by position and as dims="):
        x.flip(0, dims=1)
    with pytest.raises(TypeError, match="unexpected keyword 'dim'"):
        x.flip(dim=1)


# ----- elementwise math methods -------------------------------------------------

UNARY = ["absolute", "neg", "negative", "exp2", "expm1", "log1p", "log2", "log10", "tan",
         "sinh", "cosh", "asin", "arcsin", "acos", "arccos", "atan", "arctan", "asinh",
         "arcsinh", "atanh", "arctanh", "deg2rad", "rad2deg", "sinc", "erf", "rsqrt",
         "logit", "frac", "positive"]


def _domain(name):
    if name in ("log1p", "log2", "log10", "rsqrt", "acosh", "arccosh"):
        return RNG.uniform(0.5, 2.0, size=(2, 3))
    if name in ("asin", "arcsin", "acos", "arccos", "atanh", "arctanh"):
        return RNG.uniform(-0.8, 0.8, size=(2, 3))
    if name == "logit":
        return RNG.uniform(0.1, 0.9, size=(2, 3))
    if name == "frac":
        return RNG.uniform(0.1, 0.9, size=(2, 3)) + np.array([[-2.0], [1.0]])
    return RNG.uniform(-1.5, 1.5, size=(2, 3))


@pytest.mark.parametrize("name", UNARY + ["acosh", "arccosh"])
def test_unary_methods_gradients(name):
    x = _domain(name) + (1.5 if name in ("acosh", "arccosh") else 0.0)
    assert ad.gradcheck(lambda t: (getattr(t, name)() * np.arange(6.0).reshape(2, 3)).sum(),
                        [x])
    with np.errstate(invalid="ignore"):
        assert getattr(ad.tensor(0.5), name)().shape == ()         # 0-d


def test_unary_methods_values():
    x = np.array([0.25, 4.0])
    np.testing.assert_allclose(ad.tensor(x).rsqrt().data, 1 / np.sqrt(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(ad.tensor([0.0, -1.0]).rsqrt().data, [np.inf, np.nan])
    np.testing.assert_allclose(ad.tensor([-1.5, 2.25]).frac().data, [-0.5, 0.25])
    np.testing.assert_allclose(ad.tensor([0.25]).logit().data, [np.log(1 / 3)])
    x = ad.tensor([0.05, 0.5], requires_grad=True)
    x.logit(eps=0.1).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 4.0])          # clamped entries: gradient 0
    np.testing.assert_array_equal(ad.tensor([-np.inf, np.inf, 1.0]).isposinf().data,
                                  [False, True, False])
    np.testing.assert_array_equal(ad.tensor([np.nan, -np.inf]).nan_to_num(neginf=-1.0).data,
                                  [0.0, -1.0])
    assert ad.tensor([1.0]).positive() is not None


def test_binary_methods():
    a, b = ad.tensor([-7.0, 7.0]), ad.tensor([3.0, -2.0])
    np.testing.assert_array_equal(a.remainder(b).data, np.mod(a.data, b.data))
    np.testing.assert_array_equal(a.fmod(b).data, np.fmod(a.data, b.data))
    np.testing.assert_array_equal(a.div(b, rounding_mode="trunc").data, [-2.0, -3.0])
    np.testing.assert_array_equal(a.div(b, rounding_mode="floor").data, [-3.0, -4.0])
    np.testing.assert_array_equal(a.add(b, alpha=2).data, [-1.0, 3.0])
    np.testing.assert_array_equal(a.sub(b, alpha=2).data, [-13.0, 11.0])
    with pytest.raises(ValueError, match="rounding_mode must be"):
        a.div(b, rounding_mode="round")
    assert ad.gradcheck(lambda x, y: (x.atan2(y) + x.hypot(y) + x.logaddexp(y)
                                      + x.maximum(y) + x.mul(y)).sum(),
                        [_f64(4), _f64(4)])


# ----- in-place unary methods ---------------------------------------------------

IN_PLACE = ["exp_", "log_", "sqrt_", "sigmoid_", "tanh_", "relu_", "abs_", "neg_"]


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_unary_values_and_gradient(name):
    data = RNG.uniform(0.5, 2.0, size=3) * np.array([1.0, -1.0, 1.0]) \
        if name in ("relu_", "abs_", "neg_") else RNG.uniform(0.5, 2.0, size=3)
    reference = getattr(ad, name[:-1] if name != "neg_" else "negative")(ad.tensor(data)).data
    t = ad.tensor(data.copy())
    assert getattr(t, name)() is t
    np.testing.assert_allclose(t.data, reference)

    def f(x):
        h = x * 1.0
        getattr(h, name)()
        return (h * np.arange(1.0, 4.0)).sum()
    assert ad.gradcheck(f, [data])


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_unary_refusals(name):
    leaf = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: .*leaf that requires grad"):
        getattr(leaf, name)()
    saved = leaf * leaf              # the product saved the leaf's array for backward
    with ad.no_grad(), pytest.raises(ad.InPlaceError, match=f"{name}: cannot change"):
        getattr(leaf, name)()
    saved.sum().backward()


def test_in_place_unary_version_counter():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h                        # saves h
    with ad.no_grad():
        h.exp_()
    with pytest.raises(ad.InPlaceError, match="changed in place"):
        y.sum().backward()


def test_in_place_unary_refuses_an_integer_tensor():
    with pytest.raises(TypeError, match="exp_: the update gives float64 values"):
        ad.tensor([1, 2]).exp_()


# ----- top-level functions -----------------------------------------------------

def test_softmax_and_log_softmax():
    x = _f64(2, 3)
    s = ad.softmax(ad.tensor(x), dim=-1).data
    np.testing.assert_allclose(s, np.exp(x) / np.exp(x).sum(-1, keepdims=True))
    np.testing.assert_allclose(ad.log_softmax(ad.tensor(x), 0).data,
                               x - np.log(np.exp(x).sum(0, keepdims=True)))
    assert ad.softmax(ad.tensor(x), 1, dtype=np.float32).dtype == np.float32
    assert ad.gradgradcheck(lambda t: (ad.softmax(t, 0) * np.arange(6.0).reshape(2, 3)).sum(),
                            [x])
    assert ad.gradcheck(lambda t: (ad.log_softmax(t, -1) ** 2).sum(), [x])
    with pytest.raises(TypeError):
        ad.softmax(ad.tensor(x))                         # dim is required, as in PyTorch


def test_topk_and_argsort():
    x = ad.tensor([1.0, 3.0, 2.0, 3.0])
    values, indices = ad.topk(x, 2)
    np.testing.assert_array_equal(values.data, [3.0, 3.0])
    np.testing.assert_array_equal(indices.data, [1, 3])
    np.testing.assert_array_equal(ad.topk(x, 1, largest=False).indices.data, [0])
    assert ad.gradcheck(lambda t: ad.topk(t, 2, dim=0).values.sum(), [np.array([1.0, 4.0, 2.0])])
    np.testing.assert_array_equal(ad.argsort(x, descending=True, stable=True).data, [1, 3, 2, 0])
    np.testing.assert_array_equal(ad.argsort(ad.tensor([[2.0, 1.0]]), dim=-1).data, [[1, 0]])
    with pytest.raises(TypeError, match="argsort: descending must be True or False"):
        ad.argsort(x, 0, "stable")
    # None (NumPy's flattened order; PyTorch takes no None there) and NumPy's axis=
    np.testing.assert_array_equal(ad.argsort(x, None).data, np.argsort(x.data, None))
    np.testing.assert_array_equal(ad.argsort(x, axis=0).data, np.argsort(x.data, axis=0))


def test_norm():
    x = _f64(3, 4)
    np.testing.assert_allclose(ad.norm(ad.tensor(x)).data, np.linalg.norm(x))
    np.testing.assert_allclose(ad.norm(ad.tensor(x), p=1, dim=1, keepdim=True).data,
                               np.abs(x).sum(1, keepdims=True))
    np.testing.assert_allclose(ad.norm(ad.tensor(x), 3, dim=(0, 1)).data,
                               (np.abs(x) ** 3).sum() ** (1 / 3))
    assert ad.gradgradcheck(lambda t: ad.norm(t, dim=0).sum(), [x])
    z = ad.tensor(np.zeros(3), requires_grad=True)
    ad.norm(z).backward()
    np.testing.assert_array_equal(z.grad, 0.0)


def test_cdist_values_gradients_and_zero_distance():
    a, b = _f64(3, 2), _f64(4, 2)
    expected = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    np.testing.assert_allclose(ad.cdist(ad.tensor(a), ad.tensor(b)).data, expected)
    np.testing.assert_allclose(ad.cdist(ad.tensor(a), ad.tensor(b), p=1).data,
                               np.abs(a[:, None] - b[None]).sum(-1))
    for p in (1.0, 2.0, 3.0, np.inf):
        assert ad.gradcheck(lambda x, y: ad.cdist(x, y, p).sum(), [a, b])
    x = ad.tensor([[1.0, 2.0]], requires_grad=True)
    y = ad.tensor([[1.0, 2.0], [4.0, 6.0]], requires_grad=True)
    ad.cdist(x, y).sum().backward()
    np.testing.assert_allclose(x.grad, [[-0.6, -0.8]])       # zero distance adds 0
    assert ad.cdist(ad.tensor(_f64(2, 3, 2)), ad.tensor(_f64(1, 4, 2))).shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r"cdist: needs x1 of shape \(\.\.\., P, M\)"):
        ad.cdist(ad.tensor(a), ad.tensor(_f64(4, 3)))
    with pytest.raises(TypeError, match="floating-point"):
        ad.cdist(ad.tensor([[1, 2]]), ad.tensor([[1, 2]]))


def test_addmm():
    bias, m1, m2 = _f64(3), _f64(2, 4), _f64(4, 3)
    np.testing.assert_allclose(ad.addmm(ad.tensor(bias), ad.tensor(m1), ad.tensor(m2),
                                        beta=0.5, alpha=2).data, 0.5 * bias + 2 * m1 @ m2)
    nan_bias = ad.tensor(np.full(3, np.nan))
    assert np.isfinite(ad.addmm(nan_bias, ad.tensor(m1), ad.tensor(m2), beta=0).data).all()
    assert ad.gradcheck(lambda b, x, y: ad.addmm(b, x, y, beta=2, alpha=-1).sum(),
                        [bias, m1, m2])
    with pytest.raises(ValueError, match=r"addmm: needs mat1 \(n, m\) and mat2 \(m, p\)"):
        ad.addmm(ad.tensor(bias), ad.tensor(m1), ad.tensor(m1))
    with pytest.raises(ValueError, match="does not broadcast to the product's shape"):
        ad.addmm(ad.tensor(_f64(4)), ad.tensor(m1), ad.tensor(m2))


def test_lerp():
    start, end = _f64(4), _f64(4)
    for weight in (0.0, 0.25, 0.75, 1.0):
        np.testing.assert_allclose(ad.lerp(ad.tensor(start), ad.tensor(end), weight).data,
                                   start + weight * (end - start))
    assert (ad.lerp(ad.tensor(start), ad.tensor(end), 1.0).data == end).all()
    weights = np.array([0.1, 0.4, 0.6, 0.9])
    assert ad.gradgradcheck(lambda s, e, w: (ad.lerp(s, e, w) ** 2).sum(),
                            [start, end, weights])
    with pytest.raises(TypeError, match="lerp: start and end must be floating-point"):
        ad.lerp(ad.tensor([1]), ad.tensor([2]), 0.5)


def test_broadcast_tensors_and_meshgrid():
    a, b = ad.broadcast_tensors(ad.tensor(_f64(2, 1)), ad.tensor(_f64(3)))
    assert a.shape == b.shape == (2, 3)
    assert ad.gradcheck(lambda x, y: sum(t.sum() * (k + 1) for k, t in
                                         enumerate(ad.broadcast_tensors(x, y))),
                        [_f64(2, 1), _f64(3)])
    with pytest.raises(ValueError, match="broadcast_tensors: shapes"):
        ad.broadcast_tensors(ad.ones(2), ad.ones(3))
    x, y, z = ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0, 5.0]), ad.tensor([6.0])
    for indexing in ("ij", "xy"):
        ours = ad.meshgrid(x, y, z, indexing=indexing)
        numpys = np.meshgrid(x.data, y.data, z.data, indexing=indexing)
        for grid, reference in zip(ours, numpys):
            np.testing.assert_array_equal(grid.data, reference)
    assert [g.shape for g in ad.meshgrid([x, y], indexing="xy")] == [(3, 2), (3, 2)]
    assert ad.gradcheck(lambda u, v: (ad.meshgrid(u, v, indexing="ij")[0]
                                      * ad.meshgrid(u, v, indexing="ij")[1]).sum(),
                        [_f64(2), _f64(3)])
    with pytest.raises(TypeError, match="indexing='ij'.*indexing='xy'"):
        ad.meshgrid(x, y)
    with pytest.raises(ValueError, match="0-d or 1-D"):
        ad.meshgrid(ad.ones((2, 2)), indexing="ij")


# ----- random functions ---------------------------------------------------------

def test_random_functions_follow_manual_seed():
    like = ad.zeros((2, 3), dtype=np.float32)
    ad.manual_seed(5)
    first = [ad.randn_like(like).data, ad.rand_like(like).data, ad.randint(10, (4,)).data,
             ad.multinomial(ad.tensor([0.2, 0.3, 0.5]), 2).data]
    ad.manual_seed(5)
    second = [ad.randn_like(like).data, ad.rand_like(like).data, ad.randint(10, (4,)).data,
              ad.multinomial(ad.tensor([0.2, 0.3, 0.5]), 2).data]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert first[0].dtype == first[1].dtype == np.float32 and first[0].shape == (2, 3)
    assert ((0 <= first[1]) & (first[1] < 1)).all()
    assert first[2].dtype == np.int64 and ((0 <= first[2]) & (first[2] < 10)).all()


def test_randint_forms_and_refusals():
    assert ad.randint(3, 5, (100,), rng=1).data.min() >= 3
    assert ad.randint(3, 5, size=(2, 2), rng=1).shape == (2, 2)
    with pytest.raises(TypeError, match="size must be a tuple"):
        ad.randint(3, 5)
    with pytest.raises(ValueError, match=r"\[5, 5\) is empty"):
        ad.randint(5, 5, (1,))
    with pytest.raises(TypeError, match="rand_like: draws float32 or float64"):
        ad.rand_like(ad.tensor([1, 2]))


def test_multinomial():
    draws = ad.multinomial(ad.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]), 2, rng=0)
    assert draws.shape == (2, 2) and draws.dtype == np.int64
    assert sorted(draws.data[0]) == [1, 2] and sorted(draws.data[1]) == [0, 2]
    np.testing.assert_array_equal(
        ad.multinomial(ad.tensor([0.0, 1.0]), 3, replacement=True, rng=0).data, [1, 1, 1])
    many = ad.multinomial(ad.tensor([1.0, 3.0]), 4000, replacement=True, rng=0).data
    assert abs(many.mean() - 0.75) < 0.03
    with pytest.raises(ValueError, match="cannot draw 2 samples without replacement"):
        ad.multinomial(ad.tensor([0.0, 1.0, 0.0]), 2)
    with pytest.raises(ValueError, match="finite and non-negative"):
        ad.multinomial(ad.tensor([-1.0, 1.0]), 1)
    with pytest.raises(ValueError, match="positive sum"):
        ad.multinomial(ad.tensor([0.0, 0.0]), 1, replacement=True)


# ----- save and load --------------------------------------------------------------

def test_save_load_round_trip(tmp_path):
    model = ad.nn.Linear(2, 3)
    state = {"model": model.state_dict(), "step": 7, "lr": 1e-3, "name": "run",
             "none": None, "history": [1.5, float("nan")], "pair": (ad.ones(2), np.int64(4)),
             3: ad.tensor([1.0], requires_grad=True), "scalar": np.array(2.5)}
    path = tmp_path / "checkpoint.pt"
    ad.save(state, path)
    loaded = ad.load(path)
    assert loaded.keys() == state.keys()
    for key, value in state["model"].items():
        np.testing.assert_array_equal(loaded["model"][key], value)
    assert loaded["step"] == 7 and loaded["lr"] == 1e-3 and loaded["name"] == "run"
    assert loaded["none"] is None and np.isnan(loaded["history"][1])
    assert isinstance(loaded["pair"], tuple) and isinstance(loaded["pair"][0], ad.Tensor)
    assert loaded["pair"][1] == 4 and loaded["pair"][1].dtype == np.int64
    assert loaded[3].requires_grad and loaded["scalar"].shape == ()
    fresh = ad.nn.Linear(2, 3)
    fresh.load_state_dict(loaded["model"])
    np.testing.assert_array_equal(fresh.weight.data, model.weight.data)


def test_load_refuses_other_files_and_save_refuses_objects(tmp_path):
    pickled = tmp_path / "pickled.pt"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(2))
    text = tmp_path / "text.pt"
    text.write_text("hello")
    for path in (pickled, plain, text):
        with pytest.raises(ValueError, match="was not written by ad.save"):
            ad.load(path)
    with pytest.raises(TypeError, match=r"save: obj\['a'\] is of type object"):
        ad.save({"a": object()}, tmp_path / "x.pt")
    with pytest.raises(TypeError, match="dtype object"):
        ad.save(np.array([None]), tmp_path / "x.pt")
    with pytest.raises(FileNotFoundError):
        ad.load(tmp_path / "missing.pt")


# ----- ad.autograd --------------------------------------------------------------

def test_autograd_grad_does_not_touch_grad_and_returns_tuple():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    w = ad.tensor([3.0], requires_grad=True)
    gx, gw = ad.autograd.grad((x * x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.data, [6.0, 12.0])
    np.testing.assert_array_equal(gw.data, [5.0])
    assert x.grad is None and w.grad is None
    (g,) = ad.autograd.grad(x * 2, x, grad_outputs=np.array([1.0, 3.0]))
    np.testing.assert_array_equal(g.data, [2.0, 6.0])


def test_autograd_grad_several_outputs_and_second_order():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ad.autograd.grad([x * 2, (x ** 2).sum()], x, grad_outputs=[np.ones(2), None])
    np.testing.assert_array_equal(g.data, [4.0, 6.0])
    (g,) = ad.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = ad.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.data, [6.0, 12.0])


def test_autograd_grad_unused_and_refusals():
    x = ad.tensor([1.0], requires_grad=True)
    unused = ad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 .* was not used.*allow_unused=True"):
        ad.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = ad.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None
    _, zeros = ad.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    np.testing.assert_array_equal(zeros.data, [0.0])
    with pytest.raises(RuntimeError, match="implicitly created only for a one-element"):
        ad.autograd.grad(x * ad.ones(2), x)
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        ad.autograd.grad((x * 2).sum(), ad.tensor([1.0]))
    with pytest.raises(ValueError, match="grad_outputs\\[0\\] has shape \\(3,\\)"):
        ad.autograd.grad(x * 2, x, grad_outputs=np.ones(3))
    y = (x * x).sum()
    ad.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph"):
        ad.autograd.grad(y, x)


def test_autograd_detect_anomaly_is_the_library_one():
    assert ad.autograd.detect_anomaly is ad.detect_anomaly
    x = ad.tensor([-1.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError), np.errstate(invalid="ignore"):
        with ad.autograd.detect_anomaly():
            ad.sqrt(x)


# ----- against PyTorch ------------------------------------------------------------

def _pair(array):
    torch = pytest.importorskip("torch")
    return (ad.tensor(array, requires_grad=True),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


def _same(ours, theirs, ours_inputs, their_inputs, weights=None):
    weights = RNG.normal(size=ours.shape) if weights is None else weights
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    (ours * weights).sum().backward()
    import torch
    (theirs * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours_inputs, their_inputs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(force=True), rtol=1e-9, atol=1e-12)


def test_methods_against_pytorch():
    torch = pytest.importorskip("torch")
    data = RNG.uniform(0.2, 0.8, size=(3, 4))
    index = np.array([[2, 0, 1], [0, 3, 2]])
    mask = RNG.uniform(size=(3, 4)) > 0.5
    cases = {
        "split": (lambda t: t.split([1, 3], 1)[1], lambda t: t.split([1, 3], 1)[1]),
        "unbind": (lambda t: t.unbind(1)[2], lambda t: t.unbind(1)[2]),
        "narrow": (lambda t: t.narrow(1, -3, 2), lambda t: t.narrow(1, -3, 2)),
        "masked_select": (lambda t: t.masked_select(mask),
                          lambda t: t.masked_select(torch.tensor(mask))),
        "scatter": (lambda t: t.scatter(1, index, t[:2, :3] * 3),
                    lambda t: t.scatter(1, torch.tensor(index), t[:2, :3] * 3)),
        "flip": (lambda t: t.flip(dims=(0, 1)), lambda t: t.flip(dims=(0, 1))),
        "outer": (lambda t: t[0].outer(t[1]), lambda t: t[0].outer(t[1])),
    }
    for name in UNARY + ["sgn", "ceil", "trunc", "fix", "sinc"]:
        cases[name] = (lambda t, n=name: getattr(t, n)(), lambda t, n=name: getattr(t, n)())
    for name in ["atan2", "hypot", "fmod", "remainder", "maximum", "minimum", "logaddexp",
                 "copysign", "float_power", "fmax", "fmin", "mul", "true_divide"]:
        cases[name] = (lambda t, n=name: getattr(t, n)(t.flip(0) - 0.5),
                       lambda t, n=name: getattr(t, n)(t.flip(0) - 0.5))
    cases["logit_eps"] = (lambda t: t.logit(eps=0.3), lambda t: t.logit(eps=0.3))
    for name, (ours_f, theirs_f) in cases.items():
        ours, theirs = _pair(data)
        try:
            _same(ours_f(ours), theirs_f(theirs), [ours], [theirs])
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place_against_pytorch(name):
    data = RNG.uniform(-1.0, 1.0, size=4)
    if name in ("log_", "sqrt_"):
        data = np.abs(data) + 0.1
    ours, theirs = _pair(data)
    h, k = ours * 1.5, theirs * 1.5
    getattr(h, name)()
    getattr(k, name)()
    _same(h, k, [ours], [theirs])


def test_functions_against_pytorch():
    torch = pytest.importorskip("torch")
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(1, 5, 4))
    b[0, 0] = a[0, 0]                   # a zero distance
    for p in (1.0, 2.0, 3.0, 0.5, np.inf):
        (x, tx), (y, ty) = _pair(a), _pair(b)
        _same(ad.cdist(x, y, p), torch.cdist(tx, ty, p), [x, y], [tx, ty])
    m = RNG.normal(size=(3, 4))
    checks = [
        (lambda t: ad.softmax(t, 0), lambda t: torch.softmax(t, 0)),
        (lambda t: ad.log_softmax(t, -1), lambda t: torch.log_softmax(t, -1)),
        (lambda t: ad.topk(t, 2, dim=0).values, lambda t: torch.topk(t, 2, dim=0).values),
        (lambda t: ad.topk(t, 3, largest=False).values,
         lambda t: torch.topk(t, 3, largest=False).values),
        (lambda t: ad.norm(t), lambda t: torch.norm(t)),
        (lambda t: ad.norm(t, 3, dim=1, keepdim=True),
         lambda t: torch.norm(t, 3, dim=1, keepdim=True)),
        (lambda t: ad.norm(t, "nuc"), lambda t: torch.norm(t, "nuc")),
        (lambda t: ad.addmm(t[0], t, t.T, beta=0.5, alpha=3),
         lambda t: torch.addmm(t[0], t, t.T, beta=0.5, alpha=3)),
        (lambda t: ad.lerp(t, t.flip(0), 0.3), lambda t: torch.lerp(t, t.flip(0), 0.3)),
        (lambda t: ad.lerp(t, t * 2, t[0]), lambda t: torch.lerp(t, t * 2, t[0])),
        (lambda t: ad.broadcast_tensors(t[:, :1], t[0])[1],
         lambda t: torch.broadcast_tensors(t[:, :1], t[0])[1]),
        (lambda t: ad.chunk(t, 2, 1)[1], lambda t: torch.chunk(t, 2, 1)[1]),
        (lambda t: ad.meshgrid(t[0], t[1, :2], indexing="xy")[0],
         lambda t: torch.meshgrid(t[0], t[1, :2], indexing="xy")[0]),
        (lambda t: ad.meshgrid(t[0], t[1, :2], indexing="ij")[1],
         lambda t: torch.meshgrid(t[0], t[1, :2], indexing="ij")[1]),
    ]
    for k, (ours_f, theirs_f) in enumerate(checks):
        (x, tx) = _pair(m if k != 7 else m[:, :3].copy())
        try:
            _same(ours_f(x), theirs_f(tx), [x], [tx])
        except AssertionError as error:
            raise AssertionError(f"check {k}: {error}") from None
    t = torch.tensor([1.0, 3.0, 2.0, 3.0, np.nan])
    for descending in (False, True):
        np.testing.assert_array_equal(
            ad.argsort(ad.tensor(t.numpy()), descending=descending, stable=True).data,
            torch.argsort(t, descending=descending, stable=True).numpy())


def test_autograd_grad_against_pytorch():
    torch = pytest.importorskip("torch")
    data = RNG.normal(size=3)
    (x, tx) = _pair(data)
    (g,) = ad.autograd.grad((ad.sin(x) * x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((torch.sin(tx) * tx).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy())
    (h,) = ad.autograd.grad((g ** 2).sum(), x)
    (th,) = torch.autograd.grad((tg ** 2).sum(), tx)
    np.testing.assert_allclose(h.data, th.numpy())
