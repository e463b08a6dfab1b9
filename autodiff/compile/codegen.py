"""One fused group as Python source for one Numba loop, cached on disk by its hash.

The source of a group's kernel is a loop nest over its rows and the elements of a
row (``layout.py`` says which element of each array belongs to each loop point):
each expression node becomes one statement on scalars, so intermediate values stay
in registers, and the group's outputs are stored once.  A row reduction gets an
inner loop of its own before the row's last loop (its elements are computed again
there rather than stored); a sum goes through a row-long scratch array and
``pairwise_sum``, NumPy's own summation order.  ``exp`` and ``tanh`` use the
vectorizable exp / expm1 of ``autodiff.kernels.jit`` (``loopmath.py``; a loop that
calls libm's ``exp`` does not vectorize); every operand is cast to the dtypes NumPy's
ufunc loop would use (``resolve_dtypes``), so float32 stays float32 and Python
scalars are as weak as in NumPy.  No fastmath: the arithmetic rounds like NumPy's,
and only the transcendental functions differ from it, by a few ulp.

The file is named by a hash of its source, in ``$AUTODIFF_CACHE_DIR`` (default
``~/.cache/autodiff/kernels``, or a temporary directory when that cannot be
written), and imported as a module, so ``numba.njit(cache=True)`` keeps the machine
code for the next process.  The source takes the loop's sizes as arguments, so one
kernel serves every batch size.  The directory keeps at most ``MAX_KERNEL_FILES``
kernels older than a week (``prune``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import time

import numpy as np

from .layout import FULL, INNER, OUTER, ancestors, dependencies

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


def kernel_source(expr, outputs, input_slots, split, pos, sources=None, n_args=None,
                  stash_rows=None) -> str:
    """The module source of the loop nest computing ``outputs`` (node indices) of
    ``expr`` from the arrays of ``input_slots``, in that order, with ``split = (OUTER,
    INNER)`` rows and each node's layout ``pos`` (``layout.py``).

    With stashes (``stash.py``): ``sources[j]`` is ``(argument, row)`` for input ``j``
    (row None: the argument is the input's array; else the input is that row of the
    argument), and the distinct outputs numbered in ``stash_rows`` are stored as those
    rows of one more array, ``q``, returned last."""
    writer = _LoopWriter(expr, input_slots, split, pos)
    if sources is not None:
        writer.sources, writer.n_args = list(sources), n_args
    return writer.source(outputs, stash_rows or {})


class _LoopWriter:
    """Writes one kernel: values that do not vary are computed before the loops,
    row values once per row, and each row reduction gets an inner loop of its own
    before the final inner loop, which stores the outputs."""

    def __init__(self, expr, input_slots, split, pos):
        self.expr = expr
        self.nodes = expr.nodes
        self.pos = pos
        self.dep = dependencies(expr, pos, split)
        self.position = {slot: j for j, slot in enumerate(input_slots)}
        self.n_in = len(input_slots)
        self.input_slots = input_slots
        self.name: dict = {}            # node -> the text of its value
        self.done: set = set()          # nodes computed before the loops or per row
        self.sign = signs(self.nodes)
        self.sources = [(j, None) for j in range(self.n_in)]
        self.n_args = self.n_in

    def level(self, k) -> int:
        """0: computed once; 1: once per row; 2: per element."""
        by_row, by_element = self.dep[k]
        return 2 if by_element else (1 if by_row else 0)

    def statements(self, ks, level, lines, done=None) -> None:
        """Emit the nodes ``ks`` of ``level`` not yet in ``done`` (in order) into
        lines; an inner loop passes its own ``done``, the values of another loop
        being out of its reach."""
        done = self.done if done is None else done
        for k in sorted(ks):
            if k in done or self.level(k) != level or self.nodes[k].kind == "reduce":
                continue
            done.add(k)
            text = self.value_text(k, lines)
            if text is not None:
                lines.append(f"x{k} = {text}")
                self.name[k] = f"x{k}"

    def value_text(self, k, lines):
        node, nodes, name = self.nodes[k], self.nodes, self.name
        kind = node.kind
        if kind == "input":
            j = self.position[node.value]
            index = {(True, True): "b + i", (True, False): "o", (False, True): "i",
                     (False, False): "0"}[self.dep[k]]
            return f"f{j}[{index}]"
        if kind == "view":
            name[k] = name[node.args[0]]
            return None
        if kind == "const":
            name[k] = _literal(node.value, node.dtype if node.dtype is not None
                               else np.result_type(node.value))
            return None
        args = [_operand(nodes, name, a, dtype) for a, dtype in zip(node.args, node.loop)]
        if kind == "where":
            return f"{args[1]} if {args[0]} else {args[2]}"
        if kind == "cast":
            return _cast(name[node.args[0]], nodes[node.args[0]].dtype, node.dtype)
        if node.fn in (np.exp, np.expm1) and self.sign[node.args[0]] & NONPOS:
            bits = node.loop[-1].itemsize * 8
            return f"({node.fn.__name__}_nonpositive{bits}({args[0]}))"
        return _ufunc_text(node, args, lines, k)

    def cone(self, roots) -> set:
        """The nodes ``roots`` need, down to (and including) reductions."""
        return ancestors(self.expr, roots, through_reductions=False)

    def source(self, outputs, stash_rows) -> str:
        nodes = self.nodes
        outputs_distinct = list(dict.fromkeys(outputs))     # slots of one value share its array
        returned = [k for k in outputs if outputs_distinct.index(k) not in stash_rows]
        outputs = outputs_distinct
        own = [j for j in range(len(outputs)) if j not in stash_rows]
        params = [f"a{p}" for p in range(self.n_args)] + [f"o{j}" for j in own]
        params += ["q"] if stash_rows else []
        head = [f"    f{j} = a{p}.ravel()" if r is None else f"    f{j} = a{p}[{r}]"
                for j, (p, r) in enumerate(self.sources)]
        head += [f"    g{j} = o{j}.ravel()" if j not in stash_rows else
                 f"    g{j} = q[{stash_rows[j]}]" for j in range(len(outputs))]
        needed = self.cone(outputs)
        for k in sorted(needed):                    # reductions feed on their inputs
            if nodes[k].kind == "reduce":
                needed |= self.cone(nodes[k].args)
        top: list = []
        self.statements(needed, 0, top)
        rows: list = []                             # the body of the row loop
        reductions = sorted(k for k in needed if nodes[k].kind == "reduce"
                            and self.pos[k] != INNER)
        for r in reductions:
            self.row_reduction(r, rows, head)
        body: list = []
        final = self.cone(outputs) | set().union(*[self.cone(nodes[k].args) for k in outputs
                                                   if self.pos[k] == INNER])
        self.statements(final, 1, rows)
        self.statements(final, 2, body, set())
        stores_after: list = []
        for j, k in enumerate(outputs):
            value = self.name.get(k)        # None for a column reduction (accumulated)
            p = self.pos[k]
            if p == FULL:
                body.append(f"g{j}[b + i] = {value}")
            elif p == INNER:                        # a column reduction
                head.append(f"    g{j}[:] = {_identity(nodes[k])}")
                source = self.name[nodes[k].args[0]]
                body.extend(_accumulate(nodes[k].fn, f"g{j}[i]", source, f"c{j}"))
            elif self.level(k) == 0:
                top.append(f"g{j}[0] = {value}")
            else:
                stores_after.append(f"g{j}[{'o' if p == OUTER else 0}] = {value}")
        lines = ["import math", "import numba", "import numpy as np",
                 "from autodiff.compile.loopmath import (",
                 "    exp32, exp64, exp_nonpositive32, exp_nonpositive64, expm1_32, expm1_64,",
                 "    expm1_nonpositive32, expm1_nonpositive64, pairwise_sum)", "", "",
                 '@numba.njit(cache=True, nogil=True, error_model="numpy")',
                 f"def kernel({', '.join(params)}, outer, inner):", *head,
                 *("    " + t for t in top),
                 "    for o in range(outer):", "        b = o * inner",
                 *("        " + t for t in rows)]
        if body:
            lines += ["        for i in range(inner):", *("            " + t for t in body)]
        lines += [*("        " + t for t in stores_after), ""]
        lines += ["", f"def run({', '.join(params)}, outer, inner):",
                  "    # o<j>: the array output j is written into"]
        for j, slot in enumerate(self.input_slots):    # a 0-d value may be a NumPy scalar
            p, r = self.sources[j]
            if r is None and not nodes[self.expr.inputs[slot]].shape:
                lines.append(f"    a{p} = np.asarray(a{p})")
        lines.append(f"    kernel({', '.join(params)}, outer, inner)")
        stash = "q, " if stash_rows else ""
        lines.append(f"    return ({''.join(f'o{outputs.index(k)}, ' for k in returned)}{stash})")
        return "\n".join(lines) + "\n"

    def row_reduction(self, r, rows, head) -> None:
        """One inner loop computing the reduction ``r`` of the current row."""
        node = self.nodes[r]
        source = node.args[0]
        cone = self.cone([source])
        self.statements(cone, 1, rows)
        body: list = []
        self.statements(cone, 2, body, set())
        value = self.name[source]
        if node.fn is np.add:
            # NumPy's pairwise summation, in its order: the same sum to the last bit.
            head.append(f"    t{r} = np.empty(inner, np.{node.dtype.name})")
            body.append(f"t{r}[i] = {value}")
            after = [f"x{r} = pairwise_sum(t{r}, 0, inner, {_literal(0.0, node.dtype)})"]
        else:
            rows.append(f"x{r} = {_identity(node)}")
            body.extend(_accumulate(node.fn, f"x{r}", value, f"v{r}"))
            after = []
        rows.append("for i in range(inner):")
        rows.extend("    " + t for t in body)
        rows.extend(after)
        self.name[r] = f"x{r}"
        self.done.add(r)


_KEEPS_SIGN = (np.positive, np.floor, np.ceil, np.trunc, np.rint)
#: Flags ``signs`` gives a value: >= 0 (or NaN), <= 0 (or NaN); both for a zero.
NONNEG, NONPOS = 1, 2


def signs(nodes) -> list:
    """For each node, what is known of its sign whatever the inputs: ``NONNEG`` if it
    is >= 0 or NaN, ``NONPOS`` if <= 0 or NaN, both for 0, neither (0) if unknown.
    exp and expm1 of a value <= 0 (``-x * x``, ``-abs(x)``, ``x - max(x)``) take the
    cheaper ``*_nonpositive`` loops, the same results to the last bit for such values.

    >>> from autodiff.compile.symbolic import Expr
    >>> e = Expr(); x = e.input(0, (3,), np.float64)
    >>> gaussian, positive = -(x * x), np.exp(x)
    >>> sign = signs(e.nodes)
    >>> sign[gaussian.index] == NONPOS, sign[positive.index] == NONNEG, sign[x.index]
    (True, True, 0)
    """
    sign: list = []
    for node in nodes:
        kind = node.kind
        a = [sign[i] for i in node.args]
        if kind == "const":
            s = _const_sign(node.value)
        elif kind in ("view", "reduce"):        # sums, maxima, minima keep a sign too
            s = a[0]
        elif kind == "cast":
            s = a[0] if np.dtype(node.dtype).kind == "f" else 0
        elif kind == "where":
            s = a[1] & a[2]
        elif kind == "ufunc":
            s = _ufunc_sign(node.fn, node.args, a, nodes)
        else:
            s = 0
        sign.append(s)
    return sign


def _flip(s) -> int:
    return (NONPOS if s & NONNEG else 0) | (NONNEG if s & NONPOS else 0)


def _ufunc_sign(fn, args, a, nodes) -> int:
    if fn in (np.absolute, np.exp, np.sqrt, np.square) or (
            fn is np.multiply and args[0] == args[1]):
        return NONNEG
    if fn is np.negative:
        return _flip(a[0])
    if fn in _KEEPS_SIGN:
        return a[0]
    if fn is np.add:
        return a[0] & a[1]
    if fn in (np.maximum, np.fmax):         # max(x, >= 0) >= 0
        return ((a[0] | a[1]) & NONNEG) | (a[0] & a[1] & NONPOS)
    if fn in (np.minimum, np.fmin):
        return ((a[0] | a[1]) & NONPOS) | (a[0] & a[1] & NONNEG)
    if fn is np.multiply:   # signs alike: >= 0; opposite: <= 0 (0 * inf: NaN, allowed)
        return (NONNEG if a[0] & a[1] else 0) | (NONPOS if a[0] & _flip(a[1]) else 0)
    if fn is np.subtract:
        s = a[0] & _flip(a[1])
        m = nodes[args[1]]
        if m.kind == "reduce" and m.fn is np.maximum and m.args[0] == args[0]:
            axes, keepdims = m.value
            if keepdims or axes == tuple(range(len(axes))):
                # x - max(x, axis): each element of x meets the max of a set it belongs
                # to, if broadcasting lines the axes up: kept axes, or only leading
                # ones reduced (a square x minus its row maxima would not be).
                s |= NONPOS
        return s
    return 0


def _const_sign(value) -> int:
    if isinstance(value, (bool, int, float, np.integer, np.floating)) and value == value:
        return (NONNEG if value >= 0 else 0) | (NONPOS if value <= 0 else 0)
    return 0


def _identity(node) -> str:
    """The starting value of a reduction: 0, or -inf / inf for max / min."""
    value = {np.add: 0.0, np.maximum: -np.inf, np.minimum: np.inf}[node.fn]
    return _literal(value, node.dtype)


def _accumulate(ufunc, target, value, v) -> list:
    """One step of a reduction into ``target`` (``v`` names the new value); max and
    min keep a NaN once seen, as NumPy's do."""
    if ufunc is np.add:
        return [f"{target} += {value}"]
    compare = ">" if ufunc is np.maximum else "<"
    return [f"{v} = {value}", f"if {v} {compare} {target} or {v} != {v}:", f"    {target} = {v}"]


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
        body.append(f"m{k} = expm1_nonpositive{dtype.itemsize * 8}(-{two} * abs({args[0]}))")
        return f"math.copysign(-m{k} / ({two} + m{k}), {args[0]})"
    return f"np.{ufunc.__name__}({', '.join(args)})"


_loaded: dict = {}

#: Kernel files the cache directory keeps: past this many, writing a new one first
#: removes the oldest that are at least ``PRUNE_AGE`` seconds old (once per process).
MAX_KERNEL_FILES = 2000
PRUNE_AGE = 7 * 24 * 3600
_pruned = False


def load(source: str):
    """Import the module of ``source`` from the cache directory (writing it first)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    module = _loaded.get(digest)
    if module is not None:
        return module
    directory = cache_dir()
    path = os.path.join(directory, f"fused_{digest}.py")
    if not os.path.exists(path):
        prune(directory)
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


def prune(directory) -> int:
    """Remove the oldest generated kernels (source and Numba's cached machine code)
    beyond ``MAX_KERNEL_FILES``, sparing those younger than ``PRUNE_AGE``; the number
    removed.  Runs once per process.  A removed kernel that is wanted again is
    written and compiled again; the file's modification time is its creation (Numba
    checks it, so it is never touched)."""
    global _pruned
    if _pruned:
        return 0
    _pruned = True
    removed = 0
    try:
        kernels = sorted((e.stat().st_mtime, e.name[:-3]) for e in os.scandir(directory)
                         if e.name.startswith("fused_") and e.name.endswith(".py"))
        excess = len(kernels) - MAX_KERNEL_FILES
        if excess <= 0:
            return 0
        machine_code: dict = {}         # fused_<digest> -> its files in __pycache__
        cache = os.path.join(directory, "__pycache__")
        if os.path.isdir(cache):
            for name in os.listdir(cache):
                machine_code.setdefault(name.split(".", 1)[0], []).append(name)
        oldest = time.time() - PRUNE_AGE
        for mtime, stem in kernels[:excess]:
            if mtime > oldest:
                break
            os.remove(os.path.join(directory, stem + ".py"))
            for name in machine_code.get(stem, ()):
                os.remove(os.path.join(cache, name))
            removed += 1
    except OSError:                     # another process pruning too: what it left stays
        pass
    return removed
