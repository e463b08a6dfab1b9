"""What the seventh round of PyTorch scripts found missing or different, each compared
with PyTorch: ``ad.Size`` (``shape == torch.Size([...])``), the ``torch._foreach_*``
functions (an EMA of weights), the keyword ``size=`` of ``full`` / ``zeros`` / ``ones``
/ ``empty`` / ``rand`` / ``randn`` (``torch.full(size=(n,), fill_value=T)`` for CTC's
input lengths), ``autograd.grad`` over any iterable of inputs
(``params.values()`` in MAML's inner loop), and ``ad.fft`` refused naming a real
spelling (FNet's token mixing).  Pruning, ``MixtureSameFamily`` and the
interpolation modes are in test_torch_scripts_seventh_gaps_more.py."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(75)


# ----- ad.Size -------------------------------------------------------------------------

def test_size_is_a_tuple_of_dims_as_torch_size():
    torch = pytest.importorskip("torch")
    ours, theirs = ad.Size([2, 3, 4]), torch.Size([2, 3, 4])
    assert ours == theirs == (2, 3, 4) and ours.numel() == theirs.numel() == 24
    assert ad.zeros(2, 3, 4).shape == ours
    assert isinstance(ours[1:], ad.Size) and ours[1:] == theirs[1:]
    assert isinstance(ours + (5,), ad.Size) and ours + (5,) == theirs + (5,)
    assert isinstance(ad.zeros(2, 3).shape, ad.Size) and isinstance(ad.zeros(2).size(), ad.Size)
    assert not isinstance((2, -1), ad.Size) and not isinstance([2, 3], ad.Size)
    assert repr(ours) == repr(theirs).replace("torch", "autodiff")
    assert ad.Size().numel() == torch.Size().numel() == 1
    assert pickle.loads(pickle.dumps(ours)) == ours
    with pytest.raises(TypeError, match=r"Size: the dims must be ints, got float"):
        ad.Size([2.0, 3])


# ----- the _foreach functions ----------------------------------------------------------

def _lists(torch, rng_seed=0, positive=False):
    rng = np.random.default_rng(rng_seed)
    arrays = [rng.uniform(0.2, 0.9, size=s) if positive else rng.normal(size=s)
              for s in [(2, 3), (4,), ()]]
    return ([ad.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays])


FOREACH_CASES = [
    ("_foreach_mul", lambda ts, other: (ts, 0.9)),
    ("_foreach_add", lambda ts, other: (ts, other)),
    ("_foreach_sub", lambda ts, other: (ts, [1.0, 2.0, 3.0])),
    ("_foreach_div", lambda ts, other: (ts, other)),
    ("_foreach_maximum", lambda ts, other: (ts, other)),
    ("_foreach_pow", lambda ts, other: (ts, 2.0)),
    ("_foreach_lerp", lambda ts, other: (ts, other, 0.3)),
    ("_foreach_addcmul", lambda ts, other: (ts, other, other, 0.5)),
    ("_foreach_sqrt", lambda ts, other: (ts,)),
    ("_foreach_exp", lambda ts, other: (ts,)),
    ("_foreach_sigmoid", lambda ts, other: (ts,)),
    ("_foreach_neg", lambda ts, other: (ts,)),
    ("_foreach_clamp_min", lambda ts, other: (ts, 0.5)),
]


@pytest.mark.parametrize("name, arguments", FOREACH_CASES, ids=[c[0] for c in FOREACH_CASES])
def test_foreach_functions_match_torch_in_place_out_of_place_and_in_gradients(name, arguments):
    torch = pytest.importorskip("torch")
    ours, theirs = _lists(torch, positive=True)
    other_ours, other_theirs = _lists(torch, 1, positive=True)
    for t in ours + theirs:
        t.requires_grad_(True)
    results = getattr(ad, name)(*arguments(ours, other_ours))
    expected = getattr(torch, name)(*arguments(theirs, other_theirs))
    weights = [RNG.normal(size=t.shape) for t in expected]
    sum((r * w).sum() for r, w in zip(results, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    for r, e, t, s in zip(results, expected, ours, theirs):
        np.testing.assert_allclose(r.data, e.detach().numpy(), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(t.grad, s.grad.numpy(), rtol=1e-14, atol=1e-15)
    in_place, in_place_theirs = _lists(torch, positive=True)
    with torch.no_grad():
        assert getattr(ad, name + "_")(*arguments(in_place, other_ours)) is None
        getattr(torch, name + "_")(*arguments(in_place_theirs, other_theirs))
    for r, e in zip(in_place, in_place_theirs):
        np.testing.assert_allclose(r.data, e.numpy(), rtol=1e-14, atol=1e-15)


def test_foreach_norm_zero_copy_and_alpha_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _lists(torch)
    for ord_ in (2, 1, float("inf")):
        np.testing.assert_allclose([n.item() for n in ad._foreach_norm(ours, ord_)],
                                   [n.item() for n in torch._foreach_norm(theirs, ord_)],
                                   rtol=1e-14)
    norms = ad._foreach_norm(ours, dtype=ad.float32)
    assert norms[0].dtype == np.float32 and norms[2].shape == ()
    ad._foreach_add_(ours, ours, alpha=-0.5)
    torch._foreach_add_(theirs, theirs, alpha=-0.5)
    for r, e in zip(ours, theirs):
        np.testing.assert_array_equal(r.data, e.numpy())
    sources = [t.clone() + 1 for t in ours]
    ad._foreach_copy_(ours, sources)
    assert all((r.data == s.data).all() for r, s in zip(ours, sources))
    ad._foreach_zero_(ours)
    assert all((r.data == 0).all() for r in ours)


def test_foreach_gradients_against_finite_differences():
    x = [RNG.normal(size=3), RNG.normal(size=(2, 2))]
    end = [RNG.normal(size=3), RNG.normal(size=(2, 2))]

    def f(a, b, c, d):
        lerped = ad._foreach_lerp([a, b], [c, d], 0.25)
        scaled = ad._foreach_addcmul(lerped, [a, b], [c, d], value=0.5)
        return sum((ad._foreach_tanh(scaled)[k] ** 2).sum() for k in range(2))
    assert ad.gradcheck(f, [x[0], x[1], end[0], end[1]])


def test_foreach_refuses_what_is_not_a_list_of_tensors_or_of_another_length():
    with pytest.raises(TypeError, match=r"_foreach_mul_: expects a list or tuple of tensors"):
        ad._foreach_mul_(ad.ones(2), 2.0)
    with pytest.raises(TypeError, match=r"_foreach_add: item 1 is a ndarray, not a Tensor"):
        ad._foreach_add([ad.ones(2), np.ones(2)], 1.0)
    with pytest.raises(ValueError, match=r"_foreach_mul: got 2 tensors but 3 operands"):
        ad._foreach_mul([ad.ones(2), ad.ones(1)], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"_foreach_mul: takes alpha= only in _foreach_add"):
        ad._foreach_mul([ad.ones(2)], 2.0, alpha=2.0)


# ----- size= in the creation functions -------------------------------------------------

@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_creation_functions_take_torchs_size_keyword(name):
    torch = pytest.importorskip("torch")
    ours = getattr(ad, name)(size=(2, 3))
    assert ours.shape == tuple(getattr(torch, name)(size=(2, 3)).shape) == (2, 3)
    assert getattr(ad, name)(size=[4]).shape == (4,)
    if name in ("zeros", "ones"):
        np.testing.assert_array_equal(ours.data, getattr(torch, name)(size=(2, 3)).numpy())
    with pytest.raises(TypeError, match=rf"{name}: got the shape both as arguments \(2,\) "
                                        r"and as size=\(2,\)"):
        getattr(ad, name)(2, size=(2,))


def test_full_takes_size_and_fill_value_by_keyword_as_torch():
    torch = pytest.importorskip("torch")
    ours = ad.full(size=(2,), fill_value=9, dtype=ad.long)
    theirs = torch.full(size=(2,), fill_value=9, dtype=torch.long)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ad.full((2, 1), 0.5).data, torch.full((2, 1), 0.5).numpy())
    np.testing.assert_array_equal(ad.full(3, 1.0).data, np.full(3, 1.0))
    with pytest.raises(TypeError, match=r"full\(\) missing the fill value"):
        ad.full(size=(2,))
    with pytest.raises(TypeError, match=r"full\(\) missing the shape"):
        ad.full(fill_value=2.0)
    with pytest.raises(TypeError, match=r"full: got the shape both"):
        ad.full((2,), 1.0, size=(2,))


# ----- autograd.grad over any iterable -------------------------------------------------

def test_autograd_grad_takes_any_iterable_of_tensors_as_torch():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(4, 2))
    ours = ad.nn.Linear(2, 1)
    theirs = torch.nn.Linear(2, 1).double()
    ours.load_torch_state_dict(theirs.state_dict())
    loss = (ours(ad.tensor(x)) ** 2).sum()
    their_loss = (theirs(torch.tensor(x)) ** 2).sum()
    by_values = ad.autograd.grad(loss, dict(ours.named_parameters()).values(),
                                 retain_graph=True)
    by_generator = ad.autograd.grad(loss, (p for p in ours.parameters()))
    expected = torch.autograd.grad(their_loss, dict(theirs.named_parameters()).values())
    np.testing.assert_allclose(by_values[0].data, expected[0].numpy().T, rtol=1e-14)
    np.testing.assert_allclose(by_values[1].data, expected[1].numpy(), rtol=1e-14)
    np.testing.assert_array_equal(by_generator[1].data, by_values[1].data)
    with pytest.raises(TypeError, match=r"autograd.grad: inputs\[0\] is a ndarray, not a "
                                        r"Tensor"):
        ad.autograd.grad((ad.ones(2, requires_grad=True) * 2).sum(), np.ones(2))


# ----- torch.fft: ad.fft, and the real DFT-matrix spelling give torch's values ----------

def test_fft_namespace_and_the_real_dft_spelling_give_torchs_values():
    torch = pytest.importorskip("torch")
    import math
    n, x = 6, RNG.normal(size=(3, 6))
    k = ad.outer(ad.arange(n), ad.arange(n)) * (2 * math.pi / n)    # the spelling named
    signal = ad.tensor(x, requires_grad=True)
    re, im = signal @ ad.cos(k), -(signal @ ad.sin(k))
    theirs = torch.tensor(x, requires_grad=True)
    spectrum = torch.fft.fft(theirs, dim=-1)
    np.testing.assert_allclose(re.data, spectrum.real.detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(im.data, spectrum.imag.detach().numpy(), atol=1e-13)
    ((re ** 2 + im ** 2) ** 0.5).sum().backward()
    spectrum.abs().sum().backward()
    np.testing.assert_allclose(signal.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    recorded = ad.tensor(x, requires_grad=True)
    ad.fft.fft(recorded, dim=-1).abs().sum().backward()
    np.testing.assert_allclose(recorded.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
