"""The complex tensors, FFT and STFT, ``out=``, ``Function.setup_context`` with several
outputs and ``forward_ad`` inside ``ad.compile``: twenty replays of a training step
equal twenty eager steps, or the trace refuses naming the op and the line."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.autograd.forward_ad as fwAD
from autodiff.compile.refusals import TraceError

CALLS = 20


def _eager_and_compiled(make_step, calls=CALLS):
    """Outputs and final parameters of ``calls`` eager steps, then of as many calls of
    the compiled step, each from fresh parameters and optimizer state."""
    results = []
    for compiled in (False, True):
        step, parameters = make_step()
        step = ad.compile(step) if compiled else step
        outputs = [np.array(step(ad.tensor(np.linspace(0, 1, 16) + 0.1 * i)).data)
                   for i in range(calls)]
        results.append((outputs, [p.data.copy() for p in parameters]))
    return results


def _training_step(optimizer, loss_of):
    """A step that minimizes ``loss_of(x)`` with ``optimizer`` and returns the loss.
    (Not cross_tenth_functions.training_step: the compiled function is this module's, so
    that a trace takes the np.hanning of the steps here for a constant.)"""
    def step(x):
        optimizer.zero_grad()
        loss = loss_of(x)
        loss.backward()
        optimizer.step()
        return loss
    return step


def _assert_replays_as_eager(make_step, rtol=1e-12):
    (eager, eager_params), (replayed, params) = _eager_and_compiled(make_step)
    for e, r in zip(eager, replayed):
        np.testing.assert_allclose(r, e, rtol=rtol, atol=1e-13)
    for e, r in zip(eager_params, params):
        np.testing.assert_allclose(r, e, rtol=rtol, atol=1e-13)
        assert r.dtype == e.dtype
    assert not np.allclose(eager[0], eager[-1])      # the calls did differ
    return replayed


def test_an_stft_feature_front_end_replays_as_eager():
    # stft's frame index was an array made in the call (refused as made by NumPy)
    def make_step():
        weights = ad.nn.Parameter(np.linspace(-1, 1, 5).reshape(5, 1))
        optimizer = ad.optim.SGD([weights], lr=0.01)

        def loss_of(x):
            spectrum = ad.stft(x, n_fft=8, hop_length=2, window=ad.tensor(np.hanning(8)),
                               return_complex=True)
            loss = ((spectrum.abs() ** 2 + 1e-6).log() * weights).mean()
            return loss
        return _training_step(optimizer, loss_of), [weights]
    _assert_replays_as_eager(make_step)


def test_an_stft_istft_step_with_a_complex_parameter_and_a_made_window_replays():
    # ad.hann_window inside the step was a NumPy array made in the call (refused)
    def make_step():
        mask = ad.nn.Parameter(np.ones((5, 5)) + 0.5j * np.eye(5))
        optimizer = ad.optim.Adam([mask], lr=0.05)

        def loss_of(x):
            window = ad.hann_window(8)
            spectrum = ad.stft(x, 8, hop_length=4, window=window, return_complex=True)
            y = ad.istft(spectrum * mask, 8, hop_length=4, window=window, length=16)
            loss = ((y - x.flip(0)) ** 2).mean()
            return loss
        return _training_step(optimizer, loss_of), [mask]
    _assert_replays_as_eager(make_step)


@pytest.mark.parametrize("make", [ad.hann_window, ad.hamming_window, ad.blackman_window,
                                  ad.bartlett_window, ad.kaiser_window])
def test_a_window_made_in_the_call_is_a_constant_of_the_plan(make):
    @ad.compile
    def windowed(x):
        return x * make(16, dtype=ad.float32)
    for i in range(3):
        x = ad.tensor(np.arange(16.0, dtype=np.float32) + i)
        out = windowed(x)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.data, x.data * make(16, dtype=ad.float32).data)


def test_an_fft_loss_of_a_complex_parameter_under_adam_replays_as_eager():
    def make_step():
        z = ad.nn.Parameter(np.cos(np.arange(16.0)) + 1j * np.sin(np.arange(16.0) / 3))
        optimizer = ad.optim.Adam([z], lr=0.05)

        def loss_of(x):
            loss = ((ad.fft.fft(z * x).abs() ** 2).mean()
                    + ad.fft.irfft(ad.fft.rfft(x) * z[:9]).sum())
            return loss
        return _training_step(optimizer, loss_of), [z]
    _assert_replays_as_eager(make_step)


class _SortWithOrder(ad.autograd.Function):
    """The sorted values and (marked non-differentiable) the order that sorts them."""
    @staticmethod
    def forward(x):
        order = np.argsort(x)
        return x[order], order

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_non_differentiable(output[1])
        ctx.order = output[1]

    @staticmethod
    def backward(ctx, grad, _grad_order):
        out = np.zeros_like(grad)
        out[ctx.order] = grad
        return out


class _Above(ad.autograd.Function):
    """Two outputs: twice x and (marked) the mask x > 0.5."""
    @staticmethod
    def forward(ctx, x):
        mask = x > 0.5
        ctx.mark_non_differentiable(mask)
        return x * 2, mask

    @staticmethod
    def backward(ctx, grad, _grad_mask):
        return grad * 2


def test_the_non_differentiable_outputs_of_a_function_replay_their_new_values():
    # they were constants off the tape: a replay gave the traced mask and order
    # (silently, while the graph held them) or refused them as made by NumPy
    def make_step():
        w = ad.nn.Parameter(np.cos(np.arange(16.0)))
        optimizer = ad.optim.SGD([w], lr=0.1)

        def loss_of(x):
            doubled, mask = _Above.apply(w * x)
            values, order = _SortWithOrder.apply(w * x)
            loss = (ad.where(mask, doubled, 0.0).sum() + (values * ad.arange(16.0)).sum()
                    + order[0] * 1.0)
            return loss
        return _training_step(optimizer, loss_of), [w]
    _assert_replays_as_eager(make_step)


def test_a_compiled_function_returning_a_marked_output_without_backward():
    w = ad.tensor(np.linspace(-1, 1, 16), requires_grad=True)

    def masked(x):
        _, mask = _Above.apply(w * x)
        return ad.where(mask, 1.0, 0.0).sum()
    compiled = ad.compile(masked)
    with ad.no_grad():
        got = [float(compiled(ad.tensor(np.full(16, float(i))))) for i in range(-2, 3)]
        want = [float(masked(ad.tensor(np.full(16, float(i))))) for i in range(-2, 3)]
    assert got == want == [float((w.data * i > 0.5).sum()) for i in range(-2, 3)]


def test_a_function_output_marked_non_differentiable_has_no_gradient_path():
    x = ad.tensor([0.2, 0.9], requires_grad=True)
    doubled, mask = _Above.apply(x)
    assert not mask.requires_grad and mask.dtype == np.bool_
    assert mask.data.tolist() == [False, True]
    (doubled * ad.where(mask, 1.0, 3.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 2.0])


def test_a_jvp_penalty_with_forward_ad_replays_as_eager():
    def make_step():
        w = ad.nn.Parameter(np.linspace(-1, 1, 16))
        optimizer = ad.optim.SGD([w], lr=0.01)

        def loss_of(x):
            with fwAD.dual_level():
                y = ad.tanh(fwAD.make_dual(w * 1.0, x.detach()) * 2).sum()
                tangent = fwAD.unpack_dual(y).tangent
            loss = y + tangent ** 2
            return loss
        return _training_step(optimizer, loss_of), [w]
    _assert_replays_as_eager(make_step)


def test_a_tangent_of_values_without_gradient_is_computed_again_by_a_replay():
    # it was computed on arrays off the tape: the trace refused the returned array
    w = ad.tensor(np.linspace(-1, 1, 16))

    def tangent(x):
        with fwAD.dual_level():
            y = ad.sin(fwAD.make_dual(w * x, x)) * 3 + ad.exp(w)
            return fwAD.unpack_dual(y).tangent
    compiled = ad.compile(tangent)
    for i in range(CALLS):
        x = ad.tensor(np.linspace(0, 1, 16) + 0.1 * i)
        np.testing.assert_allclose(compiled(x).data, tangent(x).data, rtol=1e-14)
        np.testing.assert_allclose(compiled(x).data, 3 * np.cos(w.data * x.data) * x.data,
                                   rtol=1e-14)


class _Exp(ad.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved_tensors[0]


class _ExpWithJvp(_Exp):
    @staticmethod
    def jvp(ctx, tangent):
        return tangent * ctx.saved_tensors[0]


def test_a_function_tangent_in_a_trace_is_refused_naming_the_line():
    # (a Function's jvp runs on arrays; the tangent derived from its backward needs a
    # backward(create_graph=True), which a trace refuses too)
    def tangent_of(cls):
        def tangent(x):
            with fwAD.dual_level():
                return fwAD.unpack_dual(cls.apply(fwAD.make_dual(x * 2, x))).tangent
        return tangent
    with pytest.raises(TraceError, match=r"test_cross_features_tenth.py:\d+ .*_ExpWithJvp\.jvp"):
        ad.compile(tangent_of(_ExpWithJvp))(ad.tensor(np.ones(4)))
    with pytest.raises(TraceError, match=r"test_cross_features_tenth.py"):
        ad.compile(tangent_of(_Exp))(ad.tensor(np.ones(4)))
    for cls in (_Exp, _ExpWithJvp):     # eager: the Function's jvp, or from backward
        x = ad.tensor(np.linspace(0, 1, 4))
        np.testing.assert_allclose(tangent_of(cls)(x).data, np.exp(2 * x.data) * x.data)


def test_out_calls_in_float32_replay_as_eager_and_keep_the_dtype():
    def make_step():
        w = ad.nn.Parameter(np.linspace(-1, 1, 16).astype(np.float32))
        optimizer = ad.optim.SGD([w], lr=0.1)

        def loss_of(x):
            x = x.astype(np.float32)
            y = ad.mul(w, x, out=ad.zeros(16, dtype=ad.float32))
            square = y.reshape(4, 4)
            z = ad.matmul(square, square, out=ad.zeros((4, 4), dtype=ad.float32))
            both = ad.stack([z, z], out=ad.zeros((2, 4, 4), dtype=ad.float32))
            loss = both.sum() + ad.clamp(y, -0.5, 0.5, out=ad.zeros(16, dtype=ad.float32)).sum()
            return loss
        return _training_step(optimizer, loss_of), [w]
    replayed = _assert_replays_as_eager(make_step, rtol=1e-6)
    assert all(r.dtype == np.float32 for r in replayed)


def test_detect_anomaly_entered_inside_a_compiled_function_is_refused_by_line():
    # it took over the trace's record hook: the block's ops went untraced, and the
    # trace refused them as "recorded before the call" or "made by NumPy"
    w = ad.tensor(np.ones(3), requires_grad=True)

    def step(x):
        with ad.autograd.detect_anomaly():
            loss = (ad.fft.rfft(x * w).abs() ** 2).sum()
            loss.backward()
        return loss
    with pytest.raises(TraceError, match=r"detect_anomaly is entered at "
                                         r"test_cross_features_tenth.py:\d+ inside .*step"):
        ad.compile(step)(ad.tensor(np.ones(3)))

    def plain_step(x):
        loss = (ad.fft.rfft(x * w).abs() ** 2).sum()
        loss.backward()
        return loss
    compiled = ad.compile(plain_step)
    with ad.autograd.detect_anomaly():      # around the call: run eagerly, checked
        w.grad = None
        got = float(compiled(ad.tensor(np.full(3, 2.0))))
    assert got == 36.0                      # rfft([2, 2, 2]) = [6, 0]: (sum 2 w)^2
    np.testing.assert_allclose(w.grad, np.full(3, 24.0), rtol=1e-12)
