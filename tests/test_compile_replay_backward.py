"""A backward through what a replay of a compiled forward returned: the replay records
no tape, so the refusal says so, naming the compiled function (not the generic "no
recorded history" of a tensor made without requires_grad)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad


def test_a_backward_after_a_replay_names_the_compiled_function_and_what_to_do():
    layer = ad.nn.Linear(3, 1)

    def forward_only(x):
        return layer(x).sum()

    compiled = ad.compile(forward_only)
    x = ad.tensor(np.ones((2, 3)))
    with pytest.warns(ad.TapeDropWarning):
        compiled(x).backward()                  # the trace runs eagerly, with a graph
    assert layer.weight.grad is not None
    with pytest.raises(RuntimeError, match=r"replay of the compiled function forward_only"
                                           r".*compile the whole training step"):
        compiled(x).backward()


def test_a_tensor_made_without_requires_grad_keeps_the_plain_message():
    with pytest.raises(RuntimeError, match=r"Create the inputs with requires_grad=True"):
        ad.tensor(1.0).backward()


def test_a_compiled_training_step_returns_its_loss_without_the_replay_hint():
    layer = ad.nn.Linear(3, 1)
    opt = ad.optim.SGD(layer.parameters(), lr=0.1)

    @ad.compile
    def step(x):
        opt.zero_grad()
        loss = layer(x).sum()
        loss.backward()
        opt.step()
        return loss

    x = ad.tensor(np.ones((2, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.TapeDropWarning)
        losses = [step(x) for _ in range(3)]
    assert all(loss.requires_grad and loss.grad_fn.name() == "SumBackward0" for loss in losses)
    with pytest.raises(RuntimeError, match=r"replay of the compiled function step, whose "
                                           r"plan ran the call's backward"):
        losses[-1].backward()
