"""``defop(reads=...)``: which values an op's rules read, checked when the op is made.

An op whose rules read only shapes and dtypes (``reads=()``: ``transpose``, ``add``,
``getitem`` ...) needs no guard on the parameters it saved, and a later reverse pass
can run its released node again (``autodiff/revive.py``).
"""

from __future__ import annotations


def declared_reads(op) -> tuple:
    """``op.reads`` checked against the op's inputs, as a table by input position: the
    positions whose values that input's rule reads, -1 standing for the output."""
    reads, name = op.reads, op.name
    if op.saves:
        raise TypeError(f"Op {name!r}: reads= cannot be declared with saves=True (the "
                        "saved state is dropped after a backward)")
    if isinstance(reads, tuple) and not reads:
        reads = {}
    elif not isinstance(reads, dict):
        raise TypeError(f"Op {name!r}: reads= takes () or a dict {{input: names read}}, "
                        f"got {reads!r}")
    if op.rules is None:
        if reads:
            raise TypeError(f"Op {name!r}: a joint rule can only declare reads=()")
        return ((),)
    names = op.input_names
    differentiable = {n: i for i, n in enumerate(names) if op.rules[i] is not None}
    given = dict(reads)
    table = []
    for i, rule in enumerate(op.rules):
        if rule is None:
            table.append(())
            continue
        read = given.pop(names[i], () if not reads else None)
        if read is None:
            raise TypeError(f"Op {name!r}: reads= names some inputs; name input "
                            f"{names[i]!r} too (() if its rule reads no value)")
        positions = []
        for value in (read,) if isinstance(read, str) else read:
            if value == "ans":
                positions.append(-1)
            elif value in differentiable:
                positions.append(differentiable[value])
            else:
                raise TypeError(
                    f"Op {name!r}: reads= for {names[i]!r} names {value!r}, which is "
                    "neither 'ans' nor an input with a rule (an index, condition or axis "
                    "input is kept as it is and need not be named)")
        table.append(tuple(positions))
    if given:
        raise TypeError(f"Op {name!r}: reads= names {sorted(given)!r}, which are not "
                        "inputs with a rule")
    return tuple(table)
