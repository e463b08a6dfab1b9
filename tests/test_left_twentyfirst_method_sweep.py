"""Tensor methods in PyTorch's spelling against PyTorch: values, dtypes, whether the
result requires grad, and the gradient of a weighted sum of the float outputs, over
calls no earlier convention test covers (ties, zeros, signed zeros, uneven splits,
integer division, interpolation modes, ``new_*`` keywords, ``atan2`` at the origin)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(0)
_A = _RNG.standard_normal((3, 4))
_SQUARE = _RNG.standard_normal((3, 3))
_ZEROS = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
_INTS = np.array([[7, -7, 5], [-5, 3, -3]])
_TIES = np.array([1.0, 2.0, 2.0, 1.0, 3.0, 1.0])

#: name: (input, call); the call gets a torch tensor or a Tensor of the same values
_CASES = {
    "renorm": (_A, lambda t: t.renorm(2, 0, 1.0)),
    "nanmean-dim": (np.array([[1.0, np.nan], [3.0, 4.0]]), lambda t: t.nanmean(dim=1)),
    "aminmax": (_A, lambda t: t.aminmax(dim=0)),
    "msort": (_A, lambda t: t.msort()),
    "unflatten": (_A, lambda t: t.unflatten(1, (2, 2))),
    "movedim-tuples": (_RNG.standard_normal((2, 3, 4)), lambda t: t.movedim((0, 1), (2, 0))),
    "unfold-step": (_TIES, lambda t: t.unfold(0, 2, 2)),
    "unfold-overlapping": (_A, lambda t: t.unfold(1, 3, 1)),
    "split-sizes": (_TIES, lambda t: t.split([2, 4])),
    "split-uneven": (_TIES, lambda t: t.split(4)),
    "tensor_split-indices": (_TIES, lambda t: t.tensor_split([1, 4])),
    "tensor_split-sections": (_TIES, lambda t: t.tensor_split(4)),
    "chunk-uneven": (np.arange(5.0), lambda t: t.chunk(3)),
    "chunk-fewer": (np.arange(6.0), lambda t: t.chunk(4)),
    "hsplit": (_A, lambda t: t.hsplit(2)),
    "hsplit-1d-indices": (_TIES, lambda t: t.hsplit([1, 3])),
    "kron": (_SQUARE[:2, :2], lambda t: t.kron(t)),
    "inner": (_A, lambda t: t.inner(t)),
    "trace-not-square": (_A, lambda t: t.trace()),
    "logdet-negative": (np.array([[1.0, 2.0], [3.0, 4.0]]), lambda t: t.logdet()),
    "slogdet-negative": (np.array([[1.0, 2.0], [3.0, 4.0]]), lambda t: t.slogdet()),
    "pinverse-rcond": (_A, lambda t: t.pinverse(rcond=0.1)),
    "matrix_power-0": (_SQUARE, lambda t: t.matrix_power(0)),
    "matrix_power-negative": (_SQUARE, lambda t: t.matrix_power(-2)),
    "prod-dim-zeros": (_ZEROS, lambda t: t.prod(1)),
    "prod-two-zeros": (_ZEROS, lambda t: t.prod()),
    "cumprod-zeros": (_ZEROS, lambda t: t.cumprod(1)),
    "copysign-signed-zero": (np.array([1.0, 2.0, 3.0]),
                             lambda t: t.copysign(t.new_tensor([-0.0, 0.0, -1.0]))),
    "xlogy-at-0": (np.array([0.0, 0.0, 1.0]), lambda t: t.xlogy(t.new_tensor([0.0, 2.0, 0.0]))),
    "logit-eps": (np.array([0.0, 0.3, 1.0]), lambda t: t.logit(eps=1e-3)),
    "frac-negative": (np.array([-1.5, 2.25, -0.0]), lambda t: t.frac()),
    "fmod-signs": (np.array([-3.0, 3.0, -3.0]), lambda t: t.fmod(2)),
    "remainder-signs": (np.array([-3.0, 3.0, -3.0]), lambda t: t.remainder(-2)),
    "div-floor-ints": (_INTS, lambda t: t.div(2, rounding_mode="floor")),
    "div-trunc-ints": (_INTS, lambda t: t.div(2, rounding_mode="trunc")),
    "div-ints": (_INTS, lambda t: t.div(2)),
    "floor_divide-ints": (_INTS, lambda t: t.floor_divide(-2)),
    "isclose-equal_nan": (np.array([1.0, np.nan]),
                          lambda t: t.isclose(t.new_tensor([1.0, np.nan]), equal_nan=True)),
    "isclose-nan": (np.array([1.0, np.nan]),
                    lambda t: t.isclose(t.new_tensor([1.0 + 1e-9, np.nan]))),
    "new_full-float32": (_A.astype(np.float32), lambda t: t.new_full((2,), 3)),
    "new_full-ints": (_INTS, lambda t: t.new_full((2,), 3.5)),
    "new_tensor-float32": (_A.astype(np.float32), lambda t: t.new_tensor([1, 2])),
    "new_tensor-ints": (_INTS, lambda t: t.new_tensor([1.5, 2])),
    "new_ones-requires_grad": (_A, lambda t: t.new_ones(2, requires_grad=True)),
    "new_zeros-requires_grad": (_A, lambda t: t.new_zeros((2, 1), requires_grad=True)),
    "new_full-requires_grad": (_A, lambda t: t.new_full((2,), 1.5, requires_grad=True)),
    "new_tensor-requires_grad": (_A, lambda t: t.new_tensor([1.5], requires_grad=True)),
    "std-correction-0": (_A, lambda t: t.std(dim=1, correction=0)),
    "var_mean": (_A, lambda t: (torch if isinstance(t, torch.Tensor) else ad).var_mean(t, 1)),
    "quantile-midpoint": (_A, lambda t: t.quantile(0.3, dim=1, interpolation="midpoint")),
    "quantile-nearest": (_A, lambda t: t.quantile(0.3, dim=1, interpolation="nearest")),
    "quantile-lower": (_A, lambda t: t.quantile(0.3, dim=1, interpolation="lower")),
    "nanquantile": (np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]),
                    lambda t: t.nanquantile(0.5, dim=1)),
    "sort-stable-descending": (_TIES, lambda t: t.sort(stable=True, descending=True)),
    "argsort-stable": (_TIES, lambda t: t.argsort(stable=True)),
    "argsort-stable-descending": (_TIES, lambda t: t.argsort(stable=True, descending=True)),
    "cummax-ties": (_TIES, lambda t: t.cummax(0)),
    "cummin-ties": (_TIES, lambda t: t.cummin(0)),
    "signbit": (np.array([-0.0, 0.0, -1.0]), lambda t: t.signbit()),
    "float_power-ints": (_INTS, lambda t: t.float_power(2)),
    "sgn-complex": (np.array([1 + 1j, -2 + 0j, 0j]), lambda t: t.sgn()),
    "diff-append": (_TIES, lambda t: t.diff(n=2, append=t[:2])),
    "diff-prepend": (_A, lambda t: t.diff(dim=0, prepend=t[:1])),
    "atan2-origin": (np.array([0.0, 0.0, 1.0]), lambda t: t.atan2(t.new_tensor([0.0, -0.0, -1.0]))),
}


def _outputs(result):
    if isinstance(result, (tuple, list)):
        return [entry for part in result for entry in _outputs(part)]
    return [result]


def _values(result):
    return result.detach().numpy() if isinstance(result, torch.Tensor) else np.asarray(
        result.detach().numpy())


def _weighted_sum(outputs, module):
    return sum((out * module.tensor(np.arange(1.0, out.numel() + 1 if module is torch
                                              else out.size + 1).reshape(tuple(out.shape)))).sum()
               for out in outputs)


def test_the_sweep_covers_forty_calls():
    assert len(_CASES) >= 40


@pytest.mark.parametrize("name", sorted(_CASES))
def test_tensor_method_matches_pytorch(name):
    values, call = _CASES[name]
    differentiable = values.dtype.kind == "f"
    theirs_in = torch.tensor(values, requires_grad=differentiable)
    ours_in = ad.tensor(values, requires_grad=differentiable)
    theirs, ours = _outputs(call(theirs_in)), _outputs(call(ours_in))
    assert len(theirs) == len(ours)
    for their, our in zip(theirs, ours):
        expected, got = _values(their), _values(our)
        assert got.shape == expected.shape
        if values.dtype.kind in "iu" and expected.dtype == np.float32:
            # (an integer tensor's true division gives the default float dtype: PyTorch's
            # float32, the library's float64, as its README says)
            expected = expected.astype(np.float64)
        assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
        # (signed zeros too: copysign, frac, fmod)
        assert np.array_equal(np.signbit(np.real(got)), np.signbit(np.real(expected)))
        assert bool(our.requires_grad) == their.requires_grad
    float_outputs = [(t, o) for t, o in zip(theirs, ours)
                     if t.requires_grad and t.dtype == torch.float64]
    if differentiable and float_outputs:
        their_gradient, = torch.autograd.grad(
            _weighted_sum([t for t, _ in float_outputs], torch), theirs_in, allow_unused=True)
        _weighted_sum([o for _, o in float_outputs], ad).backward()
        if their_gradient is None:          # (new_ones(requires_grad=True): a new leaf)
            assert ours_in.grad is None
            return
        np.testing.assert_allclose(ours_in.grad, their_gradient.numpy(), rtol=1e-10,
                                   atol=1e-12)
        if name == "atan2-origin":          # (0 at the origin, signed as PyTorch's)
            assert np.array_equal(np.signbit(ours_in.grad),
                                  np.signbit(their_gradient.numpy()))


@pytest.mark.parametrize("name", ["new_ones", "new_zeros", "new_empty"])
def test_new_tensors_take_device_and_refuse_another_by_name(name):
    t = ad.tensor([1.0, 2.0])
    assert getattr(t, name)(2, device="cpu").shape == (2,)
    with pytest.raises(ValueError, match=rf"{name}: device 'cuda' is not available"):
        getattr(t, name)(2, device="cuda")
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point data"):
        getattr(ad.tensor([1, 2]), name)(2, requires_grad=True)


def test_atan2_gradient_at_the_origin_is_pytorch_s_zero_and_elsewhere_the_central_difference():
    y = ad.tensor([0.0, 0.3, -1e-200], requires_grad=True)
    x = ad.tensor([0.0, -0.7, 0.0], requires_grad=True)
    ad.arctan2(y, x).sum().backward()
    assert y.grad[0] == 0 and x.grad[0] == 0
    h = 1e-6
    slope_y = (np.arctan2(0.3 + h, -0.7) - np.arctan2(0.3 - h, -0.7)) / (2 * h)
    slope_x = (np.arctan2(0.3, -0.7 + h) - np.arctan2(0.3, -0.7 - h)) / (2 * h)
    np.testing.assert_allclose([y.grad[1], x.grad[1]], [slope_y, slope_x], rtol=1e-8)
    np.testing.assert_allclose(x.grad[2], 1e200, rtol=1e-12)     # (no underflow of r**2)


def test_atan2_second_derivative_away_from_the_origin_matches_central_differences():
    def dy(y, x):
        t = ad.tensor(y, requires_grad=True)
        return ad.grad(lambda u: ad.arctan2(u, ad.tensor(x)))(t)

    y0, x0, h = 0.4, 0.9, 1e-5
    second = ad.grad(lambda u: ad.grad(lambda v: ad.arctan2(v, ad.tensor(x0)))(u))(
        ad.tensor(y0))
    expected = (float(dy(y0 + h, x0)) - float(dy(y0 - h, x0))) / (2 * h)
    np.testing.assert_allclose(float(second), expected, rtol=1e-6)


def test_heaviside_and_floor_divide_have_zero_gradient_where_pytorch_refuses_the_backward():
    x = ad.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    (x.heaviside(ad.tensor([0.5, 0.5, 0.5])) + x.floor_divide(2.0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    reference = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        reference.heaviside(torch.tensor([0.5, 0.5, 0.5])).sum().backward()
