"""``np.add.at``, ``np.subtract.at``, ``np.maximum.at`` and ``np.minimum.at`` on Tensors:
unbuffered scatters in place (``np.multiply.at`` and ``np.divide.at``:
``ufunc_at_products.py``).

``np.add.at(t, indices, values)`` adds each of ``values`` (broadcast to ``t[indices]``'s
shape) at its index, accumulating where an index repeats.  On a Tensor it is the op
``add_at`` (the forward is NumPy's own ``np.add.at`` on a copy, so the values are
NumPy's to the bit) written back into ``t`` in place, following the rules of every
in-place update (``autodiff/inplace.py``): recorded in grad mode, refused on a leaf
that requires grad.  ``t`` passes its gradient through unchanged; each value gets the
gradient of the entry it was added to, ``g[indices]``.  ``np.subtract.at`` is
``add_at`` of the negated values (``a - b`` and ``a + (-b)`` are the same float).
``np.maximum.at`` and ``np.minimum.at`` (ops ``maximum_at``, ``minimum_at``) pass each
entry's gradient to the values equal to its result, split evenly among ties, as
``torch.scatter_reduce`` with ``"amax"``/``"amin"`` and ``include_self=True``.

Refused with an error saying what to write instead: values that require grad written
into an ndarray (which cannot hold a gradient), and the other ufuncs' ``at``
(``np.power.at`` ...) while recording.
"""

from __future__ import annotations

import numpy as np

from .. import inplace
from ..graph import _grad_mode
from ..tensor import Tensor
from .elementwise import copy
from .indexing import index_add_array, normalize_key
from .operands import array_of, tensor_of
from .registry import defop
from .shape import broadcast_to
from .ufunc_at_products import divide_at, multiply_at


def _add_at_forward(a, b, key):
    out = np.array(a, copy=True)
    np.add.at(out, key, b)
    return out


add_at = defop(
    "add_at", _add_at_forward, scatters=True, index_inputs={2: "indices"}, reads=(),
    numpy={np.add.at: lambda a, indices, b=None: ufunc_at(np.add, a, indices, b),
           np.subtract.at: lambda a, indices, b=None: ufunc_at(np.subtract, a, indices, b)},
    doc="A copy of a with b added at key, repeated indices accumulating, as "
        "``np.add.at`` (which writes it back into a); b gets ``g[key]``.\n\n"
        ">>> t = ad.zeros(3)\n"
        ">>> np.add.at(t, np.array([0, 2, 0]), ad.tensor([1.0, 2.0, 4.0])); t\n"
        "tensor([5., 0., 2.])",
    a=("g", lambda xp, g, ans, a, b, key: g),
    b=("g[key]", lambda xp, g, ans, a, b, key: g[key]),
    key=None)


def _value(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _extreme_shares(a, b, ans, key):
    """The share of each entry's gradient that ``a`` keeps and that each of ``b`` gets:
    split evenly among the values equal to the result (``torch.scatter_reduce``'s
    ``amax``/``amin`` with ``include_self=True``); none where the result is NaN."""
    a, b, ans = _value(a), _value(b), _value(ans)
    at_a = (a == ans).astype(ans.dtype)
    at_b = (b == ans[key]).astype(ans.dtype)
    holders = at_a + index_add_array(at_b, ans.shape, key)
    per_holder = 1 / np.maximum(holders, 1)
    return at_a * per_holder, at_b * per_holder[key]


def _extreme_at_op(ufunc):
    """``maximum_at`` or ``minimum_at``: ``ufunc.at`` into a copy of a."""
    def forward(a, b, key):
        out = np.array(a, copy=True)
        ufunc.at(out, key, b)
        return out
    name = ufunc.__name__
    forward.__name__ = f"_{name}_at_forward"
    return defop(
        f"{name}_at", forward, scatters=True, index_inputs={2: "indices"},
        numpy={ufunc.at: lambda a, indices, b=None: ufunc_at(ufunc, a, indices, b)},
        doc=f"A copy of a with each of b compared in at key, as ``np.{name}.at`` (which "
            "writes it back into a); the gradient of each entry is split evenly among a "
            "and the values of b equal to the result.\n\n"
            ">>> t = ad.zeros(3)\n"
            f">>> np.{name}.at(t, np.array([0, 2, 0]), ad.tensor([1.0, -2.0, 4.0])); t\n"
            + ("tensor([4., 0., 0.])" if ufunc is np.maximum else "tensor([ 0.,  0., -2.])"),
        a=("g where a is the result, shared with tied values of b",
           lambda xp, g, ans, a, b, key: g * _extreme_shares(a, b, ans, key)[0]),
        b=("g[key] where b is the result, shared with ties",
           lambda xp, g, ans, a, b, key: g[key] * _extreme_shares(a, b, ans, key)[1]),
        key=None, reads={"a": ("a", "b", "ans"), "b": ("a", "b", "ans")})


maximum_at = _extreme_at_op(np.maximum)
minimum_at = _extreme_at_op(np.minimum)
#: The op that runs ``ufunc.at`` for the ufuncs with a gradient rule (after negating the
#: values, for np.subtract).
_AT_OPS = {np.add: add_at, np.subtract: add_at, np.maximum: maximum_at,
           np.minimum: minimum_at, np.multiply: multiply_at, np.divide: divide_at}


def _described(a, indices, values) -> str:
    return (f"a of shape {np.shape(array_of(a))}, dtype {np.result_type(array_of(a))}; "
            f"indices {indices!r}; values of shape {np.shape(array_of(values))}")


def _into_ndarray(name, ufunc, a, key, values):
    """``ufunc.at`` into the ndarray ``a``, unless a value needs a gradient."""
    if isinstance(values, Tensor) and values.requires_grad and _grad_mode.enabled:
        raise TypeError(
            f"numpy.{name} writes into its first argument, here an ndarray (shape "
            f"{a.shape}, dtype {a.dtype}), which cannot carry the gradient of the values "
            f"(a Tensor of shape {values.shape} that requires grad). Make the target a "
            f"Tensor: e.g. totals = np.zeros_like(values, shape={a.shape}) instead of "
            f"np.zeros({a.shape}), or ad.tensor(arr); or add values.detach() when no "
            "gradient is needed.")
    ufunc.at(a, key, array_of(values))


def ufunc_at(ufunc: np.ufunc, a, indices, values=None) -> None:
    """``ufunc.at(a, indices, values)`` with ``a`` a Tensor or an ndarray, in place, as
    NumPy's; recorded in grad mode for ``np.add``, ``np.subtract``, ``np.multiply``,
    ``np.divide``, ``np.maximum`` and ``np.minimum``.

    >>> totals = ad.zeros(3)
    >>> values = ad.tensor([1.0, 2.0, 4.0], requires_grad=True)
    >>> np.add.at(totals, np.array([0, 2, 0]), values)
    >>> (totals * ad.tensor([10.0, 20.0, 30.0])).sum().backward(); totals.data, values.grad
    (array([5., 0., 2.]), array([10., 30., 10.]))
    """
    name = f"{ufunc.__name__}.at"
    key = normalize_key(indices)
    if values is None and ufunc.nin == 2:
        raise TypeError(f"numpy.{name}: second operand needed for ufunc (the values to "
                        f"combine into a at the indices), as NumPy says")
    if not isinstance(a, Tensor):
        _into_ndarray(name, ufunc, a, key, values)
        return None
    # NumPy's own checks and errors (index bounds, shapes, casting), on a scratch array.
    try:
        scratch = np.zeros(a.shape, a.dtype)
        ufunc.at(scratch, key, *(() if values is None else (array_of(values),)))
    except (IndexError, ValueError, TypeError) as error:
        raise type(error)(f"numpy.{name}: {error} ({_described(a, indices, values)})") from None
    recording = _grad_mode.enabled and (
        a.requires_grad or getattr(values, "requires_grad", False))
    if ufunc not in _AT_OPS:
        if recording:
            raise TypeError(
                f"numpy.{name} on a Tensor that is recorded ({_described(a, indices, values)})"
                ": only np.add.at, np.subtract.at, np.multiply.at, np.divide.at, "
                "np.maximum.at and np.minimum.at have a gradient rule. Where the indices "
                "do not repeat, write t[indices] = ufunc(t[indices], values); or call it "
                "on t.data / values.detach() when no gradient is needed.")
        result = a.data.copy()
        ufunc.at(result, key, *(() if values is None else (array_of(values),)))
        inplace.set_item(a, Ellipsis, result, where=f"numpy.{name}")
        return None
    values = tensor_of(values)
    if np.shares_memory(values.data, a.data):
        values = copy(values)       # (NumPy reads every value before it writes: t[:3] too)
    values = broadcast_to(values, a.data[key].shape)
    if ufunc is np.subtract:
        values = -values
    inplace.set_item(a, Ellipsis, _AT_OPS[ufunc](a, values, key=key), where=f"numpy.{name}")
    return None
