"""The twenty-second round's features crossed with the rest, tensors and modules: a
``torch.dtype`` given to layers and to the creation functions, ``t.new_zeros`` and its
kin, ``ModuleList + ModuleList``, ``Sequential(OrderedDict)`` names and ``del net[i]``,
``@ad.no_grad`` without parentheses and ``nonzero``, through ``ad.compile`` (replays,
retraces, ``AUTODIFF_JIT=0``), ``vmap``, ``grad``, ``state_dict``, pickling and
``copy.deepcopy``; against PyTorch."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

torch = pytest.importorskip("torch")

ROWS = np.arange(6.0).reshape(2, 3) / 4


# ----- a torch.dtype given to the creation functions ---------------------------------------

CREATIONS = {
    "zeros": (lambda d: ad.zeros(2, 3, dtype=d), lambda d: torch.zeros(2, 3, dtype=d)),
    "ones": (lambda d: ad.ones(3, dtype=d), lambda d: torch.ones(3, dtype=d)),
    "empty": (lambda d: ad.empty(3, dtype=d), lambda d: torch.empty(3, dtype=d)),
    "full": (lambda d: ad.full((2,), 1.5, dtype=d), lambda d: torch.full((2,), 1.5, dtype=d)),
    "eye": (lambda d: ad.eye(3, dtype=d), lambda d: torch.eye(3, dtype=d)),
    "arange": (lambda d: ad.arange(4, dtype=d), lambda d: torch.arange(4, dtype=d)),
    "linspace": (lambda d: ad.linspace(0, 1, 5, dtype=d),
                 lambda d: torch.linspace(0, 1, 5, dtype=d)),
    "zeros_like": (lambda d: ad.zeros_like(ad.tensor(ROWS), dtype=d),
                   lambda d: torch.zeros_like(torch.tensor(ROWS), dtype=d)),
    "ones_like": (lambda d: ad.ones_like(ad.tensor(ROWS), dtype=d),
                  lambda d: torch.ones_like(torch.tensor(ROWS), dtype=d)),
    "full_like": (lambda d: ad.full_like(ad.tensor(ROWS), 2.0, dtype=d),
                  lambda d: torch.full_like(torch.tensor(ROWS), 2.0, dtype=d)),
    "astype": (lambda d: ad.tensor(ROWS).astype(d), lambda d: torch.tensor(ROWS).to(d)),
    "logspace": (lambda d: ad.logspace(0, 1, 3, dtype=d),
                 lambda d: torch.logspace(0, 1, 3, dtype=d)),
}


# (a complex arange is NumPy's but not PyTorch's)
@pytest.mark.parametrize("name, dtype_name", [
    (name, dtype_name) for name in sorted(CREATIONS)
    for dtype_name in ("float32", "float16", "int32", "complex64")
    if not (dtype_name == "complex64" and name == "arange")])
def test_creation_functions_read_a_torch_dtype_as_pytorch_does(name, dtype_name):
    ours, theirs = CREATIONS[name]
    dtype = getattr(torch, dtype_name)
    made = ours(dtype)          # (was NumPy's bare "Cannot interpret 'torch.float32'")
    reference = theirs(dtype)
    assert made.dtype == np.dtype(dtype_name)
    assert made.shape == tuple(reference.shape)
    if name != "empty":
        np.testing.assert_array_equal(made, reference.numpy())


def test_a_torch_dtype_numpy_lacks_is_refused_by_name():
    for make, where in ((lambda: ad.zeros(2, dtype=torch.bfloat16), "zeros"),
                        (lambda: ad.eye(2, dtype=torch.bfloat16), "eye"),
                        (lambda: ad.ones(2).astype(torch.bfloat16), "astype")):
        with pytest.raises(TypeError, match=f"{where}: NumPy has no bfloat16"):
            make()
    with pytest.raises(TypeError, match="logspace: dtype=complex64 is not supported"):
        ad.logspace(ad.tensor(0.0, requires_grad=True), 1, 3, dtype=torch.complex64)


DTYPE_ARGUMENTS = {
    "sum": (lambda t, d: t.sum(dtype=d), lambda t, d: t.sum(dtype=d)),
    "prod": (lambda t, d: t.prod(dtype=d), lambda t, d: t.prod(dtype=d)),
    "mean": (lambda t, d: t.mean(dtype=d), lambda t, d: t.mean(dtype=d)),
    "cumsum": (lambda t, d: t.cumsum(0, dtype=d), lambda t, d: t.cumsum(0, dtype=d)),
    "softmax": (lambda t, d: nn.functional.softmax(t, dim=0, dtype=d),
                lambda t, d: torch.nn.functional.softmax(t, dim=0, dtype=d)),
    "log_softmax": (lambda t, d: nn.functional.log_softmax(t, dim=0, dtype=d),
                    lambda t, d: torch.nn.functional.log_softmax(t, dim=0, dtype=d)),
}


@pytest.mark.parametrize("name", sorted(DTYPE_ARGUMENTS))
def test_methods_computing_in_a_torch_dtype_are_pytorchs_and_differentiate(name):
    ours, theirs = DTYPE_ARGUMENTS[name]
    values = np.array([0.5, 1.5, 2.0])
    x = ad.tensor(values, requires_grad=True)
    result = ours(x, torch.float32)     # (was NumPy's "Cannot interpret 'torch.float32'")
    reference = theirs(torch.tensor(values), torch.float32)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.detach(), reference.numpy(), rtol=1e-6)
    result.sum().backward()
    assert x.grad.dtype == np.float64


def test_randperm_takes_a_torch_dtype():
    drawn = ad.randperm(5, dtype=torch.int32, rng=0)
    assert drawn.dtype == np.int32 and sorted(drawn.tolist()) == list(range(5))


def test_a_compiled_step_making_tensors_of_a_torch_dtype_replays():
    def step(x):
        weights = ad.linspace(0, 1, 3, dtype=torch.float32) + ad.ones(3, dtype=torch.float32)
        return (x * weights).sum() + ad.arange(3, dtype=torch.float32).sum()

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, 3.0):
        x = ad.tensor(np.full(3, scale, dtype=np.float32))
        result = compiled(x)
        assert result.dtype == np.float32 and result.item() == step(x).item()
    assert compiled.traces == 1


# ----- t.new_zeros and its kin in a compiled step -------------------------------------------

NEW = {"new_zeros": lambda x: x.new_zeros(x.shape) + 1,
       "new_ones": lambda x: x.new_ones(3),
       "new_full": lambda x: x.new_full((3,), 2.0),
       "new_tensor": lambda x: x.new_tensor([1.0, 2.0, 3.0]),
       "new_tensor of x": lambda x: x.new_tensor(x),
       "new_empty": lambda x: x.new_empty(3, dtype=torch.float64) * 0 + 1}


@pytest.mark.parametrize("jit", ["1", "0"])
@pytest.mark.parametrize("name", sorted(NEW))
def test_new_tensors_in_a_compiled_step_are_made_again_at_each_replay(name, jit, monkeypatch):
    monkeypatch.setenv("AUTODIFF_JIT", jit)
    make = NEW[name]

    def step(x):
        loss = (x * make(x)).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)     # (was a TraceError: an array made outside the library)
    for scale in (1.0, 2.0, 3.0):
        x = ad.tensor(np.array([1.0, 2.0, 3.0]) * scale, requires_grad=True)
        eager = ad.tensor(np.array([1.0, 2.0, 3.0]) * scale, requires_grad=True)
        assert compiled(x).item() == step(eager).item()
        np.testing.assert_array_equal(x.grad, eager.grad)
    assert compiled.traces == 1


def test_a_new_leaf_that_requires_grad_in_a_compiled_step_gets_its_gradient_each_call():
    def step(x):
        shift = x.new_zeros(x.shape, requires_grad=True)
        ((x - shift) ** 2).sum().backward()
        return shift.grad

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, 3.0):
        np.testing.assert_array_equal(compiled(ad.tensor(np.ones(3) * scale)), -2 * scale)
    assert compiled.traces == 1


def test_new_tensors_keep_pytorchs_dtype_and_flags_under_no_grad_and_vmap():
    ours = ad.tensor(ROWS.astype(np.float32), requires_grad=True)
    theirs = torch.tensor(ROWS.astype(np.float32), requires_grad=True)
    with ad.no_grad(), torch.no_grad():
        made = ours.new_ones((2,), requires_grad=True)
        reference = theirs.new_ones((2,), requires_grad=True)
    assert made.requires_grad == reference.requires_grad is True
    assert made.dtype == np.float32
    assert ours.new_full((2,), 3, dtype=torch.float16).dtype == np.float16
    mapped = ad.vmap(lambda row: row * row.new_tensor([1.0, 2.0, 3.0]))(ad.tensor(ROWS))
    np.testing.assert_array_equal(mapped, ROWS * [1.0, 2.0, 3.0])


# ----- layers given a torch.dtype, positionally -----------------------------------------------

def test_a_float32_layer_made_with_torchs_positional_arguments_computes_as_pytorchs():
    torch.manual_seed(0)
    ours = nn.Linear(3, 2, True, "cpu", torch.float32)
    theirs = torch.nn.Linear(3, 2, True, "cpu", torch.float32)
    ours.load_torch_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = ROWS.astype(np.float32)
    # (float32 sums of three products in BLAS's order and PyTorch's: a few ulps of the
    # products' size, ~1e-7, apart; an output near 0 has no relative bound)
    np.testing.assert_allclose(ours(ad.tensor(x)).detach(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    for copied in (copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
        assert copied.weight.dtype == np.float32
        assert {v.dtype for v in copied.state_dict().values()} == {np.dtype(np.float32)}
    compiled = ad.compile(lambda t: ours(t).sum())
    assert {compiled(ad.tensor(x * k)).dtype for k in (1, 2, 3)} == {np.dtype(np.float32)}
    assert compiled.traces == 1


# ----- ModuleList + ModuleList, Sequential(OrderedDict), del net[i] ----------------------------

def test_modulelist_sum_shares_modules_state_dict_names_and_copies_as_pytorchs():
    first, second = nn.ModuleList([nn.Linear(2, 2)]), nn.ModuleList([nn.Linear(2, 3)])
    joined = first + second
    assert joined[0] is first[0] and joined[1] is second[0]
    theirs = (torch.nn.ModuleList([torch.nn.Linear(2, 2)])
              + torch.nn.ModuleList([torch.nn.Linear(2, 3)]))
    assert list(joined.state_dict()) == list(theirs.state_dict())
    copied = copy.deepcopy(joined)
    assert copied[0] is not first[0]
    np.testing.assert_array_equal(copied[1].weight.detach(), second[0].weight.detach())
    twice = first + first          # the same module twice: its parameters once
    assert len(twice) == 2 and len(list(twice.parameters())) == 2


def test_a_compiled_step_over_a_joined_modulelist_trains_the_shared_layers():
    first, second = nn.ModuleList([nn.Linear(2, 2)]), nn.ModuleList([nn.Linear(2, 1)])
    layers = first + second
    optimizer = ad.optim.SGD(layers.parameters(), lr=0.1)
    eager_layers = copy.deepcopy(layers)
    eager_optimizer = ad.optim.SGD(eager_layers.parameters(), lr=0.1)
    x = ad.tensor(ROWS[:, :2])

    def make_step(stack, opt):
        def step(x):
            opt.zero_grad()
            h = x
            for layer in stack:
                h = layer(h)
            loss = (h ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return step

    compiled = ad.compile(make_step(layers, optimizer))
    eager = make_step(eager_layers, eager_optimizer)
    for _ in range(3):
        # (a fused replay may sum in another order: a few ulps, compounded over steps)
        assert compiled(x).item() == pytest.approx(eager(x).item(), rel=1e-12)
    np.testing.assert_allclose(second[0].weight.detach(), eager_layers[1].weight.detach(),
                               rtol=1e-12)


def _named_sequential(module):
    return module.Sequential(OrderedDict([("fc", module.Linear(3, 4)), ("act", module.ReLU()),
                                          ("head", module.Linear(4, 1))]))


def test_sequential_names_survive_copies_and_pickling():
    net = _named_sequential(nn)
    for copied in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert copied.head is copied[2] and copied.fc is copied[0]
        np.testing.assert_array_equal(copied.head.weight.detach(), net.head.weight.detach())
    assert list(net.state_dict()) == list(_named_sequential(torch.nn).state_dict())


def test_del_of_a_named_sequential_renumbers_as_pytorchs():
    ours, theirs = _named_sequential(nn), _named_sequential(torch.nn)
    del ours[1]
    del theirs[1]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    for gone in ("act", "head"):
        with pytest.raises(AttributeError):
            getattr(ours, gone)
        with pytest.raises(AttributeError):
            getattr(theirs, gone)


def test_del_of_a_named_layer_by_attribute_is_pytorchs_and_traces_again():
    ours, theirs = _named_sequential(nn), _named_sequential(torch.nn)
    compiled = ad.compile(lambda x: ours(x).sum())
    x = ad.tensor(ROWS)
    compiled(x)
    del ours.act            # (was: AttributeError, the layer being no attribute)
    del theirs.act
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()] \
        == ["fc", "head"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert compiled(x).item() == ours(x).sum().item() and compiled.traces == 2
    with pytest.raises(AttributeError, match="no attribute 'act'"):
        del ours.act
    ours.append(nn.Tanh())
    theirs.append(torch.nn.Tanh())
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]


def test_a_compiled_forward_traces_again_after_del_of_a_layer():
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    compiled = ad.compile(lambda x: net(x).sum())
    x = ad.tensor(ROWS)
    before = [compiled(x).item() for _ in range(2)]
    del net[1]
    after = compiled(x).item()
    assert after == net(x).sum().item() != before[0]
    assert compiled.traces == 2


# ----- @ad.no_grad without parentheses -------------------------------------------------------

@ad.no_grad
def _doubled(x):
    return x * 2


class _Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)

    @ad.no_grad
    def predict(self, x):
        return self.linear(x)


def test_a_no_grad_decorated_function_is_a_constant_to_grad_vmap_and_compile():
    x = ad.tensor(np.array([1.0, 2.0, 3.0]))
    # d/dx (x * stop(2x)) = 2x, as torch.func.grad of the same under torch.no_grad
    np.testing.assert_array_equal(ad.grad(lambda t: (t * _doubled(t)).sum())(x), 2 * x.numpy())
    reference = torch.func.grad(lambda t: (t * torch.no_grad()(lambda u: u * 2)(t)).sum())(
        torch.tensor(x.numpy()))
    np.testing.assert_array_equal(ad.grad(lambda t: (t * _doubled(t)).sum())(x),
                                  reference.numpy())
    assert not ad.vmap(_doubled)(ad.tensor(ROWS, requires_grad=True)).requires_grad

    def step(t):
        loss = (t * _doubled(t)).sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    for scale in (1.0, 2.0, 3.0):
        t = ad.tensor(x.numpy() * scale, requires_grad=True)
        compiled(t)
        np.testing.assert_array_equal(t.grad, 2 * x.numpy() * scale)
    assert compiled.traces == 1


def test_a_no_grad_decorated_method_survives_deepcopy_and_pickling():
    scorer = _Scorer()
    x = ad.tensor(ROWS)
    for copied in (copy.deepcopy(scorer), pickle.loads(pickle.dumps(scorer))):
        out = copied.predict(x)
        assert not out.requires_grad
        np.testing.assert_array_equal(out, scorer.predict(x))
    assert pickle.loads(pickle.dumps(_doubled))(x).requires_grad is False


def test_a_no_grad_decorated_generator_yields_without_history_as_pytorchs():
    @ad.no_grad
    def halves(x):
        yield x / 2
        yield x / 4

    @torch.no_grad()
    def their_halves(x):
        yield x / 2

    x = ad.tensor(ROWS, requires_grad=True)
    assert [h.requires_grad for h in halves(x)] == [False, False]
    assert next(their_halves(torch.tensor(ROWS, requires_grad=True))).requires_grad is False


# ----- nonzero ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1.0, 0.0])
def test_pytorchs_nonzero_of_a_0d_tensor_is_one_row_of_no_indices(value):
    expected = torch.nonzero(torch.tensor(value))
    for found in (ad.nonzero(ad.tensor(value), as_tuple=False),
                  ad.tensor(value).nonzero(as_tuple=False), ad.argwhere(ad.tensor(value))):
        assert found.shape == tuple(expected.shape) and found.dtype == np.int64
    # as_tuple= is PyTorch's keyword: its one index array (np.nonzero keeps NumPy's refusal)
    expected_tuple = torch.nonzero(torch.tensor(value), as_tuple=True)
    for found in (ad.nonzero(ad.tensor(value), as_tuple=True),
                  ad.tensor(value).nonzero(as_tuple=True)):
        assert len(found) == 1 and found[0].tolist() == expected_tuple[0].tolist()
    with pytest.raises(ValueError, match="0d"):
        np.nonzero(ad.tensor(value))


def test_pytorchs_nonzero_per_row_under_vmap_and_of_empty_tensors():
    mask = np.array([[0.0, 1.0], [2.0, 0.0]])
    rows = ad.vmap(lambda r: ad.nonzero(r, as_tuple=False))(ad.tensor(mask))
    np.testing.assert_array_equal(rows, [[[1]], [[0]]])
    empty = ad.nonzero(ad.tensor(np.zeros((0, 2))), as_tuple=False)
    assert empty.shape == tuple(torch.nonzero(torch.zeros((0, 2))).shape)


# ----- a frozen Parameter made as PyTorch makes it ---------------------------------------------

class _Scaled(nn.Module):
    def __init__(self, spelling):
        super().__init__()
        values = np.array([2.0, 3.0])
        # (was: TypeError, unexpected keyword 'requires_grad'; by position, the name)
        self.scale = (nn.Parameter(values, requires_grad=False) if spelling == "keyword"
                      else nn.Parameter(values, False))
        self.weight = nn.Parameter(np.ones(2))

    def forward(self, x):
        return x * self.scale * self.weight


@pytest.mark.parametrize("spelling", ["keyword", "positional"])
def test_a_parameter_made_frozen_is_explained_copied_and_left_by_the_optimizer(spelling):
    model = _Scaled(spelling)
    theirs = torch.nn.Parameter(torch.tensor([2.0, 3.0]), False)
    assert model.scale.requires_grad is theirs.requires_grad is False
    assert model.scale.name == "scale"
    assert "frozen" in ad.explain(model.scale)
    optimizer = ad.optim.SGD(model.parameters(), lr=0.5)
    model(ad.tensor([1.0, 1.0])).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(model.scale.detach(), [2.0, 3.0])
    np.testing.assert_array_equal(model.weight.detach(), [0.0, -0.5])
    for copied in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert copied.scale.requires_grad is False and copied.weight.requires_grad
    assert list(model.state_dict()) == ["scale", "weight"]


# ----- compile: rows of numbers a step makes a tensor of ---------------------------------------

ROWS_OF_NUMBERS = [[1.0, 2.0], [3.0, 4.0]]
LONG_ROWS = [[float(k), float(k)] for k in range(20)]
PAIRS = [(1.0, 2.0)]


class _Settings:
    pass


@pytest.mark.parametrize("jit", ["1", "0"])
@pytest.mark.parametrize("case", ["short rows", "long rows", "row replaced", "tuples",
                                  "attribute", "closure"])
def test_rows_of_numbers_changed_in_place_trace_again(case, jit, monkeypatch):
    monkeypatch.setenv("AUTODIFF_JIT", jit)
    settings = _Settings()
    settings.rows = [[1.0, 2.0]]
    local_rows = [[1.0, 2.0], [5.0, 6.0]]
    read, change = {
        "short rows": (lambda: ROWS_OF_NUMBERS, lambda: ROWS_OF_NUMBERS[1].__setitem__(0, 30.0)),
        "long rows": (lambda: LONG_ROWS, lambda: LONG_ROWS[7].__setitem__(1, 1000.0)),
        "row replaced": (lambda: LONG_ROWS, lambda: LONG_ROWS.__setitem__(3, [-1.0, -2.0])),
        "tuples": (lambda: PAIRS, lambda: PAIRS.__setitem__(0, (7.0, 8.0))),
        "attribute": (lambda: settings.rows, lambda: settings.rows[0].__setitem__(0, 9.0)),
        "closure": (lambda: local_rows, lambda: local_rows[1].__setitem__(1, -6.0)),
    }[case]
    saved = copy.deepcopy((ROWS_OF_NUMBERS, LONG_ROWS, PAIRS))

    def step(x):
        return (x * ad.tensor(read())).sum()

    compiled = ad.compile(step)
    x = ad.tensor(np.array([1.0, 2.0]))
    try:
        assert compiled(x).item() == compiled(x).item() == step(x).item()
        change()
        # (the replay kept the traced rows: only a flat list of numbers was compared)
        assert compiled(x).item() == step(x).item()
        assert compiled.traces == 2
    finally:
        ROWS_OF_NUMBERS[:], LONG_ROWS[:], PAIRS[:] = saved
