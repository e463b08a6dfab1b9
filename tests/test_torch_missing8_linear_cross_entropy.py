"""nn.LinearCrossEntropyLoss and nn.LinearCrossEntropyOptions against PyTorch's: the
same head weights give the same loss and gradients (plain, K-dimensional, with bias,
class weights, label smoothing, ignore_index, and with chunking options), PyTorch's
refusals, and central differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _pair(torch, in_features, num_classes, rng, **kwargs):
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                    for k, v in kwargs.items()}
    theirs = torch.nn.LinearCrossEntropyLoss(in_features, num_classes, dtype=torch.float64,
                                             **torch_kwargs)
    ours = ad.nn.LinearCrossEntropyLoss(in_features, num_classes, **kwargs)
    weight = rng.standard_normal(tuple(theirs.linear.weight.shape))
    with torch.no_grad():
        theirs.linear.weight.copy_(torch.tensor(weight))
    ours.linear.weight.data[...] = weight.T           # (in, out) here
    if theirs.linear.bias is not None:
        bias = rng.standard_normal(tuple(theirs.linear.bias.shape))
        with torch.no_grad():
            theirs.linear.bias.copy_(torch.tensor(bias))
        ours.linear.bias.data[...] = bias
    return ours, theirs


CASES = [
    dict(),
    dict(bias=True, reduction="sum"),
    dict(out_features=(3,), bias=True),
    dict(weight=np.array([0.5, 1.0, 2.0, 1.5]), label_smoothing=0.2),
    dict(ignore_index=1, reduction="none"),
]


# PyTorch warns where its chunked path does not apply and it computes the reference way.
@pytest.mark.filterwarnings("ignore:linear_cross_entropy. ``options`` ignored:UserWarning")
@pytest.mark.parametrize("kwargs", CASES)
@pytest.mark.parametrize("use_options", [False, True])
def test_loss_and_gradients_match_torch(kwargs, use_options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(kwargs))
    if use_options:
        kwargs = dict(kwargs)
        ours_options = ad.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
        their_options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    ours, theirs = _pair(torch, 5, 4, rng, **kwargs)
    if use_options:
        ours.options, theirs.options = ours_options, their_options
    x = rng.standard_normal((6, 5))
    out_features = kwargs.get("out_features", ())
    target = rng.integers(0, 4, size=(6, *out_features))
    loss = ours(ad.tensor(x, requires_grad=True), target)
    their_loss = theirs(torch.tensor(x), torch.tensor(target))
    np.testing.assert_allclose(loss.data, their_loss.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    their_loss.sum().backward()
    np.testing.assert_allclose(ours.linear.weight.grad, theirs.linear.weight.grad.numpy().T,
                               rtol=1e-10, atol=1e-13)
    if theirs.linear.bias is not None:
        np.testing.assert_allclose(ours.linear.bias.grad, theirs.linear.bias.grad.numpy(),
                                   rtol=1e-10, atol=1e-13)


def test_gradients_against_central_differences():
    rng = np.random.default_rng(0)
    head = ad.nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True,
                                        label_smoothing=0.1)
    target = rng.integers(0, 3, size=(5, 2))

    def loss(x, weight, bias):
        return ad.func.functional_call(head, {"linear.weight": weight, "linear.bias": bias},
                                       (x, target))

    assert ad.gradcheck(loss, [rng.standard_normal((5, 4)), rng.standard_normal((4, 6)),
                               rng.standard_normal(6)])


def test_module_structure_and_repr_follow_torch():
    torch = pytest.importorskip("torch")
    ours = ad.nn.LinearCrossEntropyLoss(5, 4, out_features=(3,))
    theirs = torch.nn.LinearCrossEntropyLoss(5, 4, out_features=(3,))
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict()) == ["linear.weight"]
    assert ours.linear.weight.shape == tuple(theirs.linear.weight.shape)[::-1]
    assert ours.extra_repr() == theirs.extra_repr().replace("LinearCrossEntropyOptions", "")
    assert repr(ad.nn.LinearCrossEntropyOptions()) == repr(
        torch.nn.LinearCrossEntropyOptions())


@pytest.mark.parametrize("kwargs", [dict(acc_policy="fast"), dict(chunking_method="rows"),
                                    dict(chunking_method="aspect_ratio:0"),
                                    dict(batch_chunk_size=0)])
def test_options_refuse_what_torch_refuses(kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.nn.LinearCrossEntropyOptions(**kwargs)
    with pytest.raises(ValueError, match="LinearCrossEntropyOptions: "):
        ad.nn.LinearCrossEntropyOptions(**kwargs)
    ad.nn.LinearCrossEntropyOptions(chunking_method="aspect_ratio:4", acc_policy="compact")


def test_module_refusals_match_torch():
    torch = pytest.importorskip("torch")
    for kwargs, words in [(dict(weight=np.ones(3)), "expected weight shape to be"),
                          (dict(label_smoothing=1.5), "expected label_smoothing to be")]:
        with pytest.raises(RuntimeError, match=words):
            torch.nn.LinearCrossEntropyLoss(
                5, 4, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                         for k, v in kwargs.items()})
        with pytest.raises(RuntimeError, match=f"LinearCrossEntropyLoss: {words}"):
            ad.nn.LinearCrossEntropyLoss(5, 4, **kwargs)
