"""Arrays stored into a Tensor from outside are plain ndarrays: a ``state_dict``'s
values are ``StateArray`` (an ndarray subclass with PyTorch's copy methods), and
``p.data = sd["weight"]`` put the subclass itself into the parameter (right values,
but the kernels' fast paths, which test for an exact ndarray, were skipped); so did
``p.grad = sd["weight"]``, and ``p.data = other_tensor`` (PyTorch's idiom) stored the
Tensor object itself as the data.  Each path is checked for the exact type, the values,
and whether it aliases the source as before (``.data =`` shares memory, as PyTorch's;
``copy_`` and ``load_state_dict`` copy)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def _state(seed=0):
    model = nn.Sequential(nn.Linear(3, 4, rng=seed), nn.BatchNorm1d(4))
    return model, model.state_dict()


def test_data_assignment_of_a_state_array_stores_a_plain_view():
    _, sd = _state()
    p = nn.Parameter(np.zeros((3, 4)))
    p.data = sd["0.weight"]
    assert type(p.data) is np.ndarray
    assert np.shares_memory(p.data, sd["0.weight"])       # aliasing, as before
    np.testing.assert_array_equal(p.data, sd["0.weight"])
    sd["0.weight"][0, 0] = 7.0
    assert p.data[0, 0] == 7.0
    (p * 2).sum().backward()
    assert type(p._grad) is np.ndarray        # the slot the engine adds into


def test_data_assignment_of_a_tensor_stores_its_array():
    p = nn.Parameter(np.zeros(3))
    source = ad.tensor([1.0, 2.0, 3.0])
    p.data = source
    assert type(p.data) is np.ndarray and np.shares_memory(p.data, source.data)
    np.testing.assert_array_equal((p * 2).data, [2.0, 4.0, 6.0])


def test_data_assignment_in_a_module_keeps_training_right():
    model, sd = _state()
    best = {k: v.clone() for k, v in sd.items()}
    for name, p in model.named_parameters():
        p.data = best[name]
        assert type(p.data) is np.ndarray and np.shares_memory(p.data, best[name]), name
    x = ad.tensor(np.random.default_rng(3).normal(size=(5, 3)))
    model(x).sum().backward()
    for name, p in model.named_parameters():
        assert type(p._grad) is np.ndarray, name


def test_grad_assignment_of_a_state_array_stores_a_plain_view():
    _, sd = _state()
    p = nn.Parameter(np.zeros((3, 4)))
    p.grad = sd["0.weight"]
    assert type(p._grad) is np.ndarray and np.shares_memory(p.grad, sd["0.weight"])
    graph_grad = ad.ones(3, 4)
    p.grad = graph_grad                      # a Tensor gradient stays a Tensor
    assert p.grad is graph_grad


@pytest.mark.parametrize("make, shares", [
    (lambda v: ad.tensor(v), True), (lambda v: ad.as_tensor(v), True),
    (lambda v: ad.from_numpy(v), True), (lambda v: ad.Tensor(v), True),
    (lambda v: nn.Parameter(v), False)])
def test_made_from_a_state_array_the_data_is_a_plain_ndarray(make, shares):
    _, sd = _state()
    made = make(sd["0.bias"])
    assert type(made.data) is np.ndarray
    assert np.shares_memory(made.data, sd["0.bias"]) is shares
    np.testing.assert_array_equal(made.data, sd["0.bias"])


def test_copy_and_load_state_dict_store_plain_copies():
    model, sd = _state()
    p = nn.Parameter(np.zeros((3, 4)))
    with ad.no_grad():
        p.copy_(sd["0.weight"])
    assert type(p.data) is np.ndarray and not np.shares_memory(p.data, sd["0.weight"])
    for assign in (False, True):
        target, _ = _state(seed=1)
        target.load_state_dict(sd, assign=assign)
        for key, value in target.state_dict().items():
            stored = target.get_parameter(key) if key.endswith(("weight", "bias")) else \
                target.get_buffer(key)
            assert type(stored.data) is np.ndarray, (key, assign)
            np.testing.assert_array_equal(stored.data, sd[key])


def test_a_memmap_is_stored_as_a_plain_view_and_a_masked_array_is_not_stripped(tmp_path):
    mapped = np.memmap(tmp_path / "w.bin", dtype=np.float64, mode="w+", shape=(2, 3))
    mapped[:] = 1.5
    p = nn.Parameter(np.zeros((2, 3)))
    p.data = mapped
    assert type(p.data) is np.ndarray and np.shares_memory(p.data, mapped)
    masked = np.ma.masked_array(np.ones(3), mask=[0, 1, 0])
    q = nn.Parameter(np.zeros(3))
    q.data = masked                          # the mask is not dropped silently
    assert isinstance(q.data, np.ma.MaskedArray)
