"""ad.compile: the forgotten-zero_grad hint in compiled loops, np.vectorize with a
signature and a number argument, and the retrace warning naming the entry replaced.

Each replay is compared with the same function run eagerly; the arithmetic of the two
is the same NumPy code (or the fused optimizer kernels, equal to opt.step() bit for
bit), so values are compared to a few ulps only where float sums may be reordered.
"""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

HINT = "no zero_grad()"


def _hints(caught) -> list:
    return [w for w in caught if HINT in str(w.message)]


def _run(loop, calls: int) -> list:
    """The warnings of ``calls`` iterations of ``loop(i)``, all recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(calls):
            loop(i)
    return caught


def _batch(i: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, 6).reshape(2, 3) * (i + 1)


def _setup(optimizer: str):
    w = ad.tensor(np.linspace(0.5, 1.5, 3), requires_grad=True)
    make = {"sgd": lambda p: ad.optim.SGD(p, lr=0.05, momentum=0.5),
            "adam": lambda p: ad.optim.Adam(p, lr=0.05)}[optimizer]
    return w, make([w])


def _loss(w, x):
    return ((ad.tensor(x) * w).sum(1) ** 2).mean()


def _train_step(w, opt, zero_first=None):
    """A training step; ``zero_first``: opt.zero_grad(set_to_none=zero_first) first."""
    def body(x):
        if zero_first is not None:
            opt.zero_grad(set_to_none=zero_first)
        loss = _loss(w, x)
        loss.backward()
        opt.step()
        return loss
    return body


# ----- 1. the forgotten zero_grad(), compiled ---------------------------------------

@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_compiled_step_without_zero_grad_warns_once_as_eager(optimizer):
    results = []
    for compiled in (False, True):
        w, opt = _setup(optimizer)
        body = _train_step(w, opt)
        step = ad.compile(body, fuse=False) if compiled else body
        caught = _run(lambda i: step(_batch(i)), 5)
        hints = _hints(caught)
        assert len(hints) == 1, (compiled, [str(c.message) for c in caught])
        assert hints[0].filename == __file__          # the user's line, not a plan's
        results.append((w.data.copy(), w.grad.copy()))
    (eager_w, eager_g), (compiled_w, compiled_g) = results
    np.testing.assert_allclose(compiled_w, eager_w, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(compiled_g, eager_g, rtol=1e-13, atol=1e-15)


def test_a_compiled_backward_then_an_eager_step_without_zero_grad_warns():
    w, opt = _setup("sgd")

    @ad.compile(fuse=False)
    def backward_only(x):
        loss = _loss(w, x)
        loss.backward()
        return loss

    def loop(i):
        backward_only(_batch(i))
        opt.step()

    assert len(_hints(_run(loop, 4))) == 1


@pytest.mark.parametrize("set_to_none", [True, False])
def test_no_hint_when_the_compiled_step_zeroes(set_to_none):
    results = []
    for compiled in (False, True):
        w, opt = _setup("adam")
        body = _train_step(w, opt, zero_first=set_to_none)
        step = ad.compile(body, fuse=False) if compiled else body
        assert _hints(_run(lambda i: step(_batch(i)), 5)) == []
        results.append(w.data.copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-13, atol=1e-15)


def test_no_hint_when_zeroing_last_in_a_compiled_matmul_step():
    w = ad.tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=True)
    opt = ad.optim.SGD([w], lr=0.1)

    @ad.compile(fuse=False)
    def step(x):
        loss = ((ad.tensor(x) @ w) ** 2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    assert _hints(_run(lambda i: step(_batch(i)), 5)) == []


def test_no_hint_when_zeroing_between_compiled_calls():
    w, opt = _setup("sgd")
    step = ad.compile(_train_step(w, opt), fuse=False)

    def loop(i):
        opt.zero_grad()
        step(_batch(i))

    assert _hints(_run(loop, 5)) == []


@pytest.mark.parametrize("compiled_update", [False, True])
def test_no_hint_when_accumulating_every_k_calls_on_purpose(compiled_update):
    results = []
    for compiled in (False, True):
        w, opt = _setup("sgd")

        def accumulate(x):
            loss = _loss(w, x) / 3
            loss.backward()
            return loss

        def update():
            opt.step()
            opt.zero_grad()

        if compiled:
            accumulate = ad.compile(accumulate, fuse=False)
            if compiled_update:
                update = ad.compile(update, fuse=False)

        def loop(i):
            accumulate(_batch(i))
            if i % 3 == 2:
                update()

        assert _hints(_run(loop, 9)) == []
        results.append(w.data.copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-13, atol=1e-15)


# ----- 2. np.vectorize with a signature and a Python number --------------------------

def _vectorized_scalar_core():
    f = np.vectorize(lambda a, b: a * b + np.sin(a), signature="(),()->()")
    return lambda v, x: f(v * x, 3.0)


def _vectorized_vector_core():
    f = np.vectorize(lambda a, b: (a * b).sum(), signature="(n),(n)->()")
    return lambda v, x: f(v * x, [1.0, -2.0, 0.5])


@pytest.mark.parametrize("make", [_vectorized_scalar_core, _vectorized_vector_core])
def test_vectorize_with_a_signature_and_a_number_argument_replays(make):
    fn = make()
    runs = []
    for compiled in (False, True):
        w = ad.tensor(np.linspace(0.2, 1.4, 6).reshape(2, 3), requires_grad=True)

        def body(x):
            w.grad = None
            loss = (fn(w, x) ** 2).sum()
            loss.backward()
            return loss

        step = ad.compile(body, fuse=False) if compiled else body
        runs.append([(float(step(ad.tensor(_batch(i)))), w.grad.copy()) for i in range(3)])
    for (eager_loss, eager_grad), (loss, grad) in zip(*runs):
        assert loss == pytest.approx(eager_loss, rel=1e-14)
        np.testing.assert_allclose(grad, eager_grad, rtol=1e-13)


def test_vectorize_still_refuses_a_scalar_computed_from_values():
    w = ad.tensor(np.linspace(0.2, 1.4, 3), requires_grad=True)
    f = np.vectorize(lambda a, b: a * b, signature="(),()->()")

    @ad.compile(fuse=False)
    def step(x):
        return f(w * x, x.data.sum()).sum()        # changes with x: not a constant

    with pytest.raises(TraceError, match="made during the call"):
        step(ad.tensor(np.ones(3)))


# ----- 3. a list of user objects replaced at every call ------------------------------

class _Scale:
    def __init__(self, k: float):
        self.k = ad.tensor(np.array([k]), requires_grad=True)

    def __call__(self, x):
        return x * self.k


def test_retracing_past_the_cache_warns_once_naming_the_entry_replaced():
    models = [_Scale(1.0), _Scale(2.0)]

    def body(x):
        loss = sum(m(x).sum() for m in models)
        loss.backward()
        return loss

    step = ad.compile(body, fuse=False, cache_size=3)
    losses = []

    def loop(i):
        models[i % 2] = _Scale(float(i))
        x = ad.tensor(np.arange(3.0))
        losses.append((float(step(x)), float(body(x))))

    caught = _run(loop, 7)
    retraced = [w for w in caught if "traced again" in str(w.message)]
    assert len(retraced) == 1 and retraced[0].filename == __file__
    assert "what models holds changed (list of 2: [1] holds another _Scale object)" \
        in str(retraced[0].message)
    assert step.traces == 7
    assert all(compiled == eager for compiled, eager in losses)
