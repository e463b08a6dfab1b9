"""What an in-place update refuses (``inplace.py``) because of the tensors that show
the same memory or hold the updated one: views made by ops other than indexing
(``h.T`` where it cannot follow, ``np.diagonal(h)``) that would keep the old values,
read-only outputs whose entries overlap, and the input a transform differentiates."""

from __future__ import annotations

import numpy as np

from . import op_views
from .graph import Node, _grad_mode
from .guard import views_memory_of
from .view_table import _views_up


class InPlaceError(RuntimeError):
    """An in-place update that would silently corrupt a gradient (or could not be done)."""


def _label(t) -> str:
    return f"'{t.name}'" if t.name is not None else f"of shape {t.shape}"


def _root(t):
    """The tensor owning the memory that ``t`` views through the links of
    ``view_table.py`` (``t`` itself when it views none)."""
    chain = _views_up(t)
    return chain[-1][1][0] if chain else t


def _refuse_op_views_of_moved(view, t, where: str) -> None:
    """Raise when an op other than indexing made a view (``v.T``, ``v.reshape(-1)``) of
    ``view``, a view by indexing about to move to another array (the updated one of the
    tensor it views) that is still alive: it would go on showing the old array."""
    root = _root(view)
    for other, op_name in op_views.views_of_memory(view.data):
        if other is not view and other is not t and _root(other) is not root:
            what = "it" if view is t else f"tensor {_label(view)}"
            raise InPlaceError(
                f"{where}: cannot make this update of tensor {_label(t)}: tensor "
                f"{_label(other)}, made by '{op_name}', shows the memory of {what}, a "
                "view by indexing that the update moves to the current array of the "
                "tensor it views, so it would keep the old values (a NumPy or PyTorch "
                "view would show the update). Make that view after the update, or "
                "build a new tensor instead (t = t + x).")


#: Names of the ops whose output NumPy makes read-only because its entries overlap
#: (``sliding_window_view``): an update of it, or of a view of it, is refused in grad
#: mode too, where it would otherwise be recorded as a new value.
READ_ONLY_OUTPUTS: set = set()


def _refuse_read_only_outputs(tensors, t, where: str) -> None:
    for tensor in tensors:
        node = tensor._node
        if node.__class__ is Node and node.op.name in READ_ONLY_OUTPUTS:
            what = "it is" if tensor is t else f"it views tensor {_label(tensor)},"
            raise InPlaceError(
                f"{where}: cannot change tensor {_label(t)} in place: {what} the output of "
                f"'{node.op.name}', which NumPy makes read-only because its entries "
                "overlap (one write would change several of them). Build a new tensor "
                "instead (w = ad.where(mask, value, w), or w * mask).")


def _refuse_transform_input(tensors, where: str) -> None:
    """Raise when one of ``tensors`` is the input a running transform differentiates
    with respect to (a tracked argument's ``transform_input`` node, or the fresh leaf a
    plain argument gets): the update would move that input to the updated value, and
    the result would be the derivative with respect to it, as ``torch.func.grad``
    refuses too."""
    if not _grad_mode.transform_depth:
        return
    from .transforms import is_transform_input

    for tensor in tensors:
        if is_transform_input(tensor):
            raise RuntimeError(
                f"{where}: tensor {_label(tensor)} is the input a transform (ad.grad, "
                "ad.jvp, ad.hessian, ...) differentiates with respect to, and an in-place "
                "update of it would change what is differentiated. Build a new tensor "
                "instead: a = a * 3 rather than a *= 3, or a = a.clone() before updating.")


def _refuse_unfollowed_view(top, t, where: str) -> None:
    """Raise when ``top`` (``t``, or the tensor ``t`` views by indexing) views the memory
    of another tensor through an op other than indexing (``h.view(-1)``, ``h.T``): a
    recorded update would leave that tensor behind, where PyTorch's view would change
    it.  Seen in ``top``'s node when the view was recorded, else in ``op_views``."""
    node = top._node
    if node is not None and top.data.base is not None and node.args is not None:
        for parent, array in zip(node.parents, node.args):
            if parent.__class__ is Node and isinstance(array, np.ndarray) \
                    and views_memory_of(top.data, array) \
                    and not _only_view_of_a_temporary(top, array):
                raise RuntimeError(
                    f"{where}: tensor {_label(t)} views, through '{node.op.name}', the "
                    f"output of '{parent.op.name}', and a recorded update of it in grad "
                    "mode would not reach that tensor (a PyTorch view would change it). "
                    "Update that tensor itself (h[0, 0] = 0 rather than np.diagonal(h)[0] = 0), "
                    "or build a new tensor (v = v + x).")
    viewed = op_views.viewed_tensor(top)
    if viewed is not None:
        raise RuntimeError(
            f"{where}: tensor {_label(t)} views, through '{op_views.view_op(top)}', the "
            f"memory of tensor {_label(viewed)}, and a recorded update of it in grad mode "
            "would not reach that tensor (a PyTorch view would change it). Update that "
            "tensor itself (m[0, 0] = v rather than np.diagonal(m)[0] = v), or build a new "
            "tensor (v = v + x).")


def _only_view_of_a_temporary(top, array) -> bool:
    """Whether ``top``, made by an op as a view of ``array``, is the only live tensor
    that shows ``array``'s memory: the tensor that held ``array`` is gone (a temporary,
    as in ``u = t.copy().reshape(2, 3)``; a view by indexing would keep it alive) and no
    other view made by an op shows it.  Then nothing can show that a recorded update of
    ``top`` leaves ``array`` as it was."""
    return (array.base is None and op_views.viewed_tensor(top) is None
            and all(view is top for view, _ in op_views.views_of_memory(array)))


def _refuse_op_views_left_behind(tensors, t, where: str) -> None:
    """Raise when an op other than indexing made a view of one of ``tensors`` (``t``
    and the tensors it views by indexing, all about to take new arrays) that is still
    alive (``h.T``, ``h.reshape(-1)``): it would go on showing the old values, where
    NumPy's and PyTorch's views show the update."""
    root = _root(tensors[-1])
    for tensor in tensors:
        for view, op_name in op_views.views_of_memory(tensor.data):
            if view is not tensor and view is not t and _root(view) is not root:
                raise InPlaceError(
                    f"{where}: cannot record this update of tensor {_label(t)}: tensor "
                    f"{_label(view)}, made from {'it' if tensor is t else 'the tensor it views'} "
                    f"by '{op_name}', shows the same memory and would keep the old values "
                    "(a NumPy or PyTorch view would show the update). Make that view after "
                    "the update, or build a new tensor instead (t = t + x).")


def _held_message(t, where: str, savers) -> str:
    """Why ``t`` cannot be written while the recorded ops ``savers`` hold its array."""
    from .anomaly import where_created
    from .overwrites import outdated

    node = savers[0]
    site = where_created(node)
    op = f"op '{node.op.name}'{' (' + site + ')' if site else ''}"
    if all(outdated(n) for n in savers):
        return (f"{where}: cannot change tensor {_label(t)} in place: {op} of an older graph "
                "still holds its values, which were already changed in place since (an "
                "optimizer step, an update under ad.no_grad()), so that graph's backward "
                "would raise InPlaceError anyway. Drop that graph (e.g. del loss) to free "
                "the tensor, or build a new tensor (t = t + x) instead.")
    return (f"{where}: cannot change tensor {_label(t)} in place: {op} saved its values "
            "for a backward pass that has not run yet, and changing them now would make "
            "that gradient wrong. Call backward() first, or build a new tensor "
            "(t = t + x) instead.")
