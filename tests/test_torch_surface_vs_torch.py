"""PyTorch's surface names of torch_surface.py, tensor_flags.py, torch_size.py and
view_copies.py against PyTorch itself: values, dtypes, shapes, memory sharing, the
meaning of the errors, and gradients (against PyTorch's and central differences in
float64)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
A = RNG.normal(size=(3, 4))
B3 = RNG.normal(size=(2, 3, 4))


def _pair(array, grad=False):
    return (ad.tensor(array, requires_grad=grad),
            torch.tensor(array, dtype=torch.float64, requires_grad=grad))


def _pieces(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _weighted_sum(pieces, lib):
    total = 0
    for k, piece in enumerate(pieces):
        weights = np.cos(np.arange(piece.numel()) + k).reshape(tuple(piece.shape))
        total = total + (piece * (ad.tensor(weights) if lib is ad else torch.tensor(weights))
                         ).sum()
    return total


# ----- the *_copy functions ----------------------------------------------------------
#: name -> (input array, f(module, x)), run with module = ad and module = torch.
COPIES = {
    "view_copy": (A, lambda m, x: m.view_copy(x, (4, 3))),
    "view_copy_minus1": (B3, lambda m, x: m.view_copy(x, [-1, 4])),
    "transpose_copy": (B3, lambda m, x: m.transpose_copy(x, 0, 2)),
    "transpose_copy_matrix": (A, lambda m, x: m.transpose_copy(x, 0, 1)),
    "transpose_copy_same_dim": (A, lambda m, x: m.transpose_copy(x, 1, -1)),
    "permute_copy": (B3, lambda m, x: m.permute_copy(x, (2, 0, 1))),
    "expand_copy": (A[:1], lambda m, x: m.expand_copy(x, (5, 4))),
    "expand_copy_new_dim": (A, lambda m, x: m.expand_copy(x, (2, 3, 4))),
    "diagonal_copy": (B3, lambda m, x: m.diagonal_copy(x, 1, 1, 2)),
    "diagonal_copy_default": (A, lambda m, x: m.diagonal_copy(x)),
    "squeeze_copy": (A[:1], lambda m, x: m.squeeze_copy(x)),
    "squeeze_copy_dim": (A[:1], lambda m, x: m.squeeze_copy(x, 0)),
    "unsqueeze_copy": (A, lambda m, x: m.unsqueeze_copy(x, -1)),
    "t_copy": (A, lambda m, x: m.t_copy(x)),
    "alias_copy": (A, lambda m, x: m.alias_copy(x)),
    "select_copy": (B3, lambda m, x: m.select_copy(x, 1, -1)),
    "slice_copy": (B3, lambda m, x: m.slice_copy(x, 2, 1, None, 2)),
    "slice_copy_past_end": (A, lambda m, x: m.slice_copy(x, 0, 1, 10)),
    "slice_copy_negative": (A, lambda m, x: m.slice_copy(x, -1, -3, -1)),
    "split_copy": (A, lambda m, x: m.split_copy(x, 3, 1)),
    "split_with_sizes_copy": (A, lambda m, x: m.split_with_sizes_copy(x, [1, 3], 1)),
    "unbind_copy": (B3, lambda m, x: m.unbind_copy(x, 1)),
    "unfold_copy": (A, lambda m, x: m.unfold_copy(x, 1, 2, 1)),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copy_functions_match_torch_values_and_gradients(name):
    array, f = COPIES[name]
    x, tx = _pair(array, grad=True)
    ours, theirs = _pieces(f(ad, x)), _pieces(f(torch, tx))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape)
        assert o.dtype == np.float64
        np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=0, atol=0)
        assert o.is_contiguous() and t.is_contiguous()
        assert not np.shares_memory(o.data, x.data)
    _weighted_sum(ours, ad).backward()
    _weighted_sum(theirs, torch).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    numeric = ad.numerical_grad(lambda v: _weighted_sum(_pieces(f(ad, v)), ad), [array])[0]
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-6, atol=1e-7)


def test_detach_copy_has_no_history_and_its_own_memory():
    x, tx = _pair(A, grad=True)
    ours, theirs = ad.detach_copy(x), torch.detach_copy(tx)
    # PyTorch marks it as requiring grad with a derivative "not implemented": no
    # gradient reaches the input there either.
    assert ours.requires_grad is False and ours.is_leaf
    with pytest.raises(RuntimeError, match="not implemented"):
        theirs.sum().backward()
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    assert not np.shares_memory(ours.data, x.data)


def test_slice_copy_refuses_a_step_that_is_not_positive():
    with pytest.raises(RuntimeError, match="step must be positive"):
        torch.slice_copy(torch.zeros(3), 0, None, None, 0)
    with pytest.raises(RuntimeError, match="slice_copy: slice step must be positive"):
        ad.slice_copy(ad.zeros(3), 0, None, None, 0)


# ----- Size ---------------------------------------------------------------------------
def test_size_behaves_as_torch_size():
    ours, theirs = ad.Size([2, 3, 4]), torch.Size([2, 3, 4])
    assert repr(ours) == repr(theirs).replace("torch", "autodiff")
    assert ours == theirs == (2, 3, 4) and ours.numel() == theirs.numel() == 24
    assert ad.Size([]).numel() == torch.Size([]).numel() == 1
    for ours_part, theirs_part in ((ours[1:], theirs[1:]), (ours + (5,), theirs + (5,)),
                                   ((1,) + ours, (1,) + theirs), (ours * 2, theirs * 2),
                                   (2 * ours, 2 * theirs)):
        assert type(ours_part) is ad.Size and type(theirs_part) is torch.Size
        assert tuple(ours_part) == tuple(theirs_part)
    assert ours[0] == 2 and type(ours[0]) is int
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert type(pickle.loads(pickle.dumps(ours))) is ad.Size
    assert ad.Size([np.int64(2), 3]) == (2, 3)
    with pytest.raises(TypeError, match=r"item 0 is 'float'"):
        torch.Size([2.5])
    with pytest.raises(TypeError, match=r"Size: the dims must be ints, got float"):
        ad.Size([2.5])


def test_size_method_returns_a_size_and_shape_stays_a_tuple():
    x, tx = ad.zeros((2, 3)), torch.zeros(2, 3)
    assert repr(x.size()) == repr(tx.size()).replace("torch", "autodiff")
    assert type(x.size()) is ad.Size and x.size() is x.size()       # (one per shape)
    assert x.size() == tx.size() and x.size().numel() == tx.size().numel() == 6
    assert x.size(1) == 3 and type(x.size(1)) is int
    assert x.shape == ad.Size([2, 3]) and type(x.shape) is tuple


# ----- flags and queries ---------------------------------------------------------------
FALSE_FLAGS = ["is_cuda", "is_xpu", "is_mps", "is_ipu", "is_xla", "is_vulkan", "is_mtia",
               "is_maia", "is_meta", "is_sparse", "is_sparse_csr", "is_quantized",
               "is_nested", "is_mkldnn"]


@pytest.mark.parametrize("flag", FALSE_FLAGS + ["is_cpu"])
def test_device_and_layout_flags_match_torch_on_the_cpu(flag):
    assert getattr(ad.zeros(2), flag) is getattr(torch.zeros(2), flag)


def test_layout_and_device_index_match_torch():
    x, tx = ad.zeros((2, 3)), torch.zeros(2, 3)
    assert x.layout == ad.strided and repr(x.layout) == repr(tx.layout) == "torch.strided"
    assert x.layout == torch.strided and torch.strided == x.layout
    assert x.get_device() == tx.get_device() == -1
    assert ad.get_device(x) == torch.get_device(tx)
    assert x.output_nr == tx.output_nr == 0
    assert pickle.loads(pickle.dumps(ad.strided)) is ad.strided


DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8",
          "bool", "complex64", "complex128"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_queries_match_torch(dtype):
    x, tx = ad.zeros(2, dtype=np.dtype(dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
    assert x.is_signed() == tx.is_signed() == ad.is_signed(x) == torch.is_signed(tx)
    assert x.is_complex() == tx.is_complex() == ad.is_complex(x) == torch.is_complex(tx)
    assert x.is_floating_point() == tx.is_floating_point()
    assert x.type() == tx.type() == ad.typename(x) == torch.typename(tx)


@pytest.mark.parametrize("values", [[0.0], [2.5], 0, -1, [[True]], [False]])
def test_is_nonzero_matches_torch(values):
    x, tx = ad.tensor(values), torch.tensor(values)
    assert x.is_nonzero() == tx.is_nonzero() == ad.is_nonzero(x) == torch.is_nonzero(tx)


@pytest.mark.parametrize("shape, words", [((2,), "more than one value"), ((0,), "no values")])
def test_is_nonzero_refuses_several_or_no_values_as_torch(shape, words):
    with pytest.raises(RuntimeError, match=words):
        torch.zeros(shape).is_nonzero()
    with pytest.raises(RuntimeError, match=f"is_nonzero: Boolean value of Tensor with {words}"):
        ad.zeros(shape).is_nonzero()


def test_queries_of_tensors_refuse_other_objects_as_torch():
    for name in ("is_complex", "is_signed", "is_nonzero", "is_inference", "get_device"):
        with pytest.raises(TypeError, match="must be Tensor"):
            getattr(torch, name)([1.0])
        with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'input' must be Tensor"):
            getattr(ad, name)([1.0])


def test_same_size_inference_conj_neg_match_torch():
    x, tx = ad.zeros((2, 3)), torch.zeros(2, 3)
    for other, tother in ((ad.ones((2, 3)), torch.ones(2, 3)), (ad.ones(6), torch.ones(6))):
        assert x.is_same_size(other) == tx.is_same_size(tother)
        assert ad.is_same_size(x, other) == torch.is_same_size(tx, tother)
    for name in ("is_inference", "is_conj", "is_neg"):
        assert getattr(x, name)() is getattr(tx, name)() is False
        assert getattr(ad, name)(x) is getattr(torch, name)(tx) is False
    assert x.is_distributed() is tx.is_distributed() is False
    assert ad.is_storage(x) is torch.is_storage(tx) is False


def test_inference_mode_enabled_follows_the_block_as_torch():
    assert ad.is_inference_mode_enabled() is torch.is_inference_mode_enabled() is False
    with ad.inference_mode(), torch.inference_mode():
        assert ad.is_inference_mode_enabled() is torch.is_inference_mode_enabled() is True
        with ad.inference_mode(False), torch.inference_mode(False):
            assert ad.is_inference_mode_enabled() is torch.is_inference_mode_enabled()
        assert ad.is_inference_mode_enabled() is True
    assert ad.is_inference_mode_enabled() is False

    @ad.inference_mode()
    def inside():
        return ad.is_inference_mode_enabled(), ad.is_grad_enabled()

    assert inside() == (True, False) and ad.is_inference_mode_enabled() is False


# ----- memory: data_ptr, storage_offset, is_set_to, dim_order --------------------------
VIEWS = {
    "whole": lambda x: x,
    "rows": lambda x: x[1:],
    "entry_row": lambda x: x[1, 2:],
    "column": lambda x: x[:, 2],
    "step": lambda x: x[::2, 1::2],
    "transpose": lambda x: x.t(),
    "view": lambda x: x.view(4, 6),
    "select": lambda x: x.select(1, 3),
    "narrow": lambda x: x.narrow(1, 2, 3),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_data_ptr_and_storage_offset_of_views_match_torch(name):
    view = VIEWS[name]
    x, tx = ad.arange(24.0).reshape(4, 6), torch.arange(24.0, dtype=torch.float64).reshape(4, 6)
    ours, theirs = view(x), view(tx)
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.data_ptr() - x.data_ptr() == theirs.data_ptr() - tx.data_ptr()
    assert ours.stride() == theirs.stride()
    assert ours.dim_order() == theirs.dim_order()
    assert ours.is_set_to(view(x)) == theirs.is_set_to(view(tx)) is True
    assert x.is_set_to(ours) == tx.is_set_to(theirs)


def test_data_ptr_tells_shared_memory_as_torch():
    a = np.arange(6.0)
    x, tx = ad.from_numpy(a), torch.from_numpy(a)
    assert x.data_ptr() == tx.data_ptr() == a.ctypes.data
    assert x.clone().data_ptr() != x.data_ptr()
    assert x.const_data_ptr() == x.data_ptr()
    assert ad.zeros(3).storage_offset() == 0


def test_storage_is_refused_with_what_to_use():
    for name in ("untyped_storage", "storage"):
        with pytest.raises(NotImplementedError, match="data_ptr"):
            getattr(ad.zeros(2), name)()


# ----- H, mH, to_dense, conj_physical, resize_as, as_subclass ---------------------------
@pytest.mark.parametrize("shape", [(), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("attribute", ["H", "mH"])
def test_conjugate_transposes_match_torch(shape, attribute):
    array = RNG.normal(size=shape)
    x, tx = _pair(array, grad=True)
    try:
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            theirs = getattr(tx, attribute)
    except RuntimeError:
        with pytest.raises(RuntimeError, match=f"tensor.{attribute} is only supported"):
            getattr(x, attribute)
        return
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = getattr(x, attribute)
    assert [str(w.message).split(". ")[0] for w in ours_warned] == \
        [str(w.message).split(". ")[0] for w in theirs_warned]
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("attribute", ["H", "mH"])
def test_conjugate_transposes_refuse_a_vector_as_torch(attribute):
    with pytest.raises(RuntimeError, match=f"tensor.{attribute} is only supported"):
        getattr(torch.zeros(3), attribute)
    with pytest.raises(RuntimeError, match=f"tensor.{attribute} is only supported"):
        getattr(ad.zeros(3), attribute)


def test_conjugate_transposes_of_complex_matrices_match_torch():
    z = RNG.normal(size=(2, 3)) + 1j * RNG.normal(size=(2, 3))
    np.testing.assert_array_equal(ad.tensor(z).H.data, torch.tensor(z).H.resolve_conj().numpy())
    np.testing.assert_array_equal(ad.tensor(z).mH.data,
                                  torch.tensor(z).mH.resolve_conj().numpy())
    np.testing.assert_array_equal(ad.tensor(z).conj_physical().data,
                                  torch.conj_physical(torch.tensor(z)).numpy())


def test_to_dense_and_conj_physical_of_real_tensors_are_the_tensor():
    x, tx = ad.zeros(3), torch.zeros(3)
    assert x.to_dense() is x and tx.to_dense() is tx
    assert x.to_dense(ad.float32).dtype == np.float32
    assert ad.conj_physical(x).data_ptr() == x.data_ptr()
    assert torch.conj_physical(tx).data_ptr() == tx.data_ptr()


def test_resize_as_matches_torch_with_gradients():
    x, tx = _pair(A, grad=True)
    with pytest.warns(UserWarning):
        theirs = tx.resize_as(torch.zeros(4, 3))
    ours = x.resize_as(ad.zeros((4, 3)))
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    with pytest.raises(RuntimeError, match="requested resize to"):
        x.resize_as(ad.zeros(5))


def test_as_subclass_keeps_memory_and_history():
    class Mine(ad.Tensor):
        pass

    x = ad.tensor(A, requires_grad=True)
    mine = x.as_subclass(Mine)
    assert type(mine) is Mine and mine.data_ptr() == x.data_ptr() and mine.requires_grad
    (mine * mine).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * A)
    with pytest.raises(TypeError, match="subclass of ad.Tensor"):
        x.as_subclass(int)


def test_gpu_moves_are_refused_as_to_does():
    with pytest.raises(RuntimeError, match="no CUDA device"):
        ad.zeros(2).cuda()
    with pytest.raises(RuntimeError, match="no XPU device"):
        ad.zeros(2).xpu()


# ----- creation: asarray, frombuffer, empty_strided, tril/triu_indices, row_stack -----
def test_asarray_shares_memory_as_torch():
    a = np.arange(3.0)
    ours, theirs = ad.asarray(a), torch.asarray(a)
    assert ours.data_ptr() == theirs.data_ptr() == a.ctypes.data
    assert ours.dtype == np.float64 and theirs.dtype == torch.float64
    copied = ad.asarray(a, copy=True)
    assert copied.data_ptr() != a.ctypes.data
    assert ad.asarray(a, dtype=ad.float32).dtype == np.float32
    with pytest.raises(ValueError):
        torch.asarray(a, dtype=torch.float32, copy=False)
    with pytest.raises(ValueError, match="asarray: copy=False"):
        ad.asarray(a, dtype=ad.float32, copy=False)
    with pytest.raises(ValueError, match="alias"):
        torch.asarray([1.0, 2.0], copy=False)
    with pytest.raises(ValueError, match="asarray: can't alias a list"):
        ad.asarray([1.0, 2.0], copy=False)
    assert ad.asarray([1, 2]).dtype == np.int64 and torch.asarray([1, 2]).dtype == torch.int64


def test_asarray_of_a_tensor_as_torch():
    for requires_grad in (None, True, False):
        x, tx = ad.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
        kwargs = {} if requires_grad is None else {"requires_grad": requires_grad}
        ours = ad.asarray(x, **kwargs)
        with warnings.catch_warnings():     # (PyTorch's note on the changed default)
            warnings.simplefilter("ignore", UserWarning)
            theirs = torch.asarray(tx, **kwargs)
        assert ours is x and theirs is tx
        assert x.requires_grad == tx.requires_grad
    x, tx = ad.tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    for kwargs in ({"copy": True}, {"dtype": ad.float32}):
        tkwargs = {"copy": True} if "copy" in kwargs else {"dtype": torch.float32}
        ours, theirs = ad.asarray(x, **kwargs), torch.asarray(tx, **tkwargs)
        assert ours.data_ptr() != x.data_ptr() and ours.requires_grad and theirs.requires_grad
        ours.sum().backward()
        theirs.sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    with pytest.raises(ValueError, match="can't alias a tensor of dtype float64"):
        ad.asarray(x, dtype=ad.float32, copy=False)


def test_asarray_requires_grad_of_an_array_makes_a_leaf_over_it():
    a = np.arange(3.0)
    ours, theirs = ad.asarray(a, requires_grad=True), torch.asarray(a, requires_grad=True)
    assert ours.requires_grad and theirs.requires_grad and ours.is_leaf and theirs.is_leaf
    assert ours.data_ptr() == a.ctypes.data
    with pytest.raises(RuntimeError, match="floating point"):
        torch.asarray([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        ad.asarray([1, 2], requires_grad=True)


def test_frombuffer_matches_torch_and_shares_the_buffer():
    data = bytearray(np.arange(6, dtype=np.float32).tobytes())
    for kwargs in ({}, {"count": 2, "offset": 4}, {"offset": 8}):
        ours = ad.frombuffer(data, dtype=ad.float32, **kwargs)
        theirs = torch.frombuffer(data, dtype=torch.float32, **kwargs)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert ours.data_ptr() == theirs.data_ptr()
    ad.frombuffer(data, dtype=ad.float32)[0] = 9.0
    assert np.frombuffer(data, dtype=np.float32)[0] == 9.0
    bad = [({"dtype": ad.float64, "offset": 3}, {"dtype": torch.float64, "offset": 3},
            "multiple of element size"),
           ({"dtype": ad.float32, "count": 10}, {"dtype": torch.float32, "count": 10},
            "must not be greater than"),
           ({"dtype": ad.float32, "offset": 24}, {"dtype": torch.float32, "offset": 24},
            "offset")]
    for ours_kwargs, theirs_kwargs, words in bad:
        with pytest.raises(ValueError, match=words):
            torch.frombuffer(data, **theirs_kwargs)
        with pytest.raises(ValueError, match=f"frombuffer: .*{words}"):
            ad.frombuffer(data, **ours_kwargs)
    for buffer, count in ((bytearray(0), -1), (bytearray(8), 0)):
        with pytest.raises(ValueError, match="must not be 0"):
            torch.frombuffer(buffer, dtype=torch.float32, count=count)
        with pytest.raises(ValueError, match="frombuffer: both buffer length .* must not be 0"):
            ad.frombuffer(buffer, dtype=ad.float32, count=count)


@pytest.mark.parametrize("size, stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)),
                                          ((4,), (0,)), ((2, 0, 3), (3, 3, 1)), ((), ())])
def test_empty_strided_matches_torch_layout(size, stride):
    ours, theirs = ad.empty_strided(size, stride), torch.empty_strided(size, stride)
    assert ours.shape == tuple(theirs.shape) and ours.stride() == theirs.stride()
    assert ours.is_contiguous() == theirs.is_contiguous()
    new_ours = ad.zeros(1, dtype=ad.float32).new_empty_strided(size, stride)
    new_theirs = torch.zeros(1).new_empty_strided(size, stride)
    assert new_ours.dtype == np.float32 and new_theirs.dtype == torch.float32
    assert new_ours.stride() == new_theirs.stride()


def test_empty_strided_refuses_mismatched_ranks_as_torch():
    with pytest.raises(RuntimeError, match="dimensionality of sizes"):
        torch.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError, match=r"empty_strided: dimensionality of sizes \(2\)"):
        ad.empty_strided((2, 3), (1,))


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
@pytest.mark.parametrize("row, col, offset", [(3, 3, 0), (4, 3, -1), (3, 5, 2), (0, 0, 0),
                                              (3, 3, -5), (3, 3, 7), (1, 4, 0)])
def test_triangle_indices_match_torch(name, row, col, offset):
    ours, theirs = getattr(ad, name)(row, col, offset), getattr(torch, name)(row, col, offset)
    assert ours.dtype == np.int64 and theirs.dtype == torch.int64
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.shape == tuple(theirs.shape)


@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices_dtypes_and_errors_match_torch(name):
    assert getattr(ad, name)(3, 3, dtype=ad.int32).dtype == np.int32
    assert getattr(torch, name)(3, 3, dtype=torch.int32).dtype == torch.int32
    with pytest.raises(NotImplementedError):
        getattr(torch, name)(3, 3, dtype=torch.float32)
    with pytest.raises(NotImplementedError, match=f"{name}: not implemented for dtype float32"):
        getattr(ad, name)(3, 3, dtype=ad.float32)
    with pytest.raises(RuntimeError, match="row must be non-negative"):
        getattr(torch, name)(-1, 2)
    with pytest.raises(RuntimeError, match="row must be non-negative"):
        getattr(ad, name)(-1, 2)
    with pytest.raises(TypeError, match="must be int, not float"):
        getattr(ad, name)(3.0, 3)


def test_row_stack_matches_torch_with_gradients():
    x, tx = _pair(A[0], grad=True)
    y, ty = _pair(A[1:], grad=True)
    ours, theirs = ad.row_stack([x, y]), torch.row_stack([tx, ty])
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    _weighted_sum([ours], ad).backward()
    _weighted_sum([theirs], torch).backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(y.grad, ty.grad.numpy())


# ----- settings -------------------------------------------------------------------------
def test_default_device_is_the_cpu_as_torch():
    assert ad.get_default_device() == "cpu" and str(torch.get_default_device()) == "cpu"
    ad.set_default_device("cpu")
    ad.set_default_device(None)
    ad.set_default_device(torch.device("cpu"))
    with pytest.raises(ValueError, match="set_default_device: device 'cuda' is not available"):
        ad.set_default_device("cuda")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_switches_drive_detect_anomaly():
    assert ad.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
    assert ad.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled() is True
    ad.set_anomaly_enabled(True)
    try:
        assert ad.is_anomaly_enabled() and ad.autograd.is_anomaly_enabled()
        x = ad.tensor([-1.0], requires_grad=True)
        with pytest.raises(ad.AnomalyError):
            ad.sqrt(x)
    finally:
        ad.set_anomaly_enabled(False)
    assert not ad.is_anomaly_enabled()
    with ad.detect_anomaly():
        assert ad.is_anomaly_enabled()
    with pytest.raises(NotImplementedError, match="check_nan=False"):
        ad.set_anomaly_enabled(True, check_nan=False)
    assert not ad.is_anomaly_enabled()


def test_warn_always_interop_threads_and_denormals_settings():
    assert ad.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    ad.set_warn_always(True)
    try:
        assert ad.is_warn_always_enabled() is True
    finally:
        ad.set_warn_always(False)
    with pytest.raises(TypeError):
        ad.set_warn_always(1)
    before = ad.get_num_interop_threads()
    ad.set_num_interop_threads(3)
    assert ad.get_num_interop_threads() == 3
    ad.set_num_interop_threads(before)
    for bad in (0, -2, 1.5):
        with pytest.raises(RuntimeError, match="expects a positive integer"):
            ad.set_num_interop_threads(bad)
    with pytest.raises(RuntimeError, match="expects a positive integer"):
        torch.set_num_interop_threads(0)
    assert ad.set_flush_denormal(True) is False and ad.set_flush_denormal(False) is False


def test_typename_matches_torch_for_tensors_and_builtins():
    for values in ([1.0], [1], [True]):
        assert ad.typename(ad.tensor(values).float() if isinstance(values[0], float) else
                           ad.tensor(values)) == torch.typename(
            torch.tensor(values).float() if isinstance(values[0], float) else torch.tensor(values))
    for obj in (1.5, 3, None, "text", [1]):
        assert ad.typename(obj) == torch.typename(obj)
    assert ad.typename(ad.nn.Linear(1, 1)).endswith(".Linear")


def test_constants_match_torch():
    assert (ad.pi, ad.e, ad.inf) == (torch.pi, torch.e, torch.inf)
    assert np.isnan(ad.nan) and ad.newaxis is torch.newaxis is None
    assert ad.zeros(3)[ad.newaxis].shape == (1, 3)
