"""Silent tape drops: NumPy turning a Tensor on the tape into an ndarray warns (naming
the user's line) or, inside a transform, raises; explicit exits stay silent."""

from __future__ import annotations

import math
import os
import re
import warnings

import numpy as np
import pytest

import autodiff as ad

HERE = __file__


def tracked(value=2.0):
    return ad.tensor(value, requires_grad=True)


@pytest.mark.parametrize("drop", [
    lambda x: np.mean([x, x + 2]),
    lambda x: np.array([x, 2 * x]),
    lambda x: np.r_[x, x],
    lambda x: np.ndenumerate(x),
    lambda x: np.random.default_rng(0).normal(x, 1.0),
    lambda x: math.exp(x),
], ids=["np.mean(list)", "np.array(list)", "np.r_", "np.ndenumerate", "rng.normal",
        "math.exp"])
def test_each_silent_drop_warns_naming_this_line_and_raises_in_a_transform(drop):
    x = tracked()
    with pytest.warns(ad.TapeDropWarning, match="requires grad.*ad.stack") as record:
        drop(x)
    assert all(w.filename == HERE for w in record)
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(lambda t: ad.tensor(drop(t)).sum() * t)(2.0)


def test_a_third_party_function_warns_at_the_users_call():
    def third_party(a):              # stands for any library that calls np.asarray
        return np.asarray(a) * 2
    x = tracked()
    with pytest.warns(ad.TapeDropWarning) as record:
        third_party(x)
    assert record[0].filename == HERE


def test_explicit_exits_stay_silent():
    x = tracked(1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(x) == 1.5 and int(x) == 1
        assert x.item() == 1.5
        np.testing.assert_array_equal(x.data, 1.5)
        np.asarray(x.numpy())
        np.asarray(x.detach())
        repr(x), str(x)
        with ad.no_grad():
            np.asarray(x)                # nothing is recorded here anyway
        np.asarray(ad.tensor([1.0, 2.0]))   # not on the tape
        assert ad.grad(lambda t: t * float(t))(3.0) == 3.0   # float(t) is a constant


def test_ad_functions_take_lists_of_tensors():
    x, y = tracked(1.0), tracked(3.0)
    m = ad.mean([x, y])
    m.backward()
    assert m.item() == 2.0 and x.grad == 0.5 and y.grad == 0.5
    np.testing.assert_allclose(ad.grad(lambda t: ad.sum([t, 2 * t, 1.0]))(1.0), 3.0)


def test_ad_array_builds_a_recorded_tensor_from_nested_lists():
    x, y = tracked(1.0), tracked(3.0)
    a = ad.array([[x, 2.0], [y * x, 4]])
    assert a.shape == (2, 2) and a.dtype == np.float64 and a.requires_grad
    np.testing.assert_array_equal(a.data, [[1.0, 2.0], [3.0, 4.0]])
    a.sum().backward()
    assert x.grad == 1.0 + 3.0 and y.grad == 1.0
    np.testing.assert_array_equal(ad.array([1, 2]).data, [1, 2])


def test_wrapping_a_tensor_on_the_tape_in_a_new_tensor_warns_and_detach_does_not():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(ad.TapeDropWarning, match=r"copied into a new tensor .*test_tape_drop"):
        ad.tensor(x * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not ad.tensor((x * 2).detach()).requires_grad
        with ad.no_grad():
            ad.tensor(x)
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(lambda v: ad.tensor(v).sum())(x.data)


def test_an_installed_package_that_converts_a_tensor_warns_at_the_users_call(
        tmp_path, monkeypatch):
    from autodiff import tape_drop

    (tmp_path / "thirdparty.py").write_text(
        "import numpy as np\n\n"
        "def double(a):\n    return np.asarray(a) * 2\n\n"
        "def as_number(a):\n    return float(a) + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(tape_drop, "_INSTALLED_DIRS", (os.path.join(str(tmp_path), ""),))
    import thirdparty

    x = tracked()
    for call in (thirdparty.double, thirdparty.as_number):
        with pytest.warns(ad.TapeDropWarning, match=f"at {re.escape(HERE)}") as record:
            call(x)
        assert [w.filename for w in record] == [HERE]


def test_a_format_spec_formats_a_0d_tensor_as_numpy_and_silently():
    loss = (tracked(1.5) ** 2).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f"{loss:.3f}" == "2.250" == format(np.array(2.25), ".3f")
        assert "{:>6.1f}".format(loss) == "   2.2" and f"{loss}" == str(loss)
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{ad.tensor([1.0, 2.0]):.3f}"


def test_percent_formatting_is_silent_as_a_format_spec_is():
    loss = (tracked(1.5) ** 2).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "%.3f" % loss == "2.250" == "%.3f" % np.array(2.25)
        assert "loss %.1f at %d" % (loss, 3) == "loss 2.2 at 3"
        text = "%.2f"
        text %= loss
        assert text == "2.25"
    with pytest.warns(ad.TapeDropWarning):   # arithmetic on the float still warns
        math.exp(loss)


def test_logging_a_loss_with_percent_args_is_silent(caplog):
    import logging
    loss = (tracked(1.5) ** 2).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.INFO):
            logging.getLogger("train").info("loss %.3f", loss)
    assert "loss 2.250" in caplog.text


def test_storing_a_tensor_into_an_ndarray_warns_naming_the_assignment_and_the_fix():
    x = ad.tensor([0.3, -0.8], requires_grad=True)
    stored = np.zeros((2, 2))
    with pytest.warns(ad.TapeDropWarning, match=r"Python float and stored into an ndarray "
                                                r"\(a\[key\] = t\).*np\.zeros_like\(t, shape="):
        stored[0, 0] = x[0]
    with pytest.warns(ad.TapeDropWarning, match=r"out = ad\.zeros\(shape\); out\[i\] = t"):
        stored[1] = x
    # the fix the warning names keeps the gradient
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        out = ad.zeros((2, 2))
        out[1] = x
        (out * np.arange(4.0).reshape(2, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])
