"""Behaviours that matched PyTorch only in part, compared with PyTorch 2.13 (and
without it, where the expected result can be stated on its own): parameters that
``vector_to_parameters`` makes views of the vector, an optimizer step right after
``backward(create_graph=True)``, and forward's parameter names
(``tests/test_leftovers9_views_dims.py`` has the rest)."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn.utils import parameters_to_vector, vector_to_parameters

# Two parameters with no layout difference between the libraries.
A0 = np.arange(6.0).reshape(2, 3) / 4
B0 = np.array([0.5, -1.0])


def _values(t):
    """A copy of a Tensor's (either library's) or an array's values."""
    return np.array(t.tolist())


def _vector_views_run(lib, vector_to_params, make_param, tensor):
    """The same script in both libraries: parameters become views of a vector, the
    vector is written in place, then an SGD step updates the parameters."""
    a, b = make_param(A0), make_param(B0)
    a.grad = tensor(np.ones((2, 3)))
    vec = tensor(np.arange(8.0) + 10)
    vector_to_params(vec, [a, b])
    seen = {"grad kept": _values(a.grad), "requires_grad": a.requires_grad,
            "a after": _values(a.detach())}
    vec[1] = -5.0                                    # an in-place write to the vector
    seen["a after write"] = _values(a.detach())
    b.grad = tensor(np.array([1.0, 2.0]))
    lib.optim.SGD([a, b], lr=0.5).step()              # steps the parameters in place
    seen["vec after step"] = _values(vec)
    return seen


def test_vector_to_parameters_makes_views_that_share_memory():
    a, b = ad.nn.Parameter(A0.copy()), ad.nn.Parameter(B0.copy())
    vec = ad.tensor(np.arange(8.0))
    vector_to_parameters(vec, [a, b])
    vec[0] = 100.0
    assert a.data[0, 0] == 100.0
    b.data -= 1.0
    np.testing.assert_array_equal(vec.data[6:], [5.0, 6.0])
    assert isinstance(a, ad.nn.Parameter) and a.requires_grad


def test_vector_to_parameters_keeps_module_parameters_and_forward_sees_vec():
    layer = ad.nn.Linear(3, 2, rng=0)
    weight, grad = layer.weight, np.ones((3, 2))
    weight.grad = grad
    vec = ad.tensor(np.zeros(8))
    vector_to_parameters(vec, layer.parameters())
    assert layer.weight is weight and weight.grad.base is grad   # (grad, seen as a GradArray)
    vec[6:] = 1.0                                     # the bias slice
    np.testing.assert_array_equal(layer(ad.tensor(np.ones((1, 3)))).data, [[1.0, 1.0]])
    np.testing.assert_array_equal(parameters_to_vector(layer.parameters()).data, vec.data)


def test_vector_to_parameters_takes_the_vectors_dtype():
    a = ad.nn.Parameter(np.zeros(3))
    vector_to_parameters(ad.tensor(np.ones(3, dtype=np.float32)), [a])
    assert a.dtype == np.float32


def test_vector_to_parameters_matches_torch():
    torch = pytest.importorskip("torch")
    ours = _vector_views_run(ad, vector_to_parameters, ad.nn.Parameter,
                             lambda v: ad.tensor(np.array(v, dtype=np.float64)))
    theirs = _vector_views_run(
        torch, torch.nn.utils.vector_to_parameters,
        lambda v: torch.nn.Parameter(torch.tensor(v)),
        lambda v: torch.tensor(np.array(v, dtype=np.float64)))
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
    a = torch.nn.Parameter(torch.zeros(3))
    torch.nn.utils.vector_to_parameters(torch.ones(3, dtype=torch.float64), [a])
    assert a.dtype == torch.float64                   # the dtype follows the vector


def test_vector_to_parameters_refuses_a_wrong_length():
    a = ad.nn.Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="vector_to_parameters.*4 entries.*3"):
        vector_to_parameters(ad.tensor(np.zeros(4)), [a])
    with pytest.raises(ValueError, match="vector_to_parameters.*1-d"):
        vector_to_parameters(ad.tensor(np.zeros((1, 3))), [a])


def test_linear_layout_in_vectors_is_documented_and_state_dicts_convert():
    """A Linear weight is (in, out) here: parameters_to_vector's order differs from
    PyTorch's, which its docstring says; the torch state_dict functions convert."""
    assert "(in_features, out_features)" in parameters_to_vector.__doc__
    assert "load_torch_state_dict" in parameters_to_vector.__doc__
    layer = ad.nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="load_torch_state_dict"):
        layer.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(2)})


def test_linear_vector_order_and_state_dict_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(3, 2).double()
    ours = ad.nn.Linear(3, 2)
    ours.load_torch_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ours(ad.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    # The flat vectors hold the same numbers, the weight in transposed order.
    vec_ours = parameters_to_vector(ours.parameters()).data
    vec_theirs = torch.nn.utils.parameters_to_vector(theirs.parameters()).detach().numpy()
    np.testing.assert_array_equal(vec_ours[:6], vec_theirs[:6].reshape(2, 3).T.ravel())
    back = {k: torch.from_numpy(v) for k, v in ours.to_torch_state_dict().items()}
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(back[key].numpy(), value.numpy())


# ----- 2. opt.step() right after backward(create_graph=True) ---------------------------

W0 = np.array([[1.0, 2.0], [-0.5, 0.75]])

OPTIMIZERS = {      # name: keyword arguments, the same in both libraries
    "SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.1), "AdamW": dict(lr=0.1),
    "RMSprop": dict(lr=0.1), "NAdam": dict(lr=0.1), "RAdam": dict(lr=0.1),
    "Adamax": dict(lr=0.1), "Adagrad": dict(lr=0.1), "Adadelta": dict(lr=0.5),
    "Rprop": dict(lr=0.1), "ASGD": dict(lr=0.1), "Adafactor": dict(lr=0.1),
}


def _loss_of(w):
    return (w ** 3).sum() + (w[0] * w[1]).sum()


def _create_graph_steps(lib, name, kwargs, steps=2):
    """Steps of ``name`` each right after backward(create_graph=True) with a gradient
    penalty; the parameter's values after them."""
    w = lib.nn.Parameter(lib.tensor(W0.copy()))
    opt = getattr(lib.optim, name)([w], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = _loss_of(w)
        loss.backward(create_graph=True)
        opt.step()
    return _values(w.detach())


def _lbfgs_run(lib):
    w = lib.nn.Parameter(lib.tensor(W0.copy()))
    opt = lib.optim.LBFGS([w], lr=0.1, max_iter=5)

    def closure():
        opt.zero_grad()
        loss = _loss_of(w)
        loss.backward(create_graph=True)
        return loss

    opt.step(closure)
    return _values(w.detach()), w.grad


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_after_create_graph_updates_as_after_a_plain_backward(name):
    stepped = _create_graph_steps(ad, name, OPTIMIZERS[name])
    w = ad.nn.Parameter(W0.copy())
    opt = getattr(ad.optim, name)([w], **OPTIMIZERS[name])
    for _ in range(2):
        opt.zero_grad()
        _loss_of(w).backward()
        opt.step()
    np.testing.assert_array_equal(stepped, w.data)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_backward_through_the_stale_create_graph_refuses(name):
    w = ad.nn.Parameter(W0.copy())
    loss = _loss_of(w)
    loss.backward(create_graph=True)
    grad = w.grad
    getattr(ad.optim, name)([w], **OPTIMIZERS[name]).step()
    for stale in (grad.sum(), loss):
        with pytest.raises(ad.InPlaceError, match=r"op '\w+' saved its input '[ab]' "
                                                  r"\(a float64 array of shape \(2,"):
            stale.backward()
    del loss, grad, stale
    w.grad = None
    assert w.data.flags.writeable           # the graphs freed, the guard let go


def test_lbfgs_step_with_a_create_graph_closure_refuses_the_stale_graph():
    values, grad = _lbfgs_run(ad)
    assert np.all(np.isfinite(values)) and not np.array_equal(values, W0)
    with pytest.raises(ad.InPlaceError, match="saved its input"):
        grad.sum().backward()


def test_step_before_backward_is_still_refused():
    w = ad.nn.Parameter(W0.copy())
    loss = _loss_of(w)
    w.grad = np.ones((2, 2))
    with pytest.raises(RuntimeError, match="SGD.step: cannot update parameter"):
        ad.optim.SGD([w], lr=0.1).step()
    del loss


@pytest.mark.filterwarnings("ignore:Using backward")
def test_step_after_create_graph_matches_torch():
    torch = pytest.importorskip("torch")
    for name, kwargs in OPTIMIZERS.items():
        if not hasattr(torch.optim, name):
            continue
        # (NAdam's and ASGD's differ from PyTorch's by ~1e-8 after a plain backward too.)
        np.testing.assert_allclose(_create_graph_steps(ad, name, kwargs),
                                   _create_graph_steps(torch, name, kwargs),
                                   rtol=1e-7 if name in ("NAdam", "ASGD") else 1e-12, atol=1e-14,
                                   err_msg=name)
    ours, _ = _lbfgs_run(ad)
    theirs, grad = _lbfgs_run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        grad.sum().backward()


# ----- 3. forward's parameter names are PyTorch's ---------------------------------------

# PyTorch's abstract bases, whose forward is Module's unimplemented ``*input``.
_ABSTRACT = {"Module", "Container", "ModuleDict", "ModuleList", "ParameterDict",
             "ParameterList", "RNNBase", "RNNCellBase"}


def _forward_names(cls):
    import inspect
    return [p.name for p in inspect.signature(cls.forward).parameters.values()]


def _module_classes():
    import inspect
    return {name: cls for name, cls in vars(ad.nn).items()
            if inspect.isclass(cls) and issubclass(cls, ad.nn.Module) and name not in _ABSTRACT}


def test_forward_parameter_names_match_torch_for_every_shared_module():
    torch = pytest.importorskip("torch")
    import inspect
    compared = 0
    for name, cls in sorted(_module_classes().items()):
        theirs_cls = getattr(torch.nn, name, None)
        if not (inspect.isclass(theirs_cls) and issubclass(theirs_cls, torch.nn.Module)):
            continue
        theirs = list(inspect.signature(theirs_cls.forward).parameters.values())
        ours = list(inspect.signature(cls.forward).parameters.values())
        assert [p.name for p in ours[:len(theirs)]] == [p.name for p in theirs], name
        assert [p.kind for p in ours[:len(theirs)]] == [p.kind for p in theirs], name
        extra = ours[len(theirs):]       # only keyword-only ones may follow
        assert all(p.kind is p.KEYWORD_ONLY for p in extra), (name, extra)
        compared += 1
    assert compared > 100


def test_no_module_forward_keeps_a_name_pytorch_does_not_use():
    """Without PyTorch: the layers' first argument is ``input`` (PyTorch's RMSNorm
    names it ``x``; Bump and MLP are this library's own)."""
    own_names = {"RMSNorm", "Bump", "MLP"}
    for name, cls in _module_classes().items():
        names = _forward_names(cls)
        if name not in own_names:
            assert "x" not in names and "ids" not in names, (name, names)
    assert _forward_names(ad.nn.RMSNorm)[1] == "x"


def test_layers_called_by_pytorchs_keyword_names():
    x = ad.tensor(np.arange(12.0).reshape(2, 6) / 5)
    linear = ad.nn.Linear(6, 3, rng=0)
    np.testing.assert_array_equal(linear(input=x).data, linear(x).data)
    np.testing.assert_array_equal(ad.nn.ReLU()(input=x - 1).data, np.maximum(x.data - 1, 0))
    norm = ad.nn.LayerNorm(6)
    np.testing.assert_array_equal(norm(input=x).data, norm(x).data)
    embedding = ad.nn.Embedding(5, 2, rng=0)
    ids = ad.tensor(np.array([1, 4]))
    np.testing.assert_array_equal(embedding(input=ids).data, embedding(ids).data)
    conv = ad.nn.Conv2d(1, 2, 3, rng=0)
    image = ad.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    np.testing.assert_array_equal(conv(input=image).data, conv(image).data)
    loss = ad.nn.MSELoss()
    assert float(loss(input=x, target=x * 0)) == pytest.approx(float((x.data ** 2).mean()))
    lstm = ad.nn.LSTM(6, 4, rng=0)
    state = (ad.tensor(np.zeros((1, 4))), ad.tensor(np.ones((1, 4))))
    by_keyword, (h, c) = lstm(input=x, hx=state)
    np.testing.assert_array_equal(by_keyword.data, lstm(x, state)[0].data)
    attention = ad.nn.MultiheadAttention(6, 2)
    q = ad.tensor(np.arange(36.0).reshape(3, 2, 6) / 36)
    out, _ = attention(query=q, key=q, value=q)
    np.testing.assert_array_equal(out.data, attention(q, q, q)[0].data)


# --- nn.Sequential: net[i] = layer, del net[i], net.pop(i), as in PyTorch ----------------

def _layer_kinds(net):
    return [type(m).__name__ for m in net]


def test_sequential_setitem_delitem_and_pop_name_layers_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
        net[1] = lib.nn.Tanh()
        net[-1] = lib.nn.Linear(3, 2)
        assert _layer_kinds(net) == ["Linear", "Tanh", "Linear"]
        assert [k for k, _ in net.named_parameters()] == [
            "0.weight", "0.bias", "2.weight", "2.bias"]
        del net[0]
        assert _layer_kinds(net) == ["Tanh", "Linear"]
        assert [k for k, _ in net.named_parameters()] == ["1.weight", "1.bias"]
        popped = net.pop(0)
        assert type(popped).__name__ == "Tanh" and len(net) == 1
        assert [k for k, _ in net.named_parameters()] == ["0.weight", "0.bias"]
        with pytest.raises(IndexError):
            net[3] = lib.nn.ReLU()


def test_sequential_setitem_replaces_the_layer_the_forward_runs():
    net = ad.nn.Sequential(ad.nn.Linear(2, 2), ad.nn.ReLU())
    net[1] = ad.nn.Identity()
    x = ad.tensor(np.array([[-1.0, 2.0]]))
    np.testing.assert_array_equal(net(x).data, net[0](x).data)
    with pytest.raises(TypeError, match="expects a Module"):
        net[0] = ad.nn.functional.relu
    del net[:1]
    assert _layer_kinds(net) == ["Identity"]
