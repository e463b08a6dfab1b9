"""The teaching tools on the newest programs' ops in float32, complex, 0-d and empty
shapes, and inside ``ad.grad``, ``ad.vmap`` and ``ad.compile``; and the in-browser
stepper on an ``as_strided`` forecaster and a Cox loss by ``logcumsumexp``.

Two answers were unhelpful before: ``viz.text``/``steps``/``html`` of a compiled
step's plan said only "expected a Tensor, got Plan" (nothing on what to do), and
``viz.steps`` of a Tensor computed from values that do not require grad (as an ad op
on ``ad.vmap``'s plain arrays gives) called it "a leaf" with no way forward.
"""

import shutil

import numpy as np
import pytest
from teaching_checks import check_tools_keep_the_dtype, step_through_in_a_browser
from test_teaching_sixteenth import PROGRAMS

import autodiff as ad
import autodiff as torch            # written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
_rng = np.random.default_rng(1616)


# ----------------------------------------------------------------------------------
# float32, complex, 0-d, empty
# ----------------------------------------------------------------------------------
def test_a_float32_causal_conv_and_lstm():
    torch.manual_seed(0)
    conv, rnn = nn.Conv1d(2, 3, 2, dilation=2).float(), nn.LSTM(3, 2).float()
    x = torch.tensor(_rng.normal(size=(1, 2, 8)).astype(np.float32))
    h = F.max_pool1d(torch.tanh(conv(F.pad(x, (2, 0)))), 2)       # (1, 3, 4)
    out, _ = rnn(h.permute(2, 0, 1))
    loss = out.pow(2).sum()
    assert loss.dtype == np.float32
    params = {f"conv.{k}": p for k, p in conv.named_parameters()}
    params.update({f"rnn.{k}": p for k, p in rnn.named_parameters()})
    for key, p in params.items():
        p.name = key
    check_tools_keep_the_dtype(loss, params)


def test_a_complex_einsum_of_a_list_shows_pytorchs_gradient():
    a = ad.tensor(np.array([[1 + 1j, 2 - 1j]]), requires_grad=True, name="a")
    b = ad.tensor(np.array([[0.5j], [1.0]]), requires_grad=True, name="b")
    out = torch.einsum("nc,ck->nk", [a, b])
    grads = check_tools_keep_the_dtype((out * out.conj()).real.sum(), {"a": a, "b": b})
    # |a b|^2 = |(1+i) 0.5i + (2-i)|^2: PyTorch's convention, 2 * dL/d(conj z)
    np.testing.assert_allclose(grads["a"], [[-0.5 - 1.5j, 3.0 - 1.0j]], rtol=1e-15)
    np.testing.assert_allclose(grads["b"], [[2.0 - 4.0j], [7.0 + 1.0j]], rtol=1e-15)


def test_zero_d_remainder_and_complex_scalar_arithmetic():
    w = ad.tensor(np.array(2.7), requires_grad=True, name="w")
    grads = check_tools_keep_the_dtype(torch.remainder(w, 1.0) * w, {"w": w})
    np.testing.assert_allclose(grads["w"], 0.7 + 2.7, rtol=1e-15)      # (w mod 1) + w
    z = ad.tensor(np.array(0.5 - 0.25j), requires_grad=True, name="z")
    y = (z * 2j + 1) / (z - 3) - z ** 2
    grads = check_tools_keep_the_dtype(torch.abs(y), {"z": z})
    # (the value PyTorch gives for the same program)
    np.testing.assert_allclose(grads["z"], 1.3780801192818137 - 0.2571365055520345j,
                               rtol=1e-13)


@pytest.mark.parametrize("build", [
    lambda w: w.narrow(0, 1, 2).sum(),
    lambda w: torch.logcumsumexp(w, 1).sum(),
    lambda w: np.subtract.accumulate(w, axis=0).sum(),
    lambda w: np.hypot.reduce(w, axis=0, initial=1.0).sum(),
], ids=["narrow", "logcumsumexp", "subtract.accumulate", "hypot.reduce"])
def test_an_empty_parameter(build):
    w = ad.tensor(np.zeros((3, 0)), requires_grad=True, name="w")
    grads = check_tools_keep_the_dtype(build(w), {"w": w})
    assert grads["w"].shape == (3, 0)


@pytest.mark.parametrize("shape, axis", [((3, 0), 0), ((2, 0, 2), 0), ((0, 3), 1)])
@pytest.mark.parametrize("masking", ["none", "initial", "initial and where"])
def test_a_ufunc_reduce_that_keeps_an_empty_axis_is_numpys(shape, axis, masking):
    # It crashed inside the library: the lanes were reshaped to (-1, 0), which NumPy
    # cannot infer.
    options = {"none": {}, "initial": {"initial": 1.0},
               "initial and where": {"initial": 1.0, "where": np.ones(shape, dtype=bool)}}
    w = ad.tensor(np.ones(shape), requires_grad=True, name="w")
    result = np.hypot.reduce(w, axis=axis, **options[masking])
    expected = np.hypot.reduce(np.ones(shape), axis=axis, **options[masking])
    assert result.shape == expected.shape
    grads = check_tools_keep_the_dtype(result.sum(), {"w": w})
    assert grads["w"].shape == shape


def test_an_empty_batch_through_a_convolution():
    torch.manual_seed(0)
    conv = nn.Conv1d(1, 1, 2)
    loss = conv(torch.zeros(0, 1, 4, dtype=torch.float64)).sum()
    grads = check_tools_keep_the_dtype(loss, dict(conv.named_parameters()))
    assert not np.any(grads["weight"]) and not np.any(grads["bias"])


def test_strided_windows_of_nothing():
    s = ad.tensor(np.arange(4.0), requires_grad=True, name="s")
    grads = check_tools_keep_the_dtype(s.as_strided((0, 2), (1, 1)).sum() + s.sum(), {"s": s})
    np.testing.assert_array_equal(grads["s"], np.ones(4))


# ----------------------------------------------------------------------------------
# inside ad.grad, ad.vmap and ad.compile
# ----------------------------------------------------------------------------------
def test_inside_ad_grad_the_tools_see_the_ufunc_methods():
    seen = {}

    def f(s):
        pull = np.hypot.reduce(np.subtract.outer(s, s) + 1.0, axis=1, initial=0.5)
        y = (pull ** 2).sum() + np.subtract.accumulate(s).sum()
        seen["text"] = ad.viz.text(y)
        seen["totals"] = ad.viz.steps(y).totals
        return y
    grad = ad.grad(f)(np.array([1.0, 2.0, 0.5]))
    assert "= hypot(" in seen["text"] and "= subtract_accumulate(" in seen["text"]
    np.testing.assert_allclose(next(iter(seen["totals"].values())), grad, rtol=1e-14)


def test_inside_vmap_steps_of_an_ad_op_on_plain_arrays_says_what_to_do():
    def f(x):
        return ad.viz.steps(torch.remainder(x, 1.0).sum())
    with pytest.raises(ValueError) as info:
        ad.vmap(f)(np.ones((2, 3)))
    message = str(info.value)
    assert "no value it was computed from requires grad" in message
    assert "inside ad.vmap, the function gets plain arrays" in message
    assert "it is a leaf" not in message


def _compiled_step():
    torch.manual_seed(0)
    conv = nn.Conv1d(1, 2, 2, dilation=2)
    x = torch.tensor(_rng.normal(size=(1, 1, 8)))

    @ad.compile
    def step():
        y = conv(F.pad(x, (2, 0)))
        loss = torch.logcumsumexp(y.flatten(), 0).sum() + torch.remainder(y, 1.0).mean()
        loss.backward()
        return loss
    return step, conv


def test_a_compiled_plan_is_drawn_and_the_other_tools_say_how():
    step, conv = _compiled_step()
    first = float(step().data)
    grad = np.asarray(conv.weight.grad).copy()
    conv.zero_grad()
    with ad.detect_anomaly():                       # quiet, and the same numbers
        assert float(step().data) == first
    np.testing.assert_array_equal(conv.weight.grad, grad)
    source = ad.viz.draw(step.plan).source
    for op in ("conv2d", "logcumsumexp", "mod"):
        assert op in source
    for tool in (ad.viz.text, ad.viz.steps, lambda plan: ad.viz.html(plan, "unused")):
        with pytest.raises(TypeError, match=r"got an ad.compile plan.*ad\.viz\.draw\(step\.plan\)"
                                            r".*step\.__wrapped__"):
            tool(step.plan)


def test_the_uncompiled_function_the_message_names_shows_the_graph():
    step, conv = _compiled_step()
    step()
    compiled_grad = np.asarray(conv.weight.grad).copy()
    conv.zero_grad()
    loss = step.__wrapped__()                           # backward ran inside it
    assert "= logcumsumexp(" in ad.viz.text(loss)
    np.testing.assert_allclose(conv.weight.grad, compiled_grad, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------------
# the in-browser stepper on new ops
# ----------------------------------------------------------------------------------
@needs_dot
@pytest.mark.parametrize("name", ["as_strided", "cox"])
def test_stepping_through_in_a_real_browser(name, tmp_path, browser_page):  # noqa: F811
    step_through_in_a_browser(browser_page, *PROGRAMS[name], tmp_path)
