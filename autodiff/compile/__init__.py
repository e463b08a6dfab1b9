"""``ad.compile``: trace a step once, replay it without a tape.

The first call with a given signature (the shapes and dtypes of the array and
tensor arguments, the values of the other arguments, and whether gradients are
recorded: a call under ``ad.no_grad()`` has its own plan) runs the function eagerly
and records what it did into a ``Plan``: the forward ops, the gradient rules of
the reverse pass, the ``.grad`` updates and the optimizer calls.  Later calls with
that signature run the plan: one generated Python function over the arrays, with
no Tensor, no Node and no tape.  Array arguments reach the function as tensors that
do not require grad (arithmetic on them is recorded; one returned as it is comes back
as such a tensor); so do those in dicts, lists, tuples, namedtuples and dataclasses
passed as arguments, whose structure and numbers join the signature (``arguments.py``);
a random generator passed as an argument (``rng=`` of a dropout) joins it by identity:
a plan draws from that generator at each replay, another one traces again.
Elementwise steps (forward ops, their gradient
rules, the sums of gradient contributions), with the reductions over rows that feed
broadcasts (a softmax's max and sum, a mean's gradient) and the sums over rows of a
bias's gradient, are fused into generated Numba loops, cached on disk (``fuse.py``;
``ad.compile(fn, fuse=False)`` turns this off, and ``AUTODIFF_JIT=0`` runs the same
groups with NumPy).  Results are those of eager execution, bit for bit (a loop sums
in NumPy's pairwise order), except where a fused loop computes exp, tanh and the
like with its own functions: there they differ by a few ulp.  A fused loop raises
no floating-point warnings (a division by zero gives ``inf`` without a word, as in
PyTorch); the plan's NumPy calls warn as eager ops do, at the caller's line.

What a replay cannot follow is refused while tracing (``TraceError`` naming the op
and the line): a tensor's value leaving the library (``.item()``, ``float()``,
``if t:``, ``np.asarray(t)``), arrays and NumPy scalars made during the call
outside the library (NumPy on ``.data`` or ``.grad`` such as ``x.data.sum()``,
``np.random``, draws from a generator the function captures that no ``rng=`` of an
op made, slices and copies of a captured array; but an array NumPy makes from Python
numbers alone, ``np.eye(3)``, ``np.linspace(0, 1, n)``, ``np.array([1.0, 2.0])``,
``np.ones(s) * 0.5`` and its slices, is a constant copied at the trace, and so is
``np.zeros_like(a)`` / ``np.ones_like(a)`` / ``np.full_like(a, 0.5)`` of any array or
tensor ``a``, which depend on its shape and dtype alone (``np.empty_like`` stays
refused), ``call_constants.py``), a generator made during the call passed to
``rng=`` (eager makes it anew at each call; pass an int seed), an assignment to an
optimizer's ``param_groups`` (``hyperparameters.py``), assigning ``.data`` of a tensor
from before the call (``w.data -= lr * w.grad``: use an optimizer, or in-place tensor
ops under ``ad.no_grad()``), NumPy writing in place into a traced array (``a = w.data;
a -= d``, ``np.copyto(w.data, v)``, ``w.grad *= 2``, ``h.data[h.data < 0] = 0``,
``bn.running_mean.data *= 0``: while tracing, the arrays of captured tensors, the buffers
of the modules called and the arrays the function's code gets through ``.data``,
``.numpy()`` or ``.grad`` are read-only, ``readonly.py``), selecting with a boolean
mask computed in the call, functions whose shapes are read from the values
(``np.unique``, ``np.nonzero``, ``np.argwhere``, ``masked_select``, ``np.piecewise``
on array conditions), ``load_state_dict`` of a module, optimizer or scheduler
(call it between calls: the next call reads what it loaded).
A library function that picks its path from an argument's values (``cross_entropy``'s
fused path when no target equals ``ignore_index``) replays a plan only for arguments
that take the same path; another traces again, and each path keeps its plan
(``hooks.branch``).
Python control flow is traced as taken: a branch on NumPy values computed from
``.data`` (``if (x.data > 0).all():``, ``if loss.data < 1:``) is not seen, and every
replay takes the branch the trace took (branch with ``ad.where``, or outside); so is
a Python number computed from ``.data`` or ``.grad`` (``float(x.data.std())``,
``int(np.count_nonzero(x.data))``, ``.tolist()``), which every replay reuses.  What
the library makes during the call is made again at each replay: arrays from no traced
value (``ad.zeros``, ``ad.rand(rng=)``, dropout masks, samples of distributions, drawn
anew from the same generator) and those computed from the targets (class indices,
weights, one-hot rows, checked again); ``@replayed`` methods run again (optimizer
steps, BatchNorm's running statistics, gradient clipping).  A tensor made in the
call from Python numbers (``c = ad.tensor([0.0, 1.0])``) starts each replay with the
values it had at its first use, and its in-place tensor updates are replayed; a NumPy
write into it is refused (``c.data[0] = x.data.sum()``, ``literals.py``).  A leaf with
``requires_grad`` made in the call over an array the call made is refused
(``ad.tensor(x.data * 2, requires_grad=True)``, ``fresh_leaves.py``); one over an
array that lives across calls (a global ``G``) is a captured tensor.  A captured
tensor is read again at each call; a module's ``training`` flag, another setting of
a module called in the function or reached by its names (with theirs: a method
``model.loss(x)`` may read ``self.beta``) (an attribute holding a number, Python's or NumPy's,
a string, bool, None or a tuple of them: ``Dropout.p``, ``eps``, a temperature) or a
captured tensor's ``requires_grad`` that changes traces again (once: the plan made
for the old settings is kept, and ``model.eval()`` / ``model.train()`` between calls
then replays the plan of each mode), and so does a module
called in the function or reached by its names that was given another tensor,
submodule, array, function, dict, list or plain object (``model.fc = nn.Linear(...)``,
``layer.activation = F.gelu``, ``model.cfg = Config(...)``), whose submodules (or those
of a module inside it, as a ``ModuleList`` a forward iterates) are others (``seq +=
more``, ``blocks.append(block)``), or whose config holds
another setting (``model.cfg.scale = 2.0``, ``model.options["shift"] = 0.5``), a name
of the function (closure, globals) bound to another tensor, NumPy array, random
generator, module, optimizer, scheduler, function, dict, list or plain object (``opt
= ad.optim.Adam(...)``, ``targets = np.full(...)``, ``act = F.gelu``, ``cfg =
Config(...)``), and a captured NumPy array that
changes between calls (noticed by a checksum, computed on every call, so large data
should be passed as arguments; one the plan itself updates in place, as
``ad.tensor(running).mul_(0.9)``, is checked against what the last replay left, and
one another compiled function updates so is read as an input that changes, when it
holds what that function's last write left: ``known_writes.py``);
so does a number, string, bool or None that a name of the function (closure,
globals) holds and that changes between calls (``scale = 0.5`` read as ``x *
scale``, ``if use_aux:``; the plan made for the old value is kept, as for a module's
settings), and so does such a value in a dict the function reaches
by name under a key its code writes (``cfg["clip"]``) or in an attribute its code
reads of a plain object it reaches by name (``args.clip`` of an
``argparse.Namespace``, a dataclass), as does a tensor, array, generator, module,
optimizer or function found there that is replaced by another (``state["rng"] =
np.random.default_rng(7)``).  The user's objects called through a list, tuple,
dict or config the function names (``for m in self.blocks_list``, ``heads[k](x)``,
``cfg.head(h)``) are followed as those named, and what holds them is compared by
identity (``held_objects.py``).  The numbers reached otherwise are fixed at
the trace, and so are the objects reached otherwise (another entry of a dict or
list, another object's attribute, a name of another function it calls): a
plan keeps using the tensors and optimizers it saw, so rebinding such an entry to a new
object needs a new ``ad.compile(fn)``.  A plan writes intermediate results into buffers it
allocates once and keeps while the plan is cached (``buffers.py``), so calls of one
compiled function from several threads run one at a time (and while one thread
traces, calls of compiled functions from the others wait for the trace to end); what a
call returns and what ``.grad`` holds are new arrays, never those buffers.  ``p.grad =
None`` inside the function is recorded as a step.  A compiled function called by the
function being traced runs eagerly inside that trace, its ops recorded into the caller's
plan.  A replay returns the tensors the call computed as new tensors without a graph, each
with the ``requires_grad`` its traced twin had and, where that is True, a ``grad_fn``
naming the same op (the loss of a training step, as eager execution returns it); a
backward that reaches one raises, naming the compiled function (``outputs.py``: the
plan ran the call's backward already, and keeps no graph; returning one whose graph
no backward of the call used, as a compiled forward would, warns while tracing with a
``TapeDropWarning``); a tensor the
function was given or captured and returns as it is (``return w``) is returned itself,
and one tensor returned in several places is one tensor, as in eager execution.  Plain
Python effects inside the function (appending to a list, ``print``) happen only while
tracing, as with ``torch.jit.trace``; showing a tensor (``print(loss)``), a tensor the
call made and left in an object the function reaches by name (``history.append(loss)``,
``self.cache = h`` in a module it calls), and a number reached by name that the call
changed (``steps += 1`` on a global, ``self.calls += 1`` in a forward, ``state["k"] +=
1`` in a dict the function reaches) warn with a
``NotReplayedWarning`` (``not_replayed.py``); but state an optimizer makes in its first
``step()`` makes the next call trace again, once, and a Python number a user's
optimizer counts in its state (``state["step"] += 1``) is refused
(``state_numbers.py``); one it counts in an attribute is carried by each replay when
its code only counts it up by a constant (``self.calls += 1``), and refused when the
code reads it otherwise (``1 - beta1 ** self.t``) or sets it
(``optimizer_counters.py``).  A function traced more often than its
plan cache holds warns once (``RuntimeWarning``), naming what changed since the last
trace (a Python number argument, a captured array changed in place, a setting).
"""

from __future__ import annotations

import collections
import functools
import threading
import warnings
from typing import Any, Callable

import numpy as np

from .. import inference_tensors as _inference_tensors
from ..graph import _grad_mode
from ..tensor import Tensor
from ..transforms import check_function
from .arguments import flatten, has_containers, rebuild
from .buffers import plan_buffers
from .fuse import fuse_elementwise
from . import hooks as _hooks
from .grad_presence import ARGUMENT_GRAD_IS_NONE
from .fused_optim import fuse_optimizer_steps
from .gemm_update import fold_updates_into_products
from .loss_head import fuse_loss_heads
from .optimize import eliminate_dead_code, same_arrays
from .plan import Plan
from .signatures import _signature_change, generator_arguments, signature
from .replay import build, note_replay_error
from .install import installed
from .known_writes import note_written
from .not_replayed import (NotReplayedWarning, array_sums, arrays_reached,
                           numbers_in_containers, numbers_reached,
                           reachable, sizes_reached, warn_of_arrays_changed,
                           warn_of_arrays_left_behind, warn_of_numbers_changed,
                           warn_of_sizes_changed, warn_of_tensors_left_behind)
from ..anomaly import active as anomaly_active
from ..inference_tensors import note_results
from ..saved_hooks import active as saved_hooks_active
from .torch_keywords import check_torch_keywords
from .tracer import TraceError, Tracer
from . import constant_sources
from .call_constants import read_live_when_reached
from .creator_scopes import creators_patched
from .held_objects import held_items_flags
from .captures import (captured_generators, captured_objects, captured_settings,
                       check_generators, check_generators_made_in_call, checksum,
                       members_of_captured_modules, named_values, rng_state,
                       settings_differ, settings_of_captured_modules, training_flags,
                       why_plan_does_not_fit)
from .fit_check import plan_fits
from .replaced_state import keep_replaced_state, optimizer_state_tensors
from .array_reads import array_flags, array_roots, names_in_code
from .state_reads import made_after_read as state_made_after_read
from .optimizer_counters import (carried_counters, counted_labels,
                                 optimizer_attribute_numbers, reads_watched)
from .state_numbers import optimizer_state_numbers, refuse_numbers_counted

__all__ = ["compile", "Compiled", "Plan", "NotReplayedWarning", "TraceError"]

#: Held by the thread that traces: a trace listens to the whole process (``install.py``),
#: so calls of compiled functions from other threads wait until it ends.
_tracing = threading.RLock()


class Compiled:
    """A function compiled by ``ad.compile``; call it like the function.

    ``plan`` is the plan of the last call; ``plans`` keeps up to ``cache_size``
    plans, one per signature and set of module settings (``model.eval()`` between
    training calls traces once, then each mode replays its own plan; least recently
    used dropped first).  ``fuse``:
    whether elementwise steps are fused into generated loops.
    """

    def __init__(self, fn: Callable, cache_size: int = 8, fuse: bool = True):
        self.fn = fn
        self.cache_size = cache_size
        self.fuse = fuse
        self.plans: collections.OrderedDict = collections.OrderedDict()
        self.plan: Plan | None = None
        self.traces = 0
        self._last_key = None               # the signature of the last trace
        self._warned_retracing = False
        self._state_made = False            # an optimizer made its state in a trace
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        result = self._call(args, kwargs)
        if _inference_tensors.open_blocks and _grad_mode.inference_mode:
            # (inside inference_mode, as the eager function's: a replay runs no op hook)
            note_results(result, (args, kwargs))
        return result

    def _call(self, args, kwargs):
        # A replay records no ops: detect_anomaly would have none to check, an open
        # saved_tensors_hooks block none to pack, and a function transform
        # (ad.grad(compiled)) none to differentiate (it would take the result for a
        # constant and give zeros), so all get the eager function.
        if anomaly_active() or saved_hooks_active() or _grad_mode.transform_depth > 0:
            return self._call_eagerly(args, kwargs)
        tracer = _hooks.active
        if tracer is not None and tracer.thread != threading.get_ident():
            with _tracing:      # another thread's trace is listening: wait for its end
                return self._call(args, kwargs)
        if tracer is not None:
            # Called by a function being traced: run eagerly, so that the outer trace
            # records this function's ops as its own (a replay of this plan would hand
            # the outer trace results without a graph, and the outer replays never
            # call this function again).  An array goes in as a tensor over it itself,
            # so that the outer trace knows it (a captured array, an argument's).
            return self._call_eagerly(args, kwargs, inside_trace=True)
        given = None
        if has_containers(args, kwargs):    # (the plan takes the leaves by position)
            given = args, kwargs
            leaves, structure = flatten(args, kwargs)
            args, kwargs = tuple(leaves), {}
        key = signature(args, kwargs)
        if given is not None:
            key += (("structure", ("S", structure)),)
        entry, plan, misfit = self._fitting_plan(key, args, kwargs)
        if plan is not None:
            self.plans.move_to_end(entry)
            self.plan = plan
            # (another trace running sees the leaves' .grad used: replay_traced)
            replay = plan.replay if _hooks.active is None else plan.replay_traced
            try:
                if not plan.buffers:
                    result = replay(args, kwargs)
                else:
                    with plan.lock:     # one call at a time writes into the plan's buffers
                        if plan.running:
                            raise RuntimeError(
                                f"compile: {plan.name} was called again while its replay "
                                "was running (from inside a replayed method); a plan's "
                                "buffers serve one call at a time")
                        plan.running = True
                        try:
                            result = replay(args, kwargs)
                        finally:
                            plan.running = False
            except Exception as error:
                note_replay_error(plan, error)
                raise
            for slot in plan.checksums_followed:
                plan.checksums[slot] = crc = checksum(plan.constant_values[slot])
                note_written(plan.constant_values[slot], crc)
            for module, flag in plan.training_after:
                module.training = flag
            for optimizer, attribute, added in plan.counters:   # (optimizer_counters.py)
                setattr(optimizer, attribute, getattr(optimizer, attribute) + added)
            return result
        self._note_trace(key, misfit)
        with _tracing:
            return self._trace(key, args, kwargs, given)

    def _call_eagerly(self, args, kwargs, inside_trace=False):
        """``fn`` run eagerly, each array argument given as a tensor over it (those in
        containers too, as a trace gives them): over a view of it, or over the array
        itself ``inside_trace``."""
        wrap = _tensor_over if inside_trace else _eager_argument
        if has_containers(args, kwargs):
            try:
                leaves, _ = flatten(args, kwargs)
            except TypeError:           # (an object no trace would take: given as it is)
                leaves = None
            if leaves is not None:
                args, kwargs = rebuild(args, kwargs, [wrap(a) for a in leaves])
                return self.fn(*args, **kwargs)
        return self.fn(*[wrap(a) for a in args], **{k: wrap(v) for k, v in kwargs.items()})

    def _fitting_plan(self, key, args, kwargs):
        """``(entry, plan, None)`` for the newest cached plan of signature ``key`` that
        fits what the function reaches now and the path the library takes for these
        arguments (``hooks.branch``), else ``(None, None, why)`` (why the newest plan of
        that signature does not fit, or None when there is none).

        A plan made for other module settings (``model.eval()`` between training
        calls, another ``Dropout.p``) or another path stays cached, since switching
        back makes it fit again; one that no longer fits for another reason (a
        captured array changed, a name bound to another object) is dropped."""
        why_not = None
        for entry in [e for e in reversed(self.plans) if e[0] == key]:
            plan = self.plans[entry]
            other_path = _other_path(plan, args, kwargs)
            if other_path is not None:
                why_not = why_not or other_path
                continue
            why = None if plan_fits(plan) else why_plan_does_not_fit(plan)
            if why is None:
                return entry, plan, None
            why_not = why_not or why
            if not settings_differ(plan):
                del self.plans[entry]
        return None, None, why_not

    def _note_trace(self, key, misfit) -> None:
        """Warn once when the function is about to be traced more often than its plan
        cache holds plans: something changes at (almost) every call, and each trace
        runs the function eagerly and builds a plan again."""
        last, self._last_key = self._last_key, key
        if self.traces != self.cache_size or self._warned_retracing:
            return
        self._warned_retracing = True
        why = misfit or (_signature_change(last, key) if last is not None else None)
        warnings.warn(
            f"compile: {getattr(self.fn, '__name__', 'the function')} is traced again, "
            f"{self.traces + 1} times so far{f' ({why})' if why else ''}: each trace runs "
            "it eagerly and builds a new plan, slower than an eager call. Keep arguments' "
            "shapes and dtypes fixed, pass numbers that change (a learning rate, a step "
            "count) as arrays or tensors rather than Python numbers, and leave captured "
            f"arrays and settings unchanged between calls (cache_size={self.cache_size}).",
            RuntimeWarning, stacklevel=3)

    def _trace(self, key, args, kwargs, given=None):
        """Trace a call with ``args`` and ``kwargs`` (the leaves of ``given``, the
        arguments as the caller gave them, when those hold containers)."""
        tracer = Tracer(getattr(self.fn, "__name__", "function"))
        kinds = {}
        call_args = []
        for position, value in enumerate(args):
            call_args.append(_traced_argument(tracer, position, value, kinds))
        call_kwargs = {name: _traced_argument(tracer, name, value, kinds)
                       for name, value in kwargs.items()}
        if given is not None:
            call_args, call_kwargs = rebuild(*given, call_args)
        rng_before = np.random.get_state()[1].copy()
        given_generators = generator_arguments(args, kwargs)
        generators = [(name, g, rng_state(g)) for name, g in
                      captured_generators(self.fn) + _numpy_generators(given_generators)]
        training_before = training_flags(self.fn)
        tracer.training_at_start = {key: flag for key, (_, flag) in training_before.items()}
        named_before = named_values(self.fn)
        in_containers = numbers_in_containers(self.fn)
        numbers_before = numbers_reached(named_before) | in_containers
        sizes_before = sizes_reached(named_before)
        arrays_before = arrays_reached(named_before)
        sums_before = array_sums(arrays_before)
        reached_roots = array_roots(self.fn)      # (a helper's names: flags only)
        sums_reached_before = array_sums(arrays_reached(reached_roots))
        state_before = optimizer_state_tensors(named_before)
        counts_before = optimizer_state_numbers(named_before)
        attributes_before = optimizer_attribute_numbers(named_before)
        with installed(tracer), creators_patched(self.fn), \
                reads_watched(attributes_before) as counter_reads:
            output = self.fn(*call_args, **call_kwargs)
            keep_replaced_state(state_before, tracer.made_during)
            tracer.held.returned = output
            plan = tracer.finish(output)
        refuse_numbers_counted(plan.name, counts_before)
        counters = carried_counters(plan.name, self.fn, attributes_before, named_before,
                                    counter_reads)
        # (a counter a replay carries is no setting a replay must find unchanged)
        carried = {(id(vars(optimizer)), attribute) for optimizer, attribute, _ in counters}
        plan.flags = [flag for flag in plan.flags       # (a module's setting till now)
                      if (id(getattr(flag[0], "__dict__", None)), flag[1]) not in carried]
        settings = captured_settings(self.fn)     # (as the call left them)
        counted = [label for label, where, key, _ in settings
                   if (id(where), key) in carried]
        if not np.array_equal(np.random.get_state()[1], rng_before):
            raise TraceError(
                f"compile: {plan.name} drew numbers from NumPy's global random generator "
                "(np.random.*); a replay would reuse them. Pass a np.random.Generator "
                "through an rng= argument of the op that needs it.")
        check_generators(plan, generators)
        check_generators_made_in_call(plan, self.fn, args, kwargs, tracer.modules)
        named = named_values(self.fn)
        roots = named + [(f"a {type(m).__name__} the call used", m)
                         for m, _ in tracer.modules.values()]
        _refuse_arguments_also_reached(plan.name, args, kwargs, roots)
        state_made = warn_of_tensors_left_behind(      # (in an optimizer's state)
            tracer, plan, roots, stacklevel=3, spare_optimizer_state=not self._state_made)
        state_made = state_made or state_made_after_read(tracer)
        # (an entry of a container counts only if it was there: a container that grew
        # is named by warn_of_sizes_changed)
        counted += counted_labels(named_before, counters)   # (a module's, model.calls)
        for label in counted:
            numbers_before.pop(label, None)
        warn_of_numbers_changed(plan.name, numbers_before, {
            label: number for label, number in numbers_reached(named).items()
            if label not in counted} | {
            label: number for label, number in numbers_in_containers(self.fn).items()
            if label in in_containers and label not in counted}, stacklevel=3)
        warn_of_sizes_changed(plan.name, sizes_before, stacklevel=3)
        arrays_after = arrays_reached(named)
        read_live_when_reached(plan, tracer, roots)
        plan.flags += constant_sources.flags(tracer)
        warn_of_arrays_left_behind(plan.name, arrays_before, arrays_after, stacklevel=3)
        warn_of_arrays_changed(plan, arrays_before, sums_before, arrays_after,
                               tracer.written, stacklevel=3)
        if state_made:
            # (``state["exp_avg"] = zeros_like(p)`` in a first step(): a plan would
            # keep this call's tensors; the next trace finds the state there)
            self._state_made = True
            self.traces += 1
            return output
        plan.bindings = captured_objects(self.fn)     # as the call left them
        arrays_read = arrays_after | {
            path: array for path, array in arrays_reached(reached_roots).items()
            if path not in arrays_after}
        plan.flags += array_flags(plan, arrays_read, sums_before | sums_reached_before,
                                  array_sums(arrays_read), tracer.replayed_arrays,
                                  names_in_code(self.fn))
        plan.generators = [g for _, g in given_generators]  # (signatures.py)
        plan.settings = [entry for entry in settings
                         if (id(entry[1]), entry[2]) not in carried]
        plan.counters = counters
        # train() / eval() inside the function: a replay leaves the flags as it did
        plan.training_after = [(m, m.training) for m, flag in training_before.values()
                               if m.training != flag]
        plan.flags += settings_of_captured_modules(self.fn, plan.flags)
        plan.flags += held_items_flags(self.fn)     # (``models.append(m)`` traces again)
        plan.members += members_of_captured_modules(self.fn, tracer.modules)
        values = tracer.values()
        plan.same_array = same_arrays(values)
        eliminate_dead_code(plan)
        if self.fuse:
            fuse_loss_heads(plan)
            fuse_elementwise(plan, values)
        plan.checksums = {slot: checksum(plan.constant_values[slot])
                          for slot in plan.constant_values if slot in plan.live}
        # A captured array the plan itself updates in place (an average kept under
        # no_grad, ``ad.tensor(running).mul_(0.9)``) changes at every replay: its
        # checksum follows each replay, and only a change between calls traces again.
        written = {id(array) for array in tracer.written}
        plan.checksums_followed = [slot for slot in plan.checksums
                                   if id(plan.constant_values[slot]) in written]
        for slot in plan.checksums_followed:       # (other plans reading it: known_writes)
            note_written(plan.constant_values[slot], plan.checksums[slot])
        plan_buffers(plan)
        plan.lock, plan.running = threading.RLock(), False
        fuse_optimizer_steps(plan)
        if self.fuse:
            fold_updates_into_products(plan)
        build(plan, kinds)
        self.traces += 1
        # (a signature may have several plans, one per module settings: ``_fitting_plan``)
        self.plans[(key, self.traces)] = plan
        while len(self.plans) > self.cache_size:
            self.plans.popitem(last=False)
        self.plan = plan
        return output

    def __repr__(self):
        name = getattr(self.fn, "__name__", self.fn)
        return f"<ad.compile of {name!r}: {len(self.plans)} plan(s)>"


def compile(fn: Callable | None = None, *, cache_size: int = 8, fuse: bool = True,
            fullgraph: bool = False, dynamic: bool | None = None, backend="inductor",
            mode: str | None = None, options: dict | None = None,
            disable: bool = False) -> Any:
    """Trace ``fn`` on its first call per signature and replay the recorded plan later.

    >>> w = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = ad.optim.SGD([w], lr=0.1)
    >>> @ad.compile
    ... def step(x):
    ...     loss = ((w * x).sum() - 1.0) ** 2
    ...     opt.zero_grad(); loss.backward(); opt.step()
    ...     return loss
    >>> [float(step(np.array([1.0, 1.0])).data) for _ in range(3)]
    [4.0, 1.4400000000000004, 0.5184]
    >>> step.traces
    1

    Python control flow is traced as taken: ``.item()`` or ``if t:`` on a traced
    value is refused; on a tensor from before the call that the trace does not follow
    (a buffer such as ActNorm's ``initialized`` flag) it is taken, and a later call
    finding that tensor holding another value traces again (``values_read.py``); but a
    branch on NumPy values computed from ``.data`` (``if (x.data > 0).all():``) is not
    seen, and every replay takes the traced branch.

    PyTorch's keywords are taken: ``backend``, ``mode`` and ``options`` choose how
    PyTorch generates code, and there is one way here, so they change nothing;
    a trace here is always of the whole call (what cannot be replayed raises, as
    ``fullgraph=True``) and a new shape traces again (as ``dynamic=False``); with
    ``disable=True`` the function is returned as it is, as in PyTorch.
    """
    check_torch_keywords(backend, mode, options)
    if fn is None:
        return lambda f: compile(f, cache_size=cache_size, fuse=fuse, disable=disable)
    if disable:
        return fn
    check_function(fn, "compile")
    return Compiled(fn, cache_size, fuse)


def _other_path(plan, args, kwargs) -> str | None:
    """Where the library takes another path for these arguments than for those
    the plan was traced with (``hooks.branch``), or None."""
    for position, predicate, taken, where in plan.branches:
        value = args[position] if isinstance(position, int) else kwargs[position]
        if predicate is not ARGUMENT_GRAD_IS_NONE and isinstance(value, Tensor):
            value = value.data
        if predicate(value) != taken:
            return f"{where} takes another path"
    return None


def _eager_argument(value):
    """An argument as the function gets it: an array as a tensor over a view of it."""
    if isinstance(value, np.ndarray):
        return Tensor._make(value.view(), None, False)
    return value


def _tensor_over(value):
    """An argument as a compiled function called inside a trace gets it: an array as a
    tensor over that very array."""
    if isinstance(value, np.ndarray):
        return Tensor._make(value, None, False)
    return value


def _numpy_generators(named) -> list:
    """``named`` (``(label, generator)`` pairs), each ``ad.Generator`` as the NumPy
    generator it draws from."""
    from ..generator import Generator
    return [(label, g.numpy_generator() if isinstance(g, Generator) else g)
            for label, g in named]


def _traced_argument(tracer, position, value, kinds):
    if isinstance(value, Tensor):
        kinds[position] = "tensor"
        if id(value.data) not in tracer.by_id:
            tracer.bind_input(position, value.data)
        tracer.input_tensors[id(value)] = position
        return value
    if isinstance(value, np.ndarray):
        kinds[position] = "array"
        # The trace tells arrays apart by identity: the argument's tensor gets a view
        # of its own, so that the same array also reached by a name the function
        # captured (a fixed batch passed once as the argument) stays a captured array
        # in the plan instead of becoming the argument of every replay.
        wrapper = _eager_argument(value)
        tracer.bind_input(position, wrapper.data)
        tracer.made_during.add(id(wrapper))     # alive in the call's arguments
        return wrapper
    return value


def _refuse_arguments_also_reached(name, args, kwargs, roots) -> None:
    """Raise when a tensor argument is also reached through what the function captures
    (``roots``): the trace tells tensors apart by identity, so the plan would read the
    argument in both places, and a replay given another tensor would use it for the
    captured one too."""
    passed = {id(v): k for k, v in [*enumerate(args), *kwargs.items()] if isinstance(v, Tensor)}
    if not passed:
        return
    for item, path in reachable(roots):
        if isinstance(item, Tensor) and id(item) in passed:
            raise TraceError(
                f"compile: argument {passed[id(item)]!r} of {name} is the tensor the "
                f"function also reaches as {path}; the plan cannot tell the two apart, so "
                "a replay given another tensor would use that one in both places. Either "
                "pass it as an argument or reach it by its name, not both.")
