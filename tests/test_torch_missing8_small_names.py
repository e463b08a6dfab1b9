"""Small PyTorch names: nn.utils.prune.random_structured / RandomStructured (and the
random_unstructured it shares its draw with), nn.utils.clip_grad_norm and nn.init's
deprecated spellings, each against PyTorch where the numbers can match."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn.utils import prune


@pytest.mark.parametrize("amount, dim", [(0.5, 0), (2, 1), (1, -1), (0, 0)])
def test_random_structured_prunes_whole_channels_like_torch(amount, dim):
    torch = pytest.importorskip("torch")
    torch_prune = pytest.importorskip("torch.nn.utils.prune")
    ours = ad.nn.Conv2d(3, 4, 3, rng=0)
    theirs = torch.nn.Conv2d(3, 4, 3)
    prune.random_structured(ours, "weight", amount, dim=dim)
    torch_prune.random_structured(theirs, "weight", amount, dim=dim)
    our_mask, their_mask = np.asarray(ours.weight_mask), theirs.weight_mask.numpy()
    assert our_mask.shape == their_mask.shape
    axis = dim % 4
    for mask in (our_mask, their_mask):
        per_channel = np.moveaxis(mask, axis, 0).reshape(mask.shape[axis], -1)
        assert set(per_channel.min(axis=1)) <= {0, 1}
        np.testing.assert_array_equal(per_channel.min(axis=1), per_channel.max(axis=1))
    # The same number of channels go (which ones is each library's random draw).
    assert our_mask.sum() == their_mask.sum()
    np.testing.assert_array_equal(ours.weight.data, ours.weight_orig.data * our_mask)


def test_random_structured_reads_pytorchs_dim_on_a_linear_weight():
    layer = ad.nn.Linear(5, 3)                 # weight (in, out) here, (out, in) in PyTorch
    prune.random_structured(layer, "weight", 2, dim=0)      # two outputs
    assert (np.abs(layer.weight.data).sum(axis=0) == 0).sum() == 2
    layer = ad.nn.Linear(5, 3)
    prune.random_structured(layer, "weight", 2, dim=1)      # two inputs
    assert (np.abs(layer.weight.data).sum(axis=1) == 0).sum() == 2


def test_random_pruning_follows_the_library_seed():
    masks = []
    for _ in range(2):
        ad.manual_seed(5)
        layer = ad.nn.Linear(6, 8)
        prune.random_structured(layer, "weight", 3, dim=0)
        prune.random_unstructured(layer, "bias", 4)
        masks.append((np.array(layer.weight_mask), np.array(layer.bias_mask)))
    for first, second in zip(*masks):
        np.testing.assert_array_equal(first, second)
    assert masks[0][1].sum() == 4


def test_random_structured_refusals_match_torch():
    torch = pytest.importorskip("torch")
    torch_prune = pytest.importorskip("torch.nn.utils.prune")
    with pytest.raises(ValueError, match="Structured pruning can only be applied"):
        torch_prune.RandomStructured(1, 0).compute_mask(torch.ones(4), torch.ones(4))
    with pytest.raises(ValueError, match="Structured pruning can only be applied"):
        prune.RandomStructured(1, 0).compute_mask(np.ones(4), np.ones(4))
    with pytest.raises(IndexError, match="Invalid index 2"):
        prune.RandomStructured(1, 2).compute_mask(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="amount=5 should be smaller"):
        prune.random_structured(ad.nn.Linear(2, 3), "weight", 5, dim=0)


def test_clip_grad_norm_is_the_deprecated_clip_grad_norm_():
    torch = pytest.importorskip("torch")
    grads = [np.array([3.0, -4.0]), np.array([12.0])]
    ours = [ad.nn.Parameter(np.zeros(2)), ad.nn.Parameter(np.zeros(1))]
    theirs = [torch.zeros(2, dtype=torch.float64, requires_grad=True),
              torch.zeros(1, dtype=torch.float64, requires_grad=True)]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = g.copy(), torch.tensor(g)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        total = ad.nn.utils.clip_grad_norm(ours, 6.5)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        their_total = torch.nn.utils.clip_grad_norm(theirs, 6.5)
    assert float(total) == float(their_total) == 13.0
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-15)


DEPRECATED = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
              "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


@pytest.mark.parametrize("old_name", DEPRECATED)
def test_deprecated_init_spellings_warn_as_torch_and_call_the_new_one(old_name):
    torch = pytest.importorskip("torch")
    shape = {"dirac": (4, 4, 3), "sparse": (6, 4)}.get(old_name, (4, 6))
    args = {"constant": (0.25,), "sparse": (0.5,)}.get(old_name, ())
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        getattr(torch.nn.init, old_name)(torch.empty(shape), *args)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        ad.manual_seed(1)
        filled = getattr(ad.nn.init, old_name)(ad.nn.Parameter(np.zeros(shape)), *args)
    # (a bare (4, 6) weight: kaiming's fan depends on its layout, which ours asks for)
    conventions = [w for w in ours if w.category is ad.ConventionWarning]
    assert len(conventions) == old_name.startswith("kaiming")
    assert [(w.category, str(w.message)) for w in ours if w not in conventions] == \
        [(w.category, str(w.message)) for w in theirs]
    ad.manual_seed(1)
    expected = getattr(ad.nn.init, old_name + "_")(ad.nn.Parameter(np.zeros(shape)), *args)
    np.testing.assert_array_equal(filled.data, expected.data)


def test_thread_safe_generator_is_none_outside_thread_workers_as_in_torch():
    torch = pytest.importorskip("torch")
    assert ad.thread_safe_generator() is None is torch.thread_safe_generator()
    assert ad.random.thread_safe_generator is ad.thread_safe_generator

    seen = []

    class Draws(ad.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            generator = ad.thread_safe_generator()
            seen.append(generator)
            return ad.randint(0, 10, (2,), generator=generator)

    batches = list(ad.data.DataLoader(Draws(), batch_size=2, num_workers=2))
    assert len(batches) == 2 and seen == [None] * 4


@pytest.mark.parametrize("dims", [2, 3])
def test_convert_conv_weight_memory_format_matches_torch(dims):
    torch = pytest.importorskip("torch")
    fmt, torch_fmt = {2: (ad.channels_last, torch.channels_last),
                      3: (ad.channels_last_3d, torch.channels_last_3d)}[dims]
    convert = getattr(ad.nn.utils, f"convert_conv{dims}d_weight_memory_format")
    torch_convert = getattr(torch.nn.utils, f"convert_conv{dims}d_weight_memory_format")
    conv, transposed = (getattr(ad.nn, f"Conv{dims}d"), getattr(ad.nn, f"ConvTranspose{dims}d"))
    ours = ad.nn.Sequential(conv(3, 4, 3), ad.nn.Sequential(transposed(4, 2, 3)),
                            ad.nn.Linear(5, 5))
    theirs = torch.nn.Sequential(getattr(torch.nn, f"Conv{dims}d")(3, 4, 3),
                                 torch.nn.Sequential(
                                     getattr(torch.nn, f"ConvTranspose{dims}d")(4, 2, 3)),
                                 torch.nn.Linear(5, 5))
    before = [np.array(p.data) for p in ours.parameters()]
    assert convert(ours, fmt) is ours
    torch_convert(theirs, torch_fmt)
    for p, t, old in zip(ours.parameters(), theirs.parameters(), before):
        if p.ndim != 2:                    # (a Linear's weight is (in, out) here)
            assert p.stride() == t.stride()
        np.testing.assert_array_equal(p.data, old)
    with pytest.raises(RuntimeError, match="required rank"):
        convert(ad.nn.Sequential(conv(3, 4, 3)), ad.channels_last_3d if dims == 2
                else ad.channels_last)


def test_linearize_matches_torch_and_central_differences():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    tx, ty = rng.standard_normal(3), rng.standard_normal(3)

    def ours_f(a, b):
        return ad.sin(a) * b + a ** 2

    def torch_f(a, b):
        return torch.sin(a) * b + a ** 2

    out, jvp_fn = ad.func.linearize(ours_f, x, y)
    their_out, their_jvp_fn = torch.func.linearize(torch_f, torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(np.asarray(getattr(out, "data", out)), their_out.numpy(),
                               rtol=1e-15)
    tangent = jvp_fn(tx, ty)
    np.testing.assert_allclose(tangent, their_jvp_fn(torch.tensor(tx), torch.tensor(ty)).numpy(),
                               rtol=1e-13)
    h = 1e-6
    central = (ours_f(ad.tensor(x + h * tx), ad.tensor(y + h * ty)).data
               - ours_f(ad.tensor(x - h * tx), ad.tensor(y - h * ty)).data) / (2 * h)
    np.testing.assert_allclose(tangent, central, rtol=1e-7)
    with pytest.raises(ValueError, match="linearize: jvp_fn expected 2 tangents"):
        jvp_fn(tx)


def test_replace_all_batch_norm_modules_matches_torch():
    torch = pytest.importorskip("torch")
    ours = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.BatchNorm1d(4),
                            ad.nn.Sequential(ad.nn.BatchNorm1d(4, track_running_stats=False)))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.Sequential(torch.nn.BatchNorm1d(
                                     4, track_running_stats=False)))
    assert ad.func.replace_all_batch_norm_modules_(ours) is ours
    torch.func.replace_all_batch_norm_modules_(theirs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    for our_bn, their_bn in [(ours[1], theirs[1]), (ours[2][0], theirs[2][0])]:
        assert our_bn.track_running_stats is their_bn.track_running_stats is False
        assert our_bn.running_mean is None and their_bn.running_mean is None
    ours.eval()
    x = np.random.default_rng(1).standard_normal((5, 4))
    np.testing.assert_allclose(ours[1](ad.tensor(x)).data.mean(axis=0), 0, atol=1e-12)


def test_invert_permutation_matches_torch():
    torch = pytest.importorskip("torch")
    permutation = np.random.default_rng(2).permutation(7)
    ours = ad.nn.utils.rnn.invert_permutation(ad.tensor(permutation))
    theirs = torch.nn.utils.rnn.invert_permutation(torch.tensor(permutation))
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(permutation[ours.data], np.arange(7))
    assert ad.nn.utils.rnn.invert_permutation(None) is None
    with pytest.raises(ValueError, match="invert_permutation: expected a 1-d tensor"):
        ad.nn.utils.rnn.invert_permutation(ad.tensor([0, 0, 1]))


def test_stateless_functional_call_warns_as_torch_and_calls_func_functional_call():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.stateless as torch_stateless

    layer = ad.nn.Linear(2, 3, rng=0)
    weight = np.arange(6.0).reshape(2, 3)
    x = ad.tensor([[1.0, -1.0]])
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch_stateless.functional_call(torch.nn.Linear(2, 3), {}, (torch.ones(1, 2),))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        out = ad.nn.utils.stateless.functional_call(layer, {"weight": weight}, (x,))
    assert [(w.category, str(w.message)) for w in ours] == \
        [(w.category, str(w.message)) for w in theirs]
    expected = ad.func.functional_call(layer, {"weight": weight}, (x,))
    np.testing.assert_array_equal(out.data, expected.data)
