"""``t.data`` stays the tensor's own ``np.ndarray`` (API.md): PyTorch's ``.data`` habits
outside ``no_grad`` raise NumPy's AttributeError, and the NumPy spellings the README
names for each give PyTorch's results."""

import numpy as np
import pytest

import autodiff as ad

HABITS = ["add_(g, alpha=-0.1)", "mul_(0.9)", "copy_(q)", "zero_()", "clamp_(-1, 1)",
          "normal_(0, 0.02)", "fill_(0)", "uniform_(-0.5, 0.5)", "norm()", "clone()",
          "numpy()"]


@pytest.mark.parametrize("habit", HABITS)
def test_data_is_the_plain_array_and_pytorch_habits_raise_numpys_error(habit):
    p = ad.nn.Parameter(np.ones(3))
    assert type(p.data) is np.ndarray and p.data is p.data
    with pytest.raises(AttributeError, match=r"'numpy.ndarray' object has no attribute"):
        eval(f"p.data.{habit}", {"p": p, "g": np.ones(3), "q": np.zeros(3)})


def _pair(torch):
    values = np.array([0.5, -2.0, 1.5])
    p = ad.nn.Parameter(values.copy())
    reference = torch.nn.Parameter(torch.tensor(values))
    return p, reference


def test_numpy_spellings_of_the_updates_give_pytorchs_results():
    torch = pytest.importorskip("torch")
    p, reference = _pair(torch)
    grad, other = np.array([1.0, 4.0, -3.0]), np.array([7.0, 8.0, -9.0])
    p.data -= 0.1 * grad                                # p.data.add_(g, alpha=-0.1)
    reference.data.add_(torch.tensor(grad), alpha=-0.1)
    np.testing.assert_array_equal(p.data, reference.data.numpy())
    p.data *= 0.9                                       # p.data.mul_(0.9)
    reference.data.mul_(0.9)
    np.testing.assert_array_equal(p.data, reference.data.numpy())
    np.clip(p.data, -1, 1, out=p.data)                  # p.data.clamp_(-1, 1)
    reference.data.clamp_(-1, 1)
    np.testing.assert_array_equal(p.data, reference.data.numpy())
    p.data[...] = other                                 # p.data.copy_(q.data)
    reference.data.copy_(torch.tensor(other))
    np.testing.assert_array_equal(p.data, reference.data.numpy())
    p.data[...] = 0                                     # p.data.zero_() / fill_(0)
    reference.data.zero_()
    np.testing.assert_array_equal(p.data, reference.data.numpy())


def test_tensor_methods_in_no_grad_give_pytorchs_updates():
    torch = pytest.importorskip("torch")
    p, reference = _pair(torch)
    grad = np.array([1.0, 4.0, -3.0])
    with ad.no_grad():
        p.add_(ad.tensor(grad), alpha=-0.1).mul_(0.9).clamp_(-1, 1)
    reference.data.add_(torch.tensor(grad), alpha=-0.1).mul_(0.9).clamp_(-1, 1)
    np.testing.assert_array_equal(p.data, reference.data.numpy())


def test_numpy_spellings_of_the_reads_give_pytorchs_values():
    torch = pytest.importorskip("torch")
    p, reference = _pair(torch)
    np.testing.assert_allclose(np.linalg.norm(p.data), reference.data.norm().item(),
                               rtol=1e-15)              # (one sum of three squares)
    copy = p.data.copy()                                # p.data.clone()
    copy[0] = 100.0
    assert p.data[0] == reference.data.clone()[0].item() == 0.5
    assert p.data.shape == tuple(reference.data.shape) == (3,)
    assert p.data.size == reference.data.numel() == 3  # (an int, not size())
    assert np.shares_memory(np.asarray(p.data), p.data)
