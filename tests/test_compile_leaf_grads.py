"""A replay reads and writes a leaf's gradient in its slot (``_grad``); a compiled
function called inside another trace runs eagerly in it."""

import numpy as np

import autodiff as ad


def _accumulating_step(w):
    def step(x):
        (w * w * x).sum().backward()     # no zero_grad: gradients add up across calls
        return w.grad
    return step


def test_replayed_gradients_accumulate_as_eager_ones():
    w_eager = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    eager, compiled = _accumulating_step(w_eager), ad.compile(_accumulating_step(w))
    for k in range(4):
        x = np.array([3.0, 4.0]) + k
        np.testing.assert_array_equal(compiled(x), eager(x))
    np.testing.assert_array_equal(w.grad, w_eager.grad)
    assert "L._grad" in compiled.plan.source and ".grad =" not in compiled.plan.source
    assert "L.grad" in compiled.plan.traced_source


def test_a_compiled_function_called_inside_another_trace_runs_in_it():
    """``inner``, already replayed on its own, runs eagerly inside ``outer``'s trace, so
    that ``outer``'s plan records its ops (the gradient it sets included)."""
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def inner(x):
        w.grad = None
        (w * w * x).sum().backward()

    x = ad.tensor(np.array([3.0, 4.0]))
    inner(x)
    inner(x)                            # replayed from now on

    @ad.compile
    def outer(x):
        inner(x * 2)
        return w.grad

    for k in range(3):
        np.testing.assert_array_equal(outer(x + k), 4 * w.data * (x.data + k))
    assert outer.traces == 1 and inner.traces == 1


def test_a_replayed_gradient_added_to_a_tensor_grad_adds_into_it_as_eager():
    # backward(create_graph=True) leaves a Tensor in .grad; a later backward that
    # records nothing adds into its values in place, in eager execution and in a replay.
    results = []
    for run in (lambda f: f, ad.compile):
        w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
        step = run(_accumulating_step(w))
        step(np.array([3.0, 4.0]))
        step(np.array([3.0, 4.0]))          # traced, then replayed
        (w * w).sum().backward(create_graph=True)
        held = w.grad
        assert isinstance(held, ad.Tensor)
        step(np.array([1.0, 1.0]))
        assert w.grad is held
        results.append(held.data)
    np.testing.assert_array_equal(results[1], results[0])
