"""``LBFGS``: limited-memory BFGS over the flattened parameters, as ``torch.optim.LBFGS``.

Each ``step(closure)`` runs up to ``max_iter`` quasi-Newton iterations, calling the
closure (which zeroes the gradients, computes the loss, calls ``backward()`` and
returns the loss) whenever it needs the loss and gradient at a new point.  With
``line_search_fn="strong_wolfe"`` each step length is found by a line search that
brackets and then zooms with cubic interpolation until the strong Wolfe conditions
hold; without it the step length is ``lr`` (``min(1, 1/|g|_1) * lr`` at the very
first iteration).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..compile.hooks import refused_in_trace, replayed
from ..guard import note_unguarded_write, unguarded_reads
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative
from .stale_graphs import grad_has_graph, relock, unlock

__all__ = ["LBFGS"]

#: State entries that are lists of vectors, saved stacked as ``(k, n)`` arrays.
_STACKED = ("old_dirs", "old_stps")
#: State entries that are plain numbers.
_NUMBERS = ("func_evals", "n_iter", "t", "H_diag", "prev_loss")


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes
    ``g1``, ``g2``, clamped into ``bounds`` (default: between x1 and x2); the middle of
    the bounds when the cubic has no minimum."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = g1 + g2 - 3 * (f1 - f2) / np.float64(x1 - x2)
        d2_square = d1 ** 2 - g1 * g2
        if d2_square >= 0:
            d2 = np.sqrt(d2_square)
            if x1 <= x2:
                min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
            return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step length along ``d`` meeting the strong Wolfe conditions (sufficient
    decrease ``c1``, curvature ``c2``), from the loss ``f``, gradient ``g`` and slope
    ``gtd`` at 0.  ``evaluate(t)`` returns the loss and flat gradient at ``x + t d``.
    Returns ``(loss, gradient, t, evaluations)`` at the accepted step."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)

    # Bracketing: grow t until an interval is known to hold an acceptable point.
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        previous = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # Zoom: shrink the bracket around a point that satisfies both conditions.
    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # A trial point too near an end twice in a row (or outside) is moved to a
        # tenth of the bracket's width inside it, so the bracket keeps shrinking.
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS, with PyTorch's arguments, defaults, stopping rules and line search.

    ``step(closure)`` needs a closure that zeroes the gradients, computes the loss,
    calls ``backward()`` and returns the loss; it returns the loss of the first call.
    Only one parameter group is allowed (as in PyTorch).  ``max_eval`` defaults to
    ``max_iter * 5 // 4``; ``line_search_fn`` is None or ``"strong_wolfe"``.  The
    state (history of steps and gradient changes) is kept in ``state[0]``.

    >>> w = ad.nn.Parameter([3.0, -1.0])
    >>> opt = ad.optim.LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - ad.tensor([1.0, 2.0])) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> float(opt.step(closure)), w.data.round(6)
    (13.0, array([1., 2.]))
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def _check_group(self, group, where):
        check_nonnegative(where, lr=group["lr"])

    @refused_in_trace
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Refused: LBFGS optimizes one parameter group only (as in PyTorch)."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ----- the flat view of the parameters --------------------------------------
    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _flat_grad(self) -> np.ndarray:
        parts = []
        for p in self._params:
            grad = p._grad
            if grad is None:
                parts.append(np.zeros(p.data.size, p.data.dtype))
            else:
                parts.append(np.asarray(grad.data if isinstance(grad, Tensor) else grad)
                             .reshape(-1))
        return np.concatenate(parts)

    def _writable_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The parameters' arrays, and those of them made writable for this write
        after ``backward(create_graph=True)`` (for ``relock``; see stale_graphs.py)."""
        arrays = [p.data for p in self._params]
        after_create_graph = any(grad_has_graph(p) for p in self._params)
        unlocked = unlock(arrays) if after_create_graph else []
        for p, array in zip(self._params, arrays):
            if not array.flags.writeable:
                relock(unlocked)
                raise RuntimeError(
                    f"LBFGS.step: cannot update parameter {self._names[id(p)]!r} in place: "
                    "its array is read-only, because a graph that still needs its current "
                    "value is alive (kept with retain_graph=True or through a stored "
                    "tensor). Let the closure drop its graph after backward().")
        return arrays, unlocked

    def _add_step(self, t, d) -> None:
        offset = 0
        arrays, unlocked = self._writable_arrays()
        try:
            for array in arrays:
                array += t * d[offset:offset + array.size].reshape(array.shape)
                offset += array.size
                if unguarded_reads:
                    note_unguarded_write(array)
        finally:
            relock(unlocked)

    def _set_params(self, saved) -> None:
        arrays, unlocked = self._writable_arrays()
        try:
            for array, value in zip(arrays, saved):
                array[...] = value
        finally:
            relock(unlocked)

    # ----- the step ---------------------------------------------------------------
    @replayed
    def step(self, closure: Callable[[], Any] | None = None):
        """Run up to ``max_iter`` L-BFGS iterations; return the closure's first loss."""
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step needs a closure, as in PyTorch: a function that zeroes the "
                "gradients, computes the loss, calls loss.backward() and returns the loss; "
                "call opt.step(closure)")
        from ..graph import enable_grad

        def evaluate():
            with enable_grad():
                value = closure()
            # (each evaluation is a step for the hint: a closure without zero_grad()
            # sums the gradients of every evaluation so far)
            self._accumulation.check(self, [(self._params[0],)], "LBFGS.step")
            if value is None:
                raise TypeError("LBFGS.step: the closure returned None; it must return "
                                "the loss (a Tensor or a number)")
            return value

        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]
        state = self.state[0]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                # The two-loop recursion: d = -H g with the implicit inverse Hessian H.
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p.data.copy() for p in self._params]

                def directional(step_length, d=d, x_init=x_init):
                    self._add_step(step_length, d)
                    value = float(evaluate())
                    grad = self._flat_grad()
                    self._set_params(x_init)
                    return value, grad

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    directional, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_step(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_step(t, d)
                if n_iter != max_iter:
                    # (no evaluation after the last iteration: the next step makes one)
                    loss = float(evaluate())
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        self._step_count += 1
        return orig_loss

    # ----- saving and resuming ---------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The hyperparameters and the state as a flat ``{key: ndarray}``: the history
        lists ``old_dirs`` and ``old_stps`` stacked into ``(k, n)`` arrays, ``ro`` and
        ``al`` as vectors (``al``'s unset entries as nan).

        >>> w = ad.nn.Parameter([1.0, 2.0])
        >>> opt = ad.optim.LBFGS([w], max_iter=3)
        >>> def closure():
        ...     opt.zero_grad(); loss = (w ** 2).sum(); loss.backward(); return loss
        >>> _ = opt.step(closure)
        >>> opt.state_dict()["state.0.old_dirs"].shape[1]
        2
        """
        saved, self.state = self.state, [{} for _ in self.state]
        try:
            out = super().state_dict()
        finally:
            self.state = saved
        n = sum(p.data.size for p in self._params)
        for key, value in self.state[0].items() if self.state else ():
            if value is None:               # (not set yet: no iteration has run)
                continue
            if key in _STACKED:
                value = np.array(value).reshape(len(value), n)
            elif key == "al":
                value = np.array([np.nan if v is None else v for v in value], np.float64)
            else:
                value = np.array(value, copy=True)
            out[f"state.0.{key}"] = value
        return out

    @refused_in_trace
    def load_state_dict(self, state_dict) -> None:
        """Restore what ``state_dict`` returned (for the same parameters)."""
        where = "LBFGS.load_state_dict"
        ours = {}
        rest = {}
        for key in state_dict.keys():
            if key.startswith("state."):
                parts = key.split(".", 2)
                if len(parts) != 3 or parts[1] != "0":
                    raise KeyError(f"{where}: unexpected key {key!r}; LBFGS keeps its state "
                                   "under 'state.0.<name>'")
                ours[parts[2]] = np.array(state_dict[key], copy=True)
            else:
                rest[key] = state_dict[key]
        n = sum(p.data.size for p in self._params)
        for key in ("d", "prev_flat_grad", *_STACKED):
            if key in ours and ours[key].shape[-1:] != (n,) and ours[key].size:
                raise ValueError(f"{where}: 'state.0.{key}' has shape {ours[key].shape}, but "
                                 f"the parameters have {n} entries in all")
        super().load_state_dict(rest)
        if any(key.startswith("param_groups.0.") for key in rest) \
                and "param_groups.0.line_search_fn" not in rest:
            # (a None hyperparameter is not saved: the state was saved without line search)
            self.param_groups[0]["line_search_fn"] = None
        state = {}
        for key, value in ours.items():
            if key in _STACKED:
                state[key] = [row.copy() for row in value.reshape(-1, n)]
            elif key == "ro":
                state[key] = list(value.reshape(-1))
            elif key == "al":
                state[key] = [None if math.isnan(v) else v for v in value.reshape(-1)]
            elif key in _NUMBERS and value.ndim == 0:
                state[key] = value.item() if key in ("func_evals", "n_iter") else value[()]
            else:
                state[key] = value
        self.state[0] = state
