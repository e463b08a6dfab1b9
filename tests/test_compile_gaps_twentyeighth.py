"""ad.compile: large arrays read into Python through keys and names the code computes.

A dict entry read by a key built at call time (``table[prefix + "_w"]``,
``cfg[f"{name}_scale"]``, ``"_".join(parts)``), changed in place or replaced between
calls, traces again instead of replaying the traced values; a ``getattr`` given a
constant name no longer makes every replay checksum every large array the step
reaches, while one given a computed name still does (``array_reads.py``).
"""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile.array_reads import ArrayChecksum, _getattr_by_computed_name

W = ad.tensor(np.ones(40), requires_grad=True)
X = np.ones(40)


def _calls(step, change):
    """The compiled and the eager results of a call, ``change()``, a call; and the traces."""
    compiled = ad.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = compiled(X).item()
        change()
        return first, compiled(X).item(), step(X).item(), compiled.traces


TABLE = {"emb_w": np.ones((40, 40)), "other": np.zeros(3)}
PREFIX = "emb"


def _by_concatenation(x):
    return (W * x).sum().detach() * float(TABLE[PREFIX + "_w"][0, 0])


def test_an_entry_read_by_a_concatenated_key_changed_in_place_traces_again():
    def change():
        TABLE["emb_w"][0, 0] += 4.0
    first, replayed, eager, traces = _calls(_by_concatenation, change)
    assert replayed == eager != first and traces == 2


def test_an_entry_read_by_a_concatenated_key_replaced_traces_again():
    def change():
        TABLE["emb_w"] = np.full((40, 40), 7.0)
    first, replayed, eager, traces = _calls(_by_concatenation, change)
    assert replayed == eager == 280.0 and traces == 2


CFG = {"lin_scale": np.ones((40, 40))}
NAME = "lin"


def test_an_entry_read_by_an_f_string_key_changed_in_place_traces_again():
    def step(x):
        return (W * x).sum().detach() * float(CFG[f"{NAME}_scale"][0, 0])
    def change():
        CFG["lin_scale"][0, 0] = 3.0
    first, replayed, eager, traces = _calls(step, change)
    assert (first, replayed, eager, traces) == (40.0, 120.0, 120.0, 2)


PARTS = ["a", "b"]
NESTED = {"tables": {"a_b": np.ones((40, 40))}}


def test_an_entry_of_a_nested_dict_read_by_a_joined_key_is_checked():
    def step(x):
        return (W * x).sum().detach() * float(NESTED["tables"]["_".join(PARTS)][0, 0])
    def change():
        NESTED["tables"]["a_b"][0, 0] = 3.0
    assert _calls(step, change) == (40.0, 120.0, 120.0, 2)
    def replace():
        NESTED["tables"]["a_b"] = np.full((40, 40), 5.0)
    assert _calls(step, replace)[1:] == (200.0, 200.0, 2)


SCALES = {"a": {"emb": 0.5}}


def test_a_number_read_by_a_computed_key_changed_between_calls_traces_again():
    def step(x):
        return (W * x).sum().detach() * float(SCALES["a"][PREFIX])
    def change():
        SCALES["a"]["emb"] = 2.0
    assert _calls(step, change) == (20.0, 80.0, 80.0, 2)


VALUES = {"a": np.ones((40, 40)), "b": np.ones((40, 40))}


def test_entries_read_through_values_are_checked():
    def step(x):
        return (W * x).sum().detach() * sum(float(v[0, 0]) for v in VALUES.values())
    def change():
        VALUES["b"][0, 0] = 3.0
    assert _calls(step, change) == (80.0, 160.0, 160.0, 2)


def _first(emb_w):
    return float(emb_w[0, 0])


UNPACKED = {"emb_w": np.ones((40, 40))}


def test_entries_unpacked_into_a_call_are_checked():
    def step(x):
        return (W * x).sum().detach() * _first(**UNPACKED)
    def change():
        UNPACKED["emb_w"][0, 0] = 3.0
    assert _calls(step, change) == (40.0, 120.0, 120.0, 2)


def test_getattr_with_a_constant_name_is_told_from_a_computed_one():
    assert not _getattr_by_computed_name((lambda m: getattr(m, "head")).__code__)
    assert not _getattr_by_computed_name((lambda m: getattr(m.box, "t", None)).__code__)
    assert _getattr_by_computed_name((lambda m, i: getattr(m, f"layer{i}")).__code__)
    assert _getattr_by_computed_name((lambda m: getattr(m, getattr(m, "n"))).__code__)
    assert _getattr_by_computed_name((lambda m, i: getattr(m, "a" if i else "b")).__code__)
    assert _getattr_by_computed_name((lambda ms: list(map(getattr, ms, ["a"]))).__code__)


def _model_with_a_table():
    model = nn.MLP([8, 16, 3], rng=0)
    model.table = np.random.default_rng(0).normal(size=(64, 64))     # 32 KB
    opt = ad.optim.SGD(model.parameters(), lr=0.1)
    x = ad.tensor(np.random.default_rng(1).normal(size=(4, 8)))
    y = np.array([0, 1, 2, 0])
    return model, opt, x, y


def _checksums(compiled):
    return [flag.label for flag, *_ in compiled.plan.flags if isinstance(flag, ArrayChecksum)]


def test_getattr_with_a_constant_name_checksums_no_array_the_code_does_not_name():
    model, opt, x, y = _model_with_a_table()
    def step(x, y):
        loss = F.cross_entropy(getattr(model, "forward")(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach()
    compiled = ad.compile(step)
    compiled(x, y)
    assert _checksums(compiled) == []
    # the parameters the plan holds: a change between calls is replayed, not stale
    with ad.no_grad():
        model.layers[0].weight.data[0, 0] += 1.0
    expected = F.cross_entropy(model(x), y).item()
    assert compiled(x, y).item() == pytest.approx(expected, rel=1e-12)


def test_getattr_with_a_constant_name_still_checks_the_array_it_names():
    model, opt, x, y = _model_with_a_table()
    def step(x, y):
        scale = float(getattr(model, "table")[0, 0])
        loss = F.cross_entropy(model(x), y) * scale
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach()
    compiled = ad.compile(step)
    compiled(x, y)
    assert _checksums(compiled) == ["the values of the array model.table"]
    model.table[0, 0] += 1.0
    compiled(x, y)
    assert compiled.traces == 2


@pytest.mark.parametrize("i", [0, 1])
def test_getattr_with_a_computed_name_checks_each_large_array(i):
    model, opt, x, y = _model_with_a_table()
    model.table_1 = np.ones((64, 64))
    def step(x, y, i):
        scale = float(getattr(model, f"table_{i}")[0, 0]) if i else 1.0
        loss = F.cross_entropy(model(x), y) * scale
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach()
    compiled = ad.compile(step)
    compiled(x, y, i)
    assert "the values of the array model.table_1" in _checksums(compiled)
    model.table_1[0, 0] = 2.0
    with ad.no_grad():
        expected = F.cross_entropy(model(x), y).item() * (2.0 if i else 1.0)
    assert compiled(x, y, i).item() == pytest.approx(expected, rel=1e-12)
