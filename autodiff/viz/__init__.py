"""Pictures and text of computation graphs, and the backward pass step by step.

>>> W = ad.tensor(np.ones((3, 2)), requires_grad=True, name="W")
>>> loss = (ad.tensor(np.ones((4, 3))) @ W).relu().mean()
>>> print(ad.viz.text(loss))             # no Graphviz needed
>>> ad.viz.draw(loss, show_values=True)  # a graphviz.Digraph (displays in Jupyter)
>>> ad.viz.render(loss, "loss.svg")      # needs the Graphviz 'dot' program
>>> print(ad.viz.steps(loss))            # the backward pass, one op at a time
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
from .text import text

__all__ = [
    "INSTALL_HINT",
    "Contribution",
    "Graph",
    "GraphFreedError",
    "GraphvizNotFoundError",
    "Step",
    "Steps",
    "draw",
    "print_steps",
    "render",
    "render_steps",
    "steps",
    "text",
]
