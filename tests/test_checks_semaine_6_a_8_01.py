"""Tests des vérifications d'exercices de semaine_6_a_8/01 : bonnes réponses acceptées, mauvaises signalées."""
import numpy as np
import pytest

from utils.checks import semaine_6_a_8_01 as checks
from check_helpers import not_written as _not_written


def _not_done(verdict, capsys):
    """Un exercice pas encore fait : verdict faux, `not_done`, et le message « pas encore » affiché."""
    return (not verdict) and verdict.not_done and "pas encore" in capsys.readouterr().out


def test_sign_flip_check(capsys):
    assert checks.check_sign_flip(lambda g, l, k: [a - k * (b - a) for a, b in zip(g, l)])
    assert not checks.check_sign_flip(lambda g, l, k: [a + k * (b - a) for a, b in zip(g, l)])  # amplifiée, pas renversée
    assert "signe moins" in capsys.readouterr().out
    assert not checks.check_sign_flip(lambda g, l, k: [-k * (b - a) for a, b in zip(g, l)])  # sans les poids globaux
    out = capsys.readouterr().out
    assert "pas une différence" in out and "en dur" not in out  # le facteur n'est pas en cause : pas de fausse piste
    assert not checks.check_sign_flip(lambda g, l, k: [a - 3.0 * (b - a) for a, b in zip(g, l)])  # k = 3 en dur
    assert "en dur" in capsys.readouterr().out
    assert _not_done(checks.check_sign_flip(_not_written), capsys)


def test_backdoor_success_check(capsys):
    def right(predicted, true_labels, target):
        predicted, true_labels = np.asarray(predicted), np.asarray(true_labels)
        return float(np.mean(predicted[true_labels != target] == target))

    assert checks.check_backdoor_success(right)
    assert not checks.check_backdoor_success(lambda p, t, target: float(np.mean(np.asarray(p) == target)))
    assert "déjà malignes" in capsys.readouterr().out
    assert not checks.check_backdoor_success(lambda p, t, target: float(np.mean(np.asarray(p) == np.asarray(t))))
    assert "exactitude" in capsys.readouterr().out
    assert not checks.check_backdoor_success(  # cible écrite en dur
        lambda p, t, target: float(np.mean(np.asarray(p)[np.asarray(t) != 0] == 0)))
    # conditionnement inversé : parmi les prédites cible, la part qui n'en était pas (faux taux de découverte)
    assert not checks.check_backdoor_success(
        lambda p, t, target: float(np.mean(np.asarray(t)[np.asarray(p) == target] != target)))
    assert "autre sens" in capsys.readouterr().out
    # un compte au lieu d'une proportion : « entre 0 et 1 » n'est plus coché
    assert not checks.check_backdoor_success(
        lambda p, t, target: float(np.sum(np.asarray(p)[np.asarray(t) != target] == target)))
    assert "❌ entre 0 et 1" in capsys.readouterr().out
    assert _not_done(checks.check_backdoor_success(_not_written), capsys)


def test_membership_guess_check(capsys):
    assert checks.check_membership_guess(lambda losses, threshold: np.asarray(losses) < threshold)
    assert not checks.check_membership_guess(lambda losses, threshold: np.asarray(losses) > threshold)
    assert "inversé" in capsys.readouterr().out
    assert not checks.check_membership_guess(lambda losses, threshold: np.asarray(losses) <= threshold)
    assert "Strictement" in capsys.readouterr().out
    assert not checks.check_membership_guess(lambda losses, threshold: np.asarray(losses) < 0.3)  # seuil en dur
    assert "en dur" in capsys.readouterr().out
    assert _not_done(checks.check_membership_guess(_not_written), capsys)


def test_label_from_gradient_check(capsys):
    assert checks.check_label_from_gradient(lambda g: int(np.argmin(np.asarray(g[-1]).reshape(-1))))
    assert not checks.check_label_from_gradient(lambda g: int(np.argmax(np.asarray(g[-1]).reshape(-1))))
    assert "plus petite" in capsys.readouterr().out
    assert not checks.check_label_from_gradient(lambda g: 0)
    # la règle de Zhao et al. (gradient des poids de sortie, sommé sur les entrées) est juste aussi
    assert checks.check_label_from_gradient(lambda g: int(np.argmin(np.asarray(g[-2]).sum(axis=0))))
    assert _not_done(checks.check_label_from_gradient(_not_written), capsys)
