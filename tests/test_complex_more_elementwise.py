"""Complex twins of elementwise functions (autodiff/ops/complex_more.py): gradients of
two real losses against central differences over the real and imaginary parts
(float64), and values, gradients and second derivatives against PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (check_against_central_differences, check_against_torch,
                            sample)

SHAPES = [(), (1,), (2, 3)]

#: name -> function of a tensor, written the same for autodiff and PyTorch
UNARY = {
    "sin": lambda z: z.sin(),
    "cos": lambda z: z.cos(),
    "tan": lambda z: z.tan(),
    "sinh": lambda z: z.sinh(),
    "cosh": lambda z: z.cosh(),
    "tanh": lambda z: z.tanh(),
    "log": lambda z: z.log(),
    "log2": lambda z: z.log2(),
    "log10": lambda z: z.log10(),
    "log1p": lambda z: z.log1p(),
    "expm1": lambda z: z.expm1(),
    "sqrt": lambda z: z.sqrt(),
    "reciprocal": lambda z: z.reciprocal(),
    "sigmoid": lambda z: z.sigmoid(),
    "sgn": lambda z: z.sgn(),
    "z ** 0.5": lambda z: z ** 0.5,
    "z ** 2": lambda z: z ** 2,
    "2 ** z": lambda z: 2 ** z,
    "z ** (1 + 1j)": lambda z: z ** (1 + 1j),
    "exp(i z)": lambda z: (1j * z).exp(),
    "exp(i Re z)": lambda z: (1j * z.real).exp() * z,
    "arcsin": lambda z: z.arcsin(),
    "arccos": lambda z: z.arccos(),
    "arctan": lambda z: z.arctan(),
    "arcsinh": lambda z: z.arcsinh(),
    "arctanh": lambda z: z.arctanh(),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradients_match_central_differences(name, shape):
    check_against_central_differences(UNARY[name], [sample(shape)])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_values_gradients_and_second_order_match_torch(name, shape):
    pytest.importorskip("torch")
    check_against_torch(UNARY[name], UNARY[name], [sample(shape)])


@pytest.mark.parametrize("function", [np.sin, np.log, np.sqrt, np.log1p, np.expm1, np.tanh,
                                      np.exp2, np.reciprocal],
                         ids=lambda f: f.__name__)
def test_numpy_functions_on_complex_tensors(function):
    z = sample((3,))
    check_against_central_differences(function, [z])
    with ad.no_grad():
        np.testing.assert_allclose(function(ad.tensor(z)).data, function(z), rtol=1e-13)


def test_sigmoid_of_a_complex_tensor_is_complex():
    z = sample((4,))
    np.testing.assert_allclose(ad.sigmoid(ad.tensor(z)).data, 1 / (1 + np.exp(-z)),
                               rtol=1e-14)
    assert ad.sigmoid(ad.tensor(np.array([40.0, -40.0]))).data[1] > 0   # real: still stable


def test_sgn_at_zero_has_zero_gradient_as_in_torch():
    torch = pytest.importorskip("torch")
    values = np.array([0j, 1 + 1j, -2 + 0j])
    z = ad.tensor(values, requires_grad=True)
    z_t = torch.tensor(values, requires_grad=True)
    weights = np.array([1 + 2j, 3 - 1j, 0.5j])
    (ad.sgn(z) * weights).real.sum().backward()
    (torch.sgn(z_t) * torch.tensor(weights)).real.sum().backward()
    np.testing.assert_allclose(z.grad, z_t.grad.numpy(), atol=1e-15)
    np.testing.assert_array_equal(ad.sign(ad.tensor(values)).data, np.sign(values))


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 1), (1, 3)), ((2, 3), ()),
                                    ((), (2,))], ids=str)
@pytest.mark.parametrize("complex_operands", [(True, True), (True, False), (False, True)],
                         ids=str)
def test_power_with_complex_base_and_exponent(shapes, complex_operands):
    base = sample(shapes[0], complex_operands[0])
    exponent = sample(shapes[1], complex_operands[1])
    if not complex_operands[0]:
        base = np.asarray(np.abs(base))     # (a real negative base has no real power)
    check_against_central_differences(lambda a, b: a ** b, [base, exponent])
    pytest.importorskip("torch")
    check_against_torch(lambda a, b: a ** b, lambda a, b: a ** b, [base, exponent],
                        second_order=False)


def test_a_real_input_mixed_with_complex_values_gets_a_real_gradient():
    x = sample((3,), False)
    check_against_central_differences(lambda x: (x * (1 + 2j)).sin() + x.exp(), [x])
    t = ad.tensor(x, requires_grad=True)
    (t * 1j).exp().real.sum().backward()        # Re exp(i x) = cos x
    np.testing.assert_allclose(t.grad, -np.sin(x), rtol=1e-14)
    assert t.grad.dtype == np.float64


def test_real_valued_programs_record_the_real_rules():
    from autodiff.ops.registry import REGISTRY
    x = ad.tensor([0.5, 1.5], requires_grad=True)
    y = ad.tanh(x)
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh([0.5, 1.5]) ** 2, rtol=1e-14)
    assert REGISTRY["tanh"].complex_twin is not REGISTRY["tanh"]
