"""In-place updates keep the same object and are never silently lost or wrong."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def test_pytorch_tutorial_loop_updates_the_parameters():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    true_w = np.array([1.0, -2.0, 0.5])
    y = X @ true_w
    w = ad.tensor(np.zeros(3), requires_grad=True)
    for _ in range(200):
        loss = ((ad.tensor(X) @ w - y) ** 2).mean()
        loss.backward()
        with ad.no_grad():
            w -= 0.1 * w.grad
            w.grad = None
    np.testing.assert_allclose(w.data, true_w, atol=1e-6)


@pytest.mark.parametrize("update", [
    lambda t: t.__iadd__(1.0), lambda t: t.__isub__(1.0), lambda t: t.__imul__(2.0),
    lambda t: t.__itruediv__(2.0), lambda t: t.__setitem__(0, 1.0), lambda t: t.add_(1.0),
    lambda t: t.sub_(1.0), lambda t: t.mul_(2.0), lambda t: t.div_(2.0), lambda t: t.zero_(),
    lambda t: t.fill_(3.0), lambda t: t.copy_(np.ones(2)), lambda t: t.clamp_(0.0, 1.0),
], ids=["+=", "-=", "*=", "/=", "setitem", "add_", "sub_", "mul_", "div_", "zero_", "fill_",
        "copy_", "clamp_"])
def test_every_update_of_a_leaf_that_requires_grad_refuses_in_grad_mode(update):
    w = ad.tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf that requires grad.*ad\.no_grad\(\)"):
        update(w)
    np.testing.assert_array_equal(w.data, [0.5, 2.0])
    with ad.no_grad():                         # the same update is fine without recording
        update(w)
    assert not np.array_equal(w.data, [0.5, 2.0])
    assert w.requires_grad and w.is_leaf


def test_no_grad_updates_write_into_the_same_array():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    with ad.no_grad():
        w += 1.0
        w *= 2.0
        w -= np.array([1.0, 1.0])
        w /= 2.0
        w[1] = 10.0
    assert w.data is data
    np.testing.assert_array_equal(w.data, [1.5, 10.0])
    with ad.no_grad():
        w.add_(np.array([1.0, 1.0]), alpha=0.5).mul_(2.0)
    np.testing.assert_array_equal(w.data, [4.0, 21.0])
    with ad.no_grad():
        w.clamp_(max=5.0)
    np.testing.assert_array_equal(w.data, [4.0, 5.0])
    with ad.no_grad():
        w.copy_(ad.tensor([7.0]))              # broadcast
    np.testing.assert_array_equal(w.data, [7.0, 7.0])


def test_constants_update_in_place_without_no_grad():
    t = ad.tensor([1.0, 2.0])                  # nothing requires grad: nothing to record
    t += 1
    t[0] = 0.0
    t.fill_(4.0)
    np.testing.assert_array_equal(t.data, [4.0, 4.0])
    assert t.is_leaf and t.node is None


def test_recorded_update_keeps_the_object_and_the_gradients_right():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    saved_by_square = y * y                    # saved y = 2x before the update
    same = y
    y += x                                     # y = 3x, recorded
    y *= x                                     # y = 3x^2
    assert y is same and not y.is_leaf
    (y.sum() + saved_by_square.sum()).backward()
    np.testing.assert_allclose(x.grad, 6 * x.data + 8 * x.data)


def test_constant_accumulator_becomes_recorded_when_a_tracked_value_is_added():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    total = ad.zeros(2)
    for k in range(3):
        total += x * k
    assert total.requires_grad
    total.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_recorded_setitem_is_a_scatter():
    x = ad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = ad.tensor([10.0, 20.0], requires_grad=True)
    y = x * 1.0
    y[np.array([3, 1])] = v * 2
    np.testing.assert_array_equal(y.data, [1.0, 40.0, 3.0, 20.0])
    (y * ad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 3.0, 0.0])    # g with idx zeroed
    np.testing.assert_array_equal(v.grad, [8.0, 4.0])              # 2 * g[idx]


def test_recorded_setitem_with_a_broadcast_value_sums_its_gradient():
    x = ad.tensor(np.ones((2, 3)), requires_grad=True)
    s = ad.tensor(5.0, requires_grad=True)
    y = x + 0
    y[:, 1:] = s
    y.sum().backward()
    assert s.grad == 4.0
    np.testing.assert_array_equal(x.grad, [[1, 0, 0], [1, 0, 0]])
    assert ad.gradcheck(lambda a, b: _set(a, b).sum(), [np.ones((2, 3)), np.array(2.0)])


def _set(a, b):
    out = a * a
    out[:, 1:] = b * b
    return out * a


def test_writing_into_an_array_a_live_graph_saved_names_the_tensor_and_the_op():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = (w * w).sum()
    for update in (lambda: w.__isub__(0.5), lambda: w.__setitem__(0, 1.0),
                   lambda: w.zero_(), lambda: w.clamp_(0, 1)):
        with ad.no_grad():
            with pytest.raises(ad.InPlaceError, match=r"tensor 'w' in place: op 'multiply'"):
                update()
    loss.backward()
    with ad.no_grad():
        w -= 0.5                               # freed by backward: allowed again
    np.testing.assert_array_equal(w.data, [0.5, 1.5])


def test_an_in_place_update_cannot_change_the_shape():
    t = ad.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"\+=: .*shape"):
        t += np.ones((3, 2))
    y = ad.tensor([1.0, 2.0], requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"\+=: the update has shape \(3, 2\)"):
        y += np.ones((3, 2))


def test_dtype_is_kept_and_unsafe_casts_are_refused():
    t = ad.tensor(np.ones(2, dtype=np.float32))
    t += np.array([0.5, 0.5])                  # float64 operand: stays float32, as NumPy
    assert t.dtype == np.float32
    i = ad.tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=: .*int64"):
        i += 0.5


# ----- views made by basic indexing (NumPy's and PyTorch's write-through) ----------------

def test_a_recorded_update_of_a_row_reaches_the_tensor_it_views():
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = ad.zeros((2, 3))
    row = out[0]
    row += w                                    # recorded: w requires grad
    np.testing.assert_array_equal(out.data, [[1, 2, 3], [0, 0, 0]])
    assert out.requires_grad
    (out * ad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])
    row += 1.0                                  # the row still views out's array
    np.testing.assert_array_equal(out.data[0], [2, 3, 4])


def test_an_update_through_a_slice_of_an_intermediate_changes_it_and_its_gradient():
    x = ad.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    s = ad.tensor(2.0, requires_grad=True)
    y = x * 2
    v = y[:, 1:]                                # a view of both rows
    v *= s
    v[0, 0] = 0.0                               # and a setitem through it
    np.testing.assert_array_equal(y.data, [[2, 0, 12], [8, 20, 24]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0, 4], [2, 4, 4]])
    assert s.grad == 6 + 10 + 12                # d/ds of the three scaled entries / s


def test_augmented_assignment_into_an_index_counts_the_gradient_once():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    out = ad.zeros((3, 2))
    out[1] += w * 3.0                           # out[1].__iadd__, then out.__setitem__
    out[1:][0] += w                             # through a view of a view
    np.testing.assert_array_equal(out.data, [[0, 0], [4, 8], [0, 0]])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [4.0, 4.0])


def test_a_view_of_a_leaf_that_requires_grad_is_refused_in_grad_mode_only():
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    head = w[:2]
    with pytest.raises(RuntimeError, match="view of .* a leaf that requires grad"):
        head += ad.tensor([1.0, 1.0], requires_grad=True)
    with ad.no_grad():
        head += 10.0                            # NumPy's write-through, like p -= lr * g
    np.testing.assert_array_equal(w.data, [11.0, 12.0, 3.0])


def test_views_follow_a_recorded_update_of_the_tensor_they_view_or_of_a_sibling():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = x * 1.0
    col, row = out[:, 0], out[0]
    row *= 10                                   # recorded: out and col follow
    np.testing.assert_array_equal(col.data, [10.0, 3.0])
    (col * col).sum().backward()
    np.testing.assert_array_equal(x.grad, [[200.0, 0.0], [6.0, 0.0]])   # as PyTorch
    base = ad.zeros(3)
    head = base[:2]
    base += ad.tensor([1.0, 2.0, 3.0], requires_grad=True)   # the base first
    np.testing.assert_array_equal(head.data, [1.0, 2.0])
    assert head.requires_grad
    head += 1.0                                 # and the view is a view again
    np.testing.assert_array_equal(base.data, [2.0, 3.0, 3.0])


@pytest.mark.parametrize("key", [(0, 0), ([0], [0]), [0], (0, [1]),
                                 np.array([[True, True, False], [False, False, False]])],
                         ids=["element", "pairs", "rows", "mixed", "mask"])
def test_a_view_follows_a_recorded_write_whose_key_selects_a_copy(key):
    # NumPy: row = x[0]; x[key] = 99 changes row wherever key touched row 0, even when
    # x[key] itself is a copy (integer, fancy or boolean indexing).
    t = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x = t * 1.0
    row = x[0]
    expected = np.arange(6.0).reshape(2, 3)
    expected_row = expected[0]
    x[key] = ad.tensor(99.0, requires_grad=True)
    expected[key] = 99.0
    np.testing.assert_array_equal(row.data, expected_row)
    row.sum().backward()
    np.testing.assert_array_equal(t.grad[0], expected_row != 99.0)


def test_an_element_taken_by_integer_indexing_is_a_copy_as_in_numpy():
    out = ad.zeros((2, 2))
    element = out[0, 1]                         # NumPy: a copy (PyTorch: a view)
    element += ad.tensor(1.0, requires_grad=True)
    assert out.data[0, 1] == 0.0 and not out.requires_grad
    out[0, 1] += ad.tensor(5.0, requires_grad=True)     # the element's own update
    assert out.data[0, 1] == 5.0 and out.requires_grad


def test_an_unrecorded_update_of_a_view_of_a_parameter_needs_no_grad():
    w = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with ad.no_grad():
        head = w[:2]
    with pytest.raises(RuntimeError, match="view of .* a leaf that requires grad"):
        head += 1.0                             # grad mode: refused, as PyTorch does
    with ad.no_grad():
        head += 1.0
    np.testing.assert_array_equal(w.data, [2.0, 3.0, 3.0])


@pytest.mark.parametrize("update", ["slice", "row", "fill"])
def test_compiled_steps_with_updates_through_views_match_eager(update):
    def make():
        w = ad.tensor(np.linspace(0.5, 1.5, 12).reshape(3, 4), requires_grad=True)
        opt = ad.optim.SGD([w], lr=0.1)

        def step(xb):
            h = xb @ w
            if update == "slice":
                h[1:] += 1.0
            elif update == "row":
                r = h[0]
                r *= 2.0
            else:
                h[:, 1:].fill_(2.0)
            loss = (h ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return w, step

    w_eager, eager = make()
    w_compiled, step = make()
    step = ad.compile(step)
    for k in range(3):
        xb = np.full((5, 3), 1.0 + k)
        assert eager(xb).data == step(xb).data
    np.testing.assert_array_equal(w_eager.data, w_compiled.data)


def test_a_view_taken_under_no_grad_is_not_updated_in_grad_mode():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = x * 2.0
    with ad.no_grad():
        head = out[:2]
    with pytest.raises(RuntimeError, match="taken under ad.no_grad"):
        head *= 5.0                             # PyTorch refuses it too


def test_rows_written_one_by_one_while_earlier_rows_are_kept():
    x = ad.tensor([0.5, -1.0], requires_grad=True)
    out = ad.zeros((6, 2))
    rows, h = [], x
    for t in range(6):                          # an RNN's "out[t] = h; keep out[t]"
        h = ad.tanh(h * 1.5 + 0.1)
        out[t] = h
        rows.append(out[t])
    loss = sum((r * (k + 1)).sum() for k, r in enumerate(rows)) + (out ** 2).sum()
    loss.backward()
    x2 = ad.tensor([0.5, -1.0], requires_grad=True)   # the same without views
    hs, h = [], x2
    for t in range(6):
        h = ad.tanh(h * 1.5 + 0.1)
        hs.append(h)
    (sum((r * (k + 1)).sum() for k, r in enumerate(hs))
     + sum((r ** 2).sum() for r in hs)).backward()
    np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-12)


def test_a_view_of_a_parameter_sees_a_loaded_state_dict():
    layer = ad.nn.Linear(2, 3, rng=0)
    with ad.no_grad():                          # (in grad mode a live graph holds it)
        row = layer.weight[0]
    layer.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(3)})
    np.testing.assert_array_equal(row.data, [1.0, 1.0, 1.0])


def test_a_view_left_on_an_older_array_still_follows_later_updates():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    out = ad.zeros((3, 2))
    first, second = out[0], out[1]
    out[1] = x * 2                              # recorded: first does not overlap
    out[0] = x * 3                              # and then it does
    np.testing.assert_array_equal(first.data, [3.0, 6.0])
    np.testing.assert_array_equal(second.data, [2.0, 4.0])
    (first.sum() + second.sum()).backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    with ad.no_grad():
        out += 1.0                              # an unrecorded write reaches every view
        second += 10.0
    np.testing.assert_array_equal(first.data, [4.0, 7.0])
    np.testing.assert_array_equal(out.data[1], [13.0, 15.0])


@pytest.mark.parametrize("update", [
    lambda x, v: x.__setitem__(slice(0, 2), v * 1.0), lambda x, v: x.__setitem__(0, v[0]),
    lambda x, v: x.__iadd__(v[0]), lambda x, v: x.fill_(v[0]),
    lambda x, v: x[:2].__imul__(v),
], ids=["setitem", "setitem element", "+=", "fill_", "*= through a view"])
def test_values_that_need_a_gradient_are_not_truncated_into_an_integer_tensor(update):
    # NumPy truncates (a[i] = 1.5) or refuses (a += 1.5); either way the gradient of the
    # values would be lost, so this refuses, saying how to make the tensor float.
    v = ad.tensor([1.5, 2.5], requires_grad=True)
    x = ad.tensor(np.zeros(3, dtype=int))
    with pytest.raises(TypeError, match=r"float64 values that require grad, but tensor .* "
                                        r"holds int64.*astype\(float\)"):
        update(x, v)
    assert x.dtype == np.int64 and not x.requires_grad
    x[:2] = ad.tensor([1.5, 2.5])              # no gradient involved: NumPy's truncation
    np.testing.assert_array_equal(x.data, [1, 2, 0])


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.uint8])
def test_the_function_form_of_setitem_refuses_truncating_a_value_that_requires_grad(dtype):
    v = ad.tensor(0.5, requires_grad=True)
    for target in (ad.tensor(np.zeros(3, dtype=dtype)), np.zeros(3, dtype=dtype)):
        with pytest.raises(TypeError, match=f"setitem: .*requires grad.*holds {np.dtype(dtype)}"):
            ad.setitem(target, v, 0)
        with pytest.raises(TypeError, match="truncated"):
            ad.tensor(np.zeros(3, dtype=dtype))[0] = v      # the t[k] = v form, as before
    out = ad.setitem(ad.tensor(np.zeros(3, dtype=dtype)), 1, 0)   # no gradient: NumPy's cast
    assert out.dtype == dtype and not out.requires_grad
    out = ad.setitem(ad.tensor(np.zeros(3, dtype=np.float32)), v, 0)
    out.sum().backward()
    assert out.dtype == np.float32 and v.grad == 1.0


@pytest.mark.parametrize("update", [
    lambda h: h.view(-1).__setitem__(0, 0.0),
    lambda h: h.view(4).zero_(),
    lambda h: h.t().__setitem__(0, 0.0),
    lambda h: h.unsqueeze(0)[0, 1].fill_(0.0),
])
def test_a_recorded_update_through_a_reshape_or_transpose_view_reaches_the_tensor(update):
    # As PyTorch's view: the recorded update changes h, as the unrecorded one does, and
    # the elements it overwrote pass no gradient back to x.
    x = ad.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    h = x * 1.0
    update(h)
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    with ad.no_grad():
        unrecorded = ad.tensor(expected.copy())
        update(unrecorded)
    assert not np.array_equal(h.data, expected)
    np.testing.assert_array_equal(h.data, unrecorded.data)
    h.sum().backward()
    np.testing.assert_array_equal(x.grad, h.data == expected)


def test_a_recorded_update_of_an_op_view_of_a_temporary_is_free():
    # u = t.copy().reshape(2, 3): no live tensor shows the copy's memory, so no one can
    # see the copy left behind; NumPy code that fills a plate this way differentiates.
    def plate(t):
        u = t.copy().reshape(2, 3)
        u[0] = 0.5 * u[1]
        u[:, 0] += 1.0
        return np.sum(u ** 2)
    p = np.arange(6.0) / 4
    np.testing.assert_allclose(ad.grad(plate)(p), ad.numerical_grad(plate, [p])[0], rtol=1e-6)


@pytest.mark.parametrize("keep", [
    lambda c: c,                    # the tensor viewed, alive
    lambda c: c.reshape(3, 2),      # another view of its memory made by an op
    lambda c: c[1:3],               # a view by indexing (which keeps c alive)
])
def test_an_op_view_of_a_tensor_still_seen_elsewhere_is_written_through(keep):
    def update(t):
        c = t * 1.0
        u, kept = c.reshape(2, 3), keep(c)
        del c
        u[0] = 0.0
        return np.sum(kept * np.arange(1.0, 1.0 + kept.size).reshape(kept.shape))
    p = np.arange(6.0) + 1.0
    plain = np.array(p)
    expected = update(plain)        # the same program on an ndarray
    np.testing.assert_allclose(ad.tensor(update(ad.tensor(p))).data, expected)
    np.testing.assert_allclose(ad.grad(update)(p), ad.numerical_grad(update, [p])[0],
                               rtol=1e-6)


def test_writes_at_ever_new_places_keep_the_stamps_bounded_and_still_refuse():
    from autodiff import overwrites
    buf = ad.tensor(np.zeros(100_000))
    w = ad.tensor(np.ones(10), requires_grad=True)
    saved = (w * buf[:10]).sum()                # multiply saves a view of buf
    with ad.no_grad():
        for start in range(10, 10 + 3 * overwrites.MAX_RANGES):
            buf[start:start + 1] = 1.0          # each write a new range of buf
    assert len(overwrites._written[id(buf.data)][1]) <= overwrites.MAX_RANGES
    with ad.no_grad():
        buf[0:1] = 2.0                          # ... and one into the saved part
    with pytest.raises(ad.inplace.InPlaceError, match="op 'multiply' saved its input"):
        saved.backward()


@pytest.mark.parametrize("make_view", [
    lambda m: m.reshape(-1), lambda m: m.T, lambda m: np.ravel(m), lambda m: np.transpose(m)])
def test_a_recorded_write_through_an_op_view_of_a_tensor_without_grad_reaches_it(make_view):
    # The view's memory is m's: NumPy and PyTorch change m, and so does the recorded
    # update, whose value keeps its gradient.
    w = ad.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    m = ad.zeros((3, 3))
    view = make_view(m)
    view[0] = w[0] * 2.0
    expected = np.zeros((3, 3))
    make_view(expected)[0] = 2.0
    assert np.array_equal(m.data, expected) and m.requires_grad
    (m * np.arange(9.0).reshape(3, 3)).sum().backward()
    assert w.grad.tolist() == [2.0 * np.arange(9.0).reshape(3, 3)[expected != 0].sum(), 0, 0]
    with ad.no_grad():                  # unrecorded: written through, as NumPy does
        make_view(m)[0] = 5.0
    make_view(expected)[0] = 5.0
    assert np.array_equal(m.data, expected)


@pytest.mark.parametrize("make_view,op", [
    (lambda c: c.T, "transpose"), (lambda c: c.reshape(3, 2), "reshape"),
    (lambda c: np.flip(c), "flip"), (lambda c: ad.split(c, [1], axis=1)[0], "getitem"),
    (lambda c: np.diagonal(c), "diagonal"),
])
def test_a_recorded_update_of_a_tensor_with_a_live_op_view_is_refused(make_view, op):
    w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    c = w * 1.0
    view = make_view(c)
    if op != "diagonal":        # index views, layout views and reversals are followed
        c *= 2.0
        assert np.array_equal(view.data, make_view(w.data * 2.0))
        return
    with pytest.raises(ad.InPlaceError, match=f"made from it by '{op}'"):
        c *= 2.0
    assert np.array_equal(c.data, w.data)


def test_an_op_view_that_is_gone_or_of_a_gone_tensor_does_not_refuse_an_update():
    w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    c = w * 1.0
    view = c.T
    del view
    c *= 2.0                            # the view is gone: nothing shows the old values
    m = ad.zeros((2, 3))
    flat = (m + 0.0).reshape(-1)        # a view of a temporary nobody else holds
    with ad.no_grad():
        flat[0] = 1.0
    flat[1] = w[0, 1]
    assert flat.data.tolist()[:2] == [1.0, 1.0] and not m.data.any()
    c.sum().backward()
    assert np.array_equal(w.grad, np.full((2, 3), 2.0))


def test_explain_names_the_in_place_overwrite_not_an_internal_where():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    h = w * 2
    h.fill_(3.0)
    loss = (h + 1).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(w)
    assert "overwrote every value in place (fill_), so the old values get no gradient" in text
    assert "where" not in text and np.array_equal(w.grad, [0.0, 0.0])


def test_a_diagonal_is_a_read_only_view_as_numpys():
    # It was a writable copy: d += 1 changed d alone, where NumPy refuses and PyTorch
    # writes into c, and d kept the old values after c changed.
    c = ad.tensor(np.arange(9.0).reshape(3, 3))
    d = np.diagonal(c)
    with pytest.raises(ad.InPlaceError, match="read-only"):
        d += 1.0
    with ad.no_grad():
        c += 1.0
    assert d.data.tolist() == [1.0, 5.0, 9.0]
    w = ad.tensor(np.ones((3, 3)), requires_grad=True)
    h = w * 1.0
    kept = ad.diagonal(h)
    with pytest.raises(ad.InPlaceError, match="made from it by 'diagonal'"):
        h *= 2.0
    (kept * 3.0).sum().backward()
    assert np.array_equal(w.grad, 3.0 * np.eye(3))
