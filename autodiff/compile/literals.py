"""Tensors the traced call makes from Python numbers (``c = ad.tensor([0.0, 0.0])``).

Eager execution makes them anew at every call, so a replay starts each from the
values it had when a step first used it, whatever the call wrote into it later:

* the tracer holds its array read-only from when it is made until the trace ends
  (``made``): a NumPy write into it would be no step of the plan, and could put
  values of the call into it (``c.data[0] = x.data.sum()``); in-place tensor ops are
  steps, and lift the hold;
* at its first use by a step the tracer keeps a copy of its array (``first_use``),
  in its memory order (``order="K"``, as every copy of it below: a Fortran-ordered
  ``np.zeros_like(x.data)`` gives Fortran-ordered results in eager mode);
* a replay reads the copy, and copies it again at each call when a step may write
  into it (``c += 1`` under ``ad.no_grad()``, ``c[0] = 1``) or what the call returns
  may be it or a view of it (``return c.T``; ``anew``): else one call's writes would
  reach the next, and the results of two calls would share memory;
* a leaf with ``requires_grad`` made from Python numbers is a captured tensor (a
  replay reads the traced object's ``.data``): each replay gives it a new copy of its
  first values, as an update in place (an optimizer made in the call) would carry
  over otherwise.
"""

from __future__ import annotations

from .buffers import _kernel_arrays, _written_form
from .optimize import output_refs

_LABEL = ".data of a tensor made in the call from Python numbers"


def made(tracer, array) -> None:
    """``ad.tensor`` made ``array`` from Python numbers in the user's code: held
    read-only until the trace ends."""
    tracer.literals.add(id(array))
    tracer.held.hold(array, "value", _LABEL)


def first_use(tracer, array, slot) -> None:
    """A step uses ``array`` as slot ``slot`` for the first time: if a tensor made
    from Python numbers holds it, keep its values now."""
    if id(array) in tracer.literals and slot not in tracer.literal_values:
        tracer.literal_values[slot] = array.copy(order="K")    # (eager's memory order)


def anew(plan) -> set:
    """The constant slots made from Python numbers that a replay copies at each call:
    a step may write into them, or a returned value may be one or view one.

    >>> c = ad.tensor([0.0, 0.0])
    >>> f = ad.compile(lambda x: (x + c, c.T))
    >>> _ = f(np.ones(2)); sorted(anew(f.plan)) == sorted(f.plan.literal_values)
    True
    """
    constants = {s for s in plan.literal_values if plan.slots[s].source == "constant"}
    if not constants:
        return set()
    refers = {s: {s} for s in constants}        # slot -> the literals it may view
    made_anew: set = set()
    for instr in plan.instrs:
        through = set()
        for s in instr.reads():
            through |= refers.get(s, set())
        if not through:
            continue
        if instr.kind == "write":
            made_anew |= refers.get(instr.args[0].index, set())
        elif instr.kind == "kernel":            # new arrays, but for some run by NumPy
            aliases = instr.extra["kernel"].may_alias()
            for s, a in zip(instr.outs, _kernel_arrays(instr)):
                if a in aliases:
                    refers[s] = through
        elif "into" not in instr.extra and _written_form(plan, instr) is None:
            for s in instr.outs:                # may be a view of what it reads
                refers[s] = through
    for s in output_refs(plan.output):
        made_anew |= refers.get(s, set())
    return made_anew
