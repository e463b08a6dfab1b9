"""Writes through views made by laying out a tensor anew (``a.T[0] = v``,
``a.reshape(6)[1:3] = v``, ``a.unsqueeze(0)[0, 1] = v``, chains with indexing) reach
the tensor viewed and its other views, recorded in grad mode and written through
under ``no_grad``: values as NumPy's, gradients as finite differences and PyTorch's."""

import numpy as np
import pytest

import autodiff as ad

MASK = np.array([True, False, True, True, False, False])

# name: (shape of the tensor written through, shape of the value written,
#        the write in autodiff, the same write in NumPy, in PyTorch (None: as autodiff))
WRITES = {
    "T": ((2, 3), (2,), lambda a, v: a.T.__setitem__(0, v), None, None),
    "mT mul_": ((2, 3), (3, 1), lambda a, v: a.mT.mul_(v),
                lambda a, v: a.mT.__imul__(v), None),
    "permute +=": ((2, 3, 4), (2, 3), lambda a, v: _iadd(a.permute(2, 0, 1), 1, v),
                   lambda a, v: _iadd(a.transpose(2, 0, 1), 1, v), None),
    "transpose(1, 0)": ((2, 3), (2,), lambda a, v: a.transpose(1, 0).__setitem__(2, v),
                        None, None),
    "swapaxes": ((2, 3, 4), (3, 2), lambda a, v: a.swapaxes(0, 2)[1].__setitem__(
        slice(None), v), None, None),
    "moveaxis": ((2, 3, 4), (2, 4), lambda a, v: ad.moveaxis(a, 1, 0).__setitem__(1, v),
                 lambda a, v: np.moveaxis(a, 1, 0).__setitem__(1, v),
                 lambda a, v: a.movedim(1, 0).__setitem__(1, v)),
    "reshape": ((2, 3), (2,), lambda a, v: a.reshape(6).__setitem__(slice(1, 3), v),
                None, None),
    "view mask": ((2, 3), (3,), lambda a, v: a.view(-1).__setitem__(MASK, v),
                  lambda a, v: a.reshape(-1).__setitem__(MASK, v),
                  lambda a, v: a.view(-1).__setitem__(_torch().from_numpy(MASK), v)),
    "flatten(1)": ((2, 3, 4), (10,), lambda a, v: a.flatten(1)[1].__setitem__(
        slice(2, None), v), lambda a, v: a.reshape(2, -1)[1].__setitem__(slice(2, None), v),
        None),
    "ravel": ((2, 3), (3,), lambda a, v: a.ravel().__setitem__(slice(None, None, 2), v),
              None, None),
    "unsqueeze": ((2, 3), (), lambda a, v: a.unsqueeze(0).__setitem__((0, 1, 2), 5 * v),
                  lambda a, v: np.expand_dims(a, 0).__setitem__((0, 1, 2), 5 * v), None),
    "squeeze": ((2, 3), (3,), lambda a, v: a.unsqueeze(1).squeeze(1).__setitem__(0, v),
                lambda a, v: np.expand_dims(a, 1).squeeze(1).__setitem__(0, v), None),
    "expand_dims then index": ((2, 3), (3,), lambda a, v: ad.expand_dims(a, 2)[..., 0]
                               .__setitem__(1, v),
                               lambda a, v: np.expand_dims(a, 2)[..., 0].__setitem__(1, v),
                               lambda a, v: a.unsqueeze(2)[..., 0].__setitem__(1, v)),
    "T[1:][0]": ((2, 3), (2,), lambda a, v: a.T[1:].__setitem__(0, v), None, None),
    "[1:].T": ((3, 3), (2,), lambda a, v: a[1:].T.__setitem__(0, v), None, None),
    "T.T": ((2, 3), (3,), lambda a, v: a.T.T.__setitem__(1, v), None, None),
    "reshape.T.reshape": ((2, 3, 4), (4,), lambda a, v: a.reshape(6, 4).T.reshape(
        4, 2, 3)[1, 0].__setitem__(slice(None), v[:3] * v[3]), None, None),
}


def _torch():
    return pytest.importorskip("torch")


def _iadd(view, index, v):
    view[index] += v


def _base_value(shape):
    return np.linspace(-1.0, 1.5, int(np.prod(shape))).reshape(shape)


def _value(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape)


def _program(write):
    """A loss of ``p`` and ``v``: ``a = sin(p)``, written through with ``v``, read
    through ``a`` and a flat view of it taken before the write."""
    def loss(p, v):
        a = ad.sin(p)
        flat = a.reshape(-1)
        write(a, v)
        weights = np.arange(1.0, 1.0 + a.size)
        return (a ** 2 * weights.reshape(a.shape)).sum() + (flat * weights).sum()
    return loss


@pytest.mark.parametrize("name", WRITES)
def test_values_equal_numpys_and_other_views_see_the_write(name):
    shape, v_shape, write, numpy_write, _ = WRITES[name]
    expected = np.sin(_base_value(shape))
    flat_expected, t_expected = expected.reshape(-1), expected.T
    (numpy_write or write)(expected, _value(v_shape))
    p = ad.tensor(_base_value(shape), requires_grad=True)
    v = ad.tensor(_value(v_shape), requires_grad=True)
    a = ad.sin(p)
    flat, transposed = a.reshape(-1), a.T
    write(a, v)
    assert not np.array_equal(a.data, np.sin(_base_value(shape)))
    np.testing.assert_array_equal(a.data, expected)
    np.testing.assert_array_equal(flat.data, flat_expected)
    np.testing.assert_array_equal(transposed.data, t_expected)
    assert a.requires_grad and flat.requires_grad


@pytest.mark.parametrize("name", WRITES)
def test_unrecorded_writes_go_through_numpys_view(name):
    shape, v_shape, write, numpy_write, _ = WRITES[name]
    expected = _base_value(shape)
    (numpy_write or write)(expected, _value(v_shape))
    a = ad.tensor(_base_value(shape))
    flat = a.reshape(-1)
    with ad.no_grad():
        write(a, ad.tensor(_value(v_shape)))
    np.testing.assert_array_equal(a.data, expected)
    np.testing.assert_array_equal(flat.data, expected.reshape(-1))


@pytest.mark.parametrize("name", WRITES)
def test_gradients_match_finite_differences(name):
    shape, v_shape, write, _, _ = WRITES[name]
    assert ad.gradcheck(_program(write), [_base_value(shape), _value(v_shape)])


@pytest.mark.parametrize("name", ["T", "permute +=", "view mask", "mT mul_", "T[1:][0]",
                                  "reshape.T.reshape"])
def test_second_order_matches_finite_differences(name):
    shape, v_shape, write, _, _ = WRITES[name]
    assert ad.gradgradcheck(_program(write), [_base_value(shape), _value(v_shape)])


@pytest.mark.parametrize("name", WRITES)
def test_values_and_gradients_match_pytorch(name):
    torch = _torch()
    shape, v_shape, write, _, torch_write = WRITES[name]
    p_value, v_value = _base_value(shape), _value(v_shape)
    p, v = ad.tensor(p_value, requires_grad=True), ad.tensor(v_value, requires_grad=True)
    loss = _program(write)(p, v)
    loss.backward()

    tp = torch.tensor(p_value, requires_grad=True)
    tv = torch.tensor(v_value, requires_grad=True)
    ta = torch.sin(tp)
    t_flat = ta.reshape(-1)
    (torch_write or write)(ta, tv)
    weights = torch.arange(1.0, 1.0 + ta.numel(), dtype=torch.float64)
    t_loss = (ta ** 2 * weights.reshape(ta.shape)).sum() + (t_flat * weights).sum()
    t_loss.backward()
    np.testing.assert_allclose(loss.data, t_loss.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape, copy_of", [((2, 3), lambda a: a.T.reshape(6)),
                                            ((2, 3, 4), lambda a: a.permute(1, 0, 2)
                                             .reshape(12, 2))])
def test_a_reshape_that_copies_is_a_new_tensor_as_in_numpy(shape, copy_of):
    # The view is not contiguous: NumPy's reshape copies, so the write does not reach a.
    p = ad.tensor(_base_value(shape), requires_grad=True)
    a = p * 1.0
    copied = copy_of(a)
    copied[1] = 5.0
    np.testing.assert_array_equal(a.data, _base_value(shape))
    assert (copied.data[1] == 5.0).all()
    with ad.no_grad():
        copy_of(a)[1] = 5.0
    np.testing.assert_array_equal(a.data, _base_value(shape))


def test_a_leaf_that_requires_grad_still_refuses_a_write_through_its_layout_view():
    w = ad.tensor(_base_value((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf that requires grad"):
        w.T[0] = 0.0
    with pytest.raises(RuntimeError, match="a leaf that requires grad"):
        w.reshape(6).mul_(2.0)
    np.testing.assert_array_equal(w.data, _base_value((2, 3)))
    with ad.no_grad():                      # as an optimizer step writes
        w.T[0] = 0.0
    assert not w.data[:, 0].any()


def test_a_write_into_an_array_a_live_graph_saved_still_raises():
    p = ad.tensor(_base_value((2, 3)), requires_grad=True)
    a = p * 1.0
    saved = (a * p).sum()           # multiply saved a's array
    with ad.no_grad():
        a.T[0] = 0.0
    with pytest.raises(ad.InPlaceError, match="multiply"):
        saved.backward()


def test_a_view_taken_under_no_grad_refuses_a_write_in_grad_mode():
    p = ad.tensor(_base_value((2, 3)), requires_grad=True)
    a = p * 1.0
    with ad.no_grad():
        flat = a.reshape(6)
    with pytest.raises(RuntimeError, match="taken under ad.no_grad"):
        flat[0] = 0.0


def test_version_errors_unchanged_after_a_recorded_write():
    # The recorded write keeps the old array, so what earlier ops saved stays right.
    p = ad.tensor(_base_value((2, 3)), requires_grad=True)
    a = ad.sin(p)
    before = (a ** 2).sum()         # power saved a's old values
    a.T[1] = 0.0
    after = (a ** 2).sum()
    (before + after).backward()
    expected = 2 * np.sin(_base_value((2, 3))) * np.cos(_base_value((2, 3)))
    expected_after = expected.copy()
    expected_after[:, 1] = 0.0
    np.testing.assert_allclose(p.grad, expected + expected_after, rtol=1e-12)


def test_a_view_made_by_another_op_still_refuses():
    p = ad.tensor(_base_value((3, 3)), requires_grad=True)
    a = p * 1.0
    diagonal = np.diagonal(a)
    with pytest.raises(RuntimeError, match="through 'diagonal'"):
        diagonal.T.__setitem__(0, p[0, 0])


def _compiled_step_program(parameter):
    def step(x):
        a = parameter * x
        a.T[0] = 0.0
        a.reshape(6)[2] = x[0, 0] * 3.0
        a.unsqueeze(0).permute(2, 0, 1)[1:][0] *= 2.0
        with ad.no_grad():
            b = x * 1.0
            b.T[1] = 7.0
        loss = (a ** 2 * b).sum()
        loss.backward()
        return loss.detach()
    return step


def test_a_compiled_step_with_layout_writes_equals_eager_over_calls():
    parameter = ad.tensor(_base_value((2, 3)), requires_grad=True)
    step = _compiled_step_program(parameter)
    compiled = ad.compile(step)
    rng = np.random.default_rng(3)
    grads = []
    for _ in range(3):
        x = ad.tensor(rng.normal(size=(2, 3)))
        parameter.grad = None
        compiled_loss = compiled(x).data
        compiled_grad = parameter.grad.copy()
        parameter.grad = None
        eager_loss = step(x).data
        np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-12)
        np.testing.assert_allclose(compiled_grad, parameter.grad, rtol=1e-12)
        grads.append(compiled_grad)
    assert not np.allclose(grads[1], grads[2])     # (each call's data reaches them)


@pytest.mark.parametrize("make_view, numpy_view", [
    (lambda a: ad.transpose(a, axes=(1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    (lambda a: ad.swapaxes(a, axis1=0, axis2=2), lambda a: a.swapaxes(0, 2)),
    (lambda a: np.transpose(a, (2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
])
def test_axes_given_by_keyword_or_through_numpy_are_followed(make_view, numpy_view):
    p = ad.tensor(_base_value((2, 3, 4)), requires_grad=True)
    v = ad.tensor(_value(()), requires_grad=True)
    a = p * 2.0
    make_view(a)[1, 1] = v
    expected = _base_value((2, 3, 4)) * 2.0
    numpy_view(expected)[1, 1] = v.data
    np.testing.assert_array_equal(a.data, expected)
    (a * expected).sum().backward()
    np.testing.assert_allclose(v.grad, numpy_view(expected)[1, 1].sum())


def test_a_new_shape_in_place_still_refuses_a_tensor_with_a_live_layout_view():
    a = ad.tensor(_base_value((2, 3)))
    assert a.t_() is a and a.shape == (3, 2)        # (its own result is no view left)
    transposed = a.T
    with pytest.raises(RuntimeError, match="t_: tensor of shape .* has views"):
        a.t_()
    del transposed
    a.t_()
    np.testing.assert_array_equal(a.data, _base_value((2, 3)))


def _with_no_grad(write):
    with ad.no_grad():
        write()


# Sequences of writes through views that earlier writes moved to new arrays: each
# (a, run_unrecorded) -> None, run on an ndarray and on a = p * 1.0.
SEQUENCES = {
    "reshape taken before a write through T": lambda a, quiet: (lambda flat: (
        a.T.__setitem__(0, 0.0), quiet(lambda: flat.__setitem__(1, 9.0))))(a.reshape(12)),
    "T of a strided slice": lambda a, quiet: a[:, ::2].T.__setitem__(0, -1.0),
    "reshape of T, unrecorded after recorded": lambda a, quiet: (lambda t: (lambda r: (
        t.__setitem__(0, -3.0), quiet(lambda: r.__setitem__((1, 0, 0), 9.0))))(
        t.reshape(4, 3, 1)))(a.T),
    "base, then its views": lambda a, quiet: (lambda t, f: (
        a.__setitem__((1, 2), -4.0), t.__setitem__(1, -5.0),
        quiet(lambda: f.__setitem__(0, 8.0))))(a.T, a.reshape(2, 6)),
}


@pytest.mark.parametrize("name", SEQUENCES)
def test_sequences_of_writes_equal_numpys(name):
    run = SEQUENCES[name]
    expected = np.arange(12.0).reshape(3, 4)
    run(expected, lambda write: write())
    p = ad.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    a = p * 1.0
    run(a, _with_no_grad)
    np.testing.assert_array_equal(a.data, expected)


def test_transforms_differentiate_through_layout_writes():
    def f(x):
        y = ad.sin(x)
        y.T[0] = x[0, 0] ** 2
        y.reshape(-1)[3] *= x[1, 1]
        return (y ** 2).sum()
    x = np.arange(6.0).reshape(2, 3) / 5
    np.testing.assert_allclose(ad.grad(f)(x), ad.numerical_grad(f, [x])[0], atol=1e-7)
    np.testing.assert_allclose(ad.hessian(f)(x).reshape(6, 6),
                               ad.numerical_grad(lambda z: ad.grad(f)(z), [x])[0].reshape(6, 6),
                               atol=1e-5)

    def writes_its_input(x):
        x.T[0] = 0.0
        return x.sum()
    with pytest.raises(RuntimeError, match="the input a transform"):
        ad.grad(writes_its_input)(x)


def test_view_refuses_to_copy_as_pytorchs_view_does():
    a = ad.tensor(_base_value((2, 3)), requires_grad=True) * 1.0
    with pytest.raises(RuntimeError, match=r"view: .*shape \(3, 2\).*strides \(1, 3\).*"
                                           r"\.reshape\(\.\.\.\)"):
        a.T.view(-1)
    flat = a.T.reshape(-1)                      # reshape may copy
    np.testing.assert_array_equal(flat.data, _base_value((2, 3)).T.reshape(-1))
    assert a.T.contiguous().view(-1).shape == (6,)
    assert a.T.view(3, 1, 2).shape == (3, 1, 2)     # a new axis of size 1: still a view
    assert ad.zeros((0, 3)).T.view(-1).shape == (0,)


def test_view_refusal_matches_pytorch():
    torch = _torch()
    for shape, make, new_shape in [((2, 3), lambda a: a.T, (-1,)),
                                   ((2, 3, 4), lambda a: a.permute(1, 0, 2), (3, 8)),
                                   ((2, 3, 4), lambda a: a.permute(1, 0, 2), (3, 2, 2, 2)),
                                   ((4, 6), lambda a: a[:, ::2], (2, 2, 3))]:
        values = _base_value(shape)
        try:
            expected = make(torch.tensor(values)).view(*new_shape).numpy()
        except RuntimeError:
            with pytest.raises(RuntimeError, match="view: "):
                make(ad.tensor(values)).view(*new_shape)
        else:
            np.testing.assert_array_equal(make(ad.tensor(values)).view(*new_shape).data,
                                          expected)
