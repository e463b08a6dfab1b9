"""Large calls of fused loops and of the cross-entropy kernel run in parts on several
threads (autodiff/kernels/parts.py, autodiff/compile/loop_parts.py): the results are
those of one whole call, bit for bit, whatever the number of parts."""

import os
import threading
import time
import weakref

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile.fuse import FusedKernel
from autodiff.compile.loop_parts import cut_inputs
from autodiff.kernels import parts
from autodiff.nn import functional as F

needs_jit = pytest.mark.skipif(not kernels.JIT_ENABLED,
                               reason="AUTODIFF_JIT=0: no compiled loops to cut")


@pytest.fixture
def small_parts(monkeypatch):
    """Cut calls of a few hundred elements into up to three parts."""
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 64)
    monkeypatch.setattr(parts, "THREADS", 3)


def _kernels_of(compiled):
    return [i.extra["kernel"] for i in compiled.plan.instrs if i.kind == "kernel"]


def _programs():
    rng = np.random.default_rng(0)
    w = ad.tensor(rng.normal(size=(8, 60)), requires_grad=True)
    b = ad.tensor(rng.normal(size=60), requires_grad=True)

    v = ad.tensor(rng.normal(size=1001), requires_grad=True)

    def elementwise(upstream):      # one row: cut along the elements
        y = ad.sigmoid(v) * ad.tanh(v) + ad.exp(-(v * v)) * 0.5
        v.grad = None
        y.backward(upstream)
        return y, v.grad

    def rows_with_bias(x):          # (8, 60) rows plus a bias read whole
        y = ad.tanh(x * w + b) * 2.0
        w.grad = None
        (y * y).sum().backward()
        return y, w.grad

    return {"elementwise": (elementwise, rng.normal(size=1001)),
            "rows with bias": (rows_with_bias, rng.normal(size=(8, 60)))}


@needs_jit
@pytest.mark.parametrize("name", sorted(_programs()))
def test_a_loop_cut_into_parts_gives_the_whole_calls_results(name, monkeypatch):
    fn, x = _programs()[name]
    monkeypatch.setattr(parts, "THREADS", 1)
    whole = ad.compile(fn)
    whole(x)
    expected = [np.asarray(getattr(r, "data", r)).copy() for r in whole(x)]
    cut_somewhere = False
    for threads in (2, 3):
        monkeypatch.setattr(parts, "THREADS", threads)
        monkeypatch.setattr(parts, "MIN_ELEMENTS", 64)
        compiled = ad.compile(fn)
        compiled(x)
        got = [np.asarray(getattr(r, "data", r)) for r in compiled(x)]
        for a, b in zip(got, expected):
            assert a.tobytes() == b.tobytes()
        cut_somewhere |= any(cut_inputs(k) is not None for k in _kernels_of(compiled))
    assert cut_somewhere


@needs_jit
def test_a_loop_with_a_reduction_or_a_row_value_is_not_cut():
    x = np.random.default_rng(1).normal(size=(16, 9))

    @ad.compile
    def softmax_rows(x):
        t = ad.tensor(x)
        e = ad.exp(t - t.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    softmax_rows(x)
    loops = _kernels_of(softmax_rows)
    assert loops and all(cut_inputs(k) is None for k in loops)
    assert all(isinstance(k, FusedKernel) for k in loops)


def test_a_busy_worker_leaves_its_parts_to_the_caller(monkeypatch):
    """The caller takes back the parts no worker has started: no wait for a core."""
    monkeypatch.setattr(parts, "THREADS", 2)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1)
    release = threading.Event()
    blocker = parts._workers().submit(release.wait, 10)    # the only worker is busy
    try:
        seen = []
        results = parts.run_parts(lambda a, b: seen.append((a, b, threading.get_ident()))
                                  or (a, b), 10)
        assert results == [(0, 5), (5, 10)]
        assert {ident for _, _, ident in seen} == {threading.get_ident()}
    finally:
        release.set()
        blocker.result()


def _part_workers():
    return [t for t in threading.enumerate() if t.name.startswith("autodiff-part")]


def test_a_new_thread_count_replaces_the_workers_and_the_old_ones_leave(monkeypatch):
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(parts, "THREADS", 3)
    assert parts.run_parts(lambda a, b: (a, b), 9) == [(0, 3), (3, 6), (6, 9)]
    old = set(parts._workers().threads)
    assert len(old) == 2 and all(t.is_alive() for t in old)
    monkeypatch.setattr(parts, "THREADS", 2)
    assert parts.run_parts(lambda a, b: (a, b), 9) == [(0, 4), (4, 9)]
    for thread in old:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in old)
    assert len(parts._workers().threads) == 1
    assert set(_part_workers()) >= set(parts._workers().threads)


def test_no_worker_keeps_a_reference_to_a_part_after_the_call(monkeypatch):
    """A gradient a part wrote must be the caller's alone afterwards (else the reverse
    pass copies it instead of handing it to .grad)."""
    monkeypatch.setattr(parts, "THREADS", 2)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1)
    for _ in range(5):
        array = np.zeros(10)
        ref = weakref.ref(array)
        both_running = threading.Barrier(2, timeout=10)     # the worker runs one part

        def fill(start, stop, array=array):
            both_running.wait()
            array[start:stop] = 1.0
            return start
        assert parts.run_parts(fill, 10) == [0, 5]
        del fill, array
        assert ref() is None            # freed at once: no thread holds the part


def test_an_error_in_a_part_reaches_the_caller_after_every_started_part_ended(monkeypatch):
    monkeypatch.setattr(parts, "THREADS", 2)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1)
    started, ended = [], []

    def run_part(start, stop):
        if start == 0:
            time.sleep(0.02)            # the worker starts its part meanwhile
            raise ValueError("first part failed")
        started.append(start)
        time.sleep(0.05)
        ended.append(start)
        return start
    with pytest.raises(ValueError, match="first part failed"):
        parts.run_parts(run_part, 8)
    assert started == ended         # nothing still writes when the error arrives

    def second_fails(start, stop):
        if start:
            raise ValueError("second part failed")
        return start
    with pytest.raises(ValueError, match="second part failed"):
        parts.run_parts(second_fails, 8)


@needs_jit
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_in_parts_equals_one_call_bitwise(dtype, monkeypatch):
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=(600, 7)) * 3).astype(dtype)
    target = rng.integers(0, 7, 600)
    monkeypatch.setattr(parts, "THREADS", 1)
    loss1, grad1 = kernels.cross_entropy(logits, target)
    only_loss1 = kernels.cross_entropy_loss(logits, target)
    monkeypatch.setattr(parts, "THREADS", 3)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 64)
    assert parts.how_many(600, 7) == 3
    loss3, grad3 = kernels.cross_entropy(logits, target)
    assert loss3.tobytes() == loss1.tobytes() == only_loss1.tobytes()
    assert kernels.cross_entropy_loss(logits, target).tobytes() == only_loss1.tobytes()
    assert grad3.tobytes() == grad1.tobytes()
    twin_loss, twin_grad = kernels._twins.cross_entropy(logits, target)
    np.testing.assert_allclose(loss3, twin_loss, rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(grad3, twin_grad, rtol=1e-5, atol=1e-7)
    z = ad.tensor(logits, requires_grad=True)
    F.cross_entropy(z, target).backward()
    assert z.grad.tobytes() == grad1.tobytes()


@needs_jit
def test_a_bad_target_in_a_later_part_names_its_own_row(small_parts):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(600, 5))
    target = rng.integers(0, 5, 600)
    target[517] = 9
    with pytest.raises(IndexError, match="target 9 in row 517"):
        kernels.cross_entropy(logits, target)
    with pytest.raises(IndexError, match="target 9 in row 517"):
        kernels.cross_entropy_loss(logits, target)


def test_the_number_of_threads_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("AUTODIFF_NUM_THREADS", "1")
    assert parts._threads_wanted() == 1
    monkeypatch.setenv("AUTODIFF_NUM_THREADS", "3")
    assert parts._threads_wanted() == 3
    monkeypatch.setenv("AUTODIFF_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="AUTODIFF_NUM_THREADS"):
        parts._threads_wanted()
    monkeypatch.delenv("AUTODIFF_NUM_THREADS")
    assert 1 <= parts._threads_wanted() <= 4
    monkeypatch.setattr(parts, "THREADS", 1)
    assert parts.how_many(10**6, 10**6) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_runs_parts_with_workers_of_its_own(monkeypatch):
    monkeypatch.setattr(parts, "THREADS", 2)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1)
    parts.run_parts(lambda a, b: a, 8)          # the parent's worker exists now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                # the child: report and leave at once
        try:
            seen = parts.run_parts(lambda a, b: threading.get_ident(), 8)
            ok = len(seen) == 2 and parts._pool_key[0] == os.getpid()
        except BaseException:
            ok = False
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"1"


@needs_jit
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_backward_sums_the_same_in_any_number_of_parts(affine, monkeypatch):
    """Its weight and bias gradients sum over every row, by fixed blocks of rows."""
    from autodiff.kernels import numpy_twins_nn as twins
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1000, 48)).astype(np.float32)      # four blocks of rows
    g = rng.normal(size=x.shape).astype(np.float32)
    w = rng.normal(size=48).astype(np.float32) if affine else None
    b = rng.normal(size=48).astype(np.float32) if affine else None
    results = {}
    for threads in (1, 2, 3):
        monkeypatch.setattr(parts, "THREADS", threads)
        monkeypatch.setattr(parts, "MIN_ELEMENTS", 64)
        y, mean, rstd = kernels.layer_norm(x, w, b, 1e-5)
        results[threads] = [y, *kernels.layer_norm_backward(g, x, mean, rstd, w)]
    for threads in (2, 3):
        for got, want in zip(results[threads], results[1]):
            assert got.tobytes() == want.tobytes()
    _, mean, rstd = twins.layer_norm(x, w, b, 1e-5)
    for got, want in zip(results[3][1:], twins.layer_norm_backward(g, x, mean, rstd, w)):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)


@needs_jit
def test_threads_calling_kernels_in_parts_at_once_get_one_calls_results(monkeypatch):
    """Several threads each cutting their own large calls share the one worker pool;
    a part waiting in the queue is taken back by its caller, so none waits on another."""
    monkeypatch.setattr(parts, "THREADS", 2)
    monkeypatch.setattr(parts, "MIN_ELEMENTS", 1 << 12)
    rng = np.random.default_rng(6)
    logits = [rng.normal(size=(512, 40)) for _ in range(4)]
    targets = [rng.integers(0, 40, 512) for _ in range(4)]
    expected = [kernels.cross_entropy(x, t) for x, t in zip(logits, targets)]
    failures = []

    def work(k):
        for _ in range(25):
            loss, grad = kernels.cross_entropy(logits[k], targets[k])
            if loss.tobytes() != expected[k][0].tobytes() or not np.array_equal(
                    grad, expected[k][1]):
                failures.append(k)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
