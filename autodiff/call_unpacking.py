"""Whether the user's line unpacks what a call returns (``a, b = f(x)``), read from
the bytecode of the frame making the call: for the warnings that a PyTorch-spelled
call unpacks NumPy's result (``_, pred = ad.max(out, 1)``)."""

from __future__ import annotations

import dis
import linecache

_UNPACK_SEQUENCE = dis.opmap["UNPACK_SEQUENCE"]
_CACHE_ENTRIES = getattr(dis, "_inline_cache_entries", None)     # (Python 3.11 on)


def unpacks_into(frame, count: int) -> bool:
    """Whether the instruction after the call ``frame`` is executing unpacks its result
    into ``count`` names (``a, b = f(x)``)."""
    code, i = frame.f_code.co_code, frame.f_lasti
    if not 0 <= i < len(code):
        return False
    caches = 0
    if _CACHE_ENTRIES is not None:
        entries = _CACHE_ENTRIES
        caches = entries[code[i]] if isinstance(entries, (list, tuple)) else entries.get(
            dis.opname[code[i]], 0)
    j = i + 2 + 2 * caches
    return j + 1 < len(code) and code[j] == _UNPACK_SEQUENCE and code[j + 1] == count


def unpacked_call(frame, count: int) -> str | None:
    """When ``frame`` is unpacking into ``count`` names what a call returned (``a, b =
    f(x)``, its instruction being the unpacking), the name the call is written to
    (``"f"``); else None."""
    code, i = frame.f_code.co_code, frame.f_lasti
    if not (0 <= i < len(code) - 1 and code[i] == _UNPACK_SEQUENCE and code[i + 1] == count):
        return None
    before = None                   # the instruction before the unpacking: the call?
    for ins in dis.get_instructions(frame.f_code):
        if ins.offset >= i:
            break
        before = ins
    if before is None or before.opname != "CALL" or before.positions is None:
        return None
    lineno, col = before.positions.lineno, before.positions.col_offset
    line = linecache.getline(frame.f_code.co_filename, lineno or 0)
    if not line or col is None:
        return None
    return line[col:].split("(", 1)[0].strip().rsplit(".", 1)[-1]
