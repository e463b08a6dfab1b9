"""Regression tests of a review of out=, custom Functions with several outputs, and
the ninth round's NumPy and leftovers changes: each compares with PyTorch (skipped
without it) or with NumPy and central differences."""

import numpy as np
import pytest

import autodiff as ad


def _central_differences(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


# Custom Function: mark_non_differentiable and integer outputs

def _sort_values(framework):
    """PyTorch's documented use of mark_non_differentiable: sorted values and the order."""
    import torch
    base = torch.autograd.Function if framework is torch else ad.Function

    class SortValues(base):
        @staticmethod
        def forward(ctx, x):
            if framework is torch:
                values, order = x.sort()
            else:
                order = np.argsort(x)
                values = x[order]
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)
            return values, order

        @staticmethod
        def backward(ctx, grad_values, grad_order):
            (order,) = ctx.saved_tensors
            grad = (framework.zeros_like(grad_values) if framework is torch
                    else np.zeros_like(grad_values))
            grad[order] = grad_values
            return grad
    return SortValues


def test_function_mark_non_differentiable_integer_output_as_torch():
    torch = pytest.importorskip("torch")
    data = np.array([3.0, 1.0, 2.0, -4.0])
    weights = np.array([1.0, 10.0, 100.0, 1000.0])
    results = {}
    for framework in (torch, ad):
        x = framework.tensor(data, requires_grad=True)
        values, order = _sort_values(framework).apply(x)
        (values * framework.tensor(weights)).sum().backward()
        results[framework] = (np.asarray(values.detach()), np.asarray(order),
                              order.requires_grad, np.asarray(x.grad))
    for got, expected in zip(results[ad], results[torch]):
        np.testing.assert_array_equal(got, expected)
    assert results[ad][1].dtype == np.int64
    numeric = _central_differences(lambda v: np.sort(v) @ weights, data)
    np.testing.assert_allclose(results[ad][3], numeric, atol=1e-6)


def _scaled_pair(framework):
    import torch
    base = torch.autograd.Function if framework is torch else ad.Function

    class ScaledPair(base):
        @staticmethod
        def forward(ctx, x):
            square, triple = x * x, x * 3
            ctx.mark_non_differentiable(triple)
            ctx.save_for_backward(x, triple)
            return square, triple

        @staticmethod
        def backward(ctx, grad_square, grad_triple):
            ctx.grad_triple_seen = grad_triple
            x, _ = ctx.saved_tensors
            return grad_square * 2 * x
    return ScaledPair


def test_function_marked_float_output_has_no_grad_and_zero_gradient_as_torch():
    torch = pytest.importorskip("torch")
    data = np.array([0.5, -1.0, 2.0])
    for framework in (torch, ad):
        x = framework.tensor(data, requires_grad=True)
        square, triple = _scaled_pair(framework).apply(x)
        assert square.requires_grad and not triple.requires_grad
        np.testing.assert_allclose(np.asarray(triple), 3 * data)
        (square * triple).sum().backward()      # triple a constant: d/dx = 2x * 3x
        np.testing.assert_allclose(np.asarray(x.grad), 6 * data ** 2)
        with pytest.raises(RuntimeError):
            triple.sum().backward()


def test_function_marked_outputs_in_double_backward_as_torch():
    torch = pytest.importorskip("torch")
    data = np.array([0.5, -1.0, 2.0])
    x_torch = torch.tensor(data, requires_grad=True)
    square, _ = _scaled_pair(torch).apply(x_torch)
    (grad,) = torch.autograd.grad((square ** 2).sum(), [x_torch], create_graph=True)
    (grad * grad).sum().backward()
    x = ad.tensor(data, requires_grad=True)
    square, _ = _scaled_pair(ad).apply(x)
    (square ** 2).sum().backward(create_graph=True)
    grad = x.grad
    x.grad = None
    (grad * grad).sum().backward()
    np.testing.assert_allclose(grad.data, 4 * data ** 3)
    np.testing.assert_allclose(x.grad, x_torch.grad.numpy())


def test_function_single_marked_output_does_not_require_grad():
    class Doubled(ad.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.mark_non_differentiable(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Doubled.apply(ad.tensor([1.0, 2.0], requires_grad=True))
    assert not y.requires_grad
    np.testing.assert_array_equal(y.data, [2.0, 4.0])


def test_function_integer_output_in_vmap_grad_and_compile():
    class SquareAndSign(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x, (x > 0).astype(np.int64)

        @staticmethod
        def backward(ctx, grad_square, grad_sign):
            assert grad_sign.dtype == np.int64 and not np.any(grad_sign)
            (x,) = ctx.saved_tensors
            return grad_square * 2 * x

    def loss(x):
        square, sign = SquareAndSign.apply(x)
        return (square * square).sum()

    data = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]])
    expected = 4 * data ** 3
    np.testing.assert_allclose(ad.func.vmap(ad.func.grad(loss))(ad.tensor(data)).data,
                               expected)
    step = ad.compile(lambda x: (loss(x).backward(), x.grad)[1])
    for row in data:
        np.testing.assert_allclose(step(ad.tensor(row, requires_grad=True)),
                                   4 * row ** 3)
    _, sign = SquareAndSign.apply(ad.tensor(data[0], requires_grad=True))
    assert sign.dtype == np.int64 and not sign.requires_grad
    np.testing.assert_array_equal(sign.data, [1, 0, 1])


# out= on the PyTorch-style functions that lacked it

_JOINED = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -6.0]])
_OTHER = np.array([[2.0, 1.0, -1.0], [3.0, -0.5, 2.5]])


def _out_calls(framework):
    a, b = framework.tensor(_JOINED), framework.tensor(_OTHER)
    return {
        "cat": ((4, 3), lambda out: framework.cat([a, b], 0, out=out)),
        "stack": ((2, 2, 3), lambda out: framework.stack([a, b], 1, out=out)),
        "clamp": ((2, 3), lambda out: framework.clamp(a, -1.0, 2.0, out=out)),
        "bmm": ((1, 2, 2), lambda out: framework.bmm(a[None], b.T[None], out=out)),
        "addmm": ((2, 2), lambda out: framework.addmm(a[:, :2], a, b.T, out=out)),
        "lerp": ((2, 3), lambda out: framework.lerp(a, b, 0.25, out=out)),
    }


@pytest.mark.parametrize("name", ["cat", "stack", "clamp", "bmm", "addmm", "lerp"])
def test_out_argument_of_torch_style_functions_as_torch(name):
    torch = pytest.importorskip("torch")
    shape, torch_call = _out_calls(torch)[name]
    torch_out = torch.zeros(shape, dtype=torch.float64)
    assert torch_call(torch_out) is torch_out
    shape, call = _out_calls(ad)[name]
    out = ad.zeros(shape)
    assert call(out) is out
    np.testing.assert_allclose(out.data, torch_out.numpy())
    wrong = ad.zeros((7,))                  # resized with a warning, as PyTorch does
    with pytest.warns(UserWarning, match=f"{name} with out=: .* was resized"):
        assert call(wrong) is wrong
    np.testing.assert_allclose(wrong.data, torch_out.numpy())


def test_concatenate_and_stack_out_as_numpy_and_recorded():
    a = ad.tensor(_JOINED, requires_grad=True)
    out = ad.zeros((2, 6))
    assert ad.concatenate([a, a * 2], 1, out) is out
    np.testing.assert_array_equal(out.data, np.concatenate([_JOINED, 2 * _JOINED], 1))
    stacked = ad.zeros((2, 2, 3), dtype=ad.float32)
    ad.stack([a, a], out=stacked)
    np.testing.assert_array_equal(stacked.data, np.stack([_JOINED, _JOINED]).astype(np.float32))
    (out * out).sum().backward()            # d/da (a^2 + 4 a^2) = 10 a
    np.testing.assert_allclose(a.grad, 10 * _JOINED)
    with pytest.raises(TypeError, match="cast"):
        ad.stack([a, a], out=ad.zeros((2, 2, 3), dtype=ad.int64))


# t[key] = a view of t: only mask keys are checked (NumPy copies first for the others)

_OVERLAPPING_WRITES = {
    "shift by a slice": (np.s_[1:], lambda a: a[:-1]),
    "reversed rows": (np.s_[:], lambda a: a[::-1]),
    "reversed columns": (np.s_[:, :], lambda a: a[:, ::-1]),
    "transposed": (np.s_[...], lambda a: a.T),
    "integer rows": (np.array([1, 2, 3, 4, 5]), lambda a: a[:-1]),
    "integer permutation": (np.array([5, 4, 3, 2, 1, 0]), lambda a: a),
    "integer pairs": ((np.array([0, 1, 2]), np.array([1, 2, 3])), lambda a: a[0, :3]),
}


@pytest.mark.parametrize("kind", sorted(_OVERLAPPING_WRITES))
def test_overlapping_write_without_mask_is_numpys(kind):
    key, values_of = _OVERLAPPING_WRITES[kind]
    expected = np.random.default_rng(3).normal(size=(6, 6))
    t = ad.tensor(expected.copy())
    expected[key] = values_of(expected)
    t[key] = values_of(t)
    np.testing.assert_array_equal(t.data, expected)


def test_overlapping_write_with_mask_still_refused_where_numpy_differs():
    data = np.array([[-1.0, 2.0, -3.0], [4.0, 5.0, -6.0]])
    t = ad.tensor(data.copy())
    with pytest.raises(ValueError, match=r"values\.copy\(\)"):
        t[t.data > 0] = t[0]
    t[t.data > 0] = t[0].copy()
    expected = data.copy()
    expected[data > 0] = data[0].copy()
    np.testing.assert_array_equal(t.data, expected)


def test_shift_by_a_slice_skips_the_overlap_check():
    import autodiff.aliased_writes as aliased_writes
    calls = []
    original = aliased_writes.numpy_reads_while_writing
    aliased_writes.numpy_reads_while_writing = lambda *a: calls.append(a) or original(*a)
    try:
        t = ad.tensor(np.arange(10.0))
        t[t.data > 4] = t[5:]          # (each element written with itself: allowed)
        t[1:] = t[:-1]
    finally:
        aliased_writes.numpy_reads_while_writing = original
    assert len(calls) == 1      # the mask write only


def test_cov_takes_torch_correction_keyword():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(4).normal(size=(3, 5))
    weights = np.array([1.0, 2.0, 0.5, 1.5, 3.0])
    x = ad.tensor(data, requires_grad=True)
    result = ad.cov(x, correction=0, aweights=weights)
    x_torch = torch.tensor(data, requires_grad=True)
    expected = torch.cov(x_torch, correction=0, aweights=torch.tensor(weights))
    np.testing.assert_allclose(result.data, expected.detach().numpy())
    (result * result).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(x.grad, x_torch.grad.numpy())
    np.testing.assert_allclose(ad.cov(data, correction=0).data, np.cov(data, ddof=0))
    with pytest.raises(TypeError, match="not both"):
        ad.cov(data, ddof=1, correction=0)


# linearize: jvp_fn of a tangent that requires grad

def test_linearize_jvp_fn_records_a_tangent_that_requires_grad_as_torch():
    torch = pytest.importorskip("torch")
    primal = np.array([0.3, -1.2, 2.0])
    direction = np.array([1.0, 2.0, -1.0])
    weights = np.array([0.5, -1.0, 3.0])
    _, jvp_fn = ad.func.linearize(lambda q: ad.sin(q) * q, primal)
    tangent = ad.tensor(direction, requires_grad=True)
    out = jvp_fn(tangent)
    assert isinstance(out, ad.Tensor) and out.requires_grad
    (out * ad.tensor(weights) + tangent).sum().backward()
    _, torch_jvp_fn = torch.func.linearize(lambda q: torch.sin(q) * q, torch.tensor(primal))
    torch_tangent = torch.tensor(direction, requires_grad=True)
    (torch_jvp_fn(torch_tangent) * torch.tensor(weights) + torch_tangent).sum().backward()
    np.testing.assert_allclose(tangent.grad, torch_tangent.grad.numpy())
    numeric = _central_differences(
        lambda t: (jvp_fn(t) * weights).sum() + t.sum(), direction)
    np.testing.assert_allclose(tangent.grad, numeric, atol=1e-6)
    plain = jvp_fn(direction)          # (a plain tangent still gives an array)
    assert isinstance(plain, np.ndarray)
    with ad.no_grad():
        assert not getattr(jvp_fn(tangent), "requires_grad", False)


# ad.max(t, 1, keepdim=True): PyTorch's (values, indices), as the method

@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [True, False])
def test_max_function_with_keepdim_keyword_is_torchs(name, keepdim):
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, -1.0]])
    weights = np.array([[2.0], [-3.0]]) if keepdim else np.array([2.0, -3.0])
    x = ad.tensor(data, requires_grad=True)
    values, indices = getattr(ad, name)(x, 1, keepdim=keepdim)
    x_torch = torch.tensor(data, requires_grad=True)
    expected_values, expected_indices = getattr(torch, name)(x_torch, 1, keepdim=keepdim)
    np.testing.assert_array_equal(values.data, expected_values.detach().numpy())
    np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    (values * ad.tensor(weights)).sum().backward()
    (expected_values * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad, x_torch.grad.numpy())
    # NumPy's spellings keep NumPy's values
    np.testing.assert_array_equal(getattr(np, name)(ad.tensor(data), 1, keepdims=True).data,
                                  getattr(np, name)(data, 1, keepdims=True))
    np.testing.assert_array_equal(getattr(ad, name)(ad.tensor(data), 1).data,
                                  getattr(np, name)(data, 1))


def test_function_set_materialize_grads_false_runs_as_torch():
    torch = pytest.importorskip("torch")

    def split_square(framework):
        base = torch.autograd.Function if framework is torch else ad.Function

        class SplitSquare(base):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                ctx.save_for_backward(x)
                return x * x, x * 3

            @staticmethod
            def backward(ctx, grad_square, grad_triple):
                (x,) = ctx.saved_tensors
                grad = 0 * x
                if grad_square is not None:
                    grad = grad + grad_square * 2 * x
                if grad_triple is not None:
                    grad = grad + grad_triple * 3
                return grad
        return SplitSquare

    data = np.array([0.5, -2.0])
    grads = []
    for framework in (torch, ad):
        x = framework.tensor(data, requires_grad=True)
        square, _ = split_square(framework).apply(x)     # the second output unused
        square.sum().backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_allclose(grads[1], grads[0])
    np.testing.assert_allclose(grads[1], 2 * data)


def test_zero_d_movedim_and_index_select_errors_name_the_argument_as_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(IndexError):
        torch.tensor(3.0).movedim(0, 1)
    with pytest.raises(IndexError, match="destination 1 is out of range for a 0-d"):
        ad.tensor(3.0).movedim(0, 1)
    with pytest.raises(RuntimeError, match="only 1 value"):
        torch.tensor(3.0).index_select(0, torch.tensor([0, 0]))
    with pytest.raises(IndexError,
                       match=r"one element \(0\), as in PyTorch; got one of shape \(2,\)"):
        ad.tensor(3.0).index_select(0, ad.tensor([0, 0]))
    assert ad.tensor(3.0).index_select(0, ad.tensor([0])).item() == 3.0
    assert ad.tensor(3.0).movedim(0, -1).shape == ()
