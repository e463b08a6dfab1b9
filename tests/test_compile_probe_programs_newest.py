"""How much ordinary NumPy code ``ad.compile`` replays, rounds sixteen and seventeen of
the NumPy probe programs (``test_numpy_programs_*.py`` of the rounds sixteenth,
sixteenth_more, seventeenth, seventeenth_more): each program run as a compiled SGD step
with new data of the same shape at each call (``compile_probe_checks.py``). It replays
as eager execution does or is refused with a ``TraceError`` naming a line of the program
(or of a helper it calls); ``EXPECTED`` records which (11 replay bit for bit, 60 are
refused, most for a NumPy array made in the call from a captured one or from constants,
which the trace cannot tell from one computed from a tensor's values)."""

from compile_probe_checks import BITWISE, REFUSED, probe_tests, programs_of, round_and_name
import test_numpy_programs_sixteenth as sixteenth
import test_numpy_programs_sixteenth_more as sixteenth_more
import test_numpy_programs_seventeenth as seventeenth
import test_numpy_programs_seventeenth_more as seventeenth_more

PROGRAMS = programs_of(sixteenth, sixteenth_more, seventeenth, seventeenth_more)

#: How each program fares compiled; for a refusal, why (from its message).
EXPECTED = {
    # test_numpy_programs_sixteenth.py
    "sixteenth.arm_inverse_kinematics": (BITWISE, ""),
    "sixteenth.barycentric_by_cramer": (BITWISE, ""),
    "sixteenth.crystal_structure_factors": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth.thin_film_reflectance": (BITWISE, ""),
    "sixteenth.electrode_kinetics": (BITWISE, ""),
    "sixteenth.decay_chain_bateman": (BITWISE, ""),
    "sixteenth.bubble_point_by_newton": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth.pipe_friction_colebrook": (BITWISE, ""),
    "sixteenth.item_response_likelihood": (BITWISE, ""),
    "sixteenth.hodgkin_huxley_steps": (BITWISE, ""),
    "sixteenth.blackbody_band_power": (REFUSED, "item() of a traced tensor"),
    "sixteenth.dc_power_flow": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth.quaternion_slerp": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth.thomson_on_fibonacci_sphere": (BITWISE, ""),
    "sixteenth.van_der_waals_volume": (REFUSED, "NumPy array made in the call (multiply)"),
    # test_numpy_programs_sixteenth_more.py
    "sixteenth_more.nelson_siegel_bonds": (REFUSED, "NumPy array made in the call (astype)"),
    "sixteenth_more.consumer_demand": (BITWISE, ""),
    "sixteenth_more.kuramoto_synchrony": (BITWISE, ""),
    "sixteenth_more.cournot_equilibrium": (BITWISE, ""),
    "sixteenth_more.merton_jump_call": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.gaussian_copula_loglik": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth_more.transformer_block": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.vae_elbo": (BITWISE, ""),
    "sixteenth_more.planar_flow_density": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixteenth_more.contrastive_losses": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixteenth_more.langevin_and_leapfrog": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth_more.squared_hinge_svm": (BITWISE, ""),
    "sixteenth_more.heat_capacity_models": (REFUSED, "NumPy array made in the call (divide)"),
    "sixteenth_more.beam_deflection": (BITWISE, ""),
    "sixteenth_more.chebyshev_approximation": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.seir_reproduction_number": (BITWISE, ""),
    "sixteenth_more.kelly_and_cvar": (BITWISE, ""),
    "sixteenth_more.nested_logit_choice": (REFUSED, "NumPy array made in the call (getitem)"),
    "sixteenth_more.gravity_trade_flows": (REFUSED, "NumPy array made in the call (power)"),
    "sixteenth_more.spectral_unmixing": (
        REFUSED, "lstsq: the rank (how many residuals) is read from the values"),
    "sixteenth_more.ray_through_layers": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.heston_call_by_characteristic_function": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.double_pendulum_energy": (REFUSED, "NumPy scalar made in the call (multiply)"),
    "sixteenth_more.short_rate_bonds": (BITWISE, ""),
    # test_numpy_programs_seventeenth.py
    "seventeenth.regret_matching": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth.mel_filterbank_energies": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.seismic_hypocentre_misfit": (BITWISE, ""),
    "seventeenth.orbital_elements": (BITWISE, ""),
    "seventeenth.room_impulse_decay": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.seir_epidemic": (BITWISE, ""),
    "seventeenth.two_compartment_dosing": (BITWISE, ""),
    "seventeenth.pole_placement": (BITWISE, ""),
    "seventeenth.pauli_string_energy": (BITWISE, ""),
    "seventeenth.ogden_strain_energy": (BITWISE, ""),
    "seventeenth.srgb_colour_difference": (REFUSED, "NumPy array made in the call (matmul)"),
    # test_numpy_programs_seventeenth_more.py
    "seventeenth_more.glicko_rating_update": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.reference_evapotranspiration": (BITWISE, ""),
    "seventeenth_more.van_genuchten_retention": (BITWISE, ""),
    "seventeenth_more.muskingum_routing": (BITWISE, ""),
    "seventeenth_more.pagerank_and_katz": (BITWISE, ""),
    "seventeenth_more.soft_value_iteration": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth_more.kimura_distance_likelihood": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.backbone_dihedrals": (BITWISE, ""),
    "seventeenth_more.camera_reprojection": (BITWISE, ""),
    "seventeenth_more.solar_cell_maximum_power": (BITWISE, ""),
    "seventeenth_more.butterworth_response": (
        REFUSED, "poly: whether its coefficients are real is read from the roots' values"),
    "seventeenth_more.phased_array_pattern": (REFUSED, "NumPy array made in the call (divide)"),
    "seventeenth_more.calibration_by_temperature": (
        REFUSED, "bool() (an if/while on its value) of a traced tensor"),
    "seventeenth_more.polarisation_chain": (BITWISE, ""),
    "seventeenth_more.loan_amortisation": (BITWISE, ""),
    "seventeenth_more.wright_fisher_fixation": (BITWISE, ""),
    "seventeenth_more.group_lasso_regression": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.plummer_softened_cluster": (BITWISE, ""),
    "seventeenth_more.weibull_censored_likelihood": (
        REFUSED, "NumPy array made in the call (matmul)"),
    "seventeenth_more.water_wave_dispersion": (BITWISE, ""),
    "seventeenth_more.two_layer_greenhouse": (BITWISE, ""),
}

#: Replayed bitwise, but fused too slowly for a test: the steps written out in their
#: loops become fused kernels that take long to compile with an empty cache (CI starts
#: with one; the rest of this file's fused checks take a few seconds).
SLOW_TO_FUSE = {
    "sixteenth.hodgkin_huxley_steps": "unrolled forward Euler steps: about four minutes of "
                                      "kernel compiling",
    "seventeenth_more.solar_cell_maximum_power": "unrolled Newton steps: about half a "
                                                 "minute of kernel compiling",
    "sixteenth.arm_inverse_kinematics": "unrolled Jacobian steps: about 15 s of kernels",
    "sixteenth_more.consumer_demand": "two utilities and their elasticity: about 15 s",
    "sixteenth.item_response_likelihood": "about 7 s of kernel compiling",
    "sixteenth_more.seir_reproduction_number": "unrolled epidemic steps: about 6 s",
    "seventeenth_more.van_genuchten_retention": "about 6 s of kernel compiling",
    "sixteenth_more.vae_elbo": "about 5 s of kernel compiling",
}

#: Replayed bit for bit since the constants a program makes with NumPy in its own
#: module are certified (the step calling it is in compile_probe_checks.py); not
#: checked fused: kernel compiling with an empty cache is too slow for CI.
NEWLY_REPLAYED = dict.fromkeys([
    "sixteenth.barycentric_by_cramer",
    "sixteenth.thin_film_reflectance",
    "sixteenth.electrode_kinetics",
    "sixteenth.decay_chain_bateman",
    "sixteenth.pipe_friction_colebrook",
    "sixteenth.thomson_on_fibonacci_sphere",
    "sixteenth_more.kuramoto_synchrony",
    "sixteenth_more.cournot_equilibrium",
    "sixteenth_more.beam_deflection",
    "sixteenth_more.short_rate_bonds",
    "seventeenth.seismic_hypocentre_misfit",
    "seventeenth.orbital_elements",
    "seventeenth.seir_epidemic",
    "seventeenth.two_compartment_dosing",
    "seventeenth.pole_placement",
    "seventeenth.pauli_string_energy",
    "seventeenth.ogden_strain_energy",
    "seventeenth_more.reference_evapotranspiration",
    "seventeenth_more.muskingum_routing",
    "seventeenth_more.pagerank_and_katz",
    "seventeenth_more.backbone_dihedrals",
    "seventeenth_more.camera_reprojection",
    "seventeenth_more.polarisation_chain",
    "seventeenth_more.loan_amortisation",
    "seventeenth_more.wright_fisher_fixation",
    "seventeenth_more.plummer_softened_cluster",
    "seventeenth_more.water_wave_dispersion",
], "kernel compiling with an empty cache")

SLOW_TO_FUSE = {**SLOW_TO_FUSE, **NEWLY_REPLAYED}

globals().update(probe_tests(PROGRAMS, EXPECTED, key=round_and_name, slow_to_fuse=SLOW_TO_FUSE))
