"""How much ordinary NumPy code ``ad.compile`` replays, rounds twelve to fifteen of the
NumPy probe programs (``test_numpy_programs_*.py`` of the rounds twelfth, twelfth_more,
thirteenth, thirteenth_more, fourteenth, fifteenth): each program run as a compiled SGD
step with new data of the same shape at each call (``compile_probe_checks.py``). It
replays as eager execution does or is refused with a ``TraceError`` naming a line of the
program (or of a helper it calls); ``EXPECTED`` records which (21 replay bit for bit, 93
are refused, most for a NumPy array made in the call from a captured one, which the
trace cannot tell from one computed from a tensor's values)."""

from compile_probe_checks import BITWISE, REFUSED, probe_tests, programs_of, round_and_name
import test_numpy_programs_twelfth as twelfth
import test_numpy_programs_twelfth_more as twelfth_more
import test_numpy_programs_thirteenth as thirteenth
import test_numpy_programs_thirteenth_more as thirteenth_more
import test_numpy_programs_fourteenth as fourteenth
import test_numpy_programs_fifteenth as fifteenth

PROGRAMS = programs_of(twelfth, twelfth_more, thirteenth, thirteenth_more, fourteenth, fifteenth)

#: How each program fares compiled; for a refusal, why (from its message).
EXPECTED = {
    # test_numpy_programs_twelfth.py
    "twelfth.two_compartment_pharmacokinetics": (
        REFUSED, "NumPy scalar made in the call (divide)"),
    "twelfth.erlang_c_staffing": (BITWISE, ""),
    "twelfth.elo_ratings_season": (REFUSED, "NumPy scalar made in the call (multiply)"),
    "twelfth.income_inequality": (REFUSED, "NumPy array made in the call (concatenate)"),
    "twelfth.ac_circuit_power": (BITWISE, ""),
    "twelfth.spectral_image_filter": (REFUSED, "NumPy array made in the call (divide)"),
    "twelfth.turbulence_energy_spectrum": (
        REFUSED, "NumPy array made in the call (index_add)"),
    "twelfth.chain_ladder_reserves": (BITWISE, ""),
    "twelfth.internal_rate_of_return": (REFUSED, "NumPy array made in the call (add)"),
    "twelfth.portfolio_on_the_simplex": (
        REFUSED, "np.nonzero: gives arrays whose size depends on the values"),
    "twelfth.categorical_sampling": (BITWISE, ""),
    "twelfth.spatial_arm_kinematics": (BITWISE, ""),
    "twelfth.two_qubit_evolution": (REFUSED, "NumPy array made in the call (multiply)"),
    # test_numpy_programs_twelfth_more.py
    "twelfth_more.phong_shaded_sphere": (BITWISE, ""),
    "twelfth_more.great_circle_routes": (BITWISE, ""),
    "twelfth_more.least_squares_by_qr_modes": (BITWISE, ""),
    "twelfth_more.gaussian_process_upper_factor": (BITWISE, ""),
    "twelfth_more.markov_chain_stationary": (BITWISE, ""),
    "twelfth_more.allele_frequencies_under_selection": (BITWISE, ""),
    "twelfth_more.bag_of_words_classifier": (
        REFUSED, "NumPy array made in the call (getitem)"),
    "twelfth_more.survey_raking": (BITWISE, ""),
    "twelfth_more.weather_station": (BITWISE, ""),
    "twelfth_more.sensor_quality_flags": (
        REFUSED, "NumPy array made in the call (where mask)"),
    "twelfth_more.array_api_linear_algebra": (
        REFUSED, "unique_values: how many distinct values there are (the length of its"),
    "twelfth_more.ndarray_methods_tour": (REFUSED, "item() of a traced tensor"),
    "twelfth_more.audio_in_mixed_dtypes": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "twelfth_more.thermal_network_designs": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "twelfth_more.gappy_image_smoothing": (BITWISE, ""),
    # test_numpy_programs_thirteenth.py
    "thirteenth.matched_filter_radar": (BITWISE, ""),
    "thirteenth.cepstra_of_overlapping_frames": (BITWISE, ""),
    "thirteenth.image_borders_by_pad_modes": (BITWISE, ""),
    "thirteenth.harris_corner_response": (REFUSED, "NumPy array made in the call (take)"),
    "thirteenth.strided_layouts": (BITWISE, ""),
    "thirteenth.empirical_variogram": (REFUSED, "NumPy array made in the call (getitem)"),
    "thirteenth.sensor_statistics_with_gaps": (
        REFUSED, "nanquantile: how many values of each lane are not NaN depends on the values"),
    "thirteenth.portfolio_risk_with_biased_covariances": (BITWISE, ""),
    "thirteenth.cronbach_alpha": (BITWISE, ""),
    "thirteenth.lomb_scargle_power": (REFUSED, "NumPy array made in the call (add)"),
    "thirteenth.tidal_constituents": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "thirteenth.bearing_sectors": (BITWISE, ""),
    "thirteenth.interpolation_with_edges": (BITWISE, ""),
    "thirteenth.lattice_products": (REFUSED, "NumPy array made in the call (reshape)"),
    "thirteenth.isotropic_elasticity": (BITWISE, ""),
    "thirteenth.einsum_along_a_precomputed_path": (BITWISE, ""),
    # test_numpy_programs_thirteenth_more.py
    "thirteenth_more.laguerre_and_hermite_quadrature": (
        REFUSED, "NumPy array made in the call (matmul)"),
    "thirteenth_more.spectroscopy_baseline": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "thirteenth_more.thermistor_calibration": (
        REFUSED, "NumPy array made in the call (getitem)"),
    "thirteenth_more.simpson_on_a_parameter_grid": (BITWISE, ""),
    "thirteenth_more.spline_knot_assembly": (BITWISE, ""),
    "thirteenth_more.compounding_by_group": (BITWISE, ""),
    "thirteenth_more.sorted_complex_poles": (
        REFUSED, "numpy.emath.sqrt: whether its result is real or complex depends on the values"),
    "thirteenth_more.segment_and_running_reductions": (BITWISE, ""),
    "thirteenth_more.ufunc_outer_and_reduce": (BITWISE, ""),
    "thirteenth_more.scalars_and_size_one_axes": (
        REFUSED, "NumPy array made in the call (where)"),
    "thirteenth_more.bounded_parameters": (REFUSED, "NumPy array made in the call (clip)"),
    "thirteenth_more.leslie_population": (BITWISE, ""),
    "thirteenth_more.traffic_by_godunov_fluxes": (BITWISE, ""),
    "thirteenth_more.electricity_tariffs": (
        REFUSED, "np.piecewise: it gives each function only the entries its condition selects"),
    "thirteenth_more.ranking_and_pooling": (BITWISE, ""),
    "thirteenth_more.leapfrog_oscillator": (BITWISE, ""),
    # test_numpy_programs_fourteenth.py
    "fourteenth.titration_curve": (REFUSED, "NumPy array made in the call (add)"),
    "fourteenth.ph_from_cubic_roots": (BITWISE, ""),
    "fourteenth.michaelis_menten_fits": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "fourteenth.lotka_volterra_rk4": (BITWISE, ""),
    "fourteenth.logistic_growth_fit": (REFUSED, "NumPy array made in the call (multiply)"),
    "fourteenth.degree_days_and_anomalies": (
        REFUSED, "'getitem': selects with a boolean mask of shape (30"),
    "fourteenth.entropic_transport_by_scaling": (BITWISE, ""),
    "fourteenth.implicit_feedback_factorisation": (
        REFUSED, "NumPy array made in the call (subtract)"),
    "fourteenth.mu_law_frames": (REFUSED, "NumPy scalar made in the call (divide)"),
    "fourteenth.homography_by_solve": (REFUSED, "NumPy array made in the call (add)"),
    "fourteenth.homography_by_svd": (REFUSED, "NumPy array made in the call (add)"),
    "fourteenth.homography_by_dlt_of_four_points": (
        REFUSED, "NumPy array made in the call (add)"),
    "fourteenth.box_overlaps": (REFUSED, "NumPy array made in the call (getitem)"),
    "fourteenth.lqr_by_riccati_iteration": (BITWISE, ""),
    "fourteenth.erlang_staffing": (BITWISE, ""),
    "fourteenth.life_annuity": (BITWISE, ""),
    "fourteenth.massey_ratings": (REFUSED, "NumPy array made in the call (add_at)"),
    "fourteenth.triangulation_survey": (BITWISE, ""),
    "fourteenth.catenary_cable": (BITWISE, ""),
    "fourteenth.turbulent_field_synthesis": (
        REFUSED, "NumPy array made in the call (power)"),
    "fourteenth.merged_sampling_schedule": (
        REFUSED, "union1d: which values the result holds depends on the values"),
    "fourteenth.covariance_shrinkage": (REFUSED, "NumPy array made in the call (getitem)"),
    "fourteenth.complex_continuations": (
        REFUSED, "numpy.emath.log: whether its result is real or complex depends on the values"),
    "fourteenth.class_balanced_loss": (BITWISE, ""),
    "fourteenth.species_diversity": (
        REFUSED, "'getitem': selects with a boolean mask of shape (6"),
    "fourteenth.bearing_only_tracking": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "fourteenth.markowitz_frontier": (BITWISE, ""),
    "fourteenth.seismic_trigger": (REFUSED, "item() of a traced tensor"),
    # test_numpy_programs_fifteenth.py
    "fifteenth.manning_open_channel": (REFUSED, "NumPy scalar made in the call (multiply)"),
    "fifteenth.sound_levels": (BITWISE, ""),
    "fifteenth.kepler_newton": (BITWISE, ""),
    "fifteenth.hardy_weinberg": (BITWISE, ""),
    "fifteenth.epidemic_binomial_likelihood": (
        REFUSED, "NumPy array made in the call (subtract)"),
    "fifteenth.portfolio_with_shrinkage": (REFUSED, "NumPy array made in the call (add)"),
    "fifteenth.billing_cycles": (REFUSED, "NumPy array made in the call (where)"),
    "fifteenth.fictitious_play": (
        REFUSED, "a NumPy function (np.asarray) of a traced tensor"),
    "fifteenth.raking_survey_weights": (BITWISE, ""),
    "fifteenth.soft_kmeans": (REFUSED, "NumPy array made in the call (add)"),
    "fifteenth.gaussian_mixture_em": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifteenth.pca_by_eigh": (BITWISE, ""),
    "fifteenth.kernel_ridge": (BITWISE, ""),
    "fifteenth.tsne_objective": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifteenth.pharmacokinetics_by_eig": (BITWISE, ""),
    "fifteenth.option_greeks": (REFUSED, "NumPy array made in the call (divide)"),
    "fifteenth.step_response_costs": (BITWISE, ""),
    "fifteenth.log_sum_in_bits": (BITWISE, ""),
    "fifteenth.rainfall_runoff": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifteenth.rigid_body_torques": (REFUSED, "NumPy array made in the call (multiply)"),
    "fifteenth.adaptive_step_floor": (REFUSED, "NumPy scalar made in the call (maximum)"),
    "fifteenth.doses_by_mixed_effects": (BITWISE, ""),
    "fifteenth.damped_modes_by_eig": (BITWISE, ""),
    "fifteenth.elo_ratings": (REFUSED, "NumPy scalar made in the call (subtract)"),
    "fifteenth.stellar_photometry": (BITWISE, ""),
    "fifteenth.left_to_right_hmm": (REFUSED, "NumPy array made in the call (multiply)"),
}


#: Replayed bitwise, but fused too slowly for a test: the steps written out in their
#: loops become fused kernels that take a minute or more to compile with an empty cache.
SLOW_TO_FUSE = {"fourteenth.catenary_cable": "thirty unrolled Newton steps: one huge fused kernel",
                "fourteenth.lotka_volterra_rk4": "unrolled RK4 steps: about a minute of "
                                                 "kernel compiling with an empty cache"}

#: Replayed bit for bit since the constants a program makes with NumPy in its own
#: module are certified (the step calling it is in compile_probe_checks.py); not
#: checked fused: kernel compiling with an empty cache is too slow for CI.
NEWLY_REPLAYED = dict.fromkeys([
    "twelfth.erlang_c_staffing",
    "twelfth.ac_circuit_power",
    "twelfth.chain_ladder_reserves",
    "twelfth.spatial_arm_kinematics",
    "twelfth_more.phong_shaded_sphere",
    "twelfth_more.great_circle_routes",
    "twelfth_more.least_squares_by_qr_modes",
    "twelfth_more.gaussian_process_upper_factor",
    "twelfth_more.markov_chain_stationary",
    "twelfth_more.allele_frequencies_under_selection",
    "twelfth_more.survey_raking",
    "twelfth_more.weather_station",
    "thirteenth.matched_filter_radar",
    "thirteenth.cepstra_of_overlapping_frames",
    "thirteenth.portfolio_risk_with_biased_covariances",
    "thirteenth.cronbach_alpha",
    "thirteenth.interpolation_with_edges",
    "thirteenth.isotropic_elasticity",
    "thirteenth_more.spline_knot_assembly",
    "thirteenth_more.compounding_by_group",
    "thirteenth_more.ranking_and_pooling",
    "thirteenth_more.leapfrog_oscillator",
    "fourteenth.entropic_transport_by_scaling",
    "fourteenth.lqr_by_riccati_iteration",
    "fourteenth.erlang_staffing",
    "fourteenth.life_annuity",
    "fourteenth.class_balanced_loss",
    "fourteenth.markowitz_frontier",
    "fifteenth.kernel_ridge",
    "fifteenth.pharmacokinetics_by_eig",
    "fifteenth.step_response_costs",
    "fifteenth.log_sum_in_bits",
    "fifteenth.doses_by_mixed_effects",
], "kernel compiling with an empty cache")

SLOW_TO_FUSE = {**SLOW_TO_FUSE, **NEWLY_REPLAYED}

globals().update(probe_tests(PROGRAMS, EXPECTED, key=round_and_name, slow_to_fuse=SLOW_TO_FUSE))
