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


# --------------------------------------------------------------------------- démarrage silencieux (issue 8 §3)
def test_tensorflow_startup_lines_are_held_back_but_other_lines_pass(capfd):
    import os

    from utils.runtime import _TF_STARTUP_NOISE, _filtered_stderr

    with _filtered_stderr(_TF_STARTUP_NOISE):
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on. You may see...\n")
        os.write(2, b"une vraie erreur du C++\n")
    err = capfd.readouterr().err
    assert "une vraie erreur du C++" in err
    assert "absl::InitializeLog" not in err and "oneDNN" not in err


def test_importing_tensorflow_after_runtime_prints_no_cpp_startup_lines():
    import subprocess
    import sys

    pytest.importorskip("tensorflow")
    code = "import utils.runtime, tensorflow as tf; print(tf.__loader__.__class__.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "COURSE_TF_STARTUP_LOGS": "0"})
    assert done.returncode == 0, done.stderr
    assert "absl::InitializeLog" not in done.stderr and "oneDNN custom operations" not in done.stderr
    assert done.stdout.strip() != "_QuietLoader"  # TensorFlow garde son vrai chargeur


def test_missing_opencv_gets_a_french_message():
    from utils.runtime import _MissingOpenCV

    finder = _MissingOpenCV()
    assert finder.find_spec("numpy") is None
    with pytest.raises(ModuleNotFoundError, match="requirements.txt"):
        finder.find_spec("cv2")


def test_ray_is_told_not_to_dump_a_stack_on_sigterm():
    import os

    import utils.federated.flower_internals  # noqa: F401  (fixe les variables avant Ray)

    assert os.environ["RAY_DISABLE_FAILURE_SIGNAL_HANDLER"] == "1"
