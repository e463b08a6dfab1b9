"""``ad.autograd.functional`` with ``strict=True`` (PyTorch's checks that the outputs
depend differentiably on every input, and for second derivatives that the gradient
depends on the inputs), and ``vjp`` of a function with several outputs; checked
against PyTorch's errors and values where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

F = ad.autograd.functional
R = np.random.default_rng(16)
X, Y = R.normal(size=3), R.normal(size=3)

FUNCTIONS = {
    "product": lambda lib: lambda x, y: (x ** 2 * y).sum(),
    "separable": lambda lib: lambda x, y: (x ** 2).sum() + (y ** 3).sum(),
    "linear": lambda lib: lambda x, y: (2 * x + y).sum(),
    "unused": lambda lib: lambda x, y: (x ** 3).sum(),
    "constant": lambda lib: lambda x, y: lib.ones(()) * 1.0,
    "detached": lambda lib: lambda x, y: (x * y).detach().sum(),
    "vector": lambda lib: lambda x, y: x * y.exp(),
    "vector_unused": lambda lib: lambda x, y: x.sin(),
    "pair": lambda lib: lambda x, y: (x.sin(), y * 2),
    "pair_constant": lambda lib: lambda x, y: (x.sin() * y, lib.zeros(3)),
}
SCALAR = ("product", "separable", "linear", "unused", "constant", "detached")


def _outcome(lib, kind, name, create_graph, options):
    """What ``kind`` (with ``strict=True``) does: "ok", or the error's type and text."""
    f = FUNCTIONS[name](lib)
    xs = (lib.tensor(X), lib.tensor(Y))
    ones = lib.tensor(np.ones(3))
    functional = lib.autograd.functional
    try:
        if kind == "vjp":
            out = f(*xs)
            v = (tuple(lib.ones_like(o) for o in out) if isinstance(out, tuple)
                 else lib.ones_like(out))
            functional.vjp(f, xs, v, create_graph=create_graph, strict=True)
        elif kind in ("jacobian", "hessian"):
            getattr(functional, kind)(f, xs, create_graph=create_graph, strict=True,
                                      **options)
        else:
            getattr(functional, kind)(f, xs, (ones, ones), create_graph=create_graph,
                                      strict=True)
        return "ok"
    except (RuntimeError, NotImplementedError) as error:
        return f"{type(error).__name__}: {error}"


def _cases():
    for kind in ("vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"):
        names = SCALAR if kind in ("hessian", "hvp", "vhp") else FUNCTIONS
        options = ([{}, {"vectorize": True}, {"strategy": "forward-mode", "vectorize": True}]
                   if kind == "jacobian" else
                   [{}, {"vectorize": True}] if kind == "hessian" else [{}])
        for name in names:
            for create_graph in (False, True):
                for option in options:
                    if create_graph and option.get("strategy") == "forward-mode":
                        continue        # (refused, in other words than PyTorch's)
                    yield kind, name, create_graph, option


def test_strict_mode_raises_pytorchs_errors_where_pytorch_does():
    torch = pytest.importorskip("torch")
    cases = list(_cases())
    differences = [(case, theirs, ours) for case in cases
                   for theirs, ours in [(_outcome(torch, *case), _outcome(ad, *case))]
                   if theirs != ours]
    assert not differences, differences[:3]
    raised = sum(_outcome(ad, *case) != "ok" for case in cases)
    assert 40 < raised < len(cases)             # both kinds of outcome are exercised


def test_strict_mode_names_the_input_an_output_does_not_depend_on():
    x, y = ad.tensor(X), ad.tensor(Y)
    with pytest.raises(RuntimeError, match=r"^The output of the user-provided function is "
                                           r"independent of input 1\. This is not allowed "
                                           r"in strict mode\.$"):
        F.vjp(lambda a, b: a * 2, (x, y), ad.ones(3), strict=True)
    with pytest.raises(RuntimeError, match=r"^Output 0 of the user-provided function does "
                                           r"not require gradients"):
        F.jvp(lambda a: a.detach() * 2, x, ad.ones(3), strict=True)
    with pytest.raises(RuntimeError, match=r"^Output 1 of the user-provided function is "
                                           r"independent of input 0"):
        F.jacobian(lambda a, b: (a * b, b.exp()), (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"jacobian of the user-provided function with "
                                           r"respect to input 0 is independent of the "
                                           r"input.*a linear function"):
        F.hessian(lambda a: (3 * a).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match=r"`strict=True` and `vectorized=True` are not "
                                           r"supported together"):
        F.jacobian(ad.sin, x, strict=True, vectorize=True)
    # where every rule holds, strict=True gives what strict=False gives
    f = lambda a, b: (a ** 2 * b.sin()).sum()       # noqa: E731
    for name in ("hessian", "hvp", "vhp"):
        fn = getattr(F, name)
        args = () if name == "hessian" else ((ad.ones(3), ad.ones(3)),)
        strict, loose = fn(f, (x, y), *args, strict=True), fn(f, (x, y), *args)
        np.testing.assert_array_equal(np.asarray(strict[-1][0].data),
                                      np.asarray(loose[-1][0].data))


def test_vjp_of_a_function_with_several_outputs_takes_a_v_per_output():
    def f(lib):
        return lambda a, b: (a.sin() * b, (a * b).sum() * 2)

    v = (np.array([1.0, -2.0, 0.5]), np.array(3.0))
    results = {}
    for create_graph in (False, True):
        outputs, (grad_x, grad_y) = F.vjp(f(ad), (ad.tensor(X), ad.tensor(Y)),
                                          tuple(ad.tensor(e) for e in v),
                                          create_graph=create_graph)
        assert isinstance(outputs, tuple) and len(outputs) == 2
        expected_x = v[0] * np.cos(X) * Y + 2 * v[1] * Y
        expected_y = v[0] * np.sin(X) + 2 * v[1] * X
        np.testing.assert_allclose(grad_x.data, expected_x, rtol=1e-13)
        np.testing.assert_allclose(grad_y.data, expected_y, rtol=1e-13)
        results[create_graph] = (grad_x.data, grad_y.data)
    # with create_graph=True the products are differentiable in the inputs again
    x = ad.tensor(X, requires_grad=True)
    _, product = F.vjp(lambda a: (a ** 3, a.exp()), x, (ad.ones(3), ad.ones(3)),
                       create_graph=True)
    product.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * X + np.exp(X), rtol=1e-13)
    with pytest.raises(ValueError, match=r"v has 1 entries for 2 outputs"):
        F.vjp(f(ad), (ad.tensor(X), ad.tensor(Y)), ad.ones(3))
    with pytest.raises(RuntimeError, match=r"v can only be omitted .* got shape\(s\) "
                                           r"\(3,\), \(\)"):
        F.vjp(f(ad), (ad.tensor(X), ad.tensor(Y)))
    torch = pytest.importorskip("torch")
    _, theirs = torch.autograd.functional.vjp(
        f(torch), (torch.tensor(X), torch.tensor(Y)), tuple(torch.tensor(e) for e in v))
    for ours in results.values():
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-13)
