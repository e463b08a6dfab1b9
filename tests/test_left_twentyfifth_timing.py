"""The tutorials' timing ratio reports its spread and refuses to read a busy machine."""
import doctest

from tutorials import _common
from tutorials._common import TimeRatio, interleaved_median_times, interleaved_times


def test_a_steady_ratio_is_reported_with_its_spread():
    ratio = TimeRatio([2.0, 2.1, 1.9, 2.0, 2.05], [1.0] * 5)
    assert ratio.meaningful
    assert abs(ratio.median - 2.0) < 1e-12
    text = ratio.summary("autodiff step", "the NumPy time")
    assert text.startswith("autodiff step 2.00x the NumPy time (middle half of 5 rounds ")
    assert "all 1.90-2.10x" in text


def test_rounds_that_disagree_widely_give_no_ratio():
    # One round fast, others slowed by other processes: the busy machine of the report.
    ratio = TimeRatio([0.1, 2.0, 5.0, 2.2, 9.0, 1.0, 3.0], [1.0] * 7)
    assert not ratio.meaningful
    text = ratio.summary("autodiff step", "the NumPy time")
    assert "not measured, the machine was busy" in text
    assert "all 0.10-9.00x" in text
    assert "x the NumPy time" not in text


def test_ratios_pair_each_round_with_itself():
    # A slow round slows both timings: paired per round, the ratio stays steady.
    ratio = TimeRatio([2.0, 20.0, 2.0, 2.0], [1.0, 10.0, 1.0, 1.0])
    assert ratio.meaningful and ratio.median == 2.0


def test_interleaved_times_keep_every_round_and_the_medians_agree():
    calls = []
    rounds = interleaved_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                               repeats=3, number=2)
    assert calls == ["a", "a", "b", "b"] * 3
    assert [len(r) for r in rounds.values()] == [3, 3]
    medians = interleaved_median_times({"a": lambda: None}, repeats=3)
    assert set(medians) == {"a"} and medians["a"] >= 0


def test_the_time_ratio_docstring_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(TimeRatio, "TimeRatio", globs={"TimeRatio": TimeRatio}):
        runner.run(test)
    assert runner.failures == 0 and runner.tries >= 3
    assert _common.WIDE_RATIO_SPREAD > 1
