"""What the eighteenth round of PyTorch scripts found missing or unclear, checked by
hand and against PyTorch where it is installed:

- ``torch.sparse_coo_tensor`` / ``torch.sparse.mm`` (a GCN's normalised adjacency, as
  Kipf's code builds it) met Python's bare "module 'autodiff' has no attribute": there
  are no sparse tensors here, and the error now says so and names the dense matrix by
  ``index_put_(..., accumulate=True)`` and ``@``, which give PyTorch's values and the
  gradient to the values;
- ``torch.split(x, 4, dim=-1)`` (FiLM's gammas and betas, a hypernetwork's weights by a
  list of sizes) ran as NumPy's ``np.split``: four equal pieces, or pieces cut at the
  list's entries as indices, where PyTorch makes pieces of size 4, or of the listed
  sizes.  ``ad.split`` stays NumPy's, but in PyTorch's spelling (``dim=``) it now warns
  at the user's line wherever the two readings cut otherwise, naming ``x.split(4,
  dim=-1)`` (PyTorch's) and ``axis=`` (NumPy's, silent); a count that NumPy cannot
  divide evenly names PyTorch's spelling in its error;
- a gradient hook written with a Tensor method (``h.register_hook(lambda g:
  g.clamp(-1, 1))``) met NumPy's bare "'numpy.ndarray' object has no attribute
  'clamp'": hooks receive the gradient as a NumPy array here, as ``.grad`` is one; the
  error now carries the note ``autograd.Function`` errors carry (what the hook receives,
  and the function forms, ``ad.clamp(g, -1, 1)``, to write instead);
- PyTorch's ``.data`` / ``.grad`` habits (``loc.data.copy_(-mean)`` in Glow's ActNorm,
  ``p.data.clone()`` in SAM, ``delta.grad.sign()`` in PGD, ``X.grad.data.abs()`` in
  saliency maps) meet NumPy's arrays (the API's ``.data`` and ``.grad`` are ones) and
  NumPy's bare "'numpy.ndarray' object has no attribute 'copy_'" (or, for
  ``.grad.data``, "'memoryview' ..."); raised in a ``no_grad`` block or function, where
  such updates are written, or in the function given to ``Module.apply``
  (``m.weight.data.normal_(0.0, 0.02)``, DCGAN's initialisation), the error now carries
  a note naming what to write."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(1822)


@pytest.mark.parametrize("name", ["sparse_coo_tensor", "sparse_csr_tensor", "sparse"])
def test_sparse_names_say_there_are_no_sparse_tensors(name):
    with pytest.raises(AttributeError, match=f"no attribute '{name}': sparse tensors do "
                                             r"not exist here.*index_put_.*accumulate=True"):
        getattr(ad, name)
    assert not hasattr(ad, name)


def test_the_dense_matrix_the_sparse_error_names_adds_repeats_and_differentiates():
    indices = np.array([[0, 1, 1, 2], [2, 0, 0, 1]])
    values = ad.tensor(RNG.normal(size=4), requires_grad=True)
    features = RNG.normal(size=(3, 2))
    dense = ad.zeros(3, 3).index_put_(tuple(ad.tensor(indices)), values, accumulate=True)
    expected = np.zeros((3, 3))
    np.add.at(expected, tuple(indices), values.data)
    np.testing.assert_array_equal(dense.data, expected)
    (dense @ ad.tensor(features)).sum().backward()
    # d/dv_k of sum(A @ X) = sum of row indices[1, k] of X
    np.testing.assert_allclose(values.grad, features.sum(axis=1)[indices[1]], rtol=1e-15)


def test_the_dense_matrix_matches_torch_sparse_mm():
    torch = pytest.importorskip("torch")
    indices = np.array([[0, 1, 1, 2], [2, 0, 0, 1]])
    values, features = RNG.normal(size=4), RNG.normal(size=(3, 2))
    theirs_values = torch.tensor(values, requires_grad=True)
    sparse = torch.sparse_coo_tensor(torch.from_numpy(indices), theirs_values, (3, 3),
                                     check_invariants=True)
    theirs = torch.sparse.mm(sparse, torch.from_numpy(features))
    theirs.pow(2).sum().backward()
    ours_values = ad.tensor(values, requires_grad=True)
    dense = ad.zeros(3, 3).index_put_(tuple(ad.tensor(indices)), ours_values, accumulate=True)
    ours = dense @ ad.tensor(features)
    ours.pow(2).sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_values.grad, theirs_values.grad.numpy(), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("pieces, numpy_shapes", [
    (4, [(2, 2)] * 4), ([2, 6], [(2, 2), (2, 4), (2, 2)]), ((3,), [(2, 3), (2, 5)])])
def test_split_by_dim_warns_where_torch_split_would_cut_otherwise(pieces, numpy_shapes):
    x = ad.tensor(RNG.normal(size=(2, 8)))
    with pytest.warns(ad.ConventionWarning, match=r"np\.split here.*torch\.split\(x, .*"
                                                  r"write x\.split\(.*dim=-1\)") as caught:
        pieces_here = ad.split(x, pieces, dim=-1)
    assert caught[0].filename == __file__             # the user's line
    assert [p.shape for p in pieces_here] == numpy_shapes           # NumPy's meaning kept
    assert [p.shape for p in np.split(x.data, pieces, axis=-1)] == numpy_shapes


def test_split_by_dim_is_silent_where_both_readings_agree_or_numpy_is_asked_for():
    x = ad.tensor(RNG.normal(size=(3, 9)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [p.shape for p in ad.split(x, 3, dim=1)] == [(3, 3)] * 3   # 3 of 3 either way
        assert [p.shape for p in ad.split(x, 3, axis=1)] == [(3, 3)] * 3
        assert [p.shape for p in ad.split(x, [2], axis=0)] == [(2, 9), (1, 9)]
        assert [p.shape for p in x.split(2, dim=1)] == [(3, 2)] * 4 + [(3, 1)]


def test_split_by_dim_into_uneven_parts_names_torch_split_in_its_error():
    x = ad.tensor(RNG.normal(size=(2, 8)))
    with pytest.raises(ValueError, match=r"cannot be split into 3 equal parts.*"
                                         r"x\.split\(3, dim=1\)"):
        ad.split(x, 3, dim=1)


def test_split_by_dim_pieces_match_torch_split_by_the_method_the_warning_names():
    torch = pytest.importorskip("torch")
    values = RNG.normal(size=(2, 10))
    for pieces in (4, [3, 7], [1, 2, 3, 4]):
        theirs = torch.split(torch.from_numpy(values), pieces, dim=-1)
        ours = ad.tensor(values).split(pieces, dim=-1)
        assert len(theirs) == len(ours)
        for a, b in zip(theirs, ours):
            np.testing.assert_array_equal(b.data, a.numpy())


def test_a_hook_calling_a_tensor_method_on_its_numpy_gradient_is_explained():
    x = ad.tensor(RNG.normal(size=3), requires_grad=True)
    h = x * 3

    def exp_gradient(grad):                 # (g.clamp exists, as PyTorch's; g.exp not)
        return grad.exp()

    h.register_hook(exp_gradient)
    with pytest.raises(AttributeError, match="no attribute 'exp'") as caught:
        h.sum().backward()
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "the gradient hook test_a_hook_calling_a_tensor_method_on_its_numpy_gradient_" \
           "is_explained.<locals>.exp_gradient (register_hook) receives NumPy arrays" in notes
    assert "ad.clamp(g, 0)" in notes


def test_a_hook_by_the_function_form_clips_as_torch_does():
    torch = pytest.importorskip("torch")
    values, weights = RNG.normal(size=5), RNG.normal(size=5)
    grads = []
    for lib in (torch, ad):
        x = lib.tensor(values, requires_grad=True)
        h = x * 4
        h.register_hook(lambda grad, lib=lib: lib.clamp(grad, -0.5, 0.5))
        (h.tanh() * lib.tensor(weights)).sum().backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-13, atol=1e-15)


def _error_in_no_grad(statement, namespace):
    with pytest.raises(AttributeError) as caught:
        with ad.no_grad():
            exec(statement, namespace)
    return caught.value, "\n".join(getattr(caught.value, "__notes__", []))


@pytest.mark.parametrize("statement", [
    "layer.weight.data.copy_(ad.zeros(3, 2))", "layer.bias.grad.exp()",
    "layer.bias.grad.data.exp()", "ema.data.mul_(0.9).add_(layer.bias.data, alpha=0.1)"])
def test_data_and_grad_habits_in_no_grad_say_they_are_numpy_arrays(statement):
    layer = ad.nn.Linear(3, 2)
    layer(ad.tensor(RNG.normal(size=(4, 3)))).sum().backward()
    namespace = {"ad": ad, "layer": layer, "ema": ad.zeros(2)}
    error, notes = _error_in_no_grad(statement, namespace)
    assert str(error).startswith(("'numpy.ndarray' object has no attribute",
                                  "'GradArray' object has no attribute"))
    assert "t.data and t.grad are NumPy arrays here" in notes
    assert "p.copy_(v) for p.data.copy_(v)" in notes and "ad.as_tensor(p.grad)" in notes


def test_the_note_comes_through_the_no_grad_decorator_once():
    @ad.no_grad()
    def step(p):
        with ad.no_grad():
            p.data.normal_()

    with pytest.raises(AttributeError, match="'normal_'") as caught:
        step(ad.nn.Parameter(ad.zeros(2)))
    assert len(caught.value.__notes__) == 1


def test_other_errors_in_no_grad_get_no_note():
    error, notes = _error_in_no_grad("layer.bias.grad.zero_()", {"layer": ad.nn.Linear(3, 2)})
    assert "'NoneType' object" in str(error) and notes == ""     # (no backward yet)


def test_data_habits_in_module_apply_say_they_are_numpy_arrays():
    def weights_init(m):
        if isinstance(m, ad.nn.Conv2d):
            m.weight.data.normal_(0.0, 0.02)

    net = ad.nn.Sequential(ad.nn.Conv2d(2, 3, 3), ad.nn.ReLU())
    with pytest.raises(AttributeError, match="'normal_'") as caught:
        net.apply(weights_init)
    assert "nn.init.normal_(w, 0, 0.02) for w.data.normal_(0, 0.02)" in caught.value.__notes__[0]

    def init_by_the_note(m):
        if isinstance(m, ad.nn.Conv2d):
            ad.nn.init.normal_(m.weight, 0, 0.02)

    assert net.apply(init_by_the_note) is net and float(net[0].weight.data.std()) < 0.1
