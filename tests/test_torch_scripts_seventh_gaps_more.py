"""What the seventh round of PyTorch scripts found missing, continued, each compared
with PyTorch: ``torch.nn.utils.prune`` (magnitude pruning, then fine-tuning),
``distributions.MixtureSameFamily`` (a mixture density network) and the interpolation
modes ``"bicubic"`` and ``"nearest-exact"``."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

prune = ad.nn.utils.prune
RNG = np.random.default_rng(76)


def _pair(torch, make_theirs, make_ours):
    theirs = make_theirs().double()
    ours = make_ours()
    ours.load_torch_state_dict(theirs.state_dict())
    return theirs, ours


def _same_state(theirs, ours):
    their_state = theirs.state_dict()
    our_state = ours.to_torch_state_dict()
    assert list(our_state) == list(their_state)
    for key, value in their_state.items():
        np.testing.assert_array_equal(our_state[key], value.numpy(), err_msg=key)


# ----- torch.nn.utils.prune ------------------------------------------------------------

def _linear_and_conv(torch):
    return [_pair(torch, lambda: torch.nn.Linear(5, 6), lambda: ad.nn.Linear(5, 6)),
            _pair(torch, lambda: torch.nn.Conv2d(2, 4, 3), lambda: ad.nn.Conv2d(2, 4, 3))]


@pytest.mark.parametrize("amount", [0.3, 0.5, 4, 0, 1.0])
def test_l1_unstructured_masks_names_and_gradients_match_torch(amount):
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune
    for theirs, ours in _linear_and_conv(torch):
        torch_prune.l1_unstructured(theirs, "weight", amount)
        assert prune.l1_unstructured(ours, "weight", amount) is ours
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        _same_state(theirs, ours)
        shape = (3, 5) if isinstance(ours, ad.nn.Linear) else (3, 2, 5, 5)
        x = RNG.normal(size=shape)
        out, expected = ours(ad.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
        (out ** 2).sum().backward()
        (expected ** 2).sum().backward()
        their_grad = theirs.weight_orig.grad.numpy()
        our_grad = ours.weight_orig.grad
        np.testing.assert_allclose(our_grad.T if our_grad.ndim == 2 else our_grad, their_grad,
                                   rtol=1e-12, atol=1e-14)
        assert prune.is_pruned(ours) and torch_prune.is_pruned(theirs)


def test_pruning_twice_prunes_among_the_kept_entries_and_remove_keeps_the_parameter():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune
    for theirs, ours in _linear_and_conv(torch):
        for module, library in ((theirs, torch_prune), (ours, prune)):
            library.l1_unstructured(module, "weight", 0.25)
            library.ln_structured(module, "weight", 1, n=2, dim=0)
            library.l1_unstructured(module, "weight", 3)
            library.random_unstructured(module, "bias", 0)
        assert isinstance(ours._forward_pre_hooks[next(iter(ours._forward_pre_hooks))],
                          prune.BasePruningMethod)
        _same_state(theirs, ours)
        orig = ours.weight_orig
        torch_prune.remove(theirs, "weight")
        prune.remove(ours, "weight")
        assert ours.weight is orig and isinstance(ours.weight, ad.nn.Parameter)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        _same_state(theirs, ours)


@pytest.mark.parametrize("dim, n", [(0, 2), (1, 1), (-1, float("inf")), (0, "fro")])
def test_ln_structured_takes_torchs_dim_on_a_transposed_linear_weight(dim, n):
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune
    pairs = _linear_and_conv(torch)
    for theirs, ours in pairs[:1] if n == "fro" else pairs:   # (PyTorch's 'fro' is 2-D only)
        torch_prune.ln_structured(theirs, "weight", 0.5, n=n, dim=dim)
        prune.ln_structured(ours, "weight", 0.5, n=n, dim=dim)
        _same_state(theirs, ours)


def test_global_unstructured_and_custom_from_mask_match_torch():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as torch_prune
    (t1, o1), (t2, o2) = _linear_and_conv(torch)
    torch_prune.global_unstructured([(t1, "weight"), (t2, "weight"), (t1, "bias")],
                                    pruning_method=torch_prune.L1Unstructured, amount=0.4)
    prune.global_unstructured([(o1, "weight"), (o2, "weight"), (o1, "bias")],
                              pruning_method=prune.L1Unstructured, amount=0.4)
    _same_state(t1, o1)
    _same_state(t2, o2)
    keep = RNG.uniform(size=(4,)) < 0.5
    torch_prune.custom_from_mask(t2, "bias", torch.tensor(keep))
    prune.custom_from_mask(o2, "bias", keep)
    _same_state(t2, o2)
    linear_mask = RNG.uniform(size=(5, 6)) < 0.5           # the layout of o1.weight here
    torch_prune.custom_from_mask(t1, "weight", torch.tensor(linear_mask.T))
    prune.custom_from_mask(o1, "weight", linear_mask)
    _same_state(t1, o1)


def test_pruning_refuses_what_torch_refuses():
    layer = ad.nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range"):
        prune.l1_unstructured(layer, "weight", 1.5)
    with pytest.raises(ValueError, match=r"amount=-1 should either be"):
        prune.l1_unstructured(layer, "weight", -1)
    with pytest.raises(ValueError, match=r"amount=7 should be smaller than the number of "
                                         r"parameters to prune=6"):
        prune.l1_unstructured(layer, "weight", 7)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]   # left as it was
    with pytest.raises(ValueError, match=r"Parameter 'weight' of module .* has to be pruned "
                                         r"before pruning can be removed"):
        prune.remove(layer, "weight")
    with pytest.raises(AttributeError, match=r"Linear has no parameter 'kernel'"):
        prune.l1_unstructured(layer, "kernel", 1)
    with pytest.raises(ValueError, match=r"Structured pruning can only be applied to "
                                         r"multidimensional tensors"):
        prune.ln_structured(layer, "bias", 1, n=2, dim=0)
    with pytest.raises(TypeError, match=r'Only "unstructured" PRUNING_TYPE'):
        prune.global_unstructured([(layer, "weight")], prune.LnStructured, amount=1, n=2)


def test_pruned_weight_gradient_against_finite_differences():
    layer = prune.l1_unstructured(ad.nn.Linear(4, 3, rng=1), "weight", 0.5)
    x = RNG.normal(size=(2, 4))
    mask = layer.weight_mask.copy()

    def loss(w):
        layer.weight_orig.data = w.data if isinstance(w, ad.Tensor) else w
        return ((ad.tensor(x) @ (w * mask)) ** 2).sum()
    assert ad.gradcheck(loss, [layer.weight_orig.data.copy()])
    out = (layer(ad.tensor(x)) ** 2).sum()
    out.backward()
    assert (layer.weight_orig.grad[mask == 0] == 0).all()


# ----- distributions.MixtureSameFamily -------------------------------------------------

def _mixtures(lib, logits, loc, scale, event):
    D = lib.distributions
    components = D.Normal(loc, scale)
    if event:
        components = D.Independent(components, 1)
    return D.MixtureSameFamily(D.Categorical(logits=logits), components)


@pytest.mark.parametrize("event", [False, True])
@pytest.mark.parametrize("mixture_batch", [(3,), ()])
def test_mixture_same_family_values_and_gradients_match_torch(event, mixture_batch):
    torch = pytest.importorskip("torch")
    tail = (2,) if event else ()
    logits = RNG.normal(size=mixture_batch + (4,))
    loc, scale = RNG.normal(size=(3, 4) + tail), RNG.uniform(0.5, 2, size=(3, 4) + tail)
    value = RNG.normal(size=(5, 3) + tail)
    ours_in = [ad.tensor(a, requires_grad=True) for a in (logits, loc, scale)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (logits, loc, scale)]
    ours, theirs = _mixtures(ad, *ours_in, event), _mixtures(torch, *theirs_in, event)
    assert ours.batch_shape == tuple(theirs.batch_shape) == (3,)
    assert ours.event_shape == tuple(theirs.event_shape) == tail
    pairs = [(ours.log_prob(value), theirs.log_prob(torch.tensor(value))),
             (ours.mean, theirs.mean), (ours.variance, theirs.variance)]
    if not event:
        pairs.append((ours.cdf(value), theirs.cdf(torch.tensor(value))))
    our_total, their_total = 0.0, 0.0
    for k, (a, b) in enumerate(pairs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-13, err_msg=str(k))
        weights = RNG.normal(size=a.shape)
        our_total = our_total + (a * weights).sum()
        their_total = their_total + (b * torch.tensor(weights)).sum()
    our_total.backward()
    their_total.backward()
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert ours.sample((6,), rng=0).shape == (6, 3) + tail
    if mixture_batch:                   # (PyTorch's sample refuses a mixture broadcast)
        assert tuple(theirs.sample((6,)).shape) == (6, 3) + tail


def test_mixture_same_family_log_prob_against_finite_differences_and_sampling():
    value = RNG.normal(size=(4,))

    def log_prob(logits, loc, log_scale):
        return _mixtures(ad, logits, loc, ad.exp(log_scale), False).log_prob(value).sum()
    assert ad.gradcheck(log_prob, [RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=3)])
    mixture = _mixtures(ad, ad.tensor([0.0, 1.0]), ad.tensor([-2.0, 3.0]),
                        ad.tensor([0.5, 1.0]), False)
    draws = mixture.sample((40000,), rng=1).data
    assert abs(draws.mean() - mixture.mean.item()) < 0.05
    assert abs(draws.var() - mixture.variance.item()) < 0.1
    assert abs((draws < 0).mean() - mixture.cdf(0.0).item()) < 0.01


def test_mixture_same_family_refuses_what_torch_refuses():
    D = ad.distributions
    with pytest.raises(ValueError, match=r"mixture distribution needs to be an instance of "
                                         r"distributions.Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(ad.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"component \(3\) does not equal "
                                         r"`component_distribution.batch_shape\[-1\]` \(2\)"):
        D.MixtureSameFamily(D.Categorical(logits=ad.zeros(3)), D.Normal(ad.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"is not compatible with"):
        D.MixtureSameFamily(D.Categorical(logits=ad.zeros((3, 2))),
                            D.Normal(ad.zeros((4, 2)), 1.0))


# ----- F.interpolate: 'bicubic' and 'nearest-exact' --------------------------------------

INTERPOLATIONS = [("bicubic", 2, dict(size=(5, 7), align_corners=False)),
                  ("bicubic", 2, dict(size=(9, 2), align_corners=True)),
                  ("bicubic", 2, dict(scale_factor=2.5, align_corners=False)),
                  ("bicubic", 2, dict(scale_factor=(0.5, 3.0), align_corners=True)),
                  ("nearest-exact", 1, dict(size=13)),
                  ("nearest-exact", 2, dict(scale_factor=0.7)),
                  ("nearest-exact", 2, dict(size=(20, 3))),
                  ("nearest-exact", 3, dict(scale_factor=(1.3, 2.0, 0.5)))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode, dims, options", INTERPOLATIONS)
def test_interpolate_bicubic_and_nearest_exact_match_torch(mode, dims, options, dtype):
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(2, 3) + (3, 5, 4)[:dims]).astype(dtype)
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.interpolate(theirs, mode=mode, **options)
    ours = ad.tensor(x, requires_grad=True)
    out = ad.nn.functional.interpolate(ours, mode=mode, **options)
    weights = RNG.normal(size=expected.shape).astype(dtype)
    (expected * torch.tensor(weights)).sum().backward()
    (out * weights).sum().backward()
    tol = 1e-13 if dtype == np.float64 else 1e-5
    assert out.dtype == dtype and ours.grad.dtype == dtype
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=tol, atol=tol)
    module = ad.nn.Upsample(mode=mode, **options)
    np.testing.assert_array_equal(module(ad.tensor(x)).data, out.data)


def test_bicubic_gradients_against_finite_differences_also_where_torchs_backward_errs():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(1, 1, 3, 3))

    def resized(options):
        return lambda t: (ad.nn.functional.interpolate(t, mode="bicubic", **options) ** 2).sum()
    for options in (dict(size=(5, 4), align_corners=False), dict(size=(2, 6), align_corners=True),
                    dict(scale_factor=1.3, align_corners=False)):
        assert ad.gradcheck(resized(options), [x])
        assert ad.gradgradcheck(resized(options), [x])
    # the size stays (floor(3 * 1.3) = 3) but the forward interpolates: PyTorch's backward
    # copies the gradient through instead (its own gradcheck fails there)
    theirs = torch.tensor(x, requires_grad=True)
    assert not torch.autograd.gradcheck(
        lambda t: torch.nn.functional.interpolate(t, scale_factor=1.3, mode="bicubic"),
        (theirs,), raise_exception=False)
    expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.3, mode="bicubic")
    out = ad.nn.functional.interpolate(ad.tensor(x), scale_factor=1.3, mode="bicubic")
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-13, atol=1e-15)


def test_interpolate_new_modes_refuse_what_torch_refuses():
    x = ad.tensor(RNG.normal(size=(1, 1, 4)))
    with pytest.raises(ValueError, match=r"mode='bicubic' expects a 4-D input"):
        ad.nn.functional.interpolate(x, size=6, mode="bicubic")
    with pytest.raises(ValueError, match=r"align_corners can only be set with the "
                                         r"interpolating modes"):
        ad.nn.functional.interpolate(x, size=6, mode="nearest-exact", align_corners=True)


def test_a_pruning_that_cannot_be_computed_leaves_the_earlier_ones_in_place():
    layer = ad.nn.Linear(3, 2, rng=0)
    prune.l1_unstructured(layer, "weight", 2)
    prune.l1_unstructured(layer, "weight", 1)
    mask = layer.weight_mask.copy()
    with pytest.raises(ValueError, match=r"amount=9 should be smaller"):
        prune.l1_unstructured(layer, "weight", 9)
    (hook,) = layer._forward_pre_hooks.values()
    assert len(hook) == 2 and (layer.weight_mask == mask).all()
    layer(ad.ones(1, 3))
    assert int((layer.weight.data == 0).sum()) == 3
