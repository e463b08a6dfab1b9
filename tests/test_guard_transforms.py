"""The mutation guard through the function transforms.

A transform gives a parameter ``w`` (a leaf that requires grad, in grad mode) to the
function as a fresh input on top of it, whose array is ``w``'s own.  While the
transform runs (the function, then the transform's own backward or forward passes),
the ops that read that input hold ``w``'s array read-only as they would if they read
``w``: a write into ``w`` raises, as in eager code, instead of giving a wrong gradient.
Once the transform has returned, ``w`` is writable again even while its results (Tensors
with a graph) live, so ``w -= lr * g`` works; a library write then makes a later backward
through those results that reads the old ``w`` raise (``overwrites.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import guard
from autodiff.inplace import InPlaceError

START = np.array([1.0, 2.0, 3.0])
ONES = np.ones(3)

TRANSFORMS = {
    "grad": lambda f, w: ad.grad(f)(w),
    "value_and_grad": lambda f, w: ad.value_and_grad(f)(w),
    "vjp": lambda f, w: ad.vjp(f, w)[1](np.array(1.0)),
    "jacrev": lambda f, w: ad.jacrev(f)(w),
    "hessian": lambda f, w: ad.hessian(f)(w),
    "hvp": lambda f, w: ad.hvp(f, w, ONES),
    "jvp": lambda f, w: ad.jvp(f, (w,), (ONES,)),
    "jacfwd": lambda f, w: ad.jacfwd(f)(w),
    "grad_of_grad": lambda f, w: ad.grad(lambda v: ad.grad(f)(v).sum())(w),
}


def cube_sum(x):
    return (x ** 3).sum()


#: Each transform of ``cube_sum`` at ``w``, as one Tensor that still depends on ``w``,
#: with the gradient a backward through its sum gives (``w`` holding START).
RESULTS = {
    "grad": (lambda w: ad.grad(cube_sum)(w), 6 * START),
    "value_and_grad": (lambda w: sum(ad.value_and_grad(cube_sum)(w)),    # value + g, 3 entries
                       9 * START ** 2 + 6 * START),
    "jacrev": (lambda w: ad.jacrev(lambda x: x ** 3)(w), 6 * START),
    "hessian": (lambda w: ad.hessian(cube_sum)(w), 6 * ONES),
    "hvp": (lambda w: ad.hvp(cube_sum, w, ONES), 6 * ONES),
    "jvp": (lambda w: ad.jvp(lambda x: x ** 3, (w,), (ONES,))[1], 6 * START),
    "jacfwd": (lambda w: ad.jacfwd(lambda x: x ** 3)(w), 6 * START),
    "vjp": (lambda w: ad.vjp(lambda x: x ** 3, w)[1](ONES)[0], 6 * START),
    "grad_of_grad": (lambda w: ad.grad(lambda v: ad.grad(cube_sum)(v).sum())(w), 6 * ONES),
}


def _cube_sum_then(write):
    def f(x):
        y = (x ** 3).sum()
        write()                     # before the transform's backward reads x
        return y
    return f


@pytest.mark.parametrize("transform", TRANSFORMS.values(), ids=TRANSFORMS.keys())
def test_a_numpy_write_into_the_parameter_inside_the_function_raises(transform):
    w = ad.tensor(START.copy(), requires_grad=True)

    def write():
        w.data[...] = 10.0

    with pytest.raises(ValueError, match="read-only"):
        transform(_cube_sum_then(write), w)
    np.testing.assert_array_equal(w.data, START)        # nothing was written
    assert w.data.flags.writeable                        # and the transform let go


def test_an_update_under_no_grad_inside_the_function_raises_as_in_eager_code():
    w = ad.tensor(START.copy(), requires_grad=True)
    params = [w]

    def f(x):
        y = (x * x).sum() + (x ** 3).sum()              # two ops read x
        p = params[0]
        with ad.no_grad():
            p += 1.0
        return y

    with pytest.raises(InPlaceError, match="saved its values"):
        ad.grad(f)(w)
    np.testing.assert_array_equal(w.data, START)
    y = (w * w).sum() + (w ** 3).sum()                   # the same, eager
    with pytest.raises(InPlaceError, match="saved its values"), ad.no_grad():
        w += 1.0
    del y


def test_a_write_during_the_transforms_own_backward_raises():
    w = ad.tensor(START.copy(), requires_grad=True)

    @ad.custom_gradient
    def scaled(x):
        def vjp(g):
            w.data[...] = 10.0      # runs in grad's backward, before power's rule
            return g * 2.0
        return x * 2.0, vjp

    with pytest.raises(ValueError, match="read-only"):
        ad.grad(lambda x: (x ** 3).sum() + scaled(x).sum())(w)
    np.testing.assert_array_equal(w.data, START)


def test_a_write_in_an_outer_function_after_an_inner_transform_returned_raises():
    w = ad.tensor(START.copy(), requires_grad=True)

    def outer(v):
        g = ad.grad(cube_sum)(v)    # the outer transform still needs w as it is
        with ad.no_grad():
            w.add_(1.0)
        return g.sum()

    with pytest.raises(InPlaceError, match="op 'power'"):
        ad.grad(outer)(w)
    np.testing.assert_array_equal(w.data, START)
    assert w.data.flags.writeable


def test_the_parameter_is_not_taken_for_a_view_of_itself():
    w = ad.tensor(START.copy(), requires_grad=True)
    seen = []

    def f(x):
        y = (x * x).sum() + (x * 2).sum()               # the second read finds it guarded
        seen.append((guard.is_guarded_view(w.data), w.data.flags.writeable))
        return y

    np.testing.assert_allclose(ad.grad(f)(w).data, 2 * START + 2)
    assert seen == [(False, False)]


@pytest.mark.parametrize("name", RESULTS)
def test_the_parameter_is_writable_while_the_results_live(name):
    transform, second = RESULTS[name]
    w = ad.tensor(START.copy(), requires_grad=True)
    result = transform(w)
    assert isinstance(result, ad.Tensor) and result.requires_grad
    assert w.data.flags.writeable
    result.sum().backward()                             # untouched: the right answer
    np.testing.assert_allclose(w.grad, second)


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacrev", "hessian"])
def test_a_step_with_the_result_works(name):
    w = ad.tensor(START.copy(), requires_grad=True)
    g = {"grad": lambda: ad.grad(cube_sum)(w),
         "value_and_grad": lambda: ad.value_and_grad(cube_sum)(w)[1],
         "jacrev": lambda: ad.jacrev(lambda x: x ** 3)(w).sum(axis=0),
         "hessian": lambda: ad.hessian(cube_sum)(w).sum(axis=0)}[name]()
    expected = START - 0.1 * g.data
    with ad.no_grad():
        w -= 0.1 * g
    np.testing.assert_allclose(w.data, expected)
    w.grad = np.ones(3)
    ad.optim.SGD([w], lr=0.5).step()
    np.testing.assert_allclose(w.data, expected - 0.5)
    del g


def _set_first(w):
    w[0] = 5.0


def _sgd_step(w):
    w.grad = np.ones(3)
    ad.optim.SGD([w], lr=0.1).step()


def _adam_step(w):
    w.grad = np.ones(3)
    ad.optim.Adam([w], lr=0.1).step()


def _init(w):
    ad.nn.init.constant_(w, 0.5)


LIBRARY_WRITES = {
    "isub": lambda w: w.__isub__(0.1),
    "add_": lambda w: w.add_(1.0),
    "setitem": _set_first,
    "fill_": lambda w: w.fill_(0.0),
    "sgd step": _sgd_step,
    "adam step": _adam_step,
    "nn.init": _init,
}


@pytest.mark.parametrize("write", LIBRARY_WRITES.values(), ids=LIBRARY_WRITES.keys())
@pytest.mark.parametrize("name", RESULTS)
def test_a_library_write_makes_a_later_backward_through_the_results_raise(name, write):
    transform, _ = RESULTS[name]
    w = ad.tensor(START.copy(), requires_grad=True)
    result = transform(w)
    with ad.no_grad():
        write(w)
    assert not np.array_equal(w.data, START)
    with pytest.raises(InPlaceError, match="op 'power' saved its input"):
        result.sum().backward()


def test_loading_a_state_dict_makes_a_later_backward_raise():
    layer = ad.nn.Linear(3, 1)
    state = {k: v + 1.0 for k, v in layer.state_dict().items()}
    g = ad.grad(lambda w: (w ** 3).sum())(layer.weight)
    layer.load_state_dict(state)
    with pytest.raises(InPlaceError, match="op 'power'"):
        g.sum().backward()


def test_a_vjp_pullback_after_a_library_write_raises():
    w = ad.tensor(START.copy(), requires_grad=True)
    _, pullback = ad.vjp(lambda x: x ** 3, w)
    np.testing.assert_allclose(pullback(ONES)[0].data, 3 * START ** 2)
    assert w.data.flags.writeable
    with ad.no_grad():
        w -= 1.0
    with pytest.raises(InPlaceError, match="op 'power'"):
        pullback(ONES)


@pytest.mark.parametrize("optimizer", [ad.optim.SGD, ad.optim.Adam])
def test_a_compiled_optimizer_step_makes_a_later_backward_raise(optimizer):
    # A replay updates parameters with the fused kernels (compile/fused_optim.py),
    # large enough here for them to run, or with the optimizer's NumPy code.
    w = ad.nn.Parameter(np.linspace(1.0, 2.0, 4096))
    opt = optimizer([w], lr=0.1)

    @ad.compile
    def step(x):
        opt.zero_grad()
        loss = ((w * x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    x = np.full(4096, 0.1)
    step(x)
    step(x)
    g = ad.grad(lambda v: (v ** 3).sum())(w)
    before = w.data.copy()
    step(x)
    assert not np.array_equal(w.data, before)
    w.grad = None
    with pytest.raises(InPlaceError, match="op 'power' saved its input"):
        g.sum().backward()


def test_a_compiled_in_place_update_makes_a_later_backward_raise():
    w = ad.tensor(START.copy(), requires_grad=True)

    @ad.compile
    def shift(amount):
        with ad.no_grad():
            w.add_(amount)
        return w.sum()

    shift(np.ones(3))
    shift(np.ones(3))
    g = ad.grad(lambda v: (v ** 3).sum())(w)
    shift(np.ones(3))
    with pytest.raises(InPlaceError, match="op 'power' saved its input"):
        g.sum().backward()


def test_a_numpy_write_after_the_transform_returned_is_not_seen():
    # The documented limit (overwrites.py): a write that bypasses the library is not
    # stamped, so a backward through the results reads the new values.
    w = ad.tensor(START.copy(), requires_grad=True)
    g = ad.grad(lambda x: (x ** 3).sum())(w)
    w.data[...] = 10.0
    g.sum().backward()
    np.testing.assert_allclose(w.grad, 6 * 10.0 * ONES)


def test_a_backward_through_results_made_after_the_write_is_not_refused():
    w = ad.tensor(START.copy(), requires_grad=True)
    g = ad.grad(cube_sum)(w)
    with ad.no_grad():
        w -= 1.0
    g = ad.grad(cube_sum)(w)
    g.sum().backward()
    np.testing.assert_allclose(w.grad, 6 * (START - 1.0))


def test_a_graph_made_before_the_transform_still_holds_the_parameter():
    w = ad.tensor(START.copy(), requires_grad=True)
    loss = (w ** 3).sum()
    g = ad.grad(cube_sum)(w)
    with pytest.raises(InPlaceError, match="op 'power'"), ad.no_grad():
        w -= 0.1 * g
    loss.backward()
    with ad.no_grad():
        w -= 0.1 * g
    np.testing.assert_allclose(w.data, START - 0.3 * START ** 2)


def test_a_parameter_read_through_a_closure_stays_held_by_the_results():
    p = ad.tensor(START.copy(), requires_grad=True)
    g = ad.grad(lambda x: (x * p ** 3).sum())(np.ones(3))
    with pytest.raises(InPlaceError, match="op 'power'"), ad.no_grad():
        p -= 0.1 * g
    del g
    with ad.no_grad():
        p -= 1.0


def test_a_write_before_the_function_reads_its_input_is_seen_as_in_eager_code():
    w = ad.tensor(START.copy(), requires_grad=True)

    def f(x):
        w.data[...] = 2.0                                # x is w: it holds 2.0 from here
        return (x ** 3).sum()

    np.testing.assert_allclose(ad.grad(f)(w).data, 3 * 2.0 ** 2 * ONES)


def test_a_training_loop_keeps_no_stale_notes():
    w = ad.tensor(START.copy(), requires_grad=True)
    for _ in range(50):
        g = ad.grad(lambda x: (x ** 3).sum() - 12.0 * x.sum())(w)   # minimum at 2
        with ad.no_grad():
            w -= 0.05 * g
    np.testing.assert_allclose(w.data, 2.0 * ONES, atol=1e-6)
    assert len(guard.unguarded_reads.get(id(w.data), (None, ()))[1]) <= 4
    del g
    with ad.no_grad():
        w -= 0.0                                         # no live reader: forgotten
    assert id(w.data) not in guard.unguarded_reads
