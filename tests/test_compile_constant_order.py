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
        assert _flags(x_compiled.grad) == _flags(x_eager.grad)   # the traced call too
    assert compiled.traces == 1


def test_the_constants_of_the_plan_keep_their_order():
    compiled = ad.compile(asfortranarray_of_full)
    compiled(np.asfortranarray(np.ones((4, 3))))
    kept = list(compiled.plan.literal_values.values())
    assert kept and all(a.flags.f_contiguous and not a.flags.c_contiguous for a in kept)


# ----- returning a constant the call made -----------------------------------------

W = ad.tensor([[0.5, -1.0, 0.25, 1.0], [1.5, 0.75, -0.5, 0.0], [-0.25, 2.0, 1.0, 0.5]])


def loss_and_zeros_like(x):
    w = W
    loss = ((x @ w) ** 2).mean()
    return loss, np.zeros_like(x.data)


def eye_alone(x):
    return np.eye(3)


def tensor_like_and_literal(x):
    return x * 2.0, np.zeros_like(x), ad.tensor([1.0, 2.0])


def written_fortran_constant(x):
    c = np.asfortranarray(np.full((4, 3), 0.5))
    c[1] = 2.0                              # a clean write: still a constant
    return x.sum(), c, c.T


def used_and_returned_twice(x):
    e = np.ones_like(x.data)
    return x * e, e, e


RETURNING = [loss_and_zeros_like, eye_alone, tensor_like_and_literal,
             written_fortran_constant, used_and_returned_twice]


def _arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    return [item.data if isinstance(item, ad.Tensor) else item for item in items]


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
@pytest.mark.parametrize("program", RETURNING, ids=lambda p: p.__name__)
def test_a_returned_constant_is_a_new_copy_at_each_call(program, fuse):
    compiled = ad.compile(program, fuse=fuse)
    rng = np.random.default_rng(5)
    previous = None
    for call in range(4):
        x = np.asfortranarray(rng.normal(size=(4, 3)))
        want, got = program(ad.tensor(x)), compiled(ad.tensor(x))
        want_items = want if isinstance(want, tuple) else (want,)
        got_items = got if isinstance(got, tuple) else (got,)
        assert len(got_items) == len(want_items)
        for g, w in zip(got_items, want_items):
            if call == 0:       # (the traced call returns what the call made)
                assert isinstance(g, type(w))
            else:
                assert type(g) is type(w)
        for g, w in zip(_arrays(got), _arrays(want)):
            np.testing.assert_array_equal(g, w)
            assert g.dtype == w.dtype and _flags(g) == _flags(w)
        # one object returned in two places stays one, as in eager mode
        same_places = [[a is b for b in _arrays(want)] for a in _arrays(want)]
        assert [[a is b for b in _arrays(got)] for a in _arrays(got)] == same_places
        if previous is not None:
            for old, new in zip(previous, _arrays(got)):
                assert old is not new and not np.shares_memory(old, new)
            for kept in compiled.plan.literal_values.values():
                assert not any(np.shares_memory(kept, new) for new in _arrays(got))
        for array in _arrays(got):              # the caller's to change
            array[...] = -7.0
        previous = _arrays(got)
    assert compiled.traces == 1


def test_a_leaf_with_grad_made_in_the_call_and_returned_is_refused_by_what_it_is():
    def leaf_made_here(x):
        return x * 2.0, ad.tensor([1.0, 2.0], requires_grad=True)

    with pytest.raises(ad.TraceError,
                       match=r"returns a tensor of shape \(2,\) made in the call from "
                             r"Python numbers with requires_grad=True.*outside the "
                             r"compiled function"):
        ad.compile(leaf_made_here)(ad.tensor(np.ones(2)))


def test_constants_returned_in_a_dict_and_list_are_new_each_call():
    def nested(x):
        return x * 2.0, {"k": [np.array(1.0), np.arange(3)]}

    compiled = ad.compile(nested)
    first = compiled(ad.tensor(np.ones(3)))[1]["k"]
    first[1][0] = 5
    second = compiled(ad.tensor(np.ones(3)))[1]["k"]
    want = nested(ad.tensor(np.ones(3)))[1]["k"]
    for got, expected in zip(second, want):
        assert type(got) is type(expected) and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    assert second[1] is not first[1] and compiled.traces == 1


def _written_from_the_call(x):
    c = np.zeros(3)
    c[:] = x.data
    return x * 2.0, c


def _uninitialised(x):
    return x * 2.0, np.empty(3)


@pytest.mark.parametrize("program, why", [
    (_written_from_the_call, r"constant of the plan until the write into it at "
                             r"test_compile_constant_order\.py:\d+"),
    (_uninitialised, r"made by np\.empty at test_compile_constant_order\.py:\d+.*"
                     r"np\.zeros_like"),
], ids=["written_from_the_call", "np_empty"])
def test_a_returned_array_that_is_no_constant_is_refused_saying_why(program, why):
    with pytest.raises(ad.TraceError, match=r"returns an array of shape \(3,\) that no "
                                            r"recorded step made.*" + why):
        ad.compile(program)(ad.tensor(np.ones(3)))
