"""What the tenth round of PyTorch scripts found missing or different, each fixed at
the root and checked against PyTorch where it is installed: ``torch.autograd.graph.
saved_tensors_hooks`` (the "Hooks for saved tensors" tutorial: the hooks run, the
backward uses what ``unpack_hook`` returns, also in a backward inside the block, and
the packed values go with the pass unless ``retain_graph``); ``torch.autograd.function.
once_differentiable`` ("Fusing Convolution and Batch Norm"), which refuses a second
derivative; the note on PyTorch's spellings of NumPy methods (``x.transpose(0, 1)``,
``x.sum(dim=...)``) in a ``Function``'s forward and backward, which get arrays;
``StepLR``/``MultiStepLR``/``ExponentialLR``/``LinearLR`` followed by a group added
after them (the ``torch.optim`` docs); ``torch.distributions.kl`` with ``register_kl``;
``ctx.save_for_forward`` and ``torch.func.jvp`` using a ``Function``'s own ``jvp``
("Extending torch.func"); ``grad_fn.register_prehook`` / ``register_hook`` and
``torch.autograd.graph.Node`` ("Autograd mechanics"); a float32 attention mask in a
float64 Transformer ("Language Translation with nn.Transformer"); and a user's
``BasePruningMethod.compute_mask`` given Tensors ("Pruning")."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import autodiff as ad
from cross_tenth_functions import (exp_with_jvp, once_differentiable_square,
                                   optimizer_with_added_group)

RNG = np.random.default_rng(1010)


# ----- saved_tensors_hooks ---------------------------------------------------------------

def _doubled_unpack_gradients(lib, a_values, b_values, backward_inside):
    a = lib.tensor(a_values, requires_grad=True)
    b = lib.tensor(b_values, requires_grad=True)
    packed = []

    def pack_hook(t):
        packed.append(t)
        return t

    with lib.autograd.graph.saved_tensors_hooks(pack_hook, lambda t: t * 2):
        y = (a * b).exp().sum()
        if backward_inside:
            y.backward()
    if not backward_inside:
        y.backward()
    return np.asarray(a.grad), np.asarray(b.grad), any(t is a for t in packed)


@pytest.mark.parametrize("backward_inside", [False, True])
def test_the_backward_uses_what_unpack_hook_returns(backward_inside):
    a_values, b_values = RNG.normal(size=3), RNG.normal(size=3)
    grad_a, grad_b, leaf_packed = _doubled_unpack_gradients(ad, a_values, b_values,
                                                            backward_inside)
    # exp's rule reads its doubled output, multiply's the other doubled input
    product = np.exp(a_values * b_values)
    np.testing.assert_allclose(grad_a, 2 * product * 2 * b_values, rtol=1e-14)
    np.testing.assert_allclose(grad_b, 2 * product * 2 * a_values, rtol=1e-14)
    assert leaf_packed                  # pack_hook gets the leaf itself, as PyTorch's
    torch = pytest.importorskip("torch")
    theirs = _doubled_unpack_gradients(torch, a_values, b_values, backward_inside)
    np.testing.assert_allclose(grad_a, theirs[0], rtol=1e-14)
    np.testing.assert_allclose(grad_b, theirs[1], rtol=1e-14)
    assert theirs[2]


def test_packed_values_go_with_the_pass_unless_retain_graph():
    unpacked = []

    class Box:
        alive = 0

        def __init__(self, t):
            self.t = t.detach()
            Box.alive += 1

        def __del__(self):
            Box.alive -= 1

    def unpack_hook(box):
        unpacked.append(box)
        return box.t

    x = ad.tensor(RNG.normal(size=4), requires_grad=True)
    with ad.autograd.graph.saved_tensors_hooks(Box, unpack_hook):
        y = ad.tanh(x).sum()
    assert Box.alive > 0
    y.backward(retain_graph=True)
    first = len(unpacked)
    y.backward()
    assert first > 0 and len(unpacked) == 2 * first      # unpacked again in each pass
    unpacked.clear()
    gc.collect()
    assert Box.alive == 0
    np.testing.assert_allclose(x.grad, 2 / np.cosh(x.data) ** 2, rtol=1e-14)
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()


def test_second_derivatives_and_nested_blocks_through_packed_values():
    values = RNG.normal(size=3)
    calls = {"outer": 0, "inner": 0}

    def counting(name):
        def unpack(t):
            calls[name] += 1
            return t
        return unpack

    x = ad.tensor(values, requires_grad=True)
    with ad.autograd.graph.saved_tensors_hooks(lambda t: t, counting("outer")):
        s = ad.sin(x)
        with ad.autograd.graph.saved_tensors_hooks(lambda t: t, counting("inner")):
            y = (s * s).sum()
        g, = ad.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    assert calls["outer"] > 0 and calls["inner"] > 0
    # d/dx sum(2 sin x cos x) = 2 cos 2x
    np.testing.assert_allclose(x.grad, 2 * np.cos(2 * values), rtol=1e-13)


def test_an_unpack_hook_that_returns_another_shape_is_refused_naming_the_op():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with ad.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t[:1]):
        y = ad.exp(x).sum()
    with pytest.raises(RuntimeError, match=r"unpack_hook returned an array of shape \(1,\)"):
        y.backward()
    with pytest.raises(TypeError, match="pack_hook must be callable"):
        ad.autograd.graph.saved_tensors_hooks(None, lambda t: t)


def test_the_hooks_do_not_outlive_their_block():
    seen = []
    x = ad.tensor([0.5], requires_grad=True)
    with ad.autograd.graph.saved_tensors_hooks(lambda t: seen.append(1) or t, lambda t: t):
        pass
    (x * x).sum().backward()
    assert seen == [] and x.grad.tolist() == [1.0]


# ----- once_differentiable ----------------------------------------------------------------

def test_once_differentiable_runs_a_plain_backward_and_refuses_a_second_derivative():
    from autodiff.autograd.function import once_differentiable  # noqa: F401  (importable)
    values = RNG.normal(size=3)
    square = once_differentiable_square(ad)
    x = ad.tensor(values, requires_grad=True)
    square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * values, rtol=1e-15)
    assert ad.autograd.gradcheck(square.apply, (ad.tensor(values, requires_grad=True),))
    with pytest.raises(RuntimeError, match=r"differentiate twice .*once_differentiable.*"
                                           r"Square.backward"):
        ad.autograd.grad(square.apply(x).sum(), x, create_graph=True)
    torch = pytest.importorskip("torch")
    torch_square = once_differentiable_square(torch)
    t = torch.tensor(values, requires_grad=True)
    torch_square.apply(t).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15)
    g, = torch.autograd.grad(torch_square.apply(t).sum(), t, create_graph=True)
    with pytest.raises(RuntimeError):   # (PyTorch's g holds no derivative: refused later)
        g.sum().backward()


# ----- PyTorch's method spellings on a Function's arrays ----------------------------------

@pytest.mark.parametrize("line, error", [
    (lambda x: x.transpose(0, 1), ValueError),
    (lambda x: x.sum(dim=(0, 2)), TypeError),
    (lambda x: x.var(unbiased=True), TypeError),
    (lambda x: x.size(1), TypeError),
])
def test_a_tensor_method_on_a_functions_arrays_says_what_it_receives(line, error):
    class Uses(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            line(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(error) as raised:
        Uses.apply(ad.tensor(np.ones((2, 3, 4)), requires_grad=True))
    assert "Uses.forward receives NumPy arrays" in "".join(raised.value.__notes__)
    assert "ad.transpose(x, 0, 1)" in "".join(raised.value.__notes__)


# ----- schedules that step each group's current lr follow a group added later ------------

_FOLLOWING = {
    "StepLR": lambda S, opt: S.StepLR(opt, step_size=2, gamma=0.5),
    "MultiStepLR": lambda S, opt: S.MultiStepLR(opt, milestones=[1, 2]),
    "ExponentialLR": lambda S, opt: S.ExponentialLR(opt, gamma=0.5),
    "LinearLR": lambda S, opt: S.LinearLR(opt, total_iters=4),
}


def _lrs_with_a_group_added(lib, make):
    opt, sched = optimizer_with_added_group(lib, make)
    first, second = opt.param_groups[0]["params"][0], opt.param_groups[1]["params"][0]
    lrs = []
    for _ in range(5):
        (first.sum() + second.sum()).backward()
        opt.step()
        sched.step()
        lrs.append([group["lr"] for group in opt.param_groups])
    return lrs, sched.get_last_lr()


@pytest.mark.parametrize("name", sorted(_FOLLOWING))
def test_a_group_added_after_a_multiplying_schedule_follows_it(name):
    lrs, last = _lrs_with_a_group_added(ad, _FOLLOWING[name])
    assert len(last) == 2 and lrs[-1] == last
    if name == "ExponentialLR":
        np.testing.assert_allclose(lrs[-1], [0.1 * 0.5 ** 5, 0.5 ** 5], rtol=1e-15)
    torch = pytest.importorskip("torch")
    theirs = _lrs_with_a_group_added(torch, _FOLLOWING[name])
    np.testing.assert_allclose(lrs, theirs[0], rtol=1e-14)
    np.testing.assert_allclose(last, theirs[1], rtol=1e-14)


# ----- distributions.kl, register_kl; save_for_forward and func.jvp of a Function's jvp ---

def test_distributions_kl_module_and_register_kl_as_torch():
    from autodiff.distributions.kl import kl_divergence, register_kl

    def pair(lib):
        class Shifted(lib.distributions.Normal):
            pass

        @lib.distributions.kl.register_kl(Shifted, lib.distributions.Normal)
        def _kl_shifted(p, q):
            return (p.loc - q.loc) ** 2

        p = Shifted(lib.tensor([1.0, 2.0], dtype=lib.float64), 1.0)
        q = lib.distributions.Normal(lib.tensor(0.5, dtype=lib.float64), 2.0)
        return (lib.distributions.kl.kl_divergence(p, q),
                lib.distributions.kl_divergence(lib.distributions.Normal(1.0, 1.0), q))

    ours = pair(ad)
    assert kl_divergence is ad.distributions.kl_divergence and callable(register_kl)
    np.testing.assert_allclose(ours[0].numpy(), [0.25, 2.25], rtol=1e-15)
    with pytest.raises(TypeError, match="subclasses of Distribution"):
        register_kl(int, ad.distributions.Normal)
    torch = pytest.importorskip("torch")
    theirs = pair(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-15)


def _exp_with_forward_saved(lib):
    return exp_with_jvp(lib, lambda output: output * 0 + 2.0)   # (a jvp reading what it saved)


def test_func_jvp_uses_a_functions_jvp_and_what_save_for_forward_kept():
    values, tangent = RNG.normal(size=3), RNG.normal(size=3)
    MyExp = _exp_with_forward_saved(ad)
    x = ad.tensor(values)
    _, ours = ad.func.jvp(MyExp.apply, (x,), (ad.tensor(tangent),))
    np.testing.assert_allclose(ours.numpy(), 2.0 * tangent, rtol=1e-15)
    y = ad.tensor(values, requires_grad=True)
    MyExp.apply(y).sum().backward()             # backward still reads save_for_backward's
    np.testing.assert_allclose(y.grad, np.exp(values), rtol=1e-15)
    torch = pytest.importorskip("torch")
    _, theirs = torch.func.jvp(_exp_with_forward_saved(torch).apply,
                               (torch.tensor(values),), (torch.tensor(tangent),))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)


# ----- node hooks: grad_fn.register_prehook / register_hook --------------------------------

def _node_hooked_gradients(lib, values):
    x = lib.tensor(values, requires_grad=True)
    w = lib.tensor(values[::-1].copy(), requires_grad=True)
    y = x * w
    seen = []
    y.grad_fn.register_prehook(lambda gO: (gO[0] + 1,))
    handle = y.grad_fn.register_hook(
        lambda gI, gO: seen.append(len(gI)) or (gI[0] * 3, None))
    (y ** 2).sum().backward(retain_graph=True)
    first = (np.asarray(x.grad).copy(), w.grad)
    handle.remove()
    x.grad = None
    (y ** 2).sum().backward()
    return first, np.asarray(x.grad), seen, isinstance(y.grad_fn, lib.autograd.graph.Node)


def test_node_hooks_change_what_flows_back():
    values = RNG.normal(size=3)
    (first_x, first_w), second_x, seen, is_node = _node_hooked_gradients(ad, values)
    w = values[::-1]
    upstream = 2 * values * w + 1
    np.testing.assert_allclose(first_x, 3 * upstream * w, rtol=1e-14)
    assert first_w is None and seen == [2] and is_node
    np.testing.assert_allclose(second_x, upstream * w, rtol=1e-14)      # pre-hook stays
    with pytest.raises(TypeError, match="tuple of 2 gradient"):
        x = ad.tensor(values, requires_grad=True)
        y = x * 2.0 * x
        y.grad_fn.register_hook(lambda gI, gO: gO)
        y.sum().backward()
    torch = pytest.importorskip("torch")
    (t_first_x, t_first_w), t_second_x, t_seen, t_is_node = _node_hooked_gradients(torch,
                                                                                   values)
    np.testing.assert_allclose(first_x, t_first_x, rtol=1e-14)
    np.testing.assert_allclose(second_x, t_second_x, rtol=1e-14)
    assert t_first_w is None and t_seen == seen and t_is_node


# ----- a narrower float attention mask; compute_mask of a user's pruning method -------------

def test_a_float32_mask_with_a_padding_mask_in_a_float64_transformer_as_torch():
    torch = pytest.importorskip("torch")
    src, tgt = RNG.normal(size=(5, 2, 4)), RNG.normal(size=(4, 2, 4))
    padding = np.zeros((2, 4), bool)
    padding[1, 3] = True
    outs = []
    for lib in (torch, ad):
        layer = lib.nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0,
                                               dtype=lib.float64)
        if lib is torch:
            state = layer.state_dict()
        else:
            layer.load_torch_state_dict(state)
        mask = (lib.triu(lib.ones((4, 4))) == 1).T
        mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1, 0.0)
        assert mask.dtype == lib.float32
        out = layer(lib.tensor(tgt), lib.tensor(src), tgt_mask=mask,
                    tgt_key_padding_mask=lib.tensor(padding))
        outs.append(np.asarray(out.detach().numpy()))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-12, atol=1e-12)


class _EveryOther:
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def test_a_users_pruning_method_gets_tensors_as_torch():
    def pruned(lib):
        method = type("EveryOther", (lib.nn.utils.prune.BasePruningMethod,),
                      dict(vars(_EveryOther)))
        layer = lib.nn.Linear(3, 2)
        method.apply(layer, "bias")
        method.apply(layer, "weight")
        return np.asarray(layer.bias_mask), np.asarray(layer.weight_mask)

    bias_mask, weight_mask = pruned(ad)
    np.testing.assert_array_equal(bias_mask, [0.0, 1.0])
    # (the mask is computed in PyTorch's (out, in) layout and kept in Linear's (in, out))
    np.testing.assert_array_equal(weight_mask.T.ravel(), [0, 1, 0, 1, 0, 1])
    pytest.importorskip("torch.nn.utils.prune")
    import torch
    theirs = pruned(torch)
    np.testing.assert_array_equal(bias_mask, theirs[0])
    np.testing.assert_array_equal(weight_mask.T, theirs[1])
