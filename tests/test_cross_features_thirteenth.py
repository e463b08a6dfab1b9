"""The twelfth round's features with the machinery they are used with: DLPack exports
of data read backwards, pickled pruned models, ``np.nan_to_num(nan=Tensor)`` of an
ndarray, node post-hooks and tensor hooks under ``detect_anomaly``."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.anomaly import AnomalyError
from autodiff.compile.refusals import TraceError

RNG = np.random.default_rng(1313)
X = np.arange(12.0).reshape(3, 4)


# ----- DLPack: data read backwards ------------------------------------------------------

@pytest.mark.parametrize("backwards", ["t[:, ::-1]", "np.flip(t)", "t[::-1, ::2]", "t.flip(0)"])
def test_a_tensor_read_backwards_reaches_torch_through_dlpack(backwards):
    pytest.importorskip("torch")
    # NumPy exports negative strides, on which torch.from_dlpack aborts the interpreter
    # ("Storage size calculation overflowed"): run it apart, so an abort fails one test
    script = (
        "import numpy as np, torch, autodiff as ad\n"
        "t = ad.tensor(np.arange(12.0).reshape(3, 4))\n"
        f"v = {backwards}\n"
        "b = torch.from_dlpack(v)\n"
        "assert np.array_equal(b.numpy(), v.data), (b, v)\n"
        "c = torch.utils.dlpack.from_dlpack(ad.to_dlpack(v))\n"
        "assert np.array_equal(c.numpy(), v.data)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_data_read_backwards_is_exported_as_a_copy_and_copy_false_refuses():
    t = ad.tensor(X)[:, ::-1]
    exported = np.from_dlpack(t)
    assert all(s > 0 for s in exported.strides)
    np.testing.assert_array_equal(exported, X[:, ::-1])
    with pytest.raises(BufferError, match=r"read backwards .*copy=None"):
        t.__dlpack__(copy=False)
    # data read forwards is still shared, not copied
    forwards = ad.tensor(X)
    assert np.shares_memory(np.from_dlpack(forwards), forwards.data)
    # a reversed axis of length one has no backward step to take
    single = ad.tensor(X)[:1][::-1]
    assert np.shares_memory(np.from_dlpack(single), single.data)


def test_from_dlpack_of_a_tensor_states_the_tape_refusal_without_a_memory_clause():
    def f(a):
        return (ad.from_dlpack(a * 2) * a).sum()
    with pytest.raises(TypeError) as raised:
        ad.grad(f)(X)
    assert "exported through DLPack" in str(raised.value)
    assert "only CPU memory" not in str(raised.value)
    with pytest.raises(TraceError) as traced:
        ad.compile(lambda a: ad.from_dlpack(a) * a)(ad.tensor(X))
    assert "DLPack export" in str(traced.value)
    assert "only CPU memory" not in str(traced.value)
    # an ndarray is still viewed; another library's refusal is passed on, named, without
    # blaming CPU memory
    assert ad.from_dlpack(X).data_ptr() == X.ctypes.data
    torch = pytest.importorskip("torch")
    with pytest.raises(BufferError) as refused:
        ad.from_dlpack(torch.ones(2, requires_grad=True))
    assert str(refused.value).startswith("from_dlpack: cannot view torch.Tensor through DLPack")
    assert "only CPU memory" not in str(refused.value)


# ----- pruned models: pickling -----------------------------------------------------------

def _pruned_model():
    prune = ad.nn.utils.prune
    model = ad.nn.Sequential(ad.nn.Linear(4, 3, rng=0), ad.nn.Tanh(), ad.nn.Linear(3, 2, rng=1))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    ad.manual_seed(0)
    prune.random_unstructured(model[0], "weight", amount=0.3)
    prune.ln_structured(model[2], "weight", amount=1, n=2, dim=0)
    return model


def test_a_pruned_model_pickles_and_its_copy_prunes_itself():
    # the pruning method held a weak reference to its module, which pickle refused
    # ("cannot pickle 'weakref.ReferenceType' object"); PyTorch pickles pruned models
    model = _pruned_model()
    copy = pickle.loads(pickle.dumps(model))
    x = ad.tensor(RNG.normal(size=(3, 4)))
    np.testing.assert_array_equal(copy(x).data, model(x).data)
    for layer in (copy[0], copy[2]):
        method = next(iter(layer._forward_pre_hooks.values()))
        assert method._module() is layer
    # the copy's hook reads the copy's parameter and mask, not the original's
    copy[0].weight_orig.data[...] = 7.0
    copy(x)
    np.testing.assert_array_equal(copy[0].weight.data, 7.0 * np.asarray(copy[0].weight_mask))
    assert np.abs(model[0].weight.data).max() < 7.0


def test_a_pickled_pruned_model_compiles_trains_and_removes_its_pruning():
    model = pickle.loads(pickle.dumps(_pruned_model()))
    reference = pickle.loads(pickle.dumps(model))
    steps = []
    for net in (model, reference):
        opt = ad.optim.SGD(net.parameters(), lr=0.1)

        def step(x, net=net, opt=opt):
            opt.zero_grad()
            loss = (net(x) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        steps.append(step)
    compiled = ad.compile(steps[0])
    for k in range(3):
        x = RNG.normal(size=(5, 4))
        got, expected = compiled(ad.tensor(x)), steps[1](ad.tensor(x))
        # (a plan's fused loops may round differently by an ulp)
        np.testing.assert_allclose(got.data, expected.data, rtol=1e-13)
    np.testing.assert_allclose(model[0].weight.data, reference[0].weight.data, rtol=1e-13)
    # the replays set the copy's pruned weight: the masked entries stay zero
    assert (model[0].weight.data[np.asarray(model[0].weight_mask) == 0] == 0).all()
    ad.nn.utils.prune.remove(model[0], "weight")
    assert "weight_orig" not in dict(model[0].named_parameters())


def test_a_pruned_models_state_dict_loads_into_a_pickled_copy():
    model = _pruned_model()
    buffer = io.BytesIO()
    ad.save(model.state_dict(), buffer)
    buffer.seek(0)
    copy = pickle.loads(pickle.dumps(_pruned_model()))
    copy.load_state_dict(ad.load(buffer))
    x = ad.tensor(RNG.normal(size=(2, 4)))
    np.testing.assert_array_equal(copy(x).data, model(x).data)


# ----- np.nan_to_num(ndarray, nan=Tensor) ------------------------------------------------

def test_nan_to_num_of_an_ndarray_with_a_tensor_value_names_itself_and_the_fix():
    # it named numpy.copyto, which the user never called
    a = X.copy()
    a[0, 0] = np.nan
    value = ad.tensor(0.5, requires_grad=True)
    with pytest.raises(TypeError) as raised:
        np.nan_to_num(a, nan=value)
    message = str(raised.value)
    assert message.startswith("numpy.nan_to_num replaces entries of an ndarray")
    assert "np.nan_to_num(ad.tensor(a), nan=value)" in message
    # inside vmap(grad), where an unmapped-for-grad argument stays an ndarray
    with pytest.raises(TypeError, match="numpy.nan_to_num replaces"):
        ad.vmap(ad.grad(lambda row, v: np.nan_to_num(row, nan=v).sum(), argnums=1),
                in_dims=(0, None))(a, np.array(0.5))
    # the fix it names works, on the tape
    fixed = np.nan_to_num(ad.tensor(a), nan=value)
    fixed.sum().backward()
    assert value.grad == 1.0
    # a value that needs no gradient is written by NumPy, as before
    np.testing.assert_array_equal(np.nan_to_num(a, nan=ad.tensor(0.5)), np.nan_to_num(a, nan=0.5))


# ----- hooks under detect_anomaly --------------------------------------------------------

def test_a_tensor_hook_that_makes_nan_is_named_by_detect_anomaly():
    # the NaN reached every rule from upstream, so no op was blamed: nothing raised
    # (PyTorch's anomaly mode raises at the next node's output)
    with ad.detect_anomaly():
        u = ad.tensor([0.5, 1.0], requires_grad=True)
        y = ad.exp(u)
        y.register_hook(lambda g: g * np.nan)
        with pytest.raises(AnomalyError) as raised:
            y.sum().backward()
    message = str(raised.value)
    assert message.startswith("register_hook: the hook <lambda> on the output of exp "
                              "returned NaN in place of a finite gradient")
    assert "y = ad.exp(u)" in message
    assert "given [1, 1], returned [nan, nan]" in message


def test_a_node_post_hook_that_makes_nan_is_named_not_the_ops_rule():
    # the error blamed exp's rule, whose local derivative it showed finite
    def nan_hook(grad_inputs, grad_outputs):
        return (grad_inputs[0] * np.nan,)
    with ad.detect_anomaly():
        u = ad.tensor([0.5, 1.0], requires_grad=True)
        y = ad.exp(u)
        y.grad_fn.register_hook(nan_hook)
        with pytest.raises(AnomalyError) as raised:
            y.sum().backward()
    message = str(raised.value)
    assert message.startswith("register_hook: the hook nan_hook on exp's node, for input 0, "
                              "returned NaN")
    assert "local derivative" not in message


@pytest.mark.parametrize("where", ["leaf", "prehook"])
def test_a_leaf_hook_or_a_prehook_that_makes_inf_is_named(where):
    with ad.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        u = ad.tensor([0.5, 1.0], requires_grad=True)
        if where == "leaf":
            u.register_hook(lambda g: g / 0)
            y = u * 2
        else:
            y = ad.exp(u)
            y.grad_fn.register_prehook(lambda go: (go[0] * np.inf,))
        with pytest.raises(AnomalyError, match=r"the hook <lambda> on the (leaf tensor of "
                                               r"shape \(2,\)|output of exp) returned inf"):
            y.sum().backward()


def test_finite_hooks_and_nan_from_upstream_pass_detect_anomaly_as_before():
    with ad.detect_anomaly():
        u = ad.tensor([0.5, 1.0], requires_grad=True)
        y = ad.exp(u)
        y.register_hook(lambda g: g * 2)
        y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1,))
        y.sum().backward()
    np.testing.assert_allclose(u.grad, 2 * np.exp([0.5, 1.0]) + 1)
    # outside the block a NaN-making hook is not checked (the pass stays as fast)
    u = ad.tensor([0.5, 1.0], requires_grad=True)
    y = ad.exp(u)
    y.register_hook(lambda g: g * np.nan)
    y.sum().backward()
    assert np.isnan(u.grad).all()


def test_a_nan_hook_under_create_graph_is_named_too():
    with ad.detect_anomaly():
        u = ad.tensor([0.5, 1.0], requires_grad=True)
        y = ad.sin(u)
        y.register_hook(lambda g: g * np.nan)
        with pytest.raises(AnomalyError, match="on the output of sin returned NaN"):
            ad.autograd.grad(y.sum(), u, create_graph=True)


# ----- pickled tensors: NumPy's own dtype objects ------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.complex128, np.int64])
def test_an_unpickled_tensor_holds_numpys_own_dtype_object(dtype):
    # unpickling set .data to the array pickle made, whose dtype is an equal copy that
    # NumPy passes on to every result (an unpickled parameter's updates kept it for good)
    tensor = ad.tensor(np.arange(4).astype(dtype), requires_grad=dtype != np.int64)
    tensor.name = "t"
    copy = pickle.loads(pickle.dumps(tensor))
    assert copy.data.dtype is np.dtype(dtype)
    assert (copy * 2).data.dtype is np.dtype(dtype)
    assert copy.requires_grad == tensor.requires_grad and copy.name == "t"
    np.testing.assert_array_equal(copy.data, tensor.data)


def test_an_unpickled_models_parameters_and_their_updates_hold_numpys_dtype_objects():
    model = ad.nn.Sequential(ad.nn.Linear(3, 2, dtype=np.float32), ad.nn.Tanh())
    copy = pickle.loads(pickle.dumps(model))
    for parameter in copy.parameters():
        assert type(parameter) is ad.nn.Parameter and parameter.requires_grad
        assert parameter.data.dtype is np.dtype(np.float32)
    opt = ad.optim.SGD(copy.parameters(), lr=0.1)
    copy(ad.tensor(np.ones((4, 3), np.float32))).sum().backward()
    opt.step()
    assert all(p.data.dtype is np.dtype(np.float32) for p in copy.parameters())


# ----- embedding tables tied to Linear weights --------------------------------------------

def test_a_square_tie_of_an_embedding_and_a_linear_is_refused_both_ways():
    # square, the shapes could not tell: the table was the Linear's (in, out) weight,
    # so each id looked up PyTorch's column, silently
    embedding, linear = ad.nn.Embedding(5, 5), ad.nn.Linear(5, 5)
    table, weight = embedding.weight, linear.weight
    with pytest.raises(ValueError, match=r"Embedding\(5, 5\): the assigned weight .*F.linear"):
        embedding.weight = linear.weight
    with pytest.raises(ValueError, match=r"Linear\(5, 5\): the assigned weight .*F.linear"):
        linear.weight = embedding.weight
    assert embedding.weight is table and linear.weight is weight
    # the way out, tied as in PyTorch: logits by F.linear of the embedding's table
    torch = pytest.importorskip("torch")
    ids = np.array([[0, 3, 4]])
    logits = _tied_logits(embedding, ids)
    t_embedding = torch.nn.Embedding(5, 5, dtype=torch.float64)
    with torch.no_grad():
        t_embedding.weight.copy_(torch.tensor(table.data))
    t_logits = torch.nn.functional.linear(t_embedding(torch.tensor(ids)), t_embedding.weight)
    np.testing.assert_allclose(logits.data, t_logits.detach().numpy(), rtol=1e-12)


def _tied_logits(embedding, ids):
    return ad.nn.functional.linear(embedding(ad.tensor(ids)), embedding.weight)


def test_a_linear_weight_set_as_the_tables_data_or_an_embedding_bags_table_is_refused():
    embedding, linear = ad.nn.Embedding(5, 3), ad.nn.Linear(3, 5)
    embedding.weight.data = linear.weight.data          # (.data: no assignment to check)
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\): the assigned weight has shape "
                                         r"\(3, 5\).*or its \.data"):
        embedding(ad.tensor(np.array([0, 1])))
    bag = ad.nn.EmbeddingBag(5, 3, mode="sum")
    with pytest.raises(ValueError, match=r"EmbeddingBag\(5, 3\): the assigned weight has shape "
                                         r"\(3, 5\)"):
        bag.weight = linear.weight
    # ties among embeddings, or among Linears, and grown tables are kept
    other = ad.nn.Embedding(5, 3)
    other.weight = ad.nn.Embedding(5, 3).weight
    bag.weight = other.weight
    assert bag(ad.tensor(np.array([[0, 4]]))).shape == (1, 3)
    second = ad.nn.Linear(3, 5)
    second.weight = linear.weight
    assert second(ad.tensor(np.ones((2, 3)))).shape == (2, 5)
    copy = pickle.loads(pickle.dumps(other))
    with pytest.raises(ValueError, match=r"Linear\(3, 3\)"):
        ad.nn.Linear(3, 3).weight = ad.nn.Embedding(3, 3).weight
    assert copy(ad.tensor(np.array([1]))).shape == (1, 3)


# ----- explain: gradients zeroed by hooks -------------------------------------------------

@pytest.mark.parametrize("where", ["leaf", "output", "node", "prehook"])
def test_explain_names_the_hooks_on_the_way_of_a_zero_gradient(where):
    # it said no op on the way is known to zero it, and that the upstream gradient may
    # be zero
    def zeroing(g):
        return g * 0

    def zeroing_inputs(grad_inputs, grad_outputs):
        return (grad_inputs[0] * 0,)

    def zeroing_outputs(grad_outputs):
        return (grad_outputs[0] * 0,)
    u = ad.tensor([1.0, 2.0], requires_grad=True)
    if where == "leaf":
        u.register_hook(zeroing)
    y = ad.exp(u)
    if where == "output":
        y.register_hook(zeroing)
    elif where == "node":
        y.grad_fn.register_hook(zeroing_inputs)
    elif where == "prehook":
        y.grad_fn.register_prehook(zeroing_outputs)
    loss = y.sum()
    loss.backward()
    assert not u.grad.any()
    why = ad.explain(u, loss)
    expected = {"leaf": "zeroing (register_hook) on this tensor",
                "output": "zeroing (register_hook) on the output of exp",
                "node": "zeroing_inputs (grad_fn.register_hook) on the node of exp",
                "prehook": "zeroing_outputs (register_prehook) on the output of exp"}[where]
    assert "gradient hooks on the way replace what flows there: " + expected in why
