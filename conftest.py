"""Configuration pytest commune aux tests unitaires et aux notebooks (nbval).

Les notebooks tournent en mode FAST et hors ligne. Aucune cellule ne peut lever, dans les solutions comme dans les
versions étudiantes (qui ne portent aucune étiquette `raises-exception` : Colab les ignore). Dans une version
étudiante, chaque cellule `check` a pour sortie enregistrée « ⏳ Exercice pas encore fait » : ce crochet exige
qu'elle l'affiche (l'exercice laissé vide est dit « pas encore fait », ni juste ni faux).

Tout notebook exécuté par nbval, les tests de `SLOW_TEST_FILES` et ceux de `SLOW_TESTS` portent la marque `slow` :
`pytest -m "not slow"` est la boucle rapide (tests unitaires et tests des vérifications).
"""
import os
from pathlib import Path

import pytest

from utils.notebooks import use_test_environment

use_test_environment()  # mode FAST, OpenBLAS sur un fil : voir `utils.notebooks.TEST_ENVIRONMENT`
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")

# Tests lents hors notebooks : relance d'un atelier, `flwr run` en simulation et déploiements locaux.
SLOW_TEST_FILES = {"test_rerun.py", "test_projet_final_flwr_run.py", "test_student_notebooks.py"}
# Tests d'intégration : une simulation Flower complète, un banc d'essai de bout en bout, un processus neuf qui importe
# TensorFlow. Chacun a pris de 30 s à 5 min (machine chargée, `--durations`) ; ils tournent dans `pytest`, pas dans
# la boucle rapide. Début d'identifiant de test (`fichier::test`), paramètres compris.
SLOW_TESTS = (
    "tests/test_benchmark_robustness.py::test_tiny_benchmark_writes_cells",
    "tests/test_benchmark_medmnist.py::test_benchmark_runs_end_to_end",
    "tests/test_benchmark_heart_disease.py::test_mirror_reproduces_flamby",
    "tests/test_benchmark_heart_disease.py::test_command_line_on_the_mirror_writes_json",
    "tests/test_federated.py::test_simulation_completes",
    "tests/test_federated.py::test_local_layers_keep_each_clients_batchnorm",
    "tests/test_federated.py::test_a_model_kept_from_the_previous_simulation",
    "tests/test_federated.py::test_flower_fedavg_matches_a_loop_written_by_hand",
    "tests/test_federated.py::test_local_train_receives_the_server_config",
    "tests/test_federated.py::test_a_failing_client_stops_the_run",
    "tests/test_federated.py::test_local_engine_and_strategy_factory",
    "tests/test_federated.py::test_the_simulation_runs_the_apps",
    "tests/test_federated.py::test_a_learners_print_in_local_train",
    "tests/test_federated.py::test_the_ray_engine_runs",
    "tests/test_federated.py::test_no_red_flower_warning",
    "tests/test_security.py::test_membership_inference_on_a_memorising_model",
    "tests/test_security.py::test_model_poisoning_mod_in_a_flower_simulation",
    "tests/test_security.py::test_gradient_inversion_recovers_a_single_image",
    "tests/test_projet_final_app.py::test_secure_aggregation_gives_the_fedavg_model",
    "tests/test_projet_final_app.py::test_the_app_fedprox_step_is_the_course_s",
    "tests/test_projet_final_app.py::test_the_app_imports_with_only_its_declared_dependencies",
    "tests/test_projet_final_app.py::test_a_fresh_process_model_forgets",
    "tests/test_checks_common.py::test_importing_tensorflow_after_runtime_prints_no_cpp_startup_lines",
    "tests/test_mtsamples.py::test_mirror_is_learnable_and_headers_are_a_shortcut",
)


# Les plus longs d'abord : `--dist loadscope` distribue les modules et les notebooks dans l'ordre de la collecte, et le
# dernier lancé fixe la fin du run. D'abord les modules de test les plus longs (mesurés en CI : 159, 96, 88, 36, 28 et
# 22 s), puis les notebooks des dernières semaines (50 à 60 s chacun) avant ceux des premières (5 à 35 s), et les
# autres tests (des centaines de petits tests) en dernier : ils remplissent la fin sans la prolonger.
LONGEST_FIRST = ("test_projet_final_flwr_run.py", "test_federated.py", "test_rerun.py", "test_benchmark_robustness.py",
                 "test_projet_final_app.py", "test_benchmark_medmnist.py")


def _longest_first(item) -> tuple:
    path = Path(str(item.path))
    if path.name in LONGEST_FIRST:
        return (0, LONGEST_FIRST.index(path.name))
    if path.suffix == ".ipynb":
        week = next((part for part in path.parts if part.startswith("semaine_")), "semaine_0")
        return (1, -int(week.split("_")[-1]))  # semaine_6_a_8 → 8 : la plus longue d'abord
    return (2, 0)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.path))
        if path.suffix == ".ipynb" or path.name in SLOW_TEST_FILES or item.nodeid.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_longest_first)  # tri stable : l'ordre des cellules d'un notebook et des tests d'un module reste


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
