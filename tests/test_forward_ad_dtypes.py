"""``forward_ad.make_dual`` with a tangent of another dtype than its primal: the
tangent keeps its own dtype through the ops, as PyTorch's (a float64 tangent of a
float32 primal gives float64 tangents, not float32 ones); a complex tangent of a real
primal, or a real one of a complex primal, is refused.  And the dual's ``grad_fn``
is PyTorch's ``ViewBackward0``."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

fwAD = ad.autograd.forward_ad

PRIMAL = np.array([0.3, -1.2, 2.0])
TANGENT = np.array([1.0, 0.5, -0.25]) + 1e-9        # (digits a float32 would drop)

# name: (the op, for ad and torch alike; its derivative along t, computed in float64)
OPS = {
    "sin": (lambda lib, d: lib.sin(d), lambda x, t: np.cos(x) * t),
    "exp": (lambda lib, d: lib.exp(d), lambda x, t: np.exp(x) * t),
    "scaled": (lambda lib, d: d * d.detach(), lambda x, t: x * t),
    "sum": (lambda lib, d: d.sum(), lambda x, t: t.sum()),
    "add": (lambda lib, d: d + d, lambda x, t: 2 * t),
    "neg": (lambda lib, d: -d, lambda x, t: -t),
    "index": (lambda lib, d: d[1:], lambda x, t: t[1:]),
    "relu": (lambda lib, d: lib.relu(d), lambda x, t: (x > 0) * t),
    "to float64": (lambda lib, d: d.double(), lambda x, t: t),
}


def _tangent(lib, primal_dtype, tangent_dtype, op, requires_grad=False):
    with lib.autograd.forward_ad.dual_level():
        x = lib.tensor(PRIMAL.astype(primal_dtype))
        if requires_grad:
            x.requires_grad_()
        t = lib.tensor(TANGENT.astype(tangent_dtype))
        dual = lib.autograd.forward_ad.make_dual(x, t)
        return lib.autograd.forward_ad.unpack_dual(op(lib, dual)).tangent


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", OPS)
def test_a_float64_tangent_of_a_float32_primal_stays_float64(name, requires_grad):
    op, derivative = OPS[name]
    tangent = _tangent(ad, np.float32, np.float64, op, requires_grad)
    assert tangent.dtype == np.float64
    # the primal's float32 values, the tangent's float64 digits
    expected = derivative(PRIMAL.astype(np.float32).astype(np.float64), TANGENT)
    np.testing.assert_allclose(tangent.data, expected, rtol=1e-7)


def test_a_cast_casts_the_tangent_and_the_dual_itself_keeps_the_tangent():
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(PRIMAL.astype(np.float32)), ad.tensor(TANGENT))
        assert fwAD.unpack_dual(dual).tangent.dtype == np.float64
        np.testing.assert_array_equal(fwAD.unpack_dual(dual).tangent.data, TANGENT)
        assert fwAD.unpack_dual(dual.half()).tangent.dtype == np.float16
    with fwAD.dual_level():       # a float32 tangent of a float16 primal: float32 through
        dual = fwAD.make_dual(ad.tensor(PRIMAL.astype(np.float16)),
                              ad.tensor(TANGENT.astype(np.float32)))
        assert fwAD.unpack_dual(ad.exp(dual)).tangent.dtype == np.float32
        assert fwAD.unpack_dual(dual.double()).tangent.dtype == np.float64


def test_a_tangent_of_the_primal_dtype_still_takes_the_output_dtype():
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(PRIMAL.astype(np.float32)),
                              ad.tensor(TANGENT.astype(np.float32)))
        for op, _ in OPS.values():
            tangent = fwAD.unpack_dual(op(ad, dual)).tangent
            assert tangent.dtype == op(ad, dual).dtype


def test_the_tangent_through_a_float32_primal_is_differentiable_in_float64():
    x = ad.tensor(PRIMAL.astype(np.float32), requires_grad=True)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(ad.sin(fwAD.make_dual(x, ad.tensor(TANGENT)))).tangent
        tangent.sum().backward()                     # d/dx sum(cos(x) t) = -sin(x) t
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, -np.sin(PRIMAL) * TANGENT, rtol=1e-6)


@pytest.mark.parametrize("primal, tangent", [(PRIMAL, TANGENT * 1j),
                                             (PRIMAL * 1j, TANGENT),
                                             (PRIMAL.astype(np.float32),
                                              TANGENT.astype(np.complex64))])
def test_a_complex_tangent_of_a_real_primal_and_the_reverse_are_refused(primal, tangent):
    with fwAD.dual_level():
        with pytest.raises(ValueError, match=r"make_dual: the primal is \w+ and the tangent "
                                             r"\w+ \(shape \(3,\)\).*tangent.to\("):
            fwAD.make_dual(ad.tensor(primal), ad.tensor(tangent))


def test_the_dual_grad_fn_is_a_view_as_in_pytorch():
    x = ad.tensor(PRIMAL, requires_grad=True)
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, ad.tensor(TANGENT))
        assert dual.grad_fn.name() == "ViewBackward0"
        assert dual.grad_fn.next_functions[0][0].variable is x
        assert fwAD.make_dual(ad.tensor(PRIMAL), ad.tensor(TANGENT)).grad_fn is None
        (dual * 3).sum().backward()
        dual_c = fwAD.make_dual(ad.tensor(PRIMAL * 1j, requires_grad=True),
                                ad.tensor(TANGENT * 1j))
        assert dual_c.grad_fn.name() == "ViewBackward0"
        assert fwAD.unpack_dual(dual_c * 2).tangent.data.tolist() == (TANGENT * 2j).tolist()
    np.testing.assert_array_equal(x.grad, np.full(3, 3.0))


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float16, np.float32)])
@pytest.mark.parametrize("name", OPS)
def test_tangent_dtypes_and_values_agree_with_torch(name, dtypes):
    torch = pytest.importorskip("torch")
    op, _ = OPS[name]
    want = _tangent(torch, *dtypes, op)
    got = _tangent(ad, *dtypes, op)
    assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-6 if want.dtype == torch.float64
                               else 1e-3)


def test_grad_fn_and_errors_agree_with_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with lib.autograd.forward_ad.dual_level():
            make_dual = lib.autograd.forward_ad.make_dual
            x = lib.tensor(PRIMAL).requires_grad_()
            assert make_dual(x, lib.tensor(TANGENT)).grad_fn.name() == "ViewBackward0"
            with pytest.raises(RuntimeError, match=r"different size.*size \[3\] while the "
                                                   r"given forward gradient is of size \[2\]"):
                make_dual(x, lib.ones(2))
            with pytest.raises(ValueError, match="Expected primal to be floating point"):
                make_dual(lib.tensor([1, 2, 3]), lib.tensor(TANGENT))
