"""Regression tests of the review of in-place semantics (writes through layout views,
.grad taking later gradients in place), each against PyTorch where it has the case."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.inplace import InPlaceError


def _values(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach_") else t.data)


def _saved_grad_then_accumulate(lib):
    """v * w.grad saves w.grad; a later backward adds into w.grad in place."""
    if lib == "torch":
        import torch
        w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        v = torch.ones(2, dtype=torch.float64, requires_grad=True)
    else:
        w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
        v = ad.tensor(np.ones(2), requires_grad=True)
    (w * w).sum().backward()
    loss = (v * w.grad).sum()
    (w * w).sum().backward()            # w.grad += 2w, in place
    loss.backward()
    return v.grad


def test_a_graph_that_saved_a_grad_refuses_after_backward_adds_into_it():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _saved_grad_then_accumulate("torch")
    # It read the sum [4, 8] instead of the saved [2, 4], silently.
    with pytest.raises(InPlaceError, match="multiply.*backward\\(\\) adding into a .grad"):
        _saved_grad_then_accumulate("ad")
    assert torch.__version__


def test_a_graph_that_saved_a_grad_refuses_after_zero_grad_in_place():
    torch = pytest.importorskip("torch")
    wt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (wt * wt).sum().backward()
    vt = torch.ones(2, dtype=torch.float64, requires_grad=True)
    loss_t = (vt * wt.grad).sum()
    torch.optim.SGD([wt], lr=0.1).zero_grad(set_to_none=False)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss_t.backward()

    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    v = ad.tensor(np.ones(2), requires_grad=True)
    loss = (v * ad.tensor(w.grad)).sum()
    ad.optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    with pytest.raises(InPlaceError, match="zero_grad"):
        loss.backward()          # it gave v.grad 0 (the zeroed values), silently


def test_a_grad_held_by_the_user_still_takes_the_sum_and_backward_runs():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    kept = w.grad
    (w * 3).sum().backward()
    assert kept is w.grad and kept.tolist() == [5.0, 7.0]


def _sibling_views_then_unrecorded_write(lib, make_sibling):
    if lib == "torch":
        import torch
        w = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        s = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        no_grad = torch.no_grad
    else:
        w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        s = ad.tensor(np.array(2.0), requires_grad=True)
        no_grad = ad.no_grad
    h = w * 1.0
    written, sibling = make_sibling(h)
    written.mul_(s)                     # recorded: written back into h
    with no_grad():
        sibling += 1                    # must reach `written` too (it views h)
    loss = (written ** 2).sum() + (h * h).sum()
    loss.backward()
    return _values(written), _values(h), np.asarray(w.grad), float(s.grad)


@pytest.mark.parametrize("name,make_sibling", [
    ("rows and columns", lambda h: (h[0], h[:, 0])),
    ("transpose and unsqueeze-squeeze", lambda h: (h.T, h.unsqueeze(0).squeeze())),
    ("reshape and a column", lambda h: (h.reshape(-1), h[:, 1:])),
    ("permute of a row view", lambda h: (h[1:].permute(1, 0), h[:, 2])),
])
def test_an_unrecorded_write_through_one_view_reaches_its_recorded_sibling(name,
                                                                         make_sibling):
    pytest.importorskip("torch")
    ours = _sibling_views_then_unrecorded_write("ad", make_sibling)
    theirs = _sibling_views_then_unrecorded_write("torch", make_sibling)
    # `written` kept the values from before the write (a = h[0] showed [0, 2, 4]).
    for mine, torch_value in zip(ours, theirs):
        np.testing.assert_allclose(mine, torch_value, rtol=1e-12)


def test_the_mark_of_a_moved_tensor_goes_with_it():
    from autodiff import inplace

    s = ad.tensor(np.array(2.0), requires_grad=True)
    before = len(inplace._moved_with_views)
    for _ in range(50):
        h = ad.tensor(np.ones((2, 3))) * 1.0
        row = h[0]
        h.mul_(s)                   # recorded while a view is alive: h is marked
        del h, row
    assert len(inplace._moved_with_views) <= before + 1
