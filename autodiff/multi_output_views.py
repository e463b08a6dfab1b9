"""The outputs of PyTorch's multi-output view functions: ``unbind``, ``split``,
``chunk`` and ``split_with_sizes``.

Their pieces are views of the input, as in PyTorch: under ``ad.no_grad()``, or when
nothing requires grad, an in-place update of one writes into the input.  In grad mode
an update that would be recorded (the input or the other operand requires grad) is
refused, as PyTorch refuses it ("Output 0 of UnbindBackward0 is a view and is being
modified inplace ..."), and so is one of a view of such a piece (``out[0][1]``,
``out[0].T``).  ``tensor_split``, ``hsplit``/``vsplit``/``dsplit``, ``narrow`` and the
``unsafe_`` spellings return plain views, which PyTorch lets be updated, and so does
this library (the update reaches the input and its gradient).  Iterating over a tensor
(``for row in t``) gives NumPy's rows, whose updates are followed too.

>>> x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True) * 1
>>> first, second = x.unbind(0)
>>> first.mul_(2)
Traceback (most recent call last):
RuntimeError: mul_: output 0 of unbind (tensor of shape (2,)) is a view ...
>>> with ad.no_grad():
...     _ = first.mul_(2)
>>> x
tensor([[2., 4.],
        [3., 4.]], requires_grad=True)
"""

from __future__ import annotations

import weakref

#: id(tensor) -> (weak reference to it, the function that made it, its output index).
_marked: dict = {}


def _forget(key, ref) -> None:
    entry = _marked.get(key)
    if entry is not None and entry[0] is ref:
        del _marked[key]


def mark(outputs, function: str) -> tuple:
    """Note ``outputs`` as the pieces ``function`` returned; the tuple of them."""
    outputs = tuple(outputs)
    for index, piece in enumerate(outputs):
        key = id(piece)
        _marked[key] = (weakref.ref(piece, lambda ref, key=key: _forget(key, ref)),
                        function, index)
    return outputs


def unmark(outputs) -> tuple:
    """The pieces as plain views (PyTorch's ``unsafe_split`` and ``unsafe_chunk``)."""
    outputs = tuple(outputs)
    for piece in outputs:
        entry = _marked.get(id(piece))
        if entry is not None and entry[0]() is piece:
            del _marked[id(piece)]
    return outputs


def _made_by(t):
    entry = _marked.get(id(t))
    return entry[1:] if entry is not None and entry[0]() is t else None


def refuse_recorded_update(t, chain, where: str) -> None:
    """Raise if ``t`` (whose view links up are ``chain``) is, or views, a piece of a
    multi-output view function: a recorded in-place update of it is refused."""
    if not _marked:
        return
    for viewed in [t] + [base for _, (base, _) in chain]:
        made_by = _made_by(viewed)
        if made_by is None:
            continue
        function, index = made_by
        which = f"output {index} of {function} (tensor of shape {viewed.shape})"
        what = which if viewed is t else (f"tensor of shape {t.shape}, a view of {which},")
        raise RuntimeError(
            f"{where}: {what} is a view and is being modified in place in grad mode. This "
            f"view is the output of a function that returns multiple views ({function}), "
            "whose outputs cannot be modified in place while gradients are recorded, as in "
            "PyTorch. Call .clone() on the piece first, use an out-of-place op (y = y * 2), "
            "or update under ad.no_grad().")
