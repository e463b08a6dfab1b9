"""``ad.<name>`` for the NumPy functions that run on Tensors but that no module of the
library defines under their own name: ``ad.argmax(x, axis=1)`` is ``np.argmax(x,
axis=1)`` with ``x`` a Tensor, and the same call with an array, a list or a number
gives what it gives with that value as a Tensor.  A list that holds Tensors, where
NumPy takes one array, is one recorded Tensor (``ad.array``), as for the library's
own functions (``ad.mean([x, y])``).

The names are read from the dispatch tables (``ops/numpy_dispatch.py``) when the
package is imported, so a NumPy function that gets a rule later appears as
``ad.<name>`` (or ``ad.linalg.<name>``) by itself.  Each function goes the way
NumPy's own call on a Tensor goes (``interop.py``): the same op, the same checks of
NumPy's keyword arguments, the same result types.  Names already defined by the
library keep their definition.

>>> ad.argmax(ad.tensor([[1.0, 3.0], [4.0, 2.0]]), axis=1)
tensor([1, 0])
>>> ad.argmax([1.0, 3.0, 2.0])
np.int64(1)
"""

from __future__ import annotations

import sys
from typing import Callable

import numpy as np

#: NumPy's names that are deliberately not defined in ``ad``, with the reason.
EXCLUDED = {
    "array2string": "formats values as text rather than computing an array: use "
                    "str(t) / repr(t), or np.array2string(t)",
    "array_repr": "formats values as text rather than computing an array: use repr(t)",
    "array_str": "formats values as text rather than computing an array: use str(t)",
    "savetxt": "writes a file in NumPy's formats rather than computing an array: "
               "np.savetxt(path, t) writes a Tensor's values (ad.save keeps the library's)",
    "savez": "writes a file in NumPy's formats rather than computing an array: "
             "np.savez(path, t) writes a Tensor's values",
    "savez_compressed": "writes a file in NumPy's formats rather than computing an array: "
                        "np.savez_compressed(path, t) writes a Tensor's values",
}

#: NumPy functions whose first argument is a sequence of arrays, each one on its own
#: (the others take one array, so a list that holds Tensors is one Tensor, ``ad.array``).
TAKES_A_SEQUENCE = frozenset({"concat", "block", "lexsort", "histogramdd"})

#: NumPy reductions whose PyTorch function of the same name means the same thing, so
#: that PyTorch's ``dim=``/``keepdim=`` can be taken as ``axis=``/``keepdims=``.
DIM_ALIASED = frozenset({"all", "any", "amax", "amin", "argmax", "argmin", "count_nonzero"})
#: Of those functions, the ones whose ``axis=`` (and no keepdims) PyTorch's namesake
#: calls ``dim=`` (``torch.concat``, ``torch.linalg.cross``).
DIM_IS_AXIS = frozenset({"concat", "cross"})


def dispatched_names(namespace: dict, numpy_module) -> dict[str, Callable]:
    """The names in ``numpy_module`` of functions and ufuncs that run on Tensors and that
    ``namespace`` does not define (the excluded ones left out), with their callables.

    >>> sorted(dispatched_names({}, np.linalg))[:3]
    ['cholesky', 'cond', 'cross']
    """
    from .ops.numpy_dispatch import NUMPY_FUNCTIONS, NUMPY_UFUNCS
    dispatched = {id(f) for f in NUMPY_FUNCTIONS} | {id(f) for f in NUMPY_UFUNCS}
    # vars(), not dir()/getattr(): NumPy loads some submodules (numpy.random) on access.
    return {name: value for name, value in vars(numpy_module).items()
            if id(value) in dispatched and not name.startswith("_")
            and name not in namespace and name not in EXCLUDED}


def add_numpy_functions(namespace: dict, numpy_module_name: str) -> list[str]:
    """Define in ``namespace`` (a module's ``vars()``) a function for each NumPy
    function of ``numpy_module_name`` that runs on Tensors and is not defined there yet;
    returns the names added (they join the module's ``__all__`` when it has one)."""
    numpy_module = sys.modules[numpy_module_name]
    prefix = {"numpy": "ad", "numpy.linalg": "ad.linalg"}.get(numpy_module_name,
                                                             numpy_module_name)
    added = dispatched_names(namespace, numpy_module)
    for name, numpy_function in added.items():
        namespace[name] = numpy_function_for(f"{prefix}.{name}", numpy_function,
                                             f"{numpy_module_name}.{name}",
                                             module=namespace.get("__name__"))
    if isinstance(namespace.get("__all__"), list):
        namespace["__all__"].extend(sorted(added))
    return sorted(added)


def numpy_function_for(public_name: str, numpy_function: Callable, numpy_name: str,
                       module: str | None = None) -> Callable:
    """A function that calls ``numpy_function`` as NumPy calls it on Tensors.

    >>> absolute = numpy_function_for("absolute", np.absolute, "numpy.absolute")
    >>> absolute([-1.0, 2.0])
    tensor([1., 2.])
    """
    from . import interop
    from .conventions import keepdim_by_position, torch_empty_axis
    from .ops.numpy_dispatch import NO_GRADIENT_FUNCTIONS
    from .ops.operands import SEQUENCES, from_nested, holds_tensor
    short_name = public_name.rsplit(".", 1)[-1]
    if isinstance(numpy_function, np.ufunc):
        def function(*inputs, **kwargs):
            if len(inputs) != numpy_function.nin:
                extra = ("; an output array cannot be passed (the result is a new Tensor)"
                         if len(inputs) > numpy_function.nin else "")
                raise TypeError(f"{public_name} takes {numpy_function.nin} input(s), as "
                                f"{numpy_name}, got {len(inputs)}{extra}")
            if "out" in kwargs and not isinstance(kwargs["out"], tuple):
                kwargs["out"] = (kwargs["out"],)
            inputs = [from_nested(x) if type(x) in SEQUENCES and holds_tensor(x) else x
                      for x in inputs]
            return interop.array_ufunc(numpy_function, "__call__", *inputs, **kwargs)
        recorded = True
    else:
        one_array_first = short_name not in TAKES_A_SEQUENCE

        def function(*args, **kwargs):
            if (short_name in DIM_ALIASED and len(args) == 3
                    and isinstance(args[2], (bool, np.bool_))):
                if short_name == "count_nonzero":   # (PyTorch's takes no keepdim either)
                    raise TypeError(
                        f"{public_name}(x, axis, {args[2]!r}): NumPy's keepdims is "
                        "keyword-only; pass keepdims= (or keepdim=) by name")
                # PyTorch's (input, dim, keepdim), where NumPy's out= is never a bool
                out, keepdims = keepdim_by_position(public_name, args[2],
                                                    kwargs.pop("keepdims", False), "out")
                axis = torch_empty_axis(public_name, args[1], True)   # dim=() too
                args, kwargs = (args[0], axis), dict(kwargs, keepdims=keepdims)
            if "dim" in kwargs or "keepdim" in kwargs:
                args, kwargs = _axis_from_dim(public_name, short_name, numpy_name, args,
                                              kwargs)
            if one_array_first and args and type(args[0]) in SEQUENCES and holds_tensor(args[0]):
                args = (from_nested(args[0]),) + args[1:]      # ad.nanstd([x, y])
            return interop.array_function(numpy_function, args, kwargs)
        recorded = numpy_function not in NO_GRADIENT_FUNCTIONS
    function.__name__ = function.__qualname__ = short_name
    function.__module__ = module or __name__
    function.__wrapped__ = numpy_function       # help() and inspect show NumPy's signature
    function.__doc__ = _doc(public_name, numpy_function, numpy_name, recorded)
    return function


def _axis_from_dim(public_name, short_name, numpy_name, args, kwargs):
    """``(args, kwargs)`` with PyTorch's ``dim=``/``keepdim=`` read as ``axis=``/
    ``keepdims=``, a positional axis (``ad.amax(x, 0, keepdim=True)``) included."""
    if short_name in DIM_IS_AXIS and "keepdim" not in kwargs:
        from .argument_aliases import renamed_argument
        kwargs = dict(kwargs)
        kwargs["axis"] = renamed_argument(public_name, "axis", kwargs.pop("axis", None),
                                          None, "dim", kwargs.pop("dim"))
        return args, kwargs
    if short_name not in DIM_ALIASED:
        raise dim_refusal(public_name, numpy_name, kwargs)
    from .argument_aliases import axis_alias
    kwargs = dict(kwargs)
    if len(args) > 1:           # each of DIM_ALIASED takes its axis second
        if "axis" in kwargs:
            raise TypeError(f"{public_name}: got the axis both by position and as axis=")
        args, kwargs["axis"] = (args[0],) + tuple(args[2:]), args[1]
    axis, keepdims = axis_alias(public_name, kwargs.pop("axis", None),
                                kwargs.pop("keepdims", False),
                                kwargs.pop("dim", None), kwargs.pop("keepdim", None))
    return args, dict(kwargs, axis=axis, keepdims=keepdims)


def dim_refusal(public_name: str, numpy_name: str | None, kwargs) -> TypeError:
    """The error for PyTorch's ``dim=``/``keepdim=`` given to a function that takes
    NumPy's ``axis=``/``keepdims=`` only (``ad.nanmax(x, dim=1)``)."""
    given = sorted(k for k in kwargs if k in ("dim", "keepdim"))
    if numpy_name is None:
        return TypeError(f"{public_name} takes axis=, not dim=/keepdim= (got {given}); "
                         "pass axis=")
    return TypeError(f"{public_name} is {numpy_name}, which takes NumPy's axis=/keepdims=, "
                     f"not PyTorch's dim=/keepdim= (got {given}); pass axis= (and "
                     "keepdims=) with NumPy's meaning")


#: The library's own functions that take NumPy's ``axis=`` and no ``dim=``, with no
#: PyTorch namesake of that meaning: ``dim=`` is refused by name, not by Python's bare
#: "unexpected keyword argument".
AXIS_ONLY = ("append", "array_split", "average", "compress", "cumulative_sum", "logspace",
             "nanmax", "nanmin", "nanpercentile", "partition", "percentile", "ptp",
             "put_along_axis", "repeat", "rollaxis", "segment_reduce", "sliding_window_view",
             "take", "take_along_axis", "unstack")


def refuse_dim_keywords(namespace: dict, names=AXIS_ONLY) -> None:
    """Replace each of ``names`` in ``namespace`` by a function that refuses ``dim=``/
    ``keepdim=`` naming ``axis=`` and otherwise calls it unchanged."""
    import functools

    from .ops.operands import ARGUMENT_CHECKS
    for name in names:
        function = namespace[name]
        numpy_name = f"numpy.{name}" if hasattr(np, name) else None

        def refusing(*args, _function=function, _name=f"ad.{name}", _numpy=numpy_name,
                     **kwargs):
            if "dim" in kwargs or "keepdim" in kwargs:
                raise dim_refusal(_name, _numpy, kwargs)
            return _function(*args, **kwargs)
        namespace[name] = functools.wraps(function)(refusing)
        ARGUMENT_CHECKS.add(refusing.__code__)     # (errors name the function it wraps)


def _doc(public_name, numpy_function, numpy_name, recorded):
    gradient = ("Recorded on the tape: a float result carries gradients." if recorded
                else "Computed on the values: no gradient.")
    return (f"{numpy_name} on Tensors: {_summary(numpy_function)}\n\n"
            f"{gradient}  ``{public_name}(x, ...)`` is ``{numpy_name}(x, ...)`` with ``x``\n"
            "a Tensor; arrays, lists and numbers are taken as Tensors would be.\n"
            f"NumPy's documentation: ``help({numpy_name})``.\n")


def _summary(numpy_function) -> str:
    """The first paragraph of a NumPy docstring, after the signature that the docstrings
    of ufuncs and of functions written in C start with."""
    paragraphs = (numpy_function.__doc__ or "").lstrip().split("\n\n", 2)
    if len(paragraphs) > 1 and paragraphs[0].startswith(f"{numpy_function.__name__}("):
        paragraphs = paragraphs[1:]
    return " ".join(line.strip() for line in paragraphs[0].splitlines())
