"""Grad mode: whether operations are recorded, per thread (``no_grad``, ``enable_grad``).

The flag is thread-local, as in PyTorch.  Reading a thread-local costs more than the
rest of an op's recording check, so the op call paths first read
``threads_without_grad``, a plain module global that is 0 while every thread records.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading


#: Becomes True once any thread installs a recording hook; until then recording a node
#: does not even look the (thread-local) hook up.
hooks_active = False


#: How many threads have recording switched off at this moment.  While it is 0 the op
#: call paths skip reading the thread-local flag, which costs more than the rest of
#: a check (a thread that ends inside ``no_grad`` leaves it above 0: slower, not wrong).
threads_without_grad = 0
_threads_without_grad_lock = threading.Lock()


class _GradMode(threading.local):
    _enabled = True
    _on_record = None
    observers = ()      # the BackwardObservers watching reverse passes in this thread
    last_root = None    # explain.py: the last .backward()'s root node, or a weakref to its tensor
    backwards = 0       # how many .backward() passes ran (optim/accumulation_hint.py)
    transform_depth = 0  # transforms.py: > 0 while a function transform runs its function
    transform_level = None  # transforms.py: the TransformLevel running, None outside any
    backward_in_transform = False   # a Tensor.backward() runs inside a transform's function
    inference_mode = False  # an inference_mode(True) block is in effect (records nothing)

    @property
    def enabled(self) -> bool:
        """Whether operations are recorded in this thread."""
        return self._enabled

    @enabled.setter
    def enabled(self, enabled: bool) -> None:
        global threads_without_grad
        enabled = bool(enabled)
        if enabled != self._enabled:
            with _threads_without_grad_lock:
                threads_without_grad += -1 if enabled else 1
            self._enabled = enabled

    @property
    def on_record(self):
        """Called with each new Node in this thread (anomaly detection uses it)."""
        return self._on_record

    @on_record.setter
    def on_record(self, hook):
        global hooks_active
        self._on_record = hook
        if hook is not None:
            hooks_active = True


_grad_mode = _GradMode()


class TransformLevel:
    """One running function transform (``ad.grad(f)(x)`` ...), inside ``parent`` (the
    level that called it, None at the top).  Gradient hooks belong to the level that
    registered them (``hooks.py``); ``forward_mode`` levels (``jvp``, ``jacfwd``) run no
    reverse pass, so they refuse hooks."""

    __slots__ = ("parent", "forward_mode")

    def __init__(self, parent, forward_mode: bool = False):
        self.parent = parent
        self.forward_mode = forward_mode

    def __repr__(self):
        depth, level = 0, self
        while level is not None:
            depth, level = depth + 1, level.parent
        return f"TransformLevel(depth={depth})"


def is_grad_enabled() -> bool:
    """True when operations are recorded on the tape in this thread."""
    return _grad_mode.enabled


class _SetGradEnabled:
    """Context manager and decorator that sets grad mode for the current thread.

    Made by a plain call (``torch.no_grad()`` on a line of its own) it changes nothing,
    as in PyTorch, where that line is a common slip: one that is dropped without ever
    being entered or decorating a function warns at the user's line."""

    name = ""       # the function that made it; "" once used (or made to act at once)

    def __init__(self, enabled: bool, name: str = ""):
        self.enabled = enabled
        self.name = name

    def __enter__(self):
        self.name = ""
        self.previous = _grad_mode.enabled
        _grad_mode.enabled = self.enabled

    def __del__(self):
        if self.name and not sys.is_finalizing():
            _warn_never_entered(self.name, self.enabled)

    def __exit__(self, exc_type, error, traceback):
        _grad_mode.enabled = self.previous
        if error is not None:       # (p.data.copy_(v) in the block: NumPy's bare error)
            from .function_notes import explain_data_and_grad_arrays
            explain_data_and_grad_arrays(error)
        return False

    def __call__(self, func):
        self.name = ""
        enabled = self.enabled
        return decorated(func, lambda: _SetGradEnabled(enabled))


def _warn_never_entered(name: str, enabled: bool) -> None:
    from .tape_drop import user_frame, warn_at

    warn_at(user_frame(), (
        f"ad.{name}() was called but never entered: on a line of its own it changes "
        f"nothing (as in PyTorch), so grad mode stays as it was for the lines after it. "
        f"Write `with ad.{name}():` and indent the block under it, or decorate a "
        f"function with @ad.{name}(); ad.set_grad_enabled({enabled}) switches "
        f"recording {'on' if enabled else 'off'} at once."), UserWarning)


class InferenceMode(_SetGradEnabled):
    """``no_grad`` (``mode=True``) or ``enable_grad`` (``mode=False``) that also sets
    what ``is_inference_mode_enabled()`` answers in the block."""

    def __enter__(self):
        from . import inference_tensors

        super().__enter__()
        self.previous_inference = _grad_mode.inference_mode
        _grad_mode.inference_mode = not self.enabled
        if not self.enabled:
            inference_tensors.block_opened()    # (notes the tensors made: is_inference)

    def __exit__(self, *exc):
        from . import inference_tensors

        if not self.enabled:
            inference_tensors.block_closed()
        _grad_mode.inference_mode = self.previous_inference
        return super().__exit__(*exc)

    def __call__(self, func):
        self.name = ""
        enabled = self.enabled
        return decorated(func, lambda: InferenceMode(enabled))


def inference_mode_enabled() -> bool:
    """Whether an ``inference_mode(True)`` block is in effect in this thread."""
    return _grad_mode.inference_mode


def decorated(func, context):
    """``func`` run inside ``context()`` (a new context manager per call).  A generator
    function's body runs inside it each time it is resumed, and the caller's state comes
    back at each ``yield``, as with PyTorch's decorators (wrapping the call alone would
    leave the block before the body ever ran).

    >>> @ad.no_grad()
    ... def scaled(xs):
    ...     for x in xs:
    ...         yield x * 2
    >>> next(scaled([ad.tensor(1.0, requires_grad=True)])).requires_grad
    False
    """
    if inspect.isgeneratorfunction(func):
        @functools.wraps(func)
        def generator_wrapper(*args, **kwargs):
            generator = func(*args, **kwargs)
            try:
                with context():
                    response = generator.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with context():
                            generator.close()
                        raise
                    except BaseException as error:
                        with context():
                            response = generator.throw(error)
                    else:
                        with context():
                            response = generator.send(request)
            except StopIteration as stop:
                return stop.value
        return generator_wrapper

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with context():
            return func(*args, **kwargs)
    return wrapper


def no_grad(func=None):
    """Record nothing inside this block (thread-local); also works as a decorator, with
    or without the parentheses (``@ad.no_grad()``, ``@ad.no_grad``, as PyTorch's).

    >>> w = ad.tensor([1.0], requires_grad=True)
    >>> with ad.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    return _made_or_decorating("no_grad", False, func)


def enable_grad(func=None):
    """Record operations again inside a ``no_grad`` block (or a decorated function)."""
    return _made_or_decorating("enable_grad", True, func)


def _made_or_decorating(name: str, enabled: bool, func, kind=None):
    """``kind(enabled, name)``, or ``func`` decorated with it (the bare ``@no_grad``)."""
    kind = kind or _SetGradEnabled
    if func is None:
        return kind(enabled, name)
    if not callable(func):
        raise TypeError(f"{name}: takes no argument but a function to decorate, got "
                        f"{type(func).__name__}; write `with ad.{name}():` for a block")
    return kind(enabled)(func)
