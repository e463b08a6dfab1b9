"""Running a PyTorch script twice, with PyTorch and with ``autodiff`` in its place,
from the same initial weights, and comparing what the runs return (the scripts'
tests: test_torch_scripts_more*.py).  Imported only where torch is installed."""

from __future__ import annotations

import copy

import numpy as np
import torch

import autodiff as ad

TOL = 1e-10


def _state(model) -> dict:
    if isinstance(model, ad.nn.Module):
        return model.to_torch_state_dict()
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}


def _same(theirs, ours, where="result", tol=TOL, allow_nan=False):
    if isinstance(theirs, dict):
        assert sorted(theirs) == sorted(ours), where
        for key in theirs:
            _same(theirs[key], ours[key], f"{where}[{key!r}]", tol, allow_nan)
    elif isinstance(theirs, (list, tuple)):
        assert len(theirs) == len(ours), where
        for k, (a, b) in enumerate(zip(theirs, ours)):
            _same(a, b, f"{where}[{k}]", tol, allow_nan)
    elif theirs is None:
        assert ours is None, where
    elif isinstance(theirs, (str, bool)):
        assert theirs == ours, where
    elif isinstance(theirs, torch.nn.Module):
        _same(_state(theirs), _state(ours), f"{where} state", tol, allow_nan)
    else:
        if isinstance(theirs, torch.Tensor):
            theirs = theirs.detach().numpy()
        ours = ours.detach().numpy() if isinstance(ours, ad.Tensor) else ours
        # NaN compares equal to NaN below: a run gone NaN would agree with anything NaN
        values = np.asarray(theirs)
        assert allow_nan or values.dtype.kind not in "fc" or not np.isnan(values).any(), (
            f"{where}: PyTorch's run returned NaN, which the comparison cannot check "
            "(pass allow_nan=True where that is the point)")
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, err_msg=where)


def side_by_side(script, tol=TOL, allow_nan=False):
    """Run ``script(lib, copy_weights)`` with PyTorch, then with autodiff starting from
    the same weights, and compare what the two runs return (to ``tol``: 1e-10 for
    float64 runs, 1e-5 for float32 ones; a NaN in PyTorch's results fails unless
    ``allow_nan``)."""
    torch.manual_seed(0)
    initial = []

    def keep_weights(*models):
        initial.extend(copy.deepcopy(m.state_dict()) for m in models)

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = script(torch, keep_weights)
    finally:
        torch.set_default_dtype(previous)
    states = iter(initial)

    def load_weights(*models):
        for model in models:
            model.load_torch_state_dict(next(states))

    ours = script(ad, load_weights)
    _same(theirs, ours, tol=tol, allow_nan=allow_nan)
    return theirs, ours


def adam_steps(lib, model, loss_of, steps, lr):
    """Take ``steps`` Adam steps on ``loss_of()`` over ``model``'s parameters, with
    ``lib`` PyTorch or autodiff; returns the losses, e.g.
    ``adam_steps(torch, model, lambda: F.mse_loss(model(x), y), steps=3, lr=0.02)``."""
    optimizer = lib.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
