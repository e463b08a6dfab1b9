"""The twenty-fourth round's other features crossed with the rest: writes into a
complex tensor's parts (through temporary views, ``vmap``, ``jacfwd``, checkpointing,
``ad.compile``), ``cummax`` / ``cummin`` (transforms, 0-d / empty / float16, NaN,
``functional_call``, checkpointing, ``ad.compile``), ``default_collate``'s named
tuples in a ``DataLoader``, softmax of empty tensors and logsumexp of all ``-inf``
lanes through the transforms and ``ad.compile``, and ``detect_anomaly`` on the new
``scipy.special`` ops; against NumPy and PyTorch (skipped without it)."""

from __future__ import annotations

import collections

import numpy as np
import scipy.special as sc
import pytest

import autodiff as ad
import autodiff.forward_ad as forward
from autodiff.utils.checkpoint import checkpoint
from autodiff.utils.data import DataLoader, default_collate

Z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])
X = np.array([0.5, -1.0, 2.0])

# ----- writes into a complex tensor's parts ---------------------------------------------

# each writes into a part of a view nothing else holds: the write reached no tensor
THROUGH_A_TEMPORARY = {
    "z[1:].real[0] = 9": lambda z: z[1:].real.__setitem__(0, 9.0),
    "np.imag(z[1:])[0] = 9": lambda z: np.imag(z[1:]).__setitem__(0, 9.0),
    "z.reshape(3, 1).real[0] = 9": lambda z: z.reshape(3, 1).real.__setitem__(0, 9.0),
    "z[::2].imag[1] = 9": lambda z: z[::2].imag.__setitem__(1, 9.0),
    "z[1:].imag.fill(0)": lambda z: z[1:].imag.fill(0.0),
}


@pytest.mark.parametrize("spelling", sorted(THROUGH_A_TEMPORARY))
def test_a_part_write_through_a_temporary_view_reaches_the_tensor(spelling):
    write = THROUGH_A_TEMPORARY[spelling]
    z, expected = ad.tensor(Z.copy()) * 1, Z.copy()
    write(z)
    write(expected)
    np.testing.assert_array_equal(z.data, expected)
    assert not np.array_equal(expected, Z)


def test_a_part_write_through_a_temporary_view_carries_the_gradient():
    torch = pytest.importorskip("torch")
    x, w = ad.tensor(1.5, requires_grad=True), ad.tensor(Z.copy(), requires_grad=True)
    z = w * 1
    z[1:].real[0] = x * 3
    abs(z).sum().backward()
    xt, wt = torch.tensor(1.5, requires_grad=True), torch.tensor(Z, requires_grad=True)
    zt = wt * 1
    zt[1:].real[0] = xt * 3
    abs(zt).sum().backward()
    np.testing.assert_allclose(z.data, zt.detach().numpy())
    np.testing.assert_allclose(x.grad, xt.grad.numpy())
    np.testing.assert_allclose(w.grad, wt.grad.numpy())


def test_a_part_does_not_keep_its_tensor_or_graph_alive_after_it_is_gone():
    import gc
    import weakref
    gc.disable()
    try:
        x = ad.tensor(X, requires_grad=True)
        z = ad.tensor(Z.copy(), requires_grad=True) * 1
        z.real = x * 2
        part = z.imag
        part[0] = 4.0
        loss = abs(z).sum()
        loss.backward()
        whole, taken = weakref.ref(z), weakref.ref(part)
        del z, part, loss
        assert whole() is None and taken() is None
    finally:
        gc.enable()


def _with_real_part(x):
    z = ad.tensor(Z.copy()) * 1
    z.real[0] = x * 2
    return abs(z).sum()


def test_part_writes_under_vmap_and_vmap_of_grad():
    values = ad.vmap(_with_real_part)(ad.tensor([1.0, 2.0]))
    np.testing.assert_allclose(values, [_with_real_part(ad.tensor(v)).item() for v in (1.0, 2.0)])
    slopes = ad.vmap(ad.grad(_with_real_part))(ad.tensor([1.0, 2.0]))
    np.testing.assert_allclose(slopes, [ad.grad(_with_real_part)(ad.tensor(v)) for v in (1.0, 2.0)])


def _doubled_imaginary(x):
    z = x * (1 + 1j)
    part = np.imag(z)
    part[1:] *= 2
    return abs(z)


def test_part_writes_under_jacfwd_jacrev_and_forward_mode():
    expected = np.diag(np.sign(X) * np.sqrt([2.0, 5.0, 5.0]))
    np.testing.assert_allclose(ad.jacrev(_doubled_imaginary)(ad.tensor(X)), expected)
    np.testing.assert_allclose(ad.jacfwd(_doubled_imaginary)(ad.tensor(X)), expected)
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(X), ad.tensor(np.ones(3)))
        tangent = forward.unpack_dual(_doubled_imaginary(dual)).tangent
    np.testing.assert_allclose(tangent, np.diag(expected))


def test_part_writes_inside_a_checkpoint_and_a_compiled_step():
    def tripled(a):
        z = ad.tensor(Z.copy()) * 1
        z.real = a * 3
        return abs(z)
    x = ad.tensor(X, requires_grad=True)
    checkpoint(tripled, x, use_reentrant=False).sum().backward()
    np.testing.assert_allclose(x.grad, ad.grad(lambda a: tripled(a).sum())(ad.tensor(X)))

    def step(a):
        z = a * (1 + 1j)
        z.imag.zero_()
        z[1:].real[0] = a[0] * 5
        loss = abs(z).sum()
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for scale in (1.0, 2.0, -1.0):
        mine, eager = (ad.tensor(X * scale, requires_grad=True) for _ in range(2))
        assert compiled(mine).item() == step(eager).item()
        np.testing.assert_array_equal(mine.grad, eager.grad)
    assert compiled.traces == 1


# ----- cummax / cummin --------------------------------------------------------------------

M = np.array([[0.3, 0.9, 0.2, 0.9], [1.0, -0.5, 2.0, 0.1]])


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative_extremes_agree_with_pytorch_through_the_transforms(name, dim):
    torch = pytest.importorskip("torch")
    op = getattr(ad, name)
    leaf = torch.tensor(M, requires_grad=True)
    values, indices = getattr(torch, name)(leaf, dim)
    (values ** 3).sum().backward()
    mine = op(ad.tensor(M), dim)
    np.testing.assert_array_equal(mine.values.data, values.detach().numpy())
    np.testing.assert_array_equal(mine.indices.data, indices.numpy())
    slope = ad.grad(lambda t: (op(t, dim).values ** 3).sum())(ad.tensor(M))
    np.testing.assert_allclose(slope, leaf.grad.numpy())
    def running(t):
        return op(t, dim).values
    np.testing.assert_array_equal(ad.jacrev(running)(ad.tensor(M)),
                                  ad.jacfwd(running)(ad.tensor(M)))
    # vmap over the other axis of a 2-d input: its rows (or columns) one at a time
    if dim != 0:
        np.testing.assert_array_equal(ad.vmap(lambda r: op(r, 0).indices)(ad.tensor(M)),
                                      indices.numpy())
        np.testing.assert_allclose(
            ad.vmap(ad.grad(lambda r: (op(r, 0).values ** 3).sum()))(ad.tensor(M)),
            leaf.grad.numpy())
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(M), ad.tensor(np.arange(8.0).reshape(2, 4)))
        tangent = forward.unpack_dual(op(dual, dim).values).tangent
    np.testing.assert_array_equal(
        tangent, np.take_along_axis(np.arange(8.0).reshape(2, 4), indices.numpy(), dim))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cumulative_extremes_second_derivative(name):
    op = getattr(ad, name)
    x = np.array([0.3, 0.9, 0.2, 0.9])
    hessian = ad.hessian(lambda r: (op(r, 0).values ** 3).sum())(ad.tensor(x))
    indices = op(ad.tensor(x), 0).indices.data
    counts = np.bincount(indices, minlength=4)
    np.testing.assert_allclose(hessian, np.diag(6 * x * counts))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("shape", [(), (0, 3), (2, 0), (1, 1)])
def test_cumulative_extremes_of_0d_empty_and_size_one(name, shape):
    torch = pytest.importorskip("torch")
    op = getattr(ad, name)
    x = np.arange(float(np.prod(shape))).reshape(shape)
    values, indices = getattr(torch, name)(torch.tensor(x), -1)
    mine = op(ad.tensor(x), -1)
    np.testing.assert_array_equal(mine.values.data, values.numpy())
    np.testing.assert_array_equal(mine.indices.data, indices.numpy())
    slope = ad.grad(lambda t: op(t, -1).values.sum())(ad.tensor(x))
    assert np.shape(slope) == shape and np.all(np.asarray(slope) == 1)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_cumulative_extremes_keep_small_float_dtypes(name, dtype):
    op = getattr(ad, name)
    x = M.astype(dtype)
    assert op(ad.tensor(x), 1).values.dtype == dtype
    slope = ad.grad(lambda t: op(t, 1).values.sum())(ad.tensor(x))
    assert slope.dtype == dtype
    np.testing.assert_array_equal(slope, ad.grad(lambda t: op(t, 1).values.sum())(ad.tensor(M)))


def test_cumulative_extremes_of_nan_and_infinities_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    for values in ([1.0, np.nan, 0.5, 3.0], [np.inf, 1.0, -np.inf, 0.0]):
        for name in ("cummax", "cummin"):
            leaf = torch.tensor(values, requires_grad=True)
            result = getattr(torch, name)(leaf, 0)
            result.values.backward(torch.ones(4))
            mine = getattr(ad, name)(ad.tensor(values), 0)
            np.testing.assert_array_equal(mine.values.data, result.values.detach().numpy())
            np.testing.assert_array_equal(mine.indices.data, result.indices.numpy())
            mine_leaf = ad.tensor(values, requires_grad=True)
            getattr(ad, name)(mine_leaf, 0).values.backward(ad.ones(4))
            np.testing.assert_array_equal(mine_leaf.grad, leaf.grad.numpy())


def test_cumulative_extremes_under_no_grad_functional_call_checkpoint_and_compile():
    from autodiff import nn
    from autodiff.func import functional_call
    with ad.no_grad():
        assert not ad.cummax(ad.tensor(M, requires_grad=True), 1).values.requires_grad

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ad.tensor([1.0, -2.0, 3.0]))

        def forward(self, x):
            return ad.cummax(self.w * x, 0).values.sum()
    slopes = ad.grad(lambda p: functional_call(Scaled(), p, (ad.ones(3),)))(
        {"w": ad.tensor([0.5, 2.0, 1.0])})
    np.testing.assert_array_equal(slopes["w"], [1.0, 2.0, 0.0])

    x = ad.tensor([1.0, 3.0, 2.0], requires_grad=True)
    checkpoint(lambda a: ad.cummax(a * a, 0).values, x, use_reentrant=False).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 12.0, 0.0])

    def step(t):
        loss = (ad.cummax(t, 1).values * ad.cummin(t, 0).values).sum()
        loss.backward()
        return loss
    compiled = ad.compile(step)
    for scale in (1.0, -1.0, 0.5):
        mine, eager = (ad.tensor(M * scale, requires_grad=True) for _ in range(2))
        assert compiled(mine).item() == step(eager).item()
        np.testing.assert_array_equal(mine.grad, eager.grad)


# ----- default_collate's named tuples in a DataLoader -------------------------------------

Pair = collections.namedtuple("Pair", "x label")


class _Pairs:
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return Pair(np.full(2, float(i)), i)


@pytest.mark.parametrize("options", [
    {"batch_size": 2}, {"batch_size": 2, "drop_last": True},
    {"batch_sampler": [[0, 1], [2, 3, 4]]}, {"batch_size": 3, "shuffle": True},
    {"batch_size": 2, "collate_fn": default_collate}])
def test_a_loader_of_named_tuples_gives_named_tuple_batches(options):
    batches = list(DataLoader(_Pairs(), **options))
    assert batches and all(type(b) is Pair for b in batches)
    for batch in batches:
        np.testing.assert_array_equal(batch.x[:, 0], batch.label.data)
    seen = sorted(int(i) for b in batches for i in b.label.data)
    assert seen == list(range(len(seen)))


# ----- softmax of empty tensors, logsumexp of all -inf lanes ------------------------------

def test_log_softmax_of_empty_batches_compiles_with_one_plan_per_shape():
    import autodiff.nn.functional as F
    compiled = ad.compile(lambda t: F.log_softmax(t, dim=-1).sum())
    for rows in (0, 2, 0, 2):
        assert compiled(ad.tensor(np.zeros((rows, 3)))).item() == pytest.approx(
            -rows * 3 * np.log(3.0))
    assert compiled.traces == 2
    for transform in (ad.jacrev, ad.jacfwd):
        assert transform(lambda t: F.softmax(t, dim=0))(ad.tensor(np.zeros((0, 3)))).shape == (
            0, 3, 0, 3)


NEG_INF_LANE = np.array([[-np.inf, -np.inf], [0.0, 1.0]])


def test_logsumexp_of_an_all_minus_infinity_lane_through_the_transforms():
    import warnings
    expected_slope = np.array([[0.0, 0.0], [1 / (1 + np.e), np.e / (1 + np.e)]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = ad.vmap(lambda r: ad.logsumexp(r, axis=0))(ad.tensor(NEG_INF_LANE))
        slopes = ad.vmap(ad.grad(lambda r: ad.logsumexp(r, axis=0)))(ad.tensor(NEG_INF_LANE))
        with forward.dual_level():
            dual = forward.make_dual(ad.tensor(NEG_INF_LANE), ad.tensor(np.ones((2, 2))))
            tangent = forward.unpack_dual(ad.logsumexp(dual, axis=1)).tangent
        compiled = ad.compile(lambda t: ad.logsumexp(t, axis=1))
        replays = [compiled(ad.tensor(NEG_INF_LANE + s)).data for s in (0.0, 1.0, 0.0)]
    np.testing.assert_allclose(values, [-np.inf, np.log1p(np.e)])
    np.testing.assert_allclose(slopes, expected_slope)
    np.testing.assert_allclose(tangent, [0.0, 1.0])
    np.testing.assert_allclose(replays[1], [-np.inf, 1 + np.log1p(np.e)])
    np.testing.assert_array_equal(replays[0], replays[2])


# ----- anomaly detection names the round's scipy.special ops ------------------------------

@pytest.mark.parametrize("function, at, op", [
    (lambda t: sc.poch(t, 2.5), -1.0, "scipy_poch"),
    (lambda t: sc.yn(1, t), 0.0, "scipy_yn"),
    (lambda t: sc.sici(t)[1], 0.0, "scipy_sici_ci"),
    (lambda t: sc.tandg(t), 90.0, "scipy_tandg"),
    (lambda t: sc.cotdg(t), 0.0, "scipy_cotdg"),
    (lambda t: sc.agm(t, 1.0), -1.0, "scipy_agm"),
])
def test_detect_anomaly_names_the_scipy_op_and_the_entry(function, at, op):
    with ad.detect_anomaly():
        t = ad.tensor([at, 0.5], requires_grad=True)
        with pytest.raises(ad.AnomalyError, match=rf"^{op}: the (forward|backward) pass "
                                                  r"produced (NaN|inf).*first at index \(0,\)"):
            function(t).sum().backward()
