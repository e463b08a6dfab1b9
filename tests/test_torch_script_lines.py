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
