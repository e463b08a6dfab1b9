"""While a trace runs, the arrays the user's code could change behind its back are
read-only.

A NumPy write into a tensor's array (``a = w.data; a -= lr * w.grad``,
``np.copyto(w.data, v)``, ``np.subtract(w.data, d, out=w.data)``, ``w.grad[...] = 0``)
runs while tracing but is no step of the plan: every replay would skip it.  So the
tracer holds read-only, until the trace ends (also on error):

* the array of each captured tensor (parameters, constant tensors), from its first
  use by an op (an alias taken before the call is the same array), and the buffers
  of each module called;
* every array of a traced value the user's code gets from the library: ``.data``,
  ``.numpy()``, ``np.asarray(t)`` of a tensor from before the call, an argument, a
  computed value, and ``.grad``.

NumPy then refuses the write (``ValueError: ... is read-only``), and ``refusal``
turns that error into a ``TraceError`` naming the user's line and what to do instead.
The library's own writes, which a replay repeats, lift the hold: in-place tensor
updates (``inplace.py`` runs its write inside ``lifted``) and ``@replayed`` calls
(optimizer steps, ``zero_grad``, gradient clipping: ``lifted_all``).  The mutation
guard (``guard.py``) knows which arrays are held (``guard.trace_held``): it still
guards them and does not make them writable while they are held; an array it still
guards when the trace ends stays read-only, as eager execution would have it.

Not seen: views made before the trace of an array held during it (NumPy keeps a
view's own flag), ``np.add.at`` and the other ``ufunc.at`` (NumPy 2.4 writes through
them into read-only arrays), and a read-only error the user's code catches itself.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..guard import guarded_arrays, is_broadcast, trace_held
from ..tensor import Tensor
from .provenance import frame_line, leaf_label, nested_items
from .refusals import TraceError
from .write_target import written_value

# Tensor methods that hand the array to their caller: the reader is one frame up.
_PASSING_ON = {Tensor.numpy.__code__, Tensor.__array__.__code__}


class _Site:
    __slots__ = ("array", "kind", "label", "lines")

    def __init__(self, array, kind, label):
        self.array = array
        self.kind = kind    # "captured", "buffer", "grad", "value", "made" or "unknown"
        self.label = label          # ".data of w, a tensor from before the call"
        self.lines = set()          # file:line where the user's code read it


class HeldArrays:
    """The arrays one trace holds read-only (see the module docstring).

    >>> held = HeldArrays(); a = np.zeros(2)
    >>> held.hold(a, "value", ".data of x"); a.flags.writeable
    False
    >>> held.release(); a.flags.writeable
    True
    """

    def __init__(self):
        self.sites: dict = {}       # id(array) -> _Site
        self.returned = None        # what the call returned (views of held arrays)

    def hold(self, array, kind, label, line=None) -> None:
        """Make ``array`` read-only until ``release`` (unless it was read-only already
        by its owner's choice); ``line`` is where the user's code read it."""
        site = self.sites.get(id(array))
        if site is None:
            if type(array) is not np.ndarray or not (
                    array.flags.writeable or _guarded(array)):
                return
            array.setflags(write=False)
            site = self.sites[id(array)] = _Site(array, kind, label)
            trace_held[id(array)] = array
        if line is not None:
            site.lines.add(line)

    @contextlib.contextmanager
    def lifted(self, array):
        """Context manager: ``array`` (or the held array it views) is writable
        inside; for a write of the library that the plan records."""
        chain = []
        while isinstance(array, np.ndarray):
            chain.append(array)
            array = array.base
        if not any(id(a) in self.sites for a in chain):
            yield
            return
        with _writable_inside(reversed(chain)):        # the owner of the memory first
            yield

    @contextlib.contextmanager
    def lifted_all(self):
        """Context manager: every held array is writable inside, except those the
        mutation guard holds (a ``@replayed`` call: an optimizer step)."""
        with _writable_inside(self._by_depth()):
            yield

    def release(self) -> None:
        """Make the held arrays writable again (those the guard does not hold), and
        the views of them the call returned (``x.T``: made read-only, as views of a
        read-only array are)."""
        returned = (v.data if isinstance(v, Tensor) else v
                    for v in nested_items(self.returned))
        views = [(a, self._viewed(a)) for a in returned if type(a) is np.ndarray
                 and not a.flags.writeable and a.base is not None and not is_broadcast(a)]
        for array in self._by_depth():
            del trace_held[id(array)]
            if not _guarded(array):
                try:
                    array.setflags(write=True)
                except ValueError:      # it views memory its owner made read-only
                    pass
        self.sites = {}
        # A view is as writable as the held arrays it views are now.
        _make_writable([a for a, viewed in views
                        if viewed and all(h.flags.writeable for h in viewed)])

    def _viewed(self, view) -> list:
        """The held arrays whose memory ``view`` shares: NumPy gives a view the owner
        of the memory as its base, which may be no held array (``w.T`` of a ``w``
        whose array is itself a view, ``np.arange(6.).reshape(2, 3)``)."""
        owner = _owner(view)
        return [site.array for site in self.sites.values()
                if _owner(site.array) is owner and np.may_share_memory(view, site.array)]

    def _by_depth(self) -> list:
        """The held arrays, those owning their memory before those viewing it."""
        return sorted((site.array for site in self.sites.values()), key=_depth)

    def refusal(self, error) -> TraceError | None:
        """The ``TraceError`` for ``error``, NumPy refusing a write into a held array
        in the user's code, or None when ``error`` is something else (the guard's
        refusal, as in eager execution, or a read-only array of the user's own)."""
        # NumPy says "assignment destination is read-only", "output array is
        # read-only", "sort array is read-only" ...
        if not self.sites or not isinstance(error, ValueError) or "read-only" not in str(
                error):
            return None
        frame, line, lasti = _raising_line(error.__traceback__)
        if frame is None:
            return None
        # The array the line names as written (``a[...] = x.data * 2`` also reads
        # x.data, held too); else the arrays the line read, the frame's names for them
        # (an alias), or its module's: the one written is among them.
        written = [s for s in self._sites_in([_array_of(written_value(frame, lasti))])
                   if not _guarded(s.array)]
        if written:
            return TraceError(_message(written[0], line))
        found = [s for s in self.sites.values() if line in s.lines]
        found += [s for s in self._sites_in(frame.f_locals.values()) if s not in found]
        found = found or self._sites_in(frame.f_globals.values())
        if not found:
            found = list(self.sites.values())
            generic = True
        else:
            generic = False
        found = [s for s in found if not _guarded(s.array)]
        if not found:
            return None                 # the guard's refusal: eager raises it too
        if generic:
            found = [_Site(None, "unknown", "an array the call got from the library (the "
                                            ".data or .grad of a tensor, a module's buffer)")]
        # A module's buffers the line did not read come last (they are in the frame
        # whenever the module is); an update's operands are often held too
        # (w.data -= lr * w.grad): the .data of a tensor is the likelier target than a
        # .grad.
        found.sort(key=lambda site: (site.kind == "buffer" and line not in site.lines,
                                     site.kind == "grad"))
        return TraceError(_message(found[0], line))

    def _sites_in(self, values) -> list:
        """The held arrays among ``values`` (or viewed by them), and among the
        buffers of the modules among them."""
        from ..nn.module import Module

        sites = []
        values = list(values)
        values += [b for v in values if isinstance(v, Module) for b in v.buffers()]
        for value in values:
            while isinstance(value, np.ndarray):
                site = self.sites.get(id(value))
                if site is not None and site.array is value:
                    sites.append(site)
                    break
                value = value.base
        return sites


def on_data_read(tracer, tensor, array, frame) -> None:
    """The code of ``frame`` read ``tensor.data`` (``array``) while ``tracer`` traces:
    the user's code gets the array of a traced value read-only."""
    if (id(array) in tracer.by_id or id(array) in tracer.data_owners
            or id(array) in tracer.literals) and user_frame(frame) is not None:
        tracer.held.hold(array, *describe(tracer, tensor), frame_line(user_frame(frame)))


def on_grad_read(tracer, tensor, grad, frame) -> None:
    """The code of ``frame`` read ``tensor.grad`` while ``tracer`` traces: the user's
    code gets it read-only."""
    if type(grad) is np.ndarray and tracer.owns_thread() and user_frame(frame):
        tracer.held.hold(grad, "grad", f".grad of {leaf_label(tensor)}", frame_line(frame))


def hold_buffers(held, module) -> None:
    """A module was called: its buffers (BatchNorm's running statistics) change only
    through the library's replayed updates and in-place tensor ops while tracing (a
    Tensor buffer's array is held: NumPy on its ``.data`` is refused)."""
    from ..tensor import Tensor
    for name, array in getattr(module, "_buffers", {}).items():
        if isinstance(array, Tensor):
            array = array.data
        held.hold(array, "buffer", f"buffer {name!r} of {type(module).__name__}")


def describe(tracer, tensor) -> tuple:
    """What the array of ``tensor`` is, as ``HeldArrays.hold`` takes it."""
    if tracer.from_before(tensor):
        return "captured", f".data of {leaf_label(tensor)}, a tensor from before the call"
    slot = tracer.by_id.get(id(tensor.data))
    if slot is not None and tracer.slots[slot].source == "input":
        return "value", ".data of an argument of the call"
    node = tensor._node
    what = f"the output of '{node.op.name}'" if node is not None else "a tensor made in the call"
    return "value", f".data of {what}"


def user_frame(frame):
    """``frame`` if it is the user's code (not the library's), else None; a frame of
    ``Tensor.numpy`` or ``Tensor.__array__`` stands for its caller's."""
    if frame.f_code in _PASSING_ON:
        frame = frame.f_back
    if frame is None:
        return None
    name = frame.f_globals.get("__name__", "")
    return None if name == "autodiff" or name.startswith("autodiff.") else frame


def _array_of(value):
    """The array of ``value``, a tensor's ``.data``; None for any other object."""
    if isinstance(value, Tensor):
        value = value.data
    return value if isinstance(value, np.ndarray) else None


def _guarded(array) -> bool:
    """Whether the mutation guard holds ``array`` read-only for a live graph."""
    guard = guarded_arrays.get(id(array))
    return guard is not None and guard.array is array


def _owner(array):
    """The array at the end of ``array``'s chain of bases."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _depth(array) -> int:
    depth = 0
    while isinstance(array.base, np.ndarray):
        array, depth = array.base, depth + 1
    return depth


@contextlib.contextmanager
def _writable_inside(arrays):
    """Context manager: the read-only ``arrays`` not held by the guard are writable
    inside, read-only again after."""
    lifted = _make_writable(arrays)
    try:
        yield
    finally:
        for a in lifted:
            a.setflags(write=False)


def _make_writable(arrays) -> list:
    """Make the read-only ``arrays`` not held by the guard writable; those changed."""
    changed = []
    for a in arrays:
        if not a.flags.writeable and not _guarded(a):
            try:
                a.setflags(write=True)
            except ValueError:          # memory its owner made read-only
                continue
            changed.append(a)
    return changed


def _raising_line(tb):
    """The innermost frame of ``tb`` outside NumPy, its ``file:line`` and the offset
    of its raising instruction, or ``(None, None, None)`` when that frame is the
    library's (not a write of the user's)."""
    found = (None, None, None)
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if not (name == "numpy" or name.startswith("numpy.")):
            found = (tb.tb_frame, tb.tb_lineno, tb.tb_lasti)
        tb = tb.tb_next
    frame, lineno, lasti = found
    if frame is None or user_frame(frame) is not frame:
        return None, None, None
    return frame, frame_line(frame, lineno), lasti


def _message(site, line) -> str:
    read = f" (read at {', '.join(sorted(site.lines))})" if site.lines else ""
    head = (f"compile: {site.label}{read} is assigned at {line} in place through NumPy, "
            "into an array read-only while tracing: a replay would skip the write, as "
            "it runs only while tracing.")
    if site.kind in ("captured", "unknown"):
        return (f"{head} Update parameters with an optimizer from ad.optim "
                "(opt.step()), and other tensors with in-place tensor ops under "
                "ad.no_grad() (with ad.no_grad(): w -= lr * ad.tensor(w.grad)), which a "
                "replay repeats.")
    if site.kind == "buffer":
        return (f"{head} A module's buffers change through the library (BatchNorm's "
                "running statistics, which a replay updates again), through in-place "
                "tensor ops on a Tensor buffer (with ad.no_grad(): buf.mul_(0.9)), which "
                "a replay repeats, or outside the compiled function.")
    if site.kind == "made":
        return (f"{head} Such an array stays a constant while the trace sees what "
                "writes into it: write with c[k] = v or c += v (v made of Python numbers "
                "too) in the compiled function, or compute it with tensor ops.")
    if site.kind == "grad":
        return (f"{head} Change gradients with ad.nn.utils.clip_grad_norm_ or "
                "clip_grad_value_, or an optimizer's weight_decay, which a replay "
                "repeats, or scale the loss before backward().")
    return (f"{head} Compute the new value with tensor ops (h = h * mask), or update "
            "the tensor in place under ad.no_grad() (with ad.no_grad(): h.mul_(mask)), "
            "which a replay repeats.")
