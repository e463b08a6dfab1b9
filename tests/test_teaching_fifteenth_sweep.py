"""The teaching tools on the NumPy probe programs of recent rounds (``program(xp, p)``,
differentiated unchanged through NumPy's dispatch), in float64 and float32: complex
structure factors, a DC load flow by ``solve``, eigenvalues, sorting, least squares,
``roll``/``diag`` contrastive losses, a Gaussian mixture by ``einsum``/``det``/``inv``,
``eigh``, ``cumsum`` under ``where``, ``np.add.at``, ``irfftn``, sliding windows,
``slogdet``, ``np.roots``, box overlaps by ``clip``/``maximum``/``minimum`` and a
transformer block.

For each: ``viz.text`` names the ops; ``viz.steps`` gives the gradient that
``ad.grad`` computes; ``draw`` after ``backward(retain_graph=True)`` shows it and the
loss; ``explain`` counts its nonzero entries; ``detect_anomaly`` keeps quiet and
changes nothing; after a plain ``backward()`` the tools say the graph was freed.
Then 0-d, empty and complex leaves, and the tools inside ``ad.grad``, ``ad.vmap``
and ``ad.compile``.
"""

import json
import re
import shutil
import warnings

import numpy as np
import pytest
from test_numpy_programs_fifteenth import (gaussian_mixture_em, pca_by_eigh, rainfall_runoff,
                                           rigid_body_torques)
from test_numpy_programs_fourteenth import (box_overlaps, covariance_shrinkage,
                                            massey_ratings, mu_law_frames,
                                            ph_from_cubic_roots, turbulent_field_synthesis)
from test_numpy_programs_sixteenth import crystal_structure_factors, dc_power_flow
from test_numpy_programs_sixteenth_more import (contrastive_losses, kelly_and_cvar,
                                                seir_reproduction_number, spectral_unmixing,
                                                transformer_block)

import autodiff as ad
from autodiff.viz.labels import array_text, escape

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")

_rng = np.random.default_rng(1515)
# program -> (its parameters, ops viz.text must name)
PROGRAMS = {
    "structure factors": (crystal_structure_factors, 17, ["exp", "conj", "real"]),
    "DC load flow": (dc_power_flow, 8, ["solve", "take"]),
    "eigvals": (seir_reproduction_number, None, ["eigvals"]),
    "sorted CVaR": (kelly_and_cvar, None, ["permute_along_axis", "log1p"]),
    "lstsq": (spectral_unmixing, None, ["lstsq_packed"]),
    "contrastive": (contrastive_losses, None, ["roll", "diag", "maximum"]),
    "mixture EM": (gaussian_mixture_em, None, ["einsum", "det", "inv", "logaddexp"]),
    "eigh": (pca_by_eigh, None, ["eigh_packed"]),
    "cumsum in where": (rainfall_runoff, None, ["cumsum", "where"]),
    "add.at": (massey_ratings, None, ["add_at", "solve"]),
    "irfftn": (turbulent_field_synthesis, None, ["irfftn"]),
    "sliding windows": (mu_law_frames, None, ["sliding_window_view", "log1p"]),
    "slogdet": (covariance_shrinkage, None, ["slogdet_packed", "setitem"]),
    "roots": (ph_from_cubic_roots, None, ["roots"]),
    "box overlaps": (box_overlaps, None, ["clip", "maximum", "minimum"]),
    "transformer block": (transformer_block, None, ["matmul", "max", "sqrt"]),
    "rigid body": (rigid_body_torques, None, ["inv", "stack"]),
}
CASES = [(name, dtype) for name in PROGRAMS for dtype in ("float64", "float32")]


def _parameters(name, dtype):
    program = PROGRAMS[name][0]
    module = __import__(program.__module__)
    p = next(p for prog, p, *_ in module.PROGRAMS if prog is program)
    return p.astype(dtype)


def _run(name, dtype):
    program = PROGRAMS[name][0]
    p = ad.tensor(_parameters(name, dtype), requires_grad=True, name="p")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        return program(np, p), p


def _gradient(name, dtype):
    program = PROGRAMS[name][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.ConventionWarning)
        return ad.grad(lambda t: program(np, t))(_parameters(name, dtype))


@pytest.mark.parametrize("name, dtype", CASES)
def test_the_tools_show_the_gradient(name, dtype):
    loss, p = _run(name, dtype)
    text = ad.viz.text(loss)
    for op in PROGRAMS[name][2]:
        assert f"= {op}(" in text, (op, text)
    totals = ad.viz.steps(loss).totals
    assert p.grad is None
    expected = _gradient(name, dtype)
    loss.backward(retain_graph=True)
    grad = np.asarray(p.grad)
    assert grad.dtype == np.dtype(dtype) == totals["p"].dtype
    np.testing.assert_array_equal(grad, expected)          # the same engine, the same order
    # steps walks the same rules; contributions to a value may arrive in another order
    np.testing.assert_allclose(totals["p"], grad, rtol=1e-5 if dtype == "float32" else 1e-11,
                               atol=1e-6 if dtype == "float32" else 1e-13)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params={"p": p}).source
    assert escape(array_text(grad)).replace("\n", "<BR/>") in source
    assert escape(array_text(loss.data)).replace("\n", "<BR/>") in source
    story = ad.explain(p)
    assert story.startswith(f"'p' (shape {p.shape}, {dtype})")
    assert f"nonzero entries: {np.count_nonzero(grad)} of {grad.size}" in story


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_detect_anomaly_keeps_quiet_and_changes_nothing(name):
    loss, p = _run(name, "float64")
    loss.backward()
    with ad.detect_anomaly():
        watched_loss, q = _run(name, "float64")
        watched_loss.backward()
    assert float(watched_loss.data) == float(loss.data)
    np.testing.assert_array_equal(q.grad, p.grad)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_after_the_graph_is_freed_the_tools_say_so(name):
    loss, p = _run(name, "float64")
    loss.backward()
    for op in PROGRAMS[name][2]:
        assert f"= {op}(" in ad.viz.text(loss)
    assert "values freed by backward()" in ad.viz.draw(loss, show_values=True).source
    with pytest.raises(ad.viz.GraphFreedError, match="retain_graph=True"):
        ad.viz.steps(loss)
    assert "nonzero entries" in ad.explain(p, output=loss)


@needs_dot
@pytest.mark.parametrize("name", ["structure factors", "add.at", "roots", "eigvals"])
def test_the_html_page_totals_are_the_gradient(name, tmp_path):
    loss, p = _run(name, "float64")
    path = ad.viz.html(loss, tmp_path / "page")
    with open(path, encoding="utf-8") as f:
        data = json.loads(re.search(r"const DATA = (\{.*?\});\n", f.read(), re.S).group(1))
    loss.backward()
    assert data["totals"]["p"] == array_text(np.asarray(p.grad), width=72)


def test_explain_names_each_zeroing_reason_once_with_how_many_ops_give_it():
    # The cross products index p in many ways: twenty ops could zero entries of p's
    # gradient, in only eight different ways (before: twenty lines, in an order that
    # changed from run to run).
    stories = []
    for _ in range(2):
        loss, p = _run("rigid body", "float64")
        loss.backward(retain_graph=True)
        assert np.count_nonzero(p.grad) == 11 and p.grad[0] == 0
        stories.append(ad.explain(p))
    assert stories[0] == stories[1]
    reasons = stories[0].split("Ops on the way that can zero some of its entries:\n")[1]
    lines = reasons.splitlines()
    assert len(lines) == len(set(lines))
    assert ("  multiply (6 of them): multiply passes zero gradient to its input 'b' at 1 of "
            "3 positions (its local derivative is 0 there).") in lines
