"""A hint for a training loop that never zeroes its gradients.

Gradients accumulate into ``.grad`` across ``backward()`` calls until zeroed (PyTorch
semantics), so a loop of ``loss.backward(); opt.step()`` without ``opt.zero_grad()``
steps along the sum of every batch's gradient so far: it trains, badly, with no error.
PyTorch says nothing. Here a step warns (once per optimizer) when it finds the first
parameter's ``.grad`` to be the same array the previous step read, with a ``backward()``
run since and no zeroing in between (``opt.zero_grad()``, ``model.zero_grad()``, ``.grad
= None``, ``p.grad.zero_()``, or zeros written through ``.grad``: ``p.grad[:] = 0``,
``p.grad *= 0``, ``fill_(0)``, ``fill(0)``, ``mul_(0)``, ``copy_(zeros)``, which
``GradArray`` notes): then that array holds the earlier gradients too, unless the user
zeroed it some other way (``np.copyto(p.grad, 0)``), which the message allows for.
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
#: ``GradArray.zero_``) since import: a step compares it with the count at the last one.
zeroings = 0


def note_zeroed() -> None:
    """A ``.grad`` array was zeroed in place."""
    global zeroings
    zeroings += 1


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

    def check(self, optimizer, work, where: str) -> None:
        """Warn (once) when the gradient of the first parameter of ``work`` (the step's
        ``(parameter, ...)`` entries) was added into since the last step without being
        zeroed; then remember this step's.  (One array, not all: a step costs one weak
        reference more.)"""
        if self.warned or not work:
            return
        backwards = _grad_mode.backwards
        first = work[0][0]
        grad = first._grad
        if (self.grad is not None and not self.zeroed and self.zeroings == zeroings
                and self.grad() is grad and type(grad) is np.ndarray
                and backwards != self.backwards):
            self.warned = True
            from .optimizer import user_stacklevel

            name = optimizer._names.get(id(first), "?")
            shown = repr(name) if not name.startswith("#") else \
                f"parameter {name} (shape {first.shape})"
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

