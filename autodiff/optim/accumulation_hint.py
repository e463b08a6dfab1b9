"""A hint for a training loop that never zeroes its gradients.

Gradients accumulate into ``.grad`` across ``backward()`` calls until zeroed (PyTorch
semantics), so a loop of ``loss.backward(); opt.step()`` without ``opt.zero_grad()``
steps along the sum of every batch's gradient so far: it trains, badly, with no error.
PyTorch says nothing. Here a step warns (once per optimizer) when it finds the first
parameter's ``.grad`` to be the same array the previous step read, with a ``backward()``
run since and no zeroing in between (``opt.zero_grad()``, ``model.zero_grad()``, ``.grad
= None``, ``p.grad.zero_()``, or zeros written through ``.grad``: ``p.grad[:] = 0``,
``p.grad *= 0``, ``fill_(0)``, ``fill(0)``, ``mul_(0)``, ``copy_(zeros)``, which
``np.copyto(p.grad, 0)``, which ``GradArray`` notes): then that array holds the earlier
gradients too, unless the user zeroed it some other way (``p.grad.data[...] = 0`` on a
plain view, ``np.multiply(g, 0, out=g)``), which the message allows for.  A zeroing
counts for the memory it wrote (``_zeroed_at``), so with two optimizers, one zeroing
its parameters does not hide the other's forgotten ``zero_grad()``.
Accumulating on purpose over k batches (``step(); zero_grad()`` every k) zeroes between
steps and is not warned about.  LBFGS checks after each evaluation of its closure.

>>> import warnings
>>> w = ad.tensor([1.0], requires_grad=True)
>>> opt = ad.optim.SGD([w], lr=0.1)
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     for _ in range(2):
...         (w * 2).sum().backward(); opt.step()
>>> "no zero_grad()" in str(caught[0].message)
True
"""

from __future__ import annotations

import weakref
import warnings

import numpy as np

from ..graph import _grad_mode

#: How many times ``.grad`` arrays were zeroed in place (``zero_grad_of``,
#: ``GradArray.zero_``, ...) since import: the clock of the marks below.
zeroings = 0
#: ``{id of the memory's owner: zeroings}`` at the last zeroing of that ``.grad``
#: memory, so that one optimizer's zero_grad() does not hide another's forgotten one.
#: (A freed array's id reused by a new one can only hide a warning, never make one.)
_zeroed_at: dict[int, int] = {}
#: ``zeroings`` when every array counts as zeroed: a zeroing of an unknown array, or
#: ``_zeroed_at`` cleared to stay small.
_all_zeroed_at = 0
_MARKS_KEPT = 4096


def _memory_key(array) -> int:
    """The id of the object owning ``array``'s memory: the same for a ``.grad`` buffer
    and the ``GradArray`` views of it."""
    base = array.base
    return id(array if base is None else base)


def note_zeroed(array=None) -> None:
    """A ``.grad`` array (its memory; any, when None) was zeroed in place."""
    global zeroings, _all_zeroed_at
    zeroings += 1
    if array is None or len(_zeroed_at) >= _MARKS_KEPT:
        _zeroed_at.clear()
        _all_zeroed_at = zeroings
    if array is not None:
        _zeroed_at[_memory_key(array)] = zeroings


def _zeroed_since(grad, count: int) -> bool:
    return max(_zeroed_at.get(_memory_key(grad), 0), _all_zeroed_at) > count


class AccumulationWatch:
    """What one optimizer's previous step read: its first ``.grad`` array (weakly), the
    count of backward passes and of zeroings; ``zeroed`` is set by its zero_grad."""

    __slots__ = ("grad", "backwards", "zeroings", "zeroed", "warned")

    def __init__(self):
        self.grad = None
        self.backwards = 0
        self.zeroings = 0
        self.zeroed = False
        self.warned = False

    def __reduce__(self):
        # (a copied or pickled optimizer starts watching afresh: weak references to
        # the original's arrays mean nothing to the copy)
        return (AccumulationWatch, ())

    def check(self, optimizer, work, where: str | None = None) -> None:
        """Warn (once) when the gradient of the first parameter of ``work`` (the step's
        ``(parameter, ...)`` entries) was added into since the last step without being
        zeroed; then remember this step's.  (One array, not all: a step costs one weak
        reference more.)  ``where`` names the call in the warning (by default
        ``"<optimizer class>.step"``, made only when it warns)."""
        if self.warned or not work:
            return
        backwards = _grad_mode.backwards
        first = work[0][0]
        grad = first._grad
        if (self.grad is not None and not self.zeroed and self.grad() is grad
                and type(grad) is np.ndarray and backwards != self.backwards
                and not _zeroed_since(grad, self.zeroings)):
            self.warned = True
            from .optimizer import user_stacklevel

            name = optimizer._names.get(id(first), "?")
            shown = repr(name) if not name.startswith("#") else \
                f"parameter {name} (shape {first.shape})"
            where = where or f"{type(optimizer).__name__}.step"
            warnings.warn(
                f"{where}: the .grad of {shown} is the same array the previous step read, "
                "and backward() has added into it since, with no zero_grad() (nor "
                ".grad = None) in between: unless you zeroed it another way, this step "
                "follows the sum of the gradients of every batch so far (they accumulate "
                "until zeroed, as in PyTorch). Call opt.zero_grad() before loss.backward() "
                "in each step; to accumulate over k batches on purpose, call step() and "
                "zero_grad() every k batches. This warning is shown once per optimizer.",
                UserWarning, stacklevel=user_stacklevel())
            return
        self.grad = weakref.ref(grad) if type(grad) is np.ndarray else None
        # (a count of backward passes, not the last root's id: a root freed since,
        # whose memory the next backward's root reused, would share its id)
        self.backwards = backwards
        self.zeroings = zeroings
        self.zeroed = False

