"""The twelfth round's features in ``ad.compile`` (replays against eager calls, and a
new trace for new shapes), with the kernels on and off (``AUTODIFF_JIT=0``), under
``no_grad``, saved and pickled, and drawn by ``ad.viz`` / ``ad.explain``; and
``sdpa_kernel`` blocks around a compiled function's call."""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

import autodiff as ad
from autodiff import kernels
from autodiff.compile.refusals import TraceError
from autodiff.nn.attention import SDPBackend, sdpa_kernel

F = ad.nn.functional
RNG = np.random.default_rng(1313)
# A plan's fused loops may round differently from the eager ops by an ulp or so.
REPLAY = dict(rtol=1e-13, atol=1e-13)


def _replays_as_eager(fn, *argument_sets, tol=REPLAY):
    """``ad.compile(fn)`` on each argument set (a new shape traces again) against
    ``fn`` itself; returns the compiled function."""
    compiled = ad.compile(fn)
    for arguments in argument_sets:
        expected = fn(*(ad.tensor(a) for a in arguments))
        got = compiled(*(ad.tensor(a) for a in arguments))
        np.testing.assert_allclose(got.data, expected.data, **tol)
    return compiled


def _complex(shape):
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


# ----- sdpa_kernel around a compiled call ------------------------------------------------

def _attention(a):
    return F.scaled_dot_product_attention(a, a, a, is_causal=True)


def test_a_replay_inside_a_block_without_a_cpu_kernel_raises_as_the_eager_call():
    # the plan replayed silently where the eager call raises "no viable kernel"
    q = ad.tensor(RNG.normal(size=(1, 2, 4, 8)))
    compiled = ad.compile(_attention)
    for _ in range(2):
        compiled(q)
    for backends in ([SDPBackend.EFFICIENT_ATTENTION], [SDPBackend.CUDNN_ATTENTION]):
        with sdpa_kernel(backends):
            with pytest.raises(RuntimeError, match="no viable kernel"):
                _attention(q)
            with pytest.raises(RuntimeError, match="no viable kernel"):
                compiled(q)
    np.testing.assert_allclose(compiled(q).data, _attention(q).data, **REPLAY)


def test_a_block_that_enables_a_cpu_kernel_traces_once_per_setting():
    q = ad.tensor(RNG.normal(size=(1, 2, 4, 8)))
    compiled = ad.compile(_attention)
    for _ in range(3):
        compiled(q)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        for _ in range(3):
            np.testing.assert_allclose(compiled(q).data, _attention(q).data, **REPLAY)
    for _ in range(3):
        compiled(q)
    assert compiled.traces == 2          # one plan per block setting, both kept


def test_a_block_inside_the_compiled_function_holds_whatever_surrounds_the_call():
    def inner_block(a):
        with sdpa_kernel(SDPBackend.MATH):
            return _attention(a)
    q = ad.tensor(RNG.normal(size=(1, 2, 4, 8)))
    compiled = ad.compile(inner_block)
    compiled(q)
    with sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION]):
        for _ in range(2):          # eager runs too: the inner block enables MATH
            np.testing.assert_allclose(compiled(q).data, inner_block(q).data, **REPLAY)
        with pytest.raises(RuntimeError, match="no viable kernel"):
            _attention(q)           # (and the outer block was restored after each)


# ----- compiled functions through the new values ------------------------------------------

def test_complex_norms_and_nanvar_replay_and_trace_again_for_new_shapes():
    def norms(v):
        z = ad.view_as_complex(v)
        return np.linalg.norm(z, axis=1) ** 2 + np.nanvar(z, axis=1)
    a, b = RNG.normal(size=(3, 4, 2)), RNG.normal(size=(5, 2, 2))
    a[0, 1, 0] = np.nan
    compiled = _replays_as_eager(norms, (a,), (-a,), (b,))
    assert compiled.traces == 2


def test_pad_and_nan_to_num_values_replay_with_nan_elsewhere():
    def fill(x, v):
        border = np.pad(x, ((1, 0), (0, 2)), constant_values=(v, v * 2))
        return np.nan_to_num(border, nan=v, posinf=v * 3) * 1.5
    sets = []
    for k in range(3):
        x = RNG.normal(size=(3, 4))
        x[k, k], x[0, 3 - k] = np.nan, np.inf
        sets.append((x, np.array(RNG.normal())))
    sets.append((RNG.normal(size=(2, 5)), np.array(0.25)))
    _replays_as_eager(fill, *sets, tol=dict(rtol=0, atol=0))


def test_addmm_beta_zero_replays_and_a_float16_input_keeps_its_dtype():
    b = ad.tensor(RNG.normal(size=(4, 5)))
    _replays_as_eager(lambda c, a: ad.addmm(c, a, b, beta=0, alpha=2),
                      (RNG.normal(size=(3, 5)), RNG.normal(size=(3, 4))),
                      (np.full((3, 5), np.nan), RNG.normal(size=(3, 4))))
    c = ad.tensor(RNG.normal(size=(3, 5)).astype(np.float16), requires_grad=True)
    y = ad.addmm(c, ad.tensor(RNG.normal(size=(3, 4)).astype(np.float16)),
                 ad.tensor(RNG.normal(size=(4, 5)).astype(np.float16)), beta=0)
    y.sum().backward()
    assert y.dtype == c.grad.dtype == np.float16 and not c.grad.any()


def test_frompyfunc_sort_complex_and_complex_round_replay():
    mul_sin = np.frompyfunc(lambda a, b: a * b + np.sin(a), 2, 1)
    _replays_as_eager(lambda v: mul_sin(v, v).sum(), (RNG.normal(size=(3, 4)),),
                      (RNG.normal(size=(3, 4)),), (RNG.normal(size=5),))
    # each replay sorts its own values (another order than the trace's)
    _replays_as_eager(lambda v: ad.view_as_real(np.sort_complex(ad.view_as_complex(v))) * 2,
                      *[(RNG.normal(size=(5, 2)),) for _ in range(3)], tol=dict(rtol=0, atol=0))
    _replays_as_eager(lambda v: ad.view_as_real(np.round(ad.view_as_complex(v) * 3, 1)),
                      *[(RNG.normal(size=(4, 2)),) for _ in range(3)], tol=dict(rtol=0, atol=0))


def test_array_api_code_with_made_arrays_replays_and_traces_again():
    def generic(a):
        xp = a.__array_namespace__()
        zeros = xp.zeros(a.shape, dtype=a.dtype)
        ramp = xp.arange(a.shape[-1], dtype=xp.float64)
        return xp.linalg.vector_norm(xp.where(a > 0, a, zeros) + xp.ones_like(a) * ramp, axis=-1)
    x = RNG.normal(size=(3, 4))
    compiled = _replays_as_eager(generic, (x,), (-x,), (RNG.normal(size=(2, 6)),))
    assert compiled.traces == 2


def test_antialiased_interpolation_replays_and_traces_again():
    def shrink(a):
        return F.interpolate(a, size=(4, 5), mode="bilinear", antialias=True) * 1.0
    image = RNG.normal(size=(1, 2, 9, 11))
    _replays_as_eager(shrink, (image,), (2 * image,), (RNG.normal(size=(2, 2, 7, 7)),))


def test_complex_convolutions_and_embeddings_replay():
    w = ad.tensor(RNG.normal(size=(4, 3, 3, 2)))

    def conv(x):
        return ad.view_as_real(F.conv1d(ad.view_as_complex(x), ad.view_as_complex(w), padding=1))
    _replays_as_eager(conv, (RNG.normal(size=(2, 3, 8, 2)),), (RNG.normal(size=(2, 3, 8, 2)),),
                      (RNG.normal(size=(1, 3, 5, 2)),))
    table = ad.nn.Embedding(5, 3, dtype=np.complex128, padding_idx=1)
    _replays_as_eager(lambda ids: ad.view_as_real(table(ids)) * 2, (np.array([0, 1, 1]),),
                      (np.array([4, 2, 2]),), (np.array([0, 0, 0, 3]),),
                      tol=dict(rtol=0, atol=0))


@pytest.mark.parametrize("jit", [True, False])
def test_a_compiled_complex_training_step_with_the_kernels_on_and_off(monkeypatch, jit):
    # (AUTODIFF_JIT=0 is kernels.JIT_ENABLED = False: NumPy's loops in place of the
    # fused ones, which round differently in the last bits)
    monkeypatch.setattr(kernels, "JIT_ENABLED", jit)

    def make():
        layer = ad.nn.Conv1d(2, 3, 3, padding=1, dtype=np.complex128, rng=0)
        opt = ad.optim.Adam(layer.parameters(), lr=0.01)

        def step(x, target):
            opt.zero_grad()
            out = layer(x)
            loss = np.linalg.norm(out - target) ** 2 + np.var(out, where=np.abs(target) > 0.5)
            loss.backward()
            opt.step()
            return loss
        return step, layer
    eager, eager_layer = make()
    compiled, compiled_layer = make()
    compiled = ad.compile(compiled)
    for _ in range(4):
        x, target = ad.tensor(_complex((2, 2, 6))), ad.tensor(_complex((2, 3, 6)))
        np.testing.assert_allclose(compiled(x, target).data, eager(x, target).data, rtol=1e-12)
    np.testing.assert_allclose(compiled_layer.weight.data, eager_layer.weight.data, rtol=1e-12)


# ----- no_grad, saving and pickling, drawing ---------------------------------------------

@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_the_new_ops_record_nothing_without_grad_mode(mode):
    z = ad.tensor(_complex((3, 4)), requires_grad=True)
    v = ad.tensor(0.5, requires_grad=True)
    mul = np.frompyfunc(lambda a, b: a * b, 2, 1)
    with getattr(ad, mode)():
        results = [np.linalg.norm(z), np.pad(z.real, 1, constant_values=v),
                   np.nan_to_num(z.real / 0.0, nan=v), mul(z.real, v), np.sort_complex(z),
                   np.var(z, where=np.abs(z.data) > 1), np.sinc(z)]
    for result in results:
        assert not result.requires_grad and result.grad_fn is None


def test_complex_layers_save_load_and_pickle_with_their_dtype():
    conv = ad.nn.Conv2d(2, 3, 3, dtype=np.complex128)
    table = ad.nn.Embedding(5, 3, dtype=np.complex64)
    x = ad.tensor(_complex((1, 2, 5, 5)))
    ids = ad.tensor(np.array([0, 4, 4]))
    for module, args in ((conv, (x,)), (table, (ids,))):
        buffer = io.BytesIO()
        ad.save(module.state_dict(), buffer)
        buffer.seek(0)
        loaded = type(module)(*((2, 3, 3) if module is conv else (5, 3)), dtype=module.weight.dtype)
        loaded.load_state_dict(ad.load(buffer))
        pickled = pickle.loads(pickle.dumps(module))
        for twin in (loaded, pickled):
            assert twin.weight.dtype == module.weight.dtype
            # (unpickled arrays hold NumPy's own dtype objects: the fast paths apply)
            assert twin.weight.data.dtype is np.dtype(module.weight.dtype.name)
            np.testing.assert_array_equal(twin(*args).data, module(*args).data)


def test_complex64_conv2d_matches_torch_in_value_and_gradient():
    torch = pytest.importorskip("torch")
    layer = ad.nn.Conv2d(2, 3, 3, dtype=np.complex64)
    x = _complex((1, 2, 5, 5)).astype(np.complex64)
    y = layer(ad.tensor(x))
    ad.view_as_real(y).sum().backward()
    theirs = torch.nn.Conv2d(2, 3, 3, dtype=torch.complex64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(layer.weight.data))
        theirs.bias.copy_(torch.tensor(layer.bias.data))
    t_y = theirs(torch.tensor(x))
    torch.view_as_real(t_y).sum().backward()
    assert y.dtype == layer.weight.grad.dtype == np.complex64
    # float32 sums of 18 products in another order: a few ulp of the largest value
    scale = np.abs(t_y.detach().numpy()).max()
    np.testing.assert_allclose(y.data, t_y.detach().numpy(), atol=1e-6 * scale)
    np.testing.assert_allclose(layer.weight.grad, theirs.weight.grad.numpy(),
                               atol=1e-6 * np.abs(theirs.weight.grad.numpy()).max())


def test_viz_and_explain_walk_graphs_through_the_new_ops():
    z = ad.tensor(RNG.normal(size=(3, 4, 2)), requires_grad=True)
    w = ad.tensor(2.0, requires_grad=True)
    norm = np.linalg.norm(ad.view_as_complex(z))
    padded = np.pad(z[..., 0], 1, constant_values=ad.floor(w))
    loss = np.nan_to_num(padded * norm, nan=norm).sum()
    text = ad.viz.text(loss)
    for op in ("view_as_complex", "squared_magnitudes", "pad", "nan_to_num"):
        assert op in text
    assert "squared_magnitudes(" in ad.viz.draw(loss).source or "squared_magnitudes" in text
    loss.backward()
    why = ad.explain(w, loss)
    assert ".grad is all zero" in why and "floor: floor has zero gradient" in why


# ----- copies made inside a compiled function ---------------------------------------------

def test_a_deep_copy_of_a_model_inside_a_compiled_step_is_refused_naming_the_line():
    # the copy's Parameters were refused while being rebuilt, and the message itself
    # failed: AttributeError "'Parameter' object has no attribute 'data'"
    model = ad.nn.Linear(3, 2, rng=0)

    def step(x):
        target = copy.deepcopy(model)
        return target(x).sum()
    with pytest.raises(TraceError) as raised:
        ad.compile(step)(ad.tensor(np.ones((1, 3))))
    message = str(raised.value)
    # (refused as the copy starts, where tensor_copying.py checks for a trace)
    assert message.startswith("compile: copy.deepcopy of a tensor (or of a module holding "
                              "one) at test_cross_features_thirteenth_compile.py:")
    assert "in the compiled function step" in message and "t.clone()" in message
    blob = pickle.dumps(ad.tensor(np.ones(3)))
    with pytest.raises(TraceError, match="makes a Tensor at test_cross_features_thirteenth"):
        ad.compile(lambda x: pickle.loads(blob) * x)(ad.tensor(np.arange(3.0)))
    # outside a compiled function both copy as before; copy.copy is a recorded copy
    assert copy.deepcopy(model).weight.shape == model.weight.shape
    compiled = ad.compile(lambda x: copy.copy(x) * 2)
    for _ in range(2):
        np.testing.assert_array_equal(compiled(ad.tensor(np.arange(3.0))).data, [0, 2, 4])


@pytest.mark.parametrize("index", [[0, 7], [-6, 1]])
def test_a_replayed_index_put_out_of_range_raises_as_the_eager_call(index):
    # the replay's repeat check met the index first: "ValueError: invalid entry in
    # coordinates array"
    table = ad.tensor(np.zeros((5, 2)))
    compiled = ad.compile(lambda v, i: table.index_put((i,), v))
    compiled(ad.tensor(np.ones((2, 2))), ad.tensor(np.array([0, 1])))
    message = (f"index_put: index {7 if 7 in index else -6} is out of bounds for "
               r"axis 0 with size 5 \(tensor shape \(5, 2\)\)")
    with pytest.raises(IndexError, match=message):
        table.index_put((ad.tensor(np.array(index)),), ad.tensor(np.ones((2, 2))))
    with pytest.raises(IndexError, match=message):
        compiled(ad.tensor(np.ones((2, 2))), ad.tensor(np.array(index)))
    np.testing.assert_array_equal(
        compiled(ad.tensor(np.ones((2, 2))), ad.tensor(np.array([4, -5]))).data,
        table.index_put((ad.tensor(np.array([4, -5])),), ad.tensor(np.ones((2, 2)))).data)


SCATTER_GATHER = {
    "scatter_add dim 0": (lambda t, i: t.scatter_add(0, i, ad.tensor(np.ones((2, 3)))),
                          [[0, 1, 2], [3, 2, 1]]),
    "scatter_add dim 1": (lambda t, i: t.scatter_add(1, i, ad.tensor(np.ones((2, 3)))),
                          [[0, 0, 2], [2, 2, 1]]),
    "scatter_add_": (lambda t, i: (t * 1).scatter_add_(0, i, ad.tensor(np.ones((2, 3)))),
                     [[0, 1, 2], [3, 2, 1]]),
    "take_along_dim": (lambda t, i: ad.take_along_dim(t, i, 0) * 1, [[0, 1, 2], [3, 2, 1]]),
    "take_along_dim broadcast": (lambda t, i: ad.take_along_dim(t, i, 1) * 1,
                                 [[0], [2], [1], [1]]),
    "take_along_dim flat": (lambda t, i: ad.take_along_dim(t, i) * 1, [[0, 11], [5, 3]]),
}


@pytest.mark.parametrize("name", sorted(SCATTER_GATHER))
def test_scatter_add_and_take_along_dim_of_a_traced_index_replay(name):
    # refused at the trace: their positions along the other axes, or the broadcast (or
    # flattened) index, were NumPy arrays made in the call, as scatter's were
    fn, index = SCATTER_GATHER[name]
    table = ad.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    compiled = ad.compile(lambda i: (fn(table, i) ** 2).sum())
    top = np.max(index) + 1
    for shift in range(3):
        i = ad.tensor((np.array(index) + shift) % top)
        got = compiled(i)
        expected = (fn(table, i) ** 2).sum()
        np.testing.assert_array_equal(got.data, expected.data)
    assert compiled.traces == 1
    with pytest.raises(IndexError, match="out of range"):
        compiled(ad.tensor(np.full_like(np.array(index), 40)))


def test_a_compiled_training_step_through_scatter_add_and_take_along_dim():
    def make():
        w = ad.nn.Parameter(np.linspace(-1.0, 1.0, 12).reshape(4, 3))
        opt = ad.optim.SGD([w], lr=0.1)

        def step(i):
            opt.zero_grad()
            picked = ad.take_along_dim(w, i, 0)
            loss = (w.scatter_add(0, i, picked * picked) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return step, w
    eager, w_eager = make()
    compiled, w_compiled = make()
    compiled = ad.compile(compiled)
    for shift in range(4):
        i = ad.tensor((np.array([[0, 1, 2], [3, 2, 1]]) + shift) % 4)
        np.testing.assert_allclose(compiled(i).data, eager(i).data, **REPLAY)
    np.testing.assert_allclose(w_compiled.data, w_eager.data, **REPLAY)


def test_unravel_index_and_ix_of_traced_values_replay():
    # refused as giving "arrays whose size depends on the values": their arrays have
    # the size of the input, whatever its values
    def peak(w):
        row, col = np.unravel_index(np.argmax(w), w.shape)
        return w[row, col] * 2
    compiled = ad.compile(peak)
    for seed in range(3):
        w = ad.tensor(np.random.default_rng(seed).normal(size=(4, 3)))
        np.testing.assert_array_equal(compiled(w).data, peak(w).data)
    table = ad.tensor(np.arange(12.0).reshape(4, 3))
    compiled = ad.compile(lambda i, j: table[np.ix_(i, j)] * 1)
    for rows, cols in [([0, 2], [1]), ([3, 1], [0]), ([1, 1], [2])]:
        rows, cols = ad.tensor(np.array(rows)), ad.tensor(np.array(cols))
        np.testing.assert_array_equal(compiled(rows, cols).data, table[np.ix_(rows, cols)].data)
    assert compiled.traces == 1
    with pytest.raises(TraceError, match="np.nonzero"):        # (sizes from values: refused)
        ad.compile(lambda w: w[np.nonzero(w > 0)] * 1)(ad.tensor(np.ones(3)))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_of_a_traced_index_replays(reduce):
    # refused at the trace: the index spread over the other axes was a NumPy array made
    # in the call
    x = ad.tensor(np.arange(1.0, 13.0).reshape(4, 3))
    source = ad.tensor(np.arange(1.0, 7.0).reshape(2, 3))
    compiled = ad.compile(lambda i: ad.index_reduce(x, 0, i, source, reduce) * 1)
    for index in ([0, 2], [3, 1], [2, 0]):
        i = ad.tensor(np.array(index))
        np.testing.assert_array_equal(compiled(i).data,
                                      ad.index_reduce(x, 0, i, source, reduce).data)
