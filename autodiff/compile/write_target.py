"""The array a line of the user's code writes into, read from the line itself.

When NumPy refuses a write into an array held read-only while tracing
(``readonly.py``), the line may also read other held arrays (``a[...] = x.data * 2``
reads ``x.data`` and writes ``a``): the refusal names the written one.  The raising
instruction's position in the source gives the written expression: the target of
``a[k] = v`` (a store), the statement of ``a += v`` (an in-place operator), or a call
that writes into an argument (``np.copyto(dst, v)``, ``out=dst``, ``c.fill(v)``).  The
expression is looked up without running the user's code: names, item ``k`` of a
list, tuple or dict with a literal key, an attribute in an object's ``__dict__`` (or a
module's buffers and parameters), and a tensor's ``.data`` or ``.grad``.
"""

from __future__ import annotations

import ast
import dis
import linecache

from ..tensor import Tensor

#: Functions and methods that write into their first argument, or into the object
#: they are called on (``c.fill(v)``).
_WRITES_FIRST_ARGUMENT = {"copyto", "put", "place", "putmask", "fill_diagonal",
                          "put_along_axis"}
_WRITES_ITSELF = {"fill", "sort", "partition", "put", "itemset", "resize", "setfield",
                  "byteswap"}
_NOT_FOUND = object()


def written_value(frame, lasti):
    """The object the instruction at ``lasti`` of ``frame`` writes into (an array, or
    a tensor for ``t.data[...] = v``: its ``.data``), or None when the line does not
    tell: the array ``a`` for ``a[...] = x.data * 2`` or ``a += x.data``, the tensor
    ``w`` for ``w.data[0] = 1.0`` (through its ``.data``), ``buf`` for
    ``np.copyto(buf, v)``, ``np.add(p, q, out=buf)`` or ``buf.fill(0.0)``.
    """
    expression = _written_expression(frame.f_code, lasti)
    if expression is None:
        return None
    value = _look_up(expression, frame)
    return None if value is _NOT_FOUND else value


def _written_expression(code, lasti):
    """The expression naming what the instruction at ``lasti`` writes into."""
    instruction = _instruction_at(code, lasti)
    position = getattr(instruction, "positions", None)     # (Python 3.11+)
    if position is None:
        return None
    if None in (position.lineno, position.end_lineno, position.col_offset,
                position.end_col_offset):
        return None
    tree = _parse(code.co_filename, position)
    if tree is None:
        return None
    if isinstance(tree, ast.AugAssign):         # a += v, a[k] += v
        return _strip_items(tree.target)
    if isinstance(tree, ast.Subscript):         # the target of a[k] = v
        return _strip_items(tree.value)
    if isinstance(tree, ast.Call):
        for keyword in tree.keywords:
            if keyword.arg == "out":
                out = keyword.value
                if isinstance(out, ast.Tuple) and len(out.elts) == 1:
                    out = out.elts[0]
                return None if isinstance(out, ast.Tuple) else _strip_items(out)
        function = tree.func
        name = getattr(function, "attr", getattr(function, "id", None))
        if name in _WRITES_FIRST_ARGUMENT and tree.args:
            return _strip_items(tree.args[0])
        if isinstance(function, ast.Attribute) and name in _WRITES_ITSELF:
            return _strip_items(function.value)
    return None


def _instruction_at(code, lasti):
    for instruction in dis.get_instructions(code):
        if instruction.offset == lasti:
            return instruction
    return None


def _parse(filename, position):
    """The expression or statement the source spans at ``position``, parsed."""
    lines = linecache.getlines(filename)
    if position.end_lineno > len(lines):
        return None
    span = lines[position.lineno - 1:position.end_lineno]
    # (offsets count UTF-8 bytes)
    encoded = [line.encode() for line in span]
    if len(encoded) == 1:
        encoded[0] = encoded[0][position.col_offset:position.end_col_offset]
    else:
        encoded[0] = encoded[0][position.col_offset:]
        encoded[-1] = encoded[-1][:position.end_col_offset]
    text = b"".join(encoded).decode(errors="replace")
    for source in (text, "(" + text + ")"):     # (an expression over several lines)
        try:
            body = ast.parse(source).body
            break
        except SyntaxError:
            continue
    else:
        return None
    if len(body) != 1:
        return None
    statement = body[0]
    return statement.value if isinstance(statement, ast.Expr) else statement


def _strip_items(expression):
    """``a`` for ``a[i][j]``: the indexed array, not its items (a view of it)."""
    while isinstance(expression, ast.Subscript):
        expression = expression.value
    return expression


def _look_up(expression, frame):
    """The value of ``expression`` in ``frame``, found without running its code; else
    ``_NOT_FOUND``."""
    if isinstance(expression, ast.Name):
        for scope in (frame.f_locals, frame.f_globals, frame.f_builtins):
            if expression.id in scope:
                return scope[expression.id]
        return _NOT_FOUND
    if isinstance(expression, ast.Subscript) and isinstance(expression.slice, ast.Constant):
        container = _look_up(expression.value, frame)
        if isinstance(container, (list, tuple, dict)):
            try:
                return container[expression.slice.value]
            except (IndexError, KeyError, TypeError):
                return _NOT_FOUND
        return _NOT_FOUND
    if isinstance(expression, ast.Attribute):
        owner = _look_up(expression.value, frame)
        return _NOT_FOUND if owner is _NOT_FOUND else _attribute(owner, expression.attr)
    return _NOT_FOUND


def _attribute(owner, name):
    if isinstance(owner, Tensor) and name in ("data", "grad"):
        return getattr(owner, name)     # (read from the library: no hold is added)
    attributes = getattr(owner, "__dict__", None)
    if not isinstance(attributes, dict):
        return _NOT_FOUND
    if name in attributes:
        return attributes[name]
    for store in ("_buffers", "_parameters", "_modules"):   # a module's
        found = attributes.get(store)
        if isinstance(found, dict) and name in found:
            return found[name]
    return _NOT_FOUND
