"""Running one large kernel call as parts on several threads.

A Numba kernel compiled with ``nogil=True`` releases the GIL while it runs, so
Python threads can run parts of one call at once: a row-wise kernel (softmax
cross-entropy) or an elementwise loop (a fused loop of ``ad.compile``) over rows
``[start, stop)`` of its arrays.  Every part writes its own rows, so the arrays
come out as from one call; a caller that also sums over rows keeps one value per
row (a loss) or per fixed block of rows (a layer norm's weight gradient) and adds
them afterwards, so the result does not depend on how many parts there were.

The caller runs the first part itself and takes back every part no worker has
started yet (``Future.cancel``), so a busy machine, or a forked child whose workers
are gone, costs the pool's bookkeeping (tens of µs), never a wait for a core.  Calls
smaller than ``MIN_ELEMENTS`` per part run as one call: handing a part to a sleeping
worker and getting it back costs about 0.1 ms (measured on 2 cores).

``AUTODIFF_NUM_THREADS`` sets the number of parts (default: the CPUs this process
may run on, at most 4; ``1`` runs everything on the calling thread).

>>> import numpy as np
>>> out = np.zeros(10)
>>> def fill(start, stop):
...     out[start:stop] = np.arange(start, stop)
>>> _ = run_parts(fill, 10, elements_per_row=MIN_ELEMENTS)
>>> out.tolist() == list(range(10))
True
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

#: Below this many elements per part, a call runs whole on the calling thread.
MIN_ELEMENTS = 1 << 18


def _threads_wanted() -> int:
    text = os.environ.get("AUTODIFF_NUM_THREADS", "").strip()
    if text:
        try:
            return max(1, int(text))
        except ValueError:
            raise ValueError(f"AUTODIFF_NUM_THREADS must be a whole number, got {text!r}") \
                from None
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, 4))


THREADS = _threads_wanted()

_pool = None
_pool_key = None            # (process id, worker count) the pool was made for
_pool_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    """The worker threads (made on first use, and again in a forked child)."""
    global _pool, _pool_key
    key = (os.getpid(), THREADS - 1)
    with _pool_lock:
        if _pool is None or _pool_key != key:
            _pool = ThreadPoolExecutor(THREADS - 1, thread_name_prefix="autodiff-part")
            _pool_key = key
        return _pool


def _forget_workers_in_child() -> None:
    # A forked child has none of the parent's threads, and a lock another thread held
    # at the fork would stay locked: start from nothing.
    global _pool, _pool_key, _pool_lock
    _pool, _pool_key, _pool_lock = None, None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers_in_child)


def how_many(rows: int, elements_per_row: int) -> int:
    """How many parts a call over ``rows`` rows of ``elements_per_row`` gets.

    >>> how_many(1, 10**9)      # one row cannot be cut
    1
    """
    if THREADS == 1 or rows < 2:
        return 1
    by_size = (rows * elements_per_row) // MIN_ELEMENTS
    return int(max(1, min(THREADS, rows, by_size)))


def run_parts(run_part, rows: int, elements_per_row: int = 1) -> list:
    """Call ``run_part(start, stop)`` over consecutive ranges covering ``range(rows)``,
    the first on this thread and the others on worker threads (``how_many`` says how
    many); return their results in order."""
    parts = how_many(rows, elements_per_row)
    if parts == 1:
        return [run_part(0, rows)]
    bounds = [(rows * k // parts, rows * (k + 1) // parts) for k in range(parts)]
    pool = _workers()
    futures = [pool.submit(run_part, start, stop) for start, stop in bounds[1:]]
    results: list = []
    try:
        results.append(run_part(*bounds[0]))
    finally:
        # Take back what no worker has started; wait for the rest, also when this
        # thread's part failed (the workers are still writing into the arrays).
        failed = not results
        try:
            for future, (start, stop) in zip(futures, bounds[1:]):
                if future.cancel():
                    if not failed:
                        results.append(run_part(start, stop))
                elif failed:
                    future.exception()
                else:
                    results.append(future.result())
        except BaseException:
            # A later part failed (or this thread was interrupted): no part may still
            # be writing into the arrays once the error reaches the caller.
            for future in futures:
                future.cancel()
            wait(futures)
            raise
    return results


def call_in_parts(kernel, args, cut, elements_per_row: int = 1) -> list:
    """``kernel(*args)`` run as parts over the rows of the arguments marked in ``cut``
    (consecutive ranges of their first axis; the others are passed whole to every
    part); the parts' results in order.

    >>> import numpy as np
    >>> x, out = np.arange(6.0), np.empty(6)
    >>> def double(x, out, factor):
    ...     out[:] = x * factor
    >>> _ = call_in_parts(double, (x, out, 2.0), (True, True, False))
    >>> out.tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    """
    rows = next(a for a, c in zip(args, cut) if c).shape[0]

    def run_part(start, stop):
        return kernel(*[a[start:stop] if c else a for a, c in zip(args, cut)])
    return run_parts(run_part, rows, elements_per_row)
