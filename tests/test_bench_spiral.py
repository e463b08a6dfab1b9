"""The spiral MLP bench row compares the same training step in every implementation."""

from bench import spiral


def test_every_implementation_trains_the_same_numbers():
    same = spiral.agreement(steps=5, with_torch=False)
    assert same["autodiff compiled"] < 1e-12      # bit for bit while nothing is fused
    assert same["numpy"] < 1e-12                  # the hand-written step is the same step


def test_the_rows_implementations_are_named_as_the_runner_expects():
    impls, weights = spiral.spiral_mlp(with_torch=False)
    assert set(impls) == set(weights) == {"autodiff", "autodiff compiled", "numpy"}
    losses = {name: float(run().item()) for name, run in impls.items()}      # first step
    first = losses["autodiff"]
    assert all(abs(loss - first) < 1e-12 for loss in losses.values()), losses
