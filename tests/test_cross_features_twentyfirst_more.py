"""The twenty-first round's features crossed with the rest, continued: the 0-d twins of
``t * number``, ``t * w``, ``t ** y`` and complex ``abs`` (vmap, forward mode, hessian,
compile, hooks, grad modes, float16 / float32 / complex), stable
``topk(largest=False)``, float16 ``clip_grad_norm_``, ``.grad.max(other)``, dtype
shorthands returning the tensor, bool ``add(alpha=)``, the ``dim=`` refusals under the
transforms, ``detect_anomaly`` tracing an inf inside ``jacrev`` and compile, ``explain``
after a compiled in-place write and ``gradcheck`` at a kink."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.forward_ad as forward
from autodiff import nn

# ----- the 0-d twins ----------------------------------------------------------------------


def _chain(x, w):
    return (x * 2.5) * w + x ** 3


def test_zero_d_products_and_powers_in_vmap_are_numpys_scalar_arithmetic():
    xs, ws = np.array([1.1, 2.3, -0.7]), np.array([0.3, -1.9, 4.1])
    mapped = ad.vmap(_chain)(ad.tensor(xs), ad.tensor(ws))
    np.testing.assert_array_equal(mapped, [_chain(np.float64(x), np.float64(w))
                                           for x, w in zip(xs, ws)])
    zs = np.array([1.1 + 0.3j, 2.3 - 1j])
    mapped = ad.vmap(lambda z, v: abs(z * v))(ad.tensor(zs), ad.tensor(zs[::-1].copy()))
    np.testing.assert_array_equal(mapped, [abs(np.complex128(a) * np.complex128(b))
                                           for a, b in zip(zs, zs[::-1])])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128,
                                   np.complex64])
def test_zero_d_twins_backward_in_each_dtype_as_pytorch(dtype):
    torch = pytest.importorskip("torch")
    complex_ = np.dtype(dtype).kind == "c"
    x0 = np.array(1.7 + (0.3j if complex_ else 0), dtype=dtype)
    w0 = np.array(-0.6 + (1.1j if complex_ else 0), dtype=dtype)

    def loss(x, w):
        y = (x * 2.5) * w + (abs(x * w) if complex_ else x ** 3)
        return y.real if complex_ else y

    x, w = ad.tensor(x0, requires_grad=True), ad.tensor(w0, requires_grad=True)
    tx, tw = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    out, theirs = loss(x, w), loss(tx, tw)
    out.backward()
    theirs.backward()
    assert out.dtype == theirs.detach().numpy().dtype
    # (float16 and float32 pow may differ from PyTorch's in the last bits)
    rtol = {np.float16: 2e-3, np.float32: 1e-6, np.complex64: 1e-6}.get(dtype, 1e-14)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.complex128])
def test_zero_d_twins_forward_mode_as_pytorch(dtype):
    torch = pytest.importorskip("torch")
    complex_ = np.dtype(dtype).kind == "c"
    w0 = np.array(0.5 + (1j if complex_ else 0), dtype=dtype)

    def f(x, w):
        return (x * 3) * w + (abs(x * w) if complex_ else x ** 2)

    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(np.array(1.5, dtype)), ad.tensor(np.array(1.0, dtype)))
        tangent = forward.unpack_dual(f(dual, ad.tensor(w0))).tangent
    _, theirs = torch.func.jvp(lambda a: f(a, torch.tensor(w0)),
                               (torch.tensor(np.array(1.5, dtype)),),
                               (torch.tensor(np.array(1.0, dtype)),))
    assert tangent.dtype == dtype
    np.testing.assert_array_equal(tangent, theirs.numpy())


def test_zero_d_twins_hessian_jacfwd_and_double_backward_as_pytorch():
    torch = pytest.importorskip("torch")

    def f(x, w):
        return (x * 2.0) * w + x ** 3 + abs(x * (1 + 1j))

    hess = ad.hessian(f)(ad.tensor(1.3), ad.tensor(0.7))
    theirs = torch.autograd.functional.hessian(
        lambda x: f(x, torch.tensor(0.7, dtype=torch.float64)),
        torch.tensor(1.3, dtype=torch.float64))
    np.testing.assert_allclose(hess, theirs.numpy(), rtol=1e-15)
    slope = ad.grad(f)(ad.tensor(1.3), ad.tensor(0.7))
    np.testing.assert_allclose(ad.jacfwd(f)(ad.tensor(1.3), ad.tensor(0.7)), slope, rtol=1e-15)
    x = ad.tensor(np.float16(1.5), requires_grad=True)
    g, = ad.autograd.grad((x * 3) * x, [x], create_graph=True)
    h, = ad.autograd.grad(g, [x])
    assert (g.dtype, h.dtype, float(g), float(h)) == (np.float16, np.float16, 9.0, 6.0)


def test_zero_d_twins_replay_bit_for_bit_and_train_under_compile():
    step = ad.compile(_chain)
    product = ad.compile(lambda z, v: (z * v) * (1 + 2j))
    for k in range(4):
        a, b = np.float64(1.1 + 0.37 * k), np.float64(k - 0.3)
        assert step(ad.tensor(a), ad.tensor(b)).item() == _chain(a, b)
        za, zb = np.complex128(1.1 + 0.37 * k + 0.3j), np.complex128(k - 0.3 - 0.9j)
        assert product(ad.tensor(za), ad.tensor(zb)).item() == (za * zb) * (1 + 2j)
    x, w = ad.tensor(1.25, requires_grad=True), ad.tensor(-0.5, requires_grad=True)

    def train():
        x.grad = w.grad = None
        loss = _chain(x, w)
        loss.backward()
        return loss.detach()

    compiled = ad.compile(train)
    for _ in range(3):
        compiled()
        assert (float(x.grad), float(w.grad)) == (3 * 1.25 ** 2 - 1.25, 2.5 * 1.25)


def test_zero_d_twins_call_hooks_and_respect_grad_modes():
    x = ad.tensor(2.0, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(float(g)) or g * 10)
    y = (x * 3) * x
    y.register_hook(lambda g: seen.append(float(g)))
    y.backward()
    assert seen == [1.0, 12.0] and float(x.grad) == 120.0
    with ad.no_grad():
        assert not (x * 3).requires_grad
    with ad.inference_mode():
        assert (x * x).grad_fn is None


def test_an_inf_minus_inf_of_zero_d_twins_is_traced_to_the_product():
    x = ad.tensor(np.float64(1e300), requires_grad=True)
    with ad.detect_anomaly(), np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ad.AnomalyError, match="the inf in input a was made by multiply"):
            (x * 1e10) - (x * 1e10)


# ----- topk(largest=False), float16 clipping, .grad.max(other) ----------------------------

SCORES = np.array([[3.0, 1.0, 1.0, 2.0, 1.0], [0.0, 0.0, 5.0, -1.0, -1.0]])


def test_smallest_topk_keeps_the_first_of_ties_under_vmap_compile_and_jacobians():
    values, indices = ad.tensor(SCORES).topk(3, largest=False)
    assert indices.tolist() == [[1, 2, 4], [3, 4, 0]]
    mapped_values, mapped_indices = ad.vmap(lambda t: t.topk(3, largest=False))(ad.tensor(SCORES))
    np.testing.assert_array_equal(mapped_indices, indices.data)
    np.testing.assert_array_equal(mapped_values, values.data)
    step = ad.compile(lambda t: t.topk(2, dim=1, largest=False)[1])
    for shift in (0.0, 1.0, 2.0):
        assert step(ad.tensor(SCORES + shift)).tolist() == [[1, 2], [3, 4]]
    jac = ad.jacrev(lambda t: t.topk(2, largest=False)[0])(ad.tensor(SCORES))
    np.testing.assert_array_equal(jac, ad.jacfwd(lambda t: t.topk(2, largest=False)[0])(
        ad.tensor(SCORES)))
    assert np.argwhere(jac[0, :, 0]).tolist() == [[0, 1], [1, 2]]    # entries 1 then 2


@pytest.mark.parametrize("norm_type", [2.0, "inf"])
def test_float16_clipping_beside_float32_as_pytorch(norm_type):
    torch = pytest.importorskip("torch")
    grads = [np.full(3, 300.0, np.float16), np.full(2, 2.0, np.float32)]
    ours = [nn.Parameter(ad.tensor(np.ones_like(g))) for g in grads]
    theirs = [torch.nn.Parameter(torch.ones(g.shape, dtype=getattr(torch, g.dtype.name)))
              for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = g.copy(), torch.tensor(g)
    norm = nn.utils.clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    their_norm = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=float(norm_type))
    assert float(norm) == float(their_norm)
    for p, tp in zip(ours, theirs):
        assert p.grad.dtype == tp.grad.numpy().dtype
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())


@pytest.mark.parametrize("dtypes", [("float16",), ("float16", "float16"),
                                    ("float16", "float32"), ("float32", "float32"),
                                    ("float16", "float64")])
def test_clipped_gradients_are_pytorchs_bit_for_bit_when_the_total_norms_agree(dtypes):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(dtypes) * 7 + len(set(dtypes)))
    agreed = 0
    for _ in range(40):
        grads = [(rng.standard_normal(rng.integers(1, 6)) * 10 ** rng.uniform(-2, 2))
                 .astype(name) for name in dtypes]
        max_norm = float(rng.choice([1.0, 0.5, 2.5, 0.1]))
        ours = [nn.Parameter(ad.tensor(np.ones_like(g))) for g in grads]
        theirs = [torch.nn.Parameter(torch.ones(g.shape, dtype=getattr(torch, g.dtype.name)))
                  for g in grads]
        for p, tp, g in zip(ours, theirs, grads):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        norm = nn.utils.clip_grad_norm_(ours, max_norm)
        their_norm = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
        # (summed in float64 here; PyTorch's float32 sum may end an ulp or two away)
        np.testing.assert_allclose(float(norm), float(their_norm), rtol=3e-7)
        if float(norm) != float(their_norm):
            continue
        agreed += 1
        for p, tp in zip(ours, theirs):
            # (the factor was rounded to float16 before the product: an ulp off)
            np.testing.assert_array_equal(p.grad, tp.grad.numpy())
    assert agreed >= 20


def test_float16_clipping_in_two_halves_is_pytorchs_bit_for_bit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for _ in range(30):
        grads = [(rng.standard_normal(4) * 30).astype(np.float16) for _ in range(2)]
        ours = [nn.Parameter(ad.tensor(np.ones(4, np.float16))) for _ in grads]
        theirs = [torch.nn.Parameter(torch.ones(4, dtype=torch.float16)) for _ in grads]
        for p, tp, g in zip(ours, theirs, grads):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        total = nn.utils.get_total_norm([p.grad for p in ours])
        their_total = torch.nn.utils.get_total_norm([tp.grad for tp in theirs])
        assert float(total) == float(their_total)
        nn.utils.clip_grads_with_norm_(ours, 1.0, total)
        torch.nn.utils.clip_grads_with_norm_(theirs, 1.0, their_total)
        for p, tp in zip(ours, theirs):
            np.testing.assert_array_equal(p.grad, tp.grad.numpy())


def test_float16_clipping_of_an_inf_gradient_warns_and_is_pytorchs():
    torch = pytest.importorskip("torch")
    p = nn.Parameter(ad.tensor(np.ones(3, np.float16)))
    p.grad = np.array([np.inf, 1.0, 1.0], np.float16)
    tp = torch.nn.Parameter(torch.ones(3, dtype=torch.float16))
    tp.grad = torch.tensor([float("inf"), 1.0, 1.0], dtype=torch.float16)
    with pytest.warns(RuntimeWarning, match="clip_grad_norm_: the total norm"):
        norm = nn.utils.clip_grad_norm_([p], 1.0)
    assert float(norm) == float(torch.nn.utils.clip_grad_norm_([tp], 1.0)) == np.inf
    np.testing.assert_array_equal(p.grad, tp.grad.numpy())
    with pytest.raises(RuntimeError):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_compiled_float16_clipping_shrinks_as_eager_calls_do():
    p, q = (nn.Parameter(ad.tensor(np.ones(3, np.float16))) for _ in range(2))
    p.grad, q.grad = np.full(3, 0.5, np.float16), np.full(3, 0.5, np.float16)
    step = ad.compile(lambda: nn.utils.clip_grad_norm_([p], 0.1))
    for _ in range(3):
        assert float(step()) == float(nn.utils.clip_grad_norm_([q], 0.1))
        np.testing.assert_array_equal(p.grad, q.grad)


def test_grad_max_of_a_tensor_is_elementwise_and_writing_it_in_a_compiled_step_is_refused():
    lin = nn.Linear(2, 2, rng=0)
    lin(ad.tensor(np.ones((1, 2)))).sum().backward()
    other = ad.tensor([[0.5, 2.0], [1.0, 0.0]])
    np.testing.assert_array_equal(lin.weight.grad.max(other),
                                  np.maximum(lin.weight.grad, other.data))
    np.testing.assert_array_equal(lin.weight.grad.min(other),
                                  np.minimum(lin.weight.grad, other.data))

    def step():
        lin(ad.tensor(np.ones((1, 2)))).sum().backward()
        lin.weight.grad.max(ad.tensor(0.5), out=lin.weight.grad)

    with pytest.raises(ad.TraceError, match="clip_grad_norm_ or clip_grad_value_"):
        ad.compile(step)()


# ----- dtype shorthands, bool alpha, dim= refusals ----------------------------------------

def test_same_dtype_shorthands_are_the_tensor_itself_in_transforms_modes_and_compile():
    torch = pytest.importorskip("torch")
    jac = ad.jacrev(lambda t: t.double() * 2)(ad.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(jac, 2 * np.eye(2))
    step = ad.compile(lambda t: t.double() * 3)
    assert [step(ad.tensor([k, 1.0])).tolist() for k in (0.0, 1.0)] == [[0.0, 3.0], [3.0, 3.0]]
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    for mode, their_mode in ((ad.no_grad, torch.no_grad),
                             (ad.inference_mode, torch.inference_mode)):
        with mode():
            ours = x.double()
        with their_mode():
            theirs = tx.double()
        assert (ours is x, ours.requires_grad) == (theirs is tx, theirs.requires_grad)
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 1.0]))
        assert dual.double() is dual
        assert forward.unpack_dual(dual.float()).tangent.dtype == np.float32
    y = ad.tensor([1.0, 2.0], requires_grad=True).clone()
    y.double().mul_(3)                              # one tensor: y changes, as PyTorch's
    assert y.tolist() == [3.0, 6.0]


def test_bool_add_with_alpha_under_vmap_and_compile_stays_bool():
    torch = pytest.importorskip("torch")
    a, b = ad.tensor([True, False]), ad.tensor([False, False])
    theirs = torch.tensor([True, False]).add(torch.tensor([False, False]), alpha=2)
    assert a.add(b, alpha=2).tolist() == theirs.tolist()
    mapped = ad.vmap(lambda p, q: p.add(q, alpha=1))(ad.tensor([[True, False]]),
                                                      ad.tensor([[True, True]]))
    assert mapped.dtype == bool and mapped.tolist() == [[True, True]]
    step = ad.compile(lambda p, q: p.add(q, alpha=3))
    for k in range(3):
        out = step(ad.tensor([True, k % 2 == 0]), b)
        assert out.dtype == bool and out.tolist() == [True, k % 2 == 0]


@pytest.mark.parametrize("call, name", [
    (lambda t: ad.percentile(t, 50, dim=1), "ad.percentile is numpy.percentile"),
    (lambda t: ad.nanmax(t, dim=1), "ad.nanmax is numpy.nanmax"),
    (lambda t: ad.take(t, ad.tensor([0]), dim=0), "ad.take is numpy.take")])
def test_dim_refusals_name_the_function_under_every_transform(call, name):
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    for run in (call, ad.compile(call), ad.jacrev(call),
                lambda t: ad.vmap(call)(ad.tensor(np.ones((2, 2, 3))))):
        with pytest.raises(TypeError, match=name):
            run(x)


# ----- detect_anomaly, explain and gradcheck crossed ----------------------------------------

def _cancelling(x):
    big = ad.exp(x * 1000.0)
    return (big - big).sum()


def test_an_inf_minus_inf_inside_jacrev_names_the_exp_that_made_the_inf():
    with ad.detect_anomaly(), np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ad.AnomalyError, match="the inf in input a was made by exp"):
            ad.jacrev(_cancelling)(ad.tensor([1.0, 2.0]))


def test_inside_detect_anomaly_a_compiled_training_step_runs_eagerly_and_names_the_inf():
    x = ad.tensor([0.0, 0.1], requires_grad=True)

    def step():
        loss = _cancelling(x)
        loss.backward()
        return loss.detach()

    compiled = ad.compile(step)
    compiled(), compiled()
    x.data[:] = [1.0, 2.0]
    with ad.detect_anomaly(), np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(ad.AnomalyError, match="inf - inf is NaN; the inf in input a"):
            compiled()


def test_explain_names_the_in_place_method_after_a_compiled_step():
    x = ad.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    mask = ad.tensor([[True, False], [False, False]])

    def step():
        y = x * 2
        y.masked_fill_(mask, 0.0)
        y.sum().backward()

    compiled = ad.compile(step)
    for _ in range(2):
        x.grad = None
        compiled()
    assert x.grad.tolist() == [[0.0, 2.0], [2.0, 2.0]]
    assert "masked_fill_ overwrote them in place" in ad.explain(x)


def test_gradcheck_at_a_relu_kink_names_the_entry_and_elementwise_max_ties_pass():
    with pytest.raises(ad.GradcheckError) as caught:
        ad.gradcheck(ad.relu, (ad.tensor(np.array([0.0, 1.0]), requires_grad=True),))
    assert "sits on a kink at entry (0,)" in str(caught.value)
    # (a tie of t.max(other) splits the gradient: the central difference's average)
    assert ad.gradcheck(lambda t: t.max(ad.tensor([1.0, 0.0])),
                        (ad.tensor(np.array([1.0, 1.0]), requires_grad=True),))


def test_nan_and_tie_gradients_of_elementwise_max_follow_the_documented_rules():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, np.nan, 2.0, np.nan, 3.0])
    b = np.array([0.0, 1.0, np.nan, np.nan, 3.0])
    rows = {}
    for name, ours, theirs in (("max(other)", lambda x, y: x.max(y), lambda x, y: x.max(y)),
                               ("fmax", np.fmax, torch.fmax)):
        x, y = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
        ours(x, y).sum().backward()
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        theirs(tx, ty).sum().backward()
        rows[name] = (x.grad.tolist(), y.grad.tolist(), tx.grad.tolist(), ty.grad.tolist())
    # (README: the NaN operand gets a NaN entry's gradient here, both operands in PyTorch)
    assert rows["max(other)"] == ([1.0, 1.0, 0.0, 0.5, 0.5], [0.0, 0.0, 1.0, 0.5, 0.5],
                                  [1.0, 1.0, 1.0, 1.0, 0.5], [0.0, 1.0, 1.0, 1.0, 0.5])
    # (README: ties split and a NaN in both gets none here; PyTorch gives both to x)
    assert rows["fmax"] == ([1.0, 0.0, 1.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.0, 0.5],
                            [1.0, 0.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0, 0.0])
