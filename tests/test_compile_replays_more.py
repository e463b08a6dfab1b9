"""Library functions that compute arrays from values or shapes with NumPy replay under
``ad.compile``: scatter_reduce 'amax'/'amin', np.pad's copying modes, np.histogram2d
and np.histogramdd (and the edges of np.histogram), and the index-building functions
(argsort, searchsorted, digitize, bincount, take_along_axis, roll, tile, repeat).
Each compiled step gives eager's values and gradients bit for bit at every call,
with inputs that change which entry wins, which bin a point falls in, which branch
is taken.  What cannot replay (a shape read from the values) is refused naming the
function."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError

# Inputs that change the winners: ties, a new maximum, entries moving between bins.
INPUTS = [np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([4.0, 0.5, 3.0, 3.0, 1.0]),
          np.array([2.0, 5.0, -1.0, 0.5, 0.5]), np.array([1.0, 1.0, 1.0, 1.0, 1.0]),
          np.array([-3.0, 2.5, 2.5, 7.0, 0.0])]
INDEX = np.array([0, 1, 0, 2, 1])           # made before the call: a replay reads it again
EDGES = np.array([0.0, 1.5, 3.0])
REPEATS = np.array([1, 2, 1, 0, 1])


def assert_bitwise(eager, compiled):
    eager, compiled = np.asarray(eager), np.asarray(compiled)
    assert eager.dtype == compiled.dtype and eager.shape == compiled.shape
    assert eager.tobytes() == compiled.tobytes(), (eager, compiled)


def check_replays(loss_of, inputs=INPUTS):
    """``loss_of(x, w)`` compiled (backward inside the step) against eager, value and
    ``w.grad``, bit for bit at each input; one trace for all of them."""
    w = ad.tensor(np.linspace(0.5, 1.5, 5), requires_grad=True)

    def step(x):
        loss = loss_of(x, w)
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for x in inputs:
        w.grad = None
        eager_loss = step(ad.tensor(x))
        eager_grad = w.grad
        w.grad = None
        compiled_loss = compiled(x)
        assert_bitwise(eager_loss.data, compiled_loss.data)
        assert eager_grad is not None and w.grad is not None
        assert_bitwise(eager_grad, w.grad)
        w.grad = None
    assert compiled.traces == 1


def weighted_sum(t):
    """A sum that weighs each entry differently (so a gradient tells them apart)."""
    return (t * ad.arange(1.0, t.size + 1).reshape(t.shape)).sum()


# --- scatter_reduce amax / amin --------------------------------------------------------

@pytest.mark.parametrize("reduce", ["amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_extremes_replay(reduce, include_self):
    check_replays(lambda x, w: weighted_sum(ad.full((3,), 0.75).scatter_reduce(
        0, ad.tensor(INDEX), x * w, reduce=reduce, include_self=include_self)))


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply")  # 0 * inf
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_extremes_replay_along_dim_1_with_infinities(reduce):
    inputs = INPUTS + [np.array([np.inf, 1.0, -np.inf, 2.0, np.inf])]
    index = np.array([[0, 1, 0], [2, 2, 1]])

    def loss(x, w):
        src = ((x * w)[:3] * ad.tensor([[1.0], [-2.0]]))
        base = ad.zeros(2, 3) + w[3]
        return weighted_sum(base.scatter_reduce(1, index, src, reduce=reduce))
    check_replays(loss, inputs)


def test_scatter_reduce_amax_gradient_matches_central_differences():
    index = np.array([0, 1, 0, 2, 1])

    def f(t, src):
        return weighted_sum(t.scatter_reduce(0, index, src, reduce="amax"))
    assert ad.gradcheck(f, [np.array([0.3, 9.0, -1.0]), np.array([0.1, 2.0, 0.7, 1.1, 5.0])])


@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_extremes_compiled_match_pytorch(reduce):
    # (include_self=True: with False, PyTorch still counts the tensor's own entry among
    # the ties when it equals the result, so its shares do not add up to g)
    torch = pytest.importorskip("torch")
    index = np.array([0, 1, 0, 2, 1])
    base = np.array([0.5, 0.5, 1.0])
    w = ad.tensor(np.ones(5), requires_grad=True)

    @ad.compile
    def step(x):
        y = ad.tensor(base).scatter_reduce(0, index, x * w, reduce=reduce)
        weighted_sum(y).backward()
        return y

    for x in INPUTS:
        w.grad = None
        y = step(x)
        tw = torch.ones(5, dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(base).scatter_reduce(0, torch.tensor(index), torch.tensor(x) * tw,
                                               reduce=reduce)
        (ty * torch.arange(1.0, 4.0, dtype=torch.float64)).sum().backward()
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=0, atol=0)
        np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-15, atol=0)


# --- np.pad: the copying modes ---------------------------------------------------------

@pytest.mark.parametrize("mode", ["reflect", "symmetric", "wrap", "edge"])
def test_pad_copying_modes_replay(mode):
    check_replays(lambda x, w: weighted_sum(np.pad(x * w, 2, mode=mode)))


@pytest.mark.parametrize("mode", ["reflect", "symmetric", "wrap", "edge"])
def test_pad_copying_modes_replay_in_2d_with_wide_padding(mode):
    # wider than the axis: NumPy pads in several rounds ('reflect' needs more than 1 row)
    check_replays(lambda x, w: weighted_sum(
        np.pad((x * w).reshape(1, 5) * ad.tensor([[1.0], [-1.0]]), ((3, 1), (7, 2)),
               mode=mode)))


@pytest.mark.parametrize("mode", ["maximum", "minimum", "mean", "median", "linear_ramp",
                                  "constant"])
def test_pad_computing_modes_replay(mode):
    check_replays(lambda x, w: weighted_sum(np.pad(x * w, (2, 1), mode=mode)))


@pytest.mark.parametrize("mode, torch_mode", [("reflect", "reflect"), ("edge", "replicate"),
                                              ("wrap", "circular")])
def test_pad_copying_modes_compiled_match_pytorch(mode, torch_mode):
    torch = pytest.importorskip("torch")
    w = ad.tensor(np.ones(5), requires_grad=True)

    @ad.compile
    def step(x):
        y = np.pad(x * w, 2, mode=mode)
        weighted_sum(y).backward()
        return y

    for x in INPUTS[:3]:
        w.grad = None
        y = step(x)
        tw = torch.ones(5, dtype=torch.float64, requires_grad=True)
        ty = torch.nn.functional.pad((torch.tensor(x) * tw).reshape(1, 1, 5), (2, 2),
                                     mode=torch_mode).reshape(-1)
        (ty * torch.arange(1.0, 10.0, dtype=torch.float64)).sum().backward()
        np.testing.assert_array_equal(y.data, ty.detach().numpy())
        np.testing.assert_array_equal(w.grad, tw.grad.numpy())


# --- histograms ------------------------------------------------------------------------

HISTOGRAMS = {
    "histogram2d counts": lambda x, w: np.histogram2d(x * w, x, bins=3)[0].sum() * w[0],
    "histogram2d weights": lambda x, w: weighted_sum(
        np.histogram2d(x * w, x, bins=3, weights=x * w)[0]),
    "histogram2d density": lambda x, w: weighted_sum(
        np.histogram2d(x * w, x, bins=(3, 2), density=True)[0]),
    "histogram2d edges": lambda x, w: (weighted_sum(np.histogram2d(x * w, x, bins=3)[1])
                                       + weighted_sum(np.histogram2d(x, x * w, bins=2)[2])),
    "histogram2d range": lambda x, w: weighted_sum(np.histogram2d(
        x * w, x, bins=3, range=[[-1, 5], [0, 4]], weights=w)[0]),
    "histogram2d range edges": lambda x, w: weighted_sum(
        np.histogram2d(x * w, x, bins=3, range=[[-1, 5], [0, 4]])[1] * w[:4]),
    "histogram2d given edges": lambda x, w: weighted_sum(
        np.histogram2d(x * w, x, bins=[EDGES, [0.0, 1.0, 2.0, 5.0]], weights=w)[0])
        + weighted_sum(np.histogram2d(x * w, x, bins=[[0.0, 2.0, 4.0], EDGES])[1] * w[:3]),
    "histogramdd counts": lambda x, w: np.histogramdd(
        ad.stack([x * w, x, -x], axis=1), bins=2)[0].sum() * w[1],
    "histogramdd weights": lambda x, w: weighted_sum(np.histogramdd(
        ad.stack([x * w, x], axis=1), bins=(2, 3), weights=w * w)[0]),
    "histogramdd density": lambda x, w: weighted_sum(np.histogramdd(
        ad.stack([x * w, x], axis=1), bins=2, density=True)[0]),
    "histogram edges": lambda x, w: weighted_sum(np.histogram(x * w, bins=3)[1]),
    "histogram range edges": lambda x, w: weighted_sum(
        np.histogram(x * w, bins=3, range=(0, 5))[1] * w[:4]),
    "histogram given edges": lambda x, w: weighted_sum(
        np.histogram(x * w, bins=[0.0, 1.5, 3.0], weights=w)[0] * w[:2]),
    "histogram_bin_edges range": lambda x, w: weighted_sum(
        np.histogram_bin_edges(x * w, bins=3, range=(0, 5)) * w[:4]),
}


@pytest.mark.parametrize("name", sorted(HISTOGRAMS))
def test_histograms_replay(name):
    check_replays(HISTOGRAMS[name])


def test_histogram2d_of_the_report_replays_its_counts():
    w = ad.tensor(np.ones(5), requires_grad=True)
    compiled = ad.compile(lambda x: np.histogram2d(x * w, x, bins=3)[0].sum(axis=0))
    for x in INPUTS:
        assert_bitwise(np.histogram2d(x, x, bins=3)[0].sum(axis=0), compiled(x).data)
    assert compiled.traces == 1


# --- functions that build index arrays -------------------------------------------------

INDEXING = {
    "argsort": lambda x, w: weighted_sum(ad.take(x * w, np.argsort(x * w))),
    "sort": lambda x, w: weighted_sum(np.sort(x * w)),
    "sort descending": lambda x, w: weighted_sum((x * w).sort(descending=True)[0]),
    "searchsorted": lambda x, w: weighted_sum(
        np.searchsorted(ad.tensor(EDGES), x * w) * w),
    "digitize": lambda x, w: weighted_sum(np.digitize(x * w, EDGES) * w),
    "bincount weights": lambda x, w: weighted_sum(
        np.bincount(ad.tensor([0, 1, 1, 2, 0]), weights=x * w)),
    "take_along_axis": lambda x, w: weighted_sum(
        np.take_along_axis(x * w, np.argsort(x * w), 0)),
    "gather": lambda x, w: weighted_sum((x * w).gather(0, (x * w).argsort())),
    "roll": lambda x, w: weighted_sum(np.roll(x * w, 2)),
    "tile": lambda x, w: weighted_sum(np.tile(x * w, 2)),
    "repeat array": lambda x, w: weighted_sum(np.repeat(x * w, REPEATS)),
    "repeat list": lambda x, w: weighted_sum(np.repeat(x * w, [1, 2, 1, 0, 1])),
    "topk": lambda x, w: weighted_sum((x * w).topk(2)[0]),
    "median": lambda x, w: np.median(x * w) * w[0],
}


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_index_building_functions_replay(name):
    check_replays(INDEXING[name])


def test_select_replays_where_the_branch_changes():
    check_replays(lambda x, w: weighted_sum(
        np.select([x < 2, x >= 2], [(x * w) * 2, x * w], default=0.0)))


# --- what is refused, by name ----------------------------------------------------------

def test_piecewise_on_traced_conditions_is_refused_naming_it():
    w = ad.tensor(np.ones(5), requires_grad=True)

    def pw(x):
        return np.piecewise(x * w, [x < 2, x >= 2], [lambda v: v * 2, lambda v: v]).sum()

    np.testing.assert_array_equal(pw(ad.tensor(INPUTS[0])).data, 0 + 2 + 2 + 3 + 4)  # eager
    with pytest.raises(ad.TraceError, match=r"np\.piecewise at test_compile_replays_more"
                                            r"\.py:\d+.*np\.select"):
        ad.compile(pw)(INPUTS[0])


def test_piecewise_on_constant_array_conditions_is_refused_naming_it():
    mask = np.array([True, False, True, False, True])
    w = ad.tensor(np.ones(5), requires_grad=True)
    step = ad.compile(lambda x: np.piecewise(x * w, [mask], [lambda v: v * 2, 0.0]).sum())
    with pytest.raises(ad.TraceError, match=r"np\.piecewise.*shape the function sees"):
        step(INPUTS[0])


@pytest.mark.parametrize("call, name", [
    (lambda v: np.unique(v).sum(), r"unique"),
    (lambda v: np.nonzero(v)[0].sum(), r"np\.nonzero"),
    (lambda v: np.bincount(ad.tensor([0, 2, 1]) + (v[:3] > 1).astype(np.int64),
                           weights=v[:3]).sum(), r"bincount"),
])
def test_shapes_read_from_values_are_refused_naming_the_function(call, name):
    w = ad.tensor(np.ones(5), requires_grad=True)
    step = ad.compile(lambda x: call(x * w))
    with pytest.raises(ad.TraceError, match=name + r" at test_compile_replays_more\.py:\d+"
                                                   r".*(depends on the values|the largest"
                                                   r" value of x)"):
        step(INPUTS[1])


def test_an_index_the_call_makes_with_numpy_from_numbers_replays():
    """np.array([0, 1, 0, 2, 1]) made in the call from Python numbers is a constant of
    the plan (call_constants.py), as ad.tensor of the same numbers is."""
    check_replays(lambda x, w: ad.zeros(3).scatter_reduce(
        0, ad.tensor(np.array([0, 1, 0, 2, 1])), x * w, reduce="amax").sum())
    check_replays(lambda x, w: ad.zeros(3).scatter_reduce(
        0, ad.tensor([0, 1, 0, 2, 1]), x * w, reduce="amax").sum())


# --- found by the audit: more functions that build arrays from values -------------------

REPLAYED_TOO = {
    "index_fill": lambda x, w: weighted_sum((x * w).index_fill(0, ad.tensor([1, 3]), -1.0)),
    "index_fill 0-d index": lambda x, w: weighted_sum(
        (x * w).reshape(1, 5).index_fill(1, ad.tensor(2), 0.5)),
    "index_add 0-d index": lambda x, w: weighted_sum(
        ad.zeros(3).index_add(0, ad.tensor(1), (x * w)[2:3])),
    "polyval": lambda x, w: weighted_sum(np.polyval(x * w, ad.tensor([1.0, -2.0]))),
    "compress of Python bools": lambda x, w: weighted_sum(
        np.compress([True, False, True, True], x * w)),
    "extract of Python bools": lambda x, w: weighted_sum(
        np.extract([False, True, False, True, True], x * w)),
    "diag_embed": lambda x, w: weighted_sum((x * w).diag_embed(offset=1)),
}


@pytest.mark.filterwarnings("ignore:invalid value encountered")     # x * w at NaN, inf
@pytest.mark.parametrize("method", ["median", "nanmedian"])
def test_median_of_all_entries_follows_ties_nan_and_infinities(method):
    """median() without dim shares the gradient among the entries equal to it: which
    ones (and whether it is NaN or infinite) was read once, at the trace."""
    inputs = INPUTS + [np.array([2.0, np.nan, -1.0, 0.5, 0.5]),
                       np.array([np.inf, np.inf, np.inf, 1.0, -2.0]),
                       np.array([-np.inf, -np.inf, -np.inf, 1.0, 2.0])]
    check_replays(lambda x, w: getattr(x * w, method)() * 3.0, inputs)


@pytest.mark.parametrize("name", sorted(REPLAYED_TOO))
def test_more_library_functions_replay(name):
    check_replays(REPLAYED_TOO[name])


@pytest.mark.parametrize("call, name", [
    (lambda v: (np.argwhere(v > 1) * 1.0).sum(), r"np\.argwhere"),
    (lambda v: (np.flatnonzero(v > 1) * 1.0).sum(), r"np\.flatnonzero"),
    (lambda v: ((v > 1).argwhere() * 1.0).sum(), r"argwhere"),
    (lambda v: v.masked_select(v > 1).sum(), r"masked_select"),
    (lambda v: np.compress(v > 1, v).sum(), r"np\.compress"),
    (lambda v: np.extract(v > 1, v).sum(), r"np\.extract"),
    (lambda v: v.unique().sum(), r"unique"),
    (lambda v: v.unique_consecutive().sum(), r"unique_consecutive"),
])
def test_selections_whose_length_is_read_from_values_are_refused_naming_them(call, name):
    """np.argwhere's replay used to keep the traced length: a wrong sum, no error."""
    w = ad.tensor(np.ones(5), requires_grad=True)
    step = ad.compile(lambda x: call(x * w))
    with pytest.raises(ad.TraceError, match=name + r" at test_compile_replays_more\.py:\d+"):
        step(INPUTS[1])


def test_an_array_made_off_the_tape_that_changes_shape_at_a_replay_raises():
    """A library array whose length follows the values (as np.argwhere's did) stops
    the replay, naming its step, rather than feeding the plan's fixed-shape steps."""
    from autodiff.compile.hooks import made

    def positives(x):
        at = made("positive positions", lambda d: np.flatnonzero(d > 0), (x.data,))
        return ad.take(x, at).sum()

    step = ad.compile(positives)
    np.testing.assert_array_equal(step(np.array([1.0, -1.0, 2.0])).data, 3.0)
    np.testing.assert_array_equal(step(np.array([5.0, -1.0, 2.0])).data, 7.0)
    with pytest.raises(RuntimeError, match=r"'positive positions' at test_compile_replays_"
                                           r"more\.py:\d+ gave an array of shape \(3,\) at "
                                           r"this call but \(2,\) when traced"):
        step(np.array([1.0, 1.0, 2.0]))


# --- index_reduce 'prod': how often the index repeats sets the layers of products -------

def test_index_reduce_prod_traces_again_when_the_argument_index_repeats_otherwise():
    w = ad.tensor(np.linspace(0.5, 1.5, 6), requires_grad=True)

    def step(src, index):
        loss = weighted_sum(ad.index_reduce(ad.ones(4), 0, index, w * src, "prod"))
        loss.backward()
        return loss

    compiled = ad.compile(step)
    rng = np.random.default_rng(3)
    # repeats (2, 1, 1, 2), then (1, 3, 1, 1): another set of layers, then (2, 2, 1, 1)
    for index in ([0, 0, 1, 2, 3, 3], [0, 1, 1, 1, 2, 3], [0, 1, 2, 3, 0, 1]):
        src, index = rng.normal(size=6), np.array(index)
        w.grad = None
        eager_loss = step(ad.tensor(src), ad.tensor(index))
        eager_grad, w.grad = w.grad, None
        assert_bitwise(eager_loss.data, compiled(src, index).data)
        assert_bitwise(eager_grad, w.grad)
    assert compiled.traces == 2


def test_index_reduce_prod_of_an_index_tensor_made_before_the_call_replays():
    index = ad.tensor(np.array([0, 2, 0, 0, 1]))
    check_replays(lambda x, w: weighted_sum(ad.index_reduce(
        ad.full((3,), 0.75), 0, index, x * w, "prod")))


def test_index_reduce_prod_of_an_index_computed_in_the_call_is_refused_at_the_trace():
    w = ad.tensor(np.linspace(0.5, 1.5, 6), requires_grad=True)

    def step(src):
        index = ad.argmax(ad.stack([src, -src, 2 * src - 1]), axis=0)
        loss = ad.index_reduce(ad.ones(3), 0, index, w * src, "prod").sum()
        loss.backward()
        return loss

    with pytest.raises(TraceError, match=r"index_reduce at test_compile_replays_more"
                       r"\.py:\d+.*repeats a position"):
        ad.compile(step)(np.array([0.3, -1.0, 2.0, 0.1, -0.2, 0.7]))
