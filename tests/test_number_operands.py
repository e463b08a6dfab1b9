"""A Tensor's operators with a Python number (``t * 0.5``, ``1 - t``, ``t ** 2``) take
a shorter path (``Op._call_number``) than the function form (``ad.multiply(t, 0.5)``,
through ``Op.__call__``); both must record the same thing and give the same values,
dtypes, warnings and gradients."""

import gc
import itertools
import operator
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.collector import UNTRACK_DEPTH

OPERATORS = [
    (operator.add, ad.add), (operator.sub, ad.subtract), (operator.mul, ad.multiply),
    (operator.truediv, ad.divide), (operator.pow, ad.power)]
NUMBERS = [2, 0.5, -3, 0, 1e-310, float("inf")]
DATA = [np.array(1.5), np.array(-0.25, np.float32), np.array([0.5, 2.0, -1.0]),
        np.array([[1.0], [3.0]], np.float32), np.array(3), np.array([1, 2, 0])]


def _results(fn):
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            out = fn()
        except Exception as error:          # same error type and text on both paths
            return type(error), str(error), None
    return out, [str(w.message).replace("scalar ", "") for w in caught]


# (``2 ** t`` keeps the general path: ``__rpow__`` has no shorter one.)
CASES = [(op, function, number_first) for op, function in OPERATORS
         for number_first in (False, True) if not (op is operator.pow and number_first)]


@pytest.mark.parametrize("op, function, number_first", CASES,
                         ids=[f"{f.name}-{'number_first' if first else 'tensor_first'}"
                              for _, f, first in CASES])
def test_operator_with_a_number_records_what_the_function_form_records(
        op, function, number_first):
    for data, number in itertools.product(DATA, NUMBERS):
        grad = data.dtype.kind == "f"
        for requires_grad in ([True, False] if grad else [False]):
            t1 = ad.tensor(data.copy(), requires_grad=requires_grad)
            t2 = ad.tensor(data.copy(), requires_grad=requires_grad)
            args1 = (number, t1) if number_first else (t1, number)
            args2 = (number, t2) if number_first else (t2, number)
            fast = _results(lambda: op(*args1))
            general = _results(lambda: function(*args2))
            if fast[-1] is None or general[-1] is None:
                assert fast == general, (data, number)
                continue
            (got, got_warnings), (want, want_warnings) = fast, general
            case = (data.dtype, data.shape, number, requires_grad)
            assert got_warnings == want_warnings, case
            assert got.dtype == want.dtype and got.shape == want.shape, case
            assert got.data.tobytes() == want.data.tobytes(), case
            assert got.requires_grad == want.requires_grad, case
            assert (got._node is None) == (want._node is None), case
            if got._node is None:
                continue
            assert got._node.parents == (
                (None, t1) if number_first else (t1, None)), case
            assert [type(a) for a in got._node.args] == \
                [type(a) for a in want._node.args], case
            assert got._node._depth == want._node._depth, case
            if requires_grad and np.isfinite(want.data).all():
                with np.errstate(all="ignore"):  # (inf * 0 in a rule: both paths alike)
                    g1, = ad.grad(lambda t: op(*((number, t) if number_first else (t, number)))
                                  .sum())(t1),
                    g2, = ad.grad(lambda t: function(*((number, t) if number_first
                                                        else (t, number))).sum())(t2),
                np.testing.assert_array_equal(g1.data, g2.data, err_msg=str(case))


def test_second_order_through_number_operators():
    x = ad.tensor(0.7, requires_grad=True)
    y = 3.0 * x ** 3 - 2 / x + (1 - x) * 0.5
    y.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    assert np.isclose(y.data, 3 * 0.7 ** 3 - 2 / 0.7 + 0.15)
    assert np.isclose(g.data, 9 * 0.7 ** 2 + 2 / 0.7 ** 2 - 0.5)
    assert np.isclose(x.grad, 18 * 0.7 - 4 / 0.7 ** 3)


def test_no_grad_records_nothing_and_a_named_constant_is_a_parent():
    x = ad.tensor(2.0, requires_grad=True)
    with ad.no_grad():
        y = x * 3
    assert y._node is None and not y.requires_grad and y.data == 6.0
    c = ad.tensor(2.0, name="c")
    z = c * 3
    assert z._node is not None and z._node.parents == (c, None) and not z.requires_grad


def test_a_parameter_subclass_gets_its_gradient():
    w = ad.nn.Parameter(np.array([1.0, 2.0]))
    (w * 2.0 + 1).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])


def test_a_leaf_read_by_a_number_operator_is_guarded():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (w ** 2).sum()                      # its gradient reads w
    with pytest.raises(ValueError):         # so w is read-only until the backward
        w.data[0] = 5.0
    y.backward()
    w.data[0] = 5.0                         # and writable again once it has run
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_a_long_number_chain_leaves_the_cycle_collector():
    x = ad.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(UNTRACK_DEPTH + 10):
        y = 1.0001 * (y + 0.001)
    assert not gc.is_tracked(y._node)
    y.backward()
    assert np.isfinite(x.grad) and x.grad > 1
