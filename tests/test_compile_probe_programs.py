"""How much ordinary NumPy code ``ad.compile`` replays: each NumPy probe program
(``test_numpy_programs_more.py``, ``test_numpy_programs_third.py``: ``program(xp, p)``,
a scalar function of a parameter vector) run as a compiled SGD step on a leaf, with
new data of the same shape at each call.  A program either replays as eager
execution does (bitwise, or within a few ulp where a fused loop computes exp, tanh
and the like) or is refused with a ``TraceError`` naming a line of the program:
never silently wrong.  ``EXPECTED`` records which replay, so that a regression fails
(and a program that starts to replay asks for the table to be updated)."""

import numpy as np

import test_numpy_programs as first
import test_numpy_programs_more as more
import test_numpy_programs_third as third
from compile_probe_checks import BITWISE, REFUSED, ULP, probe_tests, programs_of


def safe_ratio_sum(xp, p):
    """``_safe_ratio`` of the first probe file (np.divide with out= and where=)."""
    return first._safe_ratio(p).sum()


#: The function whose lines a refusal of an adapter names.
_SOURCE = {safe_ratio_sum: first._safe_ratio}


PROGRAMS = (programs_of(more, third)
            + [(safe_ratio_sum, np.array([0.0, 1.0, 2.0, 3.0]) + 0.25)])

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


globals().update(probe_tests(PROGRAMS, EXPECTED, sources=_SOURCE))
