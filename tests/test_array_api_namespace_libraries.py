"""Array-API-generic functions of SciPy and scikit-learn on Tensors: with their array
API switches on (``SCIPY_ARRAY_API=1``, read when SciPy is imported, so the calls run in
a fresh interpreter; scikit-learn's ``array_api_dispatch``), they find
``ad.array_api`` through ``Tensor.__array_namespace__`` and their results are on the
tape.  Values are compared with the same functions on ndarrays, gradients with the
closed form (logsumexp) and with central differences of the ndarray call."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from numpy_program_checks import central_difference

_X = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [0.3, 0.2, -0.4]])
_Y = np.array([[0.5, 0.5, 0.5], [-1.0, 2.0, 0.0]])

_SCRIPT = """
import json, sys, warnings
import numpy as np
import autodiff as ad
warnings.simplefilter("error", ad.TapeDropWarning)
x_value, y_value = np.array(json.loads(sys.argv[1])), np.array(json.loads(sys.argv[2]))
result = {}

import scipy.special
x = ad.tensor(x_value, requires_grad=True)
total = scipy.special.logsumexp(x, axis=1)
result["logsumexp_recorded"] = isinstance(total, ad.Tensor) and total.requires_grad
total.sum().backward()
result["logsumexp"], result["logsumexp_grad"] = total.data.tolist(), x.grad.tolist()

import sklearn
from sklearn.metrics.pairwise import euclidean_distances
x = ad.tensor(x_value, requires_grad=True)
with sklearn.config_context(array_api_dispatch=True):
    distances = euclidean_distances(x, ad.tensor(y_value))
result["distances_recorded"] = isinstance(distances, ad.Tensor) and distances.requires_grad
distances.sum().backward()
result["distances"], result["distances_grad"] = distances.data.tolist(), x.grad.tolist()
print(json.dumps(result))
"""


def _run_with_array_api_switches_on():
    environment = dict(os.environ, SCIPY_ARRAY_API="1",
                       PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    finished = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(_X.tolist()), json.dumps(_Y.tolist())],
        capture_output=True, text=True, env=environment, timeout=300)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


def test_scipy_and_scikit_learn_record_on_tensors():
    scipy_special = pytest.importorskip("scipy.special")
    pairwise = pytest.importorskip("sklearn.metrics.pairwise")
    result = _run_with_array_api_switches_on()
    assert result["logsumexp_recorded"] and result["distances_recorded"]
    # scipy's own ndarray path (another order of operations): a few ulps of float64
    np.testing.assert_allclose(result["logsumexp"], scipy_special.logsumexp(_X, axis=1),
                               rtol=1e-14)
    softmax = np.exp(_X - scipy_special.logsumexp(_X, axis=1, keepdims=True))
    np.testing.assert_allclose(result["logsumexp_grad"], softmax, rtol=1e-13)
    np.testing.assert_allclose(result["distances"], pairwise.euclidean_distances(_X, _Y),
                               rtol=1e-12)
    numerical = central_difference(
        lambda flat: pairwise.euclidean_distances(flat.reshape(_X.shape), _Y).sum(),
        _X.ravel()).reshape(_X.shape)
    np.testing.assert_allclose(result["distances_grad"], numerical, rtol=1e-6, atol=1e-6)
