"""An op defined with ``ad.defop`` and the behaviour fields that the diagnostics read
(``multilinear``, ``probability``, ``logarithm``, ``sum_signs``, ``overflows``,
``saturation``, ``guarded_point``) gets the notes of ``explain`` and ``detect_anomaly``
that the built-in op with those fields gets, and an op without them gets none."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import registry


@pytest.fixture
def defop():
    """``ad.defop``, with the ops it made unregistered after the test."""
    made = []

    def define(name, forward, **entry):
        assert name not in registry.REGISTRY        # (a built-in op is left alone)
        made.append(name)
        return ad.defop(name, forward, **entry)
    yield define
    for name in made:
        registry.unregister(name)


def _product(defop, name, **fields):
    return defop(name, np.multiply, a=("g * b", lambda xp, g, ans, a, b: g * b),
                 b=("g * a", lambda xp, g, ans, a, b: g * a), **fields)


def _zero_factor_text(product):
    a = ad.tensor([1.0, 2.0], requires_grad=True, name="a")
    w = ad.tensor(np.zeros(2), requires_grad=True, name="w")
    product(a, w).sum().backward()
    assert not np.any(a.grad)
    return ad.explain(a)


def test_a_multilinear_user_op_names_the_all_zero_factor_as_multiply_does(defop):
    built_in = _zero_factor_text(ad.multiply)
    assert "multiplied by 'w' (shape (2,), in multiply), and it is all zero" in built_in
    # (multiply's zeroes_all, also an entry field, words the saved-values note)
    times = _product(defop, "user_times", multilinear=True,
                     zeroes_all=ad.multiply.zeroes_all)
    assert _zero_factor_text(times) == built_in.replace("multiply", "user_times")
    plain = _product(defop, "user_times_plain")
    assert "zero initialisation" not in _zero_factor_text(plain)


def _anomaly_message(program):
    with warnings.catch_warnings(record=True), ad.detect_anomaly():
        warnings.simplefilter("always")
        with pytest.raises(ad.AnomalyError) as raised:
            program()
    return str(raised.value)


def _binary_cross_entropy_by_hand(sigmoid, log, minus):
    logits = ad.tensor(np.array([5.0, 40.0]), requires_grad=True, name="logits")
    y = np.array([1.0, 0.0])

    def program():
        p = sigmoid(logits)
        (-(y * log(p) + (1 - y) * log(minus(1.0, p))).mean()).backward()
    return _anomaly_message(program)


def _user_ops(defop, suffix="", **fields):
    sigmoid = defop(f"user_squash{suffix}", lambda x: 1 / (1 + np.exp(-x)),
                    x=("g * ans * (1 - ans)", lambda xp, g, ans, x: g * ans * (1 - ans)),
                    **fields.get("sigmoid", {}))
    log = defop(f"user_ln{suffix}", np.log, x=("g / x", lambda xp, g, ans, x: g / x),
                **fields.get("log", {}))
    minus = defop(f"user_minus{suffix}", np.subtract, a=("g", lambda xp, g, ans, a, b: g),
                  b=("-g", lambda xp, g, ans, a, b: -g), **fields.get("minus", {}))
    return sigmoid, log, minus


def test_a_log_of_a_user_probability_op_that_rounded_to_1_is_told_as_sigmoid_is(defop):
    built_in = _binary_cross_entropy_by_hand(ad.sigmoid, ad.log, ad.subtract)
    assert "the derivative of log is infinite at 0" in built_in
    assert "a probability that sigmoid rounded to 0 or 1" in built_in
    advice = "squash_with_logits(x) instead"
    ops = _user_ops(defop, sigmoid={"probability": advice}, log={"logarithm": True},
                    minus={"sum_signs": (1, -1)})
    message = _binary_cross_entropy_by_hand(*ops)
    assert "the derivative of user_ln is infinite at 0" in message
    assert "a probability that user_squash rounded to 0 or 1" in message
    assert f"from the logits, with {advice}, which stay finite" in message
    # without the fields: the general cause, no probability named
    message = _binary_cross_entropy_by_hand(*_user_ops(defop, "_plain"))
    assert "the derivative of user_ln_plain is infinite at these inputs" in message
    assert "rounded to 0 or 1" not in message


def _overflow_message(op, value=800.0):
    w = ad.tensor(np.array([value]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        message = _anomaly_message(lambda: op(w).sum().backward())
    return message.split("cause:")[1]          # (not the quoted line of this file)


def test_a_user_op_that_overflows_gets_exps_cause_and_its_own_advice(defop):
    built_in = _overflow_message(ad.exp)
    assert ("the result of exp overflowed to inf at those positions (float64 holds at "
            "most 1.79769e+308), so its derivative there is inf too; keep the argument "
            "smaller, e.g. logsumexp") in built_in
    grow = defop("user_grow", np.exp, overflows="or work with its log",
                 x=("g * ans", lambda xp, g, ans, x: g * ans))
    assert ("the result of user_grow overflowed to inf at those positions (float64 holds at "
            "most 1.79769e+308), so its derivative there is inf too; keep the argument "
            "smaller, or work with its log") in _overflow_message(grow)
    plain = defop("user_grow_plain", np.exp, x=("g * ans", lambda xp, g, ans, x: g * ans))
    assert "overflowed" not in _overflow_message(plain)


def test_an_overflow_test_says_when_an_inf_is_not_an_overflow(defop):
    # (power's: 0 ** -1 is a division by zero, not a result past the largest float)
    def test(a, b):
        return not (np.asarray(a) == 0).any()
    reciprocal_power = defop(
        "user_to_the", np.power, overflows=("or rescale", test),
        a=("g * b * a**(b-1)", lambda xp, g, ans, a, b: g * b * a ** (b - 1)), b=None)
    assert "overflowed" in _overflow_message(lambda w: reciprocal_power(w, 200.0), 1e2)
    cause = _overflow_message(lambda w: reciprocal_power(w, -1.0), 0.0)
    assert "overflowed" not in cause and "division by 0" in cause


def _saturation_text(op):
    x = ad.tensor(np.array([50.0]), requires_grad=True)
    op(x).sum().backward()
    return ad.explain(x)


def test_a_user_op_that_saturates_is_named_as_tanh_is(defop):
    built_in = _saturation_text(ad.tanh)
    assert "tanh saturated at 1 of 1 positions: its input reaches 50" in built_in
    curve = ad.tanh.saturation._replace(slope="1 - user_flatten(x)^2")
    rule = ("g * (1 - ans**2)", ad.tanh.rules[0])           # (tanh's: no 1 - ans**2 = 0)
    flatten = defop("user_flatten", np.tanh, saturation=curve, x=rule)
    assert _saturation_text(flatten) == built_in.replace("tanh", "user_flatten")
    plain = defop("user_flatten_plain", np.tanh, x=rule)
    assert "saturated" not in _saturation_text(plain)


def _update_warning(step):
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True, name="w")
    (w ** 2).sum().backward()
    w = step(w, 0.1 * w.grad)
    (w ** 2).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf") as caught:
        assert w.grad is None
    return str(caught[0].message)


def test_an_update_recorded_by_a_user_difference_op_is_told_how_to_write_it(defop):
    assert "w = w - lr * w.grad" in _update_warning(ad.subtract)
    rules = {"a": ("g", lambda xp, g, ans, a, b: g), "b": ("-g", lambda xp, g, ans, a, b: -g)}
    step = defop("user_step", np.subtract, sum_signs=(1, -1), **rules)
    assert _update_warning(step) == _update_warning(ad.subtract).replace("subtract", "user_step")
    plain = defop("user_step_plain", np.subtract, **rules)
    told = _update_warning(plain)
    assert "w = w - lr * w.grad" not in told and "retain_grad()" in told


def _second_derivative_message(f, *values):
    inputs = [ad.tensor(v, requires_grad=True) for v in values]
    with ad.detect_anomaly():
        f(*inputs).sum().backward(create_graph=True)
        first = inputs[0].grad
        for t in inputs:
            t.grad = None
        with pytest.raises(ad.AnomalyError) as raised:
            first.sum().backward()
    return str(raised.value).split("cause:")[1]


def test_a_user_op_whose_rule_guards_a_point_names_that_point(defop):
    # arctan2's own rules, under another name: the guard inside them makes the NaN
    rules = dict(zip(ad.arctan2.input_names, zip(ad.arctan2.formulas.values(),
                                                 ad.arctan2.rules)))
    angle = defop("user_angle", np.arctan2, guarded_point="the origin (both inputs 0)",
                  **rules)
    built_in = _second_derivative_message(ad.arctan2, 0.0, 0.0)
    assert "internal to the gradient rule of arctan2" in built_in
    assert "at the origin (both inputs 0)" in built_in
    cause = _second_derivative_message(angle, 0.0, 0.0)
    assert cause == built_in.replace("arctan2", "user_angle")
    plain = defop("user_angle_plain", np.arctan2, **rules)
    cause = _second_derivative_message(plain, 0.0, 0.0)
    assert "internal to the gradient rule of user_angle_plain" in cause
    assert "at the point where its derivative is infinite" in cause
