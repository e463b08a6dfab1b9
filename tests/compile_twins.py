"""Twin training steps: one setup run eagerly, an identical one run by ``ad.compile``,
from the same start and on the same batches, compared after every call: the returned
values, every parameter, buffer and gradient of the modules, and the optimizers' state.

``make()`` builds one twin and returns ``(step, things)``: ``step(*arrays)`` is the
training step, ``things`` a dict of what to compare (modules, optimizers, schedulers,
tensors).  The eager twin gets each array as a tensor that does not require grad, as a
compiled function gives it.  Without fusion a replay must equal eager execution bit for
bit; with fusion, within a few ulp (a fused loop computes exp, tanh and the like with
its own functions).
"""

from __future__ import annotations

import numpy as np

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F
from ulp_compare import assert_few_ulp


def training_step(model, opt, *, loss_fn=F.cross_entropy, scheduler=None):
    """``step(x, y)``: one training step of ``model`` with ``opt`` on ``loss_fn(model(x),
    y)`` (the cross-entropy of the classes ``y`` by default), then ``scheduler.step()``
    if one is given; returns the loss."""
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        return loss
    return step


def flat_values(value, name="result"):
    """``(name, array)`` pairs of everything ``value`` holds: tensors, arrays, numbers,
    dicts, lists and tuples of them, modules (parameters, buffers, gradients) and
    optimizers and schedulers (their ``state_dict``)."""
    out, todo = [], [(name, value)]
    while todo:
        name, value = todo.pop()
        if isinstance(value, nn.Module):
            todo.extend((f"{name}.{k}", v) for k, v in value.state_dict().items())
            todo.extend((f"{name}.{k}.grad", p.grad) for k, p in value.named_parameters())
        elif isinstance(value, (ad.optim.Optimizer, ad.optim.lr_scheduler.LRScheduler)):
            todo.extend((f"{name}[{k}]", v) for k, v in value.state_dict().items())
        elif isinstance(value, ad.Tensor):
            out.append((name, np.array(value.data, copy=True)))
        elif isinstance(value, dict):
            todo.extend((f"{name}[{k!r}]", v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            todo.extend((f"{name}[{k}]", v) for k, v in enumerate(value))
        elif value is None or callable(value):
            out.append((name, repr(value) if value is None else "<function>"))
        else:
            out.append((name, np.array(value, copy=True)))
    return sorted(out, key=lambda item: item[0])


def assert_same(got, want, *, bitwise: bool, where: str, ulps: int = 32,
                scale: float = 0.0) -> None:
    """Compare two lists of ``flat_values``; without ``bitwise``, to ``ulps`` ulp of the
    largest magnitude of each array or of ``scale`` if larger (the size of the terms a
    gradient near zero was summed from, which its own magnitude does not show)."""
    assert [n for n, _ in got] == [n for n, _ in want], where
    for (name, a), (_, b) in zip(got, want):
        if isinstance(b, str):
            assert a == b, f"{where} {name}: {a} != {b}"
        elif bitwise or b.dtype.kind not in "fc":
            assert a.dtype == b.dtype and a.shape == b.shape, f"{where} {name}"
            np.testing.assert_array_equal(a, b, err_msg=f"{where} {name}")
        elif scale and np.all(np.isfinite(b)) and np.all(np.abs(b) < scale):
            assert a.shape == b.shape and a.dtype == b.dtype, f"{where} {name}"
            # (a complex array: in ulp of its real dtype)
            distance = np.max(np.abs(a - b), initial=0) / np.spacing(b.real.dtype.type(scale))
            assert distance <= ulps, f"{where} {name}: {distance} ulp of {scale} apart"
        else:
            assert_few_ulp(a, b, ulps, what=f"{where} {name}")


def as_eager_argument(value):
    return ad.tensor(value) if isinstance(value, np.ndarray) else value


def run_twins(make, batches, *, fuse: bool = True, between=None, seed=None, scale=0.0,
              ulps: int = 32):
    """Run ``make``'s step eagerly and compiled on ``batches`` (a list of argument
    tuples), comparing after every call; ``between(k, things)`` runs on each twin
    before call ``k``; ``seed`` (if given) seeds ``nn.manual_seed`` before each twin
    is made and run, for layers drawing from the default generator; ``scale``: see
    ``assert_same``; ``ulps``: the bound per call made, fused.  Returns the
    compiled function (for ``.traces``) and the two twins' ``things``."""
    twins = []
    for compiled in (False, True):
        if seed is not None:
            nn.manual_seed(seed)
        step, things = make()
        run = ad.compile(step, fuse=fuse) if compiled else step
        results = []
        for k, args in enumerate(batches):
            if between is not None:
                between(k, things)
            args = args if compiled else tuple(as_eager_argument(a) for a in args)
            results.append(flat_values(run(*args)) + flat_values(things, "state"))
        twins.append((run, things, results))
    (_, eager_things, eager_results), (compiled, compiled_things, compiled_results) = twins
    for k, (got, want) in enumerate(zip(compiled_results, eager_results)):
        # (a few ulp apart after one fused call; training carries them on, so the
        # bound grows with the number of calls made)
        assert_same(got, want, bitwise=not fuse, where=f"call {k}:", ulps=ulps * (k + 1),
                    scale=scale)
    return compiled, eager_things, compiled_things


def assert_replays_equal_eager(step, leaf, inputs, replays: int = 2):
    """``ad.compile(step)`` on each array of ``inputs`` returns eager ``step``'s value
    and leaves eager's ``leaf.grad``, bit for bit, on every replay (``step`` calls
    ``backward`` itself; fusion is off when nothing in it fuses)."""
    compiled = ad.compile(step)
    for x in inputs:
        leaf.grad = None
        eager = step(x)
        eager_grad = leaf.grad.copy()
        for _ in range(replays):
            leaf.grad = None
            replayed = compiled(x)
            np.testing.assert_array_equal(replayed.data, eager.data)
            np.testing.assert_array_equal(leaf.grad, eager_grad)
