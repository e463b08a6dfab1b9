"""``ad.quasirandom.SobolEngine``: PyTorch's Sobol sequence generator, giving the same
numbers.

The direction numbers are Joe and Kuo's (search criterion D(6)), the table PyTorch
uses, read from ``sobol_directions.txt`` (written by ``scripts/make_sobol_directions.py``
in Joe and Kuo's file format) for the first ``SobolEngine.MAXDIM`` = 1111 dimensions;
PyTorch goes to 21201.  Point ``i`` of the sequence is the XOR of the direction numbers
picked by the bits of ``i``'s Gray code, so a draw computes its points directly from
their indices and ``fast_forward`` only moves the index.

Scrambling (``scramble=True``) draws PyTorch's random bits from a Mersenne Twister
seeded as ``torch.Generator().manual_seed(seed)`` is, so a given ``seed`` gives
PyTorch's scrambled points exactly.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .tensor import Tensor

__all__ = ["SobolEngine"]

_MAXBIT = 30
_DIRECTIONS_FILE = os.path.join(os.path.dirname(__file__), "sobol_directions.txt")


@functools.lru_cache(maxsize=1)
def _joe_kuo_rows() -> tuple:
    """The rows ``(s, a, m_1 .. m_s)`` of the Joe–Kuo file, for dimensions 2, 3, ..."""
    with open(_DIRECTIONS_FILE) as lines:
        next(lines)                                         # the header
        return tuple(tuple(int(v) for v in line.split()[1:]) for line in lines)


def direction_numbers(dimension: int) -> np.ndarray:
    """The ``(dimension, 30)`` int64 table PyTorch's ``sobolstate`` holds before
    scrambling: ``m_j << (29 - j)``, with ``m_j`` from the Joe–Kuo recurrence."""
    return _all_direction_numbers()[:dimension].copy()


@functools.lru_cache(maxsize=1)
def _all_direction_numbers() -> np.ndarray:
    rows = _joe_kuo_rows()
    m = np.ones((len(rows) + 1, _MAXBIT), dtype=np.int64)   # dimension 0: all m_j = 1
    for d, (s, a, *initial) in enumerate(rows, start=1):
        m[d, :s] = initial
        for j in range(s, _MAXBIT):
            value = m[d, j - s] ^ (m[d, j - s] << s)
            for k in range(1, s):
                if (a >> (s - 1 - k)) & 1:
                    value ^= m[d, j - k] << k
            m[d, j] = value
    return m << np.arange(_MAXBIT - 1, -1, -1)


def _torch_random_bits(seed: int, count: int) -> np.ndarray:
    """``torch.randint(2, (count,), generator=torch.Generator().manual_seed(seed))``:
    PyTorch's CPU generator is the 32-bit Mersenne Twister seeded with the seed's low 32
    bits, and ``randint`` over a range below 2**32 takes each output modulo the range."""
    bits = np.random.MT19937(0)
    bits._legacy_seeding(seed & 0xFFFFFFFF)
    return (bits.random_raw(count) % 2).astype(np.int64)


def _parity(values: np.ndarray) -> np.ndarray:
    return np.bitwise_count(values) & 1


class SobolEngine:
    """PyTorch's ``torch.quasirandom.SobolEngine``: draws points of a (scrambled) Sobol
    sequence in ``[0, 1)**dimension``, continuing from where the last draw stopped.

    ``scramble=True`` applies Owen's random linear scramble and a digital shift,
    drawn from ``seed`` as PyTorch does (so the same seed gives PyTorch's points); with
    ``seed=None`` the seed comes from the library's generator (``ad.manual_seed``).
    Draws have ``dtype`` ``ad.get_default_dtype()`` unless given (float32 or float64).
    Dimensions up to ``MAXDIM`` = 1111 are supported (PyTorch: 21201).  (PyTorch
    divides out the first point in its default dtype, float32 unless set, so its first
    scrambled point in a float64 draw is rounded to float32; here it is not.)

    >>> engine = ad.quasirandom.SobolEngine(dimension=2)
    >>> engine.draw(4)
    tensor([[0.  , 0.  ],
            [0.5 , 0.5 ],
            [0.75, 0.25],
            [0.25, 0.75]])
    >>> engine.reset().fast_forward(2).draw(1)
    tensor([[0.75, 0.25]])
    """

    MAXBIT = _MAXBIT
    MAXDIM = len(_joe_kuo_rows()) + 1

    def __init__(self, dimension: int, scramble: bool = False, seed: int | None = None):
        if isinstance(dimension, bool) or not isinstance(dimension, (int, np.integer)):
            raise TypeError(f"SobolEngine: dimension must be an int, got {dimension!r}")
        if not 1 <= dimension <= self.MAXDIM:
            raise ValueError(
                f"SobolEngine: dimension must be in [1, {self.MAXDIM}], got {dimension} "
                f"(the direction numbers shipped here cover {self.MAXDIM} dimensions; "
                "PyTorch's go to 21201)")
        self.seed, self.scramble, self.dimension = seed, bool(scramble), int(dimension)
        self.sobolstate = direction_numbers(self.dimension)
        self.shift = np.zeros(self.dimension, dtype=np.int64)
        if self.scramble:
            self._scramble()
        self.num_generated = 0

    def _scramble(self) -> None:
        seed = self.seed
        if seed is None:
            from .nn.module import _generator
            seed = int(_generator(None).integers(0, 2 ** 63))
        d, bits = self.dimension, _MAXBIT
        random_bits = _torch_random_bits(int(seed), d * bits + d * bits * bits)
        self.shift = random_bits[:d * bits].reshape(d, bits) @ (2 ** np.arange(bits))
        lower = np.tril(random_bits[d * bits:].reshape(d, bits, bits))
        lower[:, np.arange(bits), np.arange(bits)] = 1
        # Row p of each matrix as an integer (column k weighs 2**(29 - k)); bit 29 - p of
        # a scrambled number is the parity of (row p AND the direction number).
        rows = lower @ (2 ** np.arange(bits - 1, -1, -1))
        parities = _parity(rows[:, None, :] & self.sobolstate[:, :, None])  # (d, j, p)
        self.sobolstate = parities @ (2 ** np.arange(bits - 1, -1, -1))

    @property
    def quasi(self) -> np.ndarray:
        """The integer state PyTorch keeps: the last point drawn, times 2**30."""
        return self._integer_points(max(self.num_generated - 1, 0), 1)[0]

    def _integer_points(self, start: int, n: int) -> np.ndarray:
        index = np.arange(start, start + n, dtype=np.int64)
        gray = index ^ (index >> 1)
        points = np.broadcast_to(self.shift, (n, self.dimension)).copy()
        for bit in range(_MAXBIT):
            chosen = ((gray >> bit) & 1).astype(bool)
            points[chosen] ^= self.sobolstate[:, bit]
        return points

    def draw(self, n: int = 1, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next ``n`` points, as an ``(n, dimension)`` tensor."""
        n = self._count(n, "draw")
        dtype = self._dtype(dtype)
        values = (self._integer_points(self.num_generated, n).astype(dtype)
                  * dtype(2.0 ** -_MAXBIT))
        self.num_generated += n
        result = Tensor(values)
        if out is None:
            return result
        if not isinstance(out, Tensor) or out.shape != result.shape:
            raise ValueError(
                f"SobolEngine.draw: out= must be an ad.Tensor of shape {result.shape}, got "
                f"{type(out).__name__} of shape {getattr(out, 'shape', None)} (tensors "
                "here are not resized in place); drop out= and use the returned tensor")
        from . import inplace
        inplace.set_item(out, ..., result, where="SobolEngine.draw")
        return out

    def draw_base2(self, m: int, out: Tensor | None = None, dtype=None) -> Tensor:
        """The next ``2**m`` points; refused unless the points drawn in all would be a
        power of 2 (the balance of Sobol points holds for those)."""
        n = 2 ** self._count(m, "draw_base2")
        total = self.num_generated + n
        if total & (total - 1):
            raise ValueError(
                "SobolEngine.draw_base2: The balance properties of Sobol' points require "
                f"n to be a power of 2. {self.num_generated} points have been previously "
                f"generated, then: n={self.num_generated}+2**{m}={total}. If you still "
                "want to do this, please use 'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self) -> "SobolEngine":
        """Start again from the first point."""
        self.num_generated = 0
        return self

    def fast_forward(self, n: int) -> "SobolEngine":
        """Skip ``n`` points, as drawing them and throwing them away would."""
        self.num_generated += self._count(n, "fast_forward")
        return self

    def _count(self, n, where: str) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"SobolEngine.{where}: expected an int >= 0, got {n!r}")
        if self.num_generated + (2 ** n if where == "draw_base2" else n) > 2 ** _MAXBIT:
            raise ValueError(
                f"SobolEngine.{where}: the sequence has 2**{_MAXBIT} points and "
                f"{self.num_generated} are used; drawing past them would repeat points")
        return int(n)

    @staticmethod
    def _dtype(dtype):
        from .torch_names import get_default_dtype

        dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"SobolEngine.draw: dtype must be float32 or float64 (as in "
                            f"PyTorch), got {dtype}")
        return dtype.type

    def __repr__(self):
        parts = [f"dimension={self.dimension}"]
        if self.scramble:
            parts.append("scramble=True")
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return f"{type(self).__name__}({', '.join(parts)})"
