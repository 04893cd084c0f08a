"""Tests des vérifications d'exercices de semaine_3/01 : la bonne réponse passe, les erreurs typiques échouent
avec leur indice, un exercice non fait dit « pas encore » en français."""
import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from utils.checks import semaine_3_01 as checks
from utils.data import load_heart_disease
from utils.data.heart_disease_mirror import make_heart_disease_mirror
from check_helpers import not_written as _not_written


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    frame = load_heart_disease(root=make_heart_disease_mirror(tmp_path_factory.mktemp("heart") / "uci"))
    frame["chol"] = frame["chol"].replace(0, np.nan)
    return frame


def test_missing_rates(data, capsys):
    features = list(checks.FEATURES)
    assert checks.check_missing_rates(data[features].isna().groupby(data["hospital"]).mean(), data)
    capsys.readouterr()
    # faux : en pourcentages (l'énoncé demande une part entre 0 et 1)
    assert not checks.check_missing_rates(100 * data[features].isna().groupby(data["hospital"]).mean(), data)
    assert "Ce sont des pourcentages" in capsys.readouterr().out
    # faux : un seul taux global, pas par hôpital
    assert not checks.check_missing_rates(data[features].isna().mean().to_frame().T, data)
    assert "Groupez par la colonne `hospital`" in capsys.readouterr().out
    # faux : des effectifs au lieu de parts
    assert not checks.check_missing_rates(data[features].isna().groupby(data["hospital"]).sum(), data)
    assert "sa moyenne par groupe est le taux" in capsys.readouterr().out
    # faux : chol = 0 non compté comme manquant (données brutes)
    raw = data.copy()
    raw["chol"] = raw["chol"].fillna(0)
    assert not checks.check_missing_rates(raw[features].isna().groupby(raw["hospital"]).mean(), data)
    _assert_not_done(checks.check_missing_rates(None, data), capsys)


def _assert_not_done(verdict, capsys):
    """Un exercice pas encore fait : verdict faux, marqué « pas fait », message « pas encore » (sans lever)."""
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


def _right(y_true, y_score, threshold=0.5):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_score) >= threshold
    return np.mean(y_pred[y_true == 1]), np.mean(~y_pred[y_true == 0])


def test_sensitivity_specificity(capsys):
    assert checks.check_sensitivity_specificity(_right)
    # juste : la paire renvoyée comme tableau NumPy, ou comme liste
    assert checks.check_sensitivity_specificity(lambda t, s, th=0.5: np.array(_right(t, s, th)))
    assert checks.check_sensitivity_specificity(lambda t, s, th=0.5: list(_right(t, s, th)))
    capsys.readouterr()
    # faux : un seul nombre
    assert not checks.check_sensitivity_specificity(lambda t, s, th=0.5: _right(t, s, th)[0])
    assert "return sensitivity, specificity" in capsys.readouterr().out
    # faux : `>` au lieu de `>=` au seuil
    def strict(y_true, y_score, threshold=0.5):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_score) > threshold
        return np.mean(y_pred[y_true == 1]), np.mean(~y_pred[y_true == 0])
    assert not checks.check_sensitivity_specificity(strict)
    assert "utilisez `>=`, pas `>`" in capsys.readouterr().out
    # faux : sensibilité et spécificité inversées
    assert not checks.check_sensitivity_specificity(lambda t, s, th=0.5: _right(t, s, th)[::-1])
    assert "Inversées" in capsys.readouterr().out
    # faux : seuil 0,5 écrit en dur
    assert not checks.check_sensitivity_specificity(lambda t, s, th=0.5: _right(t, s, 0.5))
    assert "pas à 0,5 écrit en dur" in capsys.readouterr().out
    _assert_not_done(checks.check_sensitivity_specificity(_not_written), capsys)


def test_sensitivity_specificity_hints_do_not_point_the_wrong_way(capsys):
    """Sorties inversées ou en pourcentages : les points suivants ne parlent pas d'un seuil « écrit en dur »."""
    capsys.readouterr()
    assert not checks.check_sensitivity_specificity(lambda t, s, th=0.5: _right(t, s, th)[::-1])
    out = capsys.readouterr().out
    assert "Inversées" in out and "écrit en dur" not in out and "Corrigez d'abord" in out
    assert not checks.check_sensitivity_specificity(lambda t, s, th=0.5: tuple(100 * v for v in _right(t, s, th)))
    out = capsys.readouterr().out
    assert "Ce sont des pourcentages" in out and "écrit en dur" not in out


def test_fit_on_train_only(capsys):
    assert checks.check_fit_on_train_only(lambda p, a, b: (p.fit_transform(a), p.transform(b)))
    capsys.readouterr()
    # faux : prétraitement ré-ajusté sur le test
    assert not checks.check_fit_on_train_only(lambda p, a, b: (p.fit_transform(a), p.fit_transform(b)))
    assert "ré-ajustées" in capsys.readouterr().out
    # faux : prétraitement ajusté sur entraînement + test réunis
    def on_both(p, a, b):
        p.fit(np.vstack([a, b]))
        return p.transform(a), p.transform(b)
    assert not checks.check_fit_on_train_only(on_both)
    assert "💡" in capsys.readouterr().out
    # faux : le test n'est pas transformé
    assert not checks.check_fit_on_train_only(lambda p, a, b: (p.fit_transform(a), b))
    _assert_not_done(checks.check_fit_on_train_only(_not_written), capsys)
