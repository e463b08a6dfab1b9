"""The forgotten-``zero_grad()`` hint (optim/accumulation_hint.py): silent for every
ordinary way of zeroing a gradient, once per optimizer for a loop that never zeroes,
LBFGS's closure included."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

HINT = "no zero_grad()"


def _set_none(model, opt):
    for p in model.parameters():
        p.grad = None


def _through_grad(write):
    """A zeroing that writes into each parameter's ``.grad`` (skipped while it is None)."""
    def zero(model, opt):
        for p in model.parameters():
            if p.grad is not None:
                write(p.grad)
    return zero


def _copy_zeros_without_grad(model, opt):
    with ad.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p.grad.copy_(ad.zeros_like(p))


def _setitem(key):
    def write(g):
        g[key] = 0
    return write


def _imul_zero(g):
    g *= 0


ZEROINGS = {
    "opt.zero_grad()": lambda model, opt: opt.zero_grad(),
    "opt.zero_grad(set_to_none=False)": lambda model, opt: opt.zero_grad(set_to_none=False),
    "model.zero_grad()": lambda model, opt: model.zero_grad(),
    "p.grad = None": _set_none,
    "p.grad.zero_()": _through_grad(lambda g: g.zero_()),
    "p.grad.data.zero_()": _through_grad(lambda g: g.data.zero_()),
    "p.grad[:] = 0": _through_grad(_setitem(slice(None))),
    "p.grad[...] = 0": _through_grad(_setitem(Ellipsis)),
    "p.grad[:, ...] = 0.0": _through_grad(_setitem((slice(None), Ellipsis))),
    "p.grad *= 0": _through_grad(_imul_zero),
    "p.grad.fill_(0)": _through_grad(lambda g: g.fill_(0)),
    "p.grad.fill(0)": _through_grad(lambda g: g.fill(0)),
    "p.grad.mul_(0)": _through_grad(lambda g: g.mul_(0)),
    "p.grad.copy_(np.zeros_like(g))": _through_grad(lambda g: g.copy_(np.zeros_like(g))),
    "no_grad + p.grad.copy_(zeros)": _copy_zeros_without_grad,
}


def _hints(zero=None, *, steps=4, every=1, groups=False, two=False):
    """The hint's warnings over a loop of ``steps`` batches, stepping (and zeroing with
    ``zero``, when given) every ``every`` batches."""
    ad.manual_seed(0)
    model, other = nn.Linear(3, 2), nn.Linear(3, 2)
    if groups:
        opt = ad.optim.SGD([{"params": [model.weight]},
                            {"params": [model.bias], "lr": 0.01}], lr=0.1)
    else:
        opt = ad.optim.SGD(model.parameters(), lr=0.1)
    opt2 = ad.optim.Adam(other.parameters(), lr=0.1)
    x = ad.tensor(np.random.default_rng(0).random((5, 3)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(steps):
            loss = model(x).sum() + (other(x).sum() if two else 0)
            loss.backward()
            if (i + 1) % every:
                continue
            opt.step()
            if two:
                opt2.step()
            if zero is not None:
                zero(model, opt)
                if two:
                    zero(other, opt2)
    return [w for w in caught if HINT in str(w.message)]


@pytest.mark.parametrize("name", list(ZEROINGS))
def test_every_ordinary_zeroing_is_silent(name):
    zero = ZEROINGS[name]
    assert _hints(zero) == []
    assert _hints(zero, steps=9, every=3) == []       # accumulating over 3 batches
    assert _hints(zero, groups=True) == []
    assert _hints(zero, two=True) == []


def test_a_loop_that_never_zeroes_warns_once_per_optimizer_at_the_users_line():
    caught = _hints(steps=6)
    assert len(caught) == 1
    assert str(caught[0].message).startswith("SGD.step: the .grad of 'weight'")
    assert caught[0].filename == __file__
    assert len(_hints(steps=6, every=2)) == 1
    assert len(_hints(steps=6, groups=True)) == 1
    two = _hints(steps=6, two=True)
    assert sorted(str(w.message).split(":")[0] for w in two) == ["Adam.step", "SGD.step"]


def test_a_partial_write_or_a_scaling_is_not_taken_for_a_zeroing():
    def clip_and_mask(model, opt):
        for p in model.parameters():
            p.grad.mul_(0.5)
            p.grad[0] = 0
    assert len(_hints(clip_and_mask)) == 1


def _lbfgs_hints(zero_in_closure):
    ad.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = ad.optim.LBFGS(model.parameters(), lr=0.1, max_iter=3)
    x = ad.tensor(np.random.default_rng(1).random((5, 3)))

    def closure():
        if zero_in_closure:
            opt.zero_grad()
        loss = (model(x) ** 2).sum()
        loss.backward()
        return loss

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            opt.step(closure)
    return [w for w in caught if HINT in str(w.message)]


def test_lbfgs_closure_without_zero_grad_warns_once():
    caught = _lbfgs_hints(zero_in_closure=False)
    assert len(caught) == 1
    assert str(caught[0].message).startswith("LBFGS.step: the .grad of 'weight'")


def test_lbfgs_closure_with_zero_grad_is_silent():
    assert _lbfgs_hints(zero_in_closure=True) == []
