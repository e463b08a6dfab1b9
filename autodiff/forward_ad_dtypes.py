"""The dtype of a forward-mode tangent when a tangent of another dtype than its primal
comes in (``make_dual(float64 primal, float32 tangent)``), as PyTorch gives it.

* An op that only moves, picks or adds up its tangent's entries (reshape, sum,
  indexing, ``+ 1``, negation, cumsum, ``where``, clip, max, flip, pad, a copy, ``.to``
  its own dtype) keeps the tangent's dtype; ``d - x`` with another array ``x`` takes
  the wider of the two.
* Any other op computes with the primal values, so its tangent takes the wider of the
  tangent's dtype and the output's (``d * 2`` of a float64 primal with a float32
  tangent has a float64 tangent).
* A real output of complex values (abs, angle) has a tangent of the output's dtype.
* PyTorch's own tangent formulas give the output's dtype for ``logsumexp``,
  ``logcumsumexp``, ``cumprod`` and real ``sign``, and for a complex output of the
  elementwise functions and ``prod`` (``exp`` of a complex64 primal with a complex128
  tangent has a complex64 tangent; ``d * d`` and ``d / d`` the wider one), and the
  real part of the wider dtype for ``std`` of complex values (``var``: the output's).
* Matrix products refuse, as PyTorch's, which need one dtype for both factors (and so
  do inv, svd, eigh, det, slogdet, pinv, lstsq, eig and lu_factor, whose PyTorch
  formulas are matrix products or LU solves).
* Solves refuse a right-hand side's tangent wider than the matrix (PyTorch's LU and
  triangular solves need one dtype) and a matrix's tangent of another dtype;
  otherwise, as ``cholesky``, ``qr`` and ``matrix_exp``, their tangent has the
  output's dtype.
* Norms, built here from several ops, take the dtype of PyTorch's norm formulas:
  the output's for the 1- and 0-norms (and the matrix norms of sums, 1 and inf), and
  for the others the real part of the wider of the tangent's and the output's,
  complex inputs too (``note_norm_tangent`` marks the nodes where that differs from
  the ops' own rules); the norms of singular values refuse, as svd.
"""

from __future__ import annotations

import weakref

import numpy as np

from .forward_rules import _LINEAR

#: Ops whose tangent is the op applied to the incoming tangents alone.
_PASS_THROUGH = frozenset(_LINEAR) | {"add", "subtract", "negative", "positive", "cumsum",
                                      "copy", "astype", "conj", "real", "imag", "where",
                                      "view_as_real",
                                      # (their tangent is the incoming one's entries)
                                      "clip", "max", "min", "maximum_accumulate",
                                      "minimum_accumulate", "cummax", "cummin",
                                      "take_along_axis", "flip",
                                      "roll", "constant_pad", "diag", "diagonal"}
#: Of those, the ones whose other tensor operands count with their dtype even without
#: a tangent (PyTorch adds their zero tangent: ``d - d.detach()``, not ``d - 1``).
_SUMS = frozenset({"add", "subtract"})
#: Ops whose tangent has the output's dtype (PyTorch's formulas compute it so) ...
_OUTPUT_DTYPE = frozenset({"logsumexp", "logaddexp_accumulate", "logcumsumexp", "cumprod",
                           "cholesky",
                           "qr_packed", "matrix_exp", "cholesky_solve", "solve"})
#: ... and those whose tangent has it when the output is complex.
_COMPLEX_OUTPUT_DTYPE = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "square", "power",
    "reciprocal", "sigmoid", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin",
    "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sinc", "prod"})
#: Products that need their factors of one dtype (PyTorch: "expected m1 and m2 to have
#: the same dtype").
_ONE_DTYPE_PRODUCTS = frozenset({"matmul", "einsum", "tensordot", "inner",
                                 "ldl_solve",
                                 # (their PyTorch formulas are matrix products too)
                                 "inv", "svdvals", "svd_packed", "eigvalsh", "eigh_packed",
                                 "pinv", "lstsq_packed", "eigvals", "eig_packed",
                                 "lu_factor_packed",
                                 # (an LU solve with the factors of the primal)
                                 "det", "slogdet_packed"})
#: Solves: the index of the right-hand side and of the matrix among their inputs.  (A
#: matrix's tangent of another dtype refuses: a product with the solution; PyTorch's
#: cholesky_solve and cholesky_inverse refuse it for a contiguous factor, and take it
#: for the transposed layout torch.linalg.cholesky returns.)
_SOLVES = {"solve": (1, 0), "cholesky_solve": (0, 1)}


#: Nodes of a norm whose tangent dtype is PyTorch's norm's, not their op's:
#: ``"output"`` (the 1- and 0-norms) or ``"wider"`` (``abs`` of complex values in the
#: other norms).
_NORM_TANGENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def note_norm_tangent(result, dtype_from: str):
    """Give the tangent of ``result`` (a Tensor made by a norm) the dtype of PyTorch's
    norm formula, ``"output"`` or ``"wider"``, where a tangent of another dtype than
    its primal comes in; ``result`` itself, returned."""
    node = getattr(result, "_node", None)
    if node is not None:
        _NORM_TANGENTS[node] = dtype_from
    return result


def tangent_dtype(node, inputs) -> np.dtype:
    """The dtype of ``node``'s tangent given the tangents coming in (None for an input
    without one), at least one of which differs from its primal in dtype."""
    name = node.op.name
    norm_dtype = _NORM_TANGENTS.get(node)
    if norm_dtype == "output":
        return node.dtype
    if norm_dtype == "wider":
        wider = np.result_type(node.dtype, *(t.dtype for t in inputs if t is not None))
        return np.empty(0, wider).real.dtype
    incoming = [t.dtype for t in inputs if t is not None]
    if name in _ONE_DTYPE_PRODUCTS:
        _refuse(node, incoming)
    if name in _SOLVES:
        _check_solve(node, inputs, *_SOLVES[name])
    kind = node.dtype.kind
    if (name in _OUTPUT_DTYPE or (kind == "f" and name == "sign")
            or (kind == "c" and (name in _COMPLEX_OUTPUT_DTYPE or (
                name == "divide" and isinstance(node.args[0], (int, float, complex)))))):
        return node.dtype           # (``1 / d`` is ``reciprocal`` in PyTorch)
    dtype = np.result_type(*incoming)
    if name not in _PASS_THROUGH:
        dtype = np.result_type(dtype, node.dtype)
    elif name in _SUMS:
        dtype = np.result_type(dtype, *(a.dtype for a, t in zip(node.args, inputs)
                                         if t is None and isinstance(a, np.ndarray)
                                         and a.ndim))
    if kind == "f" and dtype.kind == "c":
        # real and imaginary parts are the tangent's; abs and angle give the output's
        dtype = (np.empty(0, dtype).real.dtype if name in _PASS_THROUGH or name == "std"
                 else node.dtype)
    return dtype


def _refuse(node, incoming):
    primals = sorted({str(p.dtype) for p in node.parents if hasattr(p, "dtype")})
    raise RuntimeError(
        f"forward AD: '{node.op.name}' of a dual tensor whose tangent is "
        f"{'/'.join(sorted(map(str, set(incoming))))} and primal {'/'.join(primals)}: a "
        "matrix product or solve (PyTorch's tangent of it is one) needs one dtype for both "
        "factors (PyTorch raises \"expected m1 and m2 to have the same dtype\" here); "
        "make the dual with a tangent of the primal's dtype, make_dual(x, "
        "t.to(x.dtype))")


def _check_solve(node, inputs, rhs, matrix):
    """Refuse what PyTorch's tangent of a solve refuses: a right-hand side's tangent
    wider than the matrix, or a matrix's tangent of another dtype."""
    parent = node.parents[matrix]
    matrix_dtype = (parent.dtype if parent is not None else
                    np.asarray(node.args[matrix]).dtype if node.args else node.dtype)
    rhs_tangent, matrix_tangent = inputs[rhs], inputs[matrix]
    if ((rhs_tangent is not None
         and np.result_type(rhs_tangent.dtype, matrix_dtype) != matrix_dtype)
            or (matrix_tangent is not None and matrix_tangent.dtype != matrix_dtype)):
        _refuse(node, [t.dtype for t in inputs if t is not None])
