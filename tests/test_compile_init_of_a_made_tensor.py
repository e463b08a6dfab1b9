"""nn.init's in-place initializers inside ad.compile on a tensor the compiled function
made: a replay makes the tensor anew but would repeat the call on the first call's
object, so the trace refuses it, naming the initializer, the line and the op to use;
that op (ad.randn(shape, rng=gen)) draws anew at each replay, as eager does."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

MADE = {
    "ad.tensor": lambda: ad.tensor(np.zeros(3)),
    "ad.zeros": lambda: ad.zeros(3),
    "ad.empty": lambda: ad.empty(3),
    "ad.zeros 2-D": lambda: ad.zeros((2, 3)),
}
INITIALIZERS = {
    "normal_": lambda t: ad.nn.init.normal_(t, rng=np.random.default_rng(0)),
    "uniform_": lambda t: ad.nn.init.uniform_(t),
    "constant_": lambda t: ad.nn.init.constant_(t, 0.5),
    "zeros_": lambda t: ad.nn.init.zeros_(t),
    "xavier_uniform_": lambda t: ad.nn.init.xavier_uniform_(t),
    "kaiming_normal_": lambda t: ad.nn.init.kaiming_normal_(t),
}


@pytest.mark.parametrize("made", sorted(MADE))
@pytest.mark.parametrize("initializer", sorted(INITIALIZERS))
def test_an_initializer_on_a_tensor_made_in_the_call_is_refused(initializer, made):
    if made != "ad.zeros 2-D" and initializer.startswith(("xavier", "kaiming")):
        made = "ad.zeros 2-D"           # (fan in and out need two dimensions)

    def step(x):
        t = MADE[made]()
        with ad.no_grad():
            INITIALIZERS[initializer](t)
        return x + t

    compiled = ad.compile(step)
    with pytest.raises(TraceError, match=rf"compile: {initializer} at "
                                         r"test_compile_init_of_a_made_tensor\.py:\d+ fills "
                                         r"a tensor .* made.*ad\.randn\(shape, rng=gen\)"):
        compiled(ad.ones(3))


@pytest.mark.parametrize("step", [lambda x: x + ad.nn.Parameter(np.zeros(3)),
                                  lambda x: ad.nn.Linear(3, 3)(x)], ids=["Parameter", "Linear"])
def test_a_parameter_made_in_the_call_is_refused(step):
    # (a Linear built inside drew its weights once, at the trace; every replay returned
    # the first call's values, where each eager call draws new ones)
    with pytest.raises(TraceError, match=r"compile: a Parameter .* is made at "
                                         r"test_compile_init_of_a_made_tensor\.py:\d+ .*"
                                         r"Build the modules outside the compiled function"):
        ad.compile(step)(ad.ones(3))


def test_the_suggested_op_draws_anew_at_each_replay_as_eager():
    def step(x, gen):
        return x + ad.randn(3, rng=gen)

    compiled = ad.compile(lambda x: step(x, compiled_gen))
    compiled_gen, eager_gen = np.random.default_rng(7), np.random.default_rng(7)
    results = []
    for _ in range(6):
        got, want = compiled(ad.ones(3)), step(ad.ones(3), eager_gen)
        np.testing.assert_array_equal(got.data, want.data)
        results.append(got.data.copy())
    assert len({r.tobytes() for r in results}) == 6


def test_an_initializer_on_a_tensor_from_before_the_call_still_replays():
    w = ad.nn.Parameter(np.zeros(3))
    gen, eager_gen = np.random.default_rng(3), np.random.default_rng(3)

    def step(x):
        with ad.no_grad():
            ad.nn.init.normal_(w, rng=gen)
        return x + w

    compiled = ad.compile(step)
    for _ in range(4):
        got = compiled(ad.ones(3)).data.copy()
        np.testing.assert_array_equal(got, 1 + eager_gen.standard_normal(3))
