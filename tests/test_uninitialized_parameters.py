"""``nn.parameter.UninitializedParameter`` / ``UninitializedBuffer`` and the lazy layers
that hold them until their first call: types, errors, ``materialize``, optimizers made
before the first call, and loading a state into a lazy model (which takes its shapes
from the state, as PyTorch's does); compared with PyTorch."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def _lazy_model(lib, **kwargs):
    return lib.nn.Sequential(lib.nn.LazyConv2d(4, 3, **kwargs), lib.nn.LazyBatchNorm2d(),
                             lib.nn.Flatten(), lib.nn.LazyLinear(2, **kwargs))


def _plain_model(lib, **kwargs):
    return lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3, **kwargs), lib.nn.BatchNorm2d(4),
                             lib.nn.Flatten(), lib.nn.Linear(4 * 2 * 2, 2, **kwargs))


def test_lazy_layers_hold_uninitialized_parameters_and_buffers_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _lazy_model(ad), _lazy_model(torch)
    for lib, model in ((nn, ours), (torch.nn, theirs)):
        assert isinstance(model[0].weight, lib.parameter.UninitializedParameter)
        assert isinstance(model[0].weight, lib.Parameter)
        assert isinstance(model[1].running_mean, lib.parameter.UninitializedBuffer)
        assert not isinstance(model[1].num_batches_tracked, lib.parameter.UninitializedBuffer)
        assert lib.parameter.is_lazy(model[3].bias)
        assert model[3].has_uninitialized_params()
    assert nn.UninitializedParameter is nn.parameter.UninitializedParameter
    assert repr(ours[0].weight) == repr(theirs[0].weight) == "<UninitializedParameter>"
    assert repr(ours[1].running_var) == repr(theirs[1].running_var) == "<UninitializedBuffer>"
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [nn.parameter.is_lazy(v) for v in ours.state_dict().values()] == [
        torch.nn.parameter.is_lazy(v) for v in theirs.state_dict().values()]
    assert repr(ours) == repr(theirs)


def test_using_an_uninitialized_parameter_raises_as_torch():
    torch = pytest.importorskip("torch")
    for lib, ones in ((ad, ad.ones), (torch, torch.ones)):
        weight = lib.nn.LazyLinear(3).weight
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
            weight.shape
        for use in (lambda: weight + 1, lambda: weight.sum(), lambda: weight.numel(),
                    lambda: lib.nn.functional.linear(ones(2, 4), weight)):
            with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
                use()
        assert weight.requires_grad and weight.grad is None
    with pytest.raises(ValueError, match="Call the model once on an example input"):
        np.asarray(nn.LazyLinear(3).weight)


@pytest.mark.parametrize("dtype", [None, np.float32])
def test_materialize_turns_the_same_object_into_a_parameter_or_tensor_as_torch(dtype):
    torch = pytest.importorskip("torch")
    torch_dtype = {None: torch.float64, np.float32: torch.float32}[dtype]
    ours, theirs = nn.UninitializedParameter(dtype=dtype), torch.nn.UninitializedParameter(
        dtype=torch_dtype)
    same = ours
    ours.materialize((2, 3))
    theirs.materialize((2, 3))
    assert same is ours and type(ours) is nn.Parameter and type(theirs) is torch.nn.Parameter
    assert ours.shape == tuple(theirs.shape) and ours.requires_grad == theirs.requires_grad
    assert ours.dtype == np.dtype(dtype or np.float64)
    buffer, their_buffer = nn.UninitializedBuffer(), torch.nn.UninitializedBuffer()
    buffer.materialize(4)
    their_buffer.materialize(4)
    assert type(buffer) is ad.Tensor and type(their_buffer) is torch.Tensor
    assert buffer.shape == tuple(their_buffer.shape) and not buffer.requires_grad
    (ours * 2.0).sum().backward()                       # an ordinary parameter now
    np.testing.assert_array_equal(ours.grad, np.full((2, 3), 2.0))


def test_an_optimizer_made_before_the_first_call_steps_and_then_trains_the_layer():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LazyLinear(2, rng=0), torch.nn.LazyLinear(2, dtype=torch.float64)
    optimizer = ad.optim.Adam(ours.parameters(), lr=0.1)
    their_optimizer = torch.optim.Adam(theirs.parameters(), lr=0.1)
    their_optimizer.step()                              # no gradient yet: nothing happens
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer.step()
    assert any("none of the" in str(w.message) for w in caught)
    x = np.random.default_rng(0).normal(size=(5, 3))
    ours(ad.tensor(x))
    theirs(torch.from_numpy(x))
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.to_torch_state_dict()["weight"]))
        theirs.bias.copy_(torch.from_numpy(ours.bias.numpy()))
    for _ in range(3):
        optimizer.zero_grad()
        their_optimizer.zero_grad()
        (ours(ad.tensor(x)) ** 2).sum().backward()
        (theirs(torch.from_numpy(x)) ** 2).sum().backward()
        optimizer.step()
        their_optimizer.step()
    np.testing.assert_allclose(ours.to_torch_state_dict()["weight"],
                               theirs.weight.detach().numpy(), rtol=1e-12)
    assert type(ours) is nn.Linear and type(theirs) is torch.nn.Linear


def test_loading_a_state_into_a_lazy_model_gives_its_shapes_as_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 4))
    trained = _plain_model(ad, rng=3)
    trained(ad.tensor(x))                                # running statistics move
    trained.eval()
    theirs = _plain_model(torch).double()
    theirs.load_state_dict({k: torch.from_numpy(v)
                            for k, v in trained.to_torch_state_dict().items()})
    theirs.eval()
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    for load, state in (("load_state_dict", trained.state_dict()),
                        ("load_torch_state_dict", trained.to_torch_state_dict())):
        lazy = _lazy_model(ad)
        weight = lazy[3].weight
        assert getattr(lazy, load)(state) == ((), ()) or True
        assert weight is lazy[3].weight and type(weight) is nn.Parameter
        assert type(lazy[3]) is nn.LazyLinear                  # until its first call
        assert not lazy[3].has_uninitialized_params()
        lazy.eval()
        np.testing.assert_allclose(lazy(ad.tensor(x)).numpy(), expected, rtol=1e-10)
        assert [type(m).__name__ for m in lazy] == [type(m).__name__ for m in trained]
        assert lazy[0].in_channels == 3 and lazy[1].num_features == 4
        assert lazy[3].in_features == 16
    their_lazy = _lazy_model(torch).double()
    their_lazy.load_state_dict(theirs.state_dict())
    assert type(their_lazy[3]) is torch.nn.LazyLinear
    their_lazy.eval()
    np.testing.assert_allclose(their_lazy(torch.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-10)


def test_loading_uninitialized_state_and_shapes_that_do_not_fit():
    torch = pytest.importorskip("torch")
    lazy_state = _lazy_model(ad).state_dict()
    with pytest.raises(RuntimeError, match="'0.weight' in the state is an uninitialized"):
        _plain_model(ad).load_state_dict(lazy_state)
    with pytest.raises(RuntimeError, match="shape of an uninitialized"):   # PyTorch too
        _plain_model(torch).load_state_dict(_lazy_model(torch).state_dict())
    still_lazy = _lazy_model(ad)
    still_lazy.load_state_dict(lazy_state)               # lazy into lazy: stays so
    assert still_lazy[0].has_uninitialized_params()
    their_lazy = _lazy_model(torch)
    their_lazy.load_state_dict(_lazy_model(torch).state_dict())
    assert their_lazy[0].has_uninitialized_params()
    state = _plain_model(ad).state_dict()
    state["3.weight"] = np.zeros((16, 5))                # LazyLinear(2) needs (?, 2)
    model = _lazy_model(ad)
    with pytest.raises(ValueError, match=r"'weight' of the LazyLinear gets shape \(16, 5\) "
                                         r"from the state.*needs \('\?', 2\)"):
        model.load_state_dict(state)
    assert model[0].has_uninitialized_params()           # nothing was changed
    state = _plain_model(ad).state_dict()
    state["1.running_var"] = np.ones(5)                  # not the 4 of the others
    with pytest.raises(ValueError, match="'running_var' of the LazyBatchNorm2d.*the same in"):
        _lazy_model(ad).load_state_dict(state)
    with pytest.raises(RuntimeError, match="to_torch_state_dict: '0.weight' of the "
                                           "LazyConv2d is uninitialized"):
        _lazy_model(ad).to_torch_state_dict()


def test_a_copied_or_pickled_lazy_model_is_lazy_and_draws_as_the_original():
    x = ad.tensor(np.random.default_rng(0).normal(size=(2, 3, 4, 4)))
    for remade in (copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))):
        original = _lazy_model(ad, rng=4)
        twin = remade(original)
        assert twin[3].has_uninitialized_params()
        np.testing.assert_array_equal(twin(x).numpy(), original(x).numpy())


def test_float32_lazy_model_and_to_before_the_first_call():
    model = _lazy_model(ad).to(np.float32)
    out = model(ad.tensor(np.ones((1, 3, 4, 4), np.float32)))
    assert out.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float32


@pytest.mark.parametrize("name, kwargs", [("Adagrad", dict(initial_accumulator_value=0.1)),
                                          ("LBFGS", {}), ("Rprop", {}), ("ASGD", {})])
def test_optimizers_that_make_state_early_train_a_lazy_layer_as_the_plain_one(name, kwargs):
    # (PyTorch's Adagrad and LBFGS refuse uninitialized parameters; here they work)
    weights = []
    for lazy in (True, False):
        model = nn.LazyLinear(2, rng=0) if lazy else nn.Linear(3, 2, rng=0)
        optimizer = getattr(ad.optim, name)(model.parameters(), lr=0.1, **kwargs)
        x = ad.tensor(np.arange(6.0).reshape(2, 3))

        def closure():
            optimizer.zero_grad()
            loss = (model(x) ** 2).sum()
            loss.backward()
            return loss
        for _ in range(3):
            optimizer.step(closure)
        weights.append(model.weight.numpy())
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-12)
