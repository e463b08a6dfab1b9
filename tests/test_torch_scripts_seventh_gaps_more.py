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
