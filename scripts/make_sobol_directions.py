"""Write ``autodiff/sobol_directions.txt``: the Joe–Kuo direction numbers (search
criterion D(6), the table PyTorch's SobolEngine uses) for the first ``DIMENSIONS``
dimensions, in Joe and Kuo's own file format (``d s a m_1 ... m_s``).

The numbers are read back from PyTorch's compiled table (``SobolEngine.sobolstate``
before scrambling holds ``m_j << (MAXBIT - 1 - j)``): the degree ``s`` of dimension
``d`` follows from Joe and Kuo's ordering (primitive polynomials by degree), and ``a``
is the one choice of the polynomial's inner coefficients whose recurrence reproduces
all 30 values.  Run with PyTorch installed:

    python scripts/make_sobol_directions.py > autodiff/sobol_directions.txt
"""

from __future__ import annotations

import numpy as np
import torch

DIMENSIONS = 1111
MAXBIT = 30


def primitive_polynomial_counts(max_degree: int) -> list[int]:
    """How many primitive polynomials over GF(2) have each degree: phi(2^s - 1) / s."""
    counts = []
    for s in range(1, max_degree + 1):
        n, phi, p = 2 ** s - 1, 2 ** s - 1, 2
        rest = n
        while p * p <= rest:
            if rest % p == 0:
                phi -= phi // p
                while rest % p == 0:
                    rest //= p
            p += 1
        if rest > 1:
            phi -= phi // rest
        counts.append(phi // s)
    return counts


def inner_coefficients(m: np.ndarray, s: int) -> int:
    """The ``a`` of degree ``s`` whose recurrence turns m[:s] into all of ``m``."""
    candidates = np.arange(2 ** (s - 1), dtype=np.int64)
    ok = np.ones(candidates.size, dtype=bool)
    for j in range(s, MAXBIT):
        value = np.full(candidates.size, m[j - s] ^ (m[j - s] << s), dtype=np.int64)
        for k in range(1, s):       # bit s-1-k of a multiplies 2^k m_{j-k}
            bit = (candidates >> (s - 1 - k)) & 1
            value ^= bit * (m[j - k] << k)
        ok &= value == m[j]
    (found,) = np.flatnonzero(ok)
    return int(found)


def main() -> None:
    state = torch.zeros(DIMENSIONS, MAXBIT, dtype=torch.long)
    torch._sobol_engine_initialize_state_(state, DIMENSIONS)
    shifts = np.arange(MAXBIT - 1, -1, -1)
    m_table = state.numpy() >> shifts
    degrees = [s for s, count in enumerate(primitive_polynomial_counts(20), start=1)
               for _ in range(count)]
    print("d       s       a       m_i")
    for d in range(1, DIMENSIONS):
        s = degrees[d - 1]
        a = inner_coefficients(m_table[d], s)
        print(" ".join(str(v) for v in [d + 1, s, a, *m_table[d, :s]]))


if __name__ == "__main__":
    main()
