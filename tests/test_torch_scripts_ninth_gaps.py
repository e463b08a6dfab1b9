"""What the ninth round of PyTorch scripts (the tutorials as written) found, each fixed
at the root and checked against PyTorch: ``out=`` on the PyTorch-style functions
(``torch.matmul(tensor, tensor.T, out=y3)``, ``torch.mul(tensor, tensor, out=z3)``);
``output.max(1, keepdim=True)[1]`` (FGSM), where ``keepdim=`` says PyTorch's dim."""

from __future__ import annotations

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
    with pytest.raises(ValueError, match=r"matmul with out=: the result has shape \(2, 2\)"):
        ad.matmul(tensor, tensor.T, out=ad.zeros(3, 3))
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
