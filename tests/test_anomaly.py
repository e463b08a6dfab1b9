"""detect_anomaly: NaN created in the forward, NaN/inf created in the backward, the where trap."""

from __future__ import annotations

import inspect
import os
import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff.graph import _grad_mode

HERE = os.path.basename(__file__)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _next_line():
    """The line number of the caller's next line."""
    return inspect.currentframe().f_back.f_lineno + 1


def test_where_trap_with_sqrt_names_the_op_the_where_and_the_fix():
    x = ad.tensor([0.25, 1.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            line = _next_line()
            y = ad.where(x < 1, ad.sqrt(1 - x), 0.0)
            y.sum().backward()
    message = str(info.value)
    assert message.startswith("sqrt: the backward pass produced NaN")
    assert f"{HERE}:{line}" in message                       # the user's line, twice
    assert message.count(f"{HERE}:{line}") >= 2
    assert ("the upstream gradient here is 0 because `where` (created at "
            f"{os.path.relpath(__file__)}:{line}) did not select these positions") in message
    assert "the local derivative is inf, and 0·inf = NaN" in message
    assert "feed the unselected positions a safe value (`where(mask, x, safe)`)" in message
    assert "first at index (1,)" in message
    assert "local derivative (the rule with g = 1) at those positions: [inf]" in message


def test_where_trap_through_a_chain_exp_of_minus_one_over_one_minus_x_squared():
    x = ad.tensor([0.0, 1.0, 0.5], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            line = _next_line()
            y = ad.where(x < 1, ad.exp(-1 / (1 - x ** 2)), 0.0)
            y.sum().backward()
    message = str(info.value)
    # 0 (from where) * exp(-inf) = 0 reaches divide, whose derivative -a/b**2 is inf at b = 0.
    assert message.startswith("divide: the backward pass produced NaN in the gradient for b")
    assert f"because `where` (created at {os.path.relpath(__file__)}:{line})" in message
    assert "passed on through exp" in message
    assert "0·inf = NaN" in message


def test_the_fixed_version_of_the_where_trap_is_quiet_and_correct():
    x = ad.tensor([0.0, 1.0, 0.5], requires_grad=True)
    with ad.detect_anomaly():
        mask = x < 1
        safe = ad.where(mask, x, 0.0)
        y = ad.where(mask, ad.exp(-1 / (1 - safe ** 2)), 0.0)
        y.sum().backward()
    expected = np.where(x.data < 1, 0.0, 0.0)
    inside = x.data < 1
    u = 1 - x.data[inside] ** 2
    expected[inside] = np.exp(-1 / u) * (-2 * x.data[inside] / u ** 2)
    np.testing.assert_allclose(x.grad, expected)


def test_quiet_on_a_clean_graph_and_gradients_unchanged():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 3))
    W = ad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ad.tensor(np.zeros(4), requires_grad=True)

    def loss():
        h = ad.relu(X @ W + b)
        return (ad.log(1 + h ** 2) + ad.sqrt(h + 1)).mean()

    loss().backward()
    plain = W.grad.copy(), b.grad.copy()
    W.zero_grad(), b.zero_grad()
    with ad.detect_anomaly():
        loss().backward()
    np.testing.assert_array_equal(W.grad, plain[0])
    np.testing.assert_array_equal(b.grad, plain[1])


def test_forward_nan_from_clean_inputs_raises_at_that_op_with_cause():
    x = ad.tensor([1.0, 0.5], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            y = x * 2
            line = _next_line()
            z = ad.log(y - 1.5)
            z.sum()                                     # never reached
    message = str(info.value)
    assert message.startswith("log: the forward pass produced NaN from inputs without NaN")
    assert f"{HERE}:{line}" in message and "z = ad.log(y - 1.5)" in message
    assert "input x at those positions: [-0.5]" in message
    assert "log of a number below 0 is NaN" in message


def test_forward_inf_minus_inf_is_explained():
    x = ad.tensor([1000.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError, match=r"(?s)subtract: .*inf - inf is NaN"):
        with ad.detect_anomaly():
            e = ad.exp(x)                 # overflows to inf: no NaN yet, no error
            e - e


def test_nan_already_in_the_input_is_propagated_without_error():
    x = ad.tensor([np.nan, 1.0], requires_grad=True)
    with ad.detect_anomaly():
        y = ad.exp(x) * 2
    assert np.isnan(y.data[0])


def test_backward_inf_from_a_finite_upstream_gradient():
    x = ad.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            ad.sqrt(x).sum().backward()
    message = str(info.value)
    assert message.startswith("sqrt: the backward pass produced inf in the gradient for x")
    assert "the derivative of sqrt is infinite at these inputs" in message
    assert "upstream gradient g at those positions: [1]" in message


def test_zero_times_inf_not_from_where_names_the_op_that_sent_the_zero():
    x = ad.tensor([0.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            (ad.sqrt(x) * 0.0).sum().backward()
    message = str(info.value)
    assert "the upstream gradient here is 0 (sent by multiply" in message
    assert "`where`" not in message


def test_without_anomaly_mode_nothing_is_recorded_or_checked():
    x = ad.tensor([0.25, 1.0], requires_grad=True)
    y = ad.where(x < 1, ad.sqrt(1 - x), 0.0)
    assert y.node.trace is None
    y.sum().backward()                        # silently NaN, as in every engine
    assert np.isnan(x.grad[1])
    assert _grad_mode.on_record is None and _grad_mode.observers == ()


def test_trace_records_the_user_line_and_hooks_are_restored_after_an_error():
    x = ad.tensor([1.0], requires_grad=True)
    with ad.detect_anomaly():
        line = _next_line()
        y = x * 3
    assert y.node.trace.lineno == line and y.node.trace.filename == __file__
    with pytest.raises(ad.AnomalyError):
        with ad.detect_anomaly():
            ad.log(x - 2)
    assert _grad_mode.on_record is None and _grad_mode.observers == ()


def test_nested_and_decorator_forms():
    @ad.detect_anomaly()
    def f(x):
        return ad.log(x)

    with ad.detect_anomaly():
        with ad.detect_anomaly():
            pass
        assert _grad_mode.on_record is not None        # the outer block is still active
    with pytest.raises(ad.AnomalyError, match="log"):
        f(ad.tensor([-1.0], requires_grad=True))


def test_anomaly_error_is_a_runtime_error():
    assert issubclass(ad.AnomalyError, RuntimeError)


def test_anomaly_mode_is_thread_local():
    seen = {}

    def worker():
        x = ad.tensor([-1.0], requires_grad=True)
        seen["value"] = ad.log(x).data[0]          # no anomaly mode in this thread
        seen["hook"] = _grad_mode.on_record

    with ad.detect_anomaly():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert np.isnan(seen["value"]) and seen["hook"] is None


def test_higher_order_backward_in_anomaly_mode():
    x = ad.tensor([0.5, 2.0], requires_grad=True)
    with ad.detect_anomaly():
        y = (x ** 3).sum()
        (gx,) = ad.graph.run_backward(y, np.ones(()), inputs=[x], create_graph=True)
        gx.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_one_detect_anomaly_object_entered_twice_restores_the_mode():
    guard = ad.detect_anomaly()
    with guard:
        with guard:
            pass
    x = ad.tensor([-1.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        ad.sqrt(x)                     # NaN outside any block: NumPy's warning, no error


def test_a_nan_passed_as_a_keyword_argument_came_in():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    with ad.detect_anomaly():
        padded = np.pad(x, 1, constant_values=np.nan)
        leaky = ad.leaky_relu(x, slope=np.nan)
    assert np.isnan(padded.data[[0, -1]]).all() and np.isnan(leaky.data[1])


def test_gradients_of_several_uses_whose_sum_overflows_are_reported():
    # Each use sends 1e308 (finite); the sum is inf.  NumPy's overflow warning is
    # silenced in anomaly mode, so the mode itself must say it.
    x = ad.tensor([0.5], requires_grad=True)
    with ad.detect_anomaly():
        u = x * 1.0
        loss = (u * 1e308).sum() + (u * 1e308).sum()
        with pytest.raises(ad.AnomalyError, match=r"(?s)the output of multiply: the sum of the "
                           r"gradients from its 2 uses overflowed.*test_anomaly.py.*u = x \* 1.0"):
            loss.backward()
    leaf = ad.tensor([0.5], requires_grad=True, name="w")
    with ad.detect_anomaly(), np.errstate(over="ignore"):
        loss = (leaf * 1e308).sum() + (leaf * 1e308).sum()
        with pytest.raises(ad.AnomalyError, match="the tensor w: the sum .* 2 uses overflowed"):
            loss.backward()
        with pytest.raises(ad.AnomalyError, match="2 uses overflowed"):
            ad.grad(lambda v: (v * 1e308).sum() + (v * 1e308).sum())(np.array([0.5]))
    assert leaf.grad is None


def test_an_inf_that_one_use_already_sent_is_reported_where_it_was_made_not_as_a_sum():
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    with ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError, match="^sqrt: the backward pass produced inf"):
            (ad.sqrt(x) + x).sum().backward()


@pytest.mark.parametrize("mask", [[[False, True]] * 3, [[False], [False]]])
def test_the_where_trap_is_named_when_the_where_broadcasts_the_value(mask):
    # A batch mask (3, 2) over a value (2,): the value's element 0 is unselected in
    # every copy; a (2, 1) mask leaves both unselected.
    x = ad.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError, match="because `where` .* did not select"):
        with ad.detect_anomaly():
            ad.where(ad.tensor(mask), ad.sqrt(x), 0.0).sum().backward()


def test_with_create_graph_the_where_trap_is_reported_as_the_backward_of_sqrt():
    # The rules run as recorded ops then: sqrt's g / (2 * ans) must not be reported as a
    # forward NaN of an internal divide at the backward() line.
    def f(x):
        return ad.where(x > 0, ad.sqrt(x), 0.0).sum()

    x = ad.tensor([0.0, 4.0], requires_grad=True)
    with ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError, match=r"(?s)^sqrt: the backward pass produced NaN"
                                                  r".*because `where`"):
            f(x).backward(create_graph=True)
        with pytest.raises(ad.AnomalyError, match=r"(?s)^sqrt: the backward pass.*`where`"):
            ad.grad(lambda v: ad.grad(f)(v).sum())(np.array([0.0, 4.0]))


def test_what_anomaly_mode_recorded_is_freed_on_leaving_it_without_the_collector():
    import gc
    import weakref
    from autodiff import anomaly
    w = ad.tensor(np.ones(1000), requires_grad=True)
    gc.disable()
    try:
        with ad.detect_anomaly():
            for _ in range(3):                  # a training loop: old graphs' parts go
                w.grad = None
                (w * 2).sum().backward()
            parts = anomaly._local.state.sent.get(w)
            assert len(parts) <= 2             # this graph's, and the one before
            recorded = weakref.ref(parts[0][2])
            del parts
        assert recorded() is None
    finally:
        gc.enable()


def test_a_nan_from_the_data_is_named_as_such_not_as_an_infinite_derivative():
    x = ad.tensor([[np.nan, 1.0], [2.0, 3.0]])          # a missing value in the data
    w = ad.tensor([[0.5], [-0.5]], requires_grad=True)
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught:
        ((x @ w) ** 2).mean().backward()
    text = str(caught.value)
    assert "input a of power is already NaN at those positions" in text
    assert "infinite" not in text


def test_an_unnamed_input_of_a_custom_function_is_called_input_0():
    class Reciprocal(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 1.0 / x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved
            return -g / (x * x)

    x = ad.tensor([0.0, 1.0], requires_grad=True)
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError) as caught, \
            np.errstate(divide="ignore"):
        Reciprocal.apply(x * 1.0).sum().backward()
    text = str(caught.value)
    assert "input 0 at those positions" in text and "input input" not in text
