"""``requires_grad`` and ``is_inference()`` of views made inside ``inference_mode`` of
tensors made outside it, as PyTorch's: a view of a normal tensor is a normal tensor that
requires grad as its base does, a copy is an inference tensor.  Where NumPy and PyTorch
disagree on view or copy, PyTorch's answer decides the flags: ``flip``/``rot90`` copy
there, ``conj``/``real``/``imag``/``view_as_real``/``unfold`` are views there, and
``flatten`` of a tensor it cannot view is a copy."""

import numpy as np
import pytest

import autodiff as ad

NORMAL_VIEW = (False, True)         # (is_inference, requires_grad) of a normal view
INFERENCE_COPY = (True, False)

CASES = {   # name: (function of a (3, 4) tensor, real or, for "z...", complex; its flags)
    "w[:2]": (lambda w: w[:2], NORMAL_VIEW),
    "w[0]": (lambda w: w[0], NORMAL_VIEW),
    "w[0, 1]": (lambda w: w[0, 1], NORMAL_VIEW),
    "w[..., None]": (lambda w: w[..., None], NORMAL_VIEW),
    "w[1:, ::2]": (lambda w: w[1:, ::2], NORMAL_VIEW),
    "w[[0, 1]]": (lambda w: w[[0, 1]], INFERENCE_COPY),
    "w[w > 0]": (lambda w: w[w > 0], INFERENCE_COPY),
    "w.view(4, 3)": (lambda w: w.view(4, 3), NORMAL_VIEW),
    "w.reshape(12)": (lambda w: w.reshape(12), NORMAL_VIEW),
    "w.T.reshape(-1)": (lambda w: w.T.reshape(-1), INFERENCE_COPY),
    "w.T": (lambda w: w.T, NORMAL_VIEW),
    "w.permute(1, 0)": (lambda w: w.permute(1, 0), NORMAL_VIEW),
    "w.unsqueeze(0)": (lambda w: w.unsqueeze(0), NORMAL_VIEW),
    "w.unsqueeze(0).squeeze(0)": (lambda w: w.unsqueeze(0).squeeze(0), NORMAL_VIEW),
    "w.flatten()": (lambda w: w.flatten(), NORMAL_VIEW),
    "w.T.flatten()": (lambda w: w.T.flatten(), INFERENCE_COPY),
    "w.T.flatten(0, 0)": (lambda w: w.T.flatten(0, 0), NORMAL_VIEW),
    "w[:, 1].flatten()": (lambda w: w[:, 1].flatten(), NORMAL_VIEW),
    "w.flip(0)": (lambda w: w.flip(0), INFERENCE_COPY),
    "ad.fliplr(w)": (lambda w: ad_or_torch(w).fliplr(w), INFERENCE_COPY),
    "ad.flipud(w)": (lambda w: ad_or_torch(w).flipud(w), INFERENCE_COPY),
    "ad.rot90(w)": (lambda w: ad_or_torch(w).rot90(w), INFERENCE_COPY),
    "w.unfold(1, 2, 1)": (lambda w: w.unfold(1, 2, 1), NORMAL_VIEW),
    "w.conj()": (lambda w: w.conj(), NORMAL_VIEW),
    "z.conj()": (lambda z: z.conj(), NORMAL_VIEW),
    "z.conj_physical()": (lambda z: z.conj_physical(), INFERENCE_COPY),
    "z.mH": (lambda z: z.mH, NORMAL_VIEW),
    "z.adjoint()": (lambda z: z.adjoint(), NORMAL_VIEW),
    "z.real": (lambda z: z.real, NORMAL_VIEW),
    "z.imag": (lambda z: z.imag, NORMAL_VIEW),
    "ad.view_as_real(z)": (lambda z: ad_or_torch(z).view_as_real(z), NORMAL_VIEW),
    "ad.view_as_complex(w)": (lambda w: ad_or_torch(w).view_as_complex(w.reshape(3, 2, 2)),
                              NORMAL_VIEW),
    "w * 2": (lambda w: w * 2, INFERENCE_COPY),
}


def ad_or_torch(t):
    """The library ``t`` belongs to, for its module-level functions."""
    if isinstance(t, ad.Tensor):
        return ad
    import torch
    return torch


def _flags_of(name, make, inference_mode):
    """The flags of case ``name`` on a fresh tensor made by ``make(dtype_kind)``."""
    fn, _ = CASES[name]
    base = make("c" if name.startswith("z") or "(z)" in name else "f")
    with inference_mode():
        result = fn(base)
    return result.is_inference(), result.requires_grad


def _ours(kind):
    values = np.arange(12.0).reshape(3, 4) + 1
    return ad.tensor(values + 1j if kind == "c" else values, requires_grad=True)


@pytest.mark.parametrize("name", CASES)
def test_a_view_in_the_block_has_pytorchs_flags(name):
    assert _flags_of(name, _ours, ad.inference_mode) == CASES[name][1]


@pytest.mark.parametrize("name", CASES)
def test_the_expected_flags_are_pytorchs(name):
    torch = pytest.importorskip("torch")

    def theirs(kind):
        return torch.tensor(_ours(kind).data, requires_grad=True)

    assert _flags_of(name, theirs, torch.inference_mode) == CASES[name][1]


def test_a_view_of_a_tensor_without_grad_is_a_normal_one_without_grad():
    x = ad.tensor(np.ones((3, 4)) + 1j)
    with ad.inference_mode():
        flags = [(v.is_inference(), v.requires_grad)
                 for v in (x.conj(), x.real, x[:2].flatten(), x.unfold(1, 2, 1))]
        flipped = x.flip(0)
    assert flags == [(False, False)] * 4
    assert flipped.is_inference()


def test_the_views_stay_differentiable_after_the_block():
    z = ad.tensor(np.array([[1.0 + 2.0j, 3.0 - 1.0j]]), requires_grad=True)
    with ad.inference_mode():
        v = z.conj()
    assert v._node is None                      # made without recording, as PyTorch's
    (z.conj().real * 2).sum().backward()
    np.testing.assert_array_equal(z.grad, [[2.0, 2.0]])
