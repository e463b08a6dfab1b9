"""Views, hooks and gradients that used to differ silently from PyTorch's: one element
by integer indexing is a 0-d view, ``flatten``/``ravel`` view when they can, a hook on
a tensor updated in place after it was registered, ``.grad`` kept across backward
calls, and a few smaller points (``permute()``, trunc division's gradient, uint8 times a
large number)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def _pair(values):
    """The same float64 values as an autodiff tensor and a torch tensor."""
    return ad.tensor(np.array(values, dtype=np.float64)), torch.tensor(values, dtype=torch.float64)


# ----- 1. one element by integer indexing is a 0-d view ---------------------------

ELEMENT_WRITES = {
    "add_": lambda e, m: e.add_(1.5),
    "fill_": lambda e, m: e.fill_(5.0),
    "copy_": lambda e, m: e.copy_(m.tensor(7.0, dtype=m.float64)),
    "mul_": lambda e, m: e.mul_(2.0),
    "zero_": lambda e, m: e.zero_(),
    "iadd": lambda e, m: e.__iadd__(3.0),
}


@pytest.mark.parametrize("write", sorted(ELEMENT_WRITES))
@pytest.mark.parametrize("key", [(1, 2), (-1, -2), (0, 3)])
def test_a_write_into_one_element_shows_in_the_tensor_as_in_torch(write, key):
    h, th = _pair(np.arange(12.0).reshape(3, 4) + 1)
    ELEMENT_WRITES[write](h[key], ad)
    ELEMENT_WRITES[write](th[key], torch)
    np.testing.assert_array_equal(h.data, th.numpy())


def test_an_element_of_a_row_view_is_a_view_too_as_in_torch():
    h, th = _pair(np.ones((3, 4)))
    h[1][2].mul_(2)
    th[1][2].mul_(2)
    np.testing.assert_array_equal(h.data, th.numpy())
    assert h.data[1, 2] == 2.0


def test_an_element_view_has_torch_layout_and_reads_its_tensor():
    h, th = _pair(np.zeros((3, 4)))
    e, te = h[1, 2], th[1, 2]
    assert e.shape == () and tuple(te.shape) == ()
    assert e.storage_offset() == te.storage_offset() == 6
    assert e.is_contiguous() and te.is_contiguous()
    assert e.data_ptr() - h.data_ptr() == te.data_ptr() - th.data_ptr()
    assert e._view_link[0] is h                     # linked as h[1:] would be
    with ad.no_grad():
        h.add_(2.5)
    th.add_(2.5)
    assert e.item() == te.item() == 2.5 and float(e) == float(te)
    assert repr(e) == repr(ad.tensor(2.5))         # printed as any 0-d tensor


@pytest.mark.parametrize("write", sorted(ELEMENT_WRITES))
def test_a_recorded_write_into_one_element_reaches_the_gradient_as_in_torch(write):
    start = np.arange(12.0).reshape(3, 4) / 7 + 0.5
    weights = np.arange(12.0).reshape(3, 4) - 4
    w = ad.tensor(start, requires_grad=True)
    s = ad.tensor(3.0, requires_grad=True)
    h = w * w
    e = h[1, 2]
    if write in ("add_", "mul_", "copy_"):
        getattr(e, write)(s)
    else:
        ELEMENT_WRITES[write](e, ad)
    (h * ad.tensor(weights)).sum().backward()

    tw = torch.tensor(start, requires_grad=True)
    ts = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    th = tw * tw
    te = th[1, 2]
    if write in ("add_", "mul_", "copy_"):
        getattr(te, write)(ts)
    else:
        ELEMENT_WRITES[write](te, torch)
    (th * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(h.data, th.detach().numpy())
    np.testing.assert_allclose(w.grad, tw.grad.numpy())
    if ts.grad is None:
        assert s.grad is None
    else:
        np.testing.assert_allclose(s.grad, ts.grad.numpy())


def test_an_element_scaled_in_place_has_the_central_difference_gradient():
    def scaled_element(w, s):
        h = w * 1.0
        h[1, 2].mul_(s)
        return (h * h).sum()

    assert ad.gradcheck(scaled_element, [np.arange(12.0).reshape(3, 4) / 5, np.array(1.7)])


def test_an_element_view_of_a_leaf_that_requires_grad_is_refused_as_in_torch():
    w = ad.tensor(np.ones((2, 2)), requires_grad=True)
    tw = torch.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError):
        tw[1, 1].mul_(2)
    with pytest.raises(RuntimeError, match="view of tensor of shape \\(2, 2\\), a leaf"):
        w[1, 1].mul_(2)
    with ad.no_grad():
        w[1, 1].mul_(2)
    with torch.no_grad():
        tw[1, 1].mul_(2)
    np.testing.assert_array_equal(w.data, tw.detach().numpy())


def test_an_element_follows_a_recorded_update_of_its_tensor_as_in_torch():
    x, tx = _pair(np.ones((2, 2)))
    x.requires_grad_()
    tx.requires_grad_()
    h, th = x * 1, tx * 1
    e, te = h[1, 1], th[1, 1]
    h.mul_(5)
    th.mul_(5)
    assert e.item() == te.item() == 5.0
    e.backward()
    te.backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
