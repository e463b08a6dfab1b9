"""CTC by brute force, for tests: every alignment of T steps over C classes (C**T of
them) is enumerated and kept when it collapses to the target (merge repeats, then drop
blanks).  Independent of the recursions in autodiff/ops/ctc.py; only for T <= 5."""

from __future__ import annotations

import itertools

import numpy as np


def collapse(path, blank):
    """The labels an alignment emits: repeats merged, then blanks dropped."""
    merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return [c for c in merged if c != blank]


def log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _alignments(steps, classes, target, blank):
    for path in itertools.product(range(classes), repeat=steps):
        if collapse(list(path), blank) == list(target):
            yield path


def loss(lp, target, blank=0):
    """``-log`` of the summed probability of the alignments of ``lp`` (T, C) emitting
    ``target``; inf when there is none.  No steps emit only the empty target."""
    steps, classes = lp.shape
    probabilities = [np.exp(sum(lp[t, c] for t, c in enumerate(path)))
                     for path in _alignments(steps, classes, target, blank)]
    if steps == 0:
        return 0.0 if len(target) == 0 else np.inf
    total = sum(probabilities)
    return -np.log(total) if total > 0 else np.inf


def occupancy(lp, target, blank=0):
    """``q[t, c]``: the share of the target's probability from alignments emitting
    ``c`` at step ``t`` (each row sums to 1)."""
    steps, classes = lp.shape
    q = np.zeros((steps, classes))
    total = 0.0
    for path in _alignments(steps, classes, target, blank):
        weight = np.exp(sum(lp[t, c] for t, c in enumerate(path)))
        total += weight
        for t, c in enumerate(path):
            q[t, c] += weight
    return q / total


def batch_losses(lp, targets, input_lengths, target_lengths, blank=0):
    """Per-sequence losses of (T, N, C) log-probabilities against padded targets."""
    return np.array([loss(lp[:input_lengths[b], b], targets[b][:target_lengths[b]], blank)
                     for b in range(lp.shape[1])])


def batch_gradient(lp, targets, input_lengths, target_lengths, blank=0):
    """The derivative of the summed losses in ``lp`` (T, N, C): ``-q`` (the alignment
    occupancy) up to each input length, 0 after it."""
    grad = np.zeros_like(lp)
    for b in range(lp.shape[1]):
        steps = input_lengths[b]
        q = occupancy(lp[:steps, b], targets[b][:target_lengths[b]], blank)
        grad[:steps, b] = -q
    return grad
