"""One fused group as Python source for one Numba loop, cached on disk by its hash.

The source of a group's kernel is a loop over the flat elements of its arrays: each
expression node becomes one statement on scalars, so intermediate values stay in
registers, and the group's outputs are stored once.  ``exp`` and ``tanh`` use the
vectorizable exp / expm1 of ``autodiff.kernels.jit`` (``loopmath.py``; a loop that
calls libm's ``exp`` does not vectorize); every operand is cast to the dtypes NumPy's
ufunc loop would use (``resolve_dtypes``), so float32 stays float32 and Python
scalars are as weak as in NumPy.  No fastmath: the arithmetic rounds like NumPy's,
and only the transcendental functions differ from it, by a few ulp.

The file is named by a hash of its source, in ``$AUTODIFF_CACHE_DIR`` (default
``~/.cache/autodiff/kernels``, or a temporary directory when that cannot be
written), and imported as a module, so ``numba.njit(cache=True)`` keeps the machine
code for the next process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile

import numpy as np

_BINARY = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
           np.greater: ">", np.greater_equal: ">=", np.less: "<", np.less_equal: "<=",
           np.equal: "==", np.not_equal: "!=", np.bitwise_and: "&", np.bitwise_or: "|",
           np.logical_and: "&", np.logical_or: "|", np.power: "**"}
#: ufuncs Numba evaluates on scalars as NumPy does (called as ``np.<name>(...)``).
_NUMBA_CALLS = (np.maximum, np.minimum, np.fmax, np.fmin, np.sin, np.cos, np.tan,
                np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.arcsinh, np.arctanh,
                np.log, np.log1p, np.log2, np.log10, np.sqrt, np.floor, np.ceil, np.trunc,
                np.rint, np.sign, np.arctan2, np.hypot, np.logaddexp, np.copysign, np.cbrt)
_UNARY = {np.negative: "-{0}", np.positive: "{0}", np.absolute: "abs({0})",
          np.square: "{0} * {0}", np.exp: "exp{bits}({0})", np.expm1: "expm1_{bits}({0})",
          np.logical_not: "not {0}", np.invert: "not {0}"}

#: The ufuncs a fused loop can compute (the symbolic run refuses the others).
SCALAR_UFUNCS = frozenset(_BINARY) | frozenset(_NUMBA_CALLS) | frozenset(_UNARY) | {
    np.tanh, np.reciprocal}


def cache_dir() -> str:
    """Where generated kernels are kept: ``$AUTODIFF_CACHE_DIR``, else
    ``~/.cache/autodiff/kernels``, else a temporary directory (created if missing).

    >>> os.path.isdir(cache_dir())
    True
    """
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    candidates = [os.environ.get("AUTODIFF_CACHE_DIR"),
                  os.path.join(os.path.expanduser("~"), ".cache", "autodiff", "kernels"),
                  os.path.join(tempfile.gettempdir(), f"autodiff-kernels-{user}")]
    for path in candidates:
        if not path:
            continue
        try:
            os.makedirs(path, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK | os.X_OK):
            return path
    raise OSError("autodiff: no writable directory for compiled kernels; set "
                  "AUTODIFF_CACHE_DIR to one")


def _literal(value, dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return repr(bool(value))
    text = repr(float(value))
    if "inf" in text or "nan" in text:
        return f"np.{dtype.name}(float('{text}'))"
    return f"np.{dtype.name}({text})"


def kernel_source(expr, outputs, input_slots) -> str:
    """The module source of the loop computing ``outputs`` (node indices) of ``expr``
    from the arrays of ``input_slots``, in that order."""
    nodes = expr.nodes
    n_in = len(input_slots)
    returned = list(outputs)
    outputs = list(dict.fromkeys(outputs))      # slots of one value share its array
    params = [f"a{j}" for j in range(n_in)] + [f"o{j}" for j in range(len(outputs))]
    head = [f"    f{j} = a{j}.ravel()" for j in range(n_in)]
    head += [f"    g{j} = o{j}.ravel()" for j in range(len(outputs))]
    body: list[str] = []
    name: dict = {}
    position = {slot: j for j, slot in enumerate(input_slots)}
    for k in _needed(expr, outputs):
        node = nodes[k]
        kind = node.kind
        if kind == "input":
            j = position[node.value]
            if _size(node.shape) == 1:
                head.append(f"    x{k} = f{j}[0]")
            else:
                body.append(f"x{k} = f{j}[i]")
            name[k] = f"x{k}"
            continue
        if kind == "view":
            name[k] = name[node.args[0]]
            continue
        if kind == "const":
            name[k] = _literal(node.value, node.dtype if node.dtype is not None
                               else np.result_type(node.value))
            continue
        args = [_operand(nodes, name, a, dtype) for a, dtype in zip(node.args, node.loop)]
        if kind == "where":
            text = f"{args[1]} if {args[0]} else {args[2]}"
        elif kind == "cast":
            text = _cast(name[node.args[0]], nodes[node.args[0]].dtype, node.dtype)
        else:
            text = _ufunc_text(node, args, body, k)
        body.append(f"x{k} = {text}")
        name[k] = f"x{k}"
    for j, k in enumerate(outputs):
        body.append(f"g{j}[i] = {_cast(name[k], nodes[k].dtype, nodes[k].dtype)}")
    size = _size(nodes[outputs[0]].shape)
    lines = ["import math", "import numba", "import numpy as np",
             "from autodiff.compile.loopmath import exp32, exp64, expm1_32, expm1_64", "",
             "", '@numba.njit(cache=True, error_model="numpy")',
             f"def kernel({', '.join(params)}):", *head,
             f"    for i in range({size}):", *("        " + b for b in body), ""]
    lines += ["", f"def run({', '.join(params[:n_in])}):"]
    for j, k in enumerate(outputs):
        lines.append(f"    o{j} = np.empty({nodes[k].shape!r}, np.{nodes[k].dtype.name})")
    for j, slot in enumerate(input_slots):     # a 0-d value may arrive as a NumPy scalar
        if not nodes[expr.inputs[slot]].shape:
            lines.append(f"    a{j} = np.asarray(a{j})")
    lines.append(f"    kernel({', '.join(params)})")
    lines.append(f"    return ({''.join(f'o{outputs.index(k)}, ' for k in returned)})")
    return "\n".join(lines) + "\n"


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _needed(expr, outputs) -> list:
    seen = set()
    stack = list(outputs)
    while stack:
        k = stack.pop()
        if k not in seen:
            seen.add(k)
            stack.extend(expr.nodes[k].args)
    return sorted(seen)


def _cast(text, have, want) -> str:
    if have is None or np.dtype(have) == np.dtype(want):
        return text
    want = np.dtype(want)
    if want.kind == "b":
        return f"({text} != 0)"
    return f"np.{want.name}({text})"


def _operand(nodes, name, index, dtype) -> str:
    node = nodes[index]
    if node.kind == "const":
        return _literal(node.value, dtype)
    return _cast(name[index], node.dtype, dtype)


def _ufunc_text(node, args, body, k) -> str:
    ufunc = node.fn
    dtype = node.loop[-1]
    if ufunc in _BINARY:
        if ufunc is np.power and args[1] == _literal(2, dtype):
            return f"{args[0]} * {args[0]}"
        return f"({args[0]} {_BINARY[ufunc]} {args[1]})"
    if ufunc in _UNARY:
        return "(" + _UNARY[ufunc].format(*args, bits=dtype.itemsize * 8) + ")"
    if ufunc is np.reciprocal:
        return f"({_literal(1, dtype)} / {args[0]})"
    if ufunc is np.tanh:   # tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|), via expm1
        two = _literal(2, dtype)
        body.append(f"m{k} = expm1_{dtype.itemsize * 8}(-{two} * abs({args[0]}))")
        return f"math.copysign(-m{k} / ({two} + m{k}), {args[0]})"
    return f"np.{ufunc.__name__}({', '.join(args)})"


_loaded: dict = {}


def load(source: str):
    """Import the module of ``source`` from the cache directory (writing it first)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    module = _loaded.get(digest)
    if module is not None:
        return module
    directory = cache_dir()
    path = os.path.join(directory, f"fused_{digest}.py")
    if not os.path.exists(path):
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as f:
            f.write(source)
        os.replace(temporary, path)     # atomic: another process may race us
    name = f"autodiff_fused_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded[digest] = module
    return module
