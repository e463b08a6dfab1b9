"""Teaching tools, twenty-fifth probe: a learning rate so small that a step moves
nothing, and a squared error of an (N, 1) prediction against an (N,) target."""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

NoOpStepWarning = ad.optim.NoOpStepWarning


def _step_warnings(opt, loss_fn, steps=1):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
    return [w for w in caught if issubclass(w.category, NoOpStepWarning)]


def test_sgd_step_too_small_for_float32_is_named_with_its_sizes_and_the_users_line():
    w = ad.nn.Parameter(np.ones(3, dtype=np.float32))
    opt = ad.optim.SGD([w], lr=1e-9)
    caught = _step_warnings(opt, lambda: (w * w).sum(), steps=3)
    assert np.array_equal(w.data, np.ones(3, dtype=np.float32))     # (it really moved nothing)
    assert len(caught) == 1                                           # once per optimizer
    text = str(caught[0].message)
    assert caught[0].filename == __file__                             # the user's line
    assert "SGD.step" in text and "changed no entry of any parameter" in text
    assert "lr=1e-09" in text and "typical |grad| 2" in text and "typical |w| 1" in text
    assert "lr*|grad| = 2e-09" in text and "float32" in text
    assert f"{np.spacing(np.float32(1)):.3g}" in text                 # the float's spacing
    assert "float64 model has finer spacing" in text


def test_adam_update_is_about_lr_whatever_the_gradient_in_float64():
    w = ad.nn.Parameter(np.full(4, 3.0))
    opt = ad.optim.Adam([w], lr=1e-17)
    caught = _step_warnings(opt, lambda: (w ** 2).sum())
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "Adam scales each entry's update to about lr" in text
    assert "float64" in text and "finer spacing" not in text
    assert f"{np.spacing(3.0):.3g}" in text


def test_a_step_that_moves_one_entry_is_not_a_no_op():
    w = ad.nn.Parameter(np.array([1.0, 1e-12], dtype=np.float32))
    opt = ad.optim.SGD([w], lr=1e-9)
    assert _step_warnings(opt, lambda: (w * w).sum() + w.sum()) == []
    assert w.data[1] != np.float32(1e-12)


@pytest.mark.parametrize("case", ["zero gradient", "frozen", "lr zero", "warmup",
                                  "normal lr", "resumed"])
def test_no_warning_where_a_step_that_moves_nothing_is_meant(case):
    w = ad.nn.Parameter(np.ones(3, dtype=np.float32))
    frozen = ad.nn.Parameter(np.ones(2, dtype=np.float32))
    lr = {"lr zero": 0.0, "normal lr": 0.1}.get(case, 1e-3)
    opt = ad.optim.SGD([w, frozen], lr=lr)
    loss_fn = lambda: (w * w).sum() + (frozen * frozen).sum()  # noqa: E731
    if case == "zero gradient":
        loss_fn = lambda: (w * 0.0).sum()                       # noqa: E731
    if case == "frozen":
        w.requires_grad_(False)
        frozen.requires_grad_(False)
        loss_fn = lambda: (w * w).sum() + ad.tensor(1.0, requires_grad=True)  # noqa: E731
    if case == "warmup":            # LambdaLR holding lr at 1e-9 of 1e-3: meant to be tiny
        ad.optim.lr_scheduler.LambdaLR(opt, lambda step: 1e-6)
    if case == "resumed":           # a loaded state: training may be near its end
        first = ad.optim.SGD([w, frozen], lr=0.1, momentum=0.9)
        loss_fn().backward()
        first.step()
        opt = ad.optim.SGD([w, frozen], lr=1e-9, momentum=0.9)
        opt.load_state_dict(first.state_dict())
        opt.param_groups[0]["lr"] = 1e-9
    assert _step_warnings(opt, loss_fn, steps=3) == []


def test_only_the_first_steps_are_watched_so_convergence_is_not_called_a_mistake():
    w = ad.nn.Parameter(np.ones(2, dtype=np.float32))
    target = ad.tensor(np.ones(2, dtype=np.float32))
    opt = ad.optim.SGD([w], lr=0.1)
    assert _step_warnings(opt, lambda: ((w - target) ** 2).sum() + w.sum(), steps=3) == []
    assert opt._noop_watch.checks_left == 0
    # later the gradient is far below what moves a float32 near 1: no warning, no copy
    assert _step_warnings(opt, lambda: (w * 1e-12).sum(), steps=2) == []


def _linear_and_data(n=4):
    rng = np.random.default_rng(0)
    return ad.nn.Linear(2, 1, rng=0), ad.tensor(rng.normal(size=(n, 2))), np.arange(n, dtype=float)


def test_explain_notes_a_squared_error_of_an_n_by_1_prediction_against_an_n_target():
    lin, X, y = _linear_and_data()
    loss = ((lin(X) - ad.tensor(y)) ** 2).mean()
    loss.backward()
    for text in (ad.explain(loss), ad.explain(lin.weight)):
        note = next(line for line in text.splitlines() if "shape mistake" in line)
        assert note.startswith("Possibly a shape mistake: subtract takes shapes (4, 1) and")
        assert "broadcasts them to (4, 4)" in note and "averages all 16 differences" in note
        assert "pred.squeeze(-1) - target" in note
    # with the graph kept, the target's shape is known; a sum is "adds up"
    lin.zero_grad()
    loss = ((ad.tensor(y) - lin(X)).abs()).sum()
    loss.backward(retain_graph=True)
    text = ad.explain(lin.bias)
    assert "takes shapes (4,) and (4, 1)" in text and "adds up all 16 differences" in text


def test_explain_names_the_line_of_the_subtraction_under_detect_anomaly():
    lin, X, y = _linear_and_data(3)
    with ad.detect_anomaly():
        loss = ((lin(X) - ad.tensor(y)) ** 2).mean()
    loss.backward()
    note = next(line for line in ad.explain(lin.weight).splitlines() if "shape mistake" in line)
    assert "test_teaching_twentyfifth.py" in note and "9 differences" in note


@pytest.mark.parametrize("case", ["pairwise", "pairwise reshape", "same shapes",
                                  "not a scalar", "one row"])
def test_no_shape_note_for_differences_meant_as_a_table_or_shapes_that_match(case):
    x = ad.tensor(np.arange(4.0), requires_grad=True)
    lin, X, y = _linear_and_data()
    if case == "pairwise":          # energy of all pairs: x[:, None] - x on purpose
        loss = ((x[:, None] - x) ** 2).sum()
    elif case == "pairwise reshape":
        loss = ((x.reshape(-1, 1) - x) ** 2).mean()
    elif case == "same shapes":
        loss = ((lin(X) - ad.tensor(y).reshape(-1, 1)) ** 2).mean()
    elif case == "not a scalar":
        loss = ((lin(X) - ad.tensor(y)) ** 2).mean(axis=0)
        loss = loss.sum()
    else:                           # N = 1: (1, 1) - (1,) is (1, 1), nothing broadcast
        lin, X, y = _linear_and_data(1)
        loss = ((lin(X) - ad.tensor(y)) ** 2).mean()
    loss.backward()
    for t in (loss, x, lin.weight):
        assert "shape mistake" not in ad.explain(t)


def test_explain_sees_the_graph_of_an_unnamed_output_of_a_retained_backward():
    w = ad.tensor([1.0, -1.0], requires_grad=True)
    ad.relu(w * 3.0).sum().backward(retain_graph=True)       # the output is never named
    text = ad.explain(w)
    assert "I cannot see the output" not in text
    assert "this tensor -> multiply -> relu -> sum = the output" in text
    assert "relu passes zero gradient where its input is <= 0" in text
    # the advice does not ask for the retain_graph=True that was passed
    assert "pass retain_graph=True" not in text
    assert "kept with retain_graph=True, but its output tensor is gone" in text
    assert "keep the output in a variable" in text


def test_a_retained_graph_whose_output_is_gone_frees_its_saved_values():
    import gc
    import weakref
    w = ad.tensor(np.ones(5), requires_grad=True)
    hidden = w * 2.0
    node = weakref.ref(hidden._node)
    (hidden ** 2).sum().backward(retain_graph=True)
    del hidden
    gc.collect()
    assert node() is None                   # only a skeleton without values is kept
    assert "-> multiply -> power -> sum = the output" in ad.explain(w)


def test_a_retained_graph_kept_by_an_intermediate_still_runs_a_second_backward():
    w = ad.tensor([0.0, 1.0], requires_grad=True)
    hidden = ad.exp(w)
    hidden.sum().backward(retain_graph=True)
    hidden.mean().backward()
    assert np.allclose(w.grad, 1.5 * np.exp([0.0, 1.0]))


def test_a_function_whose_forward_saved_nothing_says_so_in_backward():
    class Square(ad.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x                    # ctx.save_for_backward(x) forgotten

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="not enough values to unpack") as raised:
        Square.apply(x).sum().backward()
    note = " ".join(raised.value.__notes__)
    assert "Square.backward: ctx.saved_tensors is empty: forward saved nothing" in note
    assert "ctx.save_for_backward(x" in note


def test_a_function_that_saved_something_gets_no_such_note():
    class Wrong(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, w = ctx.saved_tensors        # the user's own unpacking mistake
            return grad

    with pytest.raises(ValueError) as raised:
        Wrong.apply(ad.tensor([1.0], requires_grad=True)).sum().backward()
    assert "saved nothing" not in " ".join(getattr(raised.value, "__notes__", []))


def test_explain_after_a_backward_from_a_loss_rebuilt_from_item():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = ad.tensor((w ** 2).sum().item(), requires_grad=True)    # cut by .item()
    loss.backward()
    text = ad.explain(w)
    assert "no backward pass has run" not in text
    assert "the last backward() ran from a leaf tensor (shape (), float64)" in text
    assert ".item()" in text
    assert "It is itself the output of the backward pass." in ad.explain(loss)


class _PlainTensors(ad.nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = [ad.tensor(np.ones((2, 1)), requires_grad=True)]
        self.scale = ad.tensor(1.0, requires_grad=True)


def test_an_optimizer_given_a_module_of_unregistered_tensors_names_them():
    for params in (_PlainTensors().parameters(), _PlainTensors()):
        with pytest.raises(ValueError) as raised:
            ad.optim.Adam(params, lr=0.1)
        text = str(raised.value)
        assert text.startswith("Adam: got no parameters: _PlainTensors has none registered.")
        assert "self.weights[0] (shape (2, 1))" in text and "self.scale (shape ())" in text
        assert "are plain Tensors" in text and "nn.Parameter" in text


def test_an_empty_module_and_a_used_up_generator_are_told_apart():
    with pytest.raises(ValueError, match="assigns them"):
        ad.optim.SGD(ad.nn.Module().parameters(), lr=0.1)
    params = ad.nn.Linear(2, 1).parameters()
    list(params)
    with pytest.raises(ValueError, match="already consumed"):
        ad.optim.SGD(params, lr=0.1)


def test_sigmoid_before_a_loss_that_takes_logits_is_named_at_the_users_line():
    z = ad.tensor(np.random.default_rng(0).normal(size=4), requires_grad=True)
    target = ad.tensor([0.0, 1.0, 1.0, 0.0])
    for loss_fn in (F.binary_cross_entropy_with_logits, ad.nn.BCEWithLogitsLoss()):
        with pytest.warns(UserWarning, match="the input was computed by sigmoid") as caught:
            loss_fn(ad.sigmoid(z), target)
        text = str(caught[0].message)
        assert caught[0].filename == __file__
        assert "applied twice" in text and "(0.5, 0.73)" in text
        assert "F.binary_cross_entropy" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.binary_cross_entropy_with_logits(z * 2.0, target)     # logits: no warning
        F.binary_cross_entropy(ad.sigmoid(z), target)           # probabilities: right loss


class _HalfRegistered(ad.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = ad.nn.Linear(2, 1, rng=0)
        self.scale = ad.tensor(1.0, requires_grad=True)    # meant as a parameter

    def forward(self, x):
        return self.fc(x) * self.scale


def test_an_optimizer_warns_about_a_plain_tensor_its_module_never_registered():
    net = _HalfRegistered()
    with pytest.warns(UserWarning, match="requires grad but is a plain Tensor") as caught:
        ad.optim.SGD(net.parameters(), lr=0.1)
    text = str(caught[0].message)
    assert caught[0].filename == __file__
    assert text.startswith("SGD: _HalfRegistered's self.scale (shape ())")
    assert "this optimizer will never update it" in text and "nn.Parameter" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ad.optim.SGD(ad.nn.Linear(2, 1).parameters(), lr=0.1)   # all registered: silent
        ad.optim.SGD([net.scale], lr=0.1)                       # a list: no module to ask


def test_a_training_loop_with_retain_graph_copies_no_graph_at_each_step():
    # a named loss dies later, when the name is bound again: nothing is copied for it
    from autodiff import explain_retained
    w = ad.tensor([1.0, -1.0], requires_grad=True)
    made = []
    original = explain_retained.skeleton_of
    explain_retained.skeleton_of = lambda node: made.append(node) or original(node)
    try:
        for _ in range(3):
            loss = ad.relu(w * 3.0).sum()
            loss.backward(retain_graph=True)
        del loss
        ad.relu(w * 3.0).sum().backward(retain_graph=True)     # never named: copied
    finally:
        explain_retained.skeleton_of = original
    assert len(made) == 1 and made[0].op.name == "sum"
    assert "this tensor -> multiply -> relu -> sum = the output" in ad.explain(w)
