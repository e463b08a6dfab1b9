"""``inplace=True`` of the dropout family: the input is written and returned, with the
values and gradients of the out-of-place call for the same seed."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.inplace import InPlaceError

F = ad.nn.functional
nn = ad.nn

# (function, input shape, training passed positionally)
CASES = [
    (F.dropout, (3, 4)),
    (F.dropout1d, (2, 3, 4)),
    (F.dropout1d, (3, 4)),
    (F.dropout2d, (2, 3, 2, 2)),
    (F.dropout3d, (2, 3, 2, 2, 2)),
    (F.dropout3d, (3, 2, 2, 2)),
    (F.alpha_dropout, (3, 4)),
    (F.feature_alpha_dropout, (2, 3, 4)),
]
IDS = [f"{fn.__name__}-{len(shape)}d" for fn, shape in CASES]


def _data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("fn, shape", CASES, ids=IDS)
@pytest.mark.parametrize("p", [0.3, 1.0])
def test_inplace_writes_the_out_of_place_values_into_the_input_and_returns_it(fn, shape, p):
    x = ad.tensor(_data(shape))
    expected = fn(ad.tensor(_data(shape)), p, True, False, rng=4).data
    out = fn(x, p, True, True, rng=4)
    assert out is x
    assert out.data.tobytes() == expected.tobytes()


@pytest.mark.parametrize("fn, shape", CASES, ids=IDS)
def test_eval_mode_or_p_zero_returns_the_input_unchanged_even_a_leaf_that_requires_grad(
        fn, shape):
    x = ad.tensor(_data(shape), requires_grad=True)
    before = x.data.copy()
    assert fn(x, 0.5, False, True, rng=0) is x
    assert fn(x, 0.0, True, True, rng=0) is x
    np.testing.assert_array_equal(x.data, before)
    assert x._node is None


def _loss(fn, w, g, inplace, p=0.4, seed=9):
    h = w * 1.5                                 # not a leaf: it may be written
    out = fn(h, p, True, inplace, rng=seed)
    assert (out is h) == inplace
    return (out * g).sum()


@pytest.mark.parametrize("fn, shape", CASES, ids=IDS)
def test_gradients_equal_the_out_of_place_ones_and_central_differences(fn, shape):
    g = _data(shape, 1)
    grads = []
    for inplace in (False, True):
        w = ad.tensor(_data(shape), requires_grad=True)
        _loss(fn, w, g, inplace).backward()
        grads.append(w.grad)
    assert grads[0].tobytes() == grads[1].tobytes()

    # The mask is fixed by the seed, so the loss is a function of w alone.
    base, step = _data(shape), 1e-6
    numeric = np.zeros(shape)
    for i in np.ndindex(shape):
        plus, minus = base.copy(), base.copy()
        plus[i] += step
        minus[i] -= step
        numeric[i] = (_loss(fn, ad.tensor(plus), g, True).item()
                      - _loss(fn, ad.tensor(minus), g, True).item()) / (2 * step)
    np.testing.assert_allclose(grads[1], numeric, rtol=1e-6, atol=1e-8)


def test_dropout_inplace_against_a_hand_written_mask():
    x0 = _data((5, 6))
    mask = (np.random.default_rng(2).random((5, 6)) >= 0.25) / 0.75
    w = ad.tensor(x0, requires_grad=True)
    h = w * 1.0
    F.dropout(h, 0.25, inplace=True, rng=2)
    np.testing.assert_array_equal(h.data, x0 * mask)
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, mask)


def test_alpha_dropout_inplace_against_the_hand_written_affine_map():
    p, alpha = 0.2, 1.7580993408473766
    x0 = _data((4, 5))
    keep = np.random.default_rng(3).random((4, 5)) >= p
    a = 1.0 / np.sqrt((alpha * alpha * p + 1.0) * (1.0 - p))
    expected = x0 * (keep * a) + ((keep - 1.0) * alpha * a + alpha * a * p)
    x = ad.tensor(x0)
    F.alpha_dropout(x, p, True, True, rng=3)
    np.testing.assert_allclose(x.data, expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("fn, shape", CASES, ids=IDS)
def test_a_leaf_that_requires_grad_is_refused_saying_to_pass_inplace_false(fn, shape):
    w = ad.tensor(_data(shape), requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"^{fn.__name__}_: .*leaf that requires grad.*"
                                           r"For a dropout: pass inplace=False"):
        fn(w, 0.5, True, True, rng=0)
    np.testing.assert_array_equal(w.data, _data(shape))


def test_under_no_grad_a_leaf_is_written_unless_a_live_graph_saved_it():
    w = ad.tensor(np.ones(6), requires_grad=True)
    with ad.no_grad():
        assert F.dropout(w, 0.5, inplace=True, rng=0) is w
    np.testing.assert_array_equal(w.data, F.dropout(ad.tensor(np.ones(6)), 0.5, rng=0).data)

    v = ad.tensor(np.ones(3), requires_grad=True)
    loss = (v * v).sum()                        # multiply saved v for its backward
    with ad.no_grad(), pytest.raises(InPlaceError, match="dropout_: cannot change tensor"):
        F.dropout(v, 0.5, inplace=True, rng=0)
    loss.backward()
    np.testing.assert_array_equal(v.grad, np.full(3, 2.0))


def test_an_unrecorded_write_of_a_saved_intermediate_is_refused_by_the_backward():
    # As PyTorch's version counter: the write goes through, the backward refuses.
    v = ad.tensor(np.ones(3), requires_grad=True)
    h = v * 2.0
    loss = (h * h).sum()
    with ad.no_grad():
        F.dropout(h, 0.5, inplace=True, rng=0)
    with pytest.raises(InPlaceError, match="backward: op 'multiply' saved its input"):
        loss.backward()


def test_a_recorded_inplace_dropout_leaves_values_an_earlier_op_saved_intact():
    w = ad.tensor(np.arange(1.0, 5.0), requires_grad=True)
    h = w * 1.0
    square = h * h                              # saved h's old values
    F.dropout(h, 0.5, inplace=True, rng=1)
    (square.sum() + h.sum()).backward()
    mask = F.dropout(ad.tensor(np.ones(4)), 0.5, rng=1).data
    np.testing.assert_array_equal(w.grad, 2 * np.arange(1.0, 5.0) + mask)


@pytest.mark.parametrize("layer", [nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                                   nn.AlphaDropout, nn.FeatureAlphaDropout])
def test_layers_take_inplace_and_show_it(layer):
    shape = {nn.Dropout: (3, 4), nn.AlphaDropout: (3, 4), nn.Dropout3d: (2, 3, 2, 2, 2),
             nn.Dropout2d: (2, 3, 2, 2)}.get(layer, (2, 3, 4))
    module = layer(0.5, inplace=True, rng=0)
    assert repr(module) == f"{layer.__name__}(p=0.5, inplace=True)"
    expected = layer(0.5, rng=0)(ad.tensor(_data(shape))).data
    x = ad.tensor(_data(shape))
    assert module(x) is x
    assert x.data.tobytes() == expected.tobytes()
    x = ad.tensor(_data(shape))
    assert module.eval()(x) is x
    np.testing.assert_array_equal(x.data, _data(shape))


def test_inplace_needs_a_tensor_to_write_into():
    with pytest.raises(TypeError, match="dropout: inplace=True writes into the input, which "
                                        "must be a Tensor, got ndarray"):
        F.dropout(np.ones(3), 0.5, inplace=True)
    with pytest.raises(TypeError, match="alpha_dropout: inplace=True writes into the input"):
        F.alpha_dropout([1.0, 2.0], 0.5, True, True)


def _model(inplace):
    return nn.Sequential(nn.Linear(4, 6, rng=0), nn.ReLU(), nn.Dropout(0.5, inplace=inplace,
                                                                      rng=1),
                         nn.Linear(6, 2, rng=2))


def test_a_compiled_step_with_an_inplace_dropout_layer_replays_as_eager():
    xs = np.random.default_rng(0).normal(size=(5, 3, 4))

    def make(model):
        opt = ad.optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        return step

    models = [_model(False), _model(True), _model(True)]
    steps = [make(models[0]), make(models[1]), ad.compile(make(models[2]))]
    for x in xs:
        losses = [step(x).data.tobytes() for step in steps]
        assert losses[0] == losses[1] == losses[2]
    for a, b in zip(models[0].parameters(), models[2].parameters()):
        assert a.data.tobytes() == b.data.tobytes()
    assert steps[2].traces == 1


def test_a_compiled_inplace_alpha_dropout_under_no_grad_replays_as_eager():
    def make():
        gen = np.random.default_rng(5)

        def step(x):
            with ad.no_grad():
                h = x * 1.0
                F.alpha_dropout(h, 0.3, True, True, rng=gen)
            return h
        return step

    eager, compiled = make(), ad.compile(make())
    for x in np.random.default_rng(1).normal(size=(4, 2, 5)):
        assert eager(ad.tensor(x)).data.tobytes() == compiled(ad.tensor(x)).data.tobytes()


def test_torch_returns_the_input_and_refuses_a_leaf_as_the_library_does():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    t = torch.ones(3, requires_grad=True)
    assert tf.dropout(t, 0.5, False, True) is t
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        tf.dropout(t, 0.5, True, True)
    x = torch.tensor(_data((2, 3)), requires_grad=True)
    h = x * 1.0
    assert tf.dropout(h, 1.0, True, True) is h
    h.sum().backward()
    w = ad.tensor(_data((2, 3)), requires_grad=True)
    hh = w * 1.0
    F.dropout(hh, 1.0, True, True)
    hh.sum().backward()
    np.testing.assert_array_equal(hh.data, h.detach().numpy())
    np.testing.assert_array_equal(w.grad, x.grad.numpy())


def test_torch_alpha_dropout_p_one_inplace_matches():
    torch = pytest.importorskip("torch")
    x = torch.tensor(_data((2, 3)), requires_grad=True)
    h = x * 1.0
    torch.nn.functional.alpha_dropout(h, 1.0, True, True).sum().backward()
    w = ad.tensor(_data((2, 3)), requires_grad=True)
    hh = w * 1.0
    F.alpha_dropout(hh, 1.0, True, True).sum().backward()
    np.testing.assert_array_equal(hh.data, h.detach().numpy())
    np.testing.assert_array_equal(w.grad, x.grad.numpy())
