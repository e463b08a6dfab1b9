"""The three call paths of an op (general, one operand, two operands) stay in step.

``Op._call1`` and ``Op._call2`` are ``Op._call_any`` unrolled for speed; here every
kind of operand goes through both and the results, the recorded nodes and the
mutation guard must agree.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autodiff as ad
from autodiff import guard

_KINDS = ["leaf", "named_constant", "constant_tensor", "result", "nograd_result",
          "ndarray", "list", "float"]


def _operand(kind, value):
    if kind == "leaf":
        return ad.tensor(value, requires_grad=True)
    if kind == "named_constant":
        return ad.tensor(value, name="c")
    if kind == "constant_tensor":
        return ad.tensor(value)
    if kind == "result":
        return ad.tensor(value, requires_grad=True) * 1.0
    if kind == "nograd_result":
        return ad.tensor(value, name="c") * 1.0      # recorded, but needs no gradient
    if kind == "ndarray":
        return np.array(value)
    if kind == "list":
        return list(value)
    return float(np.ravel(value)[0])


def _summary(result):
    node = result.node
    summary = [result.data.tolist(), result.dtype, result.requires_grad, node is None]
    if node is not None:
        summary += [node.op, node.requires_grad, node.kwargs,
                    [p.__class__.__name__ if p is not None else None for p in node.parents],
                    [np.asarray(a).tolist() for a in node.args]]
    return summary


def _guarded(result):
    node = result.node
    if node is None:
        return []
    return [id(a) in guard.guarded_arrays for a in node.args]


@pytest.mark.parametrize("grad_enabled", [True, False])
@pytest.mark.parametrize("kind", _KINDS)
def test_one_operand_path_matches_the_general_path(kind, grad_enabled):
    for op in (ad.exp, ad.stop_gradient, ad.isnan):
        a = _operand(kind, [0.5, 2.0])
        with ad.enable_grad() if grad_enabled else ad.no_grad():
            fast = op._call1(a)
            general = op._call_any((a,), {})
        assert _summary(fast) == _summary(general)
        assert _guarded(fast) == _guarded(general)
        if fast.node is not None:
            assert fast.node.parents[0] is general.node.parents[0]


@pytest.mark.parametrize("grad_enabled", [True, False])
@pytest.mark.parametrize("kinds", list(itertools.product(_KINDS, repeat=2)),
                         ids="-".join)
def test_two_operand_path_matches_the_general_path(kinds, grad_enabled):
    for op in (ad.multiply, ad.less):
        a = _operand(kinds[0], [0.5, 2.0])
        b = _operand(kinds[1], [1.5, -1.0])
        with ad.enable_grad() if grad_enabled else ad.no_grad():
            fast = op._call2(a, b)
            general = op._call_any((a, b), {})
        assert _summary(fast) == _summary(general)
        assert _guarded(fast) == _guarded(general)
        if fast.node is not None:
            for p, q in zip(fast.node.parents, general.node.parents):
                assert p is q


def test_errors_are_the_same_on_every_path():
    a, b = ad.tensor(np.ones(2), requires_grad=True), np.ones(3)
    messages = []
    for call in (lambda: ad.multiply._call2(a, b), lambda: ad.multiply._call_any((a, b), {})):
        with pytest.raises(ValueError) as info:
            call()
        messages.append(str(info.value))
    assert messages[0] == messages[1] and messages[0].startswith("multiply:")


def test_a_tensor_that_requires_grad_without_a_rule_is_refused_on_every_path():
    op = ad.defop("scaled_without_grad", lambda x, scale: x * scale,
                  x=("g * scale", lambda xp, g, ans, x, scale: g * scale), scale=None)
    try:
        x, scale = ad.tensor([1.0, 2.0]), ad.tensor(3.0, requires_grad=True)
        messages = []
        for call in (lambda: op._call2(x, scale), lambda: op._call_any((x, scale), {}),
                     lambda: op(x, scale=scale), lambda: op._call2(scale, scale)):
            with pytest.raises(TypeError) as info:
                call()
            messages.append(str(info.value))
        assert len(set(messages)) == 1
        assert messages[0].startswith("scaled_without_grad: input 'scale' gets no gradient")
        assert op(x, ad.tensor(3.0)).data.tolist() == [3.0, 6.0]
        with ad.no_grad():
            assert op(x, scale).data.tolist() == [3.0, 6.0]
    finally:
        from autodiff.ops.registry import unregister
        unregister("scaled_without_grad")


def test_a_list_operand_is_an_array_where_a_rule_reads_it_and_as_given_elsewhere():
    x = ad.tensor(np.ones((2, 3)), requires_grad=True)
    for call in (lambda: ad.multiply._call2(x, [1.0, 2.0, 3.0]),
                 lambda: ad.multiply._call2([1.0, 2.0, 3.0], x),
                 lambda: ad.multiply._call_any((x, [1.0, 2.0, 3.0]), {})):
        assert all(type(a) is np.ndarray for a in call().node.args)
    for call in (lambda: ad.reshape._call2(x, [3, 2]),
                 lambda: ad.reshape._call_any((x, [3, 2]), {})):
        assert call().node.args[1] == [3, 2]
