"""The twenty-fourth round's replayed outputs of ``ad.compile`` (a ``grad_fn`` over no
graph) crossed with the teaching tools: ``ad.explain`` and ``ad.viz.steps`` say that a
replay records no tape, where they said a leaf was cut off by ``.detach()`` / ``.item()``
or that a backward pass had freed the graph."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad


def _doubled_sum(a):
    return (a * 2).sum()


def _training_step(a):
    loss = (a * 2).sum()
    loss.backward()
    return loss


@pytest.mark.parametrize("function, why", [
    (_doubled_sum, "a graph no backward of the call used"),
    (_training_step, "plan ran the call's backward through it"),
])
def test_explain_and_steps_of_a_replayed_output_name_the_replay(function, why):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    compiled = ad.compile(function)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # (the first call's TapeDropWarning)
        compiled(x)
        replayed = compiled(x)
    told = str(ad.explain(x, replayed))
    assert "returned by a replay of the compiled function" in told and why in told
    assert "detach" not in told
    with pytest.raises(ad.viz.GraphFreedError, match=r"viz\.steps: a tensor of shape \(\) "
                       r"made by 'sum' was returned by a replay") as caught:
        ad.viz.steps(replayed)
    assert why in str(caught.value) and "earlier backward() pass" not in str(caught.value)


def test_steps_of_an_eager_graph_freed_by_backward_still_says_so():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = _training_step(x)
    with pytest.raises(ad.viz.GraphFreedError, match="earlier backward"):
        ad.viz.steps(loss)
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_viz_text_of_a_replayed_output_says_it_came_from_a_replay():
    w = ad.tensor(np.ones(3), requires_grad=True)

    def fit_step(x):
        loss = (x * w).sum()
        loss.backward()
        return loss

    compiled = ad.compile(fit_step)
    x = ad.tensor(np.arange(3.0))
    traced = ad.viz.text(compiled(x))
    assert "replay" not in traced
    replayed = ad.viz.text(compiled(x))
    assert "returned by a replay of the compiled fit_step, which records no graph" in replayed
