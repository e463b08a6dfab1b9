"""The generator the layers draw their initial weights from when they get no ``rng=``
(``manual_seed`` reseeds it; ``ad.default_generator`` is its public face), and
``_generator``, where every random function of the library turns its ``rng=`` /
``generator=`` into a NumPy generator."""

from __future__ import annotations

import sys

import numpy as np

from ..compile.hooks import replayed_function
from ..generator import Generator, checked_seed, default_generator
from ..vmap_randomness import drawn

#: The layers' default generator, made on first use (seeded with 0): creating it at
#: import would import numpy.random, a sixth of ``import autodiff``.  Reseeding changes
#: it in place, so it stays one object (``ad.default_generator`` draws from it).
_rng = None
#: The seed last given to ``manual_seed`` (``ad.default_generator.initial_seed()``).
_initial_seed = 0


@replayed_function
def manual_seed(seed: int):
    """Reseed the generator that layers use when they get no ``rng=``; returns it,
    ``ad.default_generator``, as ``torch.manual_seed`` does.

    The library never touches NumPy's global random state; layers draw their
    initial weights from this generator (seeded with 0 until reseeded) or from the
    ``rng=`` they are given (a ``np.random.Generator``, an ``ad.Generator`` or an int
    seed).  Called in a compiled function, it reseeds at every replay, as it does at
    every eager call.  The seed is an int from ``-2**63`` to ``2**64 - 1``.

    >>> ad.nn.manual_seed(0); a = ad.nn.Linear(2, 2)
    <autodiff.Generator object at ...>
    >>> ad.nn.manual_seed(0); b = ad.nn.Linear(2, 2)
    <autodiff.Generator object at ...>
    >>> bool((a.weight.data == b.weight.data).all())
    True
    """
    global _rng, _initial_seed
    seed = checked_seed(seed, "manual_seed")
    if _rng is None:
        _rng = np.random.default_rng(seed)
    else:
        _rng.bit_generator.state = np.random.PCG64(seed).state     # as default_rng(seed)
    _initial_seed = seed
    return default_generator


def _public_caller() -> str:
    """The name of the library function that asked for a generator, for errors: the
    nearest caller whose name is not private (``Linear`` for ``Linear.__init__``),
    passing over ``ad.compile``'s hooks (a draw runs through ``hooks.made``)."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_name == "__init__" and "self" in frame.f_locals:
            return type(frame.f_locals["self"]).__name__
        name = frame.f_code.co_qualname
        in_hooks = frame.f_globals.get("__name__", "").startswith("autodiff.compile")
        if not (in_hooks or name.rsplit(".", 1)[-1].startswith("_")) or frame.f_back is None:
            return name
        frame = frame.f_back
    return "rng"


def _library_rng() -> np.random.Generator:
    """The library generator's NumPy generator (made on first use, seeded with 0)."""
    global _rng
    if _rng is None:
        _rng = np.random.default_rng(0)
    return _rng


def _generator(rng) -> np.random.Generator:
    """The NumPy generator to draw from for ``rng=``/``generator=`` (every random
    function of the library asks here, so ``vmap``'s ``randomness=`` sees each draw)."""
    if rng is None or rng is default_generator:
        return drawn(_library_rng())
    if isinstance(rng, Generator):
        return drawn(rng.numpy_generator())
    if isinstance(rng, np.random.Generator):
        return drawn(rng)
    if isinstance(rng, (int, np.integer)):
        # PyTorch's seed rule, as manual_seed's (NumPy's own error names no function)
        return drawn(np.random.default_rng(checked_seed(rng, _public_caller())))
    raise TypeError(f"rng must be None, an int seed, an ad.Generator or a "
                    f"np.random.Generator, not {type(rng).__name__}")
