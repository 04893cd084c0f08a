"""Configuration pytest commune aux tests unitaires et aux notebooks (nbval).

Les notebooks tournent en mode FAST et hors ligne. Aucune cellule ne peut lever, dans les solutions comme dans les
versions étudiantes (qui ne portent aucune étiquette `raises-exception` : Colab les ignore). Dans une version
étudiante, chaque cellule `check` a pour sortie enregistrée « ⏳ Exercice pas encore fait » : ce crochet exige
qu'elle l'affiche (l'exercice laissé vide est dit « pas encore fait », ni juste ni faux).

Tout notebook exécuté par nbval, et les tests de `SLOW_TEST_FILES`, portent la marque `slow` :
`pytest -m "not slow"` est la boucle rapide (tests unitaires et tests des vérifications).
"""
import os
from pathlib import Path

import pytest

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")

# Tests lents hors notebooks : relance d'un atelier, `flwr run` en simulation et déploiements locaux.
SLOW_TEST_FILES = {"test_rerun.py", "test_projet_final_flwr_run.py", "test_student_notebooks.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.path))
        if path.suffix == ".ipynb" or path.name in SLOW_TEST_FILES:
            item.add_marker(pytest.mark.slow)


def _is_student_notebook(item) -> bool:
    path = Path(str(item.path))
    return path.suffix == ".ipynb" and "solutions" not in path.parts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    cell = getattr(item, "cell", None)
    if cell is None or not _is_student_notebook(item):
        return result
    from utils.notebooks import student_check_output

    expected = student_check_output(cell)
    if not expected:
        return result
    printed = "".join(out.get("text", "") for out in (item.test_outputs or [])
                      if out.get("output_type") == "stream" and out.get("name") == "stdout")
    if expected not in printed:
        pytest.fail(f"Dans la version étudiante, cette vérification doit afficher « {expected} » (exercice laissé "
                    f"vide) ; elle a affiché :\n{printed or '(rien)'}\n--- cellule ---\n{cell.source}")
    return result
