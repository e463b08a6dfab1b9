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

from teaching_checks import probe_programs, program_teaching_tests
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
_run, _gradient = probe_programs(PROGRAMS)


OPS = {program.__name__: ops for program, ops in PROGRAMS.items()}
HTML_NAMES = ["pole_placement", "plummer_softened_cluster", "loan_amortisation",
              "group_lasso_regression", "bollinger_bands", "capon_spectrum"]


globals().update(program_teaching_tests(_run, _gradient, OPS, HTML_NAMES))
