"""``ad.explain`` names a saturated sigmoid, tanh, erf, erfc or softmax as the reason a
gradient is zero or vanishingly small, with the input's size, rather than a generic
"exactly zero" or "a long path of small factors" story."""

import numpy as np
import pytest

import autodiff as ad


def _explained(function, value, dtype=np.float64):
    x = ad.tensor(np.asarray(value, dtype=dtype), requires_grad=True)
    loss = function(x).sum()
    loss.backward()
    return x, ad.explain(x)


def test_expit_at_800_is_named_saturated_with_its_input():
    x, text = _explained(ad.special.expit, 800.0)
    assert float(x.grad) == 0.0
    assert "sigmoid (expit) saturated at 1 of 1 positions" in text
    assert "its input reaches 800" in text
    assert "limit 1" in text
    assert "no op on the way is known to zero it" not in text


def test_expit_at_minus_40_has_a_tiny_slope_named_not_a_long_path():
    x, text = _explained(ad.special.expit, -40.0)
    assert 0 < float(x.grad) < 1e-17
    assert "its input reaches -40" in text and "limit 0" in text
    assert "a long path" not in text            # one op, not many small factors


@pytest.mark.parametrize("name, value, limit", [("tanh", 50.0, "1"), ("erf", 10.0, "1"),
                                                ("erf", -10.0, "-1"), ("erfc", -10.0, "2")])
def test_tanh_erf_erfc_saturated(name, value, limit):
    function = getattr(ad.special, name, None) or getattr(ad, name)
    x, text = _explained(function, value)
    assert abs(float(x.grad)) < 1e-40
    assert f"{name} saturated at 1 of 1 positions" in text
    assert f"its input reaches {value:g}" in text and f"limit {limit}" in text
    assert "a long path" not in text


def test_softmax_with_one_huge_logit_names_the_gap():
    x = ad.tensor([1000.0, 0.0, 1.0], requires_grad=True)
    loss = ad.softmax(x, dim=-1)[0]
    loss.backward()
    text = ad.explain(x)
    assert not np.any(x.grad)
    assert "softmax saturated in 1 of 1 rows along axis -1" in text
    assert "exceeds the others by 999" in text


def test_float32_saturates_sooner_and_says_its_dtype():
    x, text = _explained(ad.tanh, [12.0], dtype=np.float32)
    assert "within float32's rounding of its limit 1" in text
    _, text64 = _explained(ad.tanh, [12.0])
    assert "saturated" not in text64            # tanh(12) is not 1 in float64


def test_only_the_saturated_positions_are_counted_through_an_intermediate():
    x = ad.tensor([3.0, 0.01], requires_grad=True)
    loss = ad.tanh(x * 20).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(x)
    assert "tanh saturated at 1 of 2 positions: its input reaches 60" in text


def test_unsaturated_inputs_say_nothing_of_saturation():
    for function in (ad.special.expit, ad.tanh, ad.special.erf):
        _, text = _explained(function, [0.3, -2.0])
        assert "saturated" not in text
