"""More PyTorch-parity pieces: ``ad.block_diag``, ``ad.get_num_threads`` /
``ad.set_num_threads``, ``create_graph=True`` in ``ad.autograd.functional``, and the
warning of ``ad.Tensor(n)`` (a number, where ``torch.Tensor(n)`` is n elements).
Checked against central differences in float64 and, where installed, against torch."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import autodiff as ad

F = ad.autograd.functional
R = np.random.default_rng(11)
A, B, V = (R.normal(size=3) for _ in range(3))


# ----- block_diag ----------------------------------------------------------------------

BLOCK_CASES = [
    (np.array(2.0), np.array([1.0, 2.0]), np.array([[1.5], [2.0]])),
    (np.array(2), np.array([1, 2]), np.array([[1.5], [2.0]], np.float32)),
    (np.array([True]), np.array([3])),
    (np.array([1], np.int8), np.array(3.0, np.float16)),
    (np.array([1.0], np.float32), np.array(3.0)),
    (np.array([1]), np.array(3.0)),
    (np.array([1], np.uint8), np.array([3], np.int8)),
    (np.array([1]), np.array([3.0], np.float16)),
    (np.array([1], np.complex64), np.array([3.0])),
    (np.array([1]), np.array(3.0 + 1j, np.complex64)),
    (np.array([1.0], np.float32), np.array(3.0 + 1j)),
    (np.array([True]), np.array(2, np.uint8)),
    (np.empty((0, 3)), np.ones((2, 2))),
    (np.empty(0), np.ones((2, 2))),
    (np.array([[True, False]]),),
]


@pytest.mark.parametrize("blocks", BLOCK_CASES,
                         ids=lambda c: "-".join(f"{a.dtype}{a.shape}" for a in c))
def test_block_diag_matches_torch_values_shapes_and_dtypes(blocks):
    torch = pytest.importorskip("torch")
    ours = ad.block_diag(*[ad.tensor(b) for b in blocks])
    theirs = torch.block_diag(*[torch.from_numpy(b) for b in blocks])
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_block_diag_of_nothing_is_one_empty_row_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = ad.block_diag()
    assert ours.shape == tuple(torch.block_diag().shape) == (1, 0)
    assert ours.dtype == ad.get_default_dtype()      # torch's default dtype, float32 there


def test_block_diag_gradients_match_torch_and_central_differences():
    torch = pytest.importorskip("torch")
    blocks = [R.normal(size=()), R.normal(size=3), R.normal(size=(2, 2)), R.normal(size=(3, 1))]
    weights = R.normal(size=(1 + 1 + 2 + 3, 3 + 2 + 1 + 1))
    ours = [ad.tensor(b, requires_grad=True) for b in blocks]
    theirs = [torch.tensor(b, requires_grad=True) for b in blocks]
    (ad.block_diag(*ours) * weights).sum().backward()
    (torch.block_diag(*theirs) * torch.from_numpy(weights)).sum().backward()
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, expected.grad.numpy(), rtol=1e-12)

    def weighted(*ts):
        return (ad.block_diag(*ts) * weights).sum() ** 2
    assert ad.gradcheck(weighted, blocks)
    assert ad.gradgradcheck(weighted, blocks)


def test_block_diag_keeps_each_blocks_values_in_place_against_numpy():
    a, b = R.normal(size=(2, 3)), R.normal(size=4)
    out = ad.block_diag(ad.tensor(a), b).data
    assert out.shape == (3, 7)
    np.testing.assert_array_equal(out[:2, :3], a)
    np.testing.assert_array_equal(out[2, 3:], b)
    assert not out[:2, 3:].any() and not out[2, :3].any()


def test_block_diag_compiled_replays_equal_eager_bit_for_bit():
    a = ad.tensor(np.ones((2, 2)), requires_grad=True)
    b = ad.tensor(np.arange(3.0), requires_grad=True)
    weights = np.arange(24.0).reshape(4, 6)

    def loss_and_grads(xa, xb):
        a.grad = b.grad = None
        loss = ((ad.block_diag(a * xa, b * xb, ad.tensor(2.0)) * weights) ** 2).sum()
        loss.backward()
        return loss
    step = ad.compile(loss_and_grads)
    for k in range(3):
        xa, xb = np.full((2, 2), k + 1.0), np.arange(3.0) - k
        compiled = step(xa, xb).item()
        compiled_grads = a.grad.copy(), b.grad.copy()
        assert compiled == loss_and_grads(xa, xb).item()
        assert all(np.array_equal(c, e) for c, e in zip(compiled_grads, (a.grad, b.grad)))
    assert step.traces == 1


def test_block_diag_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match=r"block_diag: .*2 or fewer dimensions; input 1 "
                                           r"has 3 dimensions \(shape \(1, 1, 1\)\)"):
        ad.block_diag(ad.ones(2), ad.ones((1, 1, 1)))
    with pytest.raises(TypeError, match="block_diag: expected a Tensor as argument 0, but "
                                        "got list"):
        ad.block_diag([ad.ones(2)])
    with pytest.raises(TypeError, match="argument 1, but got int"):
        ad.block_diag(ad.ones(2), 3)


# ----- get_num_threads / set_num_threads -----------------------------------------------

@pytest.fixture
def restored_threads():
    pytest.importorskip("threadpoolctl")
    before = ad.get_num_threads()
    yield
    ad.set_num_threads(before)


def test_set_num_threads_limits_the_blas_threads(restored_threads):
    from threadpoolctl import threadpool_info
    ad.set_num_threads(1)
    assert ad.get_num_threads() == 1
    assert all(info["num_threads"] == 1 for info in threadpool_info()
               if info["user_api"] == "blas")
    ad.set_num_threads(np.int64(2))              # a NumPy integer passes, as in torch
    assert ad.get_num_threads() == 2


def test_num_threads_read_back_as_torch_does(restored_threads):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            ad.set_num_threads(n)
            assert ad.get_num_threads() == torch.get_num_threads() == n
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2", None], ids=repr)
def test_set_num_threads_refuses_what_torch_refuses_with_its_message(bad):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    expected = str(theirs.value)
    with pytest.raises(RuntimeError) as ours:
        ad.set_num_threads(bad)
    assert str(ours.value).startswith(expected)


def test_without_threadpoolctl_the_thread_functions_say_what_to_use(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)      # import fails
    for call in (ad.get_num_threads, lambda: ad.set_num_threads(1)):
        with pytest.raises(RuntimeError, match="threadpoolctl.*OMP_NUM_THREADS"):
            call()
    with pytest.raises(RuntimeError, match="positive integer"):  # checked first all the same
        ad.set_num_threads(0)


# ----- autograd.functional with create_graph=True --------------------------------------

def _compare_with_torch(make):
    """``make(lib, x, y)`` -> a scalar built from a create_graph=True result: its value
    and the gradients of x and y, ours against torch's."""
    torch = pytest.importorskip("torch")
    x, y = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    tx, ty = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    ours, theirs = make(ad, x, y), make(torch, tx, ty)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10)
    for mine, expected in ((x, tx), (y, ty)):
        if expected.grad is None:
            assert mine.grad is None or not np.any(mine.grad)
        else:
            np.testing.assert_allclose(mine.grad, expected.grad.numpy(), rtol=1e-10,
                                       atol=1e-12)


CREATE_GRAPH_CASES = {
    "jacobian": lambda L, x, y: L.autograd.functional.jacobian(
        lambda a: L.sin(a) * a * y, x, create_graph=True).sum(),
    "jacobian_tuples": lambda L, x, y: (L.autograd.functional.jacobian(
        lambda a, b: (a * b, (a ** 2).sum() * b), (x, y), create_graph=True)[1][0] ** 2).sum(),
    "hessian": lambda L, x, y: L.autograd.functional.hessian(
        lambda a, b: (a * a * b).sum() + (b ** 3).sum(), (x, y),
        create_graph=True)[0][1].sum(),
    "vjp": lambda L, x, y: (L.autograd.functional.vjp(
        lambda a: L.exp(a) * a, x, y, create_graph=True)[1] ** 2).sum(),
    "vjp_output": lambda L, x, y: L.autograd.functional.vjp(
        lambda a: (L.exp(a) * a).sum(), x, create_graph=True)[0],
    "jvp": lambda L, x, y: (L.autograd.functional.jvp(
        lambda a: L.exp(a) * a, x, y, create_graph=True)[1] ** 2).sum(),
    "hvp": lambda L, x, y: (L.autograd.functional.hvp(
        lambda a: (L.exp(a) * a).sum(), x, y, create_graph=True)[1] ** 2).sum(),
    "vhp": lambda L, x, y: (L.autograd.functional.vhp(
        lambda a: (L.exp(a) * a * a).sum(), x, y, create_graph=True)[1] ** 2).sum(),
}


@pytest.mark.parametrize("name", CREATE_GRAPH_CASES)
def test_create_graph_results_differentiate_again_as_in_torch(name):
    _compare_with_torch(CREATE_GRAPH_CASES[name])


def _numerical_gradient(func, x, eps=1e-6):
    return np.array([(func(x + step) - func(x - step)) / (2 * eps)
                     for step in np.eye(x.size) * eps])


def test_gradient_of_a_jacobian_matches_central_differences():
    def jacobian_sum(x):           # the values, without create_graph
        return F.jacobian(lambda a: ad.tanh(a) * a.sum(), ad.tensor(x)).sum().item()
    x = ad.tensor(A, requires_grad=True)
    F.jacobian(lambda a: ad.tanh(a) * a.sum(), x, create_graph=True).sum().backward()
    np.testing.assert_allclose(x.grad, _numerical_gradient(jacobian_sum, A), rtol=1e-6,
                               atol=1e-8)


def test_gradients_of_hessian_jvp_and_hvp_match_central_differences():
    def scalar(a):
        return (ad.exp(a) * a * a).sum()
    cases = {
        "hessian": lambda x, cg: (F.hessian(scalar, x, create_graph=cg) ** 2).sum(),
        "jvp": lambda x, cg: (F.jvp(ad.sin, x, ad.tensor(V), create_graph=cg)[1] ** 3).sum(),
        "hvp": lambda x, cg: (F.hvp(scalar, x, ad.tensor(V), create_graph=cg)[1] ** 2).sum(),
        "vjp": lambda x, cg: (F.vjp(ad.tanh, x, ad.tensor(V), create_graph=cg)[1] ** 2).sum(),
    }
    for name, make in cases.items():
        x = ad.tensor(A, requires_grad=True)
        make(x, True).backward()
        expected = _numerical_gradient(lambda a: make(ad.tensor(a), False).item(), A)
        np.testing.assert_allclose(x.grad, expected, rtol=1e-6, atol=1e-8, err_msg=name)


def test_create_graph_values_equal_those_without_it():
    scalar = lambda a, b: (a * a * b).sum() + ad.sin(b).sum()     # noqa: E731
    pairs = [(F.jacobian(lambda a: a ** 3, ad.tensor(A), create_graph=True),
              F.jacobian(lambda a: a ** 3, ad.tensor(A)))]
    with_graph = F.hessian(scalar, (ad.tensor(A), ad.tensor(B)), create_graph=True)
    without = F.hessian(scalar, (ad.tensor(A), ad.tensor(B)))
    pairs += [(with_graph[i][j], without[i][j]) for i in range(2) for j in range(2)]
    for name in ("jvp", "hvp", "vhp", "vjp"):
        func = ad.sin if name in ("jvp", "vjp") else (lambda a: (a ** 4).sum())
        pairs.append((getattr(F, name)(func, ad.tensor(A), ad.tensor(V), create_graph=True)[1],
                      getattr(F, name)(func, ad.tensor(A), ad.tensor(V))[1]))
    for mine, expected in pairs:
        np.testing.assert_allclose(mine.data, expected.data, rtol=1e-12)


def test_create_graph_on_inputs_without_grad_requires_grad_as_in_torch():
    torch = pytest.importorskip("torch")
    for lib, x in ((ad, ad.tensor(A)), (torch, torch.tensor(A))):
        J = lib.autograd.functional.jacobian(lambda a: a ** 3, x, create_graph=True)
        constant = lib.autograd.functional.jacobian(lambda a: a * 0 + 1, x, create_graph=True)
        assert J.requires_grad and not constant.requires_grad
        assert not np.any(np.asarray(constant.detach().numpy()))
        assert not x.requires_grad


def test_create_graph_is_refused_with_forward_mode_and_integer_inputs():
    with pytest.raises(NotImplementedError, match="create_graph=True and strategy="):
        F.jacobian(ad.sin, ad.tensor(A), create_graph=True, strategy="forward-mode")
    with pytest.raises(TypeError, match=r"jacobian: create_graph=True needs floating-point "
                                        r"inputs, but inputs\[0\] is int64"):
        F.jacobian(lambda a: a * 2, ad.tensor([1, 2]), create_graph=True)


# ----- Tensor(n) -----------------------------------------------------------------------

def test_tensor_of_an_int_warns_at_the_callers_line_that_it_holds_the_number():
    with pytest.warns(ad.ConventionWarning) as caught:
        t = ad.Tensor(5)
    assert t.shape == () and t.item() == 5
    warning = caught[0]
    assert warning.filename == __file__
    message = str(warning.message)
    assert "holding the number 5" in message
    assert "ad.empty(5)" in message and "ad.zeros(5)" in message


def test_tensor_of_an_int_is_not_torch_legacy_size():
    torch = pytest.importorskip("torch")
    with pytest.warns(ad.ConventionWarning):
        ours = ad.Tensor(3)
    assert tuple(torch.Tensor(3).shape) == (3,) != ours.shape == ()


@pytest.mark.parametrize("make", [
    lambda: ad.tensor(5), lambda: ad.tensor(5, dtype=np.float32), lambda: ad.Tensor(True),
    lambda: ad.Tensor(5.0), lambda: ad.Tensor(np.int64(5)), lambda: ad.Tensor([5.0]),
    lambda: ad.Tensor(np.ones(3)), lambda: ad.nn.Parameter(5), lambda: ad.atleast_1d(5),
    lambda: ad.tensor([1.0, 2.0]) + 5, lambda: ad.exp(2)],
    ids=["tensor", "tensor-dtype", "bool", "float", "numpy-int", "list", "ndarray", "Parameter",
         "library-atleast_1d", "library-operand", "library-exp"])
def test_no_warning_where_the_meaning_is_clear(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = make()
    assert isinstance(made, ad.Tensor)


def test_tensor_function_of_an_int_is_the_same_as_before():
    t = ad.tensor(5, dtype=np.float32)
    assert t.dtype == np.float32 and t.shape == () and t.item() == 5.0
    assert ad.tensor(7).dtype == np.asarray(7).dtype


def test_tensor_of_two_ints_still_raises():
    with pytest.raises(TypeError, match=r"ad.empty\(2, 3\)"):
        ad.Tensor(2, 3)
