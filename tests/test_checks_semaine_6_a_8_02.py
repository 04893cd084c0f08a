"""Tests des vérifications d'exercices de semaine_6_a_8/02 : bonnes réponses acceptées, mauvaises signalées."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import semaine_6_a_8_02 as checks
from check_helpers import not_written as _not_written


def _not_done(verdict, capsys):
    return (not verdict) and verdict.not_done and "pas encore" in capsys.readouterr().out


def _right(table, max_cost):
    affordable = table[table[checks.COST] <= max_cost]
    return affordable[checks.SUCCESS].idxmin()


def test_choose_defence_check(capsys):
    assert checks.check_choose_defence(_right)
    # la plus efficace sans regarder le coût
    assert not checks.check_choose_defence(lambda table, max_cost: table[checks.SUCCESS].idxmin())
    assert "sans regarder son coût" in capsys.readouterr().out
    # la moins chère
    assert not checks.check_choose_defence(lambda table, max_cost: table[checks.COST].idxmin())
    assert "la moins chère" in capsys.readouterr().out
    # 0,05 écrit en dur
    assert not checks.check_choose_defence(lambda table, max_cost: _right(table, 0.05))
    assert "en dur" in capsys.readouterr().out
    # < strict au lieu de ≤
    assert not checks.check_choose_defence(
        lambda table, max_cost: table[table[checks.COST] < max_cost][checks.SUCCESS].idxmin())
    assert "≤, pas <" in capsys.readouterr().out
    # |coût| ≤ max_cost : écarte à tort une défense plus exacte que FedAvg (coût négatif)
    assert not checks.check_choose_defence(
        lambda table, max_cost: table[table[checks.COST].abs() <= max_cost][checks.SUCCESS].idxmin())
    assert "valeur absolue" in capsys.readouterr().out
    # une défense écrite en dur (celle du notebook)
    assert not checks.check_choose_defence(lambda table, max_cost: "bulyan")
    assert not checks.check_choose_defence(lambda table, max_cost: "moyenne")
    assert _not_done(checks.check_choose_defence(_not_written), capsys)


def test_local_dp_std_check(capsys):
    assert checks.check_local_dp_std(lambda e, d, s: s * np.sqrt(2 * np.log(1.25 / d)) / e)
    assert not checks.check_local_dp_std(lambda e, d, s: s * np.sqrt(2 * np.log10(1.25 / d)) / e)
    assert "népérien" in capsys.readouterr().out
    assert not checks.check_local_dp_std(lambda e, d, s: s * np.sqrt(2 * np.log(1.25 / d)) * e)
    assert "divisez par ε" in capsys.readouterr().out
    assert _not_done(checks.check_local_dp_std(_not_written), capsys)


def test_secagg_answer_check(capsys):
    assert checks.check_secagg_answer("b")
    assert not checks.check_secagg_answer("A")
    assert "masqué ressemble à du bruit" in capsys.readouterr().out
    assert not checks.check_secagg_answer("C")
    assert not checks.check_secagg_answer("Z")
    assert _not_done(checks.check_secagg_answer(None), capsys)
