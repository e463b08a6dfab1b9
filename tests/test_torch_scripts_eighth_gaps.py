"""What the eighth round of PyTorch scripts found missing or different, each compared
with PyTorch: the second derivative of ``binary_cross_entropy_with_logits`` at a logit
of exactly 0 (a Newton step from zero weights), ``vector_to_parameters`` while a
``create_graph`` gradient is alive (Newton-CG), ``autograd.functional``'s results off
the tape without ``create_graph`` (no warning when the function reads parameters), and
``ad.func``'s transforms returning Tensors for Tensor arguments (per-sample gradients
that take ``.flatten(1).norm(dim=1)``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(85)


# ----- binary_cross_entropy_with_logits: smooth in the logit, also at 0 ------------------

@pytest.mark.parametrize("pos_weight", [None, [2.0, 0.5, 1.0, 3.0, 1.5]])
def test_bce_with_logits_hessian_matches_torch_at_zero_and_elsewhere(pos_weight):
    torch = pytest.importorskip("torch")
    logits = np.array([0.0, 0.0, 0.0, -1.3, 2.2])
    targets = np.array([1.0, 0.0, 0.3, 1.0, 0.7])
    F = ad.nn.functional
    x = ad.tensor(logits, requires_grad=True)
    pw = None if pos_weight is None else ad.tensor(pos_weight)
    loss = F.binary_cross_entropy_with_logits(x, ad.tensor(targets), pos_weight=pw)
    g, = ad.autograd.grad(loss, x, create_graph=True)
    h, = ad.autograd.grad(g.sum(), x)
    tx = torch.tensor(logits, requires_grad=True)
    tpw = None if pos_weight is None else torch.tensor(pos_weight)
    tloss = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(targets),
                                                                 pos_weight=tpw)
    tg, = torch.autograd.grad(tloss, tx, create_graph=True)
    th, = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-15)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(h.data, th.numpy(), rtol=1e-14, atol=1e-16)


def test_bce_with_logits_second_derivative_against_finite_differences_at_zero():
    targets = ad.tensor([1.0, 0.0, 0.5])

    def first_derivative(values):
        x = ad.tensor(values, requires_grad=True)
        loss = ad.nn.functional.binary_cross_entropy_with_logits(x, targets, reduction="sum")
        return ad.autograd.grad(loss, x)[0].data

    x = ad.zeros(3, requires_grad=True)
    loss = ad.nn.functional.binary_cross_entropy_with_logits(x, targets, reduction="sum")
    g, = ad.autograd.grad(loss, x, create_graph=True)
    h, = ad.autograd.grad(g.sum(), x)
    eps = 1e-5
    numerical = (first_derivative(np.full(3, eps)) - first_derivative(np.full(3, -eps))) / (2 * eps)
    np.testing.assert_allclose(h.data, numerical, rtol=1e-8)
    np.testing.assert_allclose(h.data, 0.25, rtol=1e-15)          # sigmoid'(0)


def test_bce_with_logits_keeps_relative_accuracy_for_hard_targets_of_either_sign():
    x = ad.tensor([-30.0, 30.0, -30.0, 30.0], requires_grad=True)
    t = ad.tensor([0.0, 1.0, 1.0, 0.0])
    per_item = ad.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    per_item.sum().backward()
    tiny = np.log1p(np.exp(-30.0))
    np.testing.assert_allclose(per_item.data, [tiny, tiny, 30 + tiny, 30 + tiny], rtol=1e-15)
    sigmoid_small = 1 / (1 + np.exp(30.0))
    np.testing.assert_allclose(x.grad, [sigmoid_small, -sigmoid_small, -1 + sigmoid_small,
                                        1 - sigmoid_small], rtol=1e-14)


def test_bce_with_logits_gradient_in_the_target_matches_torch():
    torch = pytest.importorskip("torch")
    logits, targets = RNG.normal(size=6), RNG.uniform(size=6)
    x, t = ad.tensor(logits), ad.tensor(targets, requires_grad=True)
    ad.nn.functional.binary_cross_entropy_with_logits(x, t).backward()
    tt = torch.tensor(targets, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(logits), tt).backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-14)


# ----- vector_to_parameters while a graph saved the parameters ---------------------------

def test_vector_to_parameters_while_a_create_graph_gradient_is_alive():
    torch = pytest.importorskip("torch")
    start, new = RNG.normal(size=3), RNG.normal(size=3)
    results = []
    for lib in (ad, torch):
        w = lib.nn.Parameter(lib.tensor(start))
        loss = (w ** 3).sum()
        g, = lib.autograd.grad(loss, [w], create_graph=True)
        lib.nn.utils.vector_to_parameters(lib.tensor(new), [w])
        results.append((np.array(w.detach().numpy()), g.detach().numpy()))
    np.testing.assert_allclose(results[0][0], new, rtol=0)
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=0)
    np.testing.assert_allclose(results[0][1], 3 * start ** 2, rtol=1e-15)


def test_the_graph_alive_through_vector_to_parameters_keeps_the_values_it_saved():
    start = RNG.normal(size=3)
    w = ad.nn.Parameter(ad.tensor(start))
    g, = ad.autograd.grad((w ** 3).sum(), [w], create_graph=True)
    ad.nn.utils.vector_to_parameters(ad.tensor(start + 1.0), [w])
    h, = ad.autograd.grad(g.sum(), [w])
    np.testing.assert_allclose(h.data, 6 * start, rtol=1e-15)   # the Hessian where it was taken
    np.testing.assert_allclose(w.data, start + 1.0, rtol=0)


# ----- autograd.functional: values off the tape without create_graph ---------------------

@pytest.mark.parametrize("name", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
def test_autograd_functional_results_do_not_require_grad_when_func_reads_parameters(name):
    torch = pytest.importorskip("torch")
    inputs = RNG.normal(size=(3, 2))
    flags, values = [], []
    ours = ad.nn.Linear(2, 2)
    theirs = torch.nn.Linear(2, 2).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.to_torch_state_dict().items()})
    for lib, model in ((ad, ours), (torch, theirs)):
        x = lib.tensor(inputs)

        def scalar(x, model=model):
            return model(x).tanh().pow(2).sum()

        AF = lib.autograd.functional
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if name == "jacobian":
                out = (AF.jacobian(model, x),)
            elif name == "hessian":
                out = (AF.hessian(scalar, x),)
            elif name in ("vjp", "jvp"):
                out = getattr(AF, name)(model, x, lib.ones_like(x))
            else:
                out = getattr(AF, name)(scalar, x, lib.ones_like(x))
        flags.append([t.requires_grad for t in out])
        values.append([t.detach().numpy() for t in out])
    assert flags[0] == flags[1] == [False] * len(flags[0])
    for ours, theirs in zip(*values):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


# ----- ad.func: Tensors in, Tensors out --------------------------------------------------

def test_func_transforms_return_tensors_for_tensor_arguments_as_torch_func():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(4, 3))
    results = []
    for lib in (ad, torch):
        func = lib.func
        params = {"w": lib.tensor(values[0]), "b": lib.tensor(values[1, 0])}

        def loss(p, x):
            return (p["w"] * x).sum().tanh() * p["b"]

        x = lib.tensor(values[2])
        per_sample = func.vmap(func.grad(loss), in_dims=(None, 0))(params, lib.tensor(values))
        norms = per_sample["w"].flatten(1).norm(dim=1)
        grad_b, value = func.grad_and_value(loss)(params, x)
        jac = func.jacrev(lambda x: x.sin() * x)(x)
        jac_fwd = func.jacfwd(lambda x: x.sin() * x)(x)
        hess = func.hessian(lambda x: x.sin().sum() * x.sum())(x)
        out, tangent = func.jvp(lambda x: x.exp(), (x,), (lib.ones_like(x),))
        out_v, vjp_fn = func.vjp(lambda x: x.exp(), x)
        cotangent, = vjp_fn(lib.ones_like(x))
        found = [per_sample["w"], per_sample["b"], norms, grad_b["w"], value, jac, jac_fwd,
                 hess, out, tangent, out_v, cotangent]
        assert all(isinstance(t, lib.Tensor) for t in found)
        results.append([t.detach().numpy() for t in found])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


def test_func_transforms_keep_returning_arrays_for_array_arguments():
    func = ad.func
    x = np.array([0.5, -1.0])
    assert isinstance(func.grad(lambda x: (x ** 2).sum())(x), np.ndarray)
    assert isinstance(func.jacrev(lambda x: x ** 2)(x), np.ndarray)
    assert isinstance(func.hessian(lambda x: (x ** 3).sum())(x), np.ndarray)
    gradient, aux = func.grad(lambda x: ((x ** 2).sum(), "kept"), has_aux=True)(ad.tensor(x))
    assert isinstance(gradient, ad.Tensor) and aux == "kept"


# ----- autograd.grad(is_grads_batched=True), func.linearize ------------------------------

@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_with_batched_grad_outputs_matches_torch(create_graph):
    torch = pytest.importorskip("torch")
    values, weights = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 2, 3))
    results = []
    for lib in (ad, torch):
        x = lib.tensor(values, requires_grad=True)
        unused = lib.tensor([1.0], requires_grad=True)
        y = (x.sin() * x).sum(0)
        z = x.exp()
        gx, gu = lib.autograd.grad(y, [x, unused], lib.tensor(weights[:, 0]),
                                   retain_graph=True, create_graph=create_graph,
                                   allow_unused=True, is_grads_batched=True)
        assert gu is None and gx.shape == (4, 2, 3)
        pair = lib.autograd.grad([y, z], [x], [lib.tensor(weights[:, 1]), lib.tensor(weights)],
                                 is_grads_batched=True, retain_graph=create_graph)[0]
        second = (lib.autograd.grad(gx.sum(), x)[0] if create_graph else gx.sum(0))
        results.append([gx.detach().numpy(), pair.detach().numpy(),
                        second.detach().numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)


def test_grad_with_batched_grad_outputs_gives_the_rows_of_the_jacobian():
    x = ad.tensor(RNG.normal(size=3), requires_grad=True)
    rows, = ad.autograd.grad(x.tanh() * x[0], x, ad.eye(3, dtype=ad.float64),
                             is_grads_batched=True)
    expected = ad.autograd.functional.jacobian(lambda v: v.tanh() * v[0], x.detach())
    np.testing.assert_allclose(rows.data, expected.data, rtol=1e-15)


def test_grad_with_batched_grad_outputs_refuses_what_torch_refuses():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"is_grads_batched=True.*give grad_outputs"):
        ad.autograd.grad((x * x).sum(), x, is_grads_batched=True)
    with pytest.raises(ValueError, match=r"one leading batch dim of the same size"):
        ad.autograd.grad([x * 2, x * 3], x, [ad.ones(3, 2), ad.ones(4, 2)],
                         is_grads_batched=True)


def test_linearize_matches_torch_func_and_finite_differences():
    torch = pytest.importorskip("torch")
    values, tangents = RNG.normal(size=(3, 2)), RNG.normal(size=(2, 3, 2))
    results = []
    for lib in (ad, torch):
        def f(x, y):
            return (x.sin() * y).sum(-1), x @ y.T

        out, jvp_fn = lib.func.linearize(f, lib.tensor(values), lib.tensor(values[::-1].copy()))
        along = jvp_fn(lib.tensor(tangents[0]), lib.tensor(tangents[1]))
        results.append([t.detach().numpy() for t in (*out, *along)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)
    eps = 1e-6
    x, t = values, tangents[0]
    first = (np.sin(x + eps * t).sum(-1) - np.sin(x - eps * t).sum(-1)) / (2 * eps)
    _, jvp_fn = ad.func.linearize(lambda x: x.sin().sum(-1), ad.tensor(x))
    np.testing.assert_allclose(jvp_fn(ad.tensor(t)).data, first, rtol=1e-8)
    with pytest.raises(ValueError, match=r"linearize: jvp_fn expected 1 tangents, one per primal"):
        jvp_fn(ad.tensor(t), ad.tensor(t))


# ----- hooks for every module: register_module_forward_(pre_)hook ------------------------

def _hooked_run(lib):
    nn = lib.nn
    log = []
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    if lib is ad:
        state = {k: v for k, v in net.to_torch_state_dict().items()}
    else:
        net = net.double()
        state = None
    own = net[2].register_forward_hook(lambda m, args, out: log.append(("own", "Linear")))
    handles = [
        nn.modules.module.register_module_forward_pre_hook(
            lambda m, args: log.append(("pre", type(m).__name__))),
        nn.modules.module.register_module_forward_hook(
            lambda m, args, out: log.append(("post", type(m).__name__, tuple(out.shape)))),
        nn.modules.module.register_module_forward_hook(
            lambda m, args, kwargs, out: out * 2 if isinstance(m, nn.ReLU) else None,
            with_kwargs=True),
    ]
    return net, state, log, own, handles


def test_module_hooks_for_every_module_run_before_the_modules_own_as_torch():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(5, 3))
    ours, state, our_log, *ours_handles = _hooked_run(ad)
    theirs, _, their_log, *their_handles = _hooked_run(torch)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    try:
        out_ours = ours(ad.tensor(values))
        out_theirs = theirs(torch.tensor(values))
    finally:
        for own, handles in (ours_handles, their_handles):
            for handle in handles:
                handle.remove()
    assert our_log == their_log
    assert our_log[:2] == [("pre", "Sequential"), ("pre", "Linear")]
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-14)
    del our_log[:], their_log[:]
    again = ours(ad.tensor(values))
    assert our_log == [("own", "Linear")]                  # the global ones were removed
    np.testing.assert_allclose(again.data, theirs(torch.tensor(values)).detach().numpy(),
                               rtol=1e-14)


def test_a_module_hook_for_every_module_with_always_call_runs_when_forward_raises():
    torch = pytest.importorskip("torch")
    logs = []
    for lib in (ad, torch):
        log = []
        handle = lib.nn.modules.module.register_module_forward_hook(
            lambda m, args, out: log.append(out), always_call=True)
        try:
            with pytest.raises(Exception):
                lib.nn.Linear(3, 2)(lib.ones(1, 4))
        finally:
            handle.remove()
        logs.append(log)
    assert logs[0] == logs[1] == [None]
    with pytest.raises(TypeError, match=r"register_module_forward_hook: expected a callable"):
        ad.nn.modules.module.register_module_forward_hook(3)


def test_a_pre_hook_for_every_module_replaces_the_arguments_and_gradients_follow():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(2, 3))
    grads = []
    for lib in (ad, torch):
        handle = lib.nn.modules.module.register_module_forward_pre_hook(
            lambda m, args: (args[0] * 3,) if isinstance(m, lib.nn.Tanh) else None)
        try:
            x = lib.tensor(values, requires_grad=True)
            lib.nn.Sequential(lib.nn.Tanh())(x).sum().backward()
        finally:
            handle.remove()
        grads.append(np.asarray(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    np.testing.assert_allclose(grads[0], 3 / np.cosh(3 * values) ** 2, rtol=1e-12)


# ----- autograd.graph: save_on_cpu runs as without it (saved_tensors_hooks: tenth_gaps) --

def test_save_on_cpu_gives_the_gradients_of_the_block_without_it_as_torch():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(3, 2))
    grads = []
    for lib in (ad, torch):
        x = lib.tensor(values, requires_grad=True)
        with lib.autograd.graph.save_on_cpu(pin_memory=False):
            loss = (x.tanh() * x.exp()).sum()
        loss.backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-14)


# ----- torch.equal's spelling: the error of `if ad.equal(a, b):` names the method --------

def test_an_if_on_the_elementwise_equal_names_the_whole_tensor_method():
    a, b = ad.tensor([1.0, 2.0]), ad.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"torch.equal\(a, b\) is a.equal\(b\)"):
        if ad.equal(a, b):
            pass
    assert a.equal(b) is True and ad.tensor([1.0, 3.0]).equal(b) is False
