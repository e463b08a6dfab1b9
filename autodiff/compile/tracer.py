"""Recording one eager call of a function into a plan.

The call runs exactly as it would without ``ad.compile``; while it runs, the tracer
listens at the places where values are made:

* every op call (``Op._record`` through ``on_record``, the unrecorded path through
  ``registry.kernel_hook``) becomes an ``op`` step;
* every gradient edge of the reverse pass becomes a ``rule`` (or ``joint`` +
  ``pick``) step, followed by the ``sum_to`` / ``astype`` the pass applied, with the
  contributions to one value added in the order the pass added them, and a
  ``leaf_grad`` step per leaf that received a gradient (``reverse_pass.py``);
* methods marked ``@replayed`` (``opt.step()``, ``opt.zero_grad()``) become ``call``
  steps, and in-place writes into arrays become ``write`` steps.

Values are told apart by the identity of their arrays (all of them are kept alive
until the trace ends, so no identity is reused).  An array the tracer has not seen
is a captured value: the ``.data`` of a tensor that existed before the call (read
again at each replay: parameters, constant tensors), or a constant.  Arrays the
library makes during the call come through ``hooks.made`` and are made again; those
the user's code makes with NumPy from Python numbers alone are certified constants
(``call_constants.py``), and the plan keeps a copy.
Whatever would make a replay differ from the eager call is refused here, with the
op and the user's line.  (``install.py`` connects a tracer to the library for the
length of the call.)
"""

from __future__ import annotations

import threading
import types
import weakref

import numpy as np

from ..tensor import Tensor
from . import refusals
from .refusals import TraceError
from .effects import (Buffer, CallWith, NthResult, SameShape, checked, write_clamp,
                      write_item, write_update)
from .members import module_members
from .outputs import output_template
from .plan import Instr, Plan, Ref, Slot, in_c_order, is_broadcast, memory_order
from . import (call_constants, fresh_leaves, grad_presence, hyperparameters, literals,
               readonly, values_read)
from .provenance import entry_frame, numpy_caller, passed_in, python_numbers, user_line
from .provenance import leaf_label as _leaf_label
from .reverse_pass import ReversePass


#: The frames that make a tensor and set its ``.data`` and ``.grad`` the first time:
#: Tensor's constructors, and the op call paths' ``_record``, which makes its result
#: without calling ``Tensor._make`` (one call less per op).
_TENSOR_MAKERS = {("autodiff.tensor", "_make"), ("autodiff.tensor", "__init__"),
                  ("autodiff.ops.registry", "_record")}


def _makes_a_tensor(frame) -> bool:
    return (frame.f_globals.get("__name__"), frame.f_code.co_name) in _TENSOR_MAKERS


class Tracer(ReversePass):
    """Records one call; ``finish`` turns the recording into a ``Plan`` (the reverse
    pass is recorded by the methods of ``ReversePass``, ``reverse_pass.py``)."""

    def __init__(self, name: str):
        self.name = name
        self.thread = threading.get_ident()
        self.slots: list[Slot] = []
        self.by_id: dict[int, int] = {}
        self.keep: list = []                # every bound object, so ids stay unique
        self.instrs: list[Instr] = []
        self.inputs: list = []              # (position, slot)
        self.input_tensors: dict[int, int] = {}   # id(Tensor argument) -> position
        self.captured: dict[int, tuple] = {}      # id(tensor) -> (tensor, slot)
        self.capture_sites: dict[int, tuple] = {}  # id(tensor) -> (op name, line)
        self.nodes: list = []               # weak refs to the nodes recorded (fresh check)
        self.recorded: set = set()          # their ids (a backward must stay among them)
        self.constants: list = []           # (array, op name, line) for the fresh check
        # NumPy scalars the user's code passed to the library (the fresh check refuses
        # those made during the call): id -> (scalar, op, line).  (Library code makes
        # NumPy scalars from Python numbers, dtype.type(1), and they are not told apart
        # from those it would compute from values: it computes those with hooks.made.)
        self.scalars: dict = {}
        self.user_made: set = set()         # ids of tensors made by ad.tensor in the call
        self.fresh_leaf_arrays: dict = {}   # fresh_leaves.py: id(tensor) -> (array, line)
        self.literals: set = set()          # ids of their arrays made from Python numbers
        # Arrays the library made from Python numbers (Tensor(2.0) for a number operand):
        # id -> array, kept so that no array made later from values takes the id.
        self.number_arrays: dict = {}
        # NumPy scalars the library made from Python numbers (np.vectorize's entries of a
        # number argument): id -> scalar, kept alive for the same reason.
        self.number_scalars: dict = {}
        self.literal_values: dict = {}      # slot -> such an array at its first use
        self.node_slots: dict = {}          # node -> slot of its gradient
        self.contributions: dict = {}       # node -> [slots], gradient parts not yet added
        self.joint_slots: dict = {}         # (node, g's slot) -> slot of its joint rule's result
        self.saved_slots: dict = {}         # node -> slot of what a saves=True op saved
        self.leaf_parts: dict = {}          # id(leaf) -> [leaf, [slots], grad before]
        self.stored_into: set = set()       # ids of the leaves the pass added a gradient to
        self.leaves: dict = {}              # id(leaf) -> ("input", pos) | ("captured", t)
        self.suspended = 0
        self.lines: dict = {}               # ("hook", id) or ("buffer", id(module), name) -> line
        # ids of the tensors made during the call (Tensor.__init__ and _make report here;
        # an id in it cannot belong to a tensor that existed before the call and is
        # alive), and, for tensors from before the call, id(array) -> weak reference to
        # the tensor whose .data it was when read: such an array is that tensor's
        # (captured, read again at each replay), not a constant.
        self.made_during: set = set()
        self.data_owners: dict = {}
        self.modules: dict = {}             # id(module) -> (module, its training flag)
        self.tensor_buffers: list = []      # (module, name, id) of its Tensor buffers, when called
        # id(module) -> its training flag when the call began, for the modules the
        # function reaches by name (one it switches with train()/eval() is keyed so)
        self.training_at_start: dict = {}
        self.groups = hyperparameters.snapshot()    # optimizers' groups, as last seen
        # slot -> position of its traced value in self.keep (for the fuser; an index,
        # not a reference, so that check_fresh_constants counts references as before)
        self.slot_values: dict = {}
        self.held = readonly.HeldArrays()   # arrays read-only until the trace ends
        self.written: list = []             # arrays in-place tensor ops wrote into
        self.replayed_arrays: list = []     # arrays of objects whose @replayed methods ran
        self.call_arrays: list = []         # call_constants.py: certified arrays made
        self.call_constants: dict = {}      # id -> array of one, checked at each use
        self.no_constants: list = []        # call_constants.py: (weak ref, why, line)
        self.reached_codes = None           # creator_scopes.py: code whose calls certify
        self.traced_views: list = []        # call_constants.py: weak refs, no constants
        # hooks.branch: (argument position, predicate, result at the trace, where)
        self.branches: list = []
        # (obj, attribute) of a state an op read outside the tape (sdpa_kernel's
        # backends): a replay fits while it holds its value at the trace's end
        self.states_read: dict = {}
        self.values_read: dict = {}     # id(tensor) -> a flag: values_read.py

    # ----- slots ------------------------------------------------------------------
    def owns_thread(self) -> bool:
        return self.suspended == 0 and threading.get_ident() == self.thread

    def new_slot(self, value, source="computed", bind=True) -> int:
        index = len(self.slots)
        shape = getattr(value, "shape", ())
        dtype = getattr(value, "dtype", None)
        self.slots.append(Slot(index, tuple(shape), dtype, source))
        if source == "captured" and value.__class__ is np.ndarray:
            self.slots[index].memory_order = memory_order(value)
        if value is not None:
            if bind:                        # later uses of this array read this slot
                self.by_id[id(value)] = index
            self.slot_values[index] = len(self.keep)
            self.keep.append(value)
        return index

    def unkept_slot(self, value) -> int:
        """A slot for a value the trace does not keep (a gradient passed on, a partial
        sum): its shape, dtype and memory layout noted (``fuse.py`` reads the layout)."""
        index = self.new_slot(None)
        slot = self.slots[index]
        slot.shape, slot.dtype = np.shape(value), np.result_type(value)
        slot.c_order, slot.broadcast = in_c_order(value), is_broadcast(value)
        return index

    def bind_input(self, position, array):
        slot = self.new_slot(array, "input")
        self.inputs.append((position, slot))
        return slot

    def from_before(self, tensor) -> bool:
        """A leaf tensor that existed before the call and is not one of its arguments
        (a parameter, a captured constant)."""
        return (tensor._node is None and id(tensor) not in self.input_tensors
                and id(tensor) not in self.made_during)

    def on_data_read(self, tensor, array, frame):
        """``tensor.data`` was read while tracing (``Tensor.data`` reports here), by
        the code of ``frame`` (the user's code gets a traced array read-only)."""
        if type(array) is not np.ndarray or not self.owns_thread():
            return
        if id(array) not in self.data_owners and self.from_before(tensor):
            self.data_owners[id(array)] = weakref.ref(tensor)
        readonly.on_data_read(self, tensor, array, frame)

    def on_data_set(self, tensor, frame):
        """``tensor.data = value`` while tracing (``Tensor.data`` reports here).  A
        tensor made during the call may be given any array (later ops read it); one
        from before the call (a parameter, a captured tensor, an argument) keeps the
        array a replay writes into, and an assignment would run only while tracing."""
        if not self.owns_thread() or id(tensor) in self.made_during:
            return
        if _makes_a_tensor(frame):
            return
        raise TraceError(
            f"compile: .data of {_leaf_label(tensor)}, a tensor from before the call, is "
            f"assigned at {user_line()} (t.data = ..., t.data -= ..., or t += ... "
            "recorded in grad mode); a replay would skip the assignment, as it runs only "
            "while tracing. Update parameters with an optimizer from ad.optim "
            "(opt.step()), and other tensors with in-place tensor ops under ad.no_grad() "
            "(with ad.no_grad(): ema.copy_(0.9 * ema + 0.1 * w)): a replay repeats both.")

    def capture(self, tensor, value, op_name, line, bind=True) -> int:
        """The slot of captured ``tensor`` (its ``.data``, ``value`` now)."""
        known = self.captured.get(id(tensor))
        if known is not None and self.keep[self.slot_values[known[1]]] is value:
            call_constants.check_use(self, value, known[1], op_name, line)
            return known[1]
        slot = self.new_slot(value, "captured", bind=bind)
        literals.first_use(self, value, slot)
        self.held.hold(value, *readonly.describe(self, tensor))
        self.captured[id(tensor)] = (tensor, slot)
        self.capture_sites[id(tensor)] = (op_name, line)
        return slot

    def ref(self, value, tensor=None, op_name="", line=""):
        """The template for an argument: a ``Ref`` for arrays, the value otherwise."""
        if isinstance(value, Tensor):
            tensor, value = value, value.data
        if isinstance(value, np.ndarray):
            slot = self.by_id.get(id(value))
            if slot is not None:
                call_constants.check_use(self, value, slot, op_name, line)
                if (tensor is not None and self.slots[slot].source == "input"
                        and self.from_before(tensor)):
                    # A parameter whose array was also passed as an argument: at a
                    # replay the argument is another array, the parameter is not.
                    return Ref(self.capture(tensor, value, op_name, line, bind=False))
                return Ref(slot)
            if tensor is None:
                owner = self.data_owners.get(id(value))
                owner = owner() if owner is not None else None
                if owner is not None and owner.data is value and self.from_before(owner):
                    tensor = owner      # a constant tensor's array: read again each call
            if tensor is not None and id(tensor) in self.made_during and not tensor.requires_grad:
                tensor = None   # a wrapper made in the call (ad.tensor(array)): its array counts
            if tensor is not None and id(tensor) not in self.input_tensors:
                return Ref(self.capture(tensor, value, op_name, line))
            if call_constants.constant_source(self, value) is not None:
                self.literals.add(id(value))        # made in the call from numbers only
                self.call_constants[id(value)] = value
            slot = self.new_slot(value, "constant")
            literals.first_use(self, value, slot)
            self.constants.append((value, op_name, line, slot))
            return Ref(slot)
        if isinstance(value, (tuple, list)):
            items = [self.ref(v, None, op_name, line) for v in value]
            return type(value)(items)
        if (isinstance(value, np.generic) and id(value) not in self.scalars
                and id(value) not in self.number_scalars
                and passed_in(value, self.user_made)):
            self.scalars[id(value)] = (value, op_name, line, numpy_caller())
        return value

    def leaf_ref(self, leaf):
        position = self.input_tensors.get(id(leaf))
        return ("input", position) if position is not None else ("captured", leaf)

    # ----- forward ------------------------------------------------------------------
    def on_record(self, node):
        """``Op._record`` made ``node`` (installed as ``_grad_mode.on_record``)."""
        if not self.owns_thread():
            return
        self.flush()
        self.nodes.append(weakref.ref(node))    # not kept alive: a dead graph frees its guards
        self.recorded.add(id(node))
        op = node.op
        line = user_line()
        if _holds_function(node.kwargs):
            raise TraceError(
                f"compile: '{op.name}' at {line} was given a Python function made during the "
                "call (the vjp of a custom_gradient); a replay would call the traced one "
                "with its traced values. Write the op as an ad.Function, which a replay "
                "runs again.")
        args = tuple(self.ref(a, p if isinstance(p, Tensor) else None, op.name, line)
                     for a, p in zip(node.args, node.parents))
        kwargs = {k: self.ref(v, None, op.name, line) for k, v in (node.kwargs or {}).items()}
        refusals.check_mask_key(self, op.name, kwargs, line)
        out = self.new_slot(node.ans)
        outs = (out,)
        if getattr(op, "saves", False):
            saved = self.new_slot(None)
            self.saved_slots[node] = saved
            outs = (out, saved)
        self.emit("op", op.name, checked(op, op.forward, node.ans, line), args, kwargs,
                  outs, line, effect=_has_effect(kwargs), zero_d=node.ans.ndim == 0)

    def on_kernel(self, op, args, raw, kwargs, out):
        """An op ran without recording a node (``registry.kernel_hook``)."""
        result = Tensor._make(out if type(out) is np.ndarray else np.asarray(out), None, False)
        if not self.owns_thread():
            return result
        self.flush()
        line = user_line()
        refs = tuple(self.ref(a, None, op.name, line) for a in args)
        kw = {k: self.ref(v, None, op.name, line) for k, v in (kwargs or {}).items()}
        refusals.check_mask_key(self, op.name, kw, line)
        slot = self.new_slot(result.data)
        self.emit("op", op.name, checked(op, op.kernel, result.data, line), refs, kw,
                  (slot,), line, effect=_has_effect(kw), zero_d=result.data.ndim == 0)
        return result

    def on_module_call(self, module):
        """A module was called: a replay fits only while its ``training`` flag is the
        one it had now (``model.eval()`` between calls traces again), and while its
        tensors and submodules stay the same objects (``module_members``)."""
        if self.owns_thread() and id(module) not in self.modules:
            self.modules[id(module)] = (module, self.training_at_start.get(
                id(module), module.training))
            readonly.hold_buffers(self.held, module)
            from ..nn.buffer import is_tensor_buffer        # (nn imports compile)
            self.tensor_buffers += [(module, name, id(value)) for name, value in getattr(
                module, "_buffers", {}).items() if is_tensor_buffer(value)]

    def on_numpy_result(self, fn, args, kwargs, result, name=None):
        """A NumPy function without gradient (``np.argmax``, ``np.any`` ...) ran on
        traced values: a replay computes it again; one whose result's size depends on
        the values (``np.nonzero``) is refused, by ``name`` if given."""
        name = name or f"np.{getattr(fn, '__name__', fn)}"
        if isinstance(result, tuple) and fn in (np.unravel_index, np.ix_):
            # (arrays of the input's size, whatever the values: each made again)
            return tuple(self.on_numpy_result(NthResult(fn, n), args, kwargs, part, name)
                         for n, part in enumerate(result))
        if isinstance(result, (tuple, list)) or fn in (np.argwhere, np.flatnonzero):
            raise TraceError(
                f"compile: {name} at {user_line()} gives arrays whose size depends on the "
                "values, and a plan's shapes are fixed. Keep the shape: the three-argument "
                "ad.where(mask, x, y), or a product with the mask; or call "
                f"{name} outside the compiled function.")
        value = np.asarray(result)
        self.on_made(name, fn, args, kwargs, value, False)
        return Tensor._make(value, None, False)

    def on_made(self, label, fn, args, kwargs, value, stateful):
        """The library computed ``value = fn(*args, **kwargs)`` off the tape
        (``hooks.made``): a replay calls ``fn`` again, on that call's values."""
        self.flush()
        line = user_line()
        refs = tuple(self.ref(a, None, label, line) for a in args)
        kw = {k: self.ref(v, None, label, line) for k, v in kwargs.items()}
        slot = self.new_slot(value)
        if not isinstance(fn, np.ufunc):    # (a ufunc's shape is its inputs')
            fn = SameShape(fn, value.shape, label, line)
        self.emit("op", label, fn, refs, kw, (slot,), line, effect=stateful,
                  zero_d=value.ndim == 0)

    def on_branch(self, label, array, predicate, taken) -> bool:
        """``hooks.branch``: a guard on the argument ``array`` is (or holds, reshaped)."""
        position = argument_position(self, array)
        if position is None:
            return False
        self.branches.append((position, predicate, taken, f"{label} at {user_line()}"))
        return True

    def emit(self, kind, label, fn, args, kwargs, outs, line="", effect=False, **extra):
        instr = Instr(kind, label, fn, tuple(args), dict(kwargs), tuple(outs), line,
                      effect, extra)
        self.instrs.append(instr)
        return instr

    def on_write(self, how, tensor, value, extra):
        """An in-place write into ``tensor``'s array that records no node: recorded,
        and a context manager for the write (it may write into a held array)."""
        if not self.owns_thread():
            return self.held.lifted(None)
        self.flush()
        line = user_line()
        where = f"in-place {how}"
        target = self.ref(tensor, tensor, where, line)
        value = self.ref(value, None, where, line)
        if how == "update":
            fn, args, label = write_update, (target, value, extra.forward), extra.name
        elif how == "setitem":
            fn, args, label = write_item, (target, value, self.ref(extra, None, where, line)), ""
        elif how == "fill":
            fn, args, label = write_item, (target, value, Ellipsis), ""
        else:
            fn, args, label = write_clamp, (target,) + tuple(value), ""
        self.emit("write", f"{how} {label}".strip(), fn, args, {}, (), line, effect=True)
        self.written.append(tensor.data)
        return self.held.lifted(tensor.data)

    # ----- values leaving the library ------------------------------------------------
    def on_value(self, tensor, what):
        """``tensor.item()``, ``bool(tensor)``, ``np.asarray(tensor)`` during the trace
        (installed as ``tensor.value_hook``, a method: ``value_hook.__self__`` is the
        tracer).  ``refusals.refuse_value_leaving`` refuses a traced tensor's value."""
        if self.owns_thread():
            refusals.refuse_value_leaving(self, tensor, what)
            values_read.note(self, tensor, what, user_line())

    # ----- .grad assignments -----------------------------------------------------------
    def on_grad_set(self, tensor, value, frame):
        """``tensor.grad = value`` outside the engine (while tracing, ``Tensor.grad`` is
        a property that reports here)."""
        if not self.owns_thread() or frame.f_globals.get("__name__") == "autodiff.graph":
            return
        if frame.f_code.co_name in ("_make", "__init__") or _makes_a_tensor(frame):
            self.made_during.add(id(tensor))
            entry = entry_frame()
            if entry is not None and entry.f_globals.get("__name__") == "autodiff.tensor" \
                    and entry.f_code.co_name in ("tensor", "__init__"):
                data = entry.f_locals.get("data")
                if python_numbers(data) or call_constants.certified(data):
                    # (read from Tensor.__init__'s frame: .data reports reads here)
                    array = frame.f_locals.get("array")
                    literals.made(self, array)
                    if not python_numbers(data):
                        self.call_constants[id(array)] = array
                else:
                    fresh_leaves.made(self, tensor, frame.f_locals.get("array"), entry)
            elif frame.f_code.co_name == "__init__" and python_numbers(frame.f_locals.get("data")):
                array = frame.f_locals.get("array")
                self.number_arrays[id(array)] = array
            return
        if value is None and (
                not getattr(tensor, "requires_grad", False) or tensor._node is not None):
            return                      # a tensor being made, or no gradient to clear
        self.flush()
        if value is not None:
            raise TraceError(
                f"compile: the .grad of {_leaf_label(tensor)} is set to an array at "
                f"{user_line()}; a replay could not repeat it. Let backward() store "
                "gradients, and clear them with opt.zero_grad() or .grad = None")
        self.emit("clear_grad", _leaf_label(tensor), None, (), {}, (), user_line(),
                  effect=True, leaf=self.leaf_ref(tensor))

    # ----- replayed calls ------------------------------------------------------------
    def on_replayed_call(self, method, obj, args, kwargs):
        self.flush()
        line = user_line()
        label = f"{type(obj).__name__}.{method.__name__}"
        for value in list(args) + list(kwargs.values()):
            if not (value is None or isinstance(value, (np.ndarray, np.generic, bool, int, float,
                                                        str))):
                hint = ("pass its array (t.data) instead, which each replay fills again"
                        if isinstance(value, Tensor) else "no closure= or other objects")
                raise TraceError(
                    f"compile: {label} is called with arguments at {line}, one a "
                    f"{type(value).__name__}; a compiled function can replay it only with "
                    f"arrays and numbers as arguments: {hint}")
        refusals.check_arguments_inside(self, label, obj, line)
        refs = tuple(self.ref(v, None, label, line) for v in args)
        kw = {k: self.ref(v, None, label, line) for k, v in kwargs.items()}
        hyperparameters.check(self.groups, self.name, f"before {label} at {line}")
        result = self.untraced(method, (obj,) + tuple(args), kwargs)
        self.replayed_arrays += [value for value in getattr(obj, "__dict__", {}).values()
                                 if isinstance(value, np.ndarray)]
        self.groups = hyperparameters.snapshot()
        self.emit("call", label, method, (obj,) + refs, kw, (), line, effect=True)
        return result

    def untraced(self, fn, args, kwargs):
        """``fn(*args, **kwargs)`` with this tracer deaf to what it does."""
        self.suspended += 1
        try:
            with self.held.lifted_all():
                return fn(*args, **kwargs)
        finally:
            self.suspended -= 1

    def on_replayed_function(self, fn, args, kwargs):
        """A ``@replayed_function`` ran: a replay calls it with the same objects."""
        self.flush()
        line = user_line()
        name = getattr(fn, "__name__", "function")
        refusals.check_arguments_inside(self, name, (args, kwargs), line)
        refusals.check_made_during(self, name, args, kwargs, line)
        result = self.untraced(fn, args, kwargs)
        # A "call" step passes its first argument by name and the rest through the
        # plan's namespace: objects (tensors, generators) stay the same objects.
        self.emit("call", getattr(fn, "__name__", "function"), CallWith(fn), (args,),
                  dict(kwargs), (), line, effect=True)
        return result

    # ----- the end ----------------------------------------------------------------------
    def finish(self, output) -> Plan:
        self.flush()
        hyperparameters.check(self.groups, self.name, "by the end of the call")
        refusals.check_replaced_tensor_buffers(self)
        refusals.check_fresh_constants(self)
        template = output_template(self, output)
        self.capture_buffers()
        captured = [self.captured[k] for k in self.captured]
        leaves = list(self.leaves.values())
        plan = Plan(self.name, self.slots, self.instrs, self.inputs, captured, template,
                    leaves)
        # What the plan assumes of the objects it reads: training flags, the modules'
        # settings (Dropout.p, eps, a temperature), requires_grad.
        plan.flags = [(module, "training", flag) for module, flag in self.modules.values()]
        from .captures import public_names, plain_settings
        from .reached import module_settings
        plan.flags += [(module, key, value) for module, _ in self.modules.values()
                       for key, value in module_settings(module)]
        plan.flags += [entry for module, _ in self.modules.values()
                       for entry in plain_settings(module, vars(module),
                                                   public_names(module))]
        plan.flags += [(tensor, "requires_grad", tensor.requires_grad)
                       for tensor, _ in captured]
        # (a gradient hook registered later on a captured leaf: the same)
        from ..hooks import GradientHookWatch
        plan.flags.append((GradientHookWatch([tensor for tensor, _ in captured
                                              if tensor.requires_grad]), "hooked", False))
        # (a hook registered later runs Python code a replay would skip; pruning's traced)
        plan.flags += [(module, "_hooks_for_compile", module._hooks_for_compile)
                       for module, _ in self.modules.values()
                       if hasattr(module, "_forward_hooks")]
        plan.flags += [(obj, key, getattr(obj, key)) for obj, key in self.states_read.values()]
        plan.flags += list(self.values_read.values()) + grad_presence.flags(self)
        plan.members = self.module_members()
        plan.constant_values = {slot: value for value, _, _, slot in self.constants}
        plan.literal_values = self.literal_values
        plan.constant_values.update((slot, value) for slot, value in self.literal_values.items()
                                    if slot in plan.constant_values)
        plan.constant_sites = {slot: (op, line) for _, op, line, slot in self.constants}
        plan.branches = self.branches
        plan.call_constants = {slot: line for value, _, line, slot in self.constants
                               if id(value) in self.call_constants}
        return plan

    def module_members(self) -> list:
        """``module_members`` of the modules the call used and of those inside them
        (a ``ModuleList`` a forward iterates is not called), as they are at its end."""
        seen, used = set(), []
        for called, _ in self.modules.values():
            for module in called.modules():
                if id(module) not in seen:
                    seen.add(id(module))
                    used.append(module)
        return module_members(used)

    def capture_buffers(self):
        """Constants that are buffers of a module the call used become captured: a
        replay reads the module's attribute again (``load_state_dict`` or an assignment
        may have put another array there)."""
        owners = {}
        for module, _ in self.modules.values():
            for name, array in getattr(module, "_buffers", {}).items():
                if isinstance(array, np.ndarray):
                    owners.setdefault(id(array), (module, name))
        kept = []
        for entry in self.constants:
            array, slot = entry[0], entry[3]
            owner = owners.get(id(array))
            if owner is None:
                kept.append(entry)
                continue
            buffer = Buffer(*owner)
            self.slots[slot].source = "captured"
            self.captured[id(buffer)] = (buffer, slot)
        self.constants = kept

    def values(self) -> dict:
        """The arrays the trace computed or was given, by slot (those it kept)."""
        keep = self.keep
        return {slot: np.asarray(keep[k]) for slot, k in self.slot_values.items()
                if isinstance(keep[k], (np.ndarray, np.generic))}


#: Ops whose result holds exactly the elements of their operand (for ``on_branch``).
#: (view, ravel, unsqueeze, permute, contiguous and .T record as these)
_SAME_ELEMENTS = frozenset({"reshape", "flatten", "squeeze", "expand_dims", "transpose",
                            "swapaxes", "copy"})


def argument_position(tracer, array):
    """The position of the argument whose array ``array`` is, or whose elements it
    holds by reshaping ops the call recorded; None for any other array."""
    slot = tracer.by_id.get(id(array))
    producers = None
    while slot is not None:
        for position, input_slot in tracer.inputs:
            if input_slot == slot:
                return position
        if producers is None:
            producers = {out: instr for instr in tracer.instrs for out in instr.outs}
        instr = producers.get(slot)
        if (instr is None or instr.kind != "op" or instr.label not in _SAME_ELEMENTS
                or not instr.args or type(instr.args[0]) is not Ref):
            return None
        slot = instr.args[0].index
    return None


def _holds_function(kwargs) -> bool:
    stack = list((kwargs or {}).values())
    while stack:
        value = stack.pop()
        if isinstance(value, types.FunctionType):
            return True
        if isinstance(value, (tuple, list)):
            stack.extend(value)
    return False


def _has_effect(kwargs) -> bool:
    """Ops given stateful objects (a ctx, an rng) must run even when unused."""
    for value in kwargs.values():
        if not (value is None or isinstance(value, (Ref, bool, int, float, str, tuple,
                                                    list, np.generic, np.dtype, type))):
            return True
    return False

