"""What the twentieth round of PyTorch scripts found missing or unclear, checked by
hand and against PyTorch where it is installed:

- ``torch.gradient(u, spacing=dx, dim=-1)`` (derivatives of a sampled field, as
  physics-informed losses write them) met Python's bare "gradient() got an unexpected
  keyword argument 'spacing'", and ``dim=`` the note that ``ad.gradient`` is NumPy's.
  ``ad.gradient`` now takes PyTorch's keyword-only ``spacing=`` (one step, a step per
  dim, or coordinates per dim) and ``dim=``, and in that spelling returns PyTorch's
  tuple, even for one dim; without them it stays ``np.gradient`` (one array for one
  axis).

Found and left as earlier rounds decided them: a layer subclassing ``nn.Linear`` whose
``forward`` calls ``F.linear(x, f(self.weight), self.bias)`` (fake quantisation,
BinaryConnect, pruning masks made by ``ones_like(self.weight)``) meets the error naming
Linear's ``(in, out)`` weight here: those scripts keep their own ``(out, in)``
Parameter.  ``torch.median(x)`` of an even count, as a function, is NumPy's (the mean of
the two middle values) without a warning, as ``torch.std(x)`` is NumPy's; ``x.median()``
and ``torch.median(x, dim=)`` are PyTorch's lower median.  Still silently NumPy's:
``torch.gradient(x)[0]`` of a 1-D ``x`` with neither ``spacing=`` nor ``dim=`` indexes
NumPy's single array (its first entry), where PyTorch's tuple gives the whole
derivative."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

FIELD = np.random.default_rng(2023).normal(size=(3, 6))
COORDS = np.array([0.0, 0.4, 1.0, 1.5, 2.5, 2.75])


def _derivatives(lib, spelling):
    u = lib.tensor(FIELD, requires_grad=True)
    spacing = {"step": 0.5, "coordinates": (lib.tensor(COORDS),), "one": [0.5]}[spelling]
    du = lib.gradient(u, spacing=spacing, dim=-1, edge_order=2)
    (du[0] ** 2).sum().backward()
    return du, u.grad


@pytest.mark.parametrize("spelling", ["step", "coordinates", "one"])
def test_gradient_in_pytorchs_spelling_is_a_tuple_of_its_values_and_gradient(spelling):
    ours, our_grad = _derivatives(ad, spelling)
    assert type(ours) is tuple and len(ours) == 1
    steps = np.gradient(FIELD, COORDS if spelling == "coordinates" else 0.5, axis=-1,
                        edge_order=2)
    np.testing.assert_allclose(ours[0].numpy(), steps, rtol=1e-12)
    torch = pytest.importorskip("torch")
    theirs, their_grad = _derivatives(torch, spelling)
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(our_grad, their_grad.numpy(), rtol=1e-12, atol=1e-12)


def test_gradient_over_several_dims_by_dim_list():
    u = ad.tensor(FIELD)
    d1, d0 = ad.gradient(u, dim=[1, 0], spacing=[2.0, 0.5])
    np.testing.assert_allclose(d1.numpy(), np.gradient(FIELD, 2.0, axis=1))
    np.testing.assert_allclose(d0.numpy(), np.gradient(FIELD, 0.5, axis=0))
    only_dim = ad.gradient(u, dim=0)
    assert type(only_dim) is tuple and len(only_dim) == 1


def test_gradient_in_numpys_spelling_is_unchanged():
    u = ad.tensor(FIELD[0])
    result = ad.gradient(u, 0.5)
    assert isinstance(result, ad.Tensor)
    np.testing.assert_array_equal(result.numpy(), np.gradient(FIELD[0], 0.5))


def test_gradient_refuses_numpys_and_pytorchs_spellings_mixed():
    with pytest.raises(TypeError, match="either NumPy's spacings .* or PyTorch's spacing="):
        ad.gradient(ad.tensor(FIELD), 0.5, dim=1)
