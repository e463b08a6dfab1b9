"""The bad-input catalogue: every mistake gets an exception of the right type whose
message names the op and says what to do, or -- for values that are merely unusual
(empty, NaN, inf, 0-d) -- a result that propagates them without crashing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad


@pytest.fixture
def x():
    return ad.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)


# ---------------------------------------------------------------- shapes
def test_shapes_that_do_not_broadcast(x):
    with pytest.raises(ValueError, match=r"^add: operands could not be broadcast") as info:
        x + ad.tensor(np.ones(4))
    assert "input shapes (2, 3), (4,)" in str(info.value)
    assert "reshape or expand_dims one operand" in str(info.value)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_a_floating_point_error_numpy_was_asked_to_raise(shape):
    # np.errstate(..., 'raise') makes NumPy raise FloatingPointError: the message names
    # the op and the error state, not the op's hint about shapes.
    big = ad.tensor(np.full(shape, 1e308), requires_grad=True)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError) as info:
        big * 10.0
    message = str(info.value)
    assert message.startswith("multiply: overflow encountered")
    assert "np.errstate" in message and "'raise'" in message
    assert "broadcast" not in message


def test_matmul_inner_sizes_differ(x):
    with pytest.raises(ValueError, match=r"^matmul: ") as info:
        x @ ad.tensor(np.ones((2, 2)))
    assert "input shapes (2, 3), (2, 2)" in str(info.value)
    assert "last axis of a to equal the second-to-last axis of b" in str(info.value)


def test_matmul_with_a_0d_operand(x):
    with pytest.raises(ValueError, match=r"(?s)^matmul: .*transpose one operand or check"):
        x @ ad.tensor(2.0)


def test_where_condition_of_the_wrong_shape(x):
    with pytest.raises(ValueError, match=r"(?s)^where: .*input shapes \(4,\), \(2, 3\)"):
        ad.where(np.ones(4, dtype=bool), x, 0.0)


def test_reshape_to_a_different_size(x):
    with pytest.raises(ValueError, match=r"(?s)^reshape: .*same number of elements"):
        x.reshape(4)


def test_concatenate_mismatched_shapes(x):
    with pytest.raises(ValueError, match=r"(?s)^concatenate: .*same shape except along axis"):
        ad.concatenate([x, ad.tensor(np.ones((2, 2)))], axis=0)


def test_reduction_axis_out_of_range(x):
    with pytest.raises(np.exceptions.AxisError,
                       match=r"(?s)^sum: axis 3 is out of bounds.*axis must be None, an int"):
        x.sum(axis=3)


def test_einsum_subscripts_do_not_fit(x):
    with pytest.raises(ValueError, match=r"(?s)^einsum: .*subscripts match"):
        ad.einsum("ij,jk->ik", x, x)


def test_inverse_of_a_non_square_matrix(x):
    with pytest.raises(np.linalg.LinAlgError, match=r"(?s)^inv: .*square matrices"):
        ad.linalg.inv(x)


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("data, dtype", [([1, 2], "int64"), ([True, False], "bool")])
def test_int_and_bool_cannot_require_grad(data, dtype):
    with pytest.raises(TypeError, match=f"requires_grad=True needs floating-point data, "
                                        f"but the data is {dtype}") as info:
        ad.tensor(data, requires_grad=True)
    assert "ad.tensor(data, dtype=np.float64, requires_grad=True)" in str(info.value)


def test_complex_can_require_grad_and_an_op_without_complex_rules_names_itself():
    z = ad.tensor([1 + 2j], requires_grad=True)
    assert z.requires_grad and z.dtype == np.complex128
    with pytest.raises(TypeError, match=r"^relu: its gradient rule is written for real "
                                        r"numbers.*z\.real, z\.imag") as info:
        ad.relu(z)
    assert "complex128" in str(info.value)


def test_requires_grad_in_place_on_an_int_tensor():
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point"):
        ad.tensor([1, 2]).requires_grad_()


def test_float16_works_and_keeps_its_dtype():
    h = ad.tensor([1.0, 2.0], dtype="float16", requires_grad=True)
    (h * h).sum().backward()
    assert h.grad.dtype == np.float16
    np.testing.assert_array_equal(h.grad, [2.0, 4.0])


def test_cast_to_int_drops_the_gradient_and_backward_says_so(x):
    i = ad.astype(x, "int64")
    assert i.dtype == np.int64 and not i.requires_grad      # no straight-through gradient
    with pytest.raises(RuntimeError, match="backward: this tensor does not require grad"):
        i.sum().backward()


def test_string_data_is_refused():
    with pytest.raises(TypeError, match=r"^tensor: cannot build a tensor from list data"):
        ad.tensor(["a", "b"])


def test_ragged_lists_are_refused():
    with pytest.raises(ValueError, match=r"^tensor: the nested lists have different lengths"):
        ad.tensor([[1.0], [1.0, 2.0]])


# ---------------------------------------------------------------- indices
def test_index_out_of_range(x):
    with pytest.raises(IndexError, match=r"(?s)^getitem: index 5 is out of bounds.*-n \.\.\. n-1"):
        x[5]


def test_take_index_out_of_range(x):
    with pytest.raises(IndexError, match=r"(?s)^take: index 7 is out of bounds"):
        ad.take(x, np.array([7]))


def test_float_ids_in_take(x):
    with pytest.raises(TypeError, match=r"^(getitem|take): index arrays must hold integers") as e:
        ad.take(x, np.array([0.5]))
    assert ".astype(int)" in str(e.value)


def test_bool_ids_in_take(x):
    with pytest.raises(TypeError, match=r"^take: indices must be integers, got booleans; "
                                        r"use x\[mask\]"):
        ad.take(x, np.array([True, False]))


def test_float_index_array_in_getitem(x):
    with pytest.raises(TypeError, match=r"^getitem: index arrays must hold integers or booleans"):
        x[np.array([0.0])]


# ---------------------------------------------------------------- empty and zero-size
def test_sum_of_empty_is_zero_and_its_gradient_is_empty():
    e = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    s = e.sum()
    assert s.item() == 0.0
    s.backward()
    assert e.grad.shape == (0, 3)


@pytest.mark.filterwarnings("ignore:invalid value encountered in scalar divide:RuntimeWarning")
def test_mean_of_empty_is_nan_with_numpys_warning_from_np_mean_and_backward_does_not_crash():
    e = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        m = np.mean(e)
    assert np.isnan(m.item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.backward()
        assert np.isnan(e.mean().item())        # PyTorch's spelling: PyTorch's, quietly
    assert e.grad.shape == (0, 3)


def test_zero_size_batch_through_a_layer_gives_zero_loss_and_zero_gradient():
    W = ad.tensor(np.ones((3, 2)), requires_grad=True)
    loss = ((np.zeros((0, 3)) @ W) ** 2).sum()
    loss.backward()
    assert loss.item() == 0.0
    np.testing.assert_array_equal(W.grad, np.zeros((3, 2)))


def test_max_of_empty_names_the_op_and_the_fix():
    with pytest.raises(ValueError, match=r"^max: the input is empty along the reduced axes "
                                         r"\(shape \(0,\)\).*skip empty batches"):
        ad.tensor(np.zeros(0), requires_grad=True).max()


# ---------------------------------------------------------------- 0-d tensors
def test_len_of_a_0d_tensor():
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor.*use \.item\(\)"):
        len(ad.tensor(1.0))


def test_indexing_a_0d_tensor():
    with pytest.raises(IndexError, match=r"^getitem: too many indices.*0-dimensional"):
        ad.tensor(1.0)[0]


def test_0d_tensors_work_end_to_end():
    a = ad.tensor(3.0, requires_grad=True)
    (a * a + 1).backward()
    assert a.grad.shape == () and a.grad == 6.0


# ---------------------------------------------------------------- backward misuse
def test_upstream_gradient_of_the_wrong_shape(x):
    with pytest.raises(ValueError, match=r"^backward: grad has shape \(3,\) but the tensor has "
                                         r"shape \(2, 3\); the upstream gradient must match"):
        (x * 2).backward(np.ones(3))


def test_backward_twice_through_a_freed_graph(x):
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"already freed.*pass retain_graph=True"):
        loss.backward()


def test_backward_of_a_non_scalar_without_grad(x):
    with pytest.raises(RuntimeError, match=r"^backward: grad can be omitted only for a tensor "
                                           r"with one element.*loss\.sum\(\)"):
        (x * 2).backward()


def test_backward_of_a_tensor_that_needs_no_grad():
    with pytest.raises(RuntimeError, match=r"^backward: this tensor does not require grad.*"
                                           r"requires_grad=True"):
        ad.tensor([1.0]).sum().backward()


def test_item_of_a_tensor_with_many_elements(x):
    with pytest.raises(ValueError, match=r"^item: only a tensor with exactly one element"):
        x.item()


def test_truth_value_of_a_tensor(x):
    with pytest.raises(ValueError, match=r"ambiguous; use \.any\(\) / \.all\(\)"):
        bool(x > 1)


def test_item_assignment_into_a_leaf_that_requires_grad_says_to_use_no_grad(x):
    with pytest.raises(RuntimeError, match=r"setitem: .*leaf that requires grad.*no_grad"):
        x[0] = 1.0


def test_grad_of_a_function_that_returns_a_vector():
    with pytest.raises(TypeError, match=r"the function must return a scalar.*ad\.jacobian"):
        ad.grad(lambda t: t * 2)(np.ones(3))


# ---------------------------------------------------------------- custom Function mistakes
class _TwoInputs(ad.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad                          # one gradient for two inputs


class _WrongShape(ad.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2

    @staticmethod
    def backward(ctx, grad):
        return grad.sum(axis=0)              # shape (3,) for an input of shape (2, 3)


class _NoBackward(ad.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 2


def test_function_returning_the_wrong_number_of_gradients(x):
    with pytest.raises(ValueError, match=r"^_TwoInputs\.backward returned 1 gradient\(s\) but "
                                         r"forward took 2 input\(s\); return one gradient"):
        _TwoInputs.apply(x, x).sum().backward()


def test_function_returning_a_gradient_of_the_wrong_shape(x):
    with pytest.raises(ValueError, match=r"^_WrongShape\.backward: the gradient for input 0 has "
                                         r"shape \(3,\) but that input has shape \(2, 3\)"):
        _WrongShape.apply(x).sum().backward()


def test_function_without_backward(x):
    with pytest.raises(NotImplementedError, match=r"^_NoBackward\.backward is missing"):
        _NoBackward.apply(x).sum().backward()


def test_custom_gradient_with_the_wrong_number_of_gradients(x):
    @ad.custom_gradient
    def double(a):
        return a * 2, lambda g: (g, g)

    with pytest.raises(ValueError, match=r"^double\.backward returned 2 gradient\(s\) but "
                                         r"forward took 1 input"):
        double(x).sum().backward()


# ---------------------------------------------------------------- NumPy functions
def test_unsupported_numpy_function_names_it(x):
    dates = ad.tensor(np.array(["2024-01-01"], dtype="datetime64[D]"))
    with pytest.raises(TypeError, match=r"^numpy\.is_busday has no differentiable rule in "
                                        r"autodiff.*t\.detach\(\)"):
        np.is_busday(dates)


def test_a_ufunc_method_numpy_does_not_have_is_numpys_error(x):
    # (every two-input ufunc's reduce, accumulate and reduceat run on a Tensor)
    with pytest.raises(ValueError, match=r"^reduceat only supported for functions returning "
                                         r"a single value"):
        np.divmod.reduceat(x, [0, 1])


def test_unsupported_ufunc_names_it(x):
    with pytest.raises(TypeError, match=r"^numpy\.isnat has no differentiable rule"):
        np.isnat(x)


@pytest.mark.parametrize("transform", [np.fft.fft, np.fft.rfft, np.fft.ifft, np.fft.fft2])
def test_an_fft_on_a_tensor_records_numpys_values_and_the_dft_spelling_agrees(transform):
    signal = np.random.default_rng(0).standard_normal((4, 4))
    recorded = transform(ad.tensor(signal, requires_grad=True))
    np.testing.assert_array_equal(recorded.data, transform(signal))
    assert recorded.requires_grad
    # the real DFT-matrix spelling gives NumPy's transform and the same gradient
    x = ad.tensor(signal[0], requires_grad=True)
    n = 4
    k = np.outer(np.arange(n), np.arange(n))
    re = np.cos(2 * np.pi * k / n) @ x
    im = -np.sin(2 * np.pi * k / n) @ x
    np.testing.assert_allclose(re.data + 1j * im.data, np.fft.fft(signal[0]), atol=1e-12)
    (re ** 2 + im ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * n * signal[0], atol=1e-12)   # Parseval
    y = ad.tensor(signal[0], requires_grad=True)
    (np.abs(np.fft.fft(y)) ** 2).sum().backward()
    np.testing.assert_allclose(y.grad, x.grad, atol=1e-12)


def test_numpy_reduction_with_an_unsupported_argument(x):
    with pytest.raises(TypeError, match=r"^numpy\.sum with out= an ndarray on a Tensor .*"
                                        r"give out= a Tensor"):
        np.sum(x, out=np.zeros(()))


# ---------------------------------------------------------------- NaN and inf propagate
def test_nan_in_the_input_propagates_without_crashing():
    t = ad.tensor([np.nan, 1.0], requires_grad=True)
    y = (ad.exp(t) * 2).sum()
    assert np.isnan(y.item())
    y.backward()
    assert np.isnan(t.grad[0]) and t.grad[1] == pytest.approx(2 * np.e)


def test_inf_in_the_input_propagates_without_crashing():
    t = ad.tensor([np.inf, 1.0], requires_grad=True)
    y = ad.exp(-t).sum()
    y.backward()
    np.testing.assert_allclose(t.grad, [0.0, -np.exp(-1.0)])


def test_log_of_zero_gives_minus_inf_and_an_inf_gradient_without_crashing():
    t = ad.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = ad.log(t)
        y.sum().backward()
    assert y.data[0] == -np.inf and t.grad[0] == np.inf and t.grad[1] == 1.0


# ---------------------------------------------------------------- nn: ids and state dicts
def test_embedding_negative_ids():
    emb = ad.nn.Embedding(5, 2, rng=0)
    with pytest.raises(IndexError, match=r"^Embedding\(5, 2\): id -1 is negative; ids must be "
                                         r"in \[0, 5\)"):
        emb(np.array([0, -1]))


def test_embedding_ids_out_of_range():
    emb = ad.nn.Embedding(5, 2, rng=0)
    with pytest.raises(IndexError, match=r"^Embedding\(5, 2\): id 9 is out of range for 5 rows"):
        emb(np.array([9]))


def test_embedding_float_or_bool_ids():
    emb = ad.nn.Embedding(5, 2, rng=0)
    with pytest.raises(TypeError, match=r"ids must be integers.*astype\(np\.int64\)"):
        emb(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"ids must be integers.*np\.flatnonzero\(mask\)"):
        emb(np.array([True, False]))


def test_load_state_dict_with_wrong_keys():
    model = ad.nn.Linear(2, 3, rng=0)
    state = model.state_dict()
    state["weights"] = state.pop("weight")
    with pytest.raises(KeyError, match=r"Linear\.load_state_dict: missing keys \['weight'\] "
                                       r"and unexpected keys \['weights'\]"):
        model.load_state_dict(state)


def test_load_state_dict_with_wrong_shapes():
    model = ad.nn.Linear(2, 3, rng=0)
    state = ad.nn.Linear(4, 3, rng=0).state_dict()
    with pytest.raises(ValueError, match=r"Linear\.load_state_dict: 'weight' has shape \(4, 3\) "
                                         r"in the state but the parameter has shape \(2, 3\)"):
        model.load_state_dict(state)


def test_load_state_dict_of_pytorchs_layout_says_to_use_load_torch_state_dict():
    model = ad.nn.Linear(3, 4, rng=0)
    pytorch_layout = model.to_torch_state_dict()        # weight (4, 3): PyTorch's (out, in)
    with pytest.raises(ValueError, match=r"'weight' has shape \(4, 3\) in the state but the "
                                         r"parameter has shape \(3, 4\); .* or this is a "
                                         r"PyTorch state_dict: .*Linear keeps this array in "
                                         r"another layout .*load_torch_state_dict"):
        model.load_state_dict(pytorch_layout)
    assert model.load_torch_state_dict(pytorch_layout).missing_keys == []


def test_a_transposed_shape_in_a_module_of_pytorchs_layout_is_only_a_size_mismatch():
    """Only modules that convert to PyTorch's layout name load_torch_state_dict; a
    shape that is no transpose gets the plain message."""
    embedding = ad.nn.Embedding(3, 4, rng=0)
    with pytest.raises(ValueError) as info:
        embedding.load_state_dict({"weight": np.zeros((4, 3))})
    assert "built with different sizes" in str(info.value)
    assert "load_torch_state_dict" not in str(info.value)
    with pytest.raises(ValueError) as info:
        ad.nn.Linear(3, 4).load_state_dict({"weight": np.zeros((5, 3)), "bias": np.zeros(4)})
    assert "load_torch_state_dict" not in str(info.value)


def test_a_pytorch_linear_state_dict_is_named_as_such():
    torch = pytest.importorskip("torch")
    state = {k: v.detach().numpy() for k, v in torch.nn.Linear(3, 4).state_dict().items()}
    with pytest.raises(ValueError, match=r"PyTorch state_dict.*load_torch_state_dict"):
        ad.nn.Linear(3, 4).load_state_dict(state)


def test_saved_state_round_trips_and_a_pickled_file_is_refused(tmp_path):
    model = ad.nn.Linear(2, 3, rng=0)
    path = tmp_path / "model.npz"
    np.savez(path, **model.state_dict())
    other = ad.nn.Linear(2, 3, rng=1)
    with np.load(path) as state:                     # allow_pickle=False: the default
        other.load_state_dict(state)
    np.testing.assert_array_equal(other.weight.data, model.weight.data)
    evil = tmp_path / "evil.npy"
    np.save(evil, np.array([{"weight": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle=False"):
        np.load(evil)                                 # would run pickle: refused


def test_load_state_dict_with_non_numeric_values():
    model = ad.nn.Linear(1, 1, rng=0)
    state = {"weight": np.array([["a"]]), "bias": np.zeros(1)}
    with pytest.raises(TypeError, match=r"'weight' has dtype <U1; expected numbers"):
        model.load_state_dict(state)


def test_a_complex_result_is_recorded_and_a_complex_loss_is_refused_as_in_pytorch():
    x = ad.tensor(1.5, requires_grad=True)
    y = x * 1j
    assert y.requires_grad and y.dtype == np.complex128
    (y * (2 - 1j)).real.backward()             # Re(1.5j * (2 - 1j)) = 1.5: gradient 1
    assert x.grad == pytest.approx(1.0)
    with pytest.raises(RuntimeError, match="implicitly created only for real scalar outputs"):
        (x * 1j).backward()
    with pytest.raises(TypeError, match="complex128 values.*only floating-point outputs"):
        ad.grad(lambda t: (t * 1j).sum())(1.0)
    with pytest.raises(TypeError, match=r"^relu: its gradient rule is written for real"):
        ad.relu(x * 1j)
    assert (ad.tensor(1.0) * 1j).dtype == np.complex128   # nothing recorded: NumPy's result


def test_a_cast_to_complex_of_a_tensor_on_the_tape_is_recorded():
    # |x|**2 through a complex cast has gradient 2x: a constant result would give 0.
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    assert x.astype(np.complex128).requires_grad
    grad = ad.grad(lambda t: (np.abs(t.astype(np.complex64)) ** 2).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(grad, [2.0, 4.0], rtol=1e-6)
    assert x.detach().astype(complex).dtype == np.complex128
    with ad.no_grad():
        assert x.astype(complex).dtype == np.complex128
    assert x.astype(np.int64).requires_grad is False       # a hard threshold: no gradient


@pytest.mark.parametrize("shape, ddof", [((1,), 1), ((2,), 2), ((2,), 3), ((3, 1), 1)])
def test_var_with_ddof_at_least_n_gives_nan_gradients(shape, ddof):
    x = ad.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), requires_grad=True)
    axis = None if len(shape) == 1 else 1
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ad.var(x, axis=axis, ddof=ddof).sum().backward()
    assert x.grad.shape == shape and np.isnan(x.grad).all()


@pytest.mark.parametrize("make", [
    lambda: ad.tensor([1.0, 2.0], np.float32),          # NumPy's positional dtype
    lambda: ad.full((2,), 1.0, np.float64, "C"),         # NumPy's positional order
    lambda: ad.zeros_like(np.ones(2), None, "C"),
    lambda: ad.tensor([1.0], requires_grad="no"),
])
def test_requires_grad_takes_true_or_false_only(make):
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        make()
    t = ad.tensor([1.0], requires_grad=np.bool_(True))
    assert t.requires_grad is True
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        t.requires_grad = "no"


def test_an_ops_error_inside_a_library_function_names_the_function_called():
    import autodiff.nn.functional as F
    D = ad.distributions
    p = ad.sigmoid(ad.tensor(np.zeros(4), requires_grad=True))
    for call, called in [
            (lambda: F.binary_cross_entropy(p, np.ones(4), weight=np.ones(3)),
             "binary_cross_entropy"),
            (lambda: D.Normal(np.zeros(3), np.ones(3)).log_prob(np.zeros(4)), "Normal.log_prob"),
            (lambda: ad.trapezoid(ad.tensor(np.ones(3), requires_grad=True), x=np.arange(4)),
             "trapezoid")]:
        with pytest.raises(ValueError, match=rf"^\w+ \(in {called}\): operands could not"):
            call()
    with pytest.raises(ValueError, match=r"^multiply: operands could not"):
        ad.ones(2) * ad.ones(3)             # the op itself: named alone


def test_take_without_an_axis_reads_the_flattened_input_as_numpy_and_pytorch():
    a = np.arange(6.0).reshape(2, 3)
    x = ad.tensor(a, requires_grad=True)
    taken = ad.take(x, np.array([0, 4, 4]))
    np.testing.assert_array_equal(taken.data, np.take(a, [0, 4, 4]))
    np.testing.assert_array_equal(np.take(x, [5]).data, [5.0])
    np.testing.assert_array_equal(x.take(np.array([1, 3])).data, [1.0, 3.0])
    taken.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    np.testing.assert_array_equal(ad.take(x, np.array([1]), axis=0).data, a[[1]])
