"""How much ordinary NumPy code ``ad.compile`` replays: each NumPy probe program
(``test_numpy_programs_more.py``, ``test_numpy_programs_third.py``: ``program(xp, p)``,
a scalar function of a parameter vector) run as a compiled SGD step on a leaf, with
new data of the same shape at each call.  A program either replays as eager
execution does (bitwise, or within a few ulp where a fused loop computes exp, tanh
and the like) or is refused with a ``TraceError`` naming a line of the program:
never silently wrong.  ``EXPECTED`` records which replay, so that a regression fails
(and a program that starts to replay asks for the table to be updated)."""

import inspect
import re
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
import test_numpy_programs as first
import test_numpy_programs_more as more
import test_numpy_programs_third as third
from ulp_compare import assert_few_ulp


def safe_ratio_sum(xp, p):
    """``_safe_ratio`` of the first probe file (np.divide with out= and where=)."""
    return first._safe_ratio(p).sum()


#: The function whose lines a refusal of an adapter names.
_SOURCE = {safe_ratio_sum: first._safe_ratio}


PROGRAMS = ([(program, p) for program, p, _ in more.PROGRAMS]
            + [(program, p) for program, p, _ in third.PROGRAMS]
            + [(safe_ratio_sum, np.array([0.0, 1.0, 2.0, 3.0]) + 0.25)])

BITWISE, ULP, REFUSED = "bitwise", "within a few ulp", "refused"

#: How each program fares compiled; for a refusal, why (the cause, for the reader).
EXPECTED = {
    # test_numpy_programs_more.py
    "least_squares": (REFUSED, "lstsq: the rank is read from the values"),
    "pca": (BITWISE, ""),
    "ridge_regression": (BITWISE, ""),
    "logistic_regression": (ULP, ""),
    "soft_kmeans": (REFUSED, "bincount: the length is read from the values"),
    "polynomial_fit": (REFUSED, "lstsq (inside polyfit)"),
    "gaussian_process": (REFUSED, "a slice of a captured array, _T[:8]"),
    "rbf_kernel": (REFUSED, "a slice of a captured array, _T[:6]"),
    "attention": (REFUSED, "a slice of a captured array, _X[:4, :2]"),
    "heat_equation": (BITWISE, ""),
    "cumulative": (BITWISE, ""),
    "statistics": (REFUSED, "np.histogram of a captured array"),
    "signal_power": (BITWISE, ""),
    "geometry": (BITWISE, ""),
    "masking": (REFUSED, "selection with a boolean mask computed in the call"),
    "stacking": (BITWISE, ""),
    "softmax_cross_entropy": (REFUSED, "a slice of a captured array, _X[:10]"),
    "two_layer_network": (ULP, ""),
    "integration": (BITWISE, ""),
    "matrix_functions": (BITWISE, ""),
    "rotation": (REFUSED, "a slice of a captured array, _X[:5, :2]"),
    "sorting": (BITWISE, ""),
    "statistics_moments": (BITWISE, ""),
    "spline_basis": (REFUSED, "a comparison of a captured array, _T < 0.3"),
    "batched_linear_algebra": (BITWISE, ""),
    "nan_aware": (BITWISE, ""),
    "weighted_histogram": (BITWISE, ""),
    "triangular_parts": (BITWISE, ""),
    "powers_and_logs": (BITWISE, ""),
    "accumulate_extrema": (BITWISE, ""),
    "polynomial_calculus": (REFUSED, "polymul: the length is read from leading zeros"),
    "correlation_filter": (REFUSED, "a slice of a captured array, _Y[:10]"),
    "list_of_tensors": (REFUSED, "float() of a traced tensor"),
    "in_place_updates": (REFUSED, "a slice of a captured array, _Y[:p.size]"),
    "kinks_and_ties": (BITWISE, ""),
    "float32_pipeline": (REFUSED, "a slice of a captured array, _X[:4, :3]"),
    "method_calls": (BITWISE, ""),
    # test_numpy_programs_third.py
    "rk4_oscillator": (BITWISE, ""),
    "spring_network": (BITWISE, ""),
    "clipped_cross_entropy": (REFUSED, "NumPy on a captured array, (_Y > 0).astype(float)"),
    "laplacian_2d": (BITWISE, ""),
    "multihead_attention": (REFUSED, "a slice of a captured array, _X[:8]"),
    "kernel_density": (REFUSED, "arithmetic on a captured array, _X[:, None, :] - _X"),
    "time_series": (BITWISE, ""),
    "piecewise_response": (REFUSED, "np.piecewise: shapes read from the conditions"),
    "interp_and_polyval": (BITWISE, ""),
    "image_warp": (BITWISE, ""),
    "tight_binding": (BITWISE, ""),
    "robust_losses": (REFUSED, "a slice of a captured array, _Y[:p.size]"),
    "ufunc_methods": (BITWISE, ""),
    "apply_along_axis": (BITWISE, ""),
    "blocks_and_splits": (BITWISE, ""),
    "thomas_solver": (REFUSED, "np.empty_like: no proof every element is written"),
    "axis_tuples_and_stacks": (BITWISE, ""),
    "scalar_mixing": (REFUSED, "a NumPy scalar, np.float64(0.5)"),
    "mixture_log_likelihood": (REFUSED, "a view of a captured array, _Y[:, None]"),
    "survival_curve": (ULP, ""),
    "group_means": (REFUSED, "np.unique of a captured array"),
    "periodic_neighbours": (BITWISE, ""),
    "heat_plate": (BITWISE, ""),
    "newton_system": (REFUSED, "a NumPy scalar, 2 * x[0] of a constant array"),
    # test_numpy_programs.py
    "safe_ratio_sum": (REFUSED, "np.divide(where=y != 0): a mask computed in the call"),
}


def _sgd_step(program, w):
    """One training step: the program's loss at ``w + x`` for data ``x``, backward,
    and an SGD update of the leaf ``w``."""
    opt = ad.optim.SGD([w], lr=1e-3)

    def step(x):
        opt.zero_grad()
        loss = program(np, w + x)
        loss.backward()
        opt.step()
        return loss
    return step


def _program_lines(program):
    """The file name and line range of ``program``'s source."""
    program = _SOURCE.get(program, program)
    lines, first_line = inspect.getsourcelines(program)
    return inspect.getsourcefile(program), range(first_line, first_line + len(lines))


def test_every_program_has_an_expectation():
    assert sorted(EXPECTED) == sorted(program.__name__ for program, _ in PROGRAMS)


def _twins(program, p, fuse):
    """The eager and the compiled training step of ``program``, each with its own copy
    of the weights ``p``: ``(eager, w_eager, compiled, w_compiled)``."""
    w_eager = ad.tensor(p.copy(), requires_grad=True)
    w_compiled = ad.tensor(p.copy(), requires_grad=True)
    return (_sgd_step(program, w_eager), w_eager,
            ad.compile(_sgd_step(program, w_compiled), fuse=fuse), w_compiled)


def _data(p):
    """The three batches each twin is called on."""
    rng = np.random.default_rng(11)
    return [rng.normal(size=p.shape) * 1e-2 for _ in range(3)]


def _replayed_and_eager(program, p, fuse):
    """``(what, compiled value, eager value)`` for the loss, the gradient and the weights
    after each call of the twins on ``_data(p)``."""
    eager, w_eager, compiled, w_compiled = _twins(program, p, fuse)
    for x in _data(p):
        expected = eager(ad.tensor(x))
        got = compiled(x)
        yield from (("loss", got.data, expected.data),
                    ("grad", w_compiled.grad, w_eager.grad),
                    ("weights", w_compiled.data, w_eager.data))


@pytest.mark.parametrize("program, p", PROGRAMS, ids=[f.__name__ for f, _ in PROGRAMS])
def test_a_compiled_program_replays_as_eager_or_is_refused_naming_its_line(program, p):
    outcome, cause = EXPECTED[program.__name__]
    # (bitwise: replayed without fusion, each op NumPy's own; a fused loop computes
    # powers and transcendentals with other functions than NumPy's SIMD loops, a few
    # ulp apart on some CPUs: test_a_fused_replay_is_within_a_few_ulp_of_eager)
    fuse = outcome != BITWISE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (NumPy's warnings at kinks, eager and compiled)
        if outcome == REFUSED:
            _, _, compiled, _ = _twins(program, p, fuse)
            with pytest.raises(TraceError) as refusal:
                compiled(_data(p)[0])
            first_line = str(refusal.value).splitlines()[0]
            path, lines = _program_lines(program)
            named = re.findall(r"(\w+\.py):(\d+)", first_line)
            assert any(name == path.rsplit("/", 1)[-1] and int(line) in lines
                       for name, line in named), (
                f"{program.__name__} ({cause}) refused without naming its line: {first_line}")
            return
        for what, a, b in _replayed_and_eager(program, p, fuse):
            if outcome == BITWISE:
                np.testing.assert_array_equal(a, b, err_msg=f"{program.__name__} {what}")
            else:
                assert_few_ulp(a, b, what=f"{program.__name__} {what}")


@pytest.mark.parametrize("program, p", [(f, p) for f, p in PROGRAMS
                                        if EXPECTED[f.__name__][0] == BITWISE],
                         ids=[f.__name__ for f, _ in PROGRAMS
                              if EXPECTED[f.__name__][0] == BITWISE])
def test_a_fused_replay_is_within_a_few_ulp_of_eager(program, p):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for what, a, b in _replayed_and_eager(program, p, fuse=True):
            assert_few_ulp(a, b, what=f"{program.__name__} {what}")
