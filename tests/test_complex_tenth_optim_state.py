"""The state of complex parameters in ``state_dict`` / ``load_state_dict`` as PyTorch's:
complex arrays of the parameter's shape (the update keeps float pairs), equal to
PyTorch's after a few steps, and PyTorch's state loaded here continues as PyTorch does."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import OPTIMIZER_CONFIGS, sample


def _loss(parameter, weights, target):
    residual = (parameter * weights).sum(0) - target
    return (residual.abs() ** 2).sum() + (parameter.real * parameter.imag).sum()


class _Run:
    """One parameter of shape (2, 3) and its optimizer, in autodiff or PyTorch."""

    def __init__(self, lib, name, kwargs, start, weights, target):
        self.lib = lib
        self.parameter = lib.nn.Parameter(lib.tensor(start.copy()))
        self.weights, self.target = lib.tensor(weights), lib.tensor(target)
        self.optimizer = getattr(lib.optim, name)([self.parameter], **kwargs)

    def steps(self, count):
        for _ in range(count):
            self.optimizer.zero_grad()
            _loss(self.parameter, self.weights, self.target).backward()
            self.optimizer.step()

    def value(self):
        p = self.parameter
        return np.array(p.data if self.lib is ad else p.detach().numpy())


@pytest.fixture(autouse=True)
def _torch_float64():
    """Scalar state (ASGD's eta, NAdam's mu_product) takes PyTorch's default dtype there
    and the parameter's here: PyTorch runs with float64 (as test_optim_vs_torch.py)."""
    try:
        import torch
    except ImportError:
        yield
        return
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(default)


def _runs(name, kwargs):
    torch = pytest.importorskip("torch")
    arrays = sample((2, 3)), sample((2, 3)), sample((3,))
    return _Run(ad, name, kwargs, *arrays), _Run(torch, name, kwargs, *arrays)


def _torch_state(optimizer):
    """PyTorch's per-parameter state, flattened to this library's keys."""
    return {f"state.{i}.{key}": np.array(value.detach().numpy() if hasattr(value, "numpy")
                                         else value)
            for i, state in optimizer.state_dict()["state"].items()
            for key, value in state.items()}


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CONFIGS, ids=str)
def test_complex_state_after_five_steps_is_pytorchs(name, kwargs):
    ours, theirs = _runs(name, kwargs)
    ours.steps(5)
    theirs.steps(5)
    mine = {key: value for key, value in ours.optimizer.state_dict().items()
            if key.startswith("state.")}
    want = _torch_state(theirs.optimizer)
    assert sorted(mine) == sorted(want)
    for key, value in want.items():
        if value.dtype.kind == "c":
            assert mine[key].dtype == np.complex128 and mine[key].shape == (2, 3), key
        np.testing.assert_allclose(mine[key], value, rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CONFIGS, ids=str)
def test_pytorchs_complex_state_loaded_here_continues_as_pytorch(name, kwargs):
    ours, theirs = _runs(name, kwargs)
    theirs.steps(3)
    ours.parameter.data[...] = theirs.value()
    ours.optimizer.load_state_dict(_torch_state(theirs.optimizer))
    arrays = [value for value in ours.optimizer.state[0].values() if np.ndim(value)]
    assert all(value.shape == (2, 3, 2) for value in arrays)   # the update's pairs
    ours.steps(3)
    theirs.steps(3)
    np.testing.assert_allclose(ours.value(), theirs.value(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CONFIGS, ids=str)
def test_our_complex_state_loaded_into_pytorch_continues_as_ours(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = _runs(name, kwargs)
    ours.steps(3)
    theirs.parameter.data[...] = torch.tensor(ours.value())
    theirs.steps(0)
    nested = theirs.optimizer.state_dict()
    nested["state"] = {0: {key.split(".", 2)[2]: torch.tensor(value)
                           for key, value in ours.optimizer.state_dict().items()
                           if key.startswith("state.0.")}}
    theirs.optimizer.load_state_dict(nested)
    ours.steps(2)
    theirs.steps(2)
    np.testing.assert_allclose(ours.value(), theirs.value(), rtol=1e-10, atol=1e-12)


def test_a_state_dict_round_trips_and_keeps_the_update():
    start, weights, target = sample((2, 3)), sample((2, 3)), sample((3,))
    first = _Run(ad, "Adam", {"lr": 0.1}, start, weights, target)
    first.steps(2)
    saved = first.optimizer.state_dict()
    assert saved["state.0.exp_avg_sq"].dtype == np.complex128
    second = _Run(ad, "Adam", {"lr": 0.1}, first.value(), weights, target)
    second.optimizer.load_state_dict(saved)
    first.steps(2)
    second.steps(2)
    np.testing.assert_array_equal(second.value(), first.value())


def test_complex64_state_keeps_its_dtype():
    parameter = ad.nn.Parameter(ad.tensor(np.array([1 + 2j, -1j], np.complex64)))
    optimizer = ad.optim.Adam([parameter], lr=0.1)
    (parameter.abs() ** 2).sum().backward()
    optimizer.step()
    saved = optimizer.state_dict()
    assert saved["state.0.exp_avg"].dtype == np.complex64
    np.testing.assert_allclose(saved["state.0.exp_avg"], 0.1 * np.array([2 + 4j, -2j]),
                               rtol=1e-6)
    optimizer.load_state_dict(saved)
    assert optimizer.state[0]["exp_avg"].dtype == np.float32


def test_a_real_state_array_for_a_complex_parameter_is_refused():
    parameter = ad.nn.Parameter(ad.tensor(np.array([1 + 2j, -1j])))
    optimizer = ad.optim.SGD([parameter], lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="'state.0.momentum_buffer' of complex parameter"):
        optimizer.load_state_dict({"state.0.momentum_buffer": np.ones(2)})
    assert not optimizer.state[0]
