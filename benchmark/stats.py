"""The statistics of the benchmark pages, over the seeds of a row (or the rounds of a speed sitting).

Agarwal et al. 2021 ("Deep RL at the edge of the statistical precipice") set the field's way to compare
runs of a few seeds: interquartile means and probabilities of improvement, with stratified bootstrap
confidence intervals. Their library, rliable, brings arch, pandas, seaborn and absl with it; the same
figures take only scipy.stats: `trim_mean(x, 0.25)` is the IQM (rliable computes it that way) and
`bootstrap` with several samples resamples each one on its own, which is the stratified bootstrap.
"""

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 10_000


def iqm(values, axis=-1):
    """The interquartile mean: the mean of the middle half of the values (a quarter cut from each end)."""
    return stats.trim_mean(values, 0.25, axis=axis)


def interval(statistic, *samples, resamples: int = RESAMPLES, seed: int = 0):
    """The 95% percentile bootstrap interval of statistic(*samples), each sample resampled on its own.

    The seeds are the last axis: samples of shape (points, seeds) give an interval at each point.
    statistic takes the samples and an `axis` (scipy's vectorized form). The interval's ends are values
    of the bootstrap distribution itself (no interpolation between them), so a statistic that can be
    infinite, as the median steps to solve is when half the seeds never solve, keeps a meaningful end.
    A sample of fewer than two values has no interval: (nan, nan).
    """
    samples = [np.asarray(sample, dtype=np.float64) for sample in samples]
    if any(sample.shape[-1] < 2 for sample in samples):
        return float("nan"), float("nan")
    with np.errstate(invalid="ignore"):  # scipy's standard error of an infinite statistic is nan, and unused
        result = stats.bootstrap(samples, statistic, n_resamples=resamples, method="percentile", vectorized=True,
                                 axis=-1, rng=np.random.default_rng(seed))
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.quantile(result.bootstrap_distribution, [alpha, 1 - alpha], method="inverted_cdf", axis=-1)
    return (float(low), float(high)) if np.ndim(low) == 0 else (low, high)


def median(values, axis=-1):
    """np.median that an infinite value may enter: the mean of inf and a number is inf, not nan."""
    return np.median(values, axis=axis)


def prob_improvement(x, y, axis=-1, higher_is_better: bool = True):
    """P(X > Y) + P(X = Y) / 2 for X drawn from x and Y from y (Mann-Whitney's U over n * m): 0.5 when
    neither tends to be larger, 1 when every x beats every y. With higher_is_better False, smaller wins."""
    x, y = np.moveaxis(np.asarray(x), axis, -1), np.moveaxis(np.asarray(y), axis, -1)
    if not higher_is_better:
        x, y = -x, -y
    pairs_x, pairs_y = x[..., :, None], y[..., None, :]
    return ((pairs_x > pairs_y).mean(axis=(-2, -1)) + 0.5 * (pairs_x == pairs_y).mean(axis=(-2, -1)))


def rank_test(x, y) -> float:
    """Mann-Whitney's two-sided p-value that x and y come from one distribution (exact for few seeds)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 1 or len(y) < 1 or np.all(np.concatenate([x, y]) == x[0]):
        return 1.0
    return float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)


def verdict(probability: float, low: float, high: float, seeds: int, p_value: float) -> str:
    """One plain word on a probability of improvement and its interval: better, worse, or cannot tell.

    Better or worse needs the interval to leave 0.5 out and Mann-Whitney's rank test to agree at 5%:
    with very few seeds the bootstrap is too sure of itself (3 seeds a side, each beating each, give
    the interval [1, 1], while one such ordering in ten arises by chance, p = 0.1).
    When it cannot tell, it guesses how many seeds a side would: an interval narrows about as one over
    the square root of the seeds, so it leaves 0.5 out once seeds * (half-width / distance to 0.5) ** 2.
    """
    if np.isnan(low):
        return f"cannot tell with {seeds} seed{'s' * (seeds != 1)}"
    if low > 0.5 and p_value < 0.05:
        return "better"
    if high < 0.5 and p_value < 0.05:
        return "worse"
    text = f"cannot tell with {seeds} seeds"
    distance = abs(probability - 0.5)
    if distance == 0:
        return text + " (no sign of a difference)"
    needed = max(int(np.ceil(round(seeds * ((high - low) / 2 / distance) ** 2, 6))), seeds + 1)
    return text + f" (about {needed} might)"


def improvement(x, y, higher_is_better: bool = True) -> tuple[float, float, float, str]:
    """How x's seeds compare with y's: the probability of improvement, its 95% stratified bootstrap
    interval, and the verdict (which also asks the rank test)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def statistic(a, b, axis=-1):
        return prob_improvement(a, b, axis=axis, higher_is_better=higher_is_better)

    probability = float(statistic(x, y))
    low, high = interval(statistic, x, y)
    return probability, low, high, verdict(probability, low, high, min(len(x), len(y)), rank_test(x, y))


def t_interval(values) -> tuple[float, float]:
    """The 95% Student-t interval of the mean of a few values (as of rounds of a speed sitting)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return float("nan"), float("nan")
    result = stats.ttest_1samp(values, 0.0).confidence_interval(CONFIDENCE)
    return float(result.low), float(result.high)
