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

import warnings

import numpy as np
from teaching_checks import program_teaching_tests
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


OPS = {name: ops for name, (_, _, ops) in PROGRAMS.items()}
HTML_NAMES = ["structure factors", "add.at", "roots", "eigvals"]


globals().update(program_teaching_tests(_run, _gradient, OPS, HTML_NAMES))


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
