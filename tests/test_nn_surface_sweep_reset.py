"""``reset_parameters()`` on the layers PyTorch gives one: present wherever PyTorch has
it, drawing from the same distribution's bounds as PyTorch (compared by range, not by
values), in place, and a no-op on a lazy layer before its first call."""

import inspect
import math
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn

torch = pytest.importorskip("torch")


def test_every_layer_with_a_torch_reset_parameters_has_one():
    lacking = [name for name in dir(torch.nn)
               if inspect.isclass(getattr(torch.nn, name))
               and issubclass(getattr(torch.nn, name), torch.nn.Module)
               and hasattr(getattr(torch.nn, name), "reset_parameters")
               and not hasattr(getattr(nn, name), "reset_parameters")]
    assert lacking == []


# (name, arguments, bound of every parameter: None for constants checked elsewhere)
UNIFORM = [
    ("Linear", (40, 30), 1 / math.sqrt(40)),
    ("Conv1d", (6, 8, 5), 1 / math.sqrt(6 * 5)),
    ("Conv2d", (4, 8, 3), 1 / math.sqrt(4 * 9)),
    ("ConvTranspose2d", (4, 6, 3), 1 / math.sqrt(6 * 9)),
    ("Bilinear", (9, 5, 7), 1 / math.sqrt(9)),
    ("LSTM", (5, 16), 1 / 4.0), ("GRU", (5, 16), 1 / 4.0),
    ("RNNCell", (5, 25), 1 / 5.0), ("LSTMCell", (5, 25), 1 / 5.0),
]


@pytest.mark.parametrize("name, args, bound", UNIFORM, ids=[c[0] for c in UNIFORM])
def test_uniform_layers_redraw_within_pytorchs_bound_in_place(name, args, bound):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args).double()
    theirs.reset_parameters()
    ours = getattr(nn, name)(*args, rng=0)
    before = {key: (param, param.data.copy()) for key, param in ours.named_parameters()}
    ours.reset_parameters(rng=1)
    for key, value in theirs.named_parameters():
        assert np.abs(value.detach().numpy()).max() <= bound
        param, old = before[key]
        new = dict(ours.named_parameters())[key]
        assert new is param                             # in place: an optimizer keeps it
        assert np.abs(new.data).max() <= bound
        assert np.abs(new.data).max() > 0.5 * bound     # drawn over the range, not shrunk
        assert not np.array_equal(new.data, old)


def test_reset_draws_from_the_manual_seed_generator_by_default():
    layer = nn.Linear(3, 2)
    nn.manual_seed(7)
    layer.reset_parameters()
    first = layer.weight.data.copy()
    nn.manual_seed(7)
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.data, first)


@pytest.mark.parametrize("name, args", [
    ("LayerNorm", (4,)), ("GroupNorm", (2, 4)), ("RMSNorm", (4,)), ("PReLU", (4, 0.3)),
])
def test_constant_initialised_layers_go_back_to_pytorchs_values(name, args):
    ours = getattr(nn, name)(*args)
    theirs = getattr(torch.nn, name)(*args).double()
    for param in ours.parameters():
        param.data[...] = 5.0
    ours.reset_parameters()
    theirs.reset_parameters()
    for (key, value), (their_key, their_value) in zip(ours.named_parameters(),
                                                      theirs.named_parameters()):
        assert key == their_key
        np.testing.assert_array_equal(value.data, their_value.detach().numpy())


@pytest.mark.parametrize("name", ["Embedding", "EmbeddingBag"])
def test_embeddings_redraw_normal_and_zero_the_padding_row(name):
    layer = getattr(nn, name)(400, 50, padding_idx=3)
    weight = layer.weight
    layer.reset_parameters(rng=2)
    assert layer.weight is weight
    np.testing.assert_array_equal(weight.data[3], 0)
    rest = np.delete(weight.data, 3, axis=0)
    assert abs(rest.mean()) < 0.05 and abs(rest.std() - 1) < 0.05   # 19950 N(0, 1) draws


def test_an_embedding_built_with_std_keeps_it():
    layer = nn.Embedding(400, 50, std=0.01, rng=0)
    layer.reset_parameters(rng=1)
    assert abs(layer.weight.data.std() - 0.01) < 0.001


def test_adaptive_log_softmax_resets_its_linear_layers():
    # It called Linear.reset_parameters, which did not exist: an AttributeError.
    layer = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4], div_value=2.0)
    head = layer.head.weight.data.copy()
    layer.reset_parameters()
    assert not np.array_equal(layer.head.weight.data, head)


@pytest.mark.parametrize("make", [
    lambda: nn.LazyLinear(3), lambda: nn.LazyConv2d(3, 3),
    lambda: nn.LazyConvTranspose1d(2, 2), lambda: nn.LazyBatchNorm1d(),
])
def test_a_lazy_layer_before_its_first_call_resets_to_nothing(make):
    layer = make()
    layer.reset_parameters()                      # PyTorch's: a no-op
    assert layer.has_uninitialized_params()


def test_a_lazy_linear_after_its_first_call_resets_as_a_linear():
    layer = nn.LazyLinear(3)
    layer(ad.tensor(np.ones((2, 4))))
    weight = layer.weight.data.copy()
    layer.reset_parameters()
    assert not np.array_equal(layer.weight.data, weight)
    assert np.abs(layer.weight.data).max() <= 0.5


def test_a_parametrized_weight_is_refused_with_what_to_do():
    layer = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    with pytest.raises(TypeError, match="Linear.reset_parameters: weight is parametrized"):
        layer.reset_parameters()


def test_training_continues_on_the_reset_arrays():
    layer = nn.Linear(3, 1, rng=0)
    opt = ad.optim.SGD(layer.parameters(), lr=0.1)
    layer.reset_parameters(rng=1)
    reset = layer.weight.data.copy()
    layer(ad.tensor(np.ones((2, 3)))).sum().backward()
    opt.step()
    np.testing.assert_allclose(layer.weight.data, reset - 0.1 * 2.0)


@pytest.mark.parametrize("name, args, kwargs", [
    ("MultiheadAttention", (64, 4), {"add_bias_kv": True}),
    ("TransformerEncoderLayer", (64, 4, 128), {}), ("Transformer", (64, 4, 1, 1, 128), {}),
])
def test_attention_and_transformer_start_from_pytorchs_distributions(name, args, kwargs):
    # Xavier-uniform projections, zero projection biases, PyTorch's Linear defaults
    # elsewhere: compared by spread (a parameter of n draws: the standard deviation's
    # estimate is within a few 1/sqrt(n) of the true one), not by values.
    torch.manual_seed(0)
    nn.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = dict(getattr(torch.nn, name)(*args, **kwargs).named_parameters())
    ours = dict(getattr(nn, name)(*args, **kwargs).named_parameters())
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        their_values, our_values = value.detach().numpy(), ours[key].data
        if their_values.std() == 0:                 # (zeros, ones: the same constant)
            np.testing.assert_array_equal(our_values, their_values, err_msg=key)
            continue
        slack = 6 / math.sqrt(their_values.size)
        assert abs(our_values.std() / their_values.std() - 1) < slack, key
