"""The check of the one-line NumPy probes (test_numpy_ninth_probes*.py): a call
written once, run on ndarrays and on Tensors, must give NumPy's results (types,
dtypes, shapes and values, tuples of them alike, or NumPy's error kind), keep float
results on the tape, and, on float64 inputs, give the gradient of a weighted sum of its
first float result that central differences give."""

import warnings

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference


def _flat(result) -> list:
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in _flat(item)]
    return [result]


def _same(expected, got) -> None:
    values = got.data if isinstance(got, ad.Tensor) else got
    if isinstance(expected, (np.ndarray, np.generic)) or isinstance(values, np.ndarray):
        expected, values = np.asarray(expected), np.asarray(values)
        assert (values.dtype, values.shape) == (expected.dtype, expected.shape)
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(values, expected, rtol=1e-12, atol=0, equal_nan=True)
        else:
            np.testing.assert_array_equal(values, expected)
    else:
        assert type(values) is type(expected) and values == expected


def check_probe(call, inputs, gradient: bool = True) -> None:
    """``call(*inputs)`` on Tensors (float ones requiring grad) against NumPy's."""
    fresh = [np.copy(x) if isinstance(x, np.ndarray) else x for x in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            expected, numpy_error = call(*fresh), None
        except Exception as error:     # noqa: BLE001  (any of NumPy's errors)
            expected, numpy_error = None, error
    tensors = [ad.tensor(np.copy(x), requires_grad=x.dtype.kind == "f")
               if isinstance(x, np.ndarray) else x for x in inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("error", ad.TapeDropWarning)
        if numpy_error is not None:
            try:
                call(*tensors)
            except Exception as error:     # noqa: BLE001
                assert isinstance(error, (type(numpy_error), TypeError, ValueError,
                                          RuntimeError)), error
                return
            raise AssertionError(f"NumPy raised {numpy_error!r}, the Tensor call did not")
        got = call(*tensors)
    leaves, expected_leaves = _flat(got), _flat(expected)
    assert len(leaves) == len(expected_leaves)
    for want, have in zip(expected_leaves, leaves):
        _same(want, have)
    differentiable = [t for t in tensors if isinstance(t, ad.Tensor) and t.requires_grad]
    if not (gradient and differentiable):
        return
    floats = [leaf for leaf in leaves if np.asarray(getattr(leaf, "data", leaf)).dtype.kind == "f"
              and np.size(getattr(leaf, "data", leaf))]
    assert all(isinstance(leaf, ad.Tensor) for leaf in floats), "a float result left the tape"
    on_tape = [leaf for leaf in floats if leaf.requires_grad and leaf.dtype == np.float64]
    if not on_tape or any(t.dtype != np.float64 for t in differentiable):
        return
    position = next(i for i, leaf in enumerate(leaves) if leaf is on_tape[0])
    weights = np.random.default_rng(0).normal(size=on_tape[0].shape)
    (on_tape[0] * weights).sum().backward()
    k = next(i for i, t in enumerate(tensors) if isinstance(t, ad.Tensor) and t.requires_grad)

    def weighted(flat):
        args = [np.copy(x) if isinstance(x, np.ndarray) else x for x in inputs]
        args[k] = flat.reshape(inputs[k].shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return (np.asarray(_flat(call(*args))[position]) * weights).sum()

    numerical = central_difference(weighted, inputs[k].astype(float).ravel())
    grad = tensors[k].grad
    grad = np.zeros(inputs[k].shape) if grad is None else grad
    np.testing.assert_allclose(np.ravel(grad), numerical, rtol=1e-5, atol=1e-5)


def shared_inputs():
    """The generator and the inputs every probe file starts from, drawn afresh for each
    file (its later draws continue from that generator):
    ``rng, (A, B, V, A32, V32, I, I8, I32, U8, BOOL, E, Z, SPD, POS, NAN)``."""
    rng = np.random.default_rng(9)
    A = rng.normal(size=(3, 4))
    B = rng.normal(size=(4, 2))
    V = rng.normal(size=5)
    I = np.array([[3, -1, 2, 0], [5, 4, -2, 1], [0, 7, 1, 3]])  # noqa: E741
    NAN = A.copy()
    NAN[0, 1] = NAN[2, 3] = np.nan
    return rng, (A, B, V, A.astype(np.float32), V.astype(np.float32), I, I.astype(np.int8),
                 I.astype(np.int32), np.abs(I).astype(np.uint8), A > 0, np.zeros((0, 3)),
                 np.array(1.3), A[:, :3].T @ A[:, :3] + np.eye(3), np.abs(A) + 0.5, NAN)


def probe_list():
    """A file's list of probes, and ``probe(name, call, *inputs, gradient=True)`` that adds
    one as a ``pytest.param`` for ``check_probe``."""
    probes = []

    def probe(name, call, *inputs, gradient=True):
        probes.append(pytest.param(call, inputs, gradient, id=name))
    return probes, probe
