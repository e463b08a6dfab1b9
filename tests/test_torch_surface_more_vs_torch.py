"""The names of torch_surface_more.py (and the Tensor methods and legacy constructors
added with them) against PyTorch itself: values, dtypes, shapes, the meaning of the
errors, and gradients (PyTorch's and central differences in float64)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
X3 = RNG.normal(size=(2, 4, 3))
X4 = RNG.normal(size=(3, 4, 2, 2))


def _weighted_sum(pieces, lib):
    total = 0
    for k, piece in enumerate(pieces):
        weights = np.sin(np.arange(piece.numel()) * 0.7 + k).reshape(tuple(piece.shape))
        total = total + (piece * (ad.tensor(weights) if lib is ad else torch.tensor(weights))
                         ).sum()
    return total


def _torch_arg(value):
    if isinstance(value, np.ndarray):
        return torch.tensor(value)
    return value


#: name -> (input, f(module, x, extra args as module tensors)); the extra arrays are
#: weights and biases, compared with their gradients too.
NORMS = {
    "native_layer_norm": (X3, [RNG.normal(size=3), RNG.normal(size=3)],
                          lambda m, x, w, b: m.native_layer_norm(x, [3], w, b, 1e-5)),
    "native_layer_norm_2d": (X3, [RNG.normal(size=(4, 3)), None],
                             lambda m, x, w, b: m.native_layer_norm(x, (4, 3), w, b, 1e-3)),
    "native_group_norm": (X4, [RNG.normal(size=4), RNG.normal(size=4)],
                          lambda m, x, w, b: m.native_group_norm(x, w, b, 3, 4, 4, 2, 1e-5)),
    "native_group_norm_no_affine": (X3, [None, None],
                                    lambda m, x, w, b: m.native_group_norm(x, w, b, 2, 4, 3,
                                                                           4, 1e-5)),
    "native_batch_norm_train": (X4, [RNG.normal(size=4), RNG.normal(size=4)],
                                lambda m, x, w, b: m.native_batch_norm(x, w, b, None, None,
                                                                       True, 0.1, 1e-5)),
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_native_norms_match_torch_with_statistics_and_gradients(name):
    array, extras, f = NORMS[name]
    x, tx = ad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    ours_extra = [None if e is None else ad.tensor(e, requires_grad=True) for e in extras]
    theirs_extra = [None if e is None else torch.tensor(e, requires_grad=True) for e in extras]
    ours, theirs = f(ad, x, *ours_extra), f(torch, tx, *theirs_extra)
    assert len(ours) == len(theirs) == 3
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape) and o.dtype == np.float64
        assert o.requires_grad == t.requires_grad
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
    _weighted_sum(ours, ad).backward()
    _weighted_sum(theirs, torch).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    for o, t in zip(ours_extra, theirs_extra):
        if o is not None:
            np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-8, atol=1e-10)
    recorded = [k for k, t in enumerate(theirs) if t.requires_grad]
    numeric = ad.numerical_grad(
        lambda v: _weighted_sum([f(ad, v, *[None if e is None else ad.tensor(e)
                                            for e in extras])[k] for k in recorded], ad),
        [array])[0]
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-5, atol=1e-6)


def test_native_batch_norm_in_evaluation_and_its_running_statistics_match_torch():
    ours_stats = [ad.zeros(4), ad.ones(4)]
    theirs_stats = [torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)]
    ours = ad.native_batch_norm(ad.tensor(X4), None, None, *ours_stats, True, 0.3, 1e-5)
    theirs = torch.native_batch_norm(torch.tensor(X4), None, None, *theirs_stats, True, 0.3,
                                     1e-5)
    for o, t in zip(ours_stats, theirs_stats):
        np.testing.assert_allclose(o.data, t.numpy(), rtol=1e-12)
    ours = ad.native_batch_norm(ad.tensor(X4), None, None, *ours_stats, False, 0.3, 1e-5)
    theirs = torch.native_batch_norm(torch.tensor(X4), None, None, *theirs_stats, False, 0.3,
                                     1e-5)
    np.testing.assert_allclose(ours[0].data, theirs[0].numpy(), rtol=1e-12, atol=1e-14)
    for o, t in zip(ours[1:], theirs[1:]):
        assert o.shape == tuple(t.shape) == (0,)


def test_native_norms_refuse_inconsistent_sizes():
    with pytest.raises(RuntimeError, match="native_group_norm: N=2, C=3"):
        ad.native_group_norm(ad.tensor(X3), None, None, 2, 3, 4, 1, 1e-5)
    with pytest.raises(RuntimeError, match="not divisible by group=3"):
        ad.native_group_norm(ad.tensor(X3), None, None, 2, 4, 3, 3, 1e-5)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        ad.native_layer_norm(ad.tensor(X3), [4], None, None, 1e-5)


@pytest.mark.parametrize("name", ["as_strided", "as_strided_copy"])
def test_as_strided_matches_torch_on_a_contiguous_tensor(name):
    expected = getattr(torch, name)(torch.arange(4.0), (2, 2), (1, 1)).numpy()
    np.testing.assert_array_equal(getattr(ad, name)(ad.arange(4.0), (2, 2), (1, 1)).data,
                                  expected)
    np.testing.assert_array_equal(ad.arange(4.0).as_strided((2, 2), (1, 1)).data, expected)


@pytest.mark.parametrize("values", [[[0, 1], [2, 0]], [0, 0, 3], 5, 0, [[0.0, 0.5, 0.0]]])
@pytest.mark.parametrize("size, fill", [(0, -1), (1, -1), (3, -1), (4, 9)])
def test_nonzero_static_matches_torch(values, size, fill):
    ours = ad.nonzero_static(ad.tensor(values), size=size, fill_value=fill)
    theirs = torch.nonzero_static(torch.tensor(values), size=size, fill_value=fill)
    assert ours.dtype == np.int64 and theirs.dtype == torch.int64
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(ad.tensor(values).nonzero_static(size=size,
                                                                   fill_value=fill).data,
                                  ours.data)


def test_unsigned_dtype_names_match_torch():
    for name in ("uint16", "uint32", "uint64"):
        x, tx = ad.zeros(2, dtype=getattr(ad, name)), torch.zeros(2, dtype=getattr(torch, name))
        assert x.element_size() == tx.element_size()
        assert x.type() == tx.type() and not x.is_signed() and not tx.is_signed()


def test_dlpack_exchange_shares_memory_with_torch():
    tx = torch.arange(4.0, dtype=torch.float64)
    x = ad.from_dlpack(tx)
    assert x.data_ptr() == tx.data_ptr() and x.dtype == np.float64
    back = torch.from_dlpack(ad.to_dlpack(x))
    assert back.data_ptr() == tx.data_ptr()
    y = ad.from_dlpack(ad.arange(3.0))
    assert y.shape == (3,)


def test_conj_physical_in_place_matches_torch():
    z = np.array([1 + 2j, -3j])
    x, tx = ad.tensor(z.copy()), torch.tensor(z.copy())
    assert ad.conj_physical_(x) is x and torch.conj_physical_(tx) is tx
    np.testing.assert_array_equal(x.data, tx.numpy())
    real = ad.tensor([1.0, 2.0])
    assert real.conj_physical_() is real and real.tolist() == [1.0, 2.0]


def test_native_channel_shuffle_matches_torch():
    array = RNG.normal(size=(1, 6, 2))
    ours = ad.native_channel_shuffle(ad.tensor(array), 3)
    theirs = torch.native_channel_shuffle(torch.tensor(array), 3)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_deterministic_debug_mode_matches_torch():
    try:
        for mode, expected, warn_only in (("warn", 1, True), ("error", 2, False), (1, 1, True),
                                          ("default", 0, False)):
            ad.set_deterministic_debug_mode(mode)
            torch.set_deterministic_debug_mode(mode)
            assert ad.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode() \
                == expected
            if expected:
                assert ad.is_deterministic_algorithms_warn_only_enabled() is warn_only
        for bad, words in (("x", "expected one of `default`, `warn`, `error`"),
                           (3, "expected 0, 1, or 2")):
            with pytest.raises(RuntimeError, match=words):
                torch.set_deterministic_debug_mode(bad)
            with pytest.raises(RuntimeError, match=words):
                ad.set_deterministic_debug_mode(bad)
    finally:
        ad.set_deterministic_debug_mode(0)
        torch.set_deterministic_debug_mode(0)


@pytest.mark.parametrize("name, successor", [("solve", "linalg.solve"), ("eig", "linalg.eig"),
                                             ("lstsq", "linalg.lstsq"),
                                             ("symeig", "linalg.eigh")])
def test_removed_functions_raise_naming_their_successor_as_torch(name, successor):
    with pytest.raises(RuntimeError, match="deprecated since version 1.9 and is now removed"):
        getattr(torch, name)(torch.eye(2), torch.eye(2))
    with pytest.raises(RuntimeError, match=f"now removed.*ad.{successor}"):
        getattr(ad, name)(ad.eye(2), ad.eye(2))


@pytest.mark.parametrize("name", ["ByteTensor", "CharTensor", "ShortTensor", "HalfTensor"])
def test_more_legacy_constructors_match_torch(name):
    ours, theirs = getattr(ad, name)([1, 2]), getattr(torch, name)([1, 2])
    assert ours.type() == theirs.type() and ours.tolist() == theirs.tolist()
    assert getattr(ad, name)(2, 3).shape == tuple(getattr(torch, name)(2, 3).shape)
    assert isinstance(ours, getattr(ad, name))


def test_dense_and_sparse_dims_of_a_strided_tensor_match_torch():
    x, tx = ad.zeros((2, 3)), torch.zeros(2, 3)
    assert (x.dense_dim(), x.sparse_dim()) == (tx.dense_dim(), tx.sparse_dim())


def test_linalg_error_is_what_a_singular_matrix_raises():
    with pytest.raises(ad.linalg.LinAlgError):
        ad.linalg.inv(ad.zeros((2, 2)))
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.zeros(2, 2))


# ----- torch_surface_extra.py --------------------------------------------------------
def test_fork_rng_puts_the_default_stream_back():
    ad.random.manual_seed(5)
    with ad.random.fork_rng():
        inside = ad.rand(3).data.copy()
    after = ad.rand(3).data
    np.testing.assert_array_equal(inside, after)
    with ad.random.fork_rng(enabled=False):
        ad.rand(1)
    assert not np.array_equal(ad.rand(3).data, after)
    assert ad.random.initial_seed() == 5 == torch.random.manual_seed(5).initial_seed()


def test_import_star_leaves_the_random_and_signal_modules_alone():
    import signal
    namespace: dict = {"random": np.random, "signal": signal}
    exec("from autodiff import *", namespace)
    assert namespace["random"] is np.random and "random" in dir(ad)
    assert namespace["signal"] is signal and "signal" in dir(ad)


def test_cpu_namespace_matches_torch():
    assert ad.cpu.is_available() is torch.cpu.is_available() is True
    assert ad.cpu.device_count() == torch.cpu.device_count() == 1
    assert ad.cpu.current_device() == torch.cpu.current_device() == "cpu"


def test_cond_and_while_loop_match_torch_with_gradients():
    array = RNG.normal(size=3)
    for flag in (True, False):
        x, tx = ad.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
        ours = ad.cond(ad.tensor(flag), lambda v: (v * v).sum(), lambda v: v.exp().sum(), (x,))
        theirs = torch.cond(torch.tensor(flag), lambda v: (v * v).sum(),
                            lambda v: v.exp().sum(), (tx,))
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-14)
        ours.backward()
        theirs.backward()
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)
    ours = ad.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2),
                         (ad.tensor(0), ad.ones(2)))
    theirs = torch.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2),
                              (torch.tensor(0), torch.ones(2)))
    assert ours[0].item() == theirs[0].item() and ours[1].tolist() == theirs[1].tolist()
    with pytest.raises(RuntimeError, match="must return as many"):
        ad.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1,), (0, 1))
    with pytest.raises(RuntimeError, match="one-value tensor"):
        ad.cond(ad.ones(2), lambda: 1, lambda: 2)


def test_orgqr_matches_torch_with_gradients():
    a, tau = RNG.normal(size=(4, 3)), RNG.normal(size=2)
    x, tx = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = ad.orgqr(x, ad.tensor(tau)), torch.orgqr(tx, torch.tensor(tau))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(x.orgqr(ad.tensor(tau)).data, ours.data)
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_default_tensor_type_accepts_float64_only():
    for t in (ad.DoubleTensor, "torch.DoubleTensor", ad.float64):
        ad.set_default_tensor_type(t)
    with pytest.raises(TypeError, match="only float64"):
        ad.set_default_tensor_type(ad.FloatTensor)
    assert ad.is_vulkan_available() is torch.is_vulkan_available() is False
    ad.init_num_threads()


def test_other_names_are_the_library_objects():
    assert ad.GradScaler is ad.amp.GradScaler and torch.GradScaler is torch.amp.GradScaler
    array = RNG.normal(size=(1, 4, 2))
    np.testing.assert_array_equal(
        ad.nn.functional.native_channel_shuffle(ad.tensor(array), 2).data,
        torch.nn.functional.native_channel_shuffle(torch.tensor(array), 2).numpy())


# ----- map2_, hash_tensor, empty_permuted, from_file ----------------------------------
def test_map2_matches_torch():
    ours, theirs = ad.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0], dtype=torch.float64)
    ours.map2_(ad.tensor([10.0, 20.0]), ad.tensor([100.0]), lambda a, b, c: a + b * c)
    theirs.map2_(torch.tensor([10.0, 20.0], dtype=torch.float64),
                 torch.tensor([100.0], dtype=torch.float64), lambda a, b, c: a + b * c)
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(TypeError, match="map2_: expected tensor of dtype float64"):
        ours.map2_(ad.tensor([1, 2]), ad.tensor([1.0, 2.0]), lambda a, b, c: a)
    with pytest.raises(RuntimeError, match="requires grad"):
        ad.ones(2, requires_grad=True).map2_(ad.ones(2), ad.ones(2), lambda a, b, c: a)


@pytest.mark.parametrize("values", [[1.5, 2.0, -3.0], [[1, 2], [3, 4]], [True, False, True],
                                    np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
                                    np.array([7, 200], dtype=np.uint8),
                                    np.array([-7, 2**40], dtype=np.int64)])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (-1, True),
                                          ((0, -1), False)])
def test_hash_tensor_matches_torch(values, dim, keepdim):
    array = np.asarray(values)
    if dim is not None and array.ndim < 2 and dim != 0 and dim != -1:
        return
    ours = ad.hash_tensor(ad.tensor(array), dim, keepdim=keepdim)
    theirs = torch.hash_tensor(torch.from_numpy(array), dim, keepdim=keepdim)
    assert ours.dtype == np.uint64 and theirs.dtype == torch.uint64
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(ad.tensor(array).hash_tensor(dim, keepdim=keepdim).data,
                                  ours.data)


def test_hash_tensor_of_uint64_xors_the_values_where_torch_has_no_kernel():
    array = np.array([2**63 + 5, 3], dtype=np.uint64)
    with pytest.raises(NotImplementedError):
        torch.hash_tensor(torch.from_numpy(array))
    assert ad.hash_tensor(ad.tensor(array)).item() == (2**63 + 5) ^ 3


def test_hash_tensor_of_no_entries_needs_a_dim_as_torch():
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        torch.hash_tensor(torch.zeros(0))
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        ad.hash_tensor(ad.zeros(0))
    with pytest.raises(IndexError, match="reduction dim 0 to have non-zero size"):
        ad.hash_tensor(ad.zeros((0, 3)), 0)
    np.testing.assert_array_equal(ad.hash_tensor(ad.zeros((0, 3)), 1).data,
                                  torch.hash_tensor(torch.zeros(0, 3), 1).numpy())


@pytest.mark.parametrize("size, order", [((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 3), (1, 0)),
                                         ((4,), (0,)), ((2, 0, 3), (2, 0, 1))])
def test_empty_permuted_matches_torch_layout(size, order):
    ours, theirs = ad.empty_permuted(size, order), torch.empty_permuted(size, order)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    with pytest.raises(RuntimeError, match="must be a permutation"):
        ad.empty_permuted(size, order + (0,))


def test_from_file_matches_torch_and_shares_when_asked(tmp_path):
    path = str(tmp_path / "values.bin")
    np.arange(5, dtype=np.float32).tofile(path)
    ours = ad.from_file(path, False, 4, dtype=ad.float32)
    theirs = torch.from_file(path, False, 4, dtype=torch.float32)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours[0] = 9.0                                       # private: the file keeps its 0
    assert np.fromfile(path, dtype=np.float32)[0] == 0.0
    shared = ad.from_file(path, True, 5, dtype=ad.float32)
    shared[1] = 7.0
    del shared
    assert np.fromfile(path, dtype=np.float32)[1] == 7.0
    grown = str(tmp_path / "new.bin")
    assert ad.from_file(grown, True, 3).tolist() == [0.0, 0.0, 0.0]
    assert torch.from_file(grown, True, 3, dtype=torch.float64).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="from_file: unable to read 10 entries"):
        ad.from_file(path, False, 10, dtype=ad.float32)


# ----- F.linear_cross_entropy -----------------------------------------------------------
LINEAR_CE = {
    "classes": ((5, 3), (4, 3), True, np.array([0, 3, 1, -100, 2]), {}),
    "unbatched": ((3,), (4, 3), False, np.array(2), {}),
    "k_dimensional": ((5, 3), (4, 2, 3), True, np.array([[0, 1], [3, 3], [2, 0], [1, 1],
                                                         [0, 2]]), {"reduction": "sum"}),
    "weights_smoothing": ((5, 3), (4, 3), False, np.array([0, 3, 1, 1, 2]),
                          {"weight": np.array([1.0, 2.0, 0.5, 1.5]), "label_smoothing": 0.1,
                           "ignore_index": 1}),
    "no_reduction": ((5, 3), (4, 3), True, np.array([0, 3, 1, 1, 2]), {"reduction": "none"}),
}


@pytest.mark.parametrize("name", sorted(LINEAR_CE))
def test_linear_cross_entropy_matches_torch_with_gradients(name):
    input_shape, weight_shape, with_bias, target, kwargs = LINEAR_CE[name]
    arrays = [RNG.normal(size=input_shape), RNG.normal(size=weight_shape)]
    if with_bias:
        arrays.append(RNG.normal(size=weight_shape[:-1]))

    def run(lib, tensors):
        options = {k: (_torch_arg(v) if lib is torch else ad.tensor(v))
                   if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        bias = tensors[2] if with_bias else None
        functional = ad.nn.functional if lib is ad else torch.nn.functional
        return functional.linear_cross_entropy(
            tensors[0], tensors[1], target if lib is ad else torch.tensor(target),
            linear_bias=bias, **options)

    ours_in = [ad.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours, theirs = run(ad, ours_in), run(torch, theirs_in)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    for k, (o, t) in enumerate(zip(ours_in, theirs_in)):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
        numeric = ad.numerical_grad(
            lambda v, k=k: _weighted_sum([run(ad, [v if j == k else ad.tensor(a)
                                                   for j, a in enumerate(arrays)])], ad),
            [arrays[k]])[0]
        np.testing.assert_allclose(o.grad, numeric, rtol=1e-6, atol=1e-7)


def test_linear_cross_entropy_refuses_what_torch_refuses():
    x, w = ad.zeros((2, 3)), ad.zeros((4, 3))
    cases = [((ad.zeros((2, 2, 3)), w, np.zeros(2, dtype=np.int64)), {},
              "expected input with dimensionality 1 or 2"),
             ((x, ad.zeros((4, 2)), np.zeros(2, dtype=np.int64)), {},
              "expected equal input and linear_weight last dimensions"),
             ((x, w, np.zeros(2, dtype=np.int64)), {"linear_bias": ad.zeros(3)},
              "expected linear_bias shape"),
             ((ad.zeros(3), ad.zeros((4, 2, 3)), np.zeros(2, dtype=np.int64)), {},
              "requires batched input")]
    for args, kwargs, words in cases:
        torch_args = [torch.tensor(np.asarray(getattr(a, "data", a))) for a in args]
        torch_kwargs = {k: torch.tensor(v.data) for k, v in kwargs.items()}
        with pytest.raises(RuntimeError, match=words):
            torch.nn.functional.linear_cross_entropy(*torch_args, **torch_kwargs)
        with pytest.raises(RuntimeError, match=f"linear_cross_entropy: .*{words}"):
            ad.nn.functional.linear_cross_entropy(*args, **kwargs)
    with pytest.raises(TypeError, match="options must be an nn.LinearCrossEntropyOptions"):
        ad.nn.functional.linear_cross_entropy(x, w, np.zeros(2, dtype=np.int64), options=1)


# ----- geqrf and ormqr --------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 4, 3), (3, 3)])
def test_geqrf_matches_torch(shape):
    array = RNG.normal(size=shape)
    ours, theirs = ad.geqrf(ad.tensor(array)), torch.geqrf(torch.tensor(array))
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.data, t.numpy(), rtol=1e-12, atol=1e-13)
    method = ad.tensor(array).geqrf()
    np.testing.assert_array_equal(method[0].data, ours[0].data)


def test_geqrf_refuses_an_input_that_requires_grad():
    x = torch.tensor(RNG.normal(size=(3, 3)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'geqrf' is not implemented"):
        torch.geqrf(x)[0].sum().backward()
    with pytest.raises(RuntimeError, match="derivative for 'geqrf' is not implemented"):
        ad.geqrf(ad.tensor(x.detach().numpy(), requires_grad=True))
    with ad.no_grad():
        ad.geqrf(ad.tensor(x.detach().numpy(), requires_grad=True))


@pytest.mark.parametrize("shape, other_shape, left", [((4, 3), (4, 2), True),
                                                      ((4, 3), (2, 4), False),
                                                      ((2, 4, 3), (2, 4, 5), True),
                                                      ((3, 5), (2, 3), False)])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_matches_torch_with_gradients(shape, other_shape, left, transpose):
    reflectors, tau = (t.numpy() for t in torch.geqrf(torch.tensor(RNG.normal(size=shape))))
    arrays = [reflectors, tau, RNG.normal(size=other_shape)]
    ours_in = [ad.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours = ad.ormqr(*ours_in, left, transpose)
    theirs = torch.ormqr(*theirs_in, left, transpose)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours_in[0].ormqr(ours_in[1], ours_in[2], left, transpose).data,
                               ours.data)
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    for k, (o, t) in enumerate(zip(ours_in, theirs_in)):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
        numeric = ad.numerical_grad(
            lambda v, k=k: _weighted_sum([ad.ormqr(*[v if j == k else ad.tensor(a)
                                                     for j, a in enumerate(arrays)],
                                                   left, transpose)], ad), [arrays[k]])[0]
        np.testing.assert_allclose(o.grad, numeric, rtol=1e-6, atol=1e-7)


def test_ormqr_refuses_mismatched_shapes():
    reflectors, tau = ad.geqrf(ad.tensor(RNG.normal(size=(4, 3))))
    with pytest.raises(RuntimeError, match="ormqr: other .* must have 4 rows"):
        ad.ormqr(reflectors, tau, ad.ones((3, 2)))
    with pytest.raises(RuntimeError, match="must have 4 columns"):
        ad.ormqr(reflectors, tau, ad.ones((4, 2)), left=False)


# ----- under ad.compile -----------------------------------------------------------------
def test_value_dependent_results_follow_new_values_in_compiled_replays():
    rows = ad.compile(lambda x: ad.nonzero_static(x, size=3))
    hashed = ad.compile(lambda x: ad.hash_tensor(x))
    scales = ad.compile(lambda x: ad.geqrf(x)[1])
    for values in ([0.0, 1.0, 2.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]):
        x = ad.tensor(values)
        np.testing.assert_array_equal(rows(x).data, ad.nonzero_static(x, size=3).data)
        assert hashed(x).item() == ad.hash_tensor(x).item()
    for matrix in ([[3.0, 1.0], [4.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]):
        x = ad.tensor(matrix)
        np.testing.assert_array_equal(scales(x).data, ad.geqrf(x)[1].data)


def test_is_nonzero_in_a_compiled_branch_is_refused_as_bool_is():
    branch = ad.compile(lambda x: x * 2 if x.is_nonzero() else x - 1)
    with pytest.raises(ad.TraceError, match=r"is_nonzero\(\)"):
        branch(ad.tensor([1.0]))


# ----- nn.grad ----------------------------------------------------------------------------
CONV_GRADS = {
    "1d": ((2, 4, 9), (6, 2, 3), {"stride": 2, "padding": 1, "dilation": 1, "groups": 2}),
    "2d": ((2, 4, 7, 6), (6, 2, 3, 2), {"stride": 2, "padding": 1, "dilation": 1,
                                         "groups": 2}),
    "2d_dilated": ((1, 3, 8, 8), (2, 3, 3, 3), {"stride": 1, "padding": 2, "dilation": 2}),
    "3d": ((1, 2, 5, 4, 5), (3, 2, 2, 2, 2), {"stride": (1, 2, 1), "padding": 0}),
}


@pytest.mark.parametrize("name", sorted(CONV_GRADS))
@pytest.mark.parametrize("wanted", ["input", "weight"])
def test_nn_grad_matches_torch_with_second_derivatives(name, wanted):
    input_shape, weight_shape, kwargs = CONV_GRADS[name]
    dims = len(input_shape) - 2
    x, w = RNG.normal(size=input_shape), RNG.normal(size=weight_shape)
    conv = getattr(torch.nn.functional, f"conv{dims}d")
    out_shape = tuple(conv(torch.tensor(x), torch.tensor(w), None, **kwargs).shape)
    g = RNG.normal(size=out_shape)
    given = w if wanted == "input" else x           # the operand that is passed, with g
    ours_in = [ad.tensor(given, requires_grad=True), ad.tensor(g, requires_grad=True)]
    theirs_in = [torch.tensor(given, requires_grad=True), torch.tensor(g, requires_grad=True)]
    name_of = f"conv{dims}d_{wanted}"
    if wanted == "input":
        ours = getattr(ad.nn.grad, name_of)(input_shape, *ours_in, **kwargs)
        theirs = getattr(torch.nn.grad, name_of)(input_shape, *theirs_in, **kwargs)
    else:
        ours = getattr(ad.nn.grad, name_of)(ours_in[0], weight_shape, ours_in[1], **kwargs)
        theirs = getattr(torch.nn.grad, name_of)(theirs_in[0], weight_shape, theirs_in[1],
                                                 **kwargs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    for o, t in zip(ours_in, theirs_in):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)

    def weighted(operand, grad_output):
        shape = input_shape if wanted == "input" else weight_shape
        args = (shape, operand, grad_output) if wanted == "input" else (operand, shape,
                                                                         grad_output)
        return _weighted_sum([getattr(ad.nn.grad, name_of)(*args, **kwargs)], ad)

    for k, (array, o) in enumerate(zip((given, g), ours_in)):
        numeric = ad.numerical_grad(
            lambda v, k=k: weighted(*[v if j == k else ad.tensor(a)
                                      for j, a in enumerate((given, g))]), [array])[0]
        np.testing.assert_allclose(o.grad, numeric, rtol=1e-6, atol=1e-7)
    assert ad.nn.functional.grad is ad.nn.grad


def test_nn_grad_refuses_a_grad_output_of_another_shape():
    with pytest.raises(RuntimeError, match="conv2d_input: grad_output has shape"):
        ad.nn.grad.conv2d_input((1, 1, 4, 4), ad.ones((1, 1, 2, 2)), ad.ones((1, 1, 2, 2)))


# ----- signal.windows ---------------------------------------------------------------------
WINDOW_OPTIONS = {"general_cosine": {"a": [0.5, 0.3, 0.2]}, "exponential": {"tau": 2.0},
                  "gaussian": {"std": 1.7}, "kaiser": {"beta": 5.0},
                  "general_hamming": {"alpha": 0.6}}


@pytest.mark.parametrize("name", ["bartlett", "blackman", "cosine", "exponential", "gaussian",
                                  "general_cosine", "general_hamming", "hamming", "hann",
                                  "kaiser", "nuttall"])
@pytest.mark.parametrize("sym", [True, False])
def test_signal_windows_match_torch(name, sym):
    options = WINDOW_OPTIONS.get(name, {})
    for M in (0, 1, 2, 5, 8):
        for dtype, torch_dtype, rtol in ((None, torch.float64, 1e-13),
                                         (ad.float32, torch.float32, 2e-6)):
            ours = getattr(ad.signal.windows, name)(M, sym=sym, dtype=dtype, **options)
            theirs = getattr(torch.signal.windows, name)(M, sym=sym, dtype=torch_dtype,
                                                         **options)
            assert ours.dtype == (np.float64 if dtype is None else np.float32)
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=rtol, atol=rtol)
    assert ad.windows is ad.signal.windows


def test_signal_windows_refuse_what_torch_refuses():
    for call, words in ((lambda m: m.signal.windows.hann(-1), "non-negative window length"),
                        (lambda m: m.signal.windows.gaussian(4, std=0), "must be positive"),
                        (lambda m: m.signal.windows.exponential(4, center=1.0),
                         "Center must be None"),
                        (lambda m: m.signal.windows.kaiser(4, beta=-1), "non-negative")):
        with pytest.raises(ValueError, match=words):
            call(torch)
        with pytest.raises(ValueError, match=words):
            call(ad)
    with pytest.raises(ValueError, match="expects float32 or float64"):
        ad.signal.windows.hann(4, dtype=ad.int64)
