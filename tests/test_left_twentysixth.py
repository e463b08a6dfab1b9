"""The Tensor methods that reverse or rotate copy, as PyTorch's; NumPy's functions view."""
import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("method", [
    lambda t: t.flip(0), lambda t: t.flip(dims=(1,)), lambda t: t.flip(),
    lambda t: t.fliplr(), lambda t: t.flipud(), lambda t: t.rot90(),
    lambda t: t.rot90(-1, dims=(1, 0))])
@pytest.mark.parametrize("recording", [True, False])
def test_a_write_into_a_reversed_tensor_leaves_its_source_alone(method, recording):
    start = np.arange(6.0).reshape(2, 3)
    leaf = ad.tensor(start, requires_grad=recording)
    source = leaf * 1.0
    reversed_ = method(source)
    reversed_[0, 0] = 100.0
    np.testing.assert_array_equal(source.detach().numpy(), start)
    if recording:
        (reversed_ * reversed_).sum().backward()
        expected = 2 * method(ad.tensor(start)).detach().numpy()
        expected[0, 0] = 0.0                         # overwritten: no gradient
        np.testing.assert_array_equal(method(leaf.grad if isinstance(leaf.grad, ad.Tensor)
                                             else ad.tensor(leaf.grad)).numpy(), expected)


def test_numpys_flip_of_a_tensor_is_still_a_view():
    source = ad.tensor(np.arange(4.0), requires_grad=True) * 1.0
    np.flip(source)[0] = 9.0
    assert source[3].item() == 9.0
