"""Two leaves over the same memory (an array and its transpose), both saved by a graph:
when the graph dies, both are writable again, in whichever order their guards go."""

import gc
import warnings

import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("transpose_first", [False, True])
def test_leaves_viewing_one_another_are_writable_after_their_graph_dies(transpose_first):
    base = np.random.default_rng(0).standard_normal((4, 3))
    x = ad.tensor(base, requires_grad=True)
    y = ad.tensor(base.T, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        product = np.einsum("ij,jk->ik", *((y.T, x.T) if transpose_first else (x, y)))
        assert not x.data.flags.writeable and not y.data.flags.writeable
        del product
        gc.collect()
    assert x.data.flags.writeable and y.data.flags.writeable
    opt = ad.optim.SGD([x, y], lr=0.1)
    (x * y.T).sum().backward()
    opt.step()                          # both arrays can be updated in place
