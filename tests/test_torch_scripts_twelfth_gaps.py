"""What the twelfth round of PyTorch scripts found missing or different, each fixed at
the root and checked by hand and against PyTorch where it is installed:

- ``parameters_to_vector(p.grad for p in model.parameters())`` (sharpness-aware
  minimisation flattens the gradients, which are arrays here): refused before;
- ``addmm`` / ``addmv`` / ``addr`` / ``addbmm`` / ``baddbmm`` with ``beta=0``: ``input``
  got no gradient at all (PyTorch gives it zeros, so a weight decay or momentum step
  still moves it); and ``addr`` / ``addbmm`` broadcast an ``input`` larger than the
  product into a larger result (PyTorch refuses it);
- ``torch.nn.attention``'s ``sdpa_kernel`` / ``SDPBackend`` (``with
  sdpa_kernel(SDPBackend.MATH):``): missing;
- nanoGPT's tie ``wte.weight = lm_head.weight`` made an Embedding of a Linear's
  ``(in, out)`` weight, a table looked up by the wrong axis: refused now, naming
  ``F.linear(x, embedding.weight)``;
- the side-by-side comparison took NaN for NaN, so a script gone NaN in both
  libraries passed (one of this round's did): a NaN in PyTorch's results now fails
  unless ``allow_nan=True``.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(12)


# --- parameters_to_vector of the gradients -------------------------------------------

def _model_with_gradients():
    model = ad.nn.Sequential(ad.nn.Linear(3, 2), ad.nn.Tanh(), ad.nn.Linear(2, 1))
    model(ad.tensor(RNG.normal(size=(4, 3)))).sum().backward()
    return model


def test_parameters_to_vector_flattens_the_gradient_arrays():
    model = _model_with_gradients()
    grads = [p.grad.copy() for p in model.parameters()]
    assert all(isinstance(g, np.ndarray) for g in grads)
    vector = ad.nn.utils.parameters_to_vector(p.grad for p in model.parameters())
    assert isinstance(vector, ad.Tensor) and not vector.requires_grad
    np.testing.assert_array_equal(vector.data, np.concatenate([g.ravel() for g in grads]))
    # mixed with Parameters: those stay differentiable
    mixed = ad.nn.utils.parameters_to_vector([grads[0], model[0].bias])
    assert mixed.requires_grad
    (mixed * 2).sum().backward()
    np.testing.assert_array_equal(model[0].bias.grad, grads[1] + 2)


def test_parameters_to_vector_still_refuses_what_is_not_an_array():
    model = _model_with_gradients()
    model.zero_grad()
    with pytest.raises(TypeError, match="parameters_to_vector: item 0 of parameters is a "
                                        "NoneType"):
        ad.nn.utils.parameters_to_vector(p.grad for p in model.parameters())
    with pytest.raises(TypeError, match="item 1 of parameters is a list"):
        ad.nn.utils.parameters_to_vector([model[0].weight, [1.0]])


def test_parameters_to_vector_of_gradients_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(4, 3))
    theirs = torch.nn.Linear(3, 1).double()
    ours = ad.nn.Linear(3, 1)
    ours.load_torch_state_dict(theirs.state_dict())
    theirs(torch.from_numpy(x)).pow(2).sum().backward()
    ours(ad.tensor(x)).pow(2).sum().backward()
    expected = torch.nn.utils.parameters_to_vector(p.grad for p in theirs.parameters())
    got = ad.nn.utils.parameters_to_vector(p.grad for p in ours.parameters())
    # a Linear(3, 1)'s weight flattens alike in (out, in) and (in, out)
    np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-12)


# --- beta=0 in the products with an added input --------------------------------------

M34, M45, M35 = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 5)), RNG.normal(size=(3, 5))
B234, B245 = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
V3, V4 = RNG.normal(size=3), RNG.normal(size=4)

# name -> (input, the other operands, the product by NumPy)
ADDED_PRODUCTS = {
    "addmm": (M35, (M34, M45), M34 @ M45),
    "addmv": (V3, (M34, V4), M34 @ V4),
    "addr": (M34, (V3, V4), np.outer(V3, V4)),
    "addbmm": (M35, (B234, B245), (B234 @ B245).sum(axis=0)),
    "baddbmm": (RNG.normal(size=5), (B234, B245), B234 @ B245),
}


@pytest.mark.parametrize("name", sorted(ADDED_PRODUCTS))
def test_beta_zero_ignores_the_values_of_input_but_gives_it_a_zero_gradient(name):
    input_values, operands, product = ADDED_PRODUCTS[name]
    function = getattr(ad, name)
    poisoned = ad.tensor(np.full_like(input_values, np.nan), requires_grad=True)
    out = function(poisoned, *[ad.tensor(v) for v in operands], beta=0, alpha=2.0)
    np.testing.assert_allclose(out.data, 2.0 * product, rtol=1e-12)
    out.sum().backward()
    assert poisoned.grad is not None, f"{name}: input got no gradient"
    np.testing.assert_array_equal(poisoned.grad, np.zeros_like(input_values))
    # the method spelling does the same
    leaf = ad.tensor(input_values, requires_grad=True)
    getattr(leaf, name)(*[ad.tensor(v) for v in operands], beta=0).sum().backward()
    np.testing.assert_array_equal(leaf.grad, np.zeros_like(input_values))
    # and an input without a gradient leaves the product as it is
    plain = function(ad.tensor(input_values), *[ad.tensor(v) for v in operands], beta=0)
    np.testing.assert_array_equal(plain.data, product)


@pytest.mark.parametrize("name", ["addr", "addbmm"])
def test_an_input_larger_than_the_product_is_refused(name):
    input_values, operands, _ = ADDED_PRODUCTS[name]
    larger = np.ones((2,) + input_values.shape)
    with pytest.raises(ValueError, match=f"{name}: input of shape .* does not broadcast "
                                         "to the product's shape"):
        getattr(ad, name)(ad.tensor(larger), *[ad.tensor(v) for v in operands])


@pytest.mark.parametrize("name", sorted(ADDED_PRODUCTS))
@pytest.mark.parametrize("beta", [0, 0.5])
def test_added_products_and_their_gradients_match_pytorch(name, beta):
    torch = pytest.importorskip("torch")
    input_values, operands, _ = ADDED_PRODUCTS[name]
    theirs = [torch.tensor(v, requires_grad=True) for v in (input_values, *operands)]
    ours = [ad.tensor(v, requires_grad=True) for v in (input_values, *operands)]
    expected = getattr(torch, name)(*theirs, beta=beta, alpha=-1.5)
    got = getattr(ad, name)(*ours, beta=beta, alpha=-1.5)
    weights = RNG.normal(size=got.shape)
    (expected * torch.from_numpy(weights)).sum().backward()
    (got * weights).sum().backward()
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_weight_decay_step_moves_a_bias_added_with_beta_zero_as_in_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, ad):
        bias = lib.tensor(V3.copy(), requires_grad=True)
        optimizer = lib.optim.SGD([bias], lr=0.1, weight_decay=0.5)
        lib.addmv(bias, lib.tensor(M34), lib.tensor(V4), beta=0).sum().backward()
        optimizer.step()
        results.append(np.array(bias.detach().numpy()))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)
    np.testing.assert_allclose(results[1], V3 * (1 - 0.1 * 0.5), rtol=1e-12)


# --- torch.nn.attention.sdpa_kernel ------------------------------------------------

Q = RNG.normal(size=(2, 2, 3, 4))


def _attention_in_block(lib, backends, **kwargs):
    from importlib import import_module
    attention = import_module(f"{lib.__name__}.nn.attention")
    chosen = [getattr(attention.SDPBackend, name) for name in backends]
    with attention.sdpa_kernel(chosen[0] if len(chosen) == 1 else chosen, **kwargs):
        q = lib.tensor(Q, requires_grad=True)
        out = lib.nn.functional.scaled_dot_product_attention(q, q * 2, q.flip(-1),
                                                             is_causal=True)
    out.sum().backward()
    return out, q.grad


@pytest.mark.parametrize("backends", [["MATH"], ["FLASH_ATTENTION"],
                                      ["EFFICIENT_ATTENTION", "MATH"]])
def test_sdpa_kernel_blocks_that_enable_the_math_or_flash_kernel_compute_attention(
        backends):
    out, grad = _attention_in_block(ad, backends, set_priority=True)
    q = ad.tensor(Q, requires_grad=True)
    plain = ad.nn.functional.scaled_dot_product_attention(q, q * 2, q.flip(-1),
                                                          is_causal=True)
    plain.sum().backward()
    np.testing.assert_array_equal(out.data, plain.data)
    np.testing.assert_array_equal(grad, q.grad)


@pytest.mark.parametrize("backends", [["EFFICIENT_ATTENTION"], ["CUDNN_ATTENTION"],
                                      ["ERROR"], []])
def test_sdpa_kernel_blocks_without_a_cpu_kernel_refuse_and_are_undone_after(backends):
    from autodiff.nn.attention import SDPBackend, sdpa_kernel
    q = ad.tensor(Q)
    chosen = [getattr(SDPBackend, name) for name in backends]
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: no viable kernel: "
                                           "the sdpa_kernel block enables .*MATH"):
        with sdpa_kernel(chosen):
            ad.nn.functional.scaled_dot_product_attention(q, q, q)
    assert ad.nn.functional.scaled_dot_product_attention(q, q, q).shape == Q.shape
    # MultiheadAttention computes its weights itself, as PyTorch's does with need_weights
    layer = ad.nn.MultiheadAttention(4, 2, batch_first=True)
    with sdpa_kernel(chosen):
        assert layer(q[0], q[0], q[0])[1].shape == (2, 3, 3)


def test_sdpa_kernel_refuses_what_is_not_a_backend_and_works_as_a_decorator():
    from autodiff.nn.attention import SDPBackend, sdpa_kernel
    with pytest.raises(TypeError, match="sdpa_kernel: backends must be an SDPBackend"):
        with sdpa_kernel("math"):
            pass

    @sdpa_kernel(SDPBackend.EFFICIENT_ATTENTION)
    def attend(q):
        return ad.nn.functional.scaled_dot_product_attention(q, q, q)

    with pytest.raises(RuntimeError, match="no viable kernel"):
        attend(ad.tensor(Q))
    assert [int(b) for b in SDPBackend] == [-1, 0, 1, 2, 3, 4]


@pytest.mark.parametrize("backends", [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"],
                                      ["CUDNN_ATTENTION"], []])
def test_sdpa_kernel_blocks_match_pytorch_on_the_cpu(backends):
    torch = pytest.importorskip("torch")
    try:
        expected = _attention_in_block(torch, backends)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="no viable kernel"):
            _attention_in_block(ad, backends)
        return
    got = _attention_in_block(ad, backends)
    # PyTorch's kernels sum in another order than NumPy's matmul: a few ulps apart
    for theirs, ours in zip(expected, got):
        theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
        ours = ours.data if isinstance(ours, ad.Tensor) else ours
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)
    assert [b.name for b in ad.nn.attention.SDPBackend] == [
        name for name in torch.nn.attention.SDPBackend.__members__]


# --- an Embedding tied to an output layer by assignment -----------------------------

def test_tying_an_embedding_to_a_linear_by_assignment_is_refused_with_the_way_out():
    # nanoGPT's self.transformer.wte.weight = self.lm_head.weight: in PyTorch both are
    # (vocab, n_embd); here the Linear's is (n_embd, vocab), which would become a table
    # of n_embd rows looked up by token ids
    wte, lm_head = ad.nn.Embedding(10, 4), ad.nn.Linear(4, 10, bias=False)
    table = wte.weight
    with pytest.raises(ValueError, match=r"Embedding\(10, 4\): the assigned weight has shape "
                                         r"\(4, 10\), a Linear\(4, 10\)'s weight here.*"
                                         r"F.linear\(x, embedding.weight, bias\)"):
        wte.weight = lm_head.weight
    assert wte.weight is table
    # what runs in both libraries: the logits by F.linear of the embedding's table
    tokens = ad.tensor([[1, 2, 3]])
    logits = ad.nn.functional.linear(wte(tokens), wte.weight)
    assert logits.shape == (1, 3, 10)
    # other tables are taken as they are (a grown vocabulary, a square one made as a
    # table); a square Linear's weight is known as one, and refused too (its rows would
    # be PyTorch's columns)
    wte.weight = ad.nn.Parameter(np.ones((12, 4)))
    assert wte(ad.tensor([11])).shape == (1, 4)
    square = ad.nn.Embedding(4, 4)
    square.weight = ad.nn.Parameter(np.ones((4, 4)))
    assert square(ad.tensor([0])).shape == (1, 4)
    with pytest.raises(ValueError, match=r"Embedding\(4, 4\): the assigned weight"):
        square.weight = ad.nn.Linear(4, 4).weight


# --- the side-by-side comparison itself ---------------------------------------------

def test_side_by_side_fails_a_script_whose_pytorch_run_went_nan():
    pytest.importorskip("torch")
    from torch_side_by_side import side_by_side

    def script(torch, copy_weights):
        scale = torch.tensor(1.0, requires_grad=True)
        observed = torch.tensor([1.0, float("nan")])
        (observed * scale).nansum().backward()        # 0 * NaN: the gradient is NaN
        return [scale.grad]

    with pytest.raises(AssertionError, match=r"result\[0\]: PyTorch's run returned NaN"):
        side_by_side(script)
    theirs, ours = side_by_side(script, allow_nan=True)
    assert np.isnan(ours[0])
