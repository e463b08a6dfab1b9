"""What a node hook (``grad_fn.register_hook`` / ``register_prehook``) may return,
checked as PyTorch checks it: a gradient for an input that gets none is refused (it
was dropped silently), as are a wrong shape, dtype or count, each naming the hook and
the node; PyTorch raises a RuntimeError for each of the same hooks."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.node_hooks import HookDtypeError


def _product(lib, hook, kind):
    """``a * b`` with ``b`` constant, the hook on the product's node, and its loss."""
    if lib is ad:
        a, b = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([3.0, 4.0])
    else:
        a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([3.0, 4.0], dtype=lib.float64)
    y = a * b
    (y.grad_fn.register_hook if kind == "post" else y.grad_fn.register_prehook)(hook)
    return a, y.sum()


def _gradient_for_the_constant(grad_inputs, grad_outputs):
    return grad_inputs[0], grad_inputs[0] * 0 + 1


def test_a_gradient_for_an_input_that_gets_none_is_refused_naming_the_node():
    a, loss = _product(ad, _gradient_for_the_constant, "post")
    with pytest.raises(RuntimeError, match=r"register_hook: the hook _gradient_for_the_constant "
                                           r"of multiply's node returned a gradient for input "
                                           r"1 \(shape \(2,\)\), which gets none.*None in its "
                                           r"place"):
        loss.backward()
    torch = pytest.importorskip("torch")
    _, theirs = _product(torch, _gradient_for_the_constant, "post")
    with pytest.raises(RuntimeError, match="can't replace a None gradient"):
        theirs.backward()


def test_none_in_its_place_is_taken_with_the_new_gradient():
    a, loss = _product(ad, lambda grad_inputs, grad_outputs: (grad_inputs[0] * 2, None), "post")
    loss.backward()
    np.testing.assert_array_equal(a.grad, [6.0, 8.0])


@pytest.mark.parametrize("kind, make, error, words", [
    ("post", lambda g: (np.ones(3), None), ValueError, r"of multiply's node returned a "
                                                       r"gradient of shape \(3,\)"),
    ("post", lambda g: (g.astype(np.float32), None), HookDtypeError, r"dtype float32"),
    ("post", lambda g: (g,), TypeError, r"tuple of 2 gradient\(s\), one per input"),
    ("pre", lambda g: (np.ones(3),), ValueError, r"register_prehook: .*shape \(3,\)"),
    ("pre", lambda g: (g, g), TypeError, r"register_prehook: .*tuple of one gradient"),
], ids=["post shape", "post dtype", "post count", "pre shape", "pre count"])
def test_a_wrong_shape_dtype_or_count_is_refused_as_pytorch(kind, make, error, words):
    def hook(*given):
        return make(given[0][0])
    _, loss = _product(ad, hook, kind)
    with pytest.raises(error, match=words):
        loss.backward()
    torch = pytest.importorskip("torch")

    def their_hook(*given):
        g = given[0][0]
        result = make(g.numpy())
        return tuple(None if r is None else (g if r is g.numpy() else torch.tensor(r))
                     for r in result)
    _, theirs = _product(torch, their_hook, kind)
    with pytest.raises(RuntimeError, match="hook 'their_hook' has"):
        theirs.backward()
