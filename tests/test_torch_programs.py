"""The lines PyTorch training scripts are made of, run as written with ``ad`` for
``torch``: device selection, the DataLoader's worker options, ``random_split``'s
``generator=``.  Comparisons with PyTorch itself are skipped when it is absent."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def test_device_boilerplate_picks_the_cpu():
    device = ad.device("cuda" if ad.cuda.is_available() else "cpu")
    assert str(device) == "cpu" and device.type == "cpu" and device.index is None
    assert not ad.backends.mps.is_available() and ad.cuda.device_count() == 0
    ad.cuda.manual_seed_all(0)                   # nothing to seed, as PyTorch without a GPU
    ad.backends.cudnn.benchmark = True
    model = nn.Linear(2, 3).to(device)
    x = ad.ones(4, 2).to(device)
    assert model(x).shape == (4, 3) and x.device == device


def test_device_names_and_indices():
    assert ad.device("cpu:0") == ad.device("cpu", 0) and str(ad.device("cpu", 0)) == "cpu:0"
    assert repr(ad.device("cuda:1")) == "device(type='cuda', index=1)"
    assert ad.device(ad.device("cpu")) == "cpu" and ad.device("cpu") != ad.device("cuda")
    with pytest.raises(ValueError, match="given twice"):
        ad.device("cpu:0", 1)
    with pytest.raises(ValueError, match="invalid"):
        ad.device("cuda:x")


def test_moving_to_a_gpu_names_the_device():
    cuda = ad.device("cuda")                     # made without a GPU, as in PyTorch
    with pytest.raises(ValueError, match="'cuda' is not available"):
        ad.ones(2).to(cuda)
    with pytest.raises(ValueError, match="'cuda' is not available"):
        nn.Linear(2, 2).to(cuda)


def test_dataloader_takes_the_worker_options_and_gives_the_same_batches():
    data = ad.data.TensorDataset(np.arange(10.0), np.arange(10))
    plain = ad.data.DataLoader(data, batch_size=4)
    calls = []
    loaded = ad.data.DataLoader(data, batch_size=4, num_workers=2, pin_memory=True,
                                persistent_workers=True, prefetch_factor=2, timeout=5,
                                worker_init_fn=calls.append, in_order=True,
                                pin_memory_device="")
    for (xa, ya), (xb, yb) in zip(plain, loaded, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert calls == []                           # no worker process, so never called


@pytest.mark.parametrize("option", [{"prefetch_factor": 2}, {"persistent_workers": True}])
def test_dataloader_refuses_worker_options_without_workers_as_pytorch(option):
    data = ad.data.TensorDataset(np.arange(4.0))
    with pytest.raises(ValueError, match="num_workers > 0"):
        ad.data.DataLoader(data, batch_size=2, **option)


def test_random_split_takes_generator():
    data = ad.data.TensorDataset(np.arange(10.0))
    a = ad.data.random_split(data, [7, 3], generator=np.random.default_rng(0))
    b = ad.data.random_split(data, [7, 3], seed=np.random.default_rng(0))
    assert [len(s) for s in a] == [7, 3]
    for sa, sb in zip(a, b):
        np.testing.assert_array_equal(sa.indices, sb.indices)
    with pytest.raises(TypeError, match="not both"):
        ad.data.random_split(data, [7, 3], seed=0, generator=np.random.default_rng(0))


def test_dataloader_options_match_pytorch():
    torch = pytest.importorskip("torch")
    data = [np.float64(i) for i in range(6)]
    for option in ({"prefetch_factor": 2}, {"persistent_workers": True}):
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader(data, batch_size=2, **option)
    batches = torch.utils.data.DataLoader(data, batch_size=4, pin_memory=False, timeout=0)
    ours = ad.data.DataLoader(data, batch_size=4, pin_memory=True, timeout=0)
    assert [b.tolist() for b in batches] == [b.tolist() for b in ours]
