"""The teaching tools on the NumPy probe programs of rounds 19-20 (``program(xp, p)``,
differentiated unchanged through NumPy's dispatch), in float64 and float32, chosen for
ops the earlier sweeps did not reach: ``eig`` of a rate matrix with ``inv``,
``svdvals`` (a condition number), ``eigh`` (spectral clustering), ``cholesky`` with
``det``, ``eigvalsh`` with ``tensordot``, ``logaddexp.reduce``, ``logaddexp2``,
``einsum``, ``sliding_window_view`` with ``einsum``, ``fft``/``ifft`` with ``angle``,
``irfft``, ``frexp``/``ldexp``/``copysign``, ``float_power`` and ``nan_to_num`` of
complex values, ``expm1``, ``cumprod``, ``roll`` with ``maximum``/``minimum``,
``stop_gradient`` and ``take`` of tiers, a sorted quantile, ``std`` and ``log2``.

For each: ``viz.text`` names the ops; ``viz.steps`` gives the gradient ``ad.grad``
computes; ``draw`` after ``backward(retain_graph=True)`` shows it and the loss;
``explain`` counts its nonzero entries; ``detect_anomaly`` keeps quiet and changes
nothing; after a plain ``backward()`` the tools say the graph was freed; the HTML
page's totals are the gradient.
"""

from teaching_checks import probe_programs, program_teaching_tests
from test_numpy_programs_nineteenth import (coulomb_counting, godunov_traffic,
                                            life_table_annuity, substitution_likelihood)
from test_numpy_programs_nineteenth_more import (block_floating_point, chebyshev_engine_map,
                                                 mutual_information,
                                                 sensor_placement_condition,
                                                 spectral_clustering, tiered_tariff,
                                                 value_at_risk)
from test_numpy_programs_twentieth import (adsorption_isotherms, catmull_rom_length,
                                           crf_log_partition, hilbert_envelope,
                                           real_cepstrum, sigmoid_emax, unscented_transform,
                                           zernike_wavefront)
from test_numpy_programs_twentieth_more import (diode_circuit, drude_metal_optics,
                                                impedance_spectroscopy, mohr_von_mises,
                                                pade_exponential, sobel_edge_energy)



# program -> ops viz.text must name
PROGRAMS = {
    substitution_likelihood: ["eig_packed", "inv", "diag"],
    sensor_placement_condition: ["svdvals", "inv"],
    spectral_clustering: ["eigh_packed"],
    unscented_transform: ["cholesky", "det", "diagonal"],
    mohr_von_mises: ["eigvalsh", "tensordot", "logaddexp"],
    crf_log_partition: ["logaddexp_reduce"],
    adsorption_isotherms: ["logaddexp2"],
    catmull_rom_length: ["einsum", "roll"],
    sobel_edge_energy: ["sliding_window_view", "einsum"],
    zernike_wavefront: ["tensordot"],
    hilbert_envelope: ["fft", "ifft", "angle"],
    real_cepstrum: ["rfft", "irfft"],
    block_floating_point: ["frexp_mantissa", "ldexp", "copysign"],
    drude_metal_optics: ["float_power", "imag"],
    impedance_spectroscopy: ["nan_to_num", "abs"],
    sigmoid_emax: ["float_power"],
    diode_circuit: ["expm1"],
    life_table_annuity: ["cumprod", "concatenate"],
    godunov_traffic: ["roll", "maximum", "minimum"],
    coulomb_counting: ["cumsum", "max", "min"],
    tiered_tariff: ["stop_gradient", "take", "cumsum"],
    value_at_risk: ["permute_along_axis", "isnan"],
    pade_exponential: ["solve"],
    chebyshev_engine_map: ["std", "clip"],
    mutual_information: ["log2", "isnan"],
}
_run, _gradient = probe_programs(PROGRAMS)


OPS = {program.__name__: ops for program, ops in PROGRAMS.items()}
HTML_NAMES = ["substitution_likelihood", "sensor_placement_condition", "crf_log_partition",
              "sobel_edge_energy", "hilbert_envelope", "block_floating_point",
              "impedance_spectroscopy"]


globals().update(program_teaching_tests(_run, _gradient, OPS, HTML_NAMES))
