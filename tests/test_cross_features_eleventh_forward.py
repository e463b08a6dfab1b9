"""The tenth round's forward-mode and ``Function`` features crossed with the rest:
``make_dual`` with a tangent of another dtype (inside ``ad.compile``, through the ops
that pick or move entries, complex values), ``ctx.save_for_forward`` with a
Function's own ``jvp`` under ``jacfwd``/``vmap``/``hessian``, and Functions with
their own ``vmap`` rule or ``generate_vmap_rule`` under ``vmap(grad)``, ``jacrev``,
nested ``vmap`` and ``ad.compile``; against PyTorch and central differences."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.autograd.forward_ad as fwAD
from cross_tenth_functions import exp_with_jvp, power_function

RNG = np.random.default_rng(1112)


def _torch():
    return pytest.importorskip("torch")


# ----- make_dual with a tangent of another dtype ----------------------------------------------

def test_a_float32_primal_with_a_float64_tangent_replays_in_a_compiled_function():
    # make_dual compared strides in bytes, so a float64 tangent of a float32 primal was
    # laid out again with NumPy, an array the trace refused as made during the call
    w = ad.tensor(np.linspace(-1, 1, 4).astype(np.float32), requires_grad=True)

    def tangent(x):
        with fwAD.dual_level():
            dual = fwAD.make_dual(w * 1.0, x)
            return fwAD.unpack_dual(ad.tanh(dual * 2).sum()).tangent.detach()

    compiled = ad.compile(tangent, fuse=False)
    for i in range(4):
        x = ad.tensor(np.linspace(0, 1, 4) * i)
        got, want = compiled(x), tangent(x)
        assert got.dtype == want.dtype == np.float64
        np.testing.assert_array_equal(got.data, want.data)
    assert compiled.traces == 1


def test_a_tangent_of_the_primals_layout_is_given_back_as_it_is():
    primal = ad.tensor(np.ones(3, np.float32))
    tangent = ad.tensor(np.arange(3.0))
    with fwAD.dual_level():
        unpacked = fwAD.unpack_dual(fwAD.make_dual(primal, tangent)).tangent
    assert np.shares_memory(unpacked.data, tangent.data)


#: ops whose tangent picks, moves or pads the incoming one's entries: PyTorch keeps the
#: tangent's dtype there (the result was the wider of the two here)
_PICKING = {
    "clamp": lambda lib, d: d.clamp(0.3, 0.8),
    "max": lambda lib, d: d.max(),
    "amin": lambda lib, d: d.amin(),
    "flip": lambda lib, d: d.flip(0),
    "roll": lambda lib, d: d.roll(1),
    "cummax": lambda lib, d: d.cummax(0)[0],
    "gather": lambda lib, d: d.gather(0, lib.tensor([0, 2])),
    "pad": lambda lib, d: lib.nn.functional.pad(d, (1, 2)),
    "diag, trace": lambda lib, d: lib.diag(d).trace(),
    "diag, tril": lambda lib, d: lib.diag(d).tril(),
    # (and the others computing with the primal values take the wider dtype)
    "tanh": lambda lib, d: (d * 2).tanh(),
    "where": lambda lib, d: lib.where(d > 0.5, d, d * 3),
}


def _tangent(lib, primal, tangent, f):
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        return fw.unpack_dual(f(lib, fw.make_dual(lib.tensor(primal),
                                                  lib.tensor(tangent)))).tangent


@pytest.mark.parametrize("dtypes", [(np.float64, np.float32), (np.float32, np.float64)])
@pytest.mark.parametrize("name", sorted(_PICKING))
def test_mixed_dtype_tangents_through_picking_ops_as_torch(name, dtypes):
    torch = _torch()
    primal = np.array([0.2, 0.6, 1.0], dtypes[0])
    tangent = np.array([1.0, -1.0, 0.5], dtypes[1])
    ours = _tangent(ad, primal, tangent, _PICKING[name])
    theirs = _tangent(torch, primal, tangent, _PICKING[name])
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, f", [("abs", lambda lib, d: d.abs()),
                                     ("angle", lambda lib, d: d.angle()),
                                     ("abs(d * d)", lambda lib, d: (d * d).abs()),
                                     ("view_as_real", lambda lib, d: lib.view_as_real(d)),
                                     ("real", lambda lib, d: d.real)])
@pytest.mark.parametrize("dtypes", [(np.complex64, np.complex128),
                                    (np.complex128, np.complex64)])
def test_real_tangents_of_complex_duals_of_two_dtypes_as_torch(name, f, dtypes):
    # abs and angle gave the tangent's precision (PyTorch: the output's), view_as_real
    # the wider one (PyTorch: the tangent's)
    torch = _torch()
    primal = np.array([1 + 1j, 2 - 1j, 0.5j], dtypes[0])
    tangent = np.array([0.5j, 1.0, 1 + 1j], dtypes[1])
    ours, theirs = _tangent(ad, primal, tangent, f), _tangent(torch, primal, tangent, f)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_a_0d_mixed_dtype_dual_matches_central_differences():
    with fwAD.dual_level():
        dual = fwAD.make_dual(ad.tensor(np.float32(0.4)), ad.tensor(2.0))
        tangent = fwAD.unpack_dual((dual * 3).sin()).tangent
    assert tangent.shape == () and tangent.dtype == np.float64
    eps = 1e-3
    central = (np.sin(3 * (0.4 + 2 * eps)) - np.sin(3 * (0.4 - 2 * eps))) / (2 * eps)
    assert float(tangent) == pytest.approx(central, rel=1e-5)


@pytest.mark.parametrize("name, values, op", [
    ("var", np.linspace(-1, 1, 4), lambda d: d.var()),
    ("multiply", np.linspace(-1, 1, 4) + 1j, lambda d: (d * d).abs().sum()),
])
def test_a_tangent_derived_from_a_backward_rule_in_a_compiled_function_names_the_op(
        name, values, op):
    # it was refused as "backward(create_graph=True) through 'sum' is not supported"
    w = ad.tensor(values, requires_grad=True)

    def tangent(x):
        with fwAD.dual_level():
            dual = fwAD.make_dual(w * 1.0, x * (1 + 0j) if values.dtype.kind == "c" else x)
            return fwAD.unpack_dual(op(dual)).tangent.detach()

    eager = tangent(ad.tensor(np.ones(4)))                 # (runs eagerly)
    assert eager.shape == ()
    with pytest.raises(Exception, match=rf"unpack_dual at test_cross_features_eleventh_"
                                        rf"forward.py:\d+ needs the tangent of '{name}'"):
        ad.compile(tangent)(ad.tensor(np.ones(4)))


# ----- save_for_forward and a Function's own jvp ----------------------------------------------

@pytest.mark.parametrize("transform", ["jacfwd", "vmap_jvp", "vmap_jacfwd", "hessian",
                                       "jacrev_jacfwd"])
def test_a_functions_jvp_under_forward_transforms_matches_torch(transform):
    torch = _torch()
    values = RNG.normal(size=(2, 3))

    def run(lib):
        func, exp = lib.func, exp_with_jvp(lib, vmap_rule=True).apply
        return {
            "jacfwd": lambda: func.jacfwd(exp)(lib.tensor(values[0])),
            "vmap_jvp": lambda: func.vmap(lambda x, t: func.jvp(exp, (x,), (t,))[1])(
                lib.tensor(values), lib.tensor(values * 0 + 1)),
            "vmap_jacfwd": lambda: func.vmap(func.jacfwd(exp))(lib.tensor(values)),
            "hessian": lambda: func.hessian(lambda x: exp(x).sum())(lib.tensor(values[0])),
            "jacrev_jacfwd": lambda: func.jacrev(func.jacfwd(exp))(lib.tensor(values[0])),
        }[transform]()

    np.testing.assert_allclose(np.asarray(run(ad)), run(torch).numpy(), rtol=1e-14)


def test_a_functions_jvp_in_float32_0d_and_under_no_grad():
    exp = exp_with_jvp(ad).apply
    x32 = np.float32([0.5, -1.0])
    _, tangent = ad.func.jvp(exp, (ad.tensor(x32),), (ad.tensor(np.float32([1, 2])),))
    assert tangent.dtype == np.float32
    np.testing.assert_allclose(tangent.numpy(), np.exp(x32) * [1, 2], rtol=1e-6)
    _, tangent = ad.func.jvp(exp, (ad.tensor(0.5),), (ad.tensor(2.0),))
    assert tangent.shape == () and float(tangent) == pytest.approx(2 * np.exp(0.5), rel=1e-15)
    with ad.no_grad():
        _, tangent = ad.func.jvp(exp, (ad.tensor(x32),), (ad.tensor(np.float32([1, 1])),))
    np.testing.assert_allclose(tangent.numpy(), np.exp(x32), rtol=1e-6)


# ----- Functions with vmap rules ----------------------------------------------------------------

@pytest.mark.parametrize("transform", ["vmap_grad", "jacrev", "vmap_jacrev", "nested_vmap",
                                       "vmap_in_dims_1"])
@pytest.mark.parametrize("vmap_rule", [True, False])
def test_power_functions_with_and_without_vmap_rules_under_transforms(transform, vmap_rule):
    torch = _torch()
    values = RNG.normal(size=(3, 4))

    def run(lib, rule):
        func, cube = lib.func, power_function(lib.autograd.Function, 3, rule).apply
        x = lib.tensor(values)
        return {
            "vmap_grad": lambda: func.vmap(func.grad(lambda v: cube(v).sum()))(x),
            "jacrev": lambda: func.jacrev(cube)(x[0]),
            "vmap_jacrev": lambda: func.vmap(func.jacrev(cube))(x),
            "nested_vmap": lambda: func.vmap(func.vmap(cube))(x),
            "vmap_in_dims_1": lambda: func.vmap(cube, in_dims=1)(x),
        }[transform]()

    np.testing.assert_allclose(np.asarray(run(ad, vmap_rule)), run(torch, True).numpy(),
                               rtol=1e-14)


def test_a_vmap_rule_of_complex_float32_and_size_one_batches():
    cube = power_function(ad.autograd.Function, 3, True).apply
    z = RNG.normal(size=(2, 3)) + 1j * RNG.normal(size=(2, 3))
    np.testing.assert_allclose(ad.vmap(cube)(ad.tensor(z)).numpy(), z ** 3, rtol=1e-14)
    single = ad.vmap(cube)(ad.tensor(np.float32([[0.5, 2.0]])))
    assert single.shape == (1, 2) and single.dtype == np.float32
    np.testing.assert_allclose(single.numpy(), [[0.125, 8.0]], rtol=1e-7)


class _Scale(ad.autograd.Function):
    """x times k, with its own vmap rule that counts its calls."""
    calls = 0

    @staticmethod
    def forward(x, k):
        return x * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.k = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.k, None

    @staticmethod
    def vmap(info, in_dims, x, k):
        _Scale.calls += 1
        return _Scale.apply(ad.moveaxis(x, in_dims[0], 0), k), 0


def test_an_own_vmap_rule_inside_a_compiled_function_is_used_and_replayed():
    w = ad.tensor(np.ones(4), requires_grad=True)
    compiled = ad.compile(lambda x: ad.vmap(_Scale.apply, in_dims=(0, None))(x * w, 3.0))
    _Scale.calls = 0
    for i in range(3):
        x = RNG.normal(size=(2, 4))
        np.testing.assert_array_equal(compiled(ad.tensor(x)).data, 3.0 * x)
    assert _Scale.calls == 1 and compiled.traces == 1      # used at the trace only


def test_an_own_vmap_rule_inside_a_mapped_gradient_is_refused_saying_what_works():
    with pytest.raises(RuntimeError, match=r"_Scale defines a vmap staticmethod.*"
                                           r"generate_vmap_rule = True"):
        ad.vmap(ad.grad(lambda v: _Scale.apply(v, 3.0).sum()))(ad.tensor(np.ones((2, 3))))
