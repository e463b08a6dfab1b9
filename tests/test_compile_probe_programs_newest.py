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
    "sixteenth.barycentric_by_cramer": (REFUSED, "NumPy array made in the call (where)"),
    "sixteenth.crystal_structure_factors": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth.thin_film_reflectance": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth.electrode_kinetics": (REFUSED, "NumPy array made in the call (subtract)"),
    "sixteenth.decay_chain_bateman": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth.bubble_point_by_newton": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth.pipe_friction_colebrook": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth.item_response_likelihood": (BITWISE, ""),
    "sixteenth.hodgkin_huxley_steps": (BITWISE, ""),
    "sixteenth.blackbody_band_power": (REFUSED, "item() of a traced tensor"),
    "sixteenth.dc_power_flow": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth.quaternion_slerp": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth.thomson_on_fibonacci_sphere": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth.van_der_waals_volume": (REFUSED, "NumPy array made in the call (multiply)"),
    # test_numpy_programs_sixteenth_more.py
    "sixteenth_more.nelson_siegel_bonds": (REFUSED, "NumPy array made in the call (astype)"),
    "sixteenth_more.consumer_demand": (BITWISE, ""),
    "sixteenth_more.kuramoto_synchrony": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth_more.cournot_equilibrium": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth_more.merton_jump_call": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.gaussian_copula_loglik": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth_more.transformer_block": (REFUSED, "NumPy array made in the call (multiply)"),
    "sixteenth_more.vae_elbo": (BITWISE, ""),
    "sixteenth_more.planar_flow_density": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixteenth_more.contrastive_losses": (REFUSED, "NumPy array made in the call (matmul)"),
    "sixteenth_more.langevin_and_leapfrog": (REFUSED, "NumPy array made in the call (add)"),
    "sixteenth_more.squared_hinge_svm": (BITWISE, ""),
    "sixteenth_more.heat_capacity_models": (REFUSED, "NumPy array made in the call (divide)"),
    "sixteenth_more.beam_deflection": (REFUSED, "NumPy array made in the call (add)"),
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
    "sixteenth_more.short_rate_bonds": (REFUSED, "NumPy array made in the call (multiply)"),
    # test_numpy_programs_seventeenth.py
    "seventeenth.regret_matching": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth.mel_filterbank_energies": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.seismic_hypocentre_misfit": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth.orbital_elements": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth.room_impulse_decay": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.seir_epidemic": (REFUSED, "NumPy array made in the call (subtract)"),
    "seventeenth.two_compartment_dosing": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.pole_placement": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.pauli_string_energy": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth.ogden_strain_energy": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth.srgb_colour_difference": (REFUSED, "NumPy array made in the call (matmul)"),
    # test_numpy_programs_seventeenth_more.py
    "seventeenth_more.glicko_rating_update": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.reference_evapotranspiration": (
        REFUSED, "NumPy array made in the call (add)"),
    "seventeenth_more.van_genuchten_retention": (BITWISE, ""),
    "seventeenth_more.muskingum_routing": (REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.pagerank_and_katz": (REFUSED, "NumPy array made in the call (subtract)"),
    "seventeenth_more.soft_value_iteration": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth_more.kimura_distance_likelihood": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.backbone_dihedrals": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth_more.camera_reprojection": (REFUSED, "NumPy array made in the call (add)"),
    "seventeenth_more.solar_cell_maximum_power": (BITWISE, ""),
    "seventeenth_more.butterworth_response": (
        REFUSED, "poly: whether its coefficients are real is read from the roots' values"),
    "seventeenth_more.phased_array_pattern": (REFUSED, "NumPy array made in the call (divide)"),
    "seventeenth_more.calibration_by_temperature": (
        REFUSED, "bool() (an if/while on its value) of a traced tensor"),
    "seventeenth_more.polarisation_chain": (REFUSED, "NumPy array made in the call (matmul)"),
    "seventeenth_more.loan_amortisation": (REFUSED, "NumPy array made in the call (power)"),
    "seventeenth_more.wright_fisher_fixation": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.group_lasso_regression": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.plummer_softened_cluster": (
        REFUSED, "NumPy array made in the call (multiply)"),
    "seventeenth_more.weibull_censored_likelihood": (
        REFUSED, "NumPy array made in the call (matmul)"),
    "seventeenth_more.water_wave_dispersion": (REFUSED, "NumPy array made in the call (multiply)"),
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

globals().update(probe_tests(PROGRAMS, EXPECTED, key=round_and_name, slow_to_fuse=SLOW_TO_FUSE))
