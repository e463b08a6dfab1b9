"""Tools watch the one reverse pass through BackwardObserver; nothing else runs it."""

from __future__ import annotations

import numpy as np

import autodiff as ad
from autodiff.graph import BackwardObserver, _grad_mode, observe_backward


class Log(BackwardObserver):
    def __init__(self):
        self.nodes, self.edges = [], []

    def on_node(self, node, g):
        self.nodes.append(node.op.name)

    def on_edge(self, node, position, g, gi, rule_output):
        self.edges.append((node.op.name, position, np.shape(rule_output), np.shape(gi)))


def test_an_observer_sees_every_node_and_edge_of_the_pass_in_order():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    b = ad.tensor(3.0, requires_grad=True)
    log = Log()
    with observe_backward(log):
        ((a * b).sum() + b).backward()
    assert log.nodes == ["add", "sum", "multiply"]
    assert ("multiply", 1, (2,), ()) in log.edges          # broadcast b: summed back
    assert ("multiply", 0, (2,), (2,)) in log.edges
    assert _grad_mode.observers == ()                       # removed after the block


def test_observers_nest_and_see_create_graph_passes():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    outer, inner = Log(), Log()
    with observe_backward(outer):
        with observe_backward(inner):
            (gx,) = ad.graph.run_backward((x ** 3).sum(), np.ones(()), inputs=[x],
                                          create_graph=True)
        gx.sum().backward()
    assert inner.nodes == ["sum", "power"]
    assert outer.nodes[:2] == ["sum", "power"] and len(outer.nodes) > 2
    np.testing.assert_allclose(x.grad, 6 * x.data)


def test_steps_and_anomaly_use_the_same_pass():
    x = ad.tensor([1.0, 4.0], requires_grad=True, name="x")
    y = ad.sqrt(x).sum()
    with ad.detect_anomaly():
        walk = ad.viz.steps(y)                  # runs the pass with both observers
    assert [s.op_name for s in walk] == ["sum", "sqrt"]
    np.testing.assert_allclose(walk.totals["x"], 0.5 / np.sqrt(x.data))
    assert x.grad is None                       # steps writes no .grad
    y.backward()                                # and keeps the graph
    np.testing.assert_allclose(x.grad, 0.5 / np.sqrt(x.data))
