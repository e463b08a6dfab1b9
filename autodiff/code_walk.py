"""The code objects written inside a function's code (its lambdas, comprehensions and
inner functions), walked without recursion: what every reader of a function's
bytecode needs, so that a name loaded in a nested lambda counts as loaded."""

from __future__ import annotations

import types
from typing import Iterator


def nested_code(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code``, then each code object written inside it, at any depth.

    >>> def outer():
    ...     return lambda: (lambda: 0)
    >>> [c.co_name for c in nested_code(outer.__code__)]
    ['outer', '<lambda>', '<lambda>']
    """
    todo = [code]
    while todo:
        current = todo.pop()
        todo += [c for c in current.co_consts if isinstance(c, types.CodeType)]
        yield current
