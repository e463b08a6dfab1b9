"""Which op a node with complex values records (``Op.complex_twin``), and the input
check of real results, installed as ``Op._record`` once a complex value may be on the
tape (``note_complex_on_tape``): until then real-valued programs record as if complex
numbers did not exist (complex_ops.py says which ops have complex rules)."""

from __future__ import annotations

import numpy as np

from .operands import complex_error
from .registry import Op

_nd = np.ndarray

#: Set once a complex value may be on the tape (a complex tensor that requires grad,
#: or a complex result recorded).  Until then ``Op._record`` is the real-valued one,
#: which checks no inputs; from then on it is ``_record_checking_inputs``.
complex_on_tape = False
_record_real_valued = Op._record     # (the real-valued one, kept)


def note_complex_on_tape() -> None:
    """Check the inputs of real results from now on: a complex value may be on the tape
    (a real part, abs or angle of it records that op's complex twin, and other ops
    refuse it).  Until a program first uses one, recording pays nothing for this."""
    global complex_on_tape
    if not complex_on_tape:
        complex_on_tape = True
        Op._record = _record_checking_inputs


def _record_checking_inputs(self, node, out, needs_grad):
    """``Op._record`` once complex values may be on the tape: a real result of complex
    inputs records the op's complex twin, or raises for an op without one."""
    if needs_grad and _holds_complex(node.args):
        kind = (out if out.__class__ is _nd else np.asarray(out)).dtype.kind
        if kind == "f":
            twin = _complex_op(self, out, node.args)
            result = _record_real_valued(self, node, out, needs_grad)
            node.op = twin
            return result
    return _record_real_valued(self, node, out, needs_grad)


def _holds_complex(args) -> bool:
    """Whether an op's raw inputs (arrays, numbers, or lists of them) hold a complex one."""
    for a in args:
        for item in a if isinstance(a, (list, tuple)) else (a,):
            if (item.__class__ is _nd and item.dtype.kind == "c") or item.__class__ is complex:
                return True
    return False


def _complex_op(op, out, args):
    """The op whose rules a node with complex values records (see ``Op.complex_twin``);
    raises for an op whose rules are written for real numbers only."""
    twin = op.complex_twin
    if twin is None:
        raise complex_error(op, out, args)
    note_complex_on_tape()
    return twin
