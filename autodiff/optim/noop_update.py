"""A step that moves nothing: a learning rate so small that ``w - update`` rounds back
to ``w`` in every entry, although the gradients are not zero.

Each parameter entry changes only when its update is at least half the spacing
between floats near it (``np.spacing(w)``: about ``1.2e-7 * |w|`` in float32,
``2.2e-16 * |w|`` in float64).  Below that, ``step()`` returns and nothing changed,
the loss stays flat and nothing says why.  The first steps of each optimizer that
have a learning rate above 0 and a non-zero gradient are watched (each parameter's
values before and after its update are compared); if one of them changed no entry
of any parameter, a ``NoOpStepWarning`` names the user's line, the learning rate,
the typical |grad| and |w| and the float's spacing.  Once per optimizer, and only on
the first steps: late in training a gradient can become too small to move a
parameter with no mistake made (convergence), and after the first steps nothing is
copied or compared, so the step costs the same as before.

Not watched: a group whose ``lr`` is 0 (set on purpose, e.g. by a warmup schedule
that starts at 0), a group whose learning rate a scheduler holds below its
``initial_lr`` (a warmup's first steps are small on purpose), and parameters whose
gradient is zero in every entry (nothing to move).

>>> import warnings
>>> w = ad.nn.Parameter(np.ones(3, dtype=np.float32))
>>> opt = ad.optim.SGD([w], lr=1e-9)
>>> (w * w).sum().backward()
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     opt.step()
>>> print(caught[0].message)                                  # doctest: +ELLIPSIS
SGD.step: this step changed no entry of any parameter although the gradients are not zero: ...
"""

from __future__ import annotations

import warnings

import numpy as np

from .complex_parameters import as_real_pairs

#: How many steps (with lr > 0 and a non-zero gradient) of each optimizer are watched.
WATCHED_STEPS = 3


class NoOpWatch:
    """How many more steps of an optimizer to watch.  An object rather than a number
    in the optimizer's attributes: ``ad.compile`` refuses a traced step that changes a
    number of an optimizer whose ``step()`` the user wrote and reads it otherwise than
    counting it up, and this count is read and counted down."""

    __slots__ = ("checks_left",)

    def __init__(self, checks_left: int):
        self.checks_left = checks_left


class NoOpStepWarning(UserWarning):
    """An optimizer step changed no parameter entry although gradients were not zero."""


def _watched(group, grad) -> bool:
    """Whether a parameter's update in this group is expected to move it."""
    lr = group["lr"]
    if not lr > 0:
        return False
    initial = group.get("initial_lr")
    if initial is not None and lr < initial:      # a scheduler's warmup or decay
        return False
    return bool(grad.any())


def update_watching(opt, work, where: str) -> None:
    """Run the updates of ``work`` (as ``Optimizer.step`` does) and warn if none of
    the watched parameters changed in any entry."""
    watched = []
    moved = False
    for p, grad, state, group in work:
        data = p.data
        watch = not moved and _watched(group, grad)
        before = data.copy() if watch else None
        if data.dtype.kind == "c":
            opt._update(as_real_pairs(data), as_real_pairs(grad), state, group)
        else:
            opt._update(data, grad, state, group)
        if watch:
            moved = not np.array_equal(before, data, equal_nan=True)
            watched.append((data, grad, group))
    if not watched:
        return
    opt._noop_watch.checks_left -= 1
    if moved:
        return
    opt._noop_watch.checks_left = 0
    from .optimizer import user_stacklevel
    warnings.warn(_message(opt, where, watched), NoOpStepWarning,
                  stacklevel=user_stacklevel())


def _typical(arrays) -> float:
    """The median magnitude of the non-zero entries of ``arrays`` (0.0 if none)."""
    values = np.concatenate([np.abs(a).ravel() for a in arrays])
    values = values[values != 0]
    return float(np.median(values)) if values.size else 0.0


def _message(opt, where, watched) -> str:
    dtype = max(watched, key=lambda item: item[0].size)[0].dtype
    lrs = sorted({group["lr"] for _, _, group in watched})
    lr_text = f"lr={lrs[0]:g}" if len(lrs) == 1 else \
        "lr=" + ", ".join(f"{lr:g}" for lr in lrs)
    grad_size = _typical([g for _, g, _ in watched])
    w_size = _typical([d for d, _, _ in watched])
    spacing = float(np.spacing(np.abs(np.array(w_size or 1.0, dtype=dtype)).real))
    if type(opt).__name__ in ("SGD", "ASGD"):
        size = f"each update is about lr*|grad| = {lrs[-1] * grad_size:.3g}"
    else:
        size = (f"{type(opt).__name__} scales each entry's update to about lr, whatever "
                "the gradient's size")
    finer = (" A float64 model has finer spacing." if dtype.itemsize < 8 and
             dtype.kind == "f" else "")
    return (
        f"{where}: this step changed no entry of any parameter although the gradients "
        f"are not zero: {lr_text}, typical |grad| {grad_size:.3g}, typical |w| "
        f"{w_size:.3g}; {size}, below half the spacing between {dtype} numbers near "
        f"|w| ({spacing:.3g}), so "
        "w - update rounds back to w and training does not move. Is the learning rate "
        "much too small (a typo such as 1e-10 for 1e-1, or divided twice)? Usual values "
        f"are 1e-4 to 1e-1.{finer} This warning is shown once per optimizer.")
