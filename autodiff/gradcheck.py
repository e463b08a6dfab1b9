"""Compare the tape's gradients with central finite differences."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

import builtins
import warnings

from .graph import Node, enable_grad, no_grad, run_backward
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numerical gradients disagree; the message lists the worst entries."""


def _is_differentiable(x):
    return np.asarray(x.data if isinstance(x, Tensor) else x).dtype.kind == "f"


def _as_list(inputs):
    single = not isinstance(inputs, (list, tuple))
    return ([inputs] if single else list(inputs)), single


def _raw(x):
    return np.array(x.data if isinstance(x, Tensor) else x)


def _evaluate(func, arrays):
    with no_grad():
        out = func(*[Tensor(a) if a.dtype.kind == "f" else a for a in arrays])
    _refuse_several_outputs(out)
    return np.array(out.data if isinstance(out, Tensor) else out, dtype=np.float64)


def _refuse_several_outputs(out) -> None:
    if isinstance(out, (tuple, list)):
        raise TypeError(
            f"gradcheck: the function returned a {type(out).__name__} of {len(out)} "
            "values; it must return one tensor. Check each output on its own "
            "(lambda a: f(a)[0], then [1], ...).")


def _warn_of_coarse_inputs(items, where) -> None:
    """Central differences in float32 round x + eps back to x: they can fail a right
    gradient and pass a wrong one, so say so before checking (PyTorch warns too)."""
    for k, dtype in _coarse_inputs(items):
        warnings.warn(
            f"{where}: input {k} is {dtype}: its rounding swamps central differences "
            "(x + eps may round back to x), so the numerical gradient means little "
            "and a wrong gradient may pass; check in float64 "
            "(np.asarray(x, dtype=np.float64)).", UserWarning, stacklevel=3)


def _coarse_inputs(items) -> list:
    """``(position, dtype)`` of the floating-point inputs coarser than float64."""
    dtypes = (np.asarray(x.data if isinstance(x, Tensor) else x).dtype for x in items)
    return [(k, d) for k, d in enumerate(dtypes)
            if d.kind == "f" and np.finfo(d).eps > 1e-12]


def numerical_grad(func: Callable, inputs: Sequence, eps: float = 1e-6) -> list[np.ndarray]:
    """Central-difference derivatives of ``func`` for each floating-point input.

    Each result has shape ``out.shape + input.shape`` (just ``input.shape`` for a
    scalar ``func``); non-float inputs (indices) get ``None``.

    >>> ad.numerical_grad(lambda x: (x ** 2).sum(), [np.array([1.0, 2.0])])
    [array([2., 4.])]
    """
    items, single = _as_list(inputs)
    _warn_of_coarse_inputs(items, "numerical_grad")
    arrays = [_raw(x) for x in items]
    out_shape = _evaluate(func, arrays).shape
    results = []
    for k, base in enumerate(arrays):
        if base.dtype.kind != "f":
            results.append(None)
            continue
        jac = np.zeros(out_shape + base.shape)
        for index in np.ndindex(base.shape):
            trial = [a.copy() for a in arrays]
            trial[k][index] = base[index] + eps
            plus = _evaluate(func, trial)
            trial[k][index] = base[index] - eps
            minus = _evaluate(func, trial)
            jac[(...,) + index] = (plus - minus) / (2 * eps)
        results.append(jac)
    return results[0] if single else results


def analytic_jacobian(func: Callable, inputs: Sequence) -> list[np.ndarray]:
    """The tape's Jacobians for each floating-point input, shaped like ``numerical_grad``."""
    items, single = _as_list(inputs)
    tensors = [Tensor(_raw(x), requires_grad=True) if _is_differentiable(x) else _raw(x)
               for x in items]
    out = func(*tensors)
    _refuse_several_outputs(out)
    if not isinstance(out, Tensor):
        out = Tensor(out)
    wrt = [t for t in tensors if isinstance(t, Tensor)]
    jacobians = [np.zeros(out.shape + t.shape) for t in wrt]
    if out.requires_grad:
        for index in np.ndindex(out.shape):
            seed = np.zeros_like(out.data)
            seed[index] = 1
            grads = run_backward(out, seed, inputs=wrt, retain_graph=True)
            for jac, g in zip(jacobians, grads):
                if g is not None:
                    jac[index] = g
    it = iter(jacobians)
    results = [next(it) if isinstance(t, Tensor) else None for t in tensors]
    return results[0] if single else results


def gradcheck(func: Callable, inputs: Sequence, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, *, raise_exception: bool = True) -> bool:
    """Check every gradient of ``func`` at ``inputs`` against central differences.

    Returns True, or raises ``GradcheckError`` listing the worst mismatches (which
    input, which entry); with ``raise_exception=False`` (PyTorch's) it returns False
    instead.  Use float64 inputs: float32 round-off swamps the finite differences.
    Integer inputs are passed through as constants (indices); with no float input it
    raises ``TypeError`` rather than pass vacuously, whatever ``raise_exception``.

    >>> ad.gradcheck(lambda x: ad.tanh(x).sum(), [np.array([0.3, -1.2])])
    True
    >>> ad.gradcheck(lambda x: ad.tensor(x.data ** 2).sum(), [np.array([1.0])],
    ...              raise_exception=False)
    False
    """
    items, _ = _as_list(inputs)
    _check_float_inputs(items)
    _warn_of_coarse_inputs(items, "gradcheck")
    analytic = analytic_jacobian(func, items)
    with warnings.catch_warnings():         # (said once above)
        warnings.simplefilter("ignore", UserWarning)
        numeric = numerical_grad(func, items, eps)
    problems = []
    mismatches = checked = 0
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if a is None:
            continue
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        # A NaN on either side checks nothing (a NaN gradient is what gradcheck is
        # for), and neither does inf - inf: both fail, as in PyTorch's gradcheck.
        excess = np.where(np.isnan(a) | np.isnan(n) | np.isnan(excess), np.inf, excess)
        mismatches += int(np.count_nonzero(excess > 0))
        checked += excess.size
        for flat in np.argsort(excess, axis=None)[::-1][:5]:
            index = np.unravel_index(flat, excess.shape)
            if excess[index] > 0:
                problems.append((excess[index], k, index, a[index], n[index]))
    if problems and not raise_exception:
        return False
    if problems:
        problems.sort(key=lambda p: -p[0])
        lines = [f"  input {k}, entry {tuple(int(i) for i in index)}: analytic {av:.10g}, "
                 f"numerical {nv:.10g}, |diff| {abs(av - nv):.3g}"
                 for _, k, index, av, nv in problems[:8]]
        raise GradcheckError(
            f"gradcheck: the gradient disagrees with central differences (eps={eps}, "
            f"atol={atol}, rtol={rtol}) at {mismatches} of {checked} Jacobian entries; "
            + ("worst first" if min(len(problems), 8) == mismatches
               else f"the worst {min(len(problems), 8)} shown")
            + " (entry = output index + input index):\n" + "\n".join(lines)
            + _nan_hint(problems) + _precision_hint(items, eps)
            + (_randomness_hint(func, items, problems)
               or _kink_hint(func, items, problems, eps, atol, rtol)
               or _magnitude_hint(problems)
               or _factor_hint(items, analytic, numeric, atol, rtol))
            + _custom_rules_hint(func, items))
    return True


def _factor_hint(items, analytic, numeric, atol, rtol) -> str:
    """A backward that is off by one constant factor everywhere (a forgotten 2 in the
    rule of x**2, a sign) is the commonest hand-written mistake: say the factor."""
    if _coarse_inputs(items):
        return ""                       # (float32 rounding is not a factor)
    ratios = []
    for a, n in zip(analytic, numeric):
        if a is None:
            continue
        wrong = np.abs(a - n) > atol + rtol * np.abs(n)
        if not np.all(np.isfinite(a[wrong]) & np.isfinite(n[wrong])):
            return ""
        if np.any(wrong & (np.abs(n) <= atol)):
            return ""                   # (a nonzero gradient where there should be none)
        ratios.append(a[wrong] / n[wrong])
    ratios = np.concatenate([r.ravel() for r in ratios]) if ratios else np.zeros(0)
    if ratios.size < 2:
        return ""
    factor = float(np.median(ratios))
    if abs(factor) < 1e-3 or not np.allclose(ratios, factor, rtol=1e-3, atol=0):
        return ""                       # (a zero analytic gradient is a cut path, not a factor)
    return (f"\nAt every entry that differs, analytic = {factor:.4g} x numerical: a rule "
            "that is off by one constant factor (a missing 2 in d(x**2)/dx = 2*x, a sign, a "
            "1/n of a mean) rather than a wrong formula.")


def _custom_rules_hint(func, items) -> str:
    """Name the user-written backward rules (Function subclasses, custom_gradient) on
    the graph: they are where a wrong gradient most likely comes from."""
    tensors = [Tensor(_raw(x), requires_grad=True) if _is_differentiable(x) else _raw(x)
               for x in items]
    out = func(*tensors)
    node = out._node if isinstance(out, Tensor) else None
    names, seen, stack = [], set(), [node] if node is not None else []
    while stack:
        node = stack.pop()
        formula = getattr(node.op, "joint_formula", None) or ""
        if "(user-defined)" in formula and node.op.name not in names:
            names.append(node.op.name)
        for parent in node.parents:
            if isinstance(parent, Node) and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    if not names:
        return ""
    listed = ", ".join(names)
    return (f"\nThe graph has user-written gradient rules ({listed}): check their "
            "backward first, e.g. by running gradcheck on each one alone.")


def _nan_hint(problems) -> str:
    if not any(np.isnan(av) or np.isnan(nv) for _, _, _, av, nv in problems):
        return ""
    return ("\nA NaN compares equal to nothing: the function or its gradient is NaN "
            "there (outside its domain, or at a point where it is not differentiable); "
            "check it at a point where both are finite.")


def _precision_hint(items, eps) -> str:
    coarse = _coarse_inputs(items)
    if not coarse:
        return ""
    listed = ", ".join(f"input {k} is {d}" for k, d in coarse)
    return (f"\n{listed}: its rounding swamps central differences with eps={eps} "
            "(x + eps may round back to x), so a right gradient can fail here; check in "
            "float64 (np.asarray(x, dtype=np.float64)).")


def _check_float_inputs(items):
    """Integer inputs are passed through as constants (indices); with no floating-point
    input at all nothing would be checked, so that raises."""
    dtypes = [np.asarray(x.data if isinstance(x, Tensor) else x).dtype for x in items]
    for k, d in enumerate(dtypes):
        if d.kind == "c":
            raise TypeError(
                f"gradcheck: input {k} is {d}; only real inputs are checked (a complex one "
                "would go unchecked). Pass its real and imaginary parts as two float64 "
                "inputs and combine them inside the function.")
    if not any(d.kind == "f" for d in dtypes):
        listed = ", ".join(f"input {k}: {d}" for k, d in enumerate(dtypes))
        raise TypeError(
            f"gradcheck: no input is floating-point ({listed}), so there is no gradient to "
            "check and the check would pass whatever the backward does. Pass float64 data "
            "(np.asarray(x, dtype=np.float64)); integer inputs are only passed through as "
            "constants (indices).")


def _randomness_hint(func, items, problems):
    """Why finite differences can be wildly off: func is not a function of its inputs."""
    arrays = [_raw(x) for x in items]
    first, second = _evaluate(func, arrays), _evaluate(func, arrays)
    if not np.array_equal(first, second, equal_nan=True):
        return ("\nfunc returned different values for the same inputs: it samples random "
                "numbers inside, so finite differences measure the noise. Fix the noise: "
                "seed a generator inside func, or pass the sampled values as an input.")
    return ""


def _magnitude_hint(problems) -> str:
    """A guess when the worst entries differ by orders of magnitude and no kink or jump
    explains it: noise sampled inside func (the same samples each call, but different
    ones for nearby inputs) would."""
    _, _, _, analytic, numeric = problems[0]
    big, small = max(abs(analytic), abs(numeric)), min(abs(analytic), abs(numeric))
    if big > 100 * small and big > 1e3:
        return ("\nThe values differ by orders of magnitude: if func samples random numbers "
                "(dropout, noise, rng.normal) the finite differences measure the noise; seed "
                "it inside func or pass the samples as an input.")
    return ""


def _kink_hint(func, items, problems, eps, atol, rtol) -> str:
    """Why a right gradient can fail: the input sits on a kink (a tie of max or
    kthvalue, a repeated singular value, abs at 0), where the slopes from either side
    differ and the central difference averages them."""
    if _coarse_inputs(items):
        return ""                       # (float32 rounding would look like a kink)
    arrays = [_raw(x) for x in items]
    here = _evaluate(func, arrays)
    for _, k, index, analytic, numeric in problems:
        if not (np.isfinite(analytic) and np.isfinite(numeric)):
            continue
        split = len(index) - arrays[k].ndim
        out_index, in_index = tuple(index[:split]), tuple(index[split:])
        sides = []
        for step in (-eps, eps):
            trial = [a.copy() for a in arrays]
            trial[k][in_index] += step
            sides.append((_evaluate(func, trial)[out_index] - here[out_index]) / step)
        left, right = (float(s) + 0.0 for s in sides)      # (+ 0.0: no "-0")

        def close(a, b):
            return abs(a - b) <= atol + rtol * max(abs(a), abs(b))
        if close(left, right):
            continue
        side = ("is the slope from below: a one-sided choice" if close(analytic, left)
                else "is the slope from above: a one-sided choice" if close(analytic, right)
                # (relu(x) + abs(x) at 0: each kink's own choice, summed, lies between)
                else "lies between them: a subgradient, each kink's conventional choice"
                if min(left, right) < analytic < max(left, right) else None)
        if side is None:
            continue                    # (a wrong gradient at a kink: no excuse for it)
        entry = tuple(int(i) for i in in_index)
        jump = _jump(func, arrays, (k, in_index, out_index), here[out_index],
                     eps if close(analytic, left) else -eps, analytic)
        if jump is not None:
            return (f"\nInput {k} sits on a jump at entry {entry}: func's value changes by "
                    f"{jump:.6g} from {'above' if close(analytic, left) else 'below'} "
                    f"however small the step, so func has no derivative there and the "
                    f"central difference measures the jump. The analytic gradient there, "
                    f"{analytic:.6g}, {side.split(':')[0]}. A branch on a value (`if x > 0:`) "
                    f"whose two sides give different values jumps like this; check at a "
                    f"point away from it, or make the two sides meet.")
        return (f"\nInput {k} sits on a kink at entry {entry}: the slope is {left:.6g} from "
                f"below and {right:.6g} from above, so the central difference averages the "
                f"two. The analytic gradient there, {analytic:.6g}, {side}, "
                "as PyTorch's, at a tie (max, kthvalue, sort), a repeated "
                "eigen- or singular value, abs or relu at 0, or your own code's at a "
                "branch on a value (`if x > 0:`). Check at a point away from the kink "
                "(break the tie).")
    return ""


def _jump(func, arrays, position, value, step, analytic):
    """How much func's output changes at ``position`` (input, input index, output
    index) from ``value`` with a step ``step`` when that change does not shrink as the
    step does (a jump, not a kink), else None."""
    k, in_index, out_index = position
    changes = []
    for size in (step, step / 100):
        trial = [a.copy() for a in arrays]
        trial[k][in_index] += size
        changes.append(float(_evaluate(func, trial)[out_index] - value))
    full, small = changes
    jumps = abs(small) > 0.5 * abs(full) > 10 * abs(step) * (1 + abs(analytic))
    return full if jumps else None


def gradgradcheck(func: Callable, inputs: Sequence, grad_outputs=None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of the vector-Jacobian product of ``func``.

    The VJP with an upstream gradient ``u`` is computed with ``create_graph=True`` and
    differentiated again, with respect to the inputs and ``u``.  ``u`` is
    ``grad_outputs`` (PyTorch's: an array or tensor shaped like ``func``'s output, or a
    one-element sequence of it; a tensor that does not require grad is held constant,
    as in PyTorch), else random normal values drawn with ``seed``.
    ``raise_exception=False`` returns False instead of raising ``GradcheckError``.

    >>> ad.gradgradcheck(lambda x: x ** 3, [np.array([0.5, -1.0])],
    ...                  grad_outputs=np.array([1.0, 2.0]))
    True
    """
    items, _ = _as_list(inputs)
    items = [_raw(x) for x in items]
    out_shape = _evaluate(func, items).shape
    if grad_outputs is None:
        upstream, checked = np.random.default_rng(seed).standard_normal(out_shape), True
    else:
        upstream, checked = _upstream(grad_outputs, out_shape)
    from .ops.shape import concatenate, reshape

    def vjp(*args):
        *xs, u = args if checked else (*args, upstream)
        # Finite differences call this under no_grad with plain inputs; the inner VJP
        # still needs a tape, so record it and make the inputs differentiable.
        xs = [Tensor(x.data, requires_grad=True)
              if isinstance(x, Tensor) and not x.requires_grad and x.dtype.kind == "f" else x
              for x in xs]
        wrt = [x for x in xs if isinstance(x, Tensor)]
        with enable_grad():
            out = func(*xs)
            if not isinstance(out, Tensor) or not out.requires_grad:
                return Tensor(np.zeros(builtins.sum(x.size for x in wrt)))
            grads = run_backward(out, u, inputs=wrt, create_graph=True)
            parts = [Tensor(np.zeros(x.size)) if g is None else reshape(g, (-1,))
                     for g, x in zip(grads, wrt)]
            return concatenate(parts)

    return gradcheck(vjp, items + [upstream] if checked else items, eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)


def _upstream(grad_outputs, out_shape):
    """``grad_outputs`` as an array of the output's shape, and whether to check the
    gradient with respect to it (not for a tensor that does not require grad)."""
    if isinstance(grad_outputs, (list, tuple)):
        if len(grad_outputs) != 1:
            raise ValueError(f"gradgradcheck: got {len(grad_outputs)} grad_outputs for a "
                             "function with one output; pass one array or tensor")
        grad_outputs = grad_outputs[0]
    if not isinstance(grad_outputs, (Tensor, np.ndarray)):
        raise TypeError(f"gradgradcheck: grad_outputs must be an array or tensor shaped like "
                        f"the output {out_shape}, got {type(grad_outputs).__name__}; eps, "
                        "atol and rtol are keyword arguments (eps=...)")
    upstream = _raw(grad_outputs)
    if upstream.shape != out_shape or upstream.dtype.kind != "f":
        raise ValueError(f"gradgradcheck: grad_outputs has shape {upstream.shape} and dtype "
                         f"{upstream.dtype}; it must be floating-point with the output's "
                         f"shape {out_shape}")
    checked = not (isinstance(grad_outputs, Tensor) and not grad_outputs.requires_grad)
    return upstream, checked
