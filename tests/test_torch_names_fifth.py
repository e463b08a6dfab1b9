"""PyTorch's top-level names added in a fifth round (``ad.conv2d``, ``ad.batch_norm``,
``ad.embedding``, the window functions, ``ad.rsub`` ... ``ad.slice_scatter``, the in-place
functions ``ad.exp_`` ...) and the ``F``/``nn`` ones (``F.max_pool2d_with_indices``,
``F.upsample_bilinear``, ``F.lp_pool3d``, ``nn.Buffer`` ...).

Each case is one function ``f(lib, *inputs)`` called with ``lib`` = ``ad`` and ``torch``
on the same float64 inputs: the same values, dtypes and shapes, and, through a random
cotangent, the same gradients for every float input.  The torch-free tests check the new
differentiable code against central finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

R = np.random.default_rng(5)


def r(*shape):
    return R.standard_normal(shape)


def positive(*shape):
    return R.uniform(0.5, 2.0, shape)


class Const:
    """An input that is passed as is (no gradient asked for): indices, masks, targets."""

    def __init__(self, array):
        self.array = np.asarray(array)


def _inputs(lib, arrays):
    torch = pytest.importorskip("torch")
    made = []
    for a in arrays:
        value = a.array if isinstance(a, Const) else a
        wants_grad = not isinstance(a, Const) and value.dtype.kind == "f"
        if lib is ad:
            made.append(ad.tensor(value.copy(), requires_grad=wants_grad))
        else:
            made.append(torch.tensor(value.copy(), requires_grad=wants_grad))
    return made


def _leaves(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def check(function, *arrays, rtol=1e-10, atol=1e-12, grad=True):
    """``function(ad, *inputs)`` against ``function(torch, *inputs)``: values, then
    gradients of ``sum(output * cotangent)``."""
    torch = pytest.importorskip("torch")
    ours_in, theirs_in = _inputs(ad, arrays), _inputs(torch, arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _leaves(function(ad, *ours_in)), _leaves(function(torch, *theirs_in))
    assert len(ours) == len(theirs)
    loss_ours, loss_theirs = None, None
    for o, t in zip(ours, theirs):
        expected = t.detach().numpy()
        assert o.shape == expected.shape and o.dtype == expected.dtype, (o, t)
        np.testing.assert_allclose(o.data, expected, rtol=rtol, atol=atol)
        if grad and t.requires_grad:
            cotangent = R.standard_normal(expected.shape)
            term_ours = (o * ad.tensor(cotangent)).sum()
            term_theirs = (t * torch.tensor(cotangent)).sum()
            loss_ours = term_ours if loss_ours is None else loss_ours + term_ours
            loss_theirs = term_theirs if loss_theirs is None else loss_theirs + term_theirs
    if loss_theirs is None:
        return
    loss_ours.backward()
    loss_theirs.backward()
    for o, t in zip(ours_in, theirs_in):
        if t.requires_grad:
            expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            got = np.zeros(o.shape) if o.grad is None else np.asarray(o.grad)
            np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-10)


def same(name, *arguments, **keywords):
    """``lib.<name>(*inputs, *arguments, **keywords)``."""
    return lambda lib, *inputs: getattr(lib, name)(*inputs, *arguments, **keywords)


SIGNS = Const(np.array([1.0, -1.0, 1.0, -1.0, 1.0]))

FUNCTIONAL_CASES = [
    (same("conv1d", None, 2, 1), r(2, 3, 7), r(4, 3, 3)),
    (same("conv1d"), r(3, 7), r(4, 3, 3), r(4)),                      # unbatched
    (same("conv2d", padding=1), r(2, 2, 5, 5), r(3, 2, 3, 3), r(3)),
    (same("conv2d", groups=2), r(4, 5, 5), r(2, 2, 3, 3)),
    (same("conv3d"), r(1, 2, 4, 4, 4), r(2, 2, 2, 2, 2)),
    (same("conv_transpose1d", None, 2), r(2, 3, 5), r(3, 2, 3)),
    (same("conv_transpose2d", stride=2, output_padding=1), r(1, 3, 4, 4), r(3, 2, 3, 3),
     r(2)),
    (same("conv_transpose3d"), r(1, 2, 3, 3, 3), r(2, 1, 2, 2, 2)),
    (same("layer_norm", (4, 5)), r(3, 4, 5)),
    (lambda lib, x, w, b: lib.layer_norm(x, (5,), w, b, 1e-3), r(3, 4, 5), r(5), r(5)),
    (lambda lib, x, w, b: lib.group_norm(x, 3, w, b), r(2, 6, 3), r(6), r(6)),
    (lambda lib, x, w, b: lib.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     r(4, 3, 2), r(3), r(3)),
    (lambda lib, x, w, b, mean, var: lib.batch_norm(x, w, b, mean, var, False, 0.1, 1e-5,
                                                    False),
     r(4, 3), r(3), r(3), Const(r(3)), Const(positive(3))),
    (lambda lib, x, w, b: lib.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False),
     r(2, 3, 5), r(3), r(3)),
    (lambda lib, x, w: lib.rms_norm(x, (4,), w, 1e-6), r(3, 4), r(4)),
    (same("rms_norm", [4]), r(3, 4)),
    (same("dropout", 0.3, False), r(3, 4)),
    (same("alpha_dropout", 0.3, False), r(3, 4)),
    (same("feature_alpha_dropout", 0.3, False), r(2, 3, 4)),
    (same("embedding"), r(5, 3), Const([[0, 2], [4, 2]])),
    (same("embedding", 2), r(5, 3), Const([0, 2, 2, 1])),             # padding_idx
    (same("max_pool1d", 3, 2, 1), r(2, 3, 8)),
    (same("max_pool1d", 2), r(3, 8)),
    (same("max_pool2d", 2), r(2, 2, 6, 6)),
    (same("max_pool2d", (2, 3), ceil_mode=True), r(2, 5, 7)),
    (same("max_pool3d", 2), r(1, 2, 4, 4, 4)),
    (same("max_pool1d_with_indices", 2), r(2, 3, 8)),
    (same("avg_pool1d", 3, 2, 1, count_include_pad=False), r(2, 3, 7)),
    (same("adaptive_avg_pool1d", 3), r(2, 3, 7)),
    (same("adaptive_avg_pool1d", 2), r(3, 7)),
    (same("adaptive_max_pool1d", 3), r(2, 3, 7)),
    (same("celu", alpha=0.7), r(3, 4)),
    (same("celu"), r()),
    (same("selu"), r(5)),
    (same("prelu"), r(2, 3, 4), positive(3)),
    (same("rrelu", 0.1, 0.3), r(3, 4)),
    (same("threshold", 0.1, -2.0), r(3, 4)),
    (same("hardshrink", lambd=0.3), r(3, 4)),
    (same("hardshrink"), r()),
    (same("pixel_shuffle", 2), r(1, 8, 2, 3)),
    (same("pixel_unshuffle", 2), r(1, 2, 4, 6)),
    (same("bilinear"), r(3, 2), r(3, 4), r(5, 2, 4), r(5)),
    (same("kl_div"), r(3, 4), positive(3, 4)),
    (same("kl_div", 1), r(3, 4), positive(3, 4)),
    (same("kl_div", 2, log_target=True), r(3, 4), r(3, 4)),
    (same("cosine_embedding_loss", 0.2), r(5, 3), r(5, 3), SIGNS),
    (same("cosine_embedding_loss", reduction=1), r(5, 3), r(5, 3), SIGNS),
    (same("triplet_margin_loss", swap=True), r(4, 3), r(4, 3), r(4, 3)),
    (same("triplet_margin_loss", 0.5, 1.0, reduction=2), r(4, 3), r(4, 3), r(4, 3)),
    (same("margin_ranking_loss", 0.1), r(5), r(5), SIGNS),
    (same("hinge_embedding_loss", 0.5, 1), r(5), SIGNS),
    (same("poisson_nll_loss", True, False, 1e-8, 1), r(5), positive(5)),
    (same("poisson_nll_loss", False, True, 1e-8, 0), positive(5), positive(5)),
    (lambda lib, x: lib.ctc_loss(lib.log_softmax(x, 2), lib.tensor([[1, 2, 1], [3, 3, 0]]),
                                 [6, 5], [3, 2]), r(6, 2, 4)),
    (lambda lib, x: lib.ctc_loss(lib.log_softmax(x, 2), lib.tensor([[1, 2, 1], [3, 3, 0]]),
                                 [6, 5], [3, 2], 0, 1), r(6, 2, 4)),
    (same("binary_cross_entropy_with_logits"), r(3, 4), Const(R.uniform(size=(3, 4)))),
    (same("binary_cross_entropy_with_logits", reduction=1), r(3, 4),
     Const(R.uniform(size=(3, 4))), Const(positive(3, 4)), Const(positive(4))),
    (same("constant_pad_nd", (1, 2, -1, 1), 0.5), r(2, 3)),
    (same("constant_pad_nd", (2, 0)), r(4)),
]


@pytest.mark.parametrize("case", range(len(FUNCTIONAL_CASES)))
def test_functional_forms_agree_with_torch(case):
    function, *arrays = FUNCTIONAL_CASES[case]
    check(function, *arrays)


def test_functional_forms_take_torchs_arguments():
    torch = pytest.importorskip("torch")
    import inspect
    names = ("batch_norm instance_norm layer_norm group_norm rms_norm dropout alpha_dropout "
             "feature_alpha_dropout embedding poisson_nll_loss kl_div ctc_loss "
             "binary_cross_entropy_with_logits constant_pad_nd threshold celu rrelu").split()
    for name in names:
        schema = torch._C._jit_get_schemas_for_operator(f"aten::{name}")[0]
        theirs = [argument.name for argument in schema.arguments]
        ours = [p for p in inspect.signature(getattr(ad, name)).parameters]
        ours = ["self" if p == "input" and "self" in theirs else p for p in ours]
        assert ours == theirs, (name, ours, theirs)
    assert ad.dropout(ad.ones(3), 1.0, False).data.tolist() == [1.0, 1.0, 1.0]
    assert float(ad.dropout(ad.ones(3), 1.0, True).sum()) == 0.0
    with pytest.raises(TypeError):
        ad.dropout(ad.ones(3), 0.5)                       # train is required, as PyTorch's
    with pytest.raises(ValueError, match="reduction"):
        ad.kl_div(ad.ones(2), ad.ones(2), 3)
    table = ad.ones((3, 2), requires_grad=True)
    ad.embedding(table, ad.tensor([0, 0, 2]), -1, True).sum().backward()   # by frequency
    np.testing.assert_array_equal(table.grad, [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows_agree_with_torch(name):
    torch = pytest.importorskip("torch")
    for length in (0, 1, 2, 3, 7, 16, 51):
        for periodic in (True, False):
            for dtype, torch_dtype, tolerance in ((ad.float64, torch.float64, 1e-13),
                                                  (ad.float32, torch.float32, 1e-6)):
                ours = getattr(ad, name)(length, periodic, dtype=dtype)
                theirs = getattr(torch, name)(length, periodic, dtype=torch_dtype).numpy()
                assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
                np.testing.assert_allclose(ours.data, theirs, rtol=0, atol=tolerance)
        assert np.allclose(getattr(ad, name)(8).data,                 # periodic by default
                           getattr(torch, name)(8, dtype=torch.float64).numpy())
    np.testing.assert_allclose(ad.kaiser_window(9, False, 5.0).data,
                               torch.kaiser_window(9, False, 5.0, dtype=torch.float64).numpy(),
                               atol=1e-13)
    np.testing.assert_allclose(ad.hamming_window(9, True, 0.6, 0.3).data,
                               torch.hamming_window(9, True, 0.6, 0.3,
                                                    dtype=torch.float64).numpy(), atol=1e-13)


def test_windows_refuse_what_torch_refuses():
    with pytest.raises(ValueError, match="floating point"):
        ad.hann_window(4, dtype=ad.int64)
    with pytest.raises(ValueError, match="non-negative"):
        ad.blackman_window(-1)
    assert ad.hann_window(4).dtype == ad.get_default_dtype()
    assert ad.hann_window(3, requires_grad=True).requires_grad


TRIANGLE = np.sort(R.uniform(0, 3, 5))

ASSORTED_CASES = [
    (same("rsub", alpha=2), r(3, 4), r(4)),
    (same("rsub", 2.0), r(3)),
    (same("rsub"), r(), r()),
    (same("fill"), r(3, 4), r()),
    (same("fill", 2.5), r(2, 3)),
    (same("detach"), r(3)),
    (same("adjoint"), r(2, 3, 4)),
    (same("adjoint"), r(3, 3)),
    (same("adjoint"), r()),
    (same("ger"), r(3), r(4)),
    (same("addr", beta=0.5, alpha=2.0), r(3, 4), r(3), r(4)),
    (same("addr"), r(4), r(3), r(4)),
    (same("addbmm", beta=0.5, alpha=-1.5), r(3, 4), r(5, 3, 2), r(5, 2, 4)),
    (same("addbmm"), r(), r(2, 3, 2), r(2, 2, 4)),
    (same("chain_matmul"), r(2, 3), r(3, 4), r(4, 2)),
    (same("chain_matmul"), r(2, 3)),
    (same("matrix_power", 3), r(3, 3)),
    (same("matrix_power", 0), r(2, 3, 3)),
    (same("matrix_power", -2), np.eye(3) * 2 + r(3, 3) * 0.1),
    (same("renorm", 2, 0, 1.0), r(4, 3)),
    (same("renorm", 1, 1, 0.5), r(4, 3)),
    (same("trapz"), r(3, 5)),
    (same("trapz", dim=0), r(3, 5)),
    (same("trapz"), r(3, 5), TRIANGLE),
    (same("trapz", dx=0.5), r(5)),
    (same("cumulative_trapezoid"), r(3, 5)),
    (same("cumulative_trapezoid", dim=0), r(4, 2)),
    (same("cumulative_trapezoid"), r(2, 5), TRIANGLE),
    (same("cumulative_trapezoid", dx=0.25), r(5)),
    (same("aminmax"), r(3, 4)),
    (same("aminmax", dim=1, keepdim=True), r(3, 4)),
    (same("aminmax"), r()),
    (same("frobenius_norm", (0, 1)), r(3, 4)),
    (same("frobenius_norm", 1, True), r(3, 4)),
    (same("frobenius_norm", 0), r()),
    (same("nuclear_norm"), r(3, 4)),
    (same("nuclear_norm", True), r(3, 4)),
    (same("nuclear_norm", (0, 2)), r(2, 3, 4)),
    (lambda lib, x, i, s: lib.index_copy(x, 0, i, s), r(5, 3), Const([4, 0]), r(2, 3)),
    (lambda lib, x, i, s: lib.index_copy(x, 1, i, s), r(2, 3), Const([2, 0]), r(2, 2)),
    (lambda lib, x, i: lib.index_fill(x, 1, i, -1.0), r(5, 3), Const([0, 2])),
    (lambda lib, x, i, j, v: lib.index_put(x, (i, j), v), r(5, 3), Const([0, 4]),
     Const([1, 2]), r(2)),
    (lambda lib, x, i, v: lib.index_put(x, (i,), v, True), r(5, 3), Const([0, 4, 0]),
     r(3, 3)),
    (lambda lib, x, i, s: lib.index_reduce(x, 0, i, s, "prod"), r(5, 3),
     Const([0, 2, 0, 4]), r(4, 3)),
    (lambda lib, x, i, s: lib.index_reduce(x, 0, i, s, "mean"), r(5, 3),
     Const([0, 2, 0, 4]), r(4, 3)),
    (lambda lib, x, i, s: lib.index_reduce(x, 1, i, s, "amax", include_self=False),
     r(2, 4), Const([3, 0, 3]), r(2, 3)),
    (lambda lib, x, i, s: lib.index_reduce(x, 1, i, s, "amin"), r(2, 4), Const([3, 0, 3]),
     r(2, 3)),
    (same("masked_scatter"), r(3, 4), Const(R.uniform(size=(3, 4)) > 0.5), r(12)),
    (same("diagonal_scatter", 1), r(3, 4), r(3)),
    (same("diagonal_scatter"), r(3, 3), r(3)),
    (same("diagonal_scatter", -1, 2, 0), r(2, 3, 4), r(3, 2)),
    (same("diagonal_scatter", 0, 0, 2), r(3, 2, 4), r(2, 3)),
    (same("select_scatter", 0, 1), r(3, 4), r(4)),
    (same("select_scatter", 1, -1), r(2, 3, 4), r(2, 4)),
    (same("slice_scatter", 0, 1, 5, 2), r(6, 4), r(2, 4)),
    (same("slice_scatter", 1, None, None, 2), r(3, 6), r(3, 3)),
    (same("slice_scatter"), r(4), r(4)),
    (same("split_with_sizes", [2, 3]), r(5, 3)),
    (same("split_with_sizes", [1, 2], 1), r(5, 3)),
    (same("unsafe_chunk", 2), r(5, 3)),
    (same("unsafe_split", 2, 1), r(5, 3)),
]


@pytest.mark.parametrize("case", range(len(ASSORTED_CASES)))
def test_assorted_functions_agree_with_torch(case):
    function, *arrays = ASSORTED_CASES[case]
    check(function, *arrays)


def test_range_includes_its_end_as_torchs():
    torch = pytest.importorskip("torch")
    for arguments in ((1, 4), (0, 1, 0.3), (5, 1, -2), (0, 0), (-1.5, 2.5, 0.5)):
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            ours = ad.range(*arguments)
            theirs = torch.range(*arguments, dtype=torch.float64)
        np.testing.assert_allclose(ours.data, theirs.numpy(), atol=1e-15)
    with pytest.warns(UserWarning, match="deprecated"):
        assert ad.range(0, 3, dtype=ad.int64).data.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="step"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ad.range(0, 3, -1)
    namespace: dict = {}
    exec("from autodiff import *", namespace)
    assert "range" not in namespace               # the builtin is left alone


def test_assorted_functions_refuse_clearly():
    with pytest.raises(ValueError, match="ger: input must be 1-D"):
        ad.ger(ad.ones((2, 2)), ad.ones(2))
    with pytest.raises(ValueError, match="adjoint"):
        ad.adjoint(ad.ones(3))
    with pytest.raises(ValueError, match="split_sizes"):
        ad.split_with_sizes(ad.ones(5), [2, 2])
    with pytest.raises(ValueError, match="src must have shape"):
        ad.slice_scatter(ad.ones(4), ad.ones(3), start=2)
    with pytest.raises(ValueError, match="reduce must be"):
        ad.index_reduce(ad.ones(3), 0, ad.tensor([0]), ad.ones(1), "sum")
    with pytest.raises(ValueError, match="value must be a number or a 0-d"):
        ad.fill(ad.ones(3), ad.ones(2))


INPLACE_UNARY = ["abs_", "cos_", "exp_", "expm1_", "log1p_", "log_", "neg_", "negative_",
                 "reciprocal_", "relu_", "sigmoid_", "sin_", "sqrt_", "square_", "tanh_",
                 "zero_"]


@pytest.mark.parametrize("name", INPLACE_UNARY)
def test_inplace_functions_agree_with_torch(name):
    def changed(lib, x):
        y = x * 1.0                   # not a leaf: in-place changes keep the graph
        result = getattr(lib, name)(y)
        assert result is y
        return result
    check(changed, positive(3, 4))


def test_inplace_functions_with_arguments_agree_with_torch():
    torch = pytest.importorskip("torch")
    calls = [("clamp_", (), {"min": -0.5, "max": 0.5}), ("clamp_max_", (0.2,), {}),
             ("clamp_min_", (0.2,), {}), ("fill_", (3.0,), {}),
             ("celu_", (0.5,), {}), ("selu_", (), {}), ("threshold_", (0.1, 9.0), {}),
             ("rrelu_", (0.1, 0.2), {}), ("dropout_", (0.4, False), {}),
             ("alpha_dropout_", (0.4, False), {}), ("feature_alpha_dropout_", (0.4, False), {})]
    x = r(2, 3, 4)
    for name, arguments, keywords in calls:
        ours, theirs = ad.tensor(x.copy()), torch.tensor(x.copy())
        assert getattr(ad, name)(ours, *arguments, **keywords) is ours
        getattr(torch, name)(theirs, *arguments, **keywords)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, err_msg=name)
    ours, theirs = ad.tensor(x.copy()), torch.tensor(x.copy())
    ad.index_put_(ours, (ad.tensor([0, 1]),), ad.tensor(7.0))
    torch.index_put_(theirs, (torch.tensor([0, 1]),), torch.tensor(7.0, dtype=torch.float64))
    np.testing.assert_allclose(ours.data, theirs.numpy())


def test_inplace_functions_cover_every_tensor_method_torch_has_at_top_level():
    torch = pytest.importorskip("torch")
    theirs = [name for name in dir(torch) if name.endswith("_") and not name.startswith("_")
              and hasattr(torch.Tensor, name) and hasattr(ad.Tensor, name)]
    assert len(theirs) >= 20
    assert [name for name in theirs if not hasattr(ad, name)] == []
    with pytest.raises(TypeError, match="exp_: changes a Tensor in place"):
        ad.exp_(np.ones(2))


F_CASES = [
    (lambda lib, x: _F(lib).max_pool1d_with_indices(x, 2), r(2, 3, 8)),
    (lambda lib, x: _F(lib).max_pool2d_with_indices(x, 2, 1), r(1, 2, 5, 5)),
    (lambda lib, x: _F(lib).max_pool3d_with_indices(x, 2), r(1, 2, 4, 4, 4)),
    (lambda lib, x: _F(lib).adaptive_max_pool1d_with_indices(x, 3), r(2, 3, 7)),
    (lambda lib, x: _F(lib).adaptive_max_pool2d_with_indices(x, (2, 3)), r(1, 2, 5, 7)),
    (lambda lib, x: _F(lib).adaptive_max_pool3d_with_indices(x, 2), r(1, 2, 4, 5, 4)),
    (lambda lib, x: _F(lib).upsample_bilinear(x, scale_factor=2), r(1, 2, 3, 4)),
    (lambda lib, x: _F(lib).upsample_bilinear(x, size=(5, 7)), r(1, 2, 3, 4)),
    (lambda lib, x: _F(lib).upsample_nearest(x, scale_factor=2), r(1, 2, 3, 4)),
    (lambda lib, x: _F(lib).upsample_nearest(x, size=7), r(1, 2, 3)),
    (lambda lib, x: _F(lib).lp_pool3d(x, 2, 2), positive(1, 2, 4, 4, 4)),
    (lambda lib, x: _F(lib).lp_pool3d(x, 3, (2, 1, 2), stride=1), positive(2, 1, 3, 3, 3)),
    (lambda lib, x: _nn(lib).LPPool3d(1.5, 2, ceil_mode=True)(x), positive(1, 1, 3, 5, 5)),
]


def _F(lib):
    return F if lib is ad else lib.nn.functional


def _nn(lib):
    return nn if lib is ad else lib.nn


@pytest.mark.parametrize("case", range(len(F_CASES)))
def test_functional_aliases_agree_with_torch(case):
    function, *arrays = F_CASES[case]
    check(function, *arrays)


def test_deprecated_aliases_warn():
    with pytest.warns(UserWarning, match="upsample_bilinear is deprecated"):
        F.upsample_bilinear(ad.ones((1, 1, 2, 2)), scale_factor=2)
    with pytest.warns(UserWarning, match="NLLLoss2d has been deprecated"):
        loss = nn.NLLLoss2d(reduction="sum")
    assert isinstance(loss, nn.NLLLoss)
    log_p = F.log_softmax(ad.tensor(r(2, 3, 2, 2)), 1)
    target = np.array([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])
    assert float(loss(log_p, target)) == float(nn.NLLLoss(reduction="sum")(log_p, target))
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ad.chain_matmul(ad.ones((2, 2)), ad.ones((2, 2)))


def test_buffer_registers_by_assignment():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = nn.Buffer(ad.tensor([1.0, 2.0]))
            self.scratch = nn.Buffer(np.zeros(3), persistent=False)

    model = Model()
    assert [name for name, _ in model.named_buffers()] == ["count", "scratch"]
    assert list(model.state_dict()) == ["count"]
    # a Tensor stays a Tensor (as in PyTorch), an ndarray an ndarray
    assert type(model.count) is ad.Tensor and model.count.tolist() == [1.0, 2.0]
    assert type(model.scratch) is np.ndarray
    model.count = nn.Buffer(np.ones(2))             # a buffer replaced by another
    assert model.state_dict()["count"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="nn.Buffer: data must be"):
        nn.Buffer([1.0, 2.0])


def test_recurrent_base_classes():
    assert isinstance(nn.LSTM(2, 3), nn.RNNBase) and isinstance(nn.GRU(2, 3), nn.RNNBase)
    assert isinstance(nn.RNN(2, 3), nn.RNNBase)
    assert isinstance(nn.LSTMCell(2, 3), nn.RNNCellBase)
    assert isinstance(nn.GRUCell(2, 3), nn.RNNCellBase)
    assert not isinstance(nn.LSTMCell(2, 3), nn.RNNBase)
    with pytest.raises(TypeError, match="base class of nn.RNN, nn.LSTM or nn.GRU"):
        nn.RNNBase(2, 3)
    with pytest.raises(TypeError, match="base class of nn.RNNCell"):
        nn.RNNCellBase(2, 3)


# ----- torch-free: the new differentiable code against finite differences -------------

GRADCHECKED = [
    (lambda y: ad.trapz(y, dim=0), [r(4, 3)]),
    (lambda y, x: ad.trapz(y, x), [r(2, 5), np.sort(r(5))]),
    (lambda y: ad.cumulative_trapezoid(y, dx=0.3), [r(2, 5)]),
    (lambda y, x: ad.cumulative_trapezoid(y, x, dim=0), [r(4, 2), np.sort(r(4))]),
    (lambda x, s: ad.index_reduce(x, 0, ad.tensor([0, 2, 0]), s, "prod"), [r(3, 2), r(3, 2)]),
    (lambda x, s: ad.index_reduce(x, 0, ad.tensor([0, 2, 0]), s, "mean",
                                  include_self=False), [r(3, 2), r(3, 2)]),
    (lambda x, s: ad.diagonal_scatter(x, s, -1, 2, 0), [r(2, 3, 4), r(3, 2)]),
    (lambda x, s: ad.select_scatter(x, s, 1, 0), [r(2, 3), r(2)]),
    (lambda x, s: ad.slice_scatter(x, s, 1, 1, None, 2), [r(2, 5), r(2, 2)]),
    (lambda x, v: ad.fill(x, v), [r(2, 3), r()]),
    (lambda x, y: ad.rsub(x, y, alpha=3), [r(2, 3), r(3)]),
    (lambda m, a, b: ad.addr(m, a, b, beta=2, alpha=0.5), [r(2, 3), r(2), r(3)]),
    (lambda m, a, b: ad.addbmm(m, a, b, beta=0.5), [r(2, 3), r(4, 2, 2), r(4, 2, 3)]),
    (lambda x: ad.adjoint(x), [r(2, 3, 4)]),
    (lambda x: ad.frobenius_norm(x, 0), [r()]),
    (lambda x: ad.nuclear_norm(x), [r(3, 2)]),
    (lambda x: F.lp_pool3d(x, 2, 2), [positive(1, 1, 2, 4, 2)]),
    (lambda x, w: ad.conv1d(x, w), [r(2, 5), r(3, 2, 2)]),              # unbatched
    (lambda x: ad.max_pool1d(x, 2), [r(2, 6)]),
    (lambda x: ad.adaptive_max_pool1d(x, 2)[0], [r(2, 5)]),
    (lambda x: ad.avg_pool1d(x, 2), [r(3, 6)]),
]


@pytest.mark.parametrize("case", range(len(GRADCHECKED)))
def test_gradients_match_finite_differences(case):
    function, arrays = GRADCHECKED[case]
    assert ad.gradcheck(lambda *xs: (function(*xs) * ad.tensor(np.linspace(
        0.5, 1.5, function(*xs).size).reshape(function(*xs).shape))).sum(), arrays)


def test_values_without_torch():
    y = ad.tensor([1.0, 2.0, 4.0, 7.0])
    assert ad.trapz(y).item() == 1.5 + 3.0 + 5.5
    assert ad.cumulative_trapezoid(y).data.tolist() == [1.5, 4.5, 10.0]
    x = ad.zeros((2, 3))
    assert ad.diagonal_scatter(x, ad.tensor([1.0, 2.0]), 1).data.tolist() == [
        [0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]
    assert ad.index_reduce(ad.ones(3), 0, ad.tensor([2, 2]), ad.tensor([2.0, 5.0]),
                           "amax").data.tolist() == [1.0, 1.0, 5.0]
    np.testing.assert_allclose(ad.hann_window(4).data, [0.0, 0.5, 1.0, 0.5], atol=1e-15)
    np.testing.assert_allclose(ad.bartlett_window(5, False).data, [0, 0.5, 1, 0.5, 0],
                               atol=1e-15)
    assert ad.max_pool1d(ad.tensor([[1.0, 3.0, 2.0, 5.0]]), 2).data.tolist() == [[3.0, 5.0]]


def test_batch_norm_updates_the_running_statistics_as_torchs():
    torch = pytest.importorskip("torch")
    x = r(4, 3, 2)
    mean, var = ad.zeros(3), ad.ones(3)
    torch_mean = torch.zeros(3, dtype=torch.float64)
    torch_var = torch.ones(3, dtype=torch.float64)
    for _ in range(2):
        ours = ad.batch_norm(ad.tensor(x), None, None, mean, var, True, 0.3, 1e-5, False)
        theirs = torch.batch_norm(torch.tensor(x), None, None, torch_mean, torch_var, True,
                                  0.3, 1e-5, False)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mean.data, torch_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var.data, torch_var.numpy(), rtol=1e-12)
