"""Tutorial-style PyTorch training scripts as compiled steps (``test_compile_scripts8*``).

Each script is written against a module named ``torch`` (here ``autodiff``), as in
test_torch_scripts*.py, but as one training step: ``make()`` builds the model,
optimizer and scheduler and returns ``(step, things)`` for ``compile_twins.run_twins``,
which runs the step eagerly and under ``ad.compile`` from the same start on the same
20 batches and compares results, weights, gradients and optimizer/scheduler state
after every call (bit for bit without fusion, within a few ulp with it).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from compile_twins import run_twins

torch = ad
nn, F = ad.nn, ad.nn.functional
STEPS = 20
#: ``fuse_modes`` of a step whose fused kernels take 10-30 s to compile with an empty
#: cache (as CI starts): checked unfused, bit for bit, only.
UNFUSED = (False,)


def compiled_like_eager(make, batches, *, seed=0, between=None, traces=1,
                        fuse_modes=(False, True), fused_scale=1.0, fused_ulps=32):
    """Run ``make``'s step eagerly and compiled (without and with fusion) and compare
    them call by call; the compiled function traces ``traces`` times, its plan prints
    and draws.  Returns the last ``(compiled, eager things, compiled things)``.

    Fused, a value is compared to a few ulp of its largest magnitude or of 1 (the
    scale of the data and weights): a gradient near zero is a sum of terms of order
    1, whose rounding its own ulp does not bound.  ``fused_scale`` widens that where a
    gradient is zero but for rounding and Adam divides it by its own size (an attention
    key's bias: softmax does not see a constant added to every score), so rounding of
    1e-17 becomes a step of about ``lr * 1e-9`` whose digits follow the rounding.
    ``fused_ulps`` (per call) widens the bound where an optimizer divides a gradient by
    its own running size (RMSprop), so a small gradient's rounding is magnified."""
    for fuse in fuse_modes:
        compiled, eager, twin = run_twins(make, batches, fuse=fuse, between=between,
                                          seed=seed, scale=fused_scale if fuse else 1.0,
                                          ulps=fused_ulps)
        assert compiled.traces == traces, (fuse, compiled.traces)
        plan = compiled.plan
        text = str(plan)
        assert text.startswith(f"plan for {plan.name}: {len(plan.instrs)} steps")
        assert len(text.splitlines()) > len(plan.instrs)
        source = ad.viz.draw(plan).source
        assert source.count(" -> ") >= len(plan.instrs) // 2
    return compiled, eager, twin


def draws(seed, *shapes_and_kinds, n=STEPS):
    """``n`` argument tuples: each entry of ``shapes_and_kinds`` is a shape (standard
    normal floats) or ``("int", high, shape)`` (integers in [0, high)) or ``("bits",
    shape)`` (0.0/1.0 floats) or ``("uniform", shape)``."""
    rng = np.random.default_rng(seed)

    def one(spec):
        if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
            kind = spec[0]
            if kind == "int":
                return rng.integers(0, spec[1], size=spec[2])
            if kind == "bits":
                return (rng.uniform(size=spec[1]) > 0.5).astype(np.float64)
            if kind == "uniform":
                return rng.uniform(size=spec[1])
            raise ValueError(kind)
        return rng.standard_normal(spec)
    return [tuple(one(spec) for spec in shapes_and_kinds) for _ in range(n)]


def two_sizes(seed, first, second):
    """Four batches of the shapes ``first``, then two of the shapes ``second`` (another
    batch size: the compiled step traces again)."""
    return draws(seed, *first, n=4) + draws(seed + 100, *second, n=2)


def plain_step(model, optimizer, loss_of):
    """``step(*batch)``: zero the gradients, ``loss_of(model, *batch)``, backward and an
    optimizer step; returns the loss."""
    def step(*batch):
        optimizer.zero_grad()
        loss = loss_of(model, *batch)
        loss.backward()
        optimizer.step()
        return loss
    return step


def made(model, optimizer, loss_of, **more):
    """What ``make()`` returns for ``plain_step``: the step and the things to compare."""
    return plain_step(model, optimizer, loss_of), {"model": model, "optimizer": optimizer,
                                                   **more}


def line_of(obj, text):
    """``"file.py:12"``: where the source of ``obj`` (a function or class) first has
    ``text``, as a refusal names a line."""
    lines, first = inspect.getsourcelines(obj)
    number = next(first + i for i, line in enumerate(lines) if text in line)
    return f"{inspect.getsourcefile(obj).rsplit('/', 1)[-1]}:{number}"


def refused_naming(make, batch, pattern):
    """``make()``'s step compiled is refused at its trace on ``batch`` with a
    ``TraceError`` matching ``pattern`` (which names the user's line: ``line_of``)."""
    step, _ = make()
    with pytest.raises(TraceError, match=pattern):
        ad.compile(step)(*batch)
