"""``t.view(dtype)``: NumPy's and PyTorch's reinterpretation of the bytes is refused with
a message naming the dtype and what to use (it failed inside reshape, reading the dtype
as a dimension); ``view`` of a shape is unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("dtype", [np.int64, np.dtype("int64"), np.float32])
def test_a_dtype_is_refused_naming_it_and_the_conversion(dtype):
    t = ad.tensor(np.arange(4.0))
    with pytest.raises(TypeError, match=rf"view\({np.dtype(dtype).name}\): reinterpreting "
                                        r"the bytes .*shape \(4,\), dtype float64.*astype"):
        t.view(dtype)


def test_a_shape_is_still_a_reshape():
    t = ad.tensor(np.arange(4.0))
    assert t.view(2, 2).shape == (2, 2)
    assert t.view((4,)).shape == (4,)
    assert t.view(-1, 1).shape == (4, 1)
