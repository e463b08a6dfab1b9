"""Connectionist temporal classification (CTC) as two ops: the per-sequence loss and
its gradient (``F.ctc_loss`` in ``autodiff/nn/losses_ctc.py`` checks the arguments and
reduces).

Each target ``l`` of length ``L`` is extended with blanks, ``l' = (blank, l1, blank, l2,
..., lL, blank)``, of length ``2L + 1``.  In log space, for every sequence at once
(the loops run over time only):

* forward variables: ``alpha[0, s] = lp[0, l'_s]`` for ``s < 2``, and
  ``alpha[t, s] = lp[t, l'_s] + logsumexp(alpha[t-1, s], alpha[t-1, s-1],
  alpha[t-1, s-2] if l'_s is a label other than l'_{s-2})``;
* the loss ``-log p = -logsumexp(alpha[T-1, 2L], alpha[T-1, 2L-1])``;
* backward variables ``beta``, the same recursion from the end (both include
  ``lp[t, l'_s]``), so ``alpha[t, s] + beta[t, s] - lp[t, l'_s]`` is the log of the
  probability of all alignments passing through ``s`` at time ``t``.

The gradient is the derivative of the loss: with ``q[t, c] = sum over s with l'_s = c
of exp(alpha[t, s] + beta[t, s] - lp[t, c] + loss)``, the share of the alignments that
emit ``c`` at ``t``, ``grad lp[t, c] = -q[t, c]`` for ``t`` below the input length, 0
after it.  PyTorch returns ``exp(lp[t, c]) - q[t, c]`` instead, which is what reaches
the logits through ``log_softmax`` (its backward turns either into that, since the
rows of ``q`` sum to 1): the two agree on everything upstream of a ``log_softmax``
(or any normalisation), and differ only for log-probabilities differentiated as free
numbers, where ``-q`` is what finite differences give.
"""

from __future__ import annotations

import numpy as np

from .namespace import numpy_xp
from .registry import defop_joint


def _logsumexp3(a, b, c):
    """Elementwise ``log(exp(a) + exp(b) + exp(c))``; -inf where all three are -inf."""
    top = np.maximum(np.maximum(a, b), c)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return shift + np.log(np.exp(a - shift) + np.exp(b - shift) + np.exp(c - shift))


def _shifted(x, by):
    """``x[:, s - by]`` at position ``s`` (``by > 0``) or ``x[:, s + |by|]`` (``by < 0``),
    -inf where that is outside the row."""
    out = np.full_like(x, -np.inf)
    if by > 0:
        out[:, by:] = x[:, :-by]
    else:
        out[:, :by] = x[:, -by:]
    return out


class _Lattice:
    """The extended labels of every sequence and which moves between them are allowed."""

    def __init__(self, targets, target_lengths, blank):
        batch, longest = targets.shape
        width = 2 * longest + 1
        labels = np.where(np.arange(longest) < target_lengths[:, None], targets, blank)
        self.extended = np.full((batch, width), blank, dtype=np.int64)
        self.extended[:, 1::2] = labels
        position = np.arange(width)
        self.inside = position < (2 * target_lengths[:, None] + 1)
        # A label may follow the label two places back directly only if they differ (a
        # blank never does: the one two places back is a blank too).
        self.skip = np.zeros((batch, width), dtype=bool)
        self.skip[:, 2:] = self.extended[:, 2:] != self.extended[:, :-2]
        self.last = 2 * target_lengths                    # the final blank
        self.has_label = target_lengths > 0


def _forward_variables(lp_ext, lattice):
    """``alpha``, shape (T, N, 2S + 1), in log space (see the module's docstring)."""
    steps = lp_ext.shape[0]
    alpha = np.full(lp_ext.shape, -np.inf)
    if steps == 0:
        return alpha
    alpha[0, :, 0] = lp_ext[0, :, 0]
    if lp_ext.shape[2] > 1:
        alpha[0, :, 1] = np.where(lattice.has_label, lp_ext[0, :, 1], -np.inf)
    no_skip = np.where(lattice.skip, 0.0, -np.inf)
    for t in range(1, steps):
        prev = alpha[t - 1]
        total = _logsumexp3(prev, _shifted(prev, 1), _shifted(prev, 2) + no_skip)
        alpha[t] = np.where(lattice.inside, lp_ext[t] + total, -np.inf)
    return alpha


def _backward_variables(lp_ext, lattice, input_lengths):
    """``beta``, shape (T, N, 2S + 1), in log space; -inf from each input length on."""
    steps, batch, width = lp_ext.shape
    beta = np.full(lp_ext.shape, -np.inf)
    rows = np.arange(batch)
    ends = np.full((batch, width), -np.inf)
    ends[rows, lattice.last] = 0.0
    with_label = rows[lattice.has_label]
    ends[with_label, lattice.last[with_label] - 1] = 0.0
    no_skip_ahead = _shifted(np.where(lattice.skip, 0.0, -np.inf), -2)
    for t in range(steps - 1, -1, -1):
        starts_here = (input_lengths - 1 == t)[:, None]
        before_end = (t < input_lengths - 1)[:, None]
        nxt = beta[t + 1] if t + 1 < steps else np.full((batch, width), -np.inf)
        total = _logsumexp3(nxt, _shifted(nxt, -1), _shifted(nxt, -2) + no_skip_ahead)
        inner = np.where(lattice.inside, lp_ext[t] + total, -np.inf)
        beta[t] = np.where(starts_here, lp_ext[t] + ends, np.where(before_end, inner, -np.inf))
    return beta


def _ctc_forward(log_probs, targets, input_lengths, target_lengths, blank=0,
                 zero_infinity=False):
    """Per-sequence losses (N,) in log_probs' dtype, and (alpha, lattice, losses in
    float64) for the backward."""
    lp = log_probs.astype(np.float64, copy=False)
    lattice = _Lattice(targets, target_lengths, blank)
    lp_ext = np.take_along_axis(lp, lattice.extended[None], axis=2)
    alpha = _forward_variables(lp_ext, lattice)
    batch = lp.shape[1]
    rows = np.arange(batch)
    final = alpha[np.maximum(input_lengths - 1, 0), rows]            # (N, 2S + 1)
    last = final[rows, lattice.last]
    before_last = np.where(lattice.has_label,
                           final[rows, np.maximum(lattice.last - 1, 0)], -np.inf)
    log_likelihood = np.logaddexp(last, before_last)
    # No input steps: only the empty target can be emitted (PyTorch's rule).
    empty_input = input_lengths == 0
    log_likelihood[empty_input] = np.where(lattice.has_label[empty_input], -np.inf, 0.0)
    losses = -log_likelihood
    shown = np.where(np.isinf(losses), 0.0, losses) if zero_infinity else losses
    return shown.astype(log_probs.dtype), (alpha, lattice, losses)


def _ctc_kernel(log_probs, targets, input_lengths, target_lengths, blank=0,
                zero_infinity=False):
    return _ctc_forward(log_probs, targets, input_lengths, target_lengths, blank,
                        zero_infinity)[0]


def ctc_gradient(g, log_probs, targets, input_lengths, target_lengths, blank=0,
                 zero_infinity=False, saved=None):
    """The gradient (T, N, C) for upstream ``g`` (N,); ``saved`` is what the forward
    kept (recomputed when None)."""
    if saved is None:
        saved = _ctc_forward(log_probs, targets, input_lengths, target_lengths, blank,
                             zero_infinity)[1]
    alpha, lattice, losses = saved
    lp = log_probs.astype(np.float64, copy=False)
    steps, batch, classes = lp.shape
    lp_ext = np.take_along_axis(lp, lattice.extended[None], axis=2)
    both = alpha + _backward_variables(lp_ext, lattice, input_lengths)
    top = both.max(axis=2, keepdims=True)
    shift = np.where(np.isfinite(top), top, 0.0)
    # Sum exp(alpha + beta) over the positions of each class: one bincount.
    flat = ((np.arange(steps)[:, None, None] * batch + np.arange(batch)[None, :, None])
            * classes + lattice.extended[None])
    mass = np.bincount(flat.ravel(), weights=np.exp(both - shift).ravel(),
                       minlength=steps * batch * classes).reshape(steps, batch, classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mass = np.log(mass) + shift
        grad = -np.exp(log_mass + losses[None, :, None] - lp)
    grad[np.arange(steps)[:, None] >= input_lengths[None, :]] = 0.0
    if zero_infinity:
        grad[:, np.isinf(losses)] = 0.0
    grad *= np.asarray(g, dtype=np.float64)[None, :, None]
    return grad.astype(log_probs.dtype, copy=False)


def _ctc_joint(xp, g, ans, needs, log_probs, targets, input_lengths, target_lengths,
               saved=None, blank=0, zero_infinity=False):
    if xp is numpy_xp:
        return [ctc_gradient(g, log_probs, targets, input_lengths, target_lengths, blank,
                             zero_infinity, saved), None, None, None]
    return [ctc_loss_backward(g, log_probs, targets, input_lengths, target_lengths,
                              blank=blank, zero_infinity=zero_infinity), None, None, None]


def _backward_forward(g, log_probs, targets, input_lengths, target_lengths, blank=0,
                      zero_infinity=False):
    return ctc_gradient(g, log_probs, targets, input_lengths, target_lengths, blank,
                        zero_infinity)


def _backward_joint(xp, grad_out, ans, needs, g, log_probs, targets, input_lengths,
                    target_lengths, blank=0, zero_infinity=False):
    if needs[1]:
        raise NotImplementedError(
            "ctc_loss: the derivative of its gradient with respect to log_probs is not "
            "implemented (PyTorch: 'derivative for aten::_ctc_loss_backward is not "
            "implemented'); a gradient of ctc_loss can be differentiated again only "
            "with respect to the upstream gradient, not log_probs")
    ones = np.ones(np.shape(g), dtype=log_probs.dtype)
    unit = xp.ctc_loss_backward(ones, log_probs, targets, input_lengths, target_lengths,
                                blank=blank, zero_infinity=zero_infinity)
    return [xp.sum(grad_out * unit, axis=(0, 2)), None, None, None, None]


ctc_loss = defop_joint(
    "ctc_loss", _ctc_forward,
    "grad_log_probs = -(share of alignments emitting each class) * g, "
    "from the alpha-beta recursions", _ctc_joint,
    input_names=("log_probs", "targets", "input_lengths", "target_lengths"),
    grad_inputs=(0,), saves=True, kernel=_ctc_kernel,
    doc="Per-sequence CTC losses (N,) of (T, N, C) log-probabilities against padded "
        "(N, S) targets (see F.ctc_loss).")

ctc_loss_backward = defop_joint(
    "ctc_loss_backward", _backward_forward,
    "grad_g = sum over time and classes of grad_out * the gradient for g = 1; "
    "none for log_probs (not implemented, as in PyTorch)", _backward_joint,
    input_names=("g", "log_probs", "targets", "input_lengths", "target_lengths"),
    grad_inputs=(0, 1),
    doc="The gradient of ctc_loss (T, N, C) for an upstream gradient g (N,) (the "
        "backward of ctc_loss when it is recorded).")
