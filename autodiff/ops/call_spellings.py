"""How an op reads a call with keywords or more than two operands: PyTorch's and
NumPy's spellings of one op (``out=``, ``ad.var(x, 1, True)``, ``rounding_mode=``,
``dim=`` / ``keepdim=``, ``unbiased=``), before its general call path (``Op._call_any``).
The calls with one or two operands and no keywords never come here (``Op.__call__``).
"""

from __future__ import annotations

from ..conventions import empty_dims, torch_empty_axis
from ..dim_extremes import dim_by_keepdim


def call_spelled(op, args: tuple, kwargs: dict):
    """``op(*args, **kwargs)`` for a call ``Op.__call__``'s fast paths do not take.

    >>> ad.sum(ad.tensor([[1.0, 2.0]]), dim=1, keepdim=True)
    tensor([[3.]])
    """
    n = len(args)
    if "out" in kwargs and kwargs["out"] is not None:
        from ..out_arguments import call_into     # (out_arguments imports the tensor)
        return call_into(op, op.name, args, kwargs)  # ad.matmul(a, b, out=y)
    if (n > 2 and op.torch_by_position is not None
            and all(isinstance(a, op.torch_by_position_types) for a in args[2:])):
        return op.torch_by_position(*args, **kwargs)     # ad.var(x, 1, True)
    if kwargs and op.torch_keywords is not None:
        keywords, torch_form = op.torch_keywords
        if not keywords.isdisjoint(kwargs):
            return torch_form(*args, **kwargs)
    if kwargs and op.aliases:
        # PyTorch's unbiased= (var, std: the ops taking correction=) is read there too
        if op.torch_dim is not None and (
                kwargs.get("dim") is not None
                or ("unbiased" in kwargs and "correction" in op.aliases)):
            return op.torch_dim(*args, **kwargs)
        if op.torch_dim_by_keepdim and dim_by_keepdim(args, kwargs):
            # ad.max(t, 1, keepdim=True): PyTorch's keepdim= makes the 1 its dim
            return op.torch_dim(args[0], dim=args[1], **kwargs)
        if "keepdim" in kwargs and n >= 2:     # ad.sum(t, (), keepdim=True): dim=()
            args = (args[0], torch_empty_axis(op.name, args[1], True), *args[2:])
        kwargs = resolve_aliases(op, kwargs)
    return op._call_any(args, kwargs)


def resolve_aliases(op, kwargs: dict) -> dict:
    """``kwargs`` with the other spellings of ``op``'s keyword arguments (``dim=`` for
    ``axis=``) under the names its forward takes; both spellings given raises.

    >>> resolve_aliases(ad.sum, {"dim": 1, "keepdims": True})
    {'keepdims': True, 'axis': 1}
    """
    resolved = dict(kwargs)
    for alias, name in op.aliases.items():
        if alias in resolved:
            value = resolved.pop(alias)
            if name in resolved:
                raise TypeError(f"{op.name}: got both {name}={resolved[name]!r} and "
                                f"{alias}={value!r}; they are the same argument, pass one")
            if alias == "dim" and type(value) in (tuple, list) and not value:
                value = empty_dims(op.name)  # PyTorch's dim=(), not NumPy's axis=()
            resolved[name] = value
    return resolved
