"""Single lines of PyTorch tutorial scripts that failed with ``ad`` for ``torch``: the
dtype names (``torch.long``, ``torch.bool`` ...), ``torch.autograd.Function``,
``torch.triu(x, diagonal=1)``, ``StepLR(optimizer, 1.0)`` and tying a decoder's
weight to an embedding's (refused, naming the spelling that works)."""

import numpy as np
import pytest

import autodiff as ad

TORCH_DTYPE_NAMES = ["float", "double", "half", "long", "int", "short", "bool", "complex64",
                     "complex128", "cfloat", "cdouble"]


@pytest.mark.parametrize("name", TORCH_DTYPE_NAMES)
def test_torch_dtype_names_make_tensors_of_that_dtype(name):
    dtype = getattr(ad, name)
    made = ad.zeros(2, dtype=dtype)
    assert made.dtype == np.dtype(dtype)
    assert ad.tensor([1, 0]).to(dtype).dtype == np.dtype(dtype)


def test_torch_dtype_names_match_torch():
    torch = pytest.importorskip("torch")
    for name in TORCH_DTYPE_NAMES:
        theirs = torch.zeros(1, dtype=getattr(torch, name)).numpy().dtype
        assert np.dtype(getattr(ad, name)) == theirs, name


def test_star_import_does_not_shadow_builtins():
    namespace = {}
    exec("from autodiff import *", namespace)
    for name in ("bool", "int", "float"):
        assert name not in namespace
    assert isinstance(ad.float, type) and ad.float is np.float32   # torch.float is float32


def test_autograd_function_is_the_function_base():
    assert ad.autograd.Function is ad.Function

    class Cube(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * grad

    x = ad.tensor([1.0, -2.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])


@pytest.mark.parametrize("name", ["triu", "tril"])
def test_triu_and_tril_take_torchs_diagonal(name):
    data = np.arange(16.0).reshape(4, 4)
    function = getattr(ad, name)
    for offset in (-1, 0, 2):
        expected = getattr(np, name)(data, offset)
        np.testing.assert_array_equal(function(ad.tensor(data), diagonal=offset).numpy(),
                                      expected)
        np.testing.assert_array_equal(function(ad.tensor(data), offset).numpy(), expected)
    x = ad.tensor(data, requires_grad=True)
    function(x, diagonal=1).sum().backward()
    np.testing.assert_array_equal(x.grad, getattr(np, name)(np.ones((4, 4)), 1))
    with pytest.raises(TypeError, match=f"{name}: got k=1 and diagonal=2"):
        function(x, 1, diagonal=2)


def test_triu_diagonal_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).normal(size=(2, 3, 5))
    for name in ("triu", "tril"):
        for offset in (-2, 1):
            np.testing.assert_array_equal(
                getattr(ad, name)(ad.tensor(data), diagonal=offset).numpy(),
                getattr(torch, name)(torch.from_numpy(data), diagonal=offset).numpy())


def _lrs(scheduler, optimizer, steps):
    seen = []
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        seen.append(optimizer.param_groups[0]["lr"])
    return seen


def test_step_lr_takes_a_whole_float_step_size():
    def run(step_size):
        weight = ad.nn.Parameter(np.zeros(1))
        weight.grad = np.zeros(1)
        opt = ad.optim.SGD([weight], lr=1.0)
        return _lrs(ad.optim.lr_scheduler.StepLR(opt, step_size, gamma=0.5), opt, 5)
    assert run(2.0) == run(2) == [1.0, 0.5, 0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match="StepLR: step_size must be an int > 0, got 1.5"):
        run(1.5)


def test_tying_a_linear_to_an_embedding_by_assignment_is_refused_with_the_way_out():
    encoder, decoder = ad.nn.Embedding(9, 6), ad.nn.Linear(6, 9)
    with pytest.raises(ValueError, match=r"Linear\(6, 9\): the assigned weight has shape "
                                         r"\(9, 6\).*F.linear\(x, embedding.weight, bias\)"):
        decoder.weight = encoder.weight
    assert decoder.weight.shape == (6, 9)             # unchanged
    decoder.weight = ad.nn.Parameter(np.ones((6, 9)))  # its own layout is taken
    square = ad.nn.Linear(4, 4)
    square.weight = ad.nn.Parameter(np.ones((4, 4)))   # (cannot tell the layouts apart)
    assert square(np.ones((1, 4))).shape == (1, 4)


def test_utils_data_is_the_data_module():
    from autodiff.utils.data import DataLoader, Dataset
    import autodiff.utils.data
    assert autodiff.utils.data is ad.data and ad.utils.data is ad.data
    assert DataLoader is ad.data.DataLoader and Dataset is ad.data.Dataset


def test_default_dtype_is_float64_and_only_that_can_be_set():
    assert ad.get_default_dtype() is ad.float64 and ad.ones(1).dtype == ad.get_default_dtype()
    ad.set_default_dtype(ad.float64)
    ad.set_default_dtype(ad.double)
    with pytest.raises(ValueError, match="set_default_dtype: the default floating-point dtype "
                                         "here is float64 and cannot be changed"):
        ad.set_default_dtype(ad.float32)
    assert ad.ones(1).dtype == np.float64


class _ImagesAndLabels(ad.data.Dataset):
    """A torchvision-style data set: a tensor image and a Python number label."""

    def __init__(self, label_of):
        self.label_of = label_of

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return ad.full((2, 2), float(i)), self.label_of(i)


@pytest.mark.parametrize("label_of, dtype", [(int, np.int64), (float, np.float64),
                                             (lambda i: i % 2 == 0, np.bool_)])
def test_python_number_fields_collate_to_a_tensor(label_of, dtype):
    images, labels = next(iter(ad.data.DataLoader(_ImagesAndLabels(label_of), batch_size=3)))
    assert isinstance(labels, ad.Tensor) and labels.dtype == dtype
    np.testing.assert_array_equal(labels.numpy(), [label_of(i) for i in range(3)])
    assert images.shape == (3, 2, 2) and labels.to("cpu").shape == (3,)
    arrays = ad.data.DataLoader(ad.data.TensorDataset(np.arange(4.0), np.arange(4)),
                                batch_size=2)
    assert all(isinstance(f, np.ndarray) for batch in arrays for f in batch)   # NumPy's stay


def test_python_number_collation_matches_torch():
    torch = pytest.importorskip("torch")
    for numbers in ([1, 2], [1.0, 2], [True, False], [1, True], [2.5, 1]):
        theirs = torch.utils.data.default_collate(numbers)
        ours = ad.data.default_collate(numbers)
        assert ours.dtype == theirs.numpy().dtype, numbers
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_nn_utils_rnn_imports_by_pytorchs_path():
    from autodiff.nn.utils.rnn import pad_sequence
    assert pad_sequence is ad.nn.utils.rnn.pad_sequence
    assert pad_sequence([ad.ones(3), ad.ones(1)], batch_first=True).shape == (2, 3)


@pytest.mark.parametrize("name", ["pack_padded_sequence", "pad_packed_sequence",
                                  "pack_sequence", "unpack_sequence", "unpad_sequence",
                                  "PackedSequence"])
def test_packed_sequence_names_import_by_pytorchs_path(name):
    namespace = {}
    exec(f"from autodiff.nn.utils.rnn import {name}", namespace)
    assert namespace[name] is getattr(ad.nn.utils.rnn, name)
    with pytest.raises(AttributeError, match="has no attribute 'pack_everything'"):
        ad.nn.utils.rnn.pack_everything


def test_padded_lstm_outputs_match_torchs_packed_run_up_to_each_length():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    lengths = [5, 2, 3]
    sequences = [rng.normal(size=(n, 3)) for n in lengths]
    theirs = torch.nn.LSTM(3, 4, batch_first=True).double()
    ours = ad.nn.LSTM(3, 4, batch_first=True)
    ours.load_torch_state_dict(theirs.state_dict())
    padded = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(s) for s in sequences],
                                             batch_first=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(padded, torch.tensor(lengths),
                                                     batch_first=True, enforce_sorted=False)
    packed_out, (h_n, _) = theirs(packed)
    expected, _ = torch.nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True)
    out, _ = ours(ad.nn.utils.rnn.pad_sequence([ad.tensor(s) for s in sequences],
                                               batch_first=True))
    for k, n in enumerate(lengths):
        np.testing.assert_allclose(out.numpy()[k, :n], expected.detach().numpy()[k, :n],
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(out.numpy()[k, n - 1], h_n.detach().numpy()[0, k],
                                   rtol=1e-12, atol=1e-12)      # the last valid output


def test_cosine_annealing_takes_a_whole_float_t_max():
    def run(t_max):
        weight = ad.nn.Parameter(np.zeros(1))
        weight.grad = np.zeros(1)
        opt = ad.optim.SGD([weight], lr=1.0)
        return _lrs(ad.optim.lr_scheduler.CosineAnnealingLR(opt, t_max), opt, 4)
    assert run(4.0) == run(4)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be an int > 0"):
        run(2.5)
