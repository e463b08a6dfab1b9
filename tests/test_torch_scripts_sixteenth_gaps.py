"""What the sixteenth round of PyTorch scripts found different: PyTorch's path
``nn.modules.batchnorm._BatchNorm`` (BatchNorm freezing code tests it), and a
parametrization that does not commute with the transpose registered on a ``Linear``
weight, whose ``(in, out)`` layout here makes it give another tensor than PyTorch's:
registering it now warns at the user's line; one that commutes (``X + X.T``,
``matrix_exp``) gives PyTorch's tensor, transposed, and stays silent."""

from __future__ import annotations

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
    import torch.nn.utils.parametrize  # noqa: F401  (PyTorch's is imported apart)
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
                import torch.nn.utils.parametrize  # noqa: F401
            lib.nn.utils.parametrize.register_parametrization(layer, "weight", counted)
        counts.append(float(counted.calls))
    assert counts[0] == counts[1]
