"""``Tensor.share_memory_`` / ``is_shared`` and ``Module.share_memory``: the values move
into memory shared with forked processes and stay usable and equal; compared with
PyTorch, and checked across a real fork."""

from __future__ import annotations

import multiprocessing
import pickle
import sys
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def test_tensor_share_memory_keeps_the_tensor_and_its_values_as_torch():
    torch = pytest.importorskip("torch")
    values = np.arange(6.0).reshape(2, 3).astype(np.float32)
    ours, theirs = ad.tensor(values.copy()), torch.tensor(values.copy())
    assert ours.is_shared() is theirs.is_shared() is False
    assert ours.share_memory_() is ours and theirs.share_memory_() is theirs
    assert ours.is_shared() is theirs.is_shared() is True
    assert ours[1:].is_shared() is theirs[1:].is_shared() is True     # views share too
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.share_memory_() is ours                                 # already shared
    ours[0, 0] = 10.0
    assert ours[0, 0].item() == 10.0


def test_gradients_flow_through_a_shared_leaf():
    w = ad.tensor([1.0, -2.0], requires_grad=True).share_memory_()
    (w ** 3).sum().backward()
    np.testing.assert_allclose(w.grad, 3 * np.array([1.0, 4.0]))


def _model_and_batch(lib):
    torch_like = lib is not ad
    gen = np.random.default_rng(0)
    x = gen.normal(size=(4, 3))
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
    if torch_like:
        model = model.double()
    return model, x


def test_module_share_memory_returns_self_and_keeps_parameters_and_buffers_as_torch():
    torch = pytest.importorskip("torch")
    ours, x = _model_and_batch(ad)
    theirs, _ = _model_and_batch(torch)
    theirs.load_state_dict({k: torch.from_numpy(np.asarray(v))
                            for k, v in ours.to_torch_state_dict().items()})
    weight = ours[0].weight
    (ours(ad.tensor(x)) ** 2).sum().backward()
    (theirs(torch.from_numpy(x)) ** 2).sum().backward()
    before = {k: np.array(v) for k, v in ours.state_dict().items()}
    assert ours.share_memory() is ours and theirs.share_memory() is theirs
    assert ours[0].weight is weight                          # the same Parameter object
    assert all(p.is_shared() for p in ours.parameters())
    assert all(p.is_shared() for p in theirs.parameters())
    assert sorted(ours.state_dict()) == sorted(before)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    rm = ours[1].running_mean
    assert rm.is_shared() and all(b.is_shared() for b in ours.buffers())
    assert theirs[1].running_mean.is_shared()
    assert ad.tensor(weight.grad).is_shared()              # the gradient moved too
    optimizer = ad.optim.SGD(ours.parameters(), lr=0.1)
    optimizer.step()
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    out = ours(ad.tensor(x))
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.to_torch_state_dict()[key], value.numpy(), rtol=1e-10,
                                   atol=1e-14, err_msg=key)
    assert all(p.is_shared() for p in ours.parameters())     # in place: still shared


def _step_in_a_worker(model, x):
    optimizer = ad.optim.SGD(model.parameters(), lr=0.5)
    (model(ad.tensor(x)) ** 2).sum().backward()
    optimizer.step()


@pytest.mark.skipif(sys.platform == "win32" or "fork" not in
                    multiprocessing.get_all_start_methods(), reason="needs the fork start method")
def test_a_forked_worker_updates_the_parents_shared_module():
    model, x = nn.Linear(3, 2, rng=0), np.random.default_rng(1).normal(size=(5, 3))
    twin = nn.Linear(3, 2, rng=0)
    _step_in_a_worker(twin, x)                               # what the step gives here
    model.share_memory()
    start = model.weight.numpy().copy()
    worker = multiprocessing.get_context("fork").Process(target=_step_in_a_worker,
                                                          args=(model, x))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    assert not np.array_equal(model.weight.numpy(), start)
    np.testing.assert_allclose(model.weight.numpy(), twin.weight.numpy(), rtol=1e-12)
    np.testing.assert_allclose(model.bias.numpy(), twin.bias.numpy(), rtol=1e-12)
    unshared = nn.Linear(3, 2, rng=0)                        # without share_memory
    worker = multiprocessing.get_context("fork").Process(target=_step_in_a_worker,
                                                          args=(unshared, x))
    worker.start()
    worker.join(60)
    np.testing.assert_array_equal(unshared.weight.numpy(), start)


def test_sending_a_shared_tensor_by_pickling_is_refused_but_saving_it_works():
    model = nn.Linear(2, 2, rng=0).share_memory()
    with pytest.raises(RuntimeError, match="Parameter of shape \\(2, 2\\) in shared memory "
                                           ".*would arrive as a copy"):
        ForkingPickler.dumps(model)
    with pytest.raises(RuntimeError, match="Tensor of shape \\(3,\\) in shared memory"):
        ForkingPickler.dumps(ad.zeros(3).share_memory_())
    ForkingPickler.dumps(ad.zeros(3))                         # not shared: sent as ever
    restored = pickle.loads(pickle.dumps(model))             # a file: a copy, as intended
    np.testing.assert_array_equal(restored.weight.numpy(), model.weight.numpy())


def test_share_memory_is_refused_inside_a_compiled_function():
    model = nn.Linear(2, 2, rng=0)

    @ad.compile
    def run(x):
        model.share_memory()
        return model(x).sum()

    with pytest.raises(Exception, match="share_memory"):
        run(np.ones((1, 2)))
