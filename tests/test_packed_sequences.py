"""Packed sequences (``ad.nn.utils.rnn``): packing and padding against
``torch.nn.utils.rnn``, round trips and errors; RNN, LSTM (with and without
``proj_size``) and GRU over a PackedSequence against PyTorch's packed run (outputs,
final states, gradients of the input, the initial states and every weight), against
running each sequence alone, and against finite differences; ``ad.compile`` of a
packed training step against the eager one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

rnn = ad.nn.utils.rnn

# torch says its oneDNN backend has no projections and it uses its default one.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

TOL = 1e-12


def _padded(lengths, batch_first, features=3, seed=0):
    """A float64 padded batch with NaN in the padding (read by no correct result)."""
    rng = np.random.default_rng(seed)
    steps = max(lengths)
    x = rng.standard_normal((steps, len(lengths), features))
    for b, n in enumerate(lengths):
        x[n:, b] = np.nan
    return np.ascontiguousarray(x.swapaxes(0, 1)) if batch_first else x


def _finite(x):
    return np.nan_to_num(x, nan=0.0)


# ----- packing and padding against torch -------------------------------------------------

PACK_CASES = [([4, 3, 1], True), ([4, 4, 2, 1], True), ([2, 4, 1, 3], False),
              ([1, 3, 3, 2], False), ([1], True), ([2, 2, 2], False)]


@pytest.mark.parametrize("lengths, enforce_sorted", PACK_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_torch(lengths, enforce_sorted, batch_first):
    torch = pytest.importorskip("torch")
    x = _finite(_padded(lengths, batch_first))
    ours = rnn.pack_padded_sequence(ad.tensor(x), lengths, batch_first=batch_first,
                                    enforce_sorted=enforce_sorted)
    theirs = torch.nn.utils.rnn.pack_padded_sequence(
        torch.tensor(x), torch.tensor(lengths), batch_first=batch_first,
        enforce_sorted=enforce_sorted)
    assert ours._fields == theirs._fields
    np.testing.assert_array_equal(ours.data.data, theirs.data.numpy())
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        mine, torchs = getattr(ours, field), getattr(theirs, field)
        if torchs is None:
            assert mine is None, field
        else:
            assert mine.dtype == np.int64, field
            np.testing.assert_array_equal(mine.data, torchs.numpy(), err_msg=field)
    for total_length in (None, max(lengths) + 2):
        padded, out_lengths = rnn.pad_packed_sequence(
            ours, batch_first=batch_first, padding_value=-7.5, total_length=total_length)
        expected, expected_lengths = torch.nn.utils.rnn.pad_packed_sequence(
            theirs, batch_first=batch_first, padding_value=-7.5, total_length=total_length)
        np.testing.assert_array_equal(padded.data, expected.numpy())
        assert out_lengths.dtype == np.int64
        np.testing.assert_array_equal(out_lengths.data, expected_lengths.numpy())


def test_pack_sequence_unpack_and_unpad_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    sequences = [rng.standard_normal((n, 2)) for n in (2, 5, 1, 5)]
    ours = rnn.pack_sequence([ad.tensor(s) for s in sequences], enforce_sorted=False)
    theirs = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in sequences],
                                              enforce_sorted=False)
    np.testing.assert_array_equal(ours.data.data, theirs.data.numpy())
    np.testing.assert_array_equal(ours.batch_sizes.data, theirs.batch_sizes.numpy())
    for mine, torchs in zip(rnn.unpack_sequence(ours),
                            torch.nn.utils.rnn.unpack_sequence(theirs)):
        np.testing.assert_array_equal(mine.data, torchs.numpy())
    padded = rng.standard_normal((5, 3, 2))
    for mine, torchs in zip(rnn.unpad_sequence(ad.tensor(padded), [5, 2, 3]),
                            torch.nn.utils.rnn.unpad_sequence(torch.tensor(padded),
                                                              torch.tensor([5, 2, 3]))):
        np.testing.assert_array_equal(mine.data, torchs.numpy())


def test_pack_pad_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    lengths, weights = [2, 3, 1], np.random.default_rng(2).standard_normal((3, 3, 2))
    x = _finite(_padded(lengths, True, features=2))
    ours, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    packed = rnn.pack_padded_sequence(ours, lengths, batch_first=True, enforce_sorted=False)
    out = rnn.pad_packed_sequence(packed, batch_first=True, padding_value=3.0)[0]
    (out * weights).sum().backward()
    packed_t = torch.nn.utils.rnn.pack_padded_sequence(theirs, lengths, batch_first=True,
                                                       enforce_sorted=False)
    out_t = torch.nn.utils.rnn.pad_packed_sequence(packed_t, batch_first=True,
                                                   padding_value=3.0)[0]
    (out_t * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


# ----- round trips, gradients and errors without torch -----------------------------------

@pytest.mark.parametrize("lengths, enforce_sorted", PACK_CASES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_packed_undoes_pack_padded(lengths, enforce_sorted, batch_first):
    x = _padded(lengths, batch_first)
    packed = rnn.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                      enforce_sorted=enforce_sorted)
    assert packed.data.shape == (sum(lengths), 3)
    assert not np.isnan(packed.data.data).any()          # no padding packed
    padded, out_lengths = rnn.pad_packed_sequence(packed, batch_first=batch_first,
                                                  padding_value=np.nan)
    np.testing.assert_array_equal(padded.data, x)        # NaN where x is padding
    np.testing.assert_array_equal(out_lengths.data, lengths)
    sequences = rnn.unpack_sequence(packed)
    assert [len(s) for s in sequences] == lengths
    for b, s in enumerate(sequences):
        expected = x[b, :lengths[b]] if batch_first else x[:lengths[b], b]
        np.testing.assert_array_equal(s.data, expected)


def test_pack_sequence_is_pack_padded_of_pad_sequence():
    sequences = [ad.tensor(np.arange(n, dtype=float) + 10 * n) for n in (3, 1, 2)]
    packed = rnn.pack_sequence(sequences, enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.data, [30, 20, 10, 31, 21, 32])
    np.testing.assert_array_equal(packed.batch_sizes.data, [3, 2, 1])
    np.testing.assert_array_equal(packed.sorted_indices.data, [0, 2, 1])
    np.testing.assert_array_equal(packed.unsorted_indices.data, [0, 2, 1])


def test_gradients_reach_the_valid_steps_only():
    lengths = [3, 1, 2]
    x = ad.tensor(_finite(_padded(lengths, False, features=2)), requires_grad=True)
    packed = rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    (packed.data * packed.data).sum().backward()
    valid = np.arange(3)[:, None] < np.array(lengths)[None, :]
    np.testing.assert_array_equal(x.grad, np.where(valid[..., None], 2 * x.data, 0.0))

    def round_trip(t):
        packed = rnn.pack_padded_sequence(t, lengths, batch_first=True, enforce_sorted=False)
        return (rnn.pad_packed_sequence(packed, batch_first=True)[0] ** 3).sum()
    assert ad.gradcheck(round_trip, [np.random.default_rng(3).standard_normal((3, 3, 2))])


def test_packed_sequence_fields_and_conveniences():
    packed = rnn.PackedSequence(ad.tensor([1.0, 2.0, 3.0]), [2, 1], [1, 0])
    assert packed.batch_sizes.dtype == np.int64
    np.testing.assert_array_equal(packed.unsorted_indices.data, [1, 0])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data is packed.data and sorted_indices is packed.sorted_indices
    assert packed.float().data.dtype == np.float32
    assert packed.to(np.float32).batch_sizes is batch_sizes
    assert packed.double() is packed and packed.cpu() is packed and not packed.is_cuda
    assert repr(packed).startswith("PackedSequence(data=tensor([1., 2., 3.]), "
                                   "batch_sizes=tensor([2, 1]), sorted_indices=tensor([1, 0])")


@pytest.mark.parametrize("call, error, message", [
    (lambda x: rnn.pack_padded_sequence(x, [2, 3, 1]), RuntimeError,
     "pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
     "`enforce_sorted` is True. You can pass `enforce_sorted=False`"),
    (lambda x: rnn.pack_padded_sequence(x, [3, 2, 0]), RuntimeError,
     "Length of all samples has to be greater than 0"),
    (lambda x: rnn.pack_padded_sequence(x, [0, 3, 2], enforce_sorted=False), RuntimeError,
     "Length of all samples has to be greater than 0"),
    (lambda x: rnn.pack_padded_sequence(x, [3, 2]), RuntimeError,
     r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 \(batch_size=3\)"),
    (lambda x: rnn.pack_padded_sequence(x, [4, 2, 1]), ValueError,
     r"a sequence of length 4 does not fit the padded input's 3 time steps"),
    (lambda x: rnn.pack_padded_sequence(x, [2.5, 2, 1]), TypeError,
     "'lengths' must hold whole numbers"),
    (lambda x: rnn.pack_padded_sequence(x, [[3, 2, 1]]), RuntimeError,
     "'lengths' argument should be a 1D"),
    (lambda x: rnn.pack_padded_sequence(x[0, 0], [3]), ValueError,
     r"expected a padded batch of shape \(T, B, \*\), got shape \(2,\)"),
    (lambda x: rnn.pad_packed_sequence(rnn.pack_padded_sequence(x, [3, 2, 1]),
                                       total_length=2), ValueError,
     "Expected total_length to be at least the length of the longest sequence in input, "
     "but got total_length=2 and max sequence length being 3"),
    (lambda x: rnn.pad_packed_sequence(x), TypeError,
     "pad_packed_sequence: expected a PackedSequence"),
    (lambda x: rnn.unpad_sequence(x, [3, 4, 1]), ValueError,
     r"unpad_sequence: expected 3 lengths between 0 and 3"),
    (lambda x: rnn.pack_sequence([]), ValueError, "pack_sequence: received an empty list"),
    (lambda x: rnn.pad_packed_sequence(rnn.PackedSequence(x[0], [1, 2])), ValueError,
     r"pad_packed_sequence: the PackedSequence's batch_sizes \[1, 2\] must be positive, "
     "non-increasing and add up to the 3 rows of its data"),
    (lambda x: rnn.PackedSequence(x[0], [2, 1], [0, 0]), ValueError,
     r"PackedSequence: the PackedSequence's sorted_indices \[0, 0\] must be a "
     "permutation of the 2 sequences' rows"),
    (lambda x: rnn.pad_packed_sequence(rnn.PackedSequence(x[0], [2, 1], None, [2, 0])),
     ValueError, r"pad_packed_sequence: the PackedSequence's unsorted_indices \[2, 0\] "
     "must be a permutation of the 2 sequences' rows"),
])
def test_errors_name_the_function_and_the_fix(call, error, message):
    x = ad.tensor(np.zeros((3, 3, 2)))
    with pytest.raises(error, match=message):
        call(x)


def test_layers_refuse_mismatched_packed_data_and_states():
    lstm = ad.nn.LSTM(2, 3, rng=0)
    packed = rnn.pack_sequence([ad.tensor(np.zeros((2, 2))), ad.tensor(np.zeros((1, 2)))])
    with pytest.raises(TypeError, match=r"LSTM\(2, 3, num_layers=1\): the packed data is "
                                        r"float32 .*packed\.to\(np\.float64\)"):
        lstm(packed.float())
    with pytest.raises(ValueError, match=r"expected a PackedSequence of data shape "
                                         r"\(sum of lengths, 3\), got data of shape \(3, 2\)"):
        ad.nn.GRU(3, 3, rng=0)(packed)
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(1, 2, 3\)"):
        lstm(packed, (ad.zeros(1, 3, 3, dtype=np.float64), ad.zeros(1, 3, 3,
                                                                    dtype=np.float64)))
    with pytest.raises(ValueError, match=r"batch_sizes \[2, 2\] must be positive, "
                                         "non-increasing and add up to the 3 rows"):
        lstm(rnn.PackedSequence(packed.data, [2, 2]))


# ----- the recurrent layers over packed batches ------------------------------------------

def _layer(kind, **config):
    if kind == "LSTMP":
        return ad.nn.LSTM(proj_size=2, **config)
    return getattr(ad.nn, kind)(**config)


def _torch_twin(torch, kind, **config):
    torch.manual_seed(0)
    if kind == "LSTMP":
        theirs = torch.nn.LSTM(proj_size=2, **config).double()
    else:
        theirs = getattr(torch.nn, kind)(**config).double()
    ours = _layer(kind, **config)
    ours.load_torch_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _state_shapes(kind, count, batch, hidden):
    if kind == "LSTM":
        return [(count, batch, hidden)] * 2
    if kind == "LSTMP":
        return [(count, batch, 2), (count, batch, hidden)]
    return [(count, batch, hidden)]


KINDS = ["RNN", "LSTM", "LSTMP", "GRU"]
GRID = list(itertools.product(KINDS, [1, 2], [False, True], [False, True], [True, False]))


@pytest.mark.parametrize("kind, layers, bidirectional, batch_first, enforce_sorted", GRID)
def test_layers_over_packed_batches_match_torch(kind, layers, bidirectional, batch_first,
                                                enforce_sorted):
    torch = pytest.importorskip("torch")
    hidden = 4
    config = dict(input_size=3, hidden_size=hidden, num_layers=layers,
                  bidirectional=bidirectional, batch_first=batch_first)
    theirs, ours = _torch_twin(torch, kind, **config)
    # equal lengths and a sequence of length 1 (sorted, or not, as enforce_sorted asks)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = _finite(_padded(lengths, batch_first, seed=layers))
    count = layers * (2 if bidirectional else 1)
    rng = np.random.default_rng(7)
    given_state = layers == 2             # both the default zeros and given states
    states = [rng.standard_normal(shape)
              for shape in _state_shapes(kind, count, len(lengths), hidden)]
    t_in = [torch.tensor(a, requires_grad=True) for a in [x] + states]
    a_in = [ad.tensor(a, requires_grad=True) for a in [x] + states]

    def run(lib, layer, inputs, pack, pad):
        packed = pack(inputs[0], lengths, batch_first=batch_first,
                      enforce_sorted=enforce_sorted)
        hx = None
        if given_state:
            hx = tuple(inputs[1:]) if kind.startswith("LSTM") else inputs[1]
        out, finals = layer(packed, hx)
        assert type(out).__name__ == "PackedSequence"
        finals = finals if kind.startswith("LSTM") else (finals,)
        padded, out_lengths = pad(out, batch_first=batch_first)
        return out, padded, list(finals), out_lengths
    t_out, t_padded, t_finals, t_lengths = run(torch, theirs, t_in,
                                               torch.nn.utils.rnn.pack_padded_sequence,
                                               torch.nn.utils.rnn.pad_packed_sequence)
    a_out, a_padded, a_finals, a_lengths = run(ad, ours, a_in, rnn.pack_padded_sequence,
                                               rnn.pad_packed_sequence)
    np.testing.assert_array_equal(a_out.batch_sizes.data, t_out.batch_sizes.numpy())
    np.testing.assert_array_equal(a_lengths.data, t_lengths.numpy())
    for a, t in [(a_out.data, t_out.data), (a_padded, t_padded)] + list(zip(a_finals,
                                                                            t_finals)):
        assert a.shape == tuple(t.shape)
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=TOL, atol=TOL)

    weights = [rng.standard_normal(t.shape) for t in [t_padded] + t_finals]
    sum((t * torch.tensor(w)).sum() for t, w in zip([t_padded] + t_finals, weights)).backward()
    sum((a * w).sum() for a, w in zip([a_padded] + a_finals, weights)).backward()
    for a, t in zip(a_in, t_in):
        if t.grad is None:                  # a state not given
            assert a.grad is None
            continue
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-11, atol=1e-11)
    torch_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    ours_in_torch_layout = ours._torch_export({n: p.grad for n, p in ours.named_parameters()})
    assert list(ours_in_torch_layout) == list(torch_grads)
    for name, grad in ours_in_torch_layout.items():
        np.testing.assert_allclose(grad, torch_grads[name], rtol=1e-11, atol=1e-11,
                                   err_msg=name)


def test_relu_rnn_without_bias_matches_torch():
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_twin(torch, "RNN", input_size=3, hidden_size=4, num_layers=2,
                               nonlinearity="relu", bias=False, bidirectional=True)
    lengths = [2, 4, 1]
    x = _finite(_padded(lengths, False))
    t_out, t_h = theirs(torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths,
                                                                enforce_sorted=False))
    a_out, a_h = ours(rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
    np.testing.assert_allclose(a_out.data.data, t_out.data.detach().numpy(), rtol=TOL,
                               atol=TOL)
    np.testing.assert_allclose(a_h.data, t_h.detach().numpy(), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_run_equals_each_sequence_run_alone(kind, bidirectional):
    layer = _layer(kind, input_size=3, hidden_size=4, num_layers=2,
                   bidirectional=bidirectional, rng=5)
    lengths = [3, 5, 1, 3]
    x = _padded(lengths, True)
    out, finals = layer(rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                 enforce_sorted=False))
    finals = finals if kind.startswith("LSTM") else (finals,)
    padded, _ = rnn.pad_packed_sequence(out, batch_first=True)
    for b, n in enumerate(lengths):
        alone_out, alone_finals = layer(ad.tensor(x[b:b + 1, :n]).swapaxes(0, 1))
        alone_finals = alone_finals if kind.startswith("LSTM") else (alone_finals,)
        np.testing.assert_allclose(padded.data[b, :n], alone_out.data[:, 0], rtol=1e-13,
                                   atol=1e-13)
        assert not padded.data[b, n:].any()
        for final, alone in zip(finals, alone_finals):
            np.testing.assert_allclose(final.data[:, b], alone.data[:, 0], rtol=1e-13,
                                       atol=1e-13)


def _with_params(model, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) instead of the parameters."""
    for name, value in zip([n for n, _ in model.named_parameters()], arrays):
        object.__setattr__(model, name, value)


@pytest.mark.parametrize("bidirectional, enforce_sorted", [(False, True), (True, False)])
def test_pack_lstm_pad_sum_gradcheck(bidirectional, enforce_sorted):
    rng = np.random.default_rng(8)
    lstm = ad.nn.LSTM(2, 2, bidirectional=bidirectional, batch_first=True, rng=8)
    count = 2 if bidirectional else 1
    lengths = [3, 1, 2] if enforce_sorted is False else [3, 2, 1]
    x = rng.standard_normal((3, 3, 2))
    h0, c0 = rng.standard_normal((count, 3, 2)), rng.standard_normal((count, 3, 2))
    params = [p.data.copy() for p in lstm.parameters()]
    weights = rng.standard_normal((3, 3, 2 * count))

    def f(x, h0, c0, *ps):
        _with_params(lstm, ps)
        packed = rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                          enforce_sorted=enforce_sorted)
        out, (h, c) = lstm(packed, (h0, c0))
        padded = rnn.pad_packed_sequence(out, batch_first=True)[0]
        return (padded * weights).sum() + (h * c).sum()
    assert ad.gradcheck(f, [x, h0, c0] + params)


# ----- ad.compile ------------------------------------------------------------------------

def _packed_step(lengths):
    lstm = ad.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, rng=0)
    opt = ad.optim.Adam(lstm.parameters(), lr=0.05)

    def step(x):
        opt.zero_grad()
        packed = rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = lstm(packed)
        padded, _ = rnn.pad_packed_sequence(out, batch_first=True)
        loss = (padded ** 2).mean() + (h * c).sum()
        loss.backward()
        opt.step()
        return loss
    return lstm, step


def test_compiled_packed_training_step_is_the_eager_one():
    lengths = [2, 4, 1]                        # captured: fixed for the compiled function
    eager_lstm, eager_step = _packed_step(lengths)
    compiled_lstm, step = _packed_step(lengths)
    compiled_step = ad.compile(step)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal((3, 4, 3))
        np.testing.assert_allclose(compiled_step(x).data, eager_step(x).data, rtol=1e-12,
                                   atol=1e-14)
    assert compiled_step.traces == 1
    for (name, a), (_, b) in zip(eager_lstm.named_parameters(),
                                 compiled_lstm.named_parameters()):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-12, atol=1e-14, err_msg=name)


def test_compile_refuses_lengths_passed_as_an_argument():
    lstm = ad.nn.LSTM(3, 4, rng=0)

    def forward(x, lengths):
        out, _ = lstm(rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
        return rnn.pad_packed_sequence(out)[0].sum()
    compiled = ad.compile(forward)
    with pytest.raises(TraceError, match=r"compile: a NumPy function \(np.asarray\) on a "
                                         "traced tensor"):
        compiled(np.ones((4, 2, 3)), np.array([4, 2]))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_dropout_between_layers_matches_torch_where_it_is_certain(kind):
    # The masks are random (another generator than torch's); p=1 zeroes all of the second
    # layer's input in both, and eval mode drops nothing in both.
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_twin(torch, kind, input_size=3, hidden_size=4, num_layers=2,
                               dropout=1.0, bidirectional=True)
    lengths = [3, 4, 1]
    x = _finite(_padded(lengths, False))
    for training in (True, False):
        theirs.train(training)
        ours.train(training)
        t_out, t_finals = theirs(torch.nn.utils.rnn.pack_padded_sequence(
            torch.tensor(x), lengths, enforce_sorted=False))
        a_out, a_finals = ours(rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
        t_finals = t_finals if kind == "LSTM" else (t_finals,)
        a_finals = a_finals if kind == "LSTM" else (a_finals,)
        for a, t in [(a_out.data, t_out.data)] + list(zip(a_finals, t_finals)):
            np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=TOL, atol=TOL)


# ----- one op per segment of equal batch size --------------------------------------------

def test_segments_are_the_runs_of_equal_batch_size():
    from autodiff.nn.recurrent_packed import segments
    assert segments(np.array([4, 4, 3, 1, 1, 1])) == [(4, 2), (3, 1), (1, 3)]
    assert segments(np.array([2])) == [(2, 1)]
    assert segments(np.array([5, 4, 3])) == [(5, 1), (4, 1), (3, 1)]


def _per_step_reference(layer, packed, initial, suffix):
    """The packed run one step at a time (each step the layer's recurrence over one step),
    one layer and direction (``l0`` forward, ``l0_reverse`` backwards in time), rows in
    sorted order: the output rows and the final states.  A row not yet started (reverse)
    still holds its initial state when it joins."""
    x, sizes = packed.data, packed.batch_sizes.data
    gates = layer._input_gates(x, suffix).data
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    states = [s.copy() for s in initial]
    outputs = [None] * len(sizes)
    order = range(len(sizes))
    for t in (reversed(order) if suffix.endswith("reverse") else order):
        size = sizes[t]
        gx = ad.tensor(gates[offsets[t]:offsets[t + 1]][None])
        out, new = layer._recurrence(gx, [ad.tensor(s[:size]) for s in states], suffix)
        outputs[t] = out.data[0]
        for kind, value in enumerate(new):
            states[kind][:size] = value.data
    return np.concatenate(outputs), states


@pytest.mark.parametrize("kind", KINDS)
def test_segments_give_the_per_step_values_bitwise(kind):
    # one fused call over several steps does each step's arithmetic as a one-step call does
    layer = _layer(kind, input_size=3, hidden_size=4, bidirectional=True, rng=2)
    lengths = [6, 6, 5, 3, 3, 3, 1]
    x = _padded(lengths, False, seed=3)
    rng = np.random.default_rng(4)
    initial = [rng.standard_normal(shape)
               for shape in _state_shapes(kind, 2, len(lengths), 4)]
    packed = rnn.pack_padded_sequence(ad.tensor(x), lengths)
    hx = [ad.tensor(s) for s in initial]
    out, finals = layer(packed, tuple(hx) if kind.startswith("LSTM") else hx[0])
    finals = finals if kind.startswith("LSTM") else (finals,)
    width = out.data.shape[1] // 2
    for direction, suffix in enumerate(["l0", "l0_reverse"]):
        ref_out, ref_finals = _per_step_reference(layer, packed,
                                                  [s[direction] for s in initial], suffix)
        np.testing.assert_array_equal(
            out.data.data[:, direction * width:(direction + 1) * width], ref_out)
        for final, ref in zip(finals, ref_finals):
            np.testing.assert_array_equal(final.data[direction], ref)


def test_blas_limit_nested_is_entered_once(monkeypatch):
    import contextlib

    from autodiff.ops import recurrent as rec
    entries = []

    class RecordingController:
        @contextlib.contextmanager
        def limit(self, **kw):
            entries.append(kw)
            yield
    monkeypatch.setattr(rec, "_blas_controller", RecordingController())
    with rec.one_blas_thread():
        with rec.one_blas_thread():
            with rec.one_blas_thread():
                pass
        assert rec._blas_limit_depth == 1
    assert entries == [dict(limits=1, user_api="blas")]
    assert rec._blas_limit_depth == 0
    with pytest.raises(KeyError):                  # an error inside still closes the block
        with rec.one_blas_thread():
            raise KeyError("inside")
    assert rec._blas_limit_depth == 0 and len(entries) == 2
