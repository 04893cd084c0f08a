"""Le verdict des vérifications et le rapport d'environnement ne s'affichent pas deux fois dans Jupyter."""
from __future__ import annotations

import pytest

from utils.checks import ExerciseNotDone, Verdict, call_answer, ensure_done, report
from utils.runtime import EnvironmentReport, environment_report

IPython = pytest.importorskip("IPython")
from IPython.core.formatters import DisplayFormatter  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402


def _displayed(value) -> dict:
    """Ce que Jupyter afficherait pour la dernière expression d'une cellule (données du format, vide = rien)."""
    formatter = DisplayFormatter(parent=InteractiveShell.instance())
    data, _ = formatter.format(value)
    return data


def test_report_prints_the_verdict_once_and_returns_a_silent_truthy_verdict(capsys):
    good = report("Exercice", [(True, "juste", "indice")])
    bad = report("Exercice", [(True, "juste", ""), (False, "faux", "l'indice")])
    printed = capsys.readouterr().out
    assert "✅ juste" in printed and "❌ faux" in printed and "💡 l'indice" in printed
    assert isinstance(good, Verdict) and good and good == True  # noqa: E712 (on teste justement ==)
    assert not bad and bad == False and bad != True  # noqa: E712
    assert _displayed(good) == {} and _displayed(bad) == {}
    assert _displayed(True) != {}  # témoin : un vrai booléen, lui, serait affiché


def test_environment_report_is_a_silent_dict(capsys):
    info = environment_report({"exemple": 1})
    printed = capsys.readouterr().out
    assert isinstance(info, EnvironmentReport) and isinstance(info, dict)
    assert info["exemple"] == 1 and "python" in info
    assert printed.count("Environnement du cours") == 1 and "exemple" in printed
    assert _displayed(info) == {}
    assert _displayed(dict(info)) != {}  # témoin : le même dict ordinaire s'afficherait


def test_unanswered_exercise_raises_the_french_not_done_message():
    with pytest.raises(ExerciseNotDone, match="pas encore"):
        ensure_done(None, "ma_reponse")

    def not_written():
        raise NotImplementedError()

    with pytest.raises(ExerciseNotDone, match="pas encore écrite"):
        call_answer(not_written)
