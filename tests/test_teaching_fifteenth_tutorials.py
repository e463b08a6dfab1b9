"""The teaching tools on what the tutorials and the README show, and around the
transforms: ``explain`` on a parameter that NumPy's random draw took off the tape
(tutorial 08; before, its story listed ``.detach()`` and the like but not what really
happened, which the library had warned about), an embedding with repeated indices
(tutorial 03), the README's network and where trap, a compiled step's plan (tutorial
09), 0-d, complex and empty leaves, and the tools inside ``ad.grad``, ``ad.vmap`` and
``ad.compile``.
"""

import shutil
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn
from autodiff.viz.labels import array_text, escape

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def _shown(array):
    return escape(array_text(np.asarray(array))).replace("\n", "<BR/>")


# ----------------------------------------------------------------------------------
# tutorial 08: rng.normal(mu_param, ...) cuts the graph; explain says where
# ----------------------------------------------------------------------------------
def test_explain_names_the_numpy_draw_that_took_the_parameter_off_the_tape():
    rng = np.random.default_rng(0)
    mu, w = nn.Parameter(0.5, name="mu"), nn.Parameter(1.0, name="w")
    with pytest.warns(ad.TapeDropWarning):
        z = rng.normal(mu, 1.0, size=4)             # mu becomes a plain float here
    ((w * z - 2.0) ** 2).mean().backward()
    assert mu.grad is None
    story = ad.explain(mu)
    assert ("It left the tape when it was converted to a Python float by "
            "numpy.random.Generator.normal at " + __file__) in story
    line = story.split(__file__ + ":", 1)[1].split(" ", 1)[0]
    with open(__file__, encoding="utf-8") as f:
        assert "rng.normal(mu, 1.0, size=4)" in f.readlines()[int(line) - 1]
    assert "Other ways to cut the graph: if you used .detach()" in story


def test_a_parameter_never_taken_off_the_tape_gets_the_general_story():
    w, u = nn.Parameter(1.0, name="w"), nn.Parameter([1.0, 2.0], name="u")
    (u.detach() * w).sum().backward()
    story = ad.explain(u)
    assert "left the tape" not in story and "TapeDropWarning" not in story
    assert "no recorded op links them. If you used .detach() or .data" in story


def _converted(t):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ad.TapeDropWarning)
        np.asarray(t)


def test_a_tensor_taken_off_the_tape_is_forgotten_with_it():
    from autodiff.tape_drop_memory import _DROPS, last_drop
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    _converted(t)       # (in a frame of its own: the warning reads that frame's locals)
    text = last_drop(t)
    assert text.startswith("converted to a NumPy array by np.asarray at ")
    key = id(t)
    del t
    assert key not in _DROPS


# ----------------------------------------------------------------------------------
# tutorial 03 and the README: the numbers shown are the gradients
# ----------------------------------------------------------------------------------
def test_an_embedding_with_repeated_ids_shows_the_accumulated_gradient():
    emb = nn.Embedding(4, 2, rng=0)
    ids = np.array([1, 3, 1, 1])
    loss = (emb(ids) * np.array([1.0, 2.0])).sum()
    totals = ad.viz.steps(loss, params={"weight": emb.weight}).totals
    loss.backward(retain_graph=True)
    expected = np.array([[0.0, 0.0], [3.0, 6.0], [0.0, 0.0], [1.0, 2.0]])
    np.testing.assert_array_equal(emb.weight.grad, expected)
    np.testing.assert_array_equal(totals["weight"], expected)
    assert _shown(expected) in ad.viz.draw(loss, show_grads=True, params=emb).source
    story = ad.explain(emb.weight)
    assert "nonzero entries: 4 of 8" in story
    assert "passes zero gradient to its input" in story           # the rows never looked up


def test_the_readme_network_and_its_tools():
    X, y = ad.data.spiral(20, 3, seed=0)
    model = nn.MLP([2, 8, 3], rng=0)
    loss = F.cross_entropy(model(ad.tensor(X, name="X")), y)
    text = ad.viz.text(loss, params=model)
    assert "cross_entropy(" in text and "relu(" in text
    totals = ad.viz.steps(loss, params=model).totals
    loss.backward(retain_graph=True)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params=model).source
    for name, p in model.named_parameters():
        np.testing.assert_allclose(totals[name], p.grad, rtol=1e-12, atol=1e-15)
        assert name in source and _shown(p.grad) in source


@needs_dot
def test_the_readme_render_with_params_writes_named_parameters(tmp_path):
    model = nn.MLP([2, 4, 3], rng=0)
    loss = F.cross_entropy(model(ad.tensor(np.ones((2, 2)))), np.array([0, 2]))
    path = ad.viz.render(loss, str(tmp_path / "mlp.svg"), params=model)
    with open(path, encoding="utf-8") as f:
        svg = f.read()
    for name, _ in model.named_parameters():
        assert name in svg


# ----------------------------------------------------------------------------------
# 0-d, complex and empty leaves
# ----------------------------------------------------------------------------------
def test_a_zero_d_complex_leaf():
    z = ad.tensor(np.array(1 + 2j), requires_grad=True, name="z")
    loss = (z * z.conj()).real
    totals = ad.viz.steps(loss).totals
    loss.backward(retain_graph=True)
    assert z.grad == totals["z"] == 2 + 4j                  # PyTorch's convention: 2 z
    assert _shown(z.grad) in ad.viz.draw(loss, show_grads=True).source
    assert "(shape (), complex128): .grad is set and not all zero" in ad.explain(z)


def test_an_empty_leaf():
    x = ad.tensor(np.zeros((0, 3)), requires_grad=True, name="x")
    loss = (x * 2).sum()
    assert ad.viz.steps(loss).totals["x"].shape == (0, 3)
    loss.backward(retain_graph=True)
    assert x.grad.shape == (0, 3)
    assert "'x' (shape (0, 3), float64): .grad is all zero" in ad.explain(x)
    assert "x" in ad.viz.draw(loss, show_values=True, show_grads=True).source


# ----------------------------------------------------------------------------------
# inside the transforms
# ----------------------------------------------------------------------------------
def test_inside_ad_grad_the_tools_see_the_traced_graph():
    seen = {}

    def f(x):
        y = (x * x).sum()
        seen["text"] = ad.viz.text(y)
        seen["totals"] = ad.viz.steps(y).totals
        seen["draw"] = ad.viz.draw(y, show_values=True).source
        return y
    grad = ad.grad(f)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(grad, [2.0, 4.0])
    assert "= multiply(" in seen["text"] and "= sum(" in seen["text"]
    np.testing.assert_array_equal(next(iter(seen["totals"].values())), [2.0, 4.0])
    assert _shown(np.float64(5.0)) in seen["draw"]


@pytest.mark.parametrize("tool", [ad.viz.text, ad.viz.steps, ad.viz.draw])
def test_inside_vmap_the_tools_say_what_to_do(tool):
    def f(x):
        return tool((x * x).sum())
    with pytest.raises(TypeError, match="inside ad.vmap, the function gets plain arrays"):
        ad.vmap(f)(np.ones((2, 3)))


def test_inside_compile_steps_is_refused_and_draw_of_the_plan_works():
    w = nn.Parameter(np.array([1.0, 2.0]), name="w")

    @ad.compile
    def step():
        loss = (w * w).sum()
        ad.viz.steps(loss)
        loss.backward()
        return loss
    with pytest.raises(ad.TraceError, match="Call ad.viz.steps outside the compiled function"):
        step()

    @ad.compile
    def plain_step():
        loss = (w * w).sum()
        loss.backward()
        return loss
    assert float(plain_step().data) == 5.0
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    source = ad.viz.draw(plain_step.plan).source
    assert "multiply" in source and "sum" in source
