"""``t.as_strided(size, stride, storage_offset)`` and ``ad.as_strided`` of a tensor whose
array is C-contiguous, against PyTorch (values and gradients, overlapping windows, 0-d,
size-1 and empty sizes) and central differences; the refusals."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.inplace import InPlaceError

_CASES = [
    ((12,), (3, 4), (4, 1), 0),             # a reshape
    ((12,), (4, 3), (1, 4), 0),             # a transpose
    ((3, 4), (5, 4), (2, 1), 0),            # overlapping windows
    ((10,), (4, 3), (2, 1), 1),             # overlapping windows with an offset
    ((6,), (3, 2), (0, 1), 2),              # a zero stride (a broadcast)
    ((2, 3), (), (), 4),                    # a 0-d result
    ((), (), (), 0),                        # of a 0-d tensor
    ((), (1, 1), (5, 7), 0),                # size-1 dims of a 0-d tensor
    ((5,), (1, 2), (3, 1), 3),              # size-1 dims
    ((4,), (0, 3), (1, 1), 0),              # empty
    ((4,), (2, 0), (1, 9), 0),              # empty, with a stride past the end
    ((2, 2, 3), (2, 2, 2), (6, 1, 1), 1),
]


def _values(shape):
    return np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape) * 0.7 - 2.0


@pytest.mark.parametrize("shape, size, stride, offset", _CASES)
def test_as_strided_matches_pytorch_with_its_gradient(shape, size, stride, offset):
    torch = pytest.importorskip("torch")
    values = _values(shape)
    weights = np.cos(np.arange(np.prod(size, dtype=int))).reshape(size)
    x = ad.tensor(values, requires_grad=True)
    ours = x.as_strided(size, stride, offset)
    (ours * ad.tensor(weights)).sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    theirs = tx.as_strided(size, stride, offset)
    (theirs * torch.tensor(weights)).sum().backward()
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
    # (the gradient adds the weights in another order where windows overlap)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("shape, size, stride, offset", _CASES)
def test_the_function_form_matches_the_method(shape, size, stride, offset):
    torch = pytest.importorskip("torch")
    values = _values(shape)
    ours = ad.as_strided(ad.tensor(values), size, stride, offset)
    theirs = torch.as_strided(torch.tensor(values), size, stride, offset)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    copy = ad.as_strided_copy(ad.tensor(values), size, stride, offset)
    np.testing.assert_array_equal(copy.data, torch.as_strided_copy(
        torch.tensor(values), size, stride, offset).numpy())


@pytest.mark.parametrize("size, stride, offset", [((3, 3), (2, 1), 0), ((4,), (0,), 2),
                                                  ((2, 2, 2), (3, 1, 2), 1)])
def test_as_strided_has_central_difference_gradients_of_first_and_second_order(
        size, stride, offset):
    values = np.linspace(-1.0, 2.0, 9)
    assert ad.gradcheck(lambda x: (x.as_strided(size, stride, offset) ** 3).sum(), [values])
    x = ad.tensor(values, requires_grad=True)
    (gradient,) = ad.autograd.grad((x.as_strided(size, stride, offset) ** 3).sum(), [x],
                          create_graph=True)
    (hessian_row_sums,) = ad.autograd.grad(gradient.sum(), [x])
    # d/dx_j sum_k (3 c_k x_k^2) with c_k the number of reads of x_k: 6 c_j x_j
    reads = np.bincount(np.ravel(_reads(size, stride, offset)), minlength=values.size)
    np.testing.assert_allclose(hessian_row_sums, 6 * reads * values, rtol=1e-14)


def _reads(size, stride, offset):
    return offset + sum(np.arange(n).reshape([-1 if a == k else 1 for k in range(len(size))])
                        * s for a, (n, s) in enumerate(zip(size, stride)))


def test_the_default_storage_offset_is_the_tensors_first_element():
    x = ad.arange(6.0)
    np.testing.assert_array_equal(x.as_strided((2,), (2,)).data, [0.0, 2.0])
    np.testing.assert_array_equal(ad.as_strided(x, [2], [2], None).data, [0.0, 2.0])


def test_as_strided_of_a_contiguous_slice_reads_the_slice():
    x = ad.arange(6.0)
    np.testing.assert_array_equal(x[2:].as_strided((2,), (1,)).data, [2.0, 3.0])


def test_as_strided_keeps_the_dtype():
    x = ad.tensor(np.arange(4, dtype=np.float32))
    assert x.as_strided((2, 2), (1, 1)).dtype == np.float32
    assert ad.tensor(np.arange(4)).as_strided((3,), (1,)).tolist() == [0, 1, 2]


def test_a_non_contiguous_array_is_refused_asking_for_contiguous():
    transposed = ad.tensor(np.arange(6.0).reshape(2, 3).T)
    with pytest.raises(ValueError, match=r"not C-contiguous.*\(3, 2\).*contiguous\(\)"):
        transposed.as_strided((2,), (1,))
    np.testing.assert_array_equal(transposed.contiguous().as_strided((3,), (1,)).data,
                                  [0.0, 3.0, 1.0])


@pytest.mark.parametrize("size, stride, offset, match", [
    ((3,), (2,), 0, r"reads element 4 of 4"),
    ((2,), (1,), 3, r"reads element 4 of 4"),
    ((2, 2), (1,), 0, "same length"),
    ((2,), (-1,), 0, "non-negative"),
    ((-1,), (1,), 0, "non-negative"),
    ((2,), (1,), -1, "storage_offset"),
    ((2.0,), (1,), 0, "sequence of ints"),
])
def test_bad_arguments_are_refused_naming_them(size, stride, offset, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ad.arange(4.0).as_strided(size, stride, offset)


def test_pytorch_refuses_the_same_reads_past_the_end():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.arange(4.0).as_strided((3,), (2,))


def test_writing_into_the_result_is_refused():
    windows = ad.arange(5.0).as_strided((2, 3), (2, 1))
    with pytest.raises(InPlaceError, match="read-only"):
        windows.add_(1.0)


def test_the_result_is_a_copy_that_later_writes_into_the_input_leave_alone():
    x = ad.arange(4.0)
    windows = x.as_strided((2, 2), (1, 1))
    with ad.no_grad():
        x[1] = 10.0
    np.testing.assert_array_equal(windows.data, [[0.0, 1.0], [1.0, 2.0]])


def test_as_strided_under_compile_replays_the_new_values():
    step = ad.compile(lambda x: (x.as_strided((2, 2), (1, 1)) ** 2).sum())
    for values in (np.arange(3.0), np.array([1.0, -2.0, 0.5])):
        expected = (np.lib.stride_tricks.sliding_window_view(values, 2) ** 2).sum()
        assert step(ad.tensor(values)).item() == pytest.approx(expected, rel=1e-15)
