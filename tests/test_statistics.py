import numpy as np
import pytest
from scipy.stats import bootstrap
from sklearn.metrics import f1_score, roc_auc_score

from utils.statistics import Interval, bootstrap_interval, paired_difference, seed_summary


def _scores(n=300, seed=0, signal=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, y * signal + rng.normal(size=n)


def test_mean_interval_matches_scipy_percentile_bootstrap():
    values = np.random.default_rng(1).exponential(size=200)
    ours = bootstrap_interval(np.zeros(200), values, "mean", n_boot=4000, seed=0)
    theirs = bootstrap((values,), np.mean, n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert ours.value == pytest.approx(values.mean())
    assert ours.low == pytest.approx(theirs.low, abs=0.02)
    assert ours.high == pytest.approx(theirs.high, abs=0.02)


def test_paired_mean_difference_matches_scipy_paired_bootstrap():
    rng = np.random.default_rng(2)
    a = rng.normal(size=150)
    b = a + 0.1 + rng.normal(scale=0.2, size=150)
    ours = paired_difference(np.zeros(150), a, b, "mean", n_boot=4000, seed=0)
    theirs = bootstrap((a, b), lambda x, y: np.mean(x) - np.mean(y), paired=True, n_resamples=4000,
                       method="percentile", random_state=0).confidence_interval
    assert ours.low == pytest.approx(theirs.low, abs=0.01) and ours.high == pytest.approx(theirs.high, abs=0.01)


def test_vectorised_auc_equals_scikit_learn_on_every_resample_with_ties():
    y, s = _scores(80)
    s = np.round(s, 1)  # des égalités
    vectorised = bootstrap_interval(y, s, "auc", n_boot=300, seed=3)
    by_loop = bootstrap_interval(y, s, roc_auc_score, n_boot=300, seed=3)
    assert vectorised == pytest.approx(by_loop)
    assert vectorised.value == pytest.approx(roc_auc_score(y, s))


@pytest.mark.parametrize("name,function", [
    ("accuracy", lambda y, p: np.mean(y == p)),
    ("sensitivity", lambda y, p: np.mean(p[y == 1] == 1)),
    ("specificity", lambda y, p: np.mean(p[y == 0] == 0)),
])
def test_named_rates_equal_their_definition(name, function):
    y, s = _scores(120, seed=4)
    predictions = (s > 0.5).astype(int)
    assert bootstrap_interval(y, predictions, name, n_boot=200, seed=1) == pytest.approx(
        bootstrap_interval(y, predictions, function, n_boot=200, seed=1))


def test_interval_brackets_value_is_seeded_and_narrows_with_more_data():
    y, s = _scores(60, seed=5)
    small = bootstrap_interval(y, s, n_boot=500, seed=1)
    assert isinstance(small, Interval) and small.low <= small.value <= small.high
    assert small == bootstrap_interval(y, s, n_boot=500, seed=1)
    y_big, s_big = _scores(2000, seed=5)
    big = bootstrap_interval(y_big, s_big, n_boot=300, seed=1)
    assert big.high - big.low < small.high - small.low


def test_perfect_scores_give_one():
    y = np.array([0, 1] * 20)
    assert tuple(bootstrap_interval(y, y * 0.8 + 0.1, n_boot=200)) == (1.0, 1.0, 1.0)


def test_paired_interval_finds_a_difference_that_overlapping_intervals_hide():
    """Deux modèles très corrélés : intervalles marginaux chevauchants, écart apparié qui exclut 0."""
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 200)
    noise = rng.normal(size=200)
    a = y * 1.2 + noise
    b = y * 1.0 + noise
    ia, ib = bootstrap_interval(y, a, seed=0), bootstrap_interval(y, b, seed=0)
    assert ia.low < ib.high  # les intervalles marginaux se chevauchent
    gap = paired_difference(y, a, b, seed=0)
    assert gap.value > 0 and gap.excludes_zero()


def test_same_model_gives_zero_difference():
    y, s = _scores(50)
    assert tuple(paired_difference(y, s, s, n_boot=100)) == (0.0, 0.0, 0.0)


def test_custom_metric_macro_f1():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 150)
    p = np.where(rng.random(150) < 0.7, y, rng.integers(0, 3, 150))
    f1 = lambda t, q: f1_score(t, q, labels=[0, 1, 2], average="macro", zero_division=0)  # noqa: E731
    result = bootstrap_interval(y, p, f1, n_boot=200)
    assert result.value == pytest.approx(f1(y, p)) and result.low < result.value < result.high


def test_bad_input_gets_a_french_message():
    with pytest.raises(ValueError, match="Tailles différentes"):
        bootstrap_interval([0, 1], [0.1])
    with pytest.raises(ValueError, match="Métrique inconnue"):
        bootstrap_interval([0, 1], [0.1, 0.2], "f1")
    with pytest.raises(ValueError, match="définie que sur"):
        bootstrap_interval([0] * 30, np.arange(30.0), n_boot=200)


def test_seed_summary_is_mean_and_sample_sd():
    cell = seed_summary([0.5, 0.7])
    assert cell["mean"] == 0.6 and abs(cell["sd"] - 0.1414) < 1e-4
    assert seed_summary([0.3])["sd"] == 0.0
