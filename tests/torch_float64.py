"""What the nn tests compared with PyTorch in float64 share (test_nn_utils_more.py,
test_parametrizations_more.py): the ``torch`` fixture, and central differences of a
function of an array changed in place."""

import numpy as np
import pytest


@pytest.fixture
def torch():
    """PyTorch with float64 as its default dtype for the test (skipped without it)."""
    module = pytest.importorskip("torch")
    previous = module.get_default_dtype()
    module.set_default_dtype(module.float64)
    yield module
    module.set_default_dtype(previous)


def numeric_gradient(f, array, h=1e-6):
    """Central differences of ``f()`` in each entry of ``array``, which ``f`` reads
    (the entry is moved by ``h`` each way, then put back)."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        saved = array[i]
        array[i] = saved + h
        up = f()
        array[i] = saved - h
        down = f()
        array[i] = saved
        grad[i] = (up - down) / (2 * h)
    return grad
