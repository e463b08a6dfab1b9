"""Writes whose index repeats a position: ``t[[0, 0, 1]] = v`` keeps the last value at
each position, as NumPy does, and the gradient follows that value: the written value
gets a position's gradient only from the write that stays there, the base gets none at
any written position.  The same through ``np.put``, ``np.put_along_axis``, ``t.flat``,
augmented writes, forward mode and ``ad.compile``."""

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(11)
WEIGHTS = RNG.standard_normal((3, 4))

# (base shape, key, value shape): each key writes some position more than once.
CASES = [
    ((5,), np.array([0, 0, 1, 0]), (4,)),
    ((5,), np.array([3, 3, 3]), ()),                                # one value broadcast
    ((3, 4), np.array([2, 0, 2]), (4,)),                            # whole rows, broadcast
    ((3, 4), np.array([2, 0, 2]), (1, 3, 4)),                       # a leading size-1 axis
    ((3, 4), (np.array([[0], [0], [1]]), np.array([0, 0, 1, 1])), (3, 4)),
    ((3, 4), (slice(None), np.array([1, 3, 1])), (3, 1)),           # slice + repeats
    ((3, 4), (np.array([True, False, True]), np.array([1, 1])), (2,)),   # mask + ints
    ((3, 4), (np.array([1, 1, 1]), np.array([2, 0, 2])), (3,)),
]


def _written(base, value, key):
    out = base * 1.0
    out[key] = value
    return out


def _loss(base, value, key):
    out = _written(base, value, key)
    return (out * out * out * WEIGHTS.ravel()[:out.size].reshape(out.shape)).sum()


@pytest.mark.parametrize("shape, key, value_shape", CASES)
def test_the_value_is_numpys_and_the_gradients_match_central_differences(shape, key,
                                                                           value_shape):
    base, value = RNG.standard_normal(shape), RNG.standard_normal(value_shape)
    expected = base.copy()
    expected[key] = value
    got = _written(ad.tensor(base), ad.tensor(value), key)
    np.testing.assert_array_equal(got.data, expected)   # a copy of values: bitwise
    inputs = [ad.tensor(base, requires_grad=True), ad.tensor(value, requires_grad=True)]
    assert ad.gradcheck(lambda b, v: _loss(b, v, key), inputs)
    assert ad.gradgradcheck(lambda b, v: _loss(b, v, key), inputs)


def test_only_the_surviving_write_gets_the_gradient_and_the_base_none_where_written():
    base = ad.tensor(np.arange(5.0), requires_grad=True)
    value = ad.tensor([10.0, 20.0, 30.0, 40.0], requires_grad=True)
    out = base * 1.0
    out[ad.tensor(np.array([0, 0, 1, 0]))] = value          # a Tensor index
    np.testing.assert_array_equal(out.data, [40.0, 30.0, 2.0, 3.0, 4.0])
    (out * np.arange(1.0, 6.0)).sum().backward()
    np.testing.assert_array_equal(value.grad, [0.0, 0.0, 2.0, 1.0])
    np.testing.assert_array_equal(base.grad, [0.0, 0.0, 3.0, 4.0, 5.0])


def test_a_broadcast_value_counts_each_written_position_once():
    value = ad.tensor(2.0, requires_grad=True)
    out = ad.zeros(4) * 1.0
    out[[1, 1, 1, 3]] = value
    out.sum().backward()
    assert value.grad == 2.0                     # positions 1 and 3, not four writes


def test_an_augmented_write_at_repeated_indices_adds_once_per_position_as_numpy():
    def repeated(t):
        x = t * 1.0
        x[[0, 0, 3]] += x[1] * x[2]
        return np.sum(x * x * np.arange(1.0, 5.0))
    point = RNG.standard_normal(4)
    reference = point.copy()
    reference[[0, 0, 3]] += reference[1] * reference[2]
    np.testing.assert_allclose(repeated(ad.tensor(point)).item(),
                               np.sum(reference ** 2 * np.arange(1.0, 5.0)), rtol=1e-15)
    assert ad.gradcheck(repeated, [ad.tensor(point, requires_grad=True)])


def test_numpy_write_functions_keep_the_last_value_with_its_gradient():
    writes = [
        (lambda a, v: np.put(a, [4, 0, 4, 1], v), (4,)),
        (lambda a, v: np.put_along_axis(a, np.array([[0, 0, 0], [2, 2, 1]]).T, v, 0), (3, 2)),
        (lambda a, v: a.flat.__setitem__([5, 5, 0], v), (3,)),
    ]
    for write, value_shape in writes:
        base, value = RNG.standard_normal((3, 2)), RNG.standard_normal(value_shape)
        expected = base.copy()
        write(expected, value)

        def written(b, v, write=write):
            out = b * 1.0
            write(out, v)
            return out
        np.testing.assert_array_equal(written(ad.tensor(base), ad.tensor(value)).data,
                                      expected)
        assert ad.gradcheck(lambda b, v: (written(b, v) ** 3).sum(),
                            [ad.tensor(base, requires_grad=True),
                             ad.tensor(value, requires_grad=True)])


def test_forward_mode_carries_the_last_tangent():
    key = np.array([0, 0, 1, 0])
    value, tangent = ad.jvp(lambda b, v: _written(b, v, key), (np.zeros(5), np.ones(4)),
                            (np.full(5, 7.0), np.arange(1.0, 5.0)))
    np.testing.assert_array_equal(value.data if hasattr(value, "data") else value,
                                  [1.0, 1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(tangent, [4.0, 3.0, 7.0, 7.0, 7.0])


def test_a_compiled_step_finds_the_surviving_writes_again_for_each_key():
    base = ad.tensor(RNG.standard_normal(5), requires_grad=True)
    value = ad.tensor(RNG.standard_normal(4), requires_grad=True)
    position_weights = np.arange(1.0, 6.0)

    @ad.compile
    def step(key):
        out = base * 1.0
        out[key] = value
        loss = (out * position_weights).sum()
        loss.backward()
        return loss

    for key in [np.array([0, 0, 1, 0]), np.array([2, 1, 1, 3]), np.array([4, 4, 4, 4])]:
        base.grad = value.grad = None
        step(key)
        eager_base = ad.tensor(base.data, requires_grad=True)
        eager_value = ad.tensor(value.data, requires_grad=True)
        (_written(eager_base, eager_value, key) * position_weights).sum().backward()
        np.testing.assert_array_equal(base.grad, eager_base.grad)
        np.testing.assert_array_equal(value.grad, eager_value.grad)
    assert step.traces == 1


def test_the_value_matches_pytorchs_index_put_on_cpu():
    torch = pytest.importorskip("torch")
    rows, cols = np.array([[0], [0], [1]]), np.array([0, 0, 1, 1])
    value = RNG.standard_normal((3, 4))
    out = ad.zeros((2, 4)) * 1.0
    out[rows, cols] = value
    expected = torch.zeros(2, 4, dtype=torch.float64).index_put_(
        (torch.from_numpy(rows), torch.from_numpy(cols)), torch.from_numpy(value))
    np.testing.assert_array_equal(out.data, expected.numpy())
