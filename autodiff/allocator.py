"""How the memory of freed arrays is kept: glibc's malloc thresholds, set at import.

An eager step keeps its intermediate arrays alive while its graph needs them and
frees them together when the backward has used them.  With glibc's defaults that
pattern makes the process give the memory back to the kernel at every step and fault
every page in again at the next one:

- an array of at least ``M_MMAP_THRESHOLD`` bytes (128 KiB at first) gets its own
  ``mmap``, whose pages are faulted in on first touch and unmapped when it is freed;
  glibc then raises the threshold to the largest such array freed (at most 32 MiB),
  so later ones come from the heap;
- but the free memory at the top of the heap is given back (``sbrk``) as soon as it
  exceeds ``M_TRIM_THRESHOLD``, twice that threshold: a step's intermediates, freed
  together, exceed it.

Measured (``python -m bench --only malloc``): an Adam training loop of a
2-256-256-3 MLP on 300 points faulted about a thousand pages per step and ran half as
fast as with the thresholds below.  So on glibc this module sets, once, what glibc's
own rule moves towards: arrays below 32 MiB come from the heap (``M_MMAP_THRESHOLD``,
glibc's largest dynamic value), and up to 64 MiB of free memory stays at the top of
the heap (``M_TRIM_THRESHOLD``, twice that, as glibc's rule keeps it).  The process
may then hold up to 64 MiB more than it uses, and glibc's dynamic adjustment is off.

Left alone when the environment already chooses (``GLIBC_TUNABLES`` naming a
``glibc.malloc`` tunable, or one of ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_``, ``MALLOC_MMAP_MAX_``), with
``AUTODIFF_MALLOC=0``, and where the C library is not glibc (musl, macOS, Windows).
``TUNED`` says whether it was done.

>>> isinstance(TUNED, bool)
True
"""

from __future__ import annotations

import ctypes
import os

#: mallopt's parameter numbers (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20

#: glibc's environment variables for these settings and the two related ones
_GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                    "MALLOC_MMAP_MAX_")


def _environment_chooses() -> bool:
    if os.environ.get("AUTODIFF_MALLOC", "1").strip().lower() in ("0", "false", "no", "off"):
        return True
    if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return True
    return any(name in os.environ for name in _GLIBC_VARIABLES)


def _tune() -> bool:
    if _environment_chooses():
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version       # glibc's (musl has a mallopt that does nothing)
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


#: Whether glibc's thresholds were set by this module.
TUNED = _tune()
