"""ad.nn.init: PyTorch's formulas, fans read in this library's layouts, seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import init


def test_gains_are_pytorchs():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_linear_fans_are_its_true_fan_in_and_fan_out():
    # Linear(300, 100): PyTorch's weight is (100, 300) with fan_in 300, fan_out 100.
    layer = nn.Linear(300, 100)
    w = init.kaiming_uniform_(layer.weight, nonlinearity="relu", rng=0)
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.95 * bound
    init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu", rng=0)
    assert abs(layer.weight.data.std() - math.sqrt(2 / 100)) < 0.01 * math.sqrt(2 / 100) * 5
    init.xavier_uniform_(layer.weight, gain=2.0, rng=0)
    bound = 2 * math.sqrt(6 / 400)
    assert bound * 0.95 < np.abs(layer.weight.data).max() <= bound
    init.xavier_normal_(layer.weight, rng=1)
    assert abs(layer.weight.data.std() / math.sqrt(2 / 400) - 1) < 0.03


def test_conv_shaped_arrays_use_pytorchs_out_in_kernel_layout():
    w = np.zeros((8, 4, 3, 3))                          # fan_in = 4 * 9, fan_out = 8 * 9
    init.kaiming_uniform_(w, a=math.sqrt(5), rng=0)     # PyTorch's default conv init
    bound = init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3 / 36)
    assert bound * 0.9 < np.abs(w).max() <= bound
    init.xavier_uniform_(w, rng=0)
    assert np.abs(w).max() <= math.sqrt(6 / (36 + 72))


def test_fills_are_in_place_seeded_and_keep_dtype():
    p = nn.Parameter(np.zeros((50, 40), dtype=np.float32))
    array = p.data
    assert init.normal_(p, 1.0, 0.5, rng=3) is p and p.data is array
    assert p.dtype == np.float32
    q = nn.Parameter(np.zeros((50, 40), dtype=np.float32))
    np.testing.assert_array_equal(init.normal_(q, 1.0, 0.5, rng=3).data, p.data)
    assert abs(p.data.mean() - 1) < 0.05 and abs(p.data.std() - 0.5) < 0.05
    init.uniform_(p, -0.1, 0.3, rng=0)
    assert p.data.min() >= -0.1 and p.data.max() < 0.3
    np.testing.assert_array_equal(init.zeros_(p).data, 0)
    np.testing.assert_array_equal(init.ones_(p).data, 1)
    np.testing.assert_array_equal(init.constant_(p, 0.25).data, 0.25)
    assert p.grad is None and p.node is None


@pytest.mark.parametrize("name", ["uniform_", "normal_", "zeros_", "ones_", "xavier_uniform_",
                                  "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                  "trunc_normal_"])
def test_every_initializer_takes_rng(name):
    # API.md: "each with rng=" (a constant fill draws nothing from it).
    p = nn.Parameter(np.zeros((4, 3)))
    assert getattr(init, name)(p, rng=np.random.default_rng(0)) is p


def test_trunc_normal_stays_in_bounds_with_the_right_moments():
    w = init.trunc_normal_(np.zeros(200_000), mean=1.0, std=2.0, a=0.0, b=3.0, rng=0)
    assert w.min() >= 0 and w.max() <= 3
    # the mean of N(1, 2**2) truncated to [0, 3], i.e. to [-0.5, 1] standard deviations
    alpha, beta = -0.5, 1.0
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    mean = 1.0 + 2.0 * (phi(alpha) - phi(beta)) / z
    assert abs(w.mean() - mean) < 0.01
    with pytest.raises(ValueError, match="need a < b"):
        init.trunc_normal_(np.zeros(3), a=1, b=1)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"init.xavier_uniform_: .* at least 2 dimensions, got "
                                         r"shape \(5,\)"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(np.zeros((2, 2)), mode="in")
    with pytest.raises(TypeError, match="floating-point"):
        init.ones_(np.zeros(3, dtype=int))
    w = ad.tensor(np.ones((2, 2)), requires_grad=True)
    loss = (w * w).sum()                               # a live graph saved w's array
    with pytest.raises(RuntimeError, match="init.zeros_: this array is saved by a graph"):
        init.zeros_(w)
    loss.backward()                                    # frees the graph: writable again
    np.testing.assert_array_equal(init.zeros_(w).data, 0)


def test_init_refuses_meaningless_ranges_and_fills_empty_arrays_without_error():
    w = ad.nn.Parameter(np.ones(3))
    with pytest.raises(ValueError, match="init.normal_: std must be >= 0"):
        ad.nn.init.normal_(w, std=-1.0)
    with pytest.raises(ValueError, match="init.uniform_: needs a <= b"):
        ad.nn.init.uniform_(w, a=1.0, b=-1.0)
    np.testing.assert_array_equal(w.data, np.ones(3))
    empty = ad.nn.Parameter(np.ones((0, 3)))
    for fill in (ad.nn.init.kaiming_uniform_, ad.nn.init.kaiming_normal_,
                 ad.nn.init.xavier_uniform_, ad.nn.init.xavier_normal_):
        assert fill(empty) is empty          # (fan 0 divided by zero)
