"""Run every tutorial in --quick mode (in-process) and check the numbers it reports."""

import importlib
import shutil
import types
from pathlib import Path

import numpy as np
import pytest


import tutorials
from tutorials import __main__ as runner


def run(name, tmp_path):
    module = importlib.import_module(f"tutorials.{name}")
    result = module.main(["--quick", "--no-progress", "--out", str(tmp_path / name)])
    assert result["name"] == name
    assert result["summary"]
    for f in result["files"]:
        assert Path(f).exists() and Path(f).stat().st_size > 0, f
    pngs = [f for f in result["files"] if f.endswith(".png")]
    graphs = [f for f in result["files"] if f.endswith((".svg", ".dot"))]
    assert pngs or graphs, "each tutorial writes at least one figure or graph"
    return result


def test_01_softmax_jacobian(tmp_path):
    r = run("01_softmax_jacobian", tmp_path)
    assert r["jacobian_row_sums_max"] < 1e-12
    assert r["jacobian_vs_formula"] < 1e-12
    assert r["naive_overflow_nan"] and r["stable_finite"]
    assert r["sum_softmax_grad_max"] < 1e-12          # the "all zeros" gradient
    assert r["vjp_vs_formula"] < 1e-12
    assert r["cross_entropy_vs_p_minus_onehot"] < 1e-12
    assert r["interop_vs_op"] < 1e-12
    assert r["kernel_vs_numpy_max_diff"] < 1e-12
    assert any(f.endswith((".svg", ".dot")) for f in r["files"])


def test_02_bump_layer(tmp_path):
    r = run("02_bump_layer", tmp_path)
    assert r["threshold_grad_is_none"]
    assert r["explain_message"]
    assert r["naive_grad_has_nan"] and r["anomaly_caught"]
    assert r["safe_grad_finite"]
    assert abs(r["learned_sigma"] - 0.5) < 1e-2
    for true, learned in r["sweep"]:
        assert abs(true - learned) < 1e-2


def test_03_embeddings_vs_indexing(tmp_path):
    r = run("03_embeddings_vs_indexing", tmp_path)
    assert r["outputs_max_diff"] == 0.0
    assert r["embedding_vs_indexing_grad_diff"] == 0.0
    assert r["onehot_grad_diff"] < 1e-12
    assert r["repeated_index_accumulates"]
    assert r["val_loss_last"] < r["val_loss_first"]
    assert r["head_grads_split"]


def test_04_custom_gradients(tmp_path):
    r = run("04_custom_gradients", tmp_path)
    assert r["matmul_rule_error"] < 1e-12
    assert r["batched_gradcheck"] is True
    assert r["batched_vs_builtin"] < 1e-12
    assert "input 1" in r["shape_error"] and "(4, 4)" in r["shape_error"]
    assert r["wrong_transpose_caught"]
    assert r["ste_trick_equal"]
    assert r["fits"]["round (true gradient 0)"][0] == pytest.approx(0.2)  # never moves
    assert r["fits"]["STE"][1] == 3.0                                     # learns slope 3


def test_05_mlp_from_scratch(tmp_path):
    r = run("05_mlp_from_scratch", tmp_path)
    assert r["accuracy"] >= 0.9
    assert r["numpy_vs_autodiff_grad"] < 1e-10
    assert r["numpy_accuracy"] >= 0.9
    assert r["loss_history"][-1] < r["loss_history"][0]
    # the timing ratio is given only when its rounds agree, and says so otherwise
    if r["time_ratio_meaningful"]:
        assert f"autodiff step {r['time_ratio']:.2f}x the hand-written" in r["summary"]
    else:
        assert "not measured, the machine was busy" in r["summary"]
    # the 2-3-3 network as a picture: 2*3 + 3*3 weights and 3 + 3 biases, one edge each
    assert (r["network_edges"], r["network_weights"], r["network_biases"]) == (21, 15, 6)
    names = [Path(f).name for f in r["files"]]
    if shutil.which("neato"):
        assert "network.svg" in names and "network.png" in names
        svg = (tmp_path / "05_mlp_from_scratch" / "network.svg").read_text()
        assert "W1 has shape (2, 3)" in svg and ">x1<" in svg and ">o3<" in svg
    else:
        assert "network.dot" in names


def test_06_gradient_checking(tmp_path):
    r = run("06_gradient_checking", tmp_path)
    assert r["network_ok"] is True and r["network_rel_error"] < 1e-6
    assert r["bug_caught"] and r["bug_caught_in_network"]
    assert r["bug_hidden_at_batch_1"]
    assert r["bug_ratio"] == pytest.approx(4.0, rel=1e-6)
    assert r["fixed_passes"]
    eps, err = r["best_eps"]["float64_central"]
    assert 1e-7 < eps < 1e-4 and err < 1e-9
    assert r["best_eps"]["float32_central"][1] > 100 * err


def test_07_gradient_descent(tmp_path):
    r = run("07_gradient_descent", tmp_path)
    np.testing.assert_allclose(r["theta"], [5.2148, -0.5733], atol=1e-4)
    assert r["axis0_err"] < 1e-12
    assert r["mahalanobis_err"] < 1e-10
    assert r["pairwise_nan_naive"] > 0 and r["pairwise_nan_safe"] == 0
    assert r["pairwise_err"] < 1e-10
    assert r["normalize_err"] < 1e-10
    assert r["ranking_err"] < 1e-10


def test_09_forward_and_reverse_mode(tmp_path):
    r = run("09_forward_and_reverse_mode", tmp_path)
    x, y, dx, dy = 0.5, 2.0, 1.0, 0.5                 # the tutorial's point and direction
    df_dx = np.cos(x) * y + y * np.exp(x * y)
    df_dy = np.sin(x) + x * np.exp(x * y)
    assert r["jvp_by_hand"] == pytest.approx(r["jvp_by_library"], rel=1e-14)
    assert r["jvp_by_library"] == pytest.approx(df_dx * dx + df_dy * dy, rel=1e-14)
    assert r["jvp_hand_vs_library"] < 1e-12
    np.testing.assert_allclose(r["reverse_grads"], [df_dx, df_dy], rtol=1e-14)
    # the forward pass shown per op: 2 inputs, then 5 ops in program order, each with
    # a tangent; the reverse pass visits the same 5 ops, the last (the add) first
    lines = r["forward_pass_text"].splitlines()
    assert len(lines) == 7 and all("tangent" in line for line in lines)
    assert lines[-1].startswith("v5 = add(")
    assert len(r["reverse_pass_ops"]) == 5 and r["reverse_pass_ops"][0] == "add"
    assert r["jacfwd_vs_jacrev"] < 1e-12
    assert r["adjoint_identity_error"] < 1e-12
    np.testing.assert_allclose(r["hvp_fwd_over_rev"], r["hvp_rev_over_rev"], rtol=1e-10)
    np.testing.assert_allclose(r["hvp_fwd_over_rev"], r["hvp_closed_form"], rtol=1e-10)
    assert all(err < 1e-10 for err in r["hvp_errors"].values())
    # every size of both sweeps was timed (the values are not checked: timings vary)
    sizes = {n for _, n, m in r["timings"] if m == 1} | {m for _, n, m in r["timings"]}
    assert len(r["timings"]) == 2 * len(sizes) and r["largest_size"] == max(sizes)
    assert (tmp_path / "09_forward_and_reverse_mode" / "jacobian_cost.png").exists()
    # ad.compile: the plan printed and drawn, the same training as eager, one refusal
    assert r["plan_text"].startswith("plan for train_step: ")
    assert len(r["plan_text"].splitlines()) >= sum(r["plan_counts"].values()) + 1
    assert r["plan_counts"]["call"] == 2                    # Adam's zero_grad and step
    assert set(r["fused_kinds"]) <= set(r["plan_counts"])
    assert len(r["losses"]["eager"]) == len(r["losses"]["compiled"]) > 1
    np.testing.assert_allclose(r["losses"]["compiled"], r["losses"]["eager"], rtol=1e-9)
    assert r["compiled_vs_eager"] < 1e-9                    # bitwise unless kernels fused
    assert "item()" in r["trace_error"] and "09_forward_and_reverse_mode.py:" in r["trace_error"]
    kept, warned = r["not_replayed"]                        # history.append(loss): once
    assert kept == 1 and len(warned) == 1 and "history[0]" in warned[0]
    assert r["traces"] == (2, 2) and r["plans_kept"] == 2   # new batch size: one retrace
    assert r["retrace_loss"][0] == pytest.approx(r["retrace_loss"][1], rel=1e-12)
    assert r["numpy_vs_eager_one_step"] < 1e-12             # the NumPy step is the same step
    assert sorted(r["step_seconds"]) == ["@ad.compile", "eager", "hand-written NumPy"]
    assert all(t > 0 for t in r["step_seconds"].values())   # timed (values not checked)
    names = {Path(f).name for f in r["files"]}
    assert "compiled_step.png" in names
    assert names & {"compiled_plan.svg", "compiled_plan.dot"}


def test_graphs_fall_back_to_dot_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))           # no `dot` program to be found
    r = run("07_gradient_descent", tmp_path)
    assert any(f.endswith("cost_graph.dot") for f in r["files"])
    assert not any(f.endswith(".svg") for f in r["files"])
    assert (tmp_path / "07_gradient_descent" / "gradient_descent.png").exists()


def test_10_cnn_digits(tmp_path):
    r = run("10_cnn_digits", tmp_path)
    for name, (out, dx, dw) in r["three_ways"].items():      # vs the loop convolution
        assert out < 1e-12 and dx < 1e-12 and dw < 1e-12, name
    assert [shape for _, shape in r["shapes"]] == [
        (32, 1, 8, 8), (32, 8, 8, 8), (32, 8, 8, 8), (32, 8, 4, 4), (32, 16, 4, 4),
        (32, 16, 4, 4), (32, 16, 2, 2), (32, 64), (32, 10)]
    assert r["accuracy"] >= 0.8                  # 4 quick epochs reach about 0.87
    assert np.mean(r["losses"][-10:]) < 0.5 * np.mean(r["losses"][:10])
    names = {Path(f).name for f in r["files"]}
    assert {"filters.png", "feature_maps.png", "misclassified.png"} <= names
    if r["torch_check"] is not None:             # only where PyTorch happens to be installed
        assert r["torch_check"]["same_predictions"]
        assert r["torch_check"]["max_logit_diff"] < 1e-10


def test_every_tutorial_is_listed_and_has_a_question():
    here = Path(tutorials.__file__).parent
    scripts = sorted(p.stem for p in here.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(tutorials.TUTORIALS)
    for stem in scripts:
        text = (here / f"{stem}.py").read_text()
        assert "Question:" in text.split('"""')[1], stem
        assert "# %%" in text, stem


def test_runner_reports_and_fails(tmp_path, monkeypatch, capsys):
    assert runner.main(["--quick", "--no-progress", "--out", str(tmp_path), "07"]) == 0
    out = capsys.readouterr().out
    assert "07_gradient_descent" in out and "ok" in out and "theta" in out
    assert (tmp_path / "07_gradient_descent" / "gradient_descent.png").exists()

    def broken(argv):
        raise RuntimeError("planted failure")
    real_import = importlib.import_module
    monkeypatch.setattr(runner.importlib, "import_module",
                        lambda name: types.SimpleNamespace(main=broken)
                        if name.endswith("06_gradient_checking") else real_import(name))
    assert runner.main(["--quick", "--no-progress", "--out", str(tmp_path), "06", "07"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "planted failure" in out
    with pytest.raises(SystemExit, match="no tutorial matches"):
        runner.main(["no_such_tutorial"])


def test_08_gradients_through_sampling(tmp_path):
    r = run("08_gradients_through_sampling", tmp_path)
    assert r["rsample_error"] == 0.0                  # rsample is mu + sigma * eps
    assert r["grad_mu"] == 0.0                        # exactly: mu cancels
    assert r["grad_sigma"] == pytest.approx(-1 / 2.0, rel=1e-12)
    assert r["grad_mu_constant"] != 0.0               # log_prob of data depends on mu
    assert r["fixed_has_grad"]
    assert r["tape_warnings"] and "'mu'" in r["tape_warnings"][0]   # rng.normal is flagged
    # Each estimate of d/dtheta E[z^2] = 3 is a mean of >= 20,000 samples; its standard
    # error (measured from the per-sample spread) is below 0.06, so a correct estimator
    # lands within 5 standard errors except with probability < 1e-6.
    for kind, (estimate, se) in r["agreement"].items():
        assert se < 0.06, kind
        assert abs(estimate - r["true_grad"]) < 5 * se, kind
    assert r["noise_ratio"] > 2                       # the score function is noisier
    loss = r["vae_loss"]
    assert loss[-1] < loss[0] - 5 and loss[-1] == min(loss)
    assert np.isfinite(r["vae_test_loss"])
    assert {"estimator_variance.png", "vae_digits.png"} <= {Path(f).name for f in r["files"]}


def test_progress_prints_a_few_plain_lines_when_not_on_a_terminal(tmp_path, capsys):
    from tutorials._common import Tutorial, in_notebook
    assert not in_notebook()
    tut = Tutorial(str(tmp_path / "99_demo.py"), ["--out", str(tmp_path)])
    capsys.readouterr()
    bar = tut.progress(range(50), desc="training")
    for step in bar:
        bar.set_postfix(loss=f"{1 / (step + 1):.3f}")
    out = capsys.readouterr()                  # pytest's capture is not a terminal
    lines = out.out.splitlines()
    assert "\r" not in out.out + out.err and len(lines) == 10
    assert lines[-1].startswith("  training: 50/50 (100%), ") and "loss=" in lines[-1]
    quiet = Tutorial(str(tmp_path / "99_demo.py"), ["--out", str(tmp_path), "--no-progress"])
    capsys.readouterr()
    assert list(quiet.progress(range(5), desc="x")) == list(range(5))
    assert capsys.readouterr().out == ""


def test_quick_mode_and_output_folder_from_the_environment(tmp_path, monkeypatch):
    from tutorials._common import Tutorial
    monkeypatch.setenv("AUTODIFF_TUTORIAL_QUICK", "1")
    monkeypatch.setenv("AUTODIFF_TUTORIAL_OUT", str(tmp_path / "root"))
    tut = Tutorial(str(tmp_path / "99_demo.py"), [])
    assert tut.quick and tut.out == tmp_path / "root" / "99_demo"
    monkeypatch.setenv("AUTODIFF_TUTORIAL_QUICK", "0")
    assert not Tutorial(str(tmp_path / "99_demo.py"), []).quick
