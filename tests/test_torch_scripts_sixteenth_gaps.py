"""What the sixteenth round of PyTorch scripts found different: PyTorch's path
``nn.modules.batchnorm._BatchNorm`` (BatchNorm freezing code tests it), and a
parametrization that does not commute with the transpose registered on a ``Linear``
weight, whose ``(in, out)`` layout here makes it give another tensor than PyTorch's:
registering it now warns at the user's line, and ``layout="out_in"`` gives it PyTorch's
view, with PyTorch's numbers (``"in_out"`` keeps this library's without the warning);
one that commutes (``X + X.T``, ``matrix_exp``) gives PyTorch's tensor, transposed, and
stays silent.  Also a whole model given to ``torch.save``, refused with a message
naming its ``state_dict()``, and ``best = model.state_dict()`` kept without a copy: a
snapshot here (copies), live weights in PyTorch, so restoring it differs; and
``autograd.grad(..., only_inputs=True)`` (WGAN-GP's), now taken as PyTorch takes it."""

from __future__ import annotations

import importlib
import io
import warnings

import numpy as np
import pytest

import autodiff as ad

DATA = np.random.default_rng(1616016)


def _batchnorm_kinds(lib):
    nn = lib.nn
    return [nn.BatchNorm1d(3), nn.BatchNorm2d(3), nn.BatchNorm3d(3), nn.SyncBatchNorm(3),
            nn.LazyBatchNorm1d(), nn.InstanceNorm1d(3), nn.LayerNorm(3), nn.GroupNorm(1, 3)]


def test_the_batchnorm_base_class_is_reached_by_pytorchs_module_path():
    ours = [isinstance(m, ad.nn.modules.batchnorm._BatchNorm) for m in _batchnorm_kinds(ad)]
    assert ours == [True] * 5 + [False] * 3
    assert ad.nn.modules.batchnorm.BatchNorm2d is ad.nn.BatchNorm2d
    torch = pytest.importorskip("torch")
    theirs = [isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
              for m in _batchnorm_kinds(torch)]
    assert ours == theirs


def _parametrizations(lib):
    nn = lib.nn

    class Symmetric(nn.Module):             # the parametrizations tutorial's
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class RowNormalized(nn.Module):
        def forward(self, X):
            return X / X.norm(dim=1, keepdim=True)

    class SymmetricSum(nn.Module):
        def forward(self, X):
            return X + X.transpose(-1, -2)

    class MatrixExponential(nn.Module):
        def forward(self, X):
            return lib.matrix_exp(X)

    return [Symmetric, RowNormalized], [SymmetricSum, MatrixExponential]


def _register(torch, kind, square):
    importlib.import_module("torch.nn.utils.parametrize")   # (PyTorch's is imported apart)
    layer = torch.nn.Linear(3, 3 if square else 4, dtype=torch.float64)
    torch.nn.utils.parametrize.register_parametrization(layer, "weight", kind())
    return layer


def test_a_parametrization_that_reads_the_layout_warns_at_the_registering_line():
    torch = pytest.importorskip("torch")
    for (their_kind, our_kind) in zip(*(_parametrizations(lib)[0] for lib in (torch, ad))):
        for square in (True, False):
            if their_kind.__name__ == "Symmetric" and not square:
                continue
            theirs = _register(torch, their_kind, square)
            ours = ad.nn.Linear(3, 3 if square else 4)
            ours.load_torch_state_dict({"weight": theirs.parametrizations.weight.original,
                                        "bias": theirs.bias})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                line = _line_of_next_call()
                ad.nn.utils.parametrize.register_parametrization(ours, "weight", our_kind())
            messages = [w for w in caught if issubclass(w.category, ad.ConventionWarning)]
            assert len(messages) == 1, their_kind.__name__
            assert messages[0].filename == __file__ and messages[0].lineno == line + 1
            assert f"{our_kind.__name__} does not commute with the transpose" in str(
                messages[0].message)
            # the reason: another tensor than PyTorch's from the same weights
            assert not np.allclose(ours.weight.detach().numpy().T,
                                   theirs.weight.detach().numpy())


def _line_of_next_call() -> int:
    import sys
    return sys._getframe(1).f_lineno


def test_a_parametrization_that_commutes_with_the_transpose_stays_silent():
    torch = pytest.importorskip("torch")
    for their_kind, our_kind in zip(_parametrizations(torch)[1], _parametrizations(ad)[1]):
        theirs = _register(torch, their_kind, True)
        ours = ad.nn.Linear(3, 3)
        ours.load_torch_state_dict({"weight": theirs.parametrizations.weight.original,
                                    "bias": theirs.bias})
        with warnings.catch_warnings():
            warnings.simplefilter("error", ad.ConventionWarning)
            ad.nn.utils.parametrize.register_parametrization(ours, "weight", our_kind())
        np.testing.assert_allclose(ours.weight.detach().numpy().T,
                                   theirs.weight.detach().numpy(), rtol=1e-12, atol=1e-12)
    # nor do the library's own, which read the layout themselves, or a convolution
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.ConventionWarning)
        ad.nn.utils.parametrizations.weight_norm(ad.nn.Linear(3, 4))
        ad.nn.utils.parametrizations.orthogonal(ad.nn.Linear(3, 3))
        conv = ad.nn.Conv2d(1, 1, 3)
        ad.nn.utils.parametrize.register_parametrization(conv, "weight",
                                                         _parametrizations(ad)[0][0]())


def test_the_layout_probe_leaves_a_parametrizations_state_as_pytorchs():
    torch = pytest.importorskip("torch")
    counts = []
    for lib in (torch, ad):
        class Counted(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("calls", lib.zeros(()))

            def forward(self, X):
                self.calls += 1
                return X.triu()

        layer = lib.nn.Linear(3, 3)
        counted = Counted()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ad.ConventionWarning)
            if lib is torch:
                importlib.import_module("torch.nn.utils.parametrize")
            lib.nn.utils.parametrize.register_parametrization(layer, "weight", counted)
        counts.append(float(counted.calls))
    assert counts[0] == counts[1]


def test_the_layout_probe_draws_no_random_numbers():
    class DropConnect(ad.nn.Module):
        def forward(self, X):
            return ad.nn.functional.dropout(X, 0.5, self.training)

    draws = []
    for layout in ("in_out", None):         # without the probe, and with it
        ad.manual_seed(0)
        layer = ad.nn.Linear(3, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ad.ConventionWarning)
            ad.nn.utils.parametrize.register_parametrization(layer, "weight", DropConnect(),
                                                             layout=layout)
        draws.append(ad.rand(4).numpy())
    np.testing.assert_array_equal(draws[0], draws[1])


def test_layout_out_in_gives_a_pytorch_parametrization_pytorchs_numbers():
    torch = pytest.importorskip("torch")
    importlib.import_module("torch.nn.utils.parametrize")   # (PyTorch's is imported apart)
    inputs, targets = DATA.normal(size=(3, 5, 3)), DATA.normal(size=(3, 5, 3))
    runs = []
    for lib in (torch, ad):
        nn, parametrize = lib.nn, lib.nn.utils.parametrize

        class Symmetric(nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(-1, -2)

            def right_inverse(self, A):
                return A.triu()

        class RowNormalized(nn.Module):
            def forward(self, X):
                return X / X.norm(dim=1, keepdim=True)

        layer = nn.Linear(3, 3, dtype=lib.float64)
        if lib is torch:
            start = {k: v.detach().numpy().copy() for k, v in layer.state_dict().items()}
            parametrize.register_parametrization(layer, "weight", Symmetric())
            parametrize.register_parametrization(layer, "weight", RowNormalized())
        else:
            layer.load_torch_state_dict(start)
            with warnings.catch_warnings():
                warnings.simplefilter("error", ad.ConventionWarning)
                parametrize.register_parametrization(layer, "weight", Symmetric(),
                                                     layout="out_in")
                parametrize.register_parametrization(layer, "weight", RowNormalized(),
                                                     layout="out_in")
        optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
        losses = []
        for x, y in zip(inputs, targets):
            loss = lib.nn.functional.mse_loss(layer(lib.from_numpy(x)), lib.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        weight = layer.weight.detach().numpy()
        runs.append((losses, weight if lib is torch else weight.T))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-10, atol=1e-12)


def test_layout_out_in_assigns_through_the_transposed_right_inverse():
    class Upper(ad.nn.Module):
        def forward(self, X):
            return X.triu()

        def right_inverse(self, A):
            return A.triu()

    layer = ad.nn.Linear(3, 3)
    ad.nn.utils.parametrize.register_parametrization(layer, "weight", Upper(), layout="out_in")
    torch_layout = layer.weight.detach().numpy().T      # PyTorch's (out, in) view
    np.testing.assert_array_equal(torch_layout, np.triu(torch_layout))
    target = DATA.normal(size=(3, 3))
    layer.weight = ad.tensor(target.T)                   # assigned in this layout
    np.testing.assert_array_equal(layer.weight.detach().numpy().T, np.triu(target))
    state = layer.to_torch_state_dict()
    np.testing.assert_array_equal(state["parametrizations.weight.original"], np.triu(target))
    with pytest.raises(ValueError, match="layout must be 'out_in'.*got 'rows'"):
        ad.nn.utils.parametrize.register_parametrization(ad.nn.Linear(2, 2), "weight",
                                                         Upper(), layout="rows")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ad.ConventionWarning)
        kept = ad.nn.Linear(3, 3)
        ad.nn.utils.parametrize.register_parametrization(kept, "weight", Upper(),
                                                         layout="in_out")
    values = kept.weight.detach().numpy()
    np.testing.assert_array_equal(values, np.triu(values))


def test_saving_a_whole_model_is_refused_naming_its_state_dict():
    model = ad.nn.Sequential(ad.nn.Linear(4, 6), ad.nn.GELU(), ad.nn.Linear(6, 2))
    buffer = io.BytesIO()
    with pytest.raises(TypeError, match=r"save: obj is of type Sequential; ad.save writes "
                                        r"tensors.*for a module or optimizer, save its "
                                        r"state_dict\(\)"):
        ad.save(model, buffer)
    ad.save({"model": model.state_dict()}, buffer)
    buffer.seek(0)
    fresh = ad.nn.Sequential(ad.nn.Linear(4, 6), ad.nn.GELU(), ad.nn.Linear(6, 2))
    fresh.load_state_dict(ad.load(buffer, weights_only=False)["model"])
    x = ad.tensor(DATA.normal(size=(3, 4)))
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())


def test_a_state_dict_kept_without_a_copy_is_a_snapshot_here_and_live_in_pytorch():
    """Early stopping written as ``best = model.state_dict()`` (no clone, no deepcopy):
    PyTorch's values alias the live weights, so restoring ``best`` after more training
    restores nothing; here ``state_dict()`` holds copies (NumPy arrays), so it restores
    the weights of the time it was taken."""
    torch = pytest.importorskip("torch")
    inputs, targets = DATA.normal(size=(4, 3)), DATA.normal(size=(4, 1))
    restored = {}
    for lib in (torch, ad):
        model = lib.nn.Linear(3, 1, dtype=lib.float64)
        if lib is torch:
            start = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        else:
            model.load_torch_state_dict(start)
        best = model.state_dict()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        loss = lib.nn.functional.mse_loss(model(lib.from_numpy(inputs)),
                                          lib.from_numpy(targets))
        loss.backward()
        optimizer.step()
        model.load_state_dict(best)
        restored[lib.__name__] = model.bias.detach().numpy().copy()
    assert not np.allclose(restored["torch"], start["bias"])      # PyTorch: the live values
    np.testing.assert_array_equal(restored["autodiff"], start["bias"])   # here: the snapshot
    # (with copy.deepcopy(model.state_dict()) or {k: v.clone() ...} in PyTorch, the two
    # agree: test_torch_scripts_sixteenth.py's early stopping)


def test_autograd_grad_takes_pytorchs_deprecated_only_inputs_in_its_place():
    x = ad.tensor(DATA.normal(size=3), requires_grad=True)
    y = (x ** 2).sum()
    expected = 2 * x.detach().numpy()
    by_keyword, = ad.autograd.grad(y, x, only_inputs=True, retain_graph=True)
    # PyTorch's positional order: outputs, inputs, grad_outputs, retain_graph,
    # create_graph, only_inputs, allow_unused
    by_position = ad.autograd.grad(y, [x, ad.tensor(np.ones(2), requires_grad=True)], None,
                                   True, False, True, True)
    assert by_position[1] is None
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated") as caught:
        ignored, = ad.autograd.grad(y, x, only_inputs=False)
    assert caught[0].filename == __file__
    for result in (by_keyword, by_position[0], ignored):
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-15)
