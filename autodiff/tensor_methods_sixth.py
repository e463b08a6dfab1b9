"""PyTorch's Tensor methods ``apply_``, ``map_`` and ``map2_`` (a Python function applied
entry by entry, in place), ``resize_`` / ``resize_as_``, ``ger``, and the memory-placement
methods ``share_memory_`` / ``is_shared`` (memory shared with forked processes) and
``pin_memory`` / ``is_pinned`` (refused: no GPU here).

>>> ad.tensor([1.0, 2.0]).apply_(lambda v: v * 10)
tensor([10., 20.])
"""

from __future__ import annotations

import numpy as np


def _refuse_requires_grad(t, where: str) -> None:
    if t.requires_grad:
        raise RuntimeError(f"{where}: can't call {where}() on a tensor that requires grad "
                           f"(shape {t.shape}; PyTorch refuses it too): the Python function "
                           f"is not recorded. Use t.detach().{where}(...) instead")


def _refuse_uninitialized(t) -> None:
    from .nn.parameter import is_lazy
    if is_lazy(t):      # (sharing its no values would leave the values it gets unshared)
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` "
            "to initialize the parameters before calling `module.share_memory()`.")


def _stored(t, values: list, where: str):
    from .inplace import fill
    real = (bool, int, float, np.bool_, np.integer, np.floating)
    if t.dtype.kind == "c":
        real += (complex, np.complexfloating)
    not_numbers = [v for v in values if not isinstance(v, real)]
    if not_numbers:         # (NumPy would store None as NaN and read "3" as 3)
        wrong = not_numbers[0]
        raise TypeError(f"{where}: the function must return a number for each entry of "
                        f"the {t.dtype} tensor, got {type(wrong).__name__} "
                        f"({wrong!r}; PyTorch refuses it too)")
    result = np.array(values, dtype=object).reshape(t.shape)
    try:
        converted = result.astype(t.dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{where}: the function returned values that a {t.dtype} tensor "
                        f"cannot hold ({error})") from None
    return fill(t, converted, where)


def _operand_values(t, operand, where: str) -> np.ndarray:
    """The values of another operand of ``map_`` / ``map2_``: of ``t``'s dtype, not
    requiring grad, broadcast to ``t``'s shape."""
    from .ops.operands import array_of
    from .tensor import Tensor
    _refuse_requires_grad(t, where)
    if isinstance(operand, Tensor):
        _refuse_requires_grad(operand, where)
    other = array_of(operand)
    if other.dtype != t.dtype:
        raise TypeError(f"{where}: expected tensor of dtype {t.dtype} for the other "
                        f"operand (got {other.dtype}; PyTorch refuses it too); "
                        f"convert it first, e.g. other.to({t.dtype.name})")
    try:
        return np.broadcast_to(other, t.shape)
    except ValueError:
        raise ValueError(f"{where}: the other tensor's shape {other.shape} does not "
                         f"broadcast to the tensor's {t.shape}") from None


class TensorMethodsSixth:
    """``apply_ map_ map2_ resize_ resize_as_ ger share_memory_ is_shared pin_memory
    is_pinned`` (mixed into ``Tensor``)."""

    __slots__ = ()

    def apply_(self, callable):
        """Replace each entry ``v`` by ``callable(v)`` (a Python number in, one out, stored
        in the tensor's dtype), in place, as PyTorch's ``Tensor.apply_``; refused on a
        tensor that requires grad.  Returns self.

        >>> ad.tensor([1, 2, 3]).apply_(lambda v: v * 2.7)
        tensor([2, 5, 8])
        """
        _refuse_requires_grad(self, "apply_")
        return _stored(self, [callable(v) for v in self.data.ravel().tolist()], "apply_")

    def map_(self, tensor, callable):
        """Replace each entry ``a`` by ``callable(a, b)`` with ``b`` the entry of
        ``tensor`` (broadcast to self's shape, of self's dtype), in place, as PyTorch's
        ``Tensor.map_``; refused when either requires grad.  Returns self.

        >>> ad.tensor([1.0, 2.0]).map_(ad.tensor([10.0, 20.0]), lambda a, b: a + b)
        tensor([11., 22.])
        """
        other = _operand_values(self, tensor, "map_")
        pairs = zip(self.data.ravel().tolist(), other.ravel().tolist())
        return _stored(self, [callable(a, b) for a, b in pairs], "map_")

    def map2_(self, x, y, callable):
        """Replace each entry ``a`` by ``callable(a, b, c)`` with ``b`` and ``c`` the
        entries of ``x`` and ``y`` (broadcast to self's shape, of self's dtype), in
        place, as PyTorch's ``Tensor.map2_``; refused when any requires grad.

        >>> ad.tensor([1.0, 2.0]).map2_(ad.tensor([10.0, 20.0]), ad.tensor([100.0]),
        ...                             lambda a, b, c: a + b + c)
        tensor([111., 122.])
        """
        first, second = _operand_values(self, x, "map2_"), _operand_values(self, y, "map2_")
        triples = zip(self.data.ravel().tolist(), first.ravel().tolist(),
                      second.ravel().tolist())
        return _stored(self, [callable(a, b, c) for a, b, c in triples], "map2_")

    def resize_(self, *sizes, memory_format=None):
        """Give the tensor the shape ``sizes`` in place, keeping its entries in C order
        (cut, or followed by zeros where PyTorch leaves the new memory unset), as
        PyTorch's ``Tensor.resize_``; refused on a tensor that requires grad, as there.
        Returns self.

        >>> ad.tensor([1.0, 2.0, 3.0]).resize_(2)
        tensor([1., 2.])
        """
        if self.requires_grad:
            raise RuntimeError(f"resize_: cannot resize a tensor that requires grad (shape "
                               f"{self.shape}; PyTorch refuses it too); build a new one, "
                               "e.g. t.reshape(...) or t[:k]")
        self.resize(*sizes)
        return self

    def resize_as_(self, the_template, memory_format=None):
        """``self.resize_(the_template.shape)``, as PyTorch's ``Tensor.resize_as_``.

        >>> ad.tensor([1.0, 2.0, 3.0]).resize_as_(ad.zeros(1))
        tensor([1.])
        """
        return self.resize_(tuple(np.shape(getattr(the_template, "data", the_template))))

    def ger(self, vec2):
        """The outer product with the vector ``vec2``, as PyTorch's ``Tensor.ger``
        (``Tensor.outer``).

        >>> ad.tensor([1.0, 2.0]).ger(ad.tensor([3.0]))
        tensor([[3.],
                [6.]])
        """
        from .torch_functions_assorted import ger
        return ger(self, vec2)

    def share_memory_(self):
        """Move the values into memory shared between processes, as PyTorch's
        ``Tensor.share_memory_``: a worker started with the ``fork`` start method sees
        and makes in-place updates of it (see ``autodiff.shared_memory``, which also
        says why sending it by pickling is refused).  A no-op if already shared; the
        values, shape, dtype and the tensor object stay.  Returns self.

        >>> t = ad.tensor([1.0, 2.0])
        >>> t.share_memory_() is t, t.is_shared(), t
        (True, True, tensor([1., 2.]))
        """
        from .compile import hooks
        from .shared_memory import register_pickling_refusal, shared_copy
        from .tensor import Tensor
        if hooks.active is not None:
            raise RuntimeError("share_memory_: moving a tensor's values cannot be recorded "
                               "in a compiled function; call it before compiling")
        from .inplace import _follow_memory
        from .view_table import _views_up
        _refuse_uninitialized(self)
        if not self.is_shared() and self.data.size:
            register_pickling_refusal(Tensor)
            # As PyTorch moves the whole storage: the tensor owning the memory moves (when
            # self is a view of it by indexing), and its views by indexing follow it.
            chain = _views_up(self)
            owner = chain[-1][1][0] if chain else self
            owner.data = shared_copy(owner.data)
            _follow_memory(owner, [], "share_memory_")
        return self

    def is_shared(self) -> bool:
        """Whether the values live in shared memory (after ``share_memory_``, or a view
        of such a tensor), as PyTorch's ``Tensor.is_shared``.

        >>> ad.zeros(1).is_shared()
        False
        """
        from .shared_memory import in_shared_memory
        return in_shared_memory(self.data)

    def pin_memory(self, device=None):
        """Refused as PyTorch refuses it without an accelerator: pinned memory is for
        copies to a GPU, which this library has not.

        >>> ad.zeros(1).is_pinned()
        False
        """
        raise RuntimeError("pin_memory: cannot pin memory without an accelerator device "
                           "(PyTorch raises too on a CPU-only machine); arrays live on the "
                           "CPU, so the tensor can be used as it is")

    def is_pinned(self, device=None) -> bool:
        """False: no memory is pinned here (see ``pin_memory``)."""
        return False
