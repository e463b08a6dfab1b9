"""How much ordinary NumPy code ``ad.compile`` replays, rounds eight to eleven of the NumPy
probe programs (``test_numpy_programs_*.py`` of the rounds eighth, ninth, tenth,
eleventh): each program run as a compiled SGD step with new data of the same shape at
each call (``compile_probe_checks.py``). It replays as eager execution does or is
refused with a ``TraceError`` naming a line of the program (or of a helper it calls);
``EXPECTED`` records which (18 replay bit for bit, 90 are refused, most for a NumPy
array made in the call from a captured one, which the trace cannot tell from one
computed from a tensor's values)."""

from compile_probe_checks import BITWISE, REFUSED, probe_tests, programs_of, round_and_name
import test_numpy_programs_eighth as eighth
import test_numpy_programs_ninth as ninth
import test_numpy_programs_tenth as tenth
import test_numpy_programs_eleventh as eleventh

PROGRAMS = programs_of(eighth, ninth, tenth, eleventh)

#: How each program fares compiled; for a refusal, why (from its message).
EXPECTED = {
    # test_numpy_programs_eighth.py
    "eighth.method_style_statistics": (BITWISE, ""),
    "eighth.method_style_regression": (REFUSED, "NumPy array made in the call (multiply)"),
    "eighth.exponential_smoothing_into_empty_like": (
        REFUSED, "array made by np.empty_like (setitem)"),
    "eighth.out_arguments_and_augmented_assignment": (
        REFUSED, "'getitem': selects with a boolean mask of shape (2"),
    "eighth.copyto_and_put_along_axis": (
        REFUSED, "copyto: which entries it writes is read from the values of where="),
    "eighth.selects_and_piecewise": (
        REFUSED, "np.piecewise: it gives each function only the entries its condition selects"),
    "eighth.spectral_factorisations": (REFUSED, "NumPy array made in the call (matmul)"),
    "eighth.factorisations_and_powers": (REFUSED, "NumPy array made in the call (matmul)"),
    "eighth.block_and_broadcast_assembly": (
        REFUSED, "NumPy array made in the call (solve)"),
    "eighth.sliding_window_features": (BITWISE, ""),
    "eighth.einsum_optimized_contractions": (
        REFUSED, "NumPy array made in the call (einsum)"),
    "eighth.fem_stiffness_assembly": (REFUSED, "NumPy array made in the call (add_at)"),
    "eighth.gauss_newton_with_backtracking": (
        REFUSED, "bool() (an if/while on its value) of a traced tensor"),
    "eighth.deterministic_annealing": (REFUSED, "NumPy array made in the call (add)"),
    "eighth.cubic_spline_lookup": (BITWISE, ""),
    "eighth.log_domain_sinkhorn": (REFUSED, "NumPy array made in the call (subtract)"),
    "eighth.chebyshev_series": (REFUSED, "NumPy scalar made in the call (multiply)"),
    "eighth.total_variation_by_gradient": (BITWISE, ""),
    "eighth.soft_dtw_padded_table": (REFUSED, "NumPy array made in the call (subtract)"),
    "eighth.self_exciting_triu": (BITWISE, ""),
    "eighth.attention_layer": (REFUSED, "NumPy array made in the call (add)"),
    "eighth.gru_sequence": (REFUSED, "NumPy array made in the call (concatenate)"),
    "eighth.batched_kalman_smoother": (REFUSED, "NumPy array made in the call (add)"),
    "eighth.reparameterised_elbo": (REFUSED, "NumPy array made in the call (multiply)"),
    "eighth.polynomial_module_functions": (
        REFUSED, "NumPy array made in the call (matmul)"),
    # test_numpy_programs_ninth.py
    "ninth.ols_by_lstsq": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "ninth.ridge_by_solve": (BITWISE, ""),
    "ninth.weighted_least_squares": (REFUSED, "NumPy array made in the call (multiply)"),
    "ninth.garch_log_likelihood": (REFUSED, "NumPy array made in the call (divide)"),
    "ninth.probit_likelihood": (REFUSED, "NumPy array made in the call (multiply)"),
    "ninth.jackknife_variance": (BITWISE, ""),
    "ninth.kernel_density_estimate": (REFUSED, "NumPy scalar made in the call (multiply)"),
    "ninth.mahalanobis_by_inverse_and_cholesky": (BITWISE, ""),
    "ninth.conv2d_by_windows_and_einsum": (REFUSED, "NumPy array made in the call (add)"),
    "ninth.separable_blur_by_convolve": (BITWISE, ""),
    "ninth.bilinear_warp": (BITWISE, ""),
    "ninth.soft_histogram": (REFUSED, "NumPy array made in the call (multiply)"),
    "ninth.edge_energy": (BITWISE, ""),
    "ninth.iir_filter_into_preallocated": (BITWISE, ""),
    "ninth.rk4_pendulum": (BITWISE, ""),
    "ninth.leapfrog_nbody": (REFUSED, "NumPy array made in the call (add)"),
    "ninth.heat_rod_by_roll": (BITWISE, ""),
    "ninth.spring_chain_energy": (BITWISE, ""),
    "ninth.mlp_cross_entropy": (REFUSED, "NumPy array made in the call (matmul)"),
    "ninth.logistic_regression_logaddexp": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "ninth.soft_kmeans": (REFUSED, "NumPy array made in the call (subtract)"),
    "ninth.pca_by_reduced_svd": (BITWISE, ""),
    "ninth.factorization_machine": (REFUSED, "NumPy array made in the call (matmul)"),
    "ninth.word2vec_negative_sampling": (BITWISE, ""),
    "ninth.gp_marginal_likelihood": (REFUSED, "NumPy array made in the call (divide)"),
    # test_numpy_programs_tenth.py
    "tenth.black_scholes_greeks": (REFUSED, "NumPy scalar made in the call (divide)"),
    "tenth.portfolio_variance": (REFUSED, "NumPy scalar made in the call (multiply)"),
    "tenth.bond_by_discount_factors": (REFUSED, "NumPy array made in the call (multiply)"),
    "tenth.barycentric_coordinates": (BITWISE, ""),
    "tenth.ray_sphere_hits": (REFUSED, "NumPy array made in the call (add)"),
    "tenth.rodrigues_rotation": (REFUSED, "NumPy array made in the call (multiply)"),
    "tenth.shoelace_polygon": (BITWISE, ""),
    "tenth.newton_with_line_search": (BITWISE, ""),
    "tenth.sir_epidemic": (BITWISE, ""),
    "tenth.peak_hold_envelope": (BITWISE, ""),
    "tenth.forward_kinematics": (BITWISE, ""),
    "tenth.tfidf_similarity": (REFUSED, "NumPy array made in the call (multiply)"),
    "tenth.focal_loss_with_label_smoothing": (BITWISE, ""),
    "tenth.top_k_by_partition": (BITWISE, ""),
    "tenth.group_means_by_unique": (REFUSED, "NumPy array made in the call (multiply)"),
    "tenth.image_padding_and_resampling": (BITWISE, ""),
    "tenth.robust_statistics": (BITWISE, ""),
    "tenth.spectral_quantities": (BITWISE, ""),
    "tenth.polyfit_of_moving_data": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "tenth.histogram_density_with_moving_edges": (BITWISE, ""),
    "tenth.nan_aware_sensors": (BITWISE, ""),
    "tenth.tax_brackets": (
        REFUSED, "np.piecewise: it gives each function only the entries its condition selects"),
    "tenth.lookup_table": (REFUSED, "a NumPy function (np.asarray) of a traced tensor"),
    "tenth.meshgrid_potential": (BITWISE, ""),
    "tenth.segment_sums_by_reduceat": (BITWISE, ""),
    "tenth.pairwise_by_ufunc_outer": (BITWISE, ""),
    "tenth.out_and_where_arguments": (
        REFUSED, "'getitem': selects with a boolean mask of shape (6"),
    "tenth.in_place_on_views": (
        REFUSED, "'getitem': selects with a boolean mask of shape (12"),
    "tenth.float32_with_float64_literals": (
        REFUSED, "NumPy array made in the call (multiply)"),
    # test_numpy_programs_eleventh.py
    "eleventh.polar_orbit": (BITWISE, ""),
    "eleventh.spring_chain_energy": (BITWISE, ""),
    "eleventh.relativistic_rapidities": (BITWISE, ""),
    "eleventh.arrhenius_rates": (REFUSED, "NumPy scalar made in the call (divide)"),
    "eleventh.weak_acid_equilibrium": (REFUSED, "NumPy array made in the call (multiply)"),
    "eleventh.discrete_lti_system": (BITWISE, ""),
    "eleventh.windowed_spectrum": (REFUSED, "NumPy array made in the call (multiply)"),
    "eleventh.lowpass_by_irfft": (BITWISE, ""),
    "eleventh.analytic_signal_phase": (BITWISE, ""),
    "eleventh.circular_convolution_made_real": (
        REFUSED, "real_if_close: whether its result is real or complex depends on the"),
    "eleventh.bilinear_sample_by_flat_indices": (BITWISE, ""),
    "eleventh.weighted_histogram2d": (REFUSED, "NumPy array made in the call (transpose)"),
    "eleventh.von_mises_likelihood": (BITWISE, ""),
    "eleventh.weighted_statistics": (
        REFUSED, "nanpercentile: how many values of each lane are not NaN depends on the values"),
    "eleventh.mixture_of_experts_gate": (REFUSED, "NumPy array made in the call (matmul)"),
    "eleventh.causal_attention": (REFUSED, "NumPy array made in the call (matmul)"),
    "eleventh.tetrahedra_geometry": (REFUSED, "NumPy array made in the call (add)"),
    "eleventh.damped_oscillator_modes": (
        REFUSED, "numpy.emath.sqrt: whether its result is real or complex depends on the values"),
    "eleventh.total_internal_reflection": (
        REFUSED, "numpy.emath.arcsin: whether its result is real or complex depends on the"),
    "eleventh.polynomial_toolbox": (
        REFUSED, "trim_zeros: the length of its result depends on the values"),
    "eleventh.floating_point_parts": (
        REFUSED, "'getitem': selects with a boolean mask of shape (6"),
    "eleventh.tensor_equations": (BITWISE, ""),
    "eleventh.boundary_value_by_insert": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "eleventh.reliability_of_systems": (BITWISE, ""),
    "eleventh.league_table": (BITWISE, ""),
    "eleventh.selections_by_condition": (
        REFUSED, "np.compress: how many entries it selects (the length of its result) is read"),
    "eleventh.periodic_tiling": (
        REFUSED, "trim_zeros: the length of its result depends on the values"),
    "eleventh.splits_and_array_api": (BITWISE, ""),
    "eleventh.index_tricks": (REFUSED, "NumPy array made in the call (subtract)"),
}

#: Replayed bit for bit since the constants a program makes with NumPy in its own
#: module are certified (the step calling it is in compile_probe_checks.py); not
#: checked fused: kernel compiling with an empty cache is too slow for CI.
NEWLY_REPLAYED = dict.fromkeys([
    "ninth.jackknife_variance",
    "ninth.separable_blur_by_convolve",
    "ninth.bilinear_warp",
    "ninth.heat_rod_by_roll",
    "ninth.spring_chain_energy",
    "ninth.word2vec_negative_sampling",
    "tenth.barycentric_coordinates",
    "tenth.shoelace_polygon",
    "tenth.newton_with_line_search",
    "tenth.peak_hold_envelope",
    "tenth.forward_kinematics",
    "tenth.focal_loss_with_label_smoothing",
    "tenth.top_k_by_partition",
    "tenth.image_padding_and_resampling",
    "tenth.spectral_quantities",
    "tenth.histogram_density_with_moving_edges",
    "tenth.meshgrid_potential",
    "tenth.segment_sums_by_reduceat",
    "tenth.pairwise_by_ufunc_outer",
    "eleventh.spring_chain_energy",
    "eleventh.discrete_lti_system",
    "eleventh.lowpass_by_irfft",
    "eleventh.analytic_signal_phase",
    "eleventh.bilinear_sample_by_flat_indices",
    "eleventh.tensor_equations",
    "eleventh.reliability_of_systems",
    "eleventh.league_table",
], "kernel compiling with an empty cache")

SLOW_TO_FUSE = NEWLY_REPLAYED

globals().update(probe_tests(PROGRAMS, EXPECTED, key=round_and_name,
                             slow_to_fuse=SLOW_TO_FUSE))
