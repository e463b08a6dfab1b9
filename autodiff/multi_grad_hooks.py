"""PyTorch's ``torch.autograd.graph.register_multi_grad_hook``: one function called
with the gradients of several tensors in a backward pass (``mode="all"``, once the
pass has delivered them, ``None`` for a tensor it did not reach), or with the first
of them (``mode="any"``).  Built on tensor hooks (``hooks.py``) and the end of the
reverse pass (``pass_end.at_pass_end``); PyTorch calls ``fn`` as soon as the last of the
gradients is ready, here it is called when the pass ends: the same arguments.  Which
gradient is "the first computed" for ``mode="any"`` is the engine's order, which differs
between the libraries (here the leaves' gradients come after the pass, the last-reached
leaf first): a hook that needs to know whose gradient it got uses ``mode="all"``.

>>> x = ad.tensor([1.0, 2.0], requires_grad=True)
>>> y = ad.tensor([3.0], requires_grad=True)
>>> seen = []
>>> handle = ad.autograd.graph.register_multi_grad_hook((x, y), seen.append)
>>> (x * 2).sum().backward()
>>> seen
[(array([2., 2.]), None)]
>>> handle.remove()
"""

from __future__ import annotations

from typing import Callable, Sequence

from . import pass_end


class _MultiHandle:
    """The handle of a multi-grad hook: ``remove()`` takes off each tensor's hook."""

    def __init__(self, handles):
        self._handles = handles

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def register_multi_grad_hook(tensors: Sequence, fn: Callable, *, mode: str = "all"):
    """Call ``fn`` with the gradients of ``tensors`` in each backward pass that reaches
    any of them: a tuple of one gradient or ``None`` per tensor (``mode="all"``), or the
    first gradient computed (``mode="any"``); ``fn``'s result is not used.  Returns a
    handle with ``remove()``.

    >>> a = ad.tensor(1.0, requires_grad=True)
    >>> calls = []
    >>> h = ad.autograd.graph.register_multi_grad_hook([a, a * 2], calls.append, mode="any")
    >>> (a * 3).backward(); len(calls)
    1
    """
    if mode not in ("all", "any"):
        raise ValueError(f"register_multi_grad_hook: mode must be 'all' or 'any', got "
                         f"{mode!r}")
    tensors = tuple(tensors)
    if not tensors:
        raise ValueError("register_multi_grad_hook: needs at least one tensor")
    if not callable(fn):
        raise TypeError(f"register_multi_grad_hook: fn must be callable, got "
                        f"{type(fn).__name__}")
    from .tensor import Tensor
    for position, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"register_multi_grad_hook: tensors[{position}] is "
                            f"{type(t).__name__}, not a Tensor; each must be a Tensor that "
                            "requires grad (ad.tensor(x, requires_grad=True))")
    # per running pass (its callbacks list, by id): the gradients seen so far
    pending: dict[int, list] = {}

    def hook_of(position):
        def hook(grad):
            ends = pass_end.current_pass()
            key = id(ends)
            if key not in pending:
                pending[key] = [None] * len(tensors)
                if mode == "all":
                    pass_end.at_pass_end(lambda: fn(tuple(pending.pop(key))))
                else:
                    pass_end.at_pass_end(lambda: pending.pop(key, None))
                    fn(grad)
            pending[key][position] = grad
        hook.from_multi_grad_hook = True    # (named so by a refusal while compiling)
        return hook

    return _MultiHandle([t.register_hook(hook_of(i)) for i, t in enumerate(tensors)])
