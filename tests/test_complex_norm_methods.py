"""PyTorch's ``t.norm``, ``ad.dist`` and ``ad.logdet`` on complex tensors: the norms are
those of ``|z|`` (real), and ``logdet`` is the complex ``log|det| + i arg(det)``.  Before,
``t.norm()`` summed ``z * z`` (a complex, wrong value) and ``logdet`` dropped the phase."""

import numpy as np
import pytest

import autodiff as ad

Z = np.array([[1 + 2j, 3 - 1j], [0.5j, 2.0]])

CALLS = {
    "norm": (lambda z: z.norm(), lambda z: np.linalg.norm(z)),
    "norm 3": (lambda z: z.norm(3), lambda z: np.sum(np.abs(z) ** 3) ** (1 / 3)),
    "norm 1 dim": (lambda z: z.norm(1, dim=1), lambda z: np.abs(z).sum(axis=1)),
    "norm dim keepdim": (lambda z: z.norm(dim=0, keepdim=True),
                         lambda z: np.linalg.norm(z, axis=0, keepdims=True)),
    "dist": (lambda z: ad.dist(z, ad.tensor(np.ones((2, 2)))),
             lambda z: np.linalg.norm(z - 1)),
    "logdet": (lambda z: ad.logdet(z), lambda z: np.log(np.linalg.det(z))),
}


def _real_loss(value):
    return value.real.sum() + 0.3 * value.imag.sum() if value.dtype.kind == "c" else value.sum()


@pytest.mark.parametrize("name", CALLS)
def test_values_and_gradients_against_numpy_and_central_differences(name):
    call, numpy_call = CALLS[name]
    z = ad.tensor(Z.copy(), requires_grad=True)
    value = call(z)
    np.testing.assert_allclose(value.data, numpy_call(Z), rtol=1e-14)
    assert (value.dtype.kind == "c") == (name == "logdet")
    _real_loss(value).backward()

    def loss(w):
        return float(_real_loss(ad.tensor(call(ad.tensor(w)).data)).data)
    numerical = np.zeros_like(Z)
    for index in np.ndindex(Z.shape):
        for unit in (1, 1j):
            step = np.zeros_like(Z)
            step[index] = 1e-6 * unit
            slope = (loss(Z + step) - loss(Z - step)) / 2e-6
            numerical[index] += slope * unit            # PyTorch's convention: dx + i dy
    np.testing.assert_allclose(z.grad, numerical, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name", CALLS)
def test_values_and_gradients_as_torch(name):
    torch = pytest.importorskip("torch")
    spelled = {"norm": lambda z: z.norm(), "norm 3": lambda z: z.norm(3),
               "norm 1 dim": lambda z: z.norm(1, dim=1),
               "norm dim keepdim": lambda z: z.norm(dim=0, keepdim=True),
               "dist": lambda z: torch.dist(z, torch.ones(2, 2, dtype=z.dtype)),
               "logdet": torch.logdet}[name]
    z = ad.tensor(Z.copy(), requires_grad=True)
    tz = torch.tensor(Z.copy(), requires_grad=True)
    value, expected = CALLS[name][0](z), spelled(tz)
    np.testing.assert_allclose(value.data, expected.detach().numpy(), rtol=1e-14)
    _real_loss(value).backward()
    loss = (expected.real.sum() + 0.3 * expected.imag.sum() if expected.is_complex()
            else expected.sum())
    loss.backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-12, atol=1e-15)
