"""Tests des vérifications d'exercices de semaine_6_a_8/02 : bonnes réponses acceptées, mauvaises signalées."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import ExerciseNotDone
from utils.checks import semaine_6_a_8_02 as checks
from check_helpers import not_written as _not_written


def _table():
    return pd.DataFrame({checks.SUCCESS: [0.95, 0.40, 0.12, 0.05],
                         checks.COST: [0.0, -0.01, 0.02, 0.12]},
                        index=["fedavg", "fedmedian", "bulyan", "krum"])


def test_chosen_defence_check(capsys):
    table = _table()
    assert checks.check_chosen_defence("bulyan", table)
    assert not checks.check_chosen_defence("krum", table)  # la plus efficace, mais trop chère
    assert "plus que les 0,05" in capsys.readouterr().out
    assert not checks.check_chosen_defence("fedmedian", table)  # la moins chère
    assert "la moins chère" in capsys.readouterr().out
    assert not checks.check_chosen_defence("moyenne", table)
    with pytest.raises(ExerciseNotDone):
        checks.check_chosen_defence(None, table)


def test_local_dp_std_check(capsys):
    assert checks.check_local_dp_std(lambda e, d, s: s * np.sqrt(2 * np.log(1.25 / d)) / e)
    assert not checks.check_local_dp_std(lambda e, d, s: s * np.sqrt(2 * np.log10(1.25 / d)) / e)
    assert "népérien" in capsys.readouterr().out
    assert not checks.check_local_dp_std(lambda e, d, s: s * np.sqrt(2 * np.log(1.25 / d)) * e)
    assert "divisez par ε" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone):
        checks.check_local_dp_std(_not_written)


def test_secagg_answer_check(capsys):
    assert checks.check_secagg_answer("b")
    assert not checks.check_secagg_answer("A")
    assert "masqués" in capsys.readouterr().out
    assert not checks.check_secagg_answer("C")
    assert not checks.check_secagg_answer("Z")
    with pytest.raises(ExerciseNotDone):
        checks.check_secagg_answer(None)
