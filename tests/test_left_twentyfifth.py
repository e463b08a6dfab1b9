"""Exact counts in gradcheck's report, and the names multi-output linalg ops show."""
import re

import numpy as np
import pytest

import autodiff as ad


def _wrong_square(x):
    """x**2 with its tape cut, so every analytic entry is 0 (a wrong rule)."""
    return ad.tensor(x.data ** 2).sum() + (x * 0).sum()


def test_gradcheck_header_counts_every_mismatch_exactly():
    with pytest.raises(ad.GradcheckError) as info:
        ad.gradcheck(_wrong_square, [np.arange(12.0) + 1])
    header = str(info.value).splitlines()[0]
    assert "at 12 of 12 Jacobian entries" in header
    assert "+" not in re.sub(r"\(.*?\)", "", header.split(" at ")[1])
    assert "the worst 5 shown" in header


def test_gradcheck_header_with_one_mismatch_lists_it():
    def half_wrong(x):
        return (x * x)[0] + ad.tensor(x.data[1] ** 2)

    with pytest.raises(ad.GradcheckError) as info:
        ad.gradcheck(half_wrong, [np.array([1.0, 2.0])])
    header = str(info.value).splitlines()[0]
    assert "at 1 of 2 Jacobian entries; worst first" in header
