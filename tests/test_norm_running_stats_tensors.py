"""The norm layers' running statistics are Tensor buffers, as PyTorch's: ``running_mean``
and ``running_var`` in the layer's dtype, ``num_batches_tracked`` an int64 0-d tensor,
all updated in place so that a held reference sees the updates.

Training runs against PyTorch from the same weights (running statistics, counts and
eval-mode outputs compared), the in-place tensor idioms PyTorch users write on them,
every path that touches them (state dicts, dtype moves, deepcopy, functional_call,
update_bn, fusion, F.batch_norm / F.instance_norm with Tensor or ndarray statistics)
and compiled steps against eager ones.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from compile_twins import run_twins

# (layer name, input shape, keyword arguments); instance norms track statistics here
LAYERS = [
    ("BatchNorm1d", (6, 3), {}),
    ("BatchNorm1d", (5, 3, 4), {}),
    ("BatchNorm2d", (4, 3, 3, 5), {}),
    ("BatchNorm3d", (3, 3, 2, 3, 4), {}),
    ("InstanceNorm1d", (4, 3, 6), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm2d", (3, 3, 4, 5), {"affine": True, "track_running_stats": True}),
    ("InstanceNorm3d", (2, 3, 3, 3, 4), {"affine": True, "track_running_stats": True}),
]
LAYER_IDS = [f"{name}-{len(shape)}d" for name, shape, _ in LAYERS]
TOLERANCE = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def _pair(name, kwargs, dtype, momentum, torch):
    """The layer here and PyTorch's, from the same random weight and bias."""
    ours = getattr(nn, name)(3, momentum=momentum, dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, name)(3, momentum=momentum, dtype=getattr(torch, np.dtype(
        dtype).name), **kwargs)
    rng = np.random.default_rng(5)
    ours.load_state_dict({**ours.state_dict(), "weight": rng.uniform(0.5, 1.5, 3),
                          "bias": rng.normal(size=3)})
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum0.1", "cumulative"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,shape,kwargs", LAYERS, ids=LAYER_IDS)
def test_training_steps_match_pytorch(name, shape, kwargs, dtype, momentum):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(name, kwargs, dtype, momentum, torch)
    held_mean, held_var = ours.running_mean, ours.running_var
    opt = ad.optim.SGD(ours.parameters(), lr=0.1)
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = (rng.normal(size=shape) * (step + 1) + step).astype(dtype)
        target = rng.normal(size=shape).astype(dtype)
        opt.zero_grad()
        torch_opt.zero_grad()
        ((ours(ad.tensor(x)) - ad.tensor(target)) ** 2).mean().backward()
        ((theirs(torch.from_numpy(x)) - torch.from_numpy(target)) ** 2).mean().backward()
        opt.step()
        torch_opt.step()
    tol = TOLERANCE[dtype]
    for buffer in ("running_mean", "running_var"):
        value = getattr(ours, buffer)
        assert isinstance(value, ad.Tensor) and value.dtype == np.dtype(dtype)
        np.testing.assert_allclose(value.numpy(), getattr(theirs, buffer).numpy(), **tol)
    assert held_mean is ours.running_mean and held_var is ours.running_var
    counted = ours.num_batches_tracked
    assert isinstance(counted, ad.Tensor) and counted.dtype == np.int64 and counted.ndim == 0
    assert counted.item() == theirs.num_batches_tracked.item()
    assert counted.item() == (0 if name.startswith("Instance") else 4)
    ours.eval()
    theirs.eval()
    x = rng.normal(size=shape).astype(dtype)
    np.testing.assert_allclose(ours(ad.tensor(x)).data,
                               theirs(torch.from_numpy(x)).detach().numpy(), **tol)


def test_buffers_are_tensors_of_pytorchs_dtypes_and_listed_as_such():
    bn = nn.BatchNorm2d(4, dtype=np.float32)
    buffers = dict(bn.named_buffers())
    assert list(buffers) == ["running_mean", "running_var", "num_batches_tracked"]
    assert all(isinstance(b, ad.Tensor) and not b.requires_grad for b in bn.buffers())
    assert buffers["running_mean"] is bn.running_mean is bn.get_buffer("running_mean")
    assert [b.dtype for b in buffers.values()] == [np.float32, np.float32, np.int64]
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.item() == 0
    untracked = nn.BatchNorm1d(4, track_running_stats=False)
    assert untracked.running_mean is None and list(untracked.named_buffers()) == []
    assert nn.InstanceNorm1d(4).running_mean is None


def test_reprs_of_the_buffers_are_pytorchs():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2, dtype=torch.float64)
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    ours(ad.tensor(x))
    theirs(torch.from_numpy(x))
    assert repr(ours.num_batches_tracked) == repr(theirs.num_batches_tracked) == "tensor(1)"
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy())


def test_in_place_tensor_methods_write_the_buffers_a_reference_sees():
    bn = nn.BatchNorm1d(3)
    mean, var, count = bn.running_mean, bn.running_var, bn.num_batches_tracked
    with ad.no_grad():
        bn.running_mean.copy_(ad.tensor([1.0, 2.0, 3.0]))
        bn.running_var.fill_(4.0)
        bn.running_mean.add_(ad.ones(3), alpha=0.5)
    assert mean.tolist() == [1.5, 2.5, 3.5] and var.tolist() == [4.0, 4.0, 4.0]
    assert ad.allclose(bn.running_mean, ad.tensor([1.5, 2.5, 3.5]))
    saved = bn.running_mean.clone()
    bn.eval()
    x = np.array([[1.5, 4.5, 1.5]])
    np.testing.assert_allclose(bn(ad.tensor(x)).data, [[0.0, 1.0, -1.0]], atol=1e-5)
    bn.train()
    bn(ad.tensor(np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])))
    expected_mean = 0.9 * np.array([1.5, 2.5, 3.5]) + 0.1 * 1.0
    np.testing.assert_allclose(mean.numpy(), expected_mean)      # the held one updated
    np.testing.assert_allclose(var.numpy(), 0.9 * 4.0 + 0.1 * 2.0)   # unbiased: 2, not 1
    assert count.item() == 1 and saved.tolist() == [1.5, 2.5, 3.5]  # a clone stays
    with ad.no_grad():
        bn.running_mean.zero_()
    assert mean.tolist() == [0.0, 0.0, 0.0]
    bn.reset_running_stats()
    assert var.tolist() == [1.0, 1.0, 1.0] and count.item() == 0
    assert bn.running_var is var and bn.num_batches_tracked is count


def test_reset_parameters_resets_statistics_and_affine_in_place_as_pytorch():
    torch = pytest.importorskip("torch")
    for name in ("BatchNorm1d", "InstanceNorm1d"):
        ours, theirs = _pair(name, {"affine": True, "track_running_stats": True}, np.float64,
                             0.1, torch)
        x = np.random.default_rng(1).normal(size=(4, 3, 5))
        ours(ad.tensor(x))
        theirs(torch.from_numpy(x))
        weight, mean = ours.weight, ours.running_mean
        ours.reset_parameters()
        theirs.reset_parameters()
        for key, value in ours.state_dict().items():
            np.testing.assert_array_equal(value, theirs.state_dict()[key].numpy())
        assert ours.weight is weight and ours.running_mean is mean


def test_state_dict_round_trip_loads_in_place():
    source = nn.BatchNorm2d(3)
    source(ad.tensor(np.random.default_rng(2).normal(size=(4, 3, 2, 2))))
    state = source.state_dict()
    assert all(isinstance(v, np.ndarray) and not isinstance(v, ad.Tensor)
               for v in state.values())
    assert state["num_batches_tracked"].dtype == np.int64
    target = nn.BatchNorm2d(3)
    held = [target.running_mean, target.running_var, target.num_batches_tracked]
    target.load_state_dict(state)
    for name, value in zip(("running_mean", "running_var", "num_batches_tracked"), held):
        assert getattr(target, name) is value
        np.testing.assert_array_equal(value.numpy(), state[name])
    with pytest.raises(KeyError):
        target.load_state_dict({k: v for k, v in state.items() if k != "running_var"})
    missing = nn.BatchNorm2d(3).load_state_dict(
        {k: v for k, v in state.items() if k != "running_var"}, strict=False)
    assert missing.missing_keys == ["running_var"]
    with pytest.raises(ValueError, match="running_mean"):
        target.load_state_dict({**state, "running_mean": np.zeros(4)})
    np.testing.assert_array_equal(target.running_mean.numpy(), state["running_mean"])


def test_pytorch_state_dict_loads_and_exports_the_buffers():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    theirs(torch.randn(5, 3, dtype=torch.float64))
    ours = nn.BatchNorm1d(3)
    held = ours.running_var
    ours.load_torch_state_dict(theirs.state_dict())
    assert ours.running_var is held
    np.testing.assert_array_equal(held.numpy(), theirs.running_var.numpy())
    exported = ours.to_torch_state_dict()
    assert exported["num_batches_tracked"].dtype == np.int64
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in exported.items()})


def test_dtype_moves_convert_the_same_tensors():
    bn = nn.BatchNorm1d(3)
    mean, count = bn.running_mean, bn.num_batches_tracked
    for move, dtype in ((lambda: bn.float(), np.float32), (lambda: bn.double(), np.float64),
                        (lambda: bn.to(np.float32), np.float32), (lambda: bn.half(), np.float16)):
        move()
        assert bn.running_mean is mean and mean.dtype == dtype == bn.running_var.dtype
        assert count.dtype == np.int64             # an integer buffer keeps its dtype
    bn.float()
    bn(ad.tensor(np.ones((2, 3), np.float32)))
    assert mean.dtype == np.float32 and count.item() == 1


def test_deepcopy_gives_independent_tensors():
    bn = nn.BatchNorm1d(3)
    bn(ad.tensor(np.random.default_rng(3).normal(size=(4, 3))))
    twin = copy.deepcopy(bn)
    assert isinstance(twin.running_mean, ad.Tensor) and twin.running_mean is not bn.running_mean
    np.testing.assert_array_equal(twin.running_mean.numpy(), bn.running_mean.numpy())
    before = bn.running_mean.numpy().copy()
    twin(ad.tensor(np.ones((4, 3))))
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    assert twin.num_batches_tracked.item() == 2 and bn.num_batches_tracked.item() == 1


def test_lazy_norms_materialize_tensor_buffers():
    for lazy, shape in ((nn.LazyBatchNorm1d(), (4, 3)), (nn.LazyInstanceNorm1d(), (2, 3, 5))):
        placeholder = lazy.running_mean
        lazy(ad.tensor(np.random.default_rng(4).normal(size=shape)))
        assert lazy.running_mean is placeholder and type(placeholder) is ad.Tensor
        assert placeholder.shape == (3,) and isinstance(lazy.running_var, ad.Tensor)
    loaded = nn.LazyBatchNorm1d()
    loaded.load_state_dict(nn.BatchNorm1d(2).state_dict())
    assert type(loaded.running_mean) is ad.Tensor and loaded.running_var.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("stats", ["tensor", "ndarray"])
def test_functional_batch_norm_updates_given_statistics_in_place_as_pytorch(stats):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5, 3, 4))
    start_mean, start_var = rng.normal(size=3), rng.uniform(0.5, 2.0, 3)
    make = ad.tensor if stats == "tensor" else np.array
    mean, var = make(start_mean.copy()), make(start_var.copy())
    torch_mean, torch_var = torch.tensor(start_mean), torch.tensor(start_var)
    out = F.batch_norm(ad.tensor(x), mean, var, training=True, momentum=0.2)
    want = torch.nn.functional.batch_norm(torch.from_numpy(x), torch_mean, torch_var,
                                          training=True, momentum=0.2)
    np.testing.assert_allclose(out.data, want.numpy(), rtol=1e-12, atol=1e-12)
    assert type(mean) is (ad.Tensor if stats == "tensor" else np.ndarray)
    np.testing.assert_allclose(np.asarray(mean), torch_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(var), torch_var.numpy(), rtol=1e-13)
    out = F.batch_norm(ad.tensor(x), mean, var, training=False)
    want = torch.nn.functional.batch_norm(torch.from_numpy(x), torch_mean, torch_var)
    np.testing.assert_allclose(out.data, want.numpy(), rtol=1e-12, atol=1e-12)


def test_functional_instance_norm_updates_tensor_statistics_in_place_as_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).normal(size=(3, 2, 6))
    mean, var = ad.zeros(2), ad.ones(2)
    torch_mean, torch_var = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    out = F.instance_norm(ad.tensor(x), mean, var, momentum=0.3)
    want = torch.nn.functional.instance_norm(torch.from_numpy(x), torch_mean, torch_var,
                                             momentum=0.3)
    np.testing.assert_allclose(out.data, want.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean.numpy(), torch_mean.numpy(), rtol=1e-13)
    np.testing.assert_allclose(var.numpy(), torch_var.numpy(), rtol=1e-13)


def test_functional_batch_norm_refuses_statistics_that_require_grad():
    with pytest.raises(TypeError, match="batch_norm: running_mean gets no gradient"):
        F.batch_norm(ad.ones((2, 2)), ad.zeros(2, requires_grad=True), ad.ones(2),
                     training=True)


def test_eval_gradients_with_tensor_statistics_match_differences_and_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, w, b = rng.normal(size=(4, 3, 2)), rng.uniform(0.5, 1.5, 3), rng.normal(size=3)
    mean, var = ad.tensor(rng.normal(size=3)), ad.tensor(rng.uniform(0.5, 2.0, 3))

    def loss(x, w, b):
        return (F.batch_norm(x, mean, var, w, b, training=False) ** 3).sum()
    assert ad.gradcheck(loss, [x, w, b])
    inputs = [ad.tensor(a, requires_grad=True) for a in (x, w, b)]
    loss(*inputs).backward()
    torch_inputs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    torch_out = torch.nn.functional.batch_norm(
        torch_inputs[0], torch.from_numpy(mean.numpy()), torch.from_numpy(var.numpy()),
        torch_inputs[1], torch_inputs[2], training=False)
    (torch_out ** 3).sum().backward()
    for ours, theirs in zip(inputs, torch_inputs):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_backward_through_values_the_update_overwrote_is_refused():
    bn = nn.BatchNorm1d(2)
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    saved_mean = (w * bn.running_mean).sum()      # multiply saves the running mean
    bn(ad.tensor(np.array([[1.0, 2.0], [3.0, 5.0]])))
    with pytest.raises(ad.InPlaceError, match="multiply"):
        saved_mean.backward()


def test_functional_call_swaps_the_statistics_for_one_call():
    bn = nn.BatchNorm1d(2)
    given = ad.tensor([1.0, -1.0])
    bn.eval()
    out = ad.func.functional_call(bn, {"running_mean": given}, (ad.tensor([[1.0, -1.0]]),))
    np.testing.assert_allclose(out.data, [[0.0, 0.0]])
    assert bn.running_mean.tolist() == [0.0, 0.0] and isinstance(bn.running_mean, ad.Tensor)
    bn.train()
    ad.func.functional_call(bn, {"running_mean": given}, (ad.tensor([[1.0, 1.0], [3.0, 1.0]]),))
    np.testing.assert_allclose(given.numpy(), [0.9 * 1.0 + 0.2, 0.9 * -1.0 + 0.1])
    assert bn.running_mean.tolist() == [0.0, 0.0]


def test_update_bn_and_averaged_model_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    ours = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in
                            ours.to_torch_state_dict().items()})
    batches = [rng.normal(size=(6, 3)) for _ in range(3)]
    averaged = ad.optim.swa_utils.AveragedModel(ours, use_buffers=True)
    torch_averaged = torch.optim.swa_utils.AveragedModel(theirs, use_buffers=True)
    held = averaged.module[1].running_mean
    ad.optim.swa_utils.update_bn([ad.tensor(b) for b in batches], averaged)
    torch.optim.swa_utils.update_bn([torch.from_numpy(b) for b in batches], torch_averaged)
    assert averaged.module[1].running_mean is held
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(averaged.module[1], name).numpy(),
                                   getattr(torch_averaged.module[1], name).numpy(), rtol=1e-12)
    assert averaged.module[1].momentum == 0.1


def test_fusion_reads_tensor_statistics():
    torch = pytest.importorskip("torch")
    conv, bn = nn.Conv2d(2, 3, 3, rng=0), nn.BatchNorm2d(3)
    x = np.random.default_rng(10).normal(size=(4, 2, 5, 5))
    bn(conv(ad.tensor(x)))
    conv.eval()
    bn.eval()
    fused = nn.utils.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(fused(ad.tensor(x)).data, bn(conv(ad.tensor(x))).data,
                               rtol=1e-10, atol=1e-12)
    w, b = nn.utils.fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean,
                                         bn.running_var, bn.eps, bn.weight, bn.bias)
    tw, tb = torch.nn.utils.fuse_conv_bn_weights(
        *(torch.from_numpy(np.ascontiguousarray(a)) for a in (
            conv.to_torch_state_dict()["weight"], conv.bias.data, bn.running_mean.numpy(),
            bn.running_var.numpy())), bn.eps, torch.from_numpy(bn.weight.data),
        torch.from_numpy(bn.bias.data))
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-12)


def test_save_and_load_keep_the_values(tmp_path):
    bn = nn.BatchNorm1d(3)
    bn(ad.tensor(np.random.default_rng(11).normal(size=(4, 3))))
    path = tmp_path / "bn.ad"
    ad.save(bn.state_dict(), path)
    loaded = nn.BatchNorm1d(3)
    held = loaded.running_var
    loaded.load_state_dict(ad.load(path))
    assert loaded.running_var is held
    np.testing.assert_array_equal(held.numpy(), bn.running_var.numpy())
    assert loaded.num_batches_tracked.item() == 1


def _norm_step(make_layer, buffer_op):
    def make():
        model = make_layer()
        norm = model[-1]
        held = norm.running_mean
        opt = ad.optim.SGD(model.parameters(), lr=0.05)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            if buffer_op:
                with ad.no_grad():
                    norm.running_var.clamp_(max=1.05)
            return loss
        return step, {"model": model, "held": held}
    return make


@pytest.mark.parametrize("buffer_op", [False, True], ids=["plain", "in-place-op"])
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum0.1", "cumulative"])
@pytest.mark.parametrize("layer", ["batch", "instance"])
def test_compiled_steps_match_eager(layer, momentum, buffer_op):
    if layer == "batch":
        def make_layer():
            return nn.Sequential(nn.Linear(3, 3, rng=1), nn.BatchNorm1d(3, momentum=momentum))
        shape = (6, 3)
    else:
        def make_layer():
            return nn.Sequential(nn.InstanceNorm1d(3, momentum=momentum, affine=True,
                                                   track_running_stats=True))
        shape = (4, 3, 5)
    rng = np.random.default_rng(12)
    batches = [(rng.normal(size=shape) + k,) for k in range(20)]
    compiled, eager, twin = run_twins(_norm_step(make_layer, buffer_op), batches, fuse=False)
    assert compiled.traces == 1
    assert twin["held"] is twin["model"][-1].running_mean
    expected = 20 if layer == "batch" else 0
    assert twin["model"][-1].num_batches_tracked.item() == expected
    assert eager["model"][-1].num_batches_tracked.item() == expected
    moved = momentum is not None or layer == "batch"   # (instance norms' None means 0)
    assert moved != np.array_equal(twin["held"].numpy(), np.zeros(3))


def test_compiled_eval_step_reads_statistics_loaded_between_calls():
    bn = nn.BatchNorm1d(2)
    bn.eval()
    run = ad.compile(lambda x: bn(x) * 1.0)
    x = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(run(x).data, x / np.sqrt(1 + bn.eps))
    bn.load_state_dict({**bn.state_dict(), "running_mean": np.array([1.0, 2.0])})
    np.testing.assert_allclose(run(x).data, [[0.0, 0.0]])
    with ad.no_grad():
        bn.running_var.fill_(4.0)
        bn.running_mean.zero_()
    np.testing.assert_allclose(run(x).data, x / np.sqrt(4 + bn.eps))
    assert run.traces == 1


def test_numpy_writes_into_a_buffer_in_a_compiled_step_are_refused_naming_it():
    bn = nn.BatchNorm1d(2)

    def step(x):
        out = bn(x).sum()
        np.copyto(bn.running_var.data, 2.0)
        return out
    with pytest.raises(ad.TraceError, match="buffer 'running_var' of BatchNorm1d"):
        ad.compile(step)(np.ones((3, 2)))
    assert bn.running_var.data.flags.writeable


def test_convert_sync_batchnorm_keeps_the_same_buffer_tensors():
    model = nn.Sequential(nn.Linear(3, 3, rng=0), nn.BatchNorm1d(3))
    model(ad.tensor(np.random.default_rng(13).normal(size=(5, 3))))
    held = list(model[1].buffers())
    nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(model[1]) is nn.SyncBatchNorm
    assert all(a is b for a, b in zip(held, model[1].buffers())) and len(held) == 3
    model(ad.tensor(np.ones((5, 3))))
    assert held[2].item() == 2
