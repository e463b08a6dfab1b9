"""ad.viz.network: the DOT text of known networks, and rendering with and without Graphviz."""

import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.viz import GraphvizNotFoundError

NODE_RE = re.compile(r"^\t+(\w+) \[label=(<.*>|\"[^\"]*\"|\S+)", re.MULTILINE)
EDGE_RE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$", re.MULTILINE)
HAVE_NEATO = shutil.which("neato") is not None


def net_233():
    """input (2), Dense(2, 3), ReLU, Dense(3, 3), with weights chosen by hand."""
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3))
    net[0].weight.data[...] = [[0.5, -1.0, 0.25], [2.0, 0.0, -0.75]]
    net[0].bias.data[...] = [0.1, -0.2, 0.0]
    net[2].weight.data[...] = np.arange(9.0).reshape(3, 3) / 10 - 0.4
    net[2].bias.data[...] = [1.0, 0.0, -1.0]
    return net


def nodes_of(source):
    return {m.group(1): m.group(2).strip('"') for m in NODE_RE.finditer(source)}


def edges_of(source):
    return [(m.group(1), m.group(2), m.group(3) or "") for m in EDGE_RE.finditer(source)]


def units(nodes):
    return sorted(n for n in nodes if re.fullmatch(r"L\d+_u\d+", n))


def test_233_network_nodes_edges_and_labels():
    g = ad.viz.network(net_233())
    assert isinstance(g, graphviz.Digraph)
    nodes = nodes_of(g.source)
    assert units(nodes) == ["L0_u0", "L0_u1", "L1_u0", "L1_u1", "L1_u2",
                            "L2_u0", "L2_u1", "L2_u2"]                    # 2 + 3 + 3 circles
    assert [nodes[f"L0_u{i}"] for i in range(2)] == ["x1", "x2"]
    assert [nodes[f"L1_u{i}"] for i in range(3)] == ["h1", "h2", "h3"]
    assert [nodes[f"L2_u{i}"] for i in range(3)] == ["o1", "o2", "o3"]
    assert nodes["L0_bias"] == "+1" and nodes["L1_bias"] == "+1" and "L2_bias" not in nodes
    edges = edges_of(g.source)
    weights = [(a, b) for a, b, _ in edges if "_u" in a]
    biases = [(a, b) for a, b, _ in edges if a.endswith("_bias")]
    assert len(weights) == 2 * 3 + 3 * 3 and len(biases) == 3 + 3
    assert len(edges) == 21
    assert ("L0_u1", "L1_u0") in weights          # W1[1, 0]: input 2 -> neuron 1
    for k in range(3):                             # one layer per cluster
        assert f"subgraph cluster_L{k}" in g.source
    assert "W1" not in "".join(e[2] for e in edges)     # no weight labels unless asked
    caption = g.caption
    assert ("W1 has shape (2, 3): one row per input feature, one column per neuron"
            in caption)
    assert "W2 has shape (3, 3)" in caption and "b1 has shape (3,)" in caption
    assert ("a batch of N examples is N rows flowing through this same picture, not N "
            "input nodes") in caption
    assert "W1 has shape (2, 3)" in g.source             # the caption is in the picture
    assert "hidden layer 1" in nodes["L1_title"] and "then ReLU" in nodes["L1_title"]


def test_same_model_same_dot_text():
    assert ad.viz.network(net_233()).source == ad.viz.network(net_233()).source


def test_show_weights_labels_colours_and_sizes_each_edge():
    g = ad.viz.network(net_233(), show_weights=True)
    attrs = {(a, b): e for a, b, e in edges_of(g.source)}
    w10 = attrs[("L0_u1", "L1_u0")]                       # W1[1, 0] = 2.0, the largest
    assert 'xlabel="W1[1,0]=2"' in w10 and "#3465a4" in w10 and "penwidth=3.50" in w10
    w01 = attrs[("L0_u0", "L1_u1")]                       # W1[0, 1] = -1.0: red, thinner
    assert 'xlabel="W1[0,1]=-1"' in w01 and "#cc0000" in w01 and "penwidth=1.95" in w01
    assert 'xlabel="W2[2,1]=0.3"' in attrs[("L1_u2", "L2_u1")]
    assert 'xlabel="b2[2]=-1"' in attrs[("L1_bias", "L2_u2")]
    labels = re.findall(r'xlabel="(W\d\[\d,\d\])=', g.source)
    assert len(labels) == 15 and len(set(labels)) == 15
    nodes = nodes_of(g.source)
    assert "W1_matrix" in nodes and "W2_matrix" in nodes     # the matrix beside the edges
    assert "<B>W1</B> (2, 3)" in nodes["W1_matrix"] and ">-0.75<" in nodes["W1_matrix"]
    assert "blue positive, red negative" in g.caption


def test_given_x_each_layer_shows_its_shape_and_the_first_examples_values():
    net = net_233()
    x = np.array([[1.0, 1.0], [5.0, 5.0]] + [[0.0, 0.0]] * 298)
    g = ad.viz.network(net, x=x)
    nodes = nodes_of(g.source)
    assert "activations (300, 2)" in nodes["L0_title"]
    assert "activations (300, 3)" in nodes["L1_title"]
    assert "activations (300, 3)" in nodes["L2_title"]
    # x[0] = (1, 1): z = (0.5 + 2 + 0.1, -1 + 0 - 0.2, 0.25 - 0.75) = (2.6, -1.2, -0.5)
    assert nodes["L0_u0"] == "x1\\n1"
    assert nodes["L1_u0"] == "h1\\nz=2.6 → 2.6"
    assert nodes["L1_u1"] == "h2\\nz=-1.2 → 0"
    h = np.array([2.6, 0.0, 0.0])
    out = h @ net[2].weight.data + net[2].bias.data
    assert nodes["L2_u0"] == f"o1\\n{np.format_float_positional(out[0], 3, trim='-')}"
    assert ("a batch of 300 examples is 300 rows flowing through this same picture, not 300 "
            "input nodes") in g.caption


def test_wide_layers_collapse_into_n_more():
    g = ad.viz.network(nn.MLP([3, 40, 2], rng=0))
    nodes = nodes_of(g.source)
    hidden = [n for n in units(nodes) if n.startswith("L1_")]
    assert len(hidden) == 8                                # first 6 and last 2
    assert nodes["L1_more"] == "… 32 more"
    assert nodes["L1_u39"] == "h40" and "L1_u6" not in nodes
    edges = edges_of(g.source)
    assert len([e for e in edges if e[1] == "L1_more"]) == 3 + 1   # 3 inputs and the bias
    assert len([e for e in edges if e[0] == "L1_more"]) == 2
    assert len(edges) == 3 * 9 + 9 + 9 * 2 + 2     # the "more" node stands for 32 units
    assert ("layer 1 has 40 units, more than 16: the first 6 and last 2 are drawn and "
            "'… 32 more' stands for the rest") in g.caption
    narrow = ad.viz.network(nn.MLP([3, 40, 2], rng=0), max_units=64)
    assert "L1_more" not in narrow.source and "L1_u20" in narrow.source


def test_models_it_accepts():
    lin1, lin2 = nn.Linear(2, 4, rng=0), nn.Linear(4, 1, rng=1)
    from_list = ad.viz.network([lin1, nn.Tanh(), lin2])
    from_seq = ad.viz.network(nn.Sequential(lin1, nn.Tanh(), lin2))
    assert from_list.source == from_seq.source and "then Tanh" in from_list.source
    mlp = ad.viz.network(nn.MLP([2, 4, 4, 1], activation="sigmoid", rng=0))
    nodes = nodes_of(mlp.source)
    assert nodes["L1_u0"] == "h1.1" and nodes["L2_u3"] == "h2.4" and nodes["L3_u0"] == "o1"
    assert "then Sigmoid" in nodes["L1_title"] and "Sigmoid" not in nodes["L3_title"]
    leaky = ad.viz.network(nn.Sequential(nn.Linear(2, 2), nn.LeakyReLU(0.1), nn.Linear(2, 1)))
    assert "then LeakyReLU(negative_slope=0.1)" in leaky.source
    single = ad.viz.network(nn.Linear(3, 2))
    assert units(nodes_of(single.source)) == ["L0_u0", "L0_u1", "L0_u2", "L1_u0", "L1_u1"]
    no_bias = ad.viz.network(nn.Linear(3, 2, bias=False))
    assert "_bias" not in no_bias.source and "b1 has shape" not in no_bias.caption


def test_modules_it_cannot_draw_are_errors_that_name_them():
    with pytest.raises(TypeError, match=r"viz.network: cannot draw layer 1 Embedding .* as "
                                        r"neurons and weights; it draws stacks of Linear "
                                        r"layers and activations .*ReLU.*Sigmoid"):
        ad.viz.network(nn.Sequential(nn.Linear(2, 3), nn.Embedding(5, 3)))
    with pytest.raises(TypeError, match=r"viz.network: cannot draw Embedding"):
        ad.viz.network(nn.Embedding(5, 3))

    class Square(nn.Module):
        def forward(self, x):
            return x * x
    with pytest.raises(TypeError, match=r"cannot draw layer 1 Square .* ad.viz.draw"):
        ad.viz.network([nn.Linear(2, 2), Square()])
    with pytest.raises(ValueError, match=r"viz.network: the model has no Linear layer"):
        ad.viz.network(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match=r"layer 2 is Linear\(4, 1\) but the layer before it "
                                         r"gives 3 values per example"):
        ad.viz.network([nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)])
    with pytest.raises(ValueError, match=r"viz.network: x has shape \(10, 5\), but the first "
                                         r"layer takes 2 input features"):
        ad.viz.network(net_233(), x=np.zeros((10, 5)))
    with pytest.raises(TypeError, match=r"expected a Sequential, an MLP or a list of modules, "
                                        r"got ndarray"):
        ad.viz.network(np.zeros((2, 3)))


@pytest.mark.skipif(not HAVE_NEATO, reason="needs the Graphviz programs")
def test_render_svg_and_png(tmp_path):
    g = ad.viz.network(net_233(), x=np.ones((300, 2)), show_weights=True)
    path = ad.viz.render(g, tmp_path / "network.svg")
    root = ET.parse(path).getroot()
    texts = {el.text for el in root.iter() if el.tag.endswith("text")}
    assert {"x1", "x2", "h1", "h3", "o3", "+1", "W1[1,0]=2"} <= texts
    png = ad.viz.render(g, tmp_path / "network", format="png")
    assert png.endswith("network.png")
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(TypeError, match="viz.render: .*show_values.* apply when drawing a "
                                        "tensor's graph"):
        ad.viz.render(g, tmp_path / "again.svg", show_values=True)


def test_without_graphviz_the_source_is_saved_and_jupyter_shows_it(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    g = ad.viz.network(net_233())
    with pytest.raises(GraphvizNotFoundError, match="network.dot"):
        ad.viz.render(g, tmp_path / "network.svg")
    assert (tmp_path / "network.dot").read_text() == g.source
    assert not (tmp_path / "network.svg").exists()
    bundle = g._repr_mimebundle_()
    assert "not found" in bundle["text/plain"] and "cluster_L1" in bundle["text/plain"]
