"""Running one large kernel call as parts on several threads.

A Numba kernel compiled with ``nogil=True`` releases the GIL while it runs, so
Python threads can run parts of one call at once: a row-wise kernel (softmax
cross-entropy) or an elementwise loop (a fused loop of ``ad.compile``) over rows
``[start, stop)`` of its arrays.  Every part writes its own rows, so the arrays
come out as from one call; a caller that also sums over rows keeps one value per
row (a loss) or per fixed block of rows (a layer norm's weight gradient) and adds
them afterwards, so the result does not depend on how many parts there were.

The caller runs the first part itself and takes back every part no worker has
started yet, so a busy machine, or a forked child whose workers are gone, costs the
handing over (about 10 µs a part), never a wait for a core.  Calls
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
import queue as _queue
import threading

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


class _Part:
    """One part handed to the workers.  Whoever takes ``claim`` first runs it: a worker,
    or the caller taking back a part no worker has started."""

    __slots__ = ("run", "args", "claim", "done", "value", "error")

    def __init__(self, run, args):
        self.run, self.args = run, args
        self.claim = threading.Lock()
        self.done = threading.Lock()
        self.done.acquire()             # released once a worker has run it
        self.value = self.error = None

    def result(self):
        """Wait for the worker running it; its value, or its error raised."""
        self.done.acquire()
        self.done.release()
        if self.error is not None:
            raise self.error
        return self.value


def _serve(queue) -> None:
    while True:
        part = queue.get()
        if part is None:                # the pool was replaced
            return
        if part.claim.acquire(False):
            # The part's function holds the caller's arrays: no reference to it may
            # outlive the part (a gradient the caller then finds referenced elsewhere
            # is copied instead of handed over, graph._is_uniquely_owned).
            run, args = part.run, part.args
            part.run = part.args = None
            try:
                part.value = run(*args)
            except BaseException as error:  # handed to the caller waiting on it
                part.error = error
            finally:
                run = args = None
                part.done.release()
        part = None


class _Workers:
    """Worker threads waiting on one queue.  Lighter than a ThreadPoolExecutor, whose
    ``submit`` cost about 37 µs against 8 µs for a queue's ``put`` (measured on 2 cores),
    paid before the caller can start its own part."""

    def __init__(self, count: int):
        self.queue = _queue.SimpleQueue()
        self.threads = [threading.Thread(target=_serve, args=(self.queue,), daemon=True,
                                         name=f"autodiff-part-{k}") for k in range(count)]
        for thread in self.threads:
            thread.start()

    def submit(self, run, *args) -> _Part:
        part = _Part(run, args)
        self.queue.put(part)
        return part

    def stop(self) -> None:
        for _ in self.threads:
            self.queue.put(None)


def _workers() -> _Workers:
    """The worker threads (made on first use, and again in a forked child)."""
    global _pool, _pool_key
    key = (os.getpid(), THREADS - 1)
    with _pool_lock:
        if _pool is None or _pool_key != key:
            if _pool is not None and _pool_key[0] == key[0]:
                _pool.stop()
            _pool = _Workers(THREADS - 1)
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
    if THREADS == 1 or rows < 2 or rows * elements_per_row < 2 * MIN_ELEMENTS:
        return 1
    by_size = (rows * elements_per_row) // MIN_ELEMENTS
    return int(max(1, min(THREADS, rows, by_size)))


def run_parts(run_part, rows: int, elements_per_row: int = 1, parts: int = 0) -> list:
    """Call ``run_part(start, stop)`` over consecutive ranges covering ``range(rows)``,
    the first on this thread and the others on worker threads; return their results in
    order.  ``parts``: how many (``how_many(rows, elements_per_row)`` unless given)."""
    if not parts:
        parts = how_many(rows, elements_per_row)
    if parts == 1:
        return [run_part(0, rows)]
    pool = _workers()
    handed = []                         # (loops, not comprehensions: fewer frames per call)
    for k in range(1, parts):
        handed.append(pool.submit(run_part, rows * k // parts, rows * (k + 1) // parts))
    first = (0, rows // parts)
    results: list = []
    error = None
    try:
        results.append(run_part(*first))
    except BaseException as failure:
        error = failure
    waiting = list(handed)              # parts neither taken back nor waited for
    try:
        while waiting:
            part = waiting[0]
            if part.claim.acquire(False):   # no worker started it: run it here
                del waiting[0]
                part.run = None             # (a worker may still take it from the queue)
                if error is None:
                    try:
                        results.append(run_part(*part.args))
                    except BaseException as failure:
                        error = failure
                continue
            # A worker runs it: wait, also after a failure (it writes into the arrays).
            part.done.acquire()
            part.done.release()
            del waiting[0]
            if error is None:
                if part.error is not None:
                    error = part.error
                else:
                    results.append(part.value)
    except BaseException:
        # Interrupted while waiting: no part may still be writing into the arrays once
        # the error reaches the caller.
        for part in waiting:
            if not part.claim.acquire(False):
                part.done.acquire()
                part.done.release()
        raise
    if error is not None:
        raise error
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
    if how_many(rows, elements_per_row) == 1:
        return [kernel(*args)]

    def run_part(start, stop):
        return kernel(*[a[start:stop] if c else a for a, c in zip(args, cut)])
    return run_parts(run_part, rows, elements_per_row)
