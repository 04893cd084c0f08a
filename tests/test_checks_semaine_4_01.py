"""Tests des vérifications d'exercices de semaine_4/01 : bonnes réponses acceptées, mauvaises signalées avec un indice."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from utils.checks import ExerciseNotDone
from utils.checks import semaine_4_01 as checks
from utils.text import mask_headers
from check_helpers import not_written as _not_written

Y_VAL = np.array([0] * 10 + [1] * 5 + [2] * 3)


def test_majority_baseline_check(capsys):
    constant = np.zeros_like(Y_VAL)
    accuracy = accuracy_score(Y_VAL, constant)
    macro = f1_score(Y_VAL, constant, average="macro", zero_division=0)
    assert checks.check_majority_baseline(accuracy, macro, Y_VAL)
    assert not checks.check_majority_baseline(macro, accuracy, Y_VAL)
    assert "inversé" in capsys.readouterr().out
    single_class_f1 = f1_score(Y_VAL, constant, average=None, zero_division=0)[0]
    assert not checks.check_majority_baseline(accuracy, single_class_f1, Y_VAL)
    assert "une seule classe" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone):
        checks.check_majority_baseline(None, macro, Y_VAL)
    with pytest.raises(ExerciseNotDone):
        checks.check_majority_baseline(accuracy, None, Y_VAL)


def test_most_confused_check(capsys):
    names = ["A", "B", "C"]
    confusion = np.array([[9, 1, 0], [4, 7, 0], [0, 2, 8]])
    assert checks.check_most_confused(("B", "A"), confusion, names)
    assert not checks.check_most_confused(("A", "B"), confusion, names)
    assert "autre sens" in capsys.readouterr().out
    assert not checks.check_most_confused(("A", "A"), confusion, names)
    assert "diagonale" in capsys.readouterr().out
    assert not checks.check_most_confused("B", confusion, names)
    with pytest.raises(ExerciseNotDone):
        checks.check_most_confused(None, confusion, names)


def test_mask_headers_check(capsys):
    assert checks.check_mask_headers(mask_headers)
    colon_only = lambda text, token="[EN-TETE]": __import__("re").sub(r"\b[A-Z][A-Z ]+:", token, text)  # noqa: E731
    assert not checks.check_mask_headers(colon_only)  # oublie les titres sans « : »
    every_capital = lambda text, token="[EN-TETE]": __import__("re").sub(r"\b[A-Z]{2,}\b:?", token, text)  # noqa: E731
    assert not checks.check_mask_headers(every_capital)  # masque aussi EKG, MRI, PSA
    assert "abréviation" in capsys.readouterr().out
    assert not checks.check_mask_headers(lambda text, token="[EN-TETE]": text.lower())
    with pytest.raises(ExerciseNotDone):
        checks.check_mask_headers(_not_written)
