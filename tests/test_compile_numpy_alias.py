"""ad.compile: NumPy writing in place into a traced array (through ``.data``, an alias
of it, or ``.grad``) is refused while tracing, naming the line; the library's own
in-place writes still run and replay as in eager execution."""

import gc
import re
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

_SOURCE = Path(__file__).read_text().splitlines()


def _line(marker: str) -> str:
    """``test_compile_numpy_alias.py:N`` of the line ending with ``# marker``."""
    numbers = [i + 1 for i, text in enumerate(_SOURCE) if text.endswith(f"# {marker}")]
    assert len(numbers) == 1, marker
    return f"{Path(__file__).name}:{numbers[0]}"


def _refused(fn, *args, marker, what):
    with pytest.raises(TraceError) as caught:
        fn(*args)
    message = str(caught.value)
    assert f"assigned at {_line(marker)}" in message, message
    assert re.search(what, message), message
    return message


# ----- writes the trace would run once and replays would skip ------------------------
def _alias(w):
    a = w.data
    a -= 0.1 * w.grad  # alias


def _out_argument(w):
    np.subtract(w.data, 0.1 * w.grad, out=w.data)  # out argument


def _setitem(w):
    w.data[...] = w.data - 0.1 * w.grad  # setitem


def _copyto(w):
    np.copyto(w.data, w.data - 0.1 * w.grad)  # copyto


def _slice_of_alias(w):
    head = w.data[:2]
    head *= 0.5  # slice


def _sort(w):
    w.data.sort()  # sort


@pytest.mark.parametrize("update, marker", [
    (_alias, "alias"), (_out_argument, "out argument"), (_setitem, "setitem"),
    (_copyto, "copyto"), (_slice_of_alias, "slice"), (_sort, "sort")])
def test_numpy_writing_into_a_parameter_is_refused_naming_the_line(update, marker):
    w = ad.tensor(np.ones(3), requires_grad=True, name="w")

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        w.grad = None
        loss.backward()
        update(w)
        return loss

    message = _refused(step, np.ones(3), marker=marker,
                       what=r"\.data of w, a tensor from before the call")
    assert "ad.optim" in message and "ad.no_grad()" in message
    # Nothing was written, and the array is writable again after the refused trace.
    assert np.array_equal(w.data, np.ones(3)) and w.data.flags.writeable
    w.data -= 1.0


def test_an_alias_taken_before_the_call_is_read_only_from_the_first_use():
    w = ad.tensor(np.ones(3), requires_grad=True, name="w")
    alias = w.data

    @ad.compile
    def step(x):
        loss = (w * x).sum()
        w.grad = None
        loss.backward()
        alias[...] -= 0.1 * w.grad  # closure alias
        return loss

    _refused(step, np.ones(3), marker="closure alias", what=r"\.data of w")
    assert alias.flags.writeable


def test_numpy_writing_into_a_grad_is_refused():
    w = ad.tensor(np.ones(3), requires_grad=True, name="w")

    @ad.compile
    def doubled(x):
        w.grad = None
        (w * x).sum().backward()
        w.grad *= 2  # grad in place
        return w.grad

    @ad.compile
    def clipped(x):
        w.grad = None
        (w * x).sum().backward()
        g = w.grad
        np.clip(g, -1.0, 1.0, out=g)  # grad clip
        return w.grad

    message = _refused(doubled, np.ones(3), marker="grad in place", what=r"\.grad of w")
    assert "clip_grad_norm_" in message
    _refused(clipped, np.full(3, 5.0), marker="grad clip", what=r"\.grad of w")
    assert w.grad.flags.writeable


def test_the_array_the_line_read_is_named_before_other_held_arrays_of_its_frame():
    # The helper also receives a module: its buffers are held and in the frame, but
    # the line wrote into the .grad it read.
    lin, bn = ad.nn.Linear(2, 1, rng=0), ad.nn.BatchNorm1d(1)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)

    def scale_grad(layer, norm):
        layer.weight.grad *= 2  # helper writes grad

    @ad.compile
    def step(x):
        loss = bn(lin(ad.tensor(x))).sum()
        opt.zero_grad()
        loss.backward()
        scale_grad(lin, bn)
        opt.step()
        return loss

    x = np.random.default_rng(0).standard_normal((8, 2))
    message = _refused(step, x, marker="helper writes grad", what=r"\.grad of weight")
    assert "running_mean" not in message


def test_numpy_writing_into_an_argument_or_a_computed_value_is_refused():
    w = ad.tensor(np.ones(3), requires_grad=True)

    @ad.compile
    def scaled_input(x):
        x.data /= 2.0  # argument
        return (w * x).sum()

    @ad.compile
    def numpy_relu(x):
        h = w * x
        h.data[h.data < 0] = 0.0  # computed
        return h.sum()

    x = np.array([1.0, -2.0, 3.0])
    _refused(scaled_input, x, marker="argument", what=r"\.data of an argument")
    _refused(numpy_relu, x, marker="computed", what=r"\.data of the output of 'multiply'")
    assert np.array_equal(x, [1.0, -2.0, 3.0]) and x.flags.writeable


def test_numpy_writing_into_a_module_buffer_is_refused():
    bn = ad.nn.BatchNorm1d(2)

    @ad.compile
    def step(x):
        y = bn(x).sum()
        bn.running_mean.data *= 0.0  # buffer
        return y

    x = np.random.default_rng(0).normal(size=(4, 2))
    _refused(step, x, marker="buffer", what=r"buffer 'running_mean' of BatchNorm1d")
    assert bn.running_mean.data.flags.writeable


def test_batch_norm_running_statistics_still_replay_as_eager():
    rng = np.random.default_rng(1)
    batches = [rng.normal(size=(8, 3)) for _ in range(4)]
    results = []
    for compiled in (False, True):
        bn = ad.nn.BatchNorm1d(3)

        def step(x, bn=bn):
            bn.running_var.sum()                 # a read of a buffer is fine
            return (bn(x) ** 2).mean()

        fn = ad.compile(lambda x: step(x)) if compiled else (lambda x: step(ad.tensor(x)))
        losses = [fn(x).data.copy() for x in batches]
        results.append((losses, bn.running_mean.clone(), bn.running_var.clone()))
    for eager, replayed in zip(*results):
        np.testing.assert_allclose(replayed, eager, rtol=1e-12)


# ----- what still runs: reads, and the library's own writes, replayed ----------------
def _train(compiled: bool, update: str):
    rng = np.random.default_rng(0)
    w = ad.tensor(rng.normal(size=(4, 2)), requires_grad=True, name="w")
    opt = ad.optim.SGD([w], lr=0.1, momentum=0.5)
    seen = []

    def step(x):
        before = w.data.copy()             # reads of .data and .grad are fine
        loss = ((x @ w) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        seen.append(float(np.abs(w.grad).max()))
        if update == "optimizer":
            ad.nn.utils.clip_grad_norm_([w], 0.5)
            opt.step()
        else:
            with ad.no_grad():
                for p in (w,):
                    p -= 0.1 * ad.tensor(p.grad)
                w.data.shape                # (read again after the recorded update)
        assert before.shape == w.shape
        return loss

    fn = ad.compile(step) if compiled else step
    losses = [fn(rng.normal(size=(5, 4))).data.copy() for _ in range(4)]
    return losses, w.data.copy(), fn


# (the step appends to ``seen`` only while tracing: warned, and expected here)
@pytest.mark.filterwarnings("ignore:compile. step changed the size of the list seen")
@pytest.mark.parametrize("update", ["optimizer", "no_grad"])
def test_reading_data_and_grad_then_updating_through_the_library_replays_as_eager(update):
    eager_losses, eager_w, _ = _train(False, update)
    losses, w, step = _train(True, update)
    assert step.traces == 1
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    np.testing.assert_allclose(w, eager_w, rtol=1e-12)


def test_arrays_are_writable_after_the_trace_and_in_place_tensor_ops_still_work():
    w = ad.tensor(np.ones(3), requires_grad=True)
    buf = ad.tensor(np.zeros(3))

    @ad.compile
    def step(x):
        w.data, buf.data                     # held read-only while tracing
        loss = (w * x).sum()
        w.grad = None
        loss.backward()
        with ad.no_grad():
            buf.copy_(buf * 0.5 + w.grad)    # recorded: a replay repeats it
            w[0] = 2.0
            w.clamp_(0.0, 1.5)
        return loss

    step(np.ones(3))
    step(np.ones(3))
    assert np.array_equal(buf.data, [1.5, 1.5, 1.5])
    assert np.array_equal(w.data, [1.5, 1.0, 1.0])
    for array in (w.data, w.grad, buf.data):
        assert array.flags.writeable


def test_a_view_returned_by_the_trace_is_writable_as_in_eager():
    @ad.compile
    def transposed(x):
        x.data                               # held read-only while tracing
        return x.T

    out = transposed(np.ones((2, 3)))
    assert out.data.flags.writeable
    out.data[0, 0] = 5.0


def test_the_mutation_guard_keeps_its_refusal_and_its_read_only_arrays():
    w = ad.tensor(np.ones(3), requires_grad=True)

    def step_before_backward(x):
        loss = (w * w * x).sum()
        w.data -= 0.1                        # eager refuses this too: a graph saved w
        return loss

    for fn in (step_before_backward, ad.compile(step_before_backward)):
        with pytest.raises(ValueError, match="read-only") as caught:
            fn(ad.tensor(np.ones(3)))
        assert not isinstance(caught.value, TraceError)
    del caught                               # its frames hold the graph
    gc.collect()
    assert w.data.flags.writeable

    @ad.compile
    def forward_only(x):
        w.data                               # held, and guarded by the graph returned
        return (w * w * x).sum()

    loss = forward_only(np.ones(3))
    assert not w.data.flags.writeable        # as in eager: the graph still needs w
    del loss
    gc.collect()
    assert w.data.flags.writeable


def test_an_array_read_before_backward_stays_held_after_the_graph_is_freed():
    w = ad.tensor(np.ones(3), requires_grad=True, name="w")

    @ad.compile
    def step(x):
        a = w.data                           # guarded now, and held
        loss = (w * x).sum()
        w.grad = None
        loss.backward()                      # frees the graph: the guard lets go
        a -= 0.1 * w.grad  # after backward
        return loss

    _refused(step, np.ones(3), marker="after backward", what=r"\.data of w")
    assert w.data.flags.writeable


# ----- a documented limit: a value from .data steering Python ------------------------
def test_a_branch_on_raw_data_is_traced_as_taken_as_documented():
    w = ad.tensor(np.ones(2), requires_grad=True)

    @ad.compile
    def step(x):
        y = w * x
        if (x.data > 0).all():               # NumPy on .data: the tracer cannot see it
            return y.sum()
        return -y.sum()

    assert step(np.ones(2)).data == 2.0
    # The replay follows the traced branch: eager would give 2.0 here.
    assert step(-np.ones(2)).data == -2.0
    assert "x.data > 0" in ad.compile.__doc__
