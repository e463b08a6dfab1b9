"""PyTorch's habits of placing and compiling a module, which change no number here:
``device=`` in the constructors of the library's layers, as PyTorch's factory
keyword (``nn.Linear(4, 2, device="cpu")``, ``factory_kwargs = {"device": device, ...}``):
the CPU is taken (None, ``"cpu"``, ``"cpu:0"``, a ``torch.device("cpu")``) and does
nothing; any other device is refused by name, as ``ad.zeros(..., device=)`` does (and a
``torch.dtype`` given as ``dtype`` is read as NumPy's of the same name).  And
``module.compile(**torch_compile_keywords)``, which runs the module as it is.

Only the library's own classes get the keyword: a user's subclass keeps the signature
its ``__init__`` has (passing ``device=`` to one that does not take it is a TypeError,
as in PyTorch).  PyTorch's constructors take ``device`` and ``dtype`` by position too,
after their other parameters (``nn.Linear(3, 4, True, "cpu", torch.float32)``), so the
library's take them there as well: positional arguments past an ``__init__``'s own
are named by the class's ``_torch_positional_tail`` (``("device", "dtype")`` unless
the class says otherwise: ``nn.GRU``'s is ``("_proj_size", "device", "dtype")``,
PyTorch's positional proj_size, which must be 0, while its ``proj_size=`` keyword is
refused).
"""

from __future__ import annotations

import functools
import inspect

from ..compile.torch_keywords import check_torch_keywords
from ..devices import check_device
from ..missing_dtypes import from_torch_dtype


def _takes_device(init) -> bool:
    if getattr(init, "_takes_device_keyword", False):       # (already given it)
        return True
    parameters = inspect.signature(init).parameters.values()
    return any(p.name == "device" or p.kind is p.VAR_KEYWORD for p in parameters)


def _positional_tail(cls, init) -> tuple[int, tuple[str, ...]]:
    """How many positional parameters ``init`` has (after self), and the names PyTorch's
    constructor gives the positions after them: the class's ``_torch_positional_tail``,
    cut where ``init`` takes a name not as a keyword (``device`` is always taken)."""
    parameters = list(inspect.signature(init).parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return len(parameters), ()
    count = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
    keywords = {p.name for p in parameters if p.kind is not p.POSITIONAL_ONLY}
    # (PyTorch's layers that take a device take a dtype beside it; the rest, losses
    # and activations, take neither by position: GaussianNLLLoss(True) is an error)
    default = ("device", "dtype") if "dtype" in keywords else ()
    tail = []
    for name in cls.__dict__.get("_torch_positional_tail", default):
        if name != "device" and name not in keywords:
            break
        tail.append(name)
    return count, tuple(tail)


def _with_device_keyword(init, count: int, tail: tuple[str, ...]):
    @functools.wraps(init)
    def __init__(self, *args, device=None, **kwargs):
        owner = type(self).__name__
        if len(args) > count and tail:          # PyTorch's positional device, dtype ...
            extra = args[count:]
            if len(extra) > len(tail):
                raise TypeError(
                    f"{owner}() takes at most {count + len(tail)} positional arguments "
                    f"(the last {', '.join(tail)}, as in PyTorch) but {len(args)} were given")
            for name, value in zip(tail, extra):
                if name in kwargs or (name == "device" and device is not None):
                    raise TypeError(f"{owner}() got multiple values for argument {name!r}")
                if name == "device":
                    device = value
                else:
                    kwargs[name] = value
            args = args[:count]
        check_device(owner, device)
        if kwargs.get("dtype") is not None:     # (torch.float32 read as NumPy's float32)
            kwargs["dtype"] = from_torch_dtype(owner, kwargs["dtype"])
        init(self, *args, **kwargs)
    __init__._takes_device_keyword = True
    return __init__


class FactoryDeviceMethods:
    """Gives each layer class of the library ``device=`` (a mixin of ``Module``).

    >>> ad.nn.Linear(3, 2, device="cpu").weight.shape
    (3, 2)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("autodiff."):
            return
        # (its own __init__, or one it takes from a mixin that is not a Module, as the
        # lazy layers' do)
        owner = next(base for base in cls.__mro__ if "__init__" in base.__dict__)
        init = owner.__dict__["__init__"]
        if not _takes_device(init):
            cls.__init__ = _with_device_keyword(init, *_positional_tail(owner, init))


class ModuleCompileMethods:
    """``Module.compile`` (a mixin)."""

    def compile(self, *args, backend="inductor", mode=None, options=None, fullgraph=False,
                dynamic=None, disable=False) -> None:
        """PyTorch's ``module.compile()``: its keywords are checked as
        ``torch.compile`` checks them, and the module keeps running eagerly, which gives
        the numbers PyTorch's compiled forward gives (``ad.compile`` compiles a whole
        training step instead: a replay records no tape for a backward outside it).

        >>> net = ad.nn.Linear(2, 1)
        >>> net.compile(mode="max-autotune"); net(ad.ones((3, 2))).shape
        (3, 1)
        """
        if args:
            raise TypeError(f"{type(self).__name__}.compile takes torch.compile's keywords "
                            f"only (the module is the model), got {len(args)} positional "
                            "argument(s)")
        check_torch_keywords(backend, mode, options)
