"""NumPy's warnings raised inside an op are shown at the user's line, once per line,
as NumPy shows them for plain arrays (autodiff/warning_lines.py)."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(script, *flags):
    """stderr of ``script`` in a fresh interpreter with Python's own filters (pytest's
    per-test filters would hide what a user sees)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run([sys.executable, *flags, "-c", textwrap.dedent(script)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stderr


def _warned_lines(stderr):
    return [int(line.split(":")[1]) for line in stderr.splitlines()
            if line.startswith("<string>:") and "RuntimeWarning" in line]


def test_each_user_line_warns_once_like_numpy():
    stderr = _run("""\
        import numpy as np, autodiff as ad
        x = ad.tensor([0.0, 1.0], requires_grad=True)
        for _ in range(3):
            y = ad.log(x)
        z = ad.log(x)
        w = 1 / ad.tensor(0.0)
        ad.sqrt(x).sum().backward()
        v = np.log(x)
        u = np.log(np.array([0.0]))
        """)
    # line 4 once for three calls; the backward's divide at its line; np.log on a
    # Tensor (line 8) as on an array (line 9)
    assert _warned_lines(stderr) == [4, 5, 6, 7, 8, 9], stderr
    assert "autodiff" not in stderr, stderr
    assert "divide by zero encountered in log" in stderr


def test_the_users_filters_decide():
    # an error filter raises at the op, as NumPy's warning would
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match="divide by zero"):
            ad.log(ad.tensor(0.0))
    # an ignore filter for the user's own module silences it: the warning is theirs now
    stderr = _run("""\
        import warnings, autodiff as ad
        warnings.filterwarnings("ignore", module="__main__")
        ad.log(ad.tensor(0.0))
        """)
    assert "RuntimeWarning" not in stderr, stderr
    # and one set for this library's modules (before or after the import) still wins
    stderr = _run("""\
        import warnings, autodiff as ad
        warnings.filterwarnings("ignore", module="autodiff")
        ad.log(ad.tensor(0.0))
        """)
    assert "RuntimeWarning" not in stderr, stderr


def test_recorded_warnings_name_the_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ad.log(ad.tensor([0.0, -1.0]))
    line = sys._getframe().f_lineno - 1
    assert {(w.filename, w.lineno) for w in caught} == {(__file__, line)}
    assert {str(w.message) for w in caught} == {
        "divide by zero encountered in log", "invalid value encountered in log"}


def test_a_compiled_steps_replay_warns_at_the_call(monkeypatch):
    # The fused kernels raise no floating-point warnings; the plan's NumPy calls do
    # (AUTODIFF_JIT=0 replays the whole plan with NumPy).
    script = """\
        import numpy as np, autodiff as ad
        w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
        @ad.compile
        def step(x):
            return ad.log(w * x).sum()
        step(np.ones(2))
        step(np.zeros(2))
        """
    monkeypatch.setenv("AUTODIFF_JIT", "0")
    stderr = _run(script)
    assert _warned_lines(stderr) == [7], stderr
    assert "autodiff plan" not in stderr, stderr


def test_other_warnings_pass_through():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("plain", UserWarning)
        np.log(np.zeros(1))
    assert [w.filename for w in caught] == [__file__, __file__]


@pytest.mark.skipif(not ad.kernels.JIT_ENABLED, reason="fused loops run with NumPy")
def test_a_fused_loop_raises_no_floating_point_warning():
    # As the compile docstring says: the trace (eager) warns, a fused replay does not.
    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    @ad.compile
    def step(x):
        return (ad.exp(w) / x).sum()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        step(np.ones(2))
        traced = len(caught)
        loss = step(np.zeros(2))
    assert any(i.kind == "kernel" for i in step.plan.instrs), step.plan
    assert traced == 0 and len(caught) == 0
    assert np.isinf(loss.data)


@pytest.mark.parametrize("transform", [
    lambda f: ad.grad(ad.grad(f)), lambda f: ad.hessian(f), lambda f: ad.jacrev(ad.grad(f))])
def test_a_warning_inside_nested_transforms_is_shown_at_the_users_line(transform):
    # It went round between the library's frames until RecursionError: past contextlib
    # (which runs a transform's function), the line found was the transform's own
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = transform(lambda t: ad.log(t).sum())(np.array(0.0))
    assert np.isneginf(result)
    assert caught and {w.filename for w in caught} == {__file__}


def test_numpys_own_warnings_about_empty_lanes_are_shown_at_the_users_line():
    # "Mean of empty slice" and "Degrees of freedom <= 0" come from NumPy's Python code,
    # which the hook for this library's lines left at NumPy's line
    empty = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    # (ad.mean, Tensor.mean and F.mse_loss of an empty lane are NaN quietly, as PyTorch's)
    calls = [lambda: np.mean(empty), lambda: np.mean(empty, axis=0),
             lambda: ad.var(x, ddof=3), lambda: ad.std(x, ddof=4), lambda: ad.median(empty)]
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught and {w.filename for w in caught} == {__file__}, \
            [(w.filename, str(w.message)) for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ad.mean(ad.tensor(np.zeros((0, 3))), axis=1)      # no empty lane: NumPy is quiet
        ad.var(x, ddof=1)
    assert not caught
    # PyTorch's spellings: NaN for an empty lane, quietly, as PyTorch's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(ad.mean(empty).item()) and np.isnan(empty.mean(axis=0).data).all()
        assert np.isnan(F.mse_loss(ad.tensor(np.zeros(0)), np.zeros(0)).item())
