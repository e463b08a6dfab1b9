"""A gradient hook that returns another dtype is refused, as PyTorch refuses it
("hook ... has changed the type of value"), instead of being cast back."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.node_hooks import HookDtypeError

DTYPE_CHANGES = [(np.float32, np.float64), (np.float64, np.float32),
                 (np.float64, np.complex128)]
PLACES = ["leaf", "intermediate", "node post-hook", "node pre-hook"]


def _hooked_loss(lib, place, dtype, to_dtype, cast):
    """``x`` and a loss of it whose backward runs a hook (``to_bad``) returning
    ``cast(gradient, to_dtype)``."""
    x = lib.ones(3, dtype=dtype, requires_grad=True)

    def to_bad(*grads):
        if place == "node post-hook":
            return (cast(grads[0][0], to_dtype),) + tuple(grads[0][1:])
        if place == "node pre-hook":
            return (cast(grads[0][0], to_dtype),)
        return cast(grads[0], to_dtype)

    if place == "leaf":
        x.register_hook(to_bad)
    y = x * 2
    if place == "intermediate":
        y.register_hook(to_bad)
    elif place == "node post-hook":
        y.grad_fn.register_hook(to_bad)
    elif place == "node pre-hook":
        y.grad_fn.register_prehook(to_bad)
    return x, y.sum()


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("dtype, to_dtype", DTYPE_CHANGES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_hook_changing_the_gradient_dtype_is_refused_naming_it(place, dtype, to_dtype,
                                                                  create_graph):
    _, loss = _hooked_loss(ad, place, dtype, to_dtype, lambda g, d: g.astype(d))
    method = "register_prehook" if place == "node pre-hook" else "register_hook"
    expected = (rf"{method}: the hook to_bad.* returned a gradient of dtype "
                rf"{np.dtype(to_dtype)} for a gradient of dtype {np.dtype(dtype)}; .*"
                rf"return one of dtype {np.dtype(dtype)}")
    with pytest.raises(HookDtypeError, match=expected) as caught:
        loss.backward(create_graph=create_graph)
    assert isinstance(caught.value, RuntimeError)       # PyTorch's error class


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("dtype, to_dtype", DTYPE_CHANGES)
def test_pytorch_refuses_the_same_hooks(place, dtype, to_dtype):
    torch = pytest.importorskip("torch")
    names = {np.float32: torch.float32, np.float64: torch.float64,
             np.complex128: torch.complex128}
    _, loss = _hooked_loss(torch, place, names[dtype], to_dtype,
                        lambda g, d: g.to(names[d]))
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        loss.backward()


@pytest.mark.parametrize("place", PLACES)
def test_a_hook_keeping_the_dtype_still_replaces_the_gradient(place):
    x, loss = _hooked_loss(ad, place, np.float32, np.float32,
                           lambda g, d: (g * 3).astype(d))
    loss.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [6.0, 6.0, 6.0])     # 2, times 3 by the hook


def test_a_float32_hook_result_keeps_float32_gradients():
    x = ad.ones(3, dtype=np.float32, requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 3)
    y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1,) + tuple(gi[1:]))
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [7.0, 7.0, 7.0])


@pytest.mark.parametrize("kind", ["register_full_backward_hook",
                                  "register_full_backward_pre_hook"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_module_backward_hook_changing_the_dtype_is_refused(kind, create_graph):
    layer = ad.nn.Linear(3, 2, dtype=np.float32)
    if kind == "register_full_backward_hook":
        getattr(layer, kind)(lambda module, gi, go: (gi[0].astype(np.float64),))
    else:
        getattr(layer, kind)(lambda module, go: (go[0].astype(np.float64),))
    x = ad.ones((1, 3), dtype=np.float32, requires_grad=True)
    with pytest.raises(HookDtypeError, match=r"Linear backward (pre-)?hook: the hook returned "
                                             r"a gradient of dtype float64 for entry 0, "
                                             r"whose gradient is float32"):
        layer(x).sum().backward(create_graph=create_graph)


@pytest.mark.parametrize("kind", ["register_full_backward_hook",
                                  "register_full_backward_pre_hook"])
def test_pytorch_refuses_the_same_module_hooks(kind):
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    if kind == "register_full_backward_hook":
        getattr(layer, kind)(lambda module, gi, go: (gi[0].double(),))
    else:
        getattr(layer, kind)(lambda module, go: (go[0].double(),))
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        layer(torch.ones(1, 3, requires_grad=True)).sum().backward()


def test_a_module_backward_hook_keeping_the_dtype_still_replaces_the_gradient():
    layer = ad.nn.Linear(3, 2, dtype=np.float32)
    layer.register_full_backward_hook(lambda module, gi, go: (gi[0] * 0 + 5,))
    x = ad.ones((1, 3), dtype=np.float32, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [[5.0, 5.0, 5.0]])
