"""The ``torch.nn`` loss layers against ``autodiff.nn``'s: ``state_dict`` keys (a
``weight`` or ``pos_weight`` given is a buffer in both), the loss and the gradients of
every input PyTorch differentiates, float64 (relative 1e-9: different summation
orders)."""

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn

torch = pytest.importorskip("torch")

N, C = 4, 3
_rng = np.random.default_rng(0)


def _x(*shape):
    return _rng.standard_normal(shape)


def _p(*shape):
    return _rng.uniform(0.05, 0.95, shape)


_classes = _rng.integers(0, C, N)
_weight = _rng.uniform(0.5, 2.0, C)
_sign = np.array([1.0, -1.0, -1.0, 1.0])

CASES = [
    ("MSELoss", {}, [_x(N, C), _x(N, C)]), ("L1Loss", {"reduction": "sum"}, [_x(N, C), _x(N, C)]),
    ("SmoothL1Loss", {"beta": 0.5}, [_x(N, C), _x(N, C)]),
    ("HuberLoss", {"delta": 0.7, "reduction": "none"}, [_x(N, C), _x(N, C)]),
    ("BCELoss", {}, [_p(N, C), _p(N, C)]), ("BCELoss", {"weight": _weight}, [_p(N, C), _p(N, C)]),
    ("BCEWithLogitsLoss", {"pos_weight": _weight}, [_x(N, C), _p(N, C)]),
    ("CrossEntropyLoss", {}, [_x(N, C), _classes]),
    ("CrossEntropyLoss", {"weight": _weight, "label_smoothing": 0.1}, [_x(N, C), _classes]),
    ("CrossEntropyLoss", {"ignore_index": 1}, [_x(N, C), _classes]),
    ("CrossEntropyLoss", {}, [_x(N, C), _p(N, C)]),                 # class probabilities
    ("NLLLoss", {"weight": _weight}, [_x(N, C), _classes]),
    ("KLDivLoss", {"reduction": "batchmean"}, [_x(N, C), _p(N, C)]),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, [_x(N, C), _x(N, C)]),
    ("SoftMarginLoss", {}, [_x(N), _sign]),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": _weight}, [_x(N, C), _classes]),
    ("MultiLabelSoftMarginLoss", {"weight": _weight},
     [_x(N, C), (_p(N, C) > 0.5).astype(float)]),
    ("HingeEmbeddingLoss", {"margin": 0.5}, [_x(N), _sign]),
    ("CosineEmbeddingLoss", {"margin": 0.1}, [_x(N, C), _x(N, C), _sign]),
    ("MarginRankingLoss", {"margin": 0.2}, [_x(N), _x(N), _sign]),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.5, "swap": True},
     [_x(N, C), _x(N, C), _x(N, C)]),
    ("PoissonNLLLoss", {}, [_x(N, C), np.abs(_x(N, C))]),
    # (targets >= 1: at a target of 0 PyTorch's target gradient of the masked Stirling
    # term is nan, here the term's 0 gives a finite one)
    ("PoissonNLLLoss", {"log_input": False, "full": True},
     [3 * _p(N, C), 1 + np.round(3 * _p(N, C))]),
    ("GaussianNLLLoss", {"full": True}, [_x(N, C), _x(N, C), _p(N, C)]),
]

# Targets PyTorch refuses to differentiate (by argument position)
_NOT_DIFFERENTIATED = {1: {"SoftMarginLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss"},
                       2: {"CosineEmbeddingLoss", "MarginRankingLoss"}}


@pytest.mark.parametrize("name, kwargs, arrays", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_loss_layer_matches_pytorch(name, kwargs, arrays):
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                        for k, v in kwargs.items()})
    ours = getattr(nn, name)(**kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    grads = [a.dtype.kind == "f" and name not in _NOT_DIFFERENTIATED.get(i, ())
             for i, a in enumerate(arrays)]
    their_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    our_in = [ad.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    their_out, our_out = theirs(*their_in), ours(*our_in)
    np.testing.assert_allclose(our_out.data, their_out.detach().numpy(), rtol=1e-9, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(tuple(their_out.shape))
    (their_out * torch.tensor(weights)).sum().backward()
    (our_out * ad.tensor(weights)).sum().backward()
    for i, (a, b) in enumerate(zip(our_in, their_in)):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-8, atol=1e-11,
                                       err_msg=f"gradient of input {i}")


def test_ctc_loss_through_log_softmax_matches_pytorch():
    # Compared through log_softmax: PyTorch's gradient in log_probs themselves adds
    # exp(log_probs) (documented in CTCLoss), which log_softmax's backward removes.
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((12, 3, 5))
    targets, inputs, lengths = rng.integers(1, 5, (3, 4)), [12, 10, 8], [4, 3, 2]
    theirs, ours = torch.tensor(logits, requires_grad=True), ad.tensor(logits, requires_grad=True)
    their_loss = torch.nn.CTCLoss(zero_infinity=True)(
        torch.log_softmax(theirs, -1), torch.tensor(targets), torch.tensor(inputs),
        torch.tensor(lengths))
    our_loss = nn.CTCLoss(zero_infinity=True)(
        nn.functional.log_softmax(ours, -1), targets, inputs, lengths)
    np.testing.assert_allclose(our_loss.data, their_loss.detach().numpy(), rtol=1e-9)
    their_loss.backward()
    our_loss.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_adaptive_log_softmax_matches_pytorch_with_its_weights():
    torch.manual_seed(0)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 7], div_value=2.0,
                                                 head_bias=True).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 7], div_value=2.0, head_bias=True)
    assert list(ours.to_torch_state_dict()) == list(theirs.state_dict())
    ours.load_torch_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 8)), rng.integers(0, 10, 5)
    their_x, our_x = torch.tensor(x, requires_grad=True), ad.tensor(x, requires_grad=True)
    their_out, our_out = theirs(their_x, torch.tensor(y)), ours(our_x, y)
    np.testing.assert_allclose(our_out.output.data, their_out.output.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(our_out.loss.data, their_out.loss.detach().numpy(), rtol=1e-9)
    their_out.loss.backward()
    our_out.loss.backward()
    np.testing.assert_allclose(our_x.grad, their_x.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.log_prob(ad.tensor(x)).data,
                               theirs.log_prob(torch.tensor(x)).detach().numpy(), rtol=1e-9)
