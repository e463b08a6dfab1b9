"""Functions whose helper arrays depend only on shapes (masks, index grids, zero
padding) replay in a compiled step: the helpers are made again at each replay
(compile.hooks.made), not refused as constants made outside the library."""

import numpy as np
import pytest

import autodiff as ad

CASES = {
    "tril": lambda t: np.tril(t, -1),
    "triu": lambda t: ad.triu(t, 1),
    "repeat": lambda t: np.repeat(t, [1, 2, 3], axis=0),
    "convolve": lambda t: np.convolve(t[0], t[1], mode="same"),
    "correlate": lambda t: np.correlate(t[0], t[2][:2], mode="full"),
    "causal mask": lambda t: ad.nn.functional.softmax(
        t + ad.nn.Transformer.generate_square_subsequent_mask(3), dim=-1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_values_and_gradients_equal_eager_over_several_calls(name):
    build = CASES[name]
    start = np.arange(9.0).reshape(3, 3) / 10 + 0.5
    w_compiled = ad.tensor(start.copy(), requires_grad=True)
    w_eager = ad.tensor(start.copy(), requires_grad=True)

    def loss_of(w, x):
        return (build(x * w) ** 2).sum()

    @ad.compile
    def step(x):
        loss = loss_of(w_compiled, x)
        loss.backward()
        return loss

    for scale in (1.0, -2.0, 0.25):
        x = np.full((3, 3), scale) + np.eye(3)
        got = step(x)
        want = loss_of(w_eager, x)
        want.backward()
        np.testing.assert_allclose(got.data, want.data, rtol=1e-14)
        np.testing.assert_allclose(w_compiled.grad, w_eager.grad, rtol=1e-14)


def test_repeat_with_traced_repeats_is_refused():
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile
    def f(r):
        return np.repeat(w, r).sum()

    with pytest.raises(ad.TraceError, match=r"compile: repeat at .*the length of its result "
                                            r"depends on the values of repeats"):
        f(ad.tensor(np.array([1, 2, 3])))
