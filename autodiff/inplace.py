"""In-place updates: ``t += x``, ``t[idx] = v`` and the ``add_ … clamp_`` methods.

They keep the same Python object, as in PyTorch and NumPy, with three cases:

- nothing is recorded (inside ``ad.no_grad()``, or no side requires grad): the update
  writes into ``t.data``, as NumPy does, so ``with ad.no_grad(): p -= lr * p.grad``
  changes the parameter;
- grad mode on a tensor that is not a leaf needing a gradient: the update is recorded
  as an ordinary op, and ``t`` takes the new value and its node. The old array is not
  overwritten, so values that earlier ops saved for their backward stay right;
- grad mode on a leaf that requires grad: ``RuntimeError`` (the update would be
  invisible to the gradient), saying to wrap it in ``ad.no_grad()``.  So is an update,
  inside a transform's function, of the input it differentiates with respect to (a
  plain argument is a leaf there; a tracked one would otherwise move the input to the
  updated value), as ``torch.func.grad`` refuses it.

Writing into an array that a live graph saved for its backward raises
``InPlaceError`` naming the tensor and the op that saved it.

A tensor made by basic indexing (``row = out[0]``, ``out[:, 1:]``) is a view of
``out``, as in NumPy: an update that writes into ``row.data`` changes ``out``.  A
recorded update gives a tensor a new array, so the links are kept (the view's
``_view_link`` slot and the ``_views_of`` table, ``view_table.py``): an update of ``row`` is
recorded into ``out`` too (``out`` takes ``setitem(out, row, key)``), and when
``out`` takes a new array, every view of it whose key overlaps the written part takes
``out[key]`` again, recorded,
down to views of views (the others keep values and nodes that stay right, and view
the new array again before an unrecorded write).  Values and gradients then come out
as with PyTorch's views.  A view of a leaf that requires grad (``w[0]``, and
``w.T`` or ``w.reshape(...)`` too) is refused in grad mode, as the leaf itself is,
and so is an unrecorded update in grad mode of a view taken under ``no_grad`` of a
tensor that requires grad.  Views that lay out ``h`` anew without copying
(``h.T``, ``h.permute(...)``, ``h.reshape(-1)``, ``h.unsqueeze(0)``) are linked the same
way with a ``Layout`` for key (``layout_views.py``): a recorded update of one gives
``h`` the view's new value laid out back (``Layout.back``).  Not followed, and so
refused when recorded: views made by other ops (``np.diagonal(h)``: a recorded update
of one would not reach ``h``, where PyTorch's would; under ``no_grad`` a writable NumPy
view takes the write, and a read-only one, as ``np.diagonal``'s, refuses it), and a
recorded update of ``h`` while such a view of it is alive, which would go on showing the
old values (``op_views.py`` keeps those views).
One element taken by integer indexing (``out[0, 1]``) is a copy, as in NumPy
(``out[0, 1] += x`` updates ``out``); its PyTorch in-place methods (``add_``, ``fill_``)
write into ``out`` too (``element_copies.py``).
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np

from . import collector, overwrites
from . import hooks as _hooks
from .shared_memory import computed_apart_from_shared_memory, keeps_shared_memory
from .aliased_writes import refuse_aliased_setitem
from .element_copies import before_write, refresh_element, write_back
from . import graph as _graph
from .graph import Node, _grad_mode
from .layout_views import Layout, new_base_value, select
from .view_table import (_ALL, _views_in, _views_of, _views_up, _viewed,  # noqa: F401
                         note_view, settle_views_of)
from .guard import (held_by_trace, is_guarded_view, note_unguarded_write, unguarded_reads,
                    views_memory_of, writing_through)
from .multi_output_views import refuse_recorded_update as refuse_multi_output_update
from .inplace_dtypes import refuse_bounds_of_another_kind, refuse_truncation
from .inplace_refusals import (READ_ONLY_OUTPUTS, InPlaceError, _label,  # noqa: F401 (re-exported)
                               _held_message, _refuse_op_views_left_behind,
                               _refuse_op_views_of_moved,
                               _refuse_read_only_outputs, _refuse_transform_input,
                               _refuse_unfollowed_view, _root)


#: Set by ``ad.compile`` while it traces: ``write_hook(how, tensor, value, extra)`` is
#: called before each write into a tensor's array that records no node, and returns a
#: context manager the write runs in (the trace holds some arrays read-only).
write_hook = None


def _check_writable(t, where: str):
    """Raise if ``t``'s array cannot be written; return it when it is a view of a
    guarded parameter that the write must lift the flag of, else None."""
    array = t.data
    if array.flags.writeable:
        return None
    if is_guarded_view(array):
        # w.T under no_grad: written as PyTorch allows, and the write is stamped, so a
        # backward that needs the old values refuses (PyTorch's version counter).
        return array
    from .guard import savers_of

    savers = savers_of(array)
    if not savers and array.base is not None:
        savers = savers_of(array.base)
    if savers:
        message = _held_message(t, where, savers)
        del savers              # (the error's frames must not keep that graph alive)
        raise InPlaceError(message)
    if write_hook is not None and held_by_trace(array):
        return None             # read-only while ad.compile traces; the write is recorded
    if array.base is not None and 0 not in array.strides:
        raise InPlaceError(
            f"{where}: cannot change tensor {_label(t)} in place: it is a read-only NumPy "
            "view of another tensor (as diagonal() makes, where a PyTorch view would write "
            "through). Update that tensor itself (m[range(n), range(n)] -= 1 for a "
            "diagonal), or build a new tensor (d = m.diagonal() - 1).")
    raise InPlaceError(
        f"{where}: cannot change tensor {_label(t)} in place: its array is read-only "
        "(a broadcast view, or an array you made read-only). Copy it first: "
        "t = ad.tensor(t.data.copy()).")


#: Set by ``forward_ad`` while a dual level is active: ``dual_write(t, other)`` says
#: whether the update involves a tensor that carries a tangent (it is then recorded,
#: so the tangent follows it), and raises if grad mode is off for one.
dual_write = None


def _recording(t, other) -> bool:
    from .tensor import Tensor

    if dual_write is not None and dual_write(t, other):
        return True
    if not _grad_mode.enabled:
        return False
    return t.requires_grad or (isinstance(other, Tensor) and other.requires_grad)


def _refuse_leaf(t, where: str) -> None:
    if t.requires_grad and t._node is None:
        _refuse_transform_input([t], where)     # a transform's input for a plain argument
        raise RuntimeError(
            f"{where}: tensor {_label(t)} is a leaf that requires grad, and an in-place "
            "update of it in grad mode would not be part of any gradient. Wrap the update "
            "in `with ad.no_grad():` (as an optimizer step does), or use t = t + x to "
            "build a new tensor.")
    node = t._node
    if node is not None and t.data.base is not None and _viewed(t) is None:
        for parent in node.parents:
            # ``w.T`` or ``w.reshape(...)`` of a leaf that requires grad: as PyTorch
            # refuses (a recorded update would leave ``w`` behind, unlike NumPy's view).
            if (parent is not None and parent.__class__ is not Node and parent.requires_grad
                    and views_memory_of(t.data, parent.data)):
                _refuse_transform_input([parent], where)
                raise RuntimeError(
                    f"{where}: tensor {_label(t)} is a view of tensor {_label(parent)} "
                    f"(made by '{node.op.name}'), a leaf that requires grad, and an in-place "
                    "update of it in grad mode would not be part of any gradient. Wrap "
                    "the update in `with ad.no_grad():`, or build a new tensor instead "
                    "(v = v + x).")


def _check_views(chain, where: str, recording: bool) -> None:
    for view_tensor, (base, _) in chain:
        if base.requires_grad and base._node is None and (recording or _grad_mode.enabled):
            raise RuntimeError(
                f"{where}: tensor {_label(view_tensor)} is a view of tensor {_label(base)}, "
                "a leaf that requires grad, and an in-place update of it in grad mode "
                "would not be part of any gradient. Wrap the update in `with "
                "ad.no_grad():`, or build a new tensor instead.")
        if not recording and _grad_mode.enabled and base.requires_grad:
            raise RuntimeError(
                f"{where}: tensor {_label(view_tensor)} does not require grad (it was taken "
                f"under ad.no_grad()), but tensor {_label(base)}, which it views, does: in "
                "grad mode this update would change it without its gradient knowing (as "
                "PyTorch refuses too). Take the view in grad mode, or update under "
                "ad.no_grad().")


def _rebase_plan(base, written=_ALL, skip=()) -> list:
    """What a recorded update that writes ``base[written]`` does to the views of
    ``base``: every live view whose key may overlap ``written`` takes ``base[key]``
    again, recorded, and so on down to views of views (``_rebase_views``), so that they
    see the new values, and their gradients flow to the update, as NumPy's views and
    PyTorch's do.  A view that does not overlap keeps its values and node, which stay
    right, on the old array, and so do the views in ``skip`` (those an update was just
    written back from).  Returns ``(view, owner, key)`` for each view to move, after
    the one it views; computed before anything changes, so that a refusal leaves every
    tensor as it was."""
    plan = []
    todo = [(base, written)]
    while todo:
        owner, part = todo.pop()
        settle_views_of(owner)                  # (layout views not yet linked down)
        entry = _views_of.get(id(owner))
        if entry is None or entry[0]() is not owner:
            continue
        # Overlap is judged on the keys, over a mask of the owner's shape marking the
        # written elements (views may sit on older arrays than the owner's). A mask, not
        # shared memory: the written part may be a copy (x[0, 1], x[[0, 1]], x[x > 0]).
        written = None
        if part is not _ALL:
            written = np.zeros(owner.shape, bool)
            written[part] = True
        for view in _views_in(entry, part, owner.shape):
            link = _viewed(view)
            if link is None or link[0] is not owner or id(view) in skip:
                continue
            if written is not None and not select(written, link[1]).any():
                continue
            if view.requires_grad and view._node is None:
                raise InPlaceError(
                    f"in-place update: tensor {_label(view)}, a view of tensor "
                    f"{_label(owner)}, is a leaf that requires grad, so it cannot follow "
                    "the update of the tensor it views. Make it a new tensor "
                    "(v = owner[key] + 0) before calling requires_grad_() on it.")
            plan.append((view, owner, link[1]))
            todo.append((view, _ALL))
    return plan


def _rebase_views(plan) -> None:
    """Move the views of a ``_rebase_plan`` to the updated values, in its order."""
    from .ops.indexing import getitem

    for view, owner, key in plan:
        # (the result links itself too: a weak reference, dropped soon)
        _take(view, key.of(owner) if key.__class__ is Layout else getitem(owner, key))


def _view_again(view, base, key, where: str) -> None:
    """Make ``view`` show ``base``'s current array again, as ``key`` says; refuse when
    that array's layout lets no view show it so (a reshape that would copy)."""
    array = select(base.data, key)
    if not views_memory_of(array, base.data):
        raise InPlaceError(
            f"{where}: tensor {_label(view)}, a view of tensor {_label(base)} made by "
            f"{key!r}, cannot show that tensor's current array, whose layout (after a "
            "recorded update) a reshape would copy, so this write would not reach it. "
            "Take the view again after the update, or build a new tensor (t = t + x).")
    settle_views_of(view)       # (its pending layout views are found by its memory)
    view.data = array


def _stale(view_tensor, base) -> bool:
    return not views_memory_of(view_tensor.data, base.data)


def _before_unrecorded_write(t, where: str):
    """What an update that records nothing checks and prepares before it writes; the
    guarded view to lift for the write, or None."""
    lift = _check_writable(t, where)
    chain = _views_up(t)
    _check_views(chain, where, recording=False)
    _follow_memory(t, chain, where)
    return lift


_NO_CONTEXT = contextlib.nullcontext()


def _unrecorded_write(t, lift, how, value, extra, write) -> None:
    """Run ``write()``, a write into ``t``'s array that records nothing, inside the
    trace's context for it (``write_hook``) and with the guarded view ``lift`` made
    writable, when either applies; then note the write."""
    if write_hook is None and lift is None:
        write()
    else:
        with _hooked(how, t, value, extra), _lifted(lift):
            write()
    _noted(t, extra if how == "setitem" else None)


def _hooked(how, t, value, extra):
    """The trace's context for an unrecorded write (``write_hook``), if one runs."""
    return _NO_CONTEXT if write_hook is None else write_hook(how, t, value, extra)


def _lifted(lift):
    """The guarded view ``lift`` made writable for the write (``_check_writable``)."""
    return _NO_CONTEXT if lift is None else writing_through(lift)


#: id(tensor owning the memory) -> weak reference to it, for those that a recorded
#: update gave a new array while they had views: views of their memory may be left on
#: an older array, so the next unrecorded write follows them all (``_follow_memory``).
_moved_with_views: dict = {}


def _follow_memory(t, chain, where: str) -> None:
    """Before an update that records nothing writes ``t``'s array, the tensors ``t``
    views (``chain``) and the other views of the memory they share that were left on
    an older array (they did not overlap a recorded update, or were written back from
    one: ``a = h[0]; a.mul_(s)`` leaves ``a`` on its own result) view the current one
    again, so that the write reaches them all, as with NumPy's views: from the tensor
    owning the memory down after a recorded update moved it (a sibling, ``h[:, 0]`` of
    ``a``, may be written), from ``t`` down otherwise."""
    for view, (base, key) in reversed(chain):           # outermost first
        if _stale(view, base):
            _refuse_op_views_of_moved(view, t, where)
            _view_again(view, base, key, where)
    root = chain[-1][1][0] if chain else t
    moved = _moved_with_views.get(id(root))
    todo = [root if moved is not None and moved() is root else t]
    while todo:
        owner = todo.pop()
        entry = _views_of.get(id(owner))
        if entry is None or entry[0]() is not owner:
            continue
        for view in _views_in(entry, _ALL, owner.shape):
            link = _viewed(view)
            if link is None or link[0] is not owner:
                continue
            if _stale(view, owner):
                _refuse_op_views_of_moved(view, t, where)
                _view_again(view, owner, link[1], where)
            todo.append(view)
    if moved is not None:
        _moved_with_views.pop(id(root), None)


def _recorded(t, result, where: str, written=_ALL) -> None:
    """``t`` takes ``result`` (a recorded update that wrote ``t[written]``), and so do
    the tensors it views."""

    chain = _views_up(t)
    _refuse_read_only_outputs([t] + [base for _, (base, _) in chain], t, where)
    _refuse_transform_input([t] + [base for _, (base, _) in chain], where)
    _check_views(chain, where, recording=True)
    refuse_multi_output_update(t, chain, where)
    _refuse_unfollowed_view(chain[-1][1][0] if chain else t, t, where)
    _refuse_op_views_left_behind([t] + [base for _, (base, _) in chain], t, where)
    # Each tensor of the chain already holds its new value, as a node the next one's
    # setitem reads: taking it again from that tensor would repeat the work per level.
    written_back = {id(view_tensor) for view_tensor, _ in chain}
    plans = [_rebase_plan(t, written)] + [
        _rebase_plan(base, _ALL if key.__class__ is Layout else key, written_back)
        for _, (base, key) in chain]
    for plan in plans:
        for view, _, _ in plan:
            _refuse_op_views_of_moved(view, t, where)
    _adopt(t, result, where, plans[0] if not chain else ())
    for (view_tensor, (base, key)), plan in zip(chain, plans[1:]):   # innermost first
        _adopt(base, new_base_value(base, view_tensor, key), where, plan)
    if chain:
        _show_written_back(chain)
        _rebase_views(plans[0])     # (from ``t`` as it now lays out its elements)
    root = chain[-1][1][0] if chain else t
    if id(root) in _views_of:
        # Views of its memory may now sit on older arrays (``_follow_memory``).
        key = id(root)
        _moved_with_views[key] = weakref.ref(
            root, lambda ref, key=key: _moved_with_views.pop(key, None)
            if _moved_with_views.get(key) is ref else None)


def _show_written_back(chain) -> None:
    """After a recorded update of ``chain[0][0]`` was written back up ``chain``, each
    view of the chain views its base's new array again, outermost first, as
    PyTorch's view keeps its base's storage and strides through an in-place update:
    ``h[:, 1:].mul_(s)`` stays non-contiguous, so a later ``view(-1)`` refuses and
    ``reshape(-1)`` copies, as they would have before the update.  It is taken from
    its base again, recorded, as PyTorch's view is: a hook or ``retain_grad()`` on it
    sees the gradient of its own uses, not its base's too."""
    from .ops.indexing import getitem

    for view_tensor, (base, key) in reversed(chain):
        array = select(base.data, key)
        if array.dtype != view_tensor.data.dtype or not views_memory_of(array, base.data):
            continue        # (a layout the new array cannot show without a copy: stays)
        settle_views_of(view_tensor)    # (its pending layout views are found by memory)
        _take(view_tensor, key.of(base) if key.__class__ is Layout else getitem(base, key))


def bypass_hooked_views(t) -> None:
    """Before a recorded update of ``t``, a view, reads it: when a hook was registered
    on a view of ``t``'s chain (on the node that made it), the views of the chain are
    taken from their bases again, so that the update's path to the base does not pass
    through that node, as PyTorch's ``CopySlices`` bypasses the view's old ``grad_fn``:
    the hook then sees only the gradient of the view's uses from before the update
    (``v = h[1:]; v.register_hook(f); v.mul_(2)``: ``f`` does not run for ``h``).
    In grad mode only; a method that computes the new value from ``t`` before
    writing it (``masked_fill_``) calls this first (an element copy, ``t = h[1, 2]``,
    takes ``h``'s current value then too: ``element_copies.refresh_element``)."""
    refresh_element(t)
    if not (_hooks.registered and _grad_mode.enabled):
        return
    chain = _views_up(t)
    if any(view._node is not None and _hooks.registered.get(view._node)
           for view, _ in chain):
        _show_written_back(chain)


def _adopt(t, result, where: str, plan) -> None:
    """Make ``t`` hold ``result``'s value and node (a recorded in-place update); the
    views of ``t`` follow, as ``plan`` (``_rebase_plan``) says."""
    if result.shape != t.shape:
        raise ValueError(
            f"{where}: the update has shape {result.shape} but the tensor has shape "
            f"{t.shape}; an in-place update cannot change a tensor's shape.")
    if result.dtype != t.dtype:
        refuse_truncation(t, result, where)
        result = result.astype(t.dtype)
    _take(t, result)
    _rebase_views(plan)


def _take(t, result) -> None:
    old_node = t._node
    if keeps_shared_memory(t, result):
        # A tensor in shared memory (share_memory_) keeps its memory, as PyTorch's
        # storage: the new values are written there (noted, so that a node that saved
        # the old values refuses its backward), or forked workers would lose the tensor.
        overwrites.note_write(t.data)
        t.data[...] = result.data
    else:
        t.data = result.data
    t._node = result._node
    if old_node is not None and result._node is not None:
        ref = _graph.retained.get(old_node)     # retain_grad() follows the tensor
        if ref is not None and ref() is t:
            _graph.retained[result._node] = ref
    t._requires_grad = result.requires_grad
    if t._node is not None:
        # Nodes made while ``t`` was a leaf hold ``t`` itself as an input, and ``t``
        # now points into a graph, perhaps to them: a cycle, which the cycle collector
        # must be able to see (each node is walked once, however many updates).
        collector.track_graphs([t])
    if t._name is not None and t._node is not None:
        t._node.name = t._name


def _noted(t, key=None) -> None:
    """Stamp an unrecorded write for the reverse pass (overwrites.py): of the part
    ``t.data[key]`` when ``key`` is a basic index (ints, slices), so that writing one
    row does not refuse the backward of a node that saved another; of all of
    ``t.data`` otherwise.  A leaf that requires grad needs no stamp: a graph that
    saved its array made it read-only, unless it was a transform's, which let go of it
    when it returned (guard.py)."""
    if not (t.requires_grad and t._node is None):
        overwrites.note_write(_written_part(t.data, key))
    elif unguarded_reads:
        note_unguarded_write(t.data)


_BASIC = (int, slice, type(None), np.integer)


def _written_part(array, key):
    """The view of ``array`` that ``array[key] = v`` writes, for a basic ``key``;
    ``array`` itself for any other (an index array or a mask selects a copy)."""
    if key is None:
        return array
    parts = key if type(key) is tuple else (key,)
    ellipsis = False
    for part in parts:
        if part is Ellipsis:
            ellipsis = True
        elif not isinstance(part, _BASIC) or isinstance(part, (bool, np.bool_)):
            return array
    try:        # (an Ellipsis added makes all-int keys give a 0-d view, not a scalar)
        part = array[parts if ellipsis else parts + (Ellipsis,)]
    except (IndexError, TypeError, ValueError):
        return array
    return part if type(part) is np.ndarray else array


def _raw(value):
    from .tensor import Tensor

    return value.data if isinstance(value, Tensor) else value


def _transposed_hint(t, value) -> str:
    """A hint when a 2-D operand is the transpose of the tensor: most often a
    PyTorch-layout ``(out, in)`` update of a ``Linear``'s ``(in, out)`` weight."""
    shape = np.shape(value)
    if len(shape) != 2 or t.ndim != 2 or shape != t.shape[::-1]:
        return ""
    return ("; the operand is the tensor's transpose: a Linear's weight here is (in, out), "
            "the transpose of PyTorch's (out, in), so write the update transposed (.T)")


def update(t, op, other, where: str):
    """``t = op(t, other)`` in place, following the module's three rules."""
    before_write(t, where)
    if _recording(t, other):
        _refuse_leaf(t, where)
        bypass_hooked_views(t)
        result = computed_apart_from_shared_memory(t, lambda: op(t, other))
        _recorded(t, result, where)
        write_back(t, where)
        return t
    lift = _before_unrecorded_write(t, where)
    value = _raw(other)
    if t.data.dtype == np.float16 and getattr(op, "half_numbers", None) is not None:
        from .ops.operands import half_by_number
        if half_by_number(t.data, value):
            op = op.half_numbers        # t *= 0.1 on float16: in float32, as PyTorch
    try:
        result = op.forward(t.data, value)
    except (TypeError, ValueError, OverflowError) as error:
        raise type(error)(f"{where}: {error} (tensor shape {t.shape}, dtype {t.dtype}; "
                          f"operand shape {np.shape(value)}){_transposed_hint(t, value)}"
                          ) from error
    if np.shape(result) != t.shape:
        raise ValueError(
            f"{where}: the update has shape {np.shape(result)} but the tensor has shape "
            f"{t.shape}; an in-place update cannot change a tensor's shape.")
    if np.result_type(result) != t.dtype and not np.can_cast(
            np.result_type(result), t.dtype, casting="same_kind"):
        raise TypeError(
            f"{where}: the update gives {np.result_type(result)} values, which cannot be "
            f"stored in a {t.dtype} tensor; convert the tensor first (t.astype(...)).")
    _unrecorded_write(t, lift, "update", value, op, lambda: t.data.__setitem__(..., result))
    write_back(t, where)
    return t


def set_item(t, key, value, where: str = "setitem"):
    """``t[key] = value``: a recorded scatter in grad mode, a write into ``t.data`` otherwise
    (``where``: the name errors give, e.g. ``scatter_``)."""
    from .ops.indexing import normalize_key, setitem

    key = normalize_key(key)
    refuse_aliased_setitem(where, t, key, value)
    before_write(t, where)
    if _recording(t, value):
        _refuse_leaf(t, where)
        refuse_truncation(t, value, where)
        bypass_hooked_views(t)
        result = computed_apart_from_shared_memory(t, lambda: setitem(t, value, key))
        _recorded(t, result, where, written=key)
    else:
        lift = _before_unrecorded_write(t, where)
        raw = _raw(value)
        _unrecorded_write(t, lift, "setitem", raw, key, lambda: t.data.__setitem__(key, raw))
    write_back(t, where)


def _everywhere(t, value, where: str):
    """``value`` broadcast to ``t``'s shape, recorded so that ``t`` gets a zero gradient
    (and ``explain`` can name the method ``where`` that wrote it)."""
    from .ops.elementwise import overwrite_by

    return overwrite_by(value, t, where)


def fill(t, value, where: str):
    """Set every element to ``value``: a number, or an array or tensor that broadcasts to
    ``t``'s shape (``fill_``, ``zero_`` and ``copy_``)."""
    before_write(t, where)
    if _recording(t, value):
        _refuse_leaf(t, where)
        bypass_hooked_views(t)
        _recorded(t, _everywhere(t, value, where), where)
    else:
        lift = _before_unrecorded_write(t, where)
        raw = _raw(value)
        _unrecorded_write(t, lift, "fill", raw, None, lambda: t.data.__setitem__(..., raw))
    write_back(t, where)
    return t


def clamp(t, lo, hi, where: str = "clamp_"):
    """Limit ``t`` to ``[lo, hi]`` in place."""
    from .ops.elementwise import clip

    before_write(t, where)
    if _recording(t, lo) or _recording(t, hi):     # (a bound may require grad too)
        _refuse_leaf(t, where)
        bypass_hooked_views(t)
        result = computed_apart_from_shared_memory(t, lambda: clip(t, lo, hi))
        _recorded(t, result, where)
    else:
        lo, hi = _raw(lo), _raw(hi)
        refuse_bounds_of_another_kind(t, lo, hi, where)
        lift = _before_unrecorded_write(t, where)
        _unrecorded_write(t, lift, "clamp", (lo, hi), None,
                          lambda: np.clip(t.data, lo, hi, out=t.data))
    write_back(t, where)
    return t
