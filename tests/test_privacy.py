"""Pseudonymisation, k-anonymat, l-diversité, risque de ré-identification et mécanisme de Laplace."""
import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from utils.privacy import (MissingColumnsError, equivalence_class_sizes, generalize_age, k_anonymity, l_diversity,
                           laplace_mechanism, laplace_scale, laplace_variance, plain_hash, pseudonymize,
                           reidentification_risk, suppress_small_classes)
from utils.privacy.dicom_deid import shift_date, shift_datetime


@pytest.fixture
def table():
    # Trois classes d'équivalence sur (AGE, GENDER) : (30, F) ×3, (30, M) ×2, (40, F) ×1.
    return pd.DataFrame({
        "AGE": [30, 30, 30, 30, 30, 40],
        "GENDER": ["F", "F", "F", "M", "M", "F"],
        "ZIP": ["75001", "75002", "75001", "75001", "75001", "69001"],
        "ICD9_CODE": ["042", "4019", "311", "4019", "4019", "311"],
    })


# --------------------------------------------------------------------------- pseudonymisation
def test_plain_hash_is_sha256_and_reversible_by_dictionary():
    assert plain_hash(1234) == hashlib.sha256(b"1234").hexdigest()
    released = plain_hash(pd.Series([17, 4242, 99999]))
    dictionary = {plain_hash(i): i for i in range(1, 100_000)}  # tous les SUBJECT_ID possibles
    assert [dictionary[h] for h in released] == [17, 4242, 99999]


def test_pseudonymize_is_keyed_and_stable():
    a = pseudonymize("12345", "clé-A")
    assert a == hmac.new(b"cl\xc3\xa9-A", b"12345", hashlib.sha256).hexdigest()[:16]
    assert pseudonymize("12345", "clé-A") == a
    assert pseudonymize("12345", "clé-B") != a
    assert pseudonymize("12345", "clé-A", prefix="P-", length=12) == "P-" + a[:12]
    series = pseudonymize(pd.Series([1, 2, 1]), b"k" * 32)
    assert isinstance(series, pd.Series) and series[0] == series[2] != series[1]
    assert pseudonymize([1, 2], "k") == [pseudonymize(1, "k"), pseudonymize(2, "k")]
    # sans la clé, le dictionnaire des hachages simples ne retrouve rien
    dictionary = {plain_hash(i): i for i in range(1, 20_000)}
    assert pseudonymize(4242, "secret", length=64) not in dictionary


@pytest.mark.parametrize("secret", ["", b"", None, 42])
def test_pseudonymize_rejects_missing_key(secret):
    with pytest.raises(ValueError, match="clé secrète"):
        pseudonymize("1", secret)


# --------------------------------------------------------------------------- k-anonymat
def test_k_anonymity_on_hand_built_tables(table):
    assert k_anonymity(table, ["AGE", "GENDER"]) == 1
    assert k_anonymity(table, ["GENDER"]) == 2
    assert k_anonymity(table, "AGE") == 1
    assert k_anonymity(table, ["AGE", "GENDER", "ZIP"]) == 1
    assert k_anonymity(table.iloc[:5], ["AGE", "GENDER"]) == 2
    assert k_anonymity(table.iloc[:3], ["AGE", "GENDER"]) == 3
    assert list(equivalence_class_sizes(table, ["AGE", "GENDER"])) == [3, 3, 3, 2, 2, 1]
    assert k_anonymity(table.iloc[:0], ["AGE"]) == 0
    uniform = pd.DataFrame({"A": ["x"] * 7})
    assert k_anonymity(uniform, ["A"]) == 7


def test_missing_values_form_their_own_class():
    frame = pd.DataFrame({"A": [1, 1, np.nan, np.nan, np.nan], "B": ["u", "u", "v", "v", "v"]})
    assert k_anonymity(frame, ["A", "B"]) == 2


def test_generalisation_and_suppression_raise_k(table):
    generalized = table.assign(AGE=generalize_age(table["AGE"], width=20))
    assert list(generalized["AGE"]) == ["20-39"] * 5 + ["40-59"]
    assert k_anonymity(generalized, ["AGE", "GENDER"]) == 1
    kept = suppress_small_classes(generalized, ["AGE", "GENDER"], k=2)
    assert len(kept) == 5 and k_anonymity(kept, ["AGE", "GENDER"]) == 2
    assert list(generalize_age([17, 89, 90, 104, np.nan])[:4]) == ["10-19", "80-89", "90+", "90+"]
    assert pd.isna(generalize_age([np.nan])[0])


def test_l_diversity_and_risk(table):
    assert l_diversity(table, ["AGE", "GENDER"], "ICD9_CODE") == 1  # (30, M) : tous 4019 ; (40, F) : seul
    assert l_diversity(table.iloc[:3], ["AGE", "GENDER"], "ICD9_CODE") == 3
    risk = reidentification_risk(table, ["AGE", "GENDER"])
    assert risk["lignes"] == 6 and risk["classes d'équivalence"] == 3
    assert risk["lignes uniques"] == 1
    assert risk["taux d'unicité"] == pytest.approx(1 / 6)
    assert risk["risque moyen"] == pytest.approx((3 * 1 / 3 + 2 * 1 / 2 + 1) / 6)
    assert risk["risque maximal"] == 1.0


def test_missing_quasi_identifier_has_french_message(table):
    with pytest.raises(MissingColumnsError, match=r"absente de la cohorte : ZIP_CODE\..*Colonnes disponibles : AGE"):
        k_anonymity(table, ["AGE", "ZIP_CODE"])
    with pytest.raises(MissingColumnsError, match="attribut sensible"):
        l_diversity(table, ["AGE"], "DIAGNOSIS")
    with pytest.raises(MissingColumnsError, match="ETHNICITY, RELIGION"):
        reidentification_risk(table, ["ETHNICITY", "RELIGION"])
    with pytest.raises(TypeError, match="DataFrame"):
        k_anonymity([[1, 2]], ["AGE"])


# --------------------------------------------------------------------------- Laplace
@pytest.mark.parametrize("sensitivity, epsilon", [(1.0, 1.0), (1.0, 0.1), (0.2, 0.5), (5.0, 2.0)])
def test_laplace_variance_matches_theory(sensitivity, epsilon):
    rng = np.random.default_rng(2024)
    draws = laplace_mechanism(np.full(400_000, 10.0), sensitivity, epsilon, rng) - 10.0
    theory = 2 * (sensitivity / epsilon) ** 2
    assert laplace_variance(sensitivity, epsilon) == pytest.approx(theory)
    assert abs(draws.var() / theory - 1) < 0.05
    assert abs(draws.mean()) < 4 * np.sqrt(theory / draws.size)


def test_laplace_scalar_and_reproducible():
    a = laplace_mechanism(100, 1, 0.5, np.random.default_rng(1))
    b = laplace_mechanism(100, 1, 0.5, np.random.default_rng(1))
    assert isinstance(a, float) and a == b
    assert laplace_mechanism(100, 1, 0.5, 7) == laplace_mechanism(100, 1, 0.5, 7)
    assert laplace_mechanism(3.0, 0.0, 1.0, 0) == 3.0  # sensibilité nulle : aucun bruit


@pytest.mark.parametrize("epsilon", [0, -1, float("inf"), float("nan")])
def test_laplace_rejects_bad_epsilon(epsilon):
    with pytest.raises(ValueError, match="epsilon"):
        laplace_scale(1.0, epsilon)


def test_laplace_rejects_bad_sensitivity_and_rng():
    with pytest.raises(ValueError, match="sensibilité"):
        laplace_mechanism(1.0, -1.0, 1.0, 0)
    with pytest.raises(TypeError, match="rng"):
        laplace_mechanism(1.0, 1.0, 1.0, rng="graine")


# --------------------------------------------------------------------------- dates DICOM
def test_date_shifting_helpers():
    assert shift_date("20240301", -1) == "20240229"
    assert shift_date("2024.03.01", -1) == "20240229"
    assert shift_date("20231345", -10) == ""  # date invalide (mois 13) : vidée
    assert shift_datetime("20110525145628.350000", -365) == "20100525145628.350000"
    assert shift_datetime("20110525145628+0100", 1) == "20110526145628+0100"
    assert shift_datetime("2011", -730) == "2009"


def test_opendp_input_metrics_match_the_neighbouring_relations_taught():
    """semaine_2/02 : comptage en ajout/retrait (SymmetricDistance), moyenne en remplacement avec n public
    (ChangeOneDistance, domaine de taille n) : OpenDP retrouve Δ = 1 et Δ = (U − L)/n."""
    dp = pytest.importorskip("opendp.prelude")
    dp.enable_features("contrib")
    lower, upper, n, epsilon = 18.0, 90.0, 600, 0.5
    add_remove = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    count = add_remove >> dp.t.then_count() >> dp.m.then_laplace(scale=1 / epsilon)
    assert count.map(d_in=1) == pytest.approx(epsilon)
    assert str(count.input_metric) == "SymmetricDistance()"

    replace_one = dp.vector_domain(dp.atom_domain(T=float, nan=False), size=n), dp.change_one_distance()

    def make_mean(scale):
        return (replace_one >> dp.t.then_metric_unbounded() >> dp.t.then_clamp((lower, upper))
                >> dp.t.then_mean() >> dp.m.then_laplace(scale=scale))

    scale = dp.binary_search_param(make_mean, d_in=1, d_out=epsilon)
    assert scale == pytest.approx((upper - lower) / n / epsilon, rel=1e-6)
    assert str(make_mean(scale).input_metric) == "ChangeOneDistance()"


def test_membership_auc_bound_values_and_laplace_count_respects_it():
    from sklearn.metrics import roc_auc_score

    from utils.privacy import membership_auc_bound

    assert membership_auc_bound(0.5) == pytest.approx(np.exp(0.5) / (1 + np.exp(0.5)))
    assert [round(membership_auc_bound(e), 2) for e in (0.1, 0.5, 1.0)] == [0.52, 0.62, 0.73]
    assert membership_auc_bound(20) > 0.999
    # Le meilleur test d'appartenance contre un comptage bruité (Laplace 1/ε) reste sous la borne.
    rng = np.random.default_rng(0)
    epsilon = 0.5
    without = laplace_mechanism(np.full(20_000, 76.0), 1, epsilon, rng)
    with_target = laplace_mechanism(np.full(20_000, 77.0), 1, epsilon, rng)
    auc = roc_auc_score(np.r_[np.zeros(20_000), np.ones(20_000)], np.r_[without, with_target])
    assert 0.5 < auc <= membership_auc_bound(epsilon)
    with pytest.raises(ValueError):
        membership_auc_bound(0)
