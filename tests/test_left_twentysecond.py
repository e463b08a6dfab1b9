"""Conventions settled against NumPy and PyTorch: ``outer`` of 2-D inputs, a layer fed a
wider float dtype than its parameters, integer overflow, ``proj_size`` of GRU and RNN,
indices among ties, ``gradient`` of 1-D samples."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

MATRIX = np.arange(4.0).reshape(2, 2)
VECTOR = np.array([1.0, 2.0])


# ----- outer ------------------------------------------------------------------------

def test_outer_as_a_method_refuses_2d_as_pytorch_and_numpy_spellings_flatten():
    with pytest.raises(ValueError, match=r"^outer: needs two 1-D tensors, got shapes "
                                         r"\(2, 2\) and \(2,\); flatten"):
        ad.tensor(MATRIX).outer(ad.tensor(VECTOR))
    expected = np.outer(MATRIX, VECTOR)
    assert np.array_equal(ad.outer(ad.tensor(MATRIX), ad.tensor(VECTOR)).data, expected)
    assert np.array_equal(np.outer(ad.tensor(MATRIX), ad.tensor(VECTOR)).data, expected)


def test_outer_as_a_method_agrees_with_pytorch_on_1d():
    torch = pytest.importorskip("torch")
    ours = ad.tensor(VECTOR).outer(ad.tensor(VECTOR + 1))
    theirs = torch.tensor(VECTOR).outer(torch.tensor(VECTOR + 1))
    assert np.array_equal(ours.data, theirs.numpy())
    with pytest.raises(RuntimeError):
        torch.tensor(MATRIX).outer(torch.tensor(VECTOR))


# ----- a layer fed a wider float dtype ---------------------------------------------

def _x(*shape, dtype=np.float64):
    return ad.tensor(np.random.default_rng(0).random(shape).astype(dtype))


LAYERS = {
    "Linear(3, 2)": (lambda: nn.Linear(3, 2), (4, 3)),
    "Conv1d(3, 2": (lambda: nn.Conv1d(3, 2, 2), (1, 3, 5)),
    "Conv2d(3, 2": (lambda: nn.Conv2d(3, 2, 2), (1, 3, 5, 5)),
    "Conv3d(3, 2": (lambda: nn.Conv3d(3, 2, 2), (1, 3, 4, 4, 4)),
    "ConvTranspose2d(3, 2": (lambda: nn.ConvTranspose2d(3, 2, 2), (1, 3, 4, 4)),
    "RNN(3, 2": (lambda: nn.RNN(3, 2), (4, 1, 3)),
    "LSTM(3, 2": (lambda: nn.LSTM(3, 2), (4, 1, 3)),
    "GRU(3, 2": (lambda: nn.GRU(3, 2), (4, 1, 3)),
    "LayerNorm(": (lambda: nn.LayerNorm(3), (4, 3)),
    "BatchNorm1d(3)": (lambda: nn.BatchNorm1d(3), (4, 3)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_a_float32_layer_fed_float64_refuses_naming_both_dtypes(name):
    make, shape = LAYERS[name]
    layer = make().float()
    with pytest.raises(TypeError) as caught:
        layer(_x(*shape))
    text = str(caught.value)
    assert text.startswith(name), text
    assert "float64" in text and "float32" in text
    assert "float32" in layer(_x(*shape, dtype=np.float32))[0].dtype.name


@pytest.mark.parametrize("name", ["Linear(3, 2)", "Conv1d(3, 2", "Conv2d(3, 2"])
def test_linear_and_convolutions_name_both_conversions(name):
    make, shape = LAYERS[name]
    with pytest.raises(TypeError, match=r"x\.float\(\).*model\.double\(\)"):
        make().float()(_x(*shape))


def test_functional_linear_and_conv_refuse_the_wider_input_too():
    weight = ad.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"^linear: the input is float64 but the layer's "
                                         r"parameters are float32"):
        nn.functional.linear(_x(4, 3), weight)
    kernel = ad.tensor(np.ones((2, 3, 2, 2), np.float32))
    with pytest.raises(TypeError, match="float64.*float32"):
        nn.functional.conv2d(_x(1, 3, 4, 4), kernel)


def test_a_float64_linear_fed_float32_keeps_numpys_promotion_to_its_dtype():
    out = nn.Linear(3, 2)(_x(4, 3, dtype=np.float32))
    assert out.dtype == np.float64


def test_numpy_functions_keep_promoting():
    weight = ad.tensor(np.ones((3, 2), np.float32))
    assert (_x(4, 3) @ weight).dtype == np.float64
    assert np.matmul(_x(4, 3), weight).dtype == np.float64


def test_pytorch_refuses_the_same_mix():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64))


# ----- integer overflow ------------------------------------------------------------

def test_uint8_addition_wraps_as_numpy_and_pytorch():
    torch = pytest.importorskip("torch")
    ours = ad.tensor([250], dtype=np.uint8) + 10
    assert ours.dtype == np.uint8
    assert ours.tolist() == (np.array([250], np.uint8) + 10).tolist() == \
        (torch.tensor([250], dtype=torch.uint8) + 10).tolist() == [4]


def test_a_python_int_out_of_an_int8_range_is_refused_as_numpy_refuses():
    with pytest.raises(OverflowError, match=r"^multiply: Python integer 1000 out of "
                                            r"bounds for int8 .*PyTorch wraps it around; "
                                            r"convert the tensor first \(t\.astype\(np\."
                                            r"int64\), t\.long\(\)\)"):
        ad.tensor([100], dtype=np.int8) * 1000
    with pytest.raises(OverflowError, match=r"t\.long\(\)"):
        ad.tensor([250], dtype=np.uint8).add(300)
    with pytest.raises(OverflowError):
        np.array([100], np.int8) * 1000
    wrapped = ad.tensor([100], dtype=np.int16) * 1000
    assert wrapped.dtype == np.int16
    assert wrapped.tolist() == (np.array([100], np.int16) * 1000).tolist() == [-31072]


def test_sum_of_uint8_is_int64_as_a_method_and_uint64_as_numpys_function():
    torch = pytest.importorskip("torch")
    values = ad.tensor([200, 200], dtype=np.uint8)
    theirs = torch.tensor([200, 200], dtype=torch.uint8).sum()
    assert values.sum().dtype == np.int64 and values.sum().item() == theirs.item() == 400
    assert np.sum(values).dtype == np.sum(np.array([200, 200], np.uint8)).dtype
    assert ad.sum(values).dtype == np.uint64


# ----- proj_size of GRU and RNN ----------------------------------------------------

@pytest.mark.parametrize("layer", ["GRU", "RNN"])
@pytest.mark.parametrize("value", [0, 1])
def test_proj_size_by_keyword_is_refused_for_gru_and_rnn(layer, value):
    with pytest.raises(ValueError, match=rf"^{layer}: proj_size argument is only supported "
                                         r"for LSTM, not RNN or GRU"):
        getattr(nn, layer)(3, 2, proj_size=value)


@pytest.mark.parametrize("layer", ["GRU", "RNN"])
def test_pytorch_refuses_proj_size_by_keyword_too(layer):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        getattr(torch.nn, layer)(3, 2, proj_size=0)


def test_proj_size_zero_by_position_is_taken_as_pytorch_takes_it():
    torch = pytest.importorskip("torch")
    args = (3, 2, 1, True, False, 0.0, False, 0)
    ours, theirs = nn.GRU(*args), torch.nn.GRU(*args)
    assert ours.proj_size == theirs.proj_size == 0
    assert nn.RNN(3, 2, 1, "tanh", True, False, 0.0, False, 0).proj_size == 0
    with pytest.raises(ValueError, match="proj_size"):
        nn.GRU(3, 2, 1, True, False, 0.0, False, 1)
    assert nn.LSTM(3, 2, proj_size=1).proj_size == 1
    with pytest.raises(TypeError, match="proj_size must be an int"):
        nn.LSTM(3, 2, proj_size=False)


# ----- indices among ties ----------------------------------------------------------

def _tied(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4, (3, int(rng.integers(2, 70)))).astype(float)


@pytest.mark.parametrize("seed", range(12))
def test_median_and_stable_sorts_give_pytorchs_indices_among_ties(seed):
    torch = pytest.importorskip("torch")
    values = _tied(seed)
    ours, theirs = ad.tensor(values), torch.tensor(values)
    for name in ("median", "nanmedian"):
        assert np.array_equal(getattr(ours, name)(1)[1].data,
                              getattr(theirs, name)(1)[1].numpy()), name
    for descending in (False, True):
        assert np.array_equal(
            ours.sort(dim=1, descending=descending, stable=True)[1].data,
            theirs.sort(dim=1, descending=descending, stable=True)[1].numpy())
        assert np.array_equal(
            ours.argsort(dim=1, descending=descending, stable=True).data,
            theirs.argsort(dim=1, descending=descending, stable=True).numpy())


@pytest.mark.parametrize("seed", range(12))
def test_topk_kthvalue_and_mode_give_the_documented_index_among_ties(seed):
    torch = pytest.importorskip("torch")
    values = _tied(seed)
    k = 1 + seed % values.shape[1]
    ours, theirs = ad.tensor(values), torch.tensor(values)
    order = np.argsort(values, axis=1, kind="stable")
    top, top_index = ours.topk(k, 1)
    assert np.array_equal(top.data, theirs.topk(k, 1)[0].numpy())
    # the first index in order among equal values: a stable sort of the negated values
    assert np.array_equal(top_index.data, np.argsort(-values, axis=1, kind="stable")[:, :k])
    kth, kth_index = ours.kthvalue(k, 1)
    assert np.array_equal(kth.data, theirs.kthvalue(k, 1)[0].numpy())
    assert np.array_equal(kth_index.data, order[:, k - 1])
    mode, mode_index = ours.mode(1)
    assert np.array_equal(mode.data, theirs.mode(1)[0].numpy())
    last = values.shape[1] - 1 - np.argmax((values == mode.data[:, None])[:, ::-1], axis=1)
    assert np.array_equal(mode_index.data, last)


def test_a_tied_topk_gradient_goes_to_the_returned_indices():
    values = ad.tensor([[3.0, 1.0, 3.0, 2.0, 3.0]], requires_grad=True)
    top, index = values.topk(2)
    (top * ad.tensor([[10.0, 1.0]])).sum().backward()
    assert index.tolist() == [[0, 2]]
    assert values.grad.tolist() == [[10.0, 0.0, 1.0, 0.0, 0.0]]


# ----- gradient of 1-D samples -----------------------------------------------------

SAMPLES = np.array([1.0, 4.0, 9.0, 16.0])


def test_gradient_of_1d_is_numpys_array_without_pytorchs_keywords():
    expected = np.gradient(SAMPLES)
    for result in (ad.gradient(ad.tensor(SAMPLES)), np.gradient(ad.tensor(SAMPLES)),
                   ad.gradient(ad.tensor(SAMPLES), 1.0)):
        assert isinstance(result, ad.Tensor)
        assert np.array_equal(result.data, expected)


def test_gradient_of_1d_in_pytorchs_spelling_is_a_tuple_as_pytorchs():
    torch = pytest.importorskip("torch")
    for keywords in ({"spacing": 2.0}, {"dim": 0}, {"spacing": 2.0, "dim": -1}):
        ours = ad.gradient(ad.tensor(SAMPLES), **keywords)
        theirs = torch.gradient(torch.tensor(SAMPLES), **keywords)
        assert isinstance(ours, tuple) and len(ours) == len(theirs) == 1
        assert np.allclose(ours[0].data, theirs[0].numpy(), rtol=0, atol=1e-15)


def test_nothing_here_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ad.gradient(ad.tensor(SAMPLES))
        ad.tensor(VECTOR).outer(ad.tensor(VECTOR))
