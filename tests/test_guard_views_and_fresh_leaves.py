"""Views of a guarded parameter, and leaves made during a compiled call.

An op's output that views a parameter's memory (``w.T``, ``w[0]``, ``w.reshape``,
``w[1:]``, the transposed weight of ``h @ w.T``) is read-only while the parameter is
guarded, and writable again with it.  An in-place tensor update of such a view is
refused in grad mode and written under ``no_grad``, where a backward that needs the
old values refuses, as with PyTorch.

Under ``ad.compile``, a leaf with ``requires_grad`` made in the call over an array the
call made is refused naming the line; one over an array that lives across calls
replays like eager execution.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autodiff as ad
from autodiff import guard
from autodiff.compile import TraceError
from autodiff.inplace import InPlaceError

VIEWS = {
    "transpose": lambda w: w.T,
    "row": lambda w: w[0],
    "reshape": lambda w: w.reshape(3, 2),
    "slice": lambda w: w[1:],
}


def _parameter():
    return ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
@pytest.mark.parametrize("write", ["setitem", "copyto"])
def test_a_numpy_write_through_a_view_made_before_the_guard_is_refused(make, write):
    w = _parameter()
    v = make(w)                             # made before the op guarded w
    loss = (v * v).sum()
    with pytest.raises(ValueError, match="read-only"):
        if write == "setitem":
            v.data[...] = 0.0
        else:
            np.copyto(v.data, 7.0)
    loss.backward()
    reference = _parameter()
    (make(reference) * make(reference)).sum().backward()
    np.testing.assert_array_equal(w.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(w.grad, reference.grad)


def test_the_transposed_weight_of_a_tied_matmul_is_read_only_until_backward():
    w = _parameter()
    h = ad.tensor(np.ones((4, 3)), requires_grad=True)  # its gradient reads w_t
    w_t = w.T
    loss = ((h @ w_t) ** 2).sum()
    with pytest.raises(ValueError, match="read-only"):
        w_t.data[0, 0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * (h.data @ w.data.T).T @ h.data)
    w_t.data[0, 0] = 100.0                  # released with w: writable again
    assert w.data[0, 0] == 100.0


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_an_update_of_the_view_under_no_grad_writes_and_a_backward_needing_it_refuses(make):
    w = _parameter()
    v = make(w)
    loss = (v * v).sum()                    # multiply saved v, that is w's memory
    with ad.no_grad():
        v += 1.0                            # as PyTorch: w changes with it
    expected = np.arange(6.0).reshape(2, 3)
    make(expected)[...] += 1.0              # NumPy's view of the same kind
    np.testing.assert_array_equal(w.data, expected)
    with pytest.raises(InPlaceError, match="op 'multiply' saved its input 'a'"):
        loss.backward()
    assert not v.data.flags.writeable       # a raw NumPy write is still refused
    with pytest.raises(ValueError, match="read-only"):
        v.data[...] = 0.0


def test_an_update_of_the_view_under_no_grad_that_no_backward_reads_passes():
    w = _parameter()
    w_t = w.T
    loss = (ad.tensor(np.ones((4, 3))) @ w_t).sum()     # matmul saves only the ones
    with ad.no_grad():
        w_t += 1.0
    loss.backward()                         # as PyTorch: the gradient needs no w
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 4.0))
    np.testing.assert_array_equal(w.data, np.arange(6.0).reshape(2, 3) + 1.0)


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_an_in_place_update_of_the_view_in_grad_mode_is_refused(make):
    w = _parameter()
    v = make(w)
    with pytest.raises(RuntimeError, match="a leaf that requires grad"):
        v += 1.0
    np.testing.assert_array_equal(w.data, np.arange(6.0).reshape(2, 3))


def test_views_are_writable_again_after_backward_or_when_the_graph_is_dropped():
    w = _parameter()
    v = w.T
    loss = (v * v).sum()
    assert not v.data.flags.writeable
    loss.backward()
    assert v.data.flags.writeable and w.data.flags.writeable
    w2 = _parameter()
    v2 = w2[0] * 1                          # a copy: the view w2[0] dies with its graph
    del v2
    gc.collect()
    assert w2.data.flags.writeable
    assert not guard.guarded_views


def test_a_view_made_while_the_parameter_was_guarded_is_writable_after_release():
    w = _parameter()
    first = (w * w).sum()                   # w is guarded from here
    v = w.T                                 # NumPy makes the view read-only
    second = (v * v).sum()
    loss = first + second
    assert not v.data.flags.writeable
    loss.backward()
    assert v.data.flags.writeable


def test_a_view_that_is_read_only_by_its_owners_choice_stays_so():
    a = np.arange(6.0).reshape(2, 3)
    w = ad.tensor(a, requires_grad=True)
    first = (w * w).sum()
    broadcast = ad.broadcast_to(w[0], (4, 3))
    loss = first + (broadcast * broadcast).sum()
    loss.backward()
    assert not broadcast.data.flags.writeable   # repeats elements: NumPy's choice


# ----- ad.compile: leaves with requires_grad made in the call from an array ----------

_FILE = "test_guard_views_and_fresh_leaves.py"
_LONG_LIVED = np.array([1.0, 2.0])


def _inputs():
    return [ad.tensor(np.array([1.0, 2.0]) * k) for k in (1, 2, 3)]


def _eager_then_compiled(fn, reset=lambda: None):
    reset()
    eager = [fn(x).item() for x in _inputs()]
    reset()
    compiled = ad.compile(fn)
    replayed = [compiled(x).item() for x in _inputs()]
    reset()
    return eager, replayed


def test_a_leaf_over_an_array_computed_in_the_call_is_refused_naming_the_line():
    def scaled(x):
        p = ad.tensor(x.data * 2, requires_grad=True)
        return (p * p).sum()

    line = scaled.__code__.co_firstlineno + 1
    with pytest.raises(TraceError, match=rf"made at {_FILE}:{line} from a NumPy array"):
        ad.compile(scaled)(_inputs()[0])


def test_a_leaf_over_a_new_array_updated_in_place_is_refused_naming_the_line():
    def step(x):
        p = ad.tensor(np.ones(2), requires_grad=True)
        (p * x).sum().backward()
        with ad.no_grad():
            p -= ad.tensor(p.grad)
        return (p * x).sum()

    # np.ones(2) is a constant of the plan (made from Python numbers), but the update
    # changes it after a step used it, which a replay of its first values would miss.
    line = step.__code__.co_firstlineno + 5
    with pytest.raises(TraceError, match=rf"given to 'multiply' at {_FILE}:{line}, made in "
                                         r"the call with NumPy .* was changed after a step"):
        ad.compile(step)(_inputs()[0])


def test_a_leaf_made_with_library_functions_replays_like_eager():
    def step(x):
        p = ad.ones(2, requires_grad=True)
        (p * x).sum().backward()
        with ad.no_grad():
            p -= ad.tensor(p.grad)
        return (p * x).sum()

    eager, replayed = _eager_then_compiled(step)
    assert replayed == eager == [-2.0, -14.0, -36.0]


def test_a_leaf_over_a_long_lived_array_replays_like_eager():
    assert ad.tensor(_LONG_LIVED, requires_grad=True).data is _LONG_LIVED   # no copy
    first = _LONG_LIVED.copy()

    def reset():
        _LONG_LIVED[...] = first

    def step(x):                        # eager writes into the global array each call
        p = ad.tensor(_LONG_LIVED, requires_grad=True)
        (p * x).sum().backward()
        with ad.no_grad():
            p -= ad.tensor(p.grad)
        return (p * x).sum()

    eager, replayed = _eager_then_compiled(step, reset)
    assert replayed == eager == [0.0, -20.0, -75.0]


class _Holder:
    def __init__(self):
        self.array = np.array([5.0, 6.0])

    def loss(self, x):
        return (ad.tensor(self.array, requires_grad=True) * x).sum()


def test_long_lived_arrays_reached_through_a_closure_or_an_attribute_replay():
    closed_over = np.array([7.0, 8.0])

    def loss(x):
        return (ad.tensor(closed_over, requires_grad=True) * x).sum()

    for fn in (loss, _Holder().loss):
        eager, replayed = _eager_then_compiled(fn)
        assert replayed == eager
