"""The keys of a state loaded into a model: which are missing, which are unexpected.

``load_state_dict`` and ``load_torch_state_dict`` take ``strict=`` as PyTorch's do:
strict (the default) refuses a state whose keys differ from the model's, naming them;
``strict=False`` loads the keys both have and returns the others, as PyTorch's
``(missing_keys, unexpected_keys)``.  Shapes must match either way.
"""

from __future__ import annotations

from typing import NamedTuple


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the model's keys the state lacked, and the
    state's keys the model has no array for (both empty when every key matched).

    >>> IncompatibleKeys([], ["extra.weight"])
    IncompatibleKeys(missing_keys=[], unexpected_keys=['extra.weight'])
    """

    missing_keys: list
    unexpected_keys: list


def compared_keys(where, expected, given, advice, strict=True) -> IncompatibleKeys:
    """The missing and unexpected keys of ``given`` against ``expected``; with
    ``strict`` a ``KeyError`` names them unless there are none.

    >>> compared_keys("load", ["w", "b"], ["w"], "", strict=False)
    IncompatibleKeys(missing_keys=['b'], unexpected_keys=[])
    """
    if not isinstance(strict, bool):
        raise TypeError(f"{where}: strict must be True or False, got {strict!r}")
    expected_set = set(expected)
    given = set(given)
    missing = [k for k in expected if k not in given]
    unexpected = sorted(k for k in given if k not in expected_set)
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing keys {missing}")
        if unexpected:
            parts.append(f"unexpected keys {unexpected}")
        raise KeyError(f"{where}: {' and '.join(parts)}; this model expects exactly "
                       f"{list(expected)}. {advice} (strict=False loads the keys both "
                       "have and returns the others.)")
    return IncompatibleKeys(missing, unexpected)
