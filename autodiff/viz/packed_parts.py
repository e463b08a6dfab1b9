"""The named parts of packed multi-output ops, for the graph views.

Decompositions with several outputs (``eigh``'s w and V, ``svd``'s U, S, Vh, ...) are
recorded as one op whose result packs every output into one array, then unpacked by
``getitem`` (ops/packed_layouts.py says where each part lives).  The views say so:
the packed op's line names its parts and where each lives, and each ``getitem`` that
reads one part is labelled with the part's name.
"""

from __future__ import annotations

import numpy as np

from ..ops.packed_layouts import packed_layout, unpacked_pack
from .labels import key_text

_MATCH_LIMIT = 4_000_000    # (entries of a pack beyond which a read is not matched)


def packing_note(node) -> str | None:
    """What a packed op's result holds, e.g. ``packs eigh's outputs: w ... = [..., 3, :]``."""
    found = packed_layout(node)
    if found is None:
        return None
    public, parts = found
    return (f"packs {public}'s outputs: "
            + ", ".join(f"{part} = {key_text(key)}" for part, key in parts))


def part_label(node) -> str | None:
    """For a ``getitem`` reading a packed op's result: which output it is, e.g.
    ``w (eigenvalues) of eigh``; None for any other node."""
    source = unpacked_pack(node)
    if source is None:
        return None
    key = (node.kwargs or {}).get("key")
    found = packed_layout(source)
    size = int(np.prod(source.shape))
    if key is None or found is None or size > _MATCH_LIMIT:
        return None
    public, parts = found
    positions = np.arange(size).reshape(source.shape)
    try:
        read = np.unique(positions[key])
    except (IndexError, TypeError):
        return None
    for part, part_key in parts:
        held = np.unique(positions[part_key])
        if read.size and np.isin(read, held).all():
            whole = read.size == held.size
            return f"{part} of {public}" if whole else f"part of {part} of {public}"
    return None
