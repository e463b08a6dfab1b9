"""Optimizers, ``nn.Parameter`` and ``clip_grad_norm_`` on complex parameters, as
PyTorch's: a few steps of a real loss of complex parameters compared with PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import OPTIMIZER_CONFIGS, sample

START = sample((2, 3))
WEIGHTS = sample((2, 3))
TARGET = sample((3,))


def _loss(lib, parameter, weights, target):
    residual = (parameter * weights).sum(0) - target
    return (residual.abs() ** 2).sum() + (parameter.real * parameter.imag).sum()


def _train(lib, name, kwargs, steps=4):
    parameter = lib.nn.Parameter(lib.tensor(START.copy()))
    weights, target = lib.tensor(WEIGHTS), lib.tensor(TARGET)
    optimizer = getattr(lib.optim, name)([parameter], **kwargs)
    values = []
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(lib, parameter, weights, target).backward()
        optimizer.step()
        values.append(np.array(parameter.detach().numpy() if lib is not ad else parameter.data))
    return values


@pytest.mark.parametrize("name, kwargs", OPTIMIZER_CONFIGS, ids=lambda v: str(v))
def test_steps_on_a_complex_parameter_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = _train(ad, name, kwargs)
    # (scalar state, ASGD's eta and NAdam's mu_product, takes PyTorch's default dtype
    # there and the parameter's here: test_optim_vs_torch.py runs PyTorch so too)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = _train(torch, name, kwargs)
    finally:
        torch.set_default_dtype(default)
    for step, (mine, want) in enumerate(zip(ours, theirs)):
        assert mine.dtype == np.complex128
        np.testing.assert_allclose(mine, want, rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


def test_a_complex_parameter_keeps_its_dtype_and_its_gradient():
    parameter = ad.nn.Parameter(ad.tensor(np.array([1 + 2j], np.complex64)))
    assert parameter.requires_grad and parameter.dtype == np.complex64
    (parameter.abs() ** 2).sum().backward()
    np.testing.assert_allclose(parameter.grad, [2 + 4j])
    assert parameter.grad.dtype == np.complex64


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")], ids=str)
def test_clip_grad_norm_uses_the_size_of_complex_gradients(norm_type):
    torch = pytest.importorskip("torch")
    grads = [sample((3,)), sample((2, 2), False)]
    ours = [ad.nn.Parameter(ad.tensor(np.zeros_like(g))) for g in grads]
    theirs = [torch.nn.Parameter(torch.tensor(np.zeros_like(g))) for g in grads]
    for mine, their, g in zip(ours, theirs, grads):
        mine.grad = g.copy()
        their.grad = torch.tensor(g)
    total = ad.nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
    np.testing.assert_allclose(float(total), float(total_t), rtol=1e-12)
    for mine, their in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["Adafactor", "Muon"])
def test_optimizers_mixing_entries_refuse_complex_parameters_before_any_change(name):
    real = ad.nn.Parameter(np.ones((2, 2)))
    z = ad.nn.Parameter(ad.tensor(START.copy()))
    optimizer = getattr(ad.optim, name)([real, z], lr=0.1)
    (real.sum() + (z.abs() ** 2).sum()).backward()
    with pytest.raises(TypeError, match=rf"step: {name} does not support complex parameters"
                                        r" \(got one of shape \(2, 3\), dtype complex128\)"):
        optimizer.step()
    np.testing.assert_array_equal(real.data, np.ones((2, 2)))


def test_an_update_of_a_strided_complex_parameter_writes_through():
    parameter = ad.nn.Parameter(ad.tensor(START.copy()))
    parameter.data = np.asfortranarray(START.T).T.copy(order="F")
    assert not parameter.data.flags.c_contiguous
    parameter.grad = np.full((2, 3), 1 + 2j)
    ad.optim.Adam([parameter], lr=0.1).step()       # first step: -lr * sign of each part
    np.testing.assert_allclose(parameter.data, START - 0.1 * (1 + 1j), rtol=1e-6)


def test_clip_grad_value_refuses_complex_gradients():
    parameter = ad.nn.Parameter(ad.tensor(START.copy()))
    parameter.grad = START.copy()
    with pytest.raises(TypeError, match=r"clip_grad_value_: a complex gradient \(shape "
                                        r"\(2, 3\), dtype complex128\).*clip_grad_norm_"):
        ad.nn.utils.clip_grad_value_([parameter], 1.0)
