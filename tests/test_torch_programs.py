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


CREATORS = [
    ("tensor", lambda d: ad.tensor([1.0, 2.0], device=d)),
    ("as_tensor", lambda d: ad.as_tensor([1.0, 2.0], device=d)),
    ("zeros", lambda d: ad.zeros(2, 3, device=d)),
    ("ones", lambda d: ad.ones(2, device=d, requires_grad=True)),
    ("full", lambda d: ad.full((2,), 0.5, device=d)),
    ("eye", lambda d: ad.eye(2, device=d)),
    ("arange", lambda d: ad.arange(4, device=d)),
    ("linspace", lambda d: ad.linspace(0.0, 1.0, 3, device=d)),
    ("empty", lambda d: ad.empty(2, device=d)),
    ("zeros_like", lambda d: ad.zeros_like(ad.ones(2), device=d)),
    ("ones_like", lambda d: ad.ones_like(ad.ones(2), device=d)),
    ("full_like", lambda d: ad.full_like(ad.ones(2), 3.0, device=d)),
    ("rand", lambda d: ad.rand(2, device=d, rng=0)),
    ("randn", lambda d: ad.randn(2, device=d, rng=0)),
    ("randn_like", lambda d: ad.randn_like(ad.ones(2), device=d, rng=0)),
    ("rand_like", lambda d: ad.rand_like(ad.ones(2), device=d, rng=0)),
    ("randint", lambda d: ad.randint(0, 5, (3,), device=d, rng=0)),
    ("randint_like", lambda d: ad.randint_like(ad.ones(2), 5, device=d, rng=0)),
    ("randperm", lambda d: ad.randperm(4, device=d, rng=0)),
]


@pytest.mark.parametrize("name, make", CREATORS, ids=[n for n, _ in CREATORS])
def test_creation_functions_take_a_cpu_device(name, make):
    plain = make(None)
    for device in ("cpu", ad.device("cpu"), ad.device("cpu:0")):
        made = make(device)
        assert made.shape == plain.shape and made.dtype == plain.dtype
        assert made.requires_grad == plain.requires_grad
    with pytest.raises(ValueError, match=f"{name}: device 'cuda:0' is not available"):
        make("cuda:0")


def test_creation_takes_a_torch_device():
    torch = pytest.importorskip("torch")
    t = ad.zeros(2, device=torch.device("cpu"))
    np.testing.assert_array_equal(t.numpy(), torch.zeros(2, dtype=torch.float64).numpy())
    with pytest.raises(ValueError, match="'cuda' is not available"):
        ad.ones(2, device=torch.device("cuda"))


def test_flatten_takes_start_and_end_dim_as_torch_flatten():
    data = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = ad.tensor(data, requires_grad=True)
    out = ad.flatten(x, 1)                       # the line of a CNN's forward
    np.testing.assert_array_equal(out.numpy(), data.reshape(2, 12))
    assert ad.flatten(x, 0, 1).shape == (6, 4) and ad.flatten(x, end_dim=-2).shape == (6, 4)
    assert ad.flatten(x).shape == (24,) and ad.flatten(ad.tensor(2.0)).shape == (1,)
    weights = np.arange(12.0).reshape(2, 6)
    (out * ad.tensor(np.tile(weights, 2).reshape(2, 12))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.tile(weights, 2).reshape(2, 3, 4))
    with pytest.raises(ValueError, match="start_dim=2 comes after end_dim=1"):
        ad.flatten(x, 2, 1)
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        ad.flatten(x, 3)


def test_flatten_replays_compiled_and_batches_under_vmap():
    step = ad.compile(lambda a: (ad.flatten(a, 1) ** 2).sum(axis=1))
    data = np.arange(24.0).reshape(2, 3, 4)
    for _ in range(2):
        np.testing.assert_array_equal(step(data).numpy(), (data.reshape(2, 12) ** 2).sum(1))
    assert ad.vmap(lambda a: ad.flatten(a, 1))(np.ones((5, 2, 3, 4))).shape == (5, 2, 12)


def test_flatten_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    for dims in [(1,), (0, 2), (-3, -1), (2, 2)]:
        np.testing.assert_array_equal(ad.flatten(ad.tensor(data), *dims).numpy(),
                                      torch.flatten(torch.from_numpy(data), *dims).numpy())


def test_sort_takes_pytorchs_dim_and_descending():
    data = np.array([[3.0, 1.0, 2.0], [0.5, 2.5, 1.5]])
    x = ad.tensor(data, requires_grad=True)
    values, indices = ad.sort(x, dim=1, descending=True)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(-data, axis=1))
    np.testing.assert_array_equal(values.numpy(), -np.sort(-data, axis=1))
    (values * ad.tensor([[1.0, 10.0, 100.0]] * 2)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 100.0, 10.0], [100.0, 1.0, 10.0]])
    np.testing.assert_array_equal(ad.sort(x, 0).numpy(), np.sort(data, 0))  # NumPy's
    assert ad.sort(x, descending=False).indices.shape == (2, 3)
    with pytest.raises(TypeError, match="pick one"):
        ad.sort(x, 0, dim=1)


def test_sort_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(2).standard_normal((3, 4))
    for kwargs in ({"dim": 0}, {"dim": 1, "descending": True}, {"descending": True}):
        ours = ad.sort(ad.tensor(data), **kwargs)
        theirs = torch.sort(torch.from_numpy(data), **kwargs)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
