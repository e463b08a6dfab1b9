"""Helpers of the complex-value and FFT tests: central differences over the real and
imaginary parts (PyTorch's convention: the gradient of a real loss L with respect to
z = x + iy is dL/dx + i dL/dy), and the same function run under PyTorch."""

from __future__ import annotations

import os
import zlib

import numpy as np

import autodiff as ad

RNG = np.random.default_rng(20261206)
_seeded_for = [None]


def _reseed_per_test() -> None:
    """Draws that depend on the test, not on which tests ran before it: the generator
    is seeded from the running test's id (pytest's PYTEST_CURRENT_TEST) at its first draw."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    if test and test != _seeded_for[0]:
        _seeded_for[0] = test
        seeded = np.random.default_rng(zlib.crc32(test.encode()))
        RNG.bit_generator.state = seeded.bit_generator.state


def sample(shape, complex_values=True):
    """Values away from zero (abs and angle are smooth there)."""
    _reseed_per_test()
    x = RNG.uniform(0.5, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)
    if complex_values:
        x = x + 1j * RNG.uniform(0.5, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)
    return np.asarray(x)


def complex_losses(out, lib=ad):
    """The two real losses of a result: |f|^2 summed, and Re f + 2 Im f summed (a real
    result: its square and itself summed)."""
    if out.dtype.is_complex if lib is not ad else out.dtype.kind == "c":
        return [(out.abs() ** 2).sum(), out.real.sum() + 2 * out.imag.sum()]
    return [(out ** 2).sum() + out.sum()]


def central_differences(loss_of_arrays, arrays, eps=1e-6):
    """d loss / d x + i d loss / d y for each complex array (d loss / d x for a real
    one), by central differences of ``loss_of_arrays(*arrays) -> float``."""
    grads = []
    for i, array in enumerate(arrays):
        grad = np.zeros_like(array)
        units = (1, 1j) if np.iscomplexobj(array) else (1,)
        for index in np.ndindex(array.shape):
            for unit in units:
                moved = [a.copy() for a in arrays]
                moved[i][index] += eps * unit
                plus = loss_of_arrays(*moved)
                moved[i][index] -= 2 * eps * unit
                minus = loss_of_arrays(*moved)
                grad[index] += (plus - minus) / (2 * eps) * unit
        grads.append(grad)
    return grads


def check_against_central_differences(function, arrays, rtol=1e-6, atol=1e-7):
    """For each loss of ``function(*tensors)``, the recorded gradient of every input
    equals central differences over its real and imaginary parts."""
    count = len(complex_losses(function(*[ad.tensor(a) for a in arrays])))
    for which in range(count):
        tensors = [ad.tensor(a, requires_grad=True) for a in arrays]
        complex_losses(function(*tensors))[which].backward()

        def loss_of_arrays(*values):
            with ad.no_grad():
                return complex_losses(function(*[ad.tensor(v) for v in values]))[which].item()
        expected = central_differences(loss_of_arrays, arrays)
        for tensor, want in zip(tensors, expected):
            assert tensor.grad.dtype == tensor.dtype
            np.testing.assert_allclose(tensor.grad, want, rtol=rtol, atol=atol)


def check_against_torch(ours, theirs, arrays, second_order=True, rtol=1e-10, atol=1e-12):
    """Values, gradients of each loss and (``second_order``) the gradient of the squared
    size of the first gradient, as PyTorch's."""
    import torch

    count = len(complex_losses(ours(*[ad.tensor(a) for a in arrays])))
    for which in range(count):
        tensors = [ad.tensor(a, requires_grad=True) for a in arrays]
        mine = [torch.tensor(a, requires_grad=True) for a in arrays]
        out, out_t = ours(*tensors), theirs(*mine)
        np.testing.assert_allclose(out.data, out_t.detach().resolve_conj().numpy(),
                                   rtol=rtol, atol=atol)
        loss = complex_losses(out)[which]
        loss_t = complex_losses(out_t, torch)[which]
        grads = ad.autograd.grad(loss, tensors, create_graph=second_order)
        grads_t = torch.autograd.grad(loss_t, mine, create_graph=second_order)
        for g, g_t in zip(grads, grads_t):
            np.testing.assert_allclose(getattr(g, "data", g), g_t.detach().resolve_conj().numpy(),
                                       rtol=rtol, atol=atol)
        if not second_order:
            continue
        size = sum((g.abs() ** 2).sum() for g in grads)
        size_t = sum((g.abs() ** 2).sum() for g in grads_t)
        if not size_t.requires_grad:                # a linear function: constant gradient
            continue
        second = ad.autograd.grad(size, tensors, allow_unused=True)
        second_t = torch.autograd.grad(size_t, mine, allow_unused=True)
        for h, h_t in zip(second, second_t):
            want = 0 if h_t is None else h_t.detach().resolve_conj().numpy()
            got = 0 if h is None else getattr(h, "data", h)
            np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


#: name -> keyword arguments (the optimizer's class has the same name in both)
OPTIMIZER_CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adamax", {"lr": 0.1}),
    ("NAdam", {"lr": 0.1}),
    ("RAdam", {"lr": 0.1}),
    ("Adadelta", {"lr": 1.0}),
    ("Rprop", {"lr": 0.1}),
    ("ASGD", {"lr": 0.1}),
]
