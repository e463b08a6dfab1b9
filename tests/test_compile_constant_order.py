"""Constants a compiled call makes (``np.zeros_like`` of a Fortran-ordered array,
``np.asfortranarray(...)``, a strided view of ``np.ones``) keep their memory order in
the plan: a replay's results have eager's values and eager's memory order (C or
Fortran contiguity) at every call, not only the first (compile/literals.py)."""

import numpy as np
import pytest

import autodiff as ad


def _flags(array):
    return array.flags.c_contiguous, array.flags.f_contiguous


def zeros_like_of_a_fortran_input(x):
    c = np.zeros_like(x.data)               # Fortran-ordered, as x is
    c[0, 0] = 1.0
    return x + c


def asfortranarray_of_full(x):
    return x * np.asfortranarray(np.full((4, 3), 0.5))


def transposed_zeros_like(x):
    return x * (np.zeros_like(x.data.T) + 2.0).T


def strided_view_of_ones(x):
    return x * np.ones((3, 8)).T[::2]       # a Fortran-like view, not contiguous


def written_tensor_like(x):
    z = np.zeros_like(x)                    # a Tensor; its write is a step of the plan
    z[0, 1] = 3.0
    return x * z + x


PROGRAMS = [zeros_like_of_a_fortran_input, asfortranarray_of_full, transposed_zeros_like,
            strided_view_of_ones, written_tensor_like]


def _run(program, x):
    """``program``'s result and its gradient for the leaf ``x``."""
    out = program(x)
    (out * out).sum().backward()
    return out


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_results_keep_eagers_memory_order_over_calls(program, fuse):
    compiled = ad.compile(lambda x: _run(program, x), fuse=fuse)
    rng = np.random.default_rng(3)
    for call in range(4):
        values = np.asfortranarray(rng.normal(size=(4, 3)))
        x_eager = ad.tensor(values.copy(order="K"), requires_grad=True)
        x_compiled = ad.tensor(values.copy(order="K"), requires_grad=True)
        want = _run(program, x_eager)
        got = compiled(x_compiled)
        assert _flags(got.data) == _flags(want.data)
        np.testing.assert_array_equal(got.data, want.data)
        np.testing.assert_array_equal(x_compiled.grad, x_eager.grad)
        if call > 0:    # (replays; the traced first call's leaf gradient is C-ordered,
            # with or without constants: the engine copies a gradient the tracer also holds)
            assert _flags(x_compiled.grad) == _flags(x_eager.grad)
    assert compiled.traces == 1


def test_the_constants_of_the_plan_keep_their_order():
    compiled = ad.compile(asfortranarray_of_full)
    compiled(np.asfortranarray(np.ones((4, 3))))
    kept = list(compiled.plan.literal_values.values())
    assert kept and all(a.flags.f_contiguous and not a.flags.c_contiguous for a in kept)
