"""The teaching tools on programs students write while learning backprop: a custom
Function whose backward forgets a factor (gradcheck says the factor and names the
Function), a batch norm whose gradient is zero up to rounding (explain says so
rather than count rounding noise as a gradient), a graph printed after backward
(viz.text says what ``<freed>`` stands for) and a 600-op unrolled loop (viz.steps
prints its two ends and says how many steps it left out and where they are).
"""

import re

import numpy as np
import pytest

import autodiff as ad


# ----------------------------------------------------------------------------------
# gradcheck: a backward off by a constant factor, and user-written rules named
# ----------------------------------------------------------------------------------
class SquareMissingTwo(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * x                    # the 2 of d(x**2)/dx is missing


class SquareWrongSign(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return -2 * g * x


class SquareWrongFormula(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * x ** 2               # not off by a factor: a wrong formula


def _gradcheck_message(func, x):
    with pytest.raises(ad.GradcheckError) as caught:
        ad.gradcheck(func, [x])
    return str(caught.value)


@pytest.mark.parametrize("function, factor", [(SquareMissingTwo, "0.5"),
                                              (SquareWrongSign, "-1")])
def test_gradcheck_says_the_constant_factor_and_names_the_function(function, factor):
    x = np.array([[0.3, -1.2, 2.0], [0.7, 1.5, -0.4]])
    message = _gradcheck_message(lambda t: (function.apply(t) * 3.0).sum(), x)
    assert f"analytic = {factor} x numerical" in message
    assert "constant factor" in message
    assert re.search(rf"user-written gradient rules \({function.__name__}\)", message)


def test_gradcheck_names_no_factor_for_a_wrong_formula():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    message = _gradcheck_message(lambda t: SquareWrongFormula.apply(t).sum(), x)
    assert "constant factor" not in message
    assert "(SquareWrongFormula)" in message


def test_gradcheck_names_a_custom_gradient_among_library_ops():
    @ad.custom_gradient
    def halved_exp(x):
        return ad.exp(x), lambda g: g * ad.exp(x) / 2

    x = np.array([0.1, -0.5, 0.9])
    message = _gradcheck_message(lambda t: ad.tanh(halved_exp(t) * t).sum(), x)
    assert "(halved_exp)" in message
    assert "tanh" not in message.split("user-written gradient rules")[1]


def test_gradcheck_says_no_factor_where_a_path_was_cut():
    # the analytic gradient is 0 where the numerical one is not: a cut path, not a factor
    x = np.array([0.5, 1.5, -2.0])
    message = _gradcheck_message(lambda t: ad.tensor(t.data ** 2).sum() + t.sum() * 0, x)
    assert "constant factor" not in message
    assert "user-written" not in message


def test_gradcheck_says_no_factor_in_float32():
    x = np.array([0.3, -1.2, 2.0], dtype=np.float32)
    with pytest.warns(UserWarning, match="float32"):
        message = _gradcheck_message(lambda t: SquareMissingTwo.apply(t).sum(), x)
    assert "float32" in message
    assert "constant factor" not in message


def test_gradcheck_of_a_right_custom_function_still_passes():
    class Cube(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved
            return g * 3 * x ** 2

    assert ad.gradcheck(lambda t: Cube.apply(t).sum(), [np.array([0.2, -1.1])])


def test_gradcheck_at_a_relu_kink_still_blames_the_kink_not_a_factor():
    message = _gradcheck_message(lambda t: ad.relu(t).sum(), np.array([0.0, 1.0, -1.0]))
    assert "sits on a kink" in message
    assert "constant factor" not in message


# ----------------------------------------------------------------------------------
# explain: a gradient that is zero up to rounding
# ----------------------------------------------------------------------------------
def _batch_norm_by_hand(dtype):
    rng = np.random.default_rng(3)
    x = ad.tensor(rng.normal(size=(6, 3)).astype(dtype), requires_grad=True, name="x")
    gamma = ad.tensor(np.ones(3, dtype), requires_grad=True, name="gamma")
    beta = ad.tensor(np.zeros(3, dtype), requires_grad=True, name="beta")
    mu = x.mean(axis=0)
    normalized = (x - mu) / ad.sqrt(x.var(axis=0) + 1e-5)
    (gamma * normalized + beta).sum().backward()
    return x, gamma, beta


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_explain_calls_a_rounding_level_gradient_what_it_is(dtype):
    x, gamma, beta = _batch_norm_by_hand(dtype)
    eps = np.finfo(dtype).eps
    assert np.any(x.grad) and np.max(np.abs(x.grad)) <= 16 * eps
    said = ad.explain(x)
    largest = f"{float(np.max(np.abs(x.grad))):.3g}"
    assert f"Every entry is at most {largest} in size, within rounding of zero for " \
           f"{np.dtype(dtype)}" in said
    assert "probably exactly zero in exact arithmetic" in said
    # beta's gradient is a real one (6 per entry): nothing said about rounding
    assert np.allclose(beta.grad, 6)
    assert "rounding" not in ad.explain(beta)


def test_explain_says_nothing_of_rounding_for_a_small_real_gradient():
    w = ad.tensor([1e-6, 2e-6], requires_grad=True, name="w")
    (w ** 2).sum().backward()
    assert "rounding" not in ad.explain(w)


# ----------------------------------------------------------------------------------
# viz.text after backward: what <freed> stands for
# ----------------------------------------------------------------------------------
def _small_graph():
    W = ad.tensor(np.ones((2, 3)), requires_grad=True, name="W")
    return ((ad.tensor([[1.0, 2.0]]) @ W) ** 2).sum()


def test_text_after_backward_says_what_freed_stands_for():
    loss = _small_graph()
    before = ad.viz.text(loss)
    assert "<freed>" not in before and "v2 = power(v1, 2)" in before
    loss.backward()
    after = ad.viz.text(loss)
    assert "v2 = power(v1, <freed>)" in after
    first = after.splitlines()[0]
    assert first.startswith("# <freed>: a constant operand")
    assert "released by backward()" in first and "retain_graph=True" in first


def test_text_with_the_graph_kept_shows_the_constants():
    loss = _small_graph()
    loss.backward(retain_graph=True)
    kept = ad.viz.text(loss)
    assert "<freed>" not in kept and "v2 = power(v1, 2)" in kept


# ----------------------------------------------------------------------------------
# viz.steps on a long unrolled loop
# ----------------------------------------------------------------------------------
def _unrolled(n):
    x = ad.tensor([0.5, -0.2, 1.0], requires_grad=True, name="x")
    h = x
    for _ in range(n):
        h = ad.tanh(h) * 1.01
    return x, h.sum()


def test_steps_of_a_long_pass_print_both_ends_and_say_what_is_left_out():
    x, loss = _unrolled(300)
    walk = ad.viz.steps(loss)
    assert len(walk) == 601
    shown = str(walk)
    numbers = [int(k) for k in re.findall(r"^step (\d+)/601:", shown, flags=re.M)]
    assert numbers == list(range(1, 31)) + list(range(592, 602))
    assert "... steps 31 to 591 of 601 not shown (561 steps)" in shown
    assert "print(steps[30]) shows step 31" in shown
    assert str(walk[30]).startswith("step 31/601:")
    # the totals are still printed, and they are the gradient backward() gives
    totals = shown.split("gradients of the leaves from this pass:")[1]
    assert totals.strip().startswith("x.grad = ")
    loss.backward()
    assert np.allclose(walk.totals["x"], x.grad)
    assert "\n\n".join(map(str, walk)).count("\nstep ") + 1 == 601


def test_steps_of_a_short_pass_print_every_step():
    _, loss = _unrolled(24)             # 49 steps: under the cut
    shown = str(ad.viz.steps(loss))
    assert "not shown" not in shown
    assert len(re.findall(r"^step \d+/49:", shown, flags=re.M)) == 49


# ----------------------------------------------------------------------------------
# explain: a Python number taken from the tensor cut the graph
# ----------------------------------------------------------------------------------
def _loss_through_item(w, b):
    return w.sum().item() * b


def _loss_through_float(w, b):
    return float(w.sum()) * b           # (float(t) on the user's line: an explicit exit)


@pytest.mark.parametrize("loss_of", [_loss_through_item, _loss_through_float])
def test_explain_names_item_and_float_among_the_ways_to_cut_the_graph(loss_of):
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    b = ad.tensor(1.0, requires_grad=True, name="b")
    loss = loss_of(w, b)                # the student's loss: b still gets a gradient
    loss.backward()
    assert w.grad is None and b.grad == 3.0
    said = ad.explain(w)
    assert "not connected to the output (multiply, shape ())" in said
    assert "took a Python number from it (.item(), float(t))" in said


# ----------------------------------------------------------------------------------
# np.array of 0-d Tensors: one TapeDropWarning per tensor, not two
# ----------------------------------------------------------------------------------
def test_np_array_of_scalar_tensors_warns_once_per_tensor():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    b = ad.tensor(3.0, requires_grad=True, name="b")
    with pytest.warns(ad.TapeDropWarning) as caught:
        plain = np.array([w[0], b])
    messages = [str(c.message) for c in caught if c.category is ad.TapeDropWarning]
    assert len(messages) == 2
    assert sum("Tensor 'b' (shape ())" in m for m in messages) == 1
    assert all("by np.array" in m and "test_teaching_twentieth.py" in m for m in messages)
    assert np.array_equal(plain, [1.0, 3.0])


def test_converting_the_same_tensor_on_two_lines_warns_on_both():
    b = ad.tensor(3.0, requires_grad=True, name="b")
    with pytest.warns(ad.TapeDropWarning) as caught:
        np.array([b])
        np.array([b])
    lines = {c.lineno for c in caught if c.category is ad.TapeDropWarning}
    assert len(lines) == 2
