"""A float16 tensor with a Python number, as PyTorch computes it (autodiff/ops/half_numbers.py).

``t * c``, ``c * t``, ``t / c`` (and ``*=``, ``/=``) compute in float32 with ``c`` as
float32 and round once; ``c / t`` is PyTorch's ``reciprocal(t) * c``; ``+``, ``-`` keep
NumPy's rule, which is PyTorch's there.  Every finite float16 value is swept, values
and gradients, against references computed with NumPy in float64/float32 explicitly,
and against PyTorch when it is installed.
"""

import operator

import numpy as np
import pytest

import autodiff as ad

_ALL_HALF = np.arange(2 ** 16, dtype=np.uint16).view(np.float16)
_ALL_HALF = _ALL_HALF[np.isfinite(_ALL_HALF)]
NUMBERS = [0.1, 3, 1 / 3, 1e-3, 2.5, -7]


def _half(values):
    with np.errstate(over="ignore"):
        return np.asarray(values).astype(np.float32).astype(np.float16)


def _exact(x, c, op):
    """``x op c`` in float64 with ``c`` as float32 (exact for a product, correctly
    rounded for a quotient), rounded to float32 and then to float16."""
    with np.errstate(all="ignore"):
        return _half(op(x.astype(np.float64), np.float64(np.float32(c))))


def _reference(name, x, g, c):
    """The value and the gradient (for upstream ``g``) of ``name`` at every ``x``."""
    with np.errstate(all="ignore"):
        if name == "t * c" or name == "c * t":
            return _exact(x, c, operator.mul), _exact(g, c, operator.mul)
        if name == "t / c":
            return _exact(x, c, operator.truediv), _exact(g, c, operator.truediv)
        if name == "c / t":              # reciprocal(t) * c, as PyTorch's __rtruediv__
            reciprocal = 1 / x           # float16 / float16: NumPy rounds once
            return (_exact(reciprocal, c, operator.mul),
                    -_exact(g, c, operator.mul) * (reciprocal * reciprocal))
        if name == "t + c":
            return x + c, g              # NumPy's rule: c rounded to float16 first
        if name == "t - c":
            return x - c, g
        if name == "c - t":
            return c - x, -g
    raise AssertionError(name)


OPERATIONS = {"t * c": lambda t, c: t * c, "c * t": lambda t, c: c * t,
              "t / c": lambda t, c: t / c, "c / t": lambda t, c: c / t,
              "t + c": lambda t, c: t + c, "t - c": lambda t, c: t - c,
              "c - t": lambda t, c: c - t}


def _same_bits(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype == np.float16
    same = (got.view(np.uint16) == want.view(np.uint16)) | (np.isnan(got) & np.isnan(want))
    return int(np.count_nonzero(~same))


def _ours(name, c, g):
    t = ad.tensor(_ALL_HALF.copy(), requires_grad=True)
    with np.errstate(all="ignore"):
        y = OPERATIONS[name](t, c)
        y.backward(g)
    return y.data, t.grad


@pytest.mark.parametrize("name", list(OPERATIONS))
@pytest.mark.parametrize("c", NUMBERS, ids=str)
def test_every_float16_value_against_a_float32_reference(name, c):
    g = np.random.default_rng(0).standard_normal(_ALL_HALF.size).astype(np.float16)
    value, grad = _ours(name, c, g)
    want_value, want_grad = _reference(name, _ALL_HALF, g, c)
    assert _same_bits(value, want_value) == 0
    assert _same_bits(grad, want_grad) == 0


@pytest.mark.parametrize("name", list(OPERATIONS))
@pytest.mark.parametrize("c", NUMBERS, ids=str)
def test_every_float16_value_equals_pytorch_bitwise(name, c):
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(1).standard_normal(_ALL_HALF.size).astype(np.float16)
    value, grad = _ours(name, c, g)
    t = torch.tensor(_ALL_HALF.copy(), requires_grad=True)
    y = OPERATIONS[name](t, c)
    y.backward(torch.tensor(g))
    assert _same_bits(value, y.detach().numpy()) == 0
    assert _same_bits(grad, t.grad.numpy()) == 0


def test_numpy_rounds_differently_so_the_sweep_can_fail():
    with np.errstate(all="ignore"):
        numpys = _ALL_HALF * 0.1
    differ = _same_bits(numpys, _reference("t * c", _ALL_HALF, _ALL_HALF, 0.1)[0])
    assert differ > 0.25 * _ALL_HALF.size


@pytest.mark.parametrize("c", NUMBERS, ids=str)
def test_in_place_updates_round_once(c):
    for symbol, op in (("*=", operator.imul), ("/=", operator.itruediv)):
        name = "t * c" if symbol == "*=" else "t / c"
        want = _reference(name, _ALL_HALF, _ALL_HALF, c)[0]
        plain = ad.tensor(_ALL_HALF.copy())
        with np.errstate(all="ignore"):
            plain = op(plain, c)                 # an unrecorded write
        assert _same_bits(plain.data, want) == 0, symbol
        leaf = ad.tensor(_ALL_HALF.copy(), requires_grad=True)
        recorded = leaf * 1
        with np.errstate(all="ignore"):
            recorded = op(recorded, c)           # recorded on the tape
            recorded.backward(np.ones_like(_ALL_HALF))
        assert _same_bits(recorded.data, want) == 0, symbol
        assert _same_bits(leaf.grad, _reference(name, _ALL_HALF, np.ones_like(_ALL_HALF),
                                                c)[1]) == 0, symbol


def test_torch_in_place_methods_match_pytorch():
    torch = pytest.importorskip("torch")
    x = _ALL_HALF[np.abs(_ALL_HALF) < 1000]
    ours = ad.tensor(x.copy()).mul_(0.1).div_(1 / 3)
    theirs = torch.tensor(x.copy()).mul_(0.1).div_(1 / 3)
    assert _same_bits(ours.data, theirs.numpy()) == 0


def test_function_forms_with_the_number_second_give_the_operators_result():
    x = _ALL_HALF[::7]
    t = ad.tensor(x)
    with np.errstate(over="ignore"):
        product, quotient = (t * 0.1).data, (t / 0.1).data
    forms = ad.multiply(t, 0.1), t.mul(0.1), ad.mul(t, 0.1), np.multiply(t, 0.1)
    for form in forms:
        assert isinstance(form, ad.Tensor) and _same_bits(form.data, product) == 0
    with np.errstate(over="ignore"):
        forms = ad.divide(t, 0.1), t.div(0.1), np.true_divide(t, 0.1)
    for form in forms:
        assert _same_bits(form.data, quotient) == 0


def test_function_forms_with_the_number_first_keep_numpys_rule_as_pytorch():
    x = _ALL_HALF[np.abs(_ALL_HALF) > 1e-3][::7]
    t = ad.tensor(x)
    with np.errstate(all="ignore"):
        assert _same_bits(ad.multiply(0.1, t).data, 0.1 * x) == 0
        assert _same_bits(ad.divide(0.1, t).data, 0.1 / x) == 0
    torch = pytest.importorskip("torch")
    assert _same_bits(ad.multiply(0.1, t).data, torch.mul(0.1, torch.tensor(x)).numpy()) == 0
    assert _same_bits(ad.divide(0.1, t).data,
                      torch.divide(0.1, torch.tensor(x)).numpy()) == 0


def test_numpy_scalars_and_other_dtypes_keep_numpys_rule():
    x = _ALL_HALF[::5]
    t = ad.tensor(x)
    assert _same_bits((t * np.float16(0.1)).data, x * np.float16(0.1)) == 0
    assert _same_bits((t * np.array(0.1, np.float16)).data, x * np.float16(0.1)) == 0
    for dtype in (np.float32, np.float64):
        values = np.random.default_rng(2).standard_normal(50).astype(dtype)
        for op in (operator.mul, operator.truediv):
            for c in NUMBERS:
                got = op(ad.tensor(values, requires_grad=True), c)
                assert got.data.dtype == dtype
                assert got.data.tobytes() == op(values, c).tobytes()
                scalar = op(ad.tensor(values[0], requires_grad=True), c)
                assert scalar.data.tobytes() == np.asarray(op(values[0], c)).tobytes()


def test_a_0d_float16_tensor_rounds_once_too():
    x = np.float16(0.7)
    for requires_grad in (False, True):
        got = ad.tensor(x, requires_grad=requires_grad) * 0.1
        assert got.shape == () and got.dtype == np.float16
        assert got.data.tobytes() == _exact(np.asarray(x), 0.1, operator.mul).tobytes()


def test_create_graph_gives_the_plain_backward_bitwise():
    x = _ALL_HALF[np.abs(_ALL_HALF) > 1e-2][::11]
    g = np.random.default_rng(3).standard_normal(x.size).astype(np.float16)
    for name in ("t * c", "t / c", "c / t"):
        plain = ad.tensor(x, requires_grad=True)
        graph = ad.tensor(x, requires_grad=True)
        with np.errstate(over="ignore"):
            OPERATIONS[name](plain, 0.1).backward(g)
            (recorded,) = ad.autograd.grad(OPERATIONS[name](graph, 0.1), [graph],
                                           grad_outputs=g, create_graph=True)
        assert recorded.requires_grad == (name == "c / t")    # g * c: constant in t
        assert _same_bits(recorded.data, plain.grad) == 0, name


@pytest.mark.parametrize("c", [0.1, 1 / 3, -7])
def test_the_float64_path_matches_central_differences(c):
    x = ad.tensor(np.linspace(0.5, 2.0, 7), requires_grad=True)
    for name, fn in OPERATIONS.items():
        assert ad.gradcheck(lambda t: fn(t, c).sum(), (x,)), name


def test_compiled_float16_step_equals_eager():
    def step(w, x):
        loss = ((w * x) * 0.1 / 3).sum()
        loss.backward()
        return loss

    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 5)).astype(np.float16)
    w_eager = ad.tensor(rng.standard_normal(5).astype(np.float16), requires_grad=True)
    w_compiled = ad.tensor(w_eager.data.copy(), requires_grad=True)
    compiled = ad.compile(step)
    for _ in range(3):
        w_eager.grad = None
        w_compiled.grad = None
        eager_loss = step(w_eager, x)
        compiled_loss = compiled(w_compiled, x)
        assert eager_loss.data.tobytes() == compiled_loss.data.tobytes()
        assert w_eager.grad.tobytes() == w_compiled.grad.tobytes()
    assert compiled.traces == 1
    eager_values = (w_eager * ad.tensor(x)) * 0.1
    assert _same_bits(eager_values.data, _exact(
        _half(w_eager.data.astype(np.float32) * x.astype(np.float32)), 0.1, operator.mul)) == 0
