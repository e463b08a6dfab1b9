"""Which values a forward may read as a setting of a module, a container or a function
it reaches: a number (Python's or NumPy's), a string, None, or a tuple of them
(``Dropout.p``, ``kernel_size``)."""

from __future__ import annotations

import numpy as np

_SETTING_TYPES = (bool, int, float, complex, str, type(None))


def is_setting(value) -> bool:
    """A module attribute that a forward may read as a setting: a number (Python's or
    NumPy's), string, None or a tuple of them (``Dropout.p``, ``kernel_size``)."""
    if type(value) is tuple:
        return all(is_setting(v) for v in value)
    return type(value) in _SETTING_TYPES or isinstance(value, np.generic)
