"""The ``support`` and ``arg_constraints`` of each distribution, as PyTorch gives them:
the constraint the values lie in, and those of the parameters (by name).

>>> ad.distributions.Gamma(2.0, 1.0).support
GreaterThanEq(lower_bound=0.0)
>>> ad.distributions.Normal(0.0, 1.0).arg_constraints
{'loc': Real(), 'scale': GreaterThan(lower_bound=0.0)}
"""

from __future__ import annotations

from . import distributions_constraints as c

_LOCATION_SCALE = {"loc": c.real, "scale": c.positive}
_PROBABILITIES = {"probs": c.unit_interval, "logits": c.real}
_CATEGORIES = {"probs": c.simplex, "logits": c.independent(c.real, 1)}

# class name: (its support, from the distribution; its parameters' constraints, likewise)
_TABLE = {
    "Normal": (lambda d: c.real, lambda d: _LOCATION_SCALE),
    "Bernoulli": (lambda d: c.boolean, lambda d: _PROBABILITIES),
    "Categorical": (lambda d: c.integer_interval(0, d.num_categories - 1),
                    lambda d: _CATEGORIES),
    "Uniform": (lambda d: c.interval(d.low, d.high),
                lambda d: {"low": c.less_than(d.high), "high": c.greater_than(d.low)}),
    "Exponential": (lambda d: c.nonnegative, lambda d: {"rate": c.positive}),
    "Laplace": (lambda d: c.real, lambda d: _LOCATION_SCALE),
    "LogNormal": (lambda d: c.positive, lambda d: _LOCATION_SCALE),
    "HalfNormal": (lambda d: c.nonnegative, lambda d: {"scale": c.positive}),
    "Cauchy": (lambda d: c.real, lambda d: _LOCATION_SCALE),
    "HalfCauchy": (lambda d: c.nonnegative, lambda d: {"scale": c.positive}),
    "Pareto": (lambda d: c.greater_than_eq(d.scale),
               lambda d: {"scale": c.positive, "alpha": c.positive}),
    "Gumbel": (lambda d: c.real, lambda d: _LOCATION_SCALE),
    "StudentT": (lambda d: c.real, lambda d: {"df": c.positive, **_LOCATION_SCALE}),
    "Poisson": (lambda d: c.nonnegative_integer, lambda d: {"rate": c.nonnegative}),
    "Geometric": (lambda d: c.nonnegative_integer, lambda d: _PROBABILITIES),
    "Binomial": (lambda d: c.integer_interval(0, d.total_count),
                 lambda d: {"total_count": c.nonnegative_integer, **_PROBABILITIES}),
    "OneHotCategorical": (lambda d: c.one_hot, lambda d: _CATEGORIES),
    "Multinomial": (lambda d: c.multinomial(d.total_count), lambda d: _CATEGORIES),
    "MultivariateNormal": (lambda d: c.real_vector,
                           lambda d: {"loc": c.real_vector,
                                      "covariance_matrix": c.positive_definite,
                                      "precision_matrix": c.positive_definite,
                                      "scale_tril": c.lower_cholesky}),
    "Independent": (lambda d: c.independent(d.base.support, d.reinterpreted_batch_ndims)
                    if d.reinterpreted_batch_ndims else d.base.support, lambda d: {}),
    "Gamma": (lambda d: c.nonnegative, lambda d: {"concentration": c.positive,
                                                  "rate": c.positive}),
    "Chi2": (lambda d: c.nonnegative, lambda d: {"df": c.positive}),
    "Beta": (lambda d: c.unit_interval, lambda d: {"concentration1": c.positive,
                                                   "concentration0": c.positive}),
    "Dirichlet": (lambda d: c.simplex,
                  lambda d: {"concentration": c.independent(c.positive, 1)}),
    "Weibull": (lambda d: c.positive, lambda d: {"scale": c.positive,
                                                 "concentration": c.positive}),
    "InverseGamma": (lambda d: c.positive, lambda d: {"concentration": c.positive,
                                                      "rate": c.positive}),
    "ContinuousBernoulli": (lambda d: c.unit_interval, lambda d: _PROBABILITIES),
    "FisherSnedecor": (lambda d: c.positive, lambda d: {"df1": c.positive, "df2": c.positive}),
    "Wishart": (lambda d: c.positive_definite,
                lambda d: {"covariance_matrix": c.positive_definite,
                           "precision_matrix": c.positive_definite,
                           "scale_tril": c.lower_cholesky,
                           "df": c.greater_than(d.event_shape[-1] - 1)}),
    "Kumaraswamy": (lambda d: c.unit_interval, lambda d: {"concentration1": c.positive,
                                                          "concentration0": c.positive}),
    "NegativeBinomial": (lambda d: c.nonnegative_integer,
                         lambda d: {"total_count": c.greater_than_eq(0),
                                    "probs": c.half_open_interval(0.0, 1.0),
                                    "logits": c.real}),
    "VonMises": (lambda d: c.real, lambda d: {"loc": c.real, "concentration": c.positive}),
    "LKJCholesky": (lambda d: c.corr_cholesky, lambda d: {"concentration": c.positive}),
    "GeneralizedPareto": (lambda d: c.interval(d.loc, d._upper_end()),
                          lambda d: {**_LOCATION_SCALE, "concentration": c.real}),
    "LowRankMultivariateNormal": (lambda d: c.real_vector,
                                  lambda d: {"loc": c.real_vector,
                                             "cov_factor": c.independent(c.real, 2),
                                             "cov_diag": c.independent(c.positive, 1)}),
}


def _entry(dist, which: int, what: str):
    for cls in type(dist).__mro__:
        if cls.__module__.startswith("autodiff.") and cls.__name__ in _TABLE:
            return _TABLE[cls.__name__][which](dist)
    raise NotImplementedError(f"{type(dist).__name__}.{what} is not defined; a subclass "
                              f"of Distribution sets it as a class attribute (a constraint "
                              f"of ad.distributions.constraints)")


def support_of(dist):
    """The constraint ``dist``'s values lie in."""
    return _entry(dist, 0, "support")


def arg_constraints_of(dist) -> dict:
    """The constraints of ``dist``'s parameters, by name."""
    return dict(_entry(dist, 1, "arg_constraints"))
