"""ad.compile: what a replay gives back is what eager execution gives, call after call:
loading state inside a compiled function is refused, returned views are as writable
as eager's, tensors made from Python numbers start each call anew, and returned
objects keep their identity."""

import warnings
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

_SOURCE = Path(__file__).read_text().splitlines()


def _line(marker: str) -> str:
    """``test_compile_replay_fidelity.py:N`` of the line ending with ``# marker``."""
    numbers = [i + 1 for i, text in enumerate(_SOURCE) if text.endswith(f"# {marker}")]
    assert len(numbers) == 1, marker
    return f"{Path(__file__).name}:{numbers[0]}"


def _values(result):
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [np.array(getattr(t, "data", t)) for t in items]


def _agree(make, calls=4, x=np.ones(2)):
    """Call an eager and a compiled copy of ``make()``'s function ``calls`` times; the
    results of every call are equal.  Returns the compiled function."""
    eager, compiled = make(), ad.compile(make())
    for _ in range(calls):
        for e, c in zip(_values(eager(x)), _values(compiled(x)), strict=True):
            np.testing.assert_array_equal(c, e)
    return compiled


# ----- 1. loading state inside a compiled function ---------------------------------
def _model_and_state():
    model = ad.nn.Linear(2, 1, rng=0)
    state = {k: np.full_like(v, 0.5) for k, v in model.state_dict().items()}
    opt = ad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, state, opt


def test_module_load_state_dict_before_first_use_is_refused_naming_the_line():
    model, state, opt = _model_and_state()

    def step(x):
        model.load_state_dict(state)  # load before use
        loss = model(x.reshape(1, 2)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    before = model.weight.data.copy()
    with pytest.raises(TraceError) as caught:
        ad.compile(step)(np.ones(2))
    message = str(caught.value)
    assert f"Linear.load_state_dict is called at {_line('load before use')}" in message
    assert "Call it outside the compiled function" in message
    np.testing.assert_array_equal(model.weight.data, before)     # nothing was loaded


def test_module_load_state_dict_after_first_use_is_refused_naming_load_state_dict():
    model, state, _ = _model_and_state()

    def step(x):
        out = model(x.reshape(1, 2)).sum()
        model.load_state_dict(state)  # load after use
        return out
    with pytest.raises(TraceError) as caught:
        ad.compile(step)(np.ones(2))
    assert f"Linear.load_state_dict is called at {_line('load after use')}" in str(
        caught.value)


def test_optimizer_and_scheduler_load_state_dict_are_refused():
    model, _, opt = _model_and_state()
    model(ad.tensor(np.ones((1, 2)))).sum().backward()
    opt.step()
    saved = opt.state_dict()
    sched = ad.optim.lr_scheduler.StepLR(opt, step_size=1)
    sched_saved = sched.state_dict()

    def step(x):
        opt.load_state_dict(saved)  # optimizer load
        return model(x.reshape(1, 2)).sum()

    def schedule(x):
        sched.load_state_dict(sched_saved)  # scheduler load
        return model(x.reshape(1, 2)).sum()
    for fn, marker, label in ((step, "optimizer load", "SGD"),
                              (schedule, "scheduler load", "StepLR")):
        with pytest.raises(TraceError) as caught:
            ad.compile(fn)(np.ones(2))
        assert f"{label}.load_state_dict is called at {_line(marker)}" in str(caught.value)


def test_state_loaded_between_calls_is_read_by_the_next_replay():
    model, state, _ = _model_and_state()
    step = ad.compile(lambda x: model(x.reshape(1, 2)).sum())
    step(np.ones(2))
    step(np.ones(2))
    model.load_state_dict(state)
    assert float(step(np.ones(2)).data) == 1.5
    assert step.traces == 1


# ----- 2. returned views ------------------------------------------------------------
def _views_of_a_captured_tensor():
    # w's array is itself a view (of arange's), so NumPy gives w.T that as its base.
    w = ad.tensor(np.arange(6.0).reshape(2, 3))
    return w, lambda x: (w * ad.tensor(x), w.T, w[0], w.reshape(3, 2))


def test_views_of_a_captured_tensor_are_as_writable_as_eager_on_every_call():
    (_, eager), (_, compiled) = _views_of_a_captured_tensor(), _views_of_a_captured_tensor()
    compiled = ad.compile(compiled)
    for _ in range(3):
        e, c = eager(np.ones((2, 3))), compiled(np.ones((2, 3)))
        assert [t.data.flags.writeable for t in c] == [t.data.flags.writeable for t in e]
        assert all(t.data.flags.writeable for t in c)


def test_writing_into_a_returned_view_writes_into_the_captured_tensor_as_eager():
    w, fn = _views_of_a_captured_tensor()
    step = ad.compile(fn)
    _, transposed, row, _ = step(np.ones((2, 3)))      # the trace
    transposed.data[0, 0] = 7.0
    with ad.no_grad():
        row += 1.0
    np.testing.assert_array_equal(w.data, [[8.0, 2.0, 3.0], [3.0, 4.0, 5.0]])
    product, transposed, _, _ = step(np.ones((2, 3)))  # a replay reads the new values
    np.testing.assert_array_equal(product.data, w.data)
    transposed.data[1, 1] = -1.0
    assert w.data[1, 1] == -1.0


# ----- returned objects -------------------------------------------------------------
def test_returned_parameters_arguments_and_repeated_tensors_keep_their_identity():
    w = ad.tensor(np.arange(3.0), requires_grad=True)

    def step(x):
        w.grad = None
        (w * x).sum().backward()
        y = w * 2.0
        return w, y, y, {"y": y, "x": x}
    compiled = ad.compile(step)
    x = ad.tensor(np.ones(3))
    for _ in range(3):
        for out in (step(x), compiled(x)):
            returned_w, y, again, named = out
            assert returned_w is w and returned_w.grad is w.grad
            assert again is y and named["y"] is y and named["x"] is x
    assert compiled.traces == 1


def test_a_later_call_leaves_earlier_results_alone():
    w = ad.tensor(np.ones((64, 64)))
    step = ad.compile(lambda x: ((ad.tensor(x) @ w) + 1.0).T)
    first = step(np.ones((64, 64)))
    second = step(np.ones((64, 64)))
    step(np.full((64, 64), 3.0))
    np.testing.assert_array_equal(first.data, 65.0)
    np.testing.assert_array_equal(second.data, 65.0)
    assert not any(np.shares_memory(second.data, b) for b in step.plan.buffers)


# ----- 3. tensors made from Python numbers, written later in the call ---------------
def _add_under_no_grad(x):
    c = ad.tensor([0.0, 0.0])
    y = ad.tensor(x) + c
    with ad.no_grad():
        c += 1.0
    return y * 1.0, c * 1.0


def _add_in_grad_mode(x):
    c = ad.tensor([0.0, 0.0])
    y = ad.tensor(x) + c
    c += 1.0
    return y * 1.0, c * 1.0


def _setitem(x):
    c = ad.tensor([0.0, 0.0])
    y = ad.tensor(x) + c
    c[0] = 1.0
    return y * 1.0, c * 1.0


def _through_a_view(x):
    c = ad.tensor([0.0, 0.0, 0.0])
    y = ad.tensor(x) * c.sum()
    with ad.no_grad():
        head = c[0:2]
        head += 1.0
    return y, c * 1.0


def _before_first_use(x):
    c = ad.tensor([0.0, 0.0])
    with ad.no_grad():
        c += 2.0
    return ad.tensor(x) + c, c


@pytest.mark.parametrize("fn", [_add_under_no_grad, _add_in_grad_mode, _setitem,
                                _through_a_view, _before_first_use])
def test_a_tensor_made_from_numbers_and_written_later_replays_as_eager(fn):
    compiled = _agree(lambda: fn, calls=5)
    assert compiled.traces == 1


def test_a_numpy_write_into_a_tensor_made_from_numbers_is_refused_naming_the_line():
    def step(x):
        c = ad.tensor([0.0, 0.0])
        alias = c.data                  # taken before the first use
        y = ad.tensor(x) + c
        alias[0] = 1.0  # write through alias
        return y
    with pytest.raises(TraceError) as caught:
        ad.compile(step)(np.ones(2))
    message = str(caught.value)
    assert "a tensor made in the call from Python numbers" in message
    assert f"assigned at {_line('write through alias')}" in message


def test_a_value_of_the_call_written_into_a_tensor_made_from_numbers_is_refused():
    def step(x):
        c = ad.tensor([0.0, 0.0])
        c.data[0] = x.data.sum()  # value of the call
        return x * c
    with pytest.raises(TraceError) as caught:
        ad.compile(step)(ad.tensor(np.ones(2)))
    assert f"assigned at {_line('value of the call')}" in str(caught.value)


def test_a_tensor_made_from_numbers_and_returned_is_new_at_each_call():
    def step(x):
        c = ad.tensor([0.0, 0.0])
        return ad.tensor(x) + c, c, c.reshape(2, 1)
    compiled = ad.compile(step)
    first = compiled(np.ones(2))
    second = compiled(np.ones(2))
    second[1].data[0] = 9.0
    second[2].data[1, 0] = 9.0
    third = compiled(np.ones(2))
    for result in (first, third):
        np.testing.assert_array_equal(result[1].data, [0.0, 0.0])
        np.testing.assert_array_equal(result[2].data, [[0.0], [0.0]])
    assert not np.shares_memory(first[1].data, third[1].data)
    assert compiled.traces == 1


def _leaf_updated_in_place(x):
    h = ad.tensor([1.0, 2.0], requires_grad=True)
    (h * ad.tensor(x)).sum().backward()
    with ad.no_grad():
        h -= 0.1 * ad.tensor(h.grad)
    return h * 1.0, ad.tensor(h.grad) * 1.0


def _leaf_and_optimizer_made_in_the_call(x):
    h = ad.tensor([1.0, 2.0], requires_grad=True)
    opt = ad.optim.SGD([h], lr=0.1)
    (h * ad.tensor(x)).sum().backward()
    opt.step()
    return h * 1.0


@pytest.mark.parametrize("fn", [_leaf_updated_in_place, _leaf_and_optimizer_made_in_the_call])
def test_a_leaf_made_from_numbers_starts_each_call_from_those_numbers(fn):
    compiled = _agree(lambda: fn, calls=4)
    assert compiled.traces == 1


def test_returning_a_graph_no_backward_used_warns_at_the_callers_line():
    """A replay returns computed tensors without history: the trace warns when the
    function returns one whose graph a backward after the call could still follow."""
    from autodiff.tape_drop import TapeDropWarning
    w = ad.tensor(np.ones(3), requires_grad=True)
    encoder = ad.compile(lambda x: ad.tanh(x * w))
    with pytest.warns(TapeDropWarning, match=r"compile: <lambda> returns a tensor of shape "
                                             r"\(3,\) made by 'tanh' with a graph") as caught:
        encoder(np.ones(3))
    assert caught[0].filename == __file__
    replayed = encoder(np.ones(3))                  # requires grad, as the trace's did,
    assert replayed.requires_grad                   # but a backward through it refuses
    with pytest.raises(RuntimeError, match=r"replay of the compiled function <lambda>"):
        replayed.sum().backward()

    def step(x):
        loss = ad.tanh(x * w).sum()
        loss.backward()
        return loss, x * 2                              # a backward used loss's graph
    inference = ad.compile(lambda x: ad.tanh(x * w))
    with warnings.catch_warnings():
        warnings.simplefilter("error", TapeDropWarning)
        ad.compile(step)(np.ones(3))
        with ad.no_grad():
            inference(np.ones(3))                       # no graph made: no warning


def test_returning_a_tensor_whose_grad_the_call_filled_is_refused():
    """A retained intermediate or a leaf made in the call, returned: eager's has its
    .grad, a replay's would not, so the trace refuses it."""
    w = ad.tensor(np.ones(3), requires_grad=True)
    G = np.arange(3.0)

    def retained(x):
        h = x * w
        h.retain_grad()
        ad.tanh(h).sum().backward()
        return h

    def leaf_made_here(x):
        t = ad.tensor(G, requires_grad=True)
        (ad.sin(t) * x).sum().backward()
        return t
    for fn in (retained, leaf_made_here):
        with pytest.raises(TraceError, match=rf"compile: {fn.__name__} returns a tensor of "
                                             r"shape \(3,\) whose .grad the call filled"):
            ad.compile(fn)(np.ones(3))
