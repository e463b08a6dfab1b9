"""The check of each new fused loop against NumPy keeps a loop whose results are
NumPy's up to rounding.  Where a result is a sum whose terms cancel (a row of
softmax probabilities minus their mean, the gradient of a softmax summed over its
row) the loop's exp or tanh, a few ulp from NumPy's, moves it by a few ulp of the
terms: many ulp of the sum itself, and no disagreement."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile import fuse
from ulp_compare import assert_few_ulp


def _softmax(x):
    e = ad.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _centered_tanh(x):
    t = ad.tanh(x)
    return t - t.mean(axis=-1, keepdims=True)


# Each has a loop over one row with a sum that cancels to rounding noise.  The first
# two are 0 up to rounding, and so are their gradients: they are compared in ulp of
# their terms' magnitude (at most 1 and 2), not of their own.
LOSSES = {
    "softmax minus its mean": (lambda x: (_softmax(x) - 1.0 / x.shape[-1]).sum(), 1.0),
    "centered tanh": (lambda x: _centered_tanh(x).sum(), 2.0),
    "squared softmax": (lambda x: (_softmax(x) ** 2).sum(), 0.0),
}


def _step(loss_of):
    def step(x):
        loss = loss_of(x)
        x.grad = None
        loss.backward()
        return loss, x.grad
    return step


def _fallbacks(caught):
    return [str(w.message) for w in caught if "fused kernel" in str(w.message)]


def _kernels(plan):
    return [i.extra["kernel"] for i in plan.instrs if i.kind == "kernel"]


def _assert_few_ulp(got, want, magnitude, what):
    """Within 32 ulp of the largest of ``want`` and ``magnitude``."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, what
    if magnitude:
        scale = want.dtype.type(max(np.max(np.abs(want)), magnitude))
        assert np.max(np.abs(got - want)) <= 32 * np.spacing(scale), f"{what}: {got} {want}"
    else:
        assert_few_ulp(got, want, what=what)


def _check_against_eager(loss, shape, dtype):
    """Compile the step, replay it, and compare with eager to a few ulp (no loop falls
    back to NumPy).  Returns the plan."""
    loss_of, magnitude = loss
    step = _step(loss_of)
    compiled = ad.compile(step)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            x = rng.normal(size=shape).astype(dtype)
            got_loss, got_grad = compiled(ad.tensor(x, requires_grad=True))
            want_loss, want_grad = step(ad.tensor(x, requires_grad=True))
            assert np.asarray(got_loss.data).dtype == dtype
            _assert_few_ulp(got_loss.data, want_loss.data, magnitude, "loss")
            _assert_few_ulp(got_grad.data, want_grad.data, magnitude, "gradient")
    assert not _fallbacks(caught)
    if kernels.JIT_ENABLED:
        assert all(k.mode == "numba" for k in _kernels(compiled.plan)), compiled.plan
    return compiled.plan


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 7), (7,), (1, 33)])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_a_loop_whose_row_sum_cancels_keeps_running_compiled(loss, shape, dtype):
    _check_against_eager(LOSSES[loss], shape, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 7), (7,), (2, 7), (1, 1), (3, 1)])
def test_a_softmax_with_its_reverse_pass_in_one_loop_matches_eager(shape, dtype, monkeypatch):
    # The reverse pass joins the forward's loop even when that loop has a reduction
    # (its rows' max and sum): over one row, softmax, loss and gradient are one loop.
    monkeypatch.setattr(fuse, "_plain", lambda group: True)
    plan = _check_against_eager(LOSSES["squared softmax"], shape, dtype)
    if shape in ((1, 7), (7,)):
        joined = [k for k in _kernels(plan) if "max" in k.ops() and "rule exp.x" in k.ops()]
        assert joined, plan


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_zero_dimensional_softmax_step_matches_eager(dtype, monkeypatch):
    monkeypatch.setattr(fuse, "_plain", lambda group: True)
    _check_against_eager((lambda x: ad.exp(x - x.max()) * ad.tanh(x), 0.0), (), dtype)
