"""Small PyTorch-parity pieces: ``where(cond)``, bfloat16 refusals, int seeds given as
``rng=``/``generator=``, checked against torch where it is installed."""

import numpy as np
import pytest

import autodiff as ad


CONDITIONS = [np.array([[True, False, True], [False, False, True]]),
              np.array([0.0, 2.0, 0.0, -1.0]), np.array(True), np.array(False),
              np.zeros((2, 0, 3), bool)]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: f"{c.dtype}{c.shape}")
def test_where_with_only_a_condition_matches_torch(condition):
    torch = pytest.importorskip("torch")
    ours = ad.where(ad.tensor(condition))
    theirs = torch.where(torch.from_numpy(condition))
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        assert isinstance(mine, ad.Tensor) and mine.dtype == np.int64
        assert mine.shape == tuple(expected.shape) and mine.tolist() == expected.tolist()


def test_where_with_only_a_condition_is_nonzero_and_the_three_argument_form_is_kept():
    x = ad.tensor(np.array([-1.0, 2.0, 3.0]), requires_grad=True)
    (positions,) = ad.where(x > 0)
    assert positions.tolist() == np.nonzero(x.data > 0)[0].tolist() == [1, 2]
    picked = ad.where(x > 0, x, 0.0)
    picked.sum().backward()
    assert picked.tolist() == [0.0, 2.0, 3.0] and x.grad.tolist() == [0.0, 1.0, 1.0]


def test_compile_refuses_where_with_only_a_condition_by_name():
    step = ad.compile(lambda x: (x * ad.where(x > 0)[0]).sum())
    with pytest.raises(ad.TraceError, match=r"ad\.where at .*depends on the values"):
        step(ad.tensor(np.array([1.0, -1.0, 2.0])))


@pytest.mark.parametrize("convert", [lambda t: t.bfloat16(), lambda t: t.to("bfloat16"),
                                     lambda t: t.to("cpu", dtype="bfloat16"),
                                     lambda t: t.to(dtype="bfloat16")])
def test_bfloat16_on_a_tensor_says_numpy_has_none_and_what_to_use(convert):
    t = ad.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"NumPy has no bfloat16.*half\(\).*float\(\)"):
        convert(t)


def test_torch_bfloat16_on_a_tensor_is_refused_with_the_same_advice():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"^to: NumPy has no bfloat16.*half\(\)"):
        ad.tensor([1.0]).to(torch.bfloat16)


@pytest.mark.parametrize("make, name", [
    (lambda seed: ad.nn.Linear(2, 3, rng=seed), "Linear"),
    (lambda seed: ad.nn.Dropout(0.5, rng=seed), "Dropout"),
    (lambda seed: ad.randn(3, generator=seed), "randn"),
    (lambda seed: ad.nn.init.normal_(ad.tensor(np.zeros(3)), rng=seed), "init.normal_"),
    (lambda seed: ad.nn.init.sparse_(np.zeros((3, 2)), 0.5, generator=seed), "init.sparse_"),
    (lambda seed: list(ad.data.RandomSampler(range(4), generator=seed)), "RandomSampler"),
])
def test_int_seeds_follow_manual_seeds_rule(make, name):
    for seed in (-2 ** 63 - 1, 2 ** 64, 2 ** 70):
        with pytest.raises(ValueError, match=rf"^{name}: the seed {seed} is out of range; "
                                             r"it must be an int from -2\*\*63 to 2\*\*64 - 1"):
            make(seed)
    make(-2 ** 63), make(2 ** 64 - 1)
    with pytest.raises(ValueError, match=r"^manual_seed: the seed .* is out of range; it must"):
        ad.manual_seed(2 ** 64)


def test_a_negative_int_seed_is_its_twos_complement_as_manual_seed():
    a = ad.nn.Linear(3, 2, rng=-1).weight.data
    b = ad.nn.Linear(3, 2, rng=2 ** 64 - 1).weight.data
    assert np.array_equal(a, b)
    assert not np.array_equal(a, ad.nn.Linear(3, 2, rng=1).weight.data)
    ad.manual_seed(-1)
    first = ad.randn(4)
    assert np.array_equal(first.data, ad.randn(4, generator=-1).data)


def _half_the_gradient(x):
    return (x * x.detach()).sum()           # the tape sees x, not x ** 2


def test_gradcheck_raise_exception_false_returns_false_as_torch():
    x = np.array([0.3, -1.2, 2.0])
    assert ad.gradcheck(_half_the_gradient, [x], raise_exception=False) is False
    assert ad.gradcheck(lambda t: (t * t).sum(), [x], raise_exception=False) is True
    with pytest.raises(ad.GradcheckError, match=r"input 0, entry \(2,\): analytic 2, "
                                                r"numerical 4"):
        ad.gradcheck(_half_the_gradient, [x])
    with pytest.raises(TypeError, match="no input is floating-point"):
        ad.gradcheck(lambda t: t, [np.array([1, 2])], raise_exception=False)
    torch = pytest.importorskip("torch")
    wrong = torch.tensor(x, requires_grad=True)
    assert torch.autograd.gradcheck(_half_the_gradient, [wrong], raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to "
                                           "input 0"):     # (torch's GradcheckError)
        torch.autograd.gradcheck(_half_the_gradient, [wrong])


def _cube_whose_backward_is_off_the_tape(function_base):
    class Cube(function_base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            constant = getattr(x, "detach", lambda: x)()    # (an ndarray outside create_graph)
            return grad * 3 * constant ** 2     # right first, zero second derivative
    return Cube.apply


def test_gradgradcheck_takes_grad_outputs_and_raise_exception():
    x = np.array([0.5, -1.0, 2.0])
    upstream = np.array([1.0, -2.0, 0.5])
    assert ad.gradgradcheck(lambda t: t ** 3, [x], grad_outputs=upstream)
    assert ad.gradgradcheck(lambda t: t ** 3, [x], (ad.tensor(upstream),))
    assert ad.gradgradcheck(lambda t: ad.sin(t) * t, [x], grad_outputs=upstream)
    cube = _cube_whose_backward_is_off_the_tape(ad.Function)
    assert ad.gradcheck(cube, [x])
    assert ad.gradgradcheck(cube, [x], grad_outputs=upstream, raise_exception=False) is False
    with pytest.raises(ad.GradcheckError, match=r"input 0, entry \(2, 2\): analytic 0, "
                                                r"numerical 6"):
        ad.gradgradcheck(cube, [x], grad_outputs=upstream)
    with pytest.raises(ValueError, match=r"grad_outputs has shape \(2,\).*output's shape \(3,\)"):
        ad.gradgradcheck(lambda t: t ** 3, [x], grad_outputs=np.ones(2))
    with pytest.raises(TypeError, match=r"grad_outputs must be an array.*eps="):
        ad.gradgradcheck(lambda t: t ** 3, [x], 1e-6)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda t: t ** 3, [xt], torch.tensor(upstream))
    torch_cube = _cube_whose_backward_is_off_the_tape(torch.autograd.Function)
    assert torch.autograd.gradgradcheck(torch_cube, [xt], torch.tensor(upstream),
                                        raise_exception=False) is False


@pytest.fixture
def print_defaults():
    yield
    ad.set_printoptions(profile="default")
    torch = __import__("sys").modules.get("torch")
    if torch is not None:
        torch.set_printoptions(profile="default")


def _values_text(text):
    return text[text.index("[") - 1:text.rindex("]") + 1].replace("\n", " ")


@pytest.mark.parametrize("values", [[1.0, -2.5, 1e-120], [1.0, -2.5, 1e10], [0.5, 3.0],
                                    [-1e-7, 2e5]])
@pytest.mark.parametrize("sci_mode", [True, False])
def test_sci_mode_and_precision_print_as_torch(values, sci_mode, print_defaults):
    torch = pytest.importorskip("torch")
    ad.set_printoptions(precision=3, sci_mode=sci_mode)
    torch.set_printoptions(precision=3, sci_mode=sci_mode)
    ours = repr(ad.tensor(np.array(values)))
    theirs = repr(torch.tensor(values, dtype=torch.float64))
    assert _values_text(ours) == _values_text(theirs)


def test_threshold_and_edgeitems_show_the_entries_torch_shows(print_defaults):
    torch = pytest.importorskip("torch")
    ad.set_printoptions(threshold=5, edgeitems=2)
    torch.set_printoptions(threshold=5, edgeitems=2)
    ours, theirs = repr(ad.tensor(np.arange(10))), repr(torch.arange(10))
    assert ours.split() == theirs.split() == ["tensor([0,", "1,", "...,", "8,", "9])"]
    ad.set_printoptions(profile="full")
    assert repr(ad.tensor(np.arange(1001))).count(",") == 1000


def test_print_options_leave_numpy_alone_and_profile_default_restores(print_defaults):
    before = repr(np.array([1.123456789, 2.0]))
    default = repr(ad.tensor([1.123456789, 2.0]))
    ad.set_printoptions(precision=2)
    assert repr(ad.tensor([1.123456789, 2.0])) == "tensor([1.12, 2.  ])"
    assert repr(ad.nn.Parameter(np.array([1.123456789]))).startswith("Parameter([1.12]")
    assert repr(np.array([1.123456789, 2.0])) == before
    ad.set_printoptions(sci_mode=True)                  # precision stays, as in torch
    assert repr(ad.tensor([1.5])) == "tensor([1.50e+00])"
    ad.set_printoptions(profile="short")
    assert repr(ad.tensor([1.123456789, 2.0])) == "tensor([1.12, 2.  ])"
    ad.set_printoptions(profile="default")
    assert repr(ad.tensor([1.123456789, 2.0])) == default
    ad.set_printoptions(linewidth=20)
    assert max(map(len, repr(ad.tensor(np.arange(12.0))).splitlines())) <= 20
    with np.printoptions(precision=3):                  # unset options follow NumPy's
        ad.set_printoptions(profile="default")
        assert repr(ad.tensor([1.123456789])) == "tensor([1.123])"


@pytest.mark.parametrize("kwargs, error", [
    ({"profile": "long"}, ValueError), ({"precision": -1}, ValueError),
    ({"threshold": 2.5}, ValueError), ({"sci_mode": "yes"}, TypeError),
    ({"linewidth": 0}, ValueError)])
def test_set_printoptions_refuses_bad_values_by_name(kwargs, error, print_defaults):
    name = next(iter(kwargs))
    with pytest.raises(error, match=rf"set_printoptions: {name}"):
        ad.set_printoptions(**kwargs)


LEGACY = ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("args", [([1, 0, 2],), ([[1.7, -2.0]],), (np.array([0.5, 3.0]),),
                                  (np.array(3.0),), (2, 3), (4,), ()],
                         ids=["ints", "floats", "array", "0-d array", "shape", "length", "none"])
def test_legacy_constructors_match_torch(name, args):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(ad, name)(*args), getattr(torch, name)(*args)
    assert isinstance(ours, ad.Tensor) and ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.numpy().dtype
    if args and not isinstance(args[0], int):           # (torch leaves a shape's uninitialised)
        assert ours.tolist() == theirs.tolist()
    else:
        assert not ours.data.any()                       # zeros here


@pytest.mark.parametrize("name", LEGACY)
def test_isinstance_of_a_legacy_constructor_checks_the_dtype_as_torch(name):
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64, np.int64, np.int32, np.bool_):
        ours = isinstance(ad.tensor(np.zeros(2, dtype)), getattr(ad, name))
        assert ours == isinstance(torch.from_numpy(np.zeros(2, dtype)), getattr(torch, name))
    assert not isinstance(np.zeros(2), getattr(ad, name))
    converted = ad.tensor([1.5, -2.0]).type(getattr(ad, name))
    assert converted.tolist() == torch.tensor([1.5, -2.0]).type(getattr(torch, name)).tolist()


def test_a_torch_size_is_a_shape_as_in_torch():
    torch = pytest.importorskip("torch")
    assert ad.LongTensor(torch.Size([2, 3])).shape == (2, 3)


def test_legacy_constructors_refuse_what_they_cannot_make_by_name():
    with pytest.raises(TypeError, match=r"FloatTensor: takes data .* got \(int, float\)"):
        ad.FloatTensor(2, 3.0)
    with pytest.raises(TypeError, match=r"FloatTensor: takes data .* got \(float\)"):
        ad.FloatTensor(2.5)
    with pytest.raises(TypeError, match=r"FloatTensor: a tuple of ints is ambiguous.*"
                                        r"FloatTensor\(\*shape\)"):
        ad.FloatTensor(ad.zeros(2, 3).shape)
    assert ad.FloatTensor(ad.zeros(2, 3).size()).shape == (2, 3)     # an ad.Size: a shape
    assert ad.FloatTensor((2.5, 1)).tolist() == [2.5, 1.0]     # not ints: data, as PyTorch
    with pytest.raises(ValueError, match="LongTensor: the data holds NaN"):
        ad.LongTensor(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"IntTensor: a negative dimension in the shape \(2, -1\)"):
        ad.IntTensor(2, -1)
    with pytest.raises(ValueError, match="DoubleTensor: device 'cuda' is not available"):
        ad.DoubleTensor([1.0], device="cuda")
    assert ad.DoubleTensor([1.0], device="cpu").tolist() == [1.0]


@pytest.mark.parametrize("shape, sparsity", [((100, 40), 0.1), ((7, 3), 0.5), ((5, 2), 0.0),
                                             ((4, 3), 1.0), ((9, 6), 0.34)])
def test_sparse_zeroes_per_column_as_torch(shape, sparsity):
    torch = pytest.importorskip("torch")
    ours = ad.nn.init.sparse_(ad.nn.Parameter(np.ones(shape)), sparsity, rng=0).data
    theirs = torch.nn.init.sparse_(torch.ones(shape, dtype=torch.float64), sparsity).numpy()
    assert ours.shape == theirs.shape
    assert (ours == 0).sum(axis=0).tolist() == (theirs == 0).sum(axis=0).tolist()


def test_sparse_draws_the_rest_from_a_normal_of_the_given_std():
    std = 0.05
    w = ad.nn.init.sparse_(ad.nn.Parameter(np.empty((400, 300))), 0.25, std=std, rng=3).data
    assert ((w == 0).sum(axis=0) == 100).all()
    kept = w[w != 0]
    assert kept.size == 300 * 300
    assert abs(kept.std() - std) < 0.01 * std and abs(kept.mean()) < 0.01 * std
    zero_rows = [set(np.flatnonzero(w[:, c] == 0)) for c in range(3)]
    assert zero_rows[0] != zero_rows[1] != zero_rows[2]            # chosen per column
    again = ad.nn.init.sparse_(np.empty((400, 300)), 0.25, std=std, generator=3)
    assert np.array_equal(again, w)


def test_sparse_on_a_linear_weight_and_its_transpose():
    layer = ad.nn.Linear(6, 4)                      # weight (in, out) = (6, 4)
    ad.nn.init.sparse_(layer.weight, 0.5, rng=0)
    assert ((layer.weight.data == 0).sum(axis=1) == 2).all()        # per input, as torch
    ad.nn.init.sparse_(layer.weight.data.T, 0.5, rng=0)            # PyTorch's (out, in)
    assert ((layer.weight.data == 0).sum(axis=1) == 2).all()        # the same pattern
    ad.nn.init.sparse_(layer.weight, 0.5, rng=0, layout="out_in")  # read as (out, in)
    assert ((layer.weight.data == 0).sum(axis=0) == 3).all()        # per output unit
    with pytest.raises(ValueError, match="init.sparse_: layout must be 'in_out'"):
        ad.nn.init.sparse_(layer.weight, 0.5, layout="out")


def test_sparse_refuses_what_torch_would_silently_misread():
    with pytest.raises(ValueError, match=r"init.sparse_: only 2-d .* shape \(2, 3, 4\)"):
        ad.nn.init.sparse_(np.zeros((2, 3, 4)), 0.1)
    with pytest.raises(ValueError, match="init.sparse_: sparsity is the fraction .* got -0.1"):
        ad.nn.init.sparse_(np.zeros((2, 3)), -0.1)
    with pytest.raises(ValueError, match="init.sparse_: std must be >= 0"):
        ad.nn.init.sparse_(np.zeros((2, 3)), 0.1, std=-1.0)
