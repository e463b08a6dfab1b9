"""ad.compile replays equal eager execution bit for bit: memory orders, the softmax
family's Numba kernels, nll_loss on expanded inputs, and what is documented as not
bitwise (a fused loop's exp; the sign of a NaN)."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.nn import functional as F
from ulp_compare import assert_few_ulp


def _bits(a):
    return np.asarray(a).tobytes()


def _compare(fn, params, inputs, fuse=True):
    """Eager and compiled ``fn`` on each of ``inputs``: (eager, compiled) pairs of the
    loss and the parameters' gradients."""
    def step(x):
        for p in params:
            p.grad = None
        loss = fn(x)
        loss.backward()
        return loss

    compiled = ad.compile(step, fuse=fuse)
    pairs = []
    for x in inputs:
        want = [step(x).data] + [p.grad.copy() for p in params]
        got = [compiled(x).data] + [p.grad.copy() for p in params]
        pairs.append((want, got))
    return pairs, compiled


# ----- memory order ---------------------------------------------------------------

@pytest.mark.parametrize("fuse", [False, True])
def test_fortran_ordered_input_sums_in_eagers_order(fuse):
    """Eager's abs(x - b) of a Fortran-ordered x is Fortran-ordered, and its sum runs
    through memory in that order; a loop's C-ordered result summed otherwise (1 ulp)."""
    rng = np.random.default_rng(0)
    b = ad.tensor(rng.normal(size=3), requires_grad=True)
    inputs = [np.asfortranarray(rng.normal(size=(20, 3))) for _ in range(8)]
    pairs, _ = _compare(lambda x: ad.abs(x - b).sum() + (x * b).sum(axis=0).max(), [b],
                        inputs, fuse)
    for want, got in pairs:
        assert [_bits(a) for a in got] == [_bits(a) for a in want]


def test_a_new_memory_order_traces_again():
    rng = np.random.default_rng(1)
    b = ad.tensor(rng.normal(size=3), requires_grad=True)
    c_order = [rng.normal(size=(20, 3)) for _ in range(2)]
    fortran = [np.asfortranarray(rng.normal(size=(20, 3))) for _ in range(6)]
    strided = [rng.normal(size=(20, 6))[:, ::2] for _ in range(2)]
    pairs, compiled = _compare(lambda x: (x * x * b).sum(), [b], c_order + fortran + strided)
    for want, got in pairs:
        assert [_bits(a) for a in got] == [_bits(a) for a in want]
    assert compiled.traces == 3


def test_a_captured_tensor_given_an_array_in_another_order_traces_again():
    rng = np.random.default_rng(6)
    w = ad.tensor(rng.normal(size=(20, 3)), requires_grad=True)

    def step(x):
        w.grad = None
        loss = ad.abs(w * 2.0 - x).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    compiled(rng.normal(size=(20, 3)))
    for _ in range(6):
        w.data = np.asfortranarray(rng.normal(size=(20, 3)))
        x = rng.normal(size=(20, 3))
        want = [step(x).data, w.grad.copy()]
        got = [compiled(x).data, w.grad.copy()]
        assert [_bits(a) for a in got] == [_bits(a) for a in want]
    assert compiled.traces == 2


def test_signature_change_names_the_memory_order():
    from autodiff.compile import _signature_change, signature
    change = _signature_change(signature((np.ones((2, 3)),), {}),
                               signature((np.ones((3, 2)).T,), {}))
    assert change.endswith("float64 in Fortran order")


# ----- the softmax family's kernels -------------------------------------------------

needs_jit = pytest.mark.skipif(not kernels.JIT_ENABLED, reason="Numba kernels are off")


@needs_jit
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape, expand", [((1, 600), 4), ((200, 5), None)])
def test_log_softmax_nll_where_eager_runs_the_numba_kernel_is_bitwise(
        shape, expand, reduction, weighted):
    """From 512 elements eager log_softmax and its backward run a Numba kernel (its
    own vectorized row sum); a fused loop summed in NumPy's order, 1 ulp apart."""
    rng = np.random.default_rng(2)
    classes = shape[1]
    w = ad.tensor(rng.normal(size=shape), requires_grad=True)
    rows = expand or shape[0]
    y = rng.integers(0, classes, rows)
    weight = ad.tensor(rng.uniform(0.5, 2.0, classes)) if weighted else None

    def loss_of(x):
        lp = F.log_softmax(x * w, 1)
        if expand:
            lp = lp.expand(expand, classes)
        loss = F.nll_loss(lp, y, weight=weight, reduction=reduction)
        return (loss * loss).sum() if reduction == "none" else loss

    pairs, _ = _compare(loss_of, [w], [rng.normal(size=shape) for _ in range(6)])
    for want, got in pairs:
        assert [_bits(a) for a in got] == [_bits(a) for a in want]


@needs_jit
def test_softmax_where_eager_runs_the_numba_kernel_is_bitwise():
    rng = np.random.default_rng(3)
    w = ad.tensor(rng.normal(size=(64, 16)), requires_grad=True)
    target = rng.normal(size=(64, 16))
    pairs, _ = _compare(lambda x: ((F.softmax(x * w, 1) - target) ** 2).sum(), [w],
                        [rng.normal(size=(64, 16)) for _ in range(4)])
    for want, got in pairs:
        assert [_bits(a) for a in got] == [_bits(a) for a in want]


# ----- nll_loss on expanded and broadcast inputs --------------------------------------

def _expanded(kind, t, shape):
    if kind == "broadcast_to":
        return ad.broadcast_to(t, shape)
    if kind == "expand":
        return t.expand(*shape)
    return t                        # the input itself is a stride-0 view (an argument)


@pytest.mark.parametrize("fuse", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", ["broadcast_to", "expand", "stride-0 argument"])
@pytest.mark.parametrize("log_softmax_first", [False, True])
def test_nll_loss_on_expanded_inputs(kind, weighted, reduction, fuse, log_softmax_first):
    """Bitwise, except the reverse pass of a small log_softmax in a fused loop: that
    loop computes exp with its own function (the README's exception), a few ulp from
    NumPy's, which eager uses below the kernels' 512 elements."""
    rng = np.random.default_rng(4)
    n, classes = 12, 5
    w = ad.tensor(rng.normal(size=(1, classes)), requires_grad=True)
    y = rng.integers(0, classes, n)
    weight = ad.tensor(rng.uniform(0.5, 2.0, classes)) if weighted else None

    def loss_of(x):
        h = x * w if kind == "stride-0 argument" else w * x
        if log_softmax_first:
            h = F.log_softmax(h, 1)
        lp = _expanded(kind, h, (n, classes))
        loss = F.nll_loss(lp, y, weight=weight, reduction=reduction)
        return (loss * loss).sum() if reduction == "none" else loss

    def draw():
        row = rng.normal(size=(1, classes))
        return np.broadcast_to(row, (n, classes)) if kind == "stride-0 argument" else row

    pairs, _ = _compare(loss_of, [w], [draw() for _ in range(4)], fuse)
    for want, got in pairs:
        for a, b in zip(got, want):
            if fuse and log_softmax_first:
                assert_few_ulp(a, b)
            else:
                assert _bits(a) == _bits(b)


# ----- the sign of a NaN ------------------------------------------------------------

def _same_but_nan_signs(got, want):
    got, want = np.asarray(got), np.asarray(want)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert _bits(got[~nan]) == _bits(want[~nan])


@pytest.mark.parametrize("fuse", [False, True])
def test_corrcoef_of_constant_data_gives_nan_where_eager_does(fuse):
    """Constant rows: 0 / 0, NaN gradients.  Unfused, bit for bit; fused, a NaN's sign
    may differ: IEEE 754 leaves it unspecified when two NaNs meet (x + y keeps one of
    them), LLVM may swap the operands of + and *, and NumPy's own choice depends on
    its operands' layout (an array plus a scalar keeps another NaN than two arrays)."""
    w = ad.tensor(np.ones((3, 4)), requires_grad=True)
    inputs = [np.ones((3, 4)), np.full((3, 4), 2.0), np.arange(12.0).reshape(3, 4) * 0 + 5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pairs, _ = _compare(lambda x: np.corrcoef(w * x).sum(), [w], inputs, fuse)
    for want, got in pairs:
        assert np.isnan(want[1]).all()
        for a, b in zip(got, want):
            if fuse:
                _same_but_nan_signs(a, b)
            else:
                assert _bits(a) == _bits(b)


def test_corrcoef_of_varying_data_is_bitwise():
    rng = np.random.default_rng(5)
    w = ad.tensor(rng.normal(size=(3, 8)), requires_grad=True)
    pairs, _ = _compare(lambda x: (np.corrcoef(w * x) ** 2).sum(), [w],
                        [rng.normal(size=(3, 8)) for _ in range(3)])
    for want, got in pairs:
        assert [_bits(a) for a in got] == [_bits(a) for a in want]
