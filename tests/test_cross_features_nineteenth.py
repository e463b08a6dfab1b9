"""The nineteenth round's features crossed with the rest: ``as_strided`` (complex values,
the transforms, compile, double backward, ``no_grad``, anomaly mode), PyTorch's list of
einsum operands (one term too), bfloat16 torch Tensors given as values, optimizers'
implementation flags through compiled steps and copies."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from numba_off import assert_prints_ok_with_numba_loops_off
from numpy_program_checks import central_difference

X = np.array([0.5, -1.0, 2.0, 1.5, -0.25, 3.0])
Z = np.array([1 + 2j, -0.5j, 3 - 1j, 2 + 0.25j])
W = np.array([0.5 - 1j, 2j, 1.5, -1 + 1j, 0.25, 1j]).reshape(3, 2)


# ----- as_strided ------------------------------------------------------------------------

def _windows_loss(t):
    return (ad.as_strided(t, (4, 3), (1, 1)).sum(axis=1) ** 2).sum()


def test_as_strided_gradient_and_hessian_against_central_differences_and_pytorch():
    torch = pytest.importorskip("torch")
    grad = ad.grad(_windows_loss)(ad.tensor(X))
    np.testing.assert_allclose(
        grad, central_difference(lambda v: _windows_loss(ad.tensor(v)).item(), X),
        rtol=1e-6, atol=1e-6)
    hess = ad.hessian(_windows_loss)(ad.tensor(X))
    tx = torch.tensor(X)
    theirs = torch.autograd.functional.hessian(
        lambda t: torch.as_strided(t, (4, 3), (1, 1)).sum(1).pow(2).sum(), tx)
    np.testing.assert_allclose(hess, theirs.numpy(), rtol=1e-12)


def test_as_strided_of_complex_tensors_differentiates_as_pytorchs():
    # (as_strided and its adjoint refused complex values: their rules hold as written)
    torch = pytest.importorskip("torch")

    def loss(lib, t):
        y = lib.as_strided(t, (3, 2), (1, 1))
        return (y * lib.tensor(W)).abs().sum() + (y.conj() * y).real.sum()

    t = ad.tensor(Z, requires_grad=True)
    g, = ad.autograd.grad(loss(ad, t), [t], create_graph=True)
    gg, = ad.autograd.grad(g.abs().sum(), [t])
    tt = torch.tensor(Z, requires_grad=True)
    tg, = torch.autograd.grad(loss(torch, tt), tt, create_graph=True)
    tgg, = torch.autograd.grad(tg.abs().sum(), tt)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg, tgg.numpy(), rtol=1e-12)


def test_as_strided_of_complex_tensors_in_forward_mode_and_under_compile():
    tangent = Z * 1j
    out, jvp = ad.jvp(lambda a: ad.as_strided(a, (2, 2), (1, 1)), (ad.tensor(Z),),
                      (ad.tensor(tangent),))
    windows = np.lib.stride_tricks.sliding_window_view(Z, 2)[:2]
    np.testing.assert_array_equal(out, windows)
    np.testing.assert_array_equal(jvp, np.lib.stride_tricks.sliding_window_view(tangent, 2)[:2])
    step = ad.compile(lambda a: ad.as_strided(a, (3, 2), (1, 1)) * 2)
    for shift in (0, 1j, 2):
        np.testing.assert_array_equal(
            step(Z + shift).data, np.lib.stride_tricks.sliding_window_view(Z + shift, 2) * 2)


def test_as_strided_replays_and_batches_as_eager():
    f = ad.compile(lambda t: t.as_strided((2, 2), (2, 1), 1).sum(axis=0) * t[0])
    for shift in (0.0, 1.0, -3.0):
        eager = ad.tensor(X + shift).as_strided((2, 2), (2, 1), 1).sum(axis=0) * (X[0] + shift)
        np.testing.assert_array_equal(f(X + shift).data, eager.data)
    rows = np.stack([X, X[::-1], 2 * X])
    batched = ad.vmap(ad.grad(lambda t: (ad.as_strided(t, (3, 2), (2, 1)) ** 2).sum()))(
        ad.tensor(rows))
    for row, grad in zip(rows, batched):
        np.testing.assert_allclose(grad, central_difference(
            lambda v: float((np.lib.stride_tricks.as_strided(
                v, (3, 2), (2 * v.itemsize, v.itemsize)) ** 2).sum()), row), atol=1e-6)


def test_as_strided_under_no_grad_anomaly_and_with_empty_and_0d_inputs():
    with ad.no_grad():
        assert not ad.as_strided(ad.tensor(X, requires_grad=True), (2, 2), (1, 1)).requires_grad
    with ad.inference_mode():
        assert not ad.as_strided(ad.tensor(X, requires_grad=True), (2, 2), (1, 1)).requires_grad
    with ad.autograd.detect_anomaly():
        t = ad.tensor(np.array([0.0, 1.0, 4.0]), requires_grad=True)
        with pytest.raises(ad.AnomalyError, match="sqrt"):
            ad.as_strided(t, (2, 2), (1, 1)).sqrt().sum().backward()
    assert ad.as_strided(ad.tensor(np.zeros(0)), (0, 3), (1, 1)).shape == (0, 3)
    grad = ad.grad(lambda t: ad.as_strided(t, (3,), (0,)).sum())(ad.tensor(np.float64(2.0)))
    assert grad.shape == () and grad == 3.0
    with pytest.raises(ad.InPlaceError, match="read-only"):
        ad.tensor(X).as_strided((2, 2), (1, 1))[0, 1] = 100.0


def test_as_strided_copy_keeps_float32_and_float16_and_deepcopies_after_detach():
    for dtype in (np.float32, np.float16):
        t = ad.tensor(X.astype(dtype), requires_grad=True)
        y = ad.as_strided_copy(t, (3, 2), (2, 1))
        assert y.dtype == dtype
        (y * 2).sum().backward()
        assert t.grad.dtype == dtype
    copied = copy.deepcopy(y.detach())
    np.testing.assert_array_equal(copied.data, y.data)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(y.detach())).data, y.data)


# ----- einsum's list of operands ---------------------------------------------------------

A = np.arange(6.0).reshape(2, 3)
B = np.arange(12.0).reshape(3, 4) / 7


def test_einsum_of_a_list_with_one_term_takes_the_tensor_as_pytorchs():
    # (NumPy's reading of [a], an axis more than the term's letters, could only fail)
    torch = pytest.importorskip("torch")
    for subscripts in ("ij->ji", "ij->", "ij->i", "ij"):
        ours = ad.einsum(subscripts, [ad.tensor(A)])
        theirs = torch.einsum(subscripts, [torch.tensor(A)])
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    grad = ad.grad(lambda a: (ad.einsum("ij->ji", [a]) ** 2).sum())(ad.tensor(A))
    np.testing.assert_array_equal(grad, 2 * A)
    # NumPy's reading stays where it is the one that works: "...", or one letter more
    assert ad.einsum("ijk->kji", [ad.tensor(A)]).shape == (3, 2, 1)
    assert ad.einsum("...->...", [ad.tensor(A)]).shape == (1, 2, 3)
    assert ad.einsum("i->", [1.0, 2.0, 4.0]).item() == 7.0


def test_einsum_of_a_list_under_compile_vmap_jvp_and_hessian():
    torch = pytest.importorskip("torch")
    step = ad.compile(lambda a, b: ad.einsum("ij,jk->ik", [a, b]))
    for scale in (1.0, 2.0, -0.5):
        np.testing.assert_allclose(step(A * scale, B).data, (A * scale) @ B, rtol=1e-14)
    batched = ad.vmap(lambda a: ad.einsum("ij,jk->ik", [a, ad.tensor(B)]))(
        ad.tensor(np.stack([A, 2 * A])))
    np.testing.assert_allclose(batched.data, np.stack([A @ B, 2 * A @ B]), rtol=1e-14)
    tangent = np.ones_like(A)
    _, jvp = ad.jvp(lambda a: ad.einsum("ij,jk->ik", [a, ad.tensor(B)]), (ad.tensor(A),),
                    (ad.tensor(tangent),))
    np.testing.assert_allclose(jvp, tangent @ B, rtol=1e-14)
    sq = A[:, :2]
    hess = ad.hessian(lambda a: (ad.einsum("ij,jk->ik", [a, a.T]) ** 2).sum())(ad.tensor(sq))
    theirs = torch.autograd.functional.hessian(
        lambda a: torch.einsum("ij,jk->ik", [a, a.T]).pow(2).sum(), torch.tensor(sq))
    np.testing.assert_allclose(hess, theirs.numpy(), rtol=1e-12)


# ----- bfloat16 torch Tensors given as values --------------------------------------------

@pytest.mark.parametrize("give", [
    lambda value: ad.tensor(value),
    lambda value: ad.tensor(value, dtype="float32"),
    lambda value: setattr(nn.Parameter(ad.zeros(2)), "data", value),
])
def test_a_bfloat16_torch_tensor_is_refused_naming_the_conversion(give):
    # (torch's own "Got unsupported ScalarType BFloat16" named neither the call nor a fix)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"bfloat16, which NumPy has no dtype for.*\.float\(\)"):
        give(torch.zeros(2, dtype=torch.bfloat16))
    converted = torch.zeros(2, dtype=torch.bfloat16).float()
    give(converted)                                     # what the message says works


def test_p_data_from_torch_shares_memory_through_an_optimizer_step():
    torch = pytest.importorskip("torch")
    values = torch.tensor([1.0, -2.0, 0.5])
    p = nn.Parameter(ad.tensor(np.zeros(3, np.float32)))
    p.data = values
    opt = ad.optim.SGD([p], lr=0.5, foreach=False)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_array_equal(values.numpy(), np.array([0.0, 0.0, 0.0], np.float32))
    tp = torch.nn.Parameter(torch.zeros(3))
    theirs = torch.tensor([1.0, -2.0, 0.5])
    tp.data = theirs
    (tp * tp).sum().backward()
    torch.optim.SGD([tp], lr=0.5, foreach=False).step()
    np.testing.assert_array_equal(values.numpy(), theirs.numpy())


def test_torch_memory_stays_updatable_after_graphs_saved_it():
    # (t.numpy()'s base is the torch.Tensor, which NumPy cannot check: once frozen for a
    # graph the array could never be made writeable again, so the second step failed)
    torch = pytest.importorskip("torch")
    values = torch.tensor([1.0, -2.0, 0.5])
    p = nn.Parameter(ad.tensor(np.zeros(3, np.float32)))
    p.data = values
    leaf = ad.tensor(torch.tensor([2.0, 1.0]), requires_grad=True)
    opt = ad.optim.SGD([p], lr=0.25)
    tp = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    topt = torch.optim.SGD([tp], lr=0.25)
    for _ in range(3):
        opt.zero_grad()
        (p ** 3).sum().backward()
        opt.step()
        topt.zero_grad()
        (tp ** 3).sum().backward()
        topt.step()
        (leaf * leaf).sum().backward()
        with ad.no_grad():
            leaf -= 0.5 * leaf.grad
        leaf.grad = None
    np.testing.assert_allclose(values.numpy(), tp.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(leaf.data, np.zeros(2, np.float32))
    assert np.shares_memory(p.data, values.numpy())
    transposed = torch.arange(6.0).reshape(2, 3).t()    # strided memory, and a 0-d tensor
    np.testing.assert_array_equal(ad.tensor(transposed).data, transposed.numpy())
    assert ad.tensor(torch.tensor(2.5)).item() == 2.5
    assert ad.tensor(torch.zeros(0, 3)).shape == (0, 3)
    assert ad.tensor(torch.tensor([1 + 2j]).conj()).item() == 1 - 2j


# ----- optimizers' implementation flags --------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax",
                                  "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop"])
def test_optimizer_flags_survive_copies_and_state_dicts_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    p = nn.Parameter(ad.tensor(np.ones(3)))
    tp = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    ours = getattr(ad.optim, name)([p], lr=0.1, foreach=True)
    theirs = getattr(torch.optim, name)([tp], lr=0.1, foreach=True)
    expected = {k: v for k, v in theirs.param_groups[0].items() if k != "params"}
    assert {k: v for k, v in ours.param_groups[0].items() if k != "params"} == expected
    assert copy.deepcopy(ours).param_groups[0]["foreach"] is True
    fresh = getattr(ad.optim, name)([p], lr=0.1)
    fresh.load_state_dict(pickle.loads(pickle.dumps(ours.state_dict())))
    assert fresh.param_groups[0]["foreach"] is True
    torch_fresh = getattr(torch.optim, name)([tp], lr=0.1)
    torch_fresh.load_state_dict(theirs.state_dict())
    assert torch_fresh.param_groups[0]["foreach"] is True


def test_a_compiled_adam_step_with_its_flags_matches_pytorchs():
    torch = pytest.importorskip("torch")
    start, x = np.array([1.0, -2.0, 0.5]), np.array([1.0, 2.0, 3.0])
    w = nn.Parameter(ad.tensor(start))
    opt = ad.optim.Adam([w], lr=0.1, foreach=False, fused=None, capturable=False)

    def step(inputs):
        opt.zero_grad()
        loss = ((w * inputs) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    compiled = ad.compile(step)
    ours = [compiled(x).item() for _ in range(4)]
    tw = torch.nn.Parameter(torch.tensor(start))
    topt = torch.optim.Adam([tw], lr=0.1, foreach=False, fused=None, capturable=False)
    theirs = []
    for _ in range(4):
        topt.zero_grad()
        loss = ((tw * torch.tensor(x)) ** 2).sum()
        loss.backward()
        topt.step()
        theirs.append(loss.item())
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-13)
    with pytest.raises(ValueError, match="capturable=True is for CUDA graphs"):
        ad.optim.Adam([w], lr=0.1, capturable=True)


def test_a_model_on_torch_memory_saves_copies_and_loads_its_values():
    torch = pytest.importorskip("torch")
    model = nn.Linear(3, 2)
    weight = torch.arange(6.0, dtype=torch.float64).reshape(3, 2)
    model.weight.data = weight                 # (Linear.weight is (n_in, n_out) here)
    (model(ad.tensor(np.ones((1, 3)))) ** 2).sum().backward()
    ad.optim.SGD(model.parameters(), lr=0.01).step()
    state = pickle.loads(pickle.dumps(model.state_dict()))
    np.testing.assert_array_equal(state["weight"], weight.numpy())
    twin = copy.deepcopy(model)
    assert not np.shares_memory(twin.weight.data, weight.numpy())
    np.testing.assert_array_equal(twin.weight.data, weight.numpy())
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.weight.data, weight.numpy())


def test_this_rounds_fixes_with_the_numba_loops_off():
    # (AUTODIFF_JIT=0 is read at import: a fresh interpreter)
    assert_prints_ok_with_numba_loops_off("""
        import numpy as np, autodiff as ad
        z = np.array([1 + 2j, -0.5j, 3 - 1j])
        t = ad.tensor(z, requires_grad=True)
        g, = ad.autograd.grad((ad.as_strided(t, (2, 2), (1, 1)).abs() ** 2).sum(), [t])
        assert np.allclose(g, 2 * z * np.array([1, 2, 1])), g
        v = ad.tensor(np.array([2.0, 2.0, 1.0]))
        keep = [True, True, False]
        tie = ad.grad(lambda a: np.fmax.reduce(a, axis=0, initial=0.0, where=keep))(v)
        assert np.array_equal(tie, [0.5, 0.5, 0.0]), tie
        assert ad.einsum("ij->ji", [ad.tensor(np.ones((2, 3)))]).shape == (3, 2)
        print("ok")
    """)


def test_a_torch_tensor_given_to_a_compiled_function_is_named_as_one():
    # (it said "argument 0 is a Tensor", as if this library's Tensor were refused)
    torch = pytest.importorskip("torch")
    step = ad.compile(lambda t: (t * 2).sum())
    for given in (torch.ones(3), [torch.ones(3)]):
        with pytest.raises(TypeError, match=r"is a torch\.Tensor \(convert it first: "
                                            r"ad\.tensor\(t\) shares its memory\)"):
            step(given)
    memory = torch.ones(3)
    assert [step(ad.tensor(memory * k)).item() for k in (1, 2)] == [6.0, 12.0]
    with pytest.raises(TypeError, match="argument 0 is a object;"):
        step(object())
