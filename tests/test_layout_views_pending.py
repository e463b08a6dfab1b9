"""A view made by a layout op (``h.T``, ``h.reshape(-1)``) is linked to ``h`` lazily:
making it notes its op, and its ``Layout`` and the link down from ``h`` are worked out
when a write needs them (``view_table._settle``).  These tests reach the paths where
that happens late: views of a view that an earlier update left on an older array,
views that turn out to be no layout, and threads settling one view at once."""

import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff import view_table


def test_making_a_layout_view_links_it_down_only_when_a_write_needs_it():
    h = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True) * 1.0
    transposed, flat = h.T, h.reshape(-1)
    assert id(h) not in view_table._views_of       # (making them registered nothing)
    transposed[0] = 7.0                             # recorded: h and flat move too
    assert h.data[:, 0].tolist() == [7.0, 7.0] and flat.data[[0, 3]].tolist() == [7.0, 7.0]
    views = [ref() for refs in view_table._views_of[id(h)][1].values() for ref in refs]
    assert any(v is transposed for v in views) and any(v is flat for v in views)
    assert transposed.base is h and flat.base is h and h.base is None


def _left_behind_program(lib):
    """A loss of ``p`` (2, 2, 3), ``y`` (2, 3), ``z`` (2,), in autodiff or PyTorch
    (``lib``): ``row = h[0]`` is left on an older array by a recorded update of
    ``h[1]``, then written through its layout views made after that update."""
    def loss(p, y, z):
        h = lib.sin(p)
        row = h[0]
        h[1] = y * 2.0                  # recorded; row does not overlap: left behind
        transposed, flat = row.T, row.reshape(-1)
        transposed[1] = z               # reaches row, h, and flat
        flat[0] *= 3.0
        weights = lib.tensor(np.arange(1.0, 13.0).reshape(2, 2, 3))
        return (h ** 2 * weights).sum() + (flat * weights[0].reshape(-1)).sum()
    return loss


def _left_behind_inputs():
    rng = np.random.default_rng(5)
    return [rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)]


def test_layout_views_of_a_view_left_on_an_older_array_match_numpy_and_differences():
    p, y, z = _left_behind_inputs()
    expected = np.sin(p)
    row = expected[0]
    expected[1] = y * 2.0
    row.T[1] = z
    row.reshape(-1)[0] *= 3.0
    loss = _left_behind_program(ad)
    weights = np.arange(1.0, 13.0).reshape(2, 2, 3)
    value = (expected ** 2 * weights).sum() + (row.reshape(-1) * weights[0].reshape(-1)).sum()
    np.testing.assert_allclose(loss(*map(ad.tensor, (p, y, z))).data, value, rtol=1e-12)
    assert ad.gradcheck(loss, [p, y, z])


def test_layout_views_of_a_view_left_on_an_older_array_match_pytorch():
    torch = pytest.importorskip("torch")
    inputs = _left_behind_inputs()
    ours = [ad.tensor(a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    loss, their_loss = _left_behind_program(ad)(*ours), _left_behind_program(torch)(*theirs)
    loss.backward()
    their_loss.backward()
    np.testing.assert_allclose(loss.data, their_loss.detach().numpy(), rtol=1e-12)
    for mine, its in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, its.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_an_unrecorded_write_reaches_a_layout_view_made_of_a_view_left_behind():
    torch = pytest.importorskip("torch")
    results = []
    for lib, no_grad in ((ad, ad.no_grad), (torch, torch.no_grad)):
        p = lib.tensor(np.arange(12.0).reshape(2, 2, 3), requires_grad=True)
        h = p * 1.0
        row = h[0]
        h[1] = p[0] * 2.0               # recorded; row is left on the older array
        transposed = row.T
        with no_grad():
            row[0, 2] = -5.0            # row views h's array again, and so does .T
            transposed[1, 1] = -6.0
        results.append([np.array(t.detach().numpy() if lib is torch else t.data)
                        for t in (h, row, transposed)])
    for mine, its in zip(*results):
        np.testing.assert_array_equal(mine, its)
    assert results[0][0][0, 0, 2] == -5.0 and results[0][0][0, 1, 1] == -6.0


def test_an_update_of_the_base_moves_a_layout_view_made_of_a_view_left_behind():
    # transposed is found from h only through row, which is on an older array of h
    # than h's own: the update must link it down before it moves row.
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        p = lib.tensor(np.arange(12.0).reshape(2, 2, 3), requires_grad=True)
        h = p * 1.0
        row = h[0]
        h[1] = p[0] * 2.0               # recorded; row is left on the older array
        transposed = row.T
        h *= 3.0                        # recorded, all of h: row and transposed follow
        (transposed * lib.tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
        results.append([np.array(t.detach().numpy() if lib is torch else t.data)
                        for t in (h, row, transposed, p.grad)])
    for mine, its in zip(*results):
        np.testing.assert_array_equal(mine, its)
    np.testing.assert_array_equal(results[0][2], results[0][0][0].T)


def test_an_op_view_that_is_no_layout_is_not_linked_and_still_refuses_a_recorded_write():
    # Read in Fortran order, a reshape shares the memory without being a reshape in C
    # order (a Layout): not followed, so a recorded write through it is refused.
    h = ad.tensor(np.arange(6.0), requires_grad=True) * 1.0
    fortran = ad.reshape(h, (2, 3), order="F")
    assert np.shares_memory(fortran.data, h.data) and fortran.base is None
    with pytest.raises(RuntimeError, match="views, through 'reshape'"):
        fortran[0] = 1.0
    assert h.data.tolist() == list(np.arange(6.0))


def test_threads_settling_one_view_at_once_link_it_once():
    for _ in range(20):
        h = ad.tensor(np.zeros((4, 4)))
        transposed = h.T
        start = threading.Barrier(4)

        def settle():
            start.wait()
            assert transposed.base is h
        threads = [threading.Thread(target=settle) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refs = [ref for refs in view_table._views_of[id(h)][1].values() for ref in refs]
        assert [ref() for ref in refs] == [transposed]
