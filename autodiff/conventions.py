"""Calls written in PyTorch's spelling whose default here is NumPy's: the warnings that
say so at the user's line (``ConventionWarning``), and ``ad.var``/``ad.std``'s PyTorch
form.

``t.var(dim=0)`` divides by n (NumPy's ddof=0) where PyTorch's divides by n - 1, and
``_, pred = ad.max(out, 1)`` unpacks NumPy's values where PyTorch's ``torch.max(out, 1)``
gives ``(values, indices)``: both run without error, so each warns, naming what to write
for PyTorch's meaning.
"""

from __future__ import annotations

import numpy as np


class ConventionWarning(UserWarning):
    """A call in PyTorch's spelling whose default here is NumPy's, with another result
    than PyTorch's (``t.var(dim=0)`` divides by n, PyTorch's by n - 1)."""


#: Whether code of a file is this library's (or NumPy's), by file name: read for each
#: ``Tensor(n)`` of a Python int, which the library's own code makes for number operands.
_LIBRARY_FILES: dict = {}


def called_from_user(caller) -> bool:
    """Whether the frame ``caller`` runs code outside the library (the user's).

    >>> import sys; called_from_user(sys._getframe())
    True
    """
    filename = caller.f_code.co_filename
    from_library = _LIBRARY_FILES.get(filename)
    if from_library is None:
        from .tape_drop import in_library
        from_library = _LIBRARY_FILES[filename] = in_library(filename)
    return not from_library


def warn_number_as_data(number: int, caller) -> None:
    """``Tensor(5)`` holds the number 5 (``Tensor(data)`` wraps data), where PyTorch's
    legacy ``torch.Tensor(5)`` is an uninitialised tensor of 5 elements: both run, so
    a call from the user's code (frame ``caller``) warns at the user's line.  The
    library's own ``Tensor(5)``, as ``ad.tensor(5)`` or for a number operand, means the
    number: no warning."""
    if not called_from_user(caller):
        return
    from .tape_drop import user_frame, warn_at
    warn_at(user_frame(), (
        f"Tensor({number}) makes a 0-d tensor holding the number {number} (Tensor(data) "
        f"wraps data), where PyTorch's legacy torch.Tensor({number}) makes {number} "
        f"uninitialised elements; for {number} elements use ad.empty({number}) or "
        f"ad.zeros({number}); for the number, ad.tensor({number}) says so without this "
        "warning."), ConventionWarning)


def warn_integer_list_as_data(data, dtype, caller) -> None:
    """``Tensor([0])`` wraps NumPy's array of the list, so Python ints or bools give an
    integer or bool tensor, where PyTorch's legacy ``torch.Tensor([0])`` makes floats.
    A call from the user's code (frame ``caller``) warns at the user's line, since a
    float written into it later (``t[0] = 0.5``) would be truncated silently."""
    if not called_from_user(caller):
        return
    from .tape_drop import user_frame, warn_at
    shown = repr(data) if len(repr(data)) <= 40 else f"{type(data).__name__} of ints"
    warn_at(user_frame(), (
        f"Tensor({shown}) holds {dtype} data, as np.array of the same list does "
        "(Tensor(data) wraps data), where PyTorch's legacy torch.Tensor makes floats; "
        "for floats write the numbers as floats ([0.0]) or pass dtype=ad.float64 "
        "(ad.float32 for PyTorch's default); ad.tensor(...) keeps the integers without "
        "this warning."), ConventionWarning)


def keepdim_by_position(where: str, value, keepdims, slot: str):
    """PyTorch's ``keepdim`` given by position (``ad.median(x, 1, True)``), in the place
    of NumPy's ``slot`` (``dtype`` or ``out``, which a bool never is): ``(slot's value,
    keepdims)`` as the call means them.

    >>> keepdim_by_position("median", True, False, "out")
    (None, True)
    >>> keepdim_by_position("median", None, True, "out")
    (None, True)
    """
    if not isinstance(value, (bool, np.bool_)):
        return value, keepdims
    if keepdims:
        raise TypeError(f"{where}: got keepdim both by position ({value!r}, where NumPy "
                        f"has {slot}) and as keepdims=; pass it once")
    return None, bool(value)


def keepdim_after_axis(where: str, positional: tuple, keepdim):
    """A reduction method's PyTorch ``keepdim`` given by position after the dim
    (``t.sum(1, True)``; NumPy's next argument, dtype or out, is never a bool): the
    ``keepdim`` the call means.  Anything else after the axis is refused, naming both
    readings (``refuse_positional``).

    >>> keepdim_after_axis("sum", (True,), None)
    True
    """
    if len(positional) == 1 and isinstance(positional[0], (bool, np.bool_)):
        if keepdim is not None:
            raise TypeError(f"Tensor.{where}: got keepdim both by position and as keepdim=; "
                            "pass it once")
        return bool(positional[0])
    refuse_positional(where, positional)
    return keepdim


def unbiased_after_axis(where: str, positional: tuple, unbiased, keepdim):
    """``t.var(1, True)``, ``t.var(1, True, True)``: PyTorch's ``unbiased`` (and then
    ``keepdim``) by position after the dim, bools where NumPy's dtype and out never
    are; ``(unbiased, keepdim)`` as the call means them.  Anything else is refused.

    >>> unbiased_after_axis("var", (False, True), None, None)
    (False, True)
    """
    if 0 < len(positional) <= 2 and all(isinstance(p, (bool, np.bool_)) for p in positional):
        if unbiased is not None or (len(positional) == 2 and keepdim is not None):
            raise TypeError(f"Tensor.{where}: got unbiased or keepdim both by position and "
                            "by keyword; pass each once")
        return bool(positional[0]), bool(positional[1]) if len(positional) == 2 else keepdim
    refuse_positional(where, positional)
    return unbiased, keepdim


def norm_dims(p, dim):
    """``Tensor.norm``'s ``dim``, a list as a tuple.  A bool is refused: ``norm(x, 1,
    True)`` (PyTorch's error too) reads 1 as p and True as the dim.

    >>> norm_dims(2, [0, 1])
    (0, 1)
    """
    if isinstance(dim, (bool, np.bool_)):
        raise TypeError(f"norm: dim={dim!r} is a bool; norm(input, p, dim, keepdim) takes p "
                        f"before the dim (here p={p!r}): write norm(x, p, dim, True) or "
                        "norm(x, dim=..., keepdim=True)")
    return tuple(dim) if isinstance(dim, list) else dim


def torch_pair_along_dim(where: str, input, axis, keepdims, dim, keepdim):
    """``ad.median(x, dim=1)``: PyTorch's form, the method's ``(values, indices)``."""
    from .ops.operands import tensor_of
    if axis is not None:
        raise TypeError(f"{where}: got both axis={axis!r} and dim={dim!r}; axis= is "
                        "NumPy's (the values), dim= PyTorch's ((values, indices)): pass one")
    if keepdims and keepdim is None:
        raise TypeError(f"{where}: keepdims= is NumPy's, dim= PyTorch's; with dim= pass "
                        "keepdim=")
    return getattr(tensor_of(input), where)(dim=dim, keepdim=bool(keepdim))


def axis_by_position(where: str, axis, positional: tuple):
    """``t.var(0)``: the axis given by position, which reads as NumPy's axis and as
    PyTorch's dim alike, or by NumPy's ``axis=`` keyword; ``(axis, rest of the
    positional arguments, whether the axis was NumPy's keyword)``.  A bool first is
    PyTorch's ``unbiased`` (``t.var(True)``), not an axis.

    >>> axis_by_position("var", None, (0, True))
    (0, (True,), False)
    """
    if not positional or isinstance(positional[0], (bool, np.bool_)):
        return axis, positional, axis is not None
    if axis is not None:
        raise TypeError(f"Tensor.{where}: got the axis both by position and as axis=; "
                        "pass it once")
    return positional[0], positional[1:], False


def warn_of_numpy_ddof(where: str, dim, ddof, correction, unbiased,
                       numpy_call: bool = False) -> None:
    """Warn, at the user's line, when ``var``/``std`` get none of ``ddof``/``correction``/
    ``unbiased`` and the call reads as PyTorch's (``t.std()``, ``t.var(0)``,
    ``t.var(dim=0)``; not ``numpy_call``, NumPy's own ``t.var(axis=0)`` or ``where=``):
    NumPy's default (divide by n) then gives another value than PyTorch's (n - 1)."""
    if numpy_call or ddof is not None or correction is not None or unbiased is not None:
        return
    from .tape_drop import user_frame, warn_at
    call = f"{where}(dim={dim!r})" if dim is not None else f"{where}()"
    warn_at(user_frame(), (
        f"{call} divides by n (NumPy's default, ddof=0, which {where} keeps here); "
        f"PyTorch's {where} divides by n - 1. Pass correction=1 (or unbiased=True, "
        f"ddof=1) for PyTorch's value, or ddof=0 (correction=0) to keep this one without "
        "this warning."), ConventionWarning)


def warn_if_unpacked_as_torch_pair(name: str, torch_form: str | None = None) -> None:
    """Warn, at the user's line, when the two values of ``max``/``min``/``median`` over
    an axis (NumPy's meaning: the values) are unpacked into two names, as PyTorch's
    ``_, predicted = torch.max(out, 1)`` unpacks its ``(values, indices)``: with a
    batch of two that runs, and gives the values of the second row, not indices.
    ``torch_form`` says how to write PyTorch's pair (default: ``max(x, dim=1)``)."""
    from .call_unpacking import unpacks_into
    from .tape_drop import called_function, user_frame, warn_at
    frame = user_frame()
    # (the user's line must be the call of max itself: not, say, a compiled step that
    # replays a max, whose two results the line unpacks)
    if (frame is not None and unpacks_into(frame, 2)
            and called_function(frame) in (name, "a" + name)):
        warn_at(frame, (
            f"{name}(x, axis) is NumPy's {name}: the values only, and this line unpacks its "
            f"two values into two names, as PyTorch's {name}(x, 1) unpacks (values, "
            f"indices). For PyTorch's pair write "
            f"{torch_form or f'{name}(x, dim=1) (or x.arg{name}(1) for the indices)'}."),
            ConventionWarning)


#: NumPy's reductions that PyTorch's namesakes return ``(values, indices)`` from, with
#: how to write PyTorch's pair here.
_TORCH_PAIRS = {
    "max": "ad.max(x, dim=1) or x.max(dim=1) (or x.argmax(1) for the indices)",
    "min": "ad.min(x, dim=1) or x.min(dim=1) (or x.argmin(1) for the indices)",
    "median": "x.median(dim=1) (PyTorch's lower median of an even count, with its "
              "indices)",
    "nanmedian": "x.nanmedian(dim=1)",
    "sort": "ad.sort(x, dim=-1) or x.sort(dim=-1)",
}


def refuse_unpacked_numpy_values(frame, length: int) -> None:
    """Raise, naming PyTorch's form, when ``frame`` unpacks into two names the values of
    NumPy's ``max``/``min``/``median``/``sort`` (``length`` of them, not two), as
    PyTorch's ``_, predicted = torch.max(out, 1)`` unpacks ``(values, indices)``: the
    unpacking would fail anyway, with Python's bare "too many values to unpack".  (Two
    values unpack without error: ``warn_if_unpacked_as_torch_pair`` warns then.)"""
    from .call_unpacking import unpacked_call
    name = unpacked_call(frame, 2)
    if name not in _TORCH_PAIRS:
        return
    raise TypeError(
        f"{name}(x, axis) here is NumPy's {name}: the values only ({length} of them along "
        f"the first dimension), and this line unpacks them into two names, as PyTorch's "
        f"{name} unpacks (values, indices). For PyTorch's pair write {_TORCH_PAIRS[name]}.")


def variance_in_torch_form(where: str):
    """``ad.var`` / ``ad.std`` given PyTorch's ``dim=``: the method, which also reads
    ``correction=`` and ``unbiased=`` (and warns when none of them is given)."""
    def call(input, *args, **kwargs):
        from .ops.operands import tensor_of
        return getattr(tensor_of(input), where)(*args, **kwargs)
    call.__name__ = where
    return call


#: PyTorch's ``dim=()`` (no dim named): every dim for its reductions (``sum``, ``mean``,
#: ``std``, ``nansum``, ``amax`` ...: NumPy's ``axis=None``), but no dim for these
#: (NumPy's ``axis=()``: ``all``/``any`` reduce nothing, ``squeeze`` removes nothing),
#: and a TypeError from those that take one dim.
_NO_DIM_IS_NONE = frozenset({"all", "any", "squeeze"})
_ONE_DIM_ONLY = frozenset({"prod", "argmax", "argmin", "argsort", "cumsum", "cumprod",
                           "max", "min", "softmax", "log_softmax"})


def empty_dims(where: str):
    """NumPy's axis for PyTorch's ``dim=()`` given to ``where``: None (every dim),
    ``()`` (none), or a TypeError where PyTorch takes one dim.

    >>> empty_dims("sum"), empty_dims("any")
    (None, ())
    """
    name = where.rsplit(".", 1)[-1]
    if name in _NO_DIM_IS_NONE:
        return ()
    if name in _ONE_DIM_ONLY:
        raise TypeError(f"{where}: dim=() (or []) names no dim, and PyTorch's {name} takes "
                        "one dim, an int, and raises for it; pass the dim (an int)")
    return None


def torch_empty_axis(where: str, axis, torch_call: bool):
    """``axis`` as the call means it: an empty axis given by position in a call that is
    PyTorch's (``t.sum((), True)``, ``ad.mean(t, [], keepdim=True)``, ``t.var((),
    True)``: keepdim, unbiased or correction given) is PyTorch's ``dim=()``
    (``empty_dims``), not NumPy's ``axis=()``, which reduces nothing.

    >>> torch_empty_axis("sum", (), True), torch_empty_axis("sum", (), False)
    (None, ())
    """
    if torch_call and type(axis) in (tuple, list) and not axis:
        return empty_dims(where)
    return axis


def method_axis(where: str, axis, positional: tuple, marked: bool = False):
    """A reduction method's axis, given by position or as NumPy's ``axis=``: ``(axis,
    the positional arguments after it)``.  An empty tuple or list by position
    (``t.sum(())``, ``t.std([])``) is PyTorch's ``dim=()`` (a Tensor method is
    PyTorch's spelling, as ``t.sum((), True)``): every dim for ``sum``, ``mean``, ``std``
    ..., where NumPy's ``a.sum(())`` reduces nothing.  Unless the call is ``marked`` as
    PyTorch's (a keepdim or unbiased after it, ``keepdim=``, ``correction=``), it warns
    at the user's line (``ConventionWarning``); ``axis=()`` keeps NumPy's reading.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     method_axis("sum", None, ((), True)), method_axis("sum", (), ())
    ((None, (True,)), ((), ()))
    """
    if not positional:
        return axis, positional
    if axis is not None:
        raise TypeError(f"Tensor.{where}: got the axis both by position and as axis=; "
                        "pass it once")
    first, rest = positional[0], positional[1:]
    if type(first) not in (tuple, list) or first:
        return first, rest
    dims = empty_dims(where)
    if not marked and not rest and dims is None:
        from .tape_drop import user_frame, warn_at
        warn_at(user_frame(), (
            f"Tensor.{where}({first!r}) reduces every dim, as PyTorch's t.{where}({first!r}) "
            "(dim=() names no dim; a Tensor method is PyTorch's spelling); NumPy's reading, "
            f"axis={first!r}, reduces none. Call t.{where}() for every dim, or pass "
            f"axis={first!r} to reduce none, without this warning."), ConventionWarning)
    return dims, rest


#: What NumPy's ndarray method reads as the argument after the axis (scipy's
#: logsumexp: the weights b).
_NUMPY_SECOND = {"sum": "dtype", "mean": "dtype", "prod": "dtype", "var": "dtype",
                 "std": "dtype", "max": "out", "min": "out", "argmax": "out", "any": "out",
                 "all": "out", "argmin": "out", "logsumexp": "b (scipy)"}


def refuse_positional(where: str, extra: tuple, method: bool = True) -> None:
    """Refuse arguments after the axis passed by position to a reduction method
    (``method=False``: to the function, ``ad.var(x, 1, True)``, whose error the op's
    call path prefixes with its name).

    NumPy reads the next one as ``dtype`` or ``out``, PyTorch as ``keepdim`` (as
    ``unbiased`` for var and std): no reading honours both, so they go by keyword.

    >>> refuse_positional("sum", ())
    """
    if not extra:
        return
    spread = where in ("var", "std")
    raise TypeError(
        f"{f'Tensor.{where}: ' if method else ''}takes the axis as its only positional "
        f"argument{'' if method else ' after the tensor'}, got "
        f"{', '.join(repr(e) for e in extra)} after it. NumPy reads the next one as "
        f"{_NUMPY_SECOND[where]}, PyTorch as {'unbiased' if spread else 'keepdim'}; "
        f"pass {'keepdims= and ddof=' if spread else 'keepdims='} by keyword")


def warn_of_numpy_split(pieces, dim: int, size: int, by_position: bool = False) -> None:
    """``ad.split(x, pieces, dim=)``: NumPy's ``np.split`` (``pieces`` equal parts, or cut
    points) in PyTorch's spelling, where ``torch.split`` reads the same argument as a
    piece size (or a list of sizes).  Where the two readings cut the dim of ``size``
    otherwise, warn at the user's line, naming both spellings.  ``by_position``: the
    dim was the third argument, ``ad.split(x, pieces, dim)``, which is both
    ``np.split``'s signature and ``torch.split``'s.  When the user's line unpacks the
    pieces into as many names as PyTorch's reading gives and NumPy's gives another
    count (``i, o, u = ad.split(iou, h, dim=1)``), it raises instead: the unpacking
    would fail with Python's bare "too many values to unpack".

    >>> warn_of_numpy_split(3, 1, 9)        # three pieces of 3 either way: silent
    """
    if isinstance(pieces, (int, np.integer)) and size == int(pieces) ** 2:
        return
    if isinstance(pieces, (int, np.integer)):
        numpy_reading = f"{pieces} equal pieces"
        torch_reading = f"pieces of size {pieces}"
        counts = int(pieces), -(-size // int(pieces)) if pieces > 0 else 0
    else:
        numpy_reading = f"pieces cut at the indices {list(pieces)}"
        torch_reading = f"pieces of the sizes {list(pieces)}"
        counts = len(pieces) + 1, len(pieces)
    from .call_unpacking import unpacks_into
    from .tape_drop import user_frame, warn_at
    spelled = f"split(x, {pieces!r}, {'' if by_position else 'dim='}{dim})"
    message = (f"ad.{spelled} is NumPy's np.split here: {numpy_reading} of "
               f"the dim of size {size}, where torch.{spelled} makes "
               f"{torch_reading}; for PyTorch's meaning write x.split({pieces!r}, "
               f"dim={dim}), for NumPy's axis={dim}")
    frame = user_frame()
    numpy_count, torch_count = counts
    if (frame is not None and numpy_count != torch_count and torch_count > 0
            and unpacks_into(frame, torch_count)):
        raise TypeError(f"{message}. This line unpacks {torch_count} names, PyTorch's "
                        f"count, from NumPy's {numpy_count} pieces.")
    warn_at(frame, f"{message} (no warning).", ConventionWarning)


def warn_of_numpy_put() -> None:
    """``t.put(index, source)`` with Tensors for both, as PyTorch code writes it: NumPy's
    ``ndarray.put`` here (in place, None), where PyTorch's returns a new tensor and
    leaves ``t`` unchanged; warn at the user's line, naming both spellings."""
    from .tape_drop import user_frame, warn_at
    warn_at(user_frame(), (
        "t.put(index, source) is NumPy's ndarray.put here: it writes into t and returns "
        "None, where PyTorch's t.put returns a new tensor and leaves t unchanged. For "
        "PyTorch's write t.put(index, source, accumulate=False); for NumPy's in-place "
        "write, np.put(t, index, source) or t.put_(index, source) (no warning)."),
        ConventionWarning)
