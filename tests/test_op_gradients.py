"""Every registered op, checked from its spec: forward vs NumPy, gradients vs central
differences in float64 (first order, and second order for smooth ops) on generated
shapes including 0-d, size-1 axes and broadcasting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.gradcheck import analytic_jacobian
from autodiff.ops.registry import REGISTRY

from op_specs import SPECS, SPECS_BY_NAME

CHECK = settings(max_examples=12, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SECOND = settings(max_examples=5, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def test_every_registered_op_has_a_spec():
    import autodiff.nn.functional  # noqa: F401  (registers the softmax family)
    missing = sorted(set(REGISTRY) - set(SPECS_BY_NAME))
    assert not missing, f"ops without a test spec in tests/op_specs.py: {missing}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@CHECK
@given(data=st.data())
def test_forward_matches_numpy(spec, data):
    case = spec.draw(data)
    tensors = [ad.tensor(x) for x in case.inputs]
    out = case.func(*tensors)
    expected = case.reference(*case.inputs)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order >= 1], ids=lambda s: s.name)
@CHECK
@given(data=st.data())
def test_first_order_gradient(spec, data):
    case = spec.draw(data)
    assert ad.gradcheck(case.func, case.inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order >= 2], ids=lambda s: s.name)
@SECOND
@given(data=st.data())
def test_second_order_gradient(spec, data):
    case = spec.draw(data)
    assert ad.gradgradcheck(case.func, case.inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.order == 0], ids=lambda s: s.name)
@CHECK
@given(data=st.data())
def test_nondifferentiable_ops_give_bool_without_grad(spec, data):
    case = spec.draw(data)
    tensors = [ad.tensor(x, requires_grad=True) for x in case.inputs]
    out = case.func(*tensors)
    if spec.extra.get("float_result"):      # (torch.special's functions without gradient)
        np.testing.assert_allclose(out.data, case.reference(*case.inputs), rtol=1e-12,
                                   atol=1e-12)
    else:
        assert out.dtype == bool
    assert not out.requires_grad


@CHECK
@given(data=st.data())
def test_stop_gradient_blocks_the_gradient(data):
    case = SPECS_BY_NAME["stop_gradient"].draw(data)
    (x,) = case.inputs
    jac = analytic_jacobian(case.func, [x])[0]
    np.testing.assert_allclose(jac.reshape(x.size, x.size), np.diag(x.reshape(-1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec", [s for s in SPECS if s.order >= 1], ids=lambda s: s.name)
@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_gradient_dtype_matches_the_input(spec, dtype, data):
    case = spec.draw(data)
    tensors = [ad.tensor(x.astype(dtype), requires_grad=True) for x in case.inputs]
    out = case.func(*tensors)
    if not out.requires_grad:
        return
    out.backward(np.ones(out.shape, dtype=out.dtype))
    for t in tensors:
        if t.grad is not None:
            assert t.grad.dtype == dtype
            assert t.grad.shape == t.shape
            assert isinstance(t.grad, np.ndarray)
