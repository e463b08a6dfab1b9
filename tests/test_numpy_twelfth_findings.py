"""Focused tests of what the twelfth round of NumPy programs found
(test_numpy_programs_twelfth.py and the probes around it): NumPy 2's vector products
``np.vecdot`` (and ``np.linalg.vecdot``), ``np.matvec`` and ``np.vecmat`` refused
complex operands that require grad, while ``np.dot``, ``np.vdot``, ``np.inner``,
``np.einsum`` and ``@`` took them."""

import numpy as np
import pytest

import autodiff as ad

from numpy_program_checks import central_difference

_rng = np.random.default_rng(20261212)


def _complex(*shape):
    return _rng.normal(size=shape) + 1j * _rng.normal(size=shape)


def _split(theta, *shapes):
    """Complex arrays of ``shapes`` from a real parameter vector (real parts, then
    imaginary parts, of each in turn)."""
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        real, imag = theta[start:start + size], theta[start + size:start + 2 * size]
        arrays.append((real + 1j * imag).reshape(shape))
        start += 2 * size
    return arrays


#: (name, function of complex operands, operand shapes): each keeps NumPy's spelling
_PRODUCTS = [
    ("vecdot", lambda a, b: np.vecdot(a, b), [(4,), (4,)]),
    ("vecdot batched", lambda a, b: np.vecdot(a, b), [(2, 3, 4), (3, 4)]),
    ("vecdot axis=0 keepdims", lambda a, b: np.vecdot(a, b, axis=0, keepdims=True),
     [(4, 3), (4, 1)]),
    ("linalg.vecdot", lambda a, b: np.linalg.vecdot(a, b, axis=-2), [(3, 2), (3, 2)]),
    ("matvec", lambda m, v: np.matvec(m, v), [(3, 4), (4,)]),
    ("matvec batched", lambda m, v: np.matvec(m, v), [(2, 3, 4), (2, 1, 4)]),
    ("vecmat", lambda v, m: np.vecmat(v, m), [(3,), (3, 4)]),
    ("vecmat batched", lambda v, m: np.vecmat(v, m), [(2, 3), (1, 3, 4)]),
]


def _loss(product, weights):
    """A real loss that reads both the real and the imaginary parts of ``product``."""
    return lambda *operands: (np.abs(product(*operands) * weights) ** 2).sum()


@pytest.mark.parametrize("name, product, shapes", _PRODUCTS, ids=[p[0] for p in _PRODUCTS])
def test_a_complex_vector_product_gives_numpys_value_and_the_gradient_of_its_parts(
        name, product, shapes):
    operands = [_complex(*shape) for shape in shapes]
    expected = product(*operands)
    weights = _rng.uniform(0.5, 1.5, size=expected.shape) * (1 - 0.5j)
    tensors = [ad.tensor(a, requires_grad=True) for a in operands]
    result = product(*tensors)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result.data, expected)
    _loss(product, weights)(*tensors).backward()
    # PyTorch's convention: z.grad = dL/dRe z + i dL/dIm z
    theta = np.concatenate([part for a in operands for part in (a.real.ravel(), a.imag.ravel())])
    numerical = central_difference(lambda t: _loss(product, weights)(*_split(t, *shapes)), theta)
    for tensor, gradient in zip(tensors, _split(numerical, *shapes)):
        np.testing.assert_allclose(tensor.grad, gradient, rtol=1e-6, atol=1e-8)


def test_a_real_vector_with_a_complex_one_gets_the_real_gradient():
    real, matrix = _rng.normal(size=3), _complex(3, 4)
    x = ad.tensor(real, requires_grad=True)
    loss = (np.abs(np.vecmat(x, matrix)) ** 2).sum()
    loss.backward()
    assert x.grad.dtype == np.float64
    numerical = central_difference(lambda v: (np.abs(np.vecmat(v, matrix)) ** 2).sum(), real)
    np.testing.assert_allclose(x.grad, numerical, rtol=1e-7)


def test_the_complex_vector_products_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b, m = _complex(2, 4), _complex(2, 4), _complex(4, 3)
    tensors = [ad.tensor(v, requires_grad=True) for v in (a, b, m)]
    ta, tb, tm = (torch.tensor(v, requires_grad=True) for v in (a, b, m))
    ours = (np.abs(np.vecdot(tensors[0], tensors[1])) ** 2).sum() + np.abs(
        np.vecmat(tensors[0], tensors[2])).sum() + np.abs(
        np.matvec(np.swapaxes(tensors[2], 0, 1), tensors[1])).sum()
    theirs = (torch.linalg.vecdot(ta, tb).abs() ** 2).sum() + (
        ta.conj() @ tm).abs().sum() + (tb @ tm).abs().sum()
    ours.backward()
    theirs.backward()
    for tensor, reference in zip(tensors, (ta, tb, tm)):
        np.testing.assert_allclose(tensor.grad, reference.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_an_op_without_complex_rules_still_names_itself_and_the_real_route():
    z = ad.tensor(_complex(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"sinc: its gradient rule is written for real "
                                        r"numbers.*z\.real.*vecdot, matvec, vecmat"):
        np.sinc(z)
