"""What ``explain`` says of one recorded node that zeroes gradients, where its op's
entry (``zeroes``, ``zeroes_all``) cannot know: which in-place method an ``overwrite``
node recorded (``masked_fill_``, ``tril_``, ...), or that it is the angle of real
numbers, a constant.  Kept per node, weakly: the notes go with the graph."""

from __future__ import annotations

import weakref

_notes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def note(node, zeroes: str, zeroes_all) -> None:
    """Let ``node``'s ``zeroes`` and ``zeroes_all`` texts replace its op's."""
    if node is not None:
        _notes[node] = (zeroes, zeroes_all)


def zeroing_texts(node) -> tuple:
    """``(zeroes, zeroes_all)`` for ``node``: its own note, else its op's entry."""
    return _notes.get(node) or (node.op.zeroes, node.op.zeroes_all)
