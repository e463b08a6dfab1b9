"""PyTorch's names added in a sixth round: the function forms ``ad.scatter_reduce``,
``ad.mvlgamma`` ..., the deprecated ``ad.qr`` / ``ad.cholesky``, ``ad.binomial``,
``ad.svd_lowrank`` / ``ad.pca_lowrank``, the functional cells ``ad.lstm_cell`` ...,
Tensor methods ``apply_``, ``map_``, ``resize_``, ``ger`` ..., and the ``nn`` layers.

Each ``check`` case calls ``f(lib, *inputs)`` with ``lib`` = ``ad`` and ``torch`` on
the same float64 inputs: the same values, dtypes and shapes and, through a random
cotangent, the same gradients.  Torch-free tests check new differentiable code
against central finite differences and random draws by their distribution."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from test_torch_names_fifth import R, Const, check, positive, r, same

SPD = (lambda a: a @ a.T + 3 * np.eye(3))(np.random.default_rng(2).standard_normal((3, 3)))


def _cell(name, gates):
    def call(lib, x, h, c, w_ih, w_hh, b_ih, b_hh):
        hx = (h, c) if gates == 4 else h
        return getattr(lib, name)(x, hx, w_ih, w_hh, b_ih, b_hh)
    return call


def _cell_inputs(gates, batch=2, size=3, hidden=4):
    return (r(batch, size), r(batch, hidden), r(batch, hidden), r(gates * hidden, size),
            r(gates * hidden, hidden), r(gates * hidden), r(gates * hidden))


CASES = [
    (lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, "sum", include_self=False), r(4),
     Const([0, 1, 0, 3, 1]), r(5)),
    (lambda lib, x, i, s: lib.scatter_reduce(x, 1, i, s, "amax"), r(2, 3),
     Const([[0, 2], [1, 1]]), r(2, 2)),
    (lambda lib, x, i, s: lib.scatter_reduce(x, 0, i, s, "mean"), r(3),
     Const([2, 2, 0]), r(3)),
    (same("mvlgamma", 1), positive(5) + 1),
    (same("mvlgamma", 3), positive(2, 3) + 2),
    (same("narrow_copy", 1, 1, 2), r(3, 4)),
    (same("narrow_copy", 0, 0, 1), r(3)),
    (same("resolve_conj"), r(3, 2)),
    (same("resolve_neg"), r(4)),
    (same("unsafe_split_with_sizes", [1, 3]), r(4, 2)),
    (same("unsafe_split_with_sizes", [2, 0, 1], 1), r(2, 3)),
    (same("channel_shuffle", 2), r(2, 4, 3)),
    (same("channel_shuffle", 3), r(1, 6, 2, 2)),
    (lambda lib, a: lib.qr(a), r(4, 3)),
    (lambda lib, a: lib.qr(a, some=False), r(3, 4)),
    (lambda lib, a: lib.qr(a, False), r(2, 3, 3)),
    (lambda lib, a: lib.qr(a, some=False)[1], r(4, 3), {"grad": False}),
    (lambda lib, a: lib.cholesky(a), SPD),
    (lambda lib, a: lib.cholesky(a, upper=True), SPD),
    (lambda lib, a: lib.cholesky(a, True), np.stack([SPD, SPD + np.eye(3)])),
    (_cell("lstm_cell", 4), *_cell_inputs(4)),
    (_cell("lstm_cell", 4), *_cell_inputs(4, batch=1, size=2, hidden=3)),
    (_cell("gru_cell", 3), *_cell_inputs(3)),
    (_cell("gru_cell", 3), *_cell_inputs(3, batch=3, size=1, hidden=2)),
    (_cell("rnn_tanh_cell", 1), *_cell_inputs(1)),
    (_cell("rnn_relu_cell", 1), *_cell_inputs(1, batch=4)),
    (lambda lib, x, h, w_ih, w_hh: lib.gru_cell(x, h, w_ih, w_hh), r(2, 3), r(2, 2),
     r(6, 3), r(6, 2)),
    (lambda lib, x, h, c, w_ih, w_hh: lib.lstm_cell(x, (h, c), w_ih, w_hh), r(2, 3),
     r(2, 2), r(2, 2), r(8, 3), r(8, 2)),
    (lambda lib, a, b: a.ger(b), r(3), r(4)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_same_values_and_gradients_as_torch(case):
    function, *arrays = CASES[case]
    options = arrays.pop() if isinstance(arrays[-1], dict) else {}
    check(function, *arrays, **options)


def test_scalar_tensor_dtypes_as_torch():
    torch = pytest.importorskip("torch")
    for value in (2, 2.5, True, -1):
        ours = ad.scalar_tensor(value)
        assert ours.shape == () and ours.dtype == np.float64     # the default float dtype
        assert float(ours) == float(torch.scalar_tensor(value))
    assert ad.scalar_tensor(3, dtype=ad.int32).dtype == np.int32
    assert ad.scalar_tensor(1.5, dtype=ad.float32).dtype == np.float32
    with pytest.raises(TypeError, match="scalar_tensor"):
        ad.scalar_tensor(np.ones(2))


def test_deprecated_forms_warn_and_removed_matrix_rank_raises():
    with pytest.warns(UserWarning, match="ad.linalg.qr"):
        ad.qr(ad.eye(2))
    with pytest.warns(UserWarning, match="ad.linalg.cholesky"):
        ad.cholesky(ad.eye(2))
    with pytest.raises(RuntimeError, match="ad.linalg.matrix_rank"):
        ad.matrix_rank(ad.eye(2))
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.matrix_rank(torch.eye(2))


def test_new_differentiable_functions_against_finite_differences():
    def lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
        h2, c2 = ad.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
        return (h2 * 1.3).sum() + (c2 * c2).sum()
    assert ad.gradcheck(lstm, list(_cell_inputs(4)))
    assert ad.gradcheck(lambda x, h, c, *w: (ad.gru_cell(x, h, *w) ** 2).sum(),
                        list(_cell_inputs(3)))
    assert ad.gradcheck(lambda x, h, c, *w: ad.rnn_tanh_cell(x, h, *w).sum(),
                        list(_cell_inputs(1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ad.gradcheck(lambda a: (ad.cholesky(a @ a.mT + ad.eye(3), upper=True) ** 2)
                            .sum(), [r(3, 3)])
    assert ad.gradcheck(lambda x: ad.mvlgamma(x, 2).sum(), [positive(4) + 1])


def test_cells_refuse_shapes_that_do_not_fit():
    x, h, c, w_ih, w_hh, b_ih, b_hh = (ad.tensor(a) for a in _cell_inputs(4))
    with pytest.raises(ValueError, match="lstm_cell: shapes do not fit"):
        ad.lstm_cell(x, (h, c), w_hh, w_hh)
    with pytest.raises(ValueError, match="gru_cell: input must be 2-D"):
        ad.gru_cell(x[0], h[0], w_ih[:12], w_hh[:12])
    with pytest.raises(ValueError, match="two hidden states"):
        ad.lstm_cell(x, (h,), w_ih, w_hh)


def test_binomial_draws_by_distribution():
    ad.manual_seed(0)
    counts = ad.full((20000,), 10.0)
    draws = ad.binomial(counts, ad.full((20000,), 0.3))
    assert draws.dtype == np.float64 and draws.shape == (20000,)
    values = draws.data
    assert np.all(values == np.round(values)) and values.min() >= 0 and values.max() <= 10
    assert abs(values.mean() - 3.0) < 0.05 and abs(values.var() - 2.1) < 0.1
    edge = ad.binomial(ad.tensor([[0.0], [5.0]]), ad.tensor([0.5, 1.0, 0.0]))
    assert edge.shape == (2, 3) and np.array_equal(edge.data[:, 1], [0.0, 5.0])
    assert np.array_equal(edge.data[:, 2], [0.0, 0.0])
    assert ad.binomial(ad.tensor([3.0], dtype=ad.float32), ad.tensor([0.5])).dtype == \
        np.float32
    with pytest.raises(TypeError, match="count must be floating-point"):
        ad.binomial(ad.tensor([3]), ad.tensor([0.5]))
    with pytest.raises(TypeError, match="requires grad"):
        ad.binomial(ad.tensor([3.0], requires_grad=True), ad.tensor([0.5]))
    with pytest.raises(ValueError, match="prob in"):
        ad.binomial(ad.tensor([3.0]), ad.tensor([1.5]))
    generator = ad.Generator().manual_seed(3)
    first = ad.binomial(counts, ad.full((20000,), 0.5), generator=generator)
    generator.manual_seed(3)
    assert np.array_equal(first.data,
                          ad.binomial(counts, ad.full((20000,), 0.5), generator=generator).data)


@pytest.mark.parametrize("shape, q", [((8, 12), 3), ((12, 8), 3), ((2, 6, 9), 2)])
def test_svd_lowrank_of_a_low_rank_matrix(shape, q):
    rng = np.random.default_rng(7)
    *batch, m, n = shape
    A = rng.standard_normal((*batch, m, q)) @ rng.standard_normal((*batch, q, n))
    U, S, V = ad.svd_lowrank(ad.tensor(A), q=q)
    assert U.shape == (*batch, m, q) and S.shape == (*batch, q) and V.shape == (*batch, n, q)
    np.testing.assert_allclose(S.data, np.linalg.svd(A)[1][..., :q], rtol=1e-10)
    np.testing.assert_allclose((U @ (S[..., None] * V.mT)).data, A, atol=1e-10)
    np.testing.assert_allclose((U.mT @ U).data, np.broadcast_to(np.eye(q), (*batch, q, q)),
                               atol=1e-12)


def test_svd_lowrank_of_a_full_rank_matrix_and_its_gradient():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((10, 7))
    U, S, V = ad.svd_lowrank(ad.tensor(A), q=7)
    np.testing.assert_allclose(S.data, np.linalg.svd(A)[1], rtol=1e-10)
    # the top singular value's gradient is u1 v1^T, whatever the random start
    a = ad.tensor(A, requires_grad=True)
    ad.svd_lowrank(a, q=7, niter=4)[1][0].backward()
    u, _, vh = np.linalg.svd(A)
    np.testing.assert_allclose(a.grad, np.outer(u[:, 0], vh[0]), atol=1e-8)
    M = rng.standard_normal((1, 7))
    U, S, V = ad.svd_lowrank(ad.tensor(A), q=7, M=ad.tensor(M))
    np.testing.assert_allclose(S.data, np.linalg.svd(A - M)[1], rtol=1e-10)


def test_pca_lowrank_centers_and_checks_q():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    A = rng.standard_normal((20, 2)) @ rng.standard_normal((2, 5)) + 4.0
    U, S, V = ad.pca_lowrank(ad.tensor(A), q=2)
    _, S_torch, V_torch = torch.pca_lowrank(torch.tensor(A), q=2)
    np.testing.assert_allclose(S.data, S_torch.numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.abs(V.data.T @ V_torch.numpy()), np.eye(2), atol=1e-10)
    assert ad.pca_lowrank(ad.tensor(A))[1].shape == (5,)        # q = min(6, m, n)
    np.testing.assert_allclose(ad.pca_lowrank(ad.tensor(A), q=2, center=False)[1].data,
                               np.linalg.svd(A)[1][:2], rtol=1e-8)
    with pytest.raises(ValueError, match=r"q\(=6\) must be"):
        ad.pca_lowrank(ad.tensor(A), q=6)
    with pytest.raises(ValueError, match=r"q\(=6\) must be"):
        torch.pca_lowrank(torch.tensor(A), q=6)


# ----- Tensor methods --------------------------------------------------------------------

def test_apply_and_map_as_torch():
    torch = pytest.importorskip("torch")
    for values in (np.array([1, 2, 3]), np.array([[0.5, -1.5], [2.0, 3.0]])):
        ours, theirs = ad.tensor(values.copy()), torch.tensor(values.copy())
        assert ours.apply_(lambda v: v * 2.7 - 1) is ours
        theirs.apply_(lambda v: v * 2.7 - 1)
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours, theirs = ad.tensor(r(2, 3)), None
    theirs = torch.tensor(ours.data.copy())
    other = r(3)
    assert ours.map_(ad.tensor(other), lambda a, b: a * b + 1) is ours
    theirs.map_(torch.tensor(other), lambda a, b: a * b + 1)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)
    for method in ("apply_", "map_"):
        for lib in (ad, torch):
            arguments = (abs,) if method == "apply_" else (lib.zeros(2), max)
            with pytest.raises(RuntimeError, match="requires grad"):
                getattr(lib.ones(2, requires_grad=True), method)(*arguments)
    with pytest.raises(TypeError, match="map_: expected tensor of dtype float64"):
        ad.zeros(2).map_(ad.tensor([1, 2]), max)


def test_apply_in_a_graph_is_seen_by_backward():
    t = ad.tensor([1.0, 2.0])
    x = ad.tensor([3.0, 4.0], requires_grad=True)
    y = x * t
    t.apply_(lambda v: v + 1)       # the product saved t: its backward must refuse
    with pytest.raises(ad.InPlaceError):
        y.sum().backward()


def test_resize_and_ger_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = ad.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert ours.resize_(2, 2) is ours
    theirs.resize_(2, 2)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours.resize_((3,))
    theirs.resize_((3,))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours.resize_as_(ad.zeros((1, 2)))
    theirs.resize_as_(torch.zeros((1, 2)))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ad.zeros(3).resize_(5).shape == (5,)
    with pytest.raises(RuntimeError, match="resize_: cannot resize a tensor that requires"):
        ad.ones(2, requires_grad=True).resize_(1)


def test_memory_placement_methods():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="pin_memory: cannot pin memory"):
        ad.zeros(2).pin_memory()
    with pytest.raises(RuntimeError):
        torch.zeros(2).pin_memory()       # PyTorch on a machine without an accelerator
    assert ad.zeros(2).is_pinned() is False and torch.zeros(2).is_pinned() is False
    assert ad.zeros(2).is_shared() is False and torch.zeros(2).is_shared() is False
    assert ad.zeros(2).share_memory_().is_shared() and torch.zeros(2).share_memory_().is_shared()


# ----- nn layers ---------------------------------------------------------------------------

@pytest.mark.parametrize("channels, size", [(6, 3), (6, 4), (5, 5), (2, 5), (7, 2), (3, 1)])
def test_cross_map_lrn2d_values_as_torch_and_true_gradient(channels, size):
    torch = pytest.importorskip("torch")
    x = r(2, channels, 3, 2)
    layer = ad.nn.CrossMapLRN2d(size, 0.3, 0.75, 2.0)
    expected = torch.nn.CrossMapLRN2d(size, 0.3, 0.75, 2.0)(torch.tensor(x))
    np.testing.assert_allclose(layer(ad.tensor(x)).data, expected.detach().numpy(),
                               rtol=1e-12, atol=1e-14)
    assert repr(layer) == repr(torch.nn.CrossMapLRN2d(size, 0.3, 0.75, 2.0))
    assert ad.gradcheck(lambda t: (layer(t) * ad.tensor(x[::-1].copy())).sum(), [x])


def test_cross_map_lrn2d_refuses_other_shapes():
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D"):
        ad.nn.CrossMapLRN2d(3)(ad.ones((2, 3, 4)))


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 2, 2, 2)])
def test_sync_batch_norm_in_one_process_as_torch(shape):
    torch = pytest.importorskip("torch")
    x = r(*shape)
    ours, theirs = ad.nn.SyncBatchNorm(3, momentum=0.3), torch.nn.SyncBatchNorm(3, momentum=0.3)
    theirs.double()
    assert repr(ours) == repr(theirs)
    weight, bias = r(3), r(3)
    ours.weight.data[...] = weight
    ours.bias.data[...] = bias
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
        theirs.bias.copy_(torch.tensor(bias))
    cotangent = r(*shape)
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_ours, out_theirs = ours(xa), theirs(xt)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    (out_ours * ad.tensor(cotangent)).sum().backward()
    (out_theirs * torch.tensor(cotangent)).sum().backward()
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-8)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(ad.tensor(x)).data, theirs(torch.tensor(x)).detach()
                               .numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="at least 2D input"):
        ours(ad.ones(3))
    with pytest.raises(ValueError, match="process_group must be None"):
        ad.nn.SyncBatchNorm(3, process_group=object())


def test_convert_sync_batchnorm_keeps_parameters_and_buffers():
    inner = ad.nn.Sequential(ad.nn.Linear(3, 3), ad.nn.BatchNorm1d(3))
    model = ad.nn.Sequential(ad.nn.BatchNorm1d(3), inner)
    model(ad.tensor(r(5, 3)))                           # running statistics move
    weight, running_mean = model[1][1].weight, model[1][1].running_mean.clone()
    converted = ad.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert type(model[0]) is ad.nn.SyncBatchNorm and type(model[1][1]) is ad.nn.SyncBatchNorm
    assert model[1][1].weight is weight
    np.testing.assert_array_equal(model[1][1].running_mean, running_mean)
    assert int(model[1][1].num_batches_tracked) == 1
    single = ad.nn.SyncBatchNorm.convert_sync_batchnorm(ad.nn.BatchNorm2d(4).eval())
    assert type(single) is ad.nn.SyncBatchNorm and not single.training


def test_data_parallel_calls_its_module_as_torch_without_gpus():
    torch = pytest.importorskip("torch")
    linear = ad.nn.Linear(2, 3)
    parallel = ad.nn.DataParallel(linear, device_ids=None)
    x = r(4, 2)
    assert parallel.module is linear
    np.testing.assert_allclose(parallel(ad.tensor(x)).data, linear(ad.tensor(x)).data)
    theirs = torch.nn.DataParallel(torch.nn.Linear(2, 3))
    assert sorted(parallel.state_dict()) == sorted(theirs.state_dict())
    assert sorted(n for n, _ in parallel.named_parameters()) == \
        sorted(n for n, _ in theirs.named_parameters())
    assert repr(parallel).startswith("DataParallel(\n  (module): Linear(")
    with pytest.raises(TypeError, match="DataParallel: module must be an nn.Module"):
        ad.nn.DataParallel(lambda x: x)


FRACTIONAL_CASES = [(2, (2, 3, 9, 7), 2, (4, 3), None), (2, (1, 2, 10, 10), (3, 2), (5, 6), None),
                    (2, (3, 8, 8), 3, None, (0.5, 0.5)), (3, (2, 2, 6, 7, 5), 2, (3, 4, 2), None),
                    (3, (1, 5, 6, 4), (2, 3, 1), None, (0.5, 0.4, 0.75))]


@pytest.mark.parametrize("dims, shape, kernel, size, ratio", FRACTIONAL_CASES)
def test_fractional_max_pool_as_torch_given_its_samples(dims, shape, kernel, size, ratio):
    torch = pytest.importorskip("torch")
    x = r(*shape)
    planes = (shape[0], shape[1]) if len(shape) == dims + 2 else (1, shape[0])
    samples = R.uniform(size=(*planes, dims))

    def pool(lib, t):
        function = getattr(lib.nn.functional, f"fractional_max_pool{dims}d")
        return function(t, kernel, size, ratio, return_indices=True,
                        _random_samples=samples if lib is ad else torch.tensor(samples))
    check(pool, x)
    layer = getattr(ad.nn, f"FractionalMaxPool{dims}d")(kernel, size, ratio,
                                                        _random_samples=samples)
    np.testing.assert_array_equal(layer(ad.tensor(x)).data, pool(ad, ad.tensor(x))[0].data)
    indices = getattr(ad.nn.functional, f"fractional_max_pool{dims}d_with_indices")(
        ad.tensor(x), kernel, size, ratio, _random_samples=samples).indices
    assert indices.dtype == np.int64
    # the gradient of each window's maximum, against finite differences
    assert ad.gradcheck(lambda t: (pool(ad, t)[0] ** 2).sum(), [x])


def test_fractional_max_pool_draws_its_samples_and_checks_arguments():
    x = ad.tensor(r(2, 3, 12, 12))
    out = ad.nn.functional.fractional_max_pool2d(x, 3, output_ratio=0.5)
    assert out.shape == (2, 3, 6, 6)
    # each output is the max of some 3x3 window: no larger than the input's max
    assert np.all(out.data <= x.data.max(axis=(2, 3))[..., None, None])
    with pytest.raises(ValueError, match="either an output_size or an output_ratio"):
        ad.nn.functional.fractional_max_pool2d(x, 2)
    with pytest.raises(ValueError, match="pool size \\+ output size - 1"):
        ad.nn.functional.fractional_max_pool2d(x, 5, output_size=9)
    with pytest.raises(ValueError, match="_random_samples must have shape"):
        ad.nn.functional.fractional_max_pool2d(x, 2, 4, _random_samples=np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        ad.nn.functional.fractional_max_pool3d(ad.ones((1, 1, 4, 4, 4)), 2, output_ratio=1.5)
    with pytest.raises(ValueError, match="either an output size, or a pooling ratio"):
        ad.nn.FractionalMaxPool2d(2)


def _adaptive_pair(in_features, n_classes, cutoffs, div_value=4.0, head_bias=False):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs,
                                                 div_value=div_value, head_bias=head_bias)
    theirs.double()
    ours = ad.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs,
                                            div_value=div_value, head_bias=head_bias)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert sorted(state) == sorted(ours.state_dict())
    # Linear weights are (in, out) here, (out, in) in PyTorch
    ours.load_state_dict({k: v.T.copy() if v.ndim == 2 else v for k, v in state.items()})
    return ours, theirs


@pytest.mark.parametrize("in_features, n_classes, cutoffs, div_value, head_bias, targets", [
    (16, 10, [3, 6], 4.0, True, [0, 9, 4, 2, 6, 5, 8]),
    (12, 7, [2], 2.0, False, [6, 6, 1, 0, 3]),
    (8, 20, [5, 10, 15], 1.5, False, [19, 0, 11, 7, 4, 4]),
    (6, 5, [4], 3.0, True, [0, 1, 2, 3]),                   # no tail rows in the batch
])
def test_adaptive_log_softmax_as_torch(in_features, n_classes, cutoffs, div_value,
                                       head_bias, targets):
    torch = pytest.importorskip("torch")
    ours, theirs = _adaptive_pair(in_features, n_classes, cutoffs, div_value, head_bias)
    x = r(len(targets), in_features)
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, expected = ours(xa, np.array(targets)), theirs(xt, torch.tensor(targets))
    assert got._fields == expected._fields == ("output", "loss")
    np.testing.assert_allclose(got.output.data, expected.output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(float(got.loss), expected.loss.item(), rtol=1e-12)
    got.loss.backward()
    expected.loss.backward()
    np.testing.assert_allclose(xa.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-14)
    theirs_grads = {k: p.grad for k, p in theirs.named_parameters()}
    for name, parameter in ours.named_parameters():
        ours_grad = np.zeros(parameter.shape) if parameter.grad is None else parameter.grad
        theirs_grad = theirs_grads[name]
        theirs_grad = np.zeros(parameter.shape) if theirs_grad is None else \
            theirs_grad.numpy().T      # (out, in) there, (in, out) here; .T keeps 1-D
        np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(ours.log_prob(ad.tensor(x)).data,
                               theirs.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(ad.tensor(x)).data,
                                  theirs.predict(torch.tensor(x)).numpy())
    single = ours(ad.tensor(x[0]), np.array(targets[0]))
    np.testing.assert_allclose(float(single.output), theirs(
        torch.tensor(x[0]), torch.tensor(targets[0])).output.item(), rtol=1e-12)
    assert ours.log_prob(ad.tensor(x[0])).shape == (n_classes,)


def test_adaptive_log_softmax_gradients_and_errors():
    layer = ad.nn.AdaptiveLogSoftmaxWithLoss(8, 9, [2, 5], div_value=2.0, head_bias=True)
    targets = np.array([0, 3, 8, 6, 1])
    assert ad.gradcheck(lambda x: layer(x, targets).loss, [r(5, 8)])
    np.testing.assert_allclose(layer.log_prob(ad.tensor(r(3, 8))).exp().data.sum(axis=1), 1.0,
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"Target values should be in \[0, 8\]"):
        layer(ad.tensor(r(2, 8)), np.array([0, 9]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique"):
        ad.nn.AdaptiveLogSoftmaxWithLoss(8, 9, [5, 2])
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length"):
        ad.nn.AdaptiveLogSoftmaxWithLoss(8, 9, [])
    with pytest.raises(ValueError, match="a 1-D target expects 2-D input"):
        layer(ad.tensor(r(3, 8)), np.array([0, 1]))
    with pytest.raises(ValueError, match="cluster 1 would project to"):
        ad.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6])


def _attention_case(separate=False, bias_kv=False, zero_attn=False, masks=None, batch=3,
                    average=True, need_weights=True):
    E, heads, L, S = 6, 2, 4, 5
    kdim = 4 if separate else E
    shapes = [(L, batch, E), (S, batch, kdim), (S, batch, kdim), (3 * E, E), (3 * E,), (E, E),
              (E,), (1, 1, E), (1, 1, E), (E, E), (E, kdim), (E, kdim)]
    if batch is None:
        shapes[:3] = [(L, E), (S, kdim), (S, kdim)]
    arrays = [r(*s) for s in shapes]
    padding = R.uniform(size=(batch or 1, S)) < 0.3
    padding[:, 0] = False
    mask_values = {"padding": Const(padding if batch else padding[0]),
                   "additive": r(4, 5), "blocked": Const(np.triu(np.ones((4, 5), bool), 2))}
    chosen = {name: mask_values[name] for name in (masks or [])}

    def attend(lib, q, k, v, w_in, b_in, w_out, b_out, bk, bv, wq, wk, wv, *mask_inputs):
        named = dict(zip(chosen, mask_inputs))
        attn_mask = named.get("additive", named.get("blocked"))
        return lib.nn.functional.multi_head_attention_forward(
            q, k, v, E, heads, None if separate else w_in, b_in, bk if bias_kv else None,
            bv if bias_kv else None, zero_attn, 0.0, w_out, b_out, training=False,
            key_padding_mask=named.get("padding"), need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=wq,
            k_proj_weight=wk, v_proj_weight=wv, average_attn_weights=average)
    return (attend, *arrays, *chosen.values())


ATTENTION_CASES = [
    _attention_case(),
    _attention_case(masks=["padding"]),
    _attention_case(masks=["additive"], average=False),
    _attention_case(masks=["blocked", "padding"], bias_kv=True),
    _attention_case(bias_kv=True, zero_attn=True),
    _attention_case(separate=True, masks=["padding"]),
    _attention_case(batch=None, masks=["padding"]),
    _attention_case(batch=1),
]


@pytest.mark.parametrize("case", range(len(ATTENTION_CASES)))
def test_multi_head_attention_forward_as_torch(case):
    function, *arrays = ATTENTION_CASES[case]

    def without_none(lib, *inputs):
        out, weights = function(lib, *inputs)
        return (out,) if weights is None else (out, weights)
    check(without_none, *arrays)


def test_multi_head_attention_forward_checks_and_finite_differences():
    function, *arrays = _attention_case(masks=["padding"], bias_kv=True)
    inputs = [a.array if isinstance(a, Const) else a for a in arrays]
    floats = [i for i, a in enumerate(arrays) if not isinstance(a, Const)][:9]

    def loss(*chosen):
        values = list(inputs)
        for i, value in zip(floats, chosen):
            values[i] = value
        out, weights = function(ad, *values)
        return (out ** 2).sum() + (weights * 3).sum()
    assert ad.gradcheck(loss, [inputs[i] for i in floats])
    q = ad.tensor(r(4, 2, 6))
    with pytest.raises(ValueError, match="was expecting embedding dimension of 8"):
        ad.nn.functional.multi_head_attention_forward(q, q, q, 8, 2, r(18, 6), None, None,
                                                      None, False, 0.0, r(6, 6), None)
    with pytest.raises(NotImplementedError, match="static_k"):
        ad.nn.functional.multi_head_attention_forward(q, q, q, 6, 2, r(18, 6), None, None,
                                                      None, False, 0.0, r(6, 6), None,
                                                      static_k=q)


def test_container_is_deprecated_as_in_torch():
    with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
        container = ad.nn.Container(first=ad.nn.Linear(2, 3), second=ad.nn.ReLU())
    assert [name for name, _ in container.named_children()] == ["first", "second"]
    assert sorted(container.state_dict()) == ["first.bias", "first.weight"]


def test_resize_as_function_form():
    torch = pytest.importorskip("torch")
    ours, theirs = ad.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    assert ad.resize_as_(ours, ad.zeros((2, 1))) is ours
    torch.resize_as_(theirs, torch.zeros((2, 1)))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
