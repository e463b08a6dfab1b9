"""``t.grad_fn``: PyTorch's handle on the op that made a tensor.

``None`` for a leaf and for a tensor that does not require grad; otherwise a
``GradFn`` naming the op (``name()``: the library's op name in PyTorch's pattern,
``multiply`` giving ``'MultiplyBackward0'`` where PyTorch says ``'MulBackward0'``)
and reaching its inputs' through ``next_functions``: a ``(GradFn, 0)`` pair for an
input made by an op, ``(AccumulateGrad, 0)`` for a leaf that requires grad (its
``variable`` is the leaf) and ``(None, 0)`` for a constant, as in PyTorch.

A tensor method that PyTorch records as one op but the library builds as a copy of
another (``t.flip(0)``: ``flip``, then a copy, since PyTorch's flip is no view) names
PyTorch's op (``named_as``): ``'FlipBackward0'``, not the copy's ``'CopyBackward0'``.
"""

from __future__ import annotations

import weakref

from .graph import Node

# node -> PyTorch's op name, for the nodes ``named_as`` named
_torch_names: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def named_as(tensor, op_name: str):
    """``tensor``, its op shown by ``grad_fn.name()`` as PyTorch's ``op_name``.

    >>> ad.tensor([1.0, 2.0], requires_grad=True).flip(0).grad_fn.name()
    'FlipBackward0'
    """
    node = tensor._node
    if node is not None:
        _torch_names[node] = op_name
    return tensor


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


class GradFn:
    """The op that made a tensor, as seen from ``t.grad_fn`` (see the module).

    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * 2).sum()
    >>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
    ('SumBackward0', 'MultiplyBackward0')
    """

    __slots__ = ("_node",)

    def __init__(self, node: Node):
        self._node = node

    def name(self) -> str:
        name = _torch_names.get(self._node) or self._node.op.name
        return f"{_camel(name)}Backward0"

    @property
    def next_functions(self) -> tuple:
        out = []
        for parent in self._node.parents:
            if isinstance(parent, Node):
                out.append((GradFn(parent) if parent.requires_grad else None, 0))
            elif parent is not None and getattr(parent, "requires_grad", False):
                out.append((AccumulateGrad(parent), 0))
            else:
                out.append((None, 0))
        return tuple(out)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before this op's backward, as PyTorch's (a tuple it
        returns replaces ``grad_outputs``); returns a handle (``node_hooks.py``).

        >>> a = ad.tensor([0.0, 0.0], requires_grad=True)
        >>> b = a.clone()
        >>> handle = b.grad_fn.register_prehook(lambda gO: (gO[0] * 2,))
        >>> b.sum().backward(); a.grad
        array([2., 2.])
        """
        from .node_hooks import PreHook, register
        return register(self._node, PreHook(fn))

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this op's backward, as PyTorch's (a
        tuple it returns replaces ``grad_inputs``); returns a handle (``node_hooks.py``).

        >>> a = ad.tensor([0.0, 0.0], requires_grad=True)
        >>> b = a.clone()
        >>> handle = b.grad_fn.register_hook(lambda gI, gO: (gO[0] * 3,))
        >>> b.sum().backward(); a.grad
        array([3., 3.])
        """
        from .node_hooks import PostHook, register
        return register(self._node, PostHook(fn))

    def __eq__(self, other) -> bool:
        return isinstance(other, GradFn) and other._node is self._node

    def __hash__(self) -> int:
        return hash(id(self._node))

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self._node):#x}>"


class AccumulateGrad:
    """A leaf that requires grad, as an entry of ``next_functions`` (``variable``)."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "struct torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self.variable):#x}>"


def grad_fn_of(tensor) -> GradFn | None:
    node = tensor._node
    if node is None or not tensor.requires_grad:
        return None
    return GradFn(node)
