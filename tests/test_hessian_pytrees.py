"""``hessian``, ``jacrev`` and ``jacfwd`` of functions of dicts, lists and tuples of
arrays, and of functions returning them: nested results in the structure
``torch.func`` gives, checked against central finite differences in float64 and
against ``torch.func`` (those tests skip without torch)."""

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(7)
STEP = 1e-4


def _params(shapes):
    return {name: RNG.standard_normal(shape) for name, shape in shapes.items()}


def _energy(p, y):
    """A scalar with every pair of leaves coupled; works on arrays and Tensors."""
    a, b, c = p["a"], p["b"], p["c"]
    return (ad.sin(a * b.sum()) ** 2).sum() + (c ** 3).sum() * b.sum() + (a ** 2).sum() * (
        y * y).sum() + (c.sum() * y).sum()


def _as_value(result) -> float:
    return float(np.asarray(result.data if isinstance(result, ad.Tensor) else result))


def _finite_difference_hessian(f, leaves):
    """Second differences of ``f(*leaves)`` for every pair of entries, in blocks
    ``[i][j]`` shaped ``leaves[i].shape + leaves[j].shape``."""
    sizes = [leaf.size for leaf in leaves]
    base = np.concatenate([leaf.ravel() for leaf in leaves])

    def value(flat):
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        return _as_value(f(*[p.reshape(leaf.shape) for p, leaf in zip(parts, leaves)]))

    n = base.size
    full = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            shifted = [base.copy() for _ in range(4)]
            for k, (si, sj) in enumerate([(1, 1), (1, -1), (-1, 1), (-1, -1)]):
                shifted[k][i] += si * STEP
                shifted[k][j] += sj * STEP
            full[i, j] = (value(shifted[0]) - value(shifted[1]) - value(shifted[2])
                          + value(shifted[3])) / (4 * STEP * STEP)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return [[full[offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]].reshape(
        leaves[i].shape + leaves[j].shape) for j in range(len(leaves))]
        for i in range(len(leaves))]


SHAPES = [{"a": (2,), "b": (3,), "c": ()}, {"a": (1,), "b": (2, 1), "c": (1, 2)},
          {"a": (), "b": (1,), "c": (3,)}]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_hessian_of_a_dict_is_a_dict_of_dicts_matching_finite_differences(shapes):
    p, y = _params(shapes), RNG.standard_normal(2)
    h = ad.hessian(_energy)(p, y)
    names = list(p)
    blocks = _finite_difference_hessian(
        lambda *leaves: _energy(dict(zip(names, leaves)), y), [p[k] for k in names])
    assert isinstance(h, dict) and list(h) == names
    for i, row in enumerate(names):
        assert isinstance(h[row], dict) and list(h[row]) == names
        for j, column in enumerate(names):
            assert np.shape(h[row][column]) == p[row].shape + p[column].shape
            np.testing.assert_allclose(h[row][column], blocks[i][j], rtol=1e-5, atol=1e-5)


def test_hessian_with_argnums_over_a_dict_and_an_array_nests_as_torch_func():
    p, y = _params(SHAPES[0]), RNG.standard_normal(2)
    h = ad.hessian(_energy, argnums=(0, 1))(p, y)
    names = list(p)
    leaves = [p[k] for k in names] + [y]
    blocks = _finite_difference_hessian(
        lambda *parts: _energy(dict(zip(names, parts[:-1])), parts[-1]), leaves)
    # h[0] is the Jacobian of the dict of gradients: per key, (wrt p, wrt y)
    for i, row in enumerate(names):
        wrt_p, wrt_y = h[0][row]
        for j, column in enumerate(names):
            np.testing.assert_allclose(wrt_p[column], blocks[i][j], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(wrt_y, blocks[i][-1], rtol=1e-5, atol=1e-5)
    wrt_p, wrt_y = h[1]
    for j, column in enumerate(names):
        np.testing.assert_allclose(wrt_p[column], blocks[-1][j], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(wrt_y, blocks[-1][-1], rtol=1e-5, atol=1e-5)


def test_hessian_of_a_list_argument_is_a_list_of_lists():
    pair = [RNG.standard_normal(2), RNG.standard_normal(2)]
    h = ad.hessian(lambda q: (ad.exp(q[0] * q[1]) + q[0] ** 2).sum())(pair)
    blocks = _finite_difference_hessian(lambda u, v: (np.exp(u * v) + u ** 2).sum(), pair)
    assert isinstance(h, list) and all(isinstance(row, list) for row in h)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(h[i][j], blocks[i][j], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("transform", [ad.jacrev, ad.jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobians_of_container_outputs_match_finite_differences(transform):
    x, y = RNG.standard_normal(3), RNG.standard_normal(())

    def f(x, y):
        return {"scaled": ad.sin(x) * y, "parts": (x.sum() * y, [ad.exp(x[:1]), y * 0 + 2.0])}

    jac = transform(f, argnums=(0, 1))(x, y)
    numeric = {"scaled": ad.numerical_grad(lambda a, b: ad.sin(a) * b, [x, y]),
               "total": ad.numerical_grad(lambda a, b: a.sum() * b, [x, y]),
               "exp": ad.numerical_grad(lambda a, b: ad.exp(a[:1]) + 0 * b, [x, y])}
    for got, expected in [(jac["scaled"], numeric["scaled"]), (jac["parts"][0], numeric["total"]),
                          (jac["parts"][1][0], numeric["exp"])]:
        assert isinstance(got, tuple) and len(got) == 2
        for g, e in zip(got, expected):
            assert np.shape(g) == np.shape(e)
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-8)
    constant = jac["parts"][1][1]
    assert np.shape(constant[0]) == (3,) and np.shape(constant[1]) == ()
    assert not np.any(constant[0]) and not np.any(constant[1])


def test_a_container_output_with_has_aux_and_an_empty_output_container():
    jac, aux = ad.jacrev(lambda x: ((x * 2, x ** 2), "kept"), has_aux=True)(np.array([1.0, 3.0]))
    np.testing.assert_array_equal(jac[0], 2 * np.eye(2))
    np.testing.assert_array_equal(jac[1], np.diag([2.0, 6.0]))
    assert aux == "kept"
    with pytest.raises(ValueError, match=r"jacfwd: the function returned an empty dict"):
        ad.jacfwd(lambda x: {})(np.ones(2))


def test_a_gradient_through_a_hessian_of_a_dict_matches_finite_differences():
    p, y = _params(SHAPES[1]), RNG.standard_normal(2)

    def trace_of_block(y):
        return ad.hessian(_energy)(p, y)["a"]["a"].sum()

    np.testing.assert_allclose(ad.grad(trace_of_block)(y),
                               ad.numerical_grad(trace_of_block, [y])[0], rtol=1e-6, atol=1e-8)


# ----- against torch.func ------------------------------------------------------------

def _torch():
    torch = pytest.importorskip("torch")
    from torch_compare import T, assert_same
    return torch, T, assert_same


def _torch_energy(torch):
    def energy(p, y):
        a, b, c = p["a"], p["b"], p["c"]
        return (torch.sin(a * b.sum()) ** 2).sum() + (c ** 3).sum() * b.sum() + (
            a ** 2).sum() * (y * y).sum() + (c.sum() * y).sum()
    return energy


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0)], ids=str)
def test_hessian_of_dict_arguments_matches_torch_func(shapes, argnums):
    torch, T, assert_same = _torch()
    p, y = _params(shapes), RNG.standard_normal(2)
    expected = torch.func.hessian(_torch_energy(torch), argnums=argnums)(
        {k: T(v) for k, v in p.items()}, T(y))
    assert_same(ad.hessian(_energy, argnums=argnums)(p, y), expected)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_of_container_outputs_and_arguments_match_torch_func(name):
    torch, T, assert_same = _torch()
    p = _params({"w": (2, 1), "b": ()})
    x = RNG.standard_normal((1,))

    def ours(p, x):
        h = ad.tanh(p["w"] @ x + p["b"])
        return {"h": h, "pair": [h.sum() * x, p["b"] * 3.0]}

    def theirs(p, x):
        h = torch.tanh(p["w"] @ x + p["b"])
        return {"h": h, "pair": [h.sum() * x, p["b"] * 3.0]}

    for argnums in [0, (0, 1)]:
        got = getattr(ad, name)(ours, argnums=argnums)(p, x)
        expected = getattr(torch.func, name)(theirs, argnums=argnums)(
            {k: T(v) for k, v in p.items()}, T(x))
        assert_same(got, expected)


def test_vmap_of_a_hessian_of_a_dict_matches_torch_func():
    torch, T, assert_same = _torch()
    p, ys = _params(SHAPES[2]), RNG.standard_normal((3, 2))
    got = ad.vmap(ad.hessian(_energy), in_dims=(None, 0))(p, ys)
    expected = torch.func.vmap(torch.func.hessian(_torch_energy(torch)), in_dims=(None, 0))(
        {k: T(v) for k, v in p.items()}, T(ys))
    assert_same(got, expected)


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_blocks_of_outputs_of_different_dtypes_have_torch_func_dtypes(name):
    # jacfwd's blocks take each output's dtype, jacrev's the argument's
    torch, T, _ = _torch()
    x = RNG.standard_normal(2)
    ours = getattr(ad, name)(lambda t: (ad.sin(t).astype(np.float32), t * 2))(x)
    theirs = getattr(torch.func, name)(lambda t: (torch.sin(t).float(), t * 2))(T(x))
    assert [np.asarray(o).dtype.name for o in ours] == [str(r.dtype)[6:] for r in theirs]
    np.testing.assert_allclose(ours[0], theirs[0].numpy(), rtol=1e-6)


# ----- vjp of a container output -----------------------------------------------------

def _tree_output(t, s):
    return {"scaled": ad.sin(t) * s, "parts": (t.sum() * s, [t ** 2])}


def test_vjp_of_a_container_output_takes_its_cotangent_in_that_structure():
    x, s = RNG.standard_normal(3), RNG.standard_normal(())
    cotangent = {"scaled": RNG.standard_normal(3), "parts": (RNG.standard_normal(()),
                                                             [RNG.standard_normal(3)])}
    out, pullback = ad.vjp(_tree_output, x, s)
    assert set(out) == {"scaled", "parts"} and isinstance(out["parts"][1], list)
    np.testing.assert_allclose(out["scaled"], np.sin(x) * s)
    dx, ds = pullback(cotangent)
    jac = ad.jacrev(_tree_output, argnums=(0, 1))(x, s)      # checked against differences above
    u_scaled, (u_total, [u_squares]) = cotangent["scaled"], cotangent["parts"]
    expected_dx = (u_scaled @ jac["scaled"][0] + u_total * jac["parts"][0][0]
                   + u_squares @ jac["parts"][1][0][0])
    expected_ds = (u_scaled @ jac["scaled"][1] + u_total * jac["parts"][0][1]
                   + u_squares @ jac["parts"][1][0][1])
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12)
    np.testing.assert_allclose(ds, expected_ds, rtol=1e-12)
    numeric = ad.numerical_grad(
        lambda a, b: (ad.sin(a) * b * cotangent["scaled"]).sum() + a.sum() * b * cotangent[
            "parts"][0] + (a ** 2 * cotangent["parts"][1][0]).sum(), [x, s])
    np.testing.assert_allclose(dx, numeric[0], rtol=1e-6)
    np.testing.assert_allclose(ds, numeric[1], rtol=1e-6)


@pytest.mark.parametrize("cotangent, message", [
    ({"scaled": np.ones(3)}, r"vjp: the cotangent must have the structure of the output \(a "
                             r"dict of 3 arrays"),
    (np.ones(3), r"the cotangent must have the structure of the output"),
    ({"scaled": np.ones(2), "parts": (np.ones(()), [np.ones(3)])},
     r"vjp: cotangent 0 of the dict has shape \(2,\) but its output has shape \(3,\)"),
])
def test_a_cotangent_that_does_not_fit_the_container_output_is_refused(cotangent, message):
    _, pullback = ad.vjp(_tree_output, np.ones(3), np.array(2.0))
    with pytest.raises(ValueError, match=message):
        pullback(cotangent)


def test_vjp_of_a_container_output_matches_torch_func():
    torch, T, assert_same = _torch()
    x, s = RNG.standard_normal((2, 1)), RNG.standard_normal(())
    cotangent = {"scaled": RNG.standard_normal((2, 1)),
                 "parts": (RNG.standard_normal(()), [RNG.standard_normal((2, 1))])}

    def theirs(t, s):
        return {"scaled": torch.sin(t) * s, "parts": (t.sum() * s, [t ** 2])}

    out, pullback = ad.vjp(_tree_output, x, s)
    ref_out, ref_pullback = torch.func.vjp(theirs, T(x), T(s))
    assert_same(out, ref_out)
    as_torch = {"scaled": T(cotangent["scaled"]),
                "parts": (T(cotangent["parts"][0]), [T(cotangent["parts"][1][0])])}
    assert_same(pullback(cotangent), ref_pullback(as_torch))


# ----- jvp of a container output -----------------------------------------------------

def test_jvp_of_a_dict_output_gives_tangents_in_its_structure():
    x, s, v = RNG.standard_normal(3), RNG.standard_normal(()), RNG.standard_normal(3)
    out, tangent = ad.jvp(lambda t: _tree_output(t, s), (x,), (v,))
    assert set(tangent) == {"scaled", "parts"} and isinstance(tangent["parts"][1], list)
    for name, part, piece in [("scaled", lambda o: o["scaled"], lambda t: ad.sin(t) * s),
                              ("total", lambda o: o["parts"][0], lambda t: t.sum() * s),
                              ("squares", lambda o: o["parts"][1][0], lambda t: t ** 2)]:
        np.testing.assert_allclose(part(out), np.asarray(piece(x).data), err_msg=name)
        np.testing.assert_allclose(part(tangent), ad.numerical_grad(piece, x) @ v, rtol=1e-6,
                                   err_msg=name)
    with pytest.raises(ValueError, match=r"jvp: the function returned an empty dict"):
        ad.jvp(lambda t: {}, (x,), (v,))


def test_jvp_of_a_dict_output_matches_torch_func():
    torch, T, assert_same = _torch()
    x, s, v = RNG.standard_normal((2, 1)), RNG.standard_normal(()), RNG.standard_normal((2, 1))

    def theirs(t):
        return {"scaled": torch.sin(t) * T(s), "parts": (t.sum() * T(s), [t ** 2])}

    assert_same(ad.jvp(lambda t: _tree_output(t, s), (x,), (v,)),
                torch.func.jvp(theirs, (T(x),), (T(v),)))
