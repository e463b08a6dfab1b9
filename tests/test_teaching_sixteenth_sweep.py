"""The teaching tools on the NumPy probe programs of rounds 16-18 (``program(xp, p)``,
differentiated unchanged through NumPy's dispatch), in float64 and float32, chosen for
ops the last sweep did not reach: ``np.poly`` and ``eigvals`` (pole placement),
``np.hypot.reduce`` (with ``initial=`` and ``where=``), ``np.hypot.reduceat``,
``np.subtract.accumulate``, ufunc ``outer``, ``np.cumulative_sum(include_initial=True)``,
``np.poly`` of complex poles, ``eigvalsh``, ``vecmat``, ``take_along_axis``, ``cbrt``,
``sliding_window_view`` with ``std``, ``var`` of sorted slopes, ``np.place`` and
``fill_diagonal`` on copies, a complex ``solve``, ``angle``, ``lstsq`` with
``cumprod``, ``roll`` of tuples, ``diff(prepend=)``, ``rfft`` and ``linspace`` on the
tape.

For each: ``viz.text`` names the ops; ``viz.steps`` gives the gradient ``ad.grad``
computes; ``draw`` after ``backward(retain_graph=True)`` shows it and the loss;
``explain`` counts its nonzero entries; ``detect_anomaly`` keeps quiet and changes
nothing; after a plain ``backward()`` the tools say the graph was freed; the HTML
page's totals are the gradient.
"""

import json
import re
import shutil
import warnings

import numpy as np
import pytest
from test_numpy_programs_eighteenth import (encoder_odometry, exoplanet_transit,
                                            ladder_network_bode, zipf_mandelbrot_fit)
from test_numpy_programs_eighteenth_more import (bollinger_bands, capon_spectrum,
                                                 gray_scott_pattern, magnetotelluric_sounding,
                                                 saturated_sensor_readings, social_force_step,
                                                 theil_sen_and_deming)
from test_numpy_programs_seventeenth import (mel_filterbank_energies, ogden_strain_energy,
                                             pole_placement, room_impulse_decay,
                                             seismic_hypocentre_misfit, srgb_colour_difference)
from test_numpy_programs_seventeenth_more import (butterworth_response, camera_reprojection,
                                                  group_lasso_regression, loan_amortisation,
                                                  plummer_softened_cluster, soft_value_iteration)
from test_numpy_programs_sixteenth import decay_chain_bateman
from test_numpy_programs_sixteenth_more import heat_capacity_models, kuramoto_synchrony

import autodiff as ad
from autodiff.viz.labels import array_text, escape

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

# program -> ops viz.text must name
PROGRAMS = {
    pole_placement: ["eigvals", "prod", "concatenate"],
    seismic_hypocentre_misfit: ["hypot", "minimum"],
    plummer_softened_cluster: ["hypot"],
    group_lasso_regression: ["hypot", "take", "maximum"],
    loan_amortisation: ["subtract_accumulate"],
    room_impulse_decay: ["cumsum", "log10"],
    kuramoto_synchrony: ["sin", "abs"],
    butterworth_response: ["log10", "abs", "take"],
    decay_chain_bateman: ["prod", "where"],
    ogden_strain_energy: ["eigvalsh", "det"],
    camera_reprojection: ["vecmat"],
    soft_value_iteration: ["take_along_axis", "einsum", "logaddexp"],
    srgb_colour_difference: ["cbrt", "where"],
    bollinger_bands: ["sliding_window_view", "std"],
    theil_sen_and_deming: ["var", "permute_along_axis"],
    saturated_sensor_readings: ["setitem", "copy"],
    social_force_step: ["setitem", "copy"],
    capon_spectrum: ["solve", "conj"],
    magnetotelluric_sounding: ["angle"],
    ladder_network_bode: ["angle", "solve"],
    zipf_mandelbrot_fit: ["lstsq_packed", "cumprod", "flip"],
    gray_scott_pattern: ["roll", "var"],
    encoder_odometry: ["cumsum", "concatenate"],
    exoplanet_transit: ["arccos", "clip"],
    mel_filterbank_energies: ["rfft"],
    heat_capacity_models: ["linspace"],
}
BY_NAME = {program.__name__: program for program in PROGRAMS}
CASES = [(name, dtype) for name in BY_NAME for dtype in ("float64", "float32")]


def _parameters(name, dtype):
    program = BY_NAME[name]
    module = __import__(program.__module__)
    p = next(p for prog, p, *_ in module.PROGRAMS if prog is program)
    return p.astype(dtype)


def _run(name, dtype):
    p = ad.tensor(_parameters(name, dtype), requires_grad=True, name="p")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        return BY_NAME[name](np, p), p


def _gradient(name, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        return ad.grad(lambda t: BY_NAME[name](np, t))(_parameters(name, dtype))


def _shown(values):
    return escape(array_text(values)).replace("\n", "<BR/>")


@pytest.mark.parametrize("name, dtype", CASES)
def test_the_tools_show_the_gradient(name, dtype):
    loss, p = _run(name, dtype)
    text = ad.viz.text(loss)
    for op in PROGRAMS[BY_NAME[name]]:
        assert f"= {op}(" in text, (op, text)
    totals = ad.viz.steps(loss).totals
    assert p.grad is None                                   # steps writes no .grad
    expected = _gradient(name, dtype)
    loss.backward(retain_graph=True)
    grad = np.asarray(p.grad)
    assert grad.dtype == np.dtype(dtype) == totals["p"].dtype
    np.testing.assert_array_equal(grad, expected)          # the same engine, the same order
    # steps walks the same rules; contributions to one value may arrive in another order
    np.testing.assert_allclose(totals["p"], grad, rtol=1e-4 if dtype == "float32" else 1e-10,
                               atol=1e-5 if dtype == "float32" else 1e-12)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params={"p": p}).source
    assert _shown(grad) in source
    assert _shown(loss.data) in source
    story = ad.explain(p)
    assert story.startswith(f"'p' (shape {p.shape}, {dtype})")
    assert f"nonzero entries: {np.count_nonzero(grad)} of {grad.size}" in story


@pytest.mark.parametrize("name", list(BY_NAME))
def test_detect_anomaly_keeps_quiet_and_changes_nothing(name):
    loss, p = _run(name, "float64")
    loss.backward()
    with ad.detect_anomaly():
        watched_loss, q = _run(name, "float64")
        watched_loss.backward()
    assert float(watched_loss.data) == float(loss.data)
    np.testing.assert_array_equal(q.grad, p.grad)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_after_the_graph_is_freed_the_tools_say_so(name):
    loss, p = _run(name, "float64")
    loss.backward()
    for op in PROGRAMS[BY_NAME[name]]:
        assert f"= {op}(" in ad.viz.text(loss)
    assert "values freed by backward()" in ad.viz.draw(loss, show_values=True).source
    with pytest.raises(ad.viz.GraphFreedError, match="retain_graph=True"):
        ad.viz.steps(loss)
    assert "nonzero entries" in ad.explain(p, output=loss)


@needs_dot
@pytest.mark.parametrize("name", ["pole_placement", "plummer_softened_cluster",
                                  "loan_amortisation", "group_lasso_regression",
                                  "bollinger_bands", "capon_spectrum"])
def test_the_html_page_totals_are_the_gradient(name, tmp_path):
    loss, p = _run(name, "float64")
    path = ad.viz.html(loss, tmp_path / "page")
    with open(path, encoding="utf-8") as f:
        data = json.loads(re.search(r"const DATA = (\{.*?\});\n", f.read(), re.S).group(1))
    loss.backward()
    assert data["totals"]["p"] == array_text(np.asarray(p.grad), width=72)
    assert {op for op in PROGRAMS[BY_NAME[name]]} <= {s["op_name"] for s in data["steps"]}
