"""What the fifteenth round of PyTorch scripts found different, each now answered by a
clear message: merging a LoRA adapter into a ``Linear``'s weight in PyTorch's
``(out, in)`` layout (here ``(in, out)``), Barlow Twins' ``torch.diagonal(c).add_(-1)``
(NumPy's diagonal view is read-only), and VICReg's ``var(dim=0)`` (NumPy's divisor,
with a warning naming the line)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad

DATA = np.random.default_rng(15)


def _lora(n_in, n_out):
    base = ad.nn.Linear(n_in, n_out, rng=0)
    base.requires_grad_(False)
    lora_a = ad.tensor(DATA.normal(size=(2, n_in)))
    lora_b = ad.tensor(DATA.normal(size=(n_out, 2)))
    return base, lora_a, lora_b


def test_merging_a_lora_update_in_pytorch_layout_names_the_transposed_weight():
    base, lora_a, lora_b = _lora(6, 4)
    with ad.no_grad(), pytest.raises(ValueError, match=r"\+=.*\(4, 6\).*the operand is the "
                                     r"tensor's transpose.*Linear's weight here is \(in, out\)"):
        base.weight += (lora_b @ lora_a) * 2.0


def test_lora_merged_by_the_transposed_update_matches_the_adapter():
    base, lora_a, lora_b = _lora(6, 4)
    x = ad.tensor(DATA.normal(size=(5, 6)))
    with ad.no_grad():
        adapted = base(x) + (x @ lora_a.T @ lora_b.T) * 2.0
        base.weight += (lora_b @ lora_a).T * 2.0
        merged = base(x)
    np.testing.assert_allclose(merged.numpy(), adapted.numpy(), rtol=1e-12, atol=1e-12)


def test_no_hint_when_the_operand_is_not_the_transpose():
    t = ad.tensor(np.zeros((3, 4)))
    with ad.no_grad(), pytest.raises(ValueError) as caught:
        t += np.ones((3, 5))
    assert "transpose" not in str(caught.value)


def test_barlow_twins_diagonal_add_in_place_is_refused_with_the_ways_out():
    c = ad.tensor(DATA.normal(size=(4, 4)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"add_: .*through 'diagonal'"):
        ad.diagonal(c).add_(-1)
    plain = ad.tensor(DATA.normal(size=(4, 4)))
    with ad.no_grad(), pytest.raises(ad.InPlaceError, match=r"add_: .*read-only NumPy view "
                                     r"of another tensor.*m\[range\(n\), range\(n\)\] -= 1"):
        ad.diagonal(plain).add_(-1)


def test_barlow_twins_on_diagonal_term_by_the_suggested_spellings():
    torch = pytest.importorskip("torch")
    values = DATA.normal(size=(4, 4))
    expected = torch.tensor(values)
    torch.diagonal(expected).add_(-1)
    ours = ad.tensor(values.copy())
    ours[range(4), range(4)] -= 1
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    np.testing.assert_array_equal(ad.tensor(values).diagonal().numpy() - 1,
                                  torch.diagonal(expected).numpy())


def test_vicreg_variance_as_written_warns_at_the_users_line():
    x = ad.tensor(DATA.normal(size=(8, 3)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        std = (x.var(dim=0) + 1e-4).sqrt()
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "correction=1" in str(caught[0].message)
    np.testing.assert_allclose(std.numpy(), np.sqrt(x.numpy().var(axis=0) + 1e-4), rtol=1e-14)
