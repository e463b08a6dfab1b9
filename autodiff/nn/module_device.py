"""PyTorch's habits of placing and compiling a module, which change no number here:
``device=`` in the constructors of the library's layers, as PyTorch's factory
keyword (``nn.Linear(4, 2, device="cpu")``, ``factory_kwargs = {"device": device, ...}``):
the CPU is taken (None, ``"cpu"``, ``"cpu:0"``, a ``torch.device("cpu")``) and does
nothing; any other device is refused by name, as ``ad.zeros(..., device=)`` does.  And
``module.compile(**torch_compile_keywords)``, which runs the module as it is.

Only the library's own classes get the keyword: a user's subclass keeps the signature
its ``__init__`` has (passing ``device=`` to one that does not take it is a TypeError,
as in PyTorch).
"""

from __future__ import annotations

import functools
import inspect

from ..compile.torch_keywords import check_torch_keywords
from ..devices import check_device


def _takes_device(init) -> bool:
    parameters = inspect.signature(init).parameters.values()
    return any(p.name == "device" or p.kind is p.VAR_KEYWORD for p in parameters)


def _with_device_keyword(init, owner: str):
    @functools.wraps(init)
    def __init__(self, *args, device=None, **kwargs):
        check_device(owner, device)
        init(self, *args, **kwargs)
    return __init__


class FactoryDeviceMethods:
    """Gives each layer class of the library ``device=`` (a mixin of ``Module``).

    >>> ad.nn.Linear(3, 2, device="cpu").weight.shape
    (3, 2)
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if (init is not None and cls.__module__.startswith("autodiff.")
                and not _takes_device(init)):
            cls.__init__ = _with_device_keyword(init, cls.__name__)


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
