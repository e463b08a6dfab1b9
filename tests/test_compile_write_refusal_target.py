"""A NumPy write into an array held read-only while tracing is refused naming the
array written, also when the same line reads other held arrays (``x.data``,
``.grad``): the line's written expression tells which (compile/write_target.py)."""

import numpy as np
import pytest

import autodiff as ad

W = ad.tensor(np.ones(3), requires_grad=True, name="w")
PARAMETER = r"compile: \.data of w, a tensor from before the call"
COMPUTED = r"compile: \.data of (the output of 'multiply'|a tensor made in the call)"
ARGUMENT = r"compile: \.data of an argument of the call"


def alias_of_a_parameter(x):
    a = W.data
    a[...] = x.data * 2.0
    return (W * x).sum()


def parameter_item_from_an_argument(x):
    W.data[0] = x.data[1]
    return (W * x).sum()


def parameter_in_place_operator(x):
    w_array = W.data
    w_array *= x.data
    return (W * x).sum()


def copyto_a_parameter(x):
    np.copyto(W.data, x.data)
    return (W * x).sum()


def computed_alias_added_to(x):
    y = x * 2.0
    y_array = y.data
    y_array += x.data
    return y.sum()


def computed_alias_as_out(x):
    y = x * 2.0
    y_array = y.data
    np.multiply(x.data, 3.0, out=y_array)
    return y.sum()


def argument_written_from_a_parameter(x):
    x_array = x.data
    x_array[:] = W.data
    return (W * x).sum()


@pytest.mark.parametrize("program, written", [
    (alias_of_a_parameter, PARAMETER),
    (parameter_item_from_an_argument, PARAMETER),
    (parameter_in_place_operator, PARAMETER),
    (copyto_a_parameter, PARAMETER),
    (computed_alias_added_to, COMPUTED),
    (computed_alias_as_out, COMPUTED),
    (argument_written_from_a_parameter, ARGUMENT),
], ids=lambda v: getattr(v, "__name__", ""))
def test_the_refusal_names_the_array_written(program, written):
    values = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ad.TraceError, match=written) as refused:
        ad.compile(program)(ad.tensor(values))
    message = str(refused.value)
    line = program.__code__.co_firstlineno
    assert "is assigned at" in message and "in place through NumPy" in message
    assert any(f":{line + k} in place" in message for k in range(1, 4))
    np.testing.assert_array_equal(W.data, np.ones(3))    # refused before writing


def test_a_gradient_written_from_a_read_of_data_is_named_as_the_gradient():
    w = ad.tensor(np.ones(3), requires_grad=True, name="v")

    def scaled_gradient(x):
        loss = (w * x).sum()
        loss.backward()
        g = w.grad
        g[...] = x.data * 0.5
        return loss

    with pytest.raises(ad.TraceError, match=r"compile: \.grad of v .*clip_grad"):
        ad.compile(scaled_gradient)(ad.tensor(np.ones(3)))


def test_a_buffer_written_from_a_read_of_data_is_named_as_the_buffer():
    norm = ad.nn.BatchNorm1d(3)

    def overwrite_running_mean(x):
        out = norm(x)
        norm.running_mean.data[...] = x.data.mean(axis=0)
        return out.sum()

    with pytest.raises(ad.TraceError, match=r"compile: buffer 'running_mean' of BatchNorm1d"):
        ad.compile(overwrite_running_mean)(ad.tensor(np.ones((4, 3))))
