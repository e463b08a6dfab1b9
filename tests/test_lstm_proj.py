"""LSTM with projections (``proj_size``): values, final states and every gradient
against ``torch.nn.LSTM(proj_size=...)`` with the same weights, finite differences,
PyTorch's state-dict keys, shapes, repr and errors, the initialisation bounds, and a
compiled training step against the eager one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import recurrent as rec

# torch says its oneDNN backend has no projections and it uses its default one.
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}


def _with_params(model, arrays):
    """Make the forward read ``arrays`` (Tensors from gradcheck) instead of the parameters."""
    for name, value in zip([n for n, _ in model.named_parameters()], arrays):
        object.__setattr__(model, name, value)


def _torch_twin(torch, dtype, **config):
    """A torch LSTM and this library's with the same weights (torch's, loaded)."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(**config).to(getattr(torch, np.dtype(dtype).name))
    ours = ad.nn.LSTM(**config, dtype=dtype)
    ours.load_torch_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


GRID = list(itertools.product([False, True], [1, 2], [False, True], [False, True],
                              [False, True]))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bidirectional, layers, batch_first, unbatched, given_state", GRID)
def test_values_states_and_gradients_match_torch(dtype, bidirectional, layers, batch_first,
                                                 unbatched, given_state):
    torch = pytest.importorskip("torch")
    hidden, proj, n_in, steps, batch = 5, 3, 4, 6, 2
    theirs, ours = _torch_twin(torch, dtype, input_size=n_in, hidden_size=hidden,
                               proj_size=proj, num_layers=layers, batch_first=batch_first,
                               bidirectional=bidirectional)
    rng = np.random.default_rng(layers + 2 * bidirectional)
    count = layers * (2 if bidirectional else 1)
    if unbatched:
        x = rng.standard_normal((steps, n_in))
        state_shapes = (count, proj), (count, hidden)
    else:
        x = rng.standard_normal((batch, steps, n_in) if batch_first else (steps, batch, n_in))
        state_shapes = (count, batch, proj), (count, batch, hidden)
    arrays = [x.astype(dtype)]
    if given_state:
        arrays += [rng.standard_normal(shape).astype(dtype) for shape in state_shapes]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    a_in = [ad.tensor(a, requires_grad=True) for a in arrays]
    t_out, (t_h, t_c) = theirs(t_in[0], tuple(t_in[1:]) if given_state else None)
    a_out, (a_h, a_c) = ours(a_in[0], tuple(a_in[1:]) if given_state else None)

    tol = TOLERANCE[dtype]
    out_features = proj * (2 if bidirectional else 1)
    assert a_out.shape == tuple(t_out.shape) and a_out.shape[-1] == out_features
    assert a_h.shape == tuple(t_h.shape) and a_h.shape[-1] == proj
    assert a_c.shape == tuple(t_c.shape) and a_c.shape[-1] == hidden
    for a, t in [(a_out, t_out), (a_h, t_h), (a_c, t_c)]:
        assert a.dtype == dtype
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=tol, atol=tol)

    weights = [rng.standard_normal(t.shape).astype(dtype) for t in (t_out, t_h, t_c)]
    sum(
        (t * torch.tensor(w)).sum() for t, w in zip((t_out, t_h, t_c), weights)).backward()
    sum((a * w).sum() for a, w in zip((a_out, a_h, a_c), weights)).backward()
    for a, t in zip(a_in, t_in):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=tol, atol=tol)
    torch_grads = {name: p.grad.numpy() for name, p in theirs.named_parameters()}
    ours_in_torch_layout = ours._torch_export({n: p.grad for n, p in ours.named_parameters()})
    assert list(ours_in_torch_layout) == list(torch_grads)
    for name, grad in ours_in_torch_layout.items():
        np.testing.assert_allclose(grad, torch_grads[name], rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("bias", [True, False])
def test_dropout_between_layers_matches_torch_where_it_is_certain(bias):
    # Dropout masks are random (another generator than torch's); p=1 zeroes all of the
    # second layer's input in both, and eval mode drops nothing in both.
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_twin(torch, np.float64, input_size=3, hidden_size=4, proj_size=2,
                               num_layers=2, dropout=1.0, bias=bias)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    for training in (True, False):
        theirs.train(training)
        ours.train(training)
        t_out, (t_h, t_c) = theirs(torch.tensor(x))
        a_out, (a_h, a_c) = ours(ad.tensor(x))
        for a, t in [(a_out, t_out), (a_h, t_h), (a_c, t_c)]:
            np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_dropout_draws_masks_in_training_only():
    make = lambda: ad.nn.LSTM(3, 4, num_layers=2, proj_size=2, dropout=0.5, rng=3)  # noqa: E731
    x = ad.tensor(np.random.default_rng(1).standard_normal((5, 2, 3)))
    dropped, same_seed = make()(x)[0].data, make()(x)[0].data
    np.testing.assert_array_equal(dropped, same_seed)
    evaluated = make().eval()(x)[0].data
    plain = ad.nn.LSTM(3, 4, num_layers=2, proj_size=2, rng=3)(x)[0].data
    np.testing.assert_array_equal(evaluated, plain)
    assert not np.allclose(dropped, plain)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradcheck_through_inputs_states_and_every_parameter(bidirectional):
    rng = np.random.default_rng(4)
    lstm = ad.nn.LSTM(2, 3, num_layers=2, proj_size=2, bidirectional=bidirectional,
                      batch_first=True, rng=4)
    count = 4 if bidirectional else 2
    x = rng.standard_normal((2, 3, 2))
    h0, c0 = rng.standard_normal((count, 2, 2)), rng.standard_normal((count, 2, 3))
    params = [p.data.copy() for p in lstm.parameters()]
    assert any(name.startswith("weight_hr") for name, _ in lstm.named_parameters())
    weights = rng.standard_normal((2, 3, 4 if bidirectional else 2))

    def f(x, h0, c0, *ps):
        _with_params(lstm, ps)
        out, (h, c) = lstm(x, (h0, c0))
        return (out * weights).sum() + (h * h).sum() + (c * c).sum()
    assert ad.gradcheck(f, [x, h0, c0] + params)


def test_second_order_through_a_projected_layer():
    lstm = ad.nn.LSTM(2, 3, proj_size=2, rng=6)
    x = np.random.default_rng(6).standard_normal((3, 1, 2))
    assert ad.gradgradcheck(lambda t: (lstm(t)[0] ** 2).sum(), [x])


# ----- PyTorch's names, shapes, repr, initialisation ------------------------------------

CONFIGS = [dict(input_size=10, hidden_size=20, proj_size=5),
           dict(input_size=3, hidden_size=4, proj_size=1, num_layers=3),
           dict(input_size=3, hidden_size=4, proj_size=2, num_layers=2, bias=False,
                bidirectional=True),
           dict(input_size=3, hidden_size=6, proj_size=2, batch_first=True, dropout=0.25,
                num_layers=2, bidirectional=True)]


@pytest.mark.parametrize("config", CONFIGS)
def test_state_dict_keys_shapes_and_repr_are_torchs(config):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LSTM(**config)
    ours = ad.nn.LSTM(**config, rng=0)
    expected = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    exported = ours.to_torch_state_dict()
    assert list(exported) == list(expected)
    assert {k: v.shape for k, v in exported.items()} == expected
    assert list(ours.state_dict()) == list(expected)        # same names, this library's layout
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    assert ours.proj_size == theirs.proj_size


def test_torch_state_dict_round_trips():
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_twin(torch, np.float64, input_size=3, hidden_size=4, proj_size=2,
                               num_layers=2, bidirectional=True)
    for name, array in ours.to_torch_state_dict().items():
        np.testing.assert_array_equal(array, theirs.state_dict()[name].numpy())
    again = ad.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2, rng=5)
    again.load_state_dict(ours.state_dict())
    for (name, p), (_, q) in zip(ours.named_parameters(), again.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_every_weight_starts_uniform_within_one_over_sqrt_hidden():
    lstm = ad.nn.LSTM(30, 64, proj_size=16, num_layers=2, bidirectional=True, rng=0)
    bound = 1 / np.sqrt(64)
    for name, p in lstm.named_parameters():
        assert np.abs(p.data).max() <= bound, name
        assert np.abs(p.data).max() > 0.95 * bound, name      # the whole range is used
        assert abs(p.data.mean()) < 0.1 * bound, name
    assert lstm.weight_hr_l1_reverse.shape == (64, 16)       # x @ W layout of (16, 64)
    assert lstm.weight_hh_l1.shape == (16, 256)
    assert lstm.weight_ih_l1.shape == (32, 256)               # 2 directions of 16


# ----- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("proj_size, message", [
    (4, r"LSTM: proj_size has to be smaller than hidden_size, got proj_size=4 and "
        r"hidden_size=4"),
    (9, r"LSTM: proj_size has to be smaller than hidden_size"),
    (-1, r"LSTM: proj_size should be a positive integer or zero to disable projections, "
         r"got proj_size=-1")])
def test_proj_size_out_of_range_is_refused_as_torch_does(proj_size, message):
    with pytest.raises(ValueError, match=message):
        ad.nn.LSTM(3, 4, proj_size=proj_size)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message.split(", got")[0].removeprefix("LSTM: ")):
        torch.nn.LSTM(3, 4, proj_size=proj_size)


@pytest.mark.parametrize("proj_size", [2.0, True, "2"])
def test_proj_size_must_be_an_int(proj_size):
    with pytest.raises(TypeError, match=r"LSTM: proj_size must be an int"):
        ad.nn.LSTM(3, 4, proj_size=proj_size)


def test_states_of_the_wrong_size_are_refused_naming_the_sizes():
    lstm = ad.nn.LSTM(3, 4, num_layers=2, proj_size=2, bidirectional=True)
    x = ad.tensor(np.zeros((5, 2, 3)))
    label = r"LSTM\(3, 4, proj_size=2, num_layers=2, bidirectional=True\)"
    with pytest.raises(ValueError, match=label + r": expected h_0 of shape \(4, 2, 2\) "
                                                 r"\(num_layers \* 2 \(bidirectional\), batch, "
                                                 r"proj_size\), got \(4, 2, 4\)"):
        lstm(x, (np.zeros((4, 2, 4)), np.zeros((4, 2, 4))))
    with pytest.raises(ValueError, match=label + r": expected c_0 of shape \(4, 2, 4\) "
                                                 r"\(num_layers \* 2 \(bidirectional\), batch, "
                                                 r"hidden_size\), got \(4, 2, 2\)"):
        lstm(x, (np.zeros((4, 2, 2)), np.zeros((4, 2, 2))))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(4, 2\) \(num_layers \* 2 "
                                         r"\(bidirectional\), proj_size\) for unbatched"):
        lstm(ad.tensor(np.zeros((5, 3))), (np.zeros((4, 4)), np.zeros((4, 4))))


def test_the_recurrence_op_takes_projected_rows_over_one_step_only():
    gx, c0 = np.zeros((3, 2, 8)), np.zeros((2, 2))
    h0, w_hh = np.zeros((2, 1)), np.zeros((1, 8))
    assert rec.lstm_layer(gx[:1], h0, c0, w_hh).shape == (1, 2, 4)
    with pytest.raises(ValueError, match=r"lstm_layer: w_hh of shape \(1, 8\) has 1 rows, "
                                         r"not the hidden size 2.*3 steps"):
        rec.lstm_layer(gx, h0, c0, w_hh)


# ----- ad.compile -----------------------------------------------------------------------

@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_compiled_training_step_is_bitwise_the_eager_one(dropout):
    def make():
        lstm = ad.nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2,
                          batch_first=True, dropout=dropout, rng=0)
        opt = ad.optim.Adam(lstm.parameters(), lr=0.05)

        def step(x, h0, c0):
            opt.zero_grad()
            out, (h, c) = lstm(x, (h0, c0))
            loss = (out ** 2).mean() + (h * c[..., :2]).sum() + (c ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        return lstm, step
    eager_lstm, eager_step = make()
    compiled_lstm, compiled_step = make()
    compiled_step = ad.compile(compiled_step)
    rng = np.random.default_rng(1)
    for _ in range(4):
        args = (rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 2, 2)),
                rng.standard_normal((4, 2, 6)))
        np.testing.assert_array_equal(compiled_step(*args).data, eager_step(*args).data)
        for (name, p), (_, q) in zip(eager_lstm.named_parameters(),
                                     compiled_lstm.named_parameters()):
            np.testing.assert_array_equal(q.data, p.data, err_msg=name)
    assert compiled_step.traces == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sizes_that_take_the_compiled_cell_kernels_match_torch(dtype):
    # B * 4H >= 512 elements: the Numba cell kernels run (when the JIT is on).
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_twin(torch, dtype, input_size=8, hidden_size=32, proj_size=12,
                               num_layers=2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 16, 8)).astype(dtype)
    g = rng.standard_normal((4, 16, 12)).astype(dtype)
    t_x, a_x = torch.tensor(x, requires_grad=True), ad.tensor(x, requires_grad=True)
    t_out, _ = theirs(t_x)
    a_out, _ = ours(a_x)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(a_out.data, t_out.detach().numpy(), rtol=tol, atol=tol)
    t_out.backward(torch.tensor(g))
    a_out.backward(g)
    np.testing.assert_allclose(a_x.grad, t_x.grad.numpy(), rtol=tol, atol=tol)
    grads = ours._torch_export({n: p.grad for n, p in ours.named_parameters()})
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=tol, atol=tol,
                                   err_msg=name)
