"""Functions whose helper arrays depend only on shapes (masks, index grids, zero
padding) replay in a compiled step: the helpers are made again at each replay
(compile.hooks.made), not refused as constants made outside the library.  Those made
from the values (unwrap's correction, geomspace's sign) are computed again too; those
whose result's shape depends on the values are refused by name."""

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
    "delete": lambda t: np.delete(t, [0, -1], axis=1),
    "delete flat slice": lambda t: np.delete(t, slice(1, None, 3)),
    "insert": lambda t: np.insert(t, [1, 3], t[0, 1:], axis=1),
    "insert flat": lambda t: np.insert(t, 2, 5.0),
    "resize": lambda t: np.resize(t, (2, 7)),
    "unwrap": lambda t: np.unwrap(4 * t, axis=0),
    "geomspace": lambda t: np.geomspace(t[0] + 10, t[1] ** 2 + 1, 4, axis=1),
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


NEW_SHAPE_CASES = ["delete", "delete flat slice", "insert", "insert flat", "resize",
                   "unwrap", "geomspace", "tril", "convolve"]


@pytest.mark.parametrize("name", NEW_SHAPE_CASES)
def test_a_new_shape_traces_again_and_equals_eager(name):
    build = CASES[name]
    w_compiled = ad.tensor(0.75, requires_grad=True)
    w_eager = ad.tensor(0.75, requires_grad=True)

    @ad.compile
    def step(x):
        w_compiled.grad = None
        loss = (build(x * w_compiled) ** 2).sum()
        loss.backward()
        return loss

    for shape in ((3, 3), (4, 3), (3, 3), (4, 3)):
        x = np.arange(np.prod(shape), dtype=float).reshape(shape) / 3 - 1
        got = step(x)
        w_eager.grad = None
        want = (build(x * w_eager) ** 2).sum()
        want.backward()
        np.testing.assert_allclose(got.data, want.data, rtol=1e-14)
        np.testing.assert_allclose(w_compiled.grad, w_eager.grad, rtol=1e-14)
    assert step.traces == 2


def test_unwrap_and_geomspace_compute_their_corrections_and_signs_at_each_replay():
    """Traced where unwrap corrects nothing and geomspace's ends are positive; replayed
    where it corrects every step and the ends are negative."""
    @ad.compile
    def step(x):
        return np.unwrap(x), np.geomspace(x[0], x[1], 3)

    for x in ([1.0, 2.0, 3.0], [-1.0, -4.0, 3.0], [0.5, 4.0, 8.0]):
        x = np.array(x)
        for got, want in zip(step(x), (np.unwrap(x), np.geomspace(x[0], x[1], 3))):
            np.testing.assert_allclose(got.data, want, rtol=1e-14)
    assert step.traces == 1


@pytest.mark.parametrize("call", [
    lambda t, obj: np.delete(t, obj),
    lambda t, obj: np.insert(t, obj, 0.0),
], ids=["delete", "insert"])
def test_positions_given_as_a_traced_tensor_are_refused_by_name(call):
    @ad.compile
    def f(x, obj):
        return call(x * 2, obj).sum()

    with pytest.raises(ad.TraceError, match=r"compile: (delete|insert) at .*test_compile_"
                                            r"shape_only.py:\d+ .*depends on the values of "
                                            r"obj.*Pass obj as Python ints"):
        f(np.ones(4), ad.tensor(np.array([0, 2])))


def test_unique_of_a_captured_tensor_is_refused_with_why_and_what_to_do():
    labels = ad.tensor([3.0, 1.0, 3.0])
    w = ad.tensor(np.ones(2), requires_grad=True)

    @ad.compile
    def f(x):
        return (x * w * np.unique(labels)).sum()

    with pytest.raises(ad.TraceError, match=r"compile: unique at .*test_compile_shape_only"
                                            r".py:\d+ .*how many distinct values .*depends "
                                            r"on the values.*pass its result in"):
        f(np.ones(2))


def test_numpy_on_a_captured_array_is_refused_without_blaming_data_alone():
    labels = np.array([3.0, 1.0, 3.0])
    w = ad.tensor(np.ones(2), requires_grad=True)

    @ad.compile
    def f(x):
        return (x * w * np.unique(labels)).sum()

    with pytest.raises(ad.TraceError, match=r"a NumPy function on a plain array such as "
                                            r"np.unique\(a\)"):
        f(np.ones(2))
