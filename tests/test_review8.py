"""Regression tests for element write-backs, hooks, running statistics and the newest
PyTorch names, against PyTorch and central differences."""

import numpy as np
import pytest

import autodiff as ad


def _values(array_or_tensor):
    """A NumPy copy of an ndarray (this library's .grad) or a torch tensor."""
    if isinstance(array_or_tensor, np.ndarray):
        return array_or_tensor.copy()
    return array_or_tensor.detach().numpy().copy()


def _run(lib, write, requires_grad):
    """h = x * 1 written by ``write``; h's values and, recorded, x's gradient of
    sum(h * w)."""
    x = lib.tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=requires_grad)
    h = x * 1
    write(h)
    values = np.array(h.detach().numpy() if lib.__name__ == "torch" else h.data)
    if not requires_grad:
        return values, None
    (h * lib.tensor(np.arange(1.0, 7.0).reshape(2, 3))).sum().backward()
    return values, _values(x.grad)


_WRITES_THROUGH_A_VIEW_OF_AN_ELEMENT = {
    "e[...].mul_": lambda e: e[...].mul_(3),
    "e[...] = v": lambda e: e[...].__setitem__(..., 9.0),
    "e.view(1).add_": lambda e: e.view(1).add_(1),
    "e.reshape(1).add_": lambda e: e.reshape(1).add_(1),
    "e.unsqueeze(0).mul_": lambda e: e.unsqueeze(0).mul_(3),
    "e[None].fill_": lambda e: e[None].fill_(9),
    "e.view(1)[0].fill_": lambda e: e.view(1)[0].fill_(9),
    "e.flatten(0).mul_": lambda e: e.flatten(0).mul_(3),
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(_WRITES_THROUGH_A_VIEW_OF_AN_ELEMENT))
def test_a_write_through_a_view_of_an_element_reaches_its_tensor_as_in_torch(name, requires_grad):
    torch = pytest.importorskip("torch")
    write = _WRITES_THROUGH_A_VIEW_OF_AN_ELEMENT[name]
    values, grad = _run(ad, lambda h: write(h[1, 2]), requires_grad)
    torch_values, torch_grad = _run(torch, lambda h: write(h[1, 2]), requires_grad)
    np.testing.assert_allclose(values, torch_values)
    assert values[1, 2] != 6.0          # (the element was written)
    if requires_grad:
        np.testing.assert_allclose(grad, torch_grad)


def test_a_write_through_a_view_of_an_element_has_the_central_difference_gradient():
    def scaled_through_view(w, s):
        h = w * 1.0
        h[1, 2][...].mul_(s)
        h[0, 1].view(1).add_(s)
        return (h * h).sum()

    assert ad.gradcheck(scaled_through_view, [np.arange(6.0).reshape(2, 3) / 5, np.array(1.7)])


@pytest.mark.parametrize("write", [
    lambda w: w[0, 1].add_(1),
    lambda w: w[0][1].mul_(2),
    lambda w: w[0, 1][...].fill_(3),
    lambda w: w[0, 1].__setitem__(..., 3.0),
    lambda w: w[0, 1].clamp_(0, 0.5),
])
def test_an_element_of_a_leaf_is_refused_before_the_element_changes(write):
    w = ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    element = w[0, 1]
    with pytest.raises(RuntimeError, match="one element of tensor of shape \\(2, 3\\), a leaf"):
        write(w)
    with pytest.raises(RuntimeError, match="one element of tensor"):
        element.add_(1)
    assert float(element) == 1.0 and w.data[0, 1] == 1.0
    with ad.no_grad():
        write(w)
    assert w.data[0, 1] != 1.0


def test_an_in_place_overflow_names_the_method():
    u = ad.tensor(np.arange(3, dtype=np.uint8))
    with pytest.raises(OverflowError, match="add_: .*300"):
        u.add_(300)
    with pytest.raises(OverflowError, match="add_: .*300"):
        u[1].add_(300)
    np.testing.assert_array_equal(u.data, [0, 1, 2])


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("use_module", [False, True])
def test_zero_grad_keeps_a_create_graph_gradient_tensor_and_zeroes_it_as_in_torch(use_module):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        layer = lib.nn.Linear(3, 1, dtype=lib.float64)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(np.array([0.5, -1.0, 2.0]).reshape(
                tuple(layer.weight.shape))))   # (the layouts differ: compared flat)
            layer.bias.fill_(0.25)
        x = lib.tensor([[1.0, 2.0, 3.0]], dtype=lib.float64)
        (layer(x) ** 3).sum().backward(create_graph=True)
        held = layer.weight.grad
        if use_module:
            layer.zero_grad(set_to_none=False)
        else:
            lib.optim.SGD(layer.parameters(), lr=0.1).zero_grad(set_to_none=False)
        assert layer.weight.grad is held and not held.requires_grad
        assert not held.detach().numpy().any()
        (layer(x) ** 2).sum().backward()
        assert layer.weight.grad is held
        results.append(held.detach().numpy().ravel().copy())
    np.testing.assert_allclose(results[0], results[1])


def _trained_norm_pair(torch):
    """An ad and a torch Sequential(Linear, BatchNorm1d(momentum=None)) with the same
    weights, trained on the same three batches."""
    model = ad.nn.Sequential(ad.nn.Linear(3, 2, dtype=ad.float64),
                             ad.nn.BatchNorm1d(2, momentum=None, dtype=ad.float64))
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 2, dtype=torch.float64),
                                      torch.nn.BatchNorm1d(2, momentum=None,
                                                           dtype=torch.float64))
    model.load_torch_state_dict(torch_model.state_dict())
    rng = np.random.default_rng(5)
    for _ in range(3):
        x = rng.standard_normal((4, 3))
        model(ad.tensor(x))
        torch_model(torch.tensor(x))
    return model, torch_model


def test_a_state_without_num_batches_tracked_keeps_the_layers_count_as_in_torch():
    torch = pytest.importorskip("torch")
    model, torch_model = _trained_norm_pair(torch)
    fresh, torch_fresh = _trained_norm_pair(torch)
    saved = {k: v for k, v in model.state_dict().items() if "num_batches_tracked" not in k}
    torch_saved = {k: v for k, v in torch_model.state_dict().items()
                   if "num_batches_tracked" not in k}          # (a plain dict: no metadata)
    with ad.no_grad():
        fresh[1].num_batches_tracked.fill_(7)
    torch_fresh[1].num_batches_tracked.fill_(7)
    assert fresh.load_state_dict(saved) == ([], [])
    torch_result = torch_fresh.load_state_dict(torch_saved)
    assert not torch_result.missing_keys
    assert fresh[1].num_batches_tracked.item() == torch_fresh[1].num_batches_tracked.item() == 7
    x = np.random.default_rng(6).standard_normal((4, 3))
    np.testing.assert_allclose(fresh(ad.tensor(x)).data, torch_fresh(torch.tensor(x)).detach())
    np.testing.assert_allclose(fresh[1].running_var.data, torch_fresh[1].running_var)
    # PyTorch's own state dict, converted: the same, and through load_torch_state_dict
    other, _ = _trained_norm_pair(torch)
    assert other.load_torch_state_dict(torch_saved) == ([], [])
    np.testing.assert_allclose(other[1].running_mean.data, torch_model[1].running_mean)
    assert other[1].num_batches_tracked.item() == 3


def test_a_versioned_state_without_num_batches_tracked_misses_it_as_in_torch():
    torch = pytest.importorskip("torch")
    model, torch_model = _trained_norm_pair(torch)
    torch_state = torch_model.state_dict()      # (an OrderedDict with version metadata)
    del torch_state["1.num_batches_tracked"]
    assert "1.num_batches_tracked" in torch_model.load_state_dict(torch_state,
                                                                  strict=False).missing_keys
    with pytest.raises(KeyError, match="1.num_batches_tracked"):
        model.load_torch_state_dict(torch_state)
    result = model.load_torch_state_dict(torch_state, strict=False)
    assert result.missing_keys == ["1.num_batches_tracked"]


_WRITES_BEFORE_THE_ELEMENTS_METHOD = {
    "recorded h.mul_": lambda h: h.mul_(2),
    "h[1, 2] = v": lambda h: h.__setitem__((1, 2), 4.0),
    "h[1] slice add_": lambda h: h[1].add_(3),
    "h.T[2, 1] fill_": lambda h: h.T[2, 1].fill_(0.5),
    "another element": lambda h: h[0, 0].fill_(-1),
    "h.mul_(1): same values": lambda h: h.mul_(h.detach() * 0 + 1),
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(_WRITES_BEFORE_THE_ELEMENTS_METHOD))
def test_an_element_read_before_its_tensor_changed_updates_the_current_value(name,
                                                                              requires_grad):
    torch = pytest.importorskip("torch")
    change = _WRITES_BEFORE_THE_ELEMENTS_METHOD[name]

    def write(h):
        element = h[1, 2]
        change(h)
        element.mul_(10).add_(1)

    values, grad = _run(ad, write, requires_grad)
    torch_values, torch_grad = _run(torch, write, requires_grad)
    np.testing.assert_allclose(values, torch_values)
    if requires_grad:
        np.testing.assert_allclose(grad, torch_grad)


def test_an_element_made_its_own_by_an_operator_keeps_numpys_copy():
    h = ad.tensor(np.arange(4.0).reshape(2, 2))
    total = h[0, 1]
    total += 10                         # NumPy's scalar: h stays
    h[0, 1] = -5.0
    assert h.data[0, 1] == -5.0 and float(total) == 11.0
    total.add_(1)                       # the method writes the copy's own value back
    assert h.data[0, 1] == 12.0


def test_a_stale_element_gradient_matches_central_differences():
    def scaled_after_update(w, s):
        h = w * 1.0
        element = h[0, 1]
        h.mul_(s)
        element.mul_(s)
        return (h * h).sum()

    assert ad.gradcheck(scaled_after_update, [np.arange(6.0).reshape(2, 3) / 5, np.array(1.3)])


@pytest.mark.parametrize("update", ["mul_", "fill_", "setitem"])
def test_a_hook_on_an_element_sees_only_its_uses_before_an_update_as_in_torch(update):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        seen = []
        x = lib.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
        h = x * 1
        element = h[1, 2]
        element.register_hook(lambda g, seen=seen: seen.append(float(g)))
        before = element * 5
        if update == "mul_":
            element.mul_(2)
        elif update == "fill_":
            element.fill_(3.0)
        else:
            element[...] = 3.0
        (before + (h * h).sum()).backward()
        results.append((seen, _values(x.grad)))
    assert results[0][0] == results[1][0] == [5.0]
    np.testing.assert_allclose(results[0][1], results[1][1])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_compiled_step_refreshes_a_stale_element_as_every_eager_call():
    def step(x):
        h = x * 1
        element = h[1, 2]
        h.mul_(x[0, 0])                 # x[0, 0] is 1 on the second call: same values
        element.add_(x[0, 1])
        loss = (h * h).sum()
        loss.backward()
        return loss.detach()

    compiled = ad.compile(step)
    for k in range(3):
        eager_x = ad.tensor(np.arange(6.0).reshape(2, 3) + k, requires_grad=True)
        compiled_x = ad.tensor(np.arange(6.0).reshape(2, 3) + k, requires_grad=True)
        np.testing.assert_allclose(float(step(eager_x)), float(compiled(compiled_x)))
        np.testing.assert_allclose(eager_x.grad, compiled_x.grad)
        # the element's value is h[1, 2] * x[0, 0] + x[0, 1]: x[0, 0]'s gradient has
        # 2 * (that) * x[1, 2] from it, on top of the other elements' 2 x_ij^2 x00
        # and h[0, 0] = x00^2's 4 x00^3
        x = eager_x.data
        others = (x ** 2).sum() - x[0, 0] ** 2 - x[1, 2] ** 2
        expected = (2 * others * x[0, 0] + 4 * x[0, 0] ** 3
                    + 2 * (x[1, 2] * x[0, 0] + x[0, 1]) * x[1, 2])
        assert eager_x.grad[0, 0] == pytest.approx(expected)


@pytest.mark.parametrize("optimizer", ["SparseAdam", "Muon"])
def test_an_empty_parameter_steps_as_in_torch(optimizer):
    torch = pytest.importorskip("torch")
    w = ad.tensor(np.ones((0, 3)), requires_grad=True)
    opt = getattr(ad.optim, optimizer)([w], lr=0.1)
    w.grad = np.ones((0, 3))
    opt.step()
    tw = torch.ones((0, 3), requires_grad=True)
    torch_opt = getattr(torch.optim, optimizer)([tw], lr=0.1)
    tw.grad = torch.ones((0, 3)).to_sparse() if optimizer == "SparseAdam" else torch.ones((0, 3))
    torch_opt.step()
    assert w.shape == tuple(tw.shape)
    assert sorted(opt.state[w]) == sorted(torch_opt.state[tw])


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int64"])
@pytest.mark.parametrize("value", [300, -1, -200, 255.7, -0.5, 1e10, float("nan"), 2 ** 63, 100,
                                   1.5, True])
def test_masked_fill_refuses_a_value_out_of_the_integer_range_as_torch(dtype, value):
    torch = pytest.importorskip("torch")
    values = np.arange(3).astype(dtype)
    tensor = torch.tensor(values)
    try:
        expected = tensor.masked_fill(tensor > 0, value).numpy()
    except (RuntimeError, OverflowError):
        expected = None
    t = ad.tensor(values)
    if expected is None:
        refusal = ValueError if value != value else OverflowError   # (NaN: cannot be stored)
        with pytest.raises(refusal, match="masked_fill: the value"):
            t.masked_fill(t > 0, value)
        with pytest.raises(refusal, match="masked_fill: the value"):
            t.masked_fill_(t > 0, value)
        np.testing.assert_array_equal(t.data, values)
    else:
        np.testing.assert_array_equal(t.masked_fill(t > 0, value).data, expected)


def test_nn_utils_fusion_is_reached_by_pytorchs_module_path():
    from autodiff.nn.utils.fusion import fuse_conv_bn_eval

    assert ad.nn.utils.fusion.fuse_conv_bn_eval is fuse_conv_bn_eval
    assert fuse_conv_bn_eval is ad.nn.utils.fuse_conv_bn_eval
    conv, bn = ad.nn.Conv2d(2, 3, 1), ad.nn.BatchNorm2d(3)
    bn(conv(ad.tensor(np.random.default_rng(0).standard_normal((4, 2, 3, 3)))))
    conv.eval(), bn.eval()
    x = ad.tensor(np.random.default_rng(1).standard_normal((1, 2, 3, 3)))
    np.testing.assert_allclose(fuse_conv_bn_eval(conv, bn)(x).data, bn(conv(x)).data,
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("reduce", ["max", "min", "amax", "amin"])
def test_segment_reduce_gives_a_tie_with_initial_the_whole_gradient_as_torch(reduce):
    torch = pytest.importorskip("torch")
    data = np.array([1.0, 2.0, 3.0, 0.5, 1.0, 6.0])
    lengths = [2, 0, 3, 1]
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    x = ad.tensor(data, requires_grad=True)
    result = ad.segment_reduce(x, reduce, lengths=ad.tensor(np.array(lengths)), initial=1.0)
    (result * ad.tensor(weights)).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    torch_result = torch.segment_reduce(tx, reduce, lengths=torch.tensor(lengths), initial=1.0)
    (torch_result * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(result.data, torch_result.detach().numpy())
    np.testing.assert_allclose(x.grad, tx.grad.numpy())


_METHODS_COMPUTED_BEFORE_THEY_STORE = {
    "exp_": lambda e, lib: e.exp_(),
    "lerp_": lambda e, lib: e.lerp_(lib.tensor(np.array(2.0)), 0.5),
    "masked_fill_": lambda e, lib: e.masked_fill_(lib.tensor(np.array(False)), 0.0),
    "addcmul_": lambda e, lib: e.addcmul_(lib.tensor(np.array(2.0)), lib.tensor(np.array(3.0))),
    "float_power_": lambda e, lib: e.float_power_(2),
    "index_fill_": lambda e, lib: e.index_fill_(0, lib.tensor(np.array([0])), 3.0),
    "put_": lambda e, lib: e.put_(lib.tensor(np.array([0])), lib.tensor(np.array([0.25]))),
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name", sorted(_METHODS_COMPUTED_BEFORE_THEY_STORE))
def test_a_method_that_computes_first_reads_a_stale_elements_current_value(name,
                                                                           requires_grad):
    torch = pytest.importorskip("torch")
    method = _METHODS_COMPUTED_BEFORE_THEY_STORE[name]

    def write(h, lib):
        element = h[1, 2]
        h.mul_(0.5)
        method(element, lib)

    values, grad = _run(ad, lambda h: write(h, ad), requires_grad)
    torch_values, torch_grad = _run(torch, lambda h: write(h, torch), requires_grad)
    np.testing.assert_allclose(values, torch_values)
    if requires_grad:
        np.testing.assert_allclose(grad, torch_grad)
