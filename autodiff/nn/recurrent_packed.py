"""RNN, LSTM and GRU over a PackedSequence, as PyTorch runs them.

The packed rows are sorted by length (longest first), so at time step t the
sequences still running are the first ``batch_sizes[t]`` rows, and the batch size is
constant between two distinct lengths.  Each such segment of steps runs as one call
of the layer's recurrence over a (steps, rows, gates) block (``_recurrence``: the
whole-sequence op of LSTM and GRU, the padded path's own), carrying the state from
segment to segment: the forward direction on a batch that shrinks, keeping the state
of each row that stops as its final state; the reverse direction walks the segments
backwards, each run backwards in time, on a batch that grows, each row starting from
its initial state at its own last step.  Everything is recorded as Tensor ops, so
gradients reach the packed data, the initial states and the weights.
Initial states are given, and final states returned, in the original batch order
(``sorted_indices`` / ``unsorted_indices``).
"""

from __future__ import annotations

import functools

import numpy as np

from ..compile.hooks import made
from ..ops import shape as sh
from ..ops.indexing import take
from ..ops.rearrange import flip
from ..ops.recurrent import one_blas_thread
from ..tensor import Tensor
from .packed_sequence import PackedSequence, checked_permutation, checked_batch_sizes


def _checked_data(module, packed: PackedSequence) -> tuple:
    """The packed data as a Tensor, checked against the layer, and the batch sizes."""
    label = module._label()
    data = packed.data
    if not isinstance(data, Tensor):
        data = Tensor(np.asarray(data))
    if data.ndim != 2 or data.shape[1] != module.input_size:
        raise ValueError(f"{label}: expected a PackedSequence of data shape (sum of lengths, "
                         f"{module.input_size}), got data of shape {data.shape}")
    if data.dtype != module.weight_ih_l0.dtype:
        raise TypeError(f"{label}: the packed data is {data.dtype} but the layer's parameters "
                        f"are {module.weight_ih_l0.dtype}; convert it "
                        f"(packed.to(np.{module.weight_ih_l0.dtype}))")
    return data, checked_batch_sizes(packed, data.shape[0], label)


def _rows(indices, batch, what, module) -> np.ndarray:
    """A permutation of the batch as an index array, made from Python numbers (so that a
    compiled function makes it again at each replay)."""
    values = tuple(checked_permutation(indices, batch, what, module._label()).tolist())
    return made(what, np.array, (values, np.intp))


def segments(sizes) -> list:
    """The runs of equal batch size in time order, as (batch size, number of steps).

    >>> segments(np.array([3, 3, 2, 1, 1]))
    [(3, 2), (2, 1), (1, 2)]
    """
    runs = []
    for size in sizes.tolist():
        if runs and runs[-1][0] == size:
            runs[-1][1] += 1
        else:
            runs.append([size, 1])
    return [tuple(run) for run in runs]


def _forward_segments(recurrence, gates, sizes, first):
    """The segments in time order; a row's final state is its state at its last step."""
    states, rows, start = list(first), int(sizes[0]), 0
    outputs, stopped = [], [[] for _ in first]
    for size, steps in segments(sizes):
        if size < rows:             # the rows size.. have ended: keep their states
            for kept, state in zip(stopped, states):
                kept.append(state[size:rows])
            states, rows = [state[:size] for state in states], size
        count = size * steps
        gx = sh.reshape(gates[start:start + count], (steps, size, gates.shape[1]))
        out, states = recurrence(gx, states)
        outputs.append(sh.reshape(out, (count, out.shape[2])))
        start += count
    finals = []
    for kept, state in zip(stopped, states):
        parts = [state] + kept[::-1]             # rows in order: the longest first
        finals.append(parts[0] if len(parts) == 1 else sh.concatenate(parts, axis=0))
    return outputs, finals


def _reverse_segments(recurrence, gates, sizes, first):
    """The segments from the last to the first, each run backwards in time; a row joins
    at its own last step, from its initial state."""
    rows = int(sizes[-1])
    states, end = [state[:rows] for state in first], int(sizes.sum())
    outputs = []
    for size, steps in segments(sizes)[::-1]:
        if size > rows:
            states = [sh.concatenate([state, initial[rows:size]], axis=0)
                      for state, initial in zip(states, first)]
            rows = size
        count = size * steps
        gx = sh.reshape(gates[end - count:end], (steps, size, gates.shape[1]))
        out, states = recurrence(flip(gx, 0) if steps > 1 else gx, states)
        out = flip(out, 0) if steps > 1 else out
        outputs.append(sh.reshape(out, (count, out.shape[2])))
        end -= count
    return outputs[::-1], states


def run_packed(module, packed: PackedSequence, initial_states: list):
    """Run ``module`` (an RNN, LSTM or GRU) over ``packed``.  ``initial_states`` holds
    one list per kind of state (h, or h and c) of one (B, size) Tensor per layer and
    direction, in the original batch order.  Returns the output PackedSequence and the
    final states, one stacked (layers * directions, B, size) Tensor per kind."""
    x, sizes = _checked_data(module, packed)
    batch = int(sizes[0])
    sorted_rows = packed.sorted_indices
    if sorted_rows is not None:
        sorted_rows = _rows(sorted_rows, batch, "sorted_indices", module)
        initial_states = [[take(state, sorted_rows, axis=0) for state in kind]
                          for kind in initial_states]

    def run_direction(x, direction, suffix, first):
        gates = module._input_gates(x, suffix)
        recurrence = functools.partial(module._recurrence, suffix=suffix)
        run = _forward_segments if direction == 0 else _reverse_segments
        with one_blas_thread():     # once for all the segments' small products
            out, last = run(recurrence, gates, sizes, first)
        return sh.concatenate(out, axis=0), last

    x, finals = module._over_layers(x, initial_states, run_direction, feature_axis=1)
    if packed.unsorted_indices is not None:
        original = _rows(packed.unsorted_indices, batch, "unsorted_indices", module)
        finals = [[take(state, original, axis=0) for state in kind] for kind in finals]
    output = PackedSequence(x, packed.batch_sizes, packed.sorted_indices,
                            packed.unsorted_indices)
    return output, [sh.stack(kind, axis=0) for kind in finals]
