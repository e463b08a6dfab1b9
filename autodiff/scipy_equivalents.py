"""autodiff's function for a SciPy function that makes arrays of its arguments, named
when such a call converts a Tensor (``scipy.special.logsumexp(t)``,
``scipy.stats.norm.logpdf(x, loc=t)``): the refusal says what computes the same on the
tape.  SciPy is not imported here; the frames are read as they are."""

from __future__ import annotations

_ARRAY_API_SWITCH = ("; or set SCIPY_ARRAY_API=1 before SciPy is imported, and SciPy runs "
                     "it on the Tensor through its array namespace")

#: By SciPy's public name.
_FUNCTIONS = {
    "scipy.special.logsumexp": "ad.logsumexp(t, axis, keepdims=...) (positive weights b: "
                               "ad.logsumexp(t + np.log(b), axis))" + _ARRAY_API_SWITCH,
    "scipy.special.softmax": "ad.softmax(t, axis)" + _ARRAY_API_SWITCH,
    "scipy.special.log_softmax": "ad.log_softmax(t, axis)" + _ARRAY_API_SWITCH,
    "scipy.special.polygamma": "ad.special.polygamma(n, t)",
    "scipy.special.multigammaln": "ad.special.multigammaln(t, d)",
    "scipy.special.zeta": "ad.special.zeta(x, q)",
}

#: scipy.stats' distributions and ad.distributions' classes of the same law.
_DISTRIBUTIONS = {
    "norm": "Normal", "gamma": "Gamma", "poisson": "Poisson", "beta": "Beta",
    "expon": "Exponential", "lognorm": "LogNormal", "t": "StudentT", "cauchy": "Cauchy",
    "laplace": "Laplace", "binom": "Binomial", "uniform": "Uniform", "chi2": "Chi2",
    "weibull_min": "Weibull", "gumbel_r": "Gumbel", "vonmises": "VonMises",
    "nbinom": "NegativeBinomial", "geom": "Geometric", "bernoulli": "Bernoulli",
    "halfnorm": "HalfNormal", "halfcauchy": "HalfCauchy", "pareto": "Pareto",
    "invgamma": "InverseGamma", "genpareto": "GeneralizedPareto", "f": "FisherSnedecor",
}

#: scipy.stats' methods and the ad.distributions code for the same value.
_METHODS = {
    "logpdf": ".log_prob(x)", "logpmf": ".log_prob(k)", "pdf": ".log_prob(x).exp()",
    "pmf": ".log_prob(k).exp()", "cdf": ".cdf(x)", "logcdf": ".cdf(x).log()",
    "sf": "1 - .cdf(x)", "ppf": ".icdf(q)", "entropy": ".entropy()", "mean": ".mean",
    "var": ".variance", "std": ".stddev", "rvs": ".rsample(shape)",
}


def distribution_name(frame) -> str | None:
    """The name of the scipy.stats distribution whose method runs in ``frame``
    (``norm`` for ``stats.norm.logpdf`` and for ``stats.norm(0, 1).logpdf``), else
    None."""
    owner = frame.f_locals.get("self")
    law = getattr(owner, "dist", owner)          # (a frozen distribution holds its law)
    name = getattr(law, "name", None)
    return name if isinstance(name, str) and type(law).__module__.startswith(
        "scipy.stats") else None


def equivalent(module: str, name: str, distribution: str | None = None) -> str:
    """What computes ``module.name`` (``distribution``'s method when given) on the tape,
    as a phrase after 'with'."""
    if distribution is not None:
        law = _DISTRIBUTIONS.get(distribution)
        if law is None:
            return "ad.distributions' classes (docs/ops.md for the functions they use)"
        method = _METHODS.get(name, "")
        return (f"ad.distributions.{law}(...){method}, in PyTorch's parameters (scipy.stats' "
                "scale= is 1 / rate for the gamma and exponential laws)")
    own = _FUNCTIONS.get(f"{module}.{name}")
    return f"autodiff's {own}" if own else "autodiff's: docs/ops.md"
