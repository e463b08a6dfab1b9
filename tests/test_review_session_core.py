"""Regression tests for the engine's core: gradient hooks that write a ``.grad``
array while another thread's backward runs its own hooks."""

import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff import grad_attr


def _hook_writes_a_saved_grad_while_another_thread_is_in_a_hook():
    """Thread A's hook zeroes ``w.grad``, which a node of A's pass that runs after the
    hook saved, while thread B's backward is inside a hook of its own (entered after
    A's, left after A's). Returns what A's backward did."""
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward()
    a_in_hook, b_in_hook, a_wrote = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def thread_a():
        x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
        h = (x * ad.tensor(w.grad)) * 2      # x * w.grad saves the .grad array

        def zero_w_grad(g):
            a_in_hook.set()
            b_in_hook.wait(10)
            w.grad[...] = 0
            a_wrote.set()
        h.register_hook(zero_w_grad)
        try:
            (h * h).sum().backward()
            outcome["a"] = x.grad.tolist()
        except ad.InPlaceError:
            outcome["a"] = "InPlaceError"

    def thread_b():
        a_in_hook.wait(10)
        y = ad.tensor(np.array([3.0, 4.0]), requires_grad=True)
        h = y * 2

        def wait_for_a(g):
            b_in_hook.set()
            a_wrote.wait(10)
        h.register_hook(wait_for_a)
        (h * h).sum().backward()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome["a"]


def test_a_hook_writing_a_saved_grad_is_refused_while_another_thread_runs_a_hook():
    assert _hook_writes_a_saved_grad_while_another_thread_is_in_a_hook() == "InPlaceError"
    # Nothing of either hook is left watching .grad reads once both returned.
    assert grad_attr._hook_reads.reads is None
    assert grad_attr._hooks_watched == 0


def test_the_same_write_in_one_thread_is_refused_as_torch_refuses_it():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        w = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
        (w * w).sum().backward()
        x = lib.tensor(np.array([1.0, 2.0]), requires_grad=True)
        saved = ad.tensor(w.grad) if lib is ad else w.grad
        h = (x * saved) * 2

        def zero_w_grad(g, w=w):
            w.grad[...] = 0
        h.register_hook(zero_w_grad)
        with pytest.raises(RuntimeError, match="in ?place|inplace"):
            (h * h).sum().backward()
