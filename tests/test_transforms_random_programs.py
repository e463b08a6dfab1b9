"""Random programs (``random_programs.py``: 3 to 6 ops drawn from about 50, on 0-d,
size-1 and broadcasting shapes, in-place updates included) through the function
transforms and their nested compositions, compared with ``torch.func`` in float64.
Deterministic seeds; each test is bounded in time."""

import time

import numpy as np

import autodiff as ad
from random_programs import make_program
from transform_checks import T, assert_close, torch_or_skip


def test_random_programs_agree_with_torch_in_jacrev_jacfwd_hessian_and_vmap_of_grad():
    torch = torch_or_skip()
    tf = torch.func
    start = time.perf_counter()
    for seed in range(200):
        program = make_program(seed)
        rng = np.random.default_rng(1000 + seed)
        x = rng.uniform(-1.5, 1.5, program.shape)
        batch = rng.uniform(-1.5, 1.5, (2,) + program.shape)

        def ours(v):
            return program.run("ad", v)

        def theirs(v):
            return program.run("torch", v)

        def our_scalar(v):
            return program.scalar("ad", v)

        def their_scalar(v):
            return program.scalar("torch", v)

        where = repr(program)
        assert_close(ours(ad.tensor(x)), theirs(T(x)), 1e-10, where + " value")
        assert_close(ad.jacrev(ours)(x), tf.jacrev(theirs)(T(x)), 1e-10, where + " jacrev")
        assert_close(ad.jacfwd(ours)(x), tf.jacfwd(theirs)(T(x)), 1e-10, where + " jacfwd")
        assert_close(ad.hessian(our_scalar)(x), tf.hessian(their_scalar)(T(x)), 1e-10,
                     where + " hessian")
        try:
            reference = tf.vmap(tf.grad(their_scalar))(T(batch))
        except RuntimeError:        # an op torch.func cannot batch: its per-example loop
            reference = torch.stack([tf.grad(their_scalar)(T(row)) for row in batch])
        assert_close(ad.vmap(ad.grad(our_scalar))(batch), reference, 1e-10,
                     where + " vmap(grad)")
    assert time.perf_counter() - start < 60


def test_random_programs_nested_with_closures_agree_with_torch():
    # layer_norm is left out: torch's own second derivatives of it through forward
    # mode (jacrev of jacfwd, grad of jvp) differ from finite differences; std of
    # equal values has no derivative.
    torch = torch_or_skip()
    tf = torch.func
    start = time.perf_counter()
    for seed in range(100):
        program = make_program(seed, exclude=("layer_norm", "std"))
        rng = np.random.default_rng(2000 + seed)
        x = rng.uniform(-1.5, 1.5, program.shape)
        batch = rng.uniform(-1.5, 1.5, (2,) + program.shape)
        where = repr(program)

        def ours(v, s=1.0):
            return program.run("ad", v * s)

        def theirs(v, s=1.0):
            return program.run("torch", v * s)

        assert_close(
            ad.grad(lambda s: (ad.jacrev(lambda v: ours(v, s))(x) ** 2).sum())(0.8),
            tf.grad(lambda s: (tf.jacrev(lambda v: theirs(v, s))(T(x)) ** 2).sum())(T(0.8)),
            1e-10, where + " grad(jacrev) closing over s")
        assert_close(
            ad.grad(lambda s: (ad.jvp(lambda v: ours(v, s), (x,), (np.ones_like(x),))[1]
                               * s).sum())(0.8),
            tf.grad(lambda s: (tf.jvp(lambda v: theirs(v, s), (T(x),), (T(np.ones_like(x)),))[1]
                               * s).sum())(T(0.8)),
            1e-10, where + " grad(jvp) closing over s")
        assert_close(ad.jacrev(ad.jacfwd(lambda v: program.scalar("ad", v)))(x),
                     tf.jacrev(tf.jacfwd(lambda v: program.scalar("torch", v)))(T(x)),
                     1e-10, where + " jacrev(jacfwd)")
        hessian = ad.hessian(lambda v: program.scalar("ad", v))
        their_hessian = tf.hessian(lambda v: program.scalar("torch", v))
        assert_close(ad.vmap(hessian)(batch),
                     torch.stack([their_hessian(T(row)) for row in batch]),
                     1e-10, where + " vmap(hessian)")
    assert time.perf_counter() - start < 60
