"""ad.compile refuses at the trace what a replay could not repeat, and traces again
when what the step reads changed between calls."""



import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.nn import functional as F

# ----- refusals ---------------------------------------------------------------------

W = ad.tensor([1.0, -2.0], requires_grad=True)


@pytest.mark.parametrize("body, words", [
    (lambda x: (W * x).sum().item(), "item()"),
    (lambda x: float((W * x).sum()), "item()"),
    (lambda x: W * 2 if (W * x).sum() > 0 else W, "bool()"),
    (lambda x: np.asarray(W * x) + 1, "np.asarray"),
])
def test_values_leaving_the_library_are_refused_naming_the_op_and_line(body, words):
    f = ad.compile(body)
    with pytest.raises(TraceError) as error:
        f(np.ones(2))
    message = str(error.value)
    assert words in message and "test_compile_refusals.py" in message


def test_a_refusal_inside_numpys_own_code_names_the_users_line_and_the_numpy_function():
    # np.poly1d calls trim_zeros on the traced coefficients, from NumPy's Python code
    f = ad.compile(lambda x: np.poly1d(W * x)(0.5))
    with pytest.raises(TraceError, match=r"trim_zeros at test_compile_refusals\.py:\d+ "
                       r"\(inside np\.poly1d\)"):
        f(np.ones(2))


def test_numpy_on_grad_inside_the_function_is_refused():
    p = ad.tensor([1.0, 2.0], requires_grad=True)

    def manual_sgd(x):
        (p * x).sum().backward()
        with ad.no_grad():
            p.sub_(0.1 * p.grad)        # NumPy on .grad: a replay could not follow it
        p.grad = None

    f = ad.compile(manual_sgd)
    with pytest.raises(TraceError, match="test_compile_refusals.py.*outside the library"):
        f(np.ones(2))


def test_in_place_updates_in_no_grad_replay_like_eager():
    def make():
        p = ad.tensor([1.0, 2.0, -0.5], requires_grad=True)

        def manual_sgd(x):
            loss = (ad.sigmoid(p * x) ** 2).sum()
            loss.backward()
            with ad.no_grad():
                p.sub_(ad.tensor(p.grad) * 0.1)     # tensor ops on .grad: recorded
                p.clamp_(-1.0, 1.5)
                p[0] = 0.25 * p[1]
            p.grad = None
            return loss
        return p, manual_sgd

    p, eager = make()
    q, step = make()
    step = ad.compile(step, fuse=False)     # bitwise: a fused sigmoid is a few ulp apart
    for k in range(5):
        x = np.array([1.0, -1.0, 0.5]) * (k + 1)
        assert eager(x).data == step(x).data
        assert np.array_equal(p.data, q.data)
    assert step.traces == 1


def test_a_function_replays_its_forward_and_backward():
    class Cube(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved
            return grad * 3 * x ** 2

    w = ad.tensor([1.0, -2.0], requires_grad=True)

    def f(x):
        w.grad = None
        y = Cube.apply(w * x).sum()
        y.backward()
        return y, w.grad

    g = ad.compile(f)
    for k in range(3):
        x = np.array([1.0, 0.5 + k])
        y1, g1 = f(x)
        g1 = g1.copy()
        y2, g2 = g(x)
        assert y1.data == y2.data and np.array_equal(g1, g2)


def test_custom_gradient_is_refused():
    @ad.custom_gradient
    def scaled(x):
        return x * 2.0, lambda g: g * 2.0 * x

    f = ad.compile(lambda x: scaled(W * x).sum())
    with pytest.raises(TraceError, match="custom_gradient"):
        f(np.ones(2))


def test_returning_an_array_no_step_made_is_refused():
    def f(x):
        h = W * x
        h.retain_grad()
        (h ** 2).sum().backward()
        W.grad = None
        return h.grad                   # set by the engine, not by a recorded step

    with pytest.raises(TraceError, match="returns an array of shape"):
        ad.compile(f)(np.ones(2))
    with pytest.raises(TraceError, match="returns an array of shape"):
        ad.compile(lambda x: (W * x, W.data * 2))(np.ones(2))
    with pytest.raises(TraceError, match="returns the number"):
        ad.compile(lambda x: float((W * x).sum().data))(np.ones(2))


def test_global_random_numbers_are_refused():
    f = ad.compile(lambda x: (W * x * ad.tensor(np.random.normal(size=2))).sum())
    with pytest.raises(TraceError, match="random"):
        f(np.ones(2))


@pytest.mark.parametrize("make", [
    lambda rng: ad.tensor(rng.normal(size=2)),          # a draw outside any rng= argument
    lambda rng: ad.tensor(W.data * 2.0),                # NumPy on .data
])
def test_tensors_made_from_arrays_built_outside_the_library_are_refused(make):
    rng = np.random.default_rng(0)
    f = ad.compile(lambda x: (W * x * make(rng)).sum())
    with pytest.raises(TraceError, match="test_compile_refusals.py.*made during the call"):
        f(np.ones(2))


@pytest.mark.parametrize("make", [
    lambda x, rng: x.data.sum(),                        # a NumPy scalar from .data
    lambda x, rng: np.mean(W.data),
    lambda x, rng: np.asarray(x.data.sum()),            # a 0-d array
    lambda x, rng: ad.tensor(x.data.max()),             # a 0-d tensor
])
def test_zero_d_values_made_from_data_in_the_call_are_refused(make):
    rng = np.random.default_rng(0)
    f = ad.compile(lambda x: (W * x).sum() * make(x, rng))
    with pytest.raises(TraceError, match="test_compile_refusals.py.*made during the call"):
        f(np.ones(2))


def test_numbers_drawn_from_a_captured_generator_are_refused():
    rng = np.random.default_rng(0)
    f = ad.compile(lambda x: (W * x).sum() * rng.normal())     # a Python float
    with pytest.raises(TraceError, match="random generator 'rng'"):
        f(np.ones(2))


SCALE = np.float64(3.0)


def test_numbers_from_before_the_call_and_generators_given_to_ops_are_fine():
    rng = np.random.default_rng(0)
    half = np.float32(0.5)

    def f(x):
        return ((W * x).sum() * SCALE * half * 2.0 + ad.rand(2, rng=rng)).sum()

    step = ad.compile(f)
    first, second = step(np.ones(2)).data, step(np.ones(2)).data
    assert first != second and step.traces == 1            # drawn again at the replay


def test_tensors_made_in_the_call_from_python_numbers_are_constants():
    def f(x):
        return (W * x * ad.tensor([2.0, 3.0])).sum() - ad.tensor(1.0)

    step = ad.compile(f)
    for x in (np.ones(2), np.array([2.0, -1.0])):
        assert step(x).data == f(x).data
    assert step.traces == 1


def test_constant_tensors_made_outside_the_function_are_fine():
    scale = ad.tensor([2.0, 3.0])
    f = ad.compile(lambda x: (W * x * scale).sum())
    assert f(np.ones(2)).data == f(np.ones(2)).data == -4.0


def test_grad_set_to_none_by_hand_is_replayed():
    def make():
        p = ad.tensor([1.0, 2.0], requires_grad=True)

        def f(x):
            y = (p * p * x).sum()
            p.grad = None               # not through zero_grad: seen at the next op
            y.backward()
            return y
        return p, f

    p, eager = make()
    q, step = make()
    step = ad.compile(step)
    for k in range(3):
        eager(np.ones(2) * k)
        step(np.ones(2) * k)
        assert np.array_equal(p.grad, q.grad)
    assert "clear_grad" in str(step.plan)


def test_grad_set_to_an_array_by_hand_is_refused():
    p = ad.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        y = (p * x).sum()
        p.grad = np.zeros(2)
        y.backward()

    with pytest.raises(TraceError, match="is set to an array at test_compile_refusals.py"):
        ad.compile(f)(np.ones(2))


def _update_data_in_place(w, ema):
    w.data -= 0.1 * w.grad              # NumPy in place, then w.data = that array


def _assign_data(w, ema):
    ema.data = 0.9 * ema.data + 0.1 * w.data


@pytest.mark.parametrize("update", [_update_data_in_place, _assign_data])
def test_assigning_data_of_a_tensor_from_before_the_call_is_refused(update):
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    ema = ad.tensor([0.0, 0.0])

    def f(x):
        w.grad = None
        (w * x).sum().backward()
        update(w, ema)

    with pytest.raises(TraceError, match=r"\.data of .* assigned at test_compile_refusals.py"):
        ad.compile(f)(np.ones(2))


def test_data_of_a_tensor_made_in_the_call_may_be_assigned():
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        h = w * x
        h.data = (w * 3.0).data         # an array a recorded step made
        return h

    step = ad.compile(f)
    for k in range(3):
        assert np.array_equal(step(np.full(2, k)).data, [3.0, 6.0])


def test_an_average_updated_in_place_under_no_grad_replays_like_eager():
    def make():
        w = ad.tensor([1.0, 2.0], requires_grad=True)
        ema = ad.tensor([0.0, 0.0])
        opt = ad.optim.SGD([w], lr=0.1)

        def f(x):
            opt.zero_grad()
            (w * w * x).sum().backward()
            opt.step()
            with ad.no_grad():
                ema.copy_(0.9 * ema + 0.1 * w)
        return ema, f

    ema, eager = make()
    ema_c, step = make()
    step = ad.compile(step)
    for k in range(4):
        eager(np.full(2, k + 1.0))
        step(np.full(2, k + 1.0))
        assert np.array_equal(ema.data, ema_c.data)
    assert step.traces == 1


def test_a_changed_captured_array_is_noticed_and_traced_again():
    scale = np.array([1.0, 2.0])
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    f = ad.compile(lambda x: (w * x * scale).sum())
    assert f(np.ones(2)).data == 3.0
    assert f(np.ones(2)).data == 3.0
    scale[1] = 10.0                     # the plan captured this array
    assert f(np.ones(2)).data == 11.0
    assert f.traces == 2


def test_a_parameter_given_an_array_of_another_shape_is_traced_again():
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    f = ad.compile(lambda x: (w * x).sum())
    assert f(np.ones(2)).data == 2.0
    w.data = np.array([2.0])                # broadcasts against x: another plan
    assert f(np.ones(2)).data == 4.0
    w.data = np.array([3.0, 3.0])           # same shape, new array: read on each call
    assert f(np.ones(2)).data == 6.0
    assert f.traces == 3


class _Net(ad.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = ad.nn.Linear(3, 4, rng=0)
        self.fc = ad.nn.Linear(4, 2, rng=1)

    def forward(self, x):
        return self.fc(ad.tanh(self.hidden(x)))


def _rebinding_run(compiled, rebind):
    model = _Net()
    opt = ad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        loss = F.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    def new_optimizer():
        nonlocal opt
        opt = ad.optim.Adam(model.parameters(), lr=0.05)

    f = ad.compile(step) if compiled else step
    x, y = np.ones((5, 3)), np.full((5, 2), 0.5)
    losses = []
    for k in range(5):
        if k == 2 and rebind == "layer":
            model.fc = ad.nn.Linear(4, 2, rng=7)        # the old optimizer does not see it
        elif k == 2 and rebind == "optimizer":
            new_optimizer()
        losses.append(float(f(x, y).data))
    return losses, getattr(f, "traces", None)


@pytest.mark.filterwarnings("ignore:SGD.step. parameter 'fc")    # the replaced head
@pytest.mark.parametrize("rebind", ["layer", "optimizer"])
def test_a_new_layer_or_a_new_optimizer_between_calls_is_traced_again(rebind):
    eager, _ = _rebinding_run(False, rebind)
    compiled, traces = _rebinding_run(True, rebind)
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)   # Adam's step is fused
    assert traces == 2


def test_an_object_replaced_in_a_dict_entry_the_code_names_traces_again():
    w = ad.tensor([1.0, 1.0], requires_grad=True)
    held = {"w": w}
    f = ad.compile(lambda x: (held["w"] * x).sum())
    assert f(np.ones(2)).data == 2.0
    held["w"] = ad.tensor([5.0, 5.0], requires_grad=True)
    assert f(np.ones(2)).data == 10.0
    assert f.traces == 2
