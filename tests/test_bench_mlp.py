"""The MLP bench row's implementations train the same numbers (so its ratios compare
the same work)."""

import numpy as np
import pytest

from bench import workloads as W


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_every_mlp_step_gives_the_same_losses(dtype, tolerance):
    steps = {"numpy": W.mlp_numpy(dtype), "numpy out of place": W.mlp_numpy_out_of_place(dtype),
             "autodiff": W.mlp_autodiff(dtype), "autodiff compiled": W.mlp_compiled(dtype)}
    losses = {name: [step().item() for _ in range(4)]
              for name, step in steps.items()}
    reference = np.array(losses["numpy"])
    assert reference[-1] < reference[0]                 # the steps train
    for name, values in losses.items():
        np.testing.assert_allclose(values, reference, rtol=tolerance, err_msg=name)
