"""benchmark/stats.py and benchmark/stamp.py: the figures of the pages against hand-worked cases."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "benchmark"))
import stamp  # noqa: E402
import stats  # noqa: E402


def test_iqm_by_hand():
    # the middle half of 1..8 is 3, 4, 5, 6; of the second, four 10s (the 0s and the 100 and 1000 cut)
    assert stats.iqm(np.arange(1.0, 9.0)) == pytest.approx(4.5)
    assert stats.iqm(np.array([0.0, 0, 10, 10, 10, 10, 100, 1000])) == pytest.approx(10.0)


def test_probability_of_improvement_by_hand():
    x = np.array([1.0, 2.0, 3.0])
    assert stats.prob_improvement(x, x) == pytest.approx(0.5)  # identical samples: no improvement either way
    assert stats.prob_improvement(x + 10, x) == 1.0 and stats.prob_improvement(x, x + 10) == 0.0
    # pairs (3, 1) wins, (3, 3) ties, (4, 1) and (4, 3) win: 3.5 of 4
    assert stats.prob_improvement(np.array([3.0, 4.0]), np.array([1.0, 3.0])) == pytest.approx(0.875)
    # fewer steps is better and never solving is infinitely many: 100 beats both nevers, never ties never
    steps = np.array([100.0, np.inf]), np.array([np.inf, np.inf])
    assert stats.prob_improvement(*steps, higher_is_better=False) == pytest.approx(0.75)


def test_the_interval_of_identical_values_is_that_value_and_one_value_has_none():
    assert stats.interval(stats.iqm, np.full(10, 500.0)) == (500.0, 500.0)
    assert all(np.isnan(stats.interval(stats.iqm, [1.0])))


def test_a_median_of_never_stays_never():
    # six of ten seeds never solve: the median and both ends of its interval can be infinite, never nan
    steps = np.array([1e5, 2e5, 3e5, 4e5, np.inf, np.inf, np.inf, np.inf, np.inf, np.inf])
    assert stats.median(steps) == np.inf
    low, high = stats.interval(stats.median, steps)
    assert 1e5 <= low and high == np.inf


def test_the_iqm_interval_contains_the_true_value_about_95_times_in_100():
    # 200 experiments of 10 seeds from a normal around 5 (its IQM is 5): a percentile bootstrap of 10 values
    # is a little narrow, so it covers a bit under 95%, and far more than a wrong interval would
    rng = np.random.default_rng(0)
    covered = 0
    for experiment in range(200):
        low, high = stats.interval(stats.iqm, rng.normal(5.0, 1.0, size=10), resamples=1_000, seed=experiment)
        covered += low <= 5.0 <= high
    assert 0.85 <= covered / 200 <= 0.99


def test_the_probability_interval_leaves_out_one_half_only_for_a_real_difference():
    rng = np.random.default_rng(1)

    def improvement(a, b, axis=-1):
        return stats.prob_improvement(a, b, axis=axis)

    same = rng.normal(size=10), rng.normal(size=10)
    shifted = rng.normal(3.0, 1.0, size=10), rng.normal(size=10)
    low, high = stats.interval(improvement, *same)
    assert low < 0.5 < high
    low, high = stats.interval(improvement, *shifted)
    assert low > 0.5
    assert stats.improvement(*shifted)[3] == "better"  # the interval and the rank test both say so
    assert stats.verdict(0.1, 0.0, 0.3, 10, 0.01) == "worse"
    assert stats.verdict(0.6, 0.4, 0.8, 10, 0.5) == "cannot tell with 10 seeds (about 40 might)"  # 10 * (0.2 / 0.1)^2


def test_three_seeds_a_side_are_too_few_for_a_verdict_however_they_fall():
    # each of 3 seeds beats each of 3: the bootstrap interval is [1, 1], but one ordering in 20 is that
    # extreme by chance (3! 3! / 6!), p = 0.1 both ways; with 5 a side it is 2 in 252, p = 0.008
    def improvement(a, b, axis=-1):
        return stats.prob_improvement(a, b, axis=axis)

    x, y = np.array([10.0, 11.0, 12.0]), np.array([1.0, 2.0, 3.0])
    low, high = stats.interval(improvement, x, y)
    assert (low, high) == (1.0, 1.0)
    assert stats.rank_test(x, y) == pytest.approx(0.1)
    assert stats.improvement(x, y) == (1.0, 1.0, 1.0, "cannot tell with 3 seeds (about 4 might)")
    x, y = np.arange(10.0, 15.0), np.arange(1.0, 6.0)
    assert stats.rank_test(x, y) == pytest.approx(2 / 252)
    assert stats.verdict(1.0, 1.0, 1.0, 5, stats.rank_test(x, y)) == "better"
    assert stats.rank_test(np.full(4, 500.0), np.full(4, 500.0)) == 1.0  # all tied: no evidence either way
    assert stats.verdict(0.5, 0.3, 0.7, 10, 1.0) == "cannot tell with 10 seeds (no sign of a difference)"


def test_the_t_interval_by_hand():
    # mean 2, sample std 1, n 3: 2 +- t(0.975, 2) * 1 / sqrt(3) = 2 +- 4.3027 * 0.57735
    low, high = stats.t_interval([1.0, 2.0, 3.0])
    assert (low, high) == pytest.approx((2 - 2.48417, 2 + 2.48417), abs=1e-4)


def test_the_stamp_names_command_commit_machine_and_versions():
    page = stamp.stamp("benchmark/run.py", ["--scripts", "a2c_cartpole.py", "--extra", "--num-envs 4"])
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    assert "- Command: `python benchmark/run.py --scripts a2c_cartpole.py --extra '--num-envs 4'`" in page
    assert f"- Commit: {head.stdout.strip()}" in page
    assert "AVX-512 " in page and "AVX512_BF16 " in page and "AMX " in page and "GPU: " in page
    assert "torch 2.13.0" in page and "gymnasium 1.4.0" in page and "Python 3." in page


def test_the_stamp_says_whether_the_tree_had_uncommitted_changes(tmp_path):
    def git(*argv):
        subprocess.run(["git", *argv], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a")
    assert stamp.commit(tmp_path).endswith("(no uncommitted changes)")
    (tmp_path / "a.py").write_text("x = 2\n")
    assert "with uncommitted changes to 1 file: a.py" in stamp.commit(tmp_path)


def test_a_speed_sitting_gives_each_rounds_ratio_and_their_interval(tmp_path, capsys):
    import rounds

    # ratios 2.0, 2.2 and 1.9: geometric mean (2 * 2.2 * 1.9) ** (1 / 3) = 2.03; the logs' mean 0.7079 and
    # standard error 0.0430 give 0.7079 +- 4.3027 * 0.0430, so exp of [0.523, 0.893]: [1.69x, 2.44x]
    ours, theirs = iter([200.0, 330.0, 380.0]), iter([100.0, 150.0, 200.0])
    medians, table = rounds.compare([("ours.py", lambda seed: next(ours)), (rounds.SB3, lambda seed: next(theirs))], 3)
    assert medians == {"ours.py": 330.0, rounds.SB3: 150.0}
    assert "| ours.py | 330 (200-380) | 200, 330, 380 | 2.00x, 2.20x, 1.90x | 2.03x [1.69x, 2.44x] |" in table
    page = tmp_path / "speed.md"
    rounds.write_page(SimpleNamespace(page=str(page)), "benchmark/speed.py", ["--repeats", "3"], table)
    text = page.read_text()
    assert text.startswith("- Command: `python benchmark/speed.py --repeats 3`") and table in text
