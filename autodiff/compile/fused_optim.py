"""The optimizer update of a plan, fused into one pass per parameter.

A trace records ``opt.step()`` as a ``call`` step that replays the bound method.
For ``SGD``, ``Adam`` and ``AdamW`` this pass replaces it with a ``FusedStep``: on
each replay it reads the hyperparameters from ``opt.param_groups`` (so a learning
rate set by a scheduler is used), updates the same state arrays the optimizer keeps
(``momentum_buffer``, ``exp_avg``, ``step``, ...) in place and counts the step, then
runs one Numba kernel per parameter (``autodiff.kernels.jit_optim``, through
``autodiff.optim.fused``, which eager steps use for large parameters too); SGD's
updates of one group go to one call that loops over them (``sgd_update_each``).
The results equal ``opt.step()`` bit for bit, so eager and compiled steps can be mixed and
``opt.state_dict()`` is always the optimizer's own.

Whenever the fast path does not apply, the replay calls ``opt.step()`` itself, which
then does everything it does eagerly (warnings about missing gradients, creating
the state on a first step, errors): a parameter without a gradient or with a
gradient of another shape or dtype, arrays that are not C-contiguous float32/float64,
state not yet created or restored in another dtype, hyperparameters that are not
Python numbers (a NumPy float64 ``lr`` makes the NumPy code compute in float64), a
subclass (its ``_update`` may differ), and always under ``AUTODIFF_JIT=0`` (the
optimizer's NumPy code is then the replay, so the plan still runs without Numba).
"""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..guard import note_unguarded_write, unguarded_reads
from ..optim import fused
from .plan import Plan

_nd = np.ndarray
_state_at = list.__getitem__     # (opt.state is a ParameterState, a list: by position)


def fuse_optimizer_steps(plan: Plan) -> Plan:
    """Replace the plan's ``opt.step()`` calls of SGD, Adam and AdamW with a
    ``FusedStep`` (nothing changes under ``AUTODIFF_JIT=0``).

    >>> w = ad.nn.Parameter(np.array([1.0, 2.0]))
    >>> opt = ad.optim.SGD([w], lr=0.25, momentum=0.5)
    >>> @ad.compile
    ... def step(x):
    ...     opt.zero_grad(); (w * x).sum().backward(); opt.step()
    >>> for _ in range(3):
    ...     step(np.ones(2))
    >>> w.data                      # steps of 0.25, 0.375, 0.4375, as eager
    array([-0.0625,  0.9375])
    >>> fused = [i for i in step.plan.instrs if i.label.endswith("(fused)")]
    >>> len(fused) == (1 if ad.kernels.JIT_ENABLED else 0)
    True
    """
    for instr in plan.instrs:
        # A step hook registered (or removed) after the trace: trace again, so that
        # a step with hooks is never replaced by the kernels, which would skip them.
        if instr.kind == "call" and getattr(instr.fn, "__name__", "") == "step" \
                and hasattr(instr.args[0], "_has_step_hooks"):
            plan.flags.append((instr.args[0], "_has_step_hooks",
                               instr.args[0]._has_step_hooks))
    if not kernels.JIT_ENABLED:
        return plan
    for instr in plan.instrs:
        if instr.kind != "call" or getattr(instr.fn, "__name__", "") != "step":
            continue
        opt = instr.args[0]
        if type(opt) in fused.PREPARE and not getattr(opt, "_has_step_hooks", False):
            instr.fn = FusedStep(instr.fn)
            instr.extra["fused"] = True
            instr.label += " (fused)"
    return plan


class FusedStep:
    """``opt.step()`` as one kernel per parameter (one for all, for SGD); ``method(opt)``
    when that cannot be (``fallbacks`` counts those calls).

    What ``fused.PREPARE`` makes for a parameter is kept with the objects it was made
    from: the parameter's array, its state dict and state arrays
    (``fused.STATE_SOURCES``), its group and the group's hyperparameters
    (``fused.GROUP_SOURCES``, compared once per group).  While a replay finds the
    very same objects, only the gradient and the writeable flags are checked again:
    this runs on every replay, so it is written for few Python operations.
    """

    def __init__(self, method):
        self.method = method
        self.fallbacks = 0
        # positions whose update a gradient product did in this replay (gemm_update.py)
        self.folded: set = set()
        # by position: (array, state, group, group's sources, state's sources, work,
        # the state's arrays among its sources)
        self._kept: dict = {}

    def __call__(self, opt):
        try:
            return self._step(opt)
        finally:
            self.folded.clear()

    def _step(self, opt):
        module = fused.load()
        if module is False:
            return self._fall_back(opt)
        work = self._work(opt)
        if work is None:
            return self._fall_back(opt)
        if work and not opt._accumulation.warned:   # (what opt.step() checks first)
            position = work[0][2]
            params = opt.param_groups[0]["params"]
            first = params[position] if position < len(params) else opt.params[position]
            opt._accumulation.check(opt, ((first,),))
        batch = _sgd_batch(work)
        if batch is not None:           # (one call for all: each call costs ~3k instructions)
            try:
                module.sgd_update_each(*batch)
            except Exception as error:  # the kernel did not compile: NumPy does them
                fused.give_up(error)
                self._update_rest(opt, work[0][2])
        else:
            scalars_seen: dict = {}
            for prepared, _, position in work:
                try:
                    fused.run(module, prepared, scalars_seen)
                except Exception as error:  # the kernel did not compile: NumPy does the rest
                    fused.give_up(error)
                    self._update_rest(opt, position)
                    break
        if unguarded_reads:             # a transform's results still read some (guard.py)
            for _, data, _ in work:
                note_unguarded_write(data)
        opt._step_count += 1
        return None

    def _work(self, opt):
        """Each parameter's prepared update with this step's gradient, its array and its
        position;
        None when one of them does not fit the kernels (``opt.step()`` then runs).  A
        frozen parameter (no gradient, ``requires_grad`` False) is skipped, as
        ``opt.step()`` skips it."""
        kind = type(opt)
        group_sources, state_sources = fused.GROUP_SOURCES[kind], fused.STATE_SOURCES[kind]
        kept = self._kept
        folded = self.folded
        states = opt.state
        work = []
        position = 0
        for group in opt.param_groups:
            if not group["lr"] >= 0:        # (NaN too) step() raises, naming the group
                return None
            hyper = group_sources(group)
            same_hyper = None
            for p in group["params"]:
                data, grad = p.data, p._grad
                if grad is None and (not p.requires_grad or position in folded):
                    position += 1               # frozen (step() skips it too), or done
                    continue
                if not (type(grad) is _nd and grad.dtype is data.dtype
                        and grad.shape == data.shape and grad.flags.c_contiguous):
                    return None
                state = _state_at(states, position)
                entry = kept.get(position)
                if same_hyper is None and entry is not None:
                    same_hyper = entry[2] is group and _same_objects(entry[3], hyper)
                if (entry is not None and same_hyper and entry[0] is data
                        and entry[1] is state and data.flags.writeable
                        and _same_objects(entry[4], state_sources(state))):
                    prepared = fused.with_gradient(entry[5], grad.reshape(-1), entry[6])
                else:
                    if not fused.fits(data, grad):
                        return None
                    prepared = fused.PREPARE[kind](data, grad.reshape(-1), state, group)
                    if prepared is None:
                        return None
                    sources = state_sources(state)
                    arrays = tuple(a for a in sources if type(a) is _nd)
                    if not fused.all_writeable(arrays):
                        return None
                    kept[position] = (data, state, group, hyper, sources, prepared, arrays)
                if prepared is None:        # a state array was made read-only
                    return None
                work.append((prepared, data, position))
                position += 1
        return work

    def _update_rest(self, opt, start):
        """The NumPy code of ``opt`` for the parameters from position ``start`` on (the
        frozen ones skipped)."""
        position = 0
        for group in opt.param_groups:
            for p in group["params"]:
                if position >= start and p._grad is not None:
                    opt._update(p.data, p._grad, opt.state[position], group)
                position += 1

    def _fall_back(self, opt):
        self.fallbacks += 1
        # A weight already updated by its gradient product has no gradient.  step()
        # would warn about it, or (given a zero gradient) apply weight decay again: it
        # runs with those weights marked frozen, which it skips; zero_grad() follows.
        folded = [p for position, p in enumerate(opt.params)
                  if position in self.folded and p._grad is None and p._requires_grad]
        for p in folded:
            p._requires_grad = False
        try:
            return self.method(opt)
        finally:
            for p in folded:
                p._requires_grad = True


def _sgd_batch(work):
    """The arguments of one ``sgd_update_each`` call doing every update of ``work``, or
    None (fewer than two updates, not all SGD's with the one hyperparameter array, or
    arrays that differ in Numba's type: read-only or unaligned ones are left to one
    call each)."""
    if len(work) < 2:
        return None
    h = work[0][0][2][3]
    params, grads, buffers = [], [], []
    for (kind, _, args), _, _ in work:
        if kind != "sgd" or args[3] is not h:
            return None
        p, g, buf = args[0], args[1], args[2]
        flags = p.flags
        if not (flags.writeable and flags.aligned):
            return None
        flags = g.flags
        if not (flags.writeable and flags.aligned):
            return None
        if buf is not p:
            flags = buf.flags
            if not (flags.writeable and flags.aligned):
                return None
        params.append(p)
        grads.append(g)
        buffers.append(buf)
    return tuple(params), tuple(grads), tuple(buffers), h


def _same_objects(kept, now) -> bool:
    for a, b in zip(kept, now):
        if a is not b:
            return False
    return True
