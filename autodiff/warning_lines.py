"""NumPy's warnings from inside an op, shown at the user's line, once per line.

NumPy warns about a division by zero or an invalid value from C, as from the
innermost Python frame.  For an op of this library that is a line of
``ops/registry.py``: ``1 / ad.tensor(0.0)`` would warn at that line, which tells
the user nothing.  Worse, Python's default filter shows a warning once per
location, so the first such warning would hide every later one from the user's
other lines (``ad.log`` of a zero on line 3 would hide one on line 8).  NumPy on
plain arrays warns at the user's line, once per line.

``install`` (run when ``autodiff`` is imported) makes this library do the same:

- a filter, appended last so that any filter the user sets matches first, lets
  every warning raised at a line of this package through to Python's
  ``warnings._showwarnmsg``;
- a wrapper of that function issues such a warning again, as from the user's line
  (``tape_drop.user_frame``: the first frame outside this library, NumPy, a
  compiled step's replay and installed packages).  There the user's filters
  apply, with that module's registry, as for a warning raised on that line.

Every other warning passes through unchanged.  Where the hook is missing (another
Python) nothing is installed, and such warnings show at this library's line.  A
filter of the user's that matches every module (``python -W default``) decides
first, at this library's line, as before.  The fused kernels of a compiled step
raise no floating-point warnings at all (Numba does not); its NumPy calls do.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     _ = 1 / ad.tensor(0.0)
>>> caught[0].filename.startswith("<doctest")    # this line, not the library's
True
"""

from __future__ import annotations

import os
import warnings

from .tape_drop import GENERATED_PREFIX, absolute, user_frame, warn_at

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def install() -> None:
    """Show warnings raised inside this library at the user's line (once)."""
    show = getattr(warnings, "_showwarnmsg", None)
    if show is None or getattr(show, "shows_user_line", False):
        return
    warnings._showwarnmsg = _wrap(show)
    warnings.filterwarnings("always", module=r"autodiff(\.|$)", append=True)


def _raised_here(filename: str) -> bool:
    """Whether a warning at ``filename`` was raised in this package or in a compiled
    step's replay."""
    return (absolute(filename).startswith(_PACKAGE_DIR)
            or filename.startswith(GENERATED_PREFIX))


def _wrap(show):
    def show_at_user_line(msg):
        if _raised_here(msg.filename):
            frame = user_frame()        # None when no frame is outside the library
            if frame is not None:
                warn_at(frame, msg.message, msg.category)
                return
        show(msg)

    show_at_user_line.shows_user_line = True
    return show_at_user_line


def numpy_warnings_at_user_line(function, *args, **kwargs):
    """``function(*args, **kwargs)`` for a NumPy function whose own Python code warns
    (``np.mean`` of an empty lane: "Mean of empty slice", from NumPy's line, which the
    hook above leaves alone): its warnings are issued again at the user's line.  For
    the rare inputs that warn only; ``catch_warnings`` costs time.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = np.mean(ad.zeros(0))
    >>> caught[0].filename.startswith("<doctest"), str(caught[0].message)
    (True, 'Mean of empty slice')
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    frame = user_frame()
    for warning in caught:
        warn_at(frame, warning.message, warning.category)
    return result
