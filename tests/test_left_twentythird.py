"""Tied weights in state dicts, no_grad inside forward-mode transforms, logcumsumexp's
name in the tools, integer inputs to Linear, SciPy's exprel and pseudo_huber slopes,
and the forgotten-zero_grad hint with two optimizers."""

import decimal
import warnings

import numpy as np
import pytest
from scipy import special

import autodiff as ad
from autodiff import nn


# ---- 1. tied weights: state_dict lists each name, as PyTorch's

def _tied(lib, linear_args=(2, 2)):
    class Tied(lib.Module):
        def __init__(self):
            super().__init__()
            shared = lib.Linear(*linear_args)
            self.a = shared
            self.b = shared                                 # a module used twice
            self.c = lib.Linear(*linear_args)
            self.d = lib.Linear(*linear_args)
            self.d.weight = self.c.weight                   # a shared Parameter
            self.e = lib.BatchNorm1d(2)
            self.f = self.e                                 # a shared buffer too
    return Tied()


def _names(pairs):
    return [name for name, _ in pairs]


def test_tied_modules_and_parameters_are_listed_as_pytorch_lists_them():
    torch = pytest.importorskip("torch")
    ours, theirs = _tied(nn), _tied(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "b.weight" in ours.state_dict() and "d.weight" in ours.state_dict()
    for method in ("named_parameters", "named_modules", "named_buffers"):
        for remove in (True, False):
            assert (_names(getattr(ours, method)(remove_duplicate=remove))
                    == _names(getattr(theirs, method)(remove_duplicate=remove))), \
                (method, remove)
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 7
    assert len(list(ours.buffers())) == len(list(theirs.buffers())) == 3


def test_a_tied_state_dict_round_trips_and_the_ties_stay():
    source, target = _tied(nn), _tied(nn)
    state = source.state_dict()
    np.testing.assert_array_equal(state["a.weight"], state["b.weight"])
    assert target.load_state_dict(state, strict=True) == ([], [])
    assert target.a is target.b and target.d.weight is target.c.weight
    np.testing.assert_array_equal(target.b.weight.data, source.a.weight.data)
    np.testing.assert_array_equal(target.d.weight.data, source.c.weight.data)
    # the deduplicated state an older state_dict() gave misses PyTorch's keys
    with pytest.raises(KeyError, match=r"missing keys \['b\.weight', 'b\.bias'"):
        target.load_state_dict({k: v for k, v in state.items()
                                if not k.startswith(("b.", "f."))
                                and k != "d.weight"})


def test_a_tied_model_moves_to_pytorch_and_back_with_pytorch_s_keys():
    torch = pytest.importorskip("torch")
    ours, theirs = _tied(nn), _tied(torch.nn).double()
    exported = ours.to_torch_state_dict()
    assert list(exported) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in exported.items()},
                           strict=True)
    x = np.random.default_rng(0).normal(size=(4, 2))
    for model in (ours, theirs):
        model.eval()
    np.testing.assert_allclose(ours.d(ours.b(x)).data,
                               theirs.d(theirs.b(torch.from_numpy(x))).detach().numpy(),
                               rtol=1e-12)
    back = _tied(nn)
    assert back.load_torch_state_dict(theirs.state_dict(), strict=True) == ([], [])
    assert back.a is back.b and back.d.weight is back.c.weight
    np.testing.assert_array_equal(back.c.weight.data, ours.c.weight.data)


# ---- 2. a part computed under no_grad has no tangent in forward mode

def _partly_constant(x):
    with ad.no_grad():
        constant = x * 3
    return x * 2 + constant


def test_forward_transforms_give_no_tangent_to_a_part_computed_under_no_grad():
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    for value, tangent in (ad.jvp(_partly_constant, (x,), (v,)),
                           ad.func.jvp(_partly_constant, (x,), (v,))):
        np.testing.assert_array_equal(value, 5 * x)
        np.testing.assert_array_equal(tangent, 2 * v)
    value, tangent = ad.autograd.functional.jvp(_partly_constant, (ad.tensor(x),),
                                                (ad.tensor(v),))
    np.testing.assert_array_equal(value.data, 5 * x)
    np.testing.assert_array_equal(tangent.data, 2 * v)
    np.testing.assert_array_equal(np.asarray(ad.func.jacfwd(_partly_constant)(x)),
                                  2 * np.eye(2))


def test_the_no_grad_tangent_is_torch_autograd_functional_s_and_not_torch_func_s():
    torch = pytest.importorskip("torch")

    def f(x):
        with torch.no_grad():
            constant = x * 3
        return x * 2 + constant
    x, v = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    ours = ad.jvp(_partly_constant, (x,), (v,))[1]
    functional = torch.autograd.functional.jvp(f, torch.tensor(x), torch.tensor(v))[1]
    np.testing.assert_array_equal(ours, functional.numpy())
    func = torch.func.jvp(f, (torch.tensor(x),), (torch.tensor(v),))[1]
    np.testing.assert_array_equal(func.numpy(), 5 * v)    # the difference the README lists


def test_the_readme_lists_the_no_grad_difference():
    from pathlib import Path
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert "`torch.func.jvp` and `torch.func.jacfwd` ignore `no_grad`" in readme


# ---- 3. logcumsumexp is named as written; np.logaddexp.accumulate as NumPy's

def _loss(spelling):
    w = nn.Parameter(np.array([0.5, -1.0, 2.0]), name="w")
    return {"method": lambda: w.logcumsumexp(0), "function": lambda: ad.logcumsumexp(w, 0),
            "numpy": lambda: np.logaddexp.accumulate(w)}[spelling]().sum(), w


@pytest.mark.parametrize("spelling,name", [("method", "logcumsumexp"),
                                           ("function", "logcumsumexp"),
                                           ("numpy", "logaddexp_accumulate")])
def test_the_graph_tools_name_the_op_as_the_user_wrote_it(spelling, name):
    loss, w = _loss(spelling)
    assert f"= {name}(w" in ad.viz.text(loss)
    assert f"<B>{name}</B>" in ad.viz.draw(loss).source
    camel = "".join(part.title() for part in name.split("_")) + "Backward0"
    assert type(loss.grad_fn.next_functions[0][0]).__name__ == camel or \
        camel in repr(loss.grad_fn.next_functions[0][0])
    other = {"logcumsumexp": "logaddexp_accumulate",
             "logaddexp_accumulate": "logcumsumexp"}[name]
    assert other not in ad.viz.text(loss)


def test_detect_anomaly_names_logcumsumexp_and_the_gradient_is_torch_s():
    torch = pytest.importorskip("torch")
    w = nn.Parameter(np.array([0.0, np.nan, 1.0]), name="w")
    with pytest.raises(RuntimeError, match=r"^logcumsumexp: the backward pass produced NaN"):
        with ad.detect_anomaly():
            w.logcumsumexp(0).sum().backward()
    values = np.array([[0.5, -1.0, 2.0], [3.0, -np.inf, 0.0]])
    ours = ad.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    weights = np.arange(6.0).reshape(2, 3)
    (ours.logcumsumexp(1) * weights).sum().backward()
    (torch.logcumsumexp(theirs, 1) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a NaN passes silently, as PyTorch's
        assert np.isnan(ad.tensor([1.0, np.nan]).logcumsumexp(0).data[1])


def test_logcumsumexp_keeps_its_forward_mode_tangent_dtype_and_second_order():
    x = np.array([0.3, -1.0, 2.0])
    hessian = np.asarray(ad.func.hessian(lambda t: t.logcumsumexp(0).sum())(x))
    step = 1e-5
    gradient = ad.func.grad(lambda t: t.logcumsumexp(0).sum())
    numeric = np.stack([(np.asarray(gradient(x + step * e)) - np.asarray(gradient(x - step * e)))
                        / (2 * step) for e in np.eye(3)])
    np.testing.assert_allclose(hessian, numeric, rtol=1e-7, atol=1e-9)
    primal = x.astype(np.float32)
    tangent = ad.jvp(lambda t: t.logcumsumexp(0), (primal,), (np.ones(3, np.float32),))[1]
    assert tangent.dtype == np.float32
    np.testing.assert_allclose(tangent, np.asarray(ad.func.jacfwd(
        lambda t: t.logcumsumexp(0))(x)).sum(axis=1), rtol=1e-6)


# ---- 4. an integer input to Linear is refused, as PyTorch refuses it

@pytest.mark.parametrize("dtype,conversion", [(np.float64, "x.double()"),
                                              (np.float32, "x.float()")])
@pytest.mark.parametrize("given", [np.int64, np.int32, np.bool_])
def test_linear_refuses_an_integer_input_naming_the_layer_dtypes_and_conversion(
        dtype, conversion, given):
    layer = nn.Linear(2, 3, dtype=dtype)
    for x in (ad.tensor(np.ones((4, 2), dtype=given)), np.ones((4, 2), dtype=given)):
        with pytest.raises(TypeError, match=rf"^Linear\(2, 3\): the input is "
                                            rf"{np.dtype(given)} but the layer's parameters "
                                            rf"are {np.dtype(dtype)}.*{conversion}"):
            layer(x)
    assert layer(np.ones((4, 2), dtype=dtype)).dtype == dtype


def test_pytorch_refuses_an_integer_input_to_linear_and_conv_too():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.nn.Linear(2, 3)(torch.ones(4, 2, dtype=torch.int64))
    with pytest.raises(RuntimeError):
        torch.nn.Conv1d(1, 1, 2)(torch.ones(1, 1, 4, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"int64"):
        nn.Conv1d(1, 1, 2)(ad.tensor(np.ones((1, 1, 4), dtype=np.int64)))


# ---- 5. SciPy's exprel and pseudo_huber slopes

def _exprel_slope_exact(u):
    decimal.getcontext().prec = 50
    u = decimal.Decimal(u)
    return float((u.exp() * (u - 1) + 1) / (u * u))


@pytest.mark.parametrize("u", [1.5, 30.0, 700.0, 709.9, 712.0, 716.0])
def test_exprel_slope_is_finite_and_silent_where_e_to_the_u_overflows(u):
    x = ad.tensor([u], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # NumPy's overflow warning was raised here
        special.exprel(x).sum().backward()
    np.testing.assert_allclose(x.grad[0], _exprel_slope_exact(u), rtol=1e-13)


def test_exprel_slope_is_inf_silently_where_it_overflows():
    x = ad.tensor([720.0, 2000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        special.exprel(x).sum().backward()
    assert np.isposinf(x.grad).all()


@pytest.mark.parametrize("delta,r", [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (0.0, -2.0)])
def test_pseudo_huber_slopes_at_zero_are_their_limits(delta, r):
    d, x = ad.tensor(delta, requires_grad=True), ad.tensor(r, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        special.pseudo_huber(d, x).backward()
    # the limits along delta -> 0+ and r -> 0 of r^4 / (h (h + delta)^2), r delta / h
    tiny = 1e-60
    h = np.hypot(delta + tiny, r + tiny)
    assert float(d.grad) == pytest.approx((r + tiny) ** 4 / (h * (h + delta + tiny) ** 2),
                                          abs=1e-12)
    assert float(x.grad) == pytest.approx((r + tiny) * (delta + tiny) / h, abs=1e-12)


def test_pseudo_huber_slope_at_zero_is_huber_loss_s_in_pytorch():
    torch = pytest.importorskip("torch")
    for delta in (0.0, 1.0):
        r = ad.tensor(0.0, requires_grad=True)
        special.pseudo_huber(delta, r).backward()
        theirs = torch.tensor(0.0, requires_grad=True)
        torch.nn.functional.huber_loss(theirs, torch.tensor(0.0),
                                       delta=max(delta, 1e-6)).backward()
        assert float(r.grad) == float(theirs.grad) == 0.0


# ---- 6. the forgotten-zero_grad hint, per array

def _caught(run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [str(w.message) for w in caught if "no zero_grad()" in str(w.message)]


def test_one_optimizer_s_zero_grad_does_not_hide_the_other_s_forgotten_one():
    a = ad.tensor([1.0], requires_grad=True)
    b = ad.tensor([2.0], requires_grad=True)
    zeroing, forgetting = ad.optim.SGD([a], lr=0.1), ad.optim.SGD([b], lr=0.1)

    def run():
        for _ in range(3):
            zeroing.zero_grad(set_to_none=False)
            ((a * b) ** 2).sum().backward()
            zeroing.step()
            forgetting.step()
    messages = _caught(run)
    assert len(messages) == 1 and messages[0].startswith("SGD.step: the .grad of parameter")


def test_np_copyto_zeros_counts_as_zeroing_and_a_partial_one_does_not():
    def loop(zero):
        c = ad.tensor([1.0, 2.0], requires_grad=True)
        opt = ad.optim.SGD([c], lr=0.1)
        for _ in range(3):
            (c * 2).sum().backward()
            opt.step()
            zero(c.grad)
    assert _caught(lambda: loop(lambda g: np.copyto(g, 0))) == []
    assert _caught(lambda: loop(lambda g: np.copyto(g, 0.0, casting="same_kind"))) == []
    assert len(_caught(lambda: loop(lambda g: np.copyto(g, 0, where=np.array([True, False]))))) == 1
    assert len(_caught(lambda: loop(lambda g: np.copyto(g, 1.0)))) == 1
