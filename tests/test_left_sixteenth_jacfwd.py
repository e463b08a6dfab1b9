"""``ad.func.jacfwd(f, randomness=)`` and ``ad.func.hessian`` with a random draw inside
``f``, as ``torch.func``'s: PyTorch's jacfwd is a vmap over the Jacobian's columns, so
under 'error' (the default) a draw raises, under 'same' one draw serves every column
and under 'different' each column draws anew (the aux of the first column with
``has_aux``); its hessian runs jacfwd with the default and refuses a draw too.  The
library ran the function once whatever the mode: one draw for every column, silently,
under 'error' and 'different'.  Also: the aux of ``has_aux=True`` comes back from every
``ad.func`` transform as the function returned it (its Tensors were arrays)."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff import func


def _scaled_by_a_draw(x):
    return x * ad.rand(3)


def _draws(count, seed=0):
    ad.manual_seed(seed)
    return [ad.rand(3).data for _ in range(count)]


def test_a_draw_under_the_default_error_mode_raises_naming_its_line_and_the_way_out():
    with pytest.raises(RuntimeError) as raised:
        func.jacfwd(_scaled_by_a_draw)(ad.ones(3))
    message = str(raised.value)
    assert "jacfwd(_scaled_by_a_draw): called a random operation" in message
    draw_line = _scaled_by_a_draw.__code__.co_firstlineno + 1          # the ad.rand line
    assert f"test_left_sixteenth_jacfwd.py:{draw_line}" in message
    assert "randomness='same'" in message and "randomness='different'" in message
    ad.rand(1)                  # the mode ends with the call, even when it raised


def test_same_draws_once_for_every_column():
    first = _draws(1)[0]
    ad.manual_seed(0)
    jacobian = func.jacfwd(_scaled_by_a_draw, randomness="same")(ad.ones(3))
    np.testing.assert_array_equal(jacobian.data, np.diag(first))


def test_different_draws_anew_for_each_column():
    draws = _draws(3)
    ad.manual_seed(0)
    jacobian = func.jacfwd(_scaled_by_a_draw, randomness="different")(ad.ones(3))
    # column j is e_j scaled by the j-th draw, as PyTorch's vmap(randomness='different')
    np.testing.assert_array_equal(jacobian.data, np.diag([d[j] for j, d in enumerate(draws)]))
    assert ad.rand(3).data.tolist() == _draws(4)[3].tolist()    # three draws were made


def test_different_gives_the_first_columns_aux_and_splits_several_argnums():
    def scaled(x, y):
        r = ad.rand(())
        return (x * y * r, (x * y).sum()), r

    ad.manual_seed(0)
    draws = [ad.rand(()).data for _ in range(4)]
    ad.manual_seed(0)
    x, y = ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])
    (products, sums), aux = func.jacfwd(scaled, (0, 1), has_aux=True,
                                        randomness="different")(x, y)
    np.testing.assert_array_equal(np.asarray(aux), draws[0])
    np.testing.assert_allclose(products[0].data, np.diag([3 * draws[0], 4 * draws[1]]))
    np.testing.assert_allclose(products[1].data, np.diag([1 * draws[2], 2 * draws[3]]))
    np.testing.assert_array_equal(sums[0].data, [3.0, 4.0])
    np.testing.assert_array_equal(sums[1].data, [1.0, 2.0])


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_different_without_draws_equals_the_one_run_jacobian(argnums):
    def f(x, y):
        return {"a": ad.sin(x) * y.sum(), "b": (x[:, None] * y).reshape(-1)}

    x, y = ad.tensor([0.3, -1.2, 2.0]), ad.tensor([[0.5, 1.5], [2.0, -1.0]])
    per_column = func.jacfwd(lambda a, b: f(a, b[0]), argnums, randomness="different")(x, y)
    together = func.jacfwd(lambda a, b: f(a, b[0]), argnums)(x, y)
    flat_columns, flat_together = (ad.pytrees.flatten(j)[0] for j in (per_column, together))
    assert len(flat_columns) == len(flat_together)
    for a, b in zip(flat_columns, flat_together):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.data, b.data, rtol=1e-14, atol=1e-14)


def test_different_takes_dict_and_list_arguments_in_their_structure():
    def f(params, x):
        return params["w"] * x + params["b"][0].sum()

    params, x = {"w": ad.tensor([1.0, 2.0]), "b": [ad.tensor([0.5, 0.25])]}, ad.ones(2)
    for argnums in (0, (0, 1)):
        per_column = func.jacfwd(f, argnums, randomness="different")(params, x)
        together = func.jacfwd(f, argnums)(params, x)
        flat_columns, flat_together = (ad.pytrees.flatten(j)[0]
                                       for j in (per_column, together))
        assert len(flat_columns) == len(flat_together)
        for a, b in zip(flat_columns, flat_together):
            np.testing.assert_array_equal(a.data, b.data)
    ad.manual_seed(0)
    draws = [ad.rand(()).data for _ in range(2)]
    ad.manual_seed(0)
    jacobian = func.jacfwd(lambda p: p["w"] * ad.rand(()), randomness="different")(params)
    np.testing.assert_array_equal(jacobian["w"].data, np.diag(draws))


def test_hessian_refuses_a_draw_as_pytorch_does():
    with pytest.raises(RuntimeError, match=r"hessian\(<lambda>\): called a random operation"
                                           r".*jacfwd\(jacrev\(f\), randomness="):
        func.hessian(lambda x: (x * ad.rand(3)).sum() ** 2)(ad.ones(3))
    np.testing.assert_allclose(func.hessian(lambda x: (x ** 3).sum())(ad.ones(2)).data,
                               np.diag([6.0, 6.0]))


def test_vmap_names_the_draws_line_too():
    with pytest.raises(RuntimeError, match=r"vmap\(<lambda>\): called a random operation "
                                           r"while in randomness 'error' mode \(the default\), "
                                           r"at test_left_sixteenth_jacfwd.py:\d+"):
        ad.vmap(lambda x: x + ad.rand(2))(np.ones((3, 2)))


def test_the_modes_against_pytorch():
    torch = pytest.importorskip("torch")

    def torch_f(x):
        return x * torch.rand(3)

    with pytest.raises(RuntimeError, match="randomness"):
        torch.func.jacfwd(torch_f)(torch.ones(3))
    torch.manual_seed(0)
    rows = torch.rand(3, 3)
    for mode, expected in [("same", torch.diag(rows[0])),
                           ("different", torch.diag(torch.diagonal(rows)))]:
        torch.manual_seed(0)
        torch.testing.assert_close(torch.func.jacfwd(torch_f, randomness=mode)(torch.ones(3)),
                                   expected)
    # the library's draws come from its own generator: the same pattern of draws
    draws = _draws(3)
    for mode, expected in [("same", np.diag(draws[0])),
                           ("different", np.diag([d[j] for j, d in enumerate(draws)]))]:
        ad.manual_seed(0)
        np.testing.assert_array_equal(
            func.jacfwd(_scaled_by_a_draw, randomness=mode)(ad.ones(3)).data, expected)


# ----- the aux of has_aux=True ------------------------------------------------------------
# (torch.func returns the function's aux Tensors as Tensors; ad.func's transforms gave
# them back as arrays, where their other results are Tensors for Tensor arguments)

def _loss_with_aux(x):
    scale = ad.tensor(2.0)
    return (x * scale).sum(), {"scale": scale, "note": "kept"}


@pytest.mark.parametrize("transform", [
    lambda x: func.grad(_loss_with_aux, has_aux=True)(x)[1],
    lambda x: func.jacrev(_loss_with_aux, has_aux=True)(x)[1],
    lambda x: func.jacfwd(_loss_with_aux, has_aux=True)(x)[1],
    lambda x: func.jacfwd(_loss_with_aux, has_aux=True, randomness="different")(x)[1],
    lambda x: func.vjp(_loss_with_aux, x, has_aux=True)[2],
    lambda x: func.jvp(_loss_with_aux, (x,), (ad.ones(2),), has_aux=True)[2],
    lambda x: func.grad_and_value(_loss_with_aux, has_aux=True)(x)[1][1],
], ids=["grad", "jacrev", "jacfwd", "jacfwd-different", "vjp", "jvp", "grad_and_value"])
def test_the_aux_comes_back_as_the_function_returned_it(transform):
    aux = transform(ad.ones(2))
    assert isinstance(aux["scale"], ad.Tensor) and aux["scale"].item() == 2.0
    assert aux["note"] == "kept"


def test_with_arrays_the_aux_stays_an_array():
    aux = func.grad(_loss_with_aux, has_aux=True)(np.ones(2))[1]
    assert type(aux["scale"]) is np.ndarray
