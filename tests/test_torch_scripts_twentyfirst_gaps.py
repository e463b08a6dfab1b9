"""What the twenty-first round of PyTorch scripts found missing or unclear, checked by
hand and against PyTorch where it is installed:

- ``torch.linalg.lstsq(V, y, driver='gelsd')`` (a polynomial fit as PyTorch's docs
  write it) met Python's bare "lstsq() got an unexpected keyword argument 'driver'".
  ``ad.linalg.lstsq`` now takes PyTorch's keyword-only ``driver=`` (``'gels'``,
  ``'gelsy'``, ``'gelsd'``, ``'gelss'``; every one computes as ``gelsd``, NumPy's, whose
  solution is the others' for a matrix of full rank), and another name raises naming
  the four;
- ``torch.nonzero(best_iou > 0.3).squeeze(1)`` (anchor matching) met Python's bare
  "'tuple' object has no attribute 'squeeze'": ``ad.nonzero`` keeps NumPy's tuple of
  index arrays, and ``len(torch.nonzero(mask))`` counted the dims, not the entries,
  silently.  Called from the user's code without ``as_tuple``, it now warns
  (``ConventionWarning``) at the user's line, naming ``as_tuple=False`` for PyTorch's
  ``(n, ndim)`` rows; ``as_tuple=True`` keeps NumPy's tuple without the warning;
- ``scripted = torch.jit.script(model)`` (and ``torch.export``, ``torch.onnx``) met the
  bare "module 'autodiff' has no attribute 'jit'": the AttributeError now says these
  graph exporters do not exist here and names ``ad.compile``, ``ad.save`` and
  ``to_torch_state_dict()``;
- ``model = nn.Sequential(OrderedDict([("features", ...), ("classifier", ...)]))``
  then ``model.classifier`` (a head replaced for fine-tuning, a feature extractor
  reached by name) met "'Sequential' object has no attribute 'classifier'": the layers
  were registered under their names but not reachable as attributes.  They now are, as
  in PyTorch, and ``del model[i]`` (which renumbers the layers) drops the old names;
- ``i, o, u = torch.split(iou, hidden, dim=1)`` (the Tree-LSTM's) met the warning that
  ``ad.split`` is NumPy's, then Python's bare "too many values to unpack (expected 3)".
  Where the line unpacks PyTorch's count of pieces and NumPy's count differs, it now
  raises a TypeError instead, naming ``x.split(hidden, dim=1)``; elsewhere it still
  warns (NumPy's meaning kept, as earlier rounds decided).

Found and left as earlier rounds decided them: ``torch.max(q * e, (q - 1) * e)`` of two
tensors (a pinball loss) is refused, naming ``maximum``; ``y.std()`` divides by n, with
a warning; ``t.repeat(1, 1)`` is refused as ambiguous, though NumPy's and PyTorch's meanings agree
for those arguments; an ``autograd.Function``'s ``forward`` and ``backward`` receive
NumPy arrays, so ``(m > 0).to(m.dtype)`` and ``m.abs()`` there meet the error naming
the function forms; a ``state_dict`` lists a module shared by two parents once (PyTorch
under each name), and ``print(model)`` shows ``Linear(8, 16)`` where PyTorch shows
``Linear(in_features=8, out_features=16, bias=True)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(2122)


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_takes_pytorch_drivers_with_gelsd_values_and_gradients(driver):
    a_values, b_values = R.normal(size=(7, 3)), R.normal(size=(7, 2))
    a = ad.tensor(a_values, requires_grad=True)
    b = ad.tensor(b_values, requires_grad=True)
    result = ad.linalg.lstsq(a, b, driver=driver)
    expected = np.linalg.lstsq(a_values, b_values, rcond=None)[0]
    np.testing.assert_allclose(result.solution.data, expected, rtol=1e-12, atol=1e-12)
    (result.solution ** 2).sum().backward()
    # x = pinv(a) b: the gradient of sum(x**2) for b is 2 pinv(a).T x
    pinv = np.linalg.pinv(a_values)
    np.testing.assert_allclose(b.grad, 2 * pinv.T @ expected, rtol=1e-10, atol=1e-12)
    assert a.grad.shape == (7, 3)


def test_lstsq_refuses_a_driver_pytorch_does_not_have():
    with pytest.raises(ValueError, match="driver='qr'.*'gels', 'gelsy', 'gelsd', 'gelss'"):
        ad.linalg.lstsq(ad.ones((3, 2)), ad.ones(3), driver="qr")


def test_lstsq_driver_solutions_match_pytorch():
    torch = pytest.importorskip("torch")
    a_values, b_values = R.normal(size=(9, 4)), R.normal(size=(9, 2))
    for driver in ("gels", "gelsy", "gelsd", "gelss"):
        theirs = torch.linalg.lstsq(torch.from_numpy(a_values), torch.from_numpy(b_values),
                                    driver=driver)
        ours = ad.linalg.lstsq(ad.tensor(a_values), ad.tensor(b_values), driver=driver)
        # different LAPACK routines (QR, complete orthogonal factorisation, SVD):
        # the same solution up to rounding of a well-conditioned 9 x 4 problem
        np.testing.assert_allclose(ours.solution.data, theirs.solution.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=driver)


def test_nonzero_function_without_as_tuple_warns_at_the_users_line():
    mask = ad.tensor([0.1, 0.5, 0.2, 0.9]) > 0.3
    with pytest.warns(ad.ConventionWarning, match=r"as_tuple=False for PyTorch's") as caught:
        indices = ad.nonzero(mask)
    assert caught[0].filename == __file__
    assert isinstance(indices, tuple) and indices[0].tolist() == [1, 3]    # NumPy's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ad.nonzero(mask, as_tuple=False).squeeze(1).tolist() == [1, 3]
        assert ad.nonzero(mask, as_tuple=True)[0].tolist() == [1, 3]
        assert ad.argwhere(mask).squeeze(1).tolist() == [1, 3]


@pytest.mark.parametrize("name", ["jit", "export", "onnx"])
def test_pytorch_graph_exporters_are_refused_naming_what_to_use(name):
    assert not hasattr(ad, name)
    with pytest.raises(AttributeError, match=r"ad\.compile\(fn\).*ad\.save\(model\.state_dict"):
        getattr(ad, name)


def test_sequential_of_an_ordered_dict_reaches_its_layers_by_name():
    from collections import OrderedDict
    nn = ad.nn
    model = nn.Sequential(OrderedDict([("features", nn.Linear(4, 8)), ("act", nn.ReLU()),
                                       ("classifier", nn.Linear(8, 3))]))
    assert model.features is model[0] and model.classifier is model[2]
    assert getattr(nn.Sequential(nn.ReLU(), nn.Tanh()), "1") is not None
    model.classifier = nn.Linear(8, 5)                   # fine-tuning a new head
    assert model[2] is model.classifier and model(ad.ones((2, 4))).shape == (2, 5)
    del model[0]                                         # renumbered, as PyTorch's
    assert list(model._modules) == ["0", "1"]
    assert not hasattr(model, "features") and not hasattr(model, "classifier")
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'head'"):
        model.head  # noqa: B018


def test_sequential_layer_names_match_pytorch():
    torch = pytest.importorskip("torch")
    from collections import OrderedDict

    def build(lib):
        nn = lib.nn
        return nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU()),
                                          ("pool", nn.AdaptiveAvgPool2d(1))]))

    theirs, ours = build(torch), build(ad)
    for name in ("conv", "act", "pool"):
        assert type(getattr(ours, name)).__name__ == type(getattr(theirs, name)).__name__
    del theirs[1], ours[1]
    assert hasattr(theirs, "pool") == hasattr(ours, "pool")
    assert [n for n, _ in theirs.named_children()] == [n for n, _ in ours.named_children()]


def test_split_unpacked_into_pytorchs_count_of_names_raises_naming_the_method():
    iou = ad.zeros((1, 18))
    with pytest.raises(TypeError, match=r"x\.split\(6, dim=1\).*unpacks 3 names, "
                                        r"PyTorch's count, from NumPy's 6 pieces"):
        i, o, u = ad.split(iou, 6, dim=1)
    with pytest.raises(TypeError, match=r"unpacks 2 names, PyTorch's count, from NumPy's 3"):
        head, tail = ad.split(iou, [4, 14], dim=1)
    i, o, u = iou.split(6, dim=1)                               # PyTorch's spelling
    assert i.shape == o.shape == u.shape == (1, 6)
    with pytest.warns(ad.ConventionWarning, match="np.split here"):   # NumPy's count
        first, second, third = ad.split(iou, 3, dim=1)
    assert first.shape == (1, 6)
    with pytest.warns(ad.ConventionWarning, match="np.split here"):   # not unpacked
        assert len(ad.split(iou, 6, dim=1)) == 6
