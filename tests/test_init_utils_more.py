"""nn.init.orthogonal_, eye_, dirac_; nn.utils.parameters_to_vector,
vector_to_parameters and rnn.pad_sequence."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

init, utils = ad.nn.init, ad.nn.utils


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (3, 5), (6, 2, 3), (2, 3, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal_times_gain(shape, gain):
    w = init.orthogonal_(ad.nn.Parameter(np.zeros(shape)), gain=gain, rng=0)
    q = w.data.reshape(shape[0], -1)
    if q.shape[0] >= q.shape[1]:            # tall or square: orthonormal columns
        np.testing.assert_allclose(q.T @ q, gain ** 2 * np.eye(q.shape[1]), atol=1e-12)
    else:                                   # wide: orthonormal rows
        np.testing.assert_allclose(q @ q.T, gain ** 2 * np.eye(q.shape[0]), atol=1e-12)


def test_orthogonal_is_reproducible_from_a_seed_and_follows_the_library_generator():
    a = init.orthogonal_(np.zeros((4, 3)), rng=7)
    np.testing.assert_array_equal(a, init.orthogonal_(np.zeros((4, 3)), rng=7))
    assert not np.allclose(a, init.orthogonal_(np.zeros((4, 3)), rng=8))
    ad.nn.manual_seed(3)
    b = init.orthogonal_(np.zeros((4, 3)))
    ad.nn.manual_seed(3)
    np.testing.assert_array_equal(b, init.orthogonal_(np.zeros((4, 3))))


def test_orthogonal_is_the_sign_corrected_q_of_the_normal_draw():
    flat = np.random.default_rng(5).normal(size=(3, 6)).T      # wide: factorised transposed
    q, r = np.linalg.qr(flat)
    np.testing.assert_allclose(init.orthogonal_(np.zeros((3, 6)), rng=5),
                               (q * np.sign(np.diag(r))).T, atol=1e-15)


def test_orthogonal_eye_dirac_refuse_bad_shapes():
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(np.zeros(3))
    with pytest.raises(ValueError, match="2-d"):
        init.eye_(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="3, 4 or 5 dimensions"):
        init.dirac_(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(np.zeros((3, 2, 3)), groups=2)


def test_eye_pattern():
    np.testing.assert_array_equal(init.eye_(np.full((2, 4), 9.0)),
                                  [[1, 0, 0, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(init.eye_(np.full((3, 2), 9.0)), [[1, 0], [0, 1], [0, 0]])


def test_dirac_pattern_and_identity_convolution():
    w = init.dirac_(np.full((4, 3, 3), 9.0))
    expected = np.zeros((4, 3, 3))
    for c in range(3):
        expected[c, c, 1] = 1
    np.testing.assert_array_equal(w, expected)
    grouped = init.dirac_(np.full((4, 1, 2, 3), 9.0), groups=2)
    expected = np.zeros((4, 1, 2, 3))
    expected[0, 0, 1, 1] = expected[2, 0, 1, 1] = 1
    np.testing.assert_array_equal(grouped, expected)
    w5 = init.dirac_(np.zeros((2, 2, 3, 3, 3)))
    assert w5.sum() == 2 and w5[0, 0, 1, 1, 1] == w5[1, 1, 1, 1, 1] == 1


def test_parameters_to_vector_round_trip_and_gradient():
    rng = np.random.default_rng(0)
    params = [ad.nn.Parameter(rng.normal(size=s)) for s in [(2, 3), (4,), (1, 2, 2)]]
    vec = utils.parameters_to_vector(params)
    assert vec.shape == (14,)
    np.testing.assert_array_equal(vec.data, np.concatenate([p.data.ravel() for p in params]))
    (vec * ad.tensor(np.arange(14.0))).sum().backward()
    np.testing.assert_array_equal(params[1].grad, [6.0, 7.0, 8.0, 9.0])
    new = rng.normal(size=14)
    utils.vector_to_parameters(ad.tensor(new), params)
    np.testing.assert_array_equal(utils.parameters_to_vector(params).data, new)
    np.testing.assert_array_equal(params[0].data, new[:6].reshape(2, 3))
    with pytest.raises(ValueError, match="14 in all"):
        utils.vector_to_parameters(ad.tensor(np.zeros(13)), params)
    with pytest.raises(TypeError, match="expected a Tensor"):
        utils.vector_to_parameters([0.0] * 14, params)


def _sequences():
    rng = np.random.default_rng(1)
    return [rng.normal(size=(n, 2)) for n in (3, 1, 4)]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_values(batch_first, side):
    seqs = _sequences()
    out = utils.rnn.pad_sequence([ad.tensor(s) for s in seqs], batch_first=batch_first,
                                 padding_value=-7.0, padding_side=side)
    expected = np.full((3, 4, 2), -7.0)
    for i, s in enumerate(seqs):
        if side == "right":
            expected[i, :len(s)] = s
        else:
            expected[i, 4 - len(s):] = s
    if not batch_first:
        expected = expected.transpose(1, 0, 2)
    np.testing.assert_array_equal(out.data, expected)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_gradient_reaches_each_sequence_and_not_the_padding(batch_first, side):
    xs = [ad.tensor(s, requires_grad=True) for s in _sequences()]
    out = utils.rnn.pad_sequence(xs, batch_first=batch_first, padding_side=side)
    weights = np.arange(out.size, dtype=np.float64).reshape(out.shape)
    (out * ad.tensor(weights)).sum().backward()
    per_batch = weights if batch_first else weights.transpose(1, 0, 2)
    for i, x in enumerate(xs):
        n = x.shape[0]
        rows = slice(0, n) if side == "right" else slice(4 - n, 4)
        np.testing.assert_array_equal(x.grad, per_batch[i, rows])


def test_pad_sequence_inputs_and_errors():
    out = utils.rnn.pad_sequence(ad.tensor(np.ones((2, 3))))          # rows of a tensor
    assert out.shape == (3, 2)
    with pytest.raises(ValueError, match="empty list"):
        utils.rnn.pad_sequence([])
    with pytest.raises(ValueError, match="padding_side"):
        utils.rnn.pad_sequence([ad.tensor([1.0])], padding_side="middle")
    with pytest.raises(ValueError, match="sequence 1 has shape"):
        utils.rnn.pad_sequence([ad.tensor(np.ones((2, 2))), ad.tensor(np.ones((2, 3)))])


def test_vector_to_parameters_inside_a_compiled_function_is_refused_while_tracing():
    from autodiff.compile import TraceError
    p = ad.nn.Parameter(np.zeros(3))

    @ad.compile
    def load_and_sum(v):
        ad.nn.utils.vector_to_parameters(v * 2, [p])     # a replay would skip the write
        return (p * 1.0).sum()

    with pytest.raises(TraceError, match="vector_to_parameters is called at .* inside the "
                                         "compiled function load_and_sum"):
        load_and_sum(np.ones(3))
