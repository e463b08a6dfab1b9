"""The teaching tools on programs students write while learning backprop: PyTorch's
``torch.autograd.grad(y, x, create_graph=True)`` typed as ``ad.grad`` (the message
names the call that does it here), a gradcheck at relu(x) + abs(x) at 0 (the
analytic gradient lies between the two one-sided slopes: still a kink, not a bug),
a norm's sqrt at 0 that leaves NaN in ``.grad`` (explain says NaN, not "nonzero"),
and detect_anomaly naming which of the user's tensors an op's input is when the
rule's name for it (sqrt's ``x``) is also the name of the user's leaf.
"""

import warnings

import numpy as np
import pytest

import autodiff as ad


# ----------------------------------------------------------------------------------
# ad.grad called as torch.autograd.grad
# ----------------------------------------------------------------------------------
def _cube():
    x = ad.tensor(2.0, requires_grad=True, name="x")
    return x, x ** 3


@pytest.mark.parametrize("call", [
    lambda y, x: ad.grad(y, x),
    lambda y, x: ad.grad(y, x, create_graph=True),
    lambda y, x: ad.grad(y, [x], retain_graph=True),
])
def test_grad_of_a_tensor_names_autograd_grad(call):
    x, y = _cube()
    with pytest.raises(TypeError) as info:
        call(y, x)
    message = str(info.value)
    assert message.startswith("grad: got ")
    assert "torch.autograd.grad(y, x)" in message
    assert "ad.autograd.grad(y, x)" in message and "create_graph=" in message


def test_the_advice_gives_the_first_and_second_derivative():
    x, y = _cube()
    first, = ad.autograd.grad(y, x, create_graph=True)     # what the message says to call
    assert float(first.data) == 12.0                        # 3 x**2 at 2
    first.backward()
    assert float(x.grad) == 12.0                            # 6 x at 2


def test_the_keyword_names_itself_even_with_a_function():
    with pytest.raises(TypeError, match="got the keyword.s. create_graph"):
        ad.grad(lambda t: t * t, create_graph=True)


def test_the_other_transforms_keep_their_own_message():
    x, y = _cube()
    with pytest.raises(TypeError) as info:
        ad.jvp(y, (x,), (x,))
    assert "expected a function to transform, got Tensor" in str(info.value)
    assert "autograd.grad" not in str(info.value)
    assert float(ad.grad(lambda t: t ** 3)(2.0)) == 12.0   # the transform itself still works


# ----------------------------------------------------------------------------------
# gradcheck at a sum of kinks
# ----------------------------------------------------------------------------------
def _gradcheck_message(func, value):
    x = ad.tensor(value, requires_grad=True, name="x")
    with pytest.raises(ad.GradcheckError) as info:
        ad.gradcheck(func, (x,))
    return str(info.value)


@pytest.mark.parametrize("func, left, right, analytic", [
    (lambda x: (ad.relu(x) + ad.abs(x)).sum(), -1, 2, 0),
    (lambda x: (ad.relu(x) + ad.abs(x) + 3 * x).sum(), 2, 5, 3),
])
def test_a_gradient_between_the_one_sided_slopes_is_called_a_kink(func, left, right, analytic):
    message = _gradcheck_message(func, np.array([0.0, 1.0, -1.0]))
    assert "sits on a kink at entry (0,)" in message
    assert f"the slope is {left} from below and {right} from above" in message
    assert f"The analytic gradient there, {analytic}, lies between them" in message
    assert "one-sided" not in message
    # the slopes it states are the function's, and away from the kink gradcheck passes
    x = ad.tensor([0.5, 1.0, -1.0], requires_grad=True)
    assert ad.gradcheck(func, (x,))


def test_a_one_sided_gradient_is_still_called_one_sided():
    message = _gradcheck_message(lambda x: ad.relu(x).sum(), np.array([0.0, 1.0]))
    assert "is the slope from below: a one-sided choice" in message


def test_a_gradient_outside_the_slopes_is_no_kink():
    class Wrong(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.abs(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved
            return g * 5.0                      # wrong everywhere, also at the kink

    message = _gradcheck_message(lambda x: Wrong.apply(x).sum(), np.array([0.0, 1.0]))
    assert "kink" not in message


# ----------------------------------------------------------------------------------
# explain of a NaN gradient
# ----------------------------------------------------------------------------------
def _norm_at_zero():
    x = ad.tensor([0.0, 0.0], requires_grad=True, name="x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ad.sqrt((x * x).sum()).backward()
    return x


def test_explain_says_a_nan_gradient_is_nan_and_how_to_find_it():
    x = _norm_at_zero()
    assert np.isnan(x.grad).all()
    said = ad.explain(x)
    first = said.splitlines()[0]
    assert "holds NaN in 2 of 2 entries" in first
    assert "nonzero" not in said and "not all zero" not in said
    assert "ad.detect_anomaly()" in said
    assert "x -> multiply -> sum -> sqrt" in said.replace("this tensor", "x")


def test_explain_counts_inf_apart_from_nan():
    x = ad.tensor([0.0, 1.0, 2.0], requires_grad=True, name="x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ad.log(x).sum().backward()
    assert np.isinf(x.grad).sum() == 1
    first = ad.explain(x).splitlines()[0]
    assert "holds inf in 1 of 3 entries" in first and "NaN" not in first


def test_explain_of_a_finite_gradient_is_unchanged():
    x = ad.tensor([1.0, 0.0], requires_grad=True, name="x")
    (x * x).sum().backward()
    assert ad.explain(x).splitlines()[0].endswith("not all zero (nonzero entries: 1 of 2).")


def test_following_the_advice_names_the_sqrt_and_the_line():
    x = ad.tensor([0.0, 0.0], requires_grad=True, name="x")
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            norm = ad.sqrt((x * x).sum())   # the line the report names
            norm.backward()
    message = str(info.value)
    assert message.startswith("sqrt: the backward pass produced inf")
    assert "norm = ad.sqrt((x * x).sum())" in message


# ----------------------------------------------------------------------------------
# detect_anomaly: which of the user's tensors the rule's input is
# ----------------------------------------------------------------------------------
def test_the_rules_x_is_told_apart_from_the_users_x():
    x = ad.tensor([0.0, 0.0], requires_grad=True, name="x")
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly():
            ad.sqrt((x * x).sum()).backward()
    first = str(info.value).splitlines()[0]
    assert first.startswith("sqrt: the backward pass produced inf in the gradient for x "
                            "(sqrt's input: the result of sum)")


def test_a_leaf_input_is_named_by_the_users_name():
    sigma = ad.tensor([1.0, 0.0], requires_grad=True, name="sigma")
    mu = ad.tensor([0.5, 0.5], requires_grad=True, name="mu")
    with pytest.raises(ad.AnomalyError) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with ad.detect_anomaly():
                (mu / sigma).sum().backward()
    first = str(info.value).splitlines()[0]
    # g / b for a is the first gradient made: mu's, divided by sigma's zero
    assert first.startswith("divide: the backward pass produced inf in the gradient for a "
                            "(divide's input: the leaf 'mu')")
    assert "index (1,)" in first


# ----------------------------------------------------------------------------------
# attention by hand: ad.softmax(scores, axis=-1)
# ----------------------------------------------------------------------------------
_SCORES = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, 1.0]])


@pytest.mark.parametrize("spelled", [
    lambda s: ad.softmax(s, axis=-1), lambda s: s.softmax(axis=-1),
    lambda s: ad.softmax(s, -1), lambda s: s.softmax(dim=1),
])
def test_softmax_takes_numpys_axis_as_well_as_dim(spelled):
    s = ad.tensor(_SCORES, requires_grad=True, name="scores")
    a = spelled(s)
    e = np.exp(_SCORES - _SCORES.max(axis=1, keepdims=True))
    np.testing.assert_allclose(a.data, e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    assert ad.gradcheck(lambda t: (spelled(t) * np.arange(6.0).reshape(2, 3)).sum(), (s,))


def test_log_softmax_takes_axis_and_matches_the_functional_one():
    s = ad.tensor(_SCORES)
    np.testing.assert_array_equal(ad.log_softmax(s, axis=0).data,
                                  ad.nn.functional.log_softmax(s, axis=0).data)
    np.testing.assert_array_equal(s.log_softmax(axis=0).data, s.log_softmax(0).data)


@pytest.mark.parametrize("call", [lambda s: ad.softmax(s), lambda s: s.softmax(),
                                  lambda s: ad.log_softmax(s)])
def test_softmax_without_an_axis_still_refuses_and_says_how(call):
    with pytest.raises(TypeError) as info:
        call(ad.tensor(_SCORES))
    assert "softmax: missing the axis" in str(info.value)
    assert "dim=" in str(info.value) and "axis=" in str(info.value)


def test_softmax_refuses_two_different_axes():
    with pytest.raises(TypeError, match="got dim=0 and axis=1"):
        ad.softmax(ad.tensor(_SCORES), 0, axis=1)


def test_softmax_matches_torch_with_either_spelling():
    torch = pytest.importorskip("torch")
    theirs = torch.softmax(torch.tensor(_SCORES), dim=-1).numpy()
    np.testing.assert_allclose(ad.softmax(ad.tensor(_SCORES), axis=-1).data, theirs,
                               rtol=1e-14)


# ----------------------------------------------------------------------------------
# a custom Function whose backward returns an integer gradient
# ----------------------------------------------------------------------------------
def _square_returning(convert):
    class Square(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved
            return convert(2 * x * g)

    return Square


@pytest.mark.parametrize("convert, dtype, received", [
    (lambda grad: grad.astype(np.int64), "int64", [2.0, 4.0]),
    (lambda grad: grad > 0, "bool", [1.0, 1.0]),
])
def test_an_integer_gradient_warns_at_the_users_backward(convert, dtype, received):
    square = _square_returning(convert)
    x = ad.tensor([1.25, 2.0], requires_grad=True, name="x")
    with pytest.warns(UserWarning, match=f"Square.backward: the gradient for input 0 is "
                                         f"{dtype}, but that input is float64") as caught:
        square.apply(x).sum().backward()
    warning = next(w for w in caught if "Square.backward" in str(w.message))
    assert warning.filename == __file__               # the user's backward, not the engine
    assert "fraction" in str(warning.message)
    np.testing.assert_array_equal(x.grad, received)  # used as returned, as PyTorch does
    assert x.grad.dtype == np.float64


def test_a_float_gradient_does_not_warn():
    square = _square_returning(lambda grad: grad.astype(np.float32))
    x = ad.tensor([1.25, 2.0], requires_grad=True, name="x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        square.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.5, 4.0])


def test_torch_converts_an_integer_gradient_the_same_way():
    torch = pytest.importorskip("torch")

    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return (2 * x * g).long()

    t = torch.tensor([1.25, 2.0], dtype=torch.float64, requires_grad=True)
    Square.apply(t).sum().backward()
    x = ad.tensor([1.25, 2.0], requires_grad=True)
    with pytest.warns(UserWarning):
        _square_returning(lambda grad: grad.astype(np.int64)).apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


# ----------------------------------------------------------------------------------
# the check list of a compiled step's plan names each module whole
# ----------------------------------------------------------------------------------
def test_the_plans_check_list_writes_module_settings_with_brackets_whole():
    F = ad.nn.functional
    model = ad.nn.MLP([2, 5, 3], rng=0)
    conv = ad.nn.Conv2d(1, 2, 3, padding=1)
    opt = ad.optim.SGD(list(model.parameters()) + list(conv.parameters()), lr=0.1)

    @ad.compile
    def step(images, xb, yb):
        loss = F.cross_entropy(model(xb), yb) + (conv(images) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    rng = np.random.default_rng(0)
    args = rng.normal(size=(2, 1, 4, 4)), rng.normal(size=(4, 2)), np.array([0, 1, 2, 1])
    step(*args)
    step(*args)
    checks = str(step.plan).split("checked before each replay")[1]
    assert "MLP" in checks and "MLP(5, 3])" not in checks
    assert "Conv2d(1, 2)" in checks
    for line in checks.splitlines():               # every bracket it opens, it closes
        assert line.count("(") == line.count(")") and line.count("[") == line.count("]"), line


# ----------------------------------------------------------------------------------
# explain after a backward that raised: the loss was made from w.item()
# ----------------------------------------------------------------------------------
def test_explain_after_a_refused_backward_says_the_loss_has_no_history():
    w = ad.tensor(2.0, requires_grad=True, name="w")
    loss = ad.tensor(w.item() ** 2)            # a student's loss through a Python number
    with pytest.raises(RuntimeError, match="no recorded history"):
        loss.backward()
    said = ad.explain(w)
    assert "I cannot see the output" not in said
    assert "no backward pass has run" not in said
    assert "the last backward() ran from a tensor with no recorded history" in said
    assert ".item()" in said
    # the advice: the same loss from Tensor operations gives the gradient
    (w ** 2).backward()
    assert float(w.grad) == 4.0


def test_explain_after_a_refused_backward_of_a_comparison_follows_its_graph():
    w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
    loss = ((w > 0) * 1.0).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward()
    said = ad.explain(w)                        # no output= needed any more
    assert "blocked at greater" in said and "-> sum = the output" in said
