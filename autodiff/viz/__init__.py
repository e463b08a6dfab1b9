"""Pictures and text of computation graphs, and the backward pass step by step.

>>> W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
>>> loss = (ad.tensor(np.ones((4, 3))) @ W).relu().mean()
>>> print(ad.viz.text(loss))             # no Graphviz needed
# W: leaf (3, 2) float64, requires grad
v1 = matmul(const(4, 3), W)  # (4, 2) float64
v2 = relu(v1)  # (4, 2) float64
v3 = mean(v2)  # () float64; output
>>> graph = ad.viz.draw(loss, show_values=True)  # a graphviz.Digraph (displays in Jupyter)
>>> ad.viz.render(loss, "loss.svg")      # needs the Graphviz 'dot' program
'loss.svg'
>>> net = ad.viz.network(ad.nn.MLP([2, 3, 3], rng=0))   # the network: neurons and weights
>>> print(ad.viz.steps(loss))            # the backward pass, one op at a time
backward pass from v3 (): 3 step(s), the last op first
...
"""

from .draw import INSTALL_HINT, Graph, GraphvizNotFoundError, draw, render
from .steps import (
    Contribution,
    GraphFreedError,
    Step,
    Steps,
    print_steps,
    render_steps,
    steps,
)
from .network import network
from .text import text
from .html import html
from .forward import jvp_text

__all__ = [
    "INSTALL_HINT",
    "Contribution",
    "Graph",
    "GraphFreedError",
    "GraphvizNotFoundError",
    "jvp_text",
    "Step",
    "Steps",
    "draw",
    "html",
    "network",
    "print_steps",
    "render",
    "render_steps",
    "steps",
    "text",
]
