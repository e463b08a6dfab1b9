"""The optimizer update of a plan, fused into one pass per parameter.

A trace records ``opt.step()`` as a ``call`` step that replays the bound method.
For ``SGD``, ``Adam`` and ``AdamW`` this pass replaces it with a ``FusedStep``: on
each replay it reads the hyperparameters from ``opt.param_groups`` (so a learning
rate set by a scheduler is used), updates the same state arrays the optimizer keeps
(``momentum_buffer``, ``exp_avg``, ``step``, ...) in place and counts the step, then
runs one Numba kernel per parameter (``autodiff.kernels.jit_optim``, through
``autodiff.optim.fused``, which eager steps use for large parameters too).  The results
equal ``opt.step()`` bit for bit, so eager and compiled steps can be mixed and
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

from .. import kernels
from ..guard import note_unguarded_write, unguarded_reads
from ..optim import fused
from .plan import Plan


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
    if not kernels.JIT_ENABLED:
        return plan
    for instr in plan.instrs:
        if instr.kind != "call" or getattr(instr.fn, "__name__", "") != "step":
            continue
        opt = instr.args[0]
        if type(opt) in fused.PREPARE:
            instr.fn = FusedStep(instr.fn)
            instr.extra["fused"] = True
            instr.label += " (fused)"
    return plan


class FusedStep:
    """``opt.step()`` as one kernel per parameter; ``method(opt)`` when that cannot be
    (``fallbacks`` counts those calls).

    What ``fused.PREPARE`` makes for a parameter is kept with the objects it was made
    from (``fused.SOURCES``: the parameter's array, its state arrays, the group's
    hyperparameters): while a replay finds the very same objects, only the gradient
    and the arrays' writeable flags are checked again.
    """

    def __init__(self, method):
        self.method = method
        self.fallbacks = 0
        self._made: list = []       # per parameter: (its sources, its prepared work)

    def __call__(self, opt):
        module = fused.load()
        if module is False:
            return self._fall_back(opt)
        kind = type(opt)
        prepare, sources_of = fused.PREPARE[kind], fused.SOURCES[kind]
        made = self._made
        work = []
        states = opt.state
        position = 0
        for group in opt.param_groups:
            if not group["lr"] >= 0:        # (NaN too) step() raises, naming the group
                return self._fall_back(opt)
            for p in group["params"]:
                data, grad = p.data, p.grad
                if not fused.fits(data, grad):
                    return self._fall_back(opt)
                state = states[position]
                sources = sources_of(data, state, group)
                kept = made[position] if position < len(made) else None
                if kept is not None and _same_objects(kept[0], sources):
                    prepared = fused.with_gradient(kept[1], grad.reshape(-1))
                else:
                    prepared = prepare(data, grad.reshape(-1), state, group)
                    if prepared is None:
                        return self._fall_back(opt)
                    del made[position:]
                    made.append((sources, prepared))
                if prepared is None:        # a state array was made read-only
                    return self._fall_back(opt)
                work.append((prepared, (data, grad, state, group)))
                position += 1
        scalars_seen: dict = {}
        for k, (prepared, _) in enumerate(work):
            try:
                fused.run(module, prepared, scalars_seen)
            except Exception as error:  # the kernel did not compile: NumPy does the rest
                fused.give_up(error)
                for _, rest in work[k:]:
                    opt._update(*rest)
                break
        if unguarded_reads:             # a transform's results still read some (guard.py)
            for _, (data, *_rest) in work:
                note_unguarded_write(data)
        opt._step_count += 1
        return None

    def _fall_back(self, opt):
        self.fallbacks += 1
        return self.method(opt)


def _same_objects(kept, now) -> bool:
    for a, b in zip(kept, now):
        if a is not b:
            return False
    return True
