"""The twenty-second round's features crossed with the rest, training: float16
``clip_grad_norm_`` / ``clip_grads_with_norm_`` and the ``_foreach_`` functions on
``.grad`` arrays, the forgotten-``zero_grad`` warning beside the loops that zero in other
ways (compiled steps, closures, optimizers in backward hooks, GANs), ``detect_anomaly``
naming an overflow in the backward pass, ``atan2``'s zero gradient at the origin and
``lstsq(driver=)`` through the transforms and ``ad.compile``; against PyTorch."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import scipy.special as sc

import autodiff as ad
import autodiff.forward_ad as forward
from autodiff import nn

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((8, 3))


def _zero_grad_warnings(loop) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loop()
    return [w for w in caught if "zero_grad()" in str(w.message)]


# ----- _foreach_ functions on .grad arrays -------------------------------------------------

def _linear_with_grads(module):
    rng = np.random.default_rng(1)
    layer = module.Linear(3, 2)
    weights = {"weight": rng.standard_normal((2, 3)), "bias": rng.standard_normal(2)}
    if module is nn:
        layer.load_torch_state_dict(weights)
        (layer(ad.tensor(X)) ** 2).sum().backward()
    else:
        layer.load_state_dict({k: torch.tensor(v, dtype=torch.float32)
                               for k, v in weights.items()})
        (layer(torch.tensor(X, dtype=torch.float32)) ** 2).sum().backward()
    return layer


def test_pytorchs_manual_clipping_with_foreach_on_grads_is_pytorchs():
    ours, theirs = _linear_with_grads(nn), _linear_with_grads(torch.nn)
    grads = [p.grad for p in ours.parameters()]
    their_grads = [p.grad for p in theirs.parameters()]
    # (was: "_foreach_norm: item 0 is a GradArray, not a Tensor")
    norms = ad._foreach_norm(grads)
    total = float(np.linalg.norm([float(n) for n in norms]))
    their_total = float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(their_grads))))
    assert total == pytest.approx(their_total, rel=1e-6)      # (float32 against float64)
    ad._foreach_mul_(grads, 1.0 / total)
    torch._foreach_mul_(their_grads, 1.0 / their_total)
    # (a Linear's weight here is (in, out), PyTorch's (out, in))
    np.testing.assert_allclose(ours.weight.grad, their_grads[0].numpy().T, rtol=1e-5)
    np.testing.assert_allclose(ours.bias.grad, their_grads[1].numpy(), rtol=1e-5)
    ad._foreach_zero_(grads)
    assert not any(np.any(p.grad) for p in ours.parameters())


def test_foreach_on_grads_refuses_what_a_grad_array_lacks_by_name():
    grads = [p.grad for p in _linear_with_grads(nn).parameters()]
    for call, name in ((lambda: ad._foreach_mul(grads, 2.0), "mul"),
                       (lambda: ad._foreach_exp_(grads), "exp_")):
        with pytest.raises(TypeError, match=rf"a \.grad array \(p\.grad\) has no {name}:"):
            call()
    with pytest.raises(TypeError, match="item 1 is a float, not a Tensor"):
        ad._foreach_zero_([grads[0], 1.0])


def test_foreach_zero_of_the_grads_is_a_zeroing_to_the_zero_grad_warning():
    layer = nn.Linear(3, 1)
    optimizer = ad.optim.SGD(layer.parameters(), lr=0.01)

    def loop():
        for _ in range(3):
            grads = [p.grad for p in layer.parameters() if p.grad is not None]
            if grads:
                ad._foreach_zero_(grads)
            (layer(ad.tensor(X)) ** 2).mean().backward()
            optimizer.step()
    assert _zero_grad_warnings(loop) == []


# ----- float16 clipping inside a compiled step ---------------------------------------------

def test_float16_clipping_in_a_compiled_step_replays_the_eager_steps():
    model = nn.Linear(3, 1, dtype=np.float16)
    twin = copy.deepcopy(model)

    def make_step(net):
        optimizer = ad.optim.SGD(net.parameters(), lr=0.1)

        def step(x):
            optimizer.zero_grad()
            (net(x) ** 2).sum().backward()
            norm = nn.utils.clip_grad_norm_(net.parameters(), 0.5)
            optimizer.step()
            return norm
        return step

    compiled, eager = ad.compile(make_step(model)), make_step(twin)
    x = ad.tensor(np.full((4, 3), 3.0, dtype=np.float16))
    for _ in range(3):
        norm = compiled(x)
        assert norm.dtype == np.float16 and norm.item() == eager(x).item()
    np.testing.assert_array_equal(model.weight.detach(), twin.weight.detach())
    assert compiled.traces == 1


def test_float16_clipping_of_a_0d_and_an_empty_gradient_is_pytorchs():
    for values in (np.array(5.0, dtype=np.float16), np.zeros(0, dtype=np.float16)):
        p = ad.tensor(np.zeros_like(values), requires_grad=True)
        p.grad = values.copy()
        theirs = torch.zeros(values.shape, dtype=torch.float16, requires_grad=True)
        theirs.grad = torch.tensor(values)
        total = nn.utils.clip_grad_norm_([p], 1.0)
        their_total = torch.nn.utils.clip_grad_norm_([theirs], 1.0)
        assert total.dtype == np.float16 and total.item() == their_total.item()
        np.testing.assert_array_equal(p.grad, theirs.grad.numpy())


# ----- the forgotten-zero_grad warning beside loops that zero otherwise ---------------------

def _model_and_optimizer(kind=ad.optim.SGD, **settings):
    model = nn.Linear(3, 1)
    return model, kind(model.parameters(), lr=0.01, **settings)


def _loss(model):
    return (model(ad.tensor(X)) ** 2).mean()


def test_compiled_steps_that_zero_leave_no_warning_for_the_eager_steps_after():
    for zero_first in (True, False):
        model, optimizer = _model_and_optimizer()

        def step(x, zero_first=zero_first):
            if zero_first:
                optimizer.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            optimizer.step()
            if not zero_first:
                optimizer.zero_grad(set_to_none=False)
            return loss

        def loop(step=step, model=model, optimizer=optimizer):
            compiled = ad.compile(step)
            for _ in range(4):
                compiled(ad.tensor(X))
            for _ in range(3):
                optimizer.zero_grad()
                _loss(model).backward()
                optimizer.step()
        assert _zero_grad_warnings(loop) == []


def test_closures_optimizers_in_backward_hooks_and_gans_are_not_warned_about():
    def lbfgs():
        model, optimizer = _model_and_optimizer(ad.optim.LBFGS)

        def closure():
            optimizer.zero_grad()
            loss = _loss(model)
            loss.backward()
            return loss
        for _ in range(3):
            optimizer.step(closure)

    def in_backward():
        model = nn.Linear(3, 1)
        optimizers = {p: ad.optim.SGD([p], lr=0.01) for p in model.parameters()}

        def hook(p):
            optimizers[p].step()
            optimizers[p].zero_grad()
        for p in model.parameters():
            p.register_post_accumulate_grad_hook(hook)
        for _ in range(3):
            _loss(model).backward()

    def gan():
        generator, critic = nn.Linear(3, 3), nn.Linear(3, 1)
        g_opt = ad.optim.Adam(generator.parameters(), lr=1e-3)
        c_opt = ad.optim.Adam(critic.parameters(), lr=1e-3)
        for _ in range(3):
            c_opt.zero_grad()
            (critic(generator(ad.tensor(X)).detach()) ** 2).mean().backward()
            c_opt.step()
            g_opt.zero_grad()           # (the critic's grads, added into, zeroed above)
            (critic(generator(ad.tensor(X))) ** 2).mean().backward()
            g_opt.step()

    for loop in (lbfgs, in_backward, gan):
        assert _zero_grad_warnings(loop) == [], loop.__name__


def test_a_forgotten_zero_grad_with_a_grad_scaler_still_warns_at_the_step():
    model, optimizer = _model_and_optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # (the scaler disables itself on the CPU)
        scaler = ad.amp.GradScaler()

    def loop():
        for _ in range(3):
            scaler.scale(_loss(model)).backward()
            scaler.step(optimizer)
            scaler.update()
    found = _zero_grad_warnings(loop)
    assert len(found) == 1 and found[0].filename == __file__


# ----- detect_anomaly naming an overflow in the backward pass -------------------------------

OVERFLOWS = {"exp": (ad.exp, 1000.0, np.float64), "exp float16": (ad.exp, 12.0, np.float16),
             "sinh": (np.sinh, 1000.0, np.float64), "scipy expm1": (sc.expm1, 1000.0, np.float64),
             "scipy exp10": (sc.exp10, 400.0, np.float64),
             "scipy exp2": (sc.exp2, 2000.0, np.float64)}


@pytest.mark.parametrize("name", sorted(OVERFLOWS))
def test_an_overflowed_result_is_named_the_cause_of_its_inf_derivative(name):
    f, value, dtype = OVERFLOWS[name]
    x = ad.tensor(np.array([value], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ad.AnomalyError) as raised, ad.detect_anomaly():
            f(x).sum().backward()
    message = str(raised.value)
    # (was: "e.g. sqrt or log at 0, or division by 0; add an eps")
    assert f"overflowed to inf at those positions ({np.dtype(dtype).name} holds at most" \
        in message
    assert "sqrt or log at 0" not in message


def test_an_overflowing_product_of_finite_gradients_is_named():
    x = ad.tensor([700.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ad.AnomalyError, match=r"the upstream gradient times the local "
                           r"derivative, both finite, overflowed \(float64"), \
                ad.detect_anomaly():
            y = ad.exp(x)
            y.register_hook(lambda g: g * 1e300)
            y.sum().backward()


def test_the_where_trap_and_a_true_singularity_keep_their_own_causes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ad.AnomalyError, match="did not select these positions"), \
                ad.detect_anomaly():
            x = ad.tensor([1000.0], requires_grad=True)
            ad.where(x < 50, ad.exp(x), 0.0).sum().backward()
        with pytest.raises(ad.AnomalyError, match="sqrt or log at 0"), ad.detect_anomaly():
            x = ad.tensor([0.0], requires_grad=True)
            ad.sqrt(x).sum().backward()
        with pytest.raises(ad.AnomalyError, match=r"sent by log.*\n.*the inf: the result of "
                           "exp overflowed"), ad.detect_anomaly():
            x = ad.tensor([1000.0], requires_grad=True)
            ad.log(ad.exp(x)).sum().backward()


def test_an_overflow_inside_vmap_of_grad_and_a_compiled_step_is_named_too():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ad.AnomalyError, match="the result of exp overflowed"), \
                ad.detect_anomaly():
            ad.vmap(ad.grad(lambda r: ad.exp(r).sum()))(ad.tensor([[1.0], [1000.0]]))

        def step(t):
            loss = ad.exp(t).sum()
            loss.backward()
            return loss

        compiled = ad.compile(step)
        with pytest.raises(ad.AnomalyError, match="the result of exp overflowed"), \
                ad.detect_anomaly():
            for value in (1.0, 2.0, 1000.0):
                compiled(ad.tensor([value], requires_grad=True))


# ----- atan2 at the origin -------------------------------------------------------------------

Y0, X0 = np.array([0.0, 1.0, 0.0]), np.array([0.0, 2.0, -1.0])     # the first at the origin


def _torch_atan2_grads():
    y, x = torch.tensor(Y0, requires_grad=True), torch.tensor(X0, requires_grad=True)
    torch.atan2(y, x).sum().backward()
    return y.grad.numpy(), x.grad.numpy()


def test_atan2_at_the_origin_through_the_transforms_is_pytorchs():
    their_y, their_x = _torch_atan2_grads()
    y_grad, x_grad = ad.vmap(ad.grad(ad.atan2, argnums=(0, 1)))(ad.tensor(Y0), ad.tensor(X0))
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(X0), ad.tensor(np.ones(3)))
        tangent = forward.unpack_dual(np.arctan2(ad.tensor(Y0), dual)).tangent
    by_jacfwd = np.diag(ad.jacfwd(lambda y: ad.atan2(y, ad.tensor(X0)))(ad.tensor(Y0)))
    # 0 at the origin exactly; elsewhere x / r / r here, x / (x**2 + y**2) in PyTorch: an
    # ulp apart
    for ours, theirs in ((y_grad, their_y), (x_grad, their_x), (by_jacfwd, their_y),
                         (tangent, their_x)):
        assert ours[0] == 0
        np.testing.assert_allclose(ours, theirs, rtol=4e-16, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_atan2_at_the_origin_in_low_precision_and_in_a_compiled_step(dtype):
    def step(y, x):
        loss = ad.atan2(y, x).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, 4.0):
        y = ad.tensor((Y0 * scale).astype(dtype), requires_grad=True)
        x = ad.tensor((X0 * scale).astype(dtype), requires_grad=True)
        compiled(y, x)
        assert y.grad.dtype == dtype and y.grad[0] == 0 and x.grad[0] == 0
        their = torch.tensor((Y0 * scale).astype(dtype), requires_grad=True)
        torch.atan2(their, torch.tensor((X0 * scale).astype(dtype))).sum().backward()
        np.testing.assert_allclose(y.grad, their.grad.numpy(), rtol=np.finfo(dtype).eps)  # (1 ulp)
    assert compiled.traces == 1


# ----- lstsq(driver=) ---------------------------------------------------------------------------

A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
B = np.array([[1.0], [2.0], [2.5]])


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss", "gels"])
def test_lstsq_with_each_driver_through_grad_vmap_and_jacfwd_is_pytorchs(driver):
    a, b = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    ad.linalg.lstsq(a, b, driver=driver).solution.sum().backward()
    their_a, their_b = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    their_driver = driver if driver != "gels" else None       # (gels: PyTorch's CUDA one)
    torch.linalg.lstsq(their_a, their_b, driver=their_driver).solution.sum().backward()
    # (LAPACK's solvers differ in their last bits: bounded, not bitwise)
    np.testing.assert_allclose(a.grad, their_a.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.grad, their_b.grad.numpy(), rtol=1e-12, atol=1e-14)

    def solve(m):
        return ad.linalg.lstsq(m, ad.tensor(B), driver=driver).solution
    mapped = ad.vmap(solve)(ad.tensor(np.stack([A, 2 * A])))
    np.testing.assert_allclose(mapped[1], solve(ad.tensor(2 * A)), rtol=1e-13)
    jacobian = ad.jacfwd(solve)(ad.tensor(A))
    np.testing.assert_allclose(jacobian, ad.jacrev(solve)(ad.tensor(A)), rtol=1e-10,
                               atol=1e-13)


def test_lstsq_with_a_driver_in_a_compiled_step_is_refused_naming_what_to_do():
    compiled = ad.compile(lambda a: ad.linalg.lstsq(a, ad.tensor(B), driver="gelsd")
                          .solution.sum())
    with pytest.raises(ad.TraceError, match="lstsq .*rank.*Call it outside"):
        compiled(ad.tensor(A))
