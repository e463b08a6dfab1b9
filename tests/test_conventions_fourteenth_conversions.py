"""Conversions out of a Tensor that test_tape_drop.py does not cover: each keeps the
tape, raises naming what to write, or warns naming the user's line (and raises inside
a transform); explicit exits stay silent.  Inside ``ad.compile`` a copy or a pickle,
which a replay would not make again, is refused naming the line."""

from __future__ import annotations

import array
import cmath
import copy
import math
import pickle
import statistics
import struct
import warnings

import numpy as np
import pytest

import autodiff as ad

HERE = __file__


def tracked(value=2.0):
    return ad.tensor(value, requires_grad=True)


# ----------------------------------------------------------------- implicit drops warn

IMPLICIT_DROPS = {
    "np.float64(t)": lambda x: np.float64(x),
    "np.float32(t)": lambda x: np.float32(x),
    "array.array": lambda x: array.array("d", [x, x]),
    "statistics.fmean": lambda x: statistics.fmean([x, x]),
    "math.fsum": lambda x: math.fsum([x, x]),
    "math.sqrt": lambda x: math.sqrt(x),
    "math.log": lambda x: math.log(x),
    "math.hypot": lambda x: math.hypot(x, x),
    "math.isclose": lambda x: math.isclose(x, 2.0),
    "cmath.exp": lambda x: cmath.exp(x),
    "map(float, t)": lambda x: list(map(float, ad.stack([x, x]))),
}


@pytest.mark.parametrize("name", list(IMPLICIT_DROPS))
def test_an_implicit_conversion_warns_at_this_line_and_raises_in_a_transform(name):
    drop = IMPLICIT_DROPS[name]
    with pytest.warns(ad.TapeDropWarning, match="requires grad") as caught:
        drop(tracked())
    assert {w.filename for w in caught} == {HERE}

    def in_a_transform(t):
        drop(t)
        return t * 2
    with pytest.raises(TypeError, match="inside a transform"):
        ad.grad(in_a_transform)(2.0)


def test_struct_pack_warns_at_this_line():
    with pytest.warns(ad.TapeDropWarning) as caught:
        packed = struct.pack("d", tracked(2.5))
    assert [w.filename for w in caught] == [HERE]
    assert struct.unpack("d", packed) == (2.5,)


# ------------------------------------------------------- what keeps the tape, and exits

def test_python_iteration_and_reductions_of_tensors_keep_the_tape():
    x = ad.tensor([1.5, -2.0, 3.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        parts = list(x)
        assert all(isinstance(p, ad.Tensor) and p.requires_grad for p in parts)
        total = sum(iter(x)) + max(parts) + sorted(parts)[0] + statistics.median(parts)
        rounded = round(x[0] * 3, 1)                 # round with ndigits: a Tensor
    assert rounded.requires_grad
    total.backward()
    # sum: 1 each; max: 3.0's; sorted()[0]: -2.0's; median of three: 1.5's
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_explicit_exits_are_silent_and_give_plain_values():
    x = ad.tensor([1.5, 2.5], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.tolist() == [1.5, 2.5] and x[0].tolist() == 1.5
        assert complex(x[1]) == 2.5 + 0j and int(x[1]) == 2
        assert x.tobytes() == np.array([1.5, 2.5]).tobytes()
        assert np.frombuffer(x.data).tolist() == [1.5, 2.5]
        assert memoryview(x.data).tolist() == [1.5, 2.5]


def test_an_integer_cast_leaves_the_tape_as_torchs_long():
    torch = pytest.importorskip("torch")
    x = ad.tensor([1.5, -2.5], requires_grad=True)
    theirs = torch.tensor([1.5, -2.5], requires_grad=True)
    for ours, their in [(x.astype(int), theirs.long()), (x.long(), theirs.long()),
                        (x.astype(bool), theirs.bool())]:
        assert ours.requires_grad == their.requires_grad is False
        np.testing.assert_array_equal(ours.data, their.numpy())
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x.astype(int) * 1.0).sum().backward()


# ------------------------------------------------------------------------------ bytes

def test_bytes_of_a_0d_integer_tensor_is_numpys_and_torchs():
    torch = pytest.importorskip("torch")
    assert bytes(ad.tensor(3)) == bytes(np.array(3)) == bytes(torch.tensor(3)) == bytes(3)


@pytest.mark.parametrize("values", [[1, 2], [1.5, 2.5], 2.5, True],
                         ids=["int vector", "float vector", "float 0-d", "bool 0-d"])
def test_bytes_of_any_other_tensor_raises_naming_both_spellings(values):
    with pytest.raises(TypeError, match=r"bytes\(t\) of a tensor .*t\.tobytes\(\) for the "
                                        r"buffer.*bytes\(t\.tolist\(\)\)"):
        bytes(ad.tensor(values))


def test_the_spellings_bytes_names_give_numpys_and_torchs_results():
    torch = pytest.importorskip("torch")
    t = ad.tensor([1, 2, 200])
    assert t.tobytes() == bytes(np.array([1, 2, 200]))                       # NumPy's
    assert bytes(t.tolist()) == bytes(torch.tensor([1, 2, 200])) == b"\x01\x02\xc8"


def test_memoryview_and_frombuffer_of_a_tensor_raise_as_of_torchs():
    torch = pytest.importorskip("torch")
    for convert in (memoryview, np.frombuffer):
        with pytest.raises(TypeError, match="bytes-like object is required, not 'Tensor'"):
            convert(tracked([1.0, 2.0]))
        with pytest.raises(TypeError, match="bytes-like object is required"):
            convert(torch.tensor([1.0, 2.0]))


# ------------------------------------------------------------------------- statistics

@pytest.mark.parametrize("function", [statistics.mean, statistics.stdev,
                                      statistics.variance, statistics.pvariance])
def test_statistics_exact_functions_raise_naming_the_autodiff_spelling(function):
    values = [tracked(1.0), tracked(2.0), tracked(4.0)]
    with pytest.raises(TypeError, match=r"not an exact Python number: statistics.*"
                                        r"ad\.mean\(tensors\).*ddof=1"):
        function(values)


def test_the_named_spellings_give_statistics_values_with_gradients():
    numbers = [1.0, 2.0, 4.0]
    values = [tracked(v) for v in numbers]
    mean = ad.mean(values)
    stdev = ad.std(ad.stack(values), ddof=1)
    variance = ad.var(ad.stack(values), ddof=1)
    np.testing.assert_allclose(mean.item(), statistics.mean(numbers), rtol=1e-15)
    np.testing.assert_allclose(stdev.item(), statistics.stdev(numbers), rtol=1e-15)
    np.testing.assert_allclose(variance.item(), statistics.variance(numbers), rtol=1e-15)
    (mean + variance).backward()
    # d variance / d x_i = 2 (x_i - mean) / (n - 1)
    expected = [1 / 3 + (v - 7 / 3) for v in numbers]
    np.testing.assert_allclose([v.grad for v in values], expected, rtol=1e-14, atol=1e-15)
    assert statistics.mean(v.item() for v in values) == 7 / 3


# ---------------------------------------------------------- copies inside ad.compile

def test_deepcopy_of_a_module_inside_a_compiled_step_is_refused_naming_the_line():
    model = ad.nn.Linear(2, 1)
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1)

    @ad.compile
    def step(x):
        target = copy.deepcopy(model)          # the line the error names
        loss = ((model(x) - target(x).detach()) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    line = step.__wrapped__.__code__.co_firstlineno + 2    # (from the decorator's line)
    with pytest.raises(ad.TraceError, match=rf"copy\.deepcopy of a tensor .* at test_conven"
                                            rf"tions_fourteenth_conversions\.py:{line} in "
                                            r"the compiled function step: a replay runs "
                                            r"no Python code"):
        step(ad.tensor([[1.0, 2.0]]))


@pytest.mark.parametrize("convert", [
    lambda x: copy.deepcopy(x),
    lambda x: pickle.loads(pickle.dumps(x)),
    lambda x: pickle.loads(pickle.dumps(x * 2)),
], ids=["deepcopy", "pickle", "pickle of a result"])
def test_copies_of_tensors_inside_a_compiled_function_are_refused(convert):
    constant = ad.tensor([1.0, 2.0])

    @ad.compile
    def f(x):
        return (convert(x) * constant).sum() + (convert(constant) * x).sum()

    with pytest.raises(ad.TraceError, match=r"in the compiled function f: a replay runs no "
                                           r"Python code.*t\.clone\(\) is recorded"):
        f(ad.tensor([3.0, 4.0]))


def test_a_recorded_copy_inside_a_compiled_function_replays_with_new_values():
    @ad.compile
    def f(x):
        return (copy.copy(x) * 2 + x.clone()).sum()

    for values in ([1.0, 2.0], [5.0, -1.0], [0.5, 0.25]):
        assert f(ad.tensor(values)).item() == 3 * sum(values)


def test_copies_and_pickles_outside_compile_are_unchanged():
    x = tracked([1.0, 2.0])
    twin = copy.deepcopy(x)
    loaded = pickle.loads(pickle.dumps(x * 2))
    assert twin.requires_grad and loaded.requires_grad and loaded.is_leaf
    np.testing.assert_array_equal(loaded.data, [2.0, 4.0])
