"""The checks the teaching-tool sweeps run on each program: the tools show the
gradients that backward stores, ``detect_anomaly`` keeps quiet on a finite program,
the HTML page's totals are the gradients, and after a plain ``backward()`` the tools say
the graph was freed.

A PyTorch-style program is ``build() -> (loss, params)`` (params a Module or a dict of
name -> parameter); a NumPy probe program is ``run(dtype) -> (loss, p)`` with its
gradient by ``ad.grad`` from ``gradient(dtype)``.
"""

import json
import os
import re
import shutil
import sysconfig
import warnings
from functools import partial

import numpy as np
import pytest

import autodiff as ad
from autodiff.viz.labels import array_text, escape


def named(params):
    return params if isinstance(params, dict) else dict(params.named_parameters())


def grad_of(t):
    return np.asarray(getattr(t.grad, "data", t.grad))


def shown(values):
    """How draw's labels show ``values``."""
    return escape(array_text(values)).replace("\n", "<BR/>")


def html_data(path):
    """The DATA object an ``ad.viz.html`` page carries."""
    with open(path, encoding="utf-8") as f:
        return json.loads(re.search(r"const DATA = (\{.*?\});\n", f.read(), re.S).group(1))


def check_tools_show_the_gradients(build, ops):
    loss, params = build()
    text = ad.viz.text(loss, params=params)
    for op in ops:
        assert f"= {op}(" in text, (op, text)
    totals = ad.viz.steps(loss, params=params).totals
    assert all(p.grad is None for p in named(params).values())  # steps writes no .grad
    loss.backward(retain_graph=True)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params=params).source
    assert shown(loss.data) in source
    for key, p in named(params).items():
        grad = grad_of(p)
        # The same rules on the same values; only the order in which contributions to
        # one value are added may differ.
        np.testing.assert_allclose(totals[key], grad, rtol=1e-10, atol=1e-13, err_msg=key)
        assert key in source and shown(grad) in source, key
        story = ad.explain(p)
        assert story.startswith(f"'{key}' (shape {p.shape}"), story
        if np.any(grad):
            assert f"nonzero entries: {np.count_nonzero(grad)} of {grad.size}" in story


def check_tools_keep_the_dtype(loss, params):
    """steps' totals are the gradients backward stores, in their dtype; draw shows them;
    explain counts their nonzero entries (or says they are all zero).  Returns the
    gradients."""
    totals = ad.viz.steps(loss, params=params).totals
    loss.backward(retain_graph=True)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params=params).source
    assert shown(loss.data) in source
    grads = {}
    for key, p in params.items():
        grad = np.asarray(p.grad)
        assert grad.dtype == p.dtype == totals[key].dtype, key
        tolerance = 1e-5 if p.dtype == np.float32 else 1e-12   # (summation order only)
        np.testing.assert_allclose(totals[key], grad, rtol=tolerance, atol=tolerance)
        assert shown(grad) in source, key
        story = ad.explain(p)
        assert story.startswith(f"'{key}' (shape {p.shape}, {p.dtype})"), story
        if grad.size and np.any(grad):
            assert f"nonzero entries: {np.count_nonzero(grad)} of {grad.size}" in story
        else:
            assert ".grad is all zero" in story
        grads[key] = grad
    return grads


def anomaly_report(program):
    """The AnomalyError message of ``program()`` run under detect_anomaly."""
    with pytest.raises(ad.AnomalyError) as info:
        with ad.detect_anomaly(), np.errstate(all="ignore"):
            program()
    return str(info.value)


def check_anomaly_report(program, start, line, cause):
    """``program()``'s report starts with ``start``, quotes the user's ``line`` and gives
    ``cause``."""
    message = anomaly_report(program)
    assert message.startswith(start), message
    assert f"`{line}" in message, message
    assert cause in message, message
    return message


def check_anomaly_keeps_quiet(build):
    loss, params = build()
    loss.backward()
    with ad.detect_anomaly():
        watched_loss, watched = build()
        watched_loss.backward()
    assert float(watched_loss.data) == float(loss.data)
    for (key, p), q in zip(named(params).items(), named(watched).values()):
        np.testing.assert_array_equal(grad_of(q), grad_of(p), err_msg=key)


def check_html_totals(build, ops, tmp_path):
    loss, params = build()
    data = html_data(ad.viz.html(loss, tmp_path / "page", params=params))
    loss.backward()
    for key, p in named(params).items():
        assert data["totals"][key] == array_text(grad_of(p), width=72), key
    assert {s["op_name"] for s in data["steps"]} >= set(ops)


def check_freed_graph(build, ops):
    loss, params = build()
    loss.backward()
    text = ad.viz.text(loss, params=params)                 # the structure stays
    for op in ops:
        assert f"= {op}(" in text
    assert "values freed by backward()" in ad.viz.draw(loss, show_values=True,
                                                       params=params).source
    with pytest.raises(ad.viz.GraphFreedError, match="retain_graph=True"):
        ad.viz.steps(loss, params=params)
    for p in named(params).values():
        assert "nonzero entries" in ad.explain(p, output=loss) or not np.any(grad_of(p))


def step_through_in_a_browser(page, build, ops, tmp_path):
    """Every step of the HTML page in a real browser names the ops; the totals shown at
    the end are the gradients."""
    loss, params = build()
    path = ad.viz.html(loss, tmp_path / "page.html", params=params)
    page.goto("file://" + os.path.abspath(path))
    assert "Before the backward pass" in page.inner_text("#step")
    page.keyboard.press("ArrowRight")
    count = int(page.inner_text("#counter").split()[-1])          # "step 1 of n"
    shown_ops = []
    for _ in range(count):
        shown_ops.append(page.inner_text("#step").split("\n")[0])
        page.keyboard.press("ArrowRight")
    for op in ops:
        assert any(op in s for s in shown_ops), (op, shown_ops)
    page.keyboard.press("End")
    loss.backward()
    for key, p in named(params).items():
        shown_total = page.inner_text(f'#totals .total[data-name="{key}"] pre')
        assert shown_total == array_text(grad_of(p), width=72), key
    assert page.console_errors == []


def mistake_message(mistake, kind, user_file) -> str:
    """The message of ``mistake()``: of its first warning of ``kind`` (which must point at
    ``user_file``), or of the ``kind`` it raises (whose traceback's last frame outside the
    library and Python's own modules must be in ``user_file``: the user's line)."""
    if issubclass(kind, Warning):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mistake()
        messages = [w for w in caught if issubclass(w.category, kind)]
        assert messages, f"no {kind.__name__}; warnings: {[str(w.message) for w in caught]}"
        assert messages[0].filename == user_file, messages[0].filename
        return str(messages[0].message)
    with pytest.raises(kind) as info:
        mistake()
    outside = (os.path.dirname(ad.__file__) + os.sep, sysconfig.get_paths()["stdlib"])
    users = [entry for entry in info.traceback if not str(entry.path).startswith(outside)]
    assert users and str(users[-1].path) == user_file, users
    return str(info.value)


def check_mistake_message(message, patterns):
    """``message`` holds each of ``patterns`` (the op or layer, the shapes or dtypes, what
    to do), and no internal wrapper's name or line of the library."""
    for pattern in patterns:
        assert re.search(pattern, message), (pattern, message)
    # (a line inside the package: the user's own file may lie under a folder named
    # autodiff, as a clone of this repository does)
    package = os.path.dirname(ad.__file__) + os.sep
    assert "with_out" not in message and package not in message, message


# ----------------------------------------------------------------------------------
# NumPy probe programs: one parameter vector p
# ----------------------------------------------------------------------------------
def check_program_tools(run, gradient, ops, dtype):
    loss, p = run(dtype)
    text = ad.viz.text(loss)
    for op in ops:
        assert f"= {op}(" in text, (op, text)
    totals = ad.viz.steps(loss).totals
    assert p.grad is None
    expected = gradient(dtype)
    loss.backward(retain_graph=True)
    grad = np.asarray(p.grad)
    assert grad.dtype == np.dtype(dtype) == totals["p"].dtype
    np.testing.assert_array_equal(grad, expected)          # the same engine, the same order
    # steps walks the same rules; contributions to a value may arrive in another order
    np.testing.assert_allclose(totals["p"], grad, rtol=1e-5 if dtype == "float32" else 1e-11,
                               atol=1e-6 if dtype == "float32" else 1e-13)
    source = ad.viz.draw(loss, show_values=True, show_grads=True, params={"p": p}).source
    assert shown(grad) in source
    assert shown(loss.data) in source
    story = ad.explain(p)
    assert story.startswith(f"'p' (shape {p.shape}, {dtype})")
    assert f"nonzero entries: {np.count_nonzero(grad)} of {grad.size}" in story


def check_program_anomaly_keeps_quiet(run):
    loss, p = run("float64")
    loss.backward()
    with ad.detect_anomaly():
        watched_loss, q = run("float64")
        watched_loss.backward()
    assert float(watched_loss.data) == float(loss.data)
    np.testing.assert_array_equal(q.grad, p.grad)


def check_program_freed_graph(run, ops):
    loss, p = run("float64")
    loss.backward()
    for op in ops:
        assert f"= {op}(" in ad.viz.text(loss)
    assert "values freed by backward()" in ad.viz.draw(loss, show_values=True).source
    with pytest.raises(ad.viz.GraphFreedError, match="retain_graph=True"):
        ad.viz.steps(loss)
    assert "nonzero entries" in ad.explain(p, output=loss)


def check_program_html_totals(run, ops, tmp_path):
    loss, p = run("float64")
    data = html_data(ad.viz.html(loss, tmp_path / "page"))
    loss.backward()
    assert data["totals"]["p"] == array_text(np.asarray(p.grad), width=72)
    assert set(ops) <= {s["op_name"] for s in data["steps"]}


# ----------------------------------------------------------------------------------
# the tests of a sweep: a test module binds them with globals().update(...)
# ----------------------------------------------------------------------------------
_needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="Graphviz 'dot' not installed")


def teaching_tests(programs: dict, html_names) -> dict:
    """The four tests of PyTorch-style ``programs`` (name -> (build, ops)), the HTML one
    on ``html_names``."""
    each = pytest.mark.parametrize("name", list(programs))

    @each
    def test_the_tools_show_the_gradients_backward_stores(name):
        check_tools_show_the_gradients(*programs[name])

    @each
    def test_detect_anomaly_keeps_quiet_on_a_finite_program(name):
        check_anomaly_keeps_quiet(programs[name][0])

    @_needs_dot
    @pytest.mark.parametrize("name", html_names)
    def test_the_html_page_totals_are_the_gradients(name, tmp_path):
        check_html_totals(*programs[name], tmp_path)

    @each
    def test_after_the_graph_is_freed_the_tools_say_so(name):
        check_freed_graph(*programs[name])
    return {f.__name__: f for f in (
        test_the_tools_show_the_gradients_backward_stores,
        test_detect_anomaly_keeps_quiet_on_a_finite_program,
        test_the_html_page_totals_are_the_gradients,
        test_after_the_graph_is_freed_the_tools_say_so)}


def probe_programs(programs) -> tuple:
    """``run(name, dtype) -> (loss, p)`` and ``gradient(name, dtype)`` (by ``ad.grad``) of
    NumPy probe programs, each with the parameters its module's PROGRAMS list gives it."""
    by_name = {program.__name__: program for program in programs}

    def parameters(name, dtype):
        program = by_name[name]
        module = __import__(program.__module__)
        p = next(p for prog, p, *_ in module.PROGRAMS if prog is program)
        return p.astype(dtype)

    def run(name, dtype):
        p = ad.tensor(parameters(name, dtype), requires_grad=True, name="p")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ad.ConventionWarning)
            return by_name[name](np, p), p

    def gradient(name, dtype):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ad.ConventionWarning)
            return ad.grad(lambda t: by_name[name](np, t))(parameters(name, dtype))
    return run, gradient


def program_teaching_tests(run, gradient, ops: dict, html_names) -> dict:
    """The four tests of NumPy probe programs by name: ``run(name, dtype)``,
    ``gradient(name, dtype)`` and ``ops`` (name -> ops viz.text must name), in float64
    and float32; the HTML one on ``html_names``."""
    each = pytest.mark.parametrize("name", list(ops))

    @pytest.mark.parametrize("name, dtype", [(name, dtype) for name in ops
                                             for dtype in ("float64", "float32")])
    def test_the_tools_show_the_gradient(name, dtype):
        check_program_tools(partial(run, name), partial(gradient, name), ops[name], dtype)

    @each
    def test_detect_anomaly_keeps_quiet_and_changes_nothing(name):
        check_program_anomaly_keeps_quiet(partial(run, name))

    @each
    def test_after_the_graph_is_freed_the_tools_say_so(name):
        check_program_freed_graph(partial(run, name), ops[name])

    @_needs_dot
    @pytest.mark.parametrize("name", html_names)
    def test_the_html_page_totals_are_the_gradient(name, tmp_path):
        check_program_html_totals(partial(run, name), ops[name], tmp_path)
    return {f.__name__: f for f in (
        test_the_tools_show_the_gradient, test_detect_anomaly_keeps_quiet_and_changes_nothing,
        test_after_the_graph_is_freed_the_tools_say_so, test_the_html_page_totals_are_the_gradient)}
