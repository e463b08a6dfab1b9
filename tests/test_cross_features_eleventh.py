"""The tenth round's graph features (``saved_tensors_hooks``, node hooks on
``grad_fn``, ``once_differentiable``, ``Tensor.is_inference``) crossed with the
machinery they meet in user code: ``ad.compile``, ``detect_anomaly``, the function
transforms, second order, ``no_grad``/``inference_mode``, float32, complex values and
0-d shapes; compared with PyTorch where it runs them, else with the plain gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.autograd.forward_ad as fwAD
from autodiff.compile.refusals import TraceError
from cross_tenth_functions import once_differentiable_square

RNG = np.random.default_rng(1111)


def _hooked(lib, pack=lambda t: t, unpack=lambda t: t * 2):
    return lib.autograd.graph.saved_tensors_hooks(pack, unpack)


def _doubling_step():
    """A training step (SGD on exp(w x).sum()), and its parameter."""
    w = ad.nn.Parameter(np.linspace(-1, 1, 4))
    opt = ad.optim.SGD([w], lr=0.05)

    def step(x):
        opt.zero_grad()
        loss = (w * x).exp().sum()
        loss.backward()
        opt.step()
        return loss
    return step, w


# ----- saved_tensors_hooks ----------------------------------------------------------------

@pytest.mark.parametrize("inner", ["detect_anomaly", "saved_tensors_hooks"])
def test_saved_tensors_hooks_still_pack_inside_an_anomaly_block_or_an_inner_block(inner):
    # detect_anomaly entered inside the block took over the record hook: the hooks
    # stopped running and the gradient was the plain one, silently
    def gradient(lib):
        x = lib.tensor(np.array([0.5, 1.5]), requires_grad=True)
        with _hooked(lib):
            block = (lib.autograd.detect_anomaly() if inner == "detect_anomaly"
                     else _hooked(lib, unpack=lambda t: t * 3))
            with block:
                y = (x * x).sum()
            z = (x * x).sum()
        (y + z).backward()
        return np.asarray(x.grad)

    ours = gradient(ad)
    # multiply's rule reads each (unpacked) input once: x * x gives 2 x times the factor
    inner_factor = 2 if inner == "detect_anomaly" else 3
    np.testing.assert_allclose(ours, 2 * np.array([0.5, 1.5]) * (inner_factor + 2),
                               rtol=1e-15)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours, gradient(torch), rtol=1e-15)


def test_anomaly_mode_names_the_line_inside_a_saved_tensors_hooks_block():
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(ad.AnomalyError, match=r"(?s)sqrt.*created at .*y = ad.sqrt\(x\)"):
        with _hooked(ad, unpack=lambda t: t), ad.detect_anomaly():
            y = ad.sqrt(x).sum()
            y.backward()


def test_a_compiled_step_inside_a_saved_tensors_hooks_block_runs_the_hooks():
    # the trace lost its record hook to the block's after the first op and refused
    # the backward as reaching an op 'recorded before the call'
    results = []
    for compiled in (False, True):
        step, w = _doubling_step()
        step = ad.compile(step) if compiled else step
        with _hooked(ad):
            losses = [float(step(ad.tensor(np.full(4, 0.5 * i)))) for i in range(4)]
        results.append((losses, w.data.copy(), w.grad.copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][2], results[1][2])
    # the doubled values are used: 4 w exp(w x) ... differs from the plain gradient
    step, w = _doubling_step()
    compiled = ad.compile(step)
    for i in range(4):
        compiled(ad.tensor(np.full(4, 0.5 * i)))
    assert not np.allclose(w.data, results[1][1])


def test_a_plan_traced_outside_the_block_is_not_replayed_inside_it():
    step, w = _doubling_step()
    compiled = ad.compile(step)
    x = ad.tensor(np.full(4, 0.5))
    compiled(x)
    compiled(x)                                   # replayed
    before = w.data.copy()
    with _hooked(ad):
        compiled(x)
    grad = 4 * x.data * np.exp(before * x.data)   # the hooks doubled both factors
    np.testing.assert_allclose(w.grad, grad, rtol=1e-14)
    assert compiled.traces == 1


def test_entering_saved_tensors_hooks_inside_a_compiled_function_is_refused():
    w = ad.nn.Parameter(np.linspace(-1, 1, 4))

    @ad.compile
    def step(x):
        with ad.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            loss = (w * x).exp().sum()
        loss.backward()
        return loss

    with pytest.raises(TraceError, match=r"saved_tensors_hooks is entered at "
                                         r"test_cross_features_eleventh.py:\d+.*around the call"):
        step(ad.tensor(np.ones(4)))


def test_saved_tensors_hooks_under_vmap_of_grad_and_jacrev_match_the_eager_loop():
    # (PyTorch's torch.func refuses saved tensor hooks; the hooks apply as eagerly)
    def loss(x):
        with _hooked(ad):
            return (x * x).exp().sum()

    values = RNG.normal(size=(3, 2))
    eager = []
    for row in values:
        x = ad.tensor(row, requires_grad=True)
        loss(x).backward()
        eager.append(x.grad)
    np.testing.assert_allclose(ad.vmap(ad.grad(loss))(ad.tensor(values)), eager, rtol=1e-15)
    # exp reads its doubled output, multiply each doubled input: 8 x exp(x^2)
    np.testing.assert_allclose(eager, 8 * values * np.exp(values ** 2), rtol=1e-14)
    jac = ad.func.jacrev(lambda x: loss(x).reshape(1))(ad.tensor(values[0]))
    np.testing.assert_allclose(jac[0], eager[0], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_saved_tensors_hooks_with_float32_and_complex_values_match_torch(dtype):
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=3).astype(dtype)
    if dtype == np.complex128:
        values = values + 1j * RNG.normal(size=3)
    grads = []
    for lib in (ad, torch):
        t = lib.tensor(values, requires_grad=True)
        with _hooked(lib):
            y = (t * t.exp()).abs().sum()
        y.backward()
        grads.append(np.asarray(t.grad))
    assert grads[0].dtype == grads[1].dtype == values.dtype
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5 if dtype == np.float32 else 1e-13)


def _offloaded(lib, values, unpack_inside):
    """The tangent of exp(x * x) recorded with hooks that keep NumPy copies."""
    fw = lib.autograd.forward_ad
    pack = lambda t: t.detach().numpy().copy()                      # noqa: E731
    with fw.dual_level():
        with lib.autograd.graph.saved_tensors_hooks(pack, lambda a: lib.tensor(a)):
            dual = fw.make_dual(lib.tensor(values, requires_grad=True),
                                lib.tensor(np.ones_like(values)))
            y = (dual * dual).exp()
            if unpack_inside:
                return np.asarray(fw.unpack_dual(y).tangent.detach())
        return np.asarray(fw.unpack_dual(y).tangent.detach())


@pytest.mark.parametrize("unpack_inside", [True, False])
def test_tangents_of_ops_recorded_in_a_saved_tensors_hooks_block_match_torch(unpack_inside):
    # after the block the nodes had dropped their arrays: unpack_dual, func.jvp and
    # jacfwd said a backward had freed them
    values = RNG.normal(size=3)
    ours = _offloaded(ad, values, unpack_inside)
    np.testing.assert_allclose(ours, 2 * values * np.exp(values ** 2), rtol=1e-14)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ours, _offloaded(torch, values, unpack_inside), rtol=1e-14)


def test_jvp_and_jacfwd_of_a_function_entering_saved_tensors_hooks():
    def f(x):
        with ad.autograd.graph.saved_tensors_hooks(lambda t: t * 1.0, lambda t: t):
            return (x * x).exp()

    values = RNG.normal(size=3)
    _, tangent = ad.func.jvp(f, (ad.tensor(values),), (ad.tensor(np.ones(3)),))
    np.testing.assert_allclose(tangent.numpy(), 2 * values * np.exp(values ** 2), rtol=1e-14)
    np.testing.assert_allclose(ad.func.jacfwd(f)(ad.tensor(values)),
                               np.diag(2 * values * np.exp(values ** 2)), rtol=1e-14)
    x = ad.tensor(values, requires_grad=True)
    with ad.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = (x * x).exp().sum()
    with fwAD.dual_level():                 # (the packed graph still gives its backward)
        fwAD.unpack_dual(fwAD.make_dual(x * 1.0, ad.tensor(np.ones(3))) * 2)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * values * np.exp(values ** 2), rtol=1e-14)


# ----- node hooks (grad_fn.register_prehook / register_hook) ------------------------------

def test_node_hooks_in_a_compiled_function_are_refused_naming_which():
    for register in ("register_prehook", "register_hook"):
        w = ad.nn.Parameter(np.linspace(-1, 1, 4))

        def step(x, register=register, w=w):
            y = w * x
            if register == "register_prehook":
                y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
            else:
                y.grad_fn.register_hook(lambda gi, go: (gi[0] * 2, None))
            loss = (y ** 2).sum()
            loss.backward()
            return loss

        with pytest.raises(TraceError, match=rf"grad_fn\.{register}\) at .*handle\.remove"):
            ad.compile(step)(ad.tensor(np.ones(4)))


def test_a_node_hook_returning_another_shape_is_refused_naming_the_hook():
    # it was refused by sqrt's rule check, naming sqrt's rule and not the hook
    def halve(grad_inputs, grad_outputs):
        return (grad_inputs[0][:1],)

    x = ad.tensor([1.0, 4.0], requires_grad=True)
    y = ad.sqrt(x)
    y.grad_fn.register_hook(halve)
    with pytest.raises(ValueError, match=r"register_hook: the hook halve of sqrt's node "
                                         r"returned a gradient of shape \(1,\) for an input "
                                         r"of shape \(2,\)"):
        y.sum().backward()
    y = ad.sqrt(x)
    y.grad_fn.register_prehook(lambda go: (go[0][:1],))
    with pytest.raises(ValueError, match=r"register_prehook: the hook <lambda> returned"):
        y.sum().backward()


def _node_hooked_second_order(lib, values, create_graph):
    x = lib.tensor(values, requires_grad=True)
    y = x.sin() * x
    y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, gi[1]))
    g, = lib.autograd.grad(y.sum(), x, create_graph=create_graph)
    if create_graph:
        g.sum().backward()
    return np.asarray(g.detach().numpy()), None if x.grad is None else np.asarray(x.grad)


@pytest.mark.parametrize("create_graph", [False, True])
def test_node_hooks_with_second_order_match_torch(create_graph):
    values = RNG.normal(size=3)
    g, second = _node_hooked_second_order(ad, values, create_graph)
    # y = sin(x) x: the upstream 2, the hook adds 1 to sin(x)'s gradient 2 x
    np.testing.assert_allclose(g, (2 * values + 1) * np.cos(values) + 2 * np.sin(values),
                               rtol=1e-14)
    torch = pytest.importorskip("torch")
    theirs = _node_hooked_second_order(torch, values, create_graph)
    np.testing.assert_allclose(g, theirs[0], rtol=1e-14)
    if create_graph:
        np.testing.assert_allclose(second, theirs[1], rtol=1e-14)


def test_node_hooks_inside_vmap_of_grad_on_complex_and_0d_values_match_torch():
    torch = pytest.importorskip("torch")

    def loss(lib):
        def f(x):
            y = x.sin()
            y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
            return y.sum()
        return f

    values = RNG.normal(size=(2, 3))
    ours = ad.vmap(ad.grad(loss(ad)))(ad.tensor(values))
    theirs = torch.func.vmap(torch.func.grad(loss(torch)))(torch.tensor(values))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-15)
    grads = []
    for lib, value in [(ad, 1 + 2j), (torch, 1 + 2j), (ad, 1.5), (torch, 1.5)]:
        x = lib.tensor(value, requires_grad=True)
        y = x * x
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 3, gi[1]))
        (y.abs() ** 2).backward()
        grads.append(complex(np.asarray(x.grad)))
    assert grads[0] == pytest.approx(grads[1], rel=1e-14)
    assert grads[2] == pytest.approx(grads[3], rel=1e-14)


# ----- once_differentiable -----------------------------------------------------------------

def test_once_differentiable_under_first_order_transforms_and_refused_in_second():
    square = once_differentiable_square(ad)
    values = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(ad.vmap(ad.grad(lambda v: square.apply(v).sum()))(
        ad.tensor(values)), 2 * values, rtol=1e-15)
    np.testing.assert_allclose(ad.func.jacrev(square.apply)(ad.tensor(values[0])),
                               np.diag(2 * values[0]), rtol=1e-15)
    for second in (lambda f: ad.func.hessian(f), lambda f: ad.grad(ad.grad(f))):
        with pytest.raises(RuntimeError, match="once_differentiable"):
            second(lambda v: square.apply(v).sum())(ad.tensor(values[0]))


def test_once_differentiable_in_a_compiled_step_float32_and_0d():
    square = once_differentiable_square(ad)
    results = []
    for compiled in (False, True):
        w = ad.nn.Parameter(np.linspace(-1, 1, 4).astype(np.float32))
        opt = ad.optim.SGD([w], lr=0.05)

        def step(x, w=w, opt=opt):
            opt.zero_grad()
            loss = square.apply(w * x).sum()
            loss.backward()
            opt.step()
            return loss
        step = ad.compile(step, fuse=False) if compiled else step
        losses = [float(step(ad.tensor(np.float32([0.5, 1, 2, 3]) * i))) for i in range(5)]
        results.append((losses, w.data.copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[1][1].dtype == np.float32
    x = ad.tensor(np.float32(3.0), requires_grad=True)
    square.apply(x).backward()
    assert x.grad.shape == () and x.grad.dtype == np.float32 and float(x.grad) == 6.0
    with ad.inference_mode():
        y = square.apply(x)
    assert not y.requires_grad and y.is_inference()


# ----- is_inference ---------------------------------------------------------------------------

def test_a_detached_inference_tensor_is_one_as_torchs():
    # detach() gave a tensor that said it was not an inference tensor
    def flags(lib):
        with lib.inference_mode():
            t = lib.ones(3)
        normal = lib.ones(3)
        with lib.inference_mode():
            normal_detached = normal.detach()
        return [t.detach().is_inference(), t[1:].detach().is_inference(),
                normal_detached.is_inference(), (t.detach() * 2).is_inference()]

    assert flags(ad) == [True, True, False, False]
    torch = pytest.importorskip("torch")
    assert flags(torch) == flags(ad)


def test_a_compiled_function_called_inside_inference_mode_returns_inference_tensors():
    # the trace and the replays returned tensors that said they were not
    scale = ad.tensor([1.0, 2.0, 3.0])
    compiled = ad.compile(lambda x: (x * scale, x))
    outside = compiled(ad.tensor(np.ones(3)))
    assert not outside[0].is_inference()
    for i in range(3):
        x = ad.tensor(np.full(3, float(i)))
        with ad.inference_mode():
            product, same = compiled(x)
        assert product.is_inference() and product.data.tolist() == [i, 2 * i, 3 * i]
        assert not same.is_inference()              # the argument, made outside
    assert not compiled(ad.tensor(np.ones(3)))[0].is_inference()
