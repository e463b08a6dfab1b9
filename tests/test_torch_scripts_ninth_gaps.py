"""What the ninth round of PyTorch scripts (the tutorials as written) found, each fixed
at the root and checked against PyTorch: ``out=`` on the PyTorch-style functions
(``torch.matmul(tensor, tensor.T, out=y3)``, ``torch.mul(tensor, tensor, out=z3)``);
``output.max(1, keepdim=True)[1]`` (FGSM), where ``keepdim=`` says PyTorch's dim;
``loss = torch.Tensor([0]); loss += l`` (generating names), a float tensor as PyTorch's
legacy constructor makes; a ``Function`` with ``setup_context`` and a ``forward``
without ``ctx`` ("Extending PyTorch"); ``torch.accelerator``, which the "Learn the
Basics" pages pick their device with; a 0-d index in ``scatter_``/``scatter_add``/
``gather`` of a 1-D tensor (the Transforms page's one-hot ``target_transform``); a
``Function`` whose ``forward`` returns several outputs ("Double Backward with Custom
Functions")."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(92)


# --- out= on the PyTorch-style functions -------------------------------------------------

def test_out_writes_the_result_into_the_given_tensor_and_returns_it_as_torch():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(3, 3))
    calls = [("matmul", lambda lib, t: (t, t.T)), ("mul", lambda lib, t: (t, t)),
             ("sub", lambda lib, t: (t, 1.5)), ("add", lambda lib, t: (t, t)),
             ("div", lambda lib, t: (t, 4.0)), ("gt", lambda lib, t: (t, 0.0))]
    for name, arguments in calls:
        results = []
        for lib in (ad, torch):
            tensor = lib.tensor(values.copy())
            out_dtype = lib.bool if name == "gt" else lib.float64
            out = lib.zeros(3, 3, dtype=out_dtype)
            returned = getattr(lib, name)(*arguments(lib, tensor), out=out)
            assert returned is out, name
            results.append(np.asarray(out.data if lib is ad else out.numpy()))
        np.testing.assert_allclose(results[0], results[1], rtol=1e-14, err_msg=name)


def test_out_was_written_beside_an_unrelated_result_before():
    tensor = ad.tensor(RNG.normal(size=(2, 3)))
    y3 = ad.zeros(2, 2)
    returned = ad.matmul(tensor, tensor.T, out=y3)
    assert returned is y3
    np.testing.assert_allclose(y3.data, tensor.data @ tensor.data.T, rtol=1e-15)


def test_a_write_through_out_is_on_the_tape_and_its_gradient_matches_differences():
    values = RNG.normal(size=(3, 4))

    def loss(w):
        product = ad.zeros(3, 3)
        ad.matmul(w, w.T, out=product)
        scaled = ad.zeros(3, 4)
        ad.mul(w, product.sum(1, keepdims=True), out=scaled)
        return (scaled ** 2).sum()

    assert ad.gradcheck(loss, [values])
    w = ad.tensor(values, requires_grad=True)
    loss(w).backward()
    by_hand = ad.tensor(values, requires_grad=True)
    ((by_hand * (by_hand @ by_hand.T).sum(1, keepdims=True)) ** 2).sum().backward()
    np.testing.assert_allclose(w.grad, by_hand.grad, rtol=1e-12)


def test_out_refuses_what_cannot_hold_the_result():
    tensor = ad.tensor(RNG.normal(size=(2, 3)))
    out = ad.zeros(3, 3)                        # resized, with PyTorch's warning
    with pytest.warns(UserWarning, match=r"matmul with out=: .* resized since it had shape"):
        ad.matmul(tensor, tensor.T, out=out)
    assert out.shape == (2, 2)
    with pytest.raises(TypeError, match="mul with out=: cannot cast .* float64 .* int64"):
        ad.mul(tensor, tensor, out=ad.zeros(2, 3, dtype=np.int64))
    with pytest.raises(TypeError, match="matmul: out= must be a Tensor"):
        ad.matmul(tensor, tensor.T, out=np.zeros((2, 2)))
    leaf = ad.zeros(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        ad.mul(tensor, tensor, out=leaf)


# --- t.max(1, keepdim=True): PyTorch's keyword says the positional is PyTorch's dim ----------

def test_max_and_min_of_a_positional_dim_with_keepdim_are_torchs_values_and_indices():
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0], [-1.0, -1.0, 2.0]])
    results = []
    for lib in (ad, torch):
        t = lib.tensor(values, requires_grad=True)
        top = t.max(1, keepdim=True)
        bottom = t.min(0, keepdim=False)
        (top[0] * 2).sum().backward()
        (bottom.values ** 2).sum().backward()
        plain = (lambda x: np.asarray(x.data)) if lib is ad else (lambda x: x.detach().numpy())
        results.append([plain(top[0]), plain(top[1]), plain(bottom.values),
                        plain(bottom.indices), np.asarray(t.grad if lib is ad else t.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_a_positional_dim_without_keepdim_stays_refused_as_ambiguous():
    t = ad.tensor([[1.0, 5.0], [7.0, 0.0]])
    with pytest.raises(TypeError, match=r"Tensor.max\(1\): NumPy reads a positional"):
        t.max(1)
    with pytest.raises(TypeError, match=r"Tensor.min\(1, True\)"):
        t.min(1, True)


# --- Tensor([0]): NumPy's dtype, with a warning that PyTorch's legacy constructor differs ---

def test_tensor_of_a_python_list_of_ints_keeps_numpys_dtype_and_warns_at_the_users_line():
    for data, dtype in (([0], np.int64), ([[1, 2], [3, 4]], np.int64), ((5, 6), np.int64),
                        ([True, False], np.bool_)):
        with pytest.warns(ad.ConventionWarning, match=r"torch.Tensor makes floats") as seen:
            ours = ad.Tensor(data)
        assert ours.dtype == dtype, data
        np.testing.assert_array_equal(ours.data, np.array(data))
        assert seen[0].filename == __file__


def test_tensor_of_floats_or_with_a_dtype_does_not_warn_and_accumulates_a_loss():
    w = ad.tensor([0.5, -1.5], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = ad.Tensor([0.0])
        assert ad.Tensor([0], dtype=np.float32).dtype == np.float32
        assert ad.tensor([1, 2]).dtype == np.int64        # torch.tensor([1, 2]) too
    for k in range(3):
        loss += (w * (k + 1)).pow(2).sum()
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * w.data * (1 + 4 + 9), rtol=1e-15)


def test_an_integer_tensor_from_the_legacy_spelling_refuses_a_float_loss_clearly():
    with pytest.warns(ad.ConventionWarning):
        loss = ad.Tensor([0])
    with pytest.raises(TypeError):
        loss += ad.tensor([0.5], requires_grad=True).sum()


def test_tensor_keeps_the_dtype_of_arrays_and_ad_tensor_keeps_torch_tensors_inference():
    assert ad.Tensor(np.array([1, 2])).dtype == np.int64    # an ndarray is wrapped as it is
    assert ad.tensor([1, 2]).dtype == np.int64              # torch.tensor([1, 2]) too
    assert ad.Tensor([1, 2], dtype=np.int32).dtype == np.int32


# --- Function.setup_context: PyTorch's forward(*inputs) without ctx ----------------------

def _scaled_product(lib):
    class ScaledProduct(lib.autograd.Function):
        @staticmethod
        def forward(x, w, scale):
            return x * w * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, w, scale = inputs
            ctx.save_for_backward(x, w)
            ctx.scale = scale

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors
            return grad * w * ctx.scale, grad * x * ctx.scale, None
    return ScaledProduct


def test_setup_context_functions_give_torchs_values_and_gradients_of_two_orders():
    torch = pytest.importorskip("torch")
    x_values, w_values = RNG.normal(size=4), RNG.normal(size=4)
    results = []
    for lib in (ad, torch):
        apply = _scaled_product(lib).apply
        x = lib.tensor(x_values, requires_grad=True)
        w = lib.tensor(w_values, requires_grad=True)
        out = apply(x, w, 1.5)
        gx, gw = lib.autograd.grad((out ** 2).sum(), (x, w), create_graph=True)
        (gx.sum() + gw.sum()).backward()
        plain = (lambda t: np.asarray(t.data)) if lib is ad else (lambda t: t.detach().numpy())
        results.append([plain(out), plain(gx), plain(gw), np.asarray(x.grad),
                        np.asarray(w.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)


def test_setup_context_function_gradient_matches_central_differences():
    apply = _scaled_product(ad).apply
    w = RNG.normal(size=3)
    assert ad.gradcheck(lambda x: (apply(x, ad.tensor(w), 0.7) ** 3).sum(), [RNG.normal(size=3)])


# --- torch.accelerator: no accelerator, as PyTorch reports on a machine without one -------

def test_accelerator_answers_as_torch_on_a_machine_without_one():
    torch = pytest.importorskip("torch")
    if torch.accelerator.is_available():
        pytest.skip("this machine has an accelerator; the answers here are a CPU's")
    for lib in (ad, torch):
        assert lib.accelerator.is_available() is False
        assert lib.accelerator.current_accelerator() is None
        assert lib.accelerator.device_count() == 0
        device = lib.accelerator.current_accelerator().type \
            if lib.accelerator.is_available() else "cpu"
        assert device == "cpu"
        with pytest.raises(RuntimeError, match="(?i)accelerator"):
            lib.accelerator.current_device_index()


# --- a 0-d index (and src) counts as 1-d for a 1-D tensor, as in PyTorch ------------------

def test_zero_dim_index_and_src_in_scatter_and_gather_of_a_vector_match_torch():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=5)
    results = []
    for lib in (ad, torch):
        one_hot = lib.zeros(10, dtype=lib.float64).scatter_(0, lib.tensor(3), value=1)
        x = lib.tensor(values, requires_grad=True)
        s = lib.tensor(0.7, dtype=lib.float64, requires_grad=True)
        placed = lib.zeros(5, dtype=lib.float64).scatter(0, lib.tensor(1), s * 2) * x
        added = x.scatter_add(0, lib.tensor(4), s ** 2)
        picked = x.gather(0, lib.tensor(2))
        assert tuple(picked.shape) == ()
        (placed.sum() + (added ** 2).sum() + 3 * picked).backward()
        plain = (lambda t: np.asarray(t.data)) if lib is ad else (lambda t: t.detach().numpy())
        results.append([plain(one_hot), plain(placed), plain(added), plain(picked),
                        np.asarray(x.grad), np.asarray(s.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_zero_dim_index_gradients_match_central_differences_and_other_ranks_stay_refused():
    def loss(x, s):
        return ((x.scatter_add(0, ad.tensor(1), s * x.gather(0, ad.tensor(3)))) ** 2).sum()

    assert ad.gradcheck(loss, [RNG.normal(size=4), RNG.normal(size=())])
    with pytest.raises(ValueError, match=r"scatter: the index has 0 axes .* \(2, 3\)"):
        ad.zeros(2, 3).scatter(0, ad.tensor(1), 1.0)


# --- a Function with several outputs --------------------------------------------------------

def _split_moments(lib):
    class Moments(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            square = x * x
            ctx.save_for_backward(x, square)
            return square.sum(0), square * x, square
        @staticmethod
        def backward(ctx, g_sum, g_cube, g_square):
            x, square = ctx.saved_tensors
            return 2 * x * g_sum + 3 * square * g_cube + 2 * x * g_square
    return Moments


def test_several_outputs_give_torchs_values_and_gradients_of_two_orders():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(3, 2))
    results = []
    for lib in (ad, torch):
        x = lib.tensor(values, requires_grad=True)
        total, cube, square = _split_moments(lib).apply(x)
        loss = (total ** 2).sum() + cube.sum()          # square unused: a zero gradient
        g, = lib.autograd.grad(loss, x, create_graph=True)
        (g ** 2).sum().backward()
        plain = (lambda t: np.asarray(t.data)) if lib is ad else (lambda t: t.detach().numpy())
        results.append([plain(total), plain(cube), plain(square), plain(g),
                        np.asarray(x.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)


def test_several_outputs_gradients_match_central_differences():
    apply = _split_moments(ad).apply

    def loss(x):
        total, cube, square = apply(x)
        return (total * 1.5).sum() + (cube * square).sum()

    assert ad.gradcheck(loss, [RNG.normal(size=(2, 3))])
    assert ad.autograd.gradgradcheck(lambda x: apply(x)[1], (ad.tensor(
        RNG.normal(size=(2, 3)), requires_grad=True),))


def test_several_float_outputs_of_different_dtypes_are_refused_naming_them():
    class TwoPrecisions(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, (x * 3).astype(np.float32)
        @staticmethod
        def backward(ctx, g, g_single):
            return 2 * g + 3 * g_single

    with pytest.raises(TypeError, match=r"TwoPrecisions.forward returned differentiable "
                                        r"outputs of dtypes \['float64', 'float32'\]"):
        TwoPrecisions.apply(ad.tensor([1.0, 3.0], requires_grad=True))


def test_an_integer_output_beside_a_float_one_comes_back_without_grad():
    class WithIndices(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, np.argmax(x)
        @staticmethod
        def backward(ctx, g, g_index):
            return 2 * g

    x = ad.tensor([1.0, 3.0], requires_grad=True)
    doubled, index = WithIndices.apply(x)
    assert index.item() == 1 and index.dtype == np.int64 and not index.requires_grad
    doubled.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
