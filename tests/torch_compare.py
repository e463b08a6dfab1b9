"""Helpers for tests that compare autodiff's results with PyTorch's: inputs as float64
torch tensors, and results (Tensors, arrays, torch tensors, or tuples, lists and
dicts of them) compared leaf by leaf.  Import it after
``pytest.importorskip("torch")``."""

import numpy as np
import torch

import autodiff as ad


def T(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def as_numpy(value):
    """A result (Tensor, array, torch tensor, or a tuple/list/dict of them) as NumPy."""
    if isinstance(value, dict):
        return {k: as_numpy(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(as_numpy(v) for v in value)
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, ad.Tensor):
        return np.asarray(value.data)
    return np.asarray(value)


def assert_same(ours, reference, path="result"):
    if isinstance(reference, dict):
        assert isinstance(ours, dict) and ours.keys() == reference.keys(), path
        for k in reference:
            assert_same(ours[k], reference[k], f"{path}[{k!r}]")
        return
    if isinstance(reference, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(reference), path
        for k, (o, r) in enumerate(zip(ours, reference)):
            assert_same(o, r, f"{path}[{k}]")
        return
    assert np.shape(ours) == np.shape(reference), (path, np.shape(ours), np.shape(reference))
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12, err_msg=path)
