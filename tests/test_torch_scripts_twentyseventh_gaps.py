"""Gaps the twenty-seventh probe of PyTorch scripts found, each checked without torch
where it can be: optimizer state read by parameter comes as tensors (inspection and
in-place changes as in PyTorch), the grad_fn names of the methods built as copies,
and what ``t.dtype`` offers in place of PyTorch's dtype attributes."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def _stepped(optimizer, **keywords):
    w = nn.Parameter(np.array([3.0, -4.0]))
    opt = optimizer([w], lr=0.1, **keywords)
    for g in ([1.0, 2.0], [0.5, -1.0]):
        w.grad = np.array(g)
        opt.step()
    return w, opt


def test_adam_state_read_by_parameter_is_tensors_sharing_the_state():
    w, opt = _stepped(ad.optim.Adam)
    state = opt.state[w]
    exp_avg = state["exp_avg"]
    assert isinstance(exp_avg, ad.Tensor)
    # m after two steps: 0.1 * (0.9 * g1 + g2) with beta1 = 0.9
    m = 0.1 * (0.9 * np.array([1.0, 2.0]) + np.array([0.5, -1.0]))
    np.testing.assert_allclose(exp_avg.data, m, rtol=1e-14)
    assert float(exp_avg.norm()) == pytest.approx(np.linalg.norm(m), rel=1e-14)
    assert int(state["step"]) == 2 and state["step"].item() == 2
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "step"] and len(state) == 3
    # an in-place change through the tensor reaches the state the next step uses
    state["exp_avg"].zero_()
    np.testing.assert_array_equal(opt.state[0]["exp_avg"], [0.0, 0.0])
    assert [type(v) for _, s in opt.state.items() for v in s.values()] == [ad.Tensor] * 3
    assert isinstance(opt.state.get(w)["exp_avg_sq"], ad.Tensor)


def test_a_tensor_put_into_the_state_by_parameter_keeps_the_step_working():
    w, opt = _stepped(ad.optim.SGD, momentum=0.9)
    opt.state[w]["momentum_buffer"] = ad.zeros(2)       # PyTorch's way to reset it
    assert type(opt.state[0]["momentum_buffer"]) is np.ndarray
    before = w.data.copy()
    w.grad = np.array([1.0, 1.0])
    opt.step()
    # the buffer started again from zero: buf = g, w -= lr * buf
    np.testing.assert_allclose(w.data, before - 0.1 * np.array([1.0, 1.0]), rtol=1e-14)
    # a state a custom optimizer keeps as tensors comes back as it was put in
    anchor = ad.ones(2)
    opt.state[w]["anchor"] = anchor
    assert opt.state[w]["anchor"] is anchor


def test_state_by_parameter_matches_torch_tensor_inspection():
    torch = pytest.importorskip("torch")
    ours, opt = _stepped(ad.optim.Adam)
    theirs = torch.nn.Parameter(torch.tensor([3.0, -4.0], dtype=torch.float64))
    topt = torch.optim.Adam([theirs], lr=0.1)
    for g in ([1.0, 2.0], [0.5, -1.0]):
        theirs.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
    for key in ("exp_avg", "exp_avg_sq"):
        assert float(opt.state[ours][key].norm()) == pytest.approx(
            float(topt.state[theirs][key].norm()), rel=1e-12)
        assert float(opt.state[ours][key].abs().max()) == pytest.approx(
            float(topt.state[theirs][key].abs().max()), rel=1e-12)
    assert int(opt.state[ours]["step"].item()) == int(topt.state[theirs]["step"].item())


@pytest.mark.parametrize("make, name", [
    (lambda t: t.flip(0), "FlipBackward0"),
    (lambda t: t.flip(dims=(0, 1)), "FlipBackward0"),
    (lambda t: t.fliplr(), "FlipBackward0"),
    (lambda t: t.flipud(), "FlipBackward0"),
    (lambda t: t.rot90(), "Rot90Backward0"),
    (lambda t: t.clone(), "CloneBackward0"),
    (lambda t: ad.clone(t), "CloneBackward0"),
])
def test_grad_fn_names_of_methods_built_as_copies_are_pytorchs(make, name):
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = make(t)
    assert out.grad_fn.name() == name
    (out * ad.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert t.grad is not None         # (the name changes nothing of the gradient)


def test_grad_fn_names_match_torch():
    torch = pytest.importorskip("torch")
    ours = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    theirs = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    for make in (lambda t: t.flip(0), lambda t: t.fliplr(), lambda t: t.flipud(),
                 lambda t: t.rot90(), lambda t: t.clone()):
        assert make(ours).grad_fn.name() == make(theirs).grad_fn.name()


def test_dtype_is_numpys_and_the_tensor_answers_pytorchs_dtype_questions():
    t = ad.tensor([1.0], dtype=ad.float32)
    assert t.dtype == np.float32 and t.dtype.itemsize == 4
    assert t.is_floating_point() and not t.is_complex() and t.is_signed()
    assert not ad.tensor([1], dtype=ad.uint8).is_signed()
    with pytest.raises(AttributeError, match="is_floating_point"):
        t.dtype.is_floating_point      # NumPy's dtype: a clear AttributeError, not a guess


def test_pytorchs_nested_optimizer_state_dict_is_refused_saying_why():
    w = nn.Parameter(np.array([1.0, 2.0]))
    opt = ad.optim.Adam([w], lr=0.1)
    nested = {"state": {0: {"step": 1.0, "exp_avg": np.ones(2), "exp_avg_sq": np.ones(2)}},
              "param_groups": [{"lr": 0.5, "params": [0]}]}
    with pytest.raises(KeyError, match="PyTorch's nested form.*transpose"):
        opt.load_state_dict(nested)
    assert opt.param_groups[0]["lr"] == 0.1 and not opt.state     # left as it was
