"""Arrays computed off the tape during a compiled call, by the user's code or by the
library's, are never baked into the plan with their traced values: any array (0-d
too) made in the call that is not made of Python numbers is refused by name, and
library functions compute theirs again at each replay (hooks.made)."""

import os

import numpy as np
import pytest

import autodiff as ad

# Functions that run as library code (their file is in the package), as a library
# function that reads its input's values with NumPy would.
_LIBRARY_SOURCE = '''
def centred_by_array(t):
    return t - np.asarray(t.data.mean())        # a 0-d array, from the values

def shifted_by_a_number(t):
    return t - tensor_of(2.0) * tensor_of([1.0, 1.0])   # made of Python numbers
'''
_LIBRARY = {"np": np, "tensor_of": ad.ops.operands.tensor_of}
exec(compile(_LIBRARY_SOURCE, os.path.join(os.path.dirname(ad.__file__), "off_tape.py"),
             "exec"), _LIBRARY)


def test_a_0d_array_library_code_computes_off_the_tape_is_refused():
    step = ad.compile(lambda x: _LIBRARY["centred_by_array"](x))
    with pytest.raises(ad.TraceError, match=r"an array of shape \(\) given to 'subtract' at "
                                            r"test_compile_off_tape_values.py:\d+.*a replay "
                                            r"would reuse"):
        step(np.array([1.0, 3.0]))


def test_constants_library_code_makes_from_python_numbers_are_not_refused():
    step = ad.compile(lambda x: _LIBRARY["shifted_by_a_number"](x))
    for x in ([1.0, 3.0], [5.0, 9.0]):
        np.testing.assert_array_equal(step(np.array(x)).data, np.array(x) - 2.0)
    assert step.traces == 1


def test_interp_at_a_traced_0d_point_follows_each_call():
    """interp finds the segment of x off the tape: at a 0-d x a replay kept the traced
    segment (15.0 for x = 1.5 after a trace at 0.5, where NumPy gives 5.0)."""
    fp = ad.tensor([0.0, 10.0, 0.0], requires_grad=True)

    @ad.compile
    def step(x):
        fp.grad = None
        y = np.interp(x[0], [0.0, 1.0, 2.0], fp)
        y.backward()
        return y

    for at in (0.5, 1.5, 1.0, -1.0, 1.75):
        got = step(np.array([at, 0.0]))
        np.testing.assert_allclose(got.data, np.interp(at, [0.0, 1.0, 2.0], [0, 10, 0]))
        weights = np.interp(at, [0.0, 1.0, 2.0], np.eye(3)[:, 0]), \
            np.interp(at, [0.0, 1.0, 2.0], np.eye(3)[:, 1]), \
            np.interp(at, [0.0, 1.0, 2.0], np.eye(3)[:, 2])
        np.testing.assert_allclose(fp.grad, weights)
    assert step.traces == 1


def test_geomspace_at_traced_0d_ends_follows_their_sign():
    @ad.compile
    def step(x):
        return np.geomspace(x[0], x[1], 3)

    for ends in ([1.0, 4.0], [-1.0, -4.0], [2.0, 8.0]):
        np.testing.assert_allclose(step(np.array(ends)).data, np.geomspace(*ends, 3))
    assert step.traces == 1
