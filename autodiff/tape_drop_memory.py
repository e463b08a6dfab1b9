"""How each tensor last left the tape with a ``TapeDropWarning`` (``tape_drop.py``), for
``explain``: a tensor the output does not reach is told where and how it was cut off.
Kept by weak reference, so a tensor's entry goes with it."""

from __future__ import annotations

import re
import weakref

# id(tensor) -> (weak reference to it, how and where it last left the tape)
_DROPS: dict = {}


def _short(how: str) -> str:
    """``how`` without its examples in parentheses and its reasons after ', which'."""
    while True:
        shorter = re.sub(r"\s*\([^()]*\)", "", how)
        if shorter == how:
            return how.split(", which", 1)[0]
        how = shorter


def remember_drop(tensor, how: str, where: str) -> None:
    """Note that ``tensor`` left the tape ``how`` (a TapeDropWarning's text) at ``where``."""
    ident = id(tensor)

    def forget(ref):
        if _DROPS.get(ident, (None,))[0] is ref:
            del _DROPS[ident]
    _DROPS[ident] = (weakref.ref(tensor, forget), f"{_short(how)} at {where}")


def last_drop(tensor) -> str | None:
    """How and where ``tensor`` last left the tape with a TapeDropWarning, or None.

    >>> import warnings
    >>> w = ad.tensor([1.0], requires_grad=True)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", ad.TapeDropWarning)
    ...     plain = np.asarray(w)
    >>> last_drop(w)
    'converted to a NumPy array by np.asarray at ...'
    """
    entry = _DROPS.get(id(tensor))
    return entry[1] if entry is not None and entry[0]() is tensor else None


_THIS_CALL: dict = {}


def warned_in_this_call(tensor, frame, kind: str) -> bool:
    """Whether ``tensor`` was already warned of by the call the user's ``frame`` is in
    (and note it): ``np.array([t, u])`` converts each 0-d Tensor twice in one call
    (``__array__``, then ``__float__``), and one warning per tensor says it all.  The
    same conversion of the same tensor again is a new call of that line (a loop, or a
    function called twice), which warns again."""
    call = (id(frame), frame.f_lasti, frame.f_code)
    if _THIS_CALL.get("call") != call:
        _THIS_CALL.update(call=call, kinds={})
    # (by id, and a weak reference to tell a tensor made since at a freed one's address:
    # a frame's id comes back too, so one line run twice can look like one call)
    seen = _THIS_CALL["kinds"].get(id(tensor))
    if seen is None or seen[0]() is not tensor:
        seen = _THIS_CALL["kinds"][id(tensor)] = (weakref.ref(tensor), set())
    kinds = seen[1]
    if kind in kinds:                   # (a new call: what it converted is forgotten)
        _THIS_CALL["kinds"] = {id(tensor): (seen[0], {kind})}
        return False
    kinds.add(kind)
    return len(kinds) > 1
