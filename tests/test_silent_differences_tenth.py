"""Behaviours that differed from PyTorch's without saying so: a Function's own ``vmap``
rule (and ``generate_vmap_rule``) under ``vmap``, ``Tensor.is_inference`` of tensors
made in ``inference_mode``, and the dtypes of forward-mode tangents."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

X = np.arange(6.0).reshape(2, 3) - 2.5


def _square_function(base, rule=None, generate=False, with_setup=True):
    """A ``base`` Function for ``x ** 2`` (backward 7 * grad, so that its use shows),
    with ``rule`` as its vmap staticmethod."""
    body = {"generate_vmap_rule": generate,
            "backward": staticmethod(lambda ctx, grad: grad * 7)}
    if with_setup:
        body["forward"] = staticmethod(lambda x: x ** 2)
        body["setup_context"] = staticmethod(lambda ctx, inputs, output: None)
    else:
        body["forward"] = staticmethod(lambda ctx, x: x ** 2)
    if rule is not None:
        body["vmap"] = staticmethod(rule)
    return type("Square", (base,), body)


def _shifted_rule(seen):
    def rule(info, in_dims, x):
        seen.append((info.batch_size, info.randomness, tuple(in_dims)))
        return x ** 2 + 100, in_dims[0]
    return rule


# ----- a Function's vmap rule --------------------------------------------------------

def test_vmap_of_apply_calls_the_functions_vmap_rule_with_batch_size_and_in_dims():
    seen = []
    Square = _square_function(ad.autograd.Function, _shifted_rule(seen))
    np.testing.assert_array_equal(ad.func.vmap(Square.apply)(ad.tensor(X)).data, X ** 2 + 100)
    mapped = ad.func.vmap(Square.apply, in_dims=-1, out_dims=1, randomness="same")
    np.testing.assert_array_equal(mapped(ad.tensor(X)).data, X ** 2 + 100)
    assert seen == [(2, "error", (0,)), (3, "same", (1,))]


def test_the_rules_out_dims_are_moved_to_vmaps_out_dims_and_none_is_broadcast():
    def rule(info, in_dims, x):
        return (np.moveaxis(x, in_dims[0], 1) * 2, (x * 0).sum()), (1, None)
    Pair = _square_function(ad.autograd.Function, rule)
    doubled, total = ad.func.vmap(Pair.apply)(X)
    np.testing.assert_array_equal(doubled, 2 * X)
    np.testing.assert_array_equal(total, [0.0, 0.0])
    doubled, total = ad.func.vmap(Pair.apply, out_dims=(1, None))(X)
    np.testing.assert_array_equal(doubled, 2 * X.T)
    assert np.shape(total) == ()


def test_the_gradient_of_vmap_of_apply_flows_through_the_rules_operations():
    Square = _square_function(ad.autograd.Function, _shifted_rule([]))
    x = ad.tensor(X, requires_grad=True)
    ad.func.vmap(Square.apply)(x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * X)


def test_a_rule_called_from_inside_a_mapped_function_raises_rather_than_being_ignored():
    Square = _square_function(ad.autograd.Function, _shifted_rule([]))
    with pytest.raises(RuntimeError, match=r"Square defines a vmap staticmethod.*"
                                           r"vmap\(Square.apply\)"):
        ad.func.vmap(lambda x: Square.apply(x) * 2)(ad.tensor(X))
    with pytest.raises(RuntimeError, match="Square defines a vmap staticmethod"):
        ad.func.vmap(ad.func.grad(lambda x: Square.apply(x).sum()))(ad.tensor(X))
    assert Square.apply(ad.tensor(2.0)).item() == 4.0      # outside vmap: forward


def test_generate_vmap_rule_maps_forward_and_the_refusals_follow_torch():
    Generated = _square_function(ad.autograd.Function, generate=True)
    np.testing.assert_array_equal(ad.func.vmap(lambda x: Generated.apply(x) * 2)(X),
                                  2 * X ** 2)
    Both = _square_function(ad.autograd.Function, _shifted_rule([]), generate=True)
    with pytest.raises(RuntimeError, match="both generate_vmap_rule = True and a vmap"):
        ad.func.vmap(Both.apply)(X)
    for rule, generate, asked in ((None, True, "generate_vmap_rule"),
                                  (_shifted_rule([]), False, "a vmap staticmethod")):
        Old = _square_function(ad.autograd.Function, rule, generate, with_setup=False)
        with pytest.raises(RuntimeError, match=f"{asked}.* needs the form with setup_context"):
            ad.func.vmap(Old.apply)(X)
    # (neither: mapped example by example, the documented difference from torch)
    Plain = _square_function(ad.autograd.Function)
    np.testing.assert_array_equal(ad.func.vmap(Plain.apply)(X), X ** 2)


@pytest.mark.parametrize("returned, message", [
    (lambda x: x ** 2, "must return two values"),
    (lambda x: (x ** 2, (0, 0)), r"out_dims \(0, 0\) for 1 output"),
    (lambda x: (x ** 2, 2), "not an axis of the batch size"),
    (lambda x: (x.T ** 2, 0), "not an axis of the batch size"),
])
def test_a_rule_returning_the_wrong_thing_is_named(returned, message):
    Bad = _square_function(ad.autograd.Function, lambda info, in_dims, x: returned(x))
    with pytest.raises((TypeError, ValueError), match=f"Square.vmap.*{message}|{message}"):
        ad.func.vmap(Bad.apply)(X)


def test_vmap_rules_match_torch():
    torch = pytest.importorskip("torch")
    ours_seen, theirs_seen = [], []
    Ours = _square_function(ad.autograd.Function, _shifted_rule(ours_seen))
    Theirs = _square_function(torch.autograd.Function, _shifted_rule(theirs_seen))
    for in_dims, out_dims in ((0, 0), (1, 0), (-1, 1)):
        x = ad.tensor(X, requires_grad=True)
        t = torch.tensor(X, requires_grad=True)
        ours = ad.func.vmap(Ours.apply, in_dims=in_dims, out_dims=out_dims)(x)
        theirs = torch.func.vmap(Theirs.apply, in_dims=in_dims, out_dims=out_dims)(t)
        np.testing.assert_array_equal(ours.data, theirs.detach().numpy())
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-14)
    assert [(b, r, tuple(d)) for b, r, d in ours_seen] == \
        [(b, r, tuple(d)) for b, r, d in theirs_seen]
    Both = _square_function(torch.autograd.Function, _shifted_rule([]), generate=True)
    with pytest.raises(RuntimeError, match="both generate_vmap_rule=True"):
        torch.func.vmap(Both.apply)(torch.tensor(X))
    Old = _square_function(torch.autograd.Function, None, True, with_setup=False)
    with pytest.raises(RuntimeError, match="setup_context"):
        torch.func.vmap(Old.apply)(torch.tensor(X))


# ----- Tensor.is_inference -----------------------------------------------------------

def _made_in_inference_mode(lib, x):
    with lib.inference_mode():
        inside = lib.ones(2)
        made = {"product": x * x, "zeros": lib.zeros(2), "tensor": lib.tensor([1.0]),
                "index": x[0], "transpose": x.t(), "reshape": x.reshape(2),
                "clone": x.clone(), "sum": x.sum(), "from_numpy": lib.from_numpy(np.ones(2)),
                "as_tensor": lib.as_tensor(np.ones(2)), "expand": x.expand(2, 2),
                "arange": lib.arange(3.0), "zeros_like": lib.zeros_like(x),
                "view_of_an_inference_tensor": inside[0], "exp": lib.exp(x),
                "scalar_index": x[0, 1], "advanced_index": x[:, [0]],
                "diagonal": x.diagonal(), "unbind": x.unbind(0)[0]}
        with lib.inference_mode(False):
            made["inside_inference_mode_false"] = x * 2
    made["after"] = inside * 2
    made["before"] = x
    made["index_after"] = inside[1:]
    made["transpose_after"] = inside.reshape(2, 1).t()
    return {name: t.is_inference() for name, t in made.items()}


def test_is_inference_marks_tensors_made_in_inference_mode():
    x = ad.tensor([[1.0, 2.0]], requires_grad=True)
    flags = _made_in_inference_mode(ad, x)
    views = {"index", "transpose", "reshape", "expand", "inside_inference_mode_false",
             "after", "before", "scalar_index", "diagonal", "unbind"}
    assert flags == {name: name not in views for name in flags}
    with ad.inference_mode():
        y = x * x
    assert y.is_inference() and ad.is_inference(y) and not ad.is_inference(x)
    assert not (y * 2).is_inference()

    @ad.inference_mode()
    def decorated(a):
        return a + 1
    assert decorated(x).is_inference()


def test_a_compile_trace_inside_an_inference_block_leaves_the_marking_in_place():
    compiled = ad.compile(lambda v: ad.exp(v) * 2)
    x = ad.tensor([1.0, 2.0])
    with ad.inference_mode():
        np.testing.assert_allclose(compiled(x).data, 2 * np.exp([1.0, 2.0]))
        after = x * 3
    assert after.is_inference()
    assert not (x * 3).is_inference()


def test_an_inference_block_in_another_thread_marks_none_of_this_threads_tensors():
    import threading
    entered, release = threading.Event(), threading.Event()

    def other():
        with ad.inference_mode():
            entered.set()
            release.wait(10)
    thread = threading.Thread(target=other)
    thread.start()
    try:
        entered.wait(10)
        assert not (ad.ones(2) * 2).is_inference()
    finally:
        release.set()
        thread.join()


def test_is_inference_matches_torch():
    torch = pytest.importorskip("torch")
    ours = _made_in_inference_mode(ad, ad.tensor([[1.0, 2.0]], requires_grad=True))
    theirs = _made_in_inference_mode(
        torch, torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True))
    assert ours == theirs


def test_as_subclass_keeps_the_inference_flag():
    class Mine(ad.Tensor):
        pass
    with ad.inference_mode():
        made = ad.ones(2)
    assert made.as_subclass(Mine).is_inference()
    assert not ad.ones(2).as_subclass(Mine).is_inference()


# ----- forward-mode tangents of another dtype than their primal ----------------------

fwAD = ad.autograd.forward_ad
PRIMAL = np.array([0.3, -1.2, 2.0])
TANGENT = np.array([1.0, 0.5, -0.25])

# name: the op, for ad and torch alike
TANGENT_OPS = {
    "times two": lambda lib, d: d * 2, "divided": lambda lib, d: d / 3,
    "sin": lambda lib, d: lib.sin(d), "relu": lambda lib, d: lib.relu(d),
    "minus an array": lambda lib, d: d - d.detach(), "plus one": lambda lib, d: d + 1,
    "sum": lambda lib, d: d.sum(), "index": lambda lib, d: d[1:],
    "cumsum": lambda lib, d: d.cumsum(0), "float": lambda lib, d: d.float(),
    "double": lambda lib, d: d.double(), "half": lambda lib, d: d.half(),
    "where": lambda lib, d: lib.where(d.detach() > 0, d, 0.0),
}
DTYPE_PAIRS = [(np.float64, np.float32), (np.float32, np.float64), (np.float16, np.float32),
               (np.float32, np.float16)]


def _tangent_of(lib, primal_dtype, tangent_dtype, op):
    forward_ad = lib.autograd.forward_ad
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(lib.tensor(PRIMAL.astype(primal_dtype)),
                                    lib.tensor(TANGENT.astype(tangent_dtype)))
        return forward_ad.unpack_dual(op(lib, dual)).tangent


def test_a_float32_tangent_of_a_float64_primal_through_a_product_is_float64():
    tangent = _tangent_of(ad, np.float64, np.float32, TANGENT_OPS["times two"])
    assert tangent.dtype == np.float64
    np.testing.assert_array_equal(tangent.data, 2 * TANGENT.astype(np.float32))
    assert _tangent_of(ad, np.float64, np.float32, TANGENT_OPS["sum"]).dtype == np.float32


def test_a_cast_to_the_primals_own_dtype_leaves_the_tangent_as_it_is():
    tangent = _tangent_of(ad, np.float32, np.float64, TANGENT_OPS["float"])
    assert tangent.dtype == np.float64
    np.testing.assert_array_equal(tangent.data, TANGENT)
    assert _tangent_of(ad, np.float64, np.float32, TANGENT_OPS["double"]).dtype == np.float32
    assert _tangent_of(ad, np.float64, np.float32, TANGENT_OPS["float"]).dtype == np.float32
    assert _tangent_of(ad, np.float32, np.float64, TANGENT_OPS["half"]).dtype == np.float16


@pytest.mark.parametrize("primal_dtype, tangent_dtype", [(np.float32, np.float64),
                                                         (np.float64, np.float32)])
def test_a_matrix_product_of_duals_with_a_tangent_of_another_dtype_raises(primal_dtype,
                                                                         tangent_dtype):
    with fwAD.dual_level():
        a = fwAD.make_dual(ad.tensor(np.ones((2, 2), primal_dtype)),
                           ad.tensor(np.ones((2, 2), tangent_dtype)))
        with pytest.raises(RuntimeError, match=r"'matmul' of a dual tensor whose tangent "
                                               r"is float\d\d and primal float\d\d.*one dtype"):
            fwAD.unpack_dual(a @ a).tangent
        with pytest.raises(RuntimeError, match="'matmul'"):
            fwAD.unpack_dual(a @ ad.tensor(np.ones((2, 2), primal_dtype))).tangent
        same = fwAD.make_dual(ad.tensor(np.ones((2, 2))), ad.tensor(np.ones((2, 2))))
        np.testing.assert_array_equal(fwAD.unpack_dual(same @ same).tangent.data,
                                      np.full((2, 2), 4.0))


@pytest.mark.parametrize("dtypes", DTYPE_PAIRS)
@pytest.mark.parametrize("name", TANGENT_OPS)
def test_tangent_dtypes_match_torch(name, dtypes):
    torch = pytest.importorskip("torch")
    want = _tangent_of(torch, *dtypes, TANGENT_OPS[name])
    got = _tangent_of(ad, *dtypes, TANGENT_OPS[name])
    assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-3)


def test_matrix_products_of_mixed_dtype_duals_raise_in_torch_too():
    torch = pytest.importorskip("torch")
    with torch.autograd.forward_ad.dual_level():
        a = torch.autograd.forward_ad.make_dual(torch.ones(2, 2),
                                                torch.ones(2, 2, dtype=torch.float64))
        with pytest.raises(RuntimeError, match="same dtype"):
            a @ a
