"""The teaching tools on the NumPy probe programs of round 20 (``program(xp, p)``,
differentiated unchanged through NumPy's dispatch) that the last sweep did not visit, in
float64 and float32: a 3PL item-response likelihood (``log1p``), a Brune source spectrum
(``log10``), Eyring reverberation, a Nash unit hydrograph (``take``, ``concatenate``,
``matmul``), Peng-Robinson density (``sqrt``), ordinary kriging (``solve``), an ARMA
likelihood (``stack``), Haar wavelet energy, upwind advection (``roll``), a shallow-
water dam break, a Denavit-Hartenberg arm (``cos``/``sin``), Hertz contact (``cbrt``), a
Pacejka tyre (``arctan``), rocket staging (``cumsum``), a phased array's factor (``abs``
of complex ``exp``), a binomial option tree (``maximum``), total-variation denoising,
sRGB tone mapping (``where`` of a ``<=``), Blinn-Phong shading (``clip``, ``where``), a
newsvendor (``minimum``), soft value iteration (``max``) and Hotelling's T² (``solve``,
``transpose``, ``astype``).

For each: ``viz.text`` names the ops; ``viz.steps`` gives the gradient ``ad.grad``
computes; ``draw`` after ``backward(retain_graph=True)`` shows it and the loss;
``explain`` counts its nonzero entries; ``detect_anomaly`` keeps quiet and changes
nothing; after a plain ``backward()`` the tools say the graph was freed; the HTML
page's totals are the gradient.
"""

from teaching_checks import probe_programs, program_teaching_tests
from test_numpy_programs_twentieth import (arma_likelihood, brune_source_spectrum,
                                           eyring_reverberation, haar_wavelet_energy,
                                           item_response_3pl, nash_unit_hydrograph,
                                           ordinary_kriging, peng_robinson_density,
                                           upwind_advection)
from test_numpy_programs_twentieth_more import (binomial_tree_option, blinn_phong_shading,
                                                denavit_hartenberg_arm, hertz_contact,
                                                hotelling_t_squared,
                                                newsvendor_inventory, pacejka_tyre,
                                                phased_array_factor, rocket_staging,
                                                shallow_water_dam_break,
                                                soft_value_iteration, srgb_tone_mapping,
                                                total_variation_denoising)

# program -> ops viz.text must name
PROGRAMS = {
    item_response_3pl: ["log1p", "log"],
    brune_source_spectrum: ["log10", "power"],
    eyring_reverberation: ["log1p", "exp"],
    nash_unit_hydrograph: ["take", "concatenate", "matmul"],
    peng_robinson_density: ["sqrt", "tanh"],
    ordinary_kriging: ["solve", "concatenate"],
    arma_likelihood: ["stack", "log"],
    haar_wavelet_energy: ["reshape", "stack"],
    upwind_advection: ["roll", "stack"],
    shallow_water_dam_break: ["take", "concatenate"],
    denavit_hartenberg_arm: ["cos", "sin", "stack", "matmul"],
    hertz_contact: ["cbrt"],
    pacejka_tyre: ["arctan", "sin"],
    rocket_staging: ["cumsum", "log"],
    phased_array_factor: ["abs", "exp", "matmul"],
    binomial_tree_option: ["maximum"],
    total_variation_denoising: ["sqrt", "concatenate"],
    srgb_tone_mapping: ["where", "maximum", "matmul"],
    blinn_phong_shading: ["clip", "where", "sqrt"],
    newsvendor_inventory: ["minimum"],
    soft_value_iteration: ["max", "log", "exp"],
    hotelling_t_squared: ["solve", "transpose", "astype"],
}
_run, _gradient = probe_programs(PROGRAMS)


OPS = {program.__name__: ops for program, ops in PROGRAMS.items()}
HTML_NAMES = ["nash_unit_hydrograph", "ordinary_kriging", "denavit_hartenberg_arm",
              "hertz_contact", "phased_array_factor", "srgb_tone_mapping",
              "hotelling_t_squared"]


globals().update(program_teaching_tests(_run, _gradient, OPS, HTML_NAMES))
