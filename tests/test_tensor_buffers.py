"""A buffer registered as a Tensor stays that Tensor, as in PyTorch: its methods and
in-place updates (``mul_``, ``add_``, ``copy_``, ``fill_``, ``zero_``, ``+=``) work on
the buffer, and everything that walks buffers (state_dict, load_state_dict, dtype
conversion, deepcopy, pickling, share_memory, functional_call, stack_module_state,
AveragedModel, parametrize, compile) keeps it a Tensor.  Compared with PyTorch where
it has the behaviour; an ndarray buffer keeps its ndarray behaviour."""

import copy
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

STEPS = 5


def _ema_setup(module, lib, w0):
    module.w = lib.nn.Parameter(lib.tensor(w0, dtype=lib.float64))
    module.register_buffer("ema", lib.zeros(3, dtype=lib.float64))
    module.register_buffer("count", lib.tensor(0))


def _ema_forward(module, lib, x):
    """The PyTorch habits on buffers: an EMA and a counter updated in place."""
    y = x * module.w
    if module.training:
        with lib.no_grad():
            module.ema.mul_(0.9).add_(y.mean(0), alpha=0.1)
            module.count += 1
    return y - module.ema


class EMA(nn.Module):
    def __init__(self, w0):
        super().__init__()
        _ema_setup(self, ad, w0)

    def forward(self, x):
        return _ema_forward(self, ad, x)


_TORCH_EMA = []


def _make_ema(lib, w0):
    """The same module in autodiff (``lib`` = ad) or PyTorch."""
    if lib is ad:
        return EMA(w0)
    if not _TORCH_EMA:
        class TorchEMA(lib.nn.Module):
            def __init__(self, w0):
                super().__init__()
                _ema_setup(self, lib, w0)

            def forward(self, x):
                return _ema_forward(self, lib, x)
        _TORCH_EMA.append(TorchEMA)
    return _TORCH_EMA[0](w0)


def _inputs(n=STEPS):
    rng = np.random.default_rng(0)
    return [rng.normal(size=(4, 3)) for _ in range(n)]


def _train(lib, model, xs, compiled=False):
    opt = lib.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (model(x) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    run = ad.compile(step) if compiled else step
    losses = []
    for x in xs:
        loss = run(lib.tensor(x) if lib is ad else lib.from_numpy(x))
        losses.append(float(loss.detach()))
    if compiled:
        assert run.traces == 1, run.traces          # the later calls were replays
    return losses


def test_ema_idiom_matches_pytorch_over_steps():
    torch = pytest.importorskip("torch")
    w0 = [0.5, -1.0, 2.0]
    ours, theirs = _make_ema(ad, w0), _make_ema(torch, w0)
    ema_object = ours.ema
    xs = _inputs()
    losses = _train(ad, ours, xs)
    torch_losses = _train(torch, theirs, xs)
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-12)
    assert ours.ema is ema_object and type(ours.ema) is ad.Tensor
    assert not ours.ema.requires_grad
    np.testing.assert_allclose(ours.ema.numpy(), theirs.ema.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.w.data, theirs.w.detach().numpy(), rtol=1e-12)
    assert int(ours.count) == int(theirs.count) == STEPS
    assert ours.count.dtype == np.int64 and type(ours.count) is ad.Tensor


@pytest.mark.parametrize("method, args", [("copy_", "x"), ("fill_", 2.5), ("zero_", None)])
def test_copy_fill_zero_on_a_tensor_buffer_match_pytorch(method, args):
    torch = pytest.importorskip("torch")
    x = np.array([1.0, -2.0, 3.0])
    results = []
    for lib in (ad, torch):
        m = lib.nn.Module()
        m.register_buffer("stat", lib.ones(3, dtype=lib.float64))
        before = m.stat
        arg = (lib.tensor(x),) if args == "x" else (() if args is None else (args,))
        with lib.no_grad():
            returned = getattr(m.stat, method)(*arg)
        assert returned is m.stat is before
        results.append(np.asarray(m.stat.numpy()))
    np.testing.assert_array_equal(results[0], results[1])


def test_requires_grad_tensor_is_kept_as_pytorch_keeps_it():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        m = lib.nn.Module()
        t = lib.zeros(3, requires_grad=True)
        m.register_buffer("a", t)
        assert m.a is t and m.a.requires_grad
        m.b = lib.nn.Buffer(lib.ones(2))
        assert type(m.b) is (ad.Tensor if lib is ad else torch.Tensor)


def test_buffer_refuses_a_list_naming_the_module_and_the_way_out():
    m = nn.Module()
    with pytest.raises(TypeError, match=r"Module: cannot assign 'list' as buffer 'c'.*"
                                        r"ad.tensor\(value\)"):
        m.register_buffer("c", [1.0, 2.0])
    m.register_buffer("c", ad.zeros(2))
    with pytest.raises(TypeError, match="buffer 'c'"):
        m.c = 3.0
    m.c = None                                    # None unsets it, as in PyTorch
    assert m.c is None and list(m.named_buffers()) == []


def test_an_ndarray_buffer_stays_an_ndarray():
    m = nn.Module()
    m.register_buffer("count", np.zeros(()))
    m.count += 1
    assert type(m.count) is np.ndarray and isinstance(m.state_dict()["count"], np.ndarray)
    m.double()
    assert type(m.count) is np.ndarray


def test_named_buffers_and_state_dict_compared_with_pytorch():
    torch = pytest.importorskip("torch")
    w0 = [0.5, -1.0, 2.0]
    ours, theirs = _make_ema(ad, w0), _make_ema(torch, w0)
    xs = _inputs(3)
    _train(ad, ours, xs)
    _train(torch, theirs, xs)
    assert dict(ours.named_buffers())["ema"] is ours.ema
    assert list(ours.buffers())[1] is ours.count
    sd = ours.state_dict()
    torch_sd = theirs.state_dict()
    assert list(sd) == list(torch_sd)
    for key in sd:
        # the library's state_dict holds arrays (StateArrays: ndarrays with torch's methods)
        assert isinstance(sd[key], np.ndarray) and not isinstance(sd[key], ad.Tensor)
        np.testing.assert_allclose(sd[key], torch_sd[key].numpy(), rtol=1e-12)
    sd["ema"][...] = 7.0                             # a copy, not the buffer's memory
    assert not np.any(ours.ema.numpy() == 7.0)
    assert ours.state_dict(keep_vars=True)["ema"] is ours.ema


def test_state_dict_round_trip_and_load_keeps_the_object():
    torch = pytest.importorskip("torch")
    w0 = [0.5, -1.0, 2.0]
    source, target = _make_ema(ad, w0), _make_ema(ad, [0.0, 0.0, 0.0])
    _train(ad, source, _inputs(3))
    ema, count = target.ema, target.count
    keys = target.load_state_dict(source.state_dict())
    assert keys.missing_keys == [] and keys.unexpected_keys == []
    assert target.ema is ema and target.count is count
    np.testing.assert_array_equal(target.ema.numpy(), source.ema.numpy())
    assert int(target.count) == 3 and target.count.dtype == np.int64
    # a PyTorch state_dict (torch tensors) loads in place too, as PyTorch copies
    theirs = _make_ema(torch, w0)
    _train(torch, theirs, _inputs(4))
    target.load_state_dict(theirs.state_dict())
    assert target.ema is ema
    np.testing.assert_allclose(ema.numpy(), theirs.ema.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"'ema' has shape \(2,\).*buffer has shape \(3,\)"):
        target.load_state_dict({**source.state_dict(), "ema": np.zeros(2)})
    np.testing.assert_allclose(ema.numpy(), theirs.ema.numpy(), rtol=1e-12)  # unchanged


@pytest.mark.parametrize("convert, dtype", [("double", "float64"), ("float", "float32"),
                                            ("half", "float16")])
def test_dtype_conversion_matches_pytorch_and_keeps_the_object(convert, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = _make_ema(ad, [1.0, 2.0, 3.0]), _make_ema(torch, [1.0, 2.0, 3.0])
    ema = ours.ema
    getattr(ours, convert)()
    getattr(theirs, convert)()
    assert ours.ema is ema and str(ours.ema.dtype) == dtype
    assert str(theirs.ema.dtype) == f"torch.{dtype}"
    assert ours.count.dtype == np.int64 and theirs.count.dtype == torch.int64
    ours.to(np.float32)
    assert ours.ema is ema and ours.ema.dtype == np.float32


def test_deepcopy_and_pickle_give_independent_tensor_buffers(tmp_path):
    model = _make_ema(ad, [1.0, 2.0, 3.0])
    _train(ad, model, _inputs(2))
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert type(clone.ema) is ad.Tensor and clone.ema is not model.ema
        assert clone._buffers["ema"] is clone.ema
        np.testing.assert_array_equal(clone.ema.numpy(), model.ema.numpy())
        with ad.no_grad():
            clone.ema.fill_(9.0)
        assert not np.any(model.ema.numpy() == 9.0)
        _train(ad, clone, _inputs(1))               # the copy still trains
    path = tmp_path / "model.adt"
    ad.save(model.state_dict(), path)
    fresh = _make_ema(ad, [0.0, 0.0, 0.0])
    ema = fresh.ema
    fresh.load_state_dict(ad.load(path))
    assert fresh.ema is ema
    np.testing.assert_array_equal(fresh.ema.numpy(), model.ema.numpy())


def test_share_memory_keeps_the_tensor_buffer():
    model = _make_ema(ad, [1.0, 2.0, 3.0])
    ema = model.ema
    model.share_memory()
    assert model.ema is ema and ema.is_shared()
    assert model._buffers["ema"] is ema


def test_functional_call_with_a_buffers_dict_matches_pytorch():
    torch = pytest.importorskip("torch")
    from torch.func import functional_call as torch_functional_call
    x = np.arange(6.0).reshape(2, 3)
    outs = []
    for lib, call in ((ad, ad.func.functional_call), (torch, torch_functional_call)):
        model = _make_ema(lib, [1.0, 2.0, 3.0]).eval()
        ema = model.ema
        given = {"ema": lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)}
        outs.append(np.asarray(call(model, given, (lib.tensor(x),)).detach().numpy()))
        assert model.ema is ema and not np.any(ema.numpy())     # put back after
    np.testing.assert_array_equal(outs[0], outs[1])
    model = _make_ema(ad, [1.0, 2.0, 3.0]).eval()         # an array for a Tensor buffer
    out = ad.func.functional_call(model, {"ema": np.array([1.0, 2.0, 3.0])},
                                  (ad.tensor(x),))
    np.testing.assert_array_equal(out.data, outs[0])


def test_stack_module_state_stacks_tensor_buffers_as_pytorch():
    torch = pytest.importorskip("torch")
    stacked = []
    for lib, stack in ((ad, ad.func.stack_module_state),
                       (torch, torch.func.stack_module_state)):
        models = [_make_ema(lib, [1.0, 2.0, 3.0]) for _ in range(3)]
        for k, m in enumerate(models):
            with lib.no_grad():
                m.ema.fill_(float(k))
        _, buffers = stack(models)
        assert sorted(buffers) == ["count", "ema"]
        assert not buffers["ema"].requires_grad
        stacked.append({k: np.asarray(v.numpy()) for k, v in buffers.items()})
    for key in stacked[0]:
        np.testing.assert_array_equal(stacked[0][key], stacked[1][key])


@pytest.mark.parametrize("use_buffers", [False, True])
def test_averaged_model_copies_or_averages_tensor_buffers_as_pytorch(use_buffers):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        model = _make_ema(lib, [1.0, 2.0, 3.0])
        averaged = lib.optim.swa_utils.AveragedModel(model, use_buffers=use_buffers)
        ema = averaged.module.ema
        for x in _inputs(3):
            _train(lib, model, [x])
            averaged.update_parameters(model)
        if lib is ad:
            assert averaged.module.ema is ema and type(ema) is ad.Tensor
        results.append([np.asarray(t.detach().numpy()) for t in
                        (averaged.module.ema, averaged.module.count, averaged.module.w)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_parametrized_tensor_buffer_stays_a_tensor_as_in_pytorch():
    torch = pytest.importorskip("torch")
    values = []
    for lib, parametrize in ((ad, ad.nn.utils.parametrize),
                             (torch, torch.nn.utils.parametrize)):
        class Double(lib.nn.Module):
            def forward(self, x):
                return x * 2

            def right_inverse(self, x):
                return x / 2

        m = lib.nn.Module()
        m.register_buffer("scale", lib.tensor([1.0, 3.0], dtype=lib.float64))
        parametrize.register_parametrization(m, "scale", Double())
        original = m.parametrizations.scale.original
        read = m.scale
        m.scale = lib.tensor([4.0, 8.0], dtype=lib.float64)
        parametrize.remove_parametrizations(m, "scale")
        assert "scale" in dict(m.named_buffers())
        values.append([np.asarray(t.detach().numpy()) for t in (original, read, m.scale)])
        if lib is ad:
            assert type(original) is ad.Tensor and type(m.scale) is ad.Tensor
    for ours, theirs in zip(*values):
        np.testing.assert_array_equal(ours, theirs)


def test_compiled_step_updating_a_tensor_buffer_replays_as_eager():
    xs = _inputs(6)
    eager, compiled = _make_ema(ad, [0.5, -1.0, 2.0]), _make_ema(ad, [0.5, -1.0, 2.0])
    eager_losses = _train(ad, eager, xs)
    compiled_losses = _train(ad, compiled, xs, compiled=True)
    assert eager_losses == compiled_losses
    assert eager.ema.numpy().tobytes() == compiled.ema.numpy().tobytes()
    assert int(eager.count) == int(compiled.count) == len(xs)
    assert eager.w.data.tobytes() == compiled.w.data.tobytes()


def test_compiled_step_sees_a_loaded_tensor_buffer():
    model = _make_ema(ad, [0.5, -1.0, 2.0]).eval()
    run = ad.compile(lambda x: model(x).sum())
    x = ad.tensor(np.ones((2, 3)))
    first = float(run(x))
    first_again = float(run(x))
    model.load_state_dict({**model.state_dict(), "ema": np.array([1.0, 1.0, 1.0])})
    loaded = float(run(x))
    assert first == first_again and loaded == float(model(x).sum()) and loaded != first
    with ad.no_grad():
        model.ema.fill_(2.0)
    assert float(run(x)) == float(model(x).sum()) != loaded
    model.ema = ad.tensor([3.0, 3.0, 3.0])            # another tensor: traced again
    assert float(run(x)) == float(model(x).sum())


def test_to_torch_state_dict_and_skip_init_keep_tensor_buffers():
    torch = pytest.importorskip("torch")
    model = _make_ema(ad, [1.0, 2.0, 3.0])
    _train(ad, model, _inputs(2))
    theirs = _make_ema(torch, [0.0, 0.0, 0.0])
    theirs.load_state_dict({k: torch.from_numpy(v)
                            for k, v in model.to_torch_state_dict().items()})
    np.testing.assert_array_equal(theirs.ema.numpy(), model.ema.numpy())
    assert int(theirs.count) == 2


def test_an_assigned_value_keeps_the_kind_of_the_buffer():
    m = nn.Module()
    m.register_buffer("stat", ad.zeros(2))
    m.stat = np.array([1.0, 2.0])               # a Tensor buffer stays a Tensor
    assert type(m.stat) is ad.Tensor and m._buffers["stat"] is m.stat
    with ad.no_grad():
        m.stat.mul_(2)
    np.testing.assert_array_equal(m.state_dict()["stat"], [2.0, 4.0])
    m.register_buffer("steps", np.zeros(()))
    m.steps = ad.tensor(5.0)                    # an array buffer stays an array
    assert type(m.steps) is np.ndarray and m.steps == 5
    m.register_buffer("later", None)
    m.later = ad.ones(2)                        # an unset one takes what it is given
    assert type(m.later) is ad.Tensor


def test_repr_and_apply_with_tensor_buffers_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        outer = lib.nn.Sequential(_make_ema(lib, [1.0, 2.0, 3.0]))
        # buffers are not in a module's repr, in PyTorch as here
        assert repr(outer).replace("TorchEMA", "EMA") == "Sequential(\n  (0): EMA()\n)"

        def reset(module):
            if hasattr(module, "ema"):
                with lib.no_grad():
                    module.ema.fill_(4.0)
        ema = outer[0].ema
        assert outer.apply(reset) is outer and outer[0].ema is ema
        assert np.asarray(ema.numpy()).tolist() == [4.0, 4.0, 4.0]


def test_compile_refuses_a_tensor_buffer_replaced_in_the_call_naming_it():
    class Replacing(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("ema", ad.zeros(3))

        def forward(self, x):
            with ad.no_grad():
                self.ema = 0.9 * self.ema + 0.1 * x.mean(0)     # out of place
            return x - self.ema

    model = Replacing()
    run = ad.compile(lambda x: model(x).sum())
    with pytest.raises(ad.TraceError,
                       match=r"buffer 'ema' of Replacing \(a Tensor\) was replaced by an "
                             r"assignment.*self\.ema\.copy_\(new_value\)"):
        for _ in range(3):
            run(ad.tensor(np.ones((2, 3))))
