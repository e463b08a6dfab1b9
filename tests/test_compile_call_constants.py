"""Arrays a compiled function makes with NumPy from Python numbers alone (np.eye,
np.linspace, np.arange, np.array of numbers, np.ones(...) * 0.5, their slices and
arithmetic) are constants of the plan: every replay gives, bit for bit, what eager
execution gives.  Arrays NumPy computes from traced values, or draws at random, stay
refused (compile/call_constants.py)."""

import types

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.call_constants import CallConstant

W0 = np.array([[0.5, -1.0, 0.25], [1.5, 0.75, -0.5], [-0.25, 2.0, 1.0]])


def eye_linspace_arange(w, x):
    h = x @ (w * np.eye(3)) + np.linspace(0, 1, 3) * 0.5 + np.arange(3)
    return (h ** 2).mean()


def array_literal_and_scaled_ones(w, x):
    weights = np.array([1.0, 2.0, 3.0])
    half = np.ones((3, 3)) * 0.5
    return (((x @ w) * weights + half) ** 2).sum()


def slices_and_writes(w, x):
    c = np.ones((3, 3)) * 0.5
    c[0] = 2.0                      # written with a Python number: still a constant
    c[:, 1] *= 3.0
    pair = np.concatenate([c[:, :2], np.diag(np.arange(3.0))[:, :1]], axis=1)
    return ((x @ w) * pair + c.T).sum() + (w * np.tri(3)).sum()


def masked_softmax(w, x):
    scores = x @ w + (1.0 - np.tri(3)) * -1e9     # a causal mask
    return ad.log_softmax(scores, dim=-1).sum() * -1.0


def tensor_of_made_constant(w, x):
    basis = ad.tensor(np.eye(3)[::-1])             # ad.tensor of such an array
    scale = ad.tensor(np.linspace(1, 2, 3), dtype="float64")
    return ((x @ w @ basis) * scale).sum()


def leaf_made_from_one(w, x):
    scale = ad.tensor(np.linspace(0.5, 1.5, 3), requires_grad=True)   # made anew each call
    loss = ((x @ w) * scale).sum()
    return loss + (scale.detach() * 0.0).sum()


def one_hot_targets_from_zeros_like(w, x):
    logits = x @ w
    n = logits.shape[0]
    targets = np.zeros_like(logits.data)    # the shape and dtype of a traced array
    targets[np.arange(n), [2, 0, 1]] = 1.0  # classes given as Python numbers
    return -(ad.log_softmax(logits, dim=-1) * targets).sum() / n


def like_a_traced_tensor_and_array(w, x):
    h = x @ w
    scale = np.full_like(h.data, 0.5)       # an ndarray
    bias = np.ones_like(h)                  # a Tensor, as in eager mode
    mask = np.zeros_like(x.data, dtype=bool)
    mask[:, 0] = True
    return (ad.where(mask, h * scale, h + bias) ** 2).sum()


def written_like_of_a_parameter(w, x):
    z = np.zeros_like(w)                    # a Tensor without grad, as in eager mode
    z[0, 1] = 1.0                           # an in-place tensor op: a step of the plan
    return ((x @ (w + z)) ** 2).mean()


PROGRAMS = [eye_linspace_arange, array_literal_and_scaled_ones, slices_and_writes,
            masked_softmax, tensor_of_made_constant, leaf_made_from_one,
            one_hot_targets_from_zeros_like, like_a_traced_tensor_and_array,
            written_like_of_a_parameter]


def _step(program, w):
    opt = ad.optim.SGD([w], lr=0.05)

    def step(x):
        opt.zero_grad()
        loss = program(w, x)
        loss.backward()
        opt.step()
        return loss
    return step


def _bitwise(a, b):
    np.testing.assert_array_equal(a, b)


def _within_ulps(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("fuse", [False, True], ids=["unfused", "fused"])
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_compiled_equals_eager_bitwise_over_calls_with_new_data(program, fuse):
    w_eager = ad.tensor(W0.copy(), requires_grad=True)
    w_compiled = ad.tensor(W0.copy(), requires_grad=True)
    eager = _step(program, w_eager)
    compiled = ad.compile(_step(program, w_compiled), fuse=fuse)
    # (a fused loop computes exp and log with its own functions: a few ulp apart)
    same = (_within_ulps if fuse and program in (masked_softmax, one_hot_targets_from_zeros_like)
            else _bitwise)
    rng = np.random.default_rng(7)
    for _ in range(4):
        x = rng.normal(size=(3, 3))
        expected = eager(ad.tensor(x))
        got = compiled(x)
        same(got.data, expected.data)
        same(w_compiled.grad, w_eager.grad)
        same(w_compiled.data, w_eager.data)
    assert compiled.traces == 1
    if program is leaf_made_from_one:       # a leaf: a captured tensor, a copy each call
        assert compiled.plan.summary().endswith("2 captured")
    elif program is written_like_of_a_parameter:    # a Tensor: kept as ad.tensor([...]) is
        assert len(compiled.plan.literal_values) == 1
    else:
        assert "copied at the trace" in str(compiled.plan)


def test_constants_are_plain_arrays_again_after_the_trace():
    kept = []

    @ad.compile
    def f(x):
        c = np.eye(2)
        kept.append(c)
        return x * c

    with pytest.warns(ad.NotReplayedWarning, match=r"stored an array in kept\[0\]"):
        f(np.ones((2, 2)))
    assert type(np.eye(2)) is np.ndarray and type(np) is types.ModuleType
    assert not hasattr(np.eye, "__call_constant_original__")
    assert repr(kept[0]) == repr(np.eye(2))
    np.testing.assert_array_equal(kept[0] * 2, 2 * np.eye(2))
    assert type(kept[0] * 2) is np.ndarray


def test_a_changed_captured_array_traces_again():
    scale = np.array([1.0, 2.0, 3.0])

    @ad.compile
    def f(x):
        return (x @ np.eye(3) * scale).sum()

    x = np.arange(9.0).reshape(3, 3)
    assert f(x).item() == (x * scale).sum()
    scale[1] = -4.0
    assert f(x).item() == (x * scale).sum()
    assert f.traces == 2


def test_a_constant_left_in_a_global_is_read_there_and_a_change_traces_again():
    scope = {"np": np, "cache": None}
    exec("def f(x):\n"
         "    global cache\n"
         "    if cache is None:\n"
         "        cache = np.eye(3)\n"
         "    return x * cache\n", scope)
    with pytest.warns(ad.NotReplayedWarning, match="stored an array in cache"):
        f = ad.compile(scope["f"])
        first = f(np.ones((3, 3)))
    np.testing.assert_array_equal(first.data, np.eye(3))
    scope["cache"][0, 0] = 5.0
    np.testing.assert_array_equal(f(np.ones((3, 3))).data, scope["cache"])
    assert f.traces == 2


def test_a_constant_from_an_earlier_trace_is_no_constant_of_a_later_one():
    kept = []

    @ad.compile
    def f(x):
        if not kept:
            kept.append(np.arange(3.0))
        return x * kept[0]

    with pytest.warns(ad.NotReplayedWarning, match=r"stored an array in kept\[0\]"):
        f(np.ones(3))
    deep = [[[[[[kept[0]]]]]]]                  # (also held where names do not reach)
    kept[0][0] = 7.0
    np.testing.assert_array_equal(f(np.ones(3)).data, [7.0, 1.0, 2.0])
    np.testing.assert_array_equal(f(np.ones((1, 3))).data, [[7.0, 1.0, 2.0]])
    assert deep


def test_same_values_as_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).normal(size=(3, 3))
    w = ad.tensor(W0.copy(), requires_grad=True)
    step = ad.compile(_step(eye_linspace_arange, w))
    loss = step(x)
    tw = torch.tensor(W0.copy(), requires_grad=True)
    h = torch.tensor(x) @ (tw * torch.eye(3, dtype=torch.float64)) \
        + torch.linspace(0, 1, 3, dtype=torch.float64) * 0.5 + torch.arange(3)
    expected = (h ** 2).mean()
    expected.backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-14)


# (the function appends to ``seen`` only while tracing: warned, and expected here)
@pytest.mark.filterwarnings("ignore:compile. f changed the size of the list seen")
def test_like_creators_return_what_eager_mode_returns():
    """np.zeros_like(t) of a Tensor is a Tensor in eager mode (a 0-d one too), of an
    ndarray an ndarray: the same while traced, with the same values."""
    def kinds(x):
        made = (np.zeros_like(x), np.ones_like(x.data), np.full_like(x.data, 0.5),
                np.zeros_like(x.sum()), np.ones_like(x, dtype=np.int64))
        return [(isinstance(m, ad.Tensor), isinstance(m, np.ndarray), np.shape(m),
                 np.result_type(m), np.asarray(getattr(m, "data", m)).tolist()) for m in made]

    seen = []

    def f(x):
        seen.append(kinds(x))
        return x * 2.0

    x = np.arange(6.0).reshape(2, 3)
    ad.compile(f)(x)
    assert seen == [kinds(ad.tensor(x))]
    assert [kind[:2] for kind in seen[0]] == [(True, False), (False, True), (False, True),
                                              (True, False), (True, False)]


def test_one_hot_targets_give_pytorch_values_and_gradients():
    torch = pytest.importorskip("torch")
    w = ad.tensor(W0.copy(), requires_grad=True)
    step = ad.compile(_step(one_hot_targets_from_zeros_like, w))
    tw = torch.tensor(W0.copy(), requires_grad=True)
    rng = np.random.default_rng(11)
    for _ in range(3):
        x = rng.normal(size=(3, 3))
        loss = step(x)
        tw.grad = None
        expected = torch.nn.functional.cross_entropy(torch.tensor(x) @ tw,
                                                     torch.tensor([2, 0, 1]))
        expected.backward()
        np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-13)
        np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12, atol=1e-15)
        with torch.no_grad():
            tw -= 0.05 * tw.grad
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-13)


# Each still computes an array (or a NumPy scalar) from traced values, or at random.
def _grad_copy(x):
    w = ad.tensor(np.ones(3), requires_grad=True)
    (w * x).sum().backward()
    return x * w.grad.copy()


def _filled(x):
    c = np.zeros(3)
    c.fill(x.data.sum())            # a write NumPy does without the hooks
    return x * c


def _written(x):
    c = np.zeros(3)
    c[:] = x.data[0]
    return x * c


def _added(x):
    c = np.zeros(3)
    c += x.data[0]
    return x * c


def _shuffled(x):
    c = np.arange(3.0)
    np.random.default_rng().shuffle(c)
    return x * c


def _copied_into(x):
    c = np.zeros(3)
    np.copyto(c, x.data[0])
    return x * c


def _added_at(x):
    c = np.zeros(3)
    np.add.at(c, [0, 0], x.data[0, :2])
    return x * c


def _through_a_python_function(x):
    total = float(x.data.sum())     # (a Python number: fixed at the trace, not seen)
    scaled = np.frompyfunc(lambda v: v * 2.0, 1, 1)(np.ones(3)).astype(float)
    return x * scaled + total


def _filled_unbound(x):
    c = np.zeros(3)
    total = x.data.sum()
    np.ndarray.fill(c, total)           # NumPy writes without any hook seeing it
    return x * c


def _added_like(x):
    c = np.zeros_like(x.data)
    c += x.data
    return c


def _changed_after_use(x):
    c = np.ones(3)
    y = x * c
    c *= 2.0                        # the plan keeps the first values
    return y + x * c


def _one_hot_of_traced_classes(x):
    targets = np.zeros_like(x.data)
    targets[np.arange(3), x.data.argmax(axis=1)] = 1.0     # an index from the values
    return x * targets


def _one_hot_of_traced_classes_in_a_tensor(x):
    targets = np.zeros_like(x)                              # (a Tensor)
    targets.data[np.arange(3), x.data.argmax(axis=1)] = 1.0
    return x * targets


def _empty_like_filled(x):
    e = np.empty_like(x.data)
    e[...] = 1.0                    # every element written: still not proven
    return x * e


_ARRAY = r"an array of shape \([\d, ]*\) given to 'multiply' .*made during the call outside"
_SCALAR = r"the NumPy scalar .* given to 'multiply' .*made during the call outside"
REFUSED = [
    ("x.data.sum()", lambda x: x * x.data.sum(), _SCALAR),
    ("x.data.mean()", lambda x: x * x.data.mean(), _SCALAR),
    ("np.exp(x.data)", lambda x: x * np.exp(x.data), _ARRAY),
    ("x.data[:, 0]", lambda x: x * x.data[:, 0], _ARRAY),
    ("x.data.T", lambda x: x * x.data.T, _ARRAY),
    ("w.grad.copy()", _grad_copy, _ARRAY),
    ("np.asarray(x)", lambda x: x * np.asarray(x), r"np.asarray|leaves the library|value"),
    ("float(x.sum())", lambda x: x * float(x.sum()), r"float|leaves the library|value"),
    ("np.random.randn(3)", lambda x: x * np.random.randn(3), _ARRAY + r"|np\.random"),
    ("np.ones(3) * x.data.sum()", lambda x: x * (np.ones(3) * x.data.sum()), _ARRAY),
    ("np.full(3, x.data.mean())", lambda x: x * np.full(3, x.data.mean()), _ARRAY),
    ("np.arange(3.0)[x.data.argmax() % 3]", lambda x: x * np.arange(3.0)[x.data.argmax() % 3],
     _SCALAR),
    ("np.eye(3)[x.data.argmax() % 3]", lambda x: x * np.eye(3)[x.data.argmax() % 3], _ARRAY),
    ("np.concatenate with x.data", lambda x: x * np.concatenate([np.ones(1), x.data[0, :2]]),
     _ARRAY),
    ("c.fill(x.data.sum())", _filled, _ARRAY),
    ("c[:] = x.data[0]", _written, _ARRAY),
    ("c += x.data[0]", _added, _ARRAY),
    ("rng.shuffle(c)", _shuffled, r"made from Python numbers .*read-only while tracing"),
    ("c changed after its first use", _changed_after_use, r"was changed after a step first"),
    ("np.copyto(c, x.data[0])", _copied_into, _ARRAY),
    ("np.add.at(c, i, x.data)", _added_at, _ARRAY),
    ("np.frompyfunc(f)(c)", _through_a_python_function, _ARRAY),
    ("np.ndarray.fill(c, ...)", _filled_unbound, r"made from Python numbers .*read-only while"),
    ("np.zeros_like(x.data)[i, traced] = 1", _one_hot_of_traced_classes,
     _ARRAY + r".*until the write into it at .*F\.one_hot"),
    ("np.zeros_like(x).data[i, traced] = 1", _one_hot_of_traced_classes_in_a_tensor,
     r"\.data of a tensor made in the call from Python numbers.*read-only"),
    ("np.zeros_like(x.data) += x.data", lambda x: x * _added_like(x), _ARRAY),
    ("np.full_like(x.data, x.data.mean())", lambda x: x * np.full_like(x.data, x.data.mean()),
     _ARRAY),
    ("np.ones_like(x.data) * x.data.sum()", lambda x: x * (np.ones_like(x.data) * x.data.sum()),
     _ARRAY),
    ("np.empty_like(x.data) filled", _empty_like_filled,
     r"given to 'multiply' .* made by np\.empty_like at .*np\.zeros_like\(a\)"),
    ("np.empty_like(x) (a Tensor)", lambda x: x * np.empty_like(x), r"made by np\.empty_like at"),
    ("np.empty_like(np.ones(3))", lambda x: x * np.empty_like(np.ones(3)),
     r"made by np\.empty_like at"),
    ("np.empty(3)", lambda x: x * np.empty(3), r"made by np\.empty at"),
]


@pytest.mark.parametrize("make, message", [(m, t) for _, m, t in REFUSED],
                         ids=[name for name, _, _ in REFUSED])
def test_arrays_from_traced_values_or_random_stay_refused(make, message):
    step = ad.compile(make)
    with pytest.raises(ad.TraceError, match=message):
        step(np.arange(9.0).reshape(3, 3))


def test_slices_of_a_captured_array_stay_refused():
    """An index computed from a traced value (X[x.data.argmax()]) makes a view that
    looks like X[0]: views of captured plain arrays are not told apart, so refused."""
    X = np.arange(12.0).reshape(4, 3)
    for make in (lambda x: x * X[:1, :], lambda x: x * X[x.data.argmax() % 4]):
        with pytest.raises(ad.TraceError, match="made during the call outside"):
            ad.compile(make)(np.ones((1, 3)))


def test_a_view_by_a_traced_key_with_the_constants_own_geometry_stays_refused():
    """c[::k] with k = 1 from a traced value is c's exact geometry, but a replay with
    k = -1 would need the reversed values: it must not pass for np.asarray(c)."""
    def reversed_or_not(x):
        c = np.arange(5.0)
        step = np.sign(x.data[0]).astype(int)
        return (x * c[::step]).sum()

    assert reversed_or_not(ad.tensor([-1.0, 1, 1, 1, 1])).item() == 2.0   # eager
    with pytest.raises(ad.TraceError, match="made during the call outside"):
        ad.compile(reversed_or_not)(np.array([1.0, 1, 1, 1, 1]))


def test_call_constant_behaves_as_an_ndarray_outside_a_trace():
    c = np.arange(3.0).view(CallConstant)
    assert type(c + 1) is np.ndarray and type(np.concatenate([c, c])) is np.ndarray
    assert repr(c) == repr(np.arange(3.0))
