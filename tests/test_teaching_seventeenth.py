"""The teaching tools name what the user did: ``viz.html`` (and every other viz tool)
names itself in its errors, not the helper it calls; ``explain``'s story of an
``overwrite`` names the in-place method that wrote (``masked_fill_``, ``fill_``,
``tril_``, ...), with the graph alive or freed, and says the angle of real numbers is a
constant rather than that something wrote in place.
"""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


# ----------------------------------------------------------------------------------
# each viz tool's errors name that tool
# ----------------------------------------------------------------------------------
def _leaf(tmp_path):
    return ad.tensor([1.0, 2.0], requires_grad=True, name="x")


def _constant(tmp_path):
    return ad.tensor([1.0, 2.0]) * 2


TOOLS = {
    "html": lambda t, tmp_path: ad.viz.html(t, tmp_path / "page"),
    "steps": lambda t, tmp_path: ad.viz.steps(t),
    "render_steps": lambda t, tmp_path: ad.viz.render_steps(t, tmp_path / "steps"),
}


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("make, says", [
    (_leaf, r"no recorded history \(it is a leaf\)"),
    (_constant, "no value it was computed from requires grad")])
def test_a_tensor_without_history_is_refused_under_the_tool_called(tool, make, says,
                                                                    tmp_path):
    with pytest.raises(ValueError, match=rf"^viz\.{tool}: this tensor has .*{says}"):
        TOOLS[tool](make(tmp_path), tmp_path)


@pytest.mark.parametrize("tool", ["text", "draw", "render", "steps", "html", "render_steps"])
def test_a_numpy_array_is_refused_under_the_tool_called(tool, tmp_path):
    call = getattr(ad.viz, tool)
    args = (tmp_path / "out",) if tool in ("render", "html", "render_steps") else ()
    with pytest.raises(TypeError, match=rf"^viz\.{tool}: expected a Tensor, got ndarray"):
        call(np.ones(2), *args)


def test_html_of_a_freed_graph_and_a_wrong_seed_name_html(tmp_path):
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(ValueError, match=r"^viz\.html: grad has shape \(3,\) but the tensor"):
        ad.viz.html(loss, tmp_path / "page", grad=np.ones(3))
    loss.backward()
    with pytest.raises(ad.viz.GraphFreedError,
                       match=r"^viz\.html: the graph was freed .* Call ad\.viz\.html\(t\)"):
        ad.viz.html(loss, tmp_path / "page")


# ----------------------------------------------------------------------------------
# explain names the in-place method behind an overwrite
# ----------------------------------------------------------------------------------
def _masked_fill(w):
    y = w * 2.0
    y.masked_fill_(y > 3.0, 0.0)
    return y.sum()


def _fill(w):
    y = w * 2.0
    y.fill_(1.5)
    return y.sum() + w[0]


def _tril(w):
    y = (w * 1.0).reshape(2, 2)
    y.tril_()
    return y.sum()


def _zero_of_a_view(w):
    y = w * 3.0
    y[1:].zero_()
    return y.sum()


OVERWRITES = {
    # name: (program, the gradient of w = [1, 2, 3, 4], the method explain must name)
    "masked_fill_": (_masked_fill, [2.0, 0.0, 0.0, 0.0], "masked_fill_"),
    "fill_": (_fill, [1.0, 0.0, 0.0, 0.0], "fill_"),
    "tril_": (_tril, [1.0, 0.0, 1.0, 1.0], "tril_"),
    "zero_ of a view": (_zero_of_a_view, [3.0, 0.0, 0.0, 0.0], "zero_"),
}


def _program(name):
    program, expected, method = OVERWRITES[name]
    w = nn.Parameter(np.array([1.0, 2.0, 3.0, 4.0]), name="w")
    return program(w), w, np.array(expected), method


@pytest.mark.parametrize("name", list(OVERWRITES))
def test_explain_names_the_method_that_overwrote_after_the_graph_is_freed(name):
    loss, w, expected, method = _program(name)
    loss.backward()
    np.testing.assert_array_equal(w.grad, expected)
    story = ad.explain(w, output=loss)
    assert f"nonzero entries: {np.count_nonzero(expected)} of 4" in story
    assert ("overwrite gives zero gradient to the old values: "
            f"{method} overwrote them in place") in story, story
    assert "fill_, zero_ or copy_" not in story


@pytest.mark.parametrize("name", ["masked_fill_", "fill_"])
def test_explain_names_the_method_that_overwrote_with_the_graph_alive(name):
    loss, w, expected, method = _program(name)
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(w.grad, expected)
    assert (f"overwrite overwrote every value in place ({method}), so the old values get no "
            "gradient through it") in ad.explain(w)


def test_explain_of_the_angle_of_real_numbers_says_it_is_constant():
    # angle(x) is 0 or pi for real x: the zero gradient is the op's, nothing wrote in place
    for retain in (True, False):
        w = nn.Parameter(np.array([1.0, -2.0]), name="w")
        loss = (w.angle() * w).sum()
        loss.backward(retain_graph=retain)
        np.testing.assert_array_equal(w.grad, [0.0, np.pi])
        story = ad.explain(w, output=loss)
        assert ("overwrite is the angle of real numbers (0 or pi, whatever the value), so its "
                "input gets zero gradient") in story, story
        assert "overwrote" not in story


# ----------------------------------------------------------------------------------
# after the graph is freed, explain claims only what it can know
# ----------------------------------------------------------------------------------
def _index_added_into_a_constant():
    w = nn.Parameter(np.array([1.0, 2.0, 3.0]), name="w")
    y = ad.zeros(3, dtype=np.float64)
    y.index_add_(0, ad.tensor([0, 0]), w[:2] * 1.0)     # w[2] is never read
    return y.sum(), w


def _kthvalue():
    w = nn.Parameter(np.array([[3.0, 1.0, 2.0, 5.0]]), name="w")
    return w.kthvalue(2, dim=1)[0].sum(), w


FREED = {
    # name: (program, gradient, the op and count explain gives with the values kept)
    "index_add_ into a constant": (_index_added_into_a_constant, [1.0, 1.0, 0.0],
                                   "getitem: getitem passes zero gradient to its input 'x' "
                                   "at 1 of 3 positions"),
    "kthvalue": (_kthvalue, [[0.0, 0.0, 1.0, 0.0]],
                 "take_along_axis: take_along_axis passes zero gradient to its input 'x' at "
                 "3 of 4 positions"),
}


@pytest.mark.parametrize("name", list(FREED))
def test_with_the_graph_freed_explain_says_it_cannot_check_rather_than_blame_another_op(name):
    program, expected, kept_story = FREED[name]
    loss, w = program()
    loss.backward(retain_graph=True)
    np.testing.assert_array_equal(w.grad, expected)
    assert kept_story in ad.explain(w)
    loss, w = program()
    loss.backward()
    story = ad.explain(w, output=loss)
    assert f"nonzero entries: {np.count_nonzero(expected)} of {np.size(expected)}" in story
    # index_add_'s overwrite zeroes only the old values of y, which w does not reach
    assert "overwrite" not in story.split("= the output.")[1], story
    assert ("Some entries are zero, but the graph was freed by backward, so explain cannot "
            "check the values to say which op zeroed them: pass retain_graph=True") in story


def test_with_the_graph_freed_the_ops_that_can_zero_are_marked_unchecked():
    w = nn.Parameter(np.array([-1.0, 2.0, 0.5]), name="w")
    loss = w.max(ad.tensor([0.0, 0.0, 1.0])).sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, [0.0, 1.0, 0.0])
    story = ad.explain(w, output=loss)
    assert "maximum: maximum gives zero gradient where the other operand wins." in story
    assert "(The graph was freed by backward; pass retain_graph=True to let explain" in story
