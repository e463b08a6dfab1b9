"""Library functions that decide something from the values of their inputs, inside
compiled steps: a replay decides again from its own call's values (or the trace
refuses the function).  Each is compared with eager execution over several calls
that take different branches."""

import numpy as np
import pytest

import autodiff as ad


def _same(a, b):
    a, b = (np.asarray(getattr(v, "data", v)) for v in (a, b))
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(b, a)


def _agrees_with_eager(op, inputs, backward=True):
    """Compile ``x -> op(x * w)`` (and the backward of its first result's sum when
    ``backward``); on each input the compiled call gives eager's results and ``w.grad``."""
    w = ad.tensor(1.0, requires_grad=True)

    def step(x):
        out = op(x * w)
        outs = out if isinstance(out, tuple) else (out,)
        if backward:
            w.grad = None
            outs[0].sum().backward()
        return outs

    compiled = ad.compile(step)
    for x in inputs:
        x = np.asarray(x, dtype=float)
        eager = step(x)
        eager_grad = None if w.grad is None else np.array(w.grad)
        replayed = compiled(x)
        for a, b in zip(eager, replayed):
            _same(a, b)
        if backward:
            _same(eager_grad, w.grad)
    assert compiled.traces == 1
    return compiled


ORDERS = [[1.0, 2.0, 3.0], [8.0, 1.0, 2.0], [1.0, 9.0, 3.0], [3.0, 3.0, 1.0]]


@pytest.mark.parametrize("op", [
    lambda t: t.topk(2),
    lambda t: t.topk(2, largest=False),
    lambda t: t.reshape(3, 1).topk(1, dim=0),
    lambda t: ad.topk(t, 2),
    lambda t: t.sort(dim=0),
    lambda t: t.sort(dim=0, descending=True),
    lambda t: (t * t.argsort(),),
    lambda t: (t * t.argsort(descending=True),),
], ids=["topk", "topk-smallest", "topk-2d", "ad.topk", "sort", "sort-descending",
        "argsort", "argsort-descending"])
def test_sorting_methods_sort_each_replays_values(op):
    _agrees_with_eager(op, ORDERS)


A = ad.tensor([1.0, 2.0, 3.0])
FLIPS = [[1.0, 2.0, 3.0], [5.0, 2.0, 3.0], [np.inf, -np.inf, 3.0], [1.0, 2.0, 3.0]]


@pytest.mark.parametrize("op", [
    lambda t: ad.where((t > 2).any(), t, 0.0),
    lambda t: ad.where((t > 2).all(), t, 0.0),
    lambda t: ad.where((t > 2).reshape(3, 1).any(axis=1), t, 0.0),
    lambda t: ad.where(t.isposinf(), 0.0, t),
    lambda t: ad.where(t.isneginf(), 0.0, t),
    lambda t: ad.where(ad.isclose(t, A), 0.0, t),
    lambda t: t * t.argpartition(1),
], ids=["any", "all", "any-axis", "isposinf", "isneginf", "isclose", "argpartition"])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")     # (inf - inf)
def test_value_tests_are_computed_again_at_each_replay(op):
    _agrees_with_eager(op, FLIPS)


@pytest.mark.parametrize("test", [
    lambda t: ad.allclose(t, A), lambda t: (t > 2).all(), lambda t: (t == A).any(),
    lambda t: np.isclose(t, A).all(),
], ids=["allclose", "all", "any", "isclose-all"])
def test_a_python_branch_on_a_value_test_is_refused(test):
    w = ad.tensor(1.0, requires_grad=True)

    @ad.compile
    def f(x):
        y = x * w
        return y * 2.0 if test(y) else y * 3.0

    with pytest.raises(ad.TraceError, match=r"compile: .* on a traced tensor .*"
                                            r"test_compile_value_branches\.py"):
        f(np.array([1.0, 2.0, 3.0]))


@pytest.mark.filterwarnings("ignore::autodiff.conventions.ConventionWarning")
def test_nanvar_gives_nan_where_a_replay_has_no_degrees_of_freedom():
    lanes = [[1.0, 2.0, 3.0], [np.nan, np.nan, np.nan], [np.nan, 2.0, np.nan], [1.0, 2.0, 4.0]]
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        _agrees_with_eager(lambda t: np.nanvar(t, ddof=1), lanes)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        _agrees_with_eager(lambda t: np.nanstd(t, ddof=1), lanes)


def test_cond_of_a_zero_matrix_is_inf_at_a_replay_too():
    matrices = [[2.0, 1.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]]
    with np.errstate(all="ignore"):
        _agrees_with_eager(lambda t: ad.linalg.cond(t.reshape(2, 2)), matrices)
        _agrees_with_eager(lambda t: ad.linalg.cond(t.reshape(2, 2), -2), matrices)


def _raises_at_a_replay(op, good, bad, error, match):
    """Compiled on ``good``, a replay on ``bad`` raises what eager raises."""
    w = ad.tensor(1.0, requires_grad=True)

    def step(x):
        w.grad = None
        y = op(x * w)
        y.sum().backward()
        return y

    compiled = ad.compile(step)
    for x in (good, good):
        _same(step(np.asarray(x)), compiled(np.asarray(x)))
    for run in (step, compiled):
        with pytest.raises(error, match=match):
            run(np.asarray(bad))
    _same(step(np.asarray(good)), compiled(np.asarray(good)))
    assert compiled.traces == 1


def test_average_refuses_weights_summing_to_zero_at_a_replay_too():
    a = ad.tensor([1.0, 2.0, 3.0])
    _raises_at_a_replay(lambda t: np.average(a, weights=t), [1.0, 2.0, 3.0], [1.0, -1.0, 0.0],
                        ZeroDivisionError, "average: the weights sum to zero")


def test_interp_refuses_infinite_fp_at_a_replay_too():
    _raises_at_a_replay(lambda t: np.interp(0.5, [0.0, 1.0, 2.0], t), [1.0, 2.0, 3.0],
                        [1.0, np.inf, 3.0], ValueError, "interp: fp holds inf or NaN")


def test_pinv_refuses_a_cutoff_that_drops_a_nonzero_value_at_a_replay_too():
    _raises_at_a_replay(lambda t: np.linalg.pinv(t.reshape(2, 2), rcond=0.1),
                        [1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.01], ValueError,
                        "pinv: rcond=0.1 drops the nonzero singular value")


@pytest.mark.parametrize("call, match", [
    (lambda x, q: np.quantile(x, q), r"compile: quantile at .*test_compile_value_branches"
                                     r"\.py.*q is a tensor whose values"),
    (lambda x, q: np.percentile(x, q * 100), r"compile: percentile at .*q is a tensor whose"),
    (lambda x, q: np.quantile(x, ad.tensor([0.5]) * q), r"compile: quantile at .*q is a "),
], ids=["quantile", "percentile", "computed-q"])
def test_a_quantile_at_a_traced_q_is_refused(call, match):
    # q's values pick which sorted entries are taken: a replay would reuse the traced q
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, q: call(x * w, q))
    with pytest.raises(ad.TraceError, match=match):
        compiled(np.array([1.0, 2.0, 3.0]), np.array([0.5]))


def test_a_quantile_at_a_python_number_traces_again_for_another():
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, q: np.quantile(x * w, q))
    x = np.array([1.0, 2.0, 3.0])
    for q in (0.5, 0.9, 0.5):
        _same(np.quantile(ad.tensor(x) * w, q), compiled(x, q))


def test_bincount_of_traced_values_is_refused():
    # the length of its result depends on the largest value
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, i: np.bincount(i, weights=x * w))
    with pytest.raises(ad.TraceError, match=r"compile: bincount at .*largest value.*"
                                            r"ad\.index_add"):
        compiled(np.array([1.0, 2.0, 3.0]), np.array([0, 1, 1]))
    bins = np.array([0, 1, 1])      # captured: a plan keeps its length
    fixed = ad.compile(lambda x: np.bincount(bins, weights=x * w))
    for x in ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]):
        _same(np.bincount(bins, weights=ad.tensor(x) * w), fixed(np.array(x)))


F = ad.nn.functional


@pytest.mark.parametrize("call, name", [
    (lambda x, c: F.softplus(x, threshold=c), "softplus"),
    (lambda x, c: F.layer_norm(x, (3,), eps=c), "layer_norm"),
    (lambda x, c: F.hardtanh(x, -c, c), "hardtanh"),
    (lambda x, c: F.celu(x, c), "celu"),
    (lambda x, c: F.threshold(x, c, 0.0), "threshold"),
    (lambda x, c: F.margin_ranking_loss(x, x * 0.5, ad.ones(1, 3), margin=c),
     "margin_ranking_loss"),
])
def test_a_setting_given_as_a_traced_tensor_is_refused(call, name):
    # the setting is read as a Python number: a replay would keep the traced one
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, c: call(x * w, c))
    with pytest.raises(ad.TraceError, match=rf"compile: {name} at .*test_compile_value_"
                                            r"branches\.py.* a tensor whose values it takes "
                                            r"as constants.*Pass .* as a Python number"):
        compiled(np.array([[1.0, -2.0, 3.0]]), np.array(1.5))
    captured = ad.tensor(1.5)
    with pytest.raises(ad.TraceError, match=rf"compile: {name} at "):
        ad.compile(lambda x: call(x * w, captured))(np.array([[1.0, -2.0, 3.0]]))
    number = ad.compile(lambda x, c: call(x * w, c))
    for c in (1.5, 2.5):
        _same(call(ad.tensor([[1.0, -2.0, 3.0]]) * w, c), number(np.array([[1.0, -2.0, 3.0]]), c))


def test_cross_entropy_reads_captured_class_weights_again_at_each_replay():
    weight, target = ad.tensor([1.0, 2.0, 3.0]), np.array([0, 2])
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x: F.cross_entropy(x * w, target, weight=weight))
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, 1.0]])
    for k in range(3):
        _same(F.cross_entropy(ad.tensor(x) * w, target, weight=weight), compiled(x))
        weight.data[...] = [1.0, 1.0, 5.0 + k]


@pytest.mark.parametrize("bins", ["auto", "fd", "doane", "scott", "stone", "sturges", "sqrt",
                                  "rice"])
@pytest.mark.parametrize("function", [np.histogram, np.histogram_bin_edges])
def test_a_histogram_whose_number_of_bins_depends_on_the_values_is_refused(function, bins):
    # (even 'sturges': NumPy makes one bin of equal values)
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x: function(x * w, bins=bins)[1])
    with pytest.raises(ad.TraceError, match=rf"compile: {function.__name__} at .*bins="
                                            rf"'{bins}' estimates how many bins"):
        compiled(np.linspace(0.0, 1.0, 20))


def test_histogram_edges_of_a_given_number_of_bins_follow_each_replay():
    spread = np.linspace(0.0, 1.0, 20)
    outlier = spread.copy()
    outlier[-1] = 100.0
    _agrees_with_eager(lambda t: (np.histogram_bin_edges(t, bins=3),),
                       [spread, outlier, np.ones(20), spread])


MATRICES = [[2.0, 1.0, 0.0, 3.0], [-2.0, 1.0, 0.0, 3.0], [0.0, 1.0, 1.0, 0.0],
            [2.0, 1.0, 0.0, 3.0]]


@pytest.mark.parametrize("shape", [(2, 2), (1, 2, 2)])
def test_slogdet_takes_the_sign_of_each_replays_matrix(shape):
    def det(t):
        sign, logdet = np.linalg.slogdet(t.reshape(shape))
        return sign * ad.exp(logdet), sign

    _agrees_with_eager(det, MATRICES)


def test_diff_of_bools_is_computed_again_at_each_replay():
    _agrees_with_eager(lambda t: (t * np.diff(t > 1.5, prepend=False),), ORDERS)


def test_real_if_close_of_traced_values_is_refused():
    # whether the result is real or complex depends on the imaginary parts
    c = ad.tensor(np.array([1.0 + 0j]))
    compiled = ad.compile(lambda z: np.real_if_close(z * c))
    with pytest.raises(ad.TraceError, match=r"compile: real_if_close at .*whether its "
                                            r"result is real or complex"):
        compiled(np.array([1.0 + 2j, 3.0 - 1j]))


@pytest.mark.parametrize("op", [
    lambda t: (t * t[0].astype(int),),
    lambda t: (t * t.astype(np.int32),),
    lambda t: (ad.where(t.astype(bool), t, 7.0),),
    lambda t: (t * t.long(),),
    lambda t: (np.roll(t, t[0].astype(int)),),
    lambda t: (t.sum(), t[1].astype(np.int64)),
], ids=["0-d", "int32", "bool", "long", "roll-by-a-traced-shift", "returned"])
def test_casts_to_integers_and_bools_are_computed_again_at_each_replay(op):
    _agrees_with_eager(op, [[1.0, 2.0, 3.0], [5.0, 0.0, 7.0], [2.0, 1.0, 0.0]])


def test_the_searchsorted_method_is_computed_again_at_each_replay():
    _agrees_with_eager(lambda t: (t * ad.sort(t).searchsorted(2.5),
                                  ad.sort(t).searchsorted(t * 0.5)), ORDERS)
    assert type(ad.tensor([1.0, 2.0]).searchsorted(1.5)) is np.int64     # eager: NumPy's


@pytest.mark.parametrize("op", [
    lambda t: (np.choose((t > 1.5).astype(int), [t, t * 10.0]),),
    lambda t: (np.choose((t[0] > 1.5).astype(int), [t, t * 10.0]),),
    lambda t: (np.choose((t * 2.0).astype(int), [t, 10.0, t * 3.0], mode="clip"),),
], ids=["nd", "0-d", "clip"])
def test_choose_takes_each_replays_choices(op):
    _agrees_with_eager(op, [[1.0, 2.0, 3.0], [3.0, 1.0, 0.0], [0.2, 0.9, 1.2]])


@pytest.mark.parametrize("name", ["aweights", "fweights"])
def test_cov_with_traced_weights_is_refused(name):
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, weights: np.cov(x * w, **{name: weights}))
    with pytest.raises(ad.TraceError, match=rf"compile: cov at .*its {name} are a tensor"):
        compiled(np.array([1.0, 2.0, 4.0]), np.array([1, 2, 1]))


SYMMETRIC = [[2.0, 1.0, 1.0, -3.0], [-4.0, 0.5, 0.5, 1.0], [3.0, 0.0, 0.0, -1.0],
             [2.0, 1.0, 1.0, -3.0]]


@pytest.mark.parametrize("shape", [(2, 2), (1, 2, 2)])
@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_hermitian_svd_orders_and_signs_each_replays_values(shape, part):
    _agrees_with_eager(lambda t: (np.linalg.svd(t.reshape(shape), hermitian=True)[part],),
                       SYMMETRIC)
    _agrees_with_eager(lambda t: (np.linalg.svd(t.reshape(shape), hermitian=True,
                                                compute_uv=False),), SYMMETRIC)


@pytest.mark.parametrize("op", [
    lambda t: (t * np.frexp(t)[1],),
    lambda t: (t * np.frexp(t[0])[1],),
    lambda t: (t * np.angle(t[0]),),
    lambda t: (t * np.angle(t),),
], ids=["frexp", "frexp-0-d", "angle-0-d", "angle"])
def test_exponents_and_angles_are_computed_again_at_each_replay(op):
    _agrees_with_eager(op, [[3.0, -1.0, 100.0], [-100.0, 0.5, 3.0], [3.0, -1.0, 100.0]])


@pytest.mark.parametrize("part", [np.real, np.imag, np.angle, np.conj])
def test_parts_of_complex_values_are_computed_again_at_each_replay(part):
    c = ad.tensor(np.array(1.0 + 0j))
    compiled = ad.compile(lambda z: part(z * c) * 1.0)
    for z in (1.0 + 2j, 3.0 - 1j, np.array([1.0 + 2j, -3.0 + 0.5j])):
        _same(part(np.asarray(z)) * 1.0, compiled(np.asarray(z)))


@pytest.mark.parametrize("call, where", [
    (lambda x, i: x.gather(0, i), "gather"),
    (lambda x, i: x.scatter_add(0, i, x[:2]), "scatter_add"),
    (lambda x, i: x.scatter(0, i, x[:2]), "scatter"),
    (lambda x, i: x.index_select(0, i), "index_select"),
])
def test_index_checks_run_again_at_each_replay(call, where):
    # a negative index would wrap around silently where eager refuses it
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, i: call(x * w, i))
    x = np.array([1.0, 2.0, 3.0])
    for index in ([0, 1], [2, 0], [1, 2]):
        _same(call(ad.tensor(x) * w, np.array(index)), compiled(x, np.array(index)))
    with pytest.raises(IndexError, match=rf"{where}: index -1 is out of range"):
        compiled(x, np.array([-1, 0]))
    assert compiled.traces == 1


def test_scatter_refuses_a_position_written_twice_at_a_replay_too():
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x, i: (x * w).scatter(0, i, x[:2] * w))
    x = np.array([1.0, 2.0, 3.0])
    _same((ad.tensor(x) * w).scatter(0, np.array([0, 1]), x[:2] * w),
          compiled(x, np.array([0, 1])))
    with pytest.raises(ValueError, match="scatter: the index .* more than once"):
        compiled(x, np.array([1, 1]))


@pytest.mark.parametrize("edges", [
    lambda t: np.histogram(t, bins=3)[1],
    lambda t: np.histogram_bin_edges(t, bins=3),
    lambda t: np.histogram2d(t, t * 2.0, bins=3)[1],
    lambda t: np.histogramdd(t.reshape(3, 1), bins=3)[1][0],
], ids=["histogram", "histogram_bin_edges", "histogram2d", "histogramdd"])
def test_histogram_refuses_values_without_a_finite_range_at_a_replay_too(edges):
    _raises_at_a_replay(edges, [1.0, 2.0, 3.0], [1.0, np.nan, 3.0], ValueError,
                        r"range of \[.*\] is not finite")


@pytest.mark.parametrize("op", [
    lambda t: np.nanstd(t), lambda t: np.nanstd(t.reshape(1, 3), axis=1),
    lambda t: np.nanstd(t, ddof=1),
], ids=["all", "axis", "ddof"])
def test_nanstd_finds_each_replays_equal_values(op):
    # equal values: std 0 with gradient 0; a replay used the trace's answer
    _agrees_with_eager(lambda t: (op(t),), [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0],
                                            [2.0, np.nan, 2.0], [2.0, 2.0, 2.0]])


@pytest.mark.parametrize("function", [np.unique, np.unique_values, np.unique_counts])
def test_unique_of_traced_values_is_refused_naming_it(function):
    w = ad.tensor(1.0, requires_grad=True)
    compiled = ad.compile(lambda x: function(x * w))
    with pytest.raises(ad.TraceError, match=rf"compile: {function.__name__} at .*how many "
                                            "distinct values"):
        compiled(np.array([1.0, 1.0, 2.0]))


@pytest.mark.parametrize("p", [1, np.inf, "fro", "nuc"])
def test_cond_refuses_a_singular_matrix_at_a_replay_too(p):
    singular = [2.0, 1.0, 1.0, np.inf]
    with np.errstate(all="ignore"):
        _raises_at_a_replay(lambda t: np.linalg.cond(t.reshape(2, 2), p), [2.0, 1.0, 1.0, 3.0],
                            singular, np.linalg.LinAlgError, "cond: the matrix .* is singular")


def test_geomspace_refuses_a_zero_end_at_a_replay_too():
    _raises_at_a_replay(lambda t: np.geomspace(t[0], 2.0, num=0), [1.0, 2.0], [0.0, 2.0],
                        ValueError, "geomspace: a geometric sequence cannot include zero")
