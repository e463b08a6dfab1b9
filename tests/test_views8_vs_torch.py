"""Views, hooks and gradients that used to differ silently from PyTorch's: one element
by integer indexing is a 0-d view, ``flatten(dims)``/``ravel`` view when they can (``flatten()``
with no dims copies, NumPy's guarantee), a hook on
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


# ----- 1. PyTorch's in-place methods on one element write into its tensor --------
# (the element itself is a copy, NumPy's scalar: tests/test_element_copies.py)

ELEMENT_WRITES = {
    "add_": lambda e, m: e.add_(1.5),
    "fill_": lambda e, m: e.fill_(5.0),
    "copy_": lambda e, m: e.copy_(m.tensor(7.0, dtype=m.float64)),
    "mul_": lambda e, m: e.mul_(2.0),
    "zero_": lambda e, m: e.zero_(),
    "clamp_": lambda e, m: e.clamp_(2.0, 4.0),
    "setitem": lambda e, m: e.__setitem__(..., 6.0),
}


@pytest.mark.parametrize("write", sorted(ELEMENT_WRITES))
@pytest.mark.parametrize("key", [(1, 2), (-1, -2), (0, 3)])
def test_a_write_into_one_element_shows_in_the_tensor_as_in_torch(write, key):
    h, th = _pair(np.arange(12.0).reshape(3, 4) + 1)
    ELEMENT_WRITES[write](h[key], ad)
    ELEMENT_WRITES[write](th[key], torch)
    np.testing.assert_array_equal(h.data, th.numpy())


def test_a_method_on_an_element_of_a_row_view_reaches_the_tensor_as_in_torch():
    h, th = _pair(np.ones((3, 4)))
    h[1][2].mul_(2)
    th[1][2].mul_(2)
    np.testing.assert_array_equal(h.data, th.numpy())
    assert h.data[1, 2] == 2.0


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


def test_a_method_on_an_element_of_a_leaf_that_requires_grad_is_refused_as_in_torch():
    w = ad.tensor(np.ones((2, 2)), requires_grad=True)
    tw = torch.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError):
        tw[1, 1].mul_(2)
    with pytest.raises(RuntimeError,
                       match="mul_: this tensor is one element of tensor of shape \\(2, 2\\)"):
        w[1, 1].mul_(2)
    with ad.no_grad():
        w[1, 1].mul_(2)
    with torch.no_grad():
        tw[1, 1].mul_(2)
    np.testing.assert_array_equal(w.data, tw.detach().numpy())


# ----- 2. flatten(dims) and ravel view when the layout allows, as PyTorch's -----

FLATTENS = {
    "t.flatten(0, -1)": lambda t, m: t.flatten(0, -1),
    "t.flatten(1)": lambda t, m: t.flatten(1),
    "t.flatten(0, 1)": lambda t, m: t.flatten(0, 1),
    "flatten(t)": lambda t, m: m.flatten(t),
    "flatten(t, 1, 2)": lambda t, m: m.flatten(t, 1, 2),
    "t.ravel()": lambda t, m: t.ravel(),
    "ravel(t)": lambda t, m: m.ravel(t),
    "t.view(-1)": lambda t, m: t.view(-1),
    "nn.Flatten()": lambda t, m: m.nn.Flatten()(t),
    "nn.Flatten(0, -1)": lambda t, m: m.nn.Flatten(0, -1)(t),
    "t.flatten(0).unflatten(0, (2, 12))": lambda t, m: t.flatten(0).unflatten(0, (2, 12)),
    "unflatten(t, 2, (2, 2))": lambda t, m: m.unflatten(t, 2, (2, 2)),
    "nn.Unflatten(1, (3, 1))": lambda t, m: m.nn.Unflatten(1, (3, 1))(t),
}


@pytest.mark.parametrize("name", sorted(FLATTENS))
def test_a_flatten_of_a_contiguous_tensor_is_a_view_as_in_torch(name):
    h, th = _pair(np.arange(24.0).reshape(2, 3, 4))
    FLATTENS[name](h, ad).add_(1.0)
    FLATTENS[name](th, torch).add_(1.0)
    np.testing.assert_array_equal(h.data, th.numpy())
    assert h.data[0, 0, 0] == 1.0


NOT_CONTIGUOUS = {
    "transposed": lambda t: t.transpose(0, 2),
    "sliced": lambda t: t[:, :, :2],
}


@pytest.mark.parametrize("layout", sorted(NOT_CONTIGUOUS))
@pytest.mark.parametrize("name", ["t.flatten(0, -1)", "flatten(t)", "t.ravel()", "ravel(t)",
                                  "nn.Flatten(0, -1)"])
def test_a_flatten_of_a_strided_tensor_is_a_copy_as_in_torch(name, layout):
    h, th = _pair(np.arange(24.0).reshape(2, 3, 4))
    FLATTENS[name](NOT_CONTIGUOUS[layout](h), ad).add_(1.0)
    FLATTENS[name](NOT_CONTIGUOUS[layout](th), torch).add_(1.0)
    np.testing.assert_array_equal(h.data, th.numpy())
    np.testing.assert_array_equal(h.data, np.arange(24.0).reshape(2, 3, 4))


def test_flatten_with_nothing_to_merge_is_the_tensor_itself_as_in_torch():
    for shape, dims in [((3,), (0,)), ((3,), (0, -1)), ((2, 3), (1, 1)), ((2, 3), (-1, -1))]:
        h = ad.zeros(shape)
        th = torch.zeros(shape)
        assert (h.flatten(*dims) is h) == (th.flatten(*dims) is th) == True  # noqa: E712
    scalar, tscalar = ad.tensor(2.0), torch.tensor(2.0)
    assert scalar.flatten().shape == tuple(tscalar.flatten().shape) == (1,)


def test_numpy_flatten_with_an_order_still_copies_and_np_ravel_views():
    h = ad.tensor(np.arange(6.0).reshape(2, 3))
    h.flatten().add_(1.0)                      # no dims: NumPy's flatten, always a copy
    np.testing.assert_array_equal(h.data, np.arange(6.0).reshape(2, 3))
    ad.arange(3.0).flatten().add_(1.0)         # (a 1-d tensor too: not itself)
    h.flatten("C").add_(1.0)
    np.testing.assert_array_equal(h.data, np.arange(6.0).reshape(2, 3))
    np.ravel(h).add_(1.0)                      # np.ravel: a view when it can, as NumPy's
    np.testing.assert_array_equal(h.data, np.arange(6.0).reshape(2, 3) + 1)


def test_a_recorded_update_of_a_flatten_reaches_the_gradient_as_in_torch():
    start = np.arange(6.0).reshape(2, 3) / 4 + 0.25
    w, tw = ad.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    h, th = w * w, tw * tw
    h.flatten(0)[1:4].mul_(3.0)
    th.flatten(0)[1:4].mul_(3.0)
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(h.data, th.detach().numpy())
    np.testing.assert_allclose(w.grad, tw.grad.numpy())

    def scaled_through_flatten(w):
        h = w * 1.0
        h.flatten(0)[1:4].mul_(3.0)
        return (h * h).sum()

    assert ad.gradcheck(scaled_through_flatten, [start])


# ----- 3. a hook registered before an in-place update of its tensor ---------------

def _hooked_run(m, program):
    """Run ``program(x, h, weights, hook)`` with autodiff or torch; returns what the
    hook saw, ``x``'s gradient, and what ``program`` returned (a ``.grad`` or None)."""
    seen = []

    def hook(g):
        seen.append(np.array(g.detach().numpy() if m is torch else g, dtype=float).tolist())

    start = np.array([1.0, 2.0, 3.0])
    x = (torch.tensor(start, requires_grad=True) if m is torch
         else ad.tensor(start, requires_grad=True))
    weights = m.tensor(np.array([1.0, 10.0, 100.0]))
    kept = program(x, x * 1, weights, hook, m)

    def as_list(g):
        return None if g is None else np.asarray(
            g.detach().numpy() if m is torch else g).tolist()

    return seen, as_list(x.grad), as_list(kept)


def _view_hooked_then_scaled(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v.mul_(2)
    (h * weights).sum().backward()


def _view_used_hooked_then_scaled(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    earlier = (v * 5).sum()
    v.mul_(2)
    ((h * weights).sum() + earlier).backward()


def _view_hooked_then_scaled_and_used(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v.mul_(2)
    (v * 3).sum().backward()


def _outer_view_hooked_inner_scaled(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v[1:].mul_(2)
    (h * weights).sum().backward()


def _layout_view_hooked_then_scaled(x, h, weights, hook, m):
    v = h.view(3, 1)
    v.register_hook(hook)
    v.mul_(2)
    (h * weights).sum().backward()


def _view_hooked_then_written(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v[0] = 7.0
    v.clamp_(0.0, 6.0)
    (h * weights).sum().backward()


def _view_hooked_then_filled(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v.fill_(1.0)
    (h * weights).sum().backward()


def _view_hooked_then_masked_fill(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v.masked_fill_(m.tensor(np.array([True, False])), 0.0)
    (h * weights).sum().backward()


def _view_hooked_then_added_a_view_of_x(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    v += x[:2]
    (h * weights).sum().backward()


def _hooked_then_scaled(x, h, weights, hook, m):
    h.register_hook(hook)           # not a view: the hook sees the old value's gradient
    h.mul_(2)
    (h * weights).sum().backward()


def _hooked_then_filled(x, h, weights, hook, m):
    h.register_hook(hook)
    h.fill_(1.0)
    (h * weights).sum().backward()


def _base_hooked_view_scaled(x, h, weights, hook, m):
    h.register_hook(hook)
    h[1:].mul_(2)
    (h * weights).sum().backward()


def _view_hooked_base_scaled(x, h, weights, hook, m):
    v = h[1:]
    v.register_hook(hook)
    h.mul_(2)
    (h * weights).sum().backward()


def _retained_then_scaled(x, h, weights, hook, m):
    h.retain_grad()
    h.mul_(2)
    (h * weights).sum().backward()
    return h.grad


def _scaled_then_retained(x, h, weights, hook, m):
    h.mul_(2)
    h.retain_grad()
    (h * weights).sum().backward()
    return h.grad


def _view_retained_then_scaled(x, h, weights, hook, m):
    v = h[1:]
    v.retain_grad()
    v.mul_(2)
    (v * weights[1:]).sum().backward()
    return v.grad


def _view_scaled_then_retained(x, h, weights, hook, m):
    v = h[1:]
    v.mul_(2)
    v.retain_grad()
    (h * weights).sum().backward()
    return v.grad


HOOKED_PROGRAMS = [
    _view_hooked_then_scaled, _view_used_hooked_then_scaled,
    _view_hooked_then_scaled_and_used, _outer_view_hooked_inner_scaled,
    _layout_view_hooked_then_scaled, _view_hooked_then_written,
    _view_hooked_then_filled, _view_hooked_then_masked_fill,
    _view_hooked_then_added_a_view_of_x, _hooked_then_scaled, _hooked_then_filled,
    _base_hooked_view_scaled, _view_hooked_base_scaled, _retained_then_scaled,
    _scaled_then_retained, _view_retained_then_scaled, _view_scaled_then_retained]


@pytest.mark.parametrize("program", HOOKED_PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_hooks_and_retain_grad_around_an_in_place_update_match_torch(program):
    assert _hooked_run(ad, program) == _hooked_run(torch, program)


def test_a_hook_on_a_view_before_its_update_does_not_run_for_the_base():
    seen, grad, _ = _hooked_run(ad, _view_hooked_then_scaled)
    assert seen == [] and grad == [1.0, 20.0, 200.0]
    seen, _, _ = _hooked_run(ad, _view_used_hooked_then_scaled)
    assert seen == [[5.0, 5.0]]                 # the gradient of its earlier use only


# ----- 4. .grad across backward calls with and without create_graph --------------

def _grad_across_passes(m, first_creates_graph, second_creates_graph):
    start = np.array([1.0, 2.0])
    w = (torch.tensor(start, requires_grad=True) if m is torch
         else ad.tensor(start, requires_grad=True))
    (w ** 3).sum().backward(create_graph=first_creates_graph)
    held = w.grad
    (w * w).sum().backward(create_graph=second_creates_graph)

    def values(g):
        return np.asarray(g.detach().numpy() if m is torch else getattr(g, "data", g)).tolist()

    return (w.grad is held, values(held), values(w.grad),
            bool(getattr(w.grad, "requires_grad", False)),
            bool(getattr(held, "requires_grad", False)))


@pytest.mark.parametrize("first, second", [(True, False), (False, True), (True, True),
                                           (False, False)])
def test_grad_identity_and_values_across_passes_match_torch(first, second):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # (torch's create_graph reference-cycle note)
        expected = _grad_across_passes(torch, first, second)
    assert _grad_across_passes(ad, first, second) == expected


def test_a_held_grad_from_create_graph_sees_a_plain_backward_and_keeps_its_graph():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w ** 3).sum().backward(create_graph=True)
    g = w.grad
    (w * w).sum().backward()
    np.testing.assert_array_equal(g.data, [3.0 + 2.0, 12.0 + 4.0])
    w.grad = None
    g.sum().backward()                           # its graph: d(3 w^2)/dw = 6 w
    np.testing.assert_array_equal(w.grad, [6.0, 12.0])


def test_a_create_graph_grad_is_a_copy_of_the_gradient_passed_in():
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    seed = ad.tensor(np.array([1.0, 1.0]))
    w.backward(seed, create_graph=True)
    w.backward(seed)                             # adds into .grad, not into seed
    np.testing.assert_array_equal(seed.data, [1.0, 1.0])
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])


# ----- 5. permute() without dims, trunc division's gradient ---------------------

@pytest.mark.parametrize("shape", [(), (2,), (2, 3)])
def test_permute_without_dims_is_refused_as_in_torch(shape):
    with pytest.raises(TypeError):
        torch.zeros(shape).permute()
    with pytest.raises(TypeError, match="permute\\(\\) missing 1 required positional "
                                        "argument: 'dims'"):
        ad.zeros(shape).permute()


def test_permute_of_a_0d_tensor_with_no_dims_named_is_itself_as_in_torch():
    assert ad.tensor(2.0).permute(()).shape == tuple(torch.tensor(2.0).permute(()).shape) == ()


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("spell", ["ad.divide", "t.div"])
def test_a_rounded_division_has_positive_zero_gradients_as_in_torch(mode, spell):
    a_values = np.array([[-1.5, 2.5, 3.0], [7.0, -7.0, 0.5]])
    b_values = np.array([2.0, 3.0, -2.0])
    a = ad.tensor(a_values, requires_grad=True)
    b = ad.tensor(b_values, requires_grad=True)
    ta = torch.tensor(a_values, requires_grad=True)
    tb = torch.tensor(b_values, requires_grad=True)
    out = ad.divide(a, b, rounding_mode=mode) if spell == "ad.divide" else a.div(
        b, rounding_mode=mode)
    tout = torch.div(ta, tb, rounding_mode=mode)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_array_equal(np.signbit(out.data), np.signbit(tout.detach().numpy()))
    (out * ad.tensor(np.arange(6.0).reshape(2, 3) - 3)).sum().backward()
    (tout * torch.tensor(np.arange(6.0).reshape(2, 3) - 3)).sum().backward()
    for grad, tgrad in ((a.grad, ta.grad), (b.grad, tb.grad)):
        np.testing.assert_array_equal(grad, tgrad.numpy())
        np.testing.assert_array_equal(np.signbit(grad), np.signbit(tgrad.numpy()))


def test_a_trunc_division_has_the_central_difference_gradient_away_from_its_jumps():
    assert ad.gradcheck(lambda a, b: ad.divide(a, b, rounding_mode="trunc").sum(),
                        [np.array([-1.3, 2.6, 3.1]), np.array([2.0, 3.0, -2.0])])


# ----- 5c. a number that does not fit an integer tensor's dtype -------------------

SPELLINGS_OF_A_NUMBER_FIRST = {
    "mul": (lambda n, u: ad.mul(n, u), lambda n, u: n * u),
    "sub": (lambda n, u: ad.sub(n, u), lambda n, u: n - u),
    "div floor": (lambda n, u: ad.div(n, u, rounding_mode="floor"), lambda n, u: n // u),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS_OF_A_NUMBER_FIRST))
@pytest.mark.parametrize("number", [300, -3])
def test_function_and_operator_spellings_agree_on_a_number_out_of_bounds(name, number):
    function, operator = SPELLINGS_OF_A_NUMBER_FIRST[name]
    u = ad.tensor(np.array([1, 2], np.uint8))
    with pytest.raises(OverflowError):
        operator(number, u)
    with pytest.raises(OverflowError, match=f"{name.split()[0]}: the Python integer "
                                            f"{number} does not fit uint8"):
        function(number, u)


def test_torch_wraps_the_number_around_where_the_error_says_so():
    # The difference the error message names: PyTorch computes in uint8, modulo 2**8
    wrapped = torch.mul(300, torch.tensor([1, 2], dtype=torch.uint8))
    assert wrapped.tolist() == [300 % 256, 600 % 256]
    with pytest.raises(OverflowError, match="PyTorch wraps it around, modulo 2\\*\\*8"):
        ad.mul(300, ad.tensor(np.array([1, 2], np.uint8)))


@pytest.mark.parametrize("name", sorted(SPELLINGS_OF_A_NUMBER_FIRST))
def test_function_and_operator_spellings_agree_on_a_number_that_fits(name):
    function, operator = SPELLINGS_OF_A_NUMBER_FIRST[name]
    u = ad.tensor(np.array([1, 2], np.uint8))
    by_function, by_operator = function(7, u), operator(7, u)
    assert by_function.dtype == by_operator.dtype == np.uint8
    np.testing.assert_array_equal(by_function.data, by_operator.data)
    tu = torch.tensor([1, 2], dtype=torch.uint8)
    np.testing.assert_array_equal(by_function.data, operator(7, tu).numpy())


def test_true_division_of_a_number_out_of_bounds_gives_floats_in_every_spelling():
    u = ad.tensor(np.array([1, 2], np.uint8))
    np.testing.assert_array_equal(ad.div(300, u).data, (300 / u).data)
    np.testing.assert_array_equal(ad.div(300, u).data,
                                  torch.div(300, torch.tensor([1, 2], dtype=torch.uint8)))
