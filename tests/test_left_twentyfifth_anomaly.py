"""detect_anomaly names the user's op when a NaN comes from inside another op's rule."""
import numpy as np
import pytest

import autodiff as ad


def _second_derivative_error(f, *values):
    inputs = [ad.tensor(v, requires_grad=True) for v in values]
    with ad.detect_anomaly():
        f(*inputs).sum().backward(create_graph=True)
        first = inputs[0].grad
        for t in inputs:
            t.grad = None
        with pytest.raises(ad.AnomalyError) as info:
            first.sum().backward()
    return str(info.value)


def test_atan2_second_derivative_at_the_origin_names_atan2_not_where():
    message = _second_derivative_error(lambda y, x: ad.arctan2(y, x), 0.0, 0.0)
    assert "recorded by the gradient rule of arctan2" in message
    assert "with create_graph=True" in message
    cause = message.split("cause:")[1]
    assert "internal to the gradient rule of arctan2" in cause
    assert "the origin (both inputs 0)" in cause
    assert "where(mask" not in message and "x_safe" not in message


def test_a_where_the_user_wrote_still_gets_the_where_trick():
    x = ad.tensor(np.array([0.0, 4.0]), requires_grad=True)
    with ad.detect_anomaly():
        y = ad.where(x > 0, ad.sqrt(x), 0.0).sum()
        with pytest.raises(ad.AnomalyError) as info:
            y.backward()
    assert "x_safe = where(mask, x, safe)" in str(info.value)
    assert "gradient rule of" not in str(info.value)


def test_hypot_the_user_wrote_is_named_as_the_users():
    x, y = ad.tensor(0.0, requires_grad=True), ad.tensor(0.0, requires_grad=True)
    with ad.detect_anomaly():
        with pytest.raises(ad.AnomalyError) as info:
            ad.hypot(x, y).backward()
    assert "gradient rule of" not in str(info.value)
    assert "hypot: at a = b = 0" in str(info.value)


@pytest.mark.parametrize("f, value", [
    (lambda x: ad.linalg.norm(x), np.zeros(3)),
    (lambda x: ad.abs(x), 0.0),
])
def test_norm_and_abs_second_derivatives_at_zero_are_finite(f, value):
    x = ad.tensor(value, requires_grad=True)
    with ad.detect_anomaly():
        f(x).sum().backward(create_graph=True)
        first = x.grad
        x.grad = None
        first.sum().backward()
    assert np.all(x.grad.data == 0)


def test_ops_recorded_after_the_pass_are_the_users_again():
    y, x = ad.tensor(0.0, requires_grad=True), ad.tensor(1.0, requires_grad=True)
    with ad.detect_anomaly():
        ad.arctan2(y, x).backward(create_graph=True)
        z = ad.tensor(0.0, requires_grad=True)
        with pytest.raises(ad.AnomalyError) as info:
            ad.sqrt(z).backward()
    assert "gradient rule of" not in str(info.value)
    assert "op created at" in str(info.value)
