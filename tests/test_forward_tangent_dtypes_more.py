"""Forward-mode tangents of a dual whose tangent has another dtype than its primal, for
the ops whose PyTorch formula gives the output's dtype: ``logsumexp``, ``cumprod``,
``logcumsumexp``, real ``sign``, and the complex elementwise functions (``exp`` of a
complex64 primal with a complex128 tangent has a complex64 tangent there)."""

import numpy as np
import pytest

import autodiff as ad

REAL = [(np.float32, np.float64), (np.float64, np.float32)]
COMPLEX = [(np.complex64, np.complex128), (np.complex128, np.complex64)]

#: name: (function of the dual, dtype pairs, whether the tangent has the output's dtype
#: when the primal is the narrower one; otherwise it has the wider dtype)
CASES = {
    "logsumexp": (lambda lib, d: lib.logsumexp(d, 0), REAL + COMPLEX, True),
    "cumprod": (lambda lib, d: d.cumprod(0), REAL + COMPLEX, True),
    "logcumsumexp": (lambda lib, d: lib.logcumsumexp(d, 0), REAL, True),
    "sgn": (lambda lib, d: d.sgn(), REAL, True),
    "sgn of complex": (lambda lib, d: d.sgn(), COMPLEX, False),
    "exp": (lambda lib, d: d.exp(), COMPLEX, True),
    "exp of real": (lambda lib, d: d.exp(), REAL, False),
    "sin": (lambda lib, d: d.sin(), COMPLEX, True),
    "log": (lambda lib, d: d.log(), COMPLEX, True),
    "tanh": (lambda lib, d: d.tanh(), COMPLEX, True),
    "sqrt": (lambda lib, d: d.sqrt(), COMPLEX, True),
    "sigmoid": (lambda lib, d: d.sigmoid(), COMPLEX, True),
    "square": (lambda lib, d: d.square(), COMPLEX, True),
    "d ** 2": (lambda lib, d: d ** 2, COMPLEX, True),
    "2 ** d": (lambda lib, d: 2 ** d, COMPLEX, True),
    "1 / d": (lambda lib, d: 1 / d, COMPLEX, True),
    "prod": (lambda lib, d: d.prod(), COMPLEX, True),
    "log2": (lambda lib, d: d.log2(), COMPLEX, True),
    "arccos": (lambda lib, d: d.acos() if hasattr(d, "acos") else d.arccos(), COMPLEX,
               True),
    "d * d": (lambda lib, d: d * d, COMPLEX, False),
    "d / d": (lambda lib, d: d / d, COMPLEX, False),
    "std": (lambda lib, d: d.std(correction=0), COMPLEX, False),
}
PARAMS = [(name, pair) for name, (_, pairs, _) in CASES.items() for pair in pairs]


def _values(dtypes):
    primal = np.array([0.2 + 0.3j, 0.6 - 0.1j, 1.0 + 0.5j])
    tangent = np.array([1.0 + 0.5j, -1.0, 0.5 - 0.2j])
    if np.dtype(dtypes[0]).kind == "f":
        primal, tangent = primal.real, tangent.real
    return primal.astype(dtypes[0]), tangent.astype(dtypes[1])


def _tangent(lib, name, dtypes):
    fw = lib.autograd.forward_ad
    primal, tangent = _values(dtypes)
    with fw.dual_level():
        dual = fw.make_dual(lib.tensor(primal), lib.tensor(tangent))
        unpacked = fw.unpack_dual(CASES[name][0](lib, dual))
    return unpacked.primal, unpacked.tangent


def _expected_dtype(name, dtypes, output_dtype):
    narrower_primal = np.dtype(dtypes[0]).itemsize < np.dtype(dtypes[1]).itemsize
    if CASES[name][2] and narrower_primal:
        return np.dtype(output_dtype)
    wider = np.result_type(*dtypes)
    return np.empty(0, wider).real.dtype if np.dtype(output_dtype).kind == "f" else wider


@pytest.mark.parametrize("name, dtypes", PARAMS)
def test_the_tangent_dtype(name, dtypes):
    primal, tangent = _tangent(ad, name, dtypes)
    assert tangent.dtype == _expected_dtype(name, dtypes, primal.dtype)


@pytest.mark.parametrize("name, dtypes", PARAMS)
def test_the_tangent_matches_pytorchs(name, dtypes):
    torch = pytest.importorskip("torch")
    _, ours = _tangent(ad, name, dtypes)
    _, theirs = _tangent(torch, name, dtypes)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    # a float32/complex64 result in either: bounded relative error, not bitwise
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name, dtypes", [("logsumexp", (np.float32, np.float64)),
                                          ("exp", (np.complex64, np.complex128)),
                                          ("log", (np.complex64, np.complex128)),
                                          ("tanh", (np.complex64, np.complex128))])
def test_the_narrowed_tangent_matches_central_differences(name, dtypes):
    _, tangent = _tangent(ad, name, dtypes)
    primal, direction = _values(dtypes)
    primal = primal.astype(direction.dtype)         # (the narrow values, held wide)
    f = CASES[name][0]

    def value(shift):
        return f(ad, ad.tensor(primal + shift * direction)).numpy()

    eps = 1e-6
    expected = (value(eps) - value(-eps)) / (2 * eps)
    # the tangent is computed in single precision: relative error of a few of its ulps
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-5, atol=1e-6)
