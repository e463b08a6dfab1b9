"""Complex values on the tape (autodiff/ops/complex_ops.py): each complex-aware op's
gradients of two real losses (|f|^2 summed, and Re f + 2 Im f summed) against central
differences over the real and imaginary parts in float64, and values, gradients and
second derivatives against PyTorch's; ops whose rules are for real numbers refuse
complex values, naming themselves."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from complex_checks import (check_against_central_differences, check_against_torch,
                            sample)

SHAPES = [(), (1,), (3,), (2, 3), (1, 3)]

#: name -> (function of tensors, written the same for autodiff and PyTorch, the input
#: shapes from one drawn shape, which inputs are complex)
UNARY = {
    "real": lambda z: z.real,
    "imag": lambda z: z.imag,
    "conj": lambda z: z.conj() * (1 + 0j),
    "abs": lambda z: z.abs(),
    "angle": lambda z: z.angle(),
    "negative": lambda z: -z,
    "exp": lambda z: z.exp(),
    "sum": lambda z: z.sum(),
    "mean": lambda z: z.mean(),
    "reshape": lambda z: z.reshape(-1),
    "slicing": lambda z: z.reshape(-1)[-1:] * 2,
    "indexing with repeats": lambda z: z.reshape(-1)[[0, -1, 0]] * 2,
    "square by mul": lambda z: z * z,
    "reciprocal by div": lambda z: 1 / z,
    "power": lambda z: z ** 3,
    "power of a power": lambda z: (z ** 2) ** 0.5 * z ** -1.5,
    "square": lambda z: z.square(),
}

BINARY = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradients_match_central_differences(name, shape):
    check_against_central_differences(UNARY[name], [sample(shape)])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_gradients_match_torch(name, shape):
    pytest.importorskip("torch")
    check_against_torch(UNARY[name], UNARY[name], [sample(shape)])


#: (shape of a, shape of b, is a complex, is b complex): broadcasting, and real with complex
OPERANDS = [((3,), (3,), True, True), ((2, 1), (1, 3), True, True), ((2, 3), (), True, True),
            ((2, 3), (3,), True, False), ((3,), (2, 3), False, True), ((), (2,), False, True)]


@pytest.mark.parametrize("operands", OPERANDS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradients_match_central_differences(name, operands):
    shape_a, shape_b, complex_a, complex_b = operands
    check_against_central_differences(BINARY[name], [sample(shape_a, complex_a),
                                                     sample(shape_b, complex_b)])


@pytest.mark.parametrize("operands", OPERANDS, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_and_gradients_match_torch(name, operands):
    pytest.importorskip("torch")
    shape_a, shape_b, complex_a, complex_b = operands
    check_against_torch(BINARY[name], BINARY[name], [sample(shape_a, complex_a),
                                                      sample(shape_b, complex_b)])


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)),
                                    ((2, 2, 3), (3, 1))], ids=str)
@pytest.mark.parametrize("complex_b", [True, False])
def test_matmul_and_transpose(shapes, complex_b):
    arrays = [sample(shapes[0]), sample(shapes[1], complex_b)]
    check_against_central_differences(lambda a, b: a @ b, arrays)
    pytest.importorskip("torch")
    check_against_torch(lambda a, b: a @ b, lambda a, b: a @ b.to(a.dtype), arrays)
    transpose = [sample((2, 3))]
    check_against_torch(lambda z: z.T * z.T, lambda z: z.T * z.T, transpose)
    check_against_central_differences(lambda z: z.T.sum(0) * (1 + 2j), transpose)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_sum_and_mean_along_an_axis(axis):
    arrays = [sample((2, 3))]
    for function in (lambda z: z.sum(axis) * z.mean(axis)), (lambda z: z.mean(axis).exp()):
        check_against_central_differences(function, arrays)
        pytest.importorskip("torch")
        check_against_torch(function, function, arrays)


@pytest.mark.parametrize("shape", [(1,), (3,), (2, 3)], ids=str)
def test_view_as_real_and_view_as_complex(shape):
    torch = pytest.importorskip("torch")
    check_against_central_differences(lambda z: ad.view_as_real(z * z), [sample(shape)])
    check_against_torch(lambda z: ad.view_as_real(z * z), lambda z: torch.view_as_real(z * z),
                        [sample(shape)])
    pairs = [sample(shape + (2,), False)]
    check_against_central_differences(lambda x: ad.view_as_complex(x) * 1j, pairs)
    check_against_torch(lambda x: ad.view_as_complex(x).exp(),
                        lambda x: torch.view_as_complex(x).exp(), pairs)
    with pytest.raises(TypeError, match=r"view_as_complex: .*last dimension has size 2.*"
                                        r"shape \(3,\)"):
        ad.view_as_complex(ad.ones(3))
    with pytest.raises(TypeError, match="view_as_real: takes a complex tensor"):
        ad.view_as_real(ad.ones(3))


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 1), (3,)), ((), ())], ids=str)
def test_complex_and_polar(shapes):
    torch = pytest.importorskip("torch")
    # (a positive abs: PyTorch's polar gradient takes abs >= 0)
    parts = [np.asarray(np.abs(sample(shapes[0], False))), sample(shapes[1], False)]
    for ours, theirs in ((ad.complex, torch.complex), (ad.polar, torch.polar)):
        check_against_central_differences(lambda a, b: ours(a, b) * (2 - 1j), parts)
        check_against_torch(lambda a, b: ours(a, b).exp(), lambda a, b: theirs(a, b).exp(),
                            parts)
    assert ad.complex(ad.ones(2, dtype=np.float32), ad.ones(2, dtype=np.float32)).dtype \
        == np.complex64
    with pytest.raises(TypeError, match="complex: real and imag must have the same dtype"):
        ad.complex(ad.ones(2, dtype=np.float32), ad.ones(2))
    with pytest.raises(TypeError, match="polar: abs must be float32 or float64"):
        ad.polar(ad.tensor([1, 2]), ad.ones(2))


def test_complex_leaves_accumulate_gradients_of_their_dtype():
    z = ad.tensor(np.array([1 + 1j, 2 - 1j], np.complex64), requires_grad=True)
    (z.abs() ** 2).sum().backward()
    (z.abs() ** 2).sum().backward()
    assert z.grad.dtype == np.complex64
    np.testing.assert_allclose(z.grad, 4 * z.data, rtol=1e-6)


def test_a_complex_gradient_can_be_assigned_to_a_complex_leaf():
    z = ad.tensor([1 + 1j], requires_grad=True)
    z.grad = np.array([2 - 1j])
    (z * 1j).real.sum().backward()              # Re(i z) = -y: gradient -i
    np.testing.assert_array_equal(z.grad, [2 - 2j])
    with pytest.raises(TypeError, match=r"\.grad: the assigned gradient has dtype complex128"):
        ad.tensor([1.0], requires_grad=True).grad = np.array([1j])


def test_a_real_input_gets_the_real_part_of_its_complex_gradient():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    w = np.array([1 + 2j, 3 - 1j])
    (x * w).imag.sum().backward()              # Im(x w) = x Im(w): gradient Im(w)
    np.testing.assert_array_equal(x.grad, w.imag)
    assert x.grad.dtype == np.float64


@pytest.mark.parametrize("name, call", [
    ("relu", lambda z: ad.relu(z)),
    ("max", lambda z: np.max(z)), ("clip", lambda z: ad.clip(z, -1, 1))],
    ids=lambda v: v if isinstance(v, str) else "")
def test_ops_without_complex_rules_refuse_complex_values_naming_themselves(name, call):
    z = ad.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    with pytest.raises(TypeError, match=rf"^{name}: its gradient rule is written for real "
                                        r"numbers.*z\.real, z\.imag, z\.abs\(\)"):
        call(z)
    with ad.no_grad():                      # nothing recorded: NumPy's complex values
        assert call(z).dtype.kind in "cf"


@pytest.mark.parametrize("exponent", [0.5, -2.0, 1.5 - 0.5j])
def test_power_with_a_tensor_exponent(exponent):
    pytest.importorskip("torch")
    base, power = sample((3,)), np.full(3, exponent)
    check_against_central_differences(lambda a, b: a ** b, [base, power])
    check_against_torch(lambda a, b: a ** b, lambda a, b: a ** b, [base, power],
                        second_order=False)


def test_a_real_result_of_a_complex_input_is_checked_too():
    z = ad.tensor([[1 + 2j, 3 - 1j], [0.5j, 2.0]], requires_grad=True)
    assert ad.linalg.norm(z, "nuc").requires_grad            # (svdvals' complex twin)
    with pytest.raises(TypeError, match=r"^matrix_exp: complex input is not supported"):
        ad.linalg.matrix_exp(z)
    assert ad.linalg.norm(z.real, "nuc").requires_grad       # the real-valued route
    assert ad.var(z).dtype == np.float64 and ad.var(z).requires_grad
