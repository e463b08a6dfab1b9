"""Tutorial 09's timing sentences say they are this run's, say when the timings hid the
pass counts, and give one compiled-vs-NumPy figure (the body printed the ratio of the
medians, the summary the median of the per-round ratios: two numbers for one thing)."""

import importlib

import pytest

pytest.importorskip("matplotlib")
tutorial = importlib.import_module("tutorials.09_forward_and_reverse_mode")
from tutorials._common import Tutorial  # noqa: E402

SIZES = [1, 4, 16]          # the quick sweep: (n, 1) for each size, then (1, m)


def _fake_timer(count_passes: bool):
    """cpu_medians in the sweep's order: forward takes n passes and reverse m when
    ``count_passes``, else every method takes the same time (a busy machine)."""
    calls = []

    def medians(funcs, repeats):
        k = len(calls)
        calls.append(k)
        size = SIZES[k % 3]
        n_in, n_out = (size, 1) if k < 3 else (1, size)
        per_pass = 1e-3
        times = dict.fromkeys(funcs, per_pass)
        if count_passes:
            names = list(funcs)
            times[names[0]] = n_in * per_pass
            times[names[2]] = n_out * per_pass
        return times
    return medians


@pytest.mark.parametrize("count_passes", [True, False])
def test_the_cost_sentence_is_this_runs_and_says_when_timing_hid_the_passes(
        tmp_path, monkeypatch, capsys, count_passes):
    monkeypatch.setattr(tutorial, "cpu_medians", _fake_timer(count_passes))
    tut = Tutorial(tutorial.__file__, ["--quick", "--no-progress", "--out", str(tmp_path)])
    result = tutorial.part_cost(tut)
    text = capsys.readouterr().out
    assert "on this run" in text
    assert f"forward (one pass per input) took {result['loss_forward_over_reverse']:.1f}x" \
        in text
    hidden = "That is far below the 16 passes to 1 that each mode needs" in text
    if count_passes:
        assert result["loss_forward_over_reverse"] == pytest.approx(16)
        assert not hidden
    else:
        assert result["loss_forward_over_reverse"] == pytest.approx(1)
        assert hidden


def test_the_speed_summary_and_the_body_give_the_same_compiled_vs_numpy_figure(
        tmp_path, monkeypatch, capsys):
    import autodiff as ad
    rounds = {"eager": [4.0, 4.0, 4.0, 4.0, 4.0], "@ad.compile": [1.0, 1.2, 0.9, 1.1, 3.0],
              "hand-written NumPy": [1.0, 1.0, 1.0, 1.0, 1.0]}
    monkeypatch.setattr(tutorial, "interleaved_times", lambda steps, *a, **k: rounds)
    tut = Tutorial(tutorial.__file__, ["--quick", "--no-progress", "--out", str(tmp_path)])
    X, y = ad.data.spiral(10, 3, seed=0)
    result = tutorial.part_speed(tut, X, y, {"eager": [1.0, 0.5], "compiled": [1.0, 0.5]},
                                 fused=True)
    text = capsys.readouterr().out
    # the median of the per-round ratios (1.1) is the one figure the summary quotes,
    # and the body prints it as that
    assert "compiled / NumPy per round: median 1.10x" in text
    assert result["compiled_vs_numpy_text"].startswith("compiled per round 1.10x")
    assert "on this run eager\ntook" in text


def test_the_softmax_kernel_timing_says_it_is_this_runs(tmp_path, capsys):
    softmax_tutorial = importlib.import_module("tutorials.01_softmax_jacobian")
    tut = Tutorial(softmax_tutorial.__file__,
                   ["--quick", "--no-progress", "--out", str(tmp_path)])
    times, _, speedup, _ = softmax_tutorial.part_timing(tut)
    text = capsys.readouterr().out
    assert "(medians on this run: other processes on a busy machine move them)" in text
    assert speedup == times[("forward", "NumPy")] / times[("forward", "kernel")]
