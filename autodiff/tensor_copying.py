"""How a Tensor is copied: ``t.copy()``, ``copy.copy``, ``copy.deepcopy`` and pickling.

A mixin of ``Tensor``; the ``copy`` op it calls is bound by ``bind()`` (run by
``autodiff.tensor`` once the ops exist, as they build on Tensor).
"""

from __future__ import annotations

import copy as _copy_module
from typing import TYPE_CHECKING

import numpy as np

from .canonical_dtypes import with_canonical_dtype

if TYPE_CHECKING:
    from .tensor import Tensor


class CopyingMethods:
    """``Tensor``'s copy, ``copy.copy``/``copy.deepcopy`` and pickle support."""

    __slots__ = ()

    def copy(self, order="C") -> Tensor:
        """The values in a new array, on the tape (``ndarray.copy``: row-major unless
        ``order`` says 'F', 'A' or 'K')."""
        return copy(self, order=order)

    def __copy__(self) -> Tensor:
        """``copy.copy(t)``: ``t.copy()``, as ``copy.copy`` of an ndarray copies its
        values (PyTorch's shares them)."""
        return copy(self)

    def __reduce_ex__(self, protocol):
        # pickle: a tensor with a graph is saved as a leaf of its values (with its
        # requires_grad), as PyTorch saves one; a graph does not cross a file.
        _refuse_while_tracing("pickling a tensor (pickle.dumps, ad.save)")
        if self._node is not None:
            return Tensor._make(self.data, None, self.requires_grad).__reduce_ex__(protocol)
        return super().__reduce_ex__(protocol)

    #: Whether ``copy.deepcopy`` copies ``.grad`` too (PyTorch: a tensor's, not a
    #: Parameter's).
    _deepcopy_keeps_grad = True

    def __getstate__(self):
        # What pickle saves and deepcopy rebuilds from, in pickle's (__dict__, slots)
        # form: everything but ``.grad``, which pickle drops, as PyTorch's does
        # (__deepcopy__ adds it back for a tensor).  Written out: object.__getstate__
        # is new in Python 3.11.
        slots = {name: getattr(self, name)
                 for cls in type(self).__mro__ for name in cls.__dict__.get("__slots__", ())
                 if name not in _NOT_COPIED and hasattr(self, name)}
        slots["_grad"] = None
        return getattr(self, "__dict__", None) or None, slots

    def __setstate__(self, state) -> None:
        # pickle's (__dict__, slots) form, as __getstate__ gives it; the array gets
        # NumPy's own dtype object (canonical_dtypes.py): an unpickled array's equal
        # copy would pass on to every result computed from it, missing the fast paths.
        # Every rebuilt tensor comes here (pickle.loads; copy.deepcopy, whose own
        # refusal comes first in __deepcopy__), so this is where a trace refuses it.
        _refuse_while_tracing(f"pickle.loads, which makes a {type(self).__name__}")
        attributes, slots = state if isinstance(state, tuple) else (state, None)
        if attributes:
            self.__dict__.update(attributes)
        for name, value in (slots or {}).items():
            if name == "data" and isinstance(value, np.ndarray):
                value = with_canonical_dtype(value)
            setattr(self, name, value)

    def __deepcopy__(self, memo) -> Tensor:
        """``copy.deepcopy``: of a leaf, a leaf with copies of its values and gradient
        (a Parameter's copy has no gradient, as in PyTorch); a tensor with a graph is
        refused, as PyTorch refuses it (its copy would carry a
        copy of the graph, cut from the tensors it came from: a backward through it
        would give them no gradient)."""
        _refuse_while_tracing("copy.deepcopy of a tensor (or of a module holding one)")
        if self._node is not None:
            raise RuntimeError(
                f"copy.deepcopy: this tensor (shape {self.shape}) was made by "
                f"'{self._node.op.name}' and has a graph; a copy would carry a copy of it, "
                "cut from the tensors it came from, so a backward through the copy would "
                "give them no gradient (PyTorch refuses this too). Deep-copy t.detach() "
                "for the values, or the leaves.")
        twin = _copy_module._reconstruct(self, memo, *super().__reduce_ex__(4))
        if self._deepcopy_keeps_grad and self._grad is not None:
            twin._grad = _copy_module.deepcopy(self._grad, memo)
        return twin


def _refuse_while_tracing(what: str) -> None:
    """A copy made in Python while ``ad.compile`` traces would be made once, from the
    traced values: a replay runs no Python code.  Pickling is refused as it starts
    (``__reduce_ex__``), a deep copy too (``__deepcopy__``), an unpickling as it
    rebuilds a tensor (``__setstate__``)."""
    from .compile import hooks
    if hooks.active is None:            # (the common case: no stack walk per copied tensor)
        return
    from .compile.provenance import frame_line
    from .compile.refusals import refuse_while_tracing
    from .tape_drop import user_frame
    refuse_while_tracing(
        what, "a replay runs no Python code, so it would be done once, at the trace, with "
        "the values then, where each eager call copies the current ones", "Copy or save "
        "outside the compiled function and keep the copy between calls (a target network: "
        "copy.deepcopy(model) once before the loop, then update it in place under "
        "ad.no_grad(), which replays: target_w.copy_(w)); t.clone() is recorded and "
        "replayed.",
        line=frame_line(user_frame()))     # (past copy.py and pickle's own frames)


#: Slots a copy or a pickle leaves out: a copy of a view by indexing is no view (its
#: array is its own), hooks stay with the tensor they were registered on, and a copy
#: made outside inference mode is no inference tensor (as PyTorch's clone), and the
#: weak reference to the view ``.grad`` gave is the original's.
_NOT_COPIED = frozenset({"__weakref__", "_view_link", "_hooks", "_inference", "_grad_view"})


def bind() -> None:
    """Bind the op and class the methods use (run by ``autodiff.tensor``)."""
    global Tensor, copy
    from .tensor import Tensor
    from .ops.elementwise import copy
