"""Tests des vérifications d'exercices de semaine_4/01 : bonnes réponses acceptées, mauvaises signalées avec un indice,
exercice pas encore fait signalé sans lever d'erreur."""
import re

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from utils.checks import semaine_4_01 as checks
from utils.text import mask_headers
from check_helpers import failed_with, not_written as _not_written

Y_TRAIN = np.array([0] * 12 + [1] * 6 + [2] * 4)
Y_VAL = np.array([0] * 10 + [1] * 5 + [2] * 3)


def _constant_scores(label, y_val):
    constant = np.full(len(y_val), label)
    return accuracy_score(y_val, constant), f1_score(y_val, constant, average="macro", zero_division=0)


def _not_done(capsys, verdict):
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


def test_majority_baseline_check(capsys):
    accuracy, macro = _constant_scores(0, Y_VAL)
    assert checks.check_majority_baseline(accuracy, macro, Y_VAL, Y_TRAIN)
    failed_with(capsys, checks.check_majority_baseline(macro, accuracy, Y_VAL, Y_TRAIN), "inversé")
    single_class_f1 = f1_score(Y_VAL, np.zeros_like(Y_VAL), average=None, zero_division=0)[0]
    failed_with(capsys, checks.check_majority_baseline(accuracy, single_class_f1, Y_VAL, Y_TRAIN), "une seule classe")
    _not_done(capsys, checks.check_majority_baseline(None, macro, Y_VAL, Y_TRAIN))
    _not_done(capsys, checks.check_majority_baseline(accuracy, None, Y_VAL, Y_TRAIN))


def test_majority_baseline_uses_the_training_majority(capsys):
    """Quand les majorités diffèrent : la majorité de l'entraînement est juste, celle de la validation est une fuite."""
    y_train = np.array([1] * 10 + [0] * 8 + [2] * 2)  # majorité : 1
    y_val = np.array([0] * 9 + [1] * 6 + [2] * 3)     # majorité : 0
    right = _constant_scores(1, y_val)
    leaky = _constant_scores(0, y_val)
    assert checks.check_majority_baseline(*right, y_val, y_train)
    capsys.readouterr()
    failed_with(capsys, checks.check_majority_baseline(*leaky, y_val, y_train), "VALIDATION")


def test_most_confused_check(capsys):
    names = ["A", "B", "C"]
    confusion = np.array([[9, 1, 0], [4, 7, 0], [0, 2, 8]])
    assert checks.check_most_confused(("B", "A"), confusion, names)
    assert checks.check_most_confused(np.array(names)[[1, 0]], confusion, names)  # np.array(SPECIALTIES)[[i, j]]
    capsys.readouterr()
    failed_with(capsys, checks.check_most_confused(("A", "B"), confusion, names), "autre sens")
    failed_with(capsys, checks.check_most_confused(("A", "A"), confusion, names), "diagonale")
    failed_with(capsys, checks.check_most_confused("B", confusion, names))
    _not_done(capsys, checks.check_most_confused(None, confusion, names))


def _regex_answer(pattern):
    return lambda text, token="[EN-TETE]": re.sub(pattern, token, text)


def test_mask_headers_check_accepts_the_reference(capsys):
    assert checks.check_mask_headers(mask_headers)
    word = r"[A-Z][A-Z/&'-]+"  # la solution du notebook, écrite autrement
    assert checks.check_mask_headers(_regex_answer(rf"\b{word}(?:[ \t]+{word})*[ \t]*:|\b{word}(?:[ \t]+{word})+\b"))


def test_mask_headers_check_refuses_wrong_answers(capsys):
    failed_with(capsys, checks.check_mask_headers(_regex_answer(r"\b[A-Z][A-Z ]+:")))  # oublie les titres sans « : »
    failed_with(capsys, checks.check_mask_headers(_regex_answer(r"\b[A-Z]{2,}\b:?")), "abréviation")  # EKG, MRI, PSA
    # « tout mot en majuscules de 4 lettres ou plus » : passe EKG/MRI/PSA (3 lettres), masque COPD et ERCP
    failed_with(capsys, checks.check_mask_headers(
        _regex_answer(r"\b[A-Z]{4,}(?:[ \t]+[A-Z]{2,})*[ \t]*:?|\b[A-Z]{2,}:")), "COPD")
    # « tout mot en majuscules sauf EKG, MRI, PSA écrits en dur » : masque COPD, CT
    failed_with(capsys, checks.check_mask_headers(
        _regex_answer(r"\b(?!(?:EKG|MRI|PSA)\b)[A-Z]{2,}\b:?")), "Ne listez pas")
    # « des titres d'exactement deux mots » : « ORTHOPAEDIC SURGERY FOLLOWUP » garde FOLLOWUP
    failed_with(capsys, checks.check_mask_headers(
        _regex_answer(r"\b[A-Z][A-Z ]*[A-Z]:|\b[A-Z]+ [A-Z]+\b")), "trois mots")
    # une liste écrite à la main des en-têtes de l'énoncé
    known = ["CARDIOLOGY CONSULTATION", "CHIEF COMPLAINT:", "HISTORY OF PRESENT ILLNESS:", "EXAM:", "IMPRESSION:",
             "UROLOGY CLINIC"]
    failed_with(capsys, checks.check_mask_headers(_regex_answer("|".join(map(re.escape, known)))), "FORME")
    failed_with(capsys, checks.check_mask_headers(lambda text, token="[EN-TETE]": text.lower()))


def test_mask_headers_check_refuses_lengths_lists_commas_and_a_fixed_token(capsys):
    """Cas cachés : une abréviation de 5 lettres (TURBT), deux abréviations séparées par une virgule, un autre `token`."""
    # « 5 lettres ou plus » : passe CT, EKG, COPD, ERCP, mais masque TURBT
    failed_with(capsys, checks.check_mask_headers(
        _regex_answer(r"\b[A-Z]{5,}(?:[ \t]+[A-Z]{2,})*[ \t]*:?|\b[A-Z]+[ \t]*:")), "longueur minimale")
    # une liste d'abréviations écrite en dur, complétée avec celles que nomment les indices
    failed_with(capsys, checks.check_mask_headers(
        _regex_answer(r"\b(?!(?:EKG|MRI|PSA|CT|COPD|ERCP)\b)[A-Z]{2,}(?:[ \t]+[A-Z]{2,})*[ \t]*:?")), "Ne listez pas")
    # des majuscules jointes par une virgule font un « titre » : « ERCP, CT » masqué
    word = r"[A-Z][A-Z/&'-]+"
    failed_with(capsys, checks.check_mask_headers(
        _regex_answer(rf"\b{word}(?:[ \t,]+{word})*[ \t]*:|\b{word}(?:[ \t,]+{word})+\b")), "virgule")
    # le jeton par défaut écrit en dur au lieu du paramètre `token`
    failed_with(capsys, checks.check_mask_headers(
        lambda text, token="[EN-TETE]": re.sub(rf"\b{word}(?:[ \t]+{word})*[ \t]*:|\b{word}(?:[ \t]+{word})+\b",
                                               "[EN-TETE]", text)), "paramètre `token`")


def test_mask_headers_check_not_done(capsys):
    _not_done(capsys, checks.check_mask_headers(_not_written))
