"""Configuration pytest commune aux tests unitaires et aux notebooks (nbval).

Les notebooks tournent en mode FAST et hors ligne. Dans les versions étudiantes, chaque cellule d'exercice doit lever `NotImplementedError` et chaque vérification
`ExerciseNotDone` : nbval tolère ces erreurs (`raises-exception`), ce crochet exige qu'elles aient lieu.
"""
import os

import pytest

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    cell = getattr(item, "cell", None)
    if cell is None or "raises-exception" not in cell.get("metadata", {}).get("tags", []):
        return result
    from utils.notebooks import STUDENT_EXPECTED_ERRORS

    expected = {STUDENT_EXPECTED_ERRORS[t] for t in cell.metadata["tags"] if t in STUDENT_EXPECTED_ERRORS}
    raised = {out.get("ename") for out in (item.test_outputs or []) if out.get("output_type") == "error"}
    if expected and not expected & raised:
        pytest.fail(f"Cette cellule de la version étudiante devait lever {' ou '.join(sorted(expected))}, "
                    f"elle a levé : {', '.join(sorted(filter(None, raised))) or 'rien'}.\n{cell.source}")
    return result
