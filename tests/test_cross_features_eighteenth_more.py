"""More of the eighteenth round's features crossed with the rest: ``clamp``/``clamp_`` of
complex values (``.grad`` and Tensors) refused as PyTorch's; float16 norms (``.grad``'s,
``Tensor.norm``, ``F.normalize``, ``F.cosine_similarity``, ``F.pairwise_distance``)
summed in float32 as PyTorch's; the dtype shorthands of ``.grad`` and ``state_dict``
arrays giving the array itself as PyTorch's; value reads as plan conditions with vmap
inside ``ad.compile``; ``where=``/``initial=`` reductions and the float-valued methods
of integer tensors under the transforms; ``AUTODIFF_JIT=0``."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.grad_arrays import GradArray

F = nn.functional
HALF_ULP_SPAN = 2      # float16 results: PyTorch's kernels round float32 sums their own way


def _within_half_ulps(ours, theirs, ulps=HALF_ULP_SPAN):
    """Each float16 entry within ``ulps`` units in the last place of PyTorch's."""
    ours = np.asarray(ours, np.float16).astype(np.float32)
    theirs = np.asarray(theirs, np.float16).astype(np.float32)
    spacing = np.spacing(np.abs(theirs).astype(np.float16)).astype(np.float32)
    assert np.all(np.abs(ours - theirs) <= ulps * spacing), (ours, theirs)


# ----- clamp of complex values -----------------------------------------------------------

COMPLEX = np.array([1 + 2j, 3 - 1j, -0.5j])


@pytest.mark.parametrize("call", [
    lambda t, ns: t.clamp(-1, 1), lambda t, ns: t.clamp_(-1, 1),
    lambda t, ns: ns.clamp(t, -1, 1), lambda t, ns: t.clamp(min=0),
])
def test_clamp_of_complex_tensors_is_refused_as_pytorchs(call):
    # (np.clip orders complex numbers by real part first: 1+2j became 1+0j silently)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="complex values .* no order to clamp by"):
        call(ad.tensor(COMPLEX), ad)
    with pytest.raises((RuntimeError, NotImplementedError)):
        call(torch.tensor(COMPLEX), torch)


def test_clamp_of_a_complex_grad_is_refused_and_leaves_it_as_it_was():
    torch = pytest.importorskip("torch")
    w = ad.tensor(COMPLEX, requires_grad=True)
    (w * w.conj()).real.sum().backward()
    before = w.grad.copy()
    with pytest.raises(TypeError, match="clamp_: complex values"):
        w.grad.clamp_(-1, 1)
    np.testing.assert_array_equal(w.grad, before)
    tw = torch.tensor(COMPLEX, requires_grad=True)
    (tw * tw.conj()).real.sum().backward()
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())
    with pytest.raises((RuntimeError, NotImplementedError)):
        tw.grad.clamp_(-1, 1)
    # NumPy's own clip keeps NumPy's order, and the real parts clip as the message says
    g = w.grad
    np.clip(g.real, -1, 1, out=g.real)
    np.testing.assert_array_equal(w.grad, np.clip(before.real, -1, 1) + 1j * before.imag)
    assert np.clip(ad.tensor(COMPLEX), -1, 1).shape == (3,)


def test_clamp_of_real_tensors_is_unchanged_under_grad_and_compile():
    x = np.array([-2.0, 0.5, 3.0])
    grad = ad.grad(lambda t: t.clamp(-1, 1).sum())(ad.tensor(x))
    np.testing.assert_array_equal(grad, [0.0, 1.0, 0.0])
    step = ad.compile(lambda t: t.clamp(min=0.0) * 2)
    np.testing.assert_array_equal(step(x).data, [0.0, 1.0, 6.0])
    np.testing.assert_array_equal(step(-x).data, [4.0, 0.0, 0.0])


# ----- float16 norms against PyTorch --------------------------------------------------------

HALF = np.array([[600.0, -500.0, 3.0], [1.0, 2.0, 3.0]], np.float16)
OTHER = np.array([[300.0, 200.0, -100.0], [1.0, 1.0, 1.0]], np.float16)


@pytest.mark.parametrize("p", ["fro", 1, 3, float("inf"), 0])
@pytest.mark.parametrize("dim", [None, 1])
def test_float16_tensor_norm_and_its_gradient_against_pytorch(p, dim):
    # (the squares of 600 and 500 overflowed float16: the norm was inf, its gradient 0)
    torch = pytest.importorskip("torch")
    x = ad.tensor(HALF, requires_grad=True)
    tx = torch.tensor(HALF, requires_grad=True)
    out, tout = x.norm(p, dim), tx.norm(p, dim)
    assert out.dtype == np.float16 and np.all(np.isfinite(out.data))
    _within_half_ulps(out.data, tout.detach().numpy())
    weights = np.arange(1.0, out.size + 1).reshape(out.shape).astype(np.float16)
    (out * ad.tensor(weights)).sum().backward()
    assert x.grad.dtype == np.float16
    # PyTorch's float16 backward overflows to NaN here: its float64 gradient, rounded
    wide = torch.tensor(HALF.astype(np.float64), requires_grad=True)
    (wide.norm(p, dim) * torch.tensor(weights.astype(np.float64))).sum().backward()
    expected = np.zeros(HALF.shape) if wide.grad is None else wide.grad.numpy()
    _within_half_ulps(x.grad, expected)


def test_float16_normalize_cosine_and_distance_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = ad.tensor(HALF, requires_grad=True)
    tx = torch.tensor(HALF, requires_grad=True)
    y, ty = F.normalize(x, dim=1), tf.normalize(tx, dim=1)
    _within_half_ulps(y.data, ty.detach().numpy())
    (y * ad.tensor(OTHER)).sum().backward()
    (ty * torch.tensor(OTHER)).sum().backward()
    # (the division's backward rounds in float16 in its own order: a few ulps apart
    # from PyTorch's, both within float16's precision of the float64 gradient)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-2, atol=1e-3)
    wide = torch.tensor(HALF.astype(np.float64), requires_grad=True)
    (tf.normalize(wide, dim=1) * torch.tensor(OTHER.astype(np.float64))).sum().backward()
    np.testing.assert_allclose(x.grad, wide.grad.numpy(), rtol=1e-2, atol=1e-3)
    _within_half_ulps(F.cosine_similarity(ad.tensor(HALF), ad.tensor(OTHER)).data,
                      tf.cosine_similarity(torch.tensor(HALF), torch.tensor(OTHER)).numpy())
    _within_half_ulps(F.pairwise_distance(ad.tensor(HALF), ad.tensor(OTHER)).data,
                      tf.pairwise_distance(torch.tensor(HALF), torch.tensor(OTHER)).numpy())


def test_float16_norm_under_compile_and_vmap():
    step = ad.compile(lambda t: t.norm(dim=1))
    for scale in (1.0, 0.5):
        np.testing.assert_array_equal(
            step(HALF * np.float16(scale)).data,
            ad.tensor(HALF * np.float16(scale)).norm(dim=1).data)
    mapped = ad.vmap(lambda row: row.norm())(ad.tensor(HALF))
    np.testing.assert_array_equal(mapped.data, ad.tensor(HALF).norm(dim=1).data)


def test_float16_grad_norm_agrees_with_the_tensor_norm():
    w = ad.tensor(np.ones((2, 3), np.float16), requires_grad=True)
    (w * ad.tensor(HALF)).sum().backward()
    assert w.grad.norm() == ad.tensor(HALF).norm().item()
    np.testing.assert_array_equal(w.grad.norm(p=1, dim=1), ad.tensor(HALF).norm(1, 1).data)


# ----- dtype shorthands of .grad and state_dict arrays -------------------------------------

def test_a_shorthand_of_the_arrays_own_dtype_is_the_array_as_pytorchs():
    torch = pytest.importorskip("torch")
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    tw = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (tw * tw).sum().backward()
    assert (w.grad.double() is w.grad) == (tw.grad.double() is tw.grad) is True
    w.grad.double().mul_(3)                     # (changes the gradient, as PyTorch's)
    tw.grad.double().mul_(3)
    np.testing.assert_array_equal(w.grad, tw.grad.numpy())
    half = w.grad.half()
    assert type(half) is GradArray and half.dtype == np.float16
    half.zero_()                                # (a copy: the gradient stays)
    np.testing.assert_array_equal(w.grad, [6.0, 12.0])
    state = nn.Linear(2, 2, rng=0).state_dict()
    weight = state["weight"]
    assert weight.double() is weight and weight.float() is not weight
    assert weight.float().dtype == np.float32 and weight.long().dtype == np.int64


def test_shorthands_of_tensors_under_the_transforms():
    torch = pytest.importorskip("torch")
    x = np.array([0.5, -1.25, 2.0])
    grad = ad.grad(lambda t: (t.float() ** 2).sum())(ad.tensor(x))
    tgrad = torch.func.grad(lambda t: (t.float() ** 2).sum())(torch.tensor(x))
    assert grad.dtype == np.float64 and tgrad.dtype == torch.float64
    np.testing.assert_array_equal(grad, tgrad.numpy())
    out, tangent = ad.jvp(lambda t: t.half(), (ad.tensor(x),), (ad.tensor(np.ones(3)),))
    assert out.dtype == tangent.dtype == np.float16
    assert ad.vmap(lambda t: t.long())(ad.tensor(x.reshape(3, 1))).dtype == np.int64
    step = ad.compile(lambda t: t.float() * 2)
    assert step(x).dtype == np.float32
    np.testing.assert_array_equal(step(x + 1).data, ((x + 1).astype(np.float32) * 2))


# ----- value reads, reductions and float-valued methods under the transforms ---------------

def test_a_value_read_chooses_the_plan_with_vmap_inside_compile():
    flag = ad.tensor(1)
    step = ad.compile(lambda a: ad.vmap(lambda r: r * 2 if flag.item() else r * 3)(a))
    got = []
    for value in (1, 0, 1):
        flag.fill_(value)
        got.append(step(np.ones((2, 3))).data[0, 0])
    assert got == [2.0, 3.0, 2.0] and step.traces == 2


def test_where_and_initial_reductions_under_compile_vmap_and_jacobians():
    torch = pytest.importorskip("torch")
    mask = np.array([True, False, True])
    x = np.array([0.5, -1.5, 2.0])
    step = ad.compile(lambda a: np.max(a, initial=-10.0, where=mask))
    assert [step(x + i).item() for i in range(3)] == [2.0, 3.0, 4.0]
    grad = ad.grad(lambda a: np.max(a, initial=-10.0, where=mask))(ad.tensor(x))
    tgrad = torch.func.grad(lambda a: torch.where(torch.tensor(mask), a, -10.0).max())(
        torch.tensor(x))
    np.testing.assert_array_equal(grad, tgrad.numpy())
    jac = ad.func.jacrev(lambda a: np.min(a, axis=1, initial=0.0))(ad.tensor(np.c_[x, -x]))
    jac_fwd = ad.func.jacfwd(lambda a: np.min(a, axis=1, initial=0.0))(ad.tensor(np.c_[x, -x]))
    np.testing.assert_array_equal(jac.data, jac_fwd.data)
    mapped = ad.vmap(lambda a: np.prod(a, initial=2.0))(ad.tensor(np.c_[x, x]))
    np.testing.assert_array_equal(mapped.data, 2.0 * x * x)


@pytest.mark.parametrize("method", ["sqrt", "exp", "log", "sigmoid", "rsqrt", "erf"])
def test_float_valued_methods_of_integer_tensors_under_the_transforms(method):
    torch = pytest.importorskip("torch")
    ints = np.array([[1, 4], [9, 16]])
    expected = getattr(torch.tensor(ints), method)().double().numpy()
    mapped = ad.vmap(lambda r: getattr(r, method)())(ad.tensor(ints))
    assert mapped.dtype == np.float64
    np.testing.assert_allclose(mapped.data, expected, rtol=1e-6)   # (PyTorch's in float32)
    step = ad.compile(lambda t: getattr(t, method)() * 2)
    for shift in (0, 1):
        np.testing.assert_array_equal(step(ints + shift).data,
                                      getattr(ad.tensor(ints + shift), method)().data * 2)


def test_grad_methods_and_clipping_with_the_numba_loops_off():
    # (the compiled replays without the fused loops: AUTODIFF_JIT=0 is read at import)
    code = textwrap.dedent("""
        import numpy as np, autodiff as ad
        from autodiff import nn
        X = np.random.default_rng(0).normal(size=(4, 3))
        def run(compiled):
            model = nn.Linear(3, 2, rng=0)
            opt = ad.optim.SGD(model.parameters(), lr=0.1)
            def step(x):
                opt.zero_grad()
                loss = (model(x) ** 2).sum()
                loss.backward()
                if compiled:
                    nn.utils.clip_grad_value_(model.parameters(), 0.5)
                else:
                    for p in model.parameters():
                        p.grad.clamp_(-0.5, 0.5)
                opt.step()
                return loss
            step = ad.compile(step) if compiled else step
            return [step(X + i).item() for i in range(3)], model.weight.data.copy()
        (a, wa), (b, wb) = run(False), run(True)
        assert a == b and np.array_equal(wa, wb), (a, b)
        print("same")
    """)
    env = dict(os.environ, AUTODIFF_JIT="0")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, cwd=os.getcwd())
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "same"


def test_sum_of_empty_dims_warns_once_per_trace_and_replays():
    step = ad.compile(lambda a: a.sum(()) * 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [step(np.arange(6.0).reshape(2, 3) + i).item() for i in range(3)]
    assert results == [30.0, 42.0, 54.0]
    assert 1 <= len(caught) and all("sum" in str(w.message) for w in caught)


# ----- p.data = ... of values that are no array ------------------------------------------

@pytest.mark.parametrize("value", [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], 3.0,
                                   np.float64(3.0)])
def test_parameter_data_set_to_a_list_or_number_is_refused_as_pytorchs(value):
    # (a list was stored as .data: the next forward failed far from this line; a
    # number raised "'float' object has no attribute 'shape'")
    torch = pytest.importorskip("torch")
    model = nn.Linear(2, 3, rng=0)
    before = model.weight.data.copy()
    with pytest.raises(TypeError, match="Parameter.data: must be an array or a tensor"):
        model.weight.data = value
    np.testing.assert_array_equal(model.weight.data, before)
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 3).weight.data = value


def test_parameter_data_set_to_a_torch_tensor_shares_its_memory_and_trains():
    torch = pytest.importorskip("torch")
    model = nn.Linear(2, 3, rng=0)
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    source = torch.ones(2, 3, dtype=torch.float64)
    model.weight.data = source
    assert type(model.weight.data) is np.ndarray
    source[0, 0] = 5.0                          # (the same memory, as PyTorch's)
    assert model.weight.data[0, 0] == 5.0
    (model(ad.ones(4, 2)) ** 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(model.weight.data, source.numpy())
    copied = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copied.weight.data, model.weight.data)


def test_grad_set_to_a_torch_tensor_names_torch_tensor():
    # (it said "assigned a Tensor", which reads as this library's)
    torch = pytest.importorskip("torch")
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"\.grad: assigned a torch\.Tensor; .*np\.asarray"):
        w.grad = torch.ones(2, dtype=torch.float64)
    w.grad = np.asarray(torch.ones(2, dtype=torch.float64))
    assert isinstance(w.grad, GradArray) and w.grad.norm() == pytest.approx(2 ** 0.5)


def test_float16_norm_tangent_against_pytorchs_float64_one():
    # (PyTorch's float16 tangent overflows to NaN here; ours is summed in float32)
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as torch_forward

    import autodiff.forward_ad as forward
    x, v = np.array([-700.0, 140.0, 450.0, 1000.0]), np.array([1.0, -2.0, 0.5, 3.0])
    with forward.dual_level():
        dual = forward.make_dual(ad.tensor(x.astype(np.float16)), ad.tensor(v.astype(np.float16)))
        out = forward.unpack_dual(dual.norm())
    with torch_forward.dual_level():
        dual = torch_forward.make_dual(torch.tensor(x), torch.tensor(v))
        expected = torch_forward.unpack_dual(dual.norm())
    assert out.primal.dtype == out.tangent.dtype == np.float16
    _within_half_ulps(out.primal.data, expected.primal.numpy())
    _within_half_ulps(out.tangent.data, expected.tangent.numpy())


def test_vmap_of_grad_through_remainder_and_narrow_against_pytorch():
    torch = pytest.importorskip("torch")
    rows = np.array([[-3.5, 0.7, 2.25, 5.0], [3.5, -0.7, -2.25, -5.0]])

    def ours(a):
        return (a.remainder(2.0).narrow(0, ad.tensor(1), 3) ** 2).sum()

    def theirs(a):
        return (a.remainder(2.0).narrow(0, 1, 3) ** 2).sum()

    grads = ad.vmap(ad.grad(ours))(ad.tensor(rows))
    expected = torch.vmap(torch.func.grad(theirs))(torch.tensor(rows))
    np.testing.assert_allclose(grads.data, expected.numpy(), rtol=1e-15)


@pytest.mark.parametrize("name, call", [
    ("addmm", lambda t, m: m.addmm(t, t, t, beta=0.5)),
    ("addmm", lambda t, m: t.addmm(t, t, alpha=2.0)),
    ("addmv", lambda t, m: t[0].addmv(t, t[0], alpha=0.5)),
    ("addr", lambda t, m: t.addr(t[0], t[1], beta=0.5)),
    ("baddbmm", lambda t, m: t[None].baddbmm(t[None], t[None], alpha=0.5)),
    ("addbmm", lambda t, m: t.addbmm(t[None], t[None], beta=0.5)),
])
def test_a_float_scale_of_integer_matrix_products_is_refused_as_addcmuls(name, call):
    # (a float64 result where PyTorch truncates the scale and keeps int64, silently)
    torch = pytest.importorskip("torch")
    ints = np.array([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match=f"{name}: .*is a float, but the tensors are "
                                        "integers"):
        call(ad.tensor(ints), ad)
    try:                        # (PyTorch's addr refuses; the others truncate)
        assert call(torch.tensor(ints), torch).dtype == torch.int64
    except RuntimeError as error:
        assert "must not be a floating point number" in str(error)
    as_floats = call(ad.tensor(ints.astype(np.float64)), ad)
    expected = call(torch.tensor(ints.astype(np.float64)), torch)
    np.testing.assert_array_equal(as_floats.data, expected.numpy())


# ----- Tensor methods on .grad --------------------------------------------------------------

def test_fgsm_grad_sign_against_pytorch():
    # (x.grad.sign(), the fast gradient sign method's step, raised NumPy's bare error)
    torch = pytest.importorskip("torch")
    start = np.array([[0.5, -1.0, 0.0], [2.0, -0.25, 1.5]])
    target = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    x = ad.tensor(start, requires_grad=True)
    ((x - ad.tensor(target)) ** 2).sum().backward()
    tx = torch.tensor(start, requires_grad=True)
    ((tx - torch.tensor(target)) ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.sign(), tx.grad.sign().numpy())
    adversarial = x.detach() + 0.1 * x.grad.sign()
    np.testing.assert_array_equal(adversarial.data,
                                  (tx.detach() + 0.1 * tx.grad.sign()).numpy())
    assert type(x.grad.sign()) is np.ndarray
    with pytest.raises(TypeError, match="sgn"):
        np.array([1j]).view(GradArray).sign()


@pytest.mark.parametrize("name, advice", [("exp", "np.exp(g) or ad.as_tensor(g).exp"),
                                          ("unsqueeze", "ad.as_tensor(g).unsqueeze")])
def test_a_tensor_method_on_grad_names_what_to_write(name, advice):
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(AttributeError, match=f"no attribute '{name}': .grad is a NumPy "
                                             "array") as info:
        getattr(w.grad, name)
    assert advice in str(info.value) and info.value.name == name
    with pytest.raises(AttributeError) as info, ad.no_grad():
        getattr(w.grad, name)
    assert "t.data and t.grad are NumPy arrays here" in " ".join(info.value.__notes__)
    with pytest.raises(AttributeError, match="'frobnicate'$"):
        w.grad.frobnicate                                   # noqa: B018
    assert not hasattr(w.grad, "_no_such_private")
