"""``import autodiff`` stays light: drawing and random draws load when first used; and
every module of ``autodiff.kernels`` can be imported on its own."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True).stdout.split()


def test_import_does_not_load_graphviz_drawing_or_numpy_random():
    loaded = _run("import sys, autodiff\n"
                  "print(*[m in sys.modules for m in ('graphviz', 'autodiff.viz', "
                  "'autodiff.distributions', 'numpy.random')])")
    assert loaded == ["False"] * 4


def test_lazily_loaded_parts_appear_on_first_use():
    out = _run("import autodiff as ad\n"
               "print(ad.viz.text.__module__, ad.distributions.Normal.__name__, "
               "'viz' in dir(ad))\n"
               "ad.nn.manual_seed(3); a = ad.nn.Linear(2, 2).weight.data\n"
               "ad.nn.manual_seed(3); b = ad.nn.Linear(2, 2).weight.data\n"
               "print(bool((a == b).all()))")
    assert out == ["autodiff.viz.text", "Normal", "True", "True"]


_KERNEL_MODULES = sorted(
    name[:-3] for name in os.listdir(os.path.join(ROOT, "autodiff", "kernels"))
    if name.endswith(".py") and name != "__init__.py")


def test_the_kernel_module_list_is_found():
    assert {"jit", "jit_nn", "jit_conv", "jit_rnn", "numpy_twins"} <= set(_KERNEL_MODULES)


@pytest.mark.parametrize("name", _KERNEL_MODULES)
def test_each_kernel_module_can_be_imported_first(name):
    """A fresh process that imports one file of ``autodiff.kernels`` before any other
    (``jit_nn`` and ``jit`` import each other) gets it, and the compiled kernels stay
    reachable on ``jit`` by name, where the dispatcher looks for them."""
    code = (f"import autodiff.kernels.{name}\n"
            "import autodiff.kernels.jit as jit\n"
            "print(jit.cross_entropy.__module__, jit.col2im.__module__, "
            "jit.lstm_cell_forward.__module__, jit.sigmoid.__module__)")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if importlib.util.find_spec("numba") is None:     # then no kernel module imports jit
        assert done.returncode == 0 or "No module named 'numba'" in done.stderr, done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["autodiff.kernels.jit_nn", "autodiff.kernels.jit_conv",
                                   "autodiff.kernels.jit_rnn", "autodiff.kernels.jit"]


_DISTRIBUTIONS = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
                  "ContinuousBernoulli", "Dirichlet", "ExpRelaxedCategorical", "Exponential",
                  "FisherSnedecor", "Gamma", "GeneralizedPareto", "Geometric", "Gumbel",
                  "HalfCauchy", "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy",
                  "LKJCholesky", "Laplace", "LogNormal", "LogisticNormal",
                  "LogitRelaxedBernoulli", "LowRankMultivariateNormal", "MixtureSameFamily",
                  "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal",
                  "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto",
                  "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT",
                  "TransformedDistribution", "Uniform", "VonMises", "Weibull", "Wishart"]


def test_every_distribution_is_listed_and_its_module_loads_on_first_use():
    out = _run("import sys, autodiff as ad\n"
               "names = [n for n in dir(ad.distributions) if n[0].isupper()]\n"
               "print(','.join(n for n in names if n not in ('Distribution', 'Tensor')\n"
               "               and not n.endswith('Transform')))\n"
               "print('autodiff.distributions_gamma' in sys.modules)\n"
               "print(ad.distributions.Beta.__module__)\n"
               "print(sorted(set(ad.distributions.__all__) - set(dir(ad.distributions))))")
    assert out[0].split(",") == _DISTRIBUTIONS
    assert out[1:] == ["False", "autodiff.distributions_gamma", "[]"]
