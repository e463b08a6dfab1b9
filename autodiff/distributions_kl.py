"""``ad.distributions.kl``: PyTorch's ``torch.distributions.kl`` module, for the scripts
that reach ``kl_divergence`` through it or add a pair of their own with ``register_kl``.
"""

from __future__ import annotations

from typing import Callable

from .compile import hooks as _compile_hooks
from .distributions import _KL, Distribution, kl_divergence

__all__ = ["kl_divergence", "register_kl"]


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator: ``kl_divergence(p, q)`` of these two classes (and their subclasses,
    unless a nearer pair is registered) is the decorated function, as PyTorch's.

    >>> class Shifted(ad.distributions.Normal):
    ...     pass
    >>> @ad.distributions.kl.register_kl(Shifted, ad.distributions.Normal)
    ... def kl_shifted(p, q):
    ...     return ad.tensor(-1.0)
    >>> ad.distributions.kl_divergence(Shifted(0.0, 1.0), ad.distributions.Normal(0.0, 1.0))
    tensor(-1.)
    """
    for kind in (type_p, type_q):
        if not (isinstance(kind, type) and issubclass(kind, Distribution)):
            raise TypeError(f"distributions.kl.register_kl: expected subclasses of "
                            f"Distribution, got {kind!r}")

    def decorator(function: Callable) -> Callable:
        _KL[type_p, type_q] = function
        _compile_hooks.dispatch_changed()   # (compiled plans chose by the old registry)
        return function
    return decorator
