"""One element picked by integers, ``h[1, 2]``, is a copy, as NumPy's scalar: NumPy code
that swaps or accumulates through one runs unchanged, while PyTorch's in-place methods
on it (``h[1, 2].add_(1)``) also write into ``h`` (tests/test_views8_vs_torch.py
compares those with PyTorch)."""

import numpy as np
import pytest

import autodiff as ad


def _swap(a):
    tmp = a[0, 1]
    a[0, 1] = a[1, 0]
    a[1, 0] = tmp
    return a


def _accumulate_diagonal(h):
    s = h[0, 0]
    for i in range(1, h.shape[0]):
        s += h[i, i]
        s *= 1.5
    return s


def test_the_swap_idiom_swaps_as_in_numpy():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(_swap(ad.tensor(a.copy())).data, _swap(a.copy()))


def test_the_swap_idiom_on_an_intermediate_has_the_swapped_gradient():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = _swap(x * 1.0)
    (y * ad.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(y.data, [[1.0, 3.0], [2.0, 4.0]])
    np.testing.assert_array_equal(x.grad, [[1.0, 100.0], [10.0, 1000.0]])


def test_accumulating_into_an_element_leaves_the_tensor_as_numpy_does():
    a = np.arange(9.0).reshape(3, 3)
    h = ad.tensor(a.copy())
    assert float(_accumulate_diagonal(h)) == _accumulate_diagonal(a.copy())
    np.testing.assert_array_equal(h.data, a)


@pytest.mark.parametrize("make", [lambda x: x, lambda x: x * 2.0],
                         ids=["leaf", "intermediate"])
def test_accumulating_into_an_element_differentiates_as_numpy_code(make):
    x = ad.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    h = make(x)
    before = h.data.copy()
    _accumulate_diagonal(h).backward()
    np.testing.assert_array_equal(h.data, before)
    scale = 1.0 if h is x else 2.0
    np.testing.assert_array_equal(x.grad, scale * np.diag([2.25, 2.25, 1.5]))


def test_an_element_keeps_its_value_when_its_tensor_changes_as_numpy_scalars_do():
    h = ad.tensor(np.ones((2, 2)))
    e = h[1, 1]
    h[1, 1] = 5.0
    with ad.no_grad():
        h.mul_(2.0)
    assert e.item() == 1.0 and h.data[1, 1] == 10.0


def test_methods_write_into_the_tensor_and_operators_update_the_copy():
    h = ad.tensor(np.zeros((2, 3)))
    h[1, 2].add_(1.0)            # PyTorch's method: written into h
    h[0][1].fill_(4.0)           # through a row view too
    h[1, 1].copy_(ad.tensor(9.0))
    h[1, 0].clamp_(2.0, 5.0)
    e = h[0, 0]
    e += 3.0                     # NumPy's operator on a scalar: h is unchanged
    h[0, 2] += 7.0               # a subscripted update: h[0, 2] = h[0, 2] + 7
    np.testing.assert_array_equal(h.data, [[0.0, 4.0, 7.0], [2.0, 9.0, 1.0]])
    assert e.item() == 3.0


def test_a_method_on_an_element_in_grad_mode_has_the_central_difference_gradient():
    def scaled_element(w, s):
        h = w * 1.0
        h[1, 2].mul_(s)
        h[0, 0].add_(s * s)
        return (h * h).sum()

    assert ad.gradcheck(scaled_element, [np.arange(12.0).reshape(3, 4) / 5, np.array(1.7)])


def test_a_method_on_an_element_of_a_parameter_needs_no_grad():
    w = ad.tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        w[0, 1].mul_(3.0)
    with ad.no_grad():
        w[0, 1].mul_(3.0)
    np.testing.assert_array_equal(w.data, [[1.0, 3.0], [1.0, 1.0]])


def test_an_element_copy_holds_no_graph_after_it_is_gone():
    import gc
    import weakref

    h = ad.tensor(np.ones((3, 3)))
    alive = weakref.ref(h)
    e = h[1, 1]
    del h
    assert alive() is not None          # the element keeps its tensor, as a view would
    del e
    gc.collect()
    assert alive() is None
