"""``is_inference()`` and ``requires_grad`` of what ``inference_mode`` makes, against
PyTorch's: the results of a compiled function called in the block, ``detach()`` of an
inference tensor, ``flatten()`` and views of a tensor made outside the block."""

import numpy as np
import pytest

import autodiff as ad


def _flags(t):
    return t.is_inference(), t.requires_grad


def _cases(lib, ones, inference_mode):
    """(name, flags) for each case, computed with ``lib`` (autodiff or torch)."""
    w = ones(3, requires_grad=True)
    m = ones((2, 3), requires_grad=True)
    x = ones(3)
    flags = {}
    with inference_mode():
        y = w * 2
        flags["w * 2"] = _flags(y)
        flags["y.detach()"] = _flags(y.detach())
        flags["w.detach()"] = _flags(w.detach())
        flags["w.flatten()"] = _flags(w.flatten())
        flags["x.flatten()"] = _flags(x.flatten())
        flags["m.flatten()"] = _flags(m.flatten())
        flags["y.flatten()"] = _flags(y.flatten())
        flags["m.view(6)"] = _flags(m.view(6))
        flags["m.T"] = _flags(m.T)
        flags["m[0]"] = _flags(m[0])
        flags["w.clone()"] = _flags(w.clone())
    flags["y.detach() after"] = _flags(y.detach())
    flags["y.flatten() after"] = _flags(y.flatten())
    flags["y * 1 after"] = _flags(y * 1)
    return flags


def test_flags_match_pytorchs():
    torch = pytest.importorskip("torch")
    ours = _cases(ad, lambda *s, **k: ad.ones(s[0] if len(s) == 1 else s, **k),
                  ad.inference_mode)
    theirs = _cases(torch, lambda *s, **k: torch.ones(*s, dtype=torch.float64, **k),
                    torch.inference_mode)
    assert ours == theirs


def test_the_flags_by_hand():
    w = ad.ones(3, requires_grad=True)
    with ad.inference_mode():
        y = w * 2
        assert _flags(w.flatten()) == (False, True)      # PyTorch's is w itself
        assert _flags(y.detach()) == (True, False)
        assert _flags(w[1:]) == (False, True)
    assert _flags(y.detach()) == (True, False) and _flags(y.flatten()) == (True, False)
    assert _flags(w.flatten()) == (False, True) and w.flatten()._node is not None


def test_a_compiled_functions_results_are_inference_tensors_in_the_block():
    torch = pytest.importorskip("torch")
    step = ad.compile(lambda a, b: (a * 2 + 1, {"sum": (a * b).sum()}))
    given = ad.ones(3)
    step(given, np.ones(3))                               # traced outside the block
    with ad.inference_mode():
        first, rest = step(given, np.ones(3))             # replayed in it
        traced, _ = step(np.ones(4), np.ones(4))          # traced in it
        passed = ad.compile(lambda a: a)(given)           # an input handed back
    with torch.inference_mode():
        expected = torch.ones(3) * 2 + 1                  # (what the eager call gives)
    assert first.is_inference() == rest["sum"].is_inference() == expected.is_inference()
    assert traced.is_inference() and not passed.is_inference()
    again, _ = step(given, np.ones(3))
    assert not again.is_inference()
