"""Tensor.register_hook: PyTorch's semantics (autodiff/hooks.py)."""

import gc
import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff import hooks


def test_a_leaf_hook_sees_the_summed_gradient_once_and_can_replace_it():
    w = ad.tensor([3.0, -4.0], requires_grad=True)
    seen = []

    def clip(g):
        seen.append(g.copy())
        return np.clip(g, -1, 1)

    w.register_hook(clip)
    (w * 2 + w * w).sum().backward()             # 2 + 2w from two uses
    np.testing.assert_array_equal(seen, [[8.0, -6.0]])
    np.testing.assert_array_equal(w.grad, [1.0, -1.0])


def test_an_intermediate_hook_changes_what_flows_back_and_what_retain_grad_keeps():
    w = ad.tensor([3.0, -4.0], requires_grad=True)
    y = w * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 5)
    (y * y).sum().backward()                     # dL/dy = 2y = [12, -16]
    np.testing.assert_array_equal(y.grad, [60.0, -80.0])
    np.testing.assert_array_equal(w.grad, [120.0, -160.0])


def test_hooks_run_in_registration_order_and_none_leaves_the_gradient():
    x = ad.tensor([1.0], requires_grad=True)
    order = []
    x.register_hook(lambda g: order.append("first"))
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: order.append(("third", g.copy())))
    (x * 3).sum().backward()
    assert order[0] == "first" and order[1][0] == "third"
    np.testing.assert_array_equal(order[1][1], [4.0])
    np.testing.assert_array_equal(x.grad, [4.0])


def test_remove_unregisters_and_twice_is_harmless():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    handle.remove()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    # (hooked tensors of earlier tests may wait in cycles, e.g. a failed backward's
    # traceback, that only the collector frees; the registry holds them weakly)
    gc.collect()
    assert not hooks.registered


def test_a_hook_on_a_value_changed_in_place_later_sees_the_old_values_gradient():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    b.register_hook(lambda g: g * 100)
    b.mul_(3)                                    # b's gradient reaches the old value x3
    b.sum().backward()
    np.testing.assert_array_equal(a.grad, [300.0, 300.0])


def test_hooks_run_for_autograd_grad_and_backward_inputs():
    x = ad.tensor([2.0], requires_grad=True)
    h = x * x
    h.register_hook(lambda g: g * 10)
    x.register_hook(lambda g: g + 1)
    gx, gh = ad.autograd.grad((h * 3).sum(), [x, h])
    np.testing.assert_array_equal(gh.data, [30.0])
    np.testing.assert_array_equal(gx.data, [2 * 2.0 * 30.0 + 1])
    assert x.grad is None
    y = x * x
    y.register_hook(lambda g: g * 10)
    (y * 3).sum().backward(inputs=[x])
    np.testing.assert_array_equal(x.grad, [2 * 2.0 * 30.0 + 1])


def test_a_hook_on_the_loss_itself_scales_everything():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.register_hook(lambda g: g * 0.5)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


def test_under_create_graph_the_hook_gets_a_tensor_and_its_arithmetic_is_recorded():
    x = ad.tensor([1.5], requires_grad=True)
    y = x * x
    kinds = []

    def square_it(g):
        kinds.append(type(g))
        return g * y                             # recorded: depends on x

    handle = y.register_hook(square_it)
    (gx,) = ad.autograd.grad(y.sum(), [x], create_graph=True, retain_graph=True)
    assert kinds == [ad.Tensor]
    np.testing.assert_allclose(gx.data, [2 * 1.5 ** 3])     # g·y·2x = 2x³
    # The second pass goes through y again, so the hook runs there too (PyTorch gives
    # the same 24.75: torch.autograd.grad of the same program).
    (ggx,) = ad.autograd.grad(gx.sum(), [x], retain_graph=True)
    np.testing.assert_allclose(ggx.data, [24.75])
    handle.remove()
    (ggx,) = ad.autograd.grad(gx.sum(), [x])
    np.testing.assert_allclose(ggx.data, [6 * 1.5 ** 2])    # d(2x³)/dx alone


def test_a_hook_returning_the_wrong_shape_is_named():
    x = ad.tensor([1.0, 2.0], requires_grad=True)

    def bad(g):
        return g.sum()

    x.register_hook(bad)
    with pytest.raises(ValueError, match=r"register_hook: the hook bad returned a gradient of "
                                         r"shape \(\) for a gradient of shape \(2,\)"):
        (x * 3).sum().backward()


def test_registering_on_a_tensor_without_grad_or_with_a_non_function_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ad.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="must be callable"):
        ad.tensor([1.0], requires_grad=True).register_hook(3)


def test_hooks_keep_neither_the_graph_nor_the_leaf_alive():
    x = ad.tensor(np.ones(3), requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g)
    x.register_hook(lambda g: g)
    y.sum().backward()
    node = weakref.ref(y._node)
    leaf = weakref.ref(x)
    del x, y
    (ad.tensor([1.0], requires_grad=True) * 2).sum().backward()   # explain() keeps the last graph
    gc.collect()
    assert node() is None and leaf() is None
    assert not hooks.registered


def test_hooks_and_detect_anomaly_together():
    x = ad.tensor([1.0, 4.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    with ad.detect_anomaly():
        ad.sqrt(x).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.5])


def test_autograd_grad_gives_each_input_its_total_derivative_as_pytorch():
    x = ad.tensor([2.0], requires_grad=True)
    h = x * x
    gx, gh = ad.autograd.grad((h * 3).sum(), [x, h])    # torch: (tensor([12.]), tensor([3.]))
    np.testing.assert_array_equal(gx.data, [12.0])
    np.testing.assert_array_equal(gh.data, [3.0])


def test_backward_inputs_fills_only_those_grads_with_total_derivatives():
    x = ad.tensor([2.0], requires_grad=True)
    w = ad.tensor([1.0], requires_grad=True)
    h = x * x * w
    (h * 3).sum().backward(inputs=[x, h, x])            # a repeated input counts once
    np.testing.assert_array_equal(x.grad, [12.0])
    np.testing.assert_array_equal(h.grad, [3.0])
    assert w.grad is None
    with pytest.raises(RuntimeError, match=r"backward: inputs\[0\] \(shape \(1,\)\) does not "
                                           "require grad"):
        (ad.tensor([1.0], requires_grad=True) * 2).sum().backward(inputs=[ad.tensor([1.0])])


def test_a_compiled_step_whose_backward_runs_a_hook_is_refused_at_trace_time():
    w = ad.tensor(np.ones(3), requires_grad=True)
    handle = w.register_hook(lambda g: g * 2)
    opt = ad.optim.SGD([w], lr=0.1)

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    with pytest.raises(RuntimeError, match=r"compile: a gradient hook \(register_hook\) at "
                                           r".*test_hooks\.py.*replay of the plan would skip"):
        step(np.ones(3))
    handle.remove()
    step(np.ones(3))
    step(np.ones(3))
    np.testing.assert_allclose(w.data, [0.8, 0.8, 0.8])
