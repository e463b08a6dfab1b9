"""``detect_anomaly`` inside ``ad.vmap``: the examples of a mapped function run on plain
arrays, which record no ops for the forward check to see.  An example that returns
NaN from NaN-free inputs is run again on Tensors that require grad, so that the check
names the op and the line as it does outside ``vmap``; if that records nothing either,
the error says which example and how to look.
"""

from __future__ import annotations

import numpy as np

from .anomaly import AnomalyError, has_nan
from .pytrees import flatten
from .tensor import Tensor, tensor


def _has_nan(tree) -> bool:
    return any(has_nan(leaf) for leaf in flatten(tree)[0])


def _watched(argument):
    """``argument`` as a Tensor that requires grad, whose ops the forward check sees:
    a float array, or a Tensor that does not require grad (a slice of ``ad.tensor(x)``
    mapped over); anything else as it is."""
    value = (argument.data if isinstance(argument, Tensor) and not argument.requires_grad
             else argument)
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc":
        return tensor(value, requires_grad=True)
    return argument


def check_mapped_example(name: str, call, example: list, result, index: int) -> None:
    """Raise ``AnomalyError`` if ``result`` (``call(example)``) holds NaN that the
    NaN-free ``example`` did not: the forward check's report from a run of the example
    on Tensors, or, when that run records no op that made it, this example's."""
    if not _has_nan(result) or _has_nan(example):
        return
    watched = [_watched(a) for a in example]
    if any(w is not a for w, a in zip(watched, example)):
        try:
            call(watched)                   # the forward check raises, naming the op
        except AnomalyError as error:
            raise in_example(error, name, index) from None
    raise AnomalyError(
        f"{name}: example {index} returned NaN from inputs without NaN. No recorded op "
        "made it, so detect_anomaly cannot name the op: the function ran on values it "
        "computed without recording (plain NumPy on .data, or under no_grad). Run the "
        f"function on that example alone, as a Tensor that requires grad (x[{index}] as "
        "ad.tensor(..., requires_grad=True)), inside detect_anomaly.")


def in_example(error: AnomalyError, name: str, index: int) -> AnomalyError:
    """``error``, a report raised inside the mapped function, saying which example of
    the batch it came from (a line per ``vmap``, innermost first)."""
    return AnomalyError(f"{error}\n  in example {index} of {name}'s batch: run the function "
                        f"on that example alone to look closer (x[{index}])")
