"""Regression tests for the core's view links, gradient hooks, Python-number dtypes,
PyTorch's division spellings, ``ad.transpose(x, dim0, dim1)`` and ``optimizer.state``:
hooks registered on one tensor by several threads at once all run; a Python integer
that no dtype holds is refused naming it; ``t.div_(d, rounding_mode=...)`` is
PyTorch's; ``transpose``'s two dims must be integers; assigning PyTorch's form of
``optimizer.state`` (``defaultdict(dict)`` to forget it) keeps the optimizer working."""

from __future__ import annotations

import collections
import sys
import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff.integer_division import IntegerDivisionByZeroError


# ----- gradient hooks registered from several threads ---------------------------

def test_hooks_registered_on_one_tensor_by_threads_at_once_all_run():
    threads_per_tensor, tensors = 4, 300
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-7)         # switch threads as often as possible
    try:
        counts = []
        for _ in range(tensors):
            x = ad.tensor([1.0], requires_grad=True)
            y = x * 1.0
            calls = []
            start = threading.Barrier(threads_per_tensor)

            def register(y=y, calls=calls, start=start):
                start.wait()
                y.register_hook(lambda g: calls.append(1))

            threads = [threading.Thread(target=register) for _ in range(threads_per_tensor)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            y.sum().backward()
            counts.append(len(calls))
    finally:
        sys.setswitchinterval(interval)
    assert counts == [threads_per_tensor] * tensors


def test_a_hook_removed_while_another_thread_registers_leaves_the_new_one():
    x = ad.tensor([2.0], requires_grad=True)
    y = x * 3.0
    handles = [y.register_hook(lambda g: g) for _ in range(50)]
    kept = []

    def remove_all():
        for handle in handles:
            handle.remove()

    def add_one():
        kept.append(y.register_hook(lambda g: g * 10))

    threads = [threading.Thread(target=remove_all), threading.Thread(target=add_one)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [30.0])


# ----- Python numbers that no dtype holds ---------------------------------------

@pytest.mark.parametrize("call", [
    lambda t: ad.mul(2 ** 70, t), lambda t: ad.sub(2 ** 70, t), lambda t: ad.eq(-(2 ** 70), t),
    lambda t: ad.div(2 ** 70, t, rounding_mode="floor")])
def test_a_python_integer_past_int64_is_refused_as_an_overflow(call):
    # It became an object array and was reported as "int data of mixed or non-numeric
    # types"; the operator spelling (t * 2**70) raises OverflowError, as NumPy and
    # PyTorch do.
    t = ad.tensor(np.array([1, 2], np.int64))
    with pytest.raises(OverflowError, match="does not fit int64"):
        call(t)
    with pytest.raises(OverflowError):
        t * 2 ** 70


def test_a_huge_integer_with_a_float32_tensor_is_refused_briefly():
    t = ad.tensor(np.array([1.0], np.float32))
    with pytest.raises(OverflowError, match="integer of 603 digits does not fit float32"):
        ad.mul(2 ** 2000, t)
    big = ad.mul(2 ** 70, t)             # fits float32: the number takes its dtype
    assert big.dtype == np.float32 and big.data[0] == np.float32(2.0 ** 70)


@pytest.mark.parametrize("number, values, dtype", [
    (-1, [2 ** 63 + 1], np.uint64), (2 ** 64 - 1, [3], np.int64), (2 ** 63, [1], np.int8)])
def test_an_integer_that_would_widen_integers_to_floats_is_refused(number, values, dtype):
    # ad.mul(-1, uint64 tensor) was float64: -9.223372036854776e18, 2**63 + 1 rounded
    t = ad.tensor(np.array(values, dtype))
    with pytest.raises(OverflowError, match=f"{number} does not fit"):
        ad.mul(number, t)
    with pytest.raises(OverflowError):
        t * number                      # as the operator spelling (NumPy's answer)


def test_a_number_out_of_a_small_integer_dtype_is_refused_as_by_the_operator():
    u = ad.tensor(np.array([3, 250], np.uint8))
    for function, operator in ((lambda: ad.mul(-3, u), lambda: -3 * u),
                               (lambda: ad.sub(300, u), lambda: 300 - u)):
        with pytest.raises(OverflowError):
            operator()
        with pytest.raises(OverflowError, match="does not fit uint8"):
            function()
    assert ad.sub(300, u.astype(np.int64)).data.tolist() == [297, 50]


def test_numbers_that_fit_keep_their_dtypes():
    u = ad.tensor(np.array([3, 250], np.uint8))
    assert ad.mul(2, u).dtype == np.uint8
    assert ad.mul(2 ** 62, ad.tensor([1, -2])).data.tolist() == [2 ** 62, -(2 ** 63)]


# ----- t.div_(d, rounding_mode=...) ---------------------------------------------

SIGNS = [(-7, 2), (7, -2), (-7, -2), (7, 2), (-6, 3), (6, -3), (0, -5), (5, 7), (-5, 7)]


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float64", "float32"])
def test_div_in_place_with_a_rounding_mode_is_pytorchs(mode, dtype):
    torch = pytest.importorskip("torch")
    values = np.array([v for v, _ in SIGNS], dtype)
    divisors = np.array([d for _, d in SIGNS], dtype)
    ours = ad.tensor(values.copy())
    theirs = torch.tensor(values.copy())
    assert ours.div_(ad.tensor(divisors), rounding_mode=mode) is ours
    theirs.div_(torch.tensor(divisors), rounding_mode=mode)
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    number = ad.tensor(values.copy()).div_(-3, rounding_mode=mode)
    np.testing.assert_array_equal(
        number.data, torch.tensor(values.copy()).div_(-3, rounding_mode=mode).numpy())


def test_div_in_place_with_a_rounding_mode_records_a_zero_gradient():
    torch = pytest.importorskip("torch")
    x = np.array([-7.5, 3.25, 8.0])
    w, tw = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    h, th = w * 2.0, tw * 2.0
    h.div_(ad.tensor([2.0, -2.0, 3.0]), rounding_mode="floor")
    th.div_(torch.tensor([2.0, -2.0, 3.0], dtype=torch.float64), rounding_mode="floor")
    (h * h + w).sum().backward()
    (th * th + tw).sum().backward()
    np.testing.assert_array_equal(h.data, th.detach().numpy())
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())


def test_div_in_place_refuses_an_integer_zero_divisor_and_floats_into_integers():
    t = ad.tensor([7, -7])
    with pytest.raises(IntegerDivisionByZeroError):
        t.div_(ad.tensor([2, 0]), rounding_mode="trunc")
    np.testing.assert_array_equal(t.data, [7, -7])           # left as it was
    with pytest.raises(TypeError, match="div_"):
        t.div_(2.5, rounding_mode="floor")                    # a float result
    with pytest.raises(ValueError, match="div_"):
        t.div_(ad.tensor([[1, 2], [3, 4]]), rounding_mode="floor")    # broadcasts wider


# ----- ad.transpose(x, dim0, dim1) ----------------------------------------------

@pytest.mark.parametrize("dims", [(0.5, 1), (0, 1.0), ((1, 0, 2), 1), (True, 1), (0, True)])
def test_transpose_refuses_dims_that_are_not_integers(dims):
    # (0.5, 1) swapped axes 0 and 1: int(0.5) is 0
    t = ad.tensor(np.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match="transpose"):
        ad.transpose(t, *dims)


def test_transpose_takes_numpy_integers_as_pytorch_takes_ints():
    torch = pytest.importorskip("torch")
    x = np.arange(24.0).reshape(2, 3, 4)
    ours = ad.transpose(ad.tensor(x), np.int64(-1), np.int32(0))
    np.testing.assert_array_equal(ours.data, torch.transpose(torch.tensor(x), -1, 0).numpy())
    np.testing.assert_array_equal(ad.transpose(ad.tensor(x), (1, 0, 2)).data,
                                  np.transpose(x, (1, 0, 2)))


# ----- optimizer.state assigned in PyTorch's form -------------------------------

def _adam_run(make_parameter, make_optimizer, reset_after: int):
    w = make_parameter([1.0, -2.0, 0.5])
    opt = make_optimizer([w])
    for step in range(4):
        opt.zero_grad()
        (w * w * w).sum().backward()
        opt.step()
        if step == reset_after:
            opt.state = collections.defaultdict(dict)     # PyTorch's way to forget it
    return w


def test_forgetting_the_state_with_a_defaultdict_is_pytorchs_restart():
    # The list made from the empty mapping had no entry: the next step raised IndexError.
    torch = pytest.importorskip("torch")
    ours = _adam_run(ad.nn.Parameter, lambda p: ad.optim.Adam(p, lr=0.1), reset_after=1)
    theirs = _adam_run(lambda v: torch.nn.Parameter(torch.tensor(v, dtype=torch.float64)),
                       lambda p: torch.optim.Adam(p, lr=0.1), reset_after=1)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)


def test_a_state_keyed_by_parameter_or_position_lands_on_its_parameter():
    a, b, c = (ad.nn.Parameter([float(i)]) for i in range(3))
    opt = ad.optim.SGD([a, b, c], lr=0.1, momentum=0.9)
    opt.state = {c: {"momentum_buffer": np.array([3.0])}, 0: {"momentum_buffer": np.array([1.0])}}
    assert opt.state[a]["momentum_buffer"].tolist() == [1.0]
    assert opt.state[b] == {} and b not in opt.state
    assert opt.state[c]["momentum_buffer"].tolist() == [3.0]
    with pytest.raises(KeyError, match="not among them"):
        opt.state = {ad.nn.Parameter([9.0]): {}}
    with pytest.raises(KeyError, match="positions 0..2"):
        opt.state = {5: {}}


def test_a_parameter_put_into_param_groups_by_hand_is_refused_not_given_anothers_state():
    # The state is kept by position: the new tensor read the old one's momentum
    # (state[new], new in state), and step() raised a bare KeyError of its id.
    w = ad.nn.Parameter([1.0, 2.0])
    opt = ad.optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = np.ones(2)
    opt.step()
    new = ad.nn.Parameter([5.0, 5.0])
    opt.param_groups[0]["params"][0] = new
    assert new not in opt.state and opt.state.get(new) is None and opt.state.keys() == []
    with pytest.raises(KeyError, match="not one of SGD's parameters"):
        opt.state[new]
    new.grad = np.ones(2)
    with pytest.raises(RuntimeError, match="was not given to SGD"):
        opt.step()
    np.testing.assert_array_equal(new.data, [5.0, 5.0])


def test_a_parameter_appended_to_a_group_by_hand_is_refused_at_the_step():
    w, extra = ad.nn.Parameter([1.0]), ad.nn.Parameter([2.0])
    opt = ad.optim.Adam([w], lr=0.1)
    opt.param_groups[0]["params"].append(extra)
    w.grad, extra.grad = np.ones(1), np.ones(1)
    with pytest.raises(RuntimeError, match="add_param_group"):
        opt.step()
