"""Specs for the CTC ops (autodiff/ops/ctc.py), against the brute-force sums over
alignments of tests/ctc_reference.py.  Imported at the end of op_specs.py.

The loss takes log-probabilities, so its case differentiates logits through
``log_softmax`` (the gradient rule is PyTorch's, which is the true derivative on that
path); the targets always fit their inputs, so the loss is finite."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import autodiff.nn.functional as F
from autodiff.ops import ctc

import ctc_reference as brute
from op_specs import Case, Spec, _rng, values


def _needed_steps(labels):
    """Input steps an alignment of ``labels`` needs: one per label, plus a blank
    between equal neighbours."""
    return len(labels) + sum(a == b for a, b in zip(labels, labels[1:]))


def _problem(data):
    """(shape, padded targets, input lengths, target lengths, blank) with feasible targets."""
    steps = data.draw(st.integers(1, 4), label="T")
    batch = data.draw(st.integers(1, 2), label="N")
    classes = data.draw(st.integers(2, 3), label="C")
    blank = data.draw(st.integers(0, classes - 1), label="blank")
    labels = [c for c in range(classes) if c != blank]
    rng = _rng(data)
    input_lengths = rng.integers(1, steps + 1, size=batch)
    targets = np.full((batch, 2), blank, dtype=np.int64)
    target_lengths = np.zeros(batch, dtype=np.int64)
    for b in range(batch):
        row = list(rng.choice(labels, size=rng.integers(0, 3)))
        while _needed_steps(row) > input_lengths[b]:
            row.pop()
        targets[b, :len(row)] = row
        target_lengths[b] = len(row)
    return (steps, batch, classes), targets, input_lengths, target_lengths, blank


def _ctc_loss_case(data):
    shape, targets, input_lengths, target_lengths, blank = _problem(data)
    return Case(lambda x: ctc.ctc_loss(F.log_softmax(x, axis=-1), targets, input_lengths,
                                       target_lengths, blank=blank),
                [values(data, shape)],
                lambda x: brute.batch_losses(brute.log_softmax(x), targets, input_lengths,
                                             target_lengths, blank))


def _ctc_loss_backward_case(data):
    shape, targets, input_lengths, target_lengths, blank = _problem(data)
    lp = brute.log_softmax(values(data, shape))
    unit = brute.batch_gradient(lp, targets, input_lengths, target_lengths, blank)
    return Case(lambda g: ctc.ctc_loss_backward(g, lp, targets, input_lengths,
                                                target_lengths, blank=blank),
                [values(data, (shape[1],))], lambda g: unit * g[None, :, None])


SPECS = [
    Spec("ctc_loss", _ctc_loss_case, order=1,
         notes="through log_softmax; second order is not implemented (as in PyTorch)"),
    Spec("ctc_loss_backward", _ctc_loss_backward_case, order=1,
         notes="in the upstream gradient g only; in log_probs it raises"),
]
