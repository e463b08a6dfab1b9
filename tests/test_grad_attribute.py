"""``.grad``: reading it on an intermediate warns (as in PyTorch), and assigning it checks
the shape and dtype at once instead of at the optimizer's step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

HERE = __file__


def _graph():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    (h ** 2).sum().backward()
    return x, h


def test_reading_the_grad_of_an_intermediate_warns_at_this_line():
    x, h = _graph()
    with pytest.warns(UserWarning, match=r"not a leaf .*'multiply'.*retain_grad\(\)") as record:
        assert h.grad is None
    assert [w.filename for w in record] == [HERE]


def test_no_warning_for_leaves_retained_intermediates_and_constants():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    c = ad.tensor([1.0, 2.0]) * 2          # no gradient: a leaf, as in PyTorch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert h.grad is None and x.grad is None and c.grad is None
        (h ** 2).sum().backward()
        np.testing.assert_array_equal(h.grad, 2 * h.data)
        np.testing.assert_array_equal(x.grad, 18 * x.data)


def test_the_library_reading_grad_of_intermediates_is_silent():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    w = ad.nn.Parameter([0.5, 0.5])
    opt = ad.optim.SGD([w], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            h = x * w
            h.retain_grad()
            loss = (h ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            ad.explain(w)
        ad.nn.utils.clip_grad_norm_([w], 1.0)


def test_assigning_a_grad_of_the_wrong_shape_raises_naming_both_shapes():
    w = ad.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*shape \(2, 3\)"):
        w.grad = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2, 3\)"):
        w.grad = ad.tensor(np.zeros(3))
    assert w.grad is None                   # nothing was stored


@pytest.mark.parametrize("value", [np.zeros((2, 3), dtype=int), np.zeros((2, 3), dtype=bool)],
                         ids=["int", "bool"])
def test_assigning_a_non_float_grad_raises(value):
    w = ad.tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=f"dtype {value.dtype}.*floating-point"):
        w.grad = value


@pytest.mark.parametrize("data_dtype, grad_dtype, as_tensor", [
    (np.float64, np.float32, False),
    (np.float32, np.float64, False),
    (np.float64, np.float32, True),
], ids=["f64-tensor-f32-grad", "f32-tensor-f64-grad", "f32-Tensor-as-grad"])
def test_assigning_a_grad_of_another_float_dtype_raises(data_dtype, grad_dtype, as_tensor):
    t = ad.tensor(np.zeros(3, dtype=data_dtype), requires_grad=True)
    value = np.zeros(3, dtype=grad_dtype)
    if as_tensor:
        value = ad.tensor(value)
    want = np.dtype(data_dtype).name
    with pytest.raises(TypeError, match=(
            rf"\.grad: .* dtype {np.dtype(grad_dtype).name}, .*shape \(3,\)\) has dtype "
            rf"{want}.*astype\(np\.{want}\)")):
        t.grad = value
    assert t.grad is None                   # nothing was stored
    t.grad = np.zeros(3, dtype=data_dtype)  # the same dtype: kept
    assert t.grad.dtype == data_dtype


def test_a_scalar_grad_of_another_dtype_raises():
    s = ad.tensor(np.float32(1.0), requires_grad=True)
    with pytest.raises(TypeError, match=r"dtype float64.*has dtype float32"):
        s.grad = np.float64(2.0)


def test_a_grad_on_an_integer_tensor_raises_saying_it_cannot_have_one():
    i = ad.tensor(np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match=r"dtype int64, which cannot have a gradient"):
        i.grad = np.zeros(3)


def test_library_paths_keep_the_grad_dtype():
    """The paths that assign .grad themselves (clipping, zero_grad(set_to_none=False),
    mixed-dtype graphs, a compiled step) store each tensor's own dtype."""
    x = ad.nn.Parameter(np.ones(3, dtype=np.float32))
    y = ad.nn.Parameter(np.ones(3))
    c = np.arange(3.0)
    opt = ad.optim.Adam([x, y], lr=0.1)

    @ad.compile
    def step():
        opt.zero_grad()
        (x * y * c).sum().backward()
        ad.nn.utils.clip_grad_norm_([x, y], 0.5)
        ad.nn.utils.clip_grad_value_([x, y], 0.1)
        opt.step()

    for _ in range(3):
        step()
        assert (x.grad.dtype, y.grad.dtype) == (np.float32, np.float64)
    opt.zero_grad(set_to_none=False)
    assert (x.grad.dtype, y.grad.dtype) == (np.float32, np.float64)
    assert (x.data.dtype, y.data.dtype) == (np.float32, np.float64)


def test_assigning_something_other_than_an_array_raises():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"assigned a list.*np.asarray"):
        w.grad = [1.0, 2.0]


def test_valid_grads_are_kept_as_given():
    w = ad.tensor(np.zeros((2, 3)), requires_grad=True)
    g = np.ones((2, 3))
    w.grad = g
    assert w.grad.base is g and w.grad is w.grad     # g's memory, seen as a GradArray
    w.grad = None
    assert w.grad is None
    s = ad.tensor(1.0, requires_grad=True)
    s.grad = np.float64(2.0)
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, ad.Tensor)
    x.grad = None
    x.grad = g                                     # a Tensor gradient of the right shape
    g.sum().backward()                             # adds the second derivative 6x
    assert x.grad is g                             # into g, as PyTorch's grad += new
    np.testing.assert_array_equal(x.grad.data, [9.0, 24.0])


def test_a_wrong_grad_is_refused_at_assignment_not_at_step():
    w = ad.nn.Parameter(np.zeros(3))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        w.grad = np.ones(4)
