"""``ad.Generator`` and ``generator=``: PyTorch's generator object and argument, over
NumPy's generators.  The numbers are not PyTorch's (another bit generator); what is
checked is that a seed repeats them, that each draw advances the generator, that
``generator=`` means what ``rng=`` does, and that the signatures take it where
PyTorch's do."""

from __future__ import annotations

import copy
import inspect
import pickle
import re

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import TraceError
from autodiff.data import (DataLoader, RandomSampler, SubsetRandomSampler, TensorDataset,
                           WeightedRandomSampler, random_split)

init = ad.nn.init


def _values(result) -> np.ndarray:
    """A draw's numbers as one array (a tensor, a list of batches, a list of subsets)."""
    if isinstance(result, ad.Tensor):
        return np.asarray(result.data)
    return np.asarray(result)


def _loader_order(**source):
    loader = DataLoader(TensorDataset(np.arange(10)), batch_size=3, shuffle=True, **source)
    return np.concatenate([batch[0] for batch in loader])


def _split_indices(**source):
    parts = random_split(TensorDataset(np.arange(10.0)), [6, 4], **source)
    return np.concatenate([part.indices for part in parts])


# Each draw takes the source by keyword: {"generator": g} or {"rng": g} (the samplers,
# the loader and random_split name it generator= either way).
DRAWS = {
    "rand": lambda **s: ad.rand(2, 3, **s),
    "randn": lambda **s: ad.randn(4, **s),
    "rand_like": lambda **s: ad.rand_like(ad.zeros(4), **s),
    "randn_like": lambda **s: ad.randn_like(ad.zeros(4), **s),
    "randint": lambda **s: ad.randint(0, 1000, (6,), **s),
    "randint_like": lambda **s: ad.randint_like(ad.zeros(6), 1000, **s),
    "randperm": lambda **s: ad.randperm(12, **s),
    "normal tensors": lambda **s: ad.normal(ad.zeros(5), ad.ones(5), **s),
    "normal size": lambda **s: ad.normal(0.0, 1.0, size=(5,), **s),
    "bernoulli": lambda **s: ad.bernoulli(ad.full((20,), 0.5), **s),
    "multinomial": lambda **s: ad.multinomial(ad.ones(10), 5, **s),
    "Tensor.multinomial": lambda **s: ad.ones(2, 10).multinomial(4, True, **s),
    "poisson": lambda **s: ad.poisson(ad.full((8,), 5.0), **s),
    "uniform_": lambda **s: ad.zeros(5).uniform_(-1.0, 1.0, **s),
    "normal_": lambda **s: ad.zeros(5).normal_(2.0, 3.0, **s),
    "bernoulli_": lambda **s: ad.zeros(20).bernoulli_(0.5, **s),
    "exponential_": lambda **s: ad.zeros(5).exponential_(2.0, **s),
    "random_": lambda **s: ad.zeros(6, dtype=np.int64).random_(0, 1000, **s),
    "cauchy_": lambda **s: ad.zeros(5).cauchy_(1.0, 2.0, **s),
    "log_normal_": lambda **s: ad.zeros(5).log_normal_(**s),
    "geometric_": lambda **s: ad.zeros(12, dtype=np.int64).geometric_(0.2, **s),
    "Tensor.bernoulli": lambda **s: ad.full((20,), 0.5).bernoulli(**s),
    "init.uniform_": lambda **s: init.uniform_(ad.nn.Parameter(np.zeros(5)), **s),
    "init.normal_": lambda **s: init.normal_(ad.nn.Parameter(np.zeros(5)), **s),
    "init.xavier_uniform_": lambda **s: init.xavier_uniform_(ad.nn.Parameter(np.zeros((3, 4))),
                                                             **s),
    "init.xavier_normal_": lambda **s: init.xavier_normal_(ad.nn.Parameter(np.zeros((3, 4))),
                                                           **s),
    "init.kaiming_uniform_": lambda **s: init.kaiming_uniform_(
        ad.nn.Parameter(np.zeros((3, 4))), **s),
    "init.kaiming_normal_": lambda **s: init.kaiming_normal_(
        ad.nn.Parameter(np.zeros((3, 4))), **s),
    "init.trunc_normal_": lambda **s: init.trunc_normal_(ad.nn.Parameter(np.zeros(6)), **s),
    "init.orthogonal_": lambda **s: init.orthogonal_(ad.nn.Parameter(np.zeros((4, 3))), **s),
    "DataLoader shuffle": lambda **s: _loader_order(**_as_generator(s)),
    "random_split": lambda **s: _split_indices(**_as_generator(s)),
    "RandomSampler": lambda **s: list(RandomSampler(range(10), **_as_generator(s))),
    "RandomSampler replacement": lambda **s: list(
        RandomSampler(range(10), replacement=True, num_samples=15, **_as_generator(s))),
    "SubsetRandomSampler": lambda **s: list(
        SubsetRandomSampler([3, 5, 7, 9, 11, 13], **_as_generator(s))),
    "WeightedRandomSampler": lambda **s: list(
        WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 12, **_as_generator(s))),
}


def _as_generator(source: dict) -> dict:
    return {"generator": source.get("generator", source.get("rng"))}


@pytest.mark.parametrize("name", DRAWS)
def test_a_seed_repeats_the_draws_and_each_draw_advances_the_generator(name):
    draw = DRAWS[name]
    g = ad.Generator().manual_seed(1234)
    first, second = _values(draw(generator=g)), _values(draw(generator=g))
    assert not np.array_equal(first, second)            # the second draw goes on
    g.manual_seed(1234)
    np.testing.assert_array_equal(_values(draw(generator=g)), first)
    np.testing.assert_array_equal(_values(draw(generator=g)), second)
    # another generator with the same seed draws the same numbers
    np.testing.assert_array_equal(_values(draw(generator=ad.Generator().manual_seed(1234))),
                                  first)


@pytest.mark.parametrize("name", DRAWS)
def test_generator_means_what_rng_means(name):
    draw = DRAWS[name]
    want = _values(draw(rng=np.random.default_rng(99)))
    # an ad.Generator seeded with s draws what np.random.default_rng(s) draws
    np.testing.assert_array_equal(_values(draw(generator=ad.Generator().manual_seed(99))), want)
    np.testing.assert_array_equal(_values(draw(generator=np.random.default_rng(99))), want)
    np.testing.assert_array_equal(_values(draw(generator=99)), want)
    np.testing.assert_array_equal(_values(draw(rng=ad.Generator().manual_seed(99))), want)


@pytest.mark.parametrize("name", DRAWS)
def test_the_default_generator_is_the_library_generator(name):
    draw = DRAWS[name]
    assert ad.manual_seed(5) is ad.default_generator
    without = _values(draw())
    ad.default_generator.manual_seed(5)
    np.testing.assert_array_equal(_values(draw(generator=ad.default_generator)), without)


BOTH = {
    "rand": lambda g: ad.rand(2, rng=0, generator=g),
    "randn": lambda g: ad.randn(2, rng=0, generator=g),
    "rand_like": lambda g: ad.rand_like(ad.zeros(2), rng=0, generator=g),
    "randn_like": lambda g: ad.randn_like(ad.zeros(2), rng=0, generator=g),
    "randint": lambda g: ad.randint(3, (2,), rng=0, generator=g),
    "randint_like": lambda g: ad.randint_like(ad.zeros(2), 3, rng=0, generator=g),
    "randperm": lambda g: ad.randperm(3, rng=0, generator=g),
    "normal": lambda g: ad.normal(ad.zeros(2), 1.0, rng=0, generator=g),
    "bernoulli": lambda g: ad.bernoulli(ad.full((2,), 0.5), rng=0, generator=g),
    "multinomial": lambda g: ad.multinomial(ad.ones(3), 2, rng=0, generator=g),
    "Tensor.multinomial": lambda g: ad.ones(3).multinomial(2, rng=0, generator=g),
    "poisson": lambda g: ad.poisson(ad.ones(2), rng=0, generator=g),
    "uniform_": lambda g: ad.zeros(2).uniform_(rng=0, generator=g),
    "normal_": lambda g: ad.zeros(2).normal_(rng=0, generator=g),
    "bernoulli_": lambda g: ad.zeros(2).bernoulli_(rng=0, generator=g),
    "exponential_": lambda g: ad.zeros(2).exponential_(rng=0, generator=g),
    "random_": lambda g: ad.zeros(2).random_(5, rng=0, generator=g),
    "cauchy_": lambda g: ad.zeros(2).cauchy_(rng=0, generator=g),
    "log_normal_": lambda g: ad.zeros(2).log_normal_(rng=0, generator=g),
    "geometric_": lambda g: ad.zeros(2).geometric_(0.5, rng=0, generator=g),
    "Tensor.bernoulli": lambda g: ad.full((2,), 0.5).bernoulli(rng=0, generator=g),
    "init.uniform_": lambda g: init.uniform_(ad.nn.Parameter(np.zeros(2)), rng=0, generator=g),
    "init.normal_": lambda g: init.normal_(ad.nn.Parameter(np.zeros(2)), rng=0, generator=g),
    "init.xavier_uniform_": lambda g: init.xavier_uniform_(ad.nn.Parameter(np.zeros((2, 2))),
                                                           rng=0, generator=g),
    "init.xavier_normal_": lambda g: init.xavier_normal_(ad.nn.Parameter(np.zeros((2, 2))),
                                                         rng=0, generator=g),
    "init.kaiming_uniform_": lambda g: init.kaiming_uniform_(
        ad.nn.Parameter(np.zeros((2, 2))), rng=0, generator=g),
    "init.kaiming_normal_": lambda g: init.kaiming_normal_(
        ad.nn.Parameter(np.zeros((2, 2))), rng=0, generator=g),
    "init.trunc_normal_": lambda g: init.trunc_normal_(ad.nn.Parameter(np.zeros(2)), rng=0,
                                                       generator=g),
    "init.orthogonal_": lambda g: init.orthogonal_(ad.nn.Parameter(np.zeros((2, 2))), rng=0,
                                                   generator=g),
}


@pytest.mark.parametrize("name", BOTH)
def test_rng_and_generator_together_are_refused(name):
    g = ad.Generator().manual_seed(0)
    state = g.get_state()
    with pytest.raises(TypeError, match=r"both rng= and generator=.*pass only one"):
        BOTH[name](g)
    assert g.get_state() == state                       # nothing was drawn


@pytest.mark.parametrize("call", [
    lambda g: DataLoader([1, 2, 3], shuffle=True, seed=0, generator=g),
    lambda g: random_split([1, 2, 3], [2, 1], 0, generator=g),
], ids=["DataLoader", "random_split"])
def test_seed_and_generator_together_are_refused_by_the_data_utilities(call):
    with pytest.raises(TypeError, match="give seed= or generator=, not both"):
        call(ad.Generator())


@pytest.mark.parametrize("call", [
    lambda: ad.randn(2, generator="seed"),
    lambda: ad.randn(2, generator=True),
    lambda: ad.randperm(2, rng=False),
    lambda: ad.zeros(2).normal_(generator=1.5),
    lambda: init.normal_(ad.nn.Parameter(np.zeros(2)), generator=[0]),
    lambda: RandomSampler(range(3), generator="seed"),
])
def test_a_generator_of_another_kind_is_refused_naming_the_function(call):
    with pytest.raises(TypeError, match=r"(randn|randperm|normal_|init\.normal_|RandomSampler): "
                                        r".*(generator=|rng=|ad\.Generator)"):
        call()


# ----- the Generator object -------------------------------------------------------------

def test_manual_seed_returns_the_generator_and_sets_initial_seed():
    g = ad.Generator()
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    assert g.manual_seed(np.int64(8)).initial_seed() == 8
    assert g.manual_seed(2 ** 64 - 1).initial_seed() == 2 ** 64 - 1
    assert g.device == ad.device("cpu") and g.device == "cpu"
    assert ad.Generator(device="cpu").device.type == "cpu"
    assert "autodiff.Generator" in repr(g) and "initial_seed=18446744073709551615" in repr(g)


@pytest.mark.parametrize("seed, error", [(1.5, TypeError), (True, TypeError), ("0", TypeError),
                                         (2 ** 64, ValueError), (-2 ** 63 - 1, ValueError)])
def test_seeds_outside_pytorchs_range_or_type_are_refused(seed, error):
    with pytest.raises(error, match="Generator.manual_seed: the seed"):
        ad.Generator().manual_seed(seed)


def test_only_the_cpu_device_exists():
    with pytest.raises(ValueError, match="Generator: device 'cuda' is not available"):
        ad.Generator(device="cuda")


def test_seeds_and_defaults_read_as_pytorchs():
    torch = pytest.importorskip("torch")
    assert ad.Generator().initial_seed() == torch.Generator().initial_seed()
    for seed in (0, 5, -1, -2 ** 63, 2 ** 64 - 1):
        assert ad.Generator().manual_seed(seed).initial_seed() == \
            torch.Generator().manual_seed(seed).initial_seed()
    ours, theirs = ad.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert (ours.set_state(ours.get_state()) is ours) == \
        (theirs.set_state(theirs.get_state()) is theirs)


def test_seed_reseeds_from_the_system_and_returns_the_seed():
    g = ad.Generator()
    s = g.seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64 and g.initial_seed() == s
    after_seed = ad.randn(3, generator=g).data
    np.testing.assert_array_equal(ad.randn(3, generator=g.manual_seed(s)).data, after_seed)
    assert len({ad.Generator().seed() for _ in range(4)}) == 4


def test_state_round_trips():
    g = ad.Generator().manual_seed(11)
    ad.randn(5, generator=g)
    state = g.get_state()
    kept = copy.deepcopy(state)
    a = ad.randn(5, generator=g).data
    assert g.get_state() != state and state == kept   # a copy: later draws leave it alone
    g.manual_seed(3)
    assert g.set_state(state) is g and g.initial_seed() == 11
    np.testing.assert_array_equal(ad.randn(5, generator=g).data, a)
    # another generator takes the state too
    other = ad.Generator().set_state(state)
    np.testing.assert_array_equal(ad.randn(5, generator=other).data, a)
    assert set(state) == {"initial_seed", "bit_generator"}
    assert state["bit_generator"]["bit_generator"] == "PCG64"


@pytest.mark.parametrize("state", [5, {"initial_seed": 0}, b"\x00" * 16,
                                   {"initial_seed": 0, "bit_generator": {"bit_generator":
                                                                         "MT19937"}}])
def test_a_state_not_from_get_state_is_refused(state):
    with pytest.raises(TypeError, match="set_state: expected a state from "
                                        r"Generator.get_state\(\)"):
        ad.Generator().set_state(state)


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy,
                                       lambda g: pickle.loads(pickle.dumps(g))])
def test_copies_start_from_the_same_state_and_go_on_alone(duplicate):
    g = ad.Generator().manual_seed(21)
    ad.rand(3, generator=g)
    twin = duplicate(g)
    assert twin is not g and twin.initial_seed() == 21
    np.testing.assert_array_equal(ad.rand(4, generator=twin).data, ad.rand(4, generator=g).data)
    ad.rand(4, generator=twin)                          # only the twin advances
    assert g.get_state() != twin.get_state()


def test_two_generators_are_independent():
    a, b = ad.Generator().manual_seed(0), ad.Generator().manual_seed(0)
    alone = [ad.randn(3, generator=a).data for _ in range(3)]
    a.manual_seed(0)
    interleaved = []
    for _ in range(3):
        interleaved.append(ad.randn(3, generator=a).data)
        ad.rand(7, generator=b)                         # draws from b leave a alone
    np.testing.assert_array_equal(np.array(alone), np.array(interleaved))
    assert not np.array_equal(ad.randn(3, generator=ad.Generator().manual_seed(1)).data,
                              ad.randn(3, generator=ad.Generator().manual_seed(2)).data)


def test_a_generator_leaves_the_library_generator_alone():
    ad.manual_seed(4)
    alone = [ad.randn(3).data for _ in range(2)]
    ad.manual_seed(4)
    g = ad.Generator().manual_seed(4)
    mixed = []
    for _ in range(2):
        ad.randn(3, generator=g)
        mixed.append(ad.randn(3).data)
    np.testing.assert_array_equal(np.array(alone), np.array(mixed))


def test_the_default_generator_seeds_states_and_stays_one_object():
    numpy_generator = ad.default_generator.numpy_generator()
    assert ad.manual_seed(9) is ad.default_generator
    assert ad.default_generator.numpy_generator() is numpy_generator    # reseeded in place
    assert ad.default_generator.initial_seed() == 9
    ad.nn.manual_seed(-1)
    assert ad.default_generator.initial_seed() == 2 ** 64 - 1
    state = ad.default_generator.get_state()
    a = ad.rand(4).data
    ad.default_generator.set_state(state)
    np.testing.assert_array_equal(ad.rand(4).data, a)
    layer_a = ad.nn.Linear(3, 2, rng=ad.default_generator.manual_seed(2))
    ad.manual_seed(2)
    np.testing.assert_array_equal(ad.nn.Linear(3, 2).weight.data, layer_a.weight.data)
    copied = copy.deepcopy(ad.default_generator)        # a plain generator in its state
    assert type(copied) is ad.Generator
    np.testing.assert_array_equal(ad.rand(2, generator=copied).data, ad.rand(2).data)


def test_the_module_level_functions_read_and_set_the_library_generator():
    ad.manual_seed(12)
    assert ad.initial_seed() == 12
    state = ad.get_rng_state()
    a = ad.randn(3).data
    ad.manual_seed(1)
    assert ad.set_rng_state(state) is None and ad.initial_seed() == 12
    np.testing.assert_array_equal(ad.randn(3).data, a)
    s = ad.seed()
    assert ad.initial_seed() == s and ad.default_generator.initial_seed() == s
    b = ad.rand(2).data
    ad.manual_seed(s)
    np.testing.assert_array_equal(ad.rand(2).data, b)


def test_the_module_level_functions_are_named_as_pytorchs():
    torch = pytest.importorskip("torch")
    for name in ("seed", "initial_seed", "get_rng_state", "set_rng_state", "manual_seed",
                 "Generator", "default_generator"):
        assert hasattr(torch, name) and hasattr(ad, name), name
    assert type(torch.manual_seed(0)) is type(torch.default_generator)
    assert type(ad.manual_seed(0)) is type(ad.default_generator)
    assert isinstance(ad.default_generator, ad.Generator)


def test_layers_and_dropout_take_a_generator_as_rng():
    a = ad.nn.Linear(3, 2, rng=ad.Generator().manual_seed(6))
    b = ad.nn.Linear(3, 2, rng=6)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    g = ad.Generator().manual_seed(1)
    first = ad.nn.functional.dropout(ad.ones(50), 0.5, rng=g).data
    assert not np.array_equal(first, ad.nn.functional.dropout(ad.ones(50), 0.5, rng=g).data)
    g.manual_seed(1)
    np.testing.assert_array_equal(ad.nn.functional.dropout(ad.ones(50), 0.5, rng=g).data,
                                  first)


def test_dataloader_shuffles_anew_each_epoch_and_repeats_after_reseeding():
    g = ad.Generator().manual_seed(0)
    loader = DataLoader(TensorDataset(np.arange(8)), batch_size=4, shuffle=True, generator=g)
    epochs = [np.concatenate([b[0] for b in loader]) for _ in range(2)]
    assert not np.array_equal(*epochs)
    g.manual_seed(0)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in loader]), epochs[0])


# ----- signatures, against PyTorch's ----------------------------------------------------

def _documents_generator(fn) -> bool:
    """Whether the first line of a built-in's docstring, its signature (``randn(*size,
    *, generator=None, ...)``), has a ``generator`` parameter."""
    doc = fn.__doc__ if isinstance(fn.__doc__, str) else ""
    return re.search(r"\bgenerator\s*[=:]", doc.strip().split("\n")[0]) is not None


def _takes_generator(fn) -> bool:
    parameters = inspect.signature(fn).parameters
    return "generator" in parameters and parameters["generator"].kind in (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def test_every_top_level_function_takes_generator_where_pytorchs_does():
    torch = pytest.importorskip("torch")
    theirs = [name for name in dir(torch) if not name.startswith("_") and hasattr(ad, name)
              and callable(getattr(torch, name))
              and _documents_generator(getattr(torch, name))]
    assert {"rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
            "poisson", "rand_like", "randn_like", "randint_like"} <= set(theirs)
    assert [name for name in theirs if not _takes_generator(getattr(ad, name))] == []


def test_every_tensor_method_takes_generator_where_pytorchs_does():
    torch = pytest.importorskip("torch")
    theirs = [name for name in dir(torch.Tensor) if hasattr(ad.Tensor, name)
              and _documents_generator(getattr(torch.Tensor, name))]
    assert {"uniform_", "normal_", "bernoulli_", "exponential_", "random_", "cauchy_",
            "log_normal_", "geometric_", "bernoulli", "multinomial"} <= set(theirs)
    assert [name for name in theirs if not _takes_generator(getattr(ad.Tensor, name))] == []


def test_init_functions_take_generator_in_pytorchs_place():
    torch = pytest.importorskip("torch")
    checked = 0
    for name in torch.nn.init.__all__ if hasattr(torch.nn.init, "__all__") else dir(
            torch.nn.init):
        theirs = getattr(torch.nn.init, name)
        if not inspect.isfunction(theirs) or not hasattr(init, name) or \
                "generator" not in inspect.signature(theirs).parameters:
            continue
        torch_names = list(inspect.signature(theirs).parameters)
        our_names = list(inspect.signature(getattr(init, name)).parameters)
        assert our_names.index("generator") == torch_names.index("generator"), name
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("name", ["RandomSampler", "SubsetRandomSampler",
                                  "WeightedRandomSampler", "DataLoader", "random_split"])
def test_data_utilities_take_generator_by_keyword_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    assert "generator" in inspect.signature(getattr(torch.utils.data, name)).parameters
    assert _takes_generator(getattr(ad.data, name))


def test_positional_generators_of_poisson_and_init_as_in_pytorch():
    g = ad.Generator().manual_seed(3)
    a = ad.poisson(ad.full((4,), 3.0), g).data
    np.testing.assert_array_equal(ad.poisson(ad.full((4,), 3.0), g.manual_seed(3)).data, a)
    w = init.uniform_(ad.nn.Parameter(np.zeros(3)), -1.0, 1.0, g.manual_seed(3)).data.copy()
    np.testing.assert_array_equal(
        init.uniform_(ad.nn.Parameter(np.zeros(3)), -1.0, 1.0, generator=g.manual_seed(3)).data,
        w)


# ----- ad.compile: generator= replays as rng= does ---------------------------------------

def test_compile_refuses_a_generator_made_inside_the_call_and_replays_a_seed_or_an_outer_one():
    w = ad.nn.Parameter(np.ones((4, 3)))
    outer, outer_eager = ad.Generator().manual_seed(7), ad.Generator().manual_seed(7)

    def step(x, generator):
        return ad.nn.functional.dropout(w * x * ad.rand(3, generator=generator()), 0.5,
                                        rng=generator()).sum()

    made_inside = ad.compile(lambda x: step(x, lambda: ad.Generator().manual_seed(7)))
    with pytest.raises(TraceError, match="draws from a random generator made during the "
                                         r"call \(rand.*Pass an int seed"):
        made_inside(np.ones((4, 3)))
    seeded = ad.compile(lambda x: step(x, lambda: 7))
    assert seeded(np.ones((4, 3))).item() == seeded(np.ones((4, 3))).item()   # as eager
    from_outside = ad.compile(lambda x: step(x, lambda: outer))
    for _ in range(3):                      # draws go on from the same generator, as eager
        assert from_outside(np.ones((4, 3))).item() == step(np.ones((4, 3)),
                                                            lambda: outer_eager).item()
    outer.manual_seed(7)
    outer_eager.manual_seed(7)              # reseeded between calls: the draws repeat
    for _ in range(2):
        assert from_outside(np.ones((4, 3))).item() == step(np.ones((4, 3)),
                                                            lambda: outer_eager).item()
    assert from_outside.traces == 1


def test_compile_replays_a_generator_held_in_a_dict_or_an_object_and_manual_seed_inside():
    class Settings:
        pass

    for holder in ("dict", "object", "reseeded inside", "default"):
        def make():
            w = ad.nn.Parameter(np.ones(3))
            env = {"gen": ad.Generator().manual_seed(5)}
            box = Settings()
            box.gen = ad.Generator().manual_seed(5)

            def step(x):
                if holder == "reseeded inside":
                    box.gen.manual_seed(5)
                gen = {"dict": env["gen"], "default": ad.default_generator}.get(holder, box.gen)
                loss = (w * x * ad.randn(3, generator=gen)).sum()
                with ad.no_grad():
                    init.normal_(w, generator=gen)
                loss.backward()
                return loss
            return step
        ad.manual_seed(0)
        eager_step = make()
        eager = [eager_step(np.ones(3)).item() for _ in range(3)]
        ad.manual_seed(0)
        compiled = ad.compile(make())
        assert [compiled(np.ones(3)).item() for _ in range(3)] == eager, holder
        assert compiled.traces == 1
        # (the first call reads w = ones; later ones the w that init.normal_ drew)
        assert (eager[1] == eager[2]) == (holder == "reseeded inside")


@pytest.mark.parametrize("draw, label", [
    (lambda x, g: ad.nn.functional.dropout(x, 0.5, rng=g), "dropout mask"),
    (lambda x, g: x * ad.distributions.Normal(ad.zeros(3), ad.ones(3)).sample(rng=g),
     "Normal.sample"),
    (lambda x, g: x * ad.zeros(3).normal_(generator=g), "normal_"),
    # (a tensor from before the call: one made in it is refused on its own account)
    (lambda x, g, t=ad.zeros(3): x * init.normal_(t, generator=g), "normal_"),
])
def test_compile_refuses_an_ad_generator_made_in_the_call_wherever_it_is_given(draw, label):
    w = ad.nn.Parameter(np.ones(3))
    f = ad.compile(lambda x: draw(w * x, ad.Generator().manual_seed(7)).sum())
    with pytest.raises(TraceError, match=f"made during the call \\({label}"):
        f(np.ones(3))


@pytest.mark.parametrize("call", [lambda g: g.get_state(), lambda g: g.seed(),
                                  lambda g: g.set_state(ad.Generator().get_state())],
                         ids=["get_state", "seed", "set_state"])
def test_compile_refuses_state_calls_a_replay_could_not_repeat(call):
    g = ad.Generator()
    f = ad.compile(lambda x: (call(g), (x * ad.rand(2, generator=g)).sum())[1])
    with pytest.raises(TraceError, match=r"Generator\.(get_state|seed|set_state) is called"):
        f(ad.ones(2))


# ----- a PyTorch script's lines, as written ----------------------------------------------

def _script(torch, data):
    """Lines of a PyTorch script that seed and pass generators, run with ``torch`` being
    PyTorch or autodiff; the draws' shapes and the loader's indices."""
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(3, 2, generator=g)
    mask = torch.bernoulli(torch.full((4,), 0.5), generator=g)
    picks = torch.multinomial(torch.ones(5), 3, generator=g)
    order = torch.randperm(6, generator=g)
    ints = torch.randint(0, 10, (4,), generator=g)
    w = torch.empty(4, 3).uniform_(-0.1, 0.1, generator=g)
    torch.nn.init.normal_(w, 0.0, 0.02, generator=g)
    dataset = data.TensorDataset(torch.arange(10))
    train, val = data.random_split(dataset, [7, 3], generator=torch.Generator().manual_seed(1))
    loader = data.DataLoader(train, batch_size=4, shuffle=True, generator=g)
    batches = [batch[0].tolist() for batch in loader]
    shapes = [tuple(t.shape) for t in (noise, mask, picks, order, ints, w)]
    return (shapes, batches, [int(i) for i in train.indices], [int(i) for i in val.indices],
            g.initial_seed())


def test_a_scripts_generator_lines_run_and_repeat_as_in_pytorch():
    ours, again = _script(ad, ad.data), _script(ad, ad.data)
    assert ours == again                                # the same seeds: the same run
    torch = pytest.importorskip("torch")
    import torch.utils.data as torch_data
    theirs = _script(torch, torch_data)
    assert ours[0] == theirs[0] and ours[4] == theirs[4] == 0      # shapes, the seed
    for shapes, batches, train, val, _ in (ours, theirs):
        assert [len(b) for b in batches] == [4, 3]
        assert sorted(sum(batches, [])) == sorted(train)            # an epoch: all of train
        assert sorted(train + val) == list(range(10)) and len(val) == 3
