"""``ad.autograd.forward_ad``: dual tensors against central differences, ``ad.func.jvp``
and PyTorch's ``torch.autograd.forward_ad`` (skipped without torch), and its errors."""

from __future__ import annotations

import types

import numpy as np
import pytest

import autodiff as ad
from autodiff import forward_ad as forward_ad_module
from autodiff import inplace
from autodiff.ops import registry

from transform_checks import central_jacobian

fwAD = ad.autograd.forward_ad
rng = np.random.default_rng(0)


def _namespace(lib):
    """What the cases below call, for ``ad`` and for ``torch``."""
    functional = lib.nn.functional
    return types.SimpleNamespace(
        sin=lib.sin, exp=lib.exp, tanh=lib.tanh, sqrt=lib.sqrt, abs=lib.abs,
        softmax=lambda x: functional.softmax(x, dim=-1),
        logsumexp=lambda x: lib.logsumexp(x, dim=-1),
        where=lib.where, cat=lib.cat, stack=lib.stack)


# Each case: (function of (x, namespace, constant W), shape of x).
CASES = {
    "elementwise chain": (lambda x, n, W: n.tanh(n.sin(x) * n.exp(x) + x ** 2) / (1 + x * x),
                          (3, 4)),
    "sqrt abs": (lambda x, n, W: n.sqrt(n.abs(x) + 1) - x.clamp(-0.5, 0.5), (3, 4)),
    "matmul": (lambda x, n, W: (x @ W).tanh() @ W.T, (3, 4)),
    "reductions": (lambda x, n, W: n.stack([x.sum(dim=0), x.mean(dim=0) * 3,
                                            x.amax(dim=0), x.prod(dim=0)]), (3, 4)),
    "logsumexp softmax": (lambda x, n, W: n.softmax(x) * n.logsumexp(x).unsqueeze(-1),
                          (3, 4)),
    "indexing": (lambda x, n, W: n.cat([x[1:, ::2].reshape(-1), x[0], x[[2, 0], 1],
                                        x.T[1]]), (3, 4)),
    "where and broadcasting": (lambda x, n, W: n.where(x > 0, x * x, -x) + x.sum(dim=1,
                                                                              keepdim=True),
                               (3, 4)),
}
WEIGHT = rng.standard_normal((4, 5))


def _ad_tangent(func, x, v):
    with fwAD.dual_level():
        out = func(fwAD.make_dual(ad.tensor(x), ad.tensor(v)), _namespace(ad), ad.tensor(WEIGHT))
        unpacked = fwAD.unpack_dual(out)
        return unpacked.primal.data, unpacked.tangent.data


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangent_matches_central_differences(name):
    func, shape = CASES[name]
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    x[np.abs(x) < 0.1] += 0.3           # away from the kinks of abs, clamp and where
    primal, tangent = _ad_tangent(func, x, v)

    def values(z):
        return func(ad.tensor(z), _namespace(ad), ad.tensor(WEIGHT)).data
    np.testing.assert_allclose(primal, values(x))
    jacobian = central_jacobian(values, x).reshape(primal.size, x.size)
    np.testing.assert_allclose(tangent.ravel(), jacobian @ v.ravel(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangent_matches_torch(name):
    torch = pytest.importorskip("torch")
    tfwAD = torch.autograd.forward_ad
    func, shape = CASES[name]
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    primal, tangent = _ad_tangent(func, x, v)
    with tfwAD.dual_level():
        out = func(tfwAD.make_dual(torch.tensor(x), torch.tensor(v)), _namespace(torch),
                   torch.tensor(WEIGHT))
        expected = tfwAD.unpack_dual(out)
    np.testing.assert_allclose(primal, expected.primal.numpy())
    np.testing.assert_allclose(tangent, expected.tangent.numpy(), rtol=1e-10, atol=1e-12)


def test_matches_func_jvp_with_two_duals():
    x, y = rng.standard_normal(4), rng.standard_normal(4)
    vx, vy = rng.standard_normal(4), rng.standard_normal(4)

    def f(a, b):
        return ad.sin(a * b).cumsum(0) + ad.outer(a, b).sum(0)
    _, expected = ad.func.jvp(f, (ad.tensor(x), ad.tensor(y)), (ad.tensor(vx), ad.tensor(vy)))
    with fwAD.dual_level():
        out = f(fwAD.make_dual(ad.tensor(x), ad.tensor(vx)),
                fwAD.make_dual(ad.tensor(y), ad.tensor(vy)))
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.data, np.asarray(expected.data), rtol=1e-12)


def test_a_tensor_no_dual_reaches_has_no_tangent():
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 1.0]))
        plain = ad.tensor([3.0, 4.0]) * 2
        assert fwAD.unpack_dual(plain).tangent is None
        assert fwAD.unpack_dual(plain).primal is plain
        assert fwAD.unpack_dual(d > 1).tangent is None           # a bool result
        np.testing.assert_array_equal(fwAD.unpack_dual(ad.sign(d)).tangent.data, [0, 0])


def test_the_tutorials_first_example():
    import autodiff.autograd.forward_ad as tutorial_fwAD
    assert tutorial_fwAD is fwAD
    primal, tangent = ad.randn(10, 10, dtype=np.float64), ad.randn(10, 10, dtype=np.float64)
    plain_tensor = ad.randn(10, 10, dtype=np.float64)

    def fn(x, y):
        return x ** 2 + y ** 2
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual_input).tangent is tangent
        # a tangent laid out otherwise than its primal is copied into the primal's layout
        dual_input_alt = fwAD.make_dual(primal, tangent.T)
        assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
        np.testing.assert_array_equal(fwAD.unpack_dual(dual_input_alt).tangent.data,
                                      tangent.data.T)
        dual_output = fn(dual_input, plain_tensor)
        jvp = fwAD.unpack_dual(dual_output).tangent
    np.testing.assert_allclose(jvp.data, 2 * primal.data * tangent.data)
    assert fwAD.unpack_dual(dual_output).tangent is None


def test_unpack_returns_the_given_tangent_and_a_primal_without_one():
    x, v = ad.tensor([1.0, 2.0]), ad.tensor([0.5, -1.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        assert not d.requires_grad and d.is_leaf and d.grad_fn is None      # as torch
        unpacked = fwAD.unpack_dual(d)
        assert isinstance(unpacked, fwAD.UnpackedDualTensor)
        assert unpacked._fields == ("primal", "tangent")
        assert unpacked.tangent is v
        assert np.shares_memory(unpacked.primal.data, x.data)
        assert fwAD.unpack_dual(unpacked.primal).tangent is None
        assert fwAD.unpack_dual(unpacked.primal * 2).tangent is None
        assert fwAD.unpack_dual(d.detach()).tangent is None              # as torch
        assert fwAD.unpack_dual(ad.tensor(d.data)).tangent is None


def test_tangents_end_with_the_level():
    with fwAD.dual_level() as level:
        assert level == 0
        d = fwAD.make_dual(ad.tensor([1.0]), ad.tensor([1.0]))
        y = d * 3
        assert fwAD.unpack_dual(y).tangent.data.tolist() == [3.0]
    assert fwAD.unpack_dual(y).tangent is None and fwAD.unpack_dual(d).tangent is None
    assert registry.kernel_hook is None and inplace.dual_write is None
    level = fwAD.enter_dual_level()
    try:
        assert fwAD.unpack_dual(y).tangent is None            # not the new level's
    finally:
        fwAD.exit_dual_level(level=level)


def test_repr_shows_the_tangent_as_torch():
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor([1.0, 2.0], requires_grad=True), ad.ones(2))
        assert repr(d * 2) == "tensor([2., 4.], requires_grad=True, tangent=tensor([2., 2.]))"
        assert repr(fwAD.unpack_dual(d).primal) == "tensor([1., 2.], requires_grad=True)"
        assert repr(d > 1) == "tensor([False,  True])"
    assert repr(d * 2) == "tensor([2., 4.], requires_grad=True)"


def test_dual_level_as_decorator():
    @fwAD.dual_level()
    def tangent_of_square(x, v):
        return fwAD.unpack_dual(fwAD.make_dual(x, v) ** 2).tangent
    assert tangent_of_square(ad.tensor([3.0]), ad.tensor([1.0])).data.tolist() == [6.0]
    assert forward_ad_module._level is None


def test_backward_through_duals_reaches_the_primal():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, ad.tensor([1.0, 0.0]))
        assert d.requires_grad and not d.is_leaf
        y = (d ** 3).sum()
        tangent = fwAD.unpack_dual(y).tangent
        primal = fwAD.unpack_dual(y).primal
        assert primal.requires_grad
        primal.backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0])
    np.testing.assert_allclose(tangent.data, 3.0)


def test_inplace_updates_carry_the_tangent():
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor([1.0, 2.0, 3.0]), ad.tensor([1.0, 2.0, 3.0]))
        z = d * 2
        z.mul_(3)
        np.testing.assert_allclose(fwAD.unpack_dual(z).tangent.data, [6.0, 12.0, 18.0])
        z[0] = 5.0
        np.testing.assert_allclose(fwAD.unpack_dual(z).tangent.data, [0.0, 12.0, 18.0])
        plain = ad.zeros(3)
        plain.add_(d)                                   # a plain tensor becomes dual
        np.testing.assert_allclose(fwAD.unpack_dual(plain).tangent.data, [1.0, 2.0, 3.0])
        target = ad.zeros(3)
        target[1:] = d[:2] ** 2
        np.testing.assert_allclose(fwAD.unpack_dual(target).tangent.data, [0.0, 2.0, 8.0])
        copied = ad.zeros(3)
        copied.copy_(d)
        np.testing.assert_allclose(fwAD.unpack_dual(copied).tangent.data, [1.0, 2.0, 3.0])
        filled = d * 1
        filled.fill_(2.0)
        np.testing.assert_allclose(fwAD.unpack_dual(filled).tangent.data, [0.0, 0.0, 0.0])


def test_inplace_updates_match_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib, levels in ((ad, fwAD), (torch, torch.autograd.forward_ad)):
        with levels.dual_level():
            d = levels.make_dual(lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64),
                                 lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
            z = d.exp()
            z.mul_(d)
            z[1] = 0.5
            z.clamp_(0.0, 10.0)
            z += d * d
            results.append(np.asarray(levels.unpack_dual(z).tangent))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_an_op_under_no_grad_on_a_dual_raises_naming_it():
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor([1.0, 2.0]), ad.tensor([1.0, 1.0]))
        with ad.no_grad():
            with pytest.raises(RuntimeError, match=r"^sin: called under ad.no_grad\(\).*"
                                                   r"enable_grad"):
                ad.sin(d)
            with pytest.raises(RuntimeError, match="concatenate.*shape \\(2,\\)"):
                ad.concatenate([ad.ones(1), d])
            with pytest.raises(RuntimeError, match="in-place update.*no_grad"):
                ad.zeros(2).add_(d)
            with pytest.raises(RuntimeError, match="in-place update.*no_grad"):
                d.mul_(2)
            # Its primal carries no tangent, and plain tensors go on as ever.
            np.testing.assert_allclose((fwAD.unpack_dual(d).primal * 2).data, [2.0, 4.0])
            assert (ad.ones(2) * 3).data.tolist() == [3.0, 3.0]


def test_a_chain_of_unpacks_computes_each_tangent_once(monkeypatch):
    calls = []
    original = forward_ad_module._node_tangent
    monkeypatch.setattr(forward_ad_module, "_node_tangent",
                        lambda node, tangents: calls.append(node) or original(node, tangents))
    with fwAD.dual_level():
        h = fwAD.make_dual(ad.tensor([0.5]), ad.tensor([1.0]))
        steps = 300
        for _ in range(steps):
            h = h * 0.99 + 0.01
            fwAD.unpack_dual(h)
        # two nodes (multiply, add) per step, each once: linear, not quadratic
        assert len(calls) == 2 * steps
        np.testing.assert_allclose(fwAD.unpack_dual(h).tangent.data, [0.99 ** steps])


class _Exp(ad.Function):
    """The tutorial's Function with a jvp staticmethod (and no backward)."""

    @staticmethod
    def forward(ctx, foo):
        result = np.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, tangent):
        out = tangent * ctx.result
        del ctx.result
        return out


class _Cube(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_custom_functions_use_jvp_or_else_backward():
    x, v = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    with fwAD.dual_level():
        d = fwAD.make_dual(ad.tensor(x), ad.tensor(v))
        np.testing.assert_allclose(fwAD.unpack_dual(_Exp.apply(d)).tangent.data,
                                   np.exp(x) * v)
        np.testing.assert_allclose(fwAD.unpack_dual(_Cube.apply(d)).tangent.data,
                                   3 * x ** 2 * v)


def test_a_loss_on_a_function_jvp_tangent_refuses_backward():
    x = ad.tensor([0.5, 1.0], requires_grad=True)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(_Exp.apply(fwAD.make_dual(x, ad.ones(2)))).tangent
        np.testing.assert_allclose(tangent.data, np.exp([0.5, 1.0]))
        assert tangent.requires_grad and fwAD.unpack_dual(tangent).tangent is None
        with pytest.raises(RuntimeError, match="_Exp.jvp .*cannot be differentiated"):
            (tangent.sum() + x.sum()).backward()


def test_custom_function_jvp_matches_torch():
    torch = pytest.importorskip("torch")
    tfwAD = torch.autograd.forward_ad

    class TorchExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, foo):
            result = torch.exp(foo)
            ctx.result = result
            return result

        @staticmethod
        def jvp(ctx, gI):
            gO = gI * ctx.result
            del ctx.result
            return gO
    x, v = rng.standard_normal((10, 10)), rng.standard_normal((10, 10))
    with tfwAD.dual_level():
        expected = tfwAD.unpack_dual(TorchExp.apply(tfwAD.make_dual(
            torch.tensor(x, requires_grad=True), torch.tensor(v)))).tangent
    with fwAD.dual_level():
        ours = fwAD.unpack_dual(_Exp.apply(fwAD.make_dual(
            ad.tensor(x, requires_grad=True), ad.tensor(v)))).tangent
    np.testing.assert_allclose(ours.data, expected.detach().numpy(), rtol=1e-12)


def _laid_out(lib, value):
    """A weight or its tangent given as PyTorch lays it out, (out, in); ad.nn.Linear
    keeps (in, out)."""
    return value.T.copy() if lib is ad and value.ndim == 2 else value


def _mlp(lib, weights):
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.Tanh(), lib.nn.Linear(8, 3))
    for (name, p), value in zip(model.named_parameters(), weights):
        if lib is ad:
            p.data = _laid_out(ad, np.array(value))
        else:
            with lib.no_grad():
                p.copy_(lib.tensor(value))
    return model


def _mlp_jvps(lib, levels, functional_call, inputs, weights, tangents):
    """The tutorial's two ways: functional_call with dual parameters, and the module's
    parameters replaced by duals."""
    model = _mlp(lib, weights)
    def as_tensor(a):
        return lib.tensor(_laid_out(lib, a), dtype=lib.float64)
    params = dict(model.named_parameters())
    with levels.dual_level():
        duals = {name: levels.make_dual(p, as_tensor(t))
                 for (name, p), t in zip(params.items(), tangents)}
        out = functional_call(model, duals, (lib.tensor(inputs),))
        by_call = np.asarray(levels.unpack_dual(out).tangent.detach())
        for (name, p), t in zip(params.items(), tangents):
            module_name, _, attribute = name.rpartition(".")
            owner = model.get_submodule(module_name)
            delattr(owner, attribute)
            setattr(owner, attribute, levels.make_dual(p, as_tensor(t)))
        by_replacing = np.asarray(levels.unpack_dual(model(lib.tensor(inputs))).tangent.detach())
    return by_call, by_replacing


def _mlp_arguments():
    shapes = [(8, 4), (8,), (3, 8), (3,)]
    return (rng.standard_normal((5, 4)), [rng.standard_normal(s) for s in shapes],
            [rng.standard_normal(s) for s in shapes])


def test_mlp_with_dual_parameters_matches_central_differences():
    inputs, weights, tangents = _mlp_arguments()
    by_call, by_replacing = _mlp_jvps(ad, fwAD, ad.func.functional_call, inputs, weights,
                                      tangents)
    np.testing.assert_allclose(by_call, by_replacing, rtol=1e-12)
    h = 1e-6

    def output(sign):
        moved = [w + sign * h * t for w, t in zip(weights, tangents)]
        return _mlp(ad, moved)(ad.tensor(inputs)).data
    np.testing.assert_allclose(by_call, (output(1) - output(-1)) / (2 * h), rtol=1e-6,
                               atol=1e-9)


def test_mlp_with_dual_parameters_matches_torch():
    torch = pytest.importorskip("torch")
    inputs, weights, tangents = _mlp_arguments()
    torch.set_default_dtype(torch.float64)
    try:
        expected = _mlp_jvps(torch, torch.autograd.forward_ad, torch.func.functional_call,
                             inputs, weights, tangents)
    finally:
        torch.set_default_dtype(torch.float32)
    ours = _mlp_jvps(ad, fwAD, ad.func.functional_call, inputs, weights, tangents)
    for got, want in zip(ours, expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_errors_where_pytorch_errors():
    x = ad.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists.*enter_dual_level"):
        fwAD.make_dual(x, ad.ones(2))
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"different size.*Tensor is of size \[2\] "
                                               r"while the given forward gradient is of "
                                               r"size \[3\]"):
            fwAD.make_dual(x, ad.ones(3))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(ad.tensor([1, 2]), ad.tensor([1, 2]))
        with pytest.raises(ValueError, match="Expected tangent to be floating point"):
            fwAD.make_dual(x, ad.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            with fwAD.dual_level():
                pass
        with pytest.raises(RuntimeError, match="not the last one"):
            fwAD.exit_dual_level(level=3)
        with pytest.raises(RuntimeError, match="Invalid level given to make_dual"):
            fwAD.make_dual(x, ad.ones(2), level=2)
        d = fwAD.make_dual(x, ad.ones(2))
        with pytest.raises(RuntimeError, match="already has a forward gradient"):
            fwAD.make_dual(d * 2, ad.ones(2))
        with pytest.raises(TypeError, match="make_dual: expected Tensors"):
            fwAD.make_dual(x, [1.0, 0.0])
        with pytest.raises(TypeError, match="unpack_dual: expected a Tensor"):
            fwAD.unpack_dual(3.0)
        with pytest.raises(NotImplementedError, match="tangent requires grad"):
            fwAD.make_dual(x, ad.ones(2, requires_grad=True))


def test_error_messages_match_torch():
    torch = pytest.importorskip("torch")
    tfwAD = torch.autograd.forward_ad
    attempts = {
        "no level": lambda m, lib: m.make_dual(lib.ones(2, dtype=lib.float64),
                                               lib.ones(2, dtype=lib.float64)),
        "exit none": lambda m, lib: m.exit_dual_level(),
    }
    inside = {
        "shape": lambda m, lib: m.make_dual(lib.ones(2, dtype=lib.float64),
                                            lib.ones(3, dtype=lib.float64)),
        "int primal": lambda m, lib: m.make_dual(lib.ones(2, dtype=lib.int64),
                                                 lib.ones(2, dtype=lib.int64)),
        "nested": lambda m, lib: m.enter_dual_level(),
        "wrong exit": lambda m, lib: m.exit_dual_level(level=3),
        "dual of dual": lambda m, lib: m.make_dual(
            m.make_dual(lib.ones(2, dtype=lib.float64), lib.ones(2, dtype=lib.float64)),
            lib.ones(2, dtype=lib.float64)),
    }
    for name, attempt in {**attempts, **inside}.items():
        messages = []
        for module, lib in ((fwAD, ad), (tfwAD, torch)):
            if name in inside:
                module.enter_dual_level()
            try:
                with pytest.raises(Exception) as caught:
                    attempt(module, lib)
            finally:
                if name in inside:
                    module.exit_dual_level()
            messages.append((caught.type, str(caught.value)))
        (ours_type, ours), (torch_type, theirs) = messages
        assert ours_type is torch_type, name
        assert theirs.split(" (")[0] in ours or theirs[:40] in ours, (name, ours, theirs)


def test_unpack_after_backward_freed_the_graph_raises():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        y = ad.sin(fwAD.make_dual(x, ad.ones(2))) * 2
        y.sum().backward()
        with pytest.raises(RuntimeError, match="unpack_dual: op .* released its saved "
                                               "values.*before backward"):
            fwAD.unpack_dual(y)


@pytest.mark.parametrize("name", ["elementwise chain", "matmul", "logsumexp softmax"])
def test_backward_through_the_tangent_matches_central_differences(name):
    """A loss on the tangent (a JVP penalty) differentiates through the primal values,
    as in PyTorch: the tangent of a node that requires grad is recorded."""
    func, shape = CASES[name]
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    weights = rng.standard_normal(func(ad.tensor(x), _namespace(ad), ad.tensor(WEIGHT)).shape)

    def penalty(z, requires_grad):
        primal = ad.tensor(z, requires_grad=requires_grad)
        with fwAD.dual_level():
            out = func(fwAD.make_dual(primal, ad.tensor(v)), _namespace(ad), ad.tensor(WEIGHT))
            tangent = fwAD.unpack_dual(out).tangent
            assert tangent.requires_grad == requires_grad
            assert fwAD.unpack_dual(tangent).tangent is None      # no tangent of its own
            loss = (tangent * ad.tensor(weights)).sum()
            if requires_grad:
                loss.backward()
        return float(loss.data), primal.grad
    _, gradient = penalty(x, True)
    expected = central_jacobian(lambda z: penalty(z, False)[0], x)
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


def test_backward_through_the_tangent_matches_torch():
    torch = pytest.importorskip("torch")
    func, shape = CASES["matmul"]
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    gradients = []
    for lib, levels in ((ad, fwAD), (torch, torch.autograd.forward_ad)):
        primal = lib.tensor(x, requires_grad=True)
        with levels.dual_level():
            out = func(levels.make_dual(primal, lib.tensor(v)), _namespace(lib),
                       lib.tensor(WEIGHT))
            (levels.unpack_dual(out).tangent ** 2).sum().backward()
        gradients.append(np.asarray(primal.grad))
    np.testing.assert_allclose(gradients[0], gradients[1], rtol=1e-10)
