"""Behaviours that matched PyTorch only in part, compared with PyTorch 2.13 (and
without it, where the expected result can be stated on its own): in-place updates of
the pieces of ``unbind``/``split``/``chunk``, PyTorch's ``dim`` on 0-d tensors, and
``func.linearize`` running the function once."""

import numpy as np
import pytest

import autodiff as ad


def _values(t):
    """A copy of a Tensor's (either library's) or an array's values."""
    return np.array(t.tolist())


# ----- 4. in-place updates of the outputs of unbind / split / chunk --------------------

PIECES = {     # name: (how to take the pieces, whether PyTorch refuses a recorded update)
    "unbind": (lambda b: b.unbind(0), True),
    "split": (lambda b: b.split(1), True),
    "split sizes": (lambda b: b.split([1, 2]), True),
    "chunk": (lambda b: b.chunk(2), True),
    "split_with_sizes": (lambda b: b.split_with_sizes([2, 1]), True),
    "tensor_split": (lambda b: b.tensor_split(2), False),
    "unsafe_split": (lambda b: b.unsafe_split(1), False),
    "unsafe_chunk": (lambda b: b.unsafe_chunk(2), False),
}


def _pieces_run(lib, take, where):
    """Update the first piece of a non-leaf base in grad mode or under no_grad
    (``where``); the base's values and the leaf's gradient, or "refused"."""
    leaf = lib.tensor(np.arange(6.0), requires_grad=True)
    base = leaf.reshape(3, 2) * 1
    if where == "no_grad":
        with lib.no_grad():
            take(base)[0].mul_(10)
    elif where == "view of a piece":
        try:
            take(base)[0][0].mul_(10)
        except RuntimeError:
            return "refused"
    else:
        try:
            take(base)[0].mul_(10)
        except RuntimeError:
            return "refused"
    (base * lib.tensor(np.arange(6.0).reshape(3, 2) + 1)).sum().backward()
    return _values(base.detach()), _values(leaf.grad)


@pytest.mark.parametrize("name", sorted(PIECES))
def test_recorded_update_of_a_multi_output_view_is_refused_as_in_torch(name):
    take, refused = PIECES[name]
    leaf = ad.tensor(np.arange(6.0), requires_grad=True)
    base = leaf.reshape(3, 2) * 1
    piece = take(base)[0]
    if refused:
        function = name.split()[0]
        with pytest.raises(RuntimeError, match=rf"mul_: output 0 of {function} .*returns "
                                               r"multiple views.*\.clone\(\)"):
            piece.mul_(10)
        np.testing.assert_array_equal(base.data, np.arange(6.0).reshape(3, 2))
    else:
        piece.mul_(10)                       # a plain view: the update reaches the base
        rows = piece.shape[0]
        expected = np.arange(6.0).reshape(3, 2)
        expected[:rows] *= 10
        np.testing.assert_array_equal(base.data, expected)
        base.sum().backward()
        np.testing.assert_array_equal(leaf.grad, np.repeat([10.0, 1.0], [2 * rows,
                                                                          6 - 2 * rows]))


def test_multi_output_views_write_through_without_grad_and_views_of_them_refuse():
    leaf = ad.tensor(np.arange(6.0), requires_grad=True)
    base = leaf.reshape(3, 2) * 1
    first = base.unbind(0)[0]
    with ad.no_grad():
        first.mul_(10)
    np.testing.assert_array_equal(base.data[0], [0.0, 10.0])
    plain = ad.tensor(np.arange(6.0).reshape(3, 2))          # nothing requires grad
    plain.split(2)[1].add_(100)
    np.testing.assert_array_equal(plain.data[2], [104.0, 105.0])
    with pytest.raises(RuntimeError, match="a view of output 0 of chunk"):
        base.chunk(3)[0][0].mul_(2)
    with pytest.raises(RuntimeError, match="setitem: output 1 of unbind"):
        base.unbind(0)[1][0] = 5.0
    weight = ad.tensor(2.0, requires_grad=True)             # recorded by the other operand
    with pytest.raises(RuntimeError, match="output 0 of split"):
        plain.split(1)[0].mul_(weight)
    clone = base.unbind(0)[0].clone()
    clone.mul_(3)                                            # the suggested way
    np.testing.assert_array_equal(clone.data, [0.0, 30.0])


def test_multi_output_views_match_torch():
    torch = pytest.importorskip("torch")
    for name, (take, _) in PIECES.items():
        for where in ("grad", "no_grad", "view of a piece"):
            ours = _pieces_run(ad, take, where)
            theirs = _pieces_run(torch, take, where)
            if theirs == "refused" or ours == "refused":
                assert ours == theirs, (name, where)
                continue
            np.testing.assert_array_equal(ours[0], theirs[0], err_msg=f"{name}, {where}")
            if name.startswith("unsafe") and where != "no_grad":
                continue    # PyTorch's gradient leaves out the update ("unsafe"); ours not
            np.testing.assert_array_equal(ours[1], theirs[1], err_msg=f"{name}, {where}")


# ----- 5. PyTorch's dim on 0-d tensors --------------------------------------------------

def _zero_d_index(lib):
    return lib.tensor(0) if lib.__name__ == "torch" else ad.tensor(np.array(0))


def _float(lib, value):
    return lib.tensor(value, dtype=lib.float64)


# Each call works in both libraries; the torch-free test checks the shape is ().
ZERO_D_CALLS = {
    "cumsum(0)": lambda lib, t: t.cumsum(0),
    "cumsum(-1)": lambda lib, t: t.cumsum(-1),
    "cumsum(dim=0)": lambda lib, t: t.cumsum(dim=0),
    "cumsum_(0)": lambda lib, t: t.clone().cumsum_(0),
    "cumprod(0)": lambda lib, t: t.cumprod(0),
    "cumprod_(0)": lambda lib, t: t.clone().cumprod_(0),
    "logcumsumexp(0)": lambda lib, t: t.logcumsumexp(0),
    "cummax(0)": lambda lib, t: t.cummax(0),
    "cummin(0)": lambda lib, t: t.cummin(0),
    "scatter_": lambda lib, t: t.clone().scatter_(0, _zero_d_index(lib), _float(lib, 7.0)),
    "scatter": lambda lib, t: t.scatter(0, _zero_d_index(lib), _float(lib, 7.0)),
    "scatter_add_": lambda lib, t: t.clone().scatter_add_(0, _zero_d_index(lib),
                                                          _float(lib, 7.0)),
    "scatter_reduce": lambda lib, t: t.scatter_reduce(0, _zero_d_index(lib),
                                                      _float(lib, 7.0), "sum"),
    "gather": lambda lib, t: t.gather(0, _zero_d_index(lib)),
    "index_select": lambda lib, t: t.index_select(0, _zero_d_index(lib)),
    "index_add_": lambda lib, t: t.clone().index_add_(0, _zero_d_index(lib), _float(lib, 7.0)),
    "index_fill_": lambda lib, t: t.clone().index_fill_(0, _zero_d_index(lib), 7.0),
    "index_copy_": lambda lib, t: t.clone().index_copy_(0, _zero_d_index(lib),
                                                        _float(lib, 7.0)),
    "masked_scatter_": lambda lib, t: t.clone().masked_scatter_(lib.tensor(True),
                                                                _float(lib, 7.0)),
    "sort(dim=0)": lambda lib, t: t.sort(dim=0),
    "argsort(0)": lambda lib, t: t.argsort(0),
    "argsort(dim=-1)": lambda lib, t: t.argsort(dim=-1),
    "topk": lambda lib, t: t.topk(1, 0),
    "kthvalue": lambda lib, t: t.kthvalue(1, 0),
    "flip(0)": lambda lib, t: t.flip(0),
    "flip(dims=(-1,))": lambda lib, t: t.flip(dims=(-1,)),
    "softmax(0)": lambda lib, t: t.softmax(0),
    "log_softmax(0)": lambda lib, t: t.log_softmax(0),
    "norm(dim=0)": lambda lib, t: t.norm(dim=0),
    "sum(0)": lambda lib, t: t.sum(0),
    "sum((0,))": lambda lib, t: t.sum((0,)),
    "sum(dim=[0], keepdim)": lambda lib, t: t.sum(dim=[0], keepdim=True),
    "mean(0)": lambda lib, t: t.mean(0),
    "mean(dim=-1, keepdim)": lambda lib, t: t.mean(dim=-1, keepdim=True),
    "prod(0)": lambda lib, t: t.prod(0),
    "nansum(0)": lambda lib, t: t.nansum(0),
    "nanmean(0)": lambda lib, t: t.nanmean(0),
    "amax(0)": lambda lib, t: t.amax(0),
    "amin(0)": lambda lib, t: t.amin(0),
    "max(dim=0)": lambda lib, t: t.max(dim=0),
    "min(dim=0, keepdim)": lambda lib, t: t.min(dim=0, keepdim=True),
    "argmax(0)": lambda lib, t: t.argmax(0),
    "std(0, correction=1)": lambda lib, t: t.std(0, correction=1),
    "var(dim=0, correction=0)": lambda lib, t: t.var(dim=0, correction=0),
    "logsumexp(0)": lambda lib, t: t.logsumexp(0),
    "median(0)": lambda lib, t: t.median(0),
    "mode(0)": lambda lib, t: t.mode(0),
    "all(0)": lambda lib, t: t.all(0),
    "any(0)": lambda lib, t: t.any(0),
    "count_nonzero(0)": lambda lib, t: t.count_nonzero(0),
    "quantile(dim=0)": lambda lib, t: t.quantile(0.5, dim=0),
    "nanquantile(0)": lambda lib, t: t.nanquantile(0.5, 0),
    "movedim": lambda lib, t: t.movedim(0, -1),
    "squeeze(0)": lambda lib, t: t.squeeze(0),
    "aminmax": lambda lib, t: t.aminmax(dim=0),
    # the ops called with PyTorch's dim= (std_mean: a PyTorch function only)
    "lib.cumsum(dim=0)": lambda lib, t: lib.cumsum(t, dim=0),
    "lib.cumprod(dim=-1)": lambda lib, t: lib.cumprod(t, dim=-1),
    "lib.mean(dim=0, keepdim)": lambda lib, t: lib.mean(t, dim=0, keepdim=True),
    "lib.sum(dim=(0,))": lambda lib, t: lib.sum(t, dim=(0,)),
    "lib.prod(dim=0)": lambda lib, t: lib.prod(t, dim=0),
    "lib.var(dim=0, correction=0)": lambda lib, t: lib.var(t, dim=0, correction=0),
    "lib.std_mean(dim=0)": lambda lib, t: lib.std_mean(t, dim=0),
}

# What PyTorch gives other than shape (): another shape, or "error".
ZERO_D_OTHERS = {"unsqueeze(0)": (lambda lib, t: t.unsqueeze(0), (1,)),
                 "quantile of two q": (lambda lib, t: t.quantile(_float(lib, [0.2, 0.5]),
                                                                 dim=0), (2,)),
                 "roll": (lambda lib, t: t.roll(1, 0), "error"),
                 "select": (lambda lib, t: t.select(0, 0), "error"),
                 "narrow": (lambda lib, t: t.narrow(0, 0, 1), "error"),
                 "cumsum(1)": (lambda lib, t: t.cumsum(1), "error"),
                 "flip(1)": (lambda lib, t: t.flip(1), "error"),
                 "mean(dim=(0, 1))": (lambda lib, t: t.mean(dim=(0, 1)), "error"),
                 "movedim(0, 1)": (lambda lib, t: t.movedim(0, 1), "error"),
                 "movedim((0,), (0,))": (lambda lib, t: t.movedim((0,), (0,)), ())}


def _described(result):
    if isinstance(result, tuple):
        return tuple(_described(part) for part in result)
    values = np.asarray(result.tolist())
    return values.shape, str(result.dtype).replace("torch.", ""), values.tolist()


@pytest.mark.filterwarnings("ignore:Degrees of freedom", "ignore:invalid value",
                            "ignore:std")
@pytest.mark.parametrize("name", sorted(ZERO_D_CALLS) + sorted(ZERO_D_OTHERS))
def test_dim_methods_on_a_zero_d_tensor_keep_it_zero_d(name):
    call, expected = ZERO_D_OTHERS.get(name, (ZERO_D_CALLS.get(name), ()))
    if expected == "error":
        with pytest.raises((ValueError, IndexError, np.exceptions.AxisError)):
            call(ad, _float(ad, 2.5))
        return
    result = call(ad, _float(ad, 2.5))
    for part in result if isinstance(result, tuple) else (result,):
        assert part.shape == expected, (name, part.shape)


def test_numpy_spellings_on_a_zero_d_tensor_keep_numpys_shapes():
    t = ad.tensor(2.5)
    assert np.cumsum(t).shape == (1,) and np.cumsum(t, 0).shape == (1,)
    assert t.cumsum().shape == (1,) and t.cumsum(axis=0).shape == (1,)
    assert np.argsort(t).shape == (1,) and t.argsort(axis=-1).shape == (1,)
    assert t.argsort().shape == ()            # PyTorch's spelling, as PyTorch's
    assert np.cumprod(t, axis=0).shape == (1,)
    assert ad.cumsum(t, 0).shape == (1,) and ad.cumsum(t, axis=0).shape == (1,)
    with pytest.raises(np.exceptions.AxisError):
        np.mean(t, 0)
    with pytest.raises(np.exceptions.AxisError):
        t.mean(axis=0)
    with pytest.raises((IndexError, np.exceptions.AxisError)):
        t.cumsum(1)                       # a dim other than 0 / -1 is out of range


def test_zero_d_dim_updates_write_into_the_tensor_and_gradients_flow():
    t = ad.tensor(2.0)
    assert t.cumsum_(0) is t and t.shape == () and float(t) == 2.0
    t.scatter_(0, ad.tensor(np.array(0)), ad.tensor(5.0))
    assert t.shape == () and float(t) == 5.0
    paths = {
        "cumsum": lambda x: (x.cumsum(0) * 3).sum(),
        "cumprod": lambda x: (x.cumprod(dim=0) ** 2).sum(),
        "flip": lambda x: (x.flip(0) * x).sum(),
        "mean": lambda x: (x.mean(0) ** 3).sum(),
        "std of one": lambda x: (x.std(0, correction=0) + x).sum(),
        "index_select": lambda x: (x.index_select(0, ad.tensor(np.array(0))) ** 2).sum(),
        "scatter src": lambda x: (ad.tensor(1.0).scatter(0, ad.tensor(np.array(0)), x)
                                  * 2).sum(),
        "cumsum_ on a result": lambda x: ((x * 2).cumsum_(0) ** 2).sum(),
    }
    for name, path in paths.items():
        assert ad.gradcheck(path, [np.array(1.3)]), name


@pytest.mark.filterwarnings("ignore:Degrees of freedom", "ignore:invalid value",
                            "ignore:std")
def test_zero_d_dim_methods_match_torch():
    torch = pytest.importorskip("torch")
    calls = dict(ZERO_D_CALLS)
    calls.update({name: call for name, (call, _) in ZERO_D_OTHERS.items()})
    for name, call in calls.items():
        outcome = {}
        for lib in (torch, ad):
            try:
                outcome[lib] = _described(call(lib, _float(lib, 2.5)))
            except (RuntimeError, IndexError, ValueError, TypeError) as error:
                outcome[lib] = ("error", type(error).__name__)
        if outcome[torch][0] == "error":
            assert outcome[ad][0] == "error", (name, outcome[ad])
        else:
            assert repr(outcome[ad]) == repr(outcome[torch]), name     # (nan == nan)
    x = torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    ((x.cumsum(0) * 3) + x.flip(0) * x + x.mean(0) ** 3).backward()
    ours = ad.tensor(1.3, requires_grad=True)
    ((ours.cumsum(0) * 3) + ours.flip(0) * ours + ours.mean(0) ** 3).backward()
    np.testing.assert_allclose(ours.grad, x.grad.numpy(), rtol=1e-14)


# ----- 6. func.linearize runs the function once -----------------------------------------

def _counted(lib):
    calls = []

    def f(x, y):
        calls.append(1)
        return (x.sin() * y).sum(-1), x * y.exp()
    return f, calls


def test_linearize_runs_the_function_once_and_reuses_the_linearization():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    f, calls = _counted(ad)
    (first, second), jvp_fn = ad.func.linearize(f, ad.tensor(x), ad.tensor(y))
    assert len(calls) == 1
    for _ in range(3):
        tx, ty = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
        along_first, along_second = jvp_fn(ad.tensor(tx), ad.tensor(ty))
        assert isinstance(along_first, ad.Tensor)
        expected = ad.func.jvp(lambda a, b: f(a, b), (ad.tensor(x), ad.tensor(y)),
                               (ad.tensor(tx), ad.tensor(ty)))[1]
        np.testing.assert_allclose(along_first.data, expected[0].data, rtol=1e-14)
        np.testing.assert_allclose(along_second.data, expected[1].data, rtol=1e-14)
        h = 1e-6
        plus, minus = f(ad.tensor(x + h * tx), ad.tensor(y + h * ty)), \
            f(ad.tensor(x - h * tx), ad.tensor(y - h * ty))
        np.testing.assert_allclose(along_second.data, (plus[1].data - minus[1].data) / (2 * h),
                                   rtol=1e-7)
    np.testing.assert_allclose(first.data, (np.sin(x) * y).sum(-1), rtol=1e-15)
    assert len(calls) == 1 + 3 * 3          # only the checks above ran it again
    with pytest.raises(ValueError, match="linearize: jvp_fn expected 2 tangents"):
        jvp_fn(ad.tensor(x))
    with pytest.raises((ValueError, TypeError), match="tangent 0"):
        jvp_fn(ad.tensor(np.zeros(3)), ad.tensor(y))


def test_linearize_of_a_dict_primal_and_of_arrays():
    calls = []

    def f(params):
        calls.append(1)
        return params["w"] ** 2 + params["b"]
    params = {"w": np.array([1.0, 2.0]), "b": np.array([0.5, 0.5])}
    out, jvp_fn = ad.func.linearize(f, params)
    np.testing.assert_array_equal(out, [1.5, 4.5])
    tangent = jvp_fn({"w": np.array([1.0, 1.0]), "b": np.array([0.0, 2.0])})
    np.testing.assert_array_equal(tangent, [2.0, 6.0])
    assert len(calls) == 1 and isinstance(tangent, np.ndarray)


@pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")
def test_linearize_jvp_calls_do_not_run_the_function_as_in_torch():
    """PyTorch runs the function twice inside linearize (the value, then the trace),
    this library once; neither runs it again for a tangent."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y, tx, ty = (rng.standard_normal((2, 3)) for _ in range(4))
    results = {}
    for lib in (ad, torch):
        f, calls = _counted(lib)
        _, jvp_fn = lib.func.linearize(f, lib.tensor(x), lib.tensor(y))
        before = len(calls)
        along = [jvp_fn(lib.tensor(tx), lib.tensor(ty)) for _ in range(2)][-1]
        results[lib] = ([_values(t.detach()) for t in along], len(calls) - before)
    assert results[ad][1] == results[torch][1] == 0
    for ours, theirs in zip(results[ad][0], results[torch][0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)
