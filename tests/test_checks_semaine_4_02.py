"""Tests des vérifications d'exercices de semaine_4/02 : bonnes réponses acceptées, mauvaises signalées avec un indice,
exercice pas encore fait signalé sans lever d'erreur."""
from collections import Counter

import numpy as np
import pandas as pd

from utils.checks import semaine_4_02 as checks
from check_helpers import failed_with, not_written as _not_written

VOCABULARY = ["fever", "stent", "knee", "1234567", "pain"]
HOSPITALS = [{"fever", "stent", "pain"}, {"knee", "pain"}, {"fever", "1234567", "pain"}]


def _specific(vocabulary, hospital_vocabularies):
    counts = Counter(word for words in hospital_vocabularies for word in set(words))
    return {word for word in vocabulary if counts[word] == 1}


def _not_done(capsys, verdict):
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


def test_hospital_specific_words_check(capsys):
    assert checks.check_hospital_specific_words(_specific, VOCABULARY, HOSPITALS)
    assert checks.check_hospital_specific_words(lambda v, h: sorted(_specific(v, h)), VOCABULARY, HOSPITALS)  # liste triée
    capsys.readouterr()
    union = lambda vocabulary, hospitals: set(vocabulary)  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(union, VOCABULARY, HOSPITALS), "plusieurs hôpitaux")
    first_only = lambda vocabulary, hospitals: set(hospitals[0]) - set().union(*hospitals[1:])  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(first_only, VOCABULARY, HOSPITALS))
    _not_done(capsys, checks.check_hospital_specific_words(_not_written, VOCABULARY, HOSPITALS))


def test_hospital_specific_words_check_wrong_answers_from_review(capsys):
    # « moins de deux hôpitaux » garde aussi les mots qu'aucun hôpital n'emploie
    fewer_than_two = lambda vocabulary, hospitals: {w for w in vocabulary if sum(w in h for h in hospitals) < 2}  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(fewer_than_two, VOCABULARY, HOSPITALS), "fracture")
    # une version qui ignore `vocabulary` : garde des mots hors du vocabulaire commun
    def ignores_vocabulary(vocabulary, hospitals):
        counts = Counter(word for words in hospitals for word in set(words))
        return {word for word, n in counts.items() if n == 1}
    failed_with(capsys, checks.check_hospital_specific_words(ignores_vocabulary, VOCABULARY, HOSPITALS), "garcia")
    # une liste d'ensembles (un par hôpital) : refusée avec un indice, sans planter
    per_hospital = lambda vocabulary, hospitals: [set(h) for h in hospitals]  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(per_hospital, VOCABULARY, HOSPITALS), "un ensemble par hôpital")


def test_bytes_per_round_check(capsys):
    assert checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n * 2)
    capsys.readouterr()
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n), "deux sens")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.size for w in weights) * 4 * n * 2))  # float32
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * 2),
                "nombre de clients")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n * 3),
                "évaluation")
    _not_done(capsys, checks.check_bytes_per_round(_not_written))


def test_most_helped_hospital_check(capsys):
    table = pd.DataFrame({"local": [0.4, 0.2, 0.7], "fédéré": [0.8, 0.5, 0.9]}, index=["A", "B", "C"])
    assert checks.check_most_helped_hospital("A", table)  # gain 0.4
    capsys.readouterr()
    failed_with(capsys, checks.check_most_helped_hospital("C", table), "GAIN")  # meilleur score fédéré
    failed_with(capsys, checks.check_most_helped_hospital("B", table), "différence")  # plus faible score local
    failed_with(capsys, checks.check_most_helped_hospital("Z", table))
    _not_done(capsys, checks.check_most_helped_hospital(None, table))
    assert np.isclose((table["fédéré"] - table["local"]).max(), 0.4)
