"""What the twenty-sixth round of NumPy programs (test_numpy_programs_twentysixth.py)
found around them: ``np.flip`` (and ``np.fliplr``, ``np.flipud``, ``np.rot90``, built
on it) returns a view, as NumPy's does, and a write through it reached the tensor
outside grad mode; in grad mode the same write, and an update of the tensor while the
reversed view was alive, were refused, though ``t[:, ::-1]``, the same view by
slicing, was followed.  The reversal is now linked as that slicing is, so writes
through it reach the tensor, its gradient included, and the view shows updates of
the tensor, as NumPy's does."""

import numpy as np
import pytest

import autodiff as ad
from numpy_program_checks import central_difference

_WEIGHTS = np.arange(1.0, 7.0).reshape(2, 3)


def _mirrored_writes(p):
    image = p.reshape(2, 3) * 1.0
    mirror = np.fliplr(image)
    mirror[:, 0] = mirror[:, 0] ** 2          # image's last column
    turned = np.rot90(image)
    turned[0] *= 3.0                          # rot90's first row: image's last column
    upside = np.flipud(image)
    upside += np.sin(image)                   # reads the memory it writes
    return np.sum(image * _WEIGHTS) + np.sum(mirror * upside)


_P = np.array([0.3, -0.7, 1.1, 0.5, -0.2, 0.9])


@pytest.mark.parametrize("flip", [
    lambda a: np.flip(a), lambda a: np.flip(a, axis=1), lambda a: np.fliplr(a),
    lambda a: np.flipud(a), lambda a: np.rot90(a), lambda a: np.rot90(a, -1)],
    ids=["flip", "flip_axis", "fliplr", "flipud", "rot90", "rot90_back"])
def test_a_write_through_a_reversed_view_reaches_the_tensor_in_grad_mode(flip):
    def program(p):
        c = p.reshape(2, 3) * 1.0
        view = flip(c)
        view[0] = p[5] * 10.0
        return np.sum(c * _WEIGHTS) + np.sum(view[-1] ** 2)

    w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    c = w * 1.0
    view = flip(c)
    view[0] = w[1, 2] * 10.0
    expected = np.arange(6.0).reshape(2, 3)
    flip(expected)[0] = 50.0
    assert np.array_equal(c.data, expected) and np.array_equal(view.data, flip(expected))
    value, grad = ad.value_and_grad(program)(_P.copy())
    assert value == program(_P.copy())
    np.testing.assert_allclose(grad, central_difference(program, _P), rtol=1e-7)


def test_a_reversed_view_shows_a_recorded_update_of_its_tensor():
    w = ad.tensor(np.arange(4.0), requires_grad=True)
    c = w * 1.0
    view = np.flip(c)
    c[0] = 10.0
    c *= 2.0
    expected = np.arange(4.0)
    expected_view = np.flip(expected)
    expected[0] = 10.0
    expected *= 2.0
    np.testing.assert_array_equal(view.data, expected_view)
    (view * np.arange(4.0)).sum().backward()
    np.testing.assert_array_equal(w.grad, [0.0, 4.0, 2.0, 0.0])


def test_writes_through_reversed_views_in_a_program_have_numpys_value_and_gradient():
    value, grad = ad.value_and_grad(_mirrored_writes)(_P.copy())
    assert value == _mirrored_writes(_P.copy())
    np.testing.assert_allclose(grad, central_difference(_mirrored_writes, _P), rtol=1e-7)


def test_a_write_through_a_reversed_view_of_a_leaf_is_refused_as_a_slice_of_it_is():
    leaf = ad.tensor(np.arange(4.0), requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf that requires grad"):
        np.flip(leaf)[0] = 1.0
    with pytest.raises(RuntimeError, match="a leaf that requires grad"):
        leaf[::-1][0] = 1.0
    assert leaf.data.tolist() == [0.0, 1.0, 2.0, 3.0]
