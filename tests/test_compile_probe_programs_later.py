"""How much ordinary NumPy code ``ad.compile`` replays, rounds four to seven of the NumPy
probe programs (``test_numpy_programs_*.py`` of the rounds fourth, fifth, sixth,
seventh): each program run as a compiled SGD step with new data of the same shape at
each call (``compile_probe_checks.py``). It replays as eager execution does or is
refused with a ``TraceError`` naming a line of the program (or of a helper it calls);
``EXPECTED`` records which (28 replay bit for bit, 77 are refused, most for a NumPy
array made in the call from a captured one, which the trace cannot tell from one
computed from a tensor's values)."""

from compile_probe_checks import BITWISE, REFUSED, probe_tests, programs_of, round_and_name
import test_numpy_programs_fourth as fourth
import test_numpy_programs_fifth as fifth
import test_numpy_programs_sixth as sixth
import test_numpy_programs_seventh as seventh

PROGRAMS = programs_of(fourth, fifth, sixth, seventh)

#: How each program fares compiled; for a refusal, why (from its message).
EXPECTED = {
    # test_numpy_programs_fourth.py
    "fourth.heat_rod": (BITWISE, ""),
    "fourth.kalman_filter": (REFUSED, "NumPy scalar made in the call (subtract)"),
    "fourth.gauss_newton": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "fourth.pca_reconstruction": (BITWISE, ""),
    "fourth.mahalanobis": (REFUSED, "NumPy array made in the call (multiply)"),
    "fourth.mixture_likelihood": (REFUSED, "NumPy array made in the call (subtract)"),
    "fourth.pinball_losses": (REFUSED, "NumPy array made in the call (multiply)"),
    "fourth.vandermonde_design": (REFUSED, "NumPy array made in the call (matmul)"),
    "fourth.smoothing_filters": (BITWISE, ""),
    "fourth.curvature": (
        REFUSED, "gradient: it reads the coordinates to choose between its uniform and"),
    "fourth.mesh_geometry": (BITWISE, ""),
    "fourth.tensor_products": (BITWISE, ""),
    "fourth.polar_coordinates": (REFUSED, "NumPy array made in the call (multiply)"),
    "fourth.windowed_sinc": (BITWISE, ""),
    "fourth.masked_statistics": (BITWISE, ""),
    "fourth.matrix_norms": (BITWISE, ""),
    "fourth.block_system": (BITWISE, ""),
    "fourth.ranking": (BITWISE, ""),
    "fourth.survival_curves": (REFUSED, "NumPy array made in the call (concatenate)"),
    "fourth.straight_through_rounding": (BITWISE, ""),
    "fourth.integer_mixing": (BITWISE, ""),
    "fourth.out_arguments": (REFUSED, "array made by np.empty_like (setitem)"),
    "fourth.method_chain": (REFUSED, "NumPy array made in the call (where mask)"),
    "fourth.weighted_covariance": (
        REFUSED, "cov: its aweights are a tensor whose values it takes as constants"),
    "fourth.markov_chain": (BITWISE, ""),
    # test_numpy_programs_fifth.py
    "fifth.sinkhorn_transport": (REFUSED, "NumPy array made in the call (subtract)"),
    "fifth.conv_and_pool": (BITWISE, ""),
    "fifth.viterbi_max_product": (REFUSED, "item() of a traced tensor"),
    "fifth.truss_compliance": (BITWISE, ""),
    "fifth.hermite_spline": (BITWISE, ""),
    "fifth.masked_log_softmax": (BITWISE, ""),
    "fifth.soft_dtw": (REFUSED, "NumPy scalar made in the call (subtract)"),
    "fifth.lennard_jones": (BITWISE, ""),
    "fifth.spectral_embedding": (BITWISE, ""),
    "fifth.tukey_irls": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "fifth.lstm_sequence": (REFUSED, "NumPy array made in the call (matmul)"),
    "fifth.normalization_layers": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifth.causal_linear_attention": (REFUSED, "NumPy array made in the call (matmul)"),
    "fifth.arc_length_resampling": (REFUSED, "NumPy array made in the call (stack)"),
    "fifth.potential_flow": (REFUSED, "NumPy scalar made in the call (divide)"),
    "fifth.csr_power_iteration": (BITWISE, ""),
    "fifth.wasserstein_1d": (REFUSED, "NumPy array made in the call (subtract)"),
    "fifth.ista_lasso": (BITWISE, ""),
    "fifth.householder_qr": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifth.kronecker_gp": (REFUSED, "NumPy array made in the call (divide)"),
    "fifth.mask_assignment": (
        REFUSED, "'getitem': selects with a boolean mask of shape (8"),
    "fifth.missing_data": (
        REFUSED, "nanmedian: how many values of each lane are not NaN depends on the values"),
    "fifth.vector_norm_orders": (BITWISE, ""),
    "fifth.weighted_polyfit": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "fifth.signal_envelope": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifth.grouped_softmax": (REFUSED, "NumPy array made in the call (maximum_at)"),
    "fifth.histogram_density": (REFUSED, "NumPy array made in the call (getitem)"),
    # test_numpy_programs_sixth.py
    "sixth.fortran_order_methods": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixth.in_place_differencing": (REFUSED, "array made by np.empty_like (setitem)"),
    "sixth.einsum_traces_diagonals": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixth.batched_solves": (REFUSED, "NumPy array made in the call (add)"),
    "sixth.lstsq_residuals": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "sixth.reduced_qr_projection": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixth.singular_spectrum": (
        REFUSED, "bool() (an if/while on its value) of a traced tensor"),
    "sixth.dft_phase_unwrap": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixth.ufunc_accumulations": (BITWISE, ""),
    "sixth.broadcast_where_select": (
        REFUSED, "np.piecewise: it gives each function only the entries its condition selects"),
    "sixth.bucketed_rates": (BITWISE, ""),
    "sixth.argmax_gather": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.order_statistics": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.weighted_moments": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.shape_plumbing": (REFUSED, "NumPy array made in the call (reshape)"),
    "sixth.cumulative_integrals": (REFUSED, "NumPy array made in the call (concatenate)"),
    "sixth.array_api_products": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.clip_to_bounds": (REFUSED, "NumPy array made in the call (clip)"),
    "sixth.inverses_and_powers": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.tiles_and_rotations": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.diagonals_with_offsets": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixth.elementwise_zoo": (BITWISE, ""),
    "sixth.masked_reductions": (
        REFUSED, "bool() (an if/while on its value) of a traced tensor"),
    "sixth.tensordot_contractions": (REFUSED, "NumPy array made in the call (einsum)"),
    "sixth.grid_fields": (BITWISE, ""),
    # test_numpy_programs_seventh.py
    "seventh.wave_leapfrog": (BITWISE, ""),
    "seventh.burgers_upwind": (BITWISE, ""),
    "seventh.heun_lotka_volterra": (BITWISE, ""),
    "seventh.symplectic_pendulum": (BITWISE, ""),
    "seventh.kepler_halley": (BITWISE, ""),
    "seventh.conjugate_gradient": (REFUSED, "NumPy array made in the call (add)"),
    "seventh.gauss_seidel_sweeps": (REFUSED, "NumPy array made in the call (add)"),
    "seventh.crank_nicolson_diffusion": (REFUSED, "NumPy array made in the call (matmul)"),
    "seventh.hmm_forward_log": (BITWISE, ""),
    "seventh.cox_partial_likelihood": (BITWISE, ""),
    "seventh.binomial_option_tree": (REFUSED, "NumPy array made in the call (power)"),
    "seventh.bradley_terry": (BITWISE, ""),
    "seventh.hawkes_loglik": (BITWISE, ""),
    "seventh.romberg_integration": (BITWISE, ""),
    "seventh.gauss_quadrature_expectations": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventh.chebyshev_clenshaw": (BITWISE, ""),
    "seventh.barycentric_interpolation": (BITWISE, ""),
    "seventh.de_casteljau_bezier": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventh.modified_gram_schmidt": (REFUSED, "NumPy array made in the call (add)"),
    "seventh.kabsch_alignment": (
        REFUSED, "bool() (an if/while on its value) of a traced tensor"),
    "seventh.bayesian_linear_evidence": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventh.yule_walker_ar": (REFUSED, "NumPy array made in the call (getitem)"),
    "seventh.leave_one_out_ridge": (BITWISE, ""),
    "seventh.total_variation_image": (REFUSED, "NumPy array made in the call (subtract)"),
    "seventh.mean_field_ising": (BITWISE, ""),
    "seventh.logistic_map_lyapunov": (BITWISE, ""),
    "seventh.unrolled_gradient_descent": (BITWISE, ""),
    "seventh.boltzmann_ensemble": (BITWISE, ""),
}

#: Replayed bit for bit since the constants a program makes with NumPy in its own
#: module are certified (the step calling it is in compile_probe_checks.py); not
#: checked fused: kernel compiling with an empty cache is too slow for CI.
NEWLY_REPLAYED = dict.fromkeys([
    "fourth.mesh_geometry",
    "fifth.truss_compliance",
    "fifth.hermite_spline",
    "fifth.masked_log_softmax",
    "fifth.spectral_embedding",
    "fifth.csr_power_iteration",
    "sixth.bucketed_rates",
    "sixth.grid_fields",
    "seventh.hmm_forward_log",
    "seventh.cox_partial_likelihood",
    "seventh.bradley_terry",
    "seventh.hawkes_loglik",
    "seventh.romberg_integration",
    "seventh.chebyshev_clenshaw",
    "seventh.barycentric_interpolation",
], "kernel compiling with an empty cache")

SLOW_TO_FUSE = NEWLY_REPLAYED

globals().update(probe_tests(PROGRAMS, EXPECTED, key=round_and_name,
                             slow_to_fuse=SLOW_TO_FUSE))
