"""Tests des vérifications d'exercices de semaine_2/02 (pseudonymisation, k-anonymat, histogramme DP) :
la réponse de référence passe, les erreurs typiques échouent avec leur indice, un exercice non fait dit
« pas encore » en français (verdict faux, `not_done`, sans lever d'erreur)."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import semaine_2_02 as checks
from utils.privacy import generalize_age, laplace_mechanism, plain_hash, suppress_small_classes
from check_helpers import not_written as _not_written, failed_with as _failed_with

QUASI_IDENTIFIERS = ["AGE", "GENDER", "ETHNICITY", "MARITAL_STATUS"]


def _assert_not_done(capsys, check, answers, *args, **kwargs):
    for answer in answers:
        verdict = check(answer, *args, **kwargs)
        out = capsys.readouterr().out
        assert not verdict and verdict.not_done, out
        assert "pas encore" in out


# --------------------------------------------------------------------------- exercice 1 : attaque par dictionnaire
@pytest.fixture
def released():
    rng = np.random.default_rng(0)
    ids = pd.Series(rng.choice(np.arange(1, 100_000), size=200, replace=False), index=np.arange(500, 700))
    table = pd.DataFrame({"SUBJECT_ID": plain_hash(ids), "AGE": rng.integers(18, 90, len(ids))}, index=ids.index)
    return table, ids


DICTIONARY = dict(zip(plain_hash(list(range(1, 100_000))), range(1, 100_000)))


def dictionary_attack(hashes):
    dictionary = dict(zip(plain_hash(list(range(1, 100_000))), range(1, 100_000)))
    return hashes.map(dictionary)


def test_dictionary_attack_reference_passes(released, capsys):
    table, ids = released
    assert checks.check_dictionary_attack(dictionary_attack, table, ids)
    assert "🎉" in capsys.readouterr().out


def test_dictionary_attack_with_a_partial_dictionary_fails(released, capsys):
    table, ids = released
    partial = dict(zip(plain_hash(list(range(1, 50_000))), range(1, 50_000)))
    _failed_with(capsys, checks.check_dictionary_attack(lambda hashes: hashes.map(partial), table, ids),
                 "1 à 99 999")


def test_dictionary_attack_that_loses_the_index_fails(released, capsys):
    table, ids = released
    lost = lambda hashes: pd.Series([DICTIONARY[h] for h in hashes])  # index 0..n-1 : lignes décalées
    _failed_with(capsys, checks.check_dictionary_attack(lost, table, ids), "même index", ".map(")


def test_dictionary_attack_that_copies_the_true_ids_fails(released, capsys):
    """`recovered = cohort["SUBJECT_ID"]` n'est pas une attaque : sur des empreintes neuves, elle ne trouve rien."""
    table, ids = released
    _failed_with(capsys, checks.check_dictionary_attack(lambda hashes: ids, table, ids),
                 "empreintes neuves", "un attaquant n'a pas la cohorte")


def test_dictionary_attack_not_done(released, capsys):
    table, ids = released
    _assert_not_done(capsys, checks.check_dictionary_attack, (None, _not_written), table, ids)


# --------------------------------------------------------------------------- exercice 2 : table k-anonyme
@pytest.fixture
def cohort():
    rng = np.random.default_rng(1)
    n = 600
    return pd.DataFrame({
        "SUBJECT_ID": np.arange(n),
        "AGE": rng.integers(18, 91, n),
        "GENDER": rng.choice(["F", "M"], n),
        "ETHNICITY": rng.choice(["WHITE", "BLACK", "HISPANIC", "ASIAN", "UNKNOWN"], n, p=[.7, .1, .08, .05, .07]),
        "MARITAL_STATUS": rng.choice(["MARRIED", "SINGLE", "WIDOWED", "DIVORCED"], n, p=[.5, .25, .15, .1]),
        "DIAGNOSIS": rng.choice(["SEPSIS", "PNEUMONIA", "GI BLEED", "LIVER FAILURE"], n),
    }, index=np.arange(1000, 1000 + n))


def _generalize(cohort, width=20):
    return cohort.assign(
        AGE=generalize_age(cohort["AGE"], width=width),
        ETHNICITY=cohort["ETHNICITY"].where(cohort["ETHNICITY"] == "WHITE", "OTHER/UNKNOWN"),
        MARITAL_STATUS=cohort["MARITAL_STATUS"].map({"MARRIED": "MARRIED"}).fillna("NOT MARRIED/UNKNOWN"))


PUBLISHED = QUASI_IDENTIFIERS + ["DIAGNOSIS"]


def test_k_anonymous_reference_passes(cohort):
    release = suppress_small_classes(_generalize(cohort[PUBLISHED]), QUASI_IDENTIFIERS, k=5)
    assert checks.check_k_anonymous_release(release, cohort, QUASI_IDENTIFIERS)


def test_k_anonymous_release_that_keeps_the_identifier_or_dates_fails(cohort, capsys):
    """k calculé sur 4 quasi-identifiants d'une table qui publie aussi SUBJECT_ID et DOB : 1-anonyme en vrai."""
    with_ids = cohort.assign(DOB=pd.Timestamp("2100-01-01") + pd.to_timedelta(np.arange(len(cohort)), unit="D"))
    release = suppress_small_classes(_generalize(with_ids), QUASI_IDENTIFIERS, k=5)
    _failed_with(capsys, checks.check_k_anonymous_release(release, with_ids, QUASI_IDENTIFIERS),
                 "retirez SUBJECT_ID, DOB")


def test_k_anonymous_by_suppression_only_fails(cohort, capsys):
    release = suppress_small_classes(cohort, QUASI_IDENTIFIERS, k=5)
    _failed_with(capsys, checks.check_k_anonymous_release(release, cohort, QUASI_IDENTIFIERS), "généralisez d'abord")


def test_k_anonymous_with_a_single_age_group_fails(cohort, capsys):
    release = suppress_small_classes(_generalize(cohort, width=200), QUASI_IDENTIFIERS, k=5)
    _failed_with(capsys, checks.check_k_anonymous_release(release, cohort, QUASI_IDENTIFIERS),
                 "ne réduisez pas l'âge à une seule tranche")


def test_k_anonymous_without_suppression_or_with_a_changed_diagnosis_fails(cohort, capsys):
    generalized = _generalize(cohort, width=5)  # pas de suppression : des classes de moins de 5 lignes
    _failed_with(capsys, checks.check_k_anonymous_release(generalized, cohort, QUASI_IDENTIFIERS),
                 "suppress_small_classes")
    release = suppress_small_classes(_generalize(cohort[PUBLISHED]), QUASI_IDENTIFIERS, k=5)
    release = release.assign(DIAGNOSIS=release["DIAGNOSIS"].sample(frac=1, random_state=0).to_numpy())
    _failed_with(capsys, checks.check_k_anonymous_release(release, cohort, QUASI_IDENTIFIERS),
                 "ne touchez pas à l'attribut sensible")


def test_k_anonymous_that_drops_a_quasi_identifier_fails(cohort, capsys):
    release = suppress_small_classes(_generalize(cohort), QUASI_IDENTIFIERS, k=5).drop(columns="ETHNICITY")
    _failed_with(capsys, checks.check_k_anonymous_release(release, cohort, QUASI_IDENTIFIERS), "pas supprimées")


def test_k_anonymous_not_done(cohort, capsys):
    _assert_not_done(capsys, checks.check_k_anonymous_release, (None,), cohort, QUASI_IDENTIFIERS)


# --------------------------------------------------------------------------- exercice 3 : histogramme DP
@pytest.fixture
def counts():
    # De petites cases (2, 0) : le ramené-à-0 d'un post-traitement y agit vraiment.
    return pd.Series([111, 108, 57, 44, 2, 0], index=["CAD", "CHF", "GI BLEED", "LIVER", "RARE", "ABSENT"])


def dp_histogram(counts, epsilon, rng):
    return counts + laplace_mechanism(np.zeros(len(counts)), sensitivity=1, epsilon=epsilon, rng=rng)


def test_dp_histogram_reference_passes(counts):
    assert checks.check_dp_histogram(dp_histogram, counts, epsilon=0.5)


def test_dp_histogram_post_processed_is_accepted(counts):
    """Arrondir et ramener à 0 APRÈS le bruit est un post-traitement : toujours ε-DP, donc accepté."""
    def post_processed(counts, epsilon, rng):
        return dp_histogram(counts, epsilon, rng).round().clip(lower=0).astype(int)
    rng = np.random.default_rng(0)
    assert (post_processed(counts, 0.5, rng) >= 0).all()
    assert checks.check_dp_histogram(post_processed, counts, epsilon=0.5)


def test_dp_histogram_with_the_budget_split_over_the_bins_fails(counts, capsys):
    def sequential(counts, epsilon, rng):  # ε / k par case : composition séquentielle, inutilement bruité
        return counts + laplace_mechanism(np.zeros(len(counts)), 1, epsilon / len(counts), rng)
    _failed_with(capsys, checks.check_dp_histogram(sequential, counts, epsilon=0.5), "pas ε divisé par le nombre de cases")


def test_dp_histogram_with_scale_epsilon_instead_of_one_over_epsilon_fails(counts, capsys):
    def wrong_scale(counts, epsilon, rng):
        return counts + rng.laplace(0.0, epsilon, size=len(counts))
    _failed_with(capsys, checks.check_dp_histogram(wrong_scale, counts, epsilon=0.5), "l'échelle du bruit est 1/ε")


def test_dp_histogram_with_one_noise_for_all_bins_fails(counts, capsys):
    def shared(counts, epsilon, rng):
        return counts + laplace_mechanism(0.0, 1, epsilon, rng)
    _failed_with(capsys, checks.check_dp_histogram(shared, counts, epsilon=0.5), "size=len(counts)")


def test_dp_histogram_returning_an_array_fails(counts, capsys):
    def array(counts, epsilon, rng):
        return dp_histogram(counts, epsilon, rng).to_numpy()
    _failed_with(capsys, checks.check_dp_histogram(array, counts, epsilon=0.5), "gardent l'index")


def test_dp_histogram_with_gaussian_noise_of_the_same_variance_fails(counts, capsys):
    def gaussian(counts, epsilon, rng):  # variance 2/ε² comme Laplace, mais pas ε-DP pur
        return counts + rng.normal(0, np.sqrt(2) / epsilon, size=len(counts))
    _failed_with(capsys, checks.check_dp_histogram(gaussian, counts, epsilon=0.5), "gaussien ou uniforme")


def test_dp_histogram_with_uniform_noise_of_the_same_variance_fails(counts, capsys):
    def uniform(counts, epsilon, rng):  # borné : aucune garantie DP
        half_width = np.sqrt(6) / epsilon
        return counts + rng.uniform(-half_width, half_width, size=len(counts))
    _failed_with(capsys, checks.check_dp_histogram(uniform, counts, epsilon=0.5), "tirez un bruit de Laplace")


def test_laplace_distance_accepts_rounded_laplace_and_refuses_gaussian():
    rng = np.random.default_rng(3)
    assert checks.laplace_distance(rng.laplace(0, 2, 20_000), 2) < 0.02
    assert checks.laplace_distance(np.round(rng.laplace(0, 2, 20_000)), 2) < 0.02
    assert checks.laplace_distance(rng.normal(0, np.sqrt(8), 20_000), 2) > 0.04


def test_dp_histogram_not_done(counts, capsys):
    _assert_not_done(capsys, checks.check_dp_histogram, (None, _not_written), counts, epsilon=0.5)
