"""A note for ``explain``: a squared-error loss that broadcast a prediction of shape
(N, 1) against a target of shape (N,) into an (N, N) table.

NumPy's broadcasting makes ``pred - target`` of shapes (N, 1) and (N,) an (N, N)
matrix of every prediction minus every target, and ``((pred - target) ** 2).mean()``
then averages all N * N differences: no error, a wrong loss and wrong gradients
(``F.mse_loss`` refuses this pair).  The note is written as a possibility, and only
for this near-certain pattern: a sum or mean to a scalar of the square (or absolute
value) of a subtraction whose result is (N, N), N > 1, where one side has shape
(N, 1) and was not made so on purpose (``x[:, None]``, ``reshape``, ``unsqueeze``:
pairwise differences are written that way), and the other side has shape (N,)
(or is a constant whose shape was freed with the graph).

>>> pred = ad.tensor(np.zeros((3, 1)), requires_grad=True) * 2.0
>>> loss = ((pred - ad.tensor([1.0, 2.0, 3.0])) ** 2).mean()
>>> print(broadcast_loss_note(loss._node))                    # doctest: +ELLIPSIS
Possibly a shape mistake: subtract takes shapes (3, 1) and (3,) and broadcasts them ...
"""

from __future__ import annotations

from .explain_zero_causes import _node_label
from .graph_node import Node

def _shape(parent, node, position):
    """The shape of input ``position`` of ``node`` (None if it is a constant whose value
    the backward pass freed)."""
    if parent is not None:
        return parent.shape
    args = node.args
    if args is not None and position < len(args) and hasattr(args[position], "shape"):
        return args[position].shape
    return None


def _column_from_model(parent) -> bool:
    """Whether ``parent`` has shape (N, 1) computed by an op other than one that adds
    an axis on purpose (a model's output, not ``x[:, None]``)."""
    if parent is None:
        return False
    if isinstance(parent, Node) and parent.op.adds_axis:
        return False
    return True


def broadcast_loss_note(node) -> str | None:
    """The note for a loss ``node`` (a scalar) that averaged an (N, 1) - (N,) table, or None."""
    if not isinstance(node, Node) or node.shape != () or node.op.reduction is None:
        return None
    current = node
    for _ in range(4):                  # reduction <- square/abs <- ... <- subtract
        parents = [p for p in current.parents if isinstance(p, Node)]
        if len(parents) != 1:
            return None
        current = parents[0]
        if current.op.sum_signs == (1, -1):
            break
        if not current.op.error_measure:
            return None
    else:
        return None
    shape = current.shape
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2:
        return None
    n = shape[0]
    sides = current.parents
    shapes = [_shape(p, current, i) for i, p in enumerate(sides)]
    for column in (0, 1):
        other = 1 - column
        if shapes[column] == (n, 1) and _column_from_model(sides[column]) \
                and (shapes[other] == (n,) or (shapes[other] is None and sides[other] is None)):
            break
    else:
        return None
    other_text = str(shapes[other]) if shapes[other] is not None else "a constant"
    pair = ((n, 1), other_text) if column == 0 else (other_text, (n, 1))
    return (f"Possibly a shape mistake: {_node_label(current)} takes shapes {pair[0]} and "
            f"{pair[1]} and broadcasts them to {shape} (each entry of one side minus "
            f"each entry of the other), and "
            f"{_node_label(node)} then {node.op.reduction} all {n * n} differences to a scalar. If "
            f"this is a prediction of shape ({n}, 1) against a target of shape ({n},), "
            f"the loss and its gradients are wrong: make the shapes equal, e.g. "
            f"pred.squeeze(-1) - target or pred - target.reshape(-1, 1) (F.mse_loss "
            f"refuses this pair). If an (N, N) table of differences is what you want, "
            f"write it as a[:, None] - b to make that plain.")
