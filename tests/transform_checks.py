"""Helpers for comparing transforms with ``torch.func`` (imported lazily, so tests
that only use the finite-difference helpers run without torch) and with central
finite differences."""

import numpy as np
import pytest

import autodiff as ad


def torch_or_skip():
    """torch, or skip the test that asked for it."""
    return pytest.importorskip("torch")


def T(a):
    return torch_or_skip().tensor(np.asarray(a, dtype=np.float64))


def as_numpy(value):
    """A result (Tensor, array, torch tensor, or a tuple/list/dict of them) as NumPy."""
    if isinstance(value, dict):
        return {k: as_numpy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(as_numpy(v) for v in value)
    if type(value).__module__.startswith("torch"):
        return value.detach().numpy(force=True)
    return np.asarray(value.data if isinstance(value, ad.Tensor) else value)


def assert_close(ours, reference, rtol=1e-12, path="result"):
    """Leaf by leaf: same shape, equal to ``rtol`` relative (1e-12 absolute near 0)."""
    if isinstance(reference, dict):
        assert isinstance(ours, dict) and ours.keys() == reference.keys(), path
        for k in reference:
            assert_close(ours[k], reference[k], rtol, f"{path}[{k!r}]")
        return
    if isinstance(reference, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(reference), path
        for k, (o, r) in enumerate(zip(ours, reference)):
            assert_close(o, r, rtol, f"{path}[{k}]")
        return
    ours, reference = as_numpy(ours), as_numpy(reference)
    assert ours.shape == reference.shape, (path, ours.shape, reference.shape)
    np.testing.assert_allclose(ours, reference, rtol=rtol, atol=1e-12, err_msg=path)


def central_jacobian(func, x, h=1e-5):
    """d func / d x by central differences, shaped ``out.shape + x.shape``."""
    x = np.asarray(x, dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        columns.append((np.asarray(func(x + step)) - np.asarray(func(x - step))) / (2 * h))
    out_shape = np.shape(func(x))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def values_of(transformed):
    """``transformed`` as a function giving plain arrays (for finite differences)."""
    return lambda x: np.asarray(as_numpy_free(transformed(x)))


def as_numpy_free(value):
    return value.data if isinstance(value, ad.Tensor) else value
