"""A ``state_dict``'s values answer the copy and conversion methods PyTorch code calls
on its tensors (``clone``, ``detach().cpu().numpy()``, ``copy_``, ``numel``, ``to``,
``size()``, ``equal``), stay ndarrays for NumPy, and go through every save and load."""

import copy
import io
import pickle
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn.state_arrays import StateArray


def _model(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.Linear(4, 2, rng=rng))
    model(ad.tensor(rng.normal(size=(5, 3))))         # running stats move
    return model


def test_values_are_ndarrays_with_pytorchs_copy_methods():
    sd = _model().state_dict()
    for key, value in sd.items():
        assert isinstance(value, np.ndarray) and not isinstance(value, ad.Tensor), key
        assert value.numel() == np.asarray(value).size and value.dim() == value.ndim
        assert tuple(value.size()) == value.shape and value.size == np.asarray(value).size
    weight = sd["0.weight"]
    assert weight.size(0) == 3 and weight.size(-1) == 4
    with pytest.raises(IndexError, match="out of range"):
        weight.size(2)


def test_best_weights_idiom_copies_and_restores():
    model = _model()
    best = {k: v.clone() for k, v in model.state_dict().items()}
    before = {k: np.array(v) for k, v in best.items()}
    for p in model.parameters():
        p.data += 1.0                                   # training moves on
    for key, value in best.items():
        np.testing.assert_array_equal(value, before[key])   # the clone kept its values
    model.load_state_dict(best)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_clone_owns_its_memory_and_detach_shares_it():
    value = _model().state_dict()["0.bias"]
    cloned, detached = value.clone(), value.detach()
    assert not np.shares_memory(cloned, value) and np.shares_memory(detached, value)
    assert type(cloned) is StateArray and type(detached) is StateArray
    value[0] = 42.0
    assert cloned[0] != 42.0 and detached[0] == 42.0


def test_detach_cpu_numpy_gives_a_plain_array_sharing_memory():
    value = _model().state_dict()["0.weight"]
    plain = value.detach().cpu().numpy()
    assert type(plain) is np.ndarray and np.shares_memory(plain, value)
    assert value.cpu() is value


def test_to_converts_dtype_and_refuses_other_devices():
    value = _model().state_dict()["0.weight"]
    assert value.to("cpu") is value and value.to(np.float64) is value
    copied = value.to(np.float64, copy=True)
    assert copied is not value and not np.shares_memory(copied, value)
    assert value.to(np.float32).dtype == np.float32
    assert value.to(dtype="float16").dtype == np.float16
    assert value.float().dtype == np.float32 and value.half().dtype == np.float16
    assert value.long().dtype == np.int64 and value.int().dtype == np.int32
    assert value.bool().dtype == np.bool_ and value.double().dtype == np.float64
    with pytest.raises(ValueError, match="device 'cuda'"):
        value.to("cuda")
    with pytest.raises(TypeError, match="bfloat16"):
        value.to("bfloat16")


def test_to_takes_torch_dtypes_and_devices():
    torch = pytest.importorskip("torch")
    value = _model().state_dict()["0.weight"]
    assert value.to(torch.float32).dtype == np.float32
    assert value.to(torch.device("cpu"), torch.int64).dtype == np.int64
    assert ad.tensor([1.5]).to(torch.float16).dtype == np.float16     # a Tensor's too
    with pytest.raises(TypeError, match="complex32 has no NumPy"):
        value.to(torch.complex32)


def test_copy_into_a_state_value_casts_and_broadcasts_as_pytorch():
    torch = pytest.importorskip("torch")
    ours = _model().state_dict()
    other = _model(seed=1).state_dict()
    target = ours["0.weight"]
    assert target.copy_(other["0.weight"]) is target
    np.testing.assert_array_equal(target, other["0.weight"])
    target.copy_(ad.tensor(np.ones(4)))                  # a Tensor, broadcast
    np.testing.assert_array_equal(target, np.ones((3, 4)))
    counts = ours["1.num_batches_tracked"]
    theirs = torch.zeros((), dtype=torch.int64)
    theirs.copy_(torch.tensor(2.7, dtype=torch.float64))        # PyTorch truncates
    counts.copy_(torch.tensor(2.7, dtype=torch.float64))
    assert int(counts) == int(theirs) == 2
    with pytest.raises(ValueError, match=r"\(5,\) cannot be broadcast .* \(3, 4\)"):
        target.copy_(np.zeros(5))


def test_equal_as_torch_equal():
    torch = pytest.importorskip("torch")
    sd = _model().state_dict()
    weight = sd["0.weight"]
    cases = [(weight, weight.clone()), (weight, weight.clone() + 1),
             (weight, weight[:2]), (np.array([1, 2]), np.array([1.0, 2.0])),
             (np.array([np.nan]), np.array([np.nan]))]
    for a, b in cases:
        a = a.view(StateArray)
        assert a.equal(b) == torch.equal(torch.from_numpy(np.asarray(a)),
                                         torch.from_numpy(np.asarray(b)))
    assert weight.equal(ad.tensor(np.asarray(weight)))


def test_arithmetic_gives_plain_arrays_and_views_keep_the_methods():
    value = _model().state_dict()["0.weight"]
    for result in (value * 2, value + value, np.exp(value), np.concatenate([value, value]),
                   value.mean(axis=0)):
        assert type(result) is np.ndarray
    for scalar in (value.sum(), (value == value).all(), value.max()):
        assert not isinstance(scalar, np.ndarray) and np.ndim(scalar) == 0
    assert value[0].numel() == 4 and value.T.size() == (4, 3)
    assert type(np.asarray(value)) is np.ndarray and type(ad.tensor(value).data) is np.ndarray


def test_pickling_deepcopy_and_npz_round_trips():
    model = _model()
    sd = model.state_dict()
    for restored in (pickle.loads(pickle.dumps(sd)), copy.deepcopy(sd)):
        for key in sd:
            assert type(restored[key]) is StateArray and restored[key].equal(sd[key])
        model.load_state_dict(restored)
    buffer = io.BytesIO()
    np.savez(buffer, **sd)
    buffer.seek(0)
    loaded = np.load(buffer)
    for key in sd:
        assert type(loaded[key]) is np.ndarray
        np.testing.assert_array_equal(loaded[key], sd[key])
    model.load_state_dict(loaded)


def test_ad_save_and_load(tmp_path):
    model = _model()
    sd = model.state_dict()
    ad.save(sd, tmp_path / "state.ad")
    loaded = ad.load(tmp_path / "state.ad")
    assert sorted(loaded) == sorted(sd)
    for key in sd:
        np.testing.assert_array_equal(loaded[key], sd[key])
    model.load_state_dict(loaded)


def test_to_torch_state_dict_values_load_into_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2, rng=0)
    theirs = torch.nn.Linear(3, 2).double()
    state = ours.to_torch_state_dict()
    assert all(type(v) is StateArray for v in state.values())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    x = np.random.default_rng(3).normal(size=(4, 3))
    np.testing.assert_allclose(theirs(torch.from_numpy(x)).detach().numpy(),
                               ours(ad.tensor(x)).data, rtol=1e-12)   # (BLAS orders may differ)
    fresh = nn.Linear(3, 2, rng=1)
    fresh.load_torch_state_dict({k: v.clone() for k, v in state.items()})
    np.testing.assert_array_equal(fresh.weight.data, ours.weight.data)


def test_keep_vars_and_hooks_and_optimizer_state_unchanged():
    model = _model()
    assert model.state_dict(keep_vars=True)["0.weight"] is model[0].weight
    model.register_state_dict_post_hook(lambda m, sd, prefix, meta: None)
    assert type(model.state_dict()["0.weight"]) is StateArray      # through the hooks too
    opt = ad.optim.Adam(model.parameters(), lr=0.1)
    model(ad.tensor(np.ones((2, 3)))).sum().backward()
    opt.step()
    saved = opt.state_dict()
    fresh = ad.optim.Adam(model.parameters())
    fresh.load_state_dict(copy.deepcopy(saved))
    assert fresh.param_groups[0]["lr"] == 0.1


def test_no_warnings_and_no_shared_memory_with_parameters():
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sd = model.state_dict()
        sd["0.weight"][...] = 0.0
    assert not np.any(model[0].weight.data == 0.0)
