"""``ad.Generator``: PyTorch's random-number generator object, over NumPy's.

Scripts written for PyTorch make one (``g = ad.Generator().manual_seed(0)``) and pass
it as ``generator=`` to the random functions (``ad.randn(3, generator=g)``), the
in-place fills (``t.normal_(generator=g)``), ``nn.init``'s initializers, the samplers,
``DataLoader`` and ``random_split``.  ``generator=`` means the same as the library's
``rng=``, which also takes a ``np.random.Generator`` or an int seed.

``ad.default_generator`` is the library's own generator: the one ``ad.manual_seed``
(``ad.nn.manual_seed``) seeds and every draw without ``rng=``/``generator=`` uses.

The numbers are NumPy's (PCG64), so a seed gives other numbers than in PyTorch
(Mersenne Twister): the same seed repeats the same numbers here, not PyTorch's.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from .compile.hooks import refused_in_trace, replayed
from .devices import check_device, device as _device

__all__ = ["Generator", "default_generator", "seed", "initial_seed", "get_rng_state",
           "set_rng_state"]

#: The seed of a new ``torch.Generator()``, which a new ``ad.Generator()`` also gets.
DEFAULT_SEED = 67280421310721

_SEED_RANGE = (-2 ** 63, 2 ** 64)          # PyTorch's: a long, or an unsigned long


def checked_seed(seed, where: str) -> int:
    """``seed`` as the non-negative int NumPy takes: as in PyTorch, an int from
    ``-2**63`` to ``2**64 - 1``, a negative one read as its 64-bit two's complement."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{where}: the seed must be an int, got {type(seed).__name__} "
                        f"{seed!r}")
    seed = int(seed)
    if not _SEED_RANGE[0] <= seed < _SEED_RANGE[1]:
        raise ValueError(f"{where}: the seed {seed} is out of range; it must be an int from "
                         f"-2**63 to 2**64 - 1")
    return seed % 2 ** 64


def _pcg64_state(seed: int) -> dict:
    """The bit generator's state after seeding with ``seed``: what
    ``np.random.default_rng(seed)`` starts from."""
    return np.random.PCG64(seed).state


class Generator:
    """A random-number generator, as ``torch.Generator``: ``manual_seed(seed)`` (returns
    the generator), ``seed()``, ``initial_seed()``, ``get_state()``/``set_state()``
    and ``device``.  Pass it as ``generator=`` (or ``rng=``) to any random function;
    each draw advances it, and re-seeding repeats the draws.

    It wraps a ``np.random.Generator`` (PCG64), so the numbers differ from PyTorch's
    for the same seed (PyTorch uses a Mersenne Twister): a seed repeats this library's
    numbers, not PyTorch's.  Seeded with ``s``, it draws what ``rng=s`` (that is,
    ``np.random.default_rng(s)``) draws.  A new generator starts from PyTorch's default
    seed, 67280421310721.  ``get_state()`` returns a dict, ``{"initial_seed": int,
    "bit_generator": NumPy's PCG64 state dict}`` (not PyTorch's byte tensor), which
    ``set_state`` takes back.  Only ``device='cpu'`` exists.

    >>> g = ad.Generator().manual_seed(0)
    >>> a = ad.randn(3, generator=g); b = ad.randn(3, generator=g)
    >>> bool((a.data == b.data).all())          # each draw advances the generator
    False
    >>> bool((ad.randn(3, generator=g.manual_seed(0)).data == a.data).all())
    True
    """

    def __init__(self, device="cpu"):
        check_device("Generator", device)
        self.device = _device("cpu")
        self._numpy = np.random.default_rng(DEFAULT_SEED)
        self._initial_seed = DEFAULT_SEED

    # What a subclass (the library's generator) changes: where the NumPy generator is
    # and where its seed is kept.
    def numpy_generator(self) -> np.random.Generator:
        """The ``np.random.Generator`` this generator draws from (the same object for
        the generator's life: seeding and ``set_state`` change it in place)."""
        return self._numpy

    def _reseed(self, seed: int) -> None:
        self._numpy.bit_generator.state = _pcg64_state(seed)
        self._initial_seed = seed

    def _set_initial_seed(self, seed: int) -> None:
        self._initial_seed = seed

    @replayed
    def manual_seed(self, seed):
        """Seed the generator (an int, from ``-2**63`` to ``2**64 - 1``); returns it.

        >>> g = ad.Generator()
        >>> g.manual_seed(7) is g, g.initial_seed()
        (True, 7)
        """
        self._reseed(checked_seed(seed, f"{type(self).__name__}.manual_seed"))
        return self

    def initial_seed(self) -> int:
        """The seed last given to ``manual_seed`` or chosen by ``seed()``.

        >>> ad.Generator().initial_seed()
        67280421310721
        """
        return self._initial_seed

    @refused_in_trace
    def seed(self) -> int:
        """Seed the generator from the operating system's randomness (a 64-bit int,
        returned), as ``torch.Generator.seed``.

        >>> g = ad.Generator(); s = g.seed()
        >>> s == g.initial_seed()
        True
        """
        seed = int.from_bytes(os.urandom(8), "little")
        self._reseed(seed)
        return seed

    @refused_in_trace
    def get_state(self) -> dict:
        """The generator's state, a dict ``{"initial_seed": int, "bit_generator":
        NumPy's PCG64 state dict}`` (a copy: later draws leave it alone), for
        ``set_state``.

        >>> g = ad.Generator().manual_seed(0); state = g.get_state()
        >>> a = ad.rand(2, generator=g); g.set_state(state) is g
        True
        >>> bool((ad.rand(2, generator=g).data == a.data).all())
        True
        """
        return self._state()

    @refused_in_trace
    def set_state(self, state: dict):
        """Restore a state ``get_state`` returned (of this or another generator): the
        draws that followed it come again, and ``initial_seed()`` is its seed.
        Returns the generator."""
        name = f"{type(self).__name__}.set_state"
        if not (isinstance(state, dict) and set(state) == {"initial_seed", "bit_generator"}
                and isinstance(state["bit_generator"], dict)
                and state["bit_generator"].get("bit_generator") == "PCG64"):
            raise TypeError(f"{name}: expected a state from Generator.get_state() (a dict "
                            "with 'initial_seed' and 'bit_generator', NumPy's PCG64 state), "
                            f"got {type(state).__name__}")
        self.numpy_generator().bit_generator.state = copy.deepcopy(state["bit_generator"])
        self._set_initial_seed(int(state["initial_seed"]))
        return self

    def _state(self) -> dict:
        return {"initial_seed": self.initial_seed(),
                "bit_generator": copy.deepcopy(self.numpy_generator().bit_generator.state)}

    def __reduce__(self):
        # copy, deepcopy and pickle give a new, independent generator in the same state
        return _restored, (self._state(),)

    def __repr__(self) -> str:
        return (f"<autodiff.Generator object at {id(self):#x}: device='cpu', "
                f"initial_seed={self.initial_seed()}>")


def _restored(state: dict) -> Generator:
    generator = Generator()
    generator.numpy_generator().bit_generator.state = copy.deepcopy(state["bit_generator"])
    generator._set_initial_seed(state["initial_seed"])
    return generator


class _LibraryGenerator(Generator):
    """``ad.default_generator``: the generator ``ad.manual_seed`` seeds, which draws
    without ``rng=``/``generator=`` use (made on first use, seeded with 0)."""

    def __init__(self):
        self.device = _device("cpu")

    def numpy_generator(self) -> np.random.Generator:
        from .nn import layer_rng
        return layer_rng._library_rng()

    def _reseed(self, seed: int) -> None:
        from .nn import layer_rng
        layer_rng.manual_seed(seed)

    def _set_initial_seed(self, seed: int) -> None:
        from .nn import layer_rng
        layer_rng._initial_seed = seed

    def initial_seed(self) -> int:
        from .nn import layer_rng
        return layer_rng._initial_seed


#: The library's generator, as ``torch.default_generator``.
default_generator = _LibraryGenerator()


def seed() -> int:
    """Seed the library's generator from the operating system's randomness and return
    the seed, as ``torch.seed``.

    >>> s = ad.seed(); s == ad.initial_seed()
    True
    """
    return default_generator.seed()


def initial_seed() -> int:
    """The seed of the library's generator (``ad.manual_seed``'s last, or 0), as
    ``torch.initial_seed``.

    >>> ad.manual_seed(3).initial_seed() == ad.initial_seed() == 3
    True
    """
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The library generator's state (a dict, as ``Generator.get_state``), as
    ``torch.get_rng_state``.

    >>> state = ad.get_rng_state(); a = ad.rand(2); ad.set_rng_state(state)
    >>> bool((ad.rand(2).data == a.data).all())
    True
    """
    return default_generator.get_state()


def set_rng_state(new_state: dict) -> None:
    """Restore a state of the library's generator that ``get_rng_state`` returned, as
    ``torch.set_rng_state``."""
    default_generator.set_state(new_state)


def chosen_rng(where: str, rng, generator):
    """What ``rng=`` means, from a function's ``rng=`` and ``generator=`` (PyTorch's
    name for it), of which at most one is given: None (the library's generator, also
    for ``ad.default_generator``), an int seed, or a ``np.random.Generator`` (an
    ``ad.Generator``'s own, which it changes in place, so a compiled function's
    replay draws from the same one).

    >>> chosen_rng("randn", None, 3)
    3
    """
    name = "rng"
    if generator is not None:
        if rng is not None:
            raise TypeError(f"{where}: got both rng= and generator=; they mean the same "
                            "(generator= is PyTorch's name), pass only one")
        rng, name = generator, "generator"
    if rng is None or rng is default_generator:
        return None
    if isinstance(rng, Generator):
        return rng.numpy_generator()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return checked_seed(rng, where)         # (PyTorch's range, as manual_seed)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"{where}: {name}= must be an ad.Generator, a np.random.Generator or "
                    f"an int seed, got {type(rng).__module__}.{type(rng).__name__}")
