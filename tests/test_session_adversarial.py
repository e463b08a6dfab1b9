"""Adversarial cases for the parameter guard's views and for running kernels in parts."""

import threading
import time

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.kernels import parts


def test_a_view_of_a_view_of_a_parameter_is_writable_again_after_backward():
    w = nn.Parameter(np.ones((3, 3)))
    rows = w[1:]
    row = rows[0]                       # made by an op on a view, not on w itself
    (row * row).sum().backward()
    with ad.no_grad():
        row += 1
    row.data[1] = 5.0
    assert w.data[1].tolist() == [2.0, 5.0, 2.0]


def test_a_no_grad_view_made_while_a_parameter_is_guarded_is_writable_after_backward():
    w = nn.Parameter(np.ones((3, 3)))
    loss = (w * w).sum()
    with ad.no_grad():
        column = w.T[0]
    with pytest.raises(ValueError):
        column.data[0] = 5.0            # the saved values are still needed
    loss.backward()
    with ad.no_grad():
        column += 1
    assert w.data[:, 0].tolist() == [2.0, 2.0, 2.0]


def test_a_no_grad_update_of_such_a_view_before_backward_makes_backward_refuse():
    w = nn.Parameter(np.ones((3, 3)))
    loss = (w * w).sum()
    with ad.no_grad():
        column = w.T[0]
        column += 1
    with pytest.raises(ad.InPlaceError):
        loss.backward()


def test_a_failing_part_on_a_worker_is_raised_only_once_every_part_has_stopped(monkeypatch):
    monkeypatch.setattr(parts, "THREADS", 3)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1)
    started = threading.Barrier(3, timeout=5)
    finished = []

    def run_part(start, stop):
        started.wait()                  # every part is running before any ends
        if start == 3:
            raise RuntimeError("part failed")
        if start == 6:
            time.sleep(0.3)             # still writing when the other worker fails
            finished.append(start)
        return start

    with pytest.raises(RuntimeError, match="part failed"):
        parts.run_parts(run_part, 9)
    assert finished == [6]
