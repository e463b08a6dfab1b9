"""``detect_anomaly``'s check of a hand-written update loop that never zeroes ``.grad``.

Gradients accumulate into ``.grad`` until zeroed (PyTorch semantics), so a student's
loop of ``loss.backward(); w.data -= lr * w.grad`` without ``w.grad = None`` steps along
the sum of every step's gradient so far, each taken at other values of ``w``: it
trains, badly, with no error.  An optimizer's ``step`` warns about its own loop
(``optim/accumulation_hint.py``), so a parameter of an optimizer that has stepped is
left to it (one warning for one mistake); a hand-written update has no step to do it,
and PyTorch says nothing.  Under ``detect_anomaly`` a backward pass about to add into a
leaf's non-zero ``.grad`` compares the leaf's values with those it had when that
``.grad`` was started: changed values mean an update ran in between with no zeroing,
and it warns (once per leaf).  Accumulating on purpose (several backward passes at the
same values, micro-batches) leaves the values as they were and is not warned about.

>>> import warnings
>>> w = ad.tensor([1.0, 2.0], requires_grad=True, name="w")
>>> with warnings.catch_warnings(record=True) as caught, ad.detect_anomaly():
...     warnings.simplefilter("always")
...     for _ in range(2):
...         (w * w).sum().backward()
...         w.data -= 0.1 * w.grad
>>> "holds the gradient of an earlier backward()" in str(caught[0].message)
True
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

#: ``{id(leaf): (weak reference to the leaf, its values when its .grad was started,
#: the zeroings clock then, whether it was warned about)}``; entries go with the leaf.
_started: dict[int, tuple] = {}


def _forget(ident: int, ref) -> None:
    if _started.get(ident, (ref,))[0] is ref:
        del _started[ident]


def _zeroed(grad, count: int) -> bool:
    """Whether ``grad`` (the leaf's current ``.grad``) holds no earlier gradient: zeroed
    in place since ``count`` on the zeroings clock, or all zero."""
    from .optim.accumulation_hint import _zeroed_since
    if type(grad) is not np.ndarray:
        grad = np.asarray(getattr(grad, "data", grad))
    return _zeroed_since(grad, count) or not grad.any()


def _start(leaf, warned: bool = False) -> None:
    from .optim import accumulation_hint
    ident = id(leaf)
    ref = weakref.ref(leaf, lambda r: _forget(ident, r))
    _started[ident] = (ref, np.array(leaf.data, copy=True), accumulation_hint.zeroings,
                       warned)


def _stepped_by_an_optimizer(leaf) -> bool:
    """Whether ``leaf`` is a parameter of an optimizer that has stepped: that step
    changed it, and its own check warns of the missing zero_grad()."""
    from .optim.optimizer import live_optimizers
    return any(opt._step_count and id(leaf) in opt._names for opt in list(live_optimizers))


def check_accumulation(leaf) -> None:
    """Called as a backward pass is about to add a gradient into ``leaf.grad``: warn if
    that ``.grad`` holds a gradient taken at other values of ``leaf``."""
    grad = leaf._grad
    entry = _started.get(id(leaf))
    if entry is not None and entry[0]() is not leaf:
        entry = None
    if grad is None or entry is None or _zeroed(grad, entry[2]):
        # A fresh .grad, or one this check did not see begin (set before the block).
        if grad is None or entry is not None:
            _start(leaf, entry is not None and entry[3])
        return
    before = entry[1]
    data = leaf.data
    if entry[3] or (before.shape == data.shape
                    and np.array_equal(before, data, equal_nan=True)):
        return
    _started[id(leaf)] = entry[:3] + (True,)
    if _stepped_by_an_optimizer(leaf):
        return      # (its step warns of this loop, naming opt.zero_grad(): one warning)
    name = f"'{leaf.name}'" if leaf.name else f"a leaf of shape {leaf.shape}"
    short = leaf.name or "w"
    warnings.warn(
        f"backward: the gradient of {name} is being added into a .grad that already "
        f"holds the gradient of an earlier backward(), and {name} has changed since then "
        f"(an update such as {short}.data -= lr * {short}.grad) with no zeroing in "
        f"between: .grad now holds the sum of gradients taken at different values, and "
        f"an update along it is not gradient descent (gradients accumulate until zeroed, "
        f"as in PyTorch). Set {short}.grad = None (or call opt.zero_grad()) after each "
        f"update. This warning is shown once per tensor.", UserWarning, stacklevel=2)
