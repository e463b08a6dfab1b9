"""Behaviours compared with PyTorch's: a view keeps its layout through a recorded
in-place update (``is_contiguous``, ``stride``, whether ``view`` refuses and ``reshape``
copies), values and gradients after it; a ``.grad`` array held across the calls of a
compiled step; ``divide(rounding_mode=)`` and ``add``/``subtract(alpha=)``; a dim
swapped with itself and repeated dims; writes during a backward pass into values a
later node of the pass reads."""

import itertools

import numpy as np
import pytest

import autodiff as ad

X0 = np.arange(12.0).reshape(3, 4) / 7 + 0.25
S0 = 1.5
WEIGHTS = np.arange(12.0).reshape(3, 4) + 1

# Views by indexing and by laying out anew; each lambda works in both libraries.
VIEWS = {
    "[..., 1:]": lambda h: h[..., 1:],
    "[:, ::2]": lambda h: h[:, ::2],
    "[::2]": lambda h: h[::2],
    "[1]": lambda h: h[1],
    "[:, 1]": lambda h: h[:, 1],
    ".T": lambda h: h.T,
    "swapaxes(0, 1)": lambda h: h.swapaxes(0, 1),
    "[1:].T": lambda h: h[1:].T,
    "[:, 1:][::2, ::2]": lambda h: h[:, 1:][::2, ::2],
    "reshape.permute": lambda h: h.reshape(2, 2, 3).permute(2, 0, 1),
    "permute[1:]": lambda h: h.reshape(2, 2, 3).permute(2, 0, 1)[1:],
}

UPDATES = {
    "mul_": lambda v, s: v.mul_(s),
    "add_": lambda v, s: v.add_(s),
    "copy_": lambda v, s: v.copy_(s * (v.detach() + 1)),
    "setitem": lambda v, s: v.__setitem__(0, s),
}

AFTERWARDS = {
    "view(-1)": lambda v: v.view(-1),
    "reshape(-1)": lambda v: v.reshape(-1),
    "contiguous()": lambda v: v.contiguous(),
    "nothing": lambda v: v,
}


def _run(lib, x_value, s_value, view, update, afterwards):
    """The program in ``lib`` (autodiff or torch): update a view of ``h = x * 1`` in
    place, take ``afterwards(view)``, write its first element (recorded), and
    differentiate a loss that reads ``h``, the view and that result."""
    torch = lib if lib is not ad else None
    if torch is not None:
        x = torch.tensor(x_value, requires_grad=True)
        s = torch.tensor(s_value, dtype=torch.float64, requires_grad=True)
        weights = torch.tensor(WEIGHTS)
    else:
        x = ad.tensor(x_value, requires_grad=True)
        s = ad.tensor(s_value, requires_grad=True)
        weights = ad.tensor(WEIGHTS)
    h = x * 1
    v = VIEWS[view](h)
    UPDATES[update](v, s)
    seen = {"view contiguous": v.is_contiguous(), "view stride": tuple(v.stride()),
            "base stride": tuple(h.stride())}
    try:
        after = AFTERWARDS[afterwards](v)
    except RuntimeError:
        after = None
    seen["refused"] = after is None
    if after is not None:
        seen["after contiguous"] = after.is_contiguous()
        after[0] = s * 5
    loss = (h * weights).sum() + (v * v).sum()
    if after is not None:
        loss = loss + (after * after).sum()
    loss.backward()
    plain = (lambda t: t.detach().numpy()) if torch is not None else _array
    seen.update(base=plain(h), view=plain(v), loss=float(plain(loss)),
                x_grad=plain(x.grad), s_grad=float(plain(s.grad)))
    if after is not None:
        seen["after"] = plain(after)
    return seen


def _array(value):
    return np.asarray(value.data if isinstance(value, ad.Tensor) else value)


def _assert_same(ours, theirs):
    assert ours.keys() == theirs.keys()
    for name in ours:
        if isinstance(theirs[name], np.ndarray) or isinstance(theirs[name], float):
            np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-12, atol=1e-12,
                                       err_msg=name)
        else:
            assert ours[name] == theirs[name], name


@pytest.mark.parametrize("view,update,afterwards",
                         list(itertools.product(VIEWS, UPDATES, AFTERWARDS)))
def test_a_view_updated_in_place_keeps_its_layout_as_torch(view, update, afterwards):
    torch = pytest.importorskip("torch")
    ours = _run(ad, X0, S0, view, update, afterwards)
    theirs = _run(torch, X0, S0, view, update, afterwards)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("view,afterwards", [("[..., 1:]", "reshape(-1)"),
                                             ("[:, ::2]", "view(-1)"),
                                             ("[1:].T", "contiguous()"),
                                             ("permute[1:]", "nothing")])
def test_gradients_after_an_update_of_a_view_equal_central_differences(view, afterwards):
    seen = _run(ad, X0, S0, view, "mul_", afterwards)

    def loss(x_value, s_value):
        with ad.no_grad():
            return _run_forward_only(x_value, s_value, view, afterwards)

    eps = 1e-6
    x_grad = np.zeros_like(X0)
    for i in np.ndindex(X0.shape):
        up, down = X0.copy(), X0.copy()
        up[i] += eps
        down[i] -= eps
        x_grad[i] = (loss(up, S0) - loss(down, S0)) / (2 * eps)
    s_grad = (loss(X0, S0 + eps) - loss(X0, S0 - eps)) / (2 * eps)
    np.testing.assert_allclose(seen["x_grad"], x_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(seen["s_grad"], s_grad, rtol=1e-6)


def _run_forward_only(x_value, s_value, view, afterwards):
    """The loss of ``_run``'s program with ``mul_``, computed with plain arrays
    through the same tensors under ``no_grad`` (writes go through NumPy's views)."""
    h = ad.tensor(x_value) * 1
    v = VIEWS[view](h)
    v.mul_(s_value)
    try:
        after = AFTERWARDS[afterwards](v)
    except RuntimeError:
        after = None
    loss = float((h.data * WEIGHTS).sum() + (v.data ** 2).sum())
    if after is not None:
        after[0] = s_value * 5
        loss = float((h.data * WEIGHTS).sum() + (v.data ** 2).sum()
                     + (after.data ** 2).sum())
    return loss


def test_the_reshape_of_a_view_updated_in_place_is_a_copy_as_torch_s():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        if lib is torch:
            h = torch.arange(12.0, dtype=torch.float64).reshape(3, 4).requires_grad_() * 1
            s = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        else:
            h = ad.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True) * 1
            s = ad.tensor(2.0, requires_grad=True)
        v1 = h[..., 1:]
        v1.mul_(s)
        with pytest.raises(RuntimeError, match="view"):
            v1.view(-1)
        r = v1.reshape(-1)
        r[0] = 100
        results.append((np.array(h.tolist()), np.array(v1.tolist()), v1.is_contiguous(),
                        tuple(v1.stride())))
    (h_ours, v_ours, contiguous_ours, stride_ours), (h_theirs, v_theirs, *rest) = results
    np.testing.assert_array_equal(h_ours, h_theirs)
    np.testing.assert_array_equal(v_ours, v_theirs)
    assert (contiguous_ours, stride_ours) == tuple(rest) == (False, (4, 1))


@pytest.mark.parametrize("view", list(VIEWS))
def test_an_unrecorded_write_after_a_recorded_update_reaches_the_base_as_torch(view):
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (ad, torch):
        if lib is torch:
            h = torch.tensor(X0, requires_grad=True) * 1
            s = torch.tensor(S0, dtype=torch.float64, requires_grad=True)
        else:
            h = ad.tensor(X0, requires_grad=True) * 1
            s = ad.tensor(S0, requires_grad=True)
        v = VIEWS[view](h)
        v.add_(s)
        with lib.no_grad():
            v.mul_(3.0)
            h[0, 0] = -1.0
        seen.append((np.array(h.tolist()), np.array(v.tolist())))
    np.testing.assert_allclose(seen[0][0], seen[1][0], rtol=1e-12)
    np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=1e-12)


def _view_update_step(lib, p, s):
    """A training step that updates views of ``h = p * x`` in place (recorded), writes
    through a reshape of one, and differentiates a loss that reads them all."""
    def step(x):
        h = p * x
        v = h[..., 1:]
        v.mul_(s)
        r = v.reshape(-1)           # a copy, as v is not contiguous
        r[0] = s * 3
        t = h[::2].T
        t.add_(s)
        loss = (h * h).sum() + (r * r).sum() + (v[::2] * t.T[:, 1:]).sum()
        loss.backward()
        return loss.detach(), h.detach()
    return step


def _view_update_steps(lib, compiled):
    if lib is ad:
        p = ad.tensor(X0, requires_grad=True)
        s = ad.tensor(S0, requires_grad=True)
    else:
        p = lib.tensor(X0, requires_grad=True)
        s = lib.tensor(S0, dtype=lib.float64, requires_grad=True)
    step = _view_update_step(lib, p, s)
    if compiled:
        step = ad.compile(step)
    seen = []
    for i in range(3):
        p.grad = s.grad = None
        loss, h = step(lib.tensor(np.full((3, 4), 1.0 + i)))
        seen.append([np.array(t.tolist()) for t in (loss, h, p.grad, s.grad)])
    return seen


def test_a_compiled_step_updating_views_in_place_equals_eager_and_torch():
    torch = pytest.importorskip("torch")
    eager = _view_update_steps(ad, compiled=False)
    compiled = _view_update_steps(ad, compiled=True)
    theirs = _view_update_steps(torch, compiled=False)
    for ours_eager, ours_compiled, torch_values in zip(eager, compiled, theirs):
        for a, b, c in zip(ours_eager, ours_compiled, torch_values):
            np.testing.assert_allclose(b, a, rtol=1e-12)
            np.testing.assert_allclose(a, c, rtol=1e-12)


# ----- a .grad held across the calls of a compiled step --------------------------------

def _training_step(w, opt, variant):
    """The step of ``variant``, for ``w`` and its optimizer ``opt``."""
    def step(x):
        if variant == "zero_grad and step":
            opt.zero_grad(set_to_none=False)
        if variant == "reads .grad first":
            assert w.grad is not None      # (a trace holds what the function reads)
        loss = (w * x).sum() ** 2
        loss.backward()
        if variant == "two backwards":
            (w * x * x).sum().backward()
        if variant == "zero_grad and step":
            opt.step()
        return loss.detach()
    return step


GRAD_VARIANTS = ["backward", "zero_grad and step", "two backwards", "reads .grad first"]


def _grads_over_calls(lib, variant, compiled):
    """``g = w.grad`` taken after a first backward, then three calls of the step: for
    each call, whether ``g`` is still ``w.grad``, and the values of ``g`` and ``w``."""
    start = np.array([1.0, 2.0, 3.0])
    if lib is ad:
        w = ad.tensor(start, requires_grad=True)
        make = ad.tensor
    else:
        w = lib.tensor(start, requires_grad=True)
        make = lib.tensor
    opt = lib.optim.SGD([w], lr=0.01)
    (w * w).sum().backward()
    g = w.grad
    step = _training_step(w, opt, variant)
    if compiled:
        step = ad.compile(step)
    seen = []
    for i in range(3):
        step(make(np.array([1.0, 0.5, 2.0]) * (i + 1)))
        plain = g if lib is ad else g.numpy()
        weights = w.data if lib is ad else w.detach().numpy()
        seen.append((g is w.grad, np.array(plain), np.array(weights)))
    return seen


@pytest.mark.parametrize("variant", GRAD_VARIANTS)
def test_a_compiled_step_adds_into_the_grad_array_the_user_holds(variant):
    eager = _grads_over_calls(ad, variant, compiled=False)
    compiled = _grads_over_calls(ad, variant, compiled=True)
    for call, ((same_eager, g_eager, w_eager), (same, g, w)) in enumerate(zip(eager, compiled)):
        assert same_eager and same, f"call {call}: the .grad array held was replaced"
        np.testing.assert_array_equal(g, g_eager)
        np.testing.assert_array_equal(w, w_eager)


@pytest.mark.parametrize("variant", GRAD_VARIANTS)
def test_the_grad_array_held_sees_the_same_sums_as_torch_s(variant):
    torch = pytest.importorskip("torch")
    ours = _grads_over_calls(ad, variant, compiled=True)
    theirs = _grads_over_calls(torch, variant, compiled=False)
    for (same, g, w), (same_torch, g_torch, w_torch) in zip(ours, theirs):
        assert same == same_torch
        np.testing.assert_allclose(g, g_torch, rtol=1e-12)
        np.testing.assert_allclose(w, w_torch, rtol=1e-12)


# ----- divide(rounding_mode=), add / subtract(alpha=) ----------------------------------

NUMERATOR = np.array([[-7.0, 7.0, 5.5], [-0.5, 2.25, -3.0]])
DENOMINATOR = np.array([2.0, -1.5, 0.75])


@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
@pytest.mark.parametrize("spelling", ["function", "method"])
def test_divide_takes_rounding_mode_as_torch_s(mode, spelling):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        a = lib.tensor(NUMERATOR, requires_grad=True)
        b = lib.tensor(DENOMINATOR, requires_grad=True)
        out = (lib.divide(a, b, rounding_mode=mode) if spelling == "function"
               else a.divide(b, rounding_mode=mode))
        (out * lib.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
        plain = (lambda t: np.asarray(t.data)) if lib is ad else (lambda t: t.detach().numpy())
        results.append((plain(out), np.asarray(a.grad), np.asarray(b.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
def test_divide_of_integers_and_numbers_takes_rounding_mode_as_torch_s(mode):
    torch = pytest.importorskip("torch")
    a, b = np.array([-7, 7, 9, -9]), np.array([2, 2, -4, -4])
    ours = ad.divide(ad.tensor(a), ad.tensor(b), rounding_mode=mode)
    theirs = torch.divide(torch.tensor(a), torch.tensor(b), rounding_mode=mode)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    if mode is None:        # (a float; NumPy's default float64 where PyTorch's is float32)
        assert ours.dtype.kind == theirs.numpy().dtype.kind == "f"
    else:
        assert ours.dtype == theirs.numpy().dtype
    ours = ad.divide(-7.5, ad.tensor(DENOMINATOR), rounding_mode=mode)
    theirs = torch.divide(-7.5, torch.tensor(DENOMINATOR), rounding_mode=mode)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
def test_divide_in_place_takes_rounding_mode_as_torch_s(mode):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        a = lib.tensor(NUMERATOR, requires_grad=True)
        b = lib.tensor(DENOMINATOR, requires_grad=True)
        h = a * 1
        assert h.divide_(b, rounding_mode=mode) is h
        (h * h).sum().backward()
        plain = (lambda t: np.asarray(t.data)) if lib is ad else (lambda t: t.detach().numpy())
        results.append((plain(h), np.asarray(a.grad), np.asarray(b.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_divide_without_rounding_gives_central_difference_gradients():
    a = ad.tensor(NUMERATOR, requires_grad=True)
    b = ad.tensor(DENOMINATOR, requires_grad=True)
    (ad.divide(a, b, rounding_mode=None) ** 2).sum().backward()
    eps = 1e-6

    def loss(x, y):
        return float(((x / y) ** 2).sum())

    for value, grad, other, first in ((NUMERATOR, a.grad, DENOMINATOR, True),
                                      (DENOMINATOR, b.grad, NUMERATOR, False)):
        expected = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            up, down = value.copy(), value.copy()
            up[i] += eps
            down[i] -= eps
            pair_up, pair_down = ((up, other), (down, other)) if first else \
                ((other, up), (other, down))
            expected[i] = (loss(*pair_up) - loss(*pair_down)) / (2 * eps)
        np.testing.assert_allclose(grad, expected, rtol=1e-6)


def test_divide_refuses_a_rounding_mode_torch_refuses_and_other_keywords_with_it():
    a = ad.tensor(NUMERATOR)
    with pytest.raises(ValueError, match="rounding_mode must be None, 'trunc' or 'floor'"):
        ad.divide(a, 2.0, rounding_mode="round")
    # out= as PyTorch's: the rounded quotient written into the out= tensor, returned
    a = ad.tensor(NUMERATOR.copy())
    assert ad.divide(a, 2.0, rounding_mode="floor", out=a) is a
    np.testing.assert_array_equal(a.data, np.floor(np.asarray(NUMERATOR) / 2.0))


@pytest.mark.parametrize("name", ["add", "subtract"])
def test_add_and_subtract_take_alpha_as_torch_s(name):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        a = lib.tensor(NUMERATOR, requires_grad=True)
        b = lib.tensor(DENOMINATOR, requires_grad=True)
        out = getattr(lib, name)(a, b, alpha=2.5) + getattr(lib, name)(1.5, b, alpha=-2)
        (out * out).sum().backward()
        plain = (lambda t: np.asarray(t.data)) if lib is ad else (lambda t: t.detach().numpy())
        results.append((plain(out), np.asarray(a.grad), np.asarray(b.grad)))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ----- a dim swapped with itself; repeated dims ----------------------------------------

def _lib_of(t):
    return ad if isinstance(t, ad.Tensor) else pytest.importorskip("torch")


SAME_DIM_SWAPS = {
    "transpose(0, 0) 2-D": ((3, 4), lambda t: t.transpose(0, 0)),
    "transpose(1, -1) 2-D": ((3, 4), lambda t: t.transpose(1, -1)),
    "transpose(-2, 0) 3-D": ((2, 3, 4), lambda t: t.transpose(-2, 1)),
    "transpose(0, 0) 1-D": ((4,), lambda t: t.transpose(0, 0)),
    "transpose(0, -1) 1-D": ((4,), lambda t: t.transpose(0, -1)),
    "transpose(-1, -1) 0-D": ((), lambda t: t.transpose(-1, -1)),
    "swapaxes(1, 1)": ((3, 4), lambda t: t.swapaxes(1, 1)),
    "swapdims(-1, 1)": ((3, 4), lambda t: t.swapdims(-1, 1)),
    "movedim(1, 1)": ((2, 3, 4), lambda t: t.movedim(1, 1)),
    "movedim(-1, 2)": ((2, 3, 4), lambda t: t.movedim(-1, 2)),
    "function transpose(t, 0, 0)": ((3, 4), lambda t: _lib_of(t).transpose(t, 0, 0)),
    "function swapdims(t, 1, 1)": ((3, 4), lambda t: _lib_of(t).swapdims(t, 1, 1)),
    "function movedim(t, 0, -3)": ((2, 3, 4), lambda t: _lib_of(t).movedim(t, 0, -3)),
}


@pytest.mark.parametrize("case", list(SAME_DIM_SWAPS))
def test_a_dim_swapped_with_itself_is_the_tensor_unchanged_as_torch_s(case):
    torch = pytest.importorskip("torch")
    shape, swap = SAME_DIM_SWAPS[case]
    values = np.arange(float(np.prod(shape))).reshape(shape)
    seen = []
    for lib in (ad, torch):
        x = lib.tensor(values, requires_grad=True)
        h = x * 1
        out = swap(h)
        assert tuple(out.shape) == shape
        assert tuple(out.stride()) == tuple(h.stride())
        with lib.no_grad():         # a view: the write reaches h
            out.view(-1)[0] = -5.0
        (out * lib.tensor(values + 1)).sum().backward()
        seen.append((np.array(h.tolist()), np.array(x.grad.tolist())))
    np.testing.assert_array_equal(seen[0][0], seen[1][0])
    np.testing.assert_array_equal(seen[0][1], seen[1][1])
    assert seen[0][0].reshape(-1)[0] == -5.0


def test_a_recorded_update_through_a_dim_swapped_with_itself_reaches_the_base():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (ad, torch):
        x = lib.tensor(X0, requires_grad=True)
        s = lib.tensor(S0, requires_grad=True) if lib is ad else \
            torch.tensor(S0, dtype=torch.float64, requires_grad=True)
        h = x * 1
        h.transpose(1, 1)[1:].mul_(s)
        (h * h).sum().backward()
        seen.append((np.array(h.tolist()), np.array(x.grad.tolist()), float(s.grad)))
    np.testing.assert_allclose(seen[0][0], seen[1][0], rtol=1e-12)
    np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=1e-12)
    assert seen[0][2] == pytest.approx(seen[1][2], rel=1e-12)


@pytest.mark.parametrize("dims", [(0, 0, 1), (0, -3, 1), (2, 1, -1)])
@pytest.mark.parametrize("spelling", ["method", "function"])
def test_permute_refuses_repeated_dims_as_torch_does(dims, spelling):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.zeros(2, 3, 4).permute(*dims)
    x = ad.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"permute: dims .* name dim \d twice"):
        x.permute(*dims) if spelling == "method" else ad.permute(x, dims)


def test_dims_out_of_range_and_repeated_moves_are_refused_naming_the_call():
    x = ad.zeros((2, 3, 4))
    with pytest.raises(IndexError, match=r"permute: dim 3 of \(0, 1, 3\) is out of range"):
        x.permute(0, 1, 3)
    with pytest.raises(IndexError, match="transpose: dim 1 is out of range for a 1-D"):
        ad.zeros(4).transpose(0, 1)
    with pytest.raises(ValueError, match=r"moveaxis: repeated axis in `source`.*\(0, 0\)"):
        x.movedim((0, 0), (1, 2))
    with pytest.raises(ValueError, match="transpose.0, 1. on a 2-D tensor means opposite"):
        ad.zeros((2, 3)).transpose(0, 1)      # (still ambiguous between the two libraries)


# ----- writes during a backward pass into values a later node of the pass reads --------

HOOK_WRITES = {
    "zero_grad() of a .grad a node saved": ("grad", lambda opt, x: opt.zero_grad(
        set_to_none=False)),
    "mul_ under no_grad of a saved tensor": ("x", lambda opt, x: x.mul_(2)),
    "setitem under no_grad of a saved tensor": ("x", lambda opt, x: x.__setitem__(0, 7.0)),
    "an optimizer step (nothing saved it)": ("x", lambda opt, x: opt.step()),
    "NumPy *= of a .grad a node saved": ("grad", lambda opt, x: _numpy_imul(opt)),
    "NumPy [...] = 0 of a .grad a node saved": ("grad", lambda opt, x: _numpy_zero(opt)),
    "NumPy *= of a .grad nothing saved": ("x", lambda opt, x: _numpy_imul(opt)),
}


def _first_parameter(opt):
    return opt.param_groups[0]["params"][0]


def _numpy_imul(opt):
    """``w.grad *= 2``: NumPy's in-place multiply here, ``mul_`` in PyTorch."""
    w = _first_parameter(opt)
    if isinstance(w.grad, np.ndarray):
        w.grad *= 2
    else:
        w.grad.mul_(2)


def _numpy_zero(opt):
    _first_parameter(opt).grad[...] = 0


def _backward_with_a_hook_writing(lib, case):
    """``h = (v * saved) * 3`` with a hook on ``h`` that writes in place (under
    ``no_grad``) while the multiply that saved ``saved`` waits in the same pass;
    ``saved`` is ``w.grad`` or ``x = v * 2``.  The gradients, or the error raised."""
    make = (lambda v: ad.tensor(np.array(v), requires_grad=True)) if lib is ad else \
        (lambda v: lib.tensor(v, dtype=lib.float64, requires_grad=True))
    w, v = make([1.0, 2.0, 3.0]), make([1.0, -1.0, 0.5])
    opt = lib.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    x = v * 2
    what, write = HOOK_WRITES[case]
    h = (v * (w.grad if what == "grad" else x)) * 3

    def hook(g):
        with lib.no_grad():
            write(opt, x)
        return g

    h.register_hook(hook)
    try:
        h.sum().backward()
    except RuntimeError as error:
        return error
    return np.array(v.grad.tolist()), np.array(w.grad.tolist()), np.array(w.tolist())


@pytest.mark.parametrize("case", list(HOOK_WRITES))
def test_a_write_during_backward_into_what_a_later_node_reads_is_refused_as_torch(case):
    torch = pytest.importorskip("torch")
    ours = _backward_with_a_hook_writing(ad, case)
    theirs = _backward_with_a_hook_writing(torch, case)
    if isinstance(theirs, RuntimeError):
        assert isinstance(ours, ad.InPlaceError), ours        # (a RuntimeError)
        assert "changed in place" in str(ours)
    else:
        assert not isinstance(ours, Exception), ours
        for mine, torch_value in zip(ours, theirs):
            np.testing.assert_allclose(mine, torch_value, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Using backward.. with create_graph=True")
@pytest.mark.parametrize("write", ["w.grad.mul_(2)", "w.grad[...] = 0",
                                   "w.grad.mul_(2) under no_grad"])
@pytest.mark.parametrize("saved", ["w.grad", "w.grad.detach()"])
def test_a_tensor_grad_written_in_place_by_a_hook_mid_pass_is_refused_as_torch(write, saved):
    torch = pytest.importorskip("torch")
    errors = []
    for lib in (ad, torch):
        make = (lambda v: ad.tensor(np.array(v), requires_grad=True)) if lib is ad else \
            (lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
        w, v = make([1.0, 2.0, 3.0]), make([1.0, -1.0, 0.5])
        (w * w).sum().backward(create_graph=True)       # w.grad: a tensor with a graph
        h = (v * (w.grad.detach() if saved.endswith("detach()") else w.grad)) * 3

        def hook(g, lib=lib, w=w):
            if write == "w.grad[...] = 0":
                w.grad[...] = 0
            elif write.endswith("no_grad"):
                with lib.no_grad():
                    w.grad.mul_(2)
            else:
                w.grad.mul_(2)
            return g

        h.register_hook(hook)
        with pytest.raises(RuntimeError) as raised:
            h.sum().backward()
        errors.append(raised.value)
    assert isinstance(errors[0], ad.InPlaceError)
    assert "op 'multiply' saved its input 'b'" in str(errors[0])
