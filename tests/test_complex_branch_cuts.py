"""Complex arcsin, arccos, arccosh and arcsinh at points on their branch cuts (real z
beyond 1 for arcsin and arccos, below 1 for arccosh; imaginary z beyond i for arcsinh),
on either side (a zero part of +0 or -0): NumPy's value is the limit from the side the
zero's sign picks, and the gradient is that side's too, as central differences along
the cut through NumPy's function show.  (Before, the derivative's sqrt(1 - z^2) or
sqrt(1 + z^2) took +0 for both signs, so half of each cut got the other side's
derivative; PyTorch's gradient takes the other side there too.)"""

import numpy as np
import pytest

import autodiff as ad

#: name -> points along the cut, on the real line (Im z = +-0) or the imaginary one
CUTS = {"arcsin": [1.5, 3.0, -1.5, -3.0], "arccos": [1.5, 3.0, -1.5, -3.0],
        "arccosh": [0.5, -0.5, -1.5, -3.0]}
IMAGINARY_CUTS = {"arcsinh": [2.0, -3.0, 1.5, -1.2]}
SIDES = pytest.mark.parametrize("sign", [1.0, -1.0], ids=["+0j", "-0j"])


def _loss(z):
    return (np.real(z) * np.array([1.0, -0.5, 2.0, 0.7])).sum() + (np.imag(z) ** 2).sum()


def _on_the_cut(x, sign, imaginary=False):
    z = np.zeros(np.shape(x), np.complex128)
    z.real, z.imag = (np.copysign(0.0, sign), x) if imaginary else (x, np.copysign(0.0, sign))
    return z


def _along_the_cut(name, x, sign, imaginary=False):
    """Central differences of the loss of NumPy's function along the cut, on one side."""
    def value(v):
        return _loss(getattr(np, name)(_on_the_cut(v, sign, imaginary)))
    return np.array([(value(x + step) - value(x - step)) / 2e-6
                     for step in np.eye(x.size) * 1e-6])


@SIDES
@pytest.mark.parametrize("name", sorted(CUTS) + sorted(IMAGINARY_CUTS))
def test_a_gradient_on_a_branch_cut_is_the_side_of_the_value(name, sign):
    imaginary = name in IMAGINARY_CUTS
    x = np.array(IMAGINARY_CUTS[name] if imaginary else CUTS[name])
    z = ad.tensor(_on_the_cut(x, sign, imaginary), requires_grad=True)
    value = getattr(np, name)(z)
    np.testing.assert_array_equal(value.data, getattr(np, name)(z.data))
    _loss(value).backward()
    # (a complex leaf's gradient is the derivative along Re z plus i times along Im z)
    along = z.grad.imag if imaginary else z.grad.real
    np.testing.assert_allclose(along, _along_the_cut(name, x, sign, imaginary),
                               rtol=1e-6, atol=1e-8)


@SIDES
@pytest.mark.parametrize("name", sorted(CUTS))
def test_a_real_input_cast_to_complex_keeps_its_side(name, sign):
    """A real parameter made complex (+0j) and, for the other side, conjugated."""
    x = np.array(CUTS[name])

    def loss(v):
        z = v.astype(np.complex128)
        return _loss(getattr(np, name)(z if sign > 0 else np.conj(z)))
    np.testing.assert_allclose(ad.grad(loss)(x), _along_the_cut(name, x, sign),
                               rtol=1e-6, atol=1e-8)
