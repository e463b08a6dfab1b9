"""``ad.compile`` of training steps with complex values on the tape (FFT-based losses,
complex parameters, complex elementwise twins): the losses and parameters after a few
replays equal eager runs of the same step."""

from __future__ import annotations

import numpy as np

import autodiff as ad

RNG = np.random.default_rng(9)
TARGET = RNG.normal(size=5) + 1j * RNG.normal(size=5)


def _run(make_step, calls=4):
    """Losses and final parameters of ``calls`` eager steps, then of the compiled step
    (each from fresh parameters and optimizer state)."""
    results = []
    for compiled in (False, True):
        step, parameter = make_step()
        step = ad.compile(step) if compiled else step
        losses = [float(step(ad.tensor(np.linspace(0, 1, parameter.shape[0]) + i)))
                  for i in range(calls)]
        results.append((losses, parameter.data.copy()))
    return results


def test_a_step_with_an_fft_loss_of_real_parameters_replays_as_eager():
    def make_step():
        weights = ad.nn.Parameter(np.arange(8.0) / 8)
        optimizer = ad.optim.SGD([weights], lr=0.01, momentum=0.9)

        def step(x):
            optimizer.zero_grad()
            spectrum = ad.fft.rfft(weights * x)
            loss = ((spectrum - TARGET).abs() ** 2).mean()
            loss.backward()
            optimizer.step()
            return loss
        return step, weights
    (eager_losses, eager_weights), (losses, weights) = _run(make_step)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-13)
    np.testing.assert_allclose(weights, eager_weights, rtol=1e-13)
    assert eager_losses[0] != eager_losses[1]


def test_a_step_on_a_complex_parameter_replays_as_eager():
    def make_step():
        z = ad.nn.Parameter(np.array([1 + 1j, 2 - 1j, 0.5j, 1.0]))
        optimizer = ad.optim.Adam([z], lr=0.1)

        def step(x):
            optimizer.zero_grad()
            loss = ((ad.fft.ifft(z * x).abs() ** 2).sum() + ad.sin(z).real.sum()
                    + (ad.sgn(z) * ad.log(z)).imag.sum() + ad.linalg.norm(z.cumprod(0)))
            loss.backward()
            optimizer.step()
            return loss
        return step, z
    (eager_losses, eager_z), (losses, z) = _run(make_step)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-13)
    np.testing.assert_allclose(z, eager_z, rtol=1e-13)
    assert z.dtype == np.complex128
