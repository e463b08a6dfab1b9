"""What the third set of PyTorch scripts (test_torch_scripts_third.py) found missing,
checked without PyTorch: module backward hooks, ``ctx.needs_input_grad`` and extra
``None`` gradients in a Function, ``ad.autograd.gradcheck``, ``flip``/``roll`` with
PyTorch's keywords, ``contiguous()``, and ``random_split``'s index lists.  The last
test compares the backward hooks with PyTorch's where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(3)
X = R.normal(size=(4, 3))


def _linear(n_in=3, n_out=2):
    lin = ad.nn.Linear(n_in, n_out)
    lin.weight.data[...] = R.normal(size=lin.weight.shape)
    lin.bias.data[...] = R.normal(size=lin.bias.shape)
    return lin


# --- register_full_backward_hook / register_full_backward_pre_hook -------------------

def test_full_backward_hook_sees_the_gradients_of_inputs_and_outputs():
    lin = _linear()
    seen = []
    handle = lin.register_full_backward_hook(
        lambda m, grad_input, grad_output: seen.append((m, grad_input, grad_output)))
    x = ad.tensor(X, requires_grad=True)
    upstream = R.normal(size=(4, 2))
    (lin(x) * upstream).sum().backward()
    (module, (grad_x,), (grad_out,)), = seen
    assert module is lin and isinstance(grad_x, ad.Tensor) and isinstance(grad_out, ad.Tensor)
    np.testing.assert_allclose(grad_out.data, upstream)
    # y = x @ W + b (W is (n_in, n_out) here): dL/dx = upstream @ W.T
    np.testing.assert_allclose(grad_x.data, upstream @ lin.weight.data.T)
    np.testing.assert_allclose(x.grad, grad_x.data)
    handle.remove()
    lin(x).sum().backward()
    assert len(seen) == 1


def test_a_backward_hook_replaces_grad_input_and_a_pre_hook_grad_output():
    lin = _linear()
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
    x = ad.tensor(X, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.ones((4, 2)) @ lin.weight.data.T)
    assert lin.weight.grad is not None     # the module's own gradients are not changed
    np.testing.assert_allclose(lin.weight.grad, X.T @ np.ones((4, 2)))

    other = _linear()
    other.register_full_backward_pre_hook(lambda m, go: (go[0] * 0.5,))
    other(ad.tensor(X)).sum().backward()
    np.testing.assert_allclose(other.weight.grad, X.T @ np.full((4, 2), 0.5))


def test_backward_hooks_with_several_inputs_and_outputs_match_finite_differences():
    class Mix(ad.nn.Module):
        def forward(self, a, scale, b):
            return a * b * scale, ad.sin(a - b)

    mix, calls = Mix(), []
    mix.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    a, b = (ad.tensor(R.normal(size=(2, 3)), requires_grad=True) for _ in range(2))
    first, second = mix(a, 2.0, b)
    (first.sum() + (second ** 2).sum()).backward()
    (grad_input, grad_output), = calls
    assert grad_input[1] is None and len(grad_input) == 3 and len(grad_output) == 2

    def loss(a, b):
        out, other = Mix()(a, 2.0, b)
        return out.sum() + (other ** 2).sum()
    numerical = ad.numerical_grad(loss, [a.data, b.data])
    np.testing.assert_allclose(grad_input[0].data, numerical[0], atol=1e-7)
    np.testing.assert_allclose(grad_input[2].data, numerical[1], atol=1e-7)
    np.testing.assert_allclose(grad_output[1].data, 2 * np.sin(a.data - b.data))


def test_with_no_input_requiring_grad_the_hook_runs_and_may_only_return_none():
    lin = _linear()
    seen = []
    handle = lin.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
    lin(ad.tensor(X)).sum().backward()
    assert seen == [(None,)]
    handle.remove()
    lin.register_full_backward_hook(lambda m, gi, go: (ad.ones((4, 3)),))
    with pytest.raises(RuntimeError, match="no input of the module requires grad"):
        lin(ad.tensor(X)).sum().backward()


def test_backward_hooks_are_refused_inside_a_compiled_function_and_the_old_form_refused():
    lin = _linear()
    lin.register_full_backward_hook(lambda m, gi, go: None)
    step = ad.compile(lambda x: lin(x).sum())
    with pytest.raises(ad.TraceError, match="Linear has backward hooks"):
        step(ad.tensor(X, requires_grad=True))
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        lin.register_backward_hook(lambda m, gi, go: None)


def test_a_hook_returning_the_wrong_number_or_shape_is_named():
    lin = _linear()
    handle = lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    x = ad.tensor(X, requires_grad=True)
    with pytest.raises(ValueError, match="returned 2 gradients for 1 entries"):
        lin(x).sum().backward()
    handle.remove()
    lin.register_full_backward_hook(lambda m, gi, go: (ad.ones((2, 2)),))
    with pytest.raises(ValueError, match=r"shape \(2, 2\) for entry 0"):
        lin(x).sum().backward()


# --- Function: needs_input_grad, extra None gradients, arrays explained --------------

class _Scale(ad.autograd.Function):
    calls: list = []

    @staticmethod
    def forward(ctx, x, w, bias=None):
        _Scale.calls.append(("forward", ctx.needs_input_grad))
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        _Scale.calls.append(("backward", ctx.needs_input_grad))
        return (grad * w if ctx.needs_input_grad[0] else None,
                grad * x if ctx.needs_input_grad[1] else None, None)


def test_needs_input_grad_says_which_inputs_want_a_gradient():
    _Scale.calls.clear()
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    w = ad.tensor([3.0, 4.0])
    _Scale.apply(x, w).sum().backward()      # the third gradient (None) is accepted
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    with ad.no_grad():
        _Scale.apply(x, w)
    assert _Scale.calls == [("forward", (True, False)), ("backward", (True, False)),
                            ("forward", (False, False))]


def test_extra_gradients_from_backward_must_be_none():
    class Extra(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2, grad

    with pytest.raises(ValueError, match="returned 2 gradient.*extra ones may only be None"):
        Extra.apply(ad.tensor([1.0], requires_grad=True)).sum().backward()


def test_a_tensor_method_on_the_arrays_of_forward_says_what_to_call():
    class UsesMm(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.mm(x.T)

    with pytest.raises(AttributeError) as caught:
        UsesMm.apply(ad.tensor(np.eye(2), requires_grad=True))
    assert "UsesMm.forward receives NumPy arrays" in "\n".join(caught.value.__notes__)


# --- ad.autograd.gradcheck / gradgradcheck (PyTorch's form) --------------------------

def test_autograd_gradcheck_checks_only_inputs_requiring_grad():
    x = ad.tensor(R.normal(size=3), requires_grad=True)
    frozen = ad.tensor(R.normal(size=3))
    assert ad.autograd.gradcheck(lambda x, f, s: ad.tanh(x) * f * s, (x, frozen, 2.0))
    assert ad.autograd.gradcheck(lambda x: (x * 2, ad.sin(x)), (x,))
    assert ad.autograd.gradgradcheck(lambda x, s: x ** 3 * s, (x, 1.5))


def test_autograd_gradcheck_fails_a_wrong_gradient_and_refuses_nothing_to_check():
    class Wrong(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * x                     # should be 2 x

    x = ad.tensor([0.5, -1.5], requires_grad=True)
    with pytest.raises(ad.GradcheckError):
        ad.autograd.gradcheck(Wrong.apply, (x,))
    assert ad.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        ad.autograd.gradcheck(ad.sin, (ad.tensor([1.0]),))
    with pytest.raises(NotImplementedError, match="check_forward_ad=True"):
        ad.autograd.gradcheck(ad.sin, (x,), check_forward_ad=True)
    assert ad.autograd.gradcheck(ad.sin, (x,), fast_mode=True)


# --- flip / roll with dims=, contiguous(), random_split ------------------------------

def test_flip_and_roll_take_pytorchs_keywords():
    x = ad.tensor(R.normal(size=(2, 3, 4)), requires_grad=True)
    np.testing.assert_array_equal(ad.flip(x, dims=[0, 2]).data, np.flip(x.data, (0, 2)))
    np.testing.assert_array_equal(ad.roll(x, shifts=(1, -1), dims=(1, 2)).data,
                                  np.roll(x.data, (1, -1), (1, 2)))
    assert ad.gradcheck(lambda t: (ad.flip(t, dims=[1]) * ad.roll(t, shifts=2, dims=2)).sum(),
                        [x.data])
    with pytest.raises(TypeError, match="multiple values for argument .axis"):
        ad.flip(x, 0, dims=0)


def test_contiguous_copies_a_non_row_major_tensor():
    x = ad.tensor(R.normal(size=(2, 3, 4)), requires_grad=True)
    assert x.contiguous() is x
    p = x.permute(2, 0, 1)
    c = p.contiguous()
    assert not p.is_contiguous() and c.is_contiguous() and c.stride() == (6, 3, 1)
    np.testing.assert_array_equal(c.data, p.data)
    weights = R.normal(size=(4, 2, 3))
    (c * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.transpose(1, 2, 0))
    with ad.no_grad():
        c[0] = 0.0                             # a copy: the original is unchanged
    assert (x.data != 0).all()


def test_random_split_gives_subsets_with_index_lists():
    data = ad.data.TensorDataset(np.arange(10.0))
    first, second = ad.data.random_split(data, [0.7, 0.3], generator=0)
    assert isinstance(first.indices, list) and isinstance(second.indices, list)
    assert sorted(first.indices + second.indices) == list(range(10))
    assert first[0][0] == first.indices[0] and len(first[[0, 1]][0]) == 2


# --- the same as PyTorch --------------------------------------------------------------

def test_backward_hooks_match_torch():
    torch = pytest.importorskip("torch")
    a_values, b_values = R.normal(size=(3, 4)), R.normal(size=(3, 4))

    def run(lib):
        class Mix(lib.nn.Module):
            def forward(self, a, scale, b):
                return a * b * scale, (a - b).sin()

        def values(grads):
            return [None if g is None else g.detach().numpy().copy() for g in grads]

        mix, log = Mix(), []
        mix.register_full_backward_pre_hook(
            lambda m, go: log.append(values(go)) or (go[0] * 2, go[1]))
        mix.register_full_backward_hook(
            lambda m, gi, go: log.append(values(gi) + values(go)) or (gi[0] + 1, None, gi[2]))
        a = lib.tensor(a_values, requires_grad=True)
        b = lib.tensor(b_values, requires_grad=True)
        out, other = mix(a, 3.0, b)
        (out.sum() + (other ** 2).sum()).backward()
        return log, [np.asarray(getattr(t.grad, "numpy", lambda: t.grad)()) for t in (a, b)]

    theirs, ours = run(torch), run(ad)
    flat_theirs = theirs[0][0] + theirs[0][1] + theirs[1]
    flat_ours = ours[0][0] + ours[0][1] + ours[1]
    assert len(flat_theirs) == len(flat_ours)
    for t, o in zip(flat_theirs, flat_ours):
        assert (t is None) == (o is None)
        if t is not None:
            np.testing.assert_allclose(o, t, rtol=1e-12)


# --- set-up lines: seeding switches, is_tensor, from_pretrained, legacy forms --------

def test_seeding_switches_are_accepted_and_read_back():
    assert ad.is_tensor(ad.ones(2)) and not ad.is_tensor(np.ones(2))
    ad.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert ad.are_deterministic_algorithms_enabled()
        assert ad.is_deterministic_algorithms_warn_only_enabled()
    finally:
        ad.use_deterministic_algorithms(False)
    assert not ad.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError, match="mode must be a bool"):
        ad.use_deterministic_algorithms("yes")
    ad.set_float32_matmul_precision("medium")
    try:
        assert ad.get_float32_matmul_precision() == "medium"
    finally:
        ad.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="'highest', 'high' or 'medium'"):
        ad.set_float32_matmul_precision("low")


def test_embedding_from_pretrained_copies_the_table_and_freezes_it():
    table = R.normal(size=(5, 3))
    frozen = ad.nn.Embedding.from_pretrained(ad.tensor(table))
    assert not frozen.weight.requires_grad and frozen.weight.shape == (5, 3)
    np.testing.assert_array_equal(frozen(ad.tensor([4, 0])).data, table[[4, 0]])
    trained = ad.nn.Embedding.from_pretrained(table.copy(), freeze=False, padding_idx=1)
    np.testing.assert_array_equal(trained.weight.data[1], table[1])   # kept as given
    trained(ad.tensor([1, 2, 2])).sum().backward()
    np.testing.assert_array_equal(trained.weight.grad[[1, 2]], [[0.0] * 3, [2.0] * 3])
    bag = ad.nn.EmbeddingBag.from_pretrained(table, mode="max")
    np.testing.assert_array_equal(bag(ad.tensor([[0, 3]])).data, table[[0, 3]].max(0)[None])
    with pytest.raises(ValueError, match="2-D floating-point table"):
        ad.nn.Embedding.from_pretrained(np.ones(3))


def test_pytorchs_legacy_sizes_constructor_is_refused_naming_empty():
    with pytest.raises(TypeError, match=r"use ad.empty\(2, 3\)"):
        ad.Tensor(2, 3)
    assert ad.Tensor([1.0], 1).requires_grad          # 0 / 1 still stand for False / True


def test_reading_pytorchs_nested_optimizer_state_keys_says_it_is_flat():
    opt = ad.optim.SGD(ad.nn.Linear(2, 1).parameters(), lr=0.5)
    saved = opt.state_dict()
    assert saved["param_groups.0.lr"] == 0.5
    with pytest.raises(KeyError, match="flat, with keys such as 'param_groups.0.lr'"):
        saved["param_groups"]
    with pytest.raises(KeyError):
        saved["nothing"]


def test_embedding_from_pretrained_matches_torch():
    torch = pytest.importorskip("torch")
    table = R.normal(size=(6, 4))
    ids = np.array([[0, 5, 2], [2, 2, 1]])
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=False,
                                                padding_idx=2)
    ours = ad.nn.Embedding.from_pretrained(table.copy(), freeze=False, padding_idx=2)
    out_t, out_o = theirs(torch.tensor(ids)), ours(ad.tensor(ids))
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy())
    weights = R.normal(size=out_o.shape)
    (out_t * torch.tensor(weights)).sum().backward()
    (out_o * weights).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy())
    assert torch.nn.Embedding.from_pretrained(torch.tensor(table)).weight.requires_grad is \
        ad.nn.Embedding.from_pretrained(table).weight.requires_grad


# --- more lines: Sequential.append, cpu(), autograd.backward, set_detect_anomaly ---

def test_sequential_append_extend_insert_name_layers_by_position():
    net = ad.nn.Sequential(ad.nn.Linear(2, 3))
    assert net.append(ad.nn.ReLU()) is net
    net.extend([ad.nn.Linear(3, 1)]).insert(-1, ad.nn.Tanh())
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Tanh", "Linear"]
    assert list(dict(net.named_parameters())) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    x = ad.tensor(X[:, :2])
    expected = net[3](ad.tanh(ad.maximum(net[0](x), 0)))
    np.testing.assert_allclose(net(x).data, expected.data)
    with pytest.raises(IndexError, match="out of range for 4 layers"):
        net.insert(6, ad.nn.ReLU())
    with pytest.raises(TypeError, match="expected a Module"):
        net.append(ad.relu)


def test_module_cpu_is_itself_and_cuda_names_the_cpu():
    lin = _linear()
    assert lin.cpu() is lin
    with pytest.raises(ValueError, match="device 'cuda' is not available"):
        lin.cuda()


def test_autograd_backward_sums_the_passes_from_several_tensors():
    x = ad.tensor(R.normal(size=3), requires_grad=True)
    upstream = R.normal(size=3)
    ad.autograd.backward([ad.sin(x), (x ** 2).sum()], grad_tensors=[upstream, None])
    np.testing.assert_allclose(x.grad, np.cos(x.data) * upstream + 2 * x.data)
    x.grad = None
    tripled, squared = (x * 3).sum(), x ** 2
    with ad.no_grad():                      # the graphs were recorded before: still a pass
        ad.autograd.backward([tripled, squared], [None, upstream])
    np.testing.assert_allclose(x.grad, 3 + 2 * x.data * upstream)
    with pytest.raises(RuntimeError, match=r"tensors\[0\] has shape \(3,\)"):
        ad.autograd.backward([x * 2, x.sum()])
    with pytest.raises(ValueError, match="got 1 grad_tensors for 2 tensors"):
        ad.autograd.backward([x * 2, x.sum()], [upstream])


def test_set_detect_anomaly_switches_detection_on_and_off():
    assert not ad.autograd.is_anomaly_enabled()
    ad.autograd.set_detect_anomaly(True)
    try:
        assert ad.autograd.is_anomaly_enabled()
        with pytest.raises(ad.AnomalyError), np.errstate(invalid="ignore"):
            ad.sqrt(ad.tensor([-1.0], requires_grad=True))
    finally:
        ad.autograd.set_detect_anomaly(False)
    assert not ad.autograd.is_anomaly_enabled()
    with ad.autograd.set_detect_anomaly(True):
        assert ad.autograd.is_anomaly_enabled()
    assert not ad.autograd.is_anomaly_enabled()


def test_linspace_takes_steps_and_rnns_flatten_parameters():
    np.testing.assert_allclose(ad.linspace(0, 1, steps=5).data, np.linspace(0, 1, 5))
    with pytest.raises(TypeError, match="same argument"):
        ad.linspace(0, 1, 4, steps=5)
    lstm = ad.nn.LSTM(2, 3)
    before = [p.data.copy() for p in lstm.parameters()]
    assert lstm.flatten_parameters() is None
    assert all((a == p.data).all() for a, p in zip(before, lstm.parameters()))


def test_sequential_insert_and_autograd_backward_match_torch():
    torch = pytest.importorskip("torch")
    orders = []
    for lib in (torch, ad):
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
        net.append(lib.nn.Linear(3, 1)).insert(0, lib.nn.Tanh()).insert(-2, lib.nn.Identity())
        orders.append(([type(m).__name__ for m in net], list(dict(net.named_parameters()))))
    assert orders[0] == orders[1]
    values, upstream = R.normal(size=4), R.normal(size=4)
    grads = []
    for lib in (torch, ad):
        x = lib.tensor(values, requires_grad=True)
        lib.autograd.backward([x.exp(), (x * x).sum()], [lib.tensor(upstream), None])
        grads.append(np.asarray(getattr(x.grad, "numpy", lambda: x.grad)()))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


# --- mixed-precision templates and checkpointing, as PyTorch without a GPU ----------

def test_amp_lines_run_as_pytorch_without_a_gpu():
    lin = _linear()
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    with pytest.warns(UserWarning, match="Disabling"):
        scaler = ad.cuda.amp.GradScaler()
    with pytest.warns(UserWarning, match="Disabling autocast"):
        with ad.autocast(device_type="cuda", dtype=ad.float16):
            loss = lin(ad.tensor(X)).pow(2).mean()
    assert loss.dtype == np.float64 and not ad.is_autocast_enabled()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    expected = lin.weight.data - 0.1 * lin.weight.grad
    scaler.step(opt)
    scaler.update()
    np.testing.assert_allclose(lin.weight.data, expected)
    with ad.amp.autocast("cpu", enabled=False):
        pass
    with pytest.raises(NotImplementedError, match="bfloat16"):
        ad.autocast("cpu")
    with pytest.raises(NotImplementedError, match="GradScaler\\('cpu'\\)"):
        ad.amp.GradScaler("cpu")


def test_checkpoint_gives_the_values_and_gradients_of_the_call():
    block = ad.nn.Sequential(_linear(3, 4), ad.nn.Tanh(), _linear(4, 2))
    x = ad.tensor(X, requires_grad=True)
    ad.utils.checkpoint.checkpoint(block, x, use_reentrant=False).sum().backward()
    via_checkpoint = x.grad
    x.grad = None
    block(x).sum().backward()
    np.testing.assert_array_equal(via_checkpoint, x.grad)
    out = ad.utils.checkpoint.checkpoint_sequential(block, 2, x)
    np.testing.assert_array_equal(out.data, block(x).data)


def test_amp_template_and_checkpoint_match_torch():
    torch = pytest.importorskip("torch")
    import warnings

    def run(lib):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                  torch.nn.Linear(4, 1)).double()
        state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        if lib is ad:
            net = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Tanh(), ad.nn.Linear(4, 1))
            net.load_torch_state_dict(state)
        opt = lib.optim.Adam(net.parameters(), lr=0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scaler = lib.amp.GradScaler("cuda")
            losses = []
            for step in range(3):
                opt.zero_grad()
                with lib.autocast(device_type="cuda", dtype=lib.float16):
                    out = lib.utils.checkpoint.checkpoint(net, lib.tensor(X + step),
                                                          use_reentrant=False)
                    loss = (out ** 2).mean()
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                losses.append(loss.item())
        return losses

    np.testing.assert_allclose(run(ad), run(torch), rtol=1e-12)


def test_in_place_shape_methods_change_the_shape_and_are_recorded():
    x = ad.tensor(R.normal(size=(2, 3)), requires_grad=True)
    y = x * 1
    assert y.unsqueeze_(0) is y and y.shape == (1, 2, 3)
    y.squeeze_(0).transpose_(0, 1)
    assert y.shape == (3, 2)
    weights = R.normal(size=(3, 2))
    (y * weights).sum().backward()
    np.testing.assert_allclose(x.grad, weights.T)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        x.unsqueeze_(0)
    plain = ad.tensor([[1.0, 2.0]])
    assert plain.squeeze_().shape == (2,) and plain.unsqueeze_(1).shape == (2, 1)
    with pytest.raises(RuntimeError, match="view of another"):
        plain[0].squeeze_()


def test_grad_fn_names_the_op_and_reaches_the_inputs():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    constant = ad.tensor([3.0, 4.0])
    y = (x * constant + ad.exp(x)).sum()
    assert x.grad_fn is None and constant.grad_fn is None
    assert y.grad_fn.name() == "SumBackward0" and "SumBackward0 object" in repr(y.grad_fn)
    (added, _), = y.grad_fn.next_functions
    assert added.name() == "AddBackward0"
    (product, _), (exponential, _) = added.next_functions
    assert (product.name(), exponential.name()) == ("MultiplyBackward0", "ExpBackward0")
    (leaf, _), (nothing, _) = product.next_functions
    assert leaf.variable is x and nothing is None
    with ad.no_grad():
        assert (x * 2).grad_fn is None
    assert y.detach().grad_fn is None


def test_grad_fn_structure_matches_torch():
    torch = pytest.importorskip("torch")

    def shape_of(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * lib.tensor([3.0, 4.0]) + x.exp()).sum()
        pending, seen = [y.grad_fn], []
        while pending:
            fn = pending.pop()
            kinds = [None if f is None else
                     ("leaf" if type(f).__name__ == "AccumulateGrad" else "op")
                     for f, _ in fn.next_functions]
            seen.append(kinds)
            pending += [f for f, _ in fn.next_functions
                        if f is not None and type(f).__name__ != "AccumulateGrad"]
        return seen, x.grad_fn is None

    assert shape_of(ad) == shape_of(torch)
