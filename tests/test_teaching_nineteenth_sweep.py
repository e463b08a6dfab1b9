"""The teaching tools on the NumPy probe programs of round 21 (``program(xp, p)``,
differentiated unchanged through NumPy's dispatch) in float64 and float32: Procrustes
alignment (``svd``, ``transpose``), MFCC features (``rfft``, ``abs``, ``log``), Wiener
deconvolution (``fft``, ``ifft``, ``conj``, ``real``), a Potts mean field (``roll``,
``max``), a Gaussian beam through ABCD matrices (complex ``sqrt``, ``real``, ``imag``),
Mueller polarimetry (``stack``, ``matmul``, ``flatten``), a zero-inflated Poisson
(``logaddexp``, ``where``), Nesterov's logistic regression (``logaddexp``, ``matmul``,
``mean``), Black-Litterman (``inv``, ``solve``), a Bragg powder pattern (``arcsin``,
``rad2deg``), water filling (``maximum``, ``log2``), Davies solubility (``log10``,
``sqrt``), peaks over a threshold (``log1p``, ``tanh``), Vincenty's inverse problem
(``arctan2``, ``tan``) and a Morse chain (``abs``, ``exp``).

For each: ``viz.text`` names the ops; ``viz.steps`` gives the gradient ``ad.grad``
computes; ``draw`` after ``backward(retain_graph=True)`` shows it and the loss;
``explain`` counts its nonzero entries; ``detect_anomaly`` keeps quiet and changes
nothing; after a plain ``backward()`` the tools say the graph was freed; the HTML
page's totals are the gradient.
"""

from teaching_checks import probe_programs, program_teaching_tests
from test_numpy_programs_twentyfirst import (gaussian_beam_abcd, mfcc_features, morse_chain,
                                             mueller_polarimetry, pareto_peaks_over_threshold,
                                             potts_mean_field, procrustes_alignment,
                                             vincenty_inverse, wiener_deconvolution)
from test_numpy_programs_twentyfirst_more import (black_litterman, bragg_powder_pattern,
                                                  davies_solubility, nesterov_logistic,
                                                  water_filling, zero_inflated_poisson)

# program -> ops viz.text must name
PROGRAMS = {
    procrustes_alignment: ["svd_packed", "transpose", "matmul"],
    mfcc_features: ["rfft", "abs", "log", "matmul"],
    wiener_deconvolution: ["fft", "ifft", "conj", "real"],
    potts_mean_field: ["roll", "max", "exp"],
    gaussian_beam_abcd: ["sqrt", "real", "imag"],
    mueller_polarimetry: ["stack", "matmul", "flatten", "cos"],
    zero_inflated_poisson: ["logaddexp", "where"],
    nesterov_logistic: ["logaddexp", "matmul", "mean"],
    black_litterman: ["inv", "solve", "matmul"],
    bragg_powder_pattern: ["arcsin", "rad2deg"],
    water_filling: ["maximum", "log2"],
    davies_solubility: ["log10", "sqrt"],
    pareto_peaks_over_threshold: ["log1p", "tanh"],
    vincenty_inverse: ["arctan2", "tan", "sqrt"],
    morse_chain: ["abs", "exp"],
}
_run, _gradient = probe_programs(PROGRAMS)


OPS = {program.__name__: ops for program, ops in PROGRAMS.items()}
HTML_NAMES = ["procrustes_alignment", "wiener_deconvolution", "gaussian_beam_abcd",
              "black_litterman", "bragg_powder_pattern", "zero_inflated_poisson"]


globals().update(program_teaching_tests(_run, _gradient, OPS, HTML_NAMES))
