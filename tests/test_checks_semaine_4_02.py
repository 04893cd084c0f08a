"""Tests des vérifications d'exercices de semaine_4/02 : bonnes réponses acceptées, mauvaises signalées avec un indice."""
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from utils.checks import ExerciseNotDone
from utils.checks import semaine_4_02 as checks
from check_helpers import not_written as _not_written

VOCABULARY = ["fever", "stent", "knee", "1234567", "pain"]
HOSPITALS = [{"fever", "stent", "pain"}, {"knee", "pain"}, {"fever", "1234567", "pain"}]


def _specific(vocabulary, hospital_vocabularies):
    counts = Counter(word for words in hospital_vocabularies for word in set(words))
    return {word for word in vocabulary if counts[word] == 1}


def test_hospital_specific_words_check(capsys):
    assert checks.check_hospital_specific_words(_specific, VOCABULARY, HOSPITALS)
    union = lambda vocabulary, hospitals: set(vocabulary)  # noqa: E731
    assert not checks.check_hospital_specific_words(union, VOCABULARY, HOSPITALS)
    assert "plusieurs hôpitaux" in capsys.readouterr().out
    first_only = lambda vocabulary, hospitals: set(hospitals[0]) - set().union(*hospitals[1:])  # noqa: E731
    assert not checks.check_hospital_specific_words(first_only, VOCABULARY, HOSPITALS)
    with pytest.raises(ExerciseNotDone):
        checks.check_hospital_specific_words(_not_written, VOCABULARY, HOSPITALS)


def test_bytes_per_round_check(capsys):
    assert checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n * 2)
    assert not checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n)
    assert "deux sens" in capsys.readouterr().out
    assert not checks.check_bytes_per_round(lambda weights, n: sum(w.size for w in weights) * 4 * n * 2)  # suppose float32
    assert not checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * 2)
    assert "nombre de clients" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone):
        checks.check_bytes_per_round(_not_written)


def test_most_helped_hospital_check(capsys):
    table = pd.DataFrame({"local": [0.4, 0.2, 0.7], "fédéré": [0.8, 0.5, 0.9]}, index=["A", "B", "C"])
    assert checks.check_most_helped_hospital("A", table)  # gain 0.4
    assert not checks.check_most_helped_hospital("C", table)  # meilleur score fédéré, pas le plus grand gain
    assert "GAIN" in capsys.readouterr().out
    assert not checks.check_most_helped_hospital("B", table)  # plus faible score local
    assert "différence" in capsys.readouterr().out
    assert not checks.check_most_helped_hospital("Z", table)
    with pytest.raises(ExerciseNotDone):
        checks.check_most_helped_hospital(None, table)
    assert np.isclose((table["fédéré"] - table["local"]).max(), 0.4)
