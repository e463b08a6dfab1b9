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
