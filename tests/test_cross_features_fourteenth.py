"""The fourteenth round's features with the machinery they are used with:
``np.multiply.at``/``np.divide.at`` under transforms and ``ad.compile``, the real
``slogdet`` sign, unreached ``jvp`` outputs, the ``bytes``/``statistics`` refusals,
``register_multi_grad_hook``, ``load_state_dict(assign=True)`` before an optimizer's
step, and ``Linear``'s fast path on unusual inputs."""

from __future__ import annotations

import statistics
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError

INDEX = np.array([0, 2, 0])
A0 = np.array([1.5, 2.0, -0.5])
V0 = np.array([2.0, 3.0, 0.5])


def scaled_at(a, v, ufunc=np.multiply):
    b = a * 1.0
    ufunc.at(b, INDEX, v)
    return (b ** 2).sum()


def central_difference(f, args, argnum, eps=1e-6):
    x = np.asarray(args[argnum], dtype=float)
    out = np.zeros_like(x)
    for k in range(x.size):
        step = np.zeros_like(x)
        step.flat[k] = eps
        plus, minus = list(args), list(args)
        plus[argnum], minus[argnum] = x + step, x - step
        out.flat[k] = (f(*map(ad.tensor, plus)).item()
                       - f(*map(ad.tensor, minus)).item()) / (2 * eps)
    return out


# ----- multiply.at / divide.at ----------------------------------------------------------

@pytest.mark.parametrize("ufunc", [np.multiply, np.divide])
def test_ufunc_at_products_under_jacfwd_jacrev_and_vmap_of_grad(ufunc):
    def f(a, v):
        return scaled_at(a, v, ufunc)
    for argnum, x in ((0, A0), (1, V0)):
        expected = central_difference(f, (A0, V0), argnum)
        rev = ad.jacrev(f, argnums=argnum)(ad.tensor(A0), ad.tensor(V0))
        fwd = ad.jacfwd(f, argnums=argnum)(ad.tensor(A0), ad.tensor(V0))
        np.testing.assert_allclose(rev, expected, rtol=1e-6)
        np.testing.assert_allclose(fwd, expected, rtol=1e-6)
    batched = ad.vmap(ad.grad(f, argnums=1))(ad.tensor(np.stack([A0, 2 * A0])),
                                             ad.tensor(np.stack([V0, V0])))
    np.testing.assert_allclose(batched[1], central_difference(f, (2 * A0, V0), 1), rtol=1e-6)


def test_multiply_at_hessian_in_the_values_matches_central_differences_of_the_gradient():
    hess = ad.hessian(scaled_at, argnums=1)(ad.tensor(A0), ad.tensor(V0))
    grad_v = ad.grad(scaled_at, argnums=1)

    def column(k, eps=1e-5):
        step = np.where(np.arange(3) == k, eps, 0.0)
        return (grad_v(ad.tensor(A0), ad.tensor(V0 + step))
                - grad_v(ad.tensor(A0), ad.tensor(V0 - step))) / (2 * eps)
    np.testing.assert_allclose(hess, np.stack([column(k) for k in range(3)], 1), rtol=1e-6)


@pytest.mark.parametrize("ufunc", [np.multiply, np.divide])
def test_ufunc_at_products_replay_in_compile_with_new_values(ufunc):
    compiled = ad.compile(lambda a, v: scaled_at(a, v, ufunc))
    for shift in (0.0, 1.0, -2.5):
        a = ad.tensor(A0 + shift)
        assert compiled(a, ad.tensor(V0)).item() == scaled_at(a, ad.tensor(V0), ufunc).item()


def test_multiply_at_through_a_strided_view_and_reversed_values():
    def f(a, v):
        b = a * 1.0
        np.multiply.at(b[::2], np.array([0, 1, 1]), v[::-1])
        return (b ** 2).sum()
    a, v = np.arange(1.0, 6.0), np.arange(1.0, 7.0)[::2]
    ga, gv = ad.grad(f, argnums=(0, 1))(ad.tensor(a), ad.tensor(v))
    np.testing.assert_allclose(ga, central_difference(f, (a, v), 0), rtol=1e-6)
    np.testing.assert_allclose(gv, central_difference(f, (a, v), 1), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_multiply_at_gradient_keeps_a_low_precision_dtype(dtype):
    ga, gv = ad.grad(scaled_at, argnums=(0, 1))(ad.tensor(A0.astype(dtype)),
                                                ad.tensor(V0.astype(dtype)))
    assert ga.dtype == gv.dtype == dtype
    # the float64 gradient rounded: a few units in the dtype's last place
    np.testing.assert_allclose(gv, ad.grad(scaled_at, argnums=1)(ad.tensor(A0), ad.tensor(V0)),
                               rtol=8 * np.finfo(dtype).eps)


def test_multiply_at_with_no_index_and_with_a_0d_value():
    def empty(a, v):
        b = a * 1.0
        np.multiply.at(b, np.array([], dtype=int), v)
        return (b ** 2).sum()
    ga, gv = ad.grad(empty, argnums=(0, 1))(ad.tensor(A0), ad.tensor(np.zeros(0)))
    np.testing.assert_array_equal(ga, 2 * A0)
    assert gv.shape == (0,)

    def scalar(a, v):
        b = a * 1.0
        np.multiply.at(b, 1, v)
        return (b ** 2).sum()
    ga, gv = ad.grad(scalar, argnums=(0, 1))(ad.tensor(A0), ad.tensor(3.0))
    np.testing.assert_allclose(ga, [3.0, 36.0, -1.0])
    assert gv.shape == () and gv == pytest.approx(2 * 6.0 * 2.0)


def test_multiply_at_under_no_grad_records_nothing():
    with ad.no_grad():
        out = scaled_at(ad.tensor(A0, requires_grad=True), ad.tensor(V0, requires_grad=True))
    assert not out.requires_grad
    assert out.item() == pytest.approx(scaled_at(ad.tensor(A0), ad.tensor(V0)).item())


# ----- slogdet's sign ------------------------------------------------------------------

SINGULAR_FREE = np.array([[1.0, 2.0], [3.0, -4.0]])


def signed_logdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet


def test_slogdet_sign_times_logdet_matches_torch_under_grad_jacfwd_and_vmap():
    torch = pytest.importorskip("torch")
    ta = torch.tensor(SINGULAR_FREE, requires_grad=True)
    sign, logdet = torch.linalg.slogdet(ta)
    (sign * logdet).backward()
    np.testing.assert_allclose(ad.grad(signed_logdet)(ad.tensor(SINGULAR_FREE)), ta.grad.numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(ad.jacfwd(signed_logdet)(ad.tensor(SINGULAR_FREE)),
                               ta.grad.numpy(), rtol=1e-12)
    batch = np.stack([SINGULAR_FREE, -SINGULAR_FREE.T, np.eye(2)])
    expected = [signed_logdet(ad.tensor(m)).item() for m in batch]
    np.testing.assert_allclose(ad.vmap(signed_logdet)(ad.tensor(batch)), expected, rtol=1e-12)


def test_slogdet_sign_alone_has_zero_gradient_and_tangent_and_replays_a_flip():
    only_sign = lambda a: np.linalg.slogdet(a)[0]  # noqa: E731
    np.testing.assert_array_equal(ad.grad(only_sign)(ad.tensor(SINGULAR_FREE)), 0.0)
    value, tangent = ad.jvp(only_sign, (ad.tensor(SINGULAR_FREE),),
                            (ad.tensor(np.ones((2, 2))),))
    assert value == -1.0 and tangent == 0.0
    compiled = ad.compile(signed_logdet)
    for m in (SINGULAR_FREE, np.array([[1.0, 2.0], [3.0, 4.0]]), np.eye(2) * 3):
        assert compiled(ad.tensor(m)).item() == pytest.approx(signed_logdet(ad.tensor(m)).item())


# ----- jvp outputs the inputs do not reach ---------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.complex64, np.int64])
def test_func_jvp_unreached_output_tangent_has_its_dtype_as_torch(dtype):
    torch = pytest.importorskip("torch")
    constant = np.zeros(3, dtype=dtype)
    _, (_, tangent) = ad.func.jvp(lambda x: (x * 2, ad.tensor(constant)), (ad.tensor(np.ones(3)),),
                                  (ad.tensor(np.ones(3)),))
    _, (_, expected) = torch.func.jvp(lambda x: (x * 2, torch.tensor(constant)), (torch.ones(3),),
                                      (torch.ones(3),))
    assert str(tangent.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(tangent, 0)


def test_vmap_of_func_jvp_unreached_output_is_batched_in_its_dtype():
    def one(x):
        return ad.func.jvp(lambda y: (y * 2, ad.tensor(np.zeros(2, dtype=np.float32))), (x,), (x,))
    _, (tangent, unreached) = ad.vmap(one)(ad.tensor(np.ones((4, 2))))
    assert unreached.shape == (4, 2) and unreached.dtype == np.float32
    np.testing.assert_array_equal(tangent, 2.0)


# ----- refusals: bytes and statistics ---------------------------------------------------

@pytest.mark.parametrize("where", ["eager", "compile", "vmap", "no_grad"])
def test_bytes_and_statistics_refusals_hold_inside_the_machinery(where):
    x = ad.tensor(np.arange(3.0), requires_grad=True)
    wrap = {"eager": lambda f: f, "compile": ad.compile, "vmap": ad.vmap,
            "no_grad": lambda f: f}[where]
    arg = ad.tensor(np.ones((2, 3))) if where == "vmap" else x
    with (ad.no_grad() if where == "no_grad" else warnings.catch_warnings()):
        with pytest.raises(TypeError, match=r"bytes\(t\).*tobytes\(\)"):
            wrap(lambda t: bytes(t))(arg)
        with pytest.raises(TypeError, match=r"statistics.mean.*ad.mean"):
            wrap(lambda t: statistics.mean(t))(arg)


# ----- register_multi_grad_hook ---------------------------------------------------------

def test_multi_grad_hook_as_torch_on_backward_and_once_per_pass_of_a_double_backward():
    torch = pytest.importorskip("torch")

    def record(into):
        return lambda grads: into.append([None if g is None else g.tolist() for g in grads])
    a = ad.tensor(np.ones(2), requires_grad=True)
    b = ad.tensor(np.ones(2), requires_grad=True)
    seen, torch_seen = [], []
    ad.autograd.graph.register_multi_grad_hook((a, b), record(seen))
    (a * 2).sum().backward()
    ta, tb = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    torch.autograd.graph.register_multi_grad_hook((ta, tb), record(torch_seen))
    (ta * 2).sum().backward()
    assert seen == torch_seen == [[[2.0, 2.0], None]]
    # PyTorch refuses a leaf's multi-grad hook under autograd.grad; here it runs in each
    # pass with that pass's gradient: 3c^2, then d/dc of sum(3c^2)
    c = ad.tensor(np.ones(2), requires_grad=True)
    passes = []
    ad.autograd.graph.register_multi_grad_hook((c,), record(passes))
    g, = ad.autograd.grad((c ** 3).sum(), [c], create_graph=True)
    g.sum().backward()
    assert passes == [[[3.0, 3.0]], [[6.0, 6.0]]]
    np.testing.assert_array_equal(c.grad, [6.0, 6.0])


def test_multi_grad_hook_refused_inside_a_compiled_step_naming_the_line():
    a = ad.tensor(np.ones(2), requires_grad=True)
    handle = ad.autograd.graph.register_multi_grad_hook((a,), lambda grads: None)

    def step(x):
        loss = (a * x).sum()
        loss.backward()
        return loss
    with pytest.raises(TraceError, match=r"hook \(register_multi_grad_hook\) at "
                                          r"test_cross_features_fourteenth.py"):
        ad.compile(step)(ad.tensor(np.ones(2)))
    handle.remove()
    assert ad.compile(step)(ad.tensor(np.full(2, 3.0))).item() == 6.0


# ----- load_state_dict(assign=True) and an optimizer made before -----------------------

@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_optimizer_made_before_assign_says_its_parameters_were_replaced(optimizer):
    model = ad.nn.Linear(3, 2)
    opt = getattr(ad.optim, optimizer)(model.parameters(), lr=0.1)
    model.load_state_dict({k: v * 2 for k, v in model.state_dict().items()}, assign=True)
    model(ad.tensor(np.ones((2, 3)))).sum().backward()
    with pytest.warns(ad.optim.NoGradientWarning,
                      match=r"'weight', 'bias' were replaced by Linear.load_state_dict\("
                            r"assign=True\).*Make the optimizer after loading"):
        opt.step()
    # a fresh optimizer updates the new parameters
    fresh = getattr(ad.optim, optimizer)(model.parameters(), lr=0.1)
    before = model.weight.data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.optim.NoGradientWarning)
        fresh.step()
    assert not np.array_equal(model.weight.data, before)


def test_one_replaced_parameter_is_named_in_the_per_parameter_warning():
    model = ad.nn.Linear(3, 2)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    model.load_state_dict({"bias": model.bias.data + 1}, strict=False, assign=True)
    model(ad.tensor(np.ones((2, 3)))).sum().backward()
    with pytest.warns(ad.optim.NoGradientWarning,
                      match=r"parameter 'bias'.*Here 'bias' was replaced by Linear"):
        opt.step()


def test_assign_then_a_new_optimizer_steps_as_torch():
    torch = pytest.importorskip("torch")
    model = ad.nn.Linear(3, 2)
    state = {k: v * 2 for k, v in model.state_dict().items()}
    model.load_state_dict(state, assign=True)
    opt = ad.optim.Adam(model.parameters(), lr=0.1)
    x = np.arange(6.0).reshape(2, 3)
    model(ad.tensor(x)).sum().backward()
    opt.step()
    reference = torch.nn.Linear(3, 2).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in
                               model.to_torch_state_dict().items()} | {
        "weight": torch.tensor(np.asarray(state["weight"]).T),
        "bias": torch.tensor(np.asarray(state["bias"]))}, assign=True)
    topt = torch.optim.Adam(reference.parameters(), lr=0.1)
    reference(torch.tensor(x)).sum().backward()
    topt.step()
    np.testing.assert_allclose(model.weight.data.T, reference.weight.detach().numpy(), rtol=1e-12)


# ----- Linear's fast path ---------------------------------------------------------------

@pytest.mark.parametrize("layout", ["reversed rows", "no rows", "one row 1-d", "3-d",
                                    "Fortran order", "ndarray"])
def test_linear_on_unusual_inputs_matches_the_matrix_product(layout):
    model = ad.nn.Linear(3, 2)
    x = np.arange(12.0).reshape(4, 3)
    x = {"reversed rows": x[::-1], "no rows": x[:0], "one row 1-d": x[0],
         "3-d": x.reshape(2, 2, 3), "Fortran order": np.asfortranarray(x), "ndarray": x}[layout]
    out = model(x if layout == "ndarray" else ad.tensor(x))
    np.testing.assert_allclose(out.data, x @ model.weight.data + model.bias.data, rtol=1e-14)
    if x.size:
        grad = ad.grad(lambda t: (model(t) ** 2).sum())(ad.tensor(x))
        expected = 2 * (x @ model.weight.data + model.bias.data) @ model.weight.data.T
        # the gradient keeps a graph to the parameters it closes over: compare values
        np.testing.assert_allclose(grad.data, expected, rtol=1e-12)


def test_linear_mixed_half_and_double_refused_both_ways():
    half = ad.nn.Linear(3, 2, dtype=np.float16)
    with pytest.raises(TypeError, match=r"Linear\(3, 2\).*float64.*float16"):
        half(ad.tensor(np.ones((1, 3))))
    with pytest.raises(TypeError, match=r"Linear\(3, 2\).*float16.*float64"):
        ad.nn.Linear(3, 2)(ad.tensor(np.ones((1, 3), dtype=np.float16)))
    assert half(ad.tensor(np.ones((1, 3), dtype=np.float16))).dtype == np.float16


def test_linear_under_inference_mode_jvp_and_compile():
    model = ad.nn.Linear(3, 2)
    x = np.arange(12.0).reshape(4, 3)
    with ad.inference_mode():
        assert not model(ad.tensor(x)).requires_grad
    _, tangent = ad.func.jvp(model, (ad.tensor(x),), (ad.tensor(np.ones_like(x)),))
    np.testing.assert_allclose(tangent.data, np.ones_like(x) @ model.weight.data, rtol=1e-14)
    compiled = ad.compile(lambda t: model(t).sum())
    for shift in range(3):
        assert compiled(ad.tensor(x + shift)).item() == pytest.approx(
            model(ad.tensor(x + shift)).sum().item(), rel=1e-14)


# ----- logcumsumexp of a 0-d tensor -----------------------------------------------------

@pytest.mark.parametrize("value", [-np.inf, 0.5])
def test_logcumsumexp_of_a_0d_tensor_is_the_identity_as_torch_without_a_warning(value):
    torch = pytest.importorskip("torch")
    t = ad.tensor(value, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ad.logcumsumexp(t, 0)
        out.backward()
    reference = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    torch.logcumsumexp(reference, 0).backward()
    assert out.shape == () and out.item() == value
    assert t.grad == reference.grad.item() == 1.0
    assert ad.jacfwd(lambda x: ad.logcumsumexp(x, -1))(ad.tensor(value)) == 1.0
